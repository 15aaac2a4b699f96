//! The fixed header and the framing shared by every packet: the encoder
//! sizes and checks the whole packet before writing a byte of it.

use super::{Ack, Auth, ConnAck, Connect, Disconnect, Packet, PacketType, Publish};
use super::{SubAck, Subscribe, UnsubAck, Unsubscribe};
use crate::error::{DecodeError, EncodeError};
use crate::reason::ReasonCode;
use crate::version::ProtocolVersion;
use crate::wire::{put_varint, varint_len, Put, Reader, MAX_VARIABLE_BYTE_INTEGER};
use bytes::{Bytes, BytesMut};

/// The largest packet MQTT can express: fixed header byte, four-byte remaining
/// length, and 268,435,455 bytes of body.
pub const MAX_PACKET_SIZE: usize = 1 + 4 + MAX_VARIABLE_BYTE_INTEGER as usize;

pub(crate) mod sealed {
    use super::*;

    /// What the framing needs from a packet. Sealed: only this crate's packets
    /// can be encoded, so the checks in `body_len` cannot be skipped.
    pub trait Body {
        /// The packet type.
        fn packet_type(&self) -> PacketType;
        /// The low nibble of the first byte.
        fn flags(&self) -> u8 {
            self.packet_type().required_flags()
        }
        /// The remaining length, after checking the packet can be written in `version`.
        fn body_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError>;
        /// Writes exactly `body_len` bytes; only called after `body_len` succeeded.
        fn write_body(&self, version: ProtocolVersion, buf: &mut BytesMut);
        /// The whole packet when it is a plain acknowledgement (success, no
        /// properties): four bytes in every version, written without the
        /// general path, since acknowledgements are as frequent as publishes.
        #[inline]
        fn plain_ack(&self) -> Option<[u8; 4]> {
            None
        }
        /// The PUBLISH inside a [`Packet`], so that the encoder goes
        /// through `Publish`'s own code instead of matching the packet
        /// type at every step.
        #[inline]
        fn as_publish(&self) -> Option<&Publish> {
            None
        }
    }
}

/// A packet that can be written to the wire: every packet type and [`Packet`].
///
/// ```
/// use bytes::BytesMut;
/// use mqtt_proto::{Encodable, ProtocolVersion, Publish, QoS, TopicName};
///
/// let publish = Publish::new(TopicName::new("a/b").unwrap(), "hi");
/// let mut buf = BytesMut::new();
/// let n = publish.encode(ProtocolVersion::V3_1_1, &mut buf).unwrap();
/// assert_eq!(&buf[..n], b"\x30\x07\x00\x03a/bhi");
/// ```
pub trait Encodable: sealed::Body {
    /// The size of the whole packet on the wire, or why it cannot be written.
    fn encoded_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        let remaining = self.body_len(version)?;
        frame_len(remaining, MAX_PACKET_SIZE)
    }

    /// Appends the packet to `buf` and returns its size. On error nothing is written.
    fn encode(&self, version: ProtocolVersion, buf: &mut BytesMut) -> Result<usize, EncodeError> {
        encode_limited(self, version, MAX_PACKET_SIZE, buf)
    }
}

impl<T: sealed::Body> Encodable for T {}

#[inline]
fn frame_len(remaining: usize, max: usize) -> Result<usize, EncodeError> {
    let size = 1 + varint_len(remaining.min(u32::MAX as usize) as u32) + remaining;
    if remaining > MAX_VARIABLE_BYTE_INTEGER as usize || size > max {
        return Err(EncodeError::PacketTooLarge { size, max });
    }
    Ok(size)
}

/// Encodes `packet` if its size does not exceed `max`.
///
/// Always inlined, so that a plain acknowledgement costs a few
/// instructions at the call site; everything else goes to
/// [`encode_general`], which is too large to inline.
#[inline(always)]
pub(crate) fn encode_limited<P: sealed::Body + ?Sized>(
    packet: &P,
    version: ProtocolVersion,
    max: usize,
    buf: &mut BytesMut,
) -> Result<usize, EncodeError> {
    if let Some(ack) = packet.plain_ack() {
        frame_len(2, max)?;
        buf.extend_from_slice(&ack);
        return Ok(ack.len());
    }
    encode_general(packet, version, max, buf)
}

/// [`encode_limited`] for every packet but a plain acknowledgement.
fn encode_general<P: sealed::Body + ?Sized>(
    packet: &P,
    version: ProtocolVersion,
    max: usize,
    buf: &mut BytesMut,
) -> Result<usize, EncodeError> {
    if let Some(publish) = packet.as_publish() {
        return encode_body(publish, version, max, buf);
    }
    encode_body(packet, version, max, buf)
}

