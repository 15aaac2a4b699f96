//! What every MQTT client adapter shares and needs no thread, socket or
//! clock: the layer between the Sans-IO engine (`mqtt-session`) and the
//! adapters that own sockets and threads (`adapter-std`'s blocking client,
//! `adapter-mio`'s event-loop client).
//!
//! - [`ClientOptions`] and [`Will`]: Paho's constructor arguments and
//!   setters; [`BrokerUrl`] for `mqtt://`, `mqtts://`, `ws://`, `wss://`.
//! - [`ClientCore`]: one client's engine, TLS / WebSocket layers,
//!   completions and connection policy (wanted, backoff, reconnect),
//!   turning bytes and time in into bytes to write, events for the
//!   callbacks and the next deadline. An adapter only moves bytes, time
//!   and wake-ups; see its drive contract.
//! - [`Callbacks`]: Paho's callback slots, and how a [`ClientEvent`]
//!   reaches them, with Paho's meaning; [`callback_setters!`] and
//!   [`client_commands!`] give an adapter's client type the same setters
//!   and commands as every other adapter's.
//! - [`MessageHandle`] (Paho's `MQTTMessageInfo`) over [`Completion`]s,
//!   and [`Mid`], Paho's `mid`: one id per publish, subscribe or
//!   unsubscribe, from the call to its callback.
//! - [`packet_log`]: a log line per packet in Paho's or libmosquitto's
//!   wording, which the core hands to the `log` crate and on_log while
//!   someone listens; [`enable_logger`] for programs with no logger.
//! - [`layers`]: TLS (rustls) and WebSocket (tungstenite) as Sans-IO
//!   byte transformers.
//!
//! A user can write an adapter of their own from these public pieces:
//!
//! ```
//! use mqtt_client::{ClientCore, ClientOptions, Closing};
//! use std::time::Instant;
//!
//! let mut core = ClientCore::new(&ClientOptions::new("127.0.0.1", 1883), None).unwrap();
//! let now = Instant::now();
//! // ... a TCP connection is open:
//! core.transport_opened(now).unwrap();
//! let connect = core.take_transmit(now).unwrap(); // write these bytes
//! assert_eq!(connect[0], 0x10);
//! core.transmitted(connect.len());
//! // ... the broker answers CONNACK:
//! core.handle_read(now, &[0x20, 0x02, 0x00, 0x00]);
//! assert!(core.is_connected());
//! assert!(core.poll_event().is_some()); // on_connect's event
//! assert_eq!(core.closing(), Closing::No);
//! assert!(core.poll_timeout().is_some()); // keep alive
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod backoff;
mod callbacks;
mod core;
mod error;
mod event;
mod handle;
pub mod layers;
mod link;
mod logger;
mod mid;
mod options;
mod outbox;
pub mod packet_log;
mod reconnect;
mod setters;
pub mod store;
mod url;

/// The `bytes` crate, whose `Bytes` payloads and packets are made of.
pub use ::bytes;
#[doc(hidden)]
pub use log as __log;
/// The codec crate, re-exported so users and macros name one version of it.
pub use mqtt_proto;
/// The engine crate, re-exported so users and macros name one version of it.
pub use mqtt_session;

pub use crate::core::{AttemptOutcome, ClientCore, CLOSE_GRACE};
pub use backoff::Backoff;
pub use callbacks::{Callbacks, ConnectInfo, Message, MessageCallback, PublishOutcome};
pub use error::Error;
pub use event::ClientEvent;
pub use handle::{Completion, Completions, MessageHandle, Network, Settled};
pub use layers::{TlsOptions, TlsVersion, WsOptions};
pub use link::Closing;
pub use logger::enable_logger;
pub use mid::Mid;
pub use options::{ClientOptions, UserData, Will};
pub use outbox::{Outbox, Written};
pub use packet_log::LogStyle;
pub use url::{BrokerUrl, Scheme};

/// The `log` levels that `on_log` and [`enable_logger`] take.
pub use log::{Level, LevelFilter};
/// What the client's calls take and give, from the codec, so that a user
/// needs no other crate: QoS, reason codes, properties (with builders),
/// topics, subscription options, the protocol version.
pub use mqtt_proto::{
    AckProperties, AuthProperties, ConnAckProperties, ConnectProperties, DisconnectProperties,
    MqttString, PacketId, PayloadFormat, PropertyError, ProtocolVersion, PublishProperties, QoS,
    ReasonCode, RetainHandling, SubscribeProperties, Subscription, SubscriptionId,
    SubscriptionOptions, TopicFilter, TopicName, UnsubscribeProperties, UserProperty,
    WillProperties,
};
pub use mqtt_session::{
    AckToken, CleanStart, Disconnection, MessageId, OutboundMessage, PublishFailure,
    QueueFullPolicy, SessionLostPolicy, SessionState, UnknownSessionPolicy,
};
