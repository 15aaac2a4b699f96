//! Will, credentials, persistent sessions, and a broker crash with
//! thousands of messages in flight, against a real Mosquitto.

mod common;
use adapter_std::{Client, Disconnection, Error, Will};
use common::*;
use mqtt_proto::{ProtocolVersion, QoS, ReasonCode};
use mqtt_testing::{Broker, NumberedMessages};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The will travels in CONNECT and Mosquitto publishes it when the
/// connection dies without DISCONNECT [MQTT-3.1.2-9, 3.1.1, 5.0]
/// [MQTT-3.1.2-8, 3.1.1].
#[test]
fn will_is_published_when_the_socket_dies_without_disconnect() {
    let broker = Broker::start();
    for version in VERSIONS {
        let (watcher, rx) = subscriber(&broker, "watcher", version, "status/#", QoS::AtLeastOnce);
        let doomed = Client::new(
            options(&broker, "doomed", version)
                .keep_alive(Duration::from_secs(1))
                .will(Will::new("status/doomed", "gone").qos(QoS::AtLeastOnce)),
        )
        .unwrap();
        doomed.connect().unwrap();
        // Drop the client without DISCONNECT: its socket closes abruptly.
        drop(doomed);
        let m = rx.recv_timeout(WAIT).expect("will message");
        assert_eq!((m.topic(), m.payload()), ("status/doomed", &b"gone"[..]));
        stop(&watcher);
    }
}

/// A DISCONNECT with reason 0x00 makes the broker drop the will
/// [MQTT-3.1.2-10, 5.0].
#[test]
fn will_is_not_published_after_a_normal_disconnect() {
    let broker = Broker::start();
    let (watcher, rx) = subscriber(
        &broker,
        "w",
        ProtocolVersion::V5,
        "status/#",
        QoS::AtLeastOnce,
    );
    let client = Client::new(
        options(&broker, "polite", ProtocolVersion::V5).will(Will::new("status/polite", "gone")),
    )
    .unwrap();
    client.connect().unwrap();
    client.disconnect().unwrap();
    assert!(rx.recv_timeout(Duration::from_millis(500)).is_err());
    stop(&watcher);
}

/// User name and password reach the broker when set [MQTT-3.1.2-19, 3.1.1]
/// [MQTT-3.1.2-21, 3.1.1] [MQTT-3.1.2-17, 5.0] [MQTT-3.1.2-19, 5.0].
#[test]
fn username_and_password_accepted_and_refused() {
    let broker = Broker::config().user("alice", "secret").start();
    for version in VERSIONS {
        let good =
            Client::new(options(&broker, "good", version).credentials("alice", "secret")).unwrap();
        assert!(good.connect().is_ok());
        good.disconnect().unwrap();
        let bad =
            Client::new(options(&broker, "bad", version).credentials("alice", "wrong")).unwrap();
        let refusals = Arc::new(Mutex::new(Vec::new()));
        let r = refusals.clone();
        bad.on_disconnect(move |_, why| r.lock().unwrap().push(why.clone()));
        match bad.connect() {
            Err(Error::Refused { reason, .. }) => assert!(
                matches!(
                    reason,
                    ReasonCode::BadUserNameOrPassword | ReasonCode::NotAuthorized
                ),
                "{version}: {reason}"
            ),
            other => panic!("{version}: expected a refusal, got {other:?}"),
        }
        assert!(matches!(
            refusals.lock().unwrap()[0],
            Disconnection::Refused { .. }
        ));
    }
}

/// With clean session 0 (5.0: Clean Start 0 and a Session Expiry
/// Interval) the session outlives the connection and the client id finds it
/// again [MQTT-3.1.2-4, 3.1.1] [MQTT-3.1.2-23, 5.0] [MQTT-3.1.3-2, 3.1.1, 5.0].
#[test]
fn persistent_session_receives_what_was_queued_while_away() {
    let broker = Broker::start();
    for version in VERSIONS {
        let id = format!("durable-{version}");
        let props = mqtt_proto::ConnectProperties {
            session_expiry_interval: Some(300),
            ..Default::default()
        };
        // A new Client, as a restarted program would make, with no store:
        // it takes the broker's session over.
        let opts = options(&broker, &id, version)
            .clean_start(false)
            .unknown_session(mqtt_session::UnknownSessionPolicy::Adopt)
            .connect_properties(if version.is_v5() {
                props
            } else {
                Default::default()
            });
        let (sub, _rx) = subscriber_with(opts.clone(), "durable/#", QoS::AtLeastOnce);
        stop(&sub);
        let publisher = connected(&broker, "p", version);
        for i in 0..10 {
            publisher
                .publish("durable/x", vec![i], QoS::AtLeastOnce, false)
                .unwrap()
                .wait_for_publish(Some(WAIT));
        }
        stop(&publisher);
        let client = Client::new(opts).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        client.on_message(move |_, m| {
            let _ = tx.send(m.payload().to_vec());
        });
        let info = client.connect().unwrap();
        assert!(info.session_present, "{version}");
        client.loop_start().unwrap();
        let got: Vec<_> = (0..10)
            .map(|_| rx.recv_timeout(WAIT).expect("queued message")[0])
            .collect();
        assert_eq!(got, (0..10).collect::<Vec<u8>>());
        stop(&client);
    }
}

