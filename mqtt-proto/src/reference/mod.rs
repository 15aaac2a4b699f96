//! A second, independent decoder, written from the OASIS MQTT 3.1.1 and 5.0
//! specifications with `nom` combinators, to check the fast [`Decoder`]
//! against: the agreement tests and the fuzz targets run both on the same
//! bytes and demand the same packet, the same refusal, or the same "need
//! more bytes".
//!
//! It shares the packet model and its validating constructors with the fast
//! decoder and nothing else: no reader, no property table, no framing code.
//! It is not on any hot path; every field is copied out of the input and
//! each rule is spelled out where the specification states it.
//!
//! Faults are reported in wire order: each field is checked completely as
//! soon as it is read (for a single field, its structure before its
//! meaning), so when a packet breaks several rules the first broken field
//! decides the reason code. The fixed header is judged as soon as its first
//! byte is in: packet type, reserved flags, and the QoS and DUP bits of
//! PUBLISH.
//!
//! ```
//! use mqtt_proto::reference::{decode_packet, RefError};
//! use mqtt_proto::{Packet, ProtocolVersion, ReasonCode};
//!
//! let (packet, used) = decode_packet(ProtocolVersion::V3_1_1, b"\xc0\x00rest").unwrap();
//! assert_eq!((packet, used), (Packet::PingReq, 2));
//! assert_eq!(decode_packet(ProtocolVersion::V5, b"\x30\x05\x00"), Err(RefError::Incomplete));
//! // PUBREL must carry the flags 0b0010 [MQTT-3.6.1-1].
//! let err = decode_packet(ProtocolVersion::V5, b"\x60").unwrap_err();
//! assert_eq!(err.reason_code(), Some(ReasonCode::MalformedPacket));
//! ```
//!
//! [`Decoder`]: crate::Decoder

mod packets;
mod primitives;
mod properties;

use crate::packet::{Packet, PacketType};
use crate::qos::QoS;
use crate::reason::ReasonCode;
use crate::version::ProtocolVersion;
use core::fmt;
use nom::combinator::all_consuming;
use nom::Parser;
use packets::PublishFlags;
use primitives::{fail, malformed, variable_byte_integer, Fault, In, PResult};

/// Why [`decode_packet`] returned no packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefError {
    /// The input ends before the packet does; more bytes may complete it.
    Incomplete,
    /// The bytes are not a valid packet, whatever follows them.
    Invalid {
        /// The reason code the specification asks the receiver to answer with.
        reason: ReasonCode,
        /// The broken rule, for humans.
        rule: &'static str,
    },
}

impl RefError {
    /// The reason code of an invalid packet, `None` for [`RefError::Incomplete`].
    pub fn reason_code(&self) -> Option<ReasonCode> {
        match self {
            Self::Incomplete => None,
            Self::Invalid { reason, .. } => Some(*reason),
        }
    }

    fn from_fault(fault: Fault) -> Self {
        Self::Invalid {
            reason: fault.reason,
            rule: fault.what,
        }
    }
}

impl fmt::Display for RefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Incomplete => f.write_str("incomplete packet"),
            Self::Invalid { reason, rule } => write!(f, "{reason}: {rule}"),
        }
    }
}

impl std::error::Error for RefError {}

/// Decodes the packet at the start of `input` for a connection speaking
/// `version`, with no size limit but the protocol's. Returns the packet and
/// the number of bytes it took.
///
/// A CONNECT is decoded at the version it names; the caller switches to
/// that version for the packets that follow, as the fast decoder does.
pub fn decode_packet(version: ProtocolVersion, input: &[u8]) -> Result<(Packet, usize), RefError> {
    decode_packet_limited(version, crate::MAX_PACKET_SIZE as u32, input)
}

/// [`decode_packet`] refusing packets larger than `max_packet_size` bytes
/// (fixed header included) with Packet too large (0x95) as soon as the
/// fixed header is in [MQTT-3.2.2-15 (5.0)].
pub fn decode_packet_limited(
    version: ProtocolVersion,
    max_packet_size: u32,
    input: &[u8],
) -> Result<(Packet, usize), RefError> {
    let (body_and_rest, header) = match fixed_header(version, input) {
        Ok(ok) => ok,
        Err(nom::Err::Incomplete(_)) => return Err(RefError::Incomplete),
        Err(nom::Err::Error(f) | nom::Err::Failure(f)) => return Err(RefError::from_fault(f)),
    };
    let header_len = input.len() - body_and_rest.len();
    let size = header_len as u64 + u64::from(header.remaining_length);
    if size > u64::from(max_packet_size) {
        return Err(RefError::Invalid {
            reason: ReasonCode::PacketTooLarge,
            rule: "packet larger than the maximum packet size",
        });
    }
    let remaining = header.remaining_length as usize;
    if body_and_rest.len() < remaining {
        return Err(RefError::Incomplete);
    }
    let body = &body_and_rest[..remaining];
    let parsed = all_consuming(|i| body_parser(&header, version, i)).parse(body);
    match parsed {
        Ok((_, packet)) => Ok((packet, header_len + remaining)),
        Err(nom::Err::Error(f) | nom::Err::Failure(f)) => Err(RefError::from_fault(f)),
        // Body parsers run on a complete body and never ask for more.
        Err(nom::Err::Incomplete(_)) => Err(RefError::Invalid {
            reason: ReasonCode::MalformedPacket,
            rule: "reference decoder asked for more bytes inside a complete body",
        }),
    }
}

