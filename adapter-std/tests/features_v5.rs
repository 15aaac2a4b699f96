//! MQTT 5.0 features end to end through Mosquitto: user properties, message
//! expiry, topic aliases, request/response, subscription identifiers, no local.

mod common;
use adapter_std::{Client, OutboundMessage};
use bytes::Bytes;
use common::*;
use mqtt_proto::*;
use mqtt_testing::Broker;
use std::sync::mpsc;
use std::time::Duration;

const V5: ProtocolVersion = ProtocolVersion::V5;

fn s(v: &str) -> MqttString {
    MqttString::new(v).unwrap()
}

fn msg(topic: &str, payload: &'static str, qos: QoS) -> OutboundMessage {
    OutboundMessage::new(
        TopicName::new(topic).unwrap(),
        Bytes::from_static(payload.as_bytes()),
    )
    .qos(qos)
}

#[test]
fn user_properties_keep_order_and_duplicates() {
    let broker = Broker::start();
    let (sub, rx) = subscriber(&broker, "s", V5, "up/#", QoS::AtLeastOnce);
    let publisher = connected(&broker, "p", V5);
    let mut m = msg("up/x", "x", QoS::AtLeastOnce);
    let props = vec![(s("b"), s("1")), (s("a"), s("2")), (s("b"), s("3"))];
    m.properties.user_properties = props.clone();
    m.properties.content_type = Some(s("text/plain"));
    m.properties.payload_format_indicator = Some(PayloadFormat::Utf8);
    publisher
        .publish_message(m)
        .unwrap()
        .wait_for_publish(Some(WAIT));
    let got = rx.recv_timeout(WAIT).unwrap();
    assert_eq!(got.properties().user_properties, props);
    assert_eq!(got.properties().content_type.as_deref(), Some("text/plain"));
    assert_eq!(
        got.properties().payload_format_indicator,
        Some(PayloadFormat::Utf8)
    );
    stop(&publisher);
    stop(&sub);
}

#[test]
fn message_expiry_drops_stale_retained_messages() {
    let broker = Broker::start();
    let publisher = connected(&broker, "p", V5);
    let mut m = msg("exp/x", "soon gone", QoS::AtLeastOnce).retain(true);
    m.properties.message_expiry_interval = Some(1);
    publisher
        .publish_message(m)
        .unwrap()
        .wait_for_publish(Some(WAIT));
    let mut keep = msg("exp/y", "kept", QoS::AtLeastOnce).retain(true);
    keep.properties.message_expiry_interval = Some(100);
    publisher
        .publish_message(keep)
        .unwrap()
        .wait_for_publish(Some(WAIT));
    std::thread::sleep(Duration::from_millis(2200));
    let (sub, rx) = subscriber(&broker, "s", V5, "exp/#", QoS::AtLeastOnce);
    let got = rx.recv_timeout(WAIT).unwrap();
    assert_eq!(got.topic(), "exp/y");
    // The interval the broker forwards is decremented by the time it waited:
    // at least the 2 s slept. The lower bound leaves room for a slow machine.
    let left = got.properties().message_expiry_interval.unwrap();
    assert!((80..=98).contains(&left), "{left}");
    assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
    stop(&publisher);
    stop(&sub);
}

#[test]
fn topic_aliases_are_used_and_resolved() {
    let broker = Broker::start();
    let (sub, rx) = subscriber(&broker, "s", V5, "alias/#", QoS::AtLeastOnce);
    let publisher = Client::new(options(&broker, "p", V5).auto_topic_alias(true)).unwrap();
    let info = publisher.connect().unwrap();
    assert!(
        info.properties.topic_alias_maximum.unwrap_or(0) > 0,
        "Mosquitto offers aliases"
    );
    publisher.loop_start().unwrap();
    for i in 0..5 {
        publisher
            .publish(
                "alias/a/rather/long/topic/name",
                vec![i],
                QoS::AtLeastOnce,
                false,
            )
            .unwrap()
            .wait_for_publish(Some(WAIT));
    }
    for i in 0..5 {
        let m = rx.recv_timeout(WAIT).unwrap();
        assert_eq!(
            (m.topic(), m.payload()),
            ("alias/a/rather/long/topic/name", &[i][..])
        );
    }
    stop(&publisher);
    stop(&sub);
}

