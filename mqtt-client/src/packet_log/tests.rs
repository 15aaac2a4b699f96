//! Each expected line was printed by paho-mqtt 2.2.0 (`on_log`) or by
//! `mosquitto_pub -d` / `mosquitto_sub -d` 2.0.11 for the same packet,
//! against Mosquitto 2.0.11.

use super::*;
use bytes::Bytes;
use mqtt_proto::*;

const V3: ProtocolVersion = ProtocolVersion::V3_1_1;
const V5: ProtocolVersion = ProtocolVersion::V5;

fn pid(n: u16) -> PacketId {
    PacketId::new(n).unwrap()
}

fn s(v: &str) -> MqttString {
    MqttString::new(v).unwrap()
}

fn publish(topic: &str, payload: &'static str, qos: QoS, id: u16, retain: bool) -> Packet {
    let mut p = Publish::new(TopicName::new(topic).unwrap(), payload);
    p.delivery = match qos {
        QoS::AtMostOnce => Delivery::AtMostOnce,
        QoS::AtLeastOnce => Delivery::AtLeastOnce(pid(id)),
        QoS::ExactlyOnce => Delivery::ExactlyOnce(pid(id)),
    };
    p.retain = retain;
    Packet::Publish(p)
}

fn connect(version: ProtocolVersion) -> Packet {
    let mut c = Connect::new(version, s("id1"));
    c.username = Some(s("user"));
    c.password = Some(Bytes::from_static(b"secretpw"));
    c.will = Some(LastWill {
        topic: TopicName::new("will/t").unwrap(),
        payload: Bytes::from_static(b"bye"),
        qos: QoS::AtLeastOnce,
        retain: true,
        properties: Default::default(),
    });
    Packet::from(c)
}

fn connack(reason: ReasonCode, properties: ConnAckProperties) -> Packet {
    Packet::from(ConnAck {
        session_present: false,
        reason,
        properties,
    })
}

fn subscribe(id: u16, topics: &[(&str, QoS)]) -> Packet {
    Packet::Subscribe(Subscribe {
        packet_id: pid(id),
        subscriptions: topics
            .iter()
            .map(|(f, q)| Subscription::new(TopicFilter::new(*f).unwrap(), *q))
            .collect(),
        properties: Default::default(),
    })
}

fn unsubscribe(id: u16, topics: &[&str]) -> Packet {
    Packet::Unsubscribe(Unsubscribe {
        packet_id: pid(id),
        filters: topics
            .iter()
            .map(|f| TopicFilter::new(*f).unwrap())
            .collect(),
        properties: Default::default(),
    })
}

fn paho(version: ProtocolVersion, packet: &Packet, sent: bool) -> String {
    let lines = PacketLog::new(LogStyle::Paho, version).lines(packet, sent, "id1");
    assert_eq!(lines.len(), 1, "{lines:?}");
    lines.into_iter().next().unwrap()
}

fn mosq(version: ProtocolVersion, packet: &Packet, sent: bool, id: &str) -> Vec<String> {
    PacketLog::new(LogStyle::Mosquitto, version).lines(packet, sent, id)
}

