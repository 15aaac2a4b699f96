//! Property tests of the codec: round trips of every packet type in every
//! version, refusals of what a version cannot express, streaming under any
//! chunking, robustness against arbitrary and mutated input, and agreement
//! of `encoded_len` with `encode`.

mod in_place;
mod strategies;

use bytes::{BufMut, BytesMut};
use mqtt_proto::{
    DecodeError, Decoder, Encodable, EncodeError, Encoder, Packet, PacketType, ProtocolVersion,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use strategies::*;

/// Round trips per packet type and version.
const ROUND_TRIP_CASES: u32 = 512;
/// Cases of the other properties.
const CASES: u32 = 1024;
/// Leading bytes of a packet in which every single-bit error is tried.
const FLIPPED_BYTES: usize = 24;
/// Cases of the streaming property, whose inputs hold up to 20 packets.
const STREAM_CASES: u32 = 512;

/// Counterexamples are turned into named regression tests below instead of
/// being written next to the sources.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Bytes already in the output buffer: encoding must append after them.
const PREFIX: &[u8] = b"\xAA\xBB";
/// A PINGREQ placed after a packet: decoding must leave it in the buffer.
const PINGREQ: &[u8] = b"\xC0\x00";

/// Encodes `packet` through the struct inside it, for the types that
/// implement [`Encodable`] themselves (all but the four publish acknowledgements).
fn encode_inner(
    packet: &Packet,
    version: ProtocolVersion,
    buf: &mut BytesMut,
) -> Option<(Result<usize, EncodeError>, Result<usize, EncodeError>)> {
    fn both<P: Encodable>(
        p: &P,
        v: ProtocolVersion,
        buf: &mut BytesMut,
    ) -> (Result<usize, EncodeError>, Result<usize, EncodeError>) {
        (p.encoded_len(v), p.encode(v, buf))
    }
    Some(match packet {
        Packet::Connect(p) => both(p, version, buf),
        Packet::ConnAck(p) => both(p, version, buf),
        Packet::Publish(p) => both(p, version, buf),
        Packet::Subscribe(p) => both(p, version, buf),
        Packet::SubAck(p) => both(p, version, buf),
        Packet::Unsubscribe(p) => both(p, version, buf),
        Packet::UnsubAck(p) => both(p, version, buf),
        Packet::Disconnect(p) => both(p, version, buf),
        Packet::Auth(p) => both(p, version, buf),
        Packet::PubAck(_)
        | Packet::PubRec(_)
        | Packet::PubComp(_)
        | Packet::PubRel(_)
        | Packet::PingReq
        | Packet::PingResp => return None,
    })
}

/// Encodes `packet` in `version` by every route (`Packet::encode`, the inner
/// struct, `Encoder`) and checks they agree with each other and with
/// `encoded_len`, that output is appended after what the buffer held, and
/// that an error writes nothing. Returns the packet's bytes or the error.
fn encode_checked(
    packet: &Packet,
    version: ProtocolVersion,
) -> Result<Result<BytesMut, EncodeError>, TestCaseError> {
    let len = packet.encoded_len(version);
    let mut buf = BytesMut::from(PREFIX);
    let written = packet.encode(version, &mut buf);
    prop_assert_eq!(&written, &len, "encode and encoded_len disagree");
    prop_assert_eq!(&buf[..PREFIX.len()], PREFIX, "encode overwrote the buffer");
    match &written {
        Ok(n) => prop_assert_eq!(buf.len(), PREFIX.len() + n, "encode wrote {} bytes", n),
        Err(_) => prop_assert_eq!(buf.len(), PREFIX.len(), "failed encode left bytes"),
    }

    let mut via_encoder = BytesMut::from(PREFIX);
    let result = Encoder::new(version).encode(packet, &mut via_encoder);
    prop_assert_eq!(&result, &written, "Encoder and Packet::encode disagree");
    prop_assert_eq!(&via_encoder, &buf);

    let mut via_inner = BytesMut::from(PREFIX);
    if let Some((inner_len, inner_written)) = encode_inner(packet, version, &mut via_inner) {
        prop_assert_eq!(&inner_len, &len, "inner encoded_len disagrees");
        prop_assert_eq!(&inner_written, &written, "inner encode disagrees");
        prop_assert_eq!(&via_inner, &buf, "inner encode wrote other bytes");
    }
    match written {
        Ok(_) => {
            let wire = buf.split_off(PREFIX.len());
            check_fixed_header(packet, &wire)?;
            Ok(Ok(wire))
        }
        Err(e) => Ok(Err(e)),
    }
}

/// Checks the fixed header of `wire` against the specification (section
/// 2.1 of 3.1.1 and 5.0), independently of the codec: the type number, the
/// flags [MQTT-2.1.3-1] and a remaining length that is the body's size,
/// written in the fewest bytes [MQTT-1.5.5-1].
fn check_fixed_header(packet: &Packet, wire: &[u8]) -> Result<(), TestCaseError> {
    let (kind, flags) = match packet {
        Packet::Connect(_) => (1, 0),
        Packet::ConnAck(_) => (2, 0),
        Packet::Publish(p) => {
            let qos = p.delivery.qos() as u8;
            (3, (u8::from(p.dup) << 3) | (qos << 1) | u8::from(p.retain))
        }
        Packet::PubAck(_) => (4, 0),
        Packet::PubRec(_) => (5, 0),
        Packet::PubRel(_) => (6, 0b0010),
        Packet::PubComp(_) => (7, 0),
        Packet::Subscribe(_) => (8, 0b0010),
        Packet::SubAck(_) => (9, 0),
        Packet::Unsubscribe(_) => (10, 0b0010),
        Packet::UnsubAck(_) => (11, 0),
        Packet::PingReq => (12, 0),
        Packet::PingResp => (13, 0),
        Packet::Disconnect(_) => (14, 0),
        Packet::Auth(_) => (15, 0),
    };
    prop_assert_eq!(wire[0], (kind << 4) | flags, "first byte of {:?}", packet);
    let mut remaining = 0usize;
    let mut used = 0;
    for (i, &b) in wire[1..].iter().take(4).enumerate() {
        remaining |= usize::from(b & 0x7F) << (7 * i);
        used = i + 1;
        if b & 0x80 == 0 {
            break;
        }
    }
    prop_assert_eq!(1 + used + remaining, wire.len(), "remaining length");
    let fewest = match remaining {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    };
    prop_assert_eq!(used, fewest, "remaining length not in the fewest bytes");
    Ok(())
}

/// The version a packet is decoded at: CONNECT names its own.
fn wire_version(packet: &Packet, version: ProtocolVersion) -> ProtocolVersion {
    match packet {
        Packet::Connect(c) => c.protocol,
        _ => version,
    }
}

/// Encoding `packet` in `version` succeeds; the bytes decode back to it,
/// consuming exactly them, and every strict prefix is incomplete.
fn check_round_trip(packet: &Packet, version: ProtocolVersion) -> Result<(), TestCaseError> {
    let wire = match encode_checked(packet, version)? {
        Ok(wire) => wire,
        Err(e) => {
            return Err(TestCaseError::fail(format!(
                "cannot encode in {version}: {e}"
            )))
        }
    };
    check_decodes_to(&wire, packet, version)?;

    // The size limits of both sides: one byte short fails, exact fits.
    let n = wire.len();
    let mut out = BytesMut::from(PREFIX);
    let tight = Encoder::new(version).with_max_packet_size(n as u32 - 1);
    prop_assert_eq!(
        tight.encode(packet, &mut out),
        Err(EncodeError::PacketTooLarge {
            size: n,
            max: n - 1
        })
    );
    prop_assert_eq!(&out[..], PREFIX);
    let exact = Encoder::new(version).with_max_packet_size(n as u32);
    prop_assert_eq!(exact.encode(packet, &mut out), Ok(n));
    prop_assert_eq!(&out[PREFIX.len()..], &wire[..]);
    let mut input = wire.clone();
    let decoded = Decoder::new(version)
        .with_max_packet_size(n as u32 - 1)
        .decode(&mut input);
    prop_assert_eq!(
        decoded,
        Err(DecodeError::PacketTooLarge {
            size: n,
            max: n as u32 - 1
        })
    );
    Ok(())
}

/// `wire` decodes in `version` to `packet`: fed one byte at a time it is
/// incomplete until the last byte, and a following packet stays buffered.
fn check_decodes_to(
    wire: &[u8],
    packet: &Packet,
    version: ProtocolVersion,
) -> Result<(), TestCaseError> {
    let mut decoder = Decoder::new(version);
    let mut buf = BytesMut::with_capacity(wire.len() + PINGREQ.len());
    let (last, body) = wire.split_last().expect("a packet is at least two bytes");
    for &byte in body {
        buf.put_u8(byte);
        let len = buf.len();
        prop_assert_eq!(decoder.decode(&mut buf), Ok(None));
        prop_assert_eq!(buf.len(), len, "an incomplete decode consumed input");
    }
    buf.put_u8(*last);
    buf.put_slice(PINGREQ);
    prop_assert_eq!(decoder.decode(&mut buf), Ok(Some(packet.clone())));
    prop_assert_eq!(
        &buf[..],
        PINGREQ,
        "decode did not consume exactly the packet"
    );
    // A CONNECT sets the decoder's version to the one it names.
    prop_assert_eq!(decoder.version(), wire_version(packet, version));
    prop_assert_eq!(decoder.decode(&mut buf), Ok(Some(Packet::PingReq)));
    prop_assert!(buf.is_empty());
    Ok(())
}

/// A packet that `decode` produced in `version` re-encodes, and the result
/// decodes to the same packet (decode -> encode -> decode agreement).
fn check_reencodes(packet: &Packet, version: ProtocolVersion) -> Result<(), TestCaseError> {
    let wire = match encode_checked(packet, version)? {
        Ok(wire) => wire,
        Err(e) => {
            return Err(TestCaseError::fail(format!(
                "decoded {packet:?} cannot be re-encoded in {version}: {e}"
            )))
        }
    };
    let mut buf = wire.clone();
    prop_assert_eq!(
        Decoder::new(version).decode(&mut buf),
        Ok(Some(packet.clone()))
    );
    prop_assert!(buf.is_empty());
    Ok(())
}

/// What decoding a stream yields: the packets, and the error that ended it
/// (`None` when the input ran out).
type Outcome = (Vec<Packet>, Option<DecodeError>);

/// Feeds `chunks` to one decoder, draining it after each chunk; checks every
/// `Ok(None)` leaves the buffer alone and every packet re-encodes.
fn decode_stream(
    version: ProtocolVersion,
    chunks: &[&[u8]],
) -> Result<(Outcome, BytesMut), TestCaseError> {
    let mut decoder = Decoder::new(version);
    let mut buf = BytesMut::new();
    let mut packets = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            let at = decoder.version();
            let len = buf.len();
            match decoder.decode(&mut buf) {
                Ok(None) => {
                    prop_assert_eq!(buf.len(), len, "an incomplete decode consumed input");
                    break;
                }
                Ok(Some(packet)) => {
                    prop_assert!(buf.len() < len, "a decoded packet consumed nothing");
                    check_reencodes(&packet, at)?;
                    packets.push(packet);
                }
                Err(e) => {
                    // Every error names the reason code to answer with.
                    let _ = (e.reason_code(), e.to_string());
                    return Ok(((packets, Some(e)), buf));
                }
            }
        }
    }
    Ok(((packets, None), buf))
}

