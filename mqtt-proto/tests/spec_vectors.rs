//! Byte vectors written by hand from the OASIS specifications (MQTT 3.1.1 and
//! 5.0; MQTT 3.1 is 3.1.1 with protocol name `MQIsdp`, level 3 and client
//! identifiers of 1..=23 bytes), for every packet type in every version that
//! has it.
//!
//! Each vector is decoded (whole, and one byte at a time) and compared with a
//! packet built by hand, and, where the encoding is canonical, the packet is
//! encoded and compared with the bytes. Nothing here is produced by the
//! crate's own encoder, so a wrong encoder or decoder cannot pass by agreeing
//! with itself. Where the specification prints bytes (the CONNECT variable
//! header example, the Variable Byte Integer table, the PUBLISH and SUBSCRIBE
//! examples) those bytes are used.

use bytes::{Bytes, BytesMut};
use core::num::{NonZeroU16, NonZeroU32};
use mqtt_proto::*;

const V3_1: ProtocolVersion = ProtocolVersion::V3_1;
const V3_1_1: ProtocolVersion = ProtocolVersion::V3_1_1;
const V5: ProtocolVersion = ProtocolVersion::V5;
/// The versions without properties or reason codes, whose packets other than
/// CONNECT are byte for byte the same.
const V3: [ProtocolVersion; 2] = [V3_1, V3_1_1];
const ALL: [ProtocolVersion; 3] = [V3_1, V3_1_1, V5];

// ---------------------------------------------------------------- helpers

fn s(v: &str) -> MqttString {
    MqttString::new(v).unwrap()
}

fn topic(v: &str) -> TopicName {
    TopicName::new(v).unwrap()
}

fn filter(v: &str) -> TopicFilter {
    TopicFilter::new(v).unwrap()
}

fn pid(v: u16) -> PacketId {
    PacketId::new(v).unwrap()
}

fn up(k: &str, v: &str) -> UserProperty {
    (s(k), s(v))
}

fn nz16(v: u16) -> NonZeroU16 {
    NonZeroU16::new(v).unwrap()
}

fn nz32(v: u32) -> NonZeroU32 {
    NonZeroU32::new(v).unwrap()
}

fn sub_id(v: u32) -> SubscriptionId {
    SubscriptionId::new(v).unwrap()
}

fn bytes(v: &'static [u8]) -> Bytes {
    Bytes::from_static(v)
}

/// Joins the pieces of a hand-written packet (so each field can carry its comment).
fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Decodes `wire`, which must hold exactly one packet, both in one piece and
/// in small pieces, and checks both give the same packet.
fn decode(version: ProtocolVersion, wire: &[u8]) -> Packet {
    let mut buf = BytesMut::from(wire);
    let packet = Decoder::new(version)
        .decode(&mut buf)
        .unwrap_or_else(|e| panic!("decoding {wire:02x?} at {version}: {e}"))
        .unwrap_or_else(|| panic!("{wire:02x?} is not a whole packet"));
    assert!(buf.is_empty(), "{} bytes left after the packet", buf.len());

    // Byte by byte for small packets; large ones in pieces so the test stays fast.
    let step = if wire.len() <= 4096 { 1 } else { 65_521 };
    let mut decoder = Decoder::new(version);
    let mut buf = BytesMut::new();
    let mut chunks = wire.chunks(step).peekable();
    while let Some(chunk) = chunks.next() {
        buf.extend_from_slice(chunk);
        let got = decoder.decode(&mut buf).unwrap();
        if chunks.peek().is_some() {
            assert_eq!(got, None, "packet complete before its last byte");
        } else {
            assert_eq!(got.as_ref(), Some(&packet), "chunked decoding differs");
        }
    }
    assert!(buf.is_empty());
    packet
}

fn encode(version: ProtocolVersion, packet: &Packet) -> Vec<u8> {
    let mut buf = BytesMut::new();
    let n = Encoder::new(version)
        .encode(packet, &mut buf)
        .unwrap_or_else(|e| panic!("encoding {packet:?} at {version}: {e}"));
    assert_eq!(n, buf.len());
    assert_eq!(packet.encoded_len(version), Ok(n));
    buf.to_vec()
}

/// A canonical vector: `wire` decodes to `packet` and `packet` encodes to `wire`.
#[track_caller]
fn vector(version: ProtocolVersion, wire: &[u8], packet: impl Into<Packet>) {
    let packet = packet.into();
    assert_eq!(decode(version, wire), packet, "decoding at {version}");
    assert_eq!(encode(version, &packet), wire, "encoding at {version}");
}

/// A non-canonical vector: `wire` decodes to `packet`, which the encoder
/// writes in a shorter or reordered form that must decode to the same packet.
#[track_caller]
fn decode_vector(version: ProtocolVersion, wire: &[u8], packet: impl Into<Packet>) {
    let packet = packet.into();
    assert_eq!(decode(version, wire), packet, "decoding at {version}");
    let canonical = encode(version, &packet);
    assert_ne!(canonical, wire, "this vector is canonical: use vector()");
    assert_eq!(decode(version, &canonical), packet);
}

fn connect(protocol: ProtocolVersion, client_id: &str, keep_alive: u16) -> Connect {
    Connect {
        protocol,
        clean_start: true,
        keep_alive,
        client_id: s(client_id),
        will: None,
        username: None,
        password: None,
        properties: ConnectProperties::default(),
    }
}

fn will(t: &str, payload: &'static [u8], qos: QoS, retain: bool) -> LastWill {
    LastWill {
        topic: topic(t),
        payload: bytes(payload),
        qos,
        retain,
        properties: WillProperties::default(),
    }
}

fn publish(delivery: Delivery, t: Option<&str>, payload: &'static [u8]) -> Publish {
    Publish {
        dup: false,
        delivery,
        retain: false,
        topic: t.map(topic),
        payload: bytes(payload),
        properties: Default::default(),
    }
}

fn ack(id: u16, reason: ReasonCode) -> Ack {
    Ack::with_reason(pid(id), reason)
}

// ---------------------------------------------------------------- Variable Byte Integer