/// The broker is killed (SIGKILL) and restarted while 1,000 QoS 1 and 1,000
/// QoS 2 messages are in flight; the publisher reconnects by itself, resends
/// what was unacknowledged with its packet ids [MQTT-4.4.0-1, 3.1.1, 5.0], and
/// the subscriber ends with every message, QoS 2 exactly once.
///
/// Mosquitto saves its state after it acknowledges, so a SIGKILL landing
/// between the two loses a message the broker already took: no client can
/// repair that. The broker is therefore frozen (SIGSTOP) before the batch,
/// once it has saved all earlier traffic (`Broker::wait_saved`): all 2,000
/// messages are unacknowledged, some sent and some queued, when the kill
/// lands.
#[test]
fn broker_crash_with_thousands_in_flight_loses_nothing() {
    let mut broker = Broker::config()
        .persistence()
        .line("autosave_on_changes true")
        .start();
    for version in VERSIONS {
        let props = mqtt_proto::ConnectProperties {
            session_expiry_interval: Some(600),
            ..Default::default()
        };
        let props = if version.is_v5() {
            props
        } else {
            Default::default()
        };
        let received = NumberedMessages::new();
        let sub = Client::new(
            options(&broker, &format!("crash-sub-{version}"), version)
                .clean_start(false)
                .connect_properties(props.clone()),
        )
        .unwrap();
        let r = received.clone();
        sub.on_message(move |_, m| r.arrived(m.payload()));
        sub.on_connect(|c, _| {
            c.subscribe("crash/#", QoS::ExactlyOnce).unwrap();
        });
        sub.connect_async();
        sub.loop_start().unwrap();
        let publisher = Client::new(
            options(&broker, &format!("crash-pub-{version}"), version)
                .clean_start(false)
                .connect_properties(props)
                .max_inflight(if version.is_v5() { 100 } else { 20 }),
        )
        .unwrap();
        publisher.connect().unwrap();
        publisher.loop_start().unwrap();
        wait_until(|| sub.is_connected());
        std::thread::sleep(Duration::from_millis(500)); // SUBACK, and the session saved

        let publish = |range: std::ops::Range<u32>| -> Vec<_> {
            range
                .map(|n| {
                    let (payload, qos) = (NumberedMessages::payload(n), NumberedMessages::qos(n));
                    publisher.publish("crash/m", payload, qos, false).unwrap()
                })
                .collect()
        };
        // Traffic before the crash, fully acknowledged.
        for h in publish(0..200) {
            assert!(h.wait_for_publish(Some(WAIT)).unwrap().is_delivered());
        }
        received.wait_for(200, WAIT);
        received.assert_complete(200, &format!("{version} before the crash"));
        wait_saved(&broker, &sub, "crash-sync");

        broker.pause();
        let in_flight = publish(200..2200);
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            in_flight.iter().all(|h| !h.is_published()),
            "acknowledged while frozen"
        );
        broker.kill();
        broker.restart();

        for h in &in_flight {
            let outcome = h
                .wait_for_publish(Some(Duration::from_secs(60)))
                .expect("message completed");
            assert!(outcome.is_delivered(), "{version}: {outcome:?}");
        }
        received.wait_for(2200, Duration::from_secs(60));
        received.assert_complete(2200, &version.to_string());
        stop(&publisher);
        stop(&sub);
    }
}

#[test]
fn v311_qos2_with_many_outstanding_loses_nothing() {
    let broker = Broker::start();
    let (sub, rx) = subscriber(
        &broker,
        "q2sub",
        ProtocolVersion::V3_1_1,
        "q2/#",
        QoS::ExactlyOnce,
    );
    let publisher = connected(&broker, "q2pub", ProtocolVersion::V3_1_1);
    let handles: Vec<_> = (0..500u32)
        .map(|i| {
            publisher
                .publish("q2/x", i.to_be_bytes().to_vec(), QoS::ExactlyOnce, false)
                .unwrap()
        })
        .collect();
    for h in &handles {
        assert!(h.wait_for_publish(Some(WAIT)).unwrap().is_delivered());
    }
    let mut got: Vec<u32> = (0..500)
        .map(|_| {
            u32::from_be_bytes(
                rx.recv_timeout(WAIT).expect("message").payload()[..4]
                    .try_into()
                    .unwrap(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, (0..500).collect::<Vec<_>>());
    assert!(
        rx.recv_timeout(Duration::from_millis(200)).is_err(),
        "duplicate delivery"
    );
    stop(&publisher);
    stop(&sub);
}

fn wait_until(f: impl Fn() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !f() {
        assert!(Instant::now() < deadline, "condition not reached");
        std::thread::sleep(Duration::from_millis(10));
    }
}