/// What [`Decoder::decode_view`] yields for `bytes`, each packet made owned.
fn decode_in_place(version: ProtocolVersion, bytes: &[u8]) -> Outcome {
    in_place::decode_all(Decoder::new(version), bytes)
}

/// Decoding arbitrary bytes never panics, whatever the chunking; packets come
/// out the same whether the input arrives at once or byte by byte, or is
/// read in place; every decoded packet survives decode -> encode -> decode.
fn check_arbitrary_input(version: ProtocolVersion, bytes: &[u8]) -> Result<(), TestCaseError> {
    let (whole, _) = decode_stream(version, &[bytes])?;
    let (bytewise, _) = decode_stream(version, &Chunking::Bytewise.split(bytes))?;
    prop_assert_eq!(&whole, &bytewise, "chunking changed the outcome");
    prop_assert_eq!(decode_in_place(version, bytes), whole, "in place differs");
    Ok(())
}

macro_rules! round_trips {
    ($($module:ident => $version:expr;)*) => {$(
        /// Every packet type round-trips in this version.
        mod $module {
            use super::*;

            fn round_trip(t: PacketType) -> impl Strategy<Value = Packet> {
                packet_of(t, $version)
            }

            proptest! {
                #![proptest_config(config(ROUND_TRIP_CASES))]

                #[test]
                fn connect(p in round_trip(PacketType::Connect)) { check_round_trip(&p, $version)?; }
                #[test]
                fn connack(p in round_trip(PacketType::ConnAck)) { check_round_trip(&p, $version)?; }
                #[test]
                fn publish(p in round_trip(PacketType::Publish)) { check_round_trip(&p, $version)?; }
                #[test]
                fn puback(p in round_trip(PacketType::PubAck)) { check_round_trip(&p, $version)?; }
                #[test]
                fn pubrec(p in round_trip(PacketType::PubRec)) { check_round_trip(&p, $version)?; }
                #[test]
                fn pubrel(p in round_trip(PacketType::PubRel)) { check_round_trip(&p, $version)?; }
                #[test]
                fn pubcomp(p in round_trip(PacketType::PubComp)) { check_round_trip(&p, $version)?; }
                #[test]
                fn subscribe(p in round_trip(PacketType::Subscribe)) { check_round_trip(&p, $version)?; }
                #[test]
                fn suback(p in round_trip(PacketType::SubAck)) { check_round_trip(&p, $version)?; }
                #[test]
                fn unsubscribe(p in round_trip(PacketType::Unsubscribe)) { check_round_trip(&p, $version)?; }
                #[test]
                fn unsuback(p in round_trip(PacketType::UnsubAck)) { check_round_trip(&p, $version)?; }
                #[test]
                fn disconnect(p in round_trip(PacketType::Disconnect)) { check_round_trip(&p, $version)?; }
            }

            #[test]
            fn pings() {
                for p in [Packet::PingReq, Packet::PingResp] {
                    check_round_trip(&p, $version).unwrap();
                }
            }
        }
    )*};
}

