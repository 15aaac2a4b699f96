//! The event-loop client with a session store, against Mosquitto, on a
//! [`Driver`]: a client dropped without DISCONNECT (a crash) while its
//! messages are not acknowledged, then a new client on the same store,
//! delivers each of them (QoS 2 exactly once, QoS 1 at least once); and
//! publishes made between two `run_once` calls share one sync of the
//! store (group commit).
//!
//! `FileStore::syncs_made` counts for the whole process: only the
//! group-commit test uses a file store here, the others a memory store.

use adapter_mio::{ClientId, Driver, MqttClient};
use mqtt_client::store::{FileStore, MemoryStore};
use mqtt_client::{ClientOptions, MessageHandle};
use mqtt_proto::{ConnectProperties, ProtocolVersion, QoS};
use mqtt_testing::{closed_port, Broker, TempDir};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const VERSIONS: [ProtocolVersion; 2] = [ProtocolVersion::V3_1_1, ProtocolVersion::V5];
const LIMIT: Duration = Duration::from_secs(30);
const MESSAGES: usize = 10;

/// A client keeping its session: fixed id, clean session off (5.0: a
/// session that outlives the connection).
fn durable(port: u16, id: &str, version: ProtocolVersion) -> ClientOptions {
    let mut options = ClientOptions::new("127.0.0.1", port)
        .client_id(id)
        .protocol(version)
        .clean_start(false)
        .reconnect_delay(Duration::from_millis(50), Duration::from_millis(500));
    if version.is_v5() {
        options = options.connect_properties(ConnectProperties {
            session_expiry_interval: Some(3600),
            ..Default::default()
        });
    }
    options
}

/// A subscriber to `filter` (QoS 2) in `driver`; the payloads it gets.
fn subscriber(
    driver: &mut Driver,
    broker: &Broker,
    id: &str,
    version: ProtocolVersion,
    filter: &'static str,
) -> Arc<Mutex<Vec<String>>> {
    let client = MqttClient::new(
        ClientOptions::new("127.0.0.1", broker.port())
            .client_id(id)
            .protocol(version),
    )
    .unwrap();
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let g = got.clone();
    client.on_message(move |_, m| g.lock().unwrap().push(m.payload_str().unwrap().into()));
    let subscribed = Arc::new(Mutex::new(false));
    let s = subscribed.clone();
    client.on_subscribe(move |_, _, _, _| *s.lock().unwrap() = true);
    client.on_connect(move |c, _| {
        c.subscribe(filter, QoS::ExactlyOnce).unwrap();
    });
    client.connect().unwrap();
    driver.add(client);
    assert!(driver
        .run_until(LIMIT, |_| *subscribed.lock().unwrap())
        .unwrap());
    got
}

/// Adds `client` to `driver`, connecting it, and runs until it is.
fn add_connected(driver: &mut Driver, client: MqttClient) -> ClientId {
    client.connect().unwrap();
    let id = driver.add(client);
    assert!(
        driver
            .run_until(LIMIT, |d| d.client(id).unwrap().is_connected())
            .unwrap(),
        "no connection"
    );
    id
}

/// Publishes `marker` (QoS 1) on `topic` through client `id` and runs
/// until `got` has it; the payloads before it. A broker forwards one
/// connection's messages in order, so all `id` delivered before are there.
fn until_marker(
    driver: &mut Driver,
    id: ClientId,
    got: &Arc<Mutex<Vec<String>>>,
    topic: &str,
    marker: &str,
) -> Vec<String> {
    driver
        .client(id)
        .unwrap()
        .publish(topic, marker.to_string(), QoS::AtLeastOnce, false)
        .unwrap();
    assert!(
        driver
            .run_until(LIMIT, |_| got.lock().unwrap().iter().any(|p| p == marker))
            .unwrap(),
        "marker {marker} never arrived: {:?}",
        got.lock().unwrap()
    );
    let mut got = std::mem::take(&mut *got.lock().unwrap());
    let at = got.iter().position(|p| p == marker).unwrap();
    got.truncate(at);
    got
}