#[test]
fn paho_3_1_1_session() {
    let ack = |id| Ack::new(pid(id));
    let cases: Vec<(Packet, bool, &str)> = vec![
        (
            connect(V3),
            true,
            "Sending CONNECT (u1, p1, wr1, wq1, wf1, c1, k60) client_id=b'id1'",
        ),
        (
            connack(ReasonCode::Success, Default::default()),
            false,
            "Received CONNACK (0, 0)",
        ),
        (
            subscribe(1, &[("a/#", QoS::AtLeastOnce), ("b", QoS::ExactlyOnce)]),
            true,
            "Sending SUBSCRIBE (d0, m1) [(b'a/#', 1), (b'b', 2)]",
        ),
        (
            Packet::SubAck(SubAck {
                packet_id: pid(1),
                reasons: vec![ReasonCode::GrantedQoS1],
                properties: Default::default(),
            }),
            false,
            "Received SUBACK",
        ),
        (
            publish("a/b", "hello", QoS::AtLeastOnce, 3, false),
            true,
            "Sending PUBLISH (d0, q1, r0, m3), 'b'a/b'', ... (5 bytes)",
        ),
        (
            publish("a/b", "hello", QoS::AtMostOnce, 0, false),
            false,
            "Received PUBLISH (d0, q0, r0, m0), 'a/b', ...  (5 bytes)",
        ),
        (
            publish("a/b", "hello", QoS::AtLeastOnce, 1, false),
            false,
            "Received PUBLISH (d0, q1, r0, m1), 'a/b', ...  (5 bytes)",
        ),
        (Packet::PubAck(ack(1)), true, "Sending PUBACK (Mid: 1)"),
        (Packet::PubAck(ack(3)), false, "Received PUBACK (Mid: 3)"),
        (
            publish("a/b", "hello", QoS::ExactlyOnce, 4, false),
            true,
            "Sending PUBLISH (d0, q2, r0, m4), 'b'a/b'', ... (5 bytes)",
        ),
        (Packet::PubRec(ack(4)), false, "Received PUBREC (Mid: 4)"),
        (Packet::PubRel(ack(4)), true, "Sending PUBREL (Mid: 4)"),
        (Packet::PubComp(ack(4)), false, "Received PUBCOMP (Mid: 4)"),
        (Packet::PubRec(ack(1)), true, "Sending PUBREC (Mid: 1)"),
        (Packet::PubRel(ack(1)), false, "Received PUBREL (Mid: 1)"),
        (Packet::PubComp(ack(1)), true, "Sending PUBCOMP (Mid: 1)"),
        (
            publish("a/e", "", QoS::AtLeastOnce, 5, false),
            true,
            "Sending PUBLISH (d0, q1, r0, m5), 'b'a/e'' (NULL payload)",
        ),
        (
            publish("a/e", "", QoS::AtLeastOnce, 3, false),
            false,
            "Received PUBLISH (d0, q1, r0, m3), 'a/e', ...  (0 bytes)",
        ),
        (
            publish("a/r", "x", QoS::AtLeastOnce, 6, true),
            true,
            "Sending PUBLISH (d0, q1, r1, m6), 'b'a/r'', ... (1 bytes)",
        ),
        (
            unsubscribe(7, &["a/#", "b"]),
            true,
            "Sending UNSUBSCRIBE (d0, m7) [b'a/#', b'b']",
        ),
        (
            Packet::UnsubAck(UnsubAck {
                packet_id: pid(7),
                reasons: vec![],
                properties: Default::default(),
            }),
            false,
            "Received UNSUBACK (Mid: 7)",
        ),
        (Packet::PingReq, true, "Sending PINGREQ"),
        (Packet::PingResp, false, "Received PINGRESP"),
        (
            Packet::Disconnect(Disconnect::new(ReasonCode::Success)),
            true,
            "Sending DISCONNECT",
        ),
    ];
    for (packet, sent, want) in cases {
        assert_eq!(paho(V3, &packet, sent), want);
    }
}

#[test]
fn paho_3_1_1_refusal_and_session_present() {
    let refused = connack(ReasonCode::NotAuthorized, Default::default());
    assert_eq!(paho(V3, &refused, false), "Received CONNACK (0, 5)");
    let resumed = Packet::from(ConnAck {
        session_present: true,
        reason: ReasonCode::Success,
        properties: Default::default(),
    });
    assert_eq!(paho(V3, &resumed, false), "Received CONNACK (1, 0)");
    let mut c = Connect::new(V3, s("id3"));
    c.clean_start = false;
    assert_eq!(
        paho(V3, &Packet::from(c), true),
        "Sending CONNECT (u0, p0, wr0, wq0, wf0, c0, k60) client_id=b'id3'"
    );
}

