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

/// The shared client layer, re-exported so users name one version of it.
pub use mqtt_client;
/// The byte buffers payloads travel in (`Bytes`).
pub use mqtt_client::bytes;
pub use mqtt_client::packet_log;
pub use mqtt_client::store;
/// What the client's calls take and give, so that `adapter_mio::…` is all
/// a program names.
pub use mqtt_client::{
    enable_logger, layers, AckProperties, AckToken, AuthProperties, ClientOptions,
    ConnAckProperties, ConnectInfo, ConnectProperties, DisconnectProperties, Disconnection, Error,
    Level, LevelFilter, LogStyle, Message, MessageHandle, MessageId, Mid, MqttString,
    OutboundMessage, PacketId, PayloadFormat, PropertyError, ProtocolVersion, PublishFailure,
    PublishOutcome, PublishProperties, QoS, ReasonCode, RetainHandling, SessionState,
    SubscribeProperties, Subscription, SubscriptionId, SubscriptionOptions, TlsOptions, TlsVersion,
    TopicFilter, TopicName, UnknownSessionPolicy, UnsubscribeProperties, UserProperty, Will,
    WillProperties, WsOptions,
};