/// Publishes MESSAGES QoS 1 and MESSAGES QoS 2 messages through client
/// `id`, which the broker does not acknowledge (paused or unreachable),
/// runs the driver so they are written, and drops the client without
/// DISCONNECT. Its handles must not say delivered.
fn publish_and_crash(driver: &mut Driver, id: ClientId, tag: &str) {
    let mut handles: Vec<MessageHandle> = Vec::new();
    for i in 0..MESSAGES {
        for (qos, name) in [(QoS::AtLeastOnce, "q1"), (QoS::ExactlyOnce, "q2")] {
            let client = driver.client(id).unwrap();
            handles.push(
                client
                    .publish("mio/crash", format!("{tag}-{name}-{i}"), qos, false)
                    .unwrap_or_else(|e| panic!("{tag}: publish: {e}")),
            );
        }
    }
    // Written (if there is a connection), not acknowledged.
    for _ in 0..3 {
        driver.run_once(Some(Duration::from_millis(20))).unwrap();
    }
    let client = driver.remove(id).unwrap();
    assert!(!client.want_write(), "{tag}: everything was written");
    drop(client);
    assert!(handles.iter().all(|h| !h.is_published()), "{tag}");
}

fn assert_delivered(tag: &str, got: &[String]) {
    let mut counts = BTreeMap::new();
    for p in got {
        *counts.entry(p.as_str()).or_insert(0) += 1;
    }
    for i in 0..MESSAGES {
        let q1 = format!("{tag}-q1-{i}");
        let q2 = format!("{tag}-q2-{i}");
        assert!(
            counts.get(q1.as_str()).is_some_and(|&n| n >= 1),
            "{q1} lost: {counts:?}"
        );
        assert_eq!(counts.get(q2.as_str()), Some(&1), "{q2}: {counts:?}");
    }
    assert_eq!(counts.len(), 2 * MESSAGES, "{tag}: {counts:?}");
}

/// Runs until the client's session is idle and its store holds nothing.
fn finish(driver: &mut Driver, id: ClientId, store: &MemoryStore, client_id: &str) {
    assert!(
        driver
            .run_until(LIMIT, |d| d
                .client(id)
                .unwrap()
                .session_snapshot()
                .is_idle()
                && store.get(client_id).is_some_and(|s| s.outbound.is_empty()))
            .unwrap(),
        "{client_id}: the resumed messages never completed"
    );
}

#[test]
fn a_new_client_on_the_same_store_in_a_driver_delivers_what_a_crashed_one_accepted() {
    let mut broker = Broker::start();
    for version in VERSIONS {
        let mut driver = Driver::new().unwrap();
        let got = subscriber(
            &mut driver,
            &broker,
            &format!("mio-crash-sub-{version}"),
            version,
            "mio/crash",
        );
        let store = MemoryStore::new();
        let id = format!("mio-crash-pub-{version}");
        let options = durable(broker.port(), &id, version).session_store(store.clone());
        let stored = || store.get(&id).map_or(0, |s| s.outbound.len());

        // 1. The broker cannot be reached: the messages are only queued.
        let tag = format!("unreachable-{version}");
        let first =
            MqttClient::new(durable(closed_port(), &id, version).session_store(store.clone()))
                .unwrap();
        // The connection fails (at once, or once the loop sees it).
        let _ = first.connect();
        let first = driver.add(first);
        publish_and_crash(&mut driver, first, &tag);
        assert_eq!(stored(), 2 * MESSAGES, "{tag}");
        let second = add_connected(&mut driver, MqttClient::new(options.clone()).unwrap());
        finish(&mut driver, second, &store, &id);
        assert_delivered(
            &tag,
            &until_marker(&mut driver, second, &got, "mio/crash", &tag),
        );
        // The marker's PUBACK too, so that the next client resends nothing.
        finish(&mut driver, second, &store, &id);
        drop(driver.remove(second));

        // 2. Connected, the broker frozen: everything is sent, nothing
        //    acknowledged, when the client dies.
        let tag = format!("paused-{version}");
        let first = add_connected(&mut driver, MqttClient::new(options.clone()).unwrap());
        broker.pause();
        publish_and_crash(&mut driver, first, &tag);
        assert_eq!(stored(), 2 * MESSAGES, "{tag}");
        broker.resume();
        let second = add_connected(&mut driver, MqttClient::new(options.clone()).unwrap());
        finish(&mut driver, second, &store, &id);
        assert_delivered(
            &tag,
            &until_marker(&mut driver, second, &got, "mio/crash", &tag),
        );
        driver.client(second).unwrap().disconnect().unwrap();
        driver.run_once(Some(Duration::ZERO)).unwrap();
    }
}

