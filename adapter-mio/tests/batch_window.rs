//! The driver's batch window (`Driver::set_batch_window`): a round lets
//! input gather before it polls only while a broker streams. A request
//! and its answers never wait for it; a stream arrives whole with it and
//! without it. The bounds are liveness checks made generous by an
//! exaggerated window, not speed goals.

use adapter_mio::{Driver, MqttClient};
use mqtt_client::{ClientOptions, MessageHandle};
use mqtt_proto::QoS;
use mqtt_testing::{three_answer_broker, Broker};
use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Runs rounds (each may wait up to 5 s) until `done`, at most `limit`.
fn rounds(driver: &mut Driver, limit: Duration, mut done: impl FnMut(&Driver) -> bool) {
    let deadline = Instant::now() + limit;
    while !done(driver) {
        assert!(Instant::now() < deadline, "timed out");
        driver.run_once(Some(Duration::from_secs(5))).unwrap();
    }
}

/// A broker answering each QoS 1 PUBLISH with three packets in one write
/// (its PUBACK, then a QoS 1 and a QoS 0 PUBLISH): several packets per
/// read, yet a request and its answers, not a stream.
#[test]
fn three_answers_in_one_read_are_not_a_stream() {
    let (port, broker) = three_answer_broker(10);
    let mut driver = Driver::new().unwrap();
    driver.set_batch_window(Duration::from_secs(2));
    let client =
        MqttClient::new(ClientOptions::new("127.0.0.1", port).client_id("driver-three")).unwrap();
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    client.on_message(move |_, m| g.lock().unwrap().push(m.payload().to_vec()));
    client.connect().unwrap();
    let id = driver.add(client);
    rounds(&mut driver, Duration::from_secs(10), |d| {
        d.client(id).unwrap().is_connected()
    });
    let started = Instant::now();
    for i in 1..=10 {
        let handle = driver
            .client(id)
            .unwrap()
            .publish("t", "x", QoS::AtLeastOnce, false)
            .unwrap();
        rounds(&mut driver, Duration::from_secs(30), |_| {
            handle.is_published() && got.lock().unwrap().len() == 2 * i
        });
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "ten round trips took {:?}: they waited for the batch window",
        started.elapsed()
    );
    driver.client(id).unwrap().disconnect().unwrap();
    rounds(&mut driver, Duration::from_secs(10), |d| {
        d.client(id).unwrap().socket().is_none()
    });
    broker.join().unwrap();
}

#[test]
fn a_stream_arrives_whole_with_the_batch_window_and_without_it() {
    let broker = Broker::start();
    let count: u32 = 5_000;
    for window in [
        Duration::ZERO,
        ClientOptions::DEFAULT_BATCH_WINDOW,
        Duration::from_millis(20),
    ] {
        let tag = window.as_micros();
        let mut driver = Driver::new().unwrap();
        driver.set_batch_window(window);
        let options = |id: &str| {
            ClientOptions::new("127.0.0.1", broker.port())
                .client_id(format!("driver-{id}-{tag}"))
                .max_inflight(500)
        };
        let received = Arc::new(Mutex::new(BTreeSet::new()));
        let subscriber = MqttClient::new(options("sub")).unwrap();
        let r = received.clone();
        subscriber.on_message(move |_, m| {
            let n = u32::from_be_bytes(m.payload()[..4].try_into().unwrap());
            r.lock().unwrap().insert(n);
        });
        subscriber.connect().unwrap();
        let sub = driver.add(subscriber);
        let publisher = MqttClient::new(options("pub")).unwrap();
        publisher.connect().unwrap();
        let publ = driver.add(publisher);
        rounds(&mut driver, Duration::from_secs(10), |d| {
            d.client(sub).unwrap().is_connected() && d.client(publ).unwrap().is_connected()
        });
        let topic = format!("driver/stream/{tag}");
        let subscribed = Arc::new(Mutex::new(false));
        let s = subscribed.clone();
        driver
            .client(sub)
            .unwrap()
            .on_subscribe(move |_, _, _, _| *s.lock().unwrap() = true);
        driver
            .client(sub)
            .unwrap()
            .subscribe(topic.as_str(), QoS::AtLeastOnce)
            .unwrap();
        rounds(&mut driver, Duration::from_secs(10), |_| {
            *subscribed.lock().unwrap()
        });
        let mut handles: VecDeque<MessageHandle> = VecDeque::new();
        for n in 0..count {
            handles.push_back(
                driver
                    .client(publ)
                    .unwrap()
                    .publish(
                        topic.as_str(),
                        n.to_be_bytes().to_vec(),
                        QoS::AtLeastOnce,
                        false,
                    )
                    .unwrap(),
            );
            if handles.len() >= 500 {
                let oldest = handles.pop_front().unwrap();
                rounds(&mut driver, Duration::from_secs(30), |_| {
                    oldest.is_published()
                });
            }
        }
        rounds(&mut driver, Duration::from_secs(30), |_| {
            received.lock().unwrap().len() == count as usize
        });
        let got = received.lock().unwrap();
        assert_eq!(got.len(), count as usize, "window {window:?}");
        assert_eq!(got.last(), Some(&(count - 1)), "window {window:?}");
    }
}
