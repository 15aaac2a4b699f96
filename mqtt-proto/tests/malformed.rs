//! One test per malformed-input rule of MQTT 3.1, 3.1.1 and 5.0, named after
//! the rule. Each asserts the exact [`DecodeError`] and the 5.0 reason code it
//! maps to (section 4.13: 0x81 Malformed Packet, 0x82 Protocol Error, 0x84
//! Unsupported Protocol Version, 0x85 Client Identifier not valid, 0x8F Topic
//! Filter invalid, 0x90 Topic Name invalid, 0x95 Packet too large).
//!
//! Every error is produced three ways: from the whole input at once, from the
//! input fed one byte at a time, and from the input split in two at every
//! position. All must give the same packets and then the same error, without
//! panicking: an error must not depend on how the network chunked the bytes.
//!
//! The packets are written by hand from the specification text; only the
//! Remaining Length and Property Length prefixes are computed, by a few lines
//! of test code independent of the crate.

mod in_place;
mod wire;

use bytes::BytesMut;
use mqtt_proto::*;
use std::ops::Range;
use wire::{cat, frame, lp, vbi};

const V3_1: ProtocolVersion = ProtocolVersion::V3_1;
const V3_1_1: ProtocolVersion = ProtocolVersion::V3_1_1;
const V5: ProtocolVersion = ProtocolVersion::V5;
const ALL: [ProtocolVersion; 3] = [V3_1, V3_1_1, V5];
const V3: [ProtocolVersion; 2] = [V3_1, V3_1_1];

const MALFORMED: ReasonCode = ReasonCode::MalformedPacket;
const PROTOCOL_ERROR: ReasonCode = ReasonCode::ProtocolError;

// ---------------------------------------------------------------- building packets

/// A 5.0 property section: Property Length, then the properties.
fn props(properties: &[&[u8]]) -> Vec<u8> {
    let body = properties.concat();
    [vbi(body.len()), body].concat()
}

/// A string property: identifier and length-prefixed value.
fn str_prop(id: u8, value: &[u8]) -> Vec<u8> {
    [&[id][..], &lp(value)].concat()
}

fn user_prop(name: &[u8], value: &[u8]) -> Vec<u8> {
    [&[0x26][..], &lp(name), &lp(value)].concat()
}

/// A CONNECT body: protocol name and level, flags, keep alive 60, properties
/// (5.0 only) and the payload fields in order.
fn connect_body(
    name: &[u8],
    level: u8,
    flags: u8,
    properties: Option<&[u8]>,
    payload: &[&[u8]],
) -> Vec<u8> {
    let mut body = cat(&[&lp(name), &[level, flags, 0x00, 0x3C]]);
    if let Some(p) = properties {
        body.extend_from_slice(p);
    }
    for field in payload {
        body.extend_from_slice(field);
    }
    body
}

/// A CONNECT in `version` with the given flags and payload fields.
fn connect(version: ProtocolVersion, flags: u8, payload: &[&[u8]]) -> Vec<u8> {
    let (name, level): (&[u8], u8) = match version {
        ProtocolVersion::V3_1 => (b"MQIsdp", 3),
        ProtocolVersion::V3_1_1 => (b"MQTT", 4),
        ProtocolVersion::V5 => (b"MQTT", 5),
    };
    let empty = props(&[]);
    let properties = version.is_v5().then_some(&empty[..]);
    frame(0x10, &connect_body(name, level, flags, properties, payload))
}

/// A 5.0 CONNECT with a client identifier "a" and the given property section.
fn connect5_props(properties: &[u8]) -> Vec<u8> {
    frame(
        0x10,
        &connect_body(b"MQTT", 5, 0x02, Some(properties), &[&lp(b"a")]),
    )
}

/// A 5.0 CONNECT with a QoS 0 will "w" / "x" and the given will properties.
fn connect5_will_props(will_properties: &[u8]) -> Vec<u8> {
    let payload: [&[u8]; 4] = [&lp(b"a"), will_properties, &lp(b"w"), &lp(b"x")];
    frame(
        0x10,
        &connect_body(b"MQTT", 5, 0x06, Some(&props(&[])), &payload),
    )
}

/// A PUBLISH QoS 0 to `topic` with payload "x" (and empty properties in 5.0).
fn publish(version: ProtocolVersion, topic: &[u8]) -> Vec<u8> {
    let properties = if version.is_v5() {
        props(&[])
    } else {
        Vec::new()
    };
    frame(0x30, &cat(&[&lp(topic), &properties, b"x"]))
}

/// A 5.0 PUBLISH QoS 0 to "t" with the given property section and payload "x".
fn publish5(properties: &[u8]) -> Vec<u8> {
    frame(0x30, &cat(&[&lp(b"t"), properties, b"x"]))
}

/// A 5.0 CONNACK accepting the connection, with the given property section.
fn connack5(properties: &[u8]) -> Vec<u8> {
    frame(0x20, &cat(&[&[0x00, 0x00], properties]))
}

/// A SUBSCRIBE (packet identifier 1) to one filter with one options byte.
fn subscribe(version: ProtocolVersion, filter: &[u8], options: u8) -> Vec<u8> {
    let properties = if version.is_v5() {
        props(&[])
    } else {
        Vec::new()
    };
    frame(
        0x82,
        &cat(&[&[0x00, 0x01], &properties, &lp(filter), &[options]]),
    )
}

/// A 5.0 SUBSCRIBE with the given property section, to "t" at QoS 0.
fn subscribe5_props(properties: &[u8]) -> Vec<u8> {
    frame(0x82, &cat(&[&[0x00, 0x01], properties, &lp(b"t"), &[0x00]]))
}

/// An UNSUBSCRIBE (packet identifier 1) of one filter.
fn unsubscribe(version: ProtocolVersion, filter: &[u8]) -> Vec<u8> {
    let properties = if version.is_v5() {
        props(&[])
    } else {
        Vec::new()
    };
    frame(0xA2, &cat(&[&[0x00, 0x01], &properties, &lp(filter)]))
}

/// 3.1.1 states no minimal-encoding rule for the Remaining Length (section
/// 2.2.3 gives the algorithm, no MUST): a 3.x decoder takes a longer form
/// of a value within four bytes, which 5.0's rule of the fewest bytes
/// (its label 1.5.5-1) refuses.
#[test]
fn a_non_minimal_remaining_length_is_accepted_in_3_x() {
    for version in [ProtocolVersion::V3_1, ProtocolVersion::V3_1_1] {
        // PINGRESP, remaining length 0 in two bytes.
        assert_eq!(expect_ok(version, &[0xD0, 0x80, 0x00]), Packet::PingResp);
        // PUBACK, remaining length 2 as 0x82 0x00, packet identifier 1.
        assert!(matches!(
            expect_ok(version, &[0x40, 0x82, 0x00, 0x00, 0x01]),
            Packet::PubAck(a) if a.packet_id.get() == 1
        ));
    }
}

// ---------------------------------------------------------------- checking errors

/// What the decoder yields for `wire` delivered in the pieces that `cuts`
/// (increasing positions) separate: the packets, then the error if any.
fn run(
    version: ProtocolVersion,
    max: Option<u32>,
    wire: &[u8],
    cuts: &[usize],
) -> (Vec<Packet>, Option<DecodeError>) {
    let mut decoder = Decoder::new(version);
    if let Some(max) = max {
        decoder.set_max_packet_size(max);
    }
    let mut buf = BytesMut::new();
    let mut packets = Vec::new();
    let mut start = 0;
    for end in cuts.iter().copied().chain([wire.len()]) {
        buf.extend_from_slice(&wire[start..end]);
        start = end;
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(packet)) => packets.push(packet),
                Ok(None) => break,
                Err(e) => return (packets, Some(e)),
            }
        }
    }
    (packets, None)
}

/// What the in-place decoder yields for all of `wire`, with each packet
/// made owned: the same as [`run`] for the same bytes.
fn run_view(
    version: ProtocolVersion,
    max: Option<u32>,
    wire: &[u8],
) -> (Vec<Packet>, Option<DecodeError>) {
    let mut decoder = Decoder::new(version);
    if let Some(max) = max {
        decoder.set_max_packet_size(max);
    }
    in_place::decode_all(decoder, wire)
}

/// Decodes `wire` whole, byte by byte and split in two at every position,
/// and in place; all must agree. Returns what was decoded.
fn decode_all_ways(
    version: ProtocolVersion,
    max: Option<u32>,
    wire: &[u8],
) -> (Vec<Packet>, Option<DecodeError>) {
    let whole = run(version, max, wire, &[]);
    assert_eq!(run_view(version, max, wire), whole, "in place: {wire:02x?}");
    let bytewise: Vec<usize> = (1..wire.len()).collect();
    assert_eq!(
        run(version, max, wire, &bytewise),
        whole,
        "byte by byte: {wire:02x?}"
    );
    for cut in 1..wire.len() {
        assert_eq!(
            run(version, max, wire, &[cut]),
            whole,
            "split at {cut}: {wire:02x?}"
        );
    }
    whole
}

/// Asserts that `wire` fails with `expected`, which maps to `code`, however
/// it is chunked.
#[track_caller]
fn expect_err(version: ProtocolVersion, wire: &[u8], expected: DecodeError, code: ReasonCode) {
    let (packets, error) = decode_all_ways(version, None, wire);
    assert_eq!(packets, [], "{wire:02x?} at {version}");
    let error = error.unwrap_or_else(|| panic!("{wire:02x?} at {version} decoded without error"));
    assert_eq!(error, expected, "{wire:02x?} at {version}");
    assert_eq!(error.reason_code(), code, "reason code of {error:?}");
    assert!(!error.to_string().is_empty());
}

/// Asserts that `wire` is one valid packet.
#[track_caller]
fn expect_ok(version: ProtocolVersion, wire: &[u8]) -> Packet {
    match decode_all_ways(version, None, wire) {
        (packets, None) if packets.len() == 1 => packets.into_iter().next().unwrap(),
        other => panic!("{wire:02x?} at {version}: {other:?}"),
    }
}

