//! A Sans-IO MQTT client session for MQTT 3.1, 3.1.1 and 5.0: bytes and
//! time in; bytes to send, events and the next deadline out. No I/O, no
//! clock, no threads.
//!
//! # The drive contract
//!
//! A [`Session`] has four kinds of methods, after quinn-proto's `Connection`:
//!
//! - getters (`is_connected`, `state`, `server_limits` ...);
//! - handlers of what happened outside: [`Session::connect`] when a new
//!   transport is open, [`Session::handle_input`] with bytes read,
//!   [`Session::handle_timeout`] when the deadline passed,
//!   [`Session::handle_transport_closed`] when the transport failed;
//! - commands from the application, which return at once with an id or an
//!   [`Error`] caused by the caller: [`Session::publish`],
//!   [`Session::subscribe`], [`Session::unsubscribe`], [`Session::ack`],
//!   [`Session::auth`], [`Session::disconnect`];
//! - polls: [`Session::poll_transmit`], [`Session::poll_event`],
//!   [`Session::poll_timeout`].
//!
//! After every handler or command call, drain `poll_transmit` (write the
//! bytes, in order) and `poll_event` until both return `None`, then sleep
//! until `poll_timeout` (or until input arrives or the application acts).
//! When an [`Event::Disconnected`] comes out, write what `poll_transmit`
//! still holds (it may be our DISCONNECT) and close the transport; the
//! session keeps its state, and a later `connect` on a new transport
//! resumes it. Every `now` passed in must not go backwards.
//!
//! Faults caused by the server never surface as errors of a call: a
//! protocol violation is answered with DISCONNECT and the right reason
//! code (5.0), reported as one `Disconnected(ProtocolError(..))` event, and
//! input after it is ignored.
//!
//! ```
//! use mqtt_session::{Event, OutboundMessage, Session, SessionConfig};
//! use mqtt_proto::{MqttString, ProtocolVersion, QoS, TopicName};
//! use std::time::Instant;
//!
//! let config = SessionConfig::new(ProtocolVersion::V5, MqttString::new("sensor-1").unwrap());
//! let mut session = Session::new(config);
//! let now = Instant::now();
//! session.connect(now).unwrap();
//! let connect_bytes = session.poll_transmit().unwrap(); // write these to the socket
//! assert_eq!(connect_bytes[0], 0x10);
//!
//! // ... the server answers CONNACK (Success, no properties):
//! session.handle_input(now, &[0x20, 0x03, 0x00, 0x00, 0x00]);
//! assert!(matches!(session.poll_event(), Some(Event::Connected { .. })));
//!
//! let msg = OutboundMessage::new(TopicName::new("t").unwrap(), "21.5").qos(QoS::AtLeastOnce);
//! let id = session.publish(now, msg).unwrap();
//! let publish_bytes = session.poll_transmit().unwrap();
//! assert_eq!(publish_bytes[0], 0x32);
//! session.handle_input(now, &[0x40, 0x02, 0x00, 0x01]); // PUBACK
//! assert!(matches!(session.poll_event(), Some(Event::Published { id: done, .. }) if done == id));
//! assert!(session.poll_timeout().is_some()); // the keep-alive timer
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod alias;
mod config;
mod connection;
pub mod durable;
mod error;
mod event;
mod inbound;
mod inflight_ids;
mod outbound;
mod requests;
mod session;
mod state;
mod sweep;

#[cfg(feature = "harness")]
pub mod harness;

pub use config::{
    CleanStart, QueueFullPolicy, SessionConfig, SessionLostPolicy, UnknownSessionPolicy,
    DEFAULT_MAX_INCOMING_PACKET_SIZE,
};
pub use connection::ServerLimits;
pub use durable::{DurableState, StoreOp, WallClock};
pub use error::{Error, ProtocolError};
pub use event::{AckToken, Disconnection, Event, InboundMessage, MessageId, PublishFailure};
pub use session::Session;
pub use state::{InflightMessage, OutboundMessage, PendingAck, QueuedMessage, SessionState, Stage};
