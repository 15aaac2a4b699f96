//! Proptest strategies for the packet model.
//!
//! Two families: `packet(version)` and `packet_of(type, version)` generate
//! only what the version can express, so every value must round-trip;
//! `any_packet()` and `v3_invalid_packet(version)` generate values outside
//! that space, so the encoder's refusals are exercised too.
//!
//! Reason code tables are written out from the OASIS MQTT 5.0 specification
//! (sections 3.2.2.2, 3.4.2.1, 3.5.2.1, 3.6.2.1, 3.7.2.1, 3.9.3, 3.11.3,
//! 3.14.2.1, 3.15.2.1) rather than taken from `ReasonCode::is_valid_for`, so a
//! wrong table in the crate makes the round trips fail.

use bytes::Bytes;
use core::num::{NonZeroU16, NonZeroU32};
use mqtt_proto::{
    Ack, AckProperties, Auth, AuthProperties, ConnAck, ConnAckProperties, Connect,
    ConnectProperties, Delivery, Disconnect, DisconnectProperties, LastWill, MqttString, Packet,
    PacketId, PacketType, PayloadFormat, ProtocolVersion, Publish, PublishProperties, QoS,
    ReasonCode, RetainHandling, SubAck, Subscribe, SubscribeProperties, Subscription,
    SubscriptionId, SubscriptionOptions, TopicFilter, TopicName, UnsubAck, Unsubscribe,
    UnsubscribeProperties, UserProperty, WillProperties,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::strategy::Union;

/// Every version the codec speaks.
pub const VERSIONS: [ProtocolVersion; 3] = [
    ProtocolVersion::V3_1,
    ProtocolVersion::V3_1_1,
    ProtocolVersion::V5,
];

/// Every packet type.
pub const PACKET_TYPES: [PacketType; 15] = [
    PacketType::Connect,
    PacketType::ConnAck,
    PacketType::Publish,
    PacketType::PubAck,
    PacketType::PubRec,
    PacketType::PubRel,
    PacketType::PubComp,
    PacketType::Subscribe,
    PacketType::SubAck,
    PacketType::Unsubscribe,
    PacketType::UnsubAck,
    PacketType::PingReq,
    PacketType::PingResp,
    PacketType::Disconnect,
    PacketType::Auth,
];

/// Characters of generated strings: ASCII, two- three- and four-byte UTF-8,
/// a BOM (which MQTT says must not be stripped), a non-character, DEL, and the
/// topic separators and wildcards that are ordinary characters in plain strings.
const TEXT: &[char] = &[
    'a', 'b', 'z', 'A', 'Q', '0', '7', '-', '_', '.', ' ', '$', 'é', 'ß', '日', '本', '😀', '🦀',
    '\u{FEFF}', '\u{FFFF}', '\u{7F}', '/', '+', '#',
];

/// Characters of one topic level: [`TEXT`] without `/`, `+` and `#`.
const LEVEL: &[char] = &[
    'a', 'b', 'z', 'A', 'Q', '0', '7', '-', '_', '.', ' ', '$', 'é', 'ß', '日', '本', '😀', '🦀',
    '\u{FEFF}', '\u{FFFF}', '\u{7F}',
];

// Reason codes each packet may carry in MQTT 5.0, from the specification's tables.
const CONNACK_V5: &[u8] = &[
    0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97,
    0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F,
];
const PUBACK_PUBREC_V5: &[u8] = &[0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99];
const PUBREL_PUBCOMP_V5: &[u8] = &[0x00, 0x92];
const SUBACK_V5: &[u8] = &[
    0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2,
];
const UNSUBACK_V5: &[u8] = &[0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91];
const DISCONNECT_V5: &[u8] = &[
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95,
    0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2,
];
const AUTH_V5: &[u8] = &[0x00, 0x18, 0x19];
/// Every reason code MQTT 5.0 defines.
const ALL_REASON_CODES: &[u8] = &[
    0x00, 0x01, 0x02, 0x04, 0x10, 0x11, 0x18, 0x19, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
    0x88, 0x89, 0x8A, 0x8B, 0x8C, 0x8D, 0x8E, 0x8F, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97,
    0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2,
];
/// The six MQTT 3.1 / 3.1.1 CONNACK return codes 0..=5, by their 5.0 names.
const CONNACK_V3: &[u8] = &[0x00, 0x84, 0x85, 0x88, 0x86, 0x87];
/// The MQTT 3.1.1 SUBACK return codes 0x00, 0x01, 0x02 and 0x80.
const SUBACK_V3: &[u8] = &[0x00, 0x01, 0x02, 0x80];

fn codes(bytes: &[u8]) -> Vec<ReasonCode> {
    bytes
        .iter()
        .map(|&b| ReasonCode::from_u8(b).expect("table holds only defined codes"))
        .collect()
}

fn codes_except(bytes: &[u8], except: &[u8]) -> Vec<ReasonCode> {
    let kept: Vec<u8> = bytes
        .iter()
        .copied()
        .filter(|b| !except.contains(b))
        .collect();
    codes(&kept)
}

/// The reason codes `packet` can carry in `version`.
pub fn reason_codes(packet: PacketType, version: ProtocolVersion) -> Vec<ReasonCode> {
    let table: &[u8] = match (packet, version.is_v5()) {
        (PacketType::ConnAck, true) => CONNACK_V5,
        (PacketType::ConnAck, false) => CONNACK_V3,
        (PacketType::PubAck | PacketType::PubRec, true) => PUBACK_PUBREC_V5,
        (PacketType::PubRel | PacketType::PubComp, true) => PUBREL_PUBCOMP_V5,
        (PacketType::SubAck, true) => SUBACK_V5,
        (PacketType::SubAck, false) => SUBACK_V3,
        (PacketType::UnsubAck, true) => UNSUBACK_V5,
        (PacketType::Disconnect, true) => DISCONNECT_V5,
        (PacketType::Auth, true) => AUTH_V5,
        // 3.x acknowledgements and DISCONNECT have no code on the wire: only success.
        _ => &[0x00],
    };
    codes(table)
}

/// Any protocol version.
pub fn version() -> impl Strategy<Value = ProtocolVersion> {
    select(VERSIONS.to_vec())
}

/// A string of `len` characters from `alphabet`.
fn text(alphabet: &'static [char], len: core::ops::RangeInclusive<usize>) -> BoxedStrategy<String> {
    vec(select(alphabet), len)
        .prop_map(|chars| chars.into_iter().collect())
        .boxed()
}

/// An MQTT string of 0..=12 characters, empty included.
pub fn mqtt_string() -> BoxedStrategy<MqttString> {
    text(TEXT, 0..=12)
        .prop_map(|s| MqttString::new(s).expect("alphabet holds valid characters"))
        .boxed()
}

/// One topic level, possibly empty.
fn level() -> BoxedStrategy<String> {
    prop_oneof![4 => text(LEVEL, 1..=8), 1 => Just(String::new())].boxed()
}

/// A topic name: 1..=5 levels, empty levels included (`a//b`, `/a`, `a/`).
pub fn topic_name() -> BoxedStrategy<TopicName> {
    vec(level(), 1..=5)
        .prop_map(|levels| levels.join("/"))
        .prop_filter("topic names are not empty [MQTT-4.7.3-1]", |s| {
            !s.is_empty()
        })
        .prop_map(|s| TopicName::new(s).expect("generated topic name is valid"))
        .boxed()
}

/// A filter without the `$share/` prefix: levels or `+`, optionally ending in `#`.
fn plain_filter() -> BoxedStrategy<String> {
    let filter_level = prop_oneof![3 => level(), 1 => Just("+".to_owned())];
    (vec(filter_level, 0..=5), any::<bool>())
        .prop_map(|(mut levels, multi)| {
            if multi {
                levels.push("#".to_owned());
            }
            levels.join("/")
        })
        .prop_filter("topic filters are not empty [MQTT-4.7.3-1]", |s| {
            !s.is_empty()
        })
        .boxed()
}

/// A topic filter and whether it is a shared subscription `$share/{name}/{filter}`.
pub fn topic_filter_shared() -> BoxedStrategy<(TopicFilter, bool)> {
    let share_name = text(LEVEL, 1..=6);
    prop_oneof![
        3 => plain_filter().prop_map(|f| (f, false)),
        1 => (share_name, plain_filter()).prop_map(|(name, f)| (format!("$share/{name}/{f}"), true)),
    ]
    .prop_map(|(s, shared)| {
        (
            TopicFilter::new(s).expect("generated topic filter is valid"),
            shared,
        )
    })
    .boxed()
}

/// A topic filter, shared or not.
pub fn topic_filter() -> BoxedStrategy<TopicFilter> {
    topic_filter_shared().prop_map(|(f, _)| f).boxed()
}

/// An application payload of 0..=300 bytes.
pub fn payload() -> BoxedStrategy<Bytes> {
    vec(any::<u8>(), 0..=300).prop_map(Bytes::from).boxed()
}

/// Binary data for properties and passwords: 0..=24 bytes.
pub fn binary() -> BoxedStrategy<Bytes> {
    vec(any::<u8>(), 0..=24).prop_map(Bytes::from).boxed()
}

/// A packet identifier, the bounds 1 and 65535 included often.
pub fn packet_id() -> BoxedStrategy<PacketId> {
    prop_oneof![Just(1u16), Just(u16::MAX), 1..=u16::MAX]
        .prop_map(|v| PacketId::new(v).expect("non-zero"))
        .boxed()
}

/// Any QoS.
pub fn qos() -> impl Strategy<Value = QoS> {
    select(vec![QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce])
}

/// Any delivery: QoS 0, or QoS 1/2 with an identifier.
pub fn delivery() -> BoxedStrategy<Delivery> {
    prop_oneof![
        Just(Delivery::AtMostOnce),
        packet_id().prop_map(Delivery::AtLeastOnce),
        packet_id().prop_map(Delivery::ExactlyOnce),
    ]
    .boxed()
}

fn nz16() -> impl Strategy<Value = NonZeroU16> {
    (1..=u16::MAX).prop_map(|v| NonZeroU16::new(v).expect("non-zero"))
}

fn nz32() -> impl Strategy<Value = NonZeroU32> {
    (1..=u32::MAX).prop_map(|v| NonZeroU32::new(v).expect("non-zero"))
}

/// A subscription identifier of each Variable Byte Integer length (1 to 4
/// bytes), the bounds between lengths included often.
pub fn subscription_id() -> BoxedStrategy<SubscriptionId> {
    prop_oneof![
        select(vec![
            1,
            127,
            128,
            16_383,
            16_384,
            2_097_151,
            2_097_152,
            SubscriptionId::MAX
        ]),
        1u32..=127,
        128u32..=16_383,
        16_384u32..=2_097_151,
        2_097_152u32..=SubscriptionId::MAX,
    ]
    .prop_map(|v| SubscriptionId::new(v).expect("in range"))
    .boxed()
}

fn payload_format() -> impl Strategy<Value = PayloadFormat> {
    select(vec![PayloadFormat::Unspecified, PayloadFormat::Utf8])
}

fn retain_handling() -> impl Strategy<Value = RetainHandling> {
    select(vec![
        RetainHandling::SendAtSubscribe,
        RetainHandling::SendAtNewSubscribe,
        RetainHandling::DoNotSend,
    ])
}

/// One user property.
pub fn user_property() -> BoxedStrategy<UserProperty> {
    (mqtt_string(), mqtt_string()).boxed()
}

/// 0..=3 user properties; the last sometimes repeats the first, since
/// duplicates are allowed and must keep their order.
pub fn user_properties() -> BoxedStrategy<Vec<UserProperty>> {
    (vec(user_property(), 0..=3), any::<bool>())
        .prop_map(|(mut props, repeat)| {
            if repeat && props.len() >= 2 {
                let first = props[0].clone();
                *props.last_mut().expect("non-empty") = first;
            }
            props
        })
        .boxed()
}

/// CONNECT properties, each present or absent.
pub fn connect_properties() -> BoxedStrategy<ConnectProperties> {
    (
        option::of(any::<u32>()),
        option::of(nz16()),
        option::of(nz32()),
        option::of(any::<u16>()),
        option::of(any::<bool>()),
        option::of(any::<bool>()),
        user_properties(),
        option::of(mqtt_string()),
        option::of(binary()),
    )
        .prop_map(
            |(sei, rm, mps, tam, rri, rpi, user, am, ad)| ConnectProperties {
                session_expiry_interval: sei,
                receive_maximum: rm,
                maximum_packet_size: mps,
                topic_alias_maximum: tam,
                request_response_information: rri,
                request_problem_information: rpi,
                user_properties: user,
                authentication_method: am,
                authentication_data: ad,
            },
        )
        .boxed()
}

/// Will properties, each present or absent.
pub fn will_properties() -> BoxedStrategy<WillProperties> {
    (
        option::of(any::<u32>()),
        option::of(payload_format()),
        option::of(any::<u32>()),
        option::of(mqtt_string()),
        option::of(topic_name()),
        option::of(binary()),
        user_properties(),
    )
        .prop_map(|(wdi, pfi, mei, ct, rt, cd, user)| WillProperties {
            will_delay_interval: wdi,
            payload_format_indicator: pfi,
            message_expiry_interval: mei,
            content_type: ct,
            response_topic: rt,
            correlation_data: cd,
            user_properties: user,
        })
        .boxed()
}

/// CONNACK properties, each present or absent; Maximum QoS drawn from `maximum_qos`.
fn connack_properties_with(maximum_qos: BoxedStrategy<QoS>) -> BoxedStrategy<ConnAckProperties> {
    let first = (
        option::of(any::<u32>()),
        option::of(nz16()),
        option::of(maximum_qos),
        option::of(any::<bool>()),
        option::of(nz32()),
        option::of(mqtt_string()),
        option::of(any::<u16>()),
        option::of(mqtt_string()),
        user_properties(),
    );
    let second = (
        option::of(any::<bool>()),
        option::of(any::<bool>()),
        option::of(any::<bool>()),
        option::of(any::<u16>()),
        option::of(mqtt_string()),
        option::of(mqtt_string()),
        option::of(mqtt_string()),
        option::of(binary()),
    );
    (first, second)
        .prop_map(
            |((sei, rm, mq, ra, mps, aci, tam, rs, user), (wsa, sia, ssa, ska, ri, sr, am, ad))| {
                ConnAckProperties {
                    session_expiry_interval: sei,
                    receive_maximum: rm,
                    maximum_qos: mq,
                    retain_available: ra,
                    maximum_packet_size: mps,
                    assigned_client_identifier: aci,
                    topic_alias_maximum: tam,
                    reason_string: rs,
                    user_properties: user,
                    wildcard_subscription_available: wsa,
                    subscription_identifiers_available: sia,
                    shared_subscription_available: ssa,
                    server_keep_alive: ska,
                    response_information: ri,
                    server_reference: sr,
                    authentication_method: am,
                    authentication_data: ad,
                }
            },
        )
        .boxed()
}

/// CONNACK properties; Maximum QoS only 0 or 1, as the specification allows on the wire.
pub fn connack_properties() -> BoxedStrategy<ConnAckProperties> {
    connack_properties_with(select(vec![QoS::AtMostOnce, QoS::AtLeastOnce]).boxed())
}

/// PUBLISH properties, each present or absent, with 0..=4 subscription identifiers.
pub fn publish_properties() -> BoxedStrategy<PublishProperties> {
    (
        option::of(payload_format()),
        option::of(any::<u32>()),
        option::of(nz16()),
        option::of(topic_name()),
        option::of(binary()),
        user_properties(),
        vec(subscription_id(), 0..=4),
        option::of(mqtt_string()),
    )
        .prop_map(|(pfi, mei, ta, rt, cd, user, sids, ct)| PublishProperties {
            payload_format_indicator: pfi,
            message_expiry_interval: mei,
            topic_alias: ta,
            response_topic: rt,
            correlation_data: cd,
            user_properties: user,
            subscription_identifiers: sids,
            content_type: ct,
        })
        .boxed()
}

/// Properties of PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK and UNSUBACK.
pub fn ack_properties() -> BoxedStrategy<AckProperties> {
    (option::of(mqtt_string()), user_properties())
        .prop_map(|(rs, user)| AckProperties {
            reason_string: rs,
            user_properties: user,
        })
        .boxed()
}

/// SUBSCRIBE properties.
pub fn subscribe_properties() -> BoxedStrategy<SubscribeProperties> {
    (option::of(subscription_id()), user_properties())
        .prop_map(|(sid, user)| SubscribeProperties {
            subscription_identifier: sid,
            user_properties: user,
        })
        .boxed()
}

/// UNSUBSCRIBE properties.
pub fn unsubscribe_properties() -> BoxedStrategy<UnsubscribeProperties> {
    user_properties()
        .prop_map(|user| UnsubscribeProperties {
            user_properties: user,
        })
        .boxed()
}

/// DISCONNECT properties.
pub fn disconnect_properties() -> BoxedStrategy<DisconnectProperties> {
    (
        option::of(any::<u32>()),
        option::of(mqtt_string()),
        user_properties(),
        option::of(mqtt_string()),
    )
        .prop_map(|(sei, rs, user, sr)| DisconnectProperties {
            session_expiry_interval: sei,
            reason_string: rs,
            user_properties: user,
            server_reference: sr,
        })
        .boxed()
}

/// AUTH properties, with the Authentication Method every AUTH carries
/// (5.0 section 3.15.2.2.2).
pub fn auth_properties() -> BoxedStrategy<AuthProperties> {
    (
        mqtt_string().prop_map(Some),
        option::of(binary()),
        option::of(mqtt_string()),
        user_properties(),
    )
        .prop_map(|(am, ad, rs, user)| AuthProperties {
            authentication_method: am,
            authentication_data: ad,
            reason_string: rs,
            user_properties: user,
        })
        .boxed()
}

/// `strategy` in 5.0, the empty group before: 3.x has no properties.
fn props<T>(version: ProtocolVersion, strategy: BoxedStrategy<T>) -> BoxedStrategy<T>
where
    T: Default + Clone + core::fmt::Debug + 'static,
{
    if version.is_v5() {
        strategy
    } else {
        Just(T::default()).boxed()
    }
}

/// A reason code `packet` can carry in `version`.
fn reason(packet: PacketType, version: ProtocolVersion) -> BoxedStrategy<ReasonCode> {
    select(reason_codes(packet, version)).boxed()
}

/// The longest prefix of `s` that fits in `max` bytes, cut at a character boundary.
fn truncate_bytes(s: String, max: usize) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if out.len() + c.len_utf8() > max {
            break;
        }
        out.push(c);
    }
    out
}

