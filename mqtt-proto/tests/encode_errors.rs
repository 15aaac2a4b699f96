//! Packets the encoder must refuse, each with its exact [`EncodeError`], and
//! the guarantee that a refused packet leaves the output buffer as it was:
//! the encoder checks the whole packet before writing its first byte.

use bytes::{Bytes, BytesMut};
use core::num::NonZeroU16;
use mqtt_proto::*;

const V3_1: ProtocolVersion = ProtocolVersion::V3_1;
const V3_1_1: ProtocolVersion = ProtocolVersion::V3_1_1;
const V5: ProtocolVersion = ProtocolVersion::V5;
const ALL: [ProtocolVersion; 3] = [V3_1, V3_1_1, V5];
const V3: [ProtocolVersion; 2] = [V3_1, V3_1_1];

/// Bytes already in the buffer, which a failed encode must leave alone.
const EARLIER: &[u8] = b"\xC0\x00earlier packets";

fn s(v: &str) -> MqttString {
    MqttString::new(v).unwrap()
}

fn pid(v: u16) -> PacketId {
    PacketId::new(v).unwrap()
}

fn publish(t: &str, payload: impl Into<Bytes>) -> Publish {
    Publish::new(TopicName::new(t).unwrap(), payload)
}

fn connect(version: ProtocolVersion, client_id: &str) -> Connect {
    Connect::new(version, s(client_id))
}

/// Asserts that `packet` cannot be written in `version` (with the encoder's
/// limit `max`, if any), that every way of encoding it says why in the same
/// words, and that the buffer keeps exactly what it held before.
#[track_caller]
fn refused<P: Encodable>(
    version: ProtocolVersion,
    max: Option<u32>,
    packet: &P,
    expected: EncodeError,
) {
    let mut encoder = Encoder::new(version);
    if let Some(max) = max {
        encoder.set_max_packet_size(max);
    }
    let mut buf = BytesMut::from(EARLIER);
    assert_eq!(encoder.encode(packet, &mut buf), Err(expected.clone()));
    assert_eq!(&buf[..], EARLIER, "the encoder wrote before failing");
    assert!(!expected.to_string().is_empty());

    if max.is_none() {
        assert_eq!(packet.encoded_len(version), Err(expected.clone()));
        assert_eq!(packet.encode(version, &mut buf), Err(expected));
        assert_eq!(&buf[..], EARLIER);
    }

    // The next packet follows the earlier ones directly: nothing half-written sits between.
    Encoder::new(version)
        .encode(&Packet::PingReq, &mut buf)
        .unwrap();
    assert_eq!(&buf[EARLIER.len()..], b"\xC0\x00");
}

#[track_caller]
fn accepted<P: Encodable>(version: ProtocolVersion, packet: &P) -> usize {
    let mut buf = BytesMut::new();
    let n = Encoder::new(version).encode(packet, &mut buf).unwrap();
    assert_eq!(n, buf.len());
    n
}

// ---------------------------------------------------------------- 5.0-only content in 3.x

