//! The fast decoder and the independent nom-based reference decoder
//! (`mqtt_proto::reference`) must agree on every input: the same packet and
//! size when both accept, the same reason code when both refuse, and both
//! asking for more bytes on a prefix of a packet.
//!
//! Run with `cargo test -p mqtt-proto --features reference`.

#![cfg(feature = "reference")]

#[allow(dead_code)]
mod strategies;

use bytes::{Bytes, BytesMut};
use core::num::{NonZeroU16, NonZeroU32};
use mqtt_proto::reference::{decode_packet_limited, RefError};
use mqtt_proto::*;
use proptest::collection::vec;
use proptest::prelude::*;

const VERSIONS: [ProtocolVersion; 3] = [
    ProtocolVersion::V3_1,
    ProtocolVersion::V3_1_1,
    ProtocolVersion::V5,
];

/// What a decoder made of the bytes at the start of a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// A packet and the bytes it took.
    Packet(Box<Packet>, usize),
    /// More bytes needed.
    Incomplete,
    /// Refused, with the reason code to answer with.
    Invalid(ReasonCode),
}

fn fast(decoder: &mut Decoder, input: &[u8]) -> Outcome {
    let mut buf = BytesMut::from(input);
    match decoder.decode(&mut buf) {
        Ok(Some(p)) => Outcome::Packet(Box::new(p), input.len() - buf.len()),
        Ok(None) => {
            assert_eq!(&buf[..], input, "Ok(None) must leave the buffer untouched");
            Outcome::Incomplete
        }
        Err(e) => Outcome::Invalid(e.reason_code()),
    }
}

fn reference(version: ProtocolVersion, max: u32, input: &[u8]) -> Outcome {
    match decode_packet_limited(version, max, input) {
        Ok((p, n)) => Outcome::Packet(Box::new(p), n),
        Err(RefError::Incomplete) => Outcome::Incomplete,
        Err(e @ RefError::Invalid { .. }) => Outcome::Invalid(e.reason_code().unwrap()),
    }
}

/// Decodes `input` as a stream with both decoders, packet by packet, until
/// one of them stops; they must agree at every step. Returns the packets
/// and how the stream ended.
fn check_stream(
    version: ProtocolVersion,
    max: u32,
    input: &[u8],
) -> Result<(Vec<Packet>, Outcome), TestCaseError> {
    let mut decoder = Decoder::new(version).with_max_packet_size(max);
    let mut ref_version = version;
    let mut at = 0;
    let mut packets = Vec::new();
    loop {
        let rest = &input[at..];
        let f = fast(&mut decoder, rest);
        let r = reference(ref_version, max, rest);
        prop_assert_eq!(
            &f,
            &r,
            "fast (left) and reference (right) disagree at offset {} of {:02x?} ({}, max {})",
            at,
            input,
            ref_version,
            max
        );
        match f {
            Outcome::Packet(p, n) => {
                prop_assert!(n > 0);
                if let Packet::Connect(c) = &*p {
                    ref_version = c.protocol;
                }
                prop_assert_eq!(decoder.version(), ref_version);
                packets.push(*p);
                at += n;
            }
            end => return Ok((packets, end)),
        }
    }
}

fn agree(version: ProtocolVersion, input: &[u8]) -> (Vec<Packet>, Outcome) {
    check_stream(version, MAX_PACKET_SIZE as u32, input).unwrap_or_else(|e| panic!("{e}"))
}

fn s(v: &str) -> MqttString {
    MqttString::new(v).unwrap()
}

fn id(v: u16) -> PacketId {
    PacketId::new(v).unwrap()
}

fn user() -> Vec<UserProperty> {
    vec![(s("k"), s("v1")), (s("k"), s("v2")), (s("é"), s(""))]
}

