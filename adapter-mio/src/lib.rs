//! MQTT in any event loop, on the Sans-IO engine of `mqtt-session`.
//!
//! - [`MqttClient`]: Paho's external-loop contract, `socket()`,
//!   `want_write()`, `loop_read()`, `loop_write()`, `loop_misc()`, plus
//!   `next_deadline()` so a loop sleeps exactly as long as needed, and socket
//!   events for loops that register write interest only while there is data.
//!   Commands and callbacks are those of adapter-std's blocking client
//!   (the same [`adapter_std::Callbacks`] dispatch them).
//! - [`Driver`]: thousands of clients on one thread and one `mio::Poll`, with
//!   one timer heap and fair reading.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod driver;
mod timers;

pub use client::{MqttClient, SocketEvent, DEFAULT_READ_BUDGET};
pub use driver::{ClientId, Driver};
