//! The streaming decoder and the size-limited encoder.

use crate::error::{DecodeError, EncodeError};
use crate::packet::frame::{decode_body, encode_limited, wrap_ack, FixedHeader, MAX_PACKET_SIZE};
use crate::packet::{Ack, Encodable, Packet, PacketType, Publish};
use crate::version::ProtocolVersion;
use crate::wire::Reader;
use bytes::{Buf, BytesMut};

/// Decodes packets from a growing buffer of received bytes.
///
/// [`Decoder::decode`] returns `Ok(None)` until a whole packet is buffered,
/// then removes exactly that packet from the buffer and returns it, so the
/// same packets come out whatever the chunking of the input. Topics, payloads
/// and binary properties are views into the buffer, not copies; PUBACK,
/// PUBREC, PUBREL, PUBCOMP without properties and the pings allocate nothing.
///
/// The remaining length is checked against the maximum packet size as soon as
/// the fixed header is in, before the body is waited for.
///
/// ```
/// use bytes::BytesMut;
/// use mqtt_proto::{Decoder, Packet, ProtocolVersion};
///
/// let mut decoder = Decoder::new(ProtocolVersion::V3_1_1);
/// let mut buf = BytesMut::from(&b"\x30\x07\x00\x03a/bh"[..]);
/// assert_eq!(decoder.decode(&mut buf).unwrap(), None); // one byte short
/// buf.extend_from_slice(b"i\xd0\x00");
/// match decoder.decode(&mut buf).unwrap() {
///     Some(Packet::Publish(p)) => assert_eq!(&p.payload[..], b"hi"),
///     other => panic!("{other:?}"),
/// }
/// assert_eq!(decoder.decode(&mut buf).unwrap(), Some(Packet::PingResp));
/// assert!(buf.is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct Decoder {
    version: ProtocolVersion,
    max_packet_size: u32,
}

impl Decoder {
    /// A decoder for `version` accepting packets up to the protocol maximum.
    pub fn new(version: ProtocolVersion) -> Self {
        Self {
            version,
            max_packet_size: MAX_PACKET_SIZE as u32,
        }
    }

    /// Refuses packets larger than `max` bytes (the Maximum Packet Size we advertise).
    pub fn with_max_packet_size(mut self, max: u32) -> Self {
        self.max_packet_size = max;
        self
    }

    /// The version in force.
    pub fn version(&self) -> ProtocolVersion {
        self.version
    }

    /// Changes the version, for example once a CONNECT has been sent.
    pub fn set_version(&mut self, version: ProtocolVersion) {
        self.version = version;
    }

    /// The largest packet accepted.
    pub fn max_packet_size(&self) -> u32 {
        self.max_packet_size
    }

    /// Changes the largest packet accepted.
    pub fn set_max_packet_size(&mut self, max: u32) {
        self.max_packet_size = max;
    }

    /// Decodes the next packet at the front of `buf`.
    ///
    /// `Ok(None)`: more bytes are needed, `buf` is untouched. `Ok(Some(p))`:
    /// the packet's bytes were removed from `buf`. `Err(_)`: the stream is
    /// broken and the connection must end; what is left in `buf` is unspecified.
    ///
    /// A CONNECT is decoded at the version it names, and that version becomes
    /// the decoder's, so a server-side decoder learns it from the first packet.
    #[inline]
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Packet>, DecodeError> {
        let Some(header) = FixedHeader::parse(buf, self.version)? else {
            return Ok(None);
        };
        let size = header.packet_size();
        if size > self.max_packet_size as usize {
            return Err(DecodeError::PacketTooLarge {
                size,
                max: self.max_packet_size,
            });
        }
        if buf.len() < size {
            return Ok(None);
        }
        let version = self.version;
        // The common packets are built straight into the returned value: a
        // `Packet` is hundreds of bytes, and moving it from one `Result` to
        // another costs more than decoding a short packet.
        match header.packet_type {
            PacketType::Publish => {
                // The whole frame is cut off in one call, then its fixed
                // header is skipped within the view.
                let mut body = buf.split_to(size).freeze();
                body.advance(header.header_length);
                return Publish::decode_packet(header.flags, Reader::new(body), version);
            }
            // Without properties an acknowledgement is read from the input
            // as it stands, allocating nothing.
            t @ (PacketType::PubAck
            | PacketType::PubRec
            | PacketType::PubRel
            | PacketType::PubComp)
                if header.remaining_length <= 3 || !version.is_v5() =>
            {
                let ack = Ack::decode_short(t, &buf[header.header_length..size], version)?;
                buf.advance(size);
                return Ok(Some(wrap_ack(t, ack)));
            }
            t @ (PacketType::PingReq | PacketType::PingResp) => {
                if header.remaining_length != 0 {
                    return Err(DecodeError::TrailingBytes {
                        packet: t,
                        extra: header.remaining_length,
                    });
                }
                buf.advance(size);
                return Ok(Some(if t == PacketType::PingReq {
                    Packet::PingReq
                } else {
                    Packet::PingResp
                }));
            }
            _ => {}
        }
        buf.advance(header.header_length);
        let body = buf.split_to(header.remaining_length).freeze();
        let result = decode_body(&header, body, self.version);
        if let Ok(Some(Packet::Connect(connect))) = &result {
            self.version = connect.protocol;
        }
        result
    }
}

/// Encodes packets for one version, refusing any larger than the peer's
/// Maximum Packet Size.
///
/// ```
/// use bytes::BytesMut;
/// use mqtt_proto::{EncodeError, Encoder, Packet, ProtocolVersion, Publish, TopicName};
///
/// let encoder = Encoder::new(ProtocolVersion::V5).with_max_packet_size(16);
/// let mut buf = BytesMut::new();
/// let big = Publish::new(TopicName::new("t").unwrap(), vec![0u8; 100]);
/// assert!(matches!(encoder.encode(&big, &mut buf), Err(EncodeError::PacketTooLarge { .. })));
/// assert!(buf.is_empty());
/// encoder.encode(&Packet::PingReq, &mut buf).unwrap();
/// assert_eq!(&buf[..], b"\xc0\x00");
/// ```
#[derive(Debug, Clone)]
pub struct Encoder {
    version: ProtocolVersion,
    max_packet_size: usize,
}

impl Encoder {
    /// An encoder for `version` limited only by the protocol maximum.
    pub fn new(version: ProtocolVersion) -> Self {
        Self {
            version,
            max_packet_size: MAX_PACKET_SIZE,
        }
    }

    /// Refuses packets larger than `max` bytes (the peer's Maximum Packet Size).
    pub fn with_max_packet_size(mut self, max: u32) -> Self {
        self.max_packet_size = max as usize;
        self
    }

    /// The version in force.
    pub fn version(&self) -> ProtocolVersion {
        self.version
    }

    /// Changes the largest packet written.
    pub fn set_max_packet_size(&mut self, max: u32) {
        self.max_packet_size = max as usize;
    }

    /// Appends `packet` to `buf` and returns its size; on error nothing is written.
    pub fn encode<P: Encodable + ?Sized>(
        &self,
        packet: &P,
        buf: &mut BytesMut,
    ) -> Result<usize, EncodeError> {
        encode_limited(packet, self.version, self.max_packet_size, buf)
    }
}