/// A client identifier `version` can carry: 1..=23 bytes in MQTT 3.1,
/// anything (empty included) in 3.1.1 and 5.0.
fn client_id(version: ProtocolVersion) -> BoxedStrategy<MqttString> {
    let s = if version == ProtocolVersion::V3_1 {
        // Every alphabet character is at most 4 bytes, so at least one survives.
        text(TEXT, 1..=23)
            .prop_map(|s| truncate_bytes(s, 23))
            .boxed()
    } else {
        text(TEXT, 0..=23)
    };
    s.prop_map(|s| MqttString::new(s).expect("valid characters"))
        .boxed()
}

/// A will message for a CONNECT of `version`.
pub fn last_will(version: ProtocolVersion) -> BoxedStrategy<LastWill> {
    (
        topic_name(),
        payload(),
        qos(),
        any::<bool>(),
        props(version, will_properties()),
    )
        .prop_map(|(topic, payload, qos, retain, properties)| LastWill {
            topic,
            payload,
            qos,
            retain,
            properties,
        })
        .boxed()
}

/// A CONNECT of `version`; its `protocol` is `version`.
pub fn connect(version: ProtocolVersion) -> BoxedStrategy<Connect> {
    // A password needs a user name before 5.0 [MQTT-3.1.2-22, 3.1.1].
    let credentials =
        (option::of(mqtt_string()), option::of(binary())).prop_map(move |(username, password)| {
            match username {
                None if !version.is_v5() => (None, None),
                username => (username, password),
            }
        });
    (
        any::<bool>(),
        any::<u16>(),
        client_id(version),
        option::of(last_will(version)),
        credentials,
        props(version, connect_properties()),
    )
        .prop_map(
            move |(clean_start, keep_alive, client_id, will, (username, password), properties)| {
                Connect {
                    protocol: version,
                    clean_start,
                    keep_alive,
                    client_id,
                    will,
                    username,
                    password,
                    properties,
                }
            },
        )
        .boxed()
}