round_trips! {
    v3_1 => ProtocolVersion::V3_1;
    v3_1_1 => ProtocolVersion::V3_1_1;
    v5 => ProtocolVersion::V5;
}

proptest! {
    #![proptest_config(config(ROUND_TRIP_CASES))]

    /// AUTH (section 3.15) exists only in 5.0.
    #[test]
    fn v5_auth_round_trips(p in packet_of(PacketType::Auth, ProtocolVersion::V5)) {
        check_round_trip(&p, ProtocolVersion::V5)?;
    }
}

proptest! {
    #![proptest_config(config(CASES))]

    /// Any value of the packet model either encodes in a version and decodes
    /// back to itself, or is refused without writing; `encoded_len` agrees.
    #[test]
    fn any_packet_encodes_faithfully_or_not_at_all(p in any_packet()) {
        for version in VERSIONS {
            if let Ok(wire) = encode_checked(&p, version)? {
                check_decodes_to(&wire, &p, version)?;
            }
        }
    }

    /// What 3.1 cannot express (properties, 5.0 reason codes, alias-only
    /// topics, 5.0 subscription options, AUTH, a password alone, client
    /// identifiers outside 1..=23 bytes) is refused.
    #[test]
    fn v3_1_refuses_what_it_cannot_express(p in v3_invalid_packet(ProtocolVersion::V3_1)) {
        let result = encode_checked(&p, ProtocolVersion::V3_1)?;
        prop_assert!(result.is_err(), "{:?} encoded in 3.1", p);
    }

    /// What 3.1.1 cannot express is refused, leaving the buffer unchanged.
    #[test]
    fn v3_1_1_refuses_what_it_cannot_express(p in v3_invalid_packet(ProtocolVersion::V3_1_1)) {
        let result = encode_checked(&p, ProtocolVersion::V3_1_1)?;
        prop_assert!(result.is_err(), "{:?} encoded in 3.1.1", p);
    }

    /// Arbitrary bytes never make the decoder panic, in any version.
    #[test]
    fn arbitrary_bytes_decode_without_panic(bytes in vec(any::<u8>(), 0..=512)) {
        for version in VERSIONS {
            check_arbitrary_input(version, &bytes)?;
        }
    }

    /// Packets with a well-formed fixed header of any type and flags and a
    /// random body never make the decoder panic; what it accepts survives
    /// decode -> encode -> decode.
    #[test]
    fn random_bodies_decode_without_panic(bytes in framed_noise()) {
        for version in VERSIONS {
            check_arbitrary_input(version, &bytes)?;
        }
    }

    /// Valid streams with flipped, overwritten, inserted and removed bytes,
    /// or cut short, never make the decoder panic, and whatever it accepts
    /// survives decode -> encode -> decode.
    #[test]
    fn mutated_streams_decode_without_panic(
        (version, packets) in packets(3),
        mutations in vec(mutation(), 1..=4),
    ) {
        let mut bytes = BytesMut::new();
        for p in &packets {
            p.encode(version, &mut bytes).expect("generated packets are valid");
        }
        let mut bytes = bytes.to_vec();
        for m in &mutations {
            m.apply(&mut bytes);
        }
        for version in VERSIONS {
            check_arbitrary_input(version, &bytes)?;
        }
    }

    /// Every single-bit error in the first bytes of a valid packet (fixed
    /// header, lengths, flags, identifiers, the start of the properties) is
    /// either refused or yields a packet that survives decode -> encode -> decode:
    /// the decoder accepts nothing the encoder would refuse to write.
    #[test]
    fn single_bit_errors_are_refused_or_faithful((version, packets) in packets(1)) {
        let mut wire = BytesMut::new();
        packets[0].encode(version, &mut wire).expect("generated packets are valid");
        for at in 0..wire.len().min(FLIPPED_BYTES) {
            for bit in 0..8 {
                let mut bytes = wire.to_vec();
                bytes[at] ^= 1 << bit;
                let (outcome, _) = decode_stream(version, &[&bytes])?;
                prop_assert_eq!(decode_in_place(version, &bytes), outcome, "in place differs");
            }
        }
    }
}

