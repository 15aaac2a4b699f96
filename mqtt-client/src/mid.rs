//! [`Mid`]: Paho's `mid`, the one id of a publish, subscribe or
//! unsubscribe request, from the call to its callback.

use mqtt_proto::PacketId;
use mqtt_session::MessageId;
use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

/// Paho's `mid`: what `publish` (through its [`crate::MessageHandle`]),
/// `subscribe` and `unsubscribe` return, and what `on_publish`,
/// `on_subscribe` and `on_unsubscribe` receive for the same request.
///
/// In Paho the mid is also the packet identifier on the wire. Here the
/// two are apart, because this client queues messages beyond the
/// broker's in-flight window and chooses a packet identifier only when a
/// message is sent, and packet identifiers are reused (1 to 65,535) while
/// a mid never is within a client. So a `Mid` is:
///
/// - for a publish, the library's [`MessageId`] (QoS 0 messages have one
///   too), kept when the session is saved and restored;
/// - for a subscribe or unsubscribe, a per-client counter.
///
/// The two kinds are counted apart: a subscribe's mid may equal a
/// publish's. Compare mids of the same kind, as Paho code does (a
/// publish's handle with on_publish, subscribe's result with
/// on_subscribe).
///
/// The packet identifier rides along where it is known
/// ([`Mid::packet_id`]): in the callbacks, and for subscribe and
/// unsubscribe from the start. It is context, not identity: two `Mid`s
/// are equal when their [`Mid::get`] values are, whether they carry it
/// or not.
///
/// ```
/// use mqtt_client::Mid;
/// use mqtt_client::MessageId;
/// let mid = Mid::from(MessageId(3));
/// assert_eq!(mid.get(), 3);
/// assert_eq!(mid.to_string(), "3");
/// assert_eq!(mid.packet_id(), None);
/// ```
#[derive(Clone, Copy)]
pub struct Mid {
    value: u64,
    packet_id: Option<PacketId>,
}

impl Mid {
    /// The mid `value`, carrying `packet_id` if known.
    pub fn new(value: u64, packet_id: Option<PacketId>) -> Self {
        Self { value, packet_id }
    }

    /// The number (Paho's `mid`).
    pub fn get(self) -> u64 {
        self.value
    }

    /// The packet identifier the request went out with, if known here.
    pub fn packet_id(self) -> Option<PacketId> {
        self.packet_id
    }

    /// For a publish's mid: the [`MessageId`] the engine knows it by.
    pub fn message_id(self) -> MessageId {
        MessageId(self.value)
    }

    /// The same mid carrying `packet_id`.
    pub fn with_packet_id(mut self, packet_id: Option<PacketId>) -> Self {
        self.packet_id = packet_id;
        self
    }
}

impl From<MessageId> for Mid {
    fn from(id: MessageId) -> Self {
        Self::new(id.0, None)
    }
}

impl PartialEq for Mid {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl Eq for Mid {}

impl PartialEq<u64> for Mid {
    fn eq(&self, other: &u64) -> bool {
        self.value == *other
    }
}

impl Hash for Mid {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

impl PartialOrd for Mid {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Mid {
    fn cmp(&self, other: &Self) -> Ordering {
        self.value.cmp(&other.value)
    }
}

impl std::fmt::Display for Mid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.value)
    }
}

impl std::fmt::Debug for Mid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.packet_id {
            Some(p) => write!(f, "Mid({}, packet {p})", self.value),
            None => write!(f, "Mid({})", self.value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_is_the_number_alone() {
        let a = Mid::new(7, None);
        let b = Mid::new(7, PacketId::new(3));
        assert_eq!(a, b);
        assert_eq!(a, 7);
        let mut set = std::collections::HashSet::new();
        set.insert(a);
        assert!(set.contains(&b));
        assert_eq!(format!("{b:?}"), "Mid(7, packet 3)");
        assert!(Mid::new(8, None) > b);
    }
}
