use super::PacketType;
use crate::error::{DecodeError, EncodeError};
use crate::properties::ReadSection;
use crate::properties::{AckProperties, PropertyBox};
use crate::qos::PacketId;
use crate::reason::ReasonCode;
use crate::version::ProtocolVersion;
use crate::wire::{Put, Reader};
use bytes::BytesMut;

/// The body of PUBACK, PUBREC, PUBREL and PUBCOMP: a packet identifier and,
/// in 5.0, a reason code and properties.
///
/// In 5.0 the reason code and the properties are omitted on the wire when
/// they are Success and empty, as the specification allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// The identifier of the publish being acknowledged.
    pub packet_id: PacketId,
    /// The outcome; always Success in 3.x.
    pub reason: ReasonCode,
    /// Reason string and user properties (5.0), on the heap only when
    /// present: almost every acknowledgement has none, and an inline set
    /// would cost every ack a larger packet to move and a drop to run.
    pub properties: PropertyBox<AckProperties>,
}

impl Ack {
    /// A successful acknowledgement of `packet_id`.
    pub fn new(packet_id: PacketId) -> Self {
        Self {
            packet_id,
            reason: ReasonCode::Success,
            properties: PropertyBox::new(),
        }
    }

    /// An acknowledgement of `packet_id` with `reason`.
    pub fn with_reason(packet_id: PacketId, reason: ReasonCode) -> Self {
        Self {
            reason,
            ..Self::new(packet_id)
        }
    }

    fn packet_id_from(t: PacketType, bytes: &[u8]) -> Result<PacketId, DecodeError> {
        if bytes.len() < 2 {
            return Err(DecodeError::Truncated("packet identifier"));
        }
        PacketId::new(u16::from_be_bytes([bytes[0], bytes[1]]))
            .ok_or(DecodeError::ZeroPacketId { packet: t })
    }

    fn reason_from(t: PacketType, byte: u8) -> Result<ReasonCode, DecodeError> {
        ReasonCode::from_u8(byte)
            .filter(|r| r.is_valid_for(t))
            .ok_or(DecodeError::InvalidReasonCode {
                packet: t,
                code: byte,
            })
    }

    /// Reads a body without properties straight from the input: the packet
    /// identifier and the reason code, which are all such an ack holds.
    #[inline]
    pub(crate) fn decode_short(
        t: PacketType,
        body: &[u8],
        version: ProtocolVersion,
    ) -> Result<(PacketId, ReasonCode), DecodeError> {
        let packet_id = Self::packet_id_from(t, body)?;
        let reason = match (version.is_v5(), body.len()) {
            (_, 2) => ReasonCode::Success,
            (true, 3) => Self::reason_from(t, body[2])?,
            (_, n) => {
                return Err(DecodeError::TrailingBytes {
                    packet: t,
                    extra: n - 2,
                })
            }
        };
        Ok((packet_id, reason))
    }

    /// Decodes a 5.0 body with properties.
    pub(crate) fn decode(
        t: PacketType,
        r: &mut Reader,
        version: ProtocolVersion,
    ) -> Result<Self, DecodeError> {
        let packet_id = PacketId::new(r.u16("packet identifier")?)
            .ok_or(DecodeError::ZeroPacketId { packet: t })?;
        if !version.is_v5() || r.remaining() == 0 {
            return Ok(Self::new(packet_id));
        }
        let reason = Self::reason_from(t, r.u8("reason code")?)?;
        let properties = if r.remaining() > 0 {
            AckProperties::read(r)?.into()
        } else {
            PropertyBox::new()
        };
        Ok(Self {
            packet_id,
            reason,
            properties,
        })
    }

    #[inline]
    pub(crate) fn len_as(
        &self,
        t: PacketType,
        version: ProtocolVersion,
    ) -> Result<usize, EncodeError> {
        if !version.is_v5() {
            if self.reason != ReasonCode::Success {
                return Err(EncodeError::ReasonCodeNotSupported {
                    packet: t,
                    code: self.reason,
                    version,
                });
            }
            if !self.properties.is_empty() {
                return Err(EncodeError::PropertiesNotSupported {
                    packet: "acknowledgement",
                    version,
                });
            }
            return Ok(2);
        }
        if !self.reason.is_valid_for(t) {
            return Err(EncodeError::ReasonCodeNotSupported {
                packet: t,
                code: self.reason,
                version,
            });
        }
        self.properties.check()?;
        Ok(match (self.reason, self.properties.is_empty()) {
            (ReasonCode::Success, true) => 2,
            (_, true) => 3,
            (_, false) => 3 + self.properties.wire_len(),
        })
    }

    #[inline]
    pub(crate) fn write(&self, version: ProtocolVersion, buf: &mut BytesMut) {
        buf.put_u16(self.packet_id.get());
        if !version.is_v5() {
            return;
        }
        let empty = self.properties.is_empty();
        if self.reason != ReasonCode::Success || !empty {
            buf.put_u8(self.reason.as_u8());
        }
        if !empty {
            self.properties.write(buf);
        }
    }
}
