//! The blocking client with a session store, against Mosquitto: a client
//! dropped without DISCONNECT (a crash) while its messages are not
//! acknowledged, then a new `Client` on the same store, delivers each of
//! them (QoS 2 exactly once, QoS 1 at least once); a store that fails
//! makes `publish` fail and sends nothing; stores that must be refused
//! are; a durable subscriber in manual-ack mode gets again what it did
//! not acknowledge, and only that; `reinitialise` on a store works.
//!
//! The process-level kill tests are in `durable_kill.rs`; the file
//! store's own cases in `mqtt-client/tests/store.rs`.

mod common;
use adapter_std::store::{FileStore, MemoryStore, SessionStore, StoreError};
use adapter_std::{
    Client, ClientOptions, ConnectProperties, Error, Message, MessageHandle, ProtocolVersion,
    PublishOutcome, QoS,
};
use common::*;
use mqtt_session::{DurableState, StoreOp, WallClock};
use mqtt_testing::{closed_port, Broker, TempDir};
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A client keeping its session: fixed id, clean session off (5.0: a
/// session that outlives the connection), no store yet.
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

/// Publishes `marker` (QoS 1) on `topic` through `client` and returns the
/// payloads `rx` gets up to it. A broker forwards one connection's
/// messages in order, so everything `client` delivered before is among
/// them.
fn received_until_marker(
    client: &Client,
    rx: &Receiver<Message>,
    topic: &str,
    marker: &str,
) -> Vec<String> {
    let outcome = client
        .publish(topic, marker.to_string(), QoS::AtLeastOnce, false)
        .unwrap()
        .wait_for_publish(Some(Duration::from_secs(30)));
    assert!(outcome.is_some_and(|o| o.is_delivered()), "marker {marker}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut got = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let m = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("marker {marker} never arrived; got {got:?}"));
        let payload = m.payload_str().unwrap().to_string();
        if payload == marker {
            return got;
        }
        got.push(payload);
    }
}

fn counts(payloads: &[String]) -> BTreeMap<&str, usize> {
    let mut counts = BTreeMap::new();
    for p in payloads {
        *counts.entry(p.as_str()).or_insert(0) += 1;
    }
    counts
}

/// Waits (a liveness bound only) until `client`'s session is idle.
fn wait_idle(client: &Client, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !client.session_snapshot().is_idle() {
        assert!(
            Instant::now() < deadline,
            "{what}: the session never went idle"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

const MESSAGES: usize = 10;

/// `first` publishes MESSAGES QoS 1 and MESSAGES QoS 2 messages that the
/// broker does not acknowledge (it is paused, or unreachable), and is
/// dropped without DISCONNECT. Its handles must not say delivered.
fn publish_and_crash(first: Client, tag: &str) {
    let mut handles: Vec<MessageHandle> = Vec::new();
    for i in 0..MESSAGES {
        for (qos, name) in [(QoS::AtLeastOnce, "q1"), (QoS::ExactlyOnce, "q2")] {
            let handle = first
                .publish("ss/crash", format!("{tag}-{name}-{i}"), qos, false)
                .unwrap_or_else(|e| panic!("{tag}: publish {name}-{i}: {e}"));
            handles.push(handle);
        }
    }
    assert!(handles.iter().all(|h| !h.is_published()), "{tag}");
    // The crash: the socket closes without DISCONNECT.
    drop(first);
    for h in &handles {
        // Nothing drives a dropped client: its handles stay pending, never
        // falsely delivered (nor failed: the store still has the message).
        assert_eq!(h.wait_for_publish(Some(Duration::from_millis(20))), None);
        assert!(!h.is_published(), "{tag}");
    }
}

/// What the subscriber must have: every QoS 2 message once, every QoS 1
/// message at least once, nothing else.
fn assert_delivered(tag: &str, got: &[String]) {
    let counts = counts(got);
    for i in 0..MESSAGES {
        let q1 = format!("{tag}-q1-{i}");
        let q2 = format!("{tag}-q2-{i}");
        assert!(
            counts.get(q1.as_str()).is_some_and(|&n| n >= 1),
            "{q1} lost: {counts:?}"
        );
        assert_eq!(counts.get(q2.as_str()), Some(&1), "{q2}: {counts:?}");
    }
    assert!(
        counts.keys().all(|p| p.starts_with(&format!("{tag}-"))),
        "{tag}: unexpected messages {counts:?}"
    );
}

/// The whole scenario with the store `with_store` puts in the options:
/// first with the broker unreachable (nothing ever sent), then with the
/// connection up but the broker frozen (everything sent, nothing
/// acknowledged). `stored` counts the outbound messages the store holds.
fn crash_and_resume(
    name: &str,
    with_store: &dyn Fn(ClientOptions) -> ClientOptions,
    stored: &dyn Fn(&str) -> usize,
) {
    let mut broker = Broker::start();
    for version in VERSIONS {
        let (sub, rx) = subscriber(
            &broker,
            &format!("ss-{name}-sub-{version}"),
            version,
            "ss/crash",
            QoS::ExactlyOnce,
        );
        let id = format!("ss-{name}-pub-{version}");
        let options = with_store(durable(broker.port(), &id, version));

        // 1. The broker cannot be reached: the messages are only queued.
        let tag = format!("unreachable-{version}");
        let first = Client::new(with_store(durable(closed_port(), &id, version))).unwrap();
        assert!(first.connect().is_err());
        publish_and_crash(first, &tag);
        assert_eq!(stored(&id), 2 * MESSAGES, "{tag}: stored");
        let second = Client::new(options.clone()).unwrap();
        second.connect().unwrap();
        second.loop_start().unwrap();
        wait_idle(&second, &tag);
        assert_delivered(&tag, &received_until_marker(&second, &rx, "ss/crash", &tag));
        second.loop_stop().unwrap();
        drop(second);
        assert_eq!(stored(&id), 0, "{tag}: the store still holds messages");

        // 2. Connected, the broker frozen: everything is sent, nothing
        //    acknowledged, when the client dies.
        let tag = format!("paused-{version}");
        let first = Client::new(options.clone()).unwrap();
        let info = first.connect().unwrap();
        assert!(info.session_present, "{tag}: the broker kept the session");
        broker.pause();
        publish_and_crash(first, &tag);
        assert_eq!(stored(&id), 2 * MESSAGES, "{tag}: stored");
        broker.resume();
        let second = Client::new(options.clone()).unwrap();
        second.connect().unwrap();
        second.loop_start().unwrap();
        wait_idle(&second, &tag);
        assert_delivered(&tag, &received_until_marker(&second, &rx, "ss/crash", &tag));
        stop(&second);
        drop(second);
        assert_eq!(stored(&id), 0, "{tag}: the store still holds messages");
        stop(&sub);
    }
}

#[test]
fn a_new_client_on_the_same_memory_store_delivers_what_a_crashed_one_accepted() {
    let store = MemoryStore::new();
    let s = store.clone();
    crash_and_resume(
        "memory",
        &move |o: ClientOptions| o.session_store(s.clone()),
        &|id: &str| store.get(id).map_or(0, |state| state.outbound.len()),
    );
}

#[test]
fn a_new_client_on_the_same_session_dir_delivers_what_a_crashed_one_accepted() {
    let dir = TempDir::new("dir");
    let store_dir = dir.0.join("sessions");
    let d = store_dir.clone();
    crash_and_resume(
        "dir",
        &move |o: ClientOptions| o.session_dir(d.clone()),
        &|id: &str| {
            // Read by a store of our own: no client holds it between runs.
            let mut store = FileStore::new(&store_dir).unwrap();
            store.load(id).unwrap().map_or(0, |s| s.outbound.len())
        },
    );
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&store_dir), 0o700);
    for entry in std::fs::read_dir(&store_dir).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
}

// ---------------------------------------------------------------------
// A store that fails.

/// A store (`inner`) whose appends fail while `failing` is set, and whose
/// syncs fail while `failing_sync` is.
struct FailingStore<S> {
    inner: S,
    failing: Arc<AtomicBool>,
    failing_sync: Arc<AtomicBool>,
    appends: Arc<AtomicUsize>,
}

impl<S> FailingStore<S> {
    fn new(inner: S) -> Self {
        Self {
            inner,
            failing: Arc::default(),
            failing_sync: Arc::default(),
            appends: Arc::default(),
        }
    }
}

impl<S: SessionStore> SessionStore for FailingStore<S> {
    fn load(&mut self, client_id: &str) -> Result<Option<DurableState>, StoreError> {
        self.inner.load(client_id)
    }

    fn append(&mut self, ops: &[StoreOp], clock: WallClock) -> Result<(), StoreError> {
        self.appends.fetch_add(1, Ordering::SeqCst);
        if self.failing.load(Ordering::SeqCst) {
            return Err(StoreError::Other("the disk is on fire".into()));
        }
        self.inner.append(ops, clock)
    }

    fn sync(&mut self) -> Result<(), StoreError> {
        if self.failing_sync.load(Ordering::SeqCst) {
            return Err(StoreError::Other("the disk cannot sync".into()));
        }
        self.inner.sync()
    }
}

#[test]
fn a_publish_the_store_cannot_keep_fails_and_sends_nothing() {
    let mut broker = Broker::start();
    for version in VERSIONS {
        let (sub, rx) = subscriber(
            &broker,
            &format!("ss-fail-sub-{version}"),
            version,
            "ss/fail/#",
            QoS::ExactlyOnce,
        );
        let inner = MemoryStore::new();
        let store = FailingStore::new(inner.clone());
        let (failing, appends) = (store.failing.clone(), store.appends.clone());
        let id = format!("ss-fail-pub-{version}");
        let client =
            Client::new(durable(broker.port(), &id, version).session_store(store)).unwrap();
        client.connect().unwrap();
        client.loop_start().unwrap();
        // Accepted before the store fails, and not acknowledged yet.
        broker.pause();
        let mut handles = Vec::new();
        for (i, qos) in [QoS::AtLeastOnce, QoS::ExactlyOnce].into_iter().enumerate() {
            handles.push(
                client
                    .publish("ss/fail/kept", format!("before-{i}"), qos, false)
                    .unwrap(),
            );
        }
        let before = appends.load(Ordering::SeqCst);
        failing.store(true, Ordering::SeqCst);
        for qos in [QoS::AtLeastOnce, QoS::ExactlyOnce] {
            match client.publish("ss/fail/poison", "poison", qos, false) {
                Err(Error::Store(e)) => {
                    assert!(e.to_string().contains("the disk is on fire"), "{e}")
                }
                other => panic!("{version} {qos:?}: expected a store error, got {other:?}"),
            }
        }
        assert!(
            appends.load(Ordering::SeqCst) > before,
            "the store was asked"
        );
        // QoS 0 is not stored: the store's failure does not concern it.
        client
            .publish("ss/fail/kept", "qos0", QoS::AtMostOnce, false)
            .expect("a QoS 0 publish needs no store");
        failing.store(false, Ordering::SeqCst);
        handles.push(
            client
                .publish("ss/fail/kept", "after", QoS::ExactlyOnce, false)
                .unwrap(),
        );
        assert_eq!(
            inner.get(&id).unwrap().outbound.len(),
            3,
            "the store holds the accepted messages, not the refused ones"
        );
        broker.resume();
        for h in &handles {
            let outcome = h.wait_for_publish(Some(Duration::from_secs(30)));
            assert!(
                outcome.is_some_and(|o| o.is_delivered()),
                "{version}: {h:?}"
            );
        }
        let got = received_until_marker(&client, &rx, "ss/fail/marker", &format!("fail-{version}"));
        let got = counts(&got);
        assert_eq!(got.get("before-0").copied(), Some(1), "{got:?}");
        assert_eq!(got.get("before-1").copied(), Some(1), "{got:?}");
        assert_eq!(got.get("after").copied(), Some(1), "{got:?}");
        assert!(!got.contains_key("poison"), "{version}: {got:?}");
        stop(&client);
        stop(&sub);
    }
    // The broker's log names every PUBLISH it received: none of the refused.
    let log = std::fs::read_to_string(broker.log_path()).unwrap();
    assert!(log.contains("ss/fail/kept"), "the log names topics");
    assert!(
        !log.contains("ss/fail/poison"),
        "a refused message reached the broker"
    );
}

/// A sync that fails ends the connection before any byte of what it was
/// to cover leaves; the message stays accepted (its append worked), and
/// once the store syncs again the client reconnects by itself and
/// delivers it, once.
#[test]
fn a_store_that_cannot_sync_ends_the_connection_and_the_client_resumes_once_it_can() {
    let broker = Broker::start();
    for version in VERSIONS {
        let (sub, rx) = subscriber(
            &broker,
            &format!("ss-sync-sub-{version}"),
            version,
            "ss/sync/#",
            QoS::ExactlyOnce,
        );
        let store = FailingStore::new(MemoryStore::new());
        let failing_sync = store.failing_sync.clone();
        let id = format!("ss-sync-pub-{version}");
        let client =
            Client::new(durable(broker.port(), &id, version).session_store(store)).unwrap();
        let lost = disconnects(&client);
        client.connect().unwrap();
        client.loop_start().unwrap();
        failing_sync.store(true, Ordering::SeqCst);
        let handle = client
            .publish("ss/sync/x", "unsynced", QoS::ExactlyOnce, false)
            .expect("appended: accepted");
        lost.recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("{version}: the failed sync did not end the connection"));
        // Reconnections meanwhile fail the same way, sending nothing.
        std::thread::sleep(Duration::from_millis(300));
        assert!(!handle.is_published(), "{version}");
        failing_sync.store(false, Ordering::SeqCst);
        let outcome = handle.wait_for_publish(Some(Duration::from_secs(30)));
        assert!(
            outcome.is_some_and(|o| o.is_delivered()),
            "{version}: not delivered once the store could sync"
        );
        let got = received_until_marker(&client, &rx, "ss/sync/x", &format!("sync-{version}"));
        assert_eq!(got, ["unsynced"], "{version}");
        stop(&client);
        stop(&sub);
    }
}

// ---------------------------------------------------------------------
// Stores that are refused.

fn store_error(result: Result<Client, Error>) -> Arc<StoreError> {
    match result {
        Err(Error::Store(e)) => e,
        Err(other) => panic!("expected a store error, got {other}"),
        Ok(_) => panic!("expected a store error, got a client"),
    }
}

#[test]
fn client_new_refuses_a_store_others_can_write_to_naming_it() {
    let dir = TempDir::new("open");
    let store_dir = dir.0.join("world-writable");
    std::fs::create_dir_all(&store_dir).unwrap();
    std::fs::set_permissions(&store_dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let options = durable(closed_port(), "ss-open", ProtocolVersion::V5).session_dir(&store_dir);
    let e = store_error(Client::new(options));
    assert!(matches!(*e, StoreError::NotPrivate { .. }), "{e}");
    let message = Error::Store(e).to_string();
    assert!(
        message.contains(&store_dir.display().to_string()),
        "the error names the directory: {message}"
    );
    // Nothing was written into it.
    assert_eq!(std::fs::read_dir(&store_dir).unwrap().count(), 0);
}

#[test]
fn client_new_refuses_the_store_of_another_client_id_naming_both() {
    let dir = TempDir::new("other-id");
    let options =
        |id: &str| durable(closed_port(), id, ProtocolVersion::V3_1_1).session_dir(&dir.0);
    drop(Client::new(options("alpha")).unwrap());
    // The session of "alpha", put where "beta"'s would be.
    std::fs::rename(
        dir.0.join("session-alpha.mqss"),
        dir.0.join("session-beta.mqss"),
    )
    .unwrap();
    let e = store_error(Client::new(options("beta")));
    assert!(matches!(*e, StoreError::ClientIdMismatch { .. }), "{e}");
    let message = e.to_string();
    assert!(
        message.contains("\"alpha\"") && message.contains("\"beta\""),
        "{message}"
    );
}

#[test]
fn a_second_client_on_the_same_store_and_id_is_refused() {
    let dir = TempDir::new("in-use");
    let options = durable(closed_port(), "ss-twice", ProtocolVersion::V5).session_dir(&dir.0);
    let first = Client::new(options.clone()).unwrap();
    let e = store_error(Client::new(options.clone()));
    assert!(matches!(*e, StoreError::InUse { .. }), "{e}");
    assert!(e.to_string().contains("session-ss-twice.mqss"), "{e}");
    // Another id in the same directory is another session.
    let other =
        Client::new(durable(closed_port(), "ss-other", ProtocolVersion::V5).session_dir(&dir.0));
    assert!(other.is_ok());
    // Once the first is gone, the store is free.
    drop(first);
    assert!(Client::new(options).is_ok());
}

// ---------------------------------------------------------------------
// A durable subscriber acknowledging by hand.

/// A subscriber on `options` whose messages arrive on the channel (no
/// subscribing: the session has the subscription).
fn resumed_subscriber(options: ClientOptions) -> (Client, Receiver<Message>) {
    let client = Client::new(options).unwrap();
    let (tx, rx) = mpsc::channel();
    client.on_message(move |_, m| {
        let _ = tx.send(m.clone());
    });
    let info = client.connect().unwrap();
    assert!(info.session_present, "the broker kept the session");
    client.loop_start().unwrap();
    (client, rx)
}

/// What `rx` gets up to `marker`, which `publisher` sends on `topic`;
/// every message but the marker is returned, the marker acknowledged if
/// `ack`.
fn until(
    publisher: &Client,
    subscriber: &Client,
    rx: &Receiver<Message>,
    topic: &str,
    marker: &str,
    ack: bool,
) -> Vec<Message> {
    let outcome = publisher
        .publish(topic, marker.to_string(), QoS::ExactlyOnce, false)
        .unwrap()
        .wait_for_publish(Some(WAIT));
    assert!(outcome.is_some_and(|o| o.is_delivered()));
    let mut got = Vec::new();
    loop {
        let m = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("{marker} never arrived; got {got:?}"));
        if m.payload_str() == Some(marker) {
            // (A token only in manual-ack mode.)
            if let Some(token) = m.ack_token().filter(|_| ack) {
                subscriber.ack(token).unwrap();
            }
            return got;
        }
        got.push(m);
    }
}

/// The crash of a subscriber: no loop, no DISCONNECT.
fn crash(client: Client) {
    client.loop_stop().unwrap();
    drop(client);
}

#[test]
fn a_durable_subscriber_gets_again_what_it_did_not_acknowledge_and_only_that() {
    let broker = Broker::start();
    for version in VERSIONS {
        let dir = TempDir::new(&format!("acker-{version}"));
        let topic = format!("ss/ack/{version}");
        let publisher = connected(&broker, &format!("ss-ack-pub-{version}"), version);
        let options = durable(broker.port(), &format!("ss-acker-{version}"), version)
            .session_dir(&dir.0)
            .manual_ack(true);
        let (sub, rx) = subscriber_with(options.clone(), &topic, QoS::ExactlyOnce);

        // "one" is acknowledged; "two" arrives and is not.
        let got = until(&publisher, &sub, &rx, &topic, "one", true);
        assert!(got.is_empty(), "{got:?}");
        let got = until(&publisher, &sub, &rx, &topic, "two", false);
        assert!(got.is_empty(), "{got:?}");
        crash(sub);

        // A new client on the same store: "two" comes again, "one" does not.
        let (sub, rx) = resumed_subscriber(options.clone());
        let got = until(&publisher, &sub, &rx, &topic, "three", true);
        let payloads: Vec<_> = got.iter().map(|m| m.payload_str().unwrap()).collect();
        assert_eq!(payloads, ["two"], "{version}");
        sub.ack(got[0].ack_token().unwrap()).unwrap();
        crash(sub);

        // Everything was acknowledged: nothing comes again.
        let (sub, rx) = resumed_subscriber(options);
        let got = until(&publisher, &sub, &rx, &topic, "four", true);
        let payloads: Vec<_> = got.iter().map(|m| m.payload_str().unwrap()).collect();
        assert!(payloads.is_empty(), "{version}: {payloads:?}");
        stop(&sub);
        stop(&publisher);
    }
}

/// A QoS 2 message the subscriber handled (its callback returned, or in
/// manual-ack mode the application acknowledged it) is stored as
/// received before its PUBREC may leave. Here the PUBREC never leaves
/// (the store's sync fails, which ends the connection before any byte
/// goes out), the subscriber dies, and the broker sends the message
/// again to a new client on the same file store: it is recognised and
/// not handed to the application a second time.
#[test]
fn a_qos2_message_handled_before_a_crash_is_not_delivered_again() {
    let broker = Broker::start();
    for manual in [false, true] {
        for version in VERSIONS {
            let what = format!("{version} manual ack {manual}");
            let dir = TempDir::new(&format!("handled-{version}-{manual}"));
            let topic = format!("ss/handled/{version}/{manual}");
            let id = format!("ss-handled-{version}-{manual}");
            let publisher = connected(&broker, &format!("{id}-pub"), version);
            // A file store of its own per client, as in a new process.
            let options = |store: FailingStore<FileStore>| {
                durable(broker.port(), &id, version)
                    .manual_ack(manual)
                    .session_store(store)
            };
            let store = FailingStore::new(FileStore::new(&dir.0).unwrap());
            let failing_sync = store.failing_sync.clone();
            let (sub, rx) = subscriber_with(options(store), &topic, QoS::ExactlyOnce);
            let lost = disconnects(&sub);
            // From now on no byte leaves the subscriber: its next sync fails.
            failing_sync.store(true, Ordering::SeqCst);
            publisher
                .publish(&topic, "handled", QoS::ExactlyOnce, false)
                .unwrap()
                .wait_for_publish(Some(WAIT));
            let m = rx.recv_timeout(WAIT).expect("the message");
            assert_eq!(m.payload_str(), Some("handled"));
            if manual {
                sub.ack(m.ack_token().unwrap()).unwrap();
            }
            lost.recv_timeout(WAIT)
                .unwrap_or_else(|_| panic!("{what}: the failed sync did not end the connection"));
            crash(sub);

            let store = FailingStore::new(FileStore::new(&dir.0).unwrap());
            let client = Client::new(options(store)).unwrap();
            let (tx, rx) = mpsc::channel();
            client.on_message(move |_, m| {
                let _ = tx.send(m.clone());
            });
            // The broker never had the PUBREC: it sends the message again.
            let (ltx, resent) = mpsc::channel();
            client.on_log(move |_, _, line| {
                if line.starts_with("Received PUBLISH (d1, q2") {
                    let _ = ltx.send(line.to_string());
                }
            });
            assert!(client.connect().unwrap().session_present, "{what}");
            client.loop_start().unwrap();
            resent
                .recv_timeout(WAIT)
                .unwrap_or_else(|_| panic!("{what}: the broker did not send the message again"));
            let got = until(&publisher, &client, &rx, &topic, "after", true);
            let payloads: Vec<_> = got.iter().map(|m| m.payload_str().unwrap()).collect();
            assert!(payloads.is_empty(), "{what}: delivered again: {payloads:?}");
            stop(&client);
            stop(&publisher);
        }
    }
}

/// The client's on_disconnect, as a channel.
fn disconnects(client: &Client) -> Receiver<()> {
    let (tx, rx) = mpsc::channel();
    client.on_disconnect(move |_, _| {
        let _ = tx.send(());
    });
    rx
}

// ---------------------------------------------------------------------
// reinitialise.

/// A client publishes a QoS 2 message the (paused) broker does not
/// acknowledge, is reinitialised with `options` (its own store), and
/// delivers the message once through the new core; the old handle follows.
/// `before` runs with the message in flight, before the reinitialise.
fn reinitialise_continues(
    broker: &mut Broker,
    name: &str,
    options: ClientOptions,
    before: impl FnOnce(&Client, &MessageHandle),
) {
    let (sub, rx) = subscriber(
        broker,
        &format!("ss-re-sub-{name}"),
        ProtocolVersion::V5,
        "ss/re",
        QoS::ExactlyOnce,
    );
    let client = Client::new(options.clone()).unwrap();
    client.connect().unwrap();
    broker.pause();
    let handle = client
        .publish("ss/re", format!("kept-{name}"), QoS::ExactlyOnce, false)
        .unwrap();
    before(&client, &handle);
    client
        .reinitialise(options)
        .unwrap_or_else(|e| panic!("{name}: reinitialise on the same store: {e}"));
    assert!(!client.is_connected(), "the old connection was dropped");
    assert!(
        !client.session_snapshot().is_idle(),
        "{name}: the session continues, its message with it"
    );
    broker.resume();
    let info = client.connect().unwrap();
    assert!(info.session_present, "{name}");
    client.loop_start().unwrap();
    wait_idle(&client, name);
    let got = received_until_marker(&client, &rx, "ss/re", name);
    assert_eq!(
        got,
        [format!("kept-{name}")],
        "resumed from the store, once"
    );
    // The old handle followed its message to the new core.
    let outcome = handle.wait_for_publish(Some(WAIT));
    assert!(
        matches!(outcome, Some(PublishOutcome::Delivered { .. })),
        "{name}: {outcome:?}"
    );
    stop(&client);
    stop(&sub);
}

#[test]
fn reinitialise_on_the_same_session_dir_continues_the_session() {
    let mut broker = Broker::start();
    let version = ProtocolVersion::V5;
    let dir = TempDir::new("reinit");
    let other_dir = TempDir::new("reinit-other");
    let port = broker.port();
    let options = durable(port, "ss-re-dir", version).session_dir(&dir.0);
    reinitialise_continues(&mut broker, "dir", options, |client, handle| {
        // Another store directory, whose session another client holds:
        // taking it fails, and leaves this client as it was.
        let other = durable(port, "ss-re-dir", version).session_dir(&other_dir.0);
        let holder = Client::new(other.clone()).unwrap();
        let e = client.reinitialise(other).unwrap_err();
        assert!(
            matches!(&e, Error::Store(s) if matches!(**s, StoreError::InUse { .. })),
            "{e}"
        );
        assert!(!handle.is_published());
        assert!(client.is_connected(), "left as it was");
        drop(holder);
    });
}

#[test]
fn reinitialise_on_the_same_memory_store_continues_the_session() {
    let mut broker = Broker::start();
    let options =
        durable(broker.port(), "ss-re-mem", ProtocolVersion::V5).session_store(MemoryStore::new());
    reinitialise_continues(&mut broker, "memory", options, |_, _| {});
}