#[test]
fn properties_cannot_be_sent_before_5_0() {
    for version in V3 {
        let not_supported = |packet| EncodeError::PropertiesNotSupported { packet, version };

        let mut p = publish("t", "x");
        p.properties.message_expiry_interval = Some(60);
        refused(version, None, &p, not_supported("PUBLISH"));
        let mut p = publish("t", "x");
        p.properties.user_properties.push((s("k"), s("v")));
        refused(version, None, &Packet::Publish(p), not_supported("PUBLISH"));

        // A CONNECT is checked against its own version.
        let protocol = version;
        let mut c = connect(protocol, "id");
        c.properties.session_expiry_interval = Some(1);
        refused(V5, None, &c, not_supported("CONNECT"));
        let mut c = connect(protocol, "id");
        let mut will = LastWill {
            topic: TopicName::new("w").unwrap(),
            payload: Bytes::from_static(b"x"),
            qos: QoS::AtMostOnce,
            retain: false,
            properties: WillProperties::default(),
        };
        will.properties.will_delay_interval = Some(5);
        c.will = Some(will);
        refused(V5, None, &c, not_supported("will"));

        let mut ca = ConnAck::default();
        ca.properties.server_keep_alive = Some(10);
        refused(version, None, &ca, not_supported("CONNACK"));

        let mut ack = Ack::new(pid(1));
        ack.properties.reason_string = Some(s("why"));
        for packet in [
            Packet::PubAck(ack.clone()),
            Packet::PubRec(ack.clone()),
            Packet::PubRel(ack.clone()),
            Packet::PubComp(ack),
        ] {
            refused(version, None, &packet, not_supported("acknowledgement"));
        }

        let mut sub = Subscribe {
            packet_id: pid(1),
            subscriptions: vec![Subscription::new(
                TopicFilter::new("t").unwrap(),
                QoS::AtMostOnce,
            )],
            properties: SubscribeProperties::default(),
        };
        sub.properties.subscription_identifier = SubscriptionId::new(3);
        refused(version, None, &sub, not_supported("SUBSCRIBE"));

        let mut suback = SubAck {
            packet_id: pid(1),
            reasons: vec![ReasonCode::Success],
            properties: Default::default(),
        };
        suback.properties.user_properties.push((s("k"), s("v")));
        refused(version, None, &suback, not_supported("SUBACK"));

        let mut unsub = Unsubscribe {
            packet_id: pid(1),
            filters: vec![TopicFilter::new("t").unwrap()],
            properties: UnsubscribeProperties::default(),
        };
        unsub.properties.user_properties.push((s("k"), s("v")));
        refused(version, None, &unsub, not_supported("UNSUBSCRIBE"));

        let mut unsuback = UnsubAck {
            packet_id: pid(1),
            reasons: Vec::new(),
            properties: Default::default(),
        };
        unsuback.properties.reason_string = Some(s("r"));
        refused(version, None, &unsuback, not_supported("UNSUBACK"));

        let mut d = Disconnect::default();
        d.properties.session_expiry_interval = Some(0);
        refused(version, None, &d, not_supported("DISCONNECT"));
    }
}

#[test]
fn non_success_reason_codes_cannot_be_sent_before_5_0() {
    for version in V3 {
        let code = ReasonCode::NoMatchingSubscribers;
        let not_supported = |packet, code| EncodeError::ReasonCodeNotSupported {
            packet,
            code,
            version,
        };
        let ack = Ack::with_reason(pid(1), code);
        refused(
            version,
            None,
            &Packet::PubAck(ack.clone()),
            not_supported(PacketType::PubAck, code),
        );
        refused(
            version,
            None,
            &Packet::PubRec(ack.clone()),
            not_supported(PacketType::PubRec, code),
        );
        let ack = Ack::with_reason(pid(1), ReasonCode::PacketIdentifierNotFound);
        refused(
            version,
            None,
            &Packet::PubRel(ack.clone()),
            not_supported(PacketType::PubRel, ReasonCode::PacketIdentifierNotFound),
        );
        refused(
            version,
            None,
            &Packet::PubComp(ack),
            not_supported(PacketType::PubComp, ReasonCode::PacketIdentifierNotFound),
        );

        let d = Disconnect::new(ReasonCode::ServerShuttingDown);
        refused(
            version,
            None,
            &d,
            not_supported(PacketType::Disconnect, ReasonCode::ServerShuttingDown),
        );

        // 3.x CONNACK has return codes 0-5 only, SUBACK 0, 1, 2 and 0x80.
        let ca = ConnAck {
            reason: ReasonCode::Banned,
            ..ConnAck::default()
        };
        refused(
            version,
            None,
            &ca,
            not_supported(PacketType::ConnAck, ReasonCode::Banned),
        );
        let suback = SubAck {
            packet_id: pid(1),
            reasons: vec![ReasonCode::GrantedQoS1, ReasonCode::QuotaExceeded],
            properties: Default::default(),
        };
        refused(
            version,
            None,
            &suback,
            not_supported(PacketType::SubAck, ReasonCode::QuotaExceeded),
        );
        let unsuback = UnsubAck {
            packet_id: pid(1),
            reasons: vec![ReasonCode::NoSubscriptionExisted],
            properties: Default::default(),
        };
        refused(
            version,
            None,
            &unsuback,
            not_supported(PacketType::UnsubAck, ReasonCode::NoSubscriptionExisted),
        );
    }
}