#[test]
fn paho_5_0_session() {
    let limits = ConnAckProperties {
        receive_maximum: core::num::NonZeroU16::new(20),
        topic_alias_maximum: Some(10),
        ..Default::default()
    };
    let mut sub = subscribe(1, &[("a/#", QoS::AtLeastOnce), ("b", QoS::ExactlyOnce)]);
    let cases: Vec<(Packet, bool, &str)> = vec![
        (
            connect(V5),
            true,
            "Sending CONNECT (u1, p1, wr1, wq1, wf1, c1, k60) client_id=b'id1' properties=None",
        ),
        (
            connack(ReasonCode::Success, limits),
            false,
            "Received CONNACK (0, Success) properties=[ReceiveMaximum : 20, TopicAliasMaximum : 10]",
        ),
        (
            sub.clone(),
            true,
            "Sending SUBSCRIBE (d0, m1) [(b'a/#', {QoS=1, noLocal=False, retainAsPublished=False, \
             retainHandling=0}), (b'b', {QoS=2, noLocal=False, retainAsPublished=False, retainHandling=0})]",
        ),
        (
            publish("a/b", "hello", QoS::AtMostOnce, 0, false),
            true,
            "Sending PUBLISH (d0, q0, r0, m0), 'b'a/b'', properties=None, ... (5 bytes)",
        ),
        (
            publish("a/b", "hello", QoS::AtLeastOnce, 2, false),
            false,
            "Received PUBLISH (d0, q1, r0, m2), 'a/b', properties=[], ...  (5 bytes)",
        ),
        (
            publish("a/e", "", QoS::AtLeastOnce, 5, false),
            true,
            "Sending PUBLISH (d0, q1, r0, m5), 'b'a/e'', properties=None (NULL payload)",
        ),
        (
            unsubscribe(7, &["a/#", "b"]),
            true,
            "Sending UNSUBSCRIBE (d0, m7) None [b'a/#', b'b']",
        ),
        (
            Packet::Disconnect(Disconnect::new(ReasonCode::Success)),
            true,
            "Sending DISCONNECT reasonCode=None properties=None",
        ),
    ];
    for (packet, sent, want) in cases {
        assert_eq!(paho(V5, &packet, sent), want);
    }
    if let Packet::Subscribe(s) = &mut sub {
        s.subscriptions.truncate(1);
        s.subscriptions[0].filter = TopicFilter::new("x/#").unwrap();
        s.subscriptions[0].options.qos = QoS::ExactlyOnce;
        s.subscriptions[0].options.retain_as_published = true;
        s.subscriptions[0].options.retain_handling = RetainHandling::SendAtNewSubscribe;
    }
    assert_eq!(
        paho(V5, &sub, true),
        "Sending SUBSCRIBE (d0, m1) [(b'x/#', {QoS=2, noLocal=False, retainAsPublished=True, retainHandling=1})]"
    );
}

#[test]
fn paho_5_0_properties_in_paho_order_and_format() {
    let mut p = Publish::new(TopicName::new("x/y").unwrap(), "hi");
    p.delivery = Delivery::ExactlyOnce(pid(2));
    let props = &mut *p.properties;
    props.message_expiry_interval = Some(60);
    props.content_type = Some(s("text/plain"));
    props.response_topic = Some(TopicName::new("r/t").unwrap());
    props.correlation_data = Some(Bytes::from_static(b"\x01\x02ab"));
    props.user_properties = vec![(s("k"), s("v")), (s("k2"), s("v2"))];
    props.payload_format_indicator = Some(PayloadFormat::Utf8);
    let packet = Packet::Publish(p);
    let fields =
        "PayloadFormatIndicator : 1, MessageExpiryInterval : 60, ContentType : text/plain, \
                  ResponseTopic : r/t, CorrelationData : b'\\x01\\x02ab', \
                  UserProperty : [('k', 'v'), ('k2', 'v2')]";
    assert_eq!(
        paho(V5, &packet, true),
        format!("Sending PUBLISH (d0, q2, r0, m2), 'b'x/y'', properties=[{fields}], ... (2 bytes)")
    );
    assert_eq!(
        paho(V5, &packet, false),
        format!("Received PUBLISH (d0, q2, r0, m2), 'x/y', properties=[{fields}], ...  (2 bytes)")
    );

    let mut c = Connect::new(V5, s("id2"));
    c.clean_start = false;
    c.properties.session_expiry_interval = Some(30);
    c.properties.user_properties = vec![(s("a"), s("b"))];
    assert_eq!(
        paho(V5, &Packet::from(c), true),
        "Sending CONNECT (u0, p0, wr0, wq0, wf0, c0, k60) client_id=b'id2' \
         properties=[SessionExpiryInterval : 30, UserProperty : [('a', 'b')]]"
    );

    let mut d = Disconnect::new(ReasonCode::DisconnectWithWillMessage);
    d.properties.session_expiry_interval = Some(0);
    assert_eq!(
        paho(V5, &Packet::Disconnect(d), true),
        "Sending DISCONNECT reasonCode=Disconnect with will message properties=[SessionExpiryInterval : 0]"
    );
    let refused = connack(ReasonCode::NotAuthorized, Default::default());
    assert_eq!(
        paho(V5, &refused, false),
        "Received CONNACK (0, Not authorized) properties=[]"
    );
}

