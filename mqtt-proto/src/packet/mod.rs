//! The fifteen control packets, one model for MQTT 3.1, 3.1.1 and 5.0.
//!
//! Fields that only 5.0 can carry (properties, reason codes other than
//! success) are part of every packet; the codec refuses to write them in 3.x
//! and never produces them when reading 3.x.

mod ack;
mod auth;
mod connack;
mod connect;
mod disconnect;
pub(crate) mod frame;
pub(crate) mod publish;
mod subscribe;
mod unsubscribe;

pub use ack::Ack;
pub use auth::Auth;
pub use connack::ConnAck;
pub use connect::{Connect, LastWill};
pub use disconnect::Disconnect;
pub use frame::Encodable;
pub use publish::Publish;
pub use subscribe::{RetainHandling, SubAck, Subscribe, Subscription, SubscriptionOptions};
pub use unsubscribe::{UnsubAck, Unsubscribe};

pub use crate::packet_type::PacketType;

/// Any control packet.
///
/// CONNECT and CONNACK are boxed, and the other packets keep their
/// properties in a [`PropertyBox`](crate::properties::PropertyBox) (allocated
/// only when a property is present): inline, the largest of them would make
/// every packet, PUBLISH and acknowledgements included, as big as itself,
/// and every decoded packet is moved at least once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// CONNECT.
    Connect(Box<Connect>),
    /// CONNACK.
    ConnAck(Box<ConnAck>),
    /// PUBLISH.
    Publish(Publish),
    /// PUBACK.
    PubAck(Ack),
    /// PUBREC.
    PubRec(Ack),
    /// PUBREL.
    PubRel(Ack),
    /// PUBCOMP.
    PubComp(Ack),
    /// SUBSCRIBE.
    Subscribe(Subscribe),
    /// SUBACK.
    SubAck(SubAck),
    /// UNSUBSCRIBE.
    Unsubscribe(Unsubscribe),
    /// UNSUBACK.
    UnsubAck(UnsubAck),
    /// PINGREQ.
    PingReq,
    /// PINGRESP.
    PingResp,
    /// DISCONNECT.
    Disconnect(Disconnect),
    /// AUTH (5.0 only).
    Auth(Auth),
}

impl Packet {
    /// The packet's type.
    pub fn packet_type(&self) -> PacketType {
        match self {
            Self::Connect(_) => PacketType::Connect,
            Self::ConnAck(_) => PacketType::ConnAck,
            Self::Publish(_) => PacketType::Publish,
            Self::PubAck(_) => PacketType::PubAck,
            Self::PubRec(_) => PacketType::PubRec,
            Self::PubRel(_) => PacketType::PubRel,
            Self::PubComp(_) => PacketType::PubComp,
            Self::Subscribe(_) => PacketType::Subscribe,
            Self::SubAck(_) => PacketType::SubAck,
            Self::Unsubscribe(_) => PacketType::Unsubscribe,
            Self::UnsubAck(_) => PacketType::UnsubAck,
            Self::PingReq => PacketType::PingReq,
            Self::PingResp => PacketType::PingResp,
            Self::Disconnect(_) => PacketType::Disconnect,
            Self::Auth(_) => PacketType::Auth,
        }
    }
}

impl From<Connect> for Packet {
    fn from(p: Connect) -> Self {
        Self::Connect(Box::new(p))
    }
}
impl From<ConnAck> for Packet {
    fn from(p: ConnAck) -> Self {
        Self::ConnAck(Box::new(p))
    }
}
impl From<Publish> for Packet {
    fn from(p: Publish) -> Self {
        Self::Publish(p)
    }
}
impl From<Subscribe> for Packet {
    fn from(p: Subscribe) -> Self {
        Self::Subscribe(p)
    }
}
impl From<SubAck> for Packet {
    fn from(p: SubAck) -> Self {
        Self::SubAck(p)
    }
}
impl From<Unsubscribe> for Packet {
    fn from(p: Unsubscribe) -> Self {
        Self::Unsubscribe(p)
    }
}
impl From<UnsubAck> for Packet {
    fn from(p: UnsubAck) -> Self {
        Self::UnsubAck(p)
    }
}
impl From<Disconnect> for Packet {
    fn from(p: Disconnect) -> Self {
        Self::Disconnect(p)
    }
}
impl From<Auth> for Packet {
    fn from(p: Auth) -> Self {
        Self::Auth(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Packet` is no larger than a `Publish`: a variant that outgrows it
    /// would cost every decoded packet, acknowledgements included, a longer
    /// copy out of the decoder.
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn no_variant_is_larger_than_publish() {
        assert_eq!(
            core::mem::size_of::<Packet>(),
            core::mem::size_of::<Publish>()
        );
    }
}
