use super::frame::sealed::Body;
use super::{Packet, PacketType};
use crate::error::{DecodeError, EncodeError};
use crate::properties::ReadSection;
use crate::properties::{PropertyBox, PublishProperties};
use crate::qos::{Delivery, PacketId, QoS};
use crate::topic::{validate_name, TopicName};
use crate::version::ProtocolVersion;
use crate::wire::{put_prefixed, read_varint, Put, Reader};
use bytes::{Bytes, BytesMut};

/// A PUBLISH packet: an application message.
///
/// A decoded publish's topic and payload are views into the received buffer.
///
/// ```
/// use mqtt_proto::{Delivery, PacketId, Publish, QoS, TopicName};
/// let mut publish = Publish::new(TopicName::new("a/b").unwrap(), "hello");
/// publish.delivery = Delivery::AtLeastOnce(PacketId::new(7).unwrap());
/// assert_eq!(publish.qos(), QoS::AtLeastOnce);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish {
    /// Set on a redelivery of a QoS 1/2 message; never on QoS 0 [MQTT-3.3.1-2].
    pub dup: bool,
    /// QoS, with the packet identifier QoS 1 and 2 carry.
    pub delivery: Delivery,
    /// Whether the server retains the message.
    pub retain: bool,
    /// The topic; `None` only in 5.0 when a topic alias stands for it.
    pub topic: Option<TopicName>,
    /// The application message.
    pub payload: Bytes,
    /// PUBLISH properties (5.0), allocated only when there are any.
    pub properties: PropertyBox<PublishProperties>,
}

impl Publish {
    /// A QoS 0, non-retained publish of `payload` to `topic`.
    pub fn new(topic: TopicName, payload: impl Into<Bytes>) -> Self {
        Self {
            dup: false,
            delivery: Delivery::AtMostOnce,
            retain: false,
            topic: Some(topic),
            payload: payload.into(),
            properties: PropertyBox::new(),
        }
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
    pub fn topic_str(&self) -> &str {
        self.topic.as_ref().map_or("", TopicName::as_str)
    }

    /// Decodes a body into the value [`Decoder::decode`](crate::Decoder::decode)
    /// returns, built in place: returning a `Publish` for the caller to wrap
    /// would copy its 80 bytes into the 128-byte `Packet` whenever this is
    /// not inlined.
    #[inline]
    pub(crate) fn decode_packet(
        flags: u8,
        body: Bytes,
        version: ProtocolVersion,
    ) -> Result<Option<Packet>, DecodeError> {
        let head = PublishHead::parse(flags, &body, version)?;
        let topic = head
            .has_topic()
            .then(|| TopicName::from_validated(body.slice(2..head.topic_end)));
        // The payload is what is left of `body` once the properties are
        // read, so it costs no reference count of its own.
        let mut r = Reader::starting_at(body, head.properties.start);
        let properties = if head.properties.is_empty() {
            PropertyBox::new()
        } else {
            PublishProperties::read_boxed(&mut r, head.properties.len())?
        };
        head.check_topic(properties.topic_alias.is_some())?;
        Ok(Some(Packet::Publish(Self {
            dup: head.dup,
            delivery: head.delivery,
            retain: head.retain,
            topic,
            payload: r.into_rest(),
            properties,
        })))
    }
}

/// Where the parts of a received PUBLISH lie in its body, with everything
/// checked but the property values: what the owned decoder and the borrowed
/// one ([`PublishView`](crate::PublishView)) share.
pub(crate) struct PublishHead {
    pub(crate) dup: bool,
    pub(crate) retain: bool,
    pub(crate) delivery: Delivery,
    /// The topic name is `body[2..topic_end]`; `topic_end == 2` only in 5.0,
    /// where an empty name leaves the topic to a Topic Alias.
    pub(crate) topic_end: usize,
    /// The property section after its length; empty in 3.x and when there
    /// are none. The payload follows it.
    pub(crate) properties: core::ops::Range<usize>,
}

impl PublishHead {
    /// Reads the fixed header's flags and the body up to the properties.
    ///
    /// Faults are reported in the order of the fields: the topic name's
    /// before the packet identifier's, before the property length's; an
    /// empty 5.0 topic is judged by the caller once the properties are read.
    // Always inlined: returned through memory, its result is read back
    // before the stores have landed, which stalls more than it parses.
    #[inline(always)]
    pub(crate) fn parse(
        flags: u8,
        body: &[u8],
        version: ProtocolVersion,
    ) -> Result<Self, DecodeError> {
        let dup = flags & 0x08 != 0;
        let retain = flags & 0x01 != 0;
        let qos = QoS::from_u8((flags >> 1) & 0x03).ok_or(DecodeError::InvalidQoS {
            field: "PUBLISH fixed header",
        })?;
        if dup && qos == QoS::AtMostOnce {
            return Err(DecodeError::DupOnQoS0);
        }
        let &[hi, lo, ..] = body else {
            return Err(DecodeError::Truncated("topic name"));
        };
        let topic_end = 2 + usize::from(u16::from_be_bytes([hi, lo]));
        let Some(topic) = body.get(2..topic_end) else {
            return Err(DecodeError::Truncated("topic name"));
        };
        if !(topic.is_empty() && version.is_v5()) {
            validate_name(topic).map_err(|source| DecodeError::InvalidTopicName {
                field: "topic name",
                source,
            })?;
        }
        let mut pos = topic_end;
        let delivery = match qos {
            QoS::AtMostOnce => Delivery::AtMostOnce,
            qos => {
                let Some(&[hi, lo]) = body.get(pos..pos + 2) else {
                    return Err(DecodeError::Truncated("packet identifier"));
                };
                let id = PacketId::new(u16::from_be_bytes([hi, lo])).ok_or(
                    DecodeError::ZeroPacketId {
                        packet: PacketType::Publish,
                    },
                )?;
                pos += 2;
                Delivery::with_id(qos, id)
            }
        };
        let properties = if version.is_v5() {
            let Some((len, n)) = read_varint(&body[pos..], "property length")? else {
                return Err(DecodeError::Truncated("property length"));
            };
            let start = pos + n;
            let len = len as usize;
            if len > body.len() - start {
                return Err(DecodeError::Truncated("properties"));
            }
            start..start + len
        } else {
            pos..pos
        };
        Ok(Self {
            dup,
            retain,
            delivery,
            topic_end,
            properties,
        })
    }