/// Table 1-1 (5.0) / Table 2.4 (3.1.1), "Size of Variable Byte Integer": the
/// smallest and largest value of each length, carried as a remaining length.
const VBI_TABLE: [(u32, &[u8]); 8] = [
    (0, &[0x00]),
    (127, &[0x7F]),
    (128, &[0x80, 0x01]),
    (16_383, &[0xFF, 0x7F]),
    (16_384, &[0x80, 0x80, 0x01]),
    (2_097_151, &[0xFF, 0xFF, 0x7F]),
    (2_097_152, &[0x80, 0x80, 0x80, 0x01]),
    (268_435_455, &[0xFF, 0xFF, 0xFF, 0x7F]),
];

#[test]
fn mqtt_1_5_5_variable_byte_integer_table_in_the_fixed_header() {
    for (value, encoding) in VBI_TABLE {
        let wire = cat(&[&[0x30], encoding]);
        let header = FixedHeader::parse(&wire, V5).unwrap().unwrap();
        assert_eq!(header.packet_type, PacketType::Publish);
        assert_eq!(header.remaining_length, value as usize, "{encoding:02x?}");
        assert_eq!(header.header_length, 1 + encoding.len());
        // One byte short of the length field: the header is not complete.
        assert_eq!(FixedHeader::parse(&wire[..wire.len() - 1], V5), Ok(None));
    }
    assert_eq!(MAX_VARIABLE_BYTE_INTEGER, 268_435_455);
    assert_eq!(MAX_PACKET_SIZE, 1 + 4 + 268_435_455);
}

/// Whole packets whose remaining length is each boundary of the table, up
/// to 2,097,152 (the first four-byte length), decoded and encoded.
#[test]
fn mqtt_1_5_5_variable_byte_integer_table_through_remaining_length() {
    // 0: a PINGREQ has an empty body.
    for version in ALL {
        vector(version, &[0xC0, 0x00], Packet::PingReq);
    }
    for (value, encoding) in &VBI_TABLE[1..7] {
        // PUBLISH QoS 0 to "a": 3 bytes of topic name, in 5.0 one byte of
        // property length, the rest payload.
        for version in [V3_1_1, V5] {
            let header = if version.is_v5() {
                &b"\x00\x01a\x00"[..]
            } else {
                b"\x00\x01a"
            };
            let payload = vec![0x5A; *value as usize - header.len()];
            let wire = cat(&[&[0x30], encoding, header, &payload]);
            vector(version, &wire, Publish::new(topic("a"), payload));
        }
    }
}

/// The largest remaining length, 268,435,455, is accepted by a decoder with
/// the protocol maximum and sized correctly by the encoder (without writing
/// 256 MiB).
#[test]
fn mqtt_1_5_5_largest_remaining_length() {
    let header = [0x30, 0xFF, 0xFF, 0xFF, 0x7F];
    let mut buf = BytesMut::from(&header[..]);
    assert_eq!(Decoder::new(V3_1_1).decode(&mut buf), Ok(None));
    assert_eq!(buf.len(), 5, "a waiting decoder consumes nothing");

    // `vec![0; n]` is allocated zeroed and never touched: only its length is read.
    let publish = Publish::new(topic("a"), vec![0u8; 268_435_455 - 3]);
    assert_eq!(publish.encoded_len(V3_1_1), Ok(MAX_PACKET_SIZE));
}

// ---------------------------------------------------------------- CONNECT

/// 3.1.1 section 3.1.2.10, Figure 3.6 "Variable header non normative
/// example": protocol name "MQTT", level 4, flags 0xCE (user name, password,
/// will QoS 1, will, clean session), keep alive 10; with a payload in the
/// order of [MQTT-3.1.3-1, 3.1.1].
#[test]
fn connect_3_1_1_spec_variable_header_example() {
    let wire = cat(&[
        &[0x10, 35],
        b"\x00\x04MQTT", // protocol name
        &[0x04],         // protocol level 4
        &[0xCE],         // flags
        &[0x00, 0x0A],   // keep alive 10
        b"\x00\x03cid",  // client identifier
        b"\x00\x03w/t",  // will topic
        b"\x00\x03bye",  // will message
        b"\x00\x04user", // user name
        b"\x00\x02pw",   // password
    ]);
    let expected = Connect {
        will: Some(will("w/t", b"bye", QoS::AtLeastOnce, false)),
        username: Some(s("user")),
        password: Some(bytes(b"pw")),
        ..connect(V3_1_1, "cid", 10)
    };
    vector(V3_1_1, &wire, expected);
}

/// 5.0 section 3.1.2.11, Figure 3-6 "Variable Header example": as in 3.1.1
/// but level 5 and a property length of 5 holding Session Expiry Interval
/// (identifier 17) = 10. The will has an empty Will Properties section;
/// the payload is in the order of [MQTT-3.1.3-1, 5.0].
#[test]
fn connect_5_0_spec_variable_header_example() {
    let wire = cat(&[
        &[0x10, 42],
        b"\x00\x04MQTT",
        &[0x05],
        &[0xCE],
        &[0x00, 0x0A],
        &[0x05, 0x11, 0x00, 0x00, 0x00, 0x0A], // properties
        b"\x00\x03cid",
        &[0x00], // will properties
        b"\x00\x03w/t",
        b"\x00\x03bye",
        b"\x00\x04user",
        b"\x00\x02pw",
    ]);
    let mut expected = Connect {
        will: Some(will("w/t", b"bye", QoS::AtLeastOnce, false)),
        username: Some(s("user")),
        password: Some(bytes(b"pw")),
        ..connect(V5, "cid", 10)
    };
    expected.properties.session_expiry_interval = Some(10);
    vector(V5, &wire, expected);
}

#[test]
fn connect_3_1_protocol_name_mqisdp_level_3() {
    let wire = cat(&[
        &[0x10, 15],
        b"\x00\x06MQIsdp",
        &[0x03],
        &[0x02],
        &[0x00, 0x3C],
        b"\x00\x01a",
    ]);
    vector(V3_1, &wire, connect(V3_1, "a", 60));

    // The longest 3.1 client identifier: 23 bytes.
    let wire = cat(&[
        &[0x10, 37],
        b"\x00\x06MQIsdp",
        &[0x03, 0x02, 0x00, 0x3C],
        b"\x00\x17abcdefghijklmnopqrstuvw",
    ]);
    vector(V3_1, &wire, connect(V3_1, "abcdefghijklmnopqrstuvw", 60));

    // User name and password, no clean session.
    let wire = cat(&[
        &[0x10, 22],
        b"\x00\x06MQIsdp",
        &[0x03, 0xC0, 0x00, 0x00],
        b"\x00\x01a",
        b"\x00\x01u",
        b"\x00\x02pw",
    ]);
    let expected = Connect {
        clean_start: false,
        username: Some(s("u")),
        password: Some(bytes(b"pw")),
        ..connect(V3_1, "a", 0)
    };
    vector(V3_1, &wire, expected);
}

