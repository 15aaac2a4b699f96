use super::frame::sealed::Body;
use super::PacketType;
use crate::error::{DecodeError, EncodeError};
use crate::properties::ReadSection;
use crate::properties::{DisconnectProperties, PropertyBox};
use crate::reason::ReasonCode;
use crate::version::ProtocolVersion;
use crate::wire::{Put, Reader};
use bytes::BytesMut;

/// A DISCONNECT packet. Before 5.0 it has no body, so only a Normal
/// disconnection without properties can be sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Disconnect {
    /// Why the connection ends.
    pub reason: ReasonCode,
    /// DISCONNECT properties (5.0).
    pub properties: PropertyBox<DisconnectProperties>,
}

impl Disconnect {
    /// A DISCONNECT with `reason` and no properties.
    pub fn new(reason: ReasonCode) -> Self {
        Self {
            reason,
            properties: PropertyBox::new(),
        }
    }

    pub(crate) fn decode(r: &mut Reader, version: ProtocolVersion) -> Result<Self, DecodeError> {
        let (reason, has_properties) = read_reason(r, version, PacketType::Disconnect)?;
        let properties = if has_properties {
            DisconnectProperties::read(r)?.into()
        } else {
            PropertyBox::new()
        };
        Ok(Self { reason, properties })
    }
}

impl Body for Disconnect {
    fn packet_type(&self) -> PacketType {
        PacketType::Disconnect
    }

    fn body_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        reason_body_len(
            PacketType::Disconnect,
            self.reason,
            version,
            self.properties.is_empty(),
            || {
                self.properties.check()?;
                Ok(self.properties.wire_len())
            },
        )
    }

    fn write_body(&self, version: ProtocolVersion, buf: &mut BytesMut) {
        if write_reason(
            PacketType::Disconnect,
            self.reason,
            version,
            self.properties.is_empty(),
            buf,
        ) {
            self.properties.write(buf);
        }
    }
}

/// Reads the reason code of DISCONNECT or AUTH, which 5.0 lets a sender omit
/// (meaning Success) along with the properties. Returns whether properties follow.
pub(super) fn read_reason(
    r: &mut Reader,
    version: ProtocolVersion,
    packet: PacketType,
) -> Result<(ReasonCode, bool), DecodeError> {
    if !version.is_v5() || r.remaining() == 0 {
        return Ok((ReasonCode::Success, false));
    }
    let code = r.u8("reason code")?;
    let reason = ReasonCode::from_u8(code)
        .filter(|c| c.is_valid_for(packet))
        .ok_or(DecodeError::InvalidReasonCode { packet, code })?;
    Ok((reason, r.remaining() > 0))
}

/// The body size of DISCONNECT or AUTH in its shortest allowed form.
pub(super) fn reason_body_len(
    packet: PacketType,
    reason: ReasonCode,
    version: ProtocolVersion,
    empty: bool,
    properties_len: impl FnOnce() -> Result<usize, EncodeError>,
) -> Result<usize, EncodeError> {
    if !version.is_v5() {
        if packet == PacketType::Auth {
            return Err(EncodeError::PacketNotSupported { packet, version });
        }
        if reason != ReasonCode::Success {
            return Err(EncodeError::ReasonCodeNotSupported {
                packet,
                code: reason,
                version,
            });
        }
        if !empty {
            return Err(EncodeError::PropertiesNotSupported {
                packet: "DISCONNECT",
                version,
            });
        }
        return Ok(0);
    }
    if !reason.is_valid_for(packet) {
        return Err(EncodeError::ReasonCodeNotSupported {
            packet,
            code: reason,
            version,
        });
    }
    Ok(match (reason, empty) {
        (ReasonCode::Success, true) => 0,
        // Only DISCONNECT may stop after the reason code (3.14.2.2.1); AUTH
        // omits the reason code and the property length together or not at all (3.15.2.1).
        (_, true) if packet == PacketType::Disconnect => 1,
        _ => 1 + properties_len()?,
    })
}

/// Writes the reason code if the short form does not apply; returns whether
/// the property section must follow.
pub(super) fn write_reason(
    packet: PacketType,
    reason: ReasonCode,
    version: ProtocolVersion,
    empty: bool,
    buf: &mut BytesMut,
) -> bool {
    if !version.is_v5() || (reason == ReasonCode::Success && empty) {
        return false;
    }
    buf.put_u8(reason.as_u8());
    !empty || packet == PacketType::Auth
}