/// Hand-built packets of every type: bare ones that every version can
/// carry, and 5.0 ones with reason codes and every property they allow.
fn samples() -> Vec<Packet> {
    let topic = TopicName::new("a/b").unwrap();
    let filter = TopicFilter::new("sport/+/player1/#").unwrap();
    let shared = TopicFilter::new("$share/g/x/#").unwrap();
    let mut out = Vec::new();

    for protocol in VERSIONS {
        let mut c = Connect::new(protocol, s("client-1"));
        out.push(Packet::from(c.clone()));
        c.will = Some(LastWill {
            topic: topic.clone(),
            payload: Bytes::from_static(b"gone"),
            qos: QoS::ExactlyOnce,
            retain: true,
            properties: WillProperties::default(),
        });
        c.username = Some(s("user"));
        c.password = Some(Bytes::from_static(b"\x00\xffpw"));
        c.clean_start = false;
        c.keep_alive = 0;
        out.push(Packet::from(c));
    }
    let mut c = Connect::new(ProtocolVersion::V5, s(""));
    c.password = Some(Bytes::from_static(b"token"));
    c.properties = ConnectProperties {
        session_expiry_interval: Some(u32::MAX),
        receive_maximum: NonZeroU16::new(10),
        maximum_packet_size: NonZeroU32::new(1024),
        topic_alias_maximum: Some(5),
        request_response_information: Some(true),
        request_problem_information: Some(false),
        user_properties: user(),
        authentication_method: Some(s("SCRAM-SHA-1")),
        authentication_data: Some(Bytes::from_static(b"\x01\x02")),
    };
    c.will = Some(LastWill {
        topic: topic.clone(),
        payload: Bytes::new(),
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: WillProperties {
            will_delay_interval: Some(30),
            payload_format_indicator: Some(PayloadFormat::Utf8),
            message_expiry_interval: Some(60),
            content_type: Some(s("text/plain")),
            response_topic: Some(TopicName::new("resp/1").unwrap()),
            correlation_data: Some(Bytes::from_static(b"corr")),
            user_properties: user(),
        },
    });
    out.push(Packet::from(c));

    out.push(Packet::from(ConnAck {
        session_present: true,
        ..ConnAck::default()
    }));
    out.push(Packet::from(ConnAck {
        reason: ReasonCode::NotAuthorized,
        ..ConnAck::default()
    }));
    out.push(Packet::from(ConnAck {
        session_present: false,
        reason: ReasonCode::QuotaExceeded,
        properties: ConnAckProperties {
            session_expiry_interval: Some(0),
            receive_maximum: NonZeroU16::new(65535),
            maximum_qos: Some(QoS::AtLeastOnce),
            retain_available: Some(false),
            maximum_packet_size: NonZeroU32::new(268_435_460),
            assigned_client_identifier: Some(s("auto-1")),
            topic_alias_maximum: Some(0),
            reason_string: Some(s("no")),
            user_properties: user(),
            wildcard_subscription_available: Some(true),
            subscription_identifiers_available: Some(false),
            shared_subscription_available: Some(true),
            server_keep_alive: Some(10),
            response_information: Some(s("r/")),
            server_reference: Some(s("other:1883")),
            authentication_method: Some(s("m")),
            authentication_data: Some(Bytes::new()),
        },
    }));

    let mut p = Publish::new(topic.clone(), "hello");
    out.push(Packet::Publish(p.clone()));
    p.delivery = Delivery::AtLeastOnce(id(1));
    p.retain = true;
    out.push(Packet::Publish(p.clone()));
    p.delivery = Delivery::ExactlyOnce(id(65535));
    p.dup = true;
    p.payload = Bytes::new();
    out.push(Packet::Publish(p.clone()));
    p.properties = PublishProperties {
        payload_format_indicator: Some(PayloadFormat::Unspecified),
        message_expiry_interval: Some(1),
        topic_alias: NonZeroU16::new(3),
        response_topic: Some(TopicName::new("r/x").unwrap()),
        correlation_data: Some(Bytes::from_static(b"c")),
        user_properties: user(),
        subscription_identifiers: vec![
            SubscriptionId::new(1).unwrap(),
            SubscriptionId::new(SubscriptionId::MAX).unwrap(),
        ],
        content_type: Some(s("json")),
    }
    .into();
    out.push(Packet::Publish(p.clone()));
    p.topic = None;
    out.push(Packet::Publish(p));

    for (t, reason) in [
        (PacketType::PubAck, ReasonCode::NoMatchingSubscribers),
        (PacketType::PubRec, ReasonCode::QuotaExceeded),
        (PacketType::PubRel, ReasonCode::PacketIdentifierNotFound),
        (PacketType::PubComp, ReasonCode::PacketIdentifierNotFound),
    ] {
        let wrap = |a: Ack| match t {
            PacketType::PubAck => Packet::PubAck(a),
            PacketType::PubRec => Packet::PubRec(a),
            PacketType::PubRel => Packet::PubRel(a),
            _ => Packet::PubComp(a),
        };
        out.push(wrap(Ack::new(id(7))));
        out.push(wrap(Ack::with_reason(id(8), reason)));
        let mut a = Ack::with_reason(id(9), ReasonCode::Success);
        a.properties.reason_string = Some(s("why"));
        a.properties.user_properties = user();
        out.push(wrap(a));
    }

    out.push(Packet::Subscribe(Subscribe {
        packet_id: id(10),
        subscriptions: vec![
            Subscription::new(filter.clone(), QoS::AtMostOnce),
            Subscription::new(TopicFilter::new("#").unwrap(), QoS::ExactlyOnce),
            Subscription::new(shared.clone(), QoS::AtLeastOnce),
        ],
        properties: SubscribeProperties::default(),
    }));
    out.push(Packet::Subscribe(Subscribe {
        packet_id: id(11),
        subscriptions: vec![
            Subscription {
                filter: filter.clone(),
                options: SubscriptionOptions {
                    qos: QoS::AtLeastOnce,
                    no_local: true,
                    retain_as_published: true,
                    retain_handling: RetainHandling::DoNotSend,
                },
            },
            Subscription {
                filter: shared.clone(),
                options: SubscriptionOptions {
                    qos: QoS::ExactlyOnce,
                    no_local: false,
                    retain_as_published: false,
                    retain_handling: RetainHandling::SendAtNewSubscribe,
                },
            },
        ],
        properties: SubscribeProperties {
            subscription_identifier: SubscriptionId::new(200),
            user_properties: user(),
        },
    }));
    out.push(Packet::SubAck(SubAck {
        packet_id: id(10),
        reasons: vec![
            ReasonCode::GRANTED_QOS_0,
            ReasonCode::GrantedQoS2,
            ReasonCode::UnspecifiedError,
        ],
        properties: Default::default(),
    }));
    out.push(Packet::SubAck(SubAck {
        packet_id: id(11),
        reasons: vec![ReasonCode::GrantedQoS1, ReasonCode::TopicFilterInvalid],
        properties: AckProperties {
            reason_string: Some(s("partly")),
            user_properties: user(),
        }
        .into(),
    }));
    out.push(Packet::Unsubscribe(Unsubscribe {
        packet_id: id(12),
        filters: vec![filter.clone(), shared],
        properties: UnsubscribeProperties::default(),
    }));
    out.push(Packet::Unsubscribe(Unsubscribe {
        packet_id: id(13),
        filters: vec![filter],
        properties: UnsubscribeProperties {
            user_properties: user(),
        },
    }));
    out.push(Packet::UnsubAck(UnsubAck {
        packet_id: id(12),
        reasons: Vec::new(),
        properties: Default::default(),
    }));
    out.push(Packet::UnsubAck(UnsubAck {
        packet_id: id(13),
        reasons: vec![ReasonCode::Success, ReasonCode::NoSubscriptionExisted],
        properties: AckProperties {
            reason_string: Some(s("r")),
            user_properties: Vec::new(),
        }
        .into(),
    }));
    out.push(Packet::PingReq);
    out.push(Packet::PingResp);
    out.push(Packet::Disconnect(Disconnect::default()));
    out.push(Packet::Disconnect(Disconnect::new(
        ReasonCode::DisconnectWithWillMessage,
    )));
    out.push(Packet::Disconnect(Disconnect {
        reason: ReasonCode::ServerMoved,
        properties: DisconnectProperties {
            session_expiry_interval: Some(5),
            reason_string: Some(s("moved")),
            user_properties: user(),
            server_reference: Some(s("b:1883")),
        }
        .into(),
    }));
    out.push(Packet::Auth(Auth::default()));
    out.push(Packet::Auth(Auth {
        reason: ReasonCode::ContinueAuthentication,
        properties: Default::default(),
    }));
    out.push(Packet::Auth(Auth {
        reason: ReasonCode::ReAuthenticate,
        properties: AuthProperties {
            authentication_method: Some(s("SCRAM-SHA-1")),
            authentication_data: Some(Bytes::from_static(b"\x00")),
            reason_string: Some(s("again")),
            user_properties: user(),
        }
        .into(),
    }));
    out
}