#[test]
fn connect_3_1_1_minimal_and_empty_client_id() {
    let wire = cat(&[
        &[0x10, 13],
        b"\x00\x04MQTT",
        &[0x04, 0x02, 0x00, 0x3C],
        b"\x00\x01a",
    ]);
    vector(V3_1_1, &wire, connect(V3_1_1, "a", 60));

    // A zero-byte client identifier, with clean session.
    let wire = cat(&[
        &[0x10, 12],
        b"\x00\x04MQTT",
        &[0x04, 0x02, 0x00, 0x3C],
        b"\x00\x00",
    ]);
    vector(V3_1_1, &wire, connect(V3_1_1, "", 60));
}

#[test]
fn connect_3_1_1_will_qos_2_retained_user_name_without_password() {
    let wire = cat(&[
        &[0x10, 22],
        b"\x00\x04MQTT",
        &[0x04],
        &[0xB6], // user name, will retain, will QoS 2, will, clean session
        &[0x00, 0x00],
        b"\x00\x02c1",
        b"\x00\x01t",
        b"\x00\x00", // empty will message
        b"\x00\x01u",
    ]);
    let expected = Connect {
        will: Some(will("t", b"", QoS::ExactlyOnce, true)),
        username: Some(s("u")),
        ..connect(V3_1_1, "c1", 0)
    };
    vector(V3_1_1, &wire, expected);
}

fn full_connect_5_0() -> (Vec<u8>, Connect) {
    let wire = cat(&[
        &[0x10, 120],
        b"\x00\x04MQTT",
        &[0x05],
        &[0xCE],
        &[0x00, 0x1E],
        &[47],                           // property length
        &[0x11, 0x00, 0x00, 0x00, 0x78], // Session Expiry Interval 120
        &[0x21, 0x00, 0x14],             // Receive Maximum 20
        &[0x27, 0x00, 0x00, 0x10, 0x00], // Maximum Packet Size 4096
        &[0x22, 0x00, 0x0A],             // Topic Alias Maximum 10
        &[0x19, 0x01],                   // Request Response Information
        &[0x17, 0x00],                   // Request Problem Information
        b"\x26\x00\x01k\x00\x01v",       // User Property k=v
        b"\x26\x00\x01k\x00\x01w",       // User Property k=w (same name again)
        b"\x15\x00\x05PLAIN",            // Authentication Method
        &[0x16, 0x00, 0x02, 0x01, 0x02], // Authentication Data
        b"\x00\x03cid",                  // client identifier
        &[37],                           // will property length
        &[0x18, 0x00, 0x00, 0x00, 0x05], // Will Delay Interval 5
        &[0x01, 0x01],                   // Payload Format Indicator: UTF-8
        &[0x02, 0x00, 0x00, 0x0E, 0x10], // Message Expiry Interval 3600
        b"\x03\x00\x04text",             // Content Type
        b"\x08\x00\x03r/1",              // Response Topic
        &[0x09, 0x00, 0x02, 0xAB, 0xCD], // Correlation Data
        b"\x26\x00\x01a\x00\x01b",       // User Property a=b
        b"\x00\x01w",                    // will topic
        b"\x00\x04gone",                 // will payload
        b"\x00\x04user",                 // user name
        &[0x00, 0x02, 0x00, 0xFF],       // password: binary, not UTF-8
    ]);
    let mut will = will("w", b"gone", QoS::AtLeastOnce, false);
    will.properties = WillProperties {
        will_delay_interval: Some(5),
        payload_format_indicator: Some(PayloadFormat::Utf8),
        message_expiry_interval: Some(3600),
        content_type: Some(s("text")),
        response_topic: Some(topic("r/1")),
        correlation_data: Some(bytes(&[0xAB, 0xCD])),
        user_properties: vec![up("a", "b")],
    };
    let packet = Connect {
        will: Some(will),
        username: Some(s("user")),
        password: Some(bytes(&[0x00, 0xFF])),
        properties: ConnectProperties {
            session_expiry_interval: Some(120),
            receive_maximum: Some(nz16(20)),
            maximum_packet_size: Some(nz32(4096)),
            topic_alias_maximum: Some(10),
            request_response_information: Some(true),
            request_problem_information: Some(false),
            user_properties: vec![up("k", "v"), up("k", "w")],
            authentication_method: Some(s("PLAIN")),
            authentication_data: Some(bytes(&[0x01, 0x02])),
        },
        ..connect(V5, "cid", 30)
    };
    (wire, packet)
}

/// Every CONNECT property and will property, the payload fields in the
/// order of [MQTT-3.1.3-1, 5.0].
#[test]
fn connect_5_0_every_property_and_will_property() {
    let (wire, packet) = full_connect_5_0();
    vector(V5, &wire, packet);
}

/// "There is no significance in the order of Properties with different
/// Identifiers" (5.0 section 2.2.2.2); User Properties keep their order.
#[test]
fn connect_5_0_properties_in_another_order() {
    let (_, packet) = full_connect_5_0();
    let wire = cat(&[
        &[0x10, 120],
        b"\x00\x04MQTT",
        &[0x05, 0xCE, 0x00, 0x1E],
        &[47],
        &[0x16, 0x00, 0x02, 0x01, 0x02],
        b"\x26\x00\x01k\x00\x01v",
        b"\x15\x00\x05PLAIN",
        &[0x17, 0x00],
        &[0x19, 0x01],
        b"\x26\x00\x01k\x00\x01w",
        &[0x22, 0x00, 0x0A],
        &[0x27, 0x00, 0x00, 0x10, 0x00],
        &[0x21, 0x00, 0x14],
        &[0x11, 0x00, 0x00, 0x00, 0x78],
        b"\x00\x03cid",
        &[37],
        b"\x26\x00\x01a\x00\x01b",
        &[0x09, 0x00, 0x02, 0xAB, 0xCD],
        b"\x08\x00\x03r/1",
        b"\x03\x00\x04text",
        &[0x02, 0x00, 0x00, 0x0E, 0x10],
        &[0x01, 0x01],
        &[0x18, 0x00, 0x00, 0x00, 0x05],
        b"\x00\x01w",
        b"\x00\x04gone",
        b"\x00\x04user",
        &[0x00, 0x02, 0x00, 0xFF],
    ]);
    decode_vector(V5, &wire, packet);
}