/// The 5.0 reason code tables: a packet only carries its own codes.
#[test]
fn reason_codes_the_packet_cannot_carry_in_5_0() {
    let not_supported = |packet, code| EncodeError::ReasonCodeNotSupported {
        packet,
        code,
        version: V5,
    };
    let ack = Ack::with_reason(pid(1), ReasonCode::PacketIdentifierNotFound);
    refused(
        V5,
        None,
        &Packet::PubAck(ack),
        not_supported(PacketType::PubAck, ReasonCode::PacketIdentifierNotFound),
    );
    let ack = Ack::with_reason(pid(1), ReasonCode::NoMatchingSubscribers);
    refused(
        V5,
        None,
        &Packet::PubRel(ack),
        not_supported(PacketType::PubRel, ReasonCode::NoMatchingSubscribers),
    );
    let ca = ConnAck {
        reason: ReasonCode::GrantedQoS1,
        ..ConnAck::default()
    };
    refused(
        V5,
        None,
        &ca,
        not_supported(PacketType::ConnAck, ReasonCode::GrantedQoS1),
    );
    let d = Disconnect::new(ReasonCode::ContinueAuthentication);
    refused(
        V5,
        None,
        &d,
        not_supported(PacketType::Disconnect, ReasonCode::ContinueAuthentication),
    );
    let a = Auth {
        reason: ReasonCode::UnspecifiedError,
        ..Auth::default()
    };
    refused(
        V5,
        None,
        &a,
        not_supported(PacketType::Auth, ReasonCode::UnspecifiedError),
    );
    let suback = SubAck {
        packet_id: pid(1),
        reasons: vec![ReasonCode::NoSubscriptionExisted],
        properties: Default::default(),
    };
    refused(
        V5,
        None,
        &suback,
        not_supported(PacketType::SubAck, ReasonCode::NoSubscriptionExisted),
    );
    let unsuback = UnsubAck {
        packet_id: pid(1),
        reasons: vec![ReasonCode::Success, ReasonCode::GrantedQoS1],
        properties: Default::default(),
    };
    refused(
        V5,
        None,
        &unsuback,
        not_supported(PacketType::UnsubAck, ReasonCode::GrantedQoS1),
    );
}

/// Packet type 15 is reserved before 5.0: AUTH cannot be sent at all.
#[test]
fn auth_cannot_be_sent_before_5_0() {
    for version in V3 {
        let expected = EncodeError::PacketNotSupported {
            packet: PacketType::Auth,
            version,
        };
        refused(version, None, &Auth::default(), expected.clone());
        refused(version, None, &Packet::Auth(Auth::default()), expected);
    }
    let mut with_method = Auth::default();
    with_method.properties.authentication_method = Some(MqttString::new("SCRAM").unwrap());
    accepted(V5, &with_method);
}