/// Every sample that `version` can carry, with its encoding.
fn encodings(version: ProtocolVersion) -> Vec<(Packet, Vec<u8>)> {
    samples()
        .into_iter()
        .filter(|p| match p {
            // A CONNECT is sent before the version is agreed; it is decoded
            // at its own version, so only those matching `version` are taken.
            Packet::Connect(c) => c.protocol == version,
            _ => true,
        })
        .filter_map(|p| {
            let mut buf = BytesMut::new();
            p.encode(version, &mut buf).ok()?;
            Some((p, buf.to_vec()))
        })
        .collect()
}

#[test]
fn samples_cover_every_packet_type_in_every_version() {
    for version in VERSIONS {
        let types: std::collections::HashSet<_> = encodings(version)
            .iter()
            .map(|(p, _)| p.packet_type())
            .collect();
        let expected = if version.is_v5() { 15 } else { 14 };
        assert_eq!(types.len(), expected, "{version}: {types:?}");
    }
}

#[test]
fn valid_encodings_decode_to_the_same_packet() {
    for version in VERSIONS {
        for (packet, wire) in encodings(version) {
            let (packets, end) = agree(version, &wire);
            assert_eq!(packets, vec![packet.clone()], "{version}: {wire:02x?}");
            assert_eq!(end, Outcome::Incomplete);

            // A packet followed by the next one is cut where it ends.
            let mut two = wire.clone();
            two.extend_from_slice(b"\xd0\x00");
            let (packets, _) = agree(version, &two);
            assert_eq!(packets, vec![packet, Packet::PingResp]);
        }
    }
}

