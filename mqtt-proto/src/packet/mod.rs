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

use core::fmt;

/// The type of a control packet: the high four bits of its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketType {
    /// 1: client asks to connect.
    Connect = 1,
    /// 2: connect acknowledgement.
    ConnAck = 2,
    /// 3: application message.
    Publish = 3,
    /// 4: QoS 1 acknowledgement.
    PubAck = 4,
    /// 5: QoS 2 part 1.
    PubRec = 5,
    /// 6: QoS 2 part 2.
    PubRel = 6,
    /// 7: QoS 2 part 3.
    PubComp = 7,
    /// 8: subscribe request.
    Subscribe = 8,
    /// 9: subscribe acknowledgement.
    SubAck = 9,
    /// 10: unsubscribe request.
    Unsubscribe = 10,
    /// 11: unsubscribe acknowledgement.
    UnsubAck = 11,
    /// 12: ping request.
    PingReq = 12,
    /// 13: ping response.
    PingResp = 13,
    /// 14: disconnect notification.
    Disconnect = 14,
    /// 15: authentication exchange (5.0 only).
    Auth = 15,
}

impl PacketType {
    /// The type for the high nibble of a first byte; `None` for the reserved 0.
    pub const fn from_u8(value: u8) -> Option<Self> {
        Some(match value {
            1 => Self::Connect,
            2 => Self::ConnAck,
            3 => Self::Publish,
            4 => Self::PubAck,
            5 => Self::PubRec,
            6 => Self::PubRel,
            7 => Self::PubComp,
            8 => Self::Subscribe,
            9 => Self::SubAck,
            10 => Self::Unsubscribe,
            11 => Self::UnsubAck,
            12 => Self::PingReq,
            13 => Self::PingResp,
            14 => Self::Disconnect,
            15 => Self::Auth,
            _ => return None,
        })
    }

    /// The fixed-header flags every packet but PUBLISH must carry [MQTT-2.1.3-1].
    pub const fn required_flags(self) -> u8 {
        match self {
            Self::PubRel | Self::Subscribe | Self::Unsubscribe => 0b0010,
            _ => 0,
        }
    }
}

impl fmt::Display for PacketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "CONNECT",
            Self::ConnAck => "CONNACK",
            Self::Publish => "PUBLISH",
            Self::PubAck => "PUBACK",
            Self::PubRec => "PUBREC",
            Self::PubRel => "PUBREL",
            Self::PubComp => "PUBCOMP",
            Self::Subscribe => "SUBSCRIBE",
            Self::SubAck => "SUBACK",
            Self::Unsubscribe => "UNSUBSCRIBE",
            Self::UnsubAck => "UNSUBACK",
            Self::PingReq => "PINGREQ",
            Self::PingResp => "PINGRESP",
            Self::Disconnect => "DISCONNECT",
            Self::Auth => "AUTH",
        })
    }
}

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