proptest! {
    #![proptest_config(config(STREAM_CASES))]

    /// Packets written back to back come out of one decoder in order,
    /// however the stream is cut, leaving nothing behind.
    #[test]
    fn streams_decode_under_any_chunking(
        (version, packets) in packets(20),
        chunking in chunking(),
    ) {
        let mut wire = BytesMut::new();
        for p in &packets {
            let n = p.encode(version, &mut wire);
            prop_assert!(n.is_ok(), "{:?}: {:?}", p, n);
        }
        let ((decoded, error), rest) = decode_stream(version, &chunking.split(&wire))?;
        prop_assert_eq!(error, None);
        prop_assert_eq!(&decoded, &packets);
        prop_assert!(rest.is_empty(), "{} bytes left over", rest.len());
        prop_assert_eq!(decode_in_place(version, &wire), (packets, None));
    }
}

/// AUTH is packet type 15, which 3.1.1 reserves (table 2.1 of section 2.2.1).
#[test]
fn auth_does_not_exist_before_v5() {
    for version in [ProtocolVersion::V3_1, ProtocolVersion::V3_1_1] {
        let mut buf = BytesMut::from(&b"\xF0\x00"[..]);
        assert_eq!(
            Decoder::new(version).decode(&mut buf),
            Err(DecodeError::InvalidPacketType {
                packet_type: 15,
                version
            })
        );
        let mut out = BytesMut::new();
        assert_eq!(
            Packet::Auth(Default::default()).encode(version, &mut out),
            Err(EncodeError::PacketNotSupported {
                packet: PacketType::Auth,
                version
            })
        );
        assert!(out.is_empty());
    }
}

/// Regression found by `any_packet_encodes_faithfully_or_not_at_all`: a 3.x
/// UNSUBACK is the fixed header and the packet identifier only (3.1.1
/// section 3.11), so a result list, even `[Success]`, was silently dropped
/// and the packet decoded as a different one. It is now refused.
#[test]
fn unsuback_has_no_payload_in_3_x() {
    use mqtt_proto::{PacketId, ReasonCode, UnsubAck};
    let id = PacketId::new(1).unwrap();
    for version in [ProtocolVersion::V3_1, ProtocolVersion::V3_1_1] {
        let mut out = BytesMut::new();
        let bare = UnsubAck {
            packet_id: id,
            reasons: Vec::new(),
            properties: Default::default(),
        };
        assert_eq!(bare.encode(version, &mut out), Ok(4));
        assert_eq!(&out[..], b"\xB0\x02\x00\x01");
        out.clear();
        let with_result = UnsubAck {
            reasons: vec![ReasonCode::Success],
            ..bare
        };
        assert_eq!(
            with_result.encode(version, &mut out),
            Err(EncodeError::ReasonCodeNotSupported {
                packet: PacketType::UnsubAck,
                code: ReasonCode::Success,
                version
            })
        );
        assert!(out.is_empty());
    }
}