/// 5.0 allows a password without a user name (section 3.1.2.9), unlike 3.1.1.
#[test]
fn connect_5_0_password_without_user_name() {
    let wire = cat(&[
        &[0x10, 19],
        b"\x00\x04MQTT",
        &[0x05, 0x42, 0x00, 0x3C],
        &[0x00],
        b"\x00\x01a",
        b"\x00\x03pwd",
    ]);
    let expected = Connect {
        password: Some(bytes(b"pwd")),
        ..connect(V5, "a", 60)
    };
    vector(V5, &wire, expected);
}

#[test]
fn connect_5_0_empty_client_id() {
    let wire = cat(&[
        &[0x10, 13],
        b"\x00\x04MQTT",
        &[0x05, 0x02, 0x00, 0x3C],
        &[0x00],
        b"\x00\x00",
    ]);
    vector(V5, &wire, connect(V5, "", 60));
}

/// A CONNECT names its version; a server-side decoder adopts it, so the 5.0
/// three-byte PUBACK that follows (reason code only) is read as 5.0.
#[test]
fn connect_sets_the_decoder_version() {
    let mut wire = cat(&[
        &[0x10, 13],
        b"\x00\x04MQTT",
        &[0x05, 0x02, 0x00, 0x3C],
        &[0x00],
        b"\x00\x00",
    ]);
    wire.extend_from_slice(&[0x40, 0x03, 0x00, 0x01, 0x10]);
    let mut decoder = Decoder::new(V3_1_1);
    let mut buf = BytesMut::from(&wire[..]);
    assert_eq!(
        decoder.decode(&mut buf).unwrap(),
        Some(Packet::from(connect(V5, "", 60)))
    );
    assert_eq!(decoder.version(), V5);
    assert_eq!(
        decoder.decode(&mut buf).unwrap(),
        Some(Packet::PubAck(ack(1, ReasonCode::NoMatchingSubscribers)))
    );
    assert!(buf.is_empty());
}

// ---------------------------------------------------------------- CONNACK

#[test]
fn connack_3_x_session_present_and_every_return_code() {
    for version in V3 {
        vector(version, &[0x20, 0x02, 0x00, 0x00], ConnAck::default());
        let resumed = ConnAck {
            session_present: true,
            ..ConnAck::default()
        };
        vector(version, &[0x20, 0x02, 0x01, 0x00], resumed);
        // 3.1.1 Table 3.1 "Connect Return code values", as 5.0 reason codes.
        let refusals = [
            (0x01, ReasonCode::UnsupportedProtocolVersion),
            (0x02, ReasonCode::ClientIdentifierNotValid),
            (0x03, ReasonCode::ServerUnavailable),
            (0x04, ReasonCode::BadUserNameOrPassword),
            (0x05, ReasonCode::NotAuthorized),
        ];
        for (code, reason) in refusals {
            let refused = ConnAck {
                reason,
                ..ConnAck::default()
            };
            vector(version, &[0x20, 0x02, 0x00, code], refused);
        }
    }
}

#[test]
fn connack_5_0_without_properties() {
    vector(V5, &[0x20, 0x03, 0x00, 0x00, 0x00], ConnAck::default());
    let resumed = ConnAck {
        session_present: true,
        ..ConnAck::default()
    };
    vector(V5, &[0x20, 0x03, 0x01, 0x00, 0x00], resumed);
    for (code, reason) in [
        (0x80, ReasonCode::UnspecifiedError),
        (0x84, ReasonCode::UnsupportedProtocolVersion),
        (0x87, ReasonCode::NotAuthorized),
        (0x8A, ReasonCode::Banned),
        (0x9F, ReasonCode::ConnectionRateExceeded),
    ] {
        let refused = ConnAck {
            reason,
            ..ConnAck::default()
        };
        vector(V5, &[0x20, 0x03, 0x00, code, 0x00], refused);
    }
}

#[test]
fn connack_5_0_every_property() {
    let wire = cat(&[
        &[0x20, 68],
        &[0x00, 0x00],                   // flags, Success
        &[65],                           // property length
        &[0x11, 0x00, 0x00, 0x00, 0x3C], // Session Expiry Interval 60
        &[0x21, 0x00, 0x0A],             // Receive Maximum 10
        &[0x24, 0x01],                   // Maximum QoS 1
        &[0x25, 0x00],                   // Retain Available 0
        &[0x27, 0x00, 0x01, 0x00, 0x00], // Maximum Packet Size 65536
        b"\x12\x00\x03abc",              // Assigned Client Identifier
        &[0x22, 0x00, 0x05],             // Topic Alias Maximum 5
        b"\x1F\x00\x02ok",               // Reason String
        b"\x26\x00\x01x\x00\x01y",       // User Property
        &[0x28, 0x00],                   // Wildcard Subscription Available 0
        &[0x29, 0x01],                   // Subscription Identifiers Available 1
        &[0x2A, 0x00],                   // Shared Subscription Available 0
        &[0x13, 0x00, 0x14],             // Server Keep Alive 20
        b"\x1A\x00\x02ri",               // Response Information
        b"\x1C\x00\x02sr",               // Server Reference
        b"\x15\x00\x01m",                // Authentication Method
        &[0x16, 0x00, 0x01, 0x07],       // Authentication Data
    ]);
    let expected = ConnAck {
        session_present: false,
        reason: ReasonCode::Success,
        properties: ConnAckProperties {
            session_expiry_interval: Some(60),
            receive_maximum: Some(nz16(10)),
            maximum_qos: Some(QoS::AtLeastOnce),
            retain_available: Some(false),
            maximum_packet_size: Some(nz32(65_536)),
            assigned_client_identifier: Some(s("abc")),
            topic_alias_maximum: Some(5),
            reason_string: Some(s("ok")),
            user_properties: vec![up("x", "y")],
            wildcard_subscription_available: Some(false),
            subscription_identifiers_available: Some(true),
            shared_subscription_available: Some(false),
            server_keep_alive: Some(20),
            response_information: Some(s("ri")),
            server_reference: Some(s("sr")),
            authentication_method: Some(s("m")),
            authentication_data: Some(bytes(&[0x07])),
        },
    };
    vector(V5, &wire, expected);
}