/// 5.0 section 3.15.2.2.2: omitting the Authentication Method is a
/// Protocol Error; every AUTH carries the CONNECT's method
/// [MQTT-4.12.0-5, 5.0]. Not encoded, and refused on receipt (`f0 02 18 00`:
/// Continue authentication, no properties).
#[test]
fn mqtt_4_12_0_5_auth_without_a_method_is_neither_sent_nor_accepted() {
    refused(
        V5,
        None,
        &Auth {
            reason: ReasonCode::ContinueAuthentication,
            properties: Default::default(),
        },
        EncodeError::MissingAuthenticationMethod,
    );
    for wire in [&[0xF0, 0x02, 0x18, 0x00][..], &[0xF0, 0x00]] {
        let mut decoder = mqtt_proto::Decoder::new(V5);
        let error = decoder
            .decode(&mut bytes::BytesMut::from(wire))
            .unwrap_err();
        assert_eq!(error, mqtt_proto::DecodeError::MissingAuthenticationMethod);
        assert_eq!(error.reason_code(), ReasonCode::ProtocolError);
    }
}

// ---------------------------------------------------------------- PUBLISH

/// [MQTT-3.3.1-2, 3.1.1, 5.0]: a QoS 0 PUBLISH with DUP is not written, in
/// any version; at QoS 1 the same flag is fine.
#[test]
fn mqtt_3_3_1_2_dup_on_qos_0() {
    for version in ALL {
        let mut p = publish("t", "x");
        p.dup = true;
        refused(version, None, &p, EncodeError::DupOnQoS0);
        p.delivery = Delivery::AtLeastOnce(pid(1));
        accepted(version, &p);
    }
}

#[test]
fn publish_needs_a_topic_or_a_5_0_topic_alias() {
    let mut p = publish("t", "x");
    p.topic = None;
    for version in ALL {
        refused(version, None, &p, EncodeError::MissingTopic);
    }
    p.properties.topic_alias = NonZeroU16::new(1);
    accepted(V5, &p);
    for version in V3 {
        refused(version, None, &p, EncodeError::MissingTopic);
    }
}

// ---------------------------------------------------------------- lengths

/// Binary Data holds at most 65,535 bytes (section 1.5.6).
#[test]
fn mqtt_1_5_6_binary_data_over_65535_bytes() {
    let big = Bytes::from(vec![0x42; 65_536]);
    let largest = Bytes::from(vec![0x42; 65_535]);
    let too_long = |field| EncodeError::FieldTooLong { field, len: 65_536 };

    for version in ALL {
        let mut c = connect(version, "id");
        c.username = Some(s("u"));
        c.password = Some(big.clone());
        refused(version, None, &c, too_long("password"));
        c.password = Some(largest.clone());
        accepted(version, &c);

        let mut c = connect(version, "id");
        c.will = Some(LastWill {
            topic: TopicName::new("w").unwrap(),
            payload: big.clone(),
            qos: QoS::AtLeastOnce,
            retain: true,
            properties: WillProperties::default(),
        });
        refused(version, None, &c, too_long("will payload"));
    }

    let mut p = publish("t", "x");
    p.properties.correlation_data = Some(big.clone());
    refused(V5, None, &p, too_long("binary property"));
    p.properties.correlation_data = Some(largest);
    accepted(V5, &p);

    let mut c = connect(V5, "id");
    c.properties.authentication_method = Some(s("m"));
    c.properties.authentication_data = Some(big.clone());
    refused(V5, None, &c, too_long("binary property"));

    let mut a = Auth {
        reason: ReasonCode::ContinueAuthentication,
        ..Auth::default()
    };
    a.properties.authentication_data = Some(big);
    refused(V5, None, &a, too_long("binary property"));

    // A PUBLISH payload is not length-prefixed: 65,536 bytes are fine.
    accepted(V5, &publish("t", vec![0u8; 65_536]));
}

