use super::frame::sealed::Body;
use super::PacketType;
use crate::error::{DecodeError, EncodeError};
use crate::properties::ReadSection;
use crate::properties::{ConnectProperties, WillProperties};
use crate::qos::QoS;
use crate::string::MqttString;
use crate::topic::TopicName;
use crate::version::ProtocolVersion;
use crate::wire::{binary_len, put_prefixed, Put, Reader};
use bytes::{Bytes, BytesMut};

const FLAG_USERNAME: u8 = 0x80;
const FLAG_PASSWORD: u8 = 0x40;
const FLAG_WILL_RETAIN: u8 = 0x20;
const FLAG_WILL: u8 = 0x04;
const FLAG_CLEAN: u8 = 0x02;
const FLAG_RESERVED: u8 = 0x01;
const V3_1_MAX_CLIENT_ID: usize = 23;

/// A CONNECT packet. Unlike every other packet it names its own protocol
/// version, so it is encoded and decoded at [`Connect::protocol`] whatever
/// version the codec is set to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connect {
    /// The protocol version the client speaks.
    pub protocol: ProtocolVersion,
    /// Clean Session (3.x) or Clean Start (5.0).
    pub clean_start: bool,
    /// Keep alive in seconds; 0 disables it.
    pub keep_alive: u16,
    /// The client identifier; may be empty in 3.1.1 and 5.0 for a server-assigned one.
    pub client_id: MqttString,
    /// The will message.
    pub will: Option<LastWill>,
    /// The user name.
    pub username: Option<MqttString>,
    /// The password (binary data).
    pub password: Option<Bytes>,
    /// CONNECT properties (5.0).
    pub properties: ConnectProperties,
}

/// The will message of CONNECT, published by the server when the connection
/// ends without a normal DISCONNECT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastWill {
    /// The topic to publish to.
    pub topic: TopicName,
    /// The payload.
    pub payload: Bytes,
    /// The QoS to publish with.
    pub qos: QoS,
    /// Whether the will is retained.
    pub retain: bool,
    /// Will properties (5.0).
    pub properties: WillProperties,
}

impl Connect {
    /// A CONNECT with a clean start, a 60-second keepalive and nothing else.
    pub fn new(protocol: ProtocolVersion, client_id: MqttString) -> Self {
        Self {
            protocol,
            clean_start: true,
            keep_alive: 60,
            client_id,
            will: None,
            username: None,
            password: None,
            properties: ConnectProperties::default(),
        }
    }

    /// Decodes a CONNECT body; the version comes from the packet.
    pub(crate) fn decode(r: &mut Reader) -> Result<Self, DecodeError> {
        let name = r.binary("protocol name")?;
        let level = r.u8("protocol level")?;
        let protocol = ProtocolVersion::from_name_and_level(&name, level).ok_or_else(|| {
            DecodeError::UnsupportedProtocol {
                name: String::from_utf8_lossy(&name).into_owned(),
                level,
            }
        })?;
        let flags = r.u8("connect flags")?;
        if flags & FLAG_RESERVED != 0 {
            return Err(DecodeError::ConnectReservedFlag);
        }
        let will_qos = QoS::from_u8((flags >> 3) & 0x03)
            .ok_or(DecodeError::InvalidQoS { field: "will QoS" })?;
        let has_will = flags & FLAG_WILL != 0;
        if !has_will && (will_qos != QoS::AtMostOnce || flags & FLAG_WILL_RETAIN != 0) {
            return Err(DecodeError::WillFlagsWithoutWill);
        }
        let has_username = flags & FLAG_USERNAME != 0;
        let has_password = flags & FLAG_PASSWORD != 0;
        if has_password && !has_username && !protocol.is_v5() {
            return Err(DecodeError::PasswordWithoutUsername);
        }
        let keep_alive = r.u16("keep alive")?;
        let properties = if protocol.is_v5() {
            ConnectProperties::read(r)?
        } else {
            ConnectProperties::default()
        };
        let client_id = r.string("client identifier")?;
        if protocol == ProtocolVersion::V3_1 && !(1..=V3_1_MAX_CLIENT_ID).contains(&client_id.len())
        {
            return Err(DecodeError::ClientIdLength(client_id.len()));
        }
        let will = if has_will {
            let properties = if protocol.is_v5() {
                WillProperties::read(r)?
            } else {
                WillProperties::default()
            };
            Some(LastWill {
                topic: r.topic_name("will topic")?,
                payload: r.binary("will payload")?,
                qos: will_qos,
                retain: flags & FLAG_WILL_RETAIN != 0,
                properties,
            })
        } else {
            None
        };
        let username = has_username.then(|| r.string("user name")).transpose()?;
        let password = has_password.then(|| r.binary("password")).transpose()?;
        Ok(Self {
            protocol,
            clean_start: flags & FLAG_CLEAN != 0,
            keep_alive,
            client_id,
            will,
            username,
            password,
            properties,
        })
    }