#[test]
fn python_reprs_quote_and_escape_as_python_does() {
    use super::python::{bytes_repr, str_repr};
    assert_eq!(bytes_repr(b"a/b"), "b'a/b'");
    assert_eq!(bytes_repr(b"it's"), "b\"it's\"");
    assert_eq!(bytes_repr(b"'\""), "b'\\'\"'");
    assert_eq!(bytes_repr(b"\x00\t\xff\\"), "b'\\x00\\t\\xff\\\\'");
    assert_eq!(bytes_repr("é".as_bytes()), "b'\\xc3\\xa9'");
    assert_eq!(str_repr("k"), "'k'");
    assert_eq!(str_repr("it's"), "\"it's\"");
    assert_eq!(str_repr("é\n"), "'é\\n'");
}

#[test]
fn mosquitto_3_1_1_and_5_0() {
    let ack = |id| Ack::new(pid(id));
    for v in [V3, V5] {
        let cases: Vec<(Packet, bool, &str, Vec<&str>)> = vec![
            (
                connect(v),
                true,
                "pubid",
                vec!["Client pubid sending CONNECT"],
            ),
            (
                connack(ReasonCode::Success, Default::default()),
                false,
                "pubid",
                vec!["Client pubid received CONNACK (0)"],
            ),
            (
                publish("a/b", "hello", QoS::AtLeastOnce, 1, false),
                true,
                "pubid",
                vec!["Client pubid sending PUBLISH (d0, q1, r0, m1, 'a/b', ... (5 bytes))"],
            ),
            (
                Packet::PubAck(ack(1)),
                false,
                "pubid",
                vec!["Client pubid received PUBACK (Mid: 1, RC:0)"],
            ),
            (
                Packet::Disconnect(Disconnect::new(ReasonCode::Success)),
                true,
                "pubid",
                vec!["Client pubid sending DISCONNECT"],
            ),
            (
                publish("a/b", "hello", QoS::ExactlyOnce, 1, true),
                true,
                "pubid",
                vec!["Client pubid sending PUBLISH (d0, q2, r1, m1, 'a/b', ... (5 bytes))"],
            ),
            (
                Packet::PubRec(ack(1)),
                false,
                "pubid",
                vec!["Client pubid received PUBREC (Mid: 1)"],
            ),
            (
                Packet::PubRel(ack(1)),
                true,
                "pubid",
                vec!["Client pubid sending PUBREL (m1)"],
            ),
            (
                Packet::PubComp(ack(1)),
                false,
                "pubid",
                vec!["Client pubid received PUBCOMP (Mid: 1, RC:0)"],
            ),
            (
                publish("a/c", "", QoS::AtLeastOnce, 1, true),
                true,
                "pubid",
                vec!["Client pubid sending PUBLISH (d0, q1, r1, m1, 'a/c', ... (0 bytes))"],
            ),
            (
                subscribe(1, &[("a/#", QoS::ExactlyOnce), ("b", QoS::ExactlyOnce)]),
                true,
                "subid",
                vec![
                    "Client subid sending SUBSCRIBE (Mid: 1, Topic: a/#, QoS: 2, Options: 0x00)",
                    "Client subid sending SUBSCRIBE (Mid: 1, Topic: b, QoS: 2, Options: 0x00)",
                ],
            ),
            (
                Packet::SubAck(SubAck {
                    packet_id: pid(1),
                    reasons: vec![ReasonCode::GrantedQoS2; 2],
                    properties: Default::default(),
                }),
                false,
                "subid",
                vec!["Client subid received SUBACK"],
            ),
            (
                publish("a/r", "x", QoS::AtLeastOnce, 1, true),
                false,
                "subid",
                vec!["Client subid received PUBLISH (d0, q1, r1, m1, 'a/r', ... (1 bytes))"],
            ),
            (
                Packet::PubAck(ack(1)),
                true,
                "subid",
                vec!["Client subid sending PUBACK (m1, rc0)"],
            ),
            (
                Packet::PubRec(ack(3)),
                true,
                "subid",
                vec!["Client subid sending PUBREC (m3, rc0)"],
            ),
            (
                Packet::PubRel(ack(3)),
                false,
                "subid",
                vec!["Client subid received PUBREL (Mid: 3)"],
            ),
            (
                Packet::PubComp(ack(3)),
                true,
                "subid",
                vec!["Client subid sending PUBCOMP (m3)"],
            ),
            (
                publish("a/c", "hello", QoS::AtMostOnce, 0, false),
                false,
                "subid",
                vec!["Client subid received PUBLISH (d0, q0, r0, m0, 'a/c', ... (5 bytes))"],
            ),
            (
                unsubscribe(2, &["a/#"]),
                true,
                "unsub",
                vec!["Client unsub sending UNSUBSCRIBE (Mid: 2, Topic: a/#)"],
            ),
            (
                Packet::PingReq,
                true,
                "pinger",
                vec!["Client pinger sending PINGREQ"],
            ),
            (
                Packet::PingResp,
                false,
                "pinger",
                vec!["Client pinger received PINGRESP"],
            ),
        ];
        for (packet, sent, id, want) in cases {
            assert_eq!(mosq(v, &packet, sent, id), want, "{v:?}");
        }
    }
    let refused = connack(ReasonCode::NotAuthorized, Default::default());
    assert_eq!(
        mosq(V3, &refused, false, "bad"),
        ["Client bad received CONNACK (5)"]
    );
    assert_eq!(
        mosq(V5, &refused, false, "bad"),
        ["Client bad received CONNACK (135)"]
    );
    let mut no_match = Ack::new(pid(1));
    no_match.reason = ReasonCode::NoMatchingSubscribers;
    assert_eq!(
        mosq(V5, &Packet::PubAck(no_match), false, "pubid"),
        ["Client pubid received PUBACK (Mid: 1, RC:16)"]
    );
}