// ---------------------------------------------------------------- PUBLISH

#[test]
fn publish_3_x_qos_0() {
    for version in V3 {
        let wire = cat(&[&[0x30, 0x07], b"\x00\x03a/b", b"hi"]);
        vector(
            version,
            &wire,
            publish(Delivery::AtMostOnce, Some("a/b"), b"hi"),
        );
        // Retained, empty payload.
        let wire = cat(&[&[0x31, 0x05], b"\x00\x03a/b"]);
        let retained = Publish {
            retain: true,
            ..publish(Delivery::AtMostOnce, Some("a/b"), b"")
        };
        vector(version, &wire, retained);
    }
}

/// 3.1.1 Figure 3.11 "Publish Packet variable header non normative example":
/// topic "a/b", packet identifier 10; here QoS 1 and retained.
#[test]
fn publish_3_x_qos_1_retained_spec_example() {
    for version in V3 {
        let wire = cat(&[&[0x33, 0x08], b"\x00\x03a/b", &[0x00, 0x0A], b"x"]);
        let expected = Publish {
            retain: true,
            ..publish(Delivery::AtLeastOnce(pid(10)), Some("a/b"), b"x")
        };
        vector(version, &wire, expected);
    }
}

#[test]
fn publish_3_x_qos_2_duplicate() {
    for version in V3 {
        let wire = cat(&[&[0x3C, 0x07], b"\x00\x03a/b", &[0xFF, 0xFF]]);
        let expected = Publish {
            dup: true,
            ..publish(Delivery::ExactlyOnce(pid(0xFFFF)), Some("a/b"), b"")
        };
        vector(version, &wire, expected);

        // DUP, QoS 1 and RETAIN together: 0b1011.
        let wire = cat(&[&[0x3B, 0x07], b"\x00\x03a/b", &[0x00, 0x01]]);
        let expected = Publish {
            dup: true,
            retain: true,
            ..publish(Delivery::AtLeastOnce(pid(1)), Some("a/b"), b"")
        };
        vector(version, &wire, expected);
    }
}

/// 5.0 Figure 3-9 "PUBLISH packet Variable Header non-normative example":
/// topic "a/b", packet identifier 10, no properties (property length 0).
#[test]
fn publish_5_0_spec_example() {
    let wire = cat(&[&[0x32, 0x08], b"\x00\x03a/b", &[0x00, 0x0A], &[0x00]]);
    vector(
        V5,
        &wire,
        publish(Delivery::AtLeastOnce(pid(10)), Some("a/b"), b""),
    );

    let wire = cat(&[&[0x30, 0x06], b"\x00\x01t", b"\x00hi"]);
    vector(V5, &wire, publish(Delivery::AtMostOnce, Some("t"), b"hi"));
}

/// A zero-length topic name is allowed in 5.0 when a Topic Alias stands for
/// it (section 3.3.2.3.4).
#[test]
fn publish_5_0_topic_alias_with_empty_topic_name() {
    let wire = cat(&[
        &[0x32, 0x09],
        &[0x00, 0x00],             // empty topic name
        &[0x00, 0x01],             // packet identifier
        &[0x03, 0x23, 0x00, 0x05], // Topic Alias 5
        b"p",
    ]);
    let mut expected = publish(Delivery::AtLeastOnce(pid(1)), None, b"p");
    expected.properties.topic_alias = Some(nz16(5));
    vector(V5, &wire, expected);
}

fn full_publish_properties() -> PublishProperties {
    PublishProperties {
        payload_format_indicator: Some(PayloadFormat::Utf8),
        message_expiry_interval: Some(60),
        topic_alias: Some(nz16(2)),
        response_topic: Some(topic("r/x")),
        correlation_data: Some(bytes(&[1, 2, 3])),
        user_properties: vec![up("k", "1"), up("k", "2"), up("j", "")],
        subscription_identifiers: vec![sub_id(1), sub_id(128), sub_id(268_435_455)],
        content_type: Some(s("json")),
    }
}

/// Every PUBLISH property; User Properties in order with a repeated name;
/// several Subscription Identifiers (section 3.3.4),
/// including the one- and four-byte Variable Byte Integer extremes.
#[test]
fn publish_5_0_every_property() {
    let wire = cat(&[
        &[0x3D, 69], // DUP, QoS 2, RETAIN
        b"\x00\x03s/1",
        &[0x12, 0x34],                   // packet identifier
        &[59],                           // property length
        &[0x01, 0x01],                   // Payload Format Indicator
        &[0x02, 0x00, 0x00, 0x00, 0x3C], // Message Expiry Interval 60
        &[0x23, 0x00, 0x02],             // Topic Alias 2
        b"\x08\x00\x03r/x",              // Response Topic
        &[0x09, 0x00, 0x03, 1, 2, 3],    // Correlation Data
        b"\x26\x00\x01k\x00\x011",       // User Property k=1
        b"\x26\x00\x01k\x00\x012",       // User Property k=2
        b"\x26\x00\x01j\x00\x00",        // User Property j=""
        &[0x0B, 0x01],                   // Subscription Identifier 1
        &[0x0B, 0x80, 0x01],             // Subscription Identifier 128
        &[0x0B, 0xFF, 0xFF, 0xFF, 0x7F], // Subscription Identifier 268,435,455
        b"\x03\x00\x04json",             // Content Type
        b"{}",
    ]);
    let expected = Publish {
        dup: true,
        retain: true,
        properties: full_publish_properties().into(),
        ..publish(Delivery::ExactlyOnce(pid(0x1234)), Some("s/1"), b"{}")
    };
    vector(V5, &wire, expected);
}

/// User Properties and Subscription Identifiers interleaved with other
/// properties: each keeps its own order.
#[test]
fn publish_5_0_interleaved_repeated_properties() {
    let wire = cat(&[
        &[0x30, 33],
        b"\x00\x01t",
        &[29],
        &[0x0B, 0x07],             // Subscription Identifier 7
        b"\x26\x00\x01b\x00\x011", // User Property b=1
        b"\x03\x00\x01c",          // Content Type
        &[0x0B, 0x03],             // Subscription Identifier 3
        b"\x26\x00\x01a\x00\x012", // User Property a=2
        b"\x26\x00\x01b\x00\x013", // User Property b=3
    ]);
    let mut expected = publish(Delivery::AtMostOnce, Some("t"), b"");
    expected.properties.subscription_identifiers = vec![sub_id(7), sub_id(3)];
    expected.properties.user_properties = vec![up("b", "1"), up("a", "2"), up("b", "3")];
    expected.properties.content_type = Some(s("c"));
    decode_vector(V5, &wire, expected);
}