#[test]
fn every_prefix_of_a_packet_is_incomplete_for_both() {
    for version in VERSIONS {
        for (_, wire) in encodings(version) {
            for cut in 0..wire.len() {
                let (packets, end) = agree(version, &wire[..cut]);
                assert!(packets.is_empty());
                assert_eq!(end, Outcome::Incomplete, "{version}: {:02x?}", &wire[..cut]);
            }
        }
    }
}

/// Every byte of every sample replaced by values that hit the edges of
/// flags, lengths, identifiers and reason codes.
#[test]
fn single_byte_mutations_get_the_same_verdict() {
    let mut refused = 0;
    let mut total = 0;
    for version in VERSIONS {
        for (_, wire) in encodings(version) {
            for at in 0..wire.len() {
                let b = wire[at];
                for new in [
                    0x00,
                    0x01,
                    0x02,
                    0x03,
                    0x7F,
                    0x80,
                    0xFF,
                    b ^ 0x01,
                    b ^ 0x02,
                    b ^ 0x08,
                    b ^ 0x40,
                    b ^ 0x80,
                    b.wrapping_add(1),
                    b.wrapping_sub(1),
                ] {
                    let mut m = wire.clone();
                    m[at] = new;
                    let (_, end) = agree(version, &m);
                    total += 1;
                    refused += usize::from(matches!(end, Outcome::Invalid(_)));
                }
                // Deleting a byte shifts every later field.
                let mut m = wire.clone();
                m.remove(at);
                agree(version, &m);
            }
        }
    }
    // The mutations must reach the refusal paths, or the test proves little.
    assert!(
        refused * 4 > total,
        "only {refused} of {total} mutants refused"
    );
}

#[test]
fn maximum_packet_size_is_enforced_alike() {
    for version in VERSIONS {
        for (packet, wire) in encodings(version) {
            let len = wire.len() as u32;
            for max in [0, 1, 2, len - 1, len, len + 1] {
                let (packets, end) =
                    check_stream(version, max, &wire).unwrap_or_else(|e| panic!("{e}"));
                if max >= len {
                    assert_eq!(packets, vec![packet.clone()]);
                } else {
                    assert_eq!(end, Outcome::Invalid(ReasonCode::PacketTooLarge));
                }
            }
        }
    }
}

/// Both decoders on bytes written from the specification, with the outcome
/// the specification asks for.
fn expect(version: ProtocolVersion, bytes: &[u8], outcome: Outcome) {
    let (packets, end) = agree(version, bytes);
    let got = match packets.into_iter().next() {
        Some(p) => Outcome::Packet(Box::new(p), bytes.len()),
        None => end,
    };
    assert_eq!(got, outcome, "{version}: {bytes:02x?}");
}

/// [MQTT-3.3.1-4, 3.1.1, 5.0], in every version.
#[test]
fn mqtt_3_3_1_4_publish_qos_3_is_refused_from_the_first_byte() {
    for version in VERSIONS {
        expect(
            version,
            b"\x36",
            Outcome::Invalid(ReasonCode::MalformedPacket),
        );
    }
}

/// [MQTT-3.3.1-2, 3.1.1, 5.0], in every version.
#[test]
fn mqtt_3_3_1_2_dup_on_qos_0_is_refused_from_the_first_byte() {
    for version in VERSIONS {
        expect(
            version,
            b"\x38",
            Outcome::Invalid(ReasonCode::MalformedPacket),
        );
    }
}