/// A CONNACK of `version`; Session Present only with Success [MQTT-3.2.2-6].
pub fn connack(version: ProtocolVersion) -> BoxedStrategy<ConnAck> {
    (
        any::<bool>(),
        reason(PacketType::ConnAck, version),
        props(version, connack_properties()),
    )
        .prop_map(|(session_present, reason, properties)| ConnAck {
            session_present: session_present && reason == ReasonCode::Success,
            reason,
            properties,
        })
        .boxed()
}

/// A PUBLISH of `version`: no DUP on QoS 0 [MQTT-3.3.1-2]; in 5.0 sometimes
/// no topic name, with a topic alias standing for it [MQTT-3.3.2-1].
pub fn publish(version: ProtocolVersion) -> BoxedStrategy<Publish> {
    (
        any::<bool>(),
        delivery(),
        any::<bool>(),
        topic_name(),
        prop::bool::weighted(0.25),
        payload(),
        props(version, publish_properties()),
        nz16(),
    )
        .prop_map(
            move |(dup, delivery, retain, topic, alias_only, payload, mut properties, alias)| {
                let topic = if version.is_v5() && alias_only {
                    properties.topic_alias.get_or_insert(alias);
                    None
                } else {
                    Some(topic)
                };
                Publish {
                    dup: dup && delivery != Delivery::AtMostOnce,
                    delivery,
                    retain,
                    topic,
                    payload,
                    properties: properties.into(),
                }
            },
        )
        .boxed()
}

