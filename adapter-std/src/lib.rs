//! A blocking MQTT client with everything Paho Python's `Client` offers,
//! over non-blocking sockets polled by one thread at a time, driving the
//! I/O-free [`mqtt_client::ClientCore`].
//!
//! - [`Client`]: connect / connect_async / reconnect / disconnect, publish
//!   with a [`MessageHandle`] (`wait_for_publish`, `is_published`),
//!   subscribe / unsubscribe (5.0 options and properties), manual acks, AUTH.
//! - Callbacks with Paho 2's meaning: on_connect (for refusals too, with
//!   the reason code), on_connect_fail, on_disconnect, on_message,
//!   on_publish, on_subscribe, on_unsubscribe (all three with the request's
//!   [`Mid`]), on_log, and `message_callback_add` /
//!   `message_callback_remove` routed through a topic trie. Paho's
//!   `userdata` is [`Client::user_data_set`] / [`Client::user_data`],
//!   reached through the client every callback gets.
//! - A log line per packet in Paho's wording (`Sending PUBLISH (d0, q1,
//!   r0, m1), 'b'a/b'', ... (5 bytes)`) or mosquitto's
//!   ([`packet_log`]), to on_log and the `log` crate at debug level, the
//!   connection's lifecycle at info; [`enable_logger`] for a program with
//!   no logger. No password, authentication data or key ever appears.
//! - Loops: [`Client::loop_once`], [`Client::loop_forever`] (a failed
//!   first connection not retried unless
//!   `ClientOptions::retry_first_connection`, as in Paho),
//!   [`Client::loop_start`] / [`Client::loop_stop`], reconnecting with
//!   exponential backoff and jitter while the session resumes;
//!   [`Client::reinitialise`].
//! - One-shot helpers in [`helpers`]: `publish_single`, `publish_multiple`,
//!   `subscribe_simple`, `subscribe_callback`.
//! - Transports by URL scheme: `mqtt://` TCP, `mqtts://` TLS (rustls,
//!   [`TlsOptions`]: CA, client certificate, minimum version, cipher
//!   suites, Paho's hostname-only `tls_insecure_set`), `ws://` and
//!   `wss://` WebSocket (tungstenite, [`WsOptions`]); custom sockets
//!   through a [`Connector`]. Every transport, TLS and WebSocket error
//!   names its `host:port`.
//! - Everything the calls take is re-exported here: [`QoS`],
//!   [`ReasonCode`], [`ProtocolVersion`], the 5.0 property sets with
//!   one-call builders (`PublishProperties::new().user_property("k", "v")
//!   .message_expiry_interval(60)`), topics, subscription options.
//!
//! Coming from Paho? [`coming_from_paho`] maps every name of paho-mqtt
//! 2.x to its equivalent here and lists what behaves differently.
//! [`durable_sessions`] tells how a session store
//! ([`ClientOptions::session_dir`]) makes a client survive a kill, and the
//! exact guarantee.
//!
//! # Concurrency model
//!
//! The shared state of a client, each piece with one lock or one owner:
//!
//! - **The state lock** (`Mutex<State>`): the [`mqtt_client::ClientCore`]
//!   (engine, TLS / WebSocket layers, completions, the bytes and events it
//!   produced), the *baton* and the *pen*, and the loop's registration. It
//!   is held for bookkeeping only: never across a system call, a wait or
//!   a callback.
//! - **The baton** (a field under that lock): which thread polls and reads
//!   the socket, installs and closes it, or none. The poll and the read
//!   side sit in a mutex that only the baton's holder locks.
//! - **The pen** (a field under that lock): which thread writes the
//!   socket, or none. Only the pen's holder takes bytes from the core; it
//!   writes them with no lock held, and takes what came meanwhile before
//!   it puts the pen down. The write side (the socket, the bytes it did
//!   not take yet) sits in a mutex that only the pen's holder locks, and
//!   the baton's holder to install or close the socket while the pen is
//!   down.
//! - **The callbacks** (`RwLock<Arc<Callbacks>>`), replaced copy-on-write.
//!
//! Who holds the baton:
//!
//! - the thread running a loop (`loop_start`'s thread, the caller of
//!   `loop_forever` or `loop_once`), for as long as the loop runs. It
//!   sleeps in `poll` on the socket and a waker, then reads, runs the
//!   timers, writes what the core produced and runs the callbacks, one at
//!   a time and in order, keeping the baton meanwhile;
//! - with no loop running, a thread that waits for the network (`connect`
//!   for its CONNACK, `wait_for_publish`) takes it and turns the network
//!   itself, running the callbacks as `loop_once` would, until done;
//! - with nobody holding it, a thread giving a command (publish,
//!   subscribe, disconnect ...) takes it for one turn without waiting, to
//!   write what the command produced, as Paho and libmosquitto write
//!   directly when no loop runs.
//!
//! While the broker streams (the last read brought four packets or more,
//! or 32 or more messages are in flight), the holder first sleeps the
//! batch window ([`ClientOptions::batch_window`], 200 µs by default)
//! before it polls, so that the next read, the answers and the write
//! each carry a batch: one wake-up per batch instead of one per packet,
//! which is most of the CPU a message costs under load. A request and its
//! answers never count as a stream; while one runs, other input and a
//! command during that sleep (which wakes the poll that follows it) wait
//! at most the window.
//!
//! A command on another thread updates the core under the lock. If the
//! holder sleeps in `poll` and nothing is in flight, the command's thread
//! takes the pen and writes its bytes itself: no input is due to wake the
//! holder, and waking it would be the whole latency of a lone message. If
//! messages are in flight, it wakes the holder (one waker write per sleep,
//! however many commands come meanwhile), which writes everything that
//! came by then in one write. A command inside a callback leaves its bytes
//! for the loop, which writes them, batched, when the callback returns. A
//! wait inside a callback (`wait_for_publish`, `connect`) turns the
//! network itself without running callbacks, so it never waits for itself.
//!
//! The invariants this gives:
//!
//! 1. Bytes leave the core only to the pen's holder, one thread at a
//!    time, so they reach the socket in the order the engine made them.
//! 2. The socket closes only when the core says so, by the baton's holder
//!    with the pen down and nothing left unwritten: after everything the
//!    engine produced before the end is written, a final DISCONNECT
//!    included; or at once when the transport failed.
//! 3. The holder never sleeps on pending work: it decides to sleep under
//!    the lock, and a command that leaves it work afterwards wakes it; a
//!    wake-up that comes before the sleep stays pending in the poll.
//! 4. Every event reaches its callback as soon as the holder has it, never
//!    when a timer happens to expire: the loop sleeps until input, a
//!    wake-up or the core's next deadline, nothing else (and, under a
//!    stream, the batch window first).
//! 5. A waiting thread is woken when what it waits for may have changed: a
//!    handle settled, an attempt decided, callbacks dispatched, the baton
//!    let go.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
pub mod coming_from_paho;
mod connector;
pub mod durable_sessions;
pub mod helpers;
mod loops;
mod network;