/// [MQTT-3.3.2-2, 3.1.1, 5.0]: a wildcard topic name is refused as such.
#[test]
fn mqtt_3_3_2_2_wildcard_topic_is_reported_before_later_faults() {
    // Topic "a/#", QoS 1 with packet identifier 0 after it: the topic comes first.
    expect(
        ProtocolVersion::V3_1_1,
        b"\x32\x07\x00\x03a/#\x00\x00",
        Outcome::Invalid(ReasonCode::TopicNameInvalid),
    );
    // 5.0: topic "a+", then a property section with an unknown identifier 0x00.
    expect(
        ProtocolVersion::V5,
        b"\x30\x06\x00\x02a+\x01\x00",
        Outcome::Invalid(ReasonCode::TopicNameInvalid),
    );
}

/// [MQTT-1.5.4-1, 5.0] [MQTT-1.5.3-1, 3.1.1]: ill-formed UTF-8 in a topic
/// name (5.0) or filter (3.1.1) is malformed.
#[test]
fn mqtt_1_5_4_1_ill_formed_utf8_topic_is_malformed_not_an_invalid_topic() {
    expect(
        ProtocolVersion::V5,
        b"\x30\x04\x00\x01\xff\x00",
        Outcome::Invalid(ReasonCode::MalformedPacket),
    );
    // SUBSCRIBE with the filter "\xc0" (an overlong encoding).
    expect(
        ProtocolVersion::V3_1_1,
        b"\x82\x06\x00\x01\x00\x01\xc0\x00",
        Outcome::Invalid(ReasonCode::MalformedPacket),
    );
}

#[test]
fn property_running_past_the_property_length_is_malformed() {
    // 5.0 CONNACK, property length 2 holding Receive Maximum (0x21) whose
    // two value bytes (0x00 0x00) straddle the end of the section. Read
    // within the section it is cut short: malformed, not a Protocol Error
    // for the value 0 (section 2.2.2.1).
    expect(
        ProtocolVersion::V5,
        b"\x20\x06\x00\x00\x02\x21\x00\x00",
        Outcome::Invalid(ReasonCode::MalformedPacket),
    );
    // The same value inside the section is a Protocol Error (3.2.2.3.3).
    expect(
        ProtocolVersion::V5,
        b"\x20\x06\x00\x00\x03\x21\x00\x00",
        Outcome::Invalid(ReasonCode::ProtocolError),
    );
}

#[test]
fn v5_subscription_options_qos_3_is_a_protocol_error_and_malformed_in_3_1_1() {
    // "It is a Protocol Error if the Maximum QoS field has the value 3" (3.8.3.1).
    expect(
        ProtocolVersion::V5,
        b"\x82\x07\x00\x01\x00\x00\x01a\x03",
        Outcome::Invalid(ReasonCode::ProtocolError),
    );
    // [MQTT-3-8.3-4, 3.1.1]: malformed.
    expect(
        ProtocolVersion::V3_1_1,
        b"\x82\x06\x00\x01\x00\x01a\x03",
        Outcome::Invalid(ReasonCode::MalformedPacket),
    );
}

#[test]
fn property_not_allowed_in_the_packet_is_malformed_and_duplicates_are_protocol_errors() {
    // PUBACK with Topic Alias (0x23), a PUBLISH-only property.
    expect(
        ProtocolVersion::V5,
        b"\x40\x07\x00\x01\x00\x03\x23\x00\x01",
        Outcome::Invalid(ReasonCode::MalformedPacket),
    );
    // PUBACK with Reason String (0x1F) twice.
    expect(
        ProtocolVersion::V5,
        b"\x40\x0a\x00\x01\x00\x06\x1f\x00\x00\x1f\x00\x00",
        Outcome::Invalid(ReasonCode::ProtocolError),
    );
    // User Property (0x26) twice is fine.
    let (packets, _) = agree(
        ProtocolVersion::V5,
        b"\x40\x0e\x00\x01\x00\x0a\x26\x00\x00\x00\x00\x26\x00\x00\x00\x00",
    );
    match &packets[..] {
        [Packet::PubAck(a)] => assert_eq!(a.properties.user_properties.len(), 2),
        other => panic!("{other:?}"),
    }
}