// ---------------------------------------------------------------- PUBACK, PUBREC, PUBREL, PUBCOMP

#[test]
fn pub_acks_3_x() {
    for version in V3 {
        vector(
            version,
            &[0x40, 0x02, 0x00, 0x01],
            Packet::PubAck(ack(1, ReasonCode::Success)),
        );
        vector(
            version,
            &[0x50, 0x02, 0x00, 0x02],
            Packet::PubRec(ack(2, ReasonCode::Success)),
        );
        // PUBREL carries the reserved flags 0b0010 [MQTT-2.2.2-1, 3.1.1].
        vector(
            version,
            &[0x62, 0x02, 0x00, 0x03],
            Packet::PubRel(ack(3, ReasonCode::Success)),
        );
        vector(
            version,
            &[0x70, 0x02, 0xFF, 0xFF],
            Packet::PubComp(ack(0xFFFF, ReasonCode::Success)),
        );
    }
}

/// "The Reason Code and Property Length can be omitted if the Reason Code is
/// 0x00 (Success) and there are no Properties. In this case the PUBACK has a
/// Remaining Length of 2" (section 3.4.2.1, and likewise 3.5-3.7).
#[test]
fn pub_acks_5_0_two_bytes_is_success_without_properties() {
    vector(
        V5,
        &[0x40, 0x02, 0x00, 0x01],
        Packet::PubAck(ack(1, ReasonCode::Success)),
    );
    vector(
        V5,
        &[0x50, 0x02, 0x00, 0x02],
        Packet::PubRec(ack(2, ReasonCode::Success)),
    );
    vector(
        V5,
        &[0x62, 0x02, 0x00, 0x03],
        Packet::PubRel(ack(3, ReasonCode::Success)),
    );
    vector(
        V5,
        &[0x70, 0x02, 0x00, 0x04],
        Packet::PubComp(ack(4, ReasonCode::Success)),
    );
}

/// "If the Remaining Length is less than 4 there is no Property Length and the
/// value of 0 is used" (section 3.4.2.2.1): three bytes is a reason code only.
#[test]
fn pub_acks_5_0_three_bytes_is_reason_code_only() {
    vector(
        V5,
        &[0x40, 0x03, 0x00, 0x01, 0x10],
        Packet::PubAck(ack(1, ReasonCode::NoMatchingSubscribers)),
    );
    vector(
        V5,
        &[0x40, 0x03, 0x00, 0x01, 0x97],
        Packet::PubAck(ack(1, ReasonCode::QuotaExceeded)),
    );
    vector(
        V5,
        &[0x50, 0x03, 0x00, 0x01, 0x80],
        Packet::PubRec(ack(1, ReasonCode::UnspecifiedError)),
    );
    vector(
        V5,
        &[0x62, 0x03, 0x00, 0x01, 0x92],
        Packet::PubRel(ack(1, ReasonCode::PacketIdentifierNotFound)),
    );
    vector(
        V5,
        &[0x70, 0x03, 0x00, 0x01, 0x92],
        Packet::PubComp(ack(1, ReasonCode::PacketIdentifierNotFound)),
    );
}

#[test]
fn pub_acks_5_0_with_properties() {
    let wire = cat(&[&[0x40, 11, 0x00, 0x07, 0x87, 7, 0x1F], b"\x00\x04nope"]);
    let mut expected = ack(7, ReasonCode::NotAuthorized);
    expected.properties.reason_string = Some(s("nope"));
    vector(V5, &wire, Packet::PubAck(expected));

    // Success with properties needs the reason code byte.
    let wire = cat(&[
        &[0x70, 11, 0x00, 0x05, 0x00, 7, 0x26],
        b"\x00\x01a\x00\x01b",
    ]);
    let mut expected = ack(5, ReasonCode::Success);
    expected.properties.user_properties = vec![up("a", "b")];
    vector(V5, &wire, Packet::PubComp(expected));

    let wire = cat(&[
        &[0x50, 20, 0x00, 0x06, 0x10, 16],
        b"\x1F\x00\x01r",          // Reason String
        b"\x26\x00\x01a\x00\x01b", // User Property a=b
        b"\x26\x00\x00\x00\x00",   // User Property with empty name and value
    ]);
    let mut expected = ack(6, ReasonCode::NoMatchingSubscribers);
    expected.properties.reason_string = Some(s("r"));
    expected.properties.user_properties = vec![up("a", "b"), up("", "")];
    vector(V5, &wire, Packet::PubRec(expected));
}

/// A reason code with an explicit empty property section is the same packet
/// as the shorter forms the encoder writes.
#[test]
fn pub_acks_5_0_explicit_empty_property_length() {
    decode_vector(
        V5,
        &[0x40, 0x04, 0x00, 0x01, 0x00, 0x00],
        Packet::PubAck(ack(1, ReasonCode::Success)),
    );
    decode_vector(
        V5,
        &[0x50, 0x04, 0x00, 0x01, 0x10, 0x00],
        Packet::PubRec(ack(1, ReasonCode::NoMatchingSubscribers)),
    );
    decode_vector(
        V5,
        &[0x62, 0x04, 0x00, 0x01, 0x92, 0x00],
        Packet::PubRel(ack(1, ReasonCode::PacketIdentifierNotFound)),
    );
    decode_vector(
        V5,
        &[0x70, 0x03, 0x00, 0x01, 0x00],
        Packet::PubComp(ack(1, ReasonCode::Success)),
    );
}

// ---------------------------------------------------------------- SUBSCRIBE, SUBACK

/// 3.1.1 Figure 3.23 "Payload byte format non normative example": "a/b" at
/// QoS 1 and "c/d" at QoS 2, packet identifier 10.
#[test]
fn subscribe_3_x_spec_example() {
    for version in V3 {
        let wire = cat(&[
            &[0x82, 14, 0x00, 0x0A],
            b"\x00\x03a/b",
            &[0x01],
            b"\x00\x03c/d",
            &[0x02],
        ]);
        let expected = Subscribe {
            packet_id: pid(10),
            subscriptions: vec![
                Subscription::new(filter("a/b"), QoS::AtLeastOnce),
                Subscription::new(filter("c/d"), QoS::ExactlyOnce),
            ],
            properties: SubscribeProperties::default(),
        };
        vector(version, &wire, expected);
    }
}

