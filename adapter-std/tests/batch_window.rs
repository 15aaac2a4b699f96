//! The batch window (`ClientOptions::batch_window`): a network thread lets
//! input gather before it reads again only while the broker streams. A
//! request and its answers never wait for it, and a stream arrives whole
//! with it or without it. Against Mosquitto; the bounds are liveness
//! checks made generous by an exaggerated window, not speed goals.

mod common;
use adapter_std::{Client, MessageHandle};
use common::*;
use mqtt_proto::{ProtocolVersion, QoS};
use mqtt_testing::{three_answer_broker, Broker};
use std::collections::{BTreeSet, VecDeque};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// Two seconds: a round trip that waited for it would take that long.
const LONG_WINDOW: Duration = Duration::from_secs(2);

#[test]
fn a_request_and_its_answers_never_wait_for_the_batch_window() {
    let broker = Broker::start();
    for (version, qos) in [
        (ProtocolVersion::V3_1_1, QoS::AtLeastOnce),
        (ProtocolVersion::V5, QoS::ExactlyOnce),
    ] {
        let client = Client::new(
            options(&broker, &format!("window-rtt-{version}"), version).batch_window(LONG_WINDOW),
        )
        .unwrap();
        let (tx, rx) = mpsc::channel();
        client.on_message(move |_, m| {
            let _ = tx.send(m.payload().to_vec());
        });
        client.connect().unwrap();
        client.loop_start().unwrap();
        client.subscribe("window/rtt", qos).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        // Ten round trips to the broker and back through the client's own
        // subscription (the answers come together: PUBACK or PUBREC /
        // PUBCOMP with the message itself): waiting for the window each
        // time would take 20 s at least.
        let started = Instant::now();
        for i in 0..10u8 {
            let handle = client.publish("window/rtt", vec![i], qos, false).unwrap();
            assert!(
                handle.wait_for_publish(Some(WAIT)).is_some(),
                "{version}: no acknowledgement"
            );
            assert_eq!(rx.recv_timeout(WAIT).unwrap(), vec![i], "{version}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{version}: ten round trips took {:?}: they waited for the batch window",
            started.elapsed()
        );
        client.disconnect().unwrap();
        client.loop_stop().unwrap();
    }
}

/// Publishes `count` messages with up to 500 in flight (streaming) and
/// returns what a subscriber with the same window received.
fn stream(broker: &Broker, window: Duration, count: u32) -> BTreeSet<u32> {
    let tag = window.as_micros();
    let received = Arc::new(Mutex::new(BTreeSet::new()));
    let subscriber = Client::new(
        options(
            broker,
            &format!("window-sub-{tag}"),
            ProtocolVersion::V3_1_1,
        )
        .batch_window(window),
    )
    .unwrap();
    let r = received.clone();
    subscriber.on_message(move |_, m| {
        let n = u32::from_be_bytes(m.payload()[..4].try_into().unwrap());
        r.lock().unwrap().insert(n);
    });
    subscriber.connect().unwrap();
    subscriber.loop_start().unwrap();
    let topic = format!("window/stream/{tag}");
    subscriber
        .subscribe(topic.as_str(), QoS::AtLeastOnce)
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));

    let publisher = Client::new(
        options(
            broker,
            &format!("window-pub-{tag}"),
            ProtocolVersion::V3_1_1,
        )
        .max_inflight(500)
        .batch_window(window),
    )
    .unwrap();
    publisher.connect().unwrap();
    publisher.loop_start().unwrap();
    let mut handles: VecDeque<MessageHandle> = VecDeque::new();
    for n in 0..count {
        let payload = n.to_be_bytes().to_vec();
        handles.push_back(
            publisher
                .publish(topic.as_str(), payload, QoS::AtLeastOnce, false)
                .unwrap(),
        );
        if handles.len() >= 500 {
            let oldest = handles.pop_front().unwrap();
            assert!(oldest.wait_for_publish(Some(WAIT)).is_some(), "no PUBACK");
        }
    }
    for h in handles {
        assert!(h.wait_for_publish(Some(WAIT)).is_some(), "no PUBACK");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while received.lock().unwrap().len() < count as usize && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    publisher.disconnect().unwrap();
    publisher.loop_stop().unwrap();
    subscriber.disconnect().unwrap();
    subscriber.loop_stop().unwrap();
    let got = received.lock().unwrap().clone();
    got
}

#[test]
fn a_stream_arrives_whole_with_the_batch_window_and_without_it() {
    let broker = Broker::start();
    let count = 5_000;
    for window in [
        Duration::ZERO,
        adapter_std::ClientOptions::DEFAULT_BATCH_WINDOW,
        Duration::from_millis(20),
    ] {
        let got = stream(&broker, window, count);
        assert_eq!(
            got.len(),
            count as usize,
            "window {window:?}: messages missing"
        );
        assert_eq!(got.last(), Some(&(count - 1)), "window {window:?}");
    }
}

/// A broker answering each QoS 1 PUBLISH with three packets in one write
/// (its PUBACK, then a QoS 1 and a QoS 0 PUBLISH to the client): more than
/// one packet per read, yet a request and its answers, which must not
/// count as a stream.
#[test]
fn three_answers_in_one_read_are_not_a_stream() {
    let (port, broker) = three_answer_broker(10);
    let client = Client::new(
        adapter_std::ClientOptions::new("127.0.0.1", port)
            .client_id("window-three")
            .batch_window(LONG_WINDOW),
    )
    .unwrap();
    let (tx, rx) = mpsc::channel();
    client.on_message(move |_, m| {
        let _ = tx.send(m.payload().to_vec());
    });
    client.connect().unwrap();
    client.loop_start().unwrap();
    let started = Instant::now();
    for _ in 0..10 {
        let handle = client.publish("t", "x", QoS::AtLeastOnce, false).unwrap();
        assert!(handle.wait_for_publish(Some(WAIT)).is_some(), "no PUBACK");
        assert_eq!(rx.recv_timeout(WAIT).unwrap(), b"1");
        assert_eq!(rx.recv_timeout(WAIT).unwrap(), b"0");
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "ten round trips took {:?}: they waited for the batch window",
        started.elapsed()
    );
    client.disconnect().unwrap();
    client.loop_stop().unwrap();
    broker.join().unwrap();
}