/// PUBACK, PUBREC, PUBREL or PUBCOMP (`packet`) of `version`.
pub fn ack(packet: PacketType, version: ProtocolVersion) -> BoxedStrategy<Packet> {
    (
        packet_id(),
        reason(packet, version),
        props(version, ack_properties()),
    )
        .prop_map(move |(packet_id, reason, properties)| {
            wrap_ack(
                packet,
                Ack {
                    packet_id,
                    reason,
                    properties: properties.into(),
                },
            )
        })
        .boxed()
}

/// The packet of type `packet` holding `ack`.
pub fn wrap_ack(packet: PacketType, ack: Ack) -> Packet {
    match packet {
        PacketType::PubAck => Packet::PubAck(ack),
        PacketType::PubRec => Packet::PubRec(ack),
        PacketType::PubRel => Packet::PubRel(ack),
        PacketType::PubComp => Packet::PubComp(ack),
        other => panic!("{other} is not a publish acknowledgement"),
    }
}

/// One subscription of `version`: options beyond QoS only in 5.0, and No
/// Local never on a shared subscription [MQTT-3.8.3-4].
pub fn subscription(version: ProtocolVersion) -> BoxedStrategy<Subscription> {
    (
        topic_filter_shared(),
        qos(),
        any::<bool>(),
        any::<bool>(),
        retain_handling(),
    )
        .prop_map(
            move |((filter, shared), qos, no_local, retain_as_published, retain_handling)| {
                let options = if version.is_v5() {
                    SubscriptionOptions {
                        qos,
                        no_local: no_local && !shared,
                        retain_as_published,
                        retain_handling,
                    }
                } else {
                    SubscriptionOptions::new(qos)
                };
                Subscription { filter, options }
            },
        )
        .boxed()
}

