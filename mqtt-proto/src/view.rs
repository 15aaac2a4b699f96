//! Borrowed decoding: packets read in place from a byte slice, as httparse
//! reads a request, for code that looks at a packet before (or instead of)
//! keeping it: a router, a bridge forwarding the raw bytes, a capture tool.
//!
//! [`Decoder::decode_view`](crate::Decoder::decode_view) applies every check
//! of [`Decoder::decode`](crate::Decoder::decode), in the same order, through
//! the same code, so both accept the same packets and refuse the rest with
//! the same [`DecodeError`]. What differs is ownership: a [`PublishView`]
//! borrows its topic and payload from the input instead of holding
//! reference-counted `Bytes`, which saves the two atomic increments and two
//! decrements per message that owning them costs.

use crate::error::DecodeError;
use crate::packet::publish::PublishHead;
use crate::packet::{Packet, PacketType, Publish};
use crate::properties::{PropertyBox, PublishProperties, ReadSection};
use crate::qos::{Delivery, PacketId, QoS};
use crate::topic::TopicNameRef;
use crate::version::ProtocolVersion;
use crate::wire::Reader;
use bytes::Bytes;

/// A packet decoded in place by
/// [`Decoder::decode_view`](crate::Decoder::decode_view).
///
/// A PUBLISH borrows the input. Every other packet is owned: the pings and
/// the acknowledgements without properties decode without allocating, as
/// with [`Decoder::decode`](crate::Decoder::decode); the rest (CONNECT,
/// SUBACK, acknowledgements with 5.0 properties ...) are decoded from a copy
/// of their bytes, since they are rare and their fields are owned types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PacketView<'a> {
    /// A PUBLISH whose topic and payload point into the input.
    Publish(PublishView<'a>),
    /// Any other packet.
    Packet(Packet),
}

impl PacketView<'_> {
    /// The packet's type.
    pub fn packet_type(&self) -> PacketType {
        match self {
            Self::Publish(_) => PacketType::Publish,
            Self::Packet(p) => p.packet_type(),
        }
    }

    /// The owned packet, copying a PUBLISH's topic and payload.
    pub fn to_packet(&self) -> Packet {
        match self {
            Self::Publish(p) => Packet::Publish(p.to_publish()),
            Self::Packet(p) => p.clone(),
        }
    }
}

/// A PUBLISH read in place: the topic and payload are slices of the input.
///
/// Its 5.0 properties, when it has any, are owned (copied out of the input),
/// like those of a [`Publish`]; without properties nothing is allocated.
///
/// ```
/// use mqtt_proto::{Decoder, PacketView, ProtocolVersion};
///
/// let wire = b"\x30\x07\x00\x03a/bhi\xd0\x00";
/// let mut decoder = Decoder::new(ProtocolVersion::V3_1_1);
/// let (packet, used) = decoder.decode_view(wire).unwrap().unwrap();
/// match packet {
///     PacketView::Publish(p) => {
///         assert_eq!(p.topic.unwrap().as_str(), "a/b");
///         assert_eq!(p.payload, b"hi");
///     }
///     other => panic!("{other:?}"),
/// }
/// assert_eq!(used, 9);
/// // The PINGRESP that follows, then nothing until more bytes arrive.
/// assert!(decoder.decode_view(&wire[used..]).unwrap().is_some());
/// assert_eq!(decoder.decode_view(&wire[wire.len()..]).unwrap(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishView<'a> {
    /// Set on a redelivery of a QoS 1/2 message.
    pub dup: bool,
    /// QoS, with the packet identifier QoS 1 and 2 carry.
    pub delivery: Delivery,
    /// Whether the server retains the message.
    pub retain: bool,
    /// The topic; `None` only in 5.0 when a Topic Alias stands for it.
    pub topic: Option<TopicNameRef<'a>>,
    /// The application message.
    pub payload: &'a [u8],
    /// PUBLISH properties (5.0), allocated only when there are any.
    pub properties: PropertyBox<PublishProperties>,
}

impl<'a> PublishView<'a> {
    /// Reads a PUBLISH body (after the fixed header) in place.
    #[inline(always)]
    pub(crate) fn parse(
        flags: u8,
        body: &'a [u8],
        version: ProtocolVersion,
    ) -> Result<Self, DecodeError> {
        let head = PublishHead::parse(flags, body, version)?;
        let properties = if head.properties.is_empty() {
            PropertyBox::new()
        } else {
            read_properties(&body[head.properties.clone()])?
        };
        let topic = head
            .has_topic()
            .then(|| TopicNameRef::from_validated(&body[2..head.topic_end]));
        head.check_topic(properties.topic_alias.is_some())?;
        Ok(Self {
            dup: head.dup,
            delivery: head.delivery,
            retain: head.retain,
            topic,
            payload: &body[head.properties.end..],
            properties,
        })
    }