/// Cuts `body` short at every position of each range and expects the error
/// given for that range: each field of the packet, truncated.
#[track_caller]
fn expect_truncations(
    version: ProtocolVersion,
    first: u8,
    body: &[u8],
    fields: &[(Range<usize>, DecodeError)],
) {
    let mut covered = 0;
    for (range, expected) in fields {
        assert_eq!(range.start, covered, "ranges must be contiguous");
        covered = range.end;
        for cut in range.clone() {
            expect_err(
                version,
                &frame(first, &body[..cut]),
                expected.clone(),
                MALFORMED,
            );
        }
    }
    assert!(covered <= body.len());
}

/// The malformed UTF-8 sequences of [MQTT-1.5.4-1] and the null character of [MQTT-1.5.4-2].
fn bad_strings() -> Vec<(&'static [u8], StringError)> {
    vec![
        (b"\xFF", StringError::InvalidUtf8),  // never valid in UTF-8
        (b"a\xC3", StringError::InvalidUtf8), // sequence cut short
        (b"\xED\xA0\x80", StringError::InvalidUtf8), // encoded surrogate U+D800
        (b"\xED\xBF\xBF", StringError::InvalidUtf8), // encoded surrogate U+DFFF
        (b"\xC0\xAF", StringError::InvalidUtf8), // overlong "/" in two bytes
        (b"\xE0\x80\xAF", StringError::InvalidUtf8), // overlong "/" in three bytes
        (b"\xF0\x80\x80\xAF", StringError::InvalidUtf8), // overlong "/" in four bytes
        (b"\xF4\x90\x80\x80", StringError::InvalidUtf8), // above U+10FFFF
        (b"a\x00b", StringError::NullCharacter), // U+0000
        (b"\xC3\xA9\x00", StringError::NullCharacter), // U+0000 after non-ASCII
    ]
}

// ---------------------------------------------------------------- fixed header