/// Group commit: 200 publishes made between two `run_once` calls are
/// written in the next one after one sync of the file store, and the
/// whole exchange takes far fewer syncs than messages.
#[test]
fn a_burst_of_publishes_between_two_run_once_calls_shares_one_sync() {
    let mut broker = Broker::start();
    let dir = TempDir::new("burst");
    let mut driver = Driver::new().unwrap();
    let got = subscriber(
        &mut driver,
        &broker,
        "mio-burst-sub",
        ProtocolVersion::V5,
        "mio/burst",
    );
    let client = MqttClient::new(
        durable(broker.port(), "mio-burst-pub", ProtocolVersion::V5).session_dir(&dir.0),
    )
    .unwrap();
    let id = add_connected(&mut driver, client);
    // Frozen, the broker acknowledges nothing: the first round's syncs
    // are the burst's alone.
    broker.pause();
    const BURST: usize = 200;
    let before = FileStore::syncs_made();
    let handles: Vec<MessageHandle> = (0..BURST)
        .map(|i| {
            let qos = if i % 2 == 0 {
                QoS::AtLeastOnce
            } else {
                QoS::ExactlyOnce
            };
            driver
                .client(id)
                .unwrap()
                .publish("mio/burst", format!("{i}"), qos, false)
                .unwrap()
        })
        .collect();
    // Accepted and appended, not synced: nothing was written yet.
    assert_eq!(FileStore::syncs_made(), before, "a sync per publish");
    assert!(driver.client(id).unwrap().want_write());
    driver.run_once(Some(Duration::ZERO)).unwrap();
    assert!(
        !driver.client(id).unwrap().want_write(),
        "the burst was written"
    );
    let first_round = FileStore::syncs_made() - before;
    assert_eq!(
        first_round, 1,
        "the burst took {first_round} syncs to leave"
    );
    broker.resume();
    assert!(
        driver
            .run_until(LIMIT, |_| handles.iter().all(|h| h.is_published()))
            .unwrap(),
        "the burst was not delivered"
    );
    let total = FileStore::syncs_made() - before;
    eprintln!("{BURST} publishes: {first_round} sync(s) to send them, {total} in all");
    assert!(
        total < (BURST / 2) as u64,
        "{total} syncs for {BURST} messages: no group commit"
    );
    assert!(handles
        .iter()
        .all(|h| h.outcome().is_some_and(|o| o.is_delivered())));
    let received = until_marker(&mut driver, id, &got, "mio/burst", "end");
    assert_eq!(received.len(), BURST, "each once");
    driver.client(id).unwrap().disconnect().unwrap();
    driver.run_once(Some(Duration::ZERO)).unwrap();
}

/// A durable client run by the application's own loop, not a `Driver`:
/// a publish is written by the call itself, as without a store, since
/// that loop may not call `loop_write` until the socket's next event.
#[test]
fn a_durable_client_in_the_applications_own_loop_writes_a_publish_at_once() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    let broker = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut head = [0u8; 2];
        s.read_exact(&mut head).unwrap();
        let mut connect = vec![0u8; head[1] as usize];
        s.read_exact(&mut connect).unwrap();
        s.write_all(&[0x20, 0x02, 0x00, 0x00]).unwrap();
        // The PUBLISH: fixed header, topic "t", packet id 1, payload "x".
        let mut publish = [0u8; 8];
        s.read_exact(&mut publish).unwrap();
        tx.send(publish).unwrap();
        // Held open until the client is done.
        let _ = s.read(&mut [0u8; 64]);
    });
    let options = ClientOptions::new("127.0.0.1", port)
        .client_id("mio-own-loop")
        .clean_start(false)
        .keep_alive(Duration::ZERO)
        .session_store(MemoryStore::new());
    let client = MqttClient::new(options).unwrap();
    client.connect().unwrap();
    let deadline = std::time::Instant::now() + LIMIT;
    while !client.is_connected() {
        assert!(std::time::Instant::now() < deadline, "no CONNACK");
        let _ = client.loop_read();
        let _ = client.loop_write();
        client.loop_misc().unwrap();
        std::thread::sleep(Duration::from_millis(1));
    }
    // No loop call from here on: the publish call writes.
    client.publish("t", "x", QoS::AtLeastOnce, false).unwrap();
    let publish = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the PUBLISH written by the publish call");
    assert_eq!(publish, [0x32, 6, 0, 1, b't', 0, 1, b'x']);
    drop(client);
    broker.join().unwrap();
}