#[test]
fn payloads_only_when_asked() {
    let packet = publish("a/b", "hello", QoS::AtLeastOnce, 1, false);
    let paho = PacketLog::new(LogStyle::Paho, V3).payloads(true);
    assert_eq!(
        paho.lines(&packet, true, "x"),
        ["Sending PUBLISH (d0, q1, r0, m1), 'b'a/b'', b'hello' (5 bytes)"]
    );
    let mosquitto = PacketLog::new(LogStyle::Mosquitto, V3).payloads(true);
    assert_eq!(
        mosquitto.lines(&packet, false, "x"),
        ["Client x received PUBLISH (d0, q1, r0, m1, 'a/b', b'hello' (5 bytes))"]
    );
}

#[test]
fn no_secret_is_ever_rendered() {
    let mut c = Connect::new(V5, s("id"));
    c.username = Some(s("alice"));
    c.password = Some(Bytes::from_static(b"hunter2-password"));
    c.properties.authentication_method = Some(s("SCRAM-SHA-1"));
    c.properties.authentication_data = Some(Bytes::from_static(b"auth-secret-data"));
    let mut will = LastWill {
        topic: TopicName::new("w").unwrap(),
        payload: Bytes::from_static(b"will-payload-secret"),
        qos: QoS::AtMostOnce,
        retain: false,
        properties: Default::default(),
    };
    will.properties.correlation_data = Some(Bytes::from_static(b"will-corr"));
    c.will = Some(will);
    let mut auth = Auth {
        reason: ReasonCode::ContinueAuthentication,
        ..Default::default()
    };
    auth.properties.authentication_method = Some(s("SCRAM-SHA-1"));
    auth.properties.authentication_data = Some(Bytes::from_static(b"auth-secret-data"));
    let mut connack = ConnAck {
        session_present: false,
        reason: ReasonCode::Success,
        properties: Default::default(),
    };
    connack.properties.authentication_data = Some(Bytes::from_static(b"auth-secret-data"));
    for packet in [Packet::from(c), Packet::Auth(auth), Packet::from(connack)] {
        for style in [LogStyle::Paho, LogStyle::Mosquitto] {
            for sent in [true, false] {
                let lines = PacketLog::new(style, V5)
                    .payloads(true)
                    .lines(&packet, sent, "id");
                for line in lines {
                    for secret in ["hunter2", "auth-secret", "will-payload", "will-corr"] {
                        assert!(!line.contains(secret), "{line}");
                    }
                }
            }
        }
    }
}