    fn connect_flags(&self) -> u8 {
        let mut flags = 0;
        if self.clean_start {
            flags |= FLAG_CLEAN;
        }
        if let Some(will) = &self.will {
            flags |= FLAG_WILL | ((will.qos as u8) << 3);
            if will.retain {
                flags |= FLAG_WILL_RETAIN;
            }
        }
        if self.username.is_some() {
            flags |= FLAG_USERNAME;
        }
        if self.password.is_some() {
            flags |= FLAG_PASSWORD;
        }
        flags
    }
}

impl Body for Connect {
    fn packet_type(&self) -> PacketType {
        PacketType::Connect
    }

    /// Checked against the packet's own protocol; `_version` is ignored.
    fn body_len(&self, _version: ProtocolVersion) -> Result<usize, EncodeError> {
        let v = self.protocol;
        if v == ProtocolVersion::V3_1 && !(1..=V3_1_MAX_CLIENT_ID).contains(&self.client_id.len()) {
            return Err(EncodeError::ClientIdLength(self.client_id.len()));
        }
        if !v.is_v5() {
            if self.password.is_some() && self.username.is_none() {
                return Err(EncodeError::PasswordWithoutUsername);
            }
            if !self.properties.is_empty() {
                return Err(EncodeError::PropertiesNotSupported {
                    packet: "CONNECT",
                    version: v,
                });
            }
            if self.will.as_ref().is_some_and(|w| !w.properties.is_empty()) {
                return Err(EncodeError::PropertiesNotSupported {
                    packet: "will",
                    version: v,
                });
            }
        }
        let mut len = 2 + v.protocol_name().len() + 1 + 1 + 2 + 2 + self.client_id.len();
        if v.is_v5() {
            self.properties.check()?;
            len += self.properties.wire_len();
        }
        if let Some(will) = &self.will {
            len += 2 + will.topic.len() + binary_len(&will.payload, "will payload")?;
            if v.is_v5() {
                will.properties.check()?;
                len += will.properties.wire_len();
            }
        }
        if let Some(username) = &self.username {
            len += 2 + username.len();
        }
        if let Some(password) = &self.password {
            len += binary_len(password, "password")?;
        }
        Ok(len)
    }

    fn write_body(&self, _version: ProtocolVersion, buf: &mut BytesMut) {
        let v = self.protocol;
        put_prefixed(buf, v.protocol_name().as_bytes());
        buf.put_u8(v.level());
        buf.put_u8(self.connect_flags());
        buf.put_u16(self.keep_alive);
        if v.is_v5() {
            self.properties.write(buf);
        }
        put_prefixed(buf, self.client_id.as_bytes());
        if let Some(will) = &self.will {
            if v.is_v5() {
                will.properties.write(buf);
            }
            put_prefixed(buf, will.topic.as_bytes());
            put_prefixed(buf, &will.payload);
        }
        if let Some(username) = &self.username {
            put_prefixed(buf, username.as_bytes());
        }
        if let Some(password) = &self.password {
            put_prefixed(buf, password);
        }
    }
}