#[test]
fn subscribe_3_x_wildcards() {
    for version in V3 {
        let wire = cat(&[
            &[0x82, 18, 0x00, 0x0A],
            b"\x00\x03a/b",
            &[0x01],
            b"\x00\x03c/#",
            &[0x02],
            b"\x00\x01+",
            &[0x00],
        ]);
        let expected = Subscribe {
            packet_id: pid(10),
            subscriptions: vec![
                Subscription::new(filter("a/b"), QoS::AtLeastOnce),
                Subscription::new(filter("c/#"), QoS::ExactlyOnce),
                Subscription::new(filter("+"), QoS::AtMostOnce),
            ],
            properties: SubscribeProperties::default(),
        };
        vector(version, &wire, expected);
    }
}

/// Section 3.8.3.1 Subscription Options: bits 0-1 Maximum QoS, bit 2 No
/// Local, bit 3 Retain As Published, bits 4-5 Retain Handling.
#[test]
fn subscribe_5_0_options_and_subscription_identifier() {
    let wire = cat(&[
        &[0x82, 35, 0x00, 0x0A],
        &[9, 0x0B, 0x05],          // Subscription Identifier 5
        b"\x26\x00\x01u\x00\x01v", // User Property
        b"\x00\x03a/+",
        &[0x1D], // QoS 1, No Local, RAP, Retain Handling 1
        b"\x00\x0A$share/g/x",
        &[0x22], // QoS 2, Retain Handling 2
        b"\x00\x01#",
        &[0x00],
    ]);
    let expected = Subscribe {
        packet_id: pid(10),
        subscriptions: vec![
            Subscription {
                filter: filter("a/+"),
                options: SubscriptionOptions {
                    qos: QoS::AtLeastOnce,
                    no_local: true,
                    retain_as_published: true,
                    retain_handling: RetainHandling::SendAtNewSubscribe,
                },
            },
            Subscription {
                filter: filter("$share/g/x"),
                options: SubscriptionOptions {
                    qos: QoS::ExactlyOnce,
                    retain_handling: RetainHandling::DoNotSend,
                    ..SubscriptionOptions::default()
                },
            },
            Subscription::new(filter("#"), QoS::AtMostOnce),
        ],
        properties: SubscribeProperties {
            subscription_identifier: Some(sub_id(5)),
            user_properties: vec![up("u", "v")],
        },
    };
    vector(V5, &wire, expected);
}

#[test]
fn subscribe_5_0_largest_subscription_identifier() {
    let wire = cat(&[
        &[0x82, 12, 0x00, 0x01],
        &[5, 0x0B, 0xFF, 0xFF, 0xFF, 0x7F],
        b"\x00\x01t",
        &[0x00],
    ]);
    let expected = Subscribe {
        packet_id: pid(1),
        subscriptions: vec![Subscription::new(filter("t"), QoS::AtMostOnce)],
        properties: SubscribeProperties {
            subscription_identifier: Some(sub_id(SubscriptionId::MAX)),
            user_properties: Vec::new(),
        },
    };
    vector(V5, &wire, expected);
}

/// 3.1.1 section 3.9.3: 0x00, 0x01, 0x02 granted QoS, 0x80 failure.
#[test]
fn suback_3_x_return_codes() {
    for version in V3 {
        let expected = SubAck {
            packet_id: pid(10),
            reasons: vec![
                ReasonCode::GRANTED_QOS_0,
                ReasonCode::GrantedQoS1,
                ReasonCode::GrantedQoS2,
                ReasonCode::UnspecifiedError,
            ],
            properties: Default::default(),
        };
        vector(
            version,
            &[0x90, 0x06, 0x00, 0x0A, 0x00, 0x01, 0x02, 0x80],
            expected,
        );
    }
}

/// 5.0 Table 3-8 "Subscribe Reason Codes", every one.
#[test]
fn suback_5_0_every_reason_code() {
    let wire = [
        0x90, 15, 0x00, 0x0A, 0x00, 0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E,
        0xA1, 0xA2,
    ];
    let expected = SubAck {
        packet_id: pid(10),
        reasons: vec![
            ReasonCode::Success,
            ReasonCode::GrantedQoS1,
            ReasonCode::GrantedQoS2,
            ReasonCode::UnspecifiedError,
            ReasonCode::ImplementationSpecificError,
            ReasonCode::NotAuthorized,
            ReasonCode::TopicFilterInvalid,
            ReasonCode::PacketIdentifierInUse,
            ReasonCode::QuotaExceeded,
            ReasonCode::SharedSubscriptionsNotSupported,
            ReasonCode::SubscriptionIdentifiersNotSupported,
            ReasonCode::WildcardSubscriptionsNotSupported,
        ],
        properties: Default::default(),
    };
    vector(V5, &wire, expected);

    let wire = cat(&[&[0x90, 8, 0x00, 0x0A, 4, 0x1F], b"\x00\x01r", &[0x01]]);
    let expected = SubAck {
        packet_id: pid(10),
        reasons: vec![ReasonCode::GrantedQoS1],
        properties: AckProperties {
            reason_string: Some(s("r")),
            user_properties: Vec::new(),
        }
        .into(),
    };
    vector(V5, &wire, expected);
}

// ---------------------------------------------------------------- UNSUBSCRIBE, UNSUBACK

/// [MQTT-3.10.3-1, 3.1.1]: the topic filters follow one another with
/// nothing in between.
#[test]
fn unsubscribe_3_x() {
    for version in V3 {
        let wire = cat(&[&[0xA2, 12, 0x00, 0x0B], b"\x00\x03a/b", b"\x00\x03c/#"]);
        let expected = Unsubscribe {
            packet_id: pid(11),
            filters: vec![filter("a/b"), filter("c/#")],
            properties: UnsubscribeProperties::default(),
        };
        vector(version, &wire, expected);
    }
}