#[test]
fn auth_with_a_reason_code_but_no_property_length_is_malformed() {
    // 3.15.2.1: Remaining Length 0 (both omitted) or a reason code and a
    // property length. Found by `random_bytes_get_the_same_verdict`: the
    // reference first judged the (invalid) reason code 0x01.
    expect(
        ProtocolVersion::V5,
        b"\xf0\x01\x01",
        Outcome::Invalid(ReasonCode::MalformedPacket),
    );
    expect(
        ProtocolVersion::V5,
        b"\xf0\x01\x18",
        Outcome::Invalid(ReasonCode::MalformedPacket),
    );
    // Well formed, but without the Authentication Method that 3.15.2.2.2
    // requires: a Protocol Error for both decoders.
    expect(
        ProtocolVersion::V5,
        b"\xf0\x02\x18\x00",
        Outcome::Invalid(ReasonCode::ProtocolError),
    );
}

#[test]
fn connect_switches_both_decoders_to_its_version() {
    // A 3.1.1 CONNECT to a 5.0 decoder, then a 3.1.1 PUBACK of three bytes,
    // which only 5.0 would accept (with a reason code).
    let mut wire = b"\x10\x0d\x00\x04MQTT\x04\x02\x00\x3c\x00\x01c".to_vec();
    wire.extend_from_slice(b"\x40\x03\x00\x01\x10");
    let (packets, end) = agree(ProtocolVersion::V5, &wire);
    assert_eq!(packets.len(), 1);
    assert_eq!(end, Outcome::Invalid(ReasonCode::MalformedPacket));
}

/// Likely first bytes: every type with its required flags, plus PUBLISH
/// with every flag combination, plus anything.
fn first_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        (1u8..=15).prop_map(|t| (t << 4) | if matches!(t, 6 | 8 | 10) { 2 } else { 0 }),
        (0u8..16).prop_map(|f| 0x30 | f),
        any::<u8>(),
    ]
}

fn version() -> impl Strategy<Value = ProtocolVersion> {
    proptest::sample::select(&VERSIONS[..])
}

/// A small edit of a byte string.
#[derive(Debug, Clone)]
enum Edit {
    Set(prop::sample::Index, u8),
    Insert(prop::sample::Index, u8),
    Remove(prop::sample::Index),
    Truncate(prop::sample::Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Set(i, b)),
        1 => (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        1 => any::<prop::sample::Index>().prop_map(Edit::Remove),
        1 => any::<prop::sample::Index>().prop_map(Edit::Truncate),
    ]
}

fn apply(bytes: &mut Vec<u8>, edits: &[Edit]) {
    for e in edits {
        if bytes.is_empty() {
            return;
        }
        match e {
            Edit::Set(i, b) => {
                let at = i.index(bytes.len());
                bytes[at] = *b;
            }
            Edit::Insert(i, b) => {
                let at = i.index(bytes.len() + 1);
                bytes.insert(at, *b);
            }
            Edit::Remove(i) => {
                let at = i.index(bytes.len());
                bytes.remove(at);
            }
            Edit::Truncate(i) => {
                let at = i.index(bytes.len());
                bytes.truncate(at);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn random_bytes_get_the_same_verdict(
        v in version(),
        first in first_byte(),
        len in 0u8..40,
        rest in vec(any::<u8>(), 0..48),
    ) {
        let mut input = vec![first, len];
        input.extend_from_slice(&rest);
        check_stream(v, MAX_PACKET_SIZE as u32, &input)?;
    }

    #[test]
    fn generated_packets_decode_alike_and_prefixes_are_incomplete(
        (v, packets) in strategies::packets(4),
    ) {
        let mut wire = BytesMut::new();
        let mut expected = Vec::new();
        for p in packets {
            if p.encode(v, &mut wire).is_ok() {
                expected.push(p);
            }
        }
        // Generated CONNECTs carry `v`, so the version never changes midway.
        let (decoded, end) = check_stream(v, MAX_PACKET_SIZE as u32, &wire)?;
        prop_assert_eq!(&decoded, &expected);
        prop_assert_eq!(end, Outcome::Incomplete);
        for cut in (0..wire.len()).step_by(1 + wire.len() / 64) {
            check_stream(v, MAX_PACKET_SIZE as u32, &wire[..cut])?;
        }
    }

    #[test]
    fn mutated_packet_streams_get_the_same_verdict(
        (v, packets) in strategies::packets(3),
        edits in vec(edit(), 1..4),
        max in prop_oneof![Just(MAX_PACKET_SIZE as u32), 2u32..64],
    ) {
        let mut wire = BytesMut::new();
        for p in packets {
            let _ = p.encode(v, &mut wire);
        }
        let mut bytes = wire.to_vec();
        apply(&mut bytes, &edits);
        check_stream(v, max, &bytes)?;
    }
}