/// A SUBSCRIBE of `version` with 1..=5 subscriptions.
pub fn subscribe(version: ProtocolVersion) -> BoxedStrategy<Subscribe> {
    (
        packet_id(),
        vec(subscription(version), 1..=5),
        props(version, subscribe_properties()),
    )
        .prop_map(|(packet_id, subscriptions, properties)| Subscribe {
            packet_id,
            subscriptions,
            properties,
        })
        .boxed()
}

/// A SUBACK of `version` with 1..=6 results.
pub fn suback(version: ProtocolVersion) -> BoxedStrategy<SubAck> {
    (
        packet_id(),
        vec(reason(PacketType::SubAck, version), 1..=6),
        props(version, ack_properties()),
    )
        .prop_map(|(packet_id, reasons, properties)| SubAck {
            packet_id,
            reasons,
            properties: properties.into(),
        })
        .boxed()
}

/// An UNSUBSCRIBE of `version` with 1..=5 filters.
pub fn unsubscribe(version: ProtocolVersion) -> BoxedStrategy<Unsubscribe> {
    (
        packet_id(),
        vec(topic_filter(), 1..=5),
        props(version, unsubscribe_properties()),
    )
        .prop_map(|(packet_id, filters, properties)| Unsubscribe {
            packet_id,
            filters,
            properties,
        })
        .boxed()
}

/// An UNSUBACK of `version`: 1..=6 results in 5.0, none before.
pub fn unsuback(version: ProtocolVersion) -> BoxedStrategy<UnsubAck> {
    let reasons = if version.is_v5() {
        vec(reason(PacketType::UnsubAck, version), 1..=6).boxed()
    } else {
        Just(Vec::new()).boxed()
    };
    (packet_id(), reasons, props(version, ack_properties()))
        .prop_map(|(packet_id, reasons, properties)| UnsubAck {
            packet_id,
            reasons,
            properties: properties.into(),
        })
        .boxed()
}

/// A DISCONNECT of `version`.
pub fn disconnect(version: ProtocolVersion) -> BoxedStrategy<Disconnect> {
    (
        reason(PacketType::Disconnect, version),
        props(version, disconnect_properties()),
    )
        .prop_map(|(reason, properties)| Disconnect {
            reason,
            properties: properties.into(),
        })
        .boxed()
}

/// An AUTH (5.0 only).
pub fn auth() -> BoxedStrategy<Auth> {
    (
        reason(PacketType::Auth, ProtocolVersion::V5),
        auth_properties(),
    )
        .prop_map(|(reason, properties)| Auth {
            reason,
            properties: properties.into(),
        })
        .boxed()
}

/// Whether `packet` exists in `version` (AUTH is 5.0 only).
pub fn exists_in(packet: PacketType, version: ProtocolVersion) -> bool {
    packet != PacketType::Auth || version.is_v5()
}

