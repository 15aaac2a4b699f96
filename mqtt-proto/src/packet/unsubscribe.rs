use super::frame::sealed::Body;
use super::subscribe::{
    check_reasons, check_v5, properties_len, read_filter, read_packet_id, read_reasons,
    write_reasons,
};
use super::PacketType;
use crate::error::{DecodeError, EncodeError};
use crate::properties::ReadSection;
use crate::properties::{AckProperties, PropertyBox, UnsubscribeProperties};
use crate::qos::PacketId;
use crate::reason::ReasonCode;
use crate::topic::TopicFilter;
use crate::version::ProtocolVersion;
use crate::wire::{put_prefixed, Put, Reader};
use bytes::BytesMut;

/// An UNSUBSCRIBE packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    /// The packet identifier.
    pub packet_id: PacketId,
    /// One or more filters to remove.
    pub filters: Vec<TopicFilter>,
    /// UNSUBSCRIBE properties (5.0).
    pub properties: UnsubscribeProperties,
}

impl Unsubscribe {
    pub(crate) fn decode(r: &mut Reader, version: ProtocolVersion) -> Result<Self, DecodeError> {
        let packet_id = read_packet_id(r, PacketType::Unsubscribe)?;
        let properties = if version.is_v5() {
            UnsubscribeProperties::read(r)?
        } else {
            UnsubscribeProperties::default()
        };
        let mut filters = Vec::new();
        while r.remaining() > 0 {
            filters.push(read_filter(r, version)?);
        }
        if filters.is_empty() {
            return Err(DecodeError::EmptyUnsubscribe);
        }
        Ok(Self {
            packet_id,
            filters,
            properties,
        })
    }
}

impl Body for Unsubscribe {
    fn packet_type(&self) -> PacketType {
        PacketType::Unsubscribe
    }

    fn body_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        if self.filters.is_empty() {
            return Err(EncodeError::NoTopicFilters(PacketType::Unsubscribe));
        }
        if version.is_v5() {
            self.filters.iter().try_for_each(check_v5)?;
        }
        let props = properties_len(version, "UNSUBSCRIBE", self.properties.is_empty(), || {
            self.properties.check()?;
            Ok(self.properties.wire_len())
        })?;
        Ok(2 + props + self.filters.iter().map(|f| 2 + f.len()).sum::<usize>())
    }

    fn write_body(&self, version: ProtocolVersion, buf: &mut BytesMut) {
        buf.put_u16(self.packet_id.get());
        if version.is_v5() {
            self.properties.write(buf);
        }
        for f in &self.filters {
            put_prefixed(buf, f.as_bytes());
        }
    }
}

/// An UNSUBACK packet. In 3.x it carries only the packet identifier and
/// `reasons` is empty; in 5.0 it has one result per filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsubAck {
    /// The identifier of the UNSUBSCRIBE acknowledged.
    pub packet_id: PacketId,
    /// The result of each filter (5.0).
    pub reasons: Vec<ReasonCode>,
    /// Reason string and user properties (5.0).
    pub properties: PropertyBox<AckProperties>,
}

impl UnsubAck {
    pub(crate) fn decode(r: &mut Reader, version: ProtocolVersion) -> Result<Self, DecodeError> {
        let packet_id = read_packet_id(r, PacketType::UnsubAck)?;
        if !version.is_v5() {
            return Ok(Self {
                packet_id,
                reasons: Vec::new(),
                properties: PropertyBox::new(),
            });
        }
        let properties = AckProperties::read(r)?.into();
        let reasons = read_reasons(r, PacketType::UnsubAck, version)?;
        Ok(Self {
            packet_id,
            reasons,
            properties,
        })
    }
}

impl Body for UnsubAck {
    fn packet_type(&self) -> PacketType {
        PacketType::UnsubAck
    }

    fn body_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        if !version.is_v5() {
            // A 3.x UNSUBACK has no payload: any result, even Success, would
            // be dropped on the wire and decode as a different packet.
            if let Some(&code) = self.reasons.first() {
                return Err(EncodeError::ReasonCodeNotSupported {
                    packet: PacketType::UnsubAck,
                    code,
                    version,
                });
            }
            if !self.properties.is_empty() {
                return Err(EncodeError::PropertiesNotSupported {
                    packet: "UNSUBACK",
                    version,
                });
            }
            return Ok(2);
        }
        check_reasons(&self.reasons, PacketType::UnsubAck, version)?;
        self.properties.check()?;
        Ok(2 + self.properties.wire_len() + self.reasons.len())
    }

    fn write_body(&self, version: ProtocolVersion, buf: &mut BytesMut) {
        buf.put_u16(self.packet_id.get());
        if version.is_v5() {
            self.properties.write(buf);
            write_reasons(&self.reasons, version, buf);
        }
    }
}
