//! The data representations of section 1.5 as nom parsers, and the error
//! type every reference parser returns.
//!
//! Everything here parses a complete packet body: running out of bytes
//! inside the body is a Malformed Packet, never "incomplete". Only the fixed
//! header (in `mod.rs`) is parsed in streaming mode.

use crate::reason::ReasonCode;
use crate::string::MqttString;
use crate::topic::{TopicError, TopicFilter, TopicName};
use crate::version::ProtocolVersion;
use crate::PacketId;
use bytes::Bytes;
use nom::combinator::complete;
use nom::error::{context, ContextError, ErrorKind, ParseError};
use nom::multi::length_data;
use nom::number::complete::{be_u16, be_u32, be_u8};
use nom::{IResult, Parser};

/// The input of every parser: bytes of the packet.
pub(super) type In<'a> = &'a [u8];

/// The result of every parser.
pub(super) type PResult<'a, T> = IResult<In<'a>, T, Fault>;

/// What nom reports before a `context` names the field.
const UNNAMED: &str = "a field";

/// Why a packet is refused: the reason code the specification asks for and
/// a short description naming the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Fault {
    pub(super) reason: ReasonCode,
    pub(super) what: &'static str,
}

impl Fault {
    pub(super) fn new(reason: ReasonCode, what: &'static str) -> Self {
        Self { reason, what }
    }
}

/// nom's own errors all mean the bytes do not have the structure the
/// specification gives them (a field cut short, bytes left over): a
/// Malformed Packet (section 4.13, 5.0 section 2.1.3 / 1.5).
impl<'a> ParseError<In<'a>> for Fault {
    fn from_error_kind(_input: In<'a>, kind: ErrorKind) -> Self {
        let what = match kind {
            ErrorKind::Eof => "bytes left over after the last field",
            _ => UNNAMED,
        };
        Self::new(ReasonCode::MalformedPacket, what)
    }