/// A packet of type `packet` that `version` can express.
pub fn packet_of(packet: PacketType, version: ProtocolVersion) -> BoxedStrategy<Packet> {
    assert!(
        exists_in(packet, version),
        "{packet} does not exist in {version}"
    );
    match packet {
        PacketType::Connect => connect(version).prop_map(Packet::from).boxed(),
        PacketType::ConnAck => connack(version).prop_map(Packet::from).boxed(),
        PacketType::Publish => publish(version).prop_map(Packet::Publish).boxed(),
        PacketType::PubAck | PacketType::PubRec | PacketType::PubRel | PacketType::PubComp => {
            ack(packet, version)
        }
        PacketType::Subscribe => subscribe(version).prop_map(Packet::Subscribe).boxed(),
        PacketType::SubAck => suback(version).prop_map(Packet::SubAck).boxed(),
        PacketType::Unsubscribe => unsubscribe(version).prop_map(Packet::Unsubscribe).boxed(),
        PacketType::UnsubAck => unsuback(version).prop_map(Packet::UnsubAck).boxed(),
        PacketType::PingReq => Just(Packet::PingReq).boxed(),
        PacketType::PingResp => Just(Packet::PingResp).boxed(),
        PacketType::Disconnect => disconnect(version).prop_map(Packet::Disconnect).boxed(),
        PacketType::Auth => auth().prop_map(Packet::Auth).boxed(),
    }
}

/// Any packet `version` can express, every type equally likely.
pub fn packet(version: ProtocolVersion) -> BoxedStrategy<Packet> {
    Union::new(
        PACKET_TYPES
            .iter()
            .filter(|&&t| exists_in(t, version))
            .map(|&t| packet_of(t, version)),
    )
    .boxed()
}

/// A version and 1..=`max` packets it can express.
pub fn packets(max: usize) -> BoxedStrategy<(ProtocolVersion, Vec<Packet>)> {
    version()
        .prop_flat_map(move |v| (Just(v), vec(packet(v), 1..=max)))
        .boxed()
}

/// The empty group half of the time, so that 3.x-valid packets stay common.
fn maybe<T>(strategy: BoxedStrategy<T>) -> BoxedStrategy<T>
where
    T: Default + Clone + core::fmt::Debug + 'static,
{
    prop_oneof![Just(T::default()), strategy].boxed()
}

fn any_reason() -> BoxedStrategy<ReasonCode> {
    select(codes(ALL_REASON_CODES)).boxed()
}

/// Any value of the packet model, valid in some version or none: every
/// reason code in every packet, properties in any version, Maximum QoS 2,
/// DUP on QoS 0, no topic and no alias, No Local on shared subscriptions,
/// empty subscription and result lists, client identifiers of any length,
/// passwords without user names, CONNECT of any protocol.
pub fn any_packet() -> BoxedStrategy<Packet> {
    let will = (
        topic_name(),
        payload(),
        qos(),
        any::<bool>(),
        maybe(will_properties()),
    )
        .prop_map(|(topic, payload, qos, retain, properties)| LastWill {
            topic,
            payload,
            qos,
            retain,
            properties,
        });
    let connect = (
        version(),
        any::<bool>(),
        any::<u16>(),
        text(TEXT, 0..=30).prop_map(|s| MqttString::new(s).expect("valid")),
        option::of(will),
        option::of(mqtt_string()),
        option::of(binary()),
        maybe(connect_properties()),
    )
        .prop_map(
            |(
                protocol,
                clean_start,
                keep_alive,
                client_id,
                will,
                username,
                password,
                properties,
            )| {
                Packet::from(Connect {
                    protocol,
                    clean_start,
                    keep_alive,
                    client_id,
                    will,
                    username,
                    password,
                    properties,
                })
            },
        );
    let connack = (
        any::<bool>(),
        any_reason(),
        maybe(connack_properties_with(qos().boxed())),
    )
        .prop_map(|(session_present, reason, properties)| {
            Packet::from(ConnAck {
                session_present,
                reason,
                properties,
            })
        });
    let publish = (
        any::<bool>(),
        delivery(),
        any::<bool>(),
        option::weighted(0.8, topic_name()),
        payload(),
        maybe(publish_properties()),
    )
        .prop_map(|(dup, delivery, retain, topic, payload, properties)| {
            Packet::Publish(Publish {
                dup,
                delivery,
                retain,
                topic,
                payload,
                properties: properties.into(),
            })
        });
    let ack = (
        select(vec![
            PacketType::PubAck,
            PacketType::PubRec,
            PacketType::PubRel,
            PacketType::PubComp,
        ]),
        packet_id(),
        prop_oneof![Just(ReasonCode::Success), any_reason()],
        maybe(ack_properties()),
    )
        .prop_map(|(t, packet_id, reason, properties)| {
            wrap_ack(
                t,
                Ack {
                    packet_id,
                    reason,
                    properties: properties.into(),
                },
            )
        });
    let loose_subscription = (
        topic_filter(),
        qos(),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.2),
        prop_oneof![4 => Just(RetainHandling::SendAtSubscribe), 1 => retain_handling()],
    )
        .prop_map(
            |(filter, qos, no_local, retain_as_published, retain_handling)| Subscription {
                filter,
                options: SubscriptionOptions {
                    qos,
                    no_local,
                    retain_as_published,
                    retain_handling,
                },
            },
        );
    let subscribe = (
        packet_id(),
        vec(loose_subscription, 0..=3),
        maybe(subscribe_properties()),
    )
        .prop_map(|(packet_id, subscriptions, properties)| {
            Packet::Subscribe(Subscribe {
                packet_id,
                subscriptions,
                properties,
            })
        });
    let suback = (
        packet_id(),
        vec(any_reason(), 0..=4),
        maybe(ack_properties()),
    )
        .prop_map(|(packet_id, reasons, properties)| {
            Packet::SubAck(SubAck {
                packet_id,
                reasons,
                properties: properties.into(),
            })
        });
    let unsubscribe = (
        packet_id(),
        vec(topic_filter(), 0..=3),
        maybe(unsubscribe_properties()),
    )
        .prop_map(|(packet_id, filters, properties)| {
            Packet::Unsubscribe(Unsubscribe {
                packet_id,
                filters,
                properties,
            })
        });
    let unsuback = (
        packet_id(),
        vec(prop_oneof![Just(ReasonCode::Success), any_reason()], 0..=4),
        maybe(ack_properties()),
    )
        .prop_map(|(packet_id, reasons, properties)| {
            Packet::UnsubAck(UnsubAck {
                packet_id,
                reasons,
                properties: properties.into(),
            })
        });
    let disconnect = (
        prop_oneof![Just(ReasonCode::Success), any_reason()],
        maybe(disconnect_properties()),
    )
        .prop_map(|(reason, properties)| {
            Packet::Disconnect(Disconnect {
                reason,
                properties: properties.into(),
            })
        });
    let auth = (any_reason(), maybe(auth_properties())).prop_map(|(reason, properties)| {
        Packet::Auth(Auth {
            reason,
            properties: properties.into(),
        })
    });
    prop_oneof![
        1 => connect,
        1 => connack,
        1 => publish,
        2 => ack,
        1 => subscribe,
        1 => suback,
        1 => unsubscribe,
        1 => unsuback,
        1 => Just(Packet::PingReq),
        1 => Just(Packet::PingResp),
        1 => disconnect,
        1 => auth,
    ]
    .boxed()
}