/// Writes the fixed header and the body.
fn encode_body<P: sealed::Body + ?Sized>(
    packet: &P,
    version: ProtocolVersion,
    max: usize,
    buf: &mut BytesMut,
) -> Result<usize, EncodeError> {
    let remaining = packet.body_len(version)?;
    let size = frame_len(remaining, max)?;
    buf.reserve(size);
    let start = buf.len();
    buf.put_u8(((packet.packet_type() as u8) << 4) | packet.flags());
    put_varint(buf, remaining as u32);
    packet.write_body(version, buf);
    debug_assert_eq!(
        buf.len() - start,
        size,
        "{:?} body_len disagrees with write_body",
        packet.packet_type()
    );
    Ok(size)
}

/// A boxed packet (CONNECT and CONNACK inside [`Packet`]) encodes as the packet.
impl<T: sealed::Body + ?Sized> sealed::Body for Box<T> {
    fn packet_type(&self) -> PacketType {
        (**self).packet_type()
    }
    fn flags(&self) -> u8 {
        (**self).flags()
    }
    fn body_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        (**self).body_len(version)
    }
    fn write_body(&self, version: ProtocolVersion, buf: &mut BytesMut) {
        (**self).write_body(version, buf)
    }
}

// The dispatchers inline into `encode_limited`, which matters for the short
// packets whose whole encoding is a few stores.
impl sealed::Body for Packet {
    #[inline]
    fn packet_type(&self) -> PacketType {
        Packet::packet_type(self)
    }

    #[inline]
    fn as_publish(&self) -> Option<&Publish> {
        match self {
            Packet::Publish(p) => Some(p),
            _ => None,
        }
    }

    #[inline]
    fn plain_ack(&self) -> Option<[u8; 4]> {
        match self {
            Packet::PubAck(a) | Packet::PubRec(a) | Packet::PubRel(a) | Packet::PubComp(a)
                if a.reason == ReasonCode::Success && a.properties.is_empty() =>
            {
                let t = self.packet_type();
                let [high, low] = a.packet_id.get().to_be_bytes();
                Some([((t as u8) << 4) | t.required_flags(), 2, high, low])
            }
            _ => None,
        }
    }

    #[inline]
    fn flags(&self) -> u8 {
        match self {
            Packet::Publish(p) => p.flags(),
            other => other.packet_type().required_flags(),
        }
    }

    #[inline]
    fn body_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        match self {
            Packet::Connect(p) => p.body_len(version),
            Packet::ConnAck(p) => p.body_len(version),
            Packet::Publish(p) => p.body_len(version),
            Packet::PubAck(p) => p.len_as(PacketType::PubAck, version),
            Packet::PubRec(p) => p.len_as(PacketType::PubRec, version),
            Packet::PubRel(p) => p.len_as(PacketType::PubRel, version),
            Packet::PubComp(p) => p.len_as(PacketType::PubComp, version),
            Packet::Subscribe(p) => p.body_len(version),
            Packet::SubAck(p) => p.body_len(version),
            Packet::Unsubscribe(p) => p.body_len(version),
            Packet::UnsubAck(p) => p.body_len(version),
            Packet::PingReq | Packet::PingResp => Ok(0),
            Packet::Disconnect(p) => p.body_len(version),
            Packet::Auth(p) => p.body_len(version),
        }
    }

    #[inline]
    fn write_body(&self, version: ProtocolVersion, buf: &mut BytesMut) {
        match self {
            Packet::Connect(p) => p.write_body(version, buf),
            Packet::ConnAck(p) => p.write_body(version, buf),
            Packet::Publish(p) => p.write_body(version, buf),
            Packet::PubAck(p) | Packet::PubRec(p) | Packet::PubRel(p) | Packet::PubComp(p) => {
                p.write(version, buf)
            }
            Packet::Subscribe(p) => p.write_body(version, buf),
            Packet::SubAck(p) => p.write_body(version, buf),
            Packet::Unsubscribe(p) => p.write_body(version, buf),
            Packet::UnsubAck(p) => p.write_body(version, buf),
            Packet::PingReq | Packet::PingResp => {}
            Packet::Disconnect(p) => p.write_body(version, buf),
            Packet::Auth(p) => p.write_body(version, buf),
        }
    }
}

/// The parsed fixed header of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedHeader {
    /// The packet type.
    pub packet_type: PacketType,
    /// The low four bits of the first byte.
    pub flags: u8,
    /// Bytes after the fixed header.
    pub remaining_length: usize,
    /// Bytes of the fixed header itself (2 to 5).
    pub header_length: usize,
}

impl FixedHeader {
    /// The whole packet's size.
    pub fn packet_size(&self) -> usize {
        self.header_length + self.remaining_length
    }