    /// Whether the packet names its topic (always, but for a 5.0 alias).
    #[inline]
    pub(crate) fn has_topic(&self) -> bool {
        self.topic_end > 2
    }

    /// Refuses a PUBLISH with neither a topic name nor a Topic Alias, once
    /// the properties are read and `has_alias` is known.
    #[inline]
    pub(crate) fn check_topic(&self, has_alias: bool) -> Result<(), DecodeError> {
        if self.has_topic() || has_alias {
            Ok(())
        } else {
            Err(DecodeError::MissingTopic)
        }
    }
}

impl Body for Publish {
    fn packet_type(&self) -> PacketType {
        PacketType::Publish
    }

    fn flags(&self) -> u8 {
        (u8::from(self.dup) << 3) | ((self.qos() as u8) << 1) | u8::from(self.retain)
    }

    #[inline]
    fn body_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        if self.dup && self.qos() == QoS::AtMostOnce {
            return Err(EncodeError::DupOnQoS0);
        }
        let mut len = 2 + self.topic.as_ref().map_or(0, TopicName::len) + self.payload.len();
        if self.qos() != QoS::AtMostOnce {
            len += 2;
        }
        if version.is_v5() {
            if self.topic.is_none() && self.properties.topic_alias.is_none() {
                return Err(EncodeError::MissingTopic);
            }
            len += match self.properties.allocated() {
                // Just the zero property length.
                None => 1,
                Some(properties) => {
                    properties.check()?;
                    properties.wire_len()
                }
            };
        } else {
            if self.topic.is_none() {
                return Err(EncodeError::MissingTopic);
            }
            if self.properties.allocated().is_some_and(|p| !p.is_empty()) {
                return Err(EncodeError::PropertiesNotSupported {
                    packet: "PUBLISH",
                    version,
                });
            }
        }
        Ok(len)
    }

    #[inline]
    fn write_body(&self, version: ProtocolVersion, buf: &mut BytesMut) {
        put_prefixed(
            buf,
            self.topic.as_ref().map_or(&[][..], TopicName::as_bytes),
        );
        if let Some(id) = self.packet_id() {
            buf.put_u16(id.get());
        }
        if version.is_v5() {
            match self.properties.allocated() {
                None => buf.put_u8(0),
                Some(properties) => properties.write(buf),
            }
        }
        buf.put_slice(&self.payload);
    }
}