/// Adds `user` to the properties of `packet` (to the will's if `to_will` and
/// there is a will); returns false for the pings, which have no properties.
fn add_user_property(packet: &mut Packet, user: UserProperty, to_will: bool) -> bool {
    match packet {
        Packet::Connect(p) => match &mut p.will {
            Some(will) if to_will => will.properties.user_properties.push(user),
            _ => p.properties.user_properties.push(user),
        },
        Packet::ConnAck(p) => p.properties.user_properties.push(user),
        Packet::Publish(p) => p.properties.user_properties.push(user),
        Packet::PubAck(p) | Packet::PubRec(p) | Packet::PubRel(p) | Packet::PubComp(p) => {
            p.properties.user_properties.push(user)
        }
        Packet::Subscribe(p) => p.properties.user_properties.push(user),
        Packet::SubAck(p) => p.properties.user_properties.push(user),
        Packet::Unsubscribe(p) => p.properties.user_properties.push(user),
        Packet::UnsubAck(p) => p.properties.user_properties.push(user),
        Packet::Disconnect(p) => p.properties.user_properties.push(user),
        Packet::Auth(p) => p.properties.user_properties.push(user),
        Packet::PingReq | Packet::PingResp => return false,
    }
    true
}

/// A packet that is valid in `version` (3.1 or 3.1.1) but for exactly one
/// feature 3.x cannot express: a property, a 5.0-only reason code, a PUBLISH
/// without topic name, 5.0 subscription options, a password without user
/// name, an MQTT 3.1 client identifier outside 1..=23 bytes, or AUTH.
pub fn v3_invalid_packet(version: ProtocolVersion) -> BoxedStrategy<Packet> {
    assert!(!version.is_v5());
    let with_property = (packet(version), user_property(), any::<bool>())
        .prop_filter_map("pings carry no properties", |(mut p, user, to_will)| {
            add_user_property(&mut p, user, to_will).then_some(p)
        });
    // Acknowledgements can carry only Success before 5.0.
    let ack_reason = (
        select(vec![
            PacketType::PubAck,
            PacketType::PubRec,
            PacketType::PubRel,
            PacketType::PubComp,
        ]),
        packet_id(),
        any::<Index>(),
    )
        .prop_map(|(t, id, pick)| {
            let table = match t {
                PacketType::PubAck | PacketType::PubRec => PUBACK_PUBREC_V5,
                _ => PUBREL_PUBCOMP_V5,
            };
            let failures = codes_except(table, &[0x00]);
            wrap_ack(t, Ack::with_reason(id, *pick.get(&failures)))
        });
    let connack_reason = (
        connack(version),
        select(codes_except(CONNACK_V5, CONNACK_V3)),
    )
        .prop_map(|(mut p, reason)| {
            p.reason = reason;
            p.session_present = false;
            Packet::from(p)
        });
    let suback_reason = (
        suback(version),
        select(codes_except(SUBACK_V5, SUBACK_V3)),
        any::<Index>(),
    )
        .prop_map(|(mut p, reason, at)| {
            let at = at.index(p.reasons.len() + 1);
            p.reasons.insert(at, reason);
            Packet::SubAck(p)
        });
    let unsuback_reason = (
        unsuback(version),
        vec(select(codes_except(UNSUBACK_V5, &[0x00])), 1..=3),
    )
        .prop_map(|(mut p, reasons)| {
            p.reasons = reasons;
            Packet::UnsubAck(p)
        });
    let disconnect_reason = select(codes_except(DISCONNECT_V5, &[0x00]))
        .prop_map(|reason| Packet::Disconnect(Disconnect::new(reason)));
    let alias_only = (publish(version), nz16()).prop_map(|(mut p, alias)| {
        p.topic = None;
        p.properties.topic_alias = Some(alias);
        Packet::Publish(p)
    });
    let options = (subscribe(version), any::<Index>(), 1u8..=7).prop_map(|(mut p, at, which)| {
        let s = at.get_mut(&mut p.subscriptions);
        if which & 1 != 0 && !s.filter.is_shared() {
            s.options.no_local = true;
        }
        if which & 2 != 0 {
            s.options.retain_as_published = true;
        }
        if which & 4 != 0 || s.options == SubscriptionOptions::new(s.options.qos) {
            s.options.retain_handling = RetainHandling::DoNotSend;
        }
        Packet::Subscribe(p)
    });
    let password_alone = (connect(version), binary()).prop_map(|(mut p, password)| {
        p.username = None;
        p.password = Some(password);
        Packet::from(p)
    });
    let mut cases = vec![
        with_property.boxed(),
        ack_reason.boxed(),
        connack_reason.boxed(),
        suback_reason.boxed(),
        unsuback_reason.boxed(),
        disconnect_reason.boxed(),
        alias_only.boxed(),
        options.boxed(),
        password_alone.boxed(),
        auth().prop_map(Packet::Auth).boxed(),
    ];
    if version == ProtocolVersion::V3_1 {
        let bad_id =
            (connect(version), prop_oneof![Just(0usize), 24usize..=40]).prop_map(|(mut p, len)| {
                p.client_id = MqttString::new("i".repeat(len)).expect("ASCII");
                Packet::from(p)
            });
        cases.push(bad_id.boxed());
    }
    Union::new(cases).boxed()
}

