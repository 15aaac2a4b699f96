//! A blocking MQTT client with everything Paho Python's `Client` offers,
//! over `std::net`, driving the Sans-IO engine of `mqtt-session`.
//!
//! - [`Client`]: connect / connect_async / reconnect / disconnect, publish
//!   with a [`MessageHandle`] (`wait_for_publish`, `is_published`),
//!   subscribe / unsubscribe (5.0 options and properties), manual acks, AUTH.
//! - Callbacks with Paho's meaning: on_connect, on_connect_fail,
//!   on_disconnect, on_message, on_publish, on_subscribe, on_unsubscribe,
//!   on_log (plus the `log` crate), and `message_callback_add` /
//!   `message_callback_remove` routed through a topic trie.
//! - Loops: [`Client::loop_once`], [`Client::loop_forever`],
//!   [`Client::loop_start`] / [`Client::loop_stop`], reconnecting with
//!   exponential backoff and jitter while the session resumes.
//! - One-shot helpers in [`helpers`]: `publish_single`, `publish_multiple`,
//!   `subscribe_simple`, `subscribe_callback`.
//! - Transports by URL scheme: `mqtt://` TCP, `mqtts://` TLS (rustls,
//!   [`TlsOptions`]), `ws://` and `wss://` WebSocket (tungstenite,
//!   [`WsOptions`]); the TLS and WebSocket code is Sans-IO, in [`layers`].
//!
//! # Threads
//!
//! Each connection has a reader thread that blocks in `read`, feeds the
//! engine what arrived and writes its replies (acknowledgements) at once.
//! Callbacks run one at a time, in order, with no lock held: under
//! [`Client::loop_start`] on the reader thread that read their input (as
//! Paho runs them on its one network thread), otherwise on the thread in
//! `loop_forever` or `loop_once`. While a callback runs on a reader thread
//! its connection is not read, as in Paho; a `wait_for_publish` inside it
//! first hands the reading to a new thread, so it never waits for itself
//! (a `connect` opens a new connection, with its own reader thread). Commands from any thread (or callback) update
//! the engine and write what it produced directly, so a publish never
//! waits for the loop. The loop thread keeps the timers (keep alive,
//! retries) and reconnects.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod backoff;
mod callbacks;
mod client;
mod error;
mod event_loop;
mod handle;
pub mod helpers;
pub mod layers;
mod options;
mod reader;
mod setters;
#[cfg(feature = "testing")]
pub mod testing;
mod transport;
mod url;

#[doc(hidden)]
pub use log as __log;
/// The codec crate, re-exported so users and macros name one version of it.
pub use mqtt_proto;

pub use backoff::Backoff;
pub use callbacks::{Callbacks, ConnectInfo, Message, MessageCallback, PublishOutcome};
pub use client::Client;
pub use error::Error;
pub use handle::{Completion, Completions, MessageHandle, PacketIdLookup, Settled};
pub use layers::{LayeredConnector, TlsOptions, WsOptions};
pub use options::{ClientOptions, Will};
pub use transport::{Connector, Link, TcpConnector};
pub use url::{BrokerUrl, Scheme};

pub use mqtt_session::{
    AckToken, CleanStart, Disconnection, MessageId, OutboundMessage, PublishFailure,
    QueueFullPolicy, SessionLostPolicy, SessionState,
};