/// UTF-8 strings hold at most 65,535 bytes (section 1.5.4): the string types
/// refuse longer ones, so no packet the encoder sees can hold one.
#[test]
fn mqtt_1_5_4_strings_over_65535_bytes_cannot_be_built() {
    let long = "a".repeat(65_536);
    assert_eq!(
        MqttString::new(long.clone()),
        Err(StringError::TooLong(65_536))
    );
    assert_eq!(
        TopicName::new(long.clone()),
        Err(TopicError::String(StringError::TooLong(65_536)))
    );
    assert_eq!(
        TopicFilter::new(long),
        Err(TopicError::String(StringError::TooLong(65_536)))
    );

    // The longest string is written with its two-byte length 0xFFFF.
    let id = "a".repeat(65_535);
    let c = connect(V3_1_1, &id);
    let mut buf = BytesMut::new();
    Encoder::new(V3_1_1).encode(&c, &mut buf).unwrap();
    // Fixed header (1 + 3), variable header (10), then the client identifier.
    assert_eq!(&buf[14..16], &[0xFF, 0xFF]);
    assert_eq!(buf.len(), 14 + 2 + 65_535);
}

/// The encoder's Maximum Packet Size (the peer's, 5.0 section 3.2.2.3.6)
/// counts the whole packet, fixed header included.
#[test]
fn packet_over_the_maximum_packet_size() {
    for version in ALL {
        // PUBLISH QoS 0 to "t": 1 + 1 + 3 (+ 1 property length in 5.0) + payload.
        let overhead = if version.is_v5() { 6 } else { 5 };
        let fits = publish("t", vec![0u8; 20 - overhead]);
        let mut buf = BytesMut::new();
        let encoder = Encoder::new(version).with_max_packet_size(20);
        assert_eq!(encoder.encode(&fits, &mut buf), Ok(20));

        let over = publish("t", vec![0u8; 21 - overhead]);
        refused(
            version,
            Some(20),
            &over,
            EncodeError::PacketTooLarge { size: 21, max: 20 },
        );
        refused(
            version,
            Some(1),
            &Packet::PingResp,
            EncodeError::PacketTooLarge { size: 2, max: 1 },
        );
    }
}

/// The protocol's own limit: a remaining length of at most 268,435,455
/// (section 1.5.5), so 268,435,460 bytes in all.
#[test]
fn packet_over_the_protocol_maximum() {
    // Allocated zeroed and never touched: the encoder refuses it by its length.
    let p = publish("a", vec![0u8; 268_435_455 - 3 + 1]);
    let expected = EncodeError::PacketTooLarge {
        size: MAX_PACKET_SIZE + 1,
        max: MAX_PACKET_SIZE,
    };
    refused(V3_1_1, None, &p, expected);
}

// ---------------------------------------------------------------- CONNECT

/// MQTT 3.1: client identifiers of 1 to 23 bytes.
#[test]
fn mqtt_3_1_client_id_of_24_bytes() {
    let c = connect(V3_1, "abcdefghijklmnopqrstuvwx");
    refused(V3_1, None, &c, EncodeError::ClientIdLength(24));
    // Whatever the encoder's version: the CONNECT names its own.
    refused(V5, None, &c, EncodeError::ClientIdLength(24));
    refused(
        V3_1,
        None,
        &connect(V3_1, ""),
        EncodeError::ClientIdLength(0),
    );
    accepted(V3_1, &connect(V3_1, "abcdefghijklmnopqrstuvw"));
    accepted(V3_1_1, &connect(V3_1_1, "abcdefghijklmnopqrstuvwx"));
}

/// [MQTT-3.1.2-22, 3.1.1]: no password without a user name, in 3.1 and
/// 3.1.1; 5.0 allows it.
#[test]
fn password_without_user_name_is_not_sent_before_5_0() {
    for version in V3 {
        let mut c = connect(version, "id");
        c.password = Some(Bytes::from_static(b"secret"));
        refused(version, None, &c, EncodeError::PasswordWithoutUsername);
    }
    let mut c = connect(V5, "id");
    c.password = Some(Bytes::from_static(b"secret"));
    accepted(V5, &c);
}

// ---------------------------------------------------------------- other packets