#[test]
fn request_response_with_response_topic_and_correlation_data() {
    let broker = Broker::start();
    // The responder answers every request on its response topic.
    let responder = Client::new(options(&broker, "responder", V5)).unwrap();
    responder.on_message(|c, m| {
        let (Some(reply_to), correlation) = (
            m.properties().response_topic.clone(),
            m.properties().correlation_data.clone(),
        ) else {
            return;
        };
        let mut answer = OutboundMessage::new(
            reply_to,
            Bytes::from(format!("re: {}", m.payload_str().unwrap())),
        )
        .qos(QoS::AtLeastOnce);
        answer.properties.correlation_data = correlation;
        c.publish_message(answer).unwrap();
    });
    responder.connect().unwrap();
    responder.loop_start().unwrap();
    responder
        .subscribe("service/echo", QoS::AtLeastOnce)
        .unwrap();
    let (requester, rx) = subscriber(
        &broker,
        "requester",
        V5,
        "replies/requester",
        QoS::AtLeastOnce,
    );
    std::thread::sleep(Duration::from_millis(200));
    let mut request = msg("service/echo", "ping", QoS::AtLeastOnce);
    request.properties.response_topic = Some(TopicName::new("replies/requester").unwrap());
    request.properties.correlation_data = Some(Bytes::from_static(b"req-17"));
    requester.publish_message(request).unwrap();
    let reply = rx.recv_timeout(WAIT).unwrap();
    assert_eq!(reply.payload_str(), Some("re: ping"));
    assert_eq!(
        reply.properties().correlation_data.as_deref(),
        Some(&b"req-17"[..])
    );
    stop(&responder);
    stop(&requester);
}

#[test]
fn subscription_identifiers_come_back_with_matching_messages() {
    let broker = Broker::start();
    let client = Client::new(options(&broker, "ids", V5)).unwrap();
    let (tx, rx) = mpsc::channel();
    client.on_message(move |_, m| {
        let _ = tx.send(m.clone());
    });
    client.connect().unwrap();
    client.loop_start().unwrap();
    for (filter, id) in [("ids/+", 7), ("ids/#", 42)] {
        client
            .subscribe_with(
                vec![Subscription::new(
                    TopicFilter::new(filter).unwrap(),
                    QoS::AtLeastOnce,
                )],
                SubscribeProperties {
                    subscription_identifier: SubscriptionId::new(id),
                    ..Default::default()
                },
            )
            .unwrap();
    }
    std::thread::sleep(Duration::from_millis(200));
    client
        .publish("ids/x", "x", QoS::AtLeastOnce, false)
        .unwrap();
    let mut ids: Vec<u32> = Vec::new();
    // Mosquitto sends one copy per matching subscription, or one with both ids.
    while ids.len() < 2 {
        let m = rx.recv_timeout(WAIT).expect("message");
        ids.extend(
            m.properties()
                .subscription_identifiers
                .iter()
                .map(|i| i.get()),
        );
    }
    ids.sort();
    assert_eq!(ids, [7, 42]);
    stop(&client);
}

#[test]
fn no_local_suppresses_our_own_publishes() {
    let broker = Broker::start();
    let client = Client::new(options(&broker, "self", V5)).unwrap();
    let (tx, rx) = mpsc::channel();
    client.on_message(move |_, m| {
        let _ = tx.send(m.clone());
    });
    client.connect().unwrap();
    client.loop_start().unwrap();
    let mut sub = Subscription::new(TopicFilter::new("nl/#").unwrap(), QoS::AtLeastOnce);
    sub.options.no_local = true;
    client
        .subscribe_with(vec![sub], Default::default())
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    client
        .publish("nl/mine", "x", QoS::AtLeastOnce, false)
        .unwrap()
        .wait_for_publish(Some(WAIT));
    let other = connected(&broker, "other", V5);
    other
        .publish("nl/theirs", "y", QoS::AtLeastOnce, false)
        .unwrap()
        .wait_for_publish(Some(WAIT));
    assert_eq!(rx.recv_timeout(WAIT).unwrap().topic(), "nl/theirs");
    assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
    stop(&other);
    stop(&client);
}