    /// The QoS level.
    pub fn qos(&self) -> QoS {
        self.delivery.qos()
    }

    /// The packet identifier, `None` for QoS 0.
    pub fn packet_id(&self) -> Option<PacketId> {
        self.delivery.packet_id()
    }

    /// The topic as a string, empty when only an alias is carried.
    pub fn topic_str(&self) -> &'a str {
        self.topic.map_or("", |t| t.as_str())
    }

    /// The owned [`Publish`], with copies of the topic and payload.
    pub fn to_publish(&self) -> Publish {
        Publish {
            dup: self.dup,
            delivery: self.delivery,
            retain: self.retain,
            topic: self.topic.map(|t| t.to_topic_name()),
            payload: Bytes::copy_from_slice(self.payload),
            properties: self.properties.clone(),
        }
    }
}

/// A non-empty property section, read from a copy: the property types hold
/// `Bytes`, and a section is small next to the payload it travels with.
fn read_properties(section: &[u8]) -> Result<PropertyBox<PublishProperties>, DecodeError> {
    let mut r = Reader::new(Bytes::copy_from_slice(section));
    PublishProperties::read_boxed(&mut r, section.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Decoder, Encoder, Packet, TopicName};
    use bytes::BytesMut;
    use core::num::NonZeroU16;

    fn wire(packet: &Publish, version: ProtocolVersion) -> Vec<u8> {
        let mut buf = BytesMut::new();
        Encoder::new(version).encode(packet, &mut buf).unwrap();
        buf.to_vec()
    }

    #[test]
    fn topic_and_payload_point_into_the_input() {
        let mut publish = Publish::new(TopicName::new("a/b").unwrap(), &b"payload"[..]);
        publish.delivery = Delivery::AtLeastOnce(PacketId::new(9).unwrap());
        let wire = wire(&publish, ProtocolVersion::V3_1_1);
        let input = wire.as_ptr_range();
        let (view, used) = Decoder::new(ProtocolVersion::V3_1_1)
            .decode_view(&wire)
            .unwrap()
            .unwrap();
        let PacketView::Publish(p) = view else {
            panic!("{view:?}")
        };
        assert_eq!(used, wire.len());
        assert!(input.contains(&p.payload.as_ptr()));
        assert!(input.contains(&p.topic.unwrap().as_bytes().as_ptr()));
        assert_eq!(p.packet_id(), PacketId::new(9));
        assert!(!p.properties.is_allocated());
        assert_eq!(p.to_publish(), publish);
    }

    #[test]
    fn a_5_0_alias_stands_for_an_empty_topic_in_place() {
        let mut publish = Publish::new(TopicName::new("t").unwrap(), "x");
        publish.topic = None;
        publish.properties.topic_alias = NonZeroU16::new(3);
        let wire = wire(&publish, ProtocolVersion::V5);
        let (view, _) = Decoder::new(ProtocolVersion::V5)
            .decode_view(&wire)
            .unwrap()
            .unwrap();
        let PacketView::Publish(p) = &view else {
            panic!("{view:?}")
        };
        assert_eq!(p.topic, None);
        assert_eq!(p.topic_str(), "");
        assert_eq!(p.properties.topic_alias, NonZeroU16::new(3));
        assert_eq!(view.to_packet(), Packet::Publish(publish));
    }

    #[test]
    fn other_packets_come_out_owned_and_connect_sets_the_version() {
        let mut decoder = Decoder::new(ProtocolVersion::V3_1_1);
        // CONNECT naming 5.0 (level 5, clean start, keepalive 60, no
        // properties, client id "c"), then a 5.0 PUBACK with a reason code.
        let wire = b"\x10\x0e\x00\x04MQTT\x05\x02\x00\x3c\x00\x00\x01c\x40\x03\x00\x01\x10";
        let (first, used) = decoder.decode_view(wire).unwrap().unwrap();
        assert_eq!(first.packet_type(), PacketType::Connect);
        assert_eq!(decoder.version(), ProtocolVersion::V5);
        let (second, _) = decoder.decode_view(&wire[used..]).unwrap().unwrap();
        let PacketView::Packet(Packet::PubAck(ack)) = second else {
            panic!("{second:?}")
        };
        assert_eq!(ack.reason, crate::ReasonCode::NoMatchingSubscribers);
    }
}