/// 5.0 section 1.5.5, 3.1.1 section 2.2.3: a Variable Byte Integer takes at
/// most four bytes; the decoding algorithm fails once a fifth would be needed.
#[test]
fn mqtt_1_5_5_remaining_length_longer_than_four_bytes() {
    let error = DecodeError::InvalidVariableByteInteger {
        field: "remaining length",
    };
    for version in ALL {
        expect_err(
            version,
            &[0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
            error.clone(),
            MALFORMED,
        );
        expect_err(
            version,
            &[0xC0, 0x80, 0x80, 0x80, 0x80, 0x00],
            error.clone(),
            MALFORMED,
        );
    }
}

#[test]
fn mqtt_1_5_5_property_length_and_subscription_identifier_longer_than_four_bytes() {
    let wire = frame(0x30, &cat(&[&lp(b"t"), &[0xFF, 0xFF, 0xFF, 0xFF, 0x01]]));
    let error = DecodeError::InvalidVariableByteInteger {
        field: "property length",
    };
    expect_err(V5, &wire, error, MALFORMED);

    let wire = subscribe5_props(&[6, 0x0B, 0x80, 0x80, 0x80, 0x80, 0x01]);
    let error = DecodeError::InvalidVariableByteInteger {
        field: "subscription identifier",
    };
    expect_err(V5, &wire, error, MALFORMED);
}

/// Every flag value but the required one, in every version where the packet
/// exists; the error comes from the first byte alone.
fn check_reserved_flags(packet: PacketType, versions: &[ProtocolVersion]) {
    let required = packet.required_flags();
    for &version in versions {
        for flags in (0..16u8).filter(|&f| f != required) {
            if version == V3_1 && flags == required | 0x08 {
                continue; // DUP, allowed by 3.1: see mqtt_3_1_dup_on_pubrel_subscribe_unsubscribe
            }
            let first = (packet as u8) << 4 | flags;
            expect_err(
                version,
                &[first],
                DecodeError::InvalidHeaderFlags { packet, flags },
                MALFORMED,
            );
            expect_err(
                version,
                &[first, 0x02, 0x00, 0x01],
                DecodeError::InvalidHeaderFlags { packet, flags },
                MALFORMED,
            );
        }
    }
}

/// [MQTT-2.1.3-1, 5.0] [MQTT-2.2.2-1, MQTT-2.2.2-2, 3.1.1], and in 3.1.
#[test]
fn mqtt_2_1_3_1_reserved_flags_connect() {
    check_reserved_flags(PacketType::Connect, &ALL);
}

/// [MQTT-2.1.3-1, 5.0] [MQTT-2.2.2-1, MQTT-2.2.2-2, 3.1.1], and in 3.1.
#[test]
fn mqtt_2_1_3_1_reserved_flags_connack() {
    check_reserved_flags(PacketType::ConnAck, &ALL);
}

/// [MQTT-2.1.3-1, 5.0] [MQTT-2.2.2-1, MQTT-2.2.2-2, 3.1.1], and in 3.1.
#[test]
fn mqtt_2_1_3_1_reserved_flags_puback() {
    check_reserved_flags(PacketType::PubAck, &ALL);
}

/// [MQTT-2.1.3-1, 5.0] [MQTT-2.2.2-1, MQTT-2.2.2-2, 3.1.1], and in 3.1.
#[test]
fn mqtt_2_1_3_1_reserved_flags_pubrec() {
    check_reserved_flags(PacketType::PubRec, &ALL);
}

/// [MQTT-2.1.3-1, 5.0] [MQTT-2.2.2-1, MQTT-2.2.2-2, 3.1.1], and in 3.1 but
/// for DUP; also [MQTT-3.6.1-1, 3.1.1, 5.0]: PUBREL's flags are 0010.
#[test]
fn mqtt_2_1_3_1_reserved_flags_pubrel() {
    check_reserved_flags(PacketType::PubRel, &ALL);
}

/// [MQTT-2.1.3-1, 5.0] [MQTT-2.2.2-1, MQTT-2.2.2-2, 3.1.1], and in 3.1.
#[test]
fn mqtt_2_1_3_1_reserved_flags_pubcomp() {
    check_reserved_flags(PacketType::PubComp, &ALL);
}

/// [MQTT-2.1.3-1, 5.0] [MQTT-2.2.2-1, MQTT-2.2.2-2, 3.1.1], and in 3.1 but
/// for DUP; also [MQTT-3.8.1-1, 3.1.1, 5.0]: SUBSCRIBE's flags are 0010.
#[test]
fn mqtt_2_1_3_1_reserved_flags_subscribe() {
    check_reserved_flags(PacketType::Subscribe, &ALL);
}

/// [MQTT-2.1.3-1, 5.0] [MQTT-2.2.2-1, MQTT-2.2.2-2, 3.1.1], and in 3.1.
#[test]
fn mqtt_2_1_3_1_reserved_flags_suback() {
    check_reserved_flags(PacketType::SubAck, &ALL);
}

/// [MQTT-2.1.3-1, 5.0] [MQTT-2.2.2-1, MQTT-2.2.2-2, 3.1.1], and in 3.1 but
/// for DUP; also [MQTT-3.10.1-1, 3.1.1, 5.0]: UNSUBSCRIBE's flags are 0010.
#[test]
fn mqtt_2_1_3_1_reserved_flags_unsubscribe() {
    check_reserved_flags(PacketType::Unsubscribe, &ALL);
}

/// [MQTT-2.1.3-1, 5.0] [MQTT-2.2.2-1, MQTT-2.2.2-2, 3.1.1], and in 3.1.
#[test]
fn mqtt_2_1_3_1_reserved_flags_unsuback() {
    check_reserved_flags(PacketType::UnsubAck, &ALL);
}

/// [MQTT-2.1.3-1, 5.0] [MQTT-2.2.2-1, MQTT-2.2.2-2, 3.1.1], and in 3.1.
#[test]
fn mqtt_2_1_3_1_reserved_flags_pingreq() {
    check_reserved_flags(PacketType::PingReq, &ALL);
}

/// [MQTT-2.1.3-1, 5.0] [MQTT-2.2.2-1, MQTT-2.2.2-2, 3.1.1], and in 3.1.
#[test]
fn mqtt_2_1_3_1_reserved_flags_pingresp() {
    check_reserved_flags(PacketType::PingResp, &ALL);
}

/// [MQTT-2.1.3-1, 5.0] [MQTT-2.2.2-1, MQTT-2.2.2-2, 3.1.1], and in 3.1;
/// also [MQTT-3.14.1-1, 3.1.1, 5.0]: non-zero DISCONNECT flags are malformed.
#[test]
fn mqtt_2_1_3_1_reserved_flags_disconnect() {
    check_reserved_flags(PacketType::Disconnect, &ALL);
}

/// [MQTT-2.1.3-1, MQTT-3.15.1-1, 5.0]: AUTH's flags are 0000.
#[test]
fn mqtt_2_1_3_1_reserved_flags_auth() {
    check_reserved_flags(PacketType::Auth, &[V5]);
}

/// MQTT 3.1 (section 2.1, DUP) sets DUP when re-sending PUBREL, SUBSCRIBE or
/// UNSUBSCRIBE; 3.1.1 reserved the bit, so only 3.1 accepts it.
#[test]
fn mqtt_3_1_dup_on_pubrel_subscribe_unsubscribe() {
    let pubrel = [0x6A, 0x02, 0x00, 0x07];
    assert_eq!(
        expect_ok(V3_1, &pubrel),
        Packet::PubRel(Ack::new(PacketId::new(7).unwrap()))
    );
    let mut sub = subscribe(V3_1, b"t", 0x01);
    sub[0] |= 0x08;
    assert!(matches!(expect_ok(V3_1, &sub), Packet::Subscribe(_)));
    let mut unsub = unsubscribe(V3_1, b"t");
    unsub[0] |= 0x08;
    assert!(matches!(expect_ok(V3_1, &unsub), Packet::Unsubscribe(_)));

    for (wire, packet) in [
        (pubrel.to_vec(), PacketType::PubRel),
        (sub, PacketType::Subscribe),
        (unsub, PacketType::Unsubscribe),
    ] {
        let error = DecodeError::InvalidHeaderFlags {
            packet,
            flags: 0b1010,
        };
        expect_err(V3_1_1, &wire, error.clone(), MALFORMED);
        expect_err(V5, &wire, error, MALFORMED);
    }
}

/// Packet type 0 is reserved in every version; 15 (AUTH) is reserved before 5.0.
#[test]
fn mqtt_2_1_2_reserved_packet_types() {
    for version in ALL {
        let error = DecodeError::InvalidPacketType {
            packet_type: 0,
            version,
        };
        expect_err(version, &[0x00, 0x00], error, MALFORMED);
    }
    for version in V3 {
        let error = DecodeError::InvalidPacketType {
            packet_type: 15,
            version,
        };
        expect_err(version, &[0xF0, 0x00], error.clone(), MALFORMED);
        expect_err(version, &[0xF0], error, MALFORMED);
    }
}

/// 5.0 section 3.1.2.11.4: a packet larger than the Maximum Packet Size is
/// refused (0x95) as soon as its fixed header is in, before the body.
#[test]
fn packet_too_large_is_refused_from_the_fixed_header() {
    for version in ALL {
        // Remaining length 98: 100 bytes in all, exactly the maximum.
        let (packets, error) = decode_all_ways(version, Some(100), &[0x30, 98]);
        assert_eq!((packets, error), (vec![], None), "waits for the body");

        // 99: one byte too many, refused on the two header bytes.
        let (packets, error) = decode_all_ways(version, Some(100), &[0x30, 99]);
        assert_eq!(packets, []);
        let error = error.unwrap();
        assert_eq!(
            error,
            DecodeError::PacketTooLarge {
                size: 101,
                max: 100
            }
        );
        assert_eq!(error.reason_code(), ReasonCode::PacketTooLarge);

        // A three-byte header: refused once the length is complete, not before.
        let (_, error) = decode_all_ways(version, Some(100), &[0x30, 0x80]);
        assert_eq!(error, None);
        let (_, error) = decode_all_ways(version, Some(100), &[0x30, 0x80, 0x01]);
        assert_eq!(
            error,
            Some(DecodeError::PacketTooLarge {
                size: 131,
                max: 100
            })
        );

        // The largest header, against a limit one byte below the protocol's.
        let max = MAX_PACKET_SIZE as u32 - 1;
        let (_, error) = decode_all_ways(version, Some(max), &[0x30, 0xFF, 0xFF, 0xFF, 0x7F]);
        assert_eq!(
            error,
            Some(DecodeError::PacketTooLarge {
                size: MAX_PACKET_SIZE,
                max
            })
        );
    }
}

// ---------------------------------------------------------------- PUBLISH fixed header

/// [MQTT-3.3.1-4, 3.1.1, 5.0]: a PUBLISH with both QoS bits set is
/// malformed, in every version.
#[test]
fn mqtt_3_3_1_4_publish_qos_3() {
    let error = DecodeError::InvalidQoS {
        field: "PUBLISH fixed header",
    };
    for version in ALL {
        let mut wire = publish(version, b"t");
        wire[0] = 0x36;
        expect_err(version, &wire, error.clone(), MALFORMED);
        wire[0] = 0x3F; // with DUP and RETAIN
        expect_err(version, &wire, error.clone(), MALFORMED);
    }
}

/// [MQTT-3.3.1-2, 3.1.1, 5.0]: DUP on a QoS 0 PUBLISH is malformed, in
/// every version.
#[test]
fn mqtt_3_3_1_2_dup_on_qos_0() {
    for version in ALL {
        let mut wire = publish(version, b"t");
        wire[0] = 0x38;
        expect_err(version, &wire, DecodeError::DupOnQoS0, MALFORMED);
        wire[0] = 0x39;
        expect_err(version, &wire, DecodeError::DupOnQoS0, MALFORMED);
    }
}

// ---------------------------------------------------------------- packet identifiers

fn zero_id(packet: PacketType) -> DecodeError {
    DecodeError::ZeroPacketId { packet }
}

/// [MQTT-2.3.1-1, 3.1.1]: a PUBLISH at QoS 1 or 2 carries a non-zero packet
/// identifier; 0 is malformed (in 3.1 and 5.0 as well).
#[test]
fn zero_packet_id_in_publish_is_malformed() {
    for version in ALL {
        let properties: &[u8] = if version.is_v5() { &[0x00] } else { &[] };
        for first in [0x32, 0x34, 0x3A, 0x3D] {
            let wire = frame(first, &cat(&[&lp(b"t"), &[0x00, 0x00], properties, b"x"]));
            expect_err(version, &wire, zero_id(PacketType::Publish), MALFORMED);
        }
    }
}

/// An acknowledgement carries its PUBLISH's identifier, which is never 0.
#[test]
fn zero_packet_id_in_pub_acks_is_malformed() {
    for (first, packet) in [
        (0x40, PacketType::PubAck),
        (0x50, PacketType::PubRec),
        (0x62, PacketType::PubRel),
        (0x70, PacketType::PubComp),
    ] {
        for version in ALL {
            expect_err(
                version,
                &[first, 0x02, 0x00, 0x00],
                zero_id(packet),
                MALFORMED,
            );
        }
        // The 5.0 forms with a reason code, and with properties.
        expect_err(
            V5,
            &[first, 0x03, 0x00, 0x00, 0x00],
            zero_id(packet),
            MALFORMED,
        );
        expect_err(
            V5,
            &[first, 0x04, 0x00, 0x00, 0x00, 0x00],
            zero_id(packet),
            MALFORMED,
        );
    }
}

/// [MQTT-2.3.1-1, 3.1.1]: a SUBSCRIBE carries a non-zero packet identifier;
/// 0 is malformed (in 3.1 and 5.0 as well), and in the SUBACK that echoes it.
#[test]
fn zero_packet_id_in_subscribe_and_suback_is_malformed() {
    for version in ALL {
        let properties: &[u8] = if version.is_v5() { &[0x00] } else { &[] };
        let wire = frame(0x82, &cat(&[&[0x00, 0x00], properties, &lp(b"t"), &[0x00]]));
        expect_err(version, &wire, zero_id(PacketType::Subscribe), MALFORMED);
        let wire = frame(0x90, &cat(&[&[0x00, 0x00], properties, &[0x00]]));
        expect_err(version, &wire, zero_id(PacketType::SubAck), MALFORMED);
    }
}

/// [MQTT-2.3.1-1, 3.1.1]: an UNSUBSCRIBE carries a non-zero packet
/// identifier; 0 is malformed (in 3.1 and 5.0 as well), and in the UNSUBACK.
#[test]
fn zero_packet_id_in_unsubscribe_and_unsuback_is_malformed() {
    for version in ALL {
        let properties: &[u8] = if version.is_v5() { &[0x00] } else { &[] };
        let wire = frame(0xA2, &cat(&[&[0x00, 0x00], properties, &lp(b"t")]));
        expect_err(version, &wire, zero_id(PacketType::Unsubscribe), MALFORMED);
    }
    for version in V3 {
        expect_err(
            version,
            &[0xB0, 0x02, 0x00, 0x00],
            zero_id(PacketType::UnsubAck),
            MALFORMED,
        );
    }
    expect_err(
        V5,
        &[0xB0, 0x04, 0x00, 0x00, 0x00, 0x00],
        zero_id(PacketType::UnsubAck),
        MALFORMED,
    );
}

// ---------------------------------------------------------------- UTF-8 strings

fn topic_utf8(field: &'static str, source: StringError) -> DecodeError {
    DecodeError::InvalidTopicName {
        field,
        source: TopicError::String(source),
    }
}

fn string_err(field: &'static str, source: StringError) -> DecodeError {
    DecodeError::InvalidString { field, source }
}

/// [MQTT-1.5.4-1, MQTT-1.5.4-2, 5.0] [MQTT-1.5.3-1, MQTT-1.5.3-2, 3.1.1]
/// [MQTT-3.3.2-1, MQTT-4.7.3-2, 3.1.1, 5.0]: the topic name is a UTF-8
/// string without U+0000; ill-formed UTF-8 or a null character is a
/// Malformed Packet (the connection ends), not an invalid topic, in every
/// version.
#[test]
fn mqtt_1_5_4_1_invalid_utf8_in_publish_topic() {
    for version in ALL {
        for (bad, source) in bad_strings() {
            let wire = publish(version, &cat(&[b"a/", bad]));
            expect_err(version, &wire, topic_utf8("topic name", source), MALFORMED);
        }
    }
}

/// [MQTT-3.1.3-4, 3.1.1, 5.0] [MQTT-1.5.4-1, MQTT-1.5.4-2, 5.0]
/// [MQTT-1.5.3-1, MQTT-1.5.3-2, 3.1.1]: the client identifier is a UTF-8
/// string; ill-formed UTF-8 or U+0000 in it is malformed, in every version.
#[test]
fn mqtt_1_5_4_1_invalid_utf8_in_client_id() {
    for version in ALL {
        for (bad, source) in bad_strings() {
            let wire = connect(version, 0x02, &[&lp(bad)]);
            expect_err(
                version,
                &wire,
                string_err("client identifier", source),
                MALFORMED,
            );
        }
    }
}

/// [MQTT-3.1.3-10, MQTT-3.1.3-11, 3.1.1] [MQTT-3.1.3-11, MQTT-3.1.3-12, 5.0]:
/// the will topic and the user name are UTF-8 strings
/// ([MQTT-1.5.3-1, MQTT-1.5.3-2, 3.1.1] [MQTT-1.5.4-1, MQTT-1.5.4-2, 5.0]);
/// ill-formed UTF-8 or U+0000 in them is malformed, in every version.
#[test]
fn mqtt_1_5_4_1_invalid_utf8_in_user_name_and_will_topic() {
    for version in ALL {
        for (bad, source) in bad_strings() {
            let wire = connect(version, 0x82, &[&lp(b"a"), &lp(bad)]);
            expect_err(version, &wire, string_err("user name", source), MALFORMED);

            let will_props = if version.is_v5() { vec![0x00] } else { vec![] };
            let wire = connect(
                version,
                0x06,
                &[&lp(b"a"), &will_props, &lp(bad), &lp(b"x")],
            );
            expect_err(version, &wire, topic_utf8("will topic", source), MALFORMED);
        }
    }
}

/// [MQTT-1.5.7-1, 5.0]: both strings of a User Property follow the string rules.
#[test]
fn mqtt_1_5_7_1_invalid_utf8_in_user_property() {
    for (bad, source) in bad_strings() {
        let wire = publish5(&props(&[&user_prop(bad, b"v")]));
        expect_err(
            V5,
            &wire,
            string_err("user property name", source),
            MALFORMED,
        );
        let wire = publish5(&props(&[&user_prop(b"k", bad)]));
        expect_err(
            V5,
            &wire,
            string_err("user property value", source),
            MALFORMED,
        );
        let wire = connect5_props(&props(&[&user_prop(b"k", bad)]));
        expect_err(
            V5,
            &wire,
            string_err("user property value", source),
            MALFORMED,
        );
        let wire = frame(
            0x40,
            &cat(&[&[0x00, 0x01, 0x00], &props(&[&user_prop(bad, b"")])]),
        );
        expect_err(
            V5,
            &wire,
            string_err("user property name", source),
            MALFORMED,
        );
    }
}

/// [MQTT-3.3.2-19, 5.0] Content Type, [MQTT-3.3.2-13, 5.0] Response Topic, and the
/// Reason String and Assigned Client Identifier are UTF-8 strings.
#[test]
fn mqtt_1_5_4_1_invalid_utf8_in_string_properties() {
    for (bad, source) in bad_strings() {
        let wire = publish5(&props(&[&str_prop(0x03, bad)]));
        expect_err(V5, &wire, string_err("string property", source), MALFORMED);
        let wire = publish5(&props(&[&str_prop(0x08, bad)]));
        expect_err(V5, &wire, topic_utf8("response topic", source), MALFORMED);
        let wire = frame(
            0x40,
            &cat(&[&[0x00, 0x01, 0x80], &props(&[&str_prop(0x1F, bad)])]),
        );
        expect_err(V5, &wire, string_err("string property", source), MALFORMED);
        let wire = connack5(&props(&[&str_prop(0x12, bad)]));
        expect_err(V5, &wire, string_err("string property", source), MALFORMED);
        let wire = frame(0xF0, &cat(&[&[0x18], &props(&[&str_prop(0x15, bad)])]));
        expect_err(V5, &wire, string_err("string property", source), MALFORMED);
    }
}

/// [MQTT-3.8.3-1, MQTT-3.10.3-1, MQTT-4.7.3-2, 3.1.1, 5.0]
/// [MQTT-1.5.3-1, MQTT-1.5.3-2, 3.1.1] [MQTT-1.5.4-1, MQTT-1.5.4-2, 5.0]:
/// topic filters are UTF-8 strings without U+0000; ill-formed UTF-8 or a
/// null character is malformed, not an invalid filter, in every version.
#[test]
fn mqtt_1_5_4_1_invalid_utf8_in_topic_filters() {
    for version in ALL {
        for (bad, source) in bad_strings() {
            let error = DecodeError::InvalidTopicFilter(TopicError::String(source));
            expect_err(
                version,
                &subscribe(version, bad, 0x00),
                error.clone(),
                MALFORMED,
            );
            expect_err(version, &unsubscribe(version, bad), error, MALFORMED);
        }
    }
}

// ---------------------------------------------------------------- topic names and filters

/// [MQTT-3.3.2-2, 3.1.1, 5.0] [MQTT-4.7.1-1, 3.1.1] [MQTT-4.7.0-1, 5.0]: no
/// wildcards in a PUBLISH topic name, in every version; the same for the
/// will topic and (5.0) the Response Topic [MQTT-3.3.2-14, 5.0].
#[test]
fn mqtt_3_3_2_2_wildcard_in_publish_topic() {
    let wildcard = |field| DecodeError::InvalidTopicName {
        field,
        source: TopicError::WildcardInName,
    };
    for version in ALL {
        for topic in [&b"a/+"[..], b"+", b"#", b"a/#", b"a/+/b", b"sport+"] {
            let wire = publish(version, topic);
            expect_err(
                version,
                &wire,
                wildcard("topic name"),
                ReasonCode::TopicNameInvalid,
            );
            let will_props = if version.is_v5() { vec![0x00] } else { vec![] };
            let wire = connect(
                version,
                0x06,
                &[&lp(b"a"), &will_props, &lp(topic), &lp(b"x")],
            );
            expect_err(
                version,
                &wire,
                wildcard("will topic"),
                ReasonCode::TopicNameInvalid,
            );
        }
    }
    let wire = publish5(&props(&[&str_prop(0x08, b"reply/#")]));
    expect_err(
        V5,
        &wire,
        wildcard("response topic"),
        ReasonCode::TopicNameInvalid,
    );
}

/// [MQTT-4.7.3-1, 3.1.1]: topic names are at least one character long;
/// before 5.0 nothing can stand in for an empty topic (3.1 alike).
#[test]
fn empty_topic_name_is_refused_before_5_0() {
    let empty = |field| DecodeError::InvalidTopicName {
        field,
        source: TopicError::Empty,
    };
    for version in V3 {
        expect_err(
            version,
            &publish(version, b""),
            empty("topic name"),
            ReasonCode::TopicNameInvalid,
        );
        let wire = connect(version, 0x06, &[&lp(b"a"), &lp(b""), &lp(b"x")]);
        expect_err(
            version,
            &wire,
            empty("will topic"),
            ReasonCode::TopicNameInvalid,
        );
    }
}

/// 5.0 section 3.3.2.1: a zero-length topic name needs a Topic Alias to
/// stand for it; without one the PUBLISH is a Protocol Error.
#[test]
fn empty_topic_without_alias_is_a_protocol_error_5_0() {
    expect_err(
        V5,
        &publish(V5, b""),
        DecodeError::MissingTopic,
        PROTOCOL_ERROR,
    );
}

/// `#` alone in the last level ([MQTT-4.7.1-1, 5.0], [MQTT-4.7.1-2, 3.1.1]),
/// `+` alone in its level ([MQTT-4.7.1-2, 5.0], [MQTT-4.7.1-3, 3.1.1]), not
/// empty ([MQTT-4.7.3-1, 3.1.1, 5.0]), in every version; in 5.0 also a
/// non-empty share name followed by `/` and a filter ([MQTT-4.8.2-1, 5.0],
/// [MQTT-4.8.2-2, 5.0]).
#[test]
fn mqtt_4_7_1_invalid_topic_filters() {
    let everywhere: [(&[u8], TopicError); 8] = [
        (b"a/b#", TopicError::InvalidMultiLevelWildcard),
        (b"#/a", TopicError::InvalidMultiLevelWildcard),
        (b"a/#/b", TopicError::InvalidMultiLevelWildcard),
        (b"##", TopicError::InvalidMultiLevelWildcard),
        (b"a+", TopicError::InvalidSingleLevelWildcard),
        (b"+a/b", TopicError::InvalidSingleLevelWildcard),
        (b"a/b+/c", TopicError::InvalidSingleLevelWildcard),
        (b"", TopicError::Empty),
    ];
    let shared_in_v5: [(&[u8], TopicError); 4] = [
        (b"$share//x", TopicError::InvalidShareName),
        (b"$share/a+b/x", TopicError::InvalidShareName),
        (b"$share/g", TopicError::EmptySharedFilter),
        (b"$share/g/", TopicError::EmptySharedFilter),
    ];
    for version in ALL {
        let v5_cases: &[(&[u8], TopicError)] = if version == V5 { &shared_in_v5 } else { &[] };
        for &(filter, source) in everywhere.iter().chain(v5_cases) {
            let error = DecodeError::InvalidTopicFilter(source);
            let code = ReasonCode::TopicFilterInvalid;
            expect_err(
                version,
                &subscribe(version, filter, 0x01),
                error.clone(),
                code,
            );
            expect_err(version, &unsubscribe(version, filter), error, code);
        }
    }
}

/// The shared-subscription rules are 5.0's: in 3.1 and 3.1.1 `$share/g/`,
/// `$share/g`, `$share/+/` and `$share//` are ordinary filters, valid by
/// [MQTT-4.7.1-2, 3.1.1], [MQTT-4.7.1-3, 3.1.1] and [MQTT-4.7.3-1, 3.1.1].
#[test]
fn share_prefixed_filters_are_ordinary_filters_in_3_1_1() {
    // The SUBSCRIBE of the report: `$share/g/`, QoS 0.
    let wire = [
        0x82, 0x0e, 0x00, 0x01, 0x00, 0x09, 0x24, 0x73, 0x68, 0x61, 0x72, 0x65, 0x2f, 0x67, 0x2f,
        0x00,
    ];
    for version in V3 {
        let Packet::Subscribe(s) = expect_ok(version, &wire) else {
            panic!("not a SUBSCRIBE")
        };
        assert_eq!(s.subscriptions[0].filter.as_str(), "$share/g/");
        assert!(!s.subscriptions[0].filter.is_shared());
        for filter in [&b"$share/g/"[..], b"$share/g", b"$share/+/", b"$share//"] {
            expect_ok(version, &subscribe(version, filter, 0x01));
            expect_ok(version, &unsubscribe(version, filter));
        }
    }
    // A well-formed one is still read as shared, for matching.
    let Packet::Subscribe(s) = expect_ok(V3_1_1, &subscribe(V3_1_1, b"$share/g/a/#", 0x01)) else {
        panic!("not a SUBSCRIBE")
    };
    assert_eq!(s.subscriptions[0].filter.matching_filter(), "a/#");
}

// ---------------------------------------------------------------- CONNECT

/// [MQTT-3.1.2-1, 3.1.1, 5.0]: an unknown protocol name is not processed
/// as MQTT; 0x84 Unsupported Protocol Version.
#[test]
fn mqtt_3_1_2_1_bad_protocol_name() {
    for (name, level) in [
        (&b"MQTX"[..], 4),
        (b"mqtt", 4),
        (b"MQTT ", 5),
        (b"MQIsdp", 4),
        (b"", 4),
        (b"\xFF\xFE", 5),
    ] {
        let wire = frame(0x10, &connect_body(name, level, 0x02, None, &[&lp(b"a")]));
        let error = DecodeError::UnsupportedProtocol {
            name: String::from_utf8_lossy(name).into_owned(),
            level,
        };
        for version in ALL {
            expect_err(
                version,
                &wire,
                error.clone(),
                ReasonCode::UnsupportedProtocolVersion,
            );
        }
    }
}

/// [MQTT-3.1.2-2, 3.1.1, 5.0]: an unsupported protocol level is refused
/// (0x84, which is 3.x return code 0x01).
#[test]
fn mqtt_3_1_2_2_bad_protocol_level() {
    for (name, level) in [
        (&b"MQTT"[..], 3),
        (b"MQTT", 6),
        (b"MQTT", 0),
        (b"MQTT", 0x84),
        (b"MQIsdp", 5),
    ] {
        let wire = frame(0x10, &connect_body(name, level, 0x02, None, &[&lp(b"a")]));
        let error = DecodeError::UnsupportedProtocol {
            name: String::from_utf8_lossy(name).into_owned(),
            level,
        };
        for version in ALL {
            expect_err(
                version,
                &wire,
                error.clone(),
                ReasonCode::UnsupportedProtocolVersion,
            );
        }
    }
}

/// [MQTT-3.1.2-3, 3.1.1, 5.0]: the reserved CONNECT flag is 0; a 1 is
/// malformed, in every version.
#[test]
fn mqtt_3_1_2_3_connect_reserved_flag() {
    for version in ALL {
        for flags in [0x01, 0x03, 0xFF] {
            let wire = connect(version, flags, &[&lp(b"a")]);
            expect_err(version, &wire, DecodeError::ConnectReservedFlag, MALFORMED);
        }
    }
}

/// [MQTT-3.1.2-11, 5.0] [MQTT-3.1.2-11, MQTT-3.1.2-13, 3.1.1]: without the
/// Will Flag the Will QoS is 0; 1 or 2 is malformed, in every version.
#[test]
fn mqtt_3_1_2_11_will_qos_without_will_flag() {
    for version in ALL {
        for flags in [0x0A, 0x12] {
            let wire = connect(version, flags, &[&lp(b"a")]);
            expect_err(version, &wire, DecodeError::WillFlagsWithoutWill, MALFORMED);
        }
    }
}

/// [MQTT-3.1.2-13, 5.0] [MQTT-3.1.2-11, MQTT-3.1.2-15, 3.1.1]: without the
/// Will Flag the Will Retain is 0; 1 is malformed, in every version.
#[test]
fn mqtt_3_1_2_13_will_retain_without_will_flag() {
    for version in ALL {
        let wire = connect(version, 0x22, &[&lp(b"a")]);
        expect_err(version, &wire, DecodeError::WillFlagsWithoutWill, MALFORMED);
    }
}

/// [MQTT-3.1.2-12, 5.0] [MQTT-3.1.2-14, 3.1.1]: a will QoS of 3 is
/// malformed, with will retain or without, in every version.
#[test]
fn mqtt_3_1_2_12_will_qos_3() {
    let error = DecodeError::InvalidQoS { field: "will QoS" };
    for version in ALL {
        let will_props = if version.is_v5() { vec![0x00] } else { vec![] };
        let wire = connect(
            version,
            0x1E,
            &[&lp(b"a"), &will_props, &lp(b"w"), &lp(b"x")],
        );
        expect_err(version, &wire, error.clone(), MALFORMED);
        let wire = connect(
            version,
            0x3E,
            &[&lp(b"a"), &will_props, &lp(b"w"), &lp(b"x")],
        );
        expect_err(version, &wire, error.clone(), MALFORMED);
    }
}

/// [MQTT-3.1.2-22, 3.1.1]: no password flag without the user name flag, in
/// 3.1 and 3.1.1; 5.0 dropped the rule (section 3.1.2.9).
#[test]
fn password_without_user_name_is_refused_before_5_0() {
    for version in V3 {
        let wire = connect(version, 0x42, &[&lp(b"a"), &lp(b"pw")]);
        expect_err(
            version,
            &wire,
            DecodeError::PasswordWithoutUsername,
            MALFORMED,
        );
    }
    match expect_ok(V5, &connect(V5, 0x42, &[&lp(b"a"), &lp(b"pw")])) {
        Packet::Connect(c) => {
            assert_eq!(c.username, None);
            assert_eq!(c.password.as_deref(), Some(&b"pw"[..]));
        }
        other => panic!("{other:?}"),
    }
}

/// MQTT 3.1 section 3.1: the client identifier is 1 to 23 characters; a
/// server answers CONNACK return code 2, "identifier rejected" (0x85 in 5.0).
#[test]
fn mqtt_3_1_client_id_length() {
    let code = ReasonCode::ClientIdentifierNotValid;
    let wire = connect(V3_1, 0x02, &[&lp(b"abcdefghijklmnopqrstuvwx")]);
    expect_err(V3_1, &wire, DecodeError::ClientIdLength(24), code);
    let wire = connect(V3_1, 0x02, &[&lp(b"")]);
    expect_err(V3_1, &wire, DecodeError::ClientIdLength(0), code);
    // Counted in bytes: 12 two-byte characters are 24 bytes.
    let wire = connect(V3_1, 0x02, &[&lp("éééééééééééé".as_bytes())]);
    expect_err(V3_1, &wire, DecodeError::ClientIdLength(24), code);
    // 3.1.1 has no such limit.
    expect_ok(
        V3_1_1,
        &connect(V3_1_1, 0x02, &[&lp(b"abcdefghijklmnopqrstuvwx")]),
    );
}

// ---------------------------------------------------------------- CONNACK

/// [MQTT-3.2.2-1, 5.0]: bits 7-1 of the CONNACK acknowledge flags are
/// reserved; so they are in 3.1 and 3.1.1 (section 3.2.2.1, no label there).
#[test]
fn mqtt_3_2_2_1_connack_reserved_flags() {
    for flags in [0x02, 0x80, 0xFE, 0xFF] {
        for version in V3 {
            let wire = [0x20, 0x02, flags, 0x00];
            expect_err(
                version,
                &wire,
                DecodeError::InvalidConnAckFlags(flags),
                MALFORMED,
            );
        }
        let wire = [0x20, 0x03, flags, 0x00, 0x00];
        expect_err(
            V5,
            &wire,
            DecodeError::InvalidConnAckFlags(flags),
            MALFORMED,
        );
    }
}

/// [MQTT-3.2.2-4, 3.1.1] [MQTT-3.2.2-6, 5.0]: Session Present is 0 on a
/// refused connection.
#[test]
fn mqtt_3_2_2_6_session_present_with_error_code() {
    for version in V3 {
        for code in 1..=5 {
            let wire = [0x20, 0x02, 0x01, code];
            expect_err(
                version,
                &wire,
                DecodeError::SessionPresentOnFailure,
                PROTOCOL_ERROR,
            );
        }
    }
    for code in [0x80, 0x87, 0x9C] {
        let wire = [0x20, 0x03, 0x01, code, 0x00];
        expect_err(
            V5,
            &wire,
            DecodeError::SessionPresentOnFailure,
            PROTOCOL_ERROR,
        );
    }
}

// ---------------------------------------------------------------- reason codes

fn bad_reason(packet: PacketType, code: u8) -> DecodeError {
    DecodeError::InvalidReasonCode { packet, code }
}

/// 3.1.1 Table 3.1: return codes 6-255 are reserved.
#[test]
fn connack_return_codes_6_to_255_are_refused_before_5_0() {
    for version in V3 {
        for code in [0x06, 0x80, 0xFF] {
            let wire = [0x20, 0x02, 0x00, code];
            expect_err(
                version,
                &wire,
                bad_reason(PacketType::ConnAck, code),
                PROTOCOL_ERROR,
            );
        }
    }
}

/// [MQTT-3.2.2-8, 5.0] and the per-packet reason code tables: a code the
/// packet cannot carry (or no code at all) is refused.
#[test]
fn mqtt_2_4_reason_code_not_allowed_for_the_packet() {
    let acks = [
        (0x40, PacketType::PubAck, [0x01, 0x05, 0x92, 0x81]),
        (0x50, PacketType::PubRec, [0x02, 0x18, 0x92, 0x8F]),
        (0x62, PacketType::PubRel, [0x10, 0x80, 0x87, 0x91]),
        (0x70, PacketType::PubComp, [0x10, 0x80, 0x97, 0x04]),
    ];
    for (first, packet, codes) in acks {
        for code in codes {
            // Reason code only, and with an empty property section.
            expect_err(
                V5,
                &[first, 0x03, 0x00, 0x01, code],
                bad_reason(packet, code),
                PROTOCOL_ERROR,
            );
            expect_err(
                V5,
                &[first, 0x04, 0x00, 0x01, code, 0x00],
                bad_reason(packet, code),
                PROTOCOL_ERROR,
            );
        }
    }
    for code in [0x04, 0x10, 0x8E, 0x18, 0x01] {
        let wire = [0x20, 0x03, 0x00, code, 0x00];
        expect_err(
            V5,
            &wire,
            bad_reason(PacketType::ConnAck, code),
            PROTOCOL_ERROR,
        );
    }
    for code in [0x03, 0x11, 0x81, 0x92] {
        let wire = [0x90, 0x05, 0x00, 0x01, 0x00, 0x00, code];
        expect_err(
            V5,
            &wire,
            bad_reason(PacketType::SubAck, code),
            PROTOCOL_ERROR,
        );
    }
    // 3.1.1 SUBACK: 0x00, 0x01, 0x02 and 0x80 only.
    for version in V3 {
        for code in [0x03, 0x81, 0x87] {
            let wire = [0x90, 0x04, 0x00, 0x01, 0x00, code];
            expect_err(
                version,
                &wire,
                bad_reason(PacketType::SubAck, code),
                PROTOCOL_ERROR,
            );
        }
    }
    for code in [0x01, 0x10, 0x8E] {
        let wire = [0xB0, 0x04, 0x00, 0x01, 0x00, code];
        expect_err(
            V5,
            &wire,
            bad_reason(PacketType::UnsubAck, code),
            PROTOCOL_ERROR,
        );
    }
    for code in [0x01, 0x18, 0x84, 0x85] {
        expect_err(
            V5,
            &[0xE0, 0x01, code],
            bad_reason(PacketType::Disconnect, code),
            PROTOCOL_ERROR,
        );
    }
    for code in [0x01, 0x04, 0x80, 0x87] {
        expect_err(
            V5,
            &[0xF0, 0x02, code, 0x00],
            bad_reason(PacketType::Auth, code),
            PROTOCOL_ERROR,
        );
    }
}

// ---------------------------------------------------------------- properties

/// 5.0 section 2.2.2.2: an identifier 5.0 does not define is malformed.
#[test]
fn unknown_property_identifier_is_malformed() {
    for id in [0x00, 0x04, 0x0A, 0x14, 0x2B, 0x7F, 0x80, 0xFF] {
        let error = DecodeError::UnknownProperty(id);
        expect_err(
            V5,
            &publish5(&props(&[&[id, 0x00]])),
            error.clone(),
            MALFORMED,
        );
        expect_err(
            V5,
            &connect5_props(&props(&[&[id, 0x00]])),
            error.clone(),
            MALFORMED,
        );
        expect_err(
            V5,
            &connect5_will_props(&props(&[&[id, 0x00]])),
            error.clone(),
            MALFORMED,
        );
        expect_err(
            V5,
            &connack5(&props(&[&[id, 0x00]])),
            error.clone(),
            MALFORMED,
        );
        let wire = [0x40, 0x06, 0x00, 0x01, 0x00, 0x02, id, 0x00];
        expect_err(V5, &wire, error, MALFORMED);
    }
}

/// 5.0 section 2.2.2.2: a property the packet type does not allow makes
/// the packet malformed.
#[test]
fn property_not_allowed_in_the_packet_is_malformed() {
    let not_allowed = |packet, property| DecodeError::PropertyNotAllowed { packet, property };
    let cases: Vec<(Vec<u8>, DecodeError)> = vec![
        (
            connect5_props(&props(&[&[0x23, 0x00, 0x01]])),
            not_allowed("CONNECT", PropertyId::TopicAlias),
        ),
        (
            connect5_props(&props(&[&[0x18, 0x00, 0x00, 0x00, 0x01]])),
            not_allowed("CONNECT", PropertyId::WillDelayInterval),
        ),
        (
            connect5_props(&props(&[&[0x24, 0x01]])),
            not_allowed("CONNECT", PropertyId::MaximumQoS),
        ),
        (
            connect5_will_props(&props(&[&[0x11, 0x00, 0x00, 0x00, 0x01]])),
            not_allowed("will properties", PropertyId::SessionExpiryInterval),
        ),
        (
            connect5_will_props(&props(&[&[0x23, 0x00, 0x01]])),
            not_allowed("will properties", PropertyId::TopicAlias),
        ),
        (
            publish5(&props(&[&[0x13, 0x00, 0x0A]])),
            not_allowed("PUBLISH", PropertyId::ServerKeepAlive),
        ),
        (
            publish5(&props(&[&[0x18, 0x00, 0x00, 0x00, 0x01]])),
            not_allowed("PUBLISH", PropertyId::WillDelayInterval),
        ),
        (
            connack5(&props(&[&[0x0B, 0x01]])),
            not_allowed("CONNACK", PropertyId::SubscriptionIdentifier),
        ),
        (
            connack5(&props(&[&[0x17, 0x01]])),
            not_allowed("CONNACK", PropertyId::RequestProblemInformation),
        ),
        (
            frame(
                0x40,
                &cat(&[&[0x00, 0x01, 0x00], &props(&[&[0x23, 0x00, 0x01]])]),
            ),
            not_allowed("acknowledgement", PropertyId::TopicAlias),
        ),
        (
            subscribe5_props(&props(&[&str_prop(0x1F, b"r")])),
            not_allowed("SUBSCRIBE", PropertyId::ReasonString),
        ),
        (
            frame(
                0x90,
                &cat(&[&[0x00, 0x01], &props(&[&[0x0B, 0x01]]), &[0x00]]),
            ),
            not_allowed("acknowledgement", PropertyId::SubscriptionIdentifier),
        ),
        (
            frame(
                0xA2,
                &cat(&[&[0x00, 0x01], &props(&[&[0x0B, 0x01]]), &lp(b"t")]),
            ),
            not_allowed("UNSUBSCRIBE", PropertyId::SubscriptionIdentifier),
        ),
        (
            frame(0xE0, &cat(&[&[0x00], &props(&[&str_prop(0x12, b"id")])])),
            not_allowed("DISCONNECT", PropertyId::AssignedClientIdentifier),
        ),
        (
            frame(
                0xF0,
                &cat(&[&[0x18], &props(&[&[0x11, 0x00, 0x00, 0x00, 0x01]])]),
            ),
            not_allowed("AUTH", PropertyId::SessionExpiryInterval),
        ),
    ];
    for (wire, error) in cases {
        expect_err(V5, &wire, error, MALFORMED);
    }
}

/// A property given twice is a Protocol Error (each property's section in
/// 5.0); User Property and PUBLISH Subscription Identifier repeat freely.
#[test]
fn duplicate_property_is_a_protocol_error() {
    let dup = DecodeError::DuplicateProperty;
    let cases: Vec<(Vec<u8>, DecodeError)> = vec![
        (
            connect5_props(&props(&[&[0x11, 0, 0, 0, 1], &[0x11, 0, 0, 0, 1]])),
            dup(PropertyId::SessionExpiryInterval),
        ),
        (
            connect5_props(&props(&[
                &str_prop(0x15, b"m"),
                &[0x21, 0, 1],
                &str_prop(0x15, b"m"),
            ])),
            dup(PropertyId::AuthenticationMethod),
        ),
        (
            connect5_will_props(&props(&[&[0x18, 0, 0, 0, 1], &[0x18, 0, 0, 0, 2]])),
            dup(PropertyId::WillDelayInterval),
        ),
        (
            publish5(&props(&[&[0x23, 0, 1], &[0x23, 0, 2]])),
            dup(PropertyId::TopicAlias),
        ),
        (
            publish5(&props(&[&[0x01, 0], &user_prop(b"a", b"b"), &[0x01, 1]])),
            dup(PropertyId::PayloadFormatIndicator),
        ),
        (
            connack5(&props(&[&[0x24, 0], &[0x24, 1]])),
            dup(PropertyId::MaximumQoS),
        ),
        (
            subscribe5_props(&props(&[&[0x0B, 1], &[0x0B, 2]])),
            dup(PropertyId::SubscriptionIdentifier),
        ),
        (
            frame(
                0x40,
                &cat(&[
                    &[0x00, 0x01, 0x80],
                    &props(&[&str_prop(0x1F, b"a"), &str_prop(0x1F, b"b")]),
                ]),
            ),
            dup(PropertyId::ReasonString),
        ),
        (
            frame(
                0xE0,
                &cat(&[
                    &[0x00],
                    &props(&[&str_prop(0x1C, b"a"), &str_prop(0x1C, b"a")]),
                ]),
            ),
            dup(PropertyId::ServerReference),
        ),
        (
            frame(
                0xF0,
                &cat(&[
                    &[0x18],
                    &props(&[&str_prop(0x15, b"m"), &str_prop(0x15, b"m")]),
                ]),
            ),
            dup(PropertyId::AuthenticationMethod),
        ),
    ];
    for (wire, error) in cases {
        expect_err(V5, &wire, error, PROTOCOL_ERROR);
    }

    let wire = publish5(&props(&[
        &user_prop(b"k", b"1"),
        &[0x0B, 0x01],
        &user_prop(b"k", b"1"),
        &[0x0B, 0x01],
    ]));
    match expect_ok(V5, &wire) {
        Packet::Publish(p) => {
            assert_eq!(p.properties.user_properties.len(), 2);
            assert_eq!(p.properties.subscription_identifiers.len(), 2);
        }
        other => panic!("{other:?}"),
    }
}

/// Values the property sections rule out, each "a Protocol Error": a
/// Receive Maximum or Maximum Packet Size of 0 (3.1.2.11.3, 3.1.2.11.4,
/// 3.2.2.3.3, 3.2.2.3.6), a Topic Alias of 0 [MQTT-3.3.2-8, 5.0], a Subscription
/// Identifier of 0 (3.3.2.3.8, 3.8.2.1.2), a Maximum QoS other than 0 or 1
/// (3.2.2.3.4), and a byte flag other than 0 or 1 (3.1.2.11.6, 3.1.2.11.7,
/// 3.2.2.3.5, 3.2.2.3.13).
#[test]
fn property_value_zero_or_out_of_range() {
    let invalid = DecodeError::InvalidPropertyValue;
    let cases: Vec<(Vec<u8>, DecodeError)> = vec![
        (
            connect5_props(&props(&[&[0x21, 0, 0]])),
            invalid(PropertyId::ReceiveMaximum),
        ),
        (
            connack5(&props(&[&[0x21, 0, 0]])),
            invalid(PropertyId::ReceiveMaximum),
        ),
        (
            connect5_props(&props(&[&[0x27, 0, 0, 0, 0]])),
            invalid(PropertyId::MaximumPacketSize),
        ),
        (
            connack5(&props(&[&[0x27, 0, 0, 0, 0]])),
            invalid(PropertyId::MaximumPacketSize),
        ),
        (
            publish5(&props(&[&[0x23, 0, 0]])),
            invalid(PropertyId::TopicAlias),
        ),
        (
            publish5(&props(&[&[0x0B, 0x00]])),
            invalid(PropertyId::SubscriptionIdentifier),
        ),
        (
            subscribe5_props(&props(&[&[0x0B, 0x00]])),
            invalid(PropertyId::SubscriptionIdentifier),
        ),
        (
            connack5(&props(&[&[0x24, 2]])),
            invalid(PropertyId::MaximumQoS),
        ),
        (
            connack5(&props(&[&[0x24, 3]])),
            invalid(PropertyId::MaximumQoS),
        ),
        (
            connack5(&props(&[&[0x25, 2]])),
            invalid(PropertyId::RetainAvailable),
        ),
        (
            connack5(&props(&[&[0x2A, 0xFF]])),
            invalid(PropertyId::SharedSubscriptionAvailable),
        ),
        (
            connect5_props(&props(&[&[0x17, 2]])),
            invalid(PropertyId::RequestProblemInformation),
        ),
        (
            connect5_props(&props(&[&[0x19, 2]])),
            invalid(PropertyId::RequestResponseInformation),
        ),
        (
            publish5(&props(&[&[0x01, 2]])),
            invalid(PropertyId::PayloadFormatIndicator),
        ),
        (
            connect5_will_props(&props(&[&[0x01, 0x80]])),
            invalid(PropertyId::PayloadFormatIndicator),
        ),
    ];
    for (wire, error) in cases {
        expect_err(V5, &wire, error, PROTOCOL_ERROR);
    }
}

/// 5.0 section 2.2.2.1: the Property Length counts the properties; one that
/// overruns the packet, or a property that runs past it, is malformed.
#[test]
fn property_length_overrunning_the_packet_is_malformed() {
    // Property length 5 with nothing after it.
    let wire = [0x40, 0x04, 0x00, 0x01, 0x10, 0x05];
    expect_err(V5, &wire, DecodeError::Truncated("properties"), MALFORMED);
    expect_err(
        V5,
        &connack5(&[0x02, 0x24]),
        DecodeError::Truncated("properties"),
        MALFORMED,
    );
    // Property length 2, but Message Expiry Interval takes 5 bytes, eating the payload.
    let wire = frame(
        0x30,
        &cat(&[&lp(b"t"), &[0x02, 0x02, 0x00, 0x00, 0x00, 0x3C], b"x"]),
    );
    expect_err(V5, &wire, DecodeError::PropertyLengthMismatch, MALFORMED);
    // A User Property whose value crosses the end of the section.
    let wire = frame(
        0x30,
        &cat(&[&lp(b"t"), &[0x05], &user_prop(b"k", b"v"), b"xy"]),
    );
    expect_err(V5, &wire, DecodeError::PropertyLengthMismatch, MALFORMED);
    // A value cut short by the end of the section, which is also the end of the packet.
    let wire = frame(0x30, &cat(&[&lp(b"t"), &[0x03, 0x02, 0x00, 0x00]]));
    expect_err(V5, &wire, DecodeError::PropertyLengthMismatch, MALFORMED);
    // A cut-off value is malformed before it is judged: a Receive Maximum of
    // 0x00.. is not a Protocol Error when its second byte is missing.
    let wire = connect5_props(&[0x02, 0x21, 0x00]);
    expect_err(V5, &wire, DecodeError::PropertyLengthMismatch, MALFORMED);
}

// ---------------------------------------------------------------- truncated fields

/// The packet ends inside each field of a CONNECT: 3.1.1 (the section 3.1.2.10 example).
#[test]
fn truncated_connect_3_1_1_every_field() {
    let body = connect_body(
        b"MQTT",
        4,
        0xCE,
        None,
        &[
            &lp(b"cid"),
            &lp(b"w/t"),
            &lp(b"bye"),
            &lp(b"user"),
            &lp(b"pw"),
        ],
    );
    assert_eq!(body.len(), 35);
    let t = DecodeError::Truncated;
    expect_truncations(
        V3_1_1,
        0x10,
        &body,
        &[
            (0..6, t("protocol name")),
            (6..7, t("protocol level")),
            (7..8, t("connect flags")),
            (8..10, t("keep alive")),
            (10..15, t("client identifier")),
            (15..20, t("will topic")),
            (20..25, t("will payload")),
            (25..31, t("user name")),
            (31..35, t("password")),
        ],
    );
}

/// The packet ends inside each field of a 5.0 CONNECT with properties and will properties.
#[test]
fn truncated_connect_5_0_every_field() {
    let properties = props(&[&[0x11, 0, 0, 0, 10], &user_prop(b"k", b"v")]);
    let will_properties = props(&[&[0x18, 0, 0, 0, 5], &str_prop(0x03, b"text")]);
    let body = connect_body(
        b"MQTT",
        5,
        0xCE,
        Some(&properties),
        &[
            &lp(b"cid"),
            &will_properties,
            &lp(b"w/t"),
            &lp(b"bye"),
            &lp(b"user"),
            &lp(b"pw"),
        ],
    );
    // 10 + (1 + 12) + 5 + (1 + 12) + 5 + 5 + 6 + 4
    assert_eq!(body.len(), 61);
    let t = DecodeError::Truncated;
    expect_truncations(
        V5,
        0x10,
        &body,
        &[
            (0..6, t("protocol name")),
            (6..7, t("protocol level")),
            (7..8, t("connect flags")),
            (8..10, t("keep alive")),
            (10..11, t("property length")),
            (11..23, t("properties")),
            (23..28, t("client identifier")),
            (28..29, t("property length")),
            (29..41, t("properties")),
            (41..46, t("will topic")),
            (46..51, t("will payload")),
            (51..57, t("user name")),
            (57..61, t("password")),
        ],
    );
    expect_ok(V5, &frame(0x10, &body));
}

/// The packet ends inside each field of a PUBLISH; a cut inside the payload
/// is a shorter, valid payload.
#[test]
fn truncated_publish_every_field() {
    let t = DecodeError::Truncated;
    for version in ALL {
        let body = cat(&[
            &lp(b"a/b"),
            &[0x00, 0x0A],
            if version.is_v5() { &[0x00][..] } else { &[] },
            b"x",
        ]);
        let mut fields = vec![(0..5, t("topic name")), (5..7, t("packet identifier"))];
        if version.is_v5() {
            fields.push((7..8, t("property length")));
        }
        expect_truncations(version, 0x32, &body, &fields);
        // QoS 0: no packet identifier.
        expect_truncations(version, 0x30, &lp(b"a/b"), &[(0..5, t("topic name"))]);
    }
    let properties = props(&[&[0x02, 0, 0, 0, 60], &str_prop(0x03, b"json")]);
    let body = cat(&[&lp(b"s/1"), &[0x12, 0x34], &properties, b"{}"]);
    expect_truncations(
        V5,
        0x34,
        &body,
        &[
            (0..5, t("topic name")),
            (5..7, t("packet identifier")),
            (7..8, t("property length")),
            (8..20, t("properties")),
        ],
    );
    for cut in 20..=body.len() {
        expect_ok(V5, &frame(0x34, &body[..cut]));
    }
}

#[test]
fn truncated_other_packets() {
    let t = DecodeError::Truncated;
    for version in ALL {
        let connack_fields: &[(Range<usize>, DecodeError)] = if version.is_v5() {
            &[
                (0..1, t("acknowledge flags")),
                (1..2, t("return code")),
                (2..3, t("property length")),
            ]
        } else {
            &[(0..1, t("acknowledge flags")), (1..2, t("return code"))]
        };
        expect_truncations(version, 0x20, &[0x00, 0x00, 0x00], connack_fields);
        for first in [0x40, 0x50, 0x62, 0x70, 0xB0] {
            expect_truncations(
                version,
                first,
                &[0x00, 0x01],
                &[(0..2, t("packet identifier"))],
            );
        }
        let properties: &[u8] = if version.is_v5() { &[0x00] } else { &[] };
        let p = properties.len();
        // SUBSCRIBE: packet identifier, (properties,) filter, options. A cut
        // right after the properties leaves no payload: a Protocol Error.
        let body = cat(&[&[0x00, 0x01], properties, &lp(b"a/b"), &[0x01]]);
        let mut fields = vec![(0..2, t("packet identifier"))];
        if version.is_v5() {
            fields.push((2..3, t("property length")));
        }
        expect_truncations(version, 0x82, &body, &fields);
        let empty = frame(0x82, &body[..2 + p]);
        expect_err(version, &empty, DecodeError::EmptySubscribe, PROTOCOL_ERROR);
        for cut in 3 + p..7 + p {
            expect_err(
                version,
                &frame(0x82, &body[..cut]),
                t("topic filter"),
                MALFORMED,
            );
        }
        let cut = frame(0x82, &body[..7 + p]);
        expect_err(version, &cut, t("subscription options"), MALFORMED);
        // UNSUBSCRIBE: the same without options.
        let body = cat(&[&[0x00, 0x01], properties, &lp(b"a/b")]);
        expect_truncations(version, 0xA2, &body, &fields);
        for cut in 3 + p..7 + p {
            expect_err(
                version,
                &frame(0xA2, &body[..cut]),
                t("topic filter"),
                MALFORMED,
            );
        }
        expect_err(
            version,
            &frame(0xA2, &body[..2 + p]),
            DecodeError::EmptyUnsubscribe,
            PROTOCOL_ERROR,
        );
        // SUBACK: at least one return code.
        let body = cat(&[&[0x00, 0x01], properties, &[0x01]]);
        expect_truncations(version, 0x90, &body, &[(0..2, t("packet identifier"))]);
        expect_err(
            version,
            &frame(0x90, &body[..2 + p]),
            DecodeError::EmptyAck(PacketType::SubAck),
            MALFORMED,
        );
    }
    // 5.0 UNSUBACK: properties and at least one reason code.
    expect_truncations(
        V5,
        0xB0,
        &[0x00, 0x01, 0x00, 0x00],
        &[(0..2, t("packet identifier")), (2..3, t("property length"))],
    );
    expect_err(
        V5,
        &[0xB0, 0x03, 0x00, 0x01, 0x00],
        DecodeError::EmptyAck(PacketType::UnsubAck),
        MALFORMED,
    );
    // 5.0 DISCONNECT and AUTH with a property section cut short.
    let body = cat(&[&[0x8E], &props(&[&str_prop(0x1F, b"bye")])]);
    for cut in 2..body.len() {
        expect_err(V5, &frame(0xE0, &body[..cut]), t("properties"), MALFORMED);
        let mut auth = body.clone();
        auth[0] = 0x18;
        expect_err(V5, &frame(0xF0, &auth[..cut]), t("properties"), MALFORMED);
    }
}

/// 5.0 section 3.15.2.1: AUTH omits the reason code and the property length
/// together; unlike DISCONNECT (3.14.2.2.1) it has no reason-only form.
#[test]
fn auth_reason_code_without_property_length_is_malformed() {
    for code in [0x00, 0x18, 0x19] {
        expect_err(
            V5,
            &[0xF0, 0x01, code],
            DecodeError::Truncated("property length"),
            MALFORMED,
        );
    }
}

// ---------------------------------------------------------------- trailing bytes

fn trailing(packet: PacketType, extra: usize) -> DecodeError {
    DecodeError::TrailingBytes { packet, extra }
}

#[test]
fn trailing_bytes_after_the_last_field() {
    for version in ALL {
        expect_err(
            version,
            &[0xC0, 0x01, 0x00],
            trailing(PacketType::PingReq, 1),
            MALFORMED,
        );
        expect_err(
            version,
            &[0xD0, 0x02, 0x00, 0x00],
            trailing(PacketType::PingResp, 2),
            MALFORMED,
        );
        let wire = connect(version, 0x02, &[&lp(b"a"), b"!"]);
        expect_err(version, &wire, trailing(PacketType::Connect, 1), MALFORMED);
    }
    for version in V3 {
        // 3.x acknowledgements are exactly two bytes.
        for (first, packet) in [
            (0x40, PacketType::PubAck),
            (0x50, PacketType::PubRec),
            (0x62, PacketType::PubRel),
            (0x70, PacketType::PubComp),
            (0xB0, PacketType::UnsubAck),
        ] {
            expect_err(
                version,
                &[first, 0x03, 0x00, 0x01, 0x00],
                trailing(packet, 1),
                MALFORMED,
            );
            expect_err(
                version,
                &[first, 0x04, 0x00, 0x01, 0x00, 0x00],
                trailing(packet, 2),
                MALFORMED,
            );
        }
        expect_err(
            version,
            &[0xE0, 0x01, 0x00],
            trailing(PacketType::Disconnect, 1),
            MALFORMED,
        );
        expect_err(
            version,
            &[0x20, 0x03, 0x00, 0x00, 0x00],
            trailing(PacketType::ConnAck, 1),
            MALFORMED,
        );
    }
    expect_err(
        V5,
        &[0x40, 0x05, 0x00, 0x01, 0x10, 0x00, 0xFF],
        trailing(PacketType::PubAck, 1),
        MALFORMED,
    );
    expect_err(
        V5,
        &[0x20, 0x04, 0x00, 0x00, 0x00, 0xFF],
        trailing(PacketType::ConnAck, 1),
        MALFORMED,
    );
    expect_err(
        V5,
        &[0xE0, 0x03, 0x00, 0x00, 0xFF],
        trailing(PacketType::Disconnect, 1),
        MALFORMED,
    );
    // AUTH with its method "mx", then a stray byte.
    expect_err(
        V5,
        &[0xF0, 0x08, 0x00, 0x05, 0x15, 0x00, 0x02, b'm', b'x', 0xFF],
        trailing(PacketType::Auth, 1),
        MALFORMED,
    );
}

// ---------------------------------------------------------------- SUBSCRIBE and UNSUBSCRIBE

/// [MQTT-3.8.3-3, 3.1.1] [MQTT-3.8.3-2, 5.0]: a SUBSCRIBE holds at least one
/// filter; one without a payload is a Protocol Error, in every version.
#[test]
fn empty_subscribe_is_a_protocol_error() {
    for version in V3 {
        expect_err(
            version,
            &[0x82, 0x02, 0x00, 0x01],
            DecodeError::EmptySubscribe,
            PROTOCOL_ERROR,
        );
    }
    expect_err(
        V5,
        &[0x82, 0x03, 0x00, 0x01, 0x00],
        DecodeError::EmptySubscribe,
        PROTOCOL_ERROR,
    );
    let wire = subscribe5_props(&props(&[&[0x0B, 0x01]]));
    let without_payload = frame(0x82, &wire[2..wire.len() - 4]);
    expect_err(
        V5,
        &without_payload,
        DecodeError::EmptySubscribe,
        PROTOCOL_ERROR,
    );
}

/// [MQTT-3.10.3-2, 3.1.1, 5.0]: an UNSUBSCRIBE holds at least one topic
/// filter; one without is a Protocol Error, in every version.
#[test]
fn mqtt_3_10_3_2_empty_unsubscribe() {
    for version in V3 {
        expect_err(
            version,
            &[0xA2, 0x02, 0x00, 0x01],
            DecodeError::EmptyUnsubscribe,
            PROTOCOL_ERROR,
        );
    }
    expect_err(
        V5,
        &[0xA2, 0x03, 0x00, 0x01, 0x00],
        DecodeError::EmptyUnsubscribe,
        PROTOCOL_ERROR,
    );
}

/// [MQTT-3-8.3-4, 3.1.1]: the upper six bits of the requested QoS byte are
/// reserved, and QoS 3 is malformed too.
#[test]
fn mqtt_3_8_3_4_subscription_options_reserved_bits_3_1_1() {
    for version in V3 {
        for options in [0x03, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xFC, 0xFF] {
            let error = DecodeError::InvalidSubscriptionOptions(options);
            expect_err(
                version,
                &subscribe(version, b"t", options),
                error,
                MALFORMED,
            );
        }
    }
}

/// [MQTT-3.8.3-5, 5.0]: bits 6 and 7 of the Subscription Options are reserved.
#[test]
fn mqtt_3_8_3_5_subscription_options_reserved_bits_5_0() {
    for options in [0x40, 0x80, 0xC0, 0x41, 0xFF] {
        let error = DecodeError::InvalidSubscriptionOptions(options);
        expect_err(V5, &subscribe(V5, b"t", options), error, MALFORMED);
    }
}

/// 5.0 section 3.8.3.1: a Retain Handling of 3 is a Protocol Error.
#[test]
fn retain_handling_3_is_a_protocol_error() {
    for options in [0x30, 0x31, 0x3E] {
        expect_err(
            V5,
            &subscribe(V5, b"t", options),
            DecodeError::InvalidRetainHandling,
            PROTOCOL_ERROR,
        );
    }
}

/// 5.0 section 3.8.3.1: a Maximum QoS of 3 in the subscription options is
/// a Protocol Error.
#[test]
fn subscription_maximum_qos_3_is_a_protocol_error() {
    for options in [0x03, 0x0F, 0x33] {
        expect_err(
            V5,
            &subscribe(V5, b"t", options),
            DecodeError::InvalidSubscriptionQoS,
            PROTOCOL_ERROR,
        );
    }
}

/// [MQTT-3.8.3-4, 5.0]: No Local on a shared subscription is a Protocol
/// Error; on an ordinary filter it is fine.
#[test]
fn mqtt_3_8_3_4_no_local_on_shared_subscription() {
    for options in [0x04, 0x05, 0x2E] {
        let wire = subscribe(V5, b"$share/g/t", options);
        expect_err(
            V5,
            &wire,
            DecodeError::NoLocalOnSharedSubscription,
            PROTOCOL_ERROR,
        );
    }
    // No Local on an ordinary filter is fine.
    expect_ok(V5, &subscribe(V5, b"share/g/t", 0x04));
}

// ---------------------------------------------------------------- chunking

/// Errors after valid packets, in every chunking: the packets before the bad
/// one come out, then the same error, whatever the pieces.
#[test]
fn errors_do_not_depend_on_chunking() {
    let corpus: Vec<(ProtocolVersion, Vec<u8>)> = vec![
        (V5, subscribe(V5, b"t", 0x30)),
        (V5, publish5(&props(&[&[0x23, 0, 1], &[0x23, 0, 2]]))),
        (V3_1_1, [0x40, 0x03, 0x00, 0x01, 0x00].to_vec()),
        (V3_1_1, [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F].to_vec()),
        (V3_1_1, [0xF0, 0x00].to_vec()),
        (V5, connect(V5, 0x01, &[&lp(b"a")])),
        (V3_1_1, publish(V3_1_1, b"a/\xED\xA0\x80")),
    ];
    for (version, bad) in corpus {
        let good = [
            &[0xC0, 0x00][..],
            &[0x40, 0x02, 0x00, 0x07],
            &publish(version, b"x/y"),
        ]
        .concat();
        let (alone, error) = decode_all_ways(version, None, &bad);
        assert!(alone.is_empty());
        let error = error.expect("the corpus holds malformed packets");
        let wire = [&good[..], &bad].concat();
        let (packets, after) = decode_all_ways(version, None, &wire);
        assert_eq!(packets.len(), 3, "{packets:?}");
        assert_eq!(after, Some(error.clone()));
        // Three pieces, at every pair of positions.
        for a in 1..wire.len() {
            for b in a + 1..wire.len() {
                assert_eq!(
                    run(version, None, &wire, &[a, b]),
                    (packets.clone(), Some(error.clone()))
                );
            }
        }
    }
}

/// [MQTT-1.5.5-1, 5.0]: a Variable Byte Integer uses the fewest bytes
/// possible; a longer encoding of the same value is malformed, in the
/// remaining length and in properties alike.
#[test]
fn mqtt_1_5_5_1_non_minimal_variable_byte_integer() {
    // Remaining length 0 written as two bytes.
    expect_err(
        V5,
        &[0xC0, 0x80, 0x00],
        DecodeError::InvalidVariableByteInteger {
            field: "remaining length",
        },
        MALFORMED,
    );
    // Remaining length 2 written as 0x82 0x00.
    expect_err(
        V5,
        &[0x40, 0x82, 0x00, 0x00, 0x01],
        DecodeError::InvalidVariableByteInteger {
            field: "remaining length",
        },
        MALFORMED,
    );
    // Subscription identifier 0 written as 0x80 0x00.
    expect_err(
        V5,
        &publish5(&props(&[&[0x0B, 0x80, 0x00]])),
        DecodeError::InvalidVariableByteInteger {
            field: "subscription identifier",
        },
        MALFORMED,
    );
}