/// 1..=4 frames, each a fixed header of any type (with the flags the type
/// requires, or any) and a remaining length that matches a random body of
/// 0..=64 bytes: noise that gets past the framing into the body decoders.
pub fn framed_noise() -> BoxedStrategy<Vec<u8>> {
    let frame = (
        1u8..=15,
        prop_oneof![3 => Just(None), 1 => (0u8..=15).prop_map(Some)],
        vec(any::<u8>(), 0..=64),
    )
        .prop_map(|(kind, flags, body)| {
            let flags = flags.unwrap_or(match kind {
                6 | 8 | 10 => 0b0010,
                _ => 0,
            });
            let mut frame = vec![(kind << 4) | flags];
            // Bodies are under 128 bytes: a one-byte remaining length.
            frame.push(body.len() as u8);
            frame.extend_from_slice(&body);
            frame
        });
    vec(frame, 1..=4).prop_map(|frames| frames.concat()).boxed()
}

/// A change to an encoded byte stream, positions relative to its length.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// XOR one byte with a non-zero mask.
    Flip(Index, u8),
    /// Overwrite one byte.
    Set(Index, u8),
    /// Insert a byte.
    Insert(Index, u8),
    /// Remove a byte.
    Remove(Index),
    /// Cut the stream short.
    Truncate(Index),
}

/// Any [`Mutation`].
pub fn mutation() -> BoxedStrategy<Mutation> {
    prop_oneof![
        3 => (any::<Index>(), 1..=u8::MAX).prop_map(|(i, m)| Mutation::Flip(i, m)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => any::<Index>().prop_map(Mutation::Remove),
        1 => any::<Index>().prop_map(Mutation::Truncate),
    ]
    .boxed()
}

impl Mutation {
    /// Applies the mutation to `bytes`.
    pub fn apply(&self, bytes: &mut Vec<u8>) {
        let len = bytes.len();
        match *self {
            Self::Flip(i, mask) if len > 0 => bytes[i.index(len)] ^= mask,
            Self::Set(i, b) if len > 0 => bytes[i.index(len)] = b,
            Self::Insert(i, b) => bytes.insert(i.index(len + 1), b),
            Self::Remove(i) if len > 0 => {
                bytes.remove(i.index(len));
            }
            Self::Truncate(i) => bytes.truncate(i.index(len + 1)),
            _ => {}
        }
    }
}

/// How a byte stream is cut into the chunks the decoder receives.
#[derive(Debug, Clone)]
pub enum Chunking {
    /// One byte at a time.
    Bytewise,
    /// At these positions (relative to the length; duplicates give empty chunks).
    Cuts(Vec<Index>),
}

/// Any [`Chunking`].
pub fn chunking() -> BoxedStrategy<Chunking> {
    prop_oneof![
        1 => Just(Chunking::Bytewise),
        4 => vec(any::<Index>(), 0..=30).prop_map(Chunking::Cuts),
    ]
    .boxed()
}

impl Chunking {
    /// The chunks of `bytes`, in order; they concatenate back to `bytes`.
    pub fn split<'a>(&self, bytes: &'a [u8]) -> Vec<&'a [u8]> {
        match self {
            Self::Bytewise => bytes.chunks(1).collect(),
            Self::Cuts(cuts) => {
                let mut at: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
                at.sort_unstable();
                let mut chunks = Vec::with_capacity(at.len() + 1);
                let mut start = 0;
                for end in at {
                    chunks.push(&bytes[start..end]);
                    start = end;
                }
                chunks.push(&bytes[start..]);
                chunks
            }
        }
    }
}
