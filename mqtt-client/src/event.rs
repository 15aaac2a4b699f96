//! What a client core reports to its adapter's callbacks.

use crate::error::Error;
use crate::mid::Mid;
use mqtt_session::Event;

/// Something a callback should hear about, in the order it happened.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The engine reported it (connected, a message, a completion ...).
    Engine(Event),
    /// A transport could not be opened (on_connect_fail).
    ConnectFailed(Error),
    /// The answer to a subscribe or unsubscribe, or its end without one
    /// (`Event::Subscribed`, `Event::Unsubscribed`,
    /// `Event::RequestAborted`), with the mid the call returned.
    Request {
        /// The mid `subscribe` / `unsubscribe` returned, with the packet
        /// identifier.
        mid: Mid,
        /// The engine's event.
        event: Event,
    },
    /// A log line of the core: a packet sent or received, a step of the
    /// connection's lifecycle. It goes to the `log` crate and on_log.
    Log {
        /// Its level (packets: debug; lifecycle: info).
        level: log::Level,
        /// Its `log` target (`mqtt_client::packet` for packets).
        target: &'static str,
        /// The line.
        message: String,
    },
}

impl ClientEvent {
    /// The packet identifier of a received QoS 1/2 message: the adapter
    /// reports the return of its callback to
    /// [`crate::ClientCore::message_handled`] (with a session store, its
    /// acknowledgement waits for that).
    pub fn held_message(&self) -> Option<mqtt_proto::PacketId> {
        match self {
            Self::Engine(Event::Message(m)) => m.publish.packet_id(),
            _ => None,
        }
    }
}
