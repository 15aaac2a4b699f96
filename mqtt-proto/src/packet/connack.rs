use super::frame::sealed::Body;
use super::PacketType;
use crate::error::{DecodeError, EncodeError};
use crate::properties::ConnAckProperties;
use crate::properties::ReadSection;
use crate::reason::ReasonCode;
use crate::version::ProtocolVersion;
use crate::wire::{Put, Reader};
use bytes::BytesMut;

/// A CONNACK packet. 3.x return codes are mapped onto 5.0 reason codes
/// (see [`ReasonCode::from_v3_connack`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnAck {
    /// Whether the server resumed a session for this client.
    pub session_present: bool,
    /// The outcome of the connection attempt.
    pub reason: ReasonCode,
    /// CONNACK properties (5.0).
    pub properties: ConnAckProperties,
}

impl ConnAck {
    pub(crate) fn decode(r: &mut Reader, version: ProtocolVersion) -> Result<Self, DecodeError> {
        let flags = r.u8("acknowledge flags")?;
        if flags & 0xFE != 0 {
            return Err(DecodeError::InvalidConnAckFlags(flags));
        }
        let code = r.u8("return code")?;
        let reason = if version.is_v5() {
            ReasonCode::from_u8(code).filter(|r| r.is_valid_for(PacketType::ConnAck))
        } else {
            ReasonCode::from_v3_connack(code)
        }
        .ok_or(DecodeError::InvalidReasonCode {
            packet: PacketType::ConnAck,
            code,
        })?;
        let session_present = flags & 0x01 != 0;
        if session_present && reason != ReasonCode::Success {
            return Err(DecodeError::SessionPresentOnFailure);
        }
        let properties = if version.is_v5() {
            ConnAckProperties::read(r)?
        } else {
            ConnAckProperties::default()
        };
        Ok(Self {
            session_present,
            reason,
            properties,
        })
    }
}

impl Body for ConnAck {
    fn packet_type(&self) -> PacketType {
        PacketType::ConnAck
    }

    fn body_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        let unsupported = EncodeError::ReasonCodeNotSupported {
            packet: PacketType::ConnAck,
            code: self.reason,
            version,
        };
        if self.session_present && self.reason != ReasonCode::Success {
            return Err(EncodeError::SessionPresentOnFailure);
        }
        if version.is_v5() {
            if !self.reason.is_valid_for(PacketType::ConnAck) {
                return Err(unsupported);
            }
            self.properties.check()?;
            Ok(2 + self.properties.wire_len())
        } else {
            if self.reason.to_v3_connack().is_none() {
                return Err(unsupported);
            }
            if !self.properties.is_empty() {
                return Err(EncodeError::PropertiesNotSupported {
                    packet: "CONNACK",
                    version,
                });
            }
            Ok(2)
        }
    }

    fn write_body(&self, version: ProtocolVersion, buf: &mut BytesMut) {
        buf.put_u8(u8::from(self.session_present));
        if version.is_v5() {
            buf.put_u8(self.reason.as_u8());
            self.properties.write(buf);
        } else {
            buf.put_u8(self.reason.to_v3_connack().unwrap_or(0x80));
        }
    }
}