    fn append(_input: In<'a>, _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

/// The innermost `context` names the field that was cut short.
impl<'a> ContextError<In<'a>> for Fault {
    fn add_context(_input: In<'a>, ctx: &'static str, mut other: Self) -> Self {
        if other.what == UNNAMED {
            other.what = ctx;
        }
        other
    }
}

/// A fatal fault: `Failure`, so that no combinator tries an alternative.
pub(super) fn fail(reason: ReasonCode, what: &'static str) -> nom::Err<Fault> {
    nom::Err::Failure(Fault::new(reason, what))
}

/// A Malformed Packet (0x81).
pub(super) fn malformed(what: &'static str) -> nom::Err<Fault> {
    fail(ReasonCode::MalformedPacket, what)
}

/// A Protocol Error (0x82): parsed, but against a rule of the specification.
pub(super) fn protocol_error(what: &'static str) -> nom::Err<Fault> {
    fail(ReasonCode::ProtocolError, what)
}

/// One Byte (1.5.1).
pub(super) fn byte(what: &'static str) -> impl FnMut(In) -> PResult<u8> {
    move |i| context(what, be_u8).parse(i)
}

/// Two Byte Integer, big-endian (1.5.2).
pub(super) fn two_bytes(what: &'static str) -> impl FnMut(In) -> PResult<u16> {
    move |i| context(what, be_u16).parse(i)
}

/// Four Byte Integer, big-endian (1.5.3).
pub(super) fn four_bytes(what: &'static str) -> impl FnMut(In) -> PResult<u32> {
    move |i| context(what, be_u32).parse(i)
}

/// A Variable Byte Integer (1.5.5 in 5.0, 2.2.3 in 3.1.1): seven bits per
/// byte, least significant group first, the high bit saying another byte
/// follows; four bytes at most.
///
/// `next` reads one byte: nom's streaming `be_u8` for the fixed header
/// (running out is "need more bytes"), the complete one inside a body.
/// A fourth byte with its continuation bit set is refused at once, since
/// no fifth byte can make the integer valid.
///
/// `minimal`: refuse a longer encoding than needed, as 5.0 requires
/// [MQTT-1.5.5-1]; 3.1.1 has no such rule for the Remaining Length.
pub(super) fn variable_byte_integer<'a>(
    what: &'static str,
    minimal: bool,
    mut next: impl FnMut(In<'a>) -> PResult<'a, u8>,
) -> impl FnMut(In<'a>) -> PResult<'a, u32> {
    move |mut i: In<'a>| {
        let mut value: u32 = 0;
        for shift in [0u32, 7, 14, 21] {
            let (rest, b) = context(what, &mut next).parse(i)?;
            i = rest;
            value += u32::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                // 1.5.5: the encoding must use the fewest bytes [MQTT-1.5.5-1],
                // so a last byte of zero after others is refused.
                if minimal && b == 0 && shift > 0 {
                    return Err(malformed(
                        "variable byte integer not in its shortest form [MQTT-1.5.5-1]",
                    ));
                }
                return Ok((i, value));
            }
        }
        Err(malformed(
            "variable byte integer longer than four bytes (section 1.5.5)",
        ))
    }
}

/// A Variable Byte Integer inside a body.
pub(super) fn varint(what: &'static str) -> impl FnMut(In) -> PResult<u32> {
    move |i| variable_byte_integer(what, true, be_u8).parse(i)
}

/// Binary Data: a Two Byte Integer length, then that many bytes (1.5.6).
pub(super) fn binary_slice(what: &'static str) -> impl FnMut(In) -> PResult<In> {
    move |i| context(what, complete(length_data(be_u16))).parse(i)
}

/// Binary Data, copied out of the input.
pub(super) fn binary(what: &'static str) -> impl FnMut(In) -> PResult<Bytes> {
    move |i| binary_slice(what).map(Bytes::copy_from_slice).parse(i)
}

/// A UTF-8 Encoded String (1.5.4): well-formed UTF-8 without U+0000,
/// otherwise the packet is malformed [MQTT-1.5.4-1, MQTT-1.5.4-2].
pub(super) fn string(what: &'static str) -> impl FnMut(In) -> PResult<MqttString> {
    move |i| {
        let (i, raw) = binary_slice(what).parse(i)?;
        let s = MqttString::from_bytes(Bytes::copy_from_slice(raw))
            .map_err(|_| malformed("ill-formed UTF-8 string [MQTT-1.5.4-1, MQTT-1.5.4-2]"))?;
        Ok((i, s))
    }
}

/// A UTF-8 String Pair (1.5.7): name then value.
pub(super) fn string_pair(
    what: &'static str,
) -> impl FnMut(In) -> PResult<(MqttString, MqttString)> {
    move |i| (string(what), string(what)).parse(i)
}

/// A topic name (4.7): a string, non-empty [MQTT-4.7.3-1], without
/// wildcards [MQTT-3.3.2-2]. A bad string is malformed; a well-formed string
/// that is no topic name is Topic Name invalid (0x90).
pub(super) fn check_topic_name(raw: In) -> Result<TopicName, nom::Err<Fault>> {
    MqttString::from_bytes(Bytes::copy_from_slice(raw))
        .map_err(|_| malformed("ill-formed UTF-8 topic name [MQTT-1.5.4-1, MQTT-1.5.4-2]"))?;
    TopicName::from_bytes(Bytes::copy_from_slice(raw)).map_err(|e| {
        fail(
            ReasonCode::TopicNameInvalid,
            match e {
                TopicError::Empty => "empty topic name [MQTT-4.7.3-1]",
                _ => "wildcard in a topic name [MQTT-3.3.2-2]",
            },
        )
    })
}

/// A topic name field.
pub(super) fn topic_name(what: &'static str) -> impl FnMut(In) -> PResult<TopicName> {
    move |i| {
        let (i, raw) = binary_slice(what).parse(i)?;
        Ok((i, check_topic_name(raw)?))
    }
}

/// A topic filter (4.7, 4.8.2): a string, non-empty, wildcards on whole
/// levels with `#` last, `$share/{ShareName}/{filter}` well-formed. A bad
/// string is malformed; a bad filter is Topic Filter invalid (0x8F).
/// The shared-subscription rules are 5.0's alone.
pub(super) fn topic_filter(version: ProtocolVersion, i: In) -> PResult<TopicFilter> {
    let (i, raw) = binary_slice("topic filter").parse(i)?;
    MqttString::from_bytes(Bytes::copy_from_slice(raw))
        .map_err(|_| malformed("ill-formed UTF-8 topic filter [MQTT-1.5.4-1, MQTT-1.5.4-2]"))?;
    let filter = TopicFilter::from_bytes_with_version(Bytes::copy_from_slice(raw), version)
        .map_err(|_| {
            fail(
                ReasonCode::TopicFilterInvalid,
                "invalid topic filter (section 4.7.1)",
            )
        })?;
    Ok((i, filter))
}

/// A Packet Identifier: non-zero [MQTT-2.2.1-3].
pub(super) fn packet_id(i: In) -> PResult<PacketId> {
    let (i, raw) = two_bytes("packet identifier")(i)?;
    let id = PacketId::new(raw).ok_or_else(|| malformed("packet identifier 0 [MQTT-2.2.1-3]"))?;
    Ok((i, id))
}