/// [MQTT-3.8.3-3, 3.1.1] [MQTT-3.8.3-2, 5.0] [MQTT-3.10.3-2, 3.1.1, 5.0]: a
/// SUBSCRIBE or UNSUBSCRIBE without a topic filter is not written, in any
/// version; nor is a SUBACK (or a 5.0 UNSUBACK) without a result.
#[test]
fn subscribe_and_unsubscribe_need_a_filter_and_acks_a_result() {
    for version in ALL {
        let sub = Subscribe {
            packet_id: pid(1),
            subscriptions: Vec::new(),
            properties: SubscribeProperties::default(),
        };
        refused(
            version,
            None,
            &sub,
            EncodeError::NoTopicFilters(PacketType::Subscribe),
        );
        let unsub = Unsubscribe {
            packet_id: pid(1),
            filters: Vec::new(),
            properties: UnsubscribeProperties::default(),
        };
        refused(
            version,
            None,
            &unsub,
            EncodeError::NoTopicFilters(PacketType::Unsubscribe),
        );
        let suback = SubAck {
            packet_id: pid(1),
            reasons: Vec::new(),
            properties: Default::default(),
        };
        refused(
            version,
            None,
            &suback,
            EncodeError::NoResults(PacketType::SubAck),
        );
    }
    let unsuback = UnsubAck {
        packet_id: pid(1),
        reasons: Vec::new(),
        properties: Default::default(),
    };
    refused(
        V5,
        None,
        &unsuback,
        EncodeError::NoResults(PacketType::UnsubAck),
    );
}

#[test]
fn subscription_options_beyond_qos_need_5_0() {
    let filter = TopicFilter::new("t").unwrap();
    let options = [
        SubscriptionOptions {
            no_local: true,
            ..SubscriptionOptions::default()
        },
        SubscriptionOptions {
            retain_as_published: true,
            ..SubscriptionOptions::default()
        },
        SubscriptionOptions {
            retain_handling: RetainHandling::DoNotSend,
            ..SubscriptionOptions::default()
        },
    ];
    for options in options {
        let sub = Subscribe {
            packet_id: pid(1),
            subscriptions: vec![Subscription {
                filter: filter.clone(),
                options,
            }],
            properties: SubscribeProperties::default(),
        };
        for version in V3 {
            refused(
                version,
                None,
                &sub,
                EncodeError::SubscriptionOptionsNotSupported,
            );
        }
        accepted(V5, &sub);
    }
}

/// [MQTT-3.8.3-4, 5.0]: No Local on a shared subscription is not written.
#[test]
fn mqtt_3_8_3_4_no_local_on_shared_subscription() {
    let sub = Subscribe {
        packet_id: pid(1),
        subscriptions: vec![Subscription {
            filter: TopicFilter::new("$share/g/t").unwrap(),
            options: SubscriptionOptions {
                no_local: true,
                ..SubscriptionOptions::default()
            },
        }],
        properties: SubscribeProperties::default(),
    };
    refused(V5, None, &sub, EncodeError::NoLocalOnSharedSubscription);
}

/// 5.0 section 3.2.2.3.4: Maximum QoS is 0 or 1; absence means 2.
#[test]
fn maximum_qos_2_cannot_be_sent() {
    let mut ca = ConnAck::default();
    ca.properties.maximum_qos = Some(QoS::ExactlyOnce);
    refused(
        V5,
        None,
        &ca,
        EncodeError::InvalidPropertyValue(PropertyId::MaximumQoS),
    );
}

/// [MQTT-3.2.2-4, 3.1.1] [MQTT-3.2.2-6, 5.0]: no Session Present on a
/// refusal, in any version.
#[test]
fn mqtt_3_2_2_6_session_present_on_a_refused_connection() {
    for version in ALL {
        let ca = ConnAck {
            session_present: true,
            reason: ReasonCode::NotAuthorized,
            properties: ConnAckProperties::default(),
        };
        refused(version, None, &ca, EncodeError::SessionPresentOnFailure);
    }
}
