//! The streaming decoder and the size-limited encoder.

use crate::error::{DecodeError, EncodeError};
use crate::packet::frame::{decode_body, encode_limited, wrap_ack, FixedHeader, MAX_PACKET_SIZE};
use crate::packet::{Ack, Encodable, Packet, PacketType, Publish};
use crate::properties::PropertyBox;
use crate::qos::PacketId;
use crate::reason::ReasonCode;
use crate::version::ProtocolVersion;
use crate::view::{PacketView, PublishView};
use bytes::{Buf, Bytes, BytesMut};

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
        let Some(header) = self.frame(buf)? else {
            return Ok(None);
        };
        let size = header.packet_size();
        let version = self.version;
        // The common packets are built straight into the returned value: a
        // `Packet` is 128 bytes, and moving it from one `Result` to
        // another costs more than decoding a short packet.
        if header.packet_type == PacketType::Publish {
            // The whole frame is cut off in one call, then its fixed
            // header is skipped within the view.
            let mut body = buf.split_to(size).freeze();
            body.advance(header.header_length);
            return Publish::decode_packet(header.flags, body, version);
        }
        if Short::applies(&header, version) {
            let short = Short::parse(&header, &buf[header.header_length..size], version)?;
            buf.advance(size);
            return Ok(Some(short.into_packet()));
        }
        self.decode_other(&header, buf)
    }

    /// [`Decoder::decode`] for the packets that are neither PUBLISH nor
    /// short: out of line, so that the common packets' path stays small
    /// enough to inline.
    #[inline(never)]
    fn decode_other(
        &mut self,
        header: &FixedHeader,
        buf: &mut BytesMut,
    ) -> Result<Option<Packet>, DecodeError> {
        buf.advance(header.header_length);
        let body = buf.split_to(header.remaining_length).freeze();
        let result = decode_body(header, body, self.version);
        if let Ok(Some(Packet::Connect(connect))) = &result {
            self.version = connect.protocol;
        }
        result
    }

    /// Decodes the next packet at the front of `bytes` in place, returning
    /// it and the number of bytes it took.
    ///
    /// The same checks as [`Decoder::decode`], with the same outcome; a
    /// PUBLISH comes out as a [`PublishView`](crate::PublishView) borrowing
    /// `bytes`, which costs no reference counting. `Ok(None)`: more bytes
    /// are needed. The caller consumes what was used, for example by
    /// advancing its buffer before the next call.
    ///
    /// ```
    /// use mqtt_proto::{Decoder, PacketView, ProtocolVersion};
    ///
    /// let wire = b"\x30\x07\x00\x03a/bhi\x30\x07\x00\x03a/cyo";
    /// let mut decoder = Decoder::new(ProtocolVersion::V3_1_1);
    /// let mut rest = &wire[..];
    /// let mut topics = Vec::new();
    /// while let Some((packet, used)) = decoder.decode_view(rest).unwrap() {
    ///     if let PacketView::Publish(p) = packet {
    ///         topics.push(p.topic_str());
    ///     }
    ///     rest = &rest[used..];
    /// }
    /// assert_eq!(topics, ["a/b", "a/c"]);
    /// ```
    #[inline]
    pub fn decode_view<'a>(
        &mut self,
        bytes: &'a [u8],
    ) -> Result<Option<(PacketView<'a>, usize)>, DecodeError> {
        let Some(header) = self.frame(bytes)? else {
            return Ok(None);
        };
        let size = header.packet_size();
        let body = &bytes[header.header_length..size];
        let version = self.version;
        let view = if header.packet_type == PacketType::Publish {
            PacketView::Publish(PublishView::parse(header.flags, body, version)?)
        } else if Short::applies(&header, version) {
            PacketView::Packet(Short::parse(&header, body, version)?.into_packet())
        } else {
            PacketView::Packet(self.decode_copy(&header, body)?)
        };
        Ok(Some((view, size)))
    }

    /// [`Decoder::decode_view`] for the packets that are owned and allocate
    /// anyway: decoded from a copy of `body`. Out of line, so that the
    /// common packets' path stays small enough to inline.
    #[inline(never)]
    fn decode_copy(&mut self, header: &FixedHeader, body: &[u8]) -> Result<Packet, DecodeError> {
        // `decode_body` is always `Some` on success (its `Option` is for
        // `decode`, which returns it as is); `None` cannot reach the error.
        let packet = decode_body(header, Bytes::copy_from_slice(body), self.version)?
            .ok_or(DecodeError::Truncated("packet"))?;
        if let Packet::Connect(connect) = &packet {
            self.version = connect.protocol;
        }
        Ok(packet)
    }

    /// The fixed header of the packet at the front of `bytes` once all of it
    /// is there, after checking its size against the maximum: that check
    /// comes as soon as the fixed header is in, before the body is waited for.
    #[inline(always)]
    fn frame(&self, bytes: &[u8]) -> Result<Option<FixedHeader>, DecodeError> {
        let Some(header) = FixedHeader::parse(bytes, self.version)? else {
            return Ok(None);
        };
        let size = header.packet_size();
        if size > self.max_packet_size as usize {
            return Err(DecodeError::PacketTooLarge {
                size,
                max: self.max_packet_size,
            });
        }
        if bytes.len() < size {
            return Ok(None);
        }
        Ok(Some(header))
    }
}

/// A packet read from the input as it stands, allocating nothing: a ping,
/// or an acknowledgement without properties.
///
/// A few bytes, so it stays in registers while the input is advanced and
/// only then becomes a `Packet`, built straight into the returned value.
#[derive(Clone, Copy)]
enum Short {
    Ping(PacketType),
    Ack(PacketType, PacketId, ReasonCode),
}

impl Short {
    /// Whether the packet `header` announces is one.
    #[inline(always)]
    fn applies(header: &FixedHeader, version: ProtocolVersion) -> bool {
        match header.packet_type {
            PacketType::PubAck | PacketType::PubRec | PacketType::PubRel | PacketType::PubComp => {
                header.remaining_length <= 3 || !version.is_v5()
            }
            PacketType::PingReq | PacketType::PingResp => true,
            _ => false,
        }
    }

    /// Reads the body of a packet that [`Short::applies`] to.
    #[inline(always)]
    fn parse(
        header: &FixedHeader,
        body: &[u8],
        version: ProtocolVersion,
    ) -> Result<Self, DecodeError> {
        match header.packet_type {
            t @ (PacketType::PingReq | PacketType::PingResp) => {
                if !body.is_empty() {
                    return Err(DecodeError::TrailingBytes {
                        packet: t,
                        extra: body.len(),
                    });
                }
                Ok(Self::Ping(t))
            }
            t => {
                let (id, reason) = Ack::decode_short(t, body, version)?;
                Ok(Self::Ack(t, id, reason))
            }
        }
    }

    #[inline(always)]
    fn into_packet(self) -> Packet {
        match self {
            Self::Ping(PacketType::PingReq) => Packet::PingReq,
            Self::Ping(_) => Packet::PingResp,
            Self::Ack(t, packet_id, reason) => wrap_ack(
                t,
                Ack {
                    packet_id,
                    reason,
                    properties: PropertyBox::new(),
                },
            ),
        }
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