#[test]
fn unsubscribe_5_0() {
    let wire = cat(&[&[0xA2, 6, 0x00, 0x0B, 0x00], b"\x00\x01#"]);
    let expected = Unsubscribe {
        packet_id: pid(11),
        filters: vec![filter("#")],
        properties: UnsubscribeProperties::default(),
    };
    vector(V5, &wire, expected);

    let wire = cat(&[
        &[0xA2, 22, 0x00, 0x0B],
        &[7, 0x26],
        b"\x00\x01k\x00\x01v",
        b"\x00\x0A$share/g/a",
    ]);
    let expected = Unsubscribe {
        packet_id: pid(11),
        filters: vec![filter("$share/g/a")],
        properties: UnsubscribeProperties {
            user_properties: vec![up("k", "v")],
        },
    };
    vector(V5, &wire, expected);
}

/// 3.1.1 section 3.11: the UNSUBACK has no payload.
#[test]
fn unsuback_3_x_has_no_payload() {
    for version in V3 {
        let expected = UnsubAck {
            packet_id: pid(11),
            reasons: Vec::new(),
            properties: Default::default(),
        };
        vector(version, &[0xB0, 0x02, 0x00, 0x0B], expected);
    }
}

/// 5.0 Table 3-9 "Unsubscribe Reason Codes", every one.
#[test]
fn unsuback_5_0_every_reason_code() {
    let wire = [
        0xB0, 10, 0x00, 0x0B, 0x00, 0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91,
    ];
    let expected = UnsubAck {
        packet_id: pid(11),
        reasons: vec![
            ReasonCode::Success,
            ReasonCode::NoSubscriptionExisted,
            ReasonCode::UnspecifiedError,
            ReasonCode::ImplementationSpecificError,
            ReasonCode::NotAuthorized,
            ReasonCode::TopicFilterInvalid,
            ReasonCode::PacketIdentifierInUse,
        ],
        properties: Default::default(),
    };
    vector(V5, &wire, expected);

    let wire = cat(&[
        &[0xB0, 11, 0x00, 0x0B, 7, 0x26],
        b"\x00\x01a\x00\x01b",
        &[0x00],
    ]);
    let expected = UnsubAck {
        packet_id: pid(11),
        reasons: vec![ReasonCode::Success],
        properties: AckProperties {
            reason_string: None,
            user_properties: vec![up("a", "b")],
        }
        .into(),
    };
    vector(V5, &wire, expected);
}

// ---------------------------------------------------------------- PINGREQ, PINGRESP

#[test]
fn pings_in_every_version() {
    for version in ALL {
        vector(version, &[0xC0, 0x00], Packet::PingReq);
        vector(version, &[0xD0, 0x00], Packet::PingResp);
    }
}

// ---------------------------------------------------------------- DISCONNECT

#[test]
fn disconnect_3_x_is_empty() {
    for version in V3 {
        vector(version, &[0xE0, 0x00], Disconnect::default());
    }
}

/// 5.0 section 3.14.2.1: "If the Remaining Length is less than 1 the value of
/// 0x00 (Normal disconnection) is used"; 3.14.2.2.1: "If the Remaining Length
/// is less than 2, a value of 0 is used" for the property length.
#[test]
fn disconnect_5_0_empty_reason_only_and_properties() {
    vector(
        V5,
        &[0xE0, 0x00],
        Disconnect::new(ReasonCode::NORMAL_DISCONNECTION),
    );
    vector(
        V5,
        &[0xE0, 0x01, 0x04],
        Disconnect::new(ReasonCode::DisconnectWithWillMessage),
    );
    vector(
        V5,
        &[0xE0, 0x01, 0x8E],
        Disconnect::new(ReasonCode::SessionTakenOver),
    );
    decode_vector(
        V5,
        &[0xE0, 0x02, 0x8E, 0x00],
        Disconnect::new(ReasonCode::SessionTakenOver),
    );

    let wire = cat(&[
        &[0xE0, 25, 0x9C, 23],
        &[0x11, 0x00, 0x00, 0x00, 0x00], // Session Expiry Interval 0
        b"\x1F\x00\x03bye",              // Reason String
        b"\x26\x00\x01k\x00\x01v",       // User Property
        b"\x1C\x00\x02s2",               // Server Reference
    ]);
    let expected = Disconnect {
        reason: ReasonCode::UseAnotherServer,
        properties: DisconnectProperties {
            session_expiry_interval: Some(0),
            reason_string: Some(s("bye")),
            user_properties: vec![up("k", "v")],
            server_reference: Some(s("s2")),
        }
        .into(),
    };
    vector(V5, &wire, expected);

    // Normal disconnection with a property: the reason code must be written.
    let wire = [0xE0, 0x07, 0x00, 0x05, 0x11, 0x00, 0x00, 0x00, 0x3C];
    let mut expected = Disconnect::default();
    expected.properties.session_expiry_interval = Some(60);
    vector(V5, &wire, expected);
}

// ---------------------------------------------------------------- AUTH

/// AUTH (5.0 section 3.15). Section 3.15.2.1 lets the Reason Code and
/// Property Length be omitted for Success without properties, but an AUTH
/// without properties lacks the Authentication Method that 3.15.2.2.2
/// requires, so those shorter forms are Protocol Errors (see
/// `mqtt_4_12_0_5_auth_without_a_method_is_neither_sent_nor_accepted`).
#[test]
fn auth_5_0() {
    let wire = cat(&[
        &[0xF0, 27, 0x18, 25],
        b"\x15\x00\x05SCRAM",         // Authentication Method
        &[0x16, 0x00, 0x03, 1, 2, 3], // Authentication Data
        b"\x1F\x00\x01c",             // Reason String
        b"\x26\x00\x01k\x00\x01v",    // User Property
    ]);
    let expected = Auth {
        reason: ReasonCode::ContinueAuthentication,
        properties: AuthProperties {
            authentication_method: Some(s("SCRAM")),
            authentication_data: Some(bytes(&[1, 2, 3])),
            reason_string: Some(s("c")),
            user_properties: vec![up("k", "v")],
        }
        .into(),
    };
    vector(V5, &wire, expected);

    let wire = cat(&[&[0xF0, 10, 0x19, 8, 0x15], b"\x00\x05SCRAM"]);
    let mut expected = Auth {
        reason: ReasonCode::ReAuthenticate,
        ..Auth::default()
    };
    expected.properties.authentication_method = Some(s("SCRAM"));
    vector(V5, &wire, expected.clone());

    let wire = cat(&[&[0xF0, 10, 0x00, 8, 0x15], b"\x00\x05SCRAM"]);
    expected.reason = ReasonCode::Success;
    vector(V5, &wire, expected);
}
