use super::frame::sealed::Body;
use super::{Packet, PacketType};
use crate::error::{DecodeError, EncodeError};
use crate::properties::ReadSection;
use crate::properties::{PropertyBox, PublishProperties};
use crate::qos::{Delivery, PacketId, QoS};
use crate::topic::TopicName;
use crate::version::ProtocolVersion;
use crate::wire::{put_prefixed, Put, Reader};
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
    /// would copy its couple of hundred bytes whenever this is not inlined.
    #[inline]
    pub(crate) fn decode_packet(
        flags: u8,
        mut r: Reader,
        version: ProtocolVersion,
    ) -> Result<Option<Packet>, DecodeError> {
        let dup = flags & 0x08 != 0;
        let retain = flags & 0x01 != 0;
        let qos = QoS::from_u8((flags >> 1) & 0x03).ok_or(DecodeError::InvalidQoS {
            field: "PUBLISH fixed header",
        })?;
        if dup && qos == QoS::AtMostOnce {
            return Err(DecodeError::DupOnQoS0);
        }
        let raw_topic = r.binary("topic name")?;
        // The topic name is checked where it stands, so its faults come
        // before those of later fields; only an empty one in 5.0 waits for
        // the properties, where a Topic Alias may stand for it.
        let topic = if raw_topic.is_empty() && version.is_v5() {
            None
        } else {
            Some(TopicName::from_bytes(raw_topic).map_err(|source| {
                DecodeError::InvalidTopicName {
                    field: "topic name",
                    source,
                }
            })?)
        };
        let delivery = match qos {
            QoS::AtMostOnce => Delivery::AtMostOnce,
            qos => {
                let id = PacketId::new(r.u16("packet identifier")?).ok_or(
                    DecodeError::ZeroPacketId {
                        packet: PacketType::Publish,
                    },
                )?;
                Delivery::with_id(qos, id)
            }
        };
        let properties = if version.is_v5() {
            PublishProperties::read_boxed(&mut r)?
        } else {
            PropertyBox::new()
        };
        if topic.is_none() && properties.topic_alias.is_none() {
            return Err(DecodeError::MissingTopic);
        }
        Ok(Some(Packet::Publish(Self {
            dup,
            delivery,
            retain,
            topic,
            payload: r.into_rest(),
            properties,
        })))
    }
}

impl Body for Publish {
    fn packet_type(&self) -> PacketType {
        PacketType::Publish
    }

    fn flags(&self) -> u8 {
        (u8::from(self.dup) << 3) | ((self.qos() as u8) << 1) | u8::from(self.retain)
    }

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