/// The fixed header (2.1 / 2.2 in 3.1.1, 2.1 in 5.0).
struct Header {
    packet_type: PacketType,
    publish: Option<PublishFlags>,
    remaining_length: u32,
}

/// Parses the fixed header in streaming mode: `Incomplete` until all of it
/// is in, but a bad first byte is refused at once.
fn fixed_header(version: ProtocolVersion, i: In) -> PResult<Header> {
    let (i, first) = nom::number::streaming::be_u8(i)?;
    let flags = first & 0x0F;
    // Table 2.1 / 2-1: 0 is reserved; 15 is AUTH in 5.0 and reserved before.
    let packet_type = match first >> 4 {
        1 => PacketType::Connect,
        2 => PacketType::ConnAck,
        3 => PacketType::Publish,
        4 => PacketType::PubAck,
        5 => PacketType::PubRec,
        6 => PacketType::PubRel,
        7 => PacketType::PubComp,
        8 => PacketType::Subscribe,
        9 => PacketType::SubAck,
        10 => PacketType::Unsubscribe,
        11 => PacketType::UnsubAck,
        12 => PacketType::PingReq,
        13 => PacketType::PingResp,
        14 => PacketType::Disconnect,
        15 if version.is_v5() => PacketType::Auth,
        _ => return Err(malformed("reserved packet type")),
    };
    let publish = if packet_type == PacketType::Publish {
        // 3.3.1: DUP (bit 3), QoS (bits 2-1), RETAIN (bit 0).
        let dup = flags & 0x08 != 0;
        let qos = QoS::from_u8((flags >> 1) & 0x03)
            .ok_or_else(|| malformed("PUBLISH with QoS 3 [MQTT-3.3.1-4]"))?;
        if dup && qos == QoS::AtMostOnce {
            return Err(malformed("DUP set on a QoS 0 PUBLISH [MQTT-3.3.1-2]"));
        }
        Some(PublishFlags {
            dup,
            qos,
            retain: flags & 0x01 != 0,
        })
    } else {
        // Table 2.2 / 2-2: PUBREL, SUBSCRIBE and UNSUBSCRIBE carry 0b0010,
        // every other packet 0 [MQTT-2.1.3-1]. MQTT 3.1 (section 2.1, "DUP")
        // also sets DUP (bit 3) when it re-sends those three.
        let (required, ignored) = match packet_type {
            PacketType::PubRel | PacketType::Subscribe | PacketType::Unsubscribe => {
                let dup = if version == ProtocolVersion::V3_1 {
                    0x08
                } else {
                    0
                };
                (0b0010, dup)
            }
            _ => (0, 0),
        };
        if flags & !ignored != required {
            return Err(malformed("reserved fixed header flags [MQTT-2.1.3-1]"));
        }
        None
    };
    let (i, remaining_length) = variable_byte_integer(
        "remaining length",
        version.is_v5(),
        nom::number::streaming::be_u8,
    )
    .parse(i)?;
    Ok((
        i,
        Header {
            packet_type,
            publish,
            remaining_length,
        },
    ))
}

/// The variable header and payload of the packet `header` announces.
fn body_parser<'a>(header: &Header, version: ProtocolVersion, i: In<'a>) -> PResult<'a, Packet> {
    let v5 = version.is_v5();
    match header.packet_type {
        PacketType::Connect => packets::connect.map(Packet::from).parse(i),
        PacketType::ConnAck => packets::connack(i, version).map(|(i, p)| (i, Packet::from(p))),
        PacketType::Publish => {
            let flags = header
                .publish
                .ok_or_else(|| fail(ReasonCode::MalformedPacket, "PUBLISH without its flags"))?;
            packets::publish(i, version, flags).map(|(i, p)| (i, Packet::Publish(p)))
        }
        t
        @ (PacketType::PubAck | PacketType::PubRec | PacketType::PubRel | PacketType::PubComp) => {
            let (i, ack) = packets::ack(i, version, t)?;
            let packet = match t {
                PacketType::PubAck => Packet::PubAck(ack),
                PacketType::PubRec => Packet::PubRec(ack),
                PacketType::PubRel => Packet::PubRel(ack),
                _ => Packet::PubComp(ack),
            };
            Ok((i, packet))
        }
        PacketType::Subscribe => {
            packets::subscribe(i, version).map(|(i, p)| (i, Packet::Subscribe(p)))
        }
        PacketType::SubAck => packets::suback(i, version).map(|(i, p)| (i, Packet::SubAck(p))),
        PacketType::Unsubscribe => {
            packets::unsubscribe(i, version).map(|(i, p)| (i, Packet::Unsubscribe(p)))
        }
        PacketType::UnsubAck => {
            packets::unsuback(i, version).map(|(i, p)| (i, Packet::UnsubAck(p)))
        }
        // 3.12 / 3.13: no variable header, no payload; `all_consuming`
        // refuses any body bytes.
        PacketType::PingReq => Ok((i, Packet::PingReq)),
        PacketType::PingResp => Ok((i, Packet::PingResp)),
        PacketType::Disconnect => {
            packets::disconnect(i, version).map(|(i, p)| (i, Packet::Disconnect(p)))
        }
        PacketType::Auth if v5 => packets::auth(i).map(|(i, p)| (i, Packet::Auth(p))),
        PacketType::Auth => Err(malformed("AUTH before MQTT 5.0")),
    }
}
