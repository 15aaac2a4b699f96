use super::disconnect::{read_reason, reason_body_len, write_reason};
use super::frame::sealed::Body;
use super::PacketType;
use crate::error::{DecodeError, EncodeError};
use crate::properties::ReadSection;
use crate::properties::{AuthProperties, PropertyBox};
use crate::reason::ReasonCode;
use crate::version::ProtocolVersion;
use crate::wire::Reader;
use bytes::BytesMut;

/// An AUTH packet (5.0 only): one step of an enhanced authentication exchange.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Auth {
    /// Success, Continue authentication or Re-authenticate.
    pub reason: ReasonCode,
    /// Method, data, reason string and user properties.
    pub properties: PropertyBox<AuthProperties>,
}

impl Auth {
    pub(crate) fn decode(r: &mut Reader, version: ProtocolVersion) -> Result<Self, DecodeError> {
        // Unlike DISCONNECT, AUTH has no form with a reason code but no
        // property length: both are omitted, or both are present (3.15.2.1).
        if r.remaining() == 1 {
            return Err(DecodeError::Truncated("property length"));
        }
        let (reason, has_properties) = read_reason(r, version, PacketType::Auth)?;
        let properties: PropertyBox<AuthProperties> = if has_properties {
            AuthProperties::read(r)?.into()
        } else {
            PropertyBox::new()
        };
        // "It is a Protocol Error to omit the Authentication Method"
        // (3.15.2.2.2): every AUTH names the method [MQTT-4.12.0-5].
        if properties.authentication_method.is_none() {
            return Err(DecodeError::MissingAuthenticationMethod);
        }
        Ok(Self { reason, properties })
    }
}

impl Body for Auth {
    fn packet_type(&self) -> PacketType {
        PacketType::Auth
    }

    fn body_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        let len = reason_body_len(
            PacketType::Auth,
            self.reason,
            version,
            self.properties.is_empty(),
            || {
                self.properties.check()?;
                Ok(self.properties.wire_len())
            },
        )?;
        if self.properties.authentication_method.is_none() {
            return Err(EncodeError::MissingAuthenticationMethod);
        }
        Ok(len)
    }

    fn write_body(&self, version: ProtocolVersion, buf: &mut BytesMut) {
        if write_reason(
            PacketType::Auth,
            self.reason,
            version,
            self.properties.is_empty(),
            buf,
        ) {
            self.properties.write(buf);
        }
    }
}