pub use client::Client;
pub use connector::{Connector, Socket, TcpConnector};

/// The byte buffers payloads travel in (`Bytes`).
pub use mqtt_client::bytes;
/// The codec crate, re-exported so users name one version of it.
pub use mqtt_client::mqtt_proto;
pub use mqtt_client::packet_log;
pub use mqtt_client::store;
pub use mqtt_client::{
    enable_logger, layers, AckToken, Backoff, BrokerUrl, Callbacks, CleanStart, ClientOptions,
    ConnectInfo, Disconnection, Error, Level, LevelFilter, LogStyle, Message, MessageCallback,
    MessageHandle, MessageId, Mid, OutboundMessage, PublishFailure, PublishOutcome,
    QueueFullPolicy, Scheme, SessionLostPolicy, SessionState, TlsOptions, TlsVersion,
    UnknownSessionPolicy, UserData, Will, WsOptions,
};
/// What the client's calls take and give (from the codec), so that
/// `adapter_std::…` is all a program names: QoS, reason codes, the
/// protocol version, properties with their builders, topics and
/// subscription options.
pub use mqtt_client::{
    AckProperties, AuthProperties, ConnAckProperties, ConnectProperties, DisconnectProperties,
    MqttString, PacketId, PayloadFormat, PropertyError, ProtocolVersion, PublishProperties, QoS,
    ReasonCode, RetainHandling, SubscribeProperties, Subscription, SubscriptionId,
    SubscriptionOptions, TopicFilter, TopicName, UnsubscribeProperties, UserProperty,
    WillProperties,
};
