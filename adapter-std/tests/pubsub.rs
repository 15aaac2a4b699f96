//! QoS 0/1/2 in both directions, retained messages and per-filter callbacks,
//! against a real Mosquitto, for MQTT 3.1.1 and 5.0.

mod common;
use adapter_std::{Client, PublishOutcome};
use common::*;
use mqtt_proto::{ProtocolVersion, QoS, ReasonCode};
use mqtt_testing::Broker;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[test]
fn qos_0_1_2_both_directions() {
    let broker = Broker::start();
    for version in VERSIONS {
        for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
            let (sub, rx) = subscriber(&broker, "sub", version, "t/#", qos);
            let publisher = connected(&broker, "pub", version);
            let handle = publisher
                .publish("t/x", format!("hello {qos}"), qos, false)
                .unwrap();
            let outcome = handle.wait_for_publish(Some(WAIT)).expect("completed");
            assert!(outcome.is_delivered(), "{outcome:?}");
            let m = rx.recv_timeout(WAIT).expect("message");
            assert_eq!(
                (m.topic(), m.payload_str(), m.qos()),
                ("t/x", Some(&*format!("hello {qos}")), qos)
            );
            // The subscriber publishes back: both directions at this QoS.
            let back = sub.publish("t/back", "pong", qos, false).unwrap();
            assert!(back.wait_for_publish(Some(WAIT)).unwrap().is_delivered());
            assert_eq!(rx.recv_timeout(WAIT).unwrap().topic(), "t/back");
            if qos != QoS::AtMostOnce {
                assert!(handle.packet_id().is_some(), "{version} {qos}");
            }
            stop(&publisher);
            stop(&sub);
        }
    }
}

#[test]
fn retained_message_reaches_a_later_subscriber() {
    let broker = Broker::start();
    for version in VERSIONS {
        let publisher = connected(&broker, "retainer", version);
        let topic = format!("retained/{version}");
        publisher
            .publish(&topic, "kept", QoS::AtLeastOnce, true)
            .unwrap()
            .wait_for_publish(Some(WAIT))
            .unwrap();
        stop(&publisher);
        let (sub, rx) = subscriber(&broker, "late", version, &topic, QoS::AtLeastOnce);
        let m = rx.recv_timeout(WAIT).expect("retained message");
        assert!(m.retain());
        assert_eq!(m.payload(), b"kept");
        stop(&sub);
    }
}

#[test]
fn per_filter_callbacks_and_on_message_fallback() {
    let broker = Broker::start();
    let client = Client::new(options(&broker, "router", ProtocolVersion::V5)).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    for (filter, name) in [("a/+", "plus"), ("a/#", "hash")] {
        let seen = seen.clone();
        client
            .message_callback_add(filter, move |_, m| {
                seen.lock().unwrap().push(format!("{name}:{}", m.topic()))
            })
            .unwrap();
    }
    let fallback = seen.clone();
    client.on_message(move |_, m| {
        fallback
            .lock()
            .unwrap()
            .push(format!("other:{}", m.topic()))
    });
    client.connect().unwrap();
    client.loop_start().unwrap();
    client.subscribe("#", QoS::AtLeastOnce).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    for t in ["a/b", "a/b/c", "z"] {
        client
            .publish(t, "x", QoS::AtLeastOnce, false)
            .unwrap()
            .wait_for_publish(Some(WAIT));
    }
    let deadline = std::time::Instant::now() + WAIT;
    while seen.lock().unwrap().len() < 4 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut got = seen.lock().unwrap().clone();
    got.sort();
    assert_eq!(got, ["hash:a/b", "hash:a/b/c", "other:z", "plus:a/b"]);
    assert!(client.message_callback_remove("a/+").unwrap());
    assert!(!client.message_callback_remove("a/+").unwrap());
    stop(&client);
}

#[test]
fn on_publish_reports_each_message_once() {
    let broker = Broker::start();
    let client = Client::new(options(&broker, "counter", ProtocolVersion::V5)).unwrap();
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let o = outcomes.clone();
    client.on_publish(move |_, id, outcome| o.lock().unwrap().push((id, outcome.clone())));
    client.connect().unwrap();
    client.loop_start().unwrap();
    let handles: Vec<_> = (0..300)
        .map(|i| {
            let qos = QoS::from_u8((i % 3) as u8).unwrap();
            client.publish("count", vec![i as u8], qos, false).unwrap()
        })
        .collect();
    for h in &handles {
        assert!(h.wait_for_publish(Some(WAIT)).unwrap().is_delivered());
    }
    stop(&client);
    let outcomes = outcomes.lock().unwrap();
    assert_eq!(outcomes.len(), 300);
    let mut ids: Vec<_> = outcomes.iter().map(|(id, _)| *id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 300);
    assert!(outcomes.iter().all(|(_, o)| matches!(
        o,
        PublishOutcome::Delivered {
            reason: ReasonCode::Success | ReasonCode::NoMatchingSubscribers,
            ..
        }
    )));
}