    /// Parses a fixed header from the start of `bytes`; `Ok(None)` until enough bytes are there.
    ///
    /// Checks the packet type and the reserved flags, so a packet with bad
    /// flags is refused before its body is waited for.
    #[inline(always)]
    pub fn parse(bytes: &[u8], version: ProtocolVersion) -> Result<Option<Self>, DecodeError> {
        let Some(&first) = bytes.first() else {
            return Ok(None);
        };
        let type_bits = first >> 4;
        let packet_type = match PacketType::from_u8(type_bits) {
            Some(PacketType::Auth) if !version.is_v5() => None,
            other => other,
        }
        .ok_or(DecodeError::InvalidPacketType {
            packet_type: type_bits,
            version,
        })?;
        let flags = first & 0x0F;
        // MQTT 3.1 sets DUP on a re-sent PUBREL, SUBSCRIBE or UNSUBSCRIBE
        // (its section 2.1); 3.1.1 made that bit reserved.
        let checked = match packet_type {
            PacketType::PubRel | PacketType::Subscribe | PacketType::Unsubscribe
                if version == ProtocolVersion::V3_1 =>
            {
                flags & !0x08
            }
            _ => flags,
        };
        if packet_type != PacketType::Publish && checked != packet_type.required_flags() {
            return Err(DecodeError::InvalidHeaderFlags {
                packet: packet_type,
                flags,
            });
        }
        if packet_type == PacketType::Publish {
            // QoS 3 [MQTT-3.3.1-4] and DUP on QoS 0 [MQTT-3.3.1-2] are
            // visible in the first byte: refuse them before waiting for the body.
            match (flags >> 1) & 0x03 {
                3 => {
                    return Err(DecodeError::InvalidQoS {
                        field: "PUBLISH fixed header",
                    })
                }
                0 if flags & 0x08 != 0 => return Err(DecodeError::DupOnQoS0),
                _ => {}
            }
        }
        let Some((remaining, len)) =
            crate::wire::read_varint_as(&bytes[1..], "remaining length", version.is_v5())?
        else {
            return Ok(None);
        };
        Ok(Some(Self {
            packet_type,
            flags,
            remaining_length: remaining as usize,
            header_length: 1 + len,
        }))
    }
}

#[inline]
pub(crate) fn wrap_ack(t: PacketType, ack: Ack) -> Packet {
    match t {
        PacketType::PubAck => Packet::PubAck(ack),
        PacketType::PubRec => Packet::PubRec(ack),
        PacketType::PubRel => Packet::PubRel(ack),
        _ => Packet::PubComp(ack),
    }
}

/// Decodes a packet body held as a shared buffer; strings, topics, payloads
/// and binary properties of the result are views into `body`.
///
/// Always `Some` on success: the result has the type that
/// [`crate::Decoder::decode`] returns, so that it is built in place.
pub(crate) fn decode_body(
    header: &FixedHeader,
    body: Bytes,
    version: ProtocolVersion,
) -> Result<Option<Packet>, DecodeError> {
    let t = header.packet_type;
    let mut r = Reader::new(body);
    let packet = match t {
        PacketType::Publish => return Publish::decode_packet(header.flags, r.into_rest(), version),
        PacketType::Connect => Packet::Connect(Box::new(Connect::decode(&mut r)?)),
        PacketType::ConnAck => Packet::ConnAck(Box::new(ConnAck::decode(&mut r, version)?)),
        PacketType::PubAck | PacketType::PubRec | PacketType::PubRel | PacketType::PubComp => {
            wrap_ack(t, Ack::decode(t, &mut r, version)?)
        }
        PacketType::Subscribe => Packet::Subscribe(Subscribe::decode(&mut r, version)?),
        PacketType::SubAck => Packet::SubAck(SubAck::decode(&mut r, version)?),
        PacketType::Unsubscribe => Packet::Unsubscribe(Unsubscribe::decode(&mut r, version)?),
        PacketType::UnsubAck => Packet::UnsubAck(UnsubAck::decode(&mut r, version)?),
        PacketType::PingReq => Packet::PingReq,
        PacketType::PingResp => Packet::PingResp,
        PacketType::Disconnect => Packet::Disconnect(Disconnect::decode(&mut r, version)?),
        PacketType::Auth => Packet::Auth(Auth::decode(&mut r, version)?),
    };
    expect_end(&r, t)?;
    Ok(Some(packet))
}

pub(crate) fn expect_end(r: &Reader, packet: PacketType) -> Result<(), DecodeError> {
    match r.remaining() {
        0 => Ok(()),
        extra => Err(DecodeError::TrailingBytes { packet, extra }),
    }
}
