//! MQTT in any event loop, on the I/O-free client core of `mqtt-client`.
//!
//! - [`MqttClient`]: Paho's external-loop contract, `socket()`,
//!   `want_write()`, `loop_read()`, `loop_write()`, `loop_misc()`, plus
//!   `next_deadline()` so a loop sleeps exactly as long as needed, and socket
//!   events for loops that register write interest only while there is data.
//!   Commands and callbacks are the same as the blocking client's
//!   (`mqtt_client`'s shared setters and commands generate both).
//! - [`Driver`]: thousands of clients on one thread and one `mio::Poll`, with
//!   one timer heap and fair reading.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod driver;
mod timers;

pub use client::{MqttClient, SocketEvent, DEFAULT_READ_BUDGET};
pub use driver::{ClientId, Driver};
