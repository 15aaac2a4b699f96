//! A client core and its session store: one core per session, and a core
//! replaced by another (Paho's `reinitialise`) hands its session over
//! whole or not at all.

use mqtt_client::store::{FileStore, MemoryStore, SessionStore, StoreError};
use mqtt_client::{ClientCore, ClientOptions, Completion, Error, TlsOptions};
use mqtt_proto::{QoS, TopicName};
use mqtt_session::{DurableState, OutboundMessage, StoreOp, WallClock};
use mqtt_testing::TempDir;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

fn options(id: &str) -> ClientOptions {
    ClientOptions::new("127.0.0.1", 1883)
        .client_id(id)
        .clean_start(false)
}

/// Publishes one QoS 1 message while disconnected: stored, not sent.
fn publish_offline(core: &mut ClientCore, payload: &str) {
    let message = OutboundMessage::new(TopicName::new("core/store").unwrap(), payload.to_string())
        .qos(QoS::AtLeastOnce);
    core.publish(Instant::now(), message, Arc::new(Completion::default()))
        .expect("a message accepted offline");
}

fn in_use(result: Result<ClientCore, Error>) -> bool {
    matches!(result, Err(Error::Store(e)) if matches!(*e, StoreError::InUse { .. }))
}

#[test]
fn a_second_core_on_the_same_file_store_and_client_id_is_refused() {
    let dir = TempDir::new("second");
    let opts = options("one-session").session_store(FileStore::new(&dir.0).unwrap());
    let _first = ClientCore::new(&opts, None).unwrap();
    // The same store object (options clones share it), the same id: two
    // cores would append to one log with the same packet identifiers.
    assert!(in_use(ClientCore::new(&opts.clone(), None)));
    // Through the directory, too.
    let by_dir = options("one-session").session_dir(&dir.0);
    assert!(in_use(ClientCore::new(&by_dir, None)));
}

#[test]
fn a_core_replacing_another_on_its_file_store_continues_the_session() {
    let dir = TempDir::new("replace");
    let opts = options("replaced").session_dir(&dir.0);
    let mut old = ClientCore::new(&opts, None).unwrap();
    publish_offline(&mut old, "kept");
    let new = ClientCore::replacing(&opts, &mut old).unwrap();
    let state = new.session().state();
    assert_eq!(
        state.queue.len() + state.inflight.len(),
        1,
        "the message moved over"
    );
    drop(old);
    drop(new);
    // And it is in the file for the next run.
    let stored = FileStore::new(&dir.0)
        .unwrap()
        .load("replaced")
        .unwrap()
        .unwrap();
    assert_eq!(stored.outbound.len(), 1);
}

#[test]
fn a_failed_replacement_leaves_the_old_core_on_its_own_session() {
    let store = MemoryStore::new();
    let a = options("a").session_store(store.clone());
    let mut old = ClientCore::new(&a, None).unwrap();
    // Another client id on the same store, with a TLS set-up that fails
    // (no such CA file): the call fails, and the store still keeps "a".
    // (The same options otherwise: the same store object.)
    let b = a
        .clone()
        .client_id("b")
        .tls(TlsOptions::new().ca_file("/nonexistent/mqtt-ca.pem"));
    assert!(ClientCore::replacing(&b, &mut old).is_err());
    publish_offline(&mut old, "for a");
    let stored_a: Option<DurableState> = store.get("a");
    assert_eq!(
        stored_a.map(|s| s.outbound.len()),
        Some(1),
        "the message is a's"
    );
    assert!(store.get("b").is_none(), "b was never loaded");
}

/// A store counting its syncs.
struct Counting {
    inner: MemoryStore,
    syncs: Arc<AtomicUsize>,
}

impl SessionStore for Counting {
    fn load(&mut self, client_id: &str) -> Result<Option<DurableState>, StoreError> {
        self.inner.load(client_id)
    }
    fn append(&mut self, ops: &[StoreOp], clock: WallClock) -> Result<(), StoreError> {
        self.inner.append(ops, clock)
    }
    fn sync(&mut self) -> Result<(), StoreError> {
        self.syncs.fetch_add(1, Ordering::SeqCst);
        self.inner.sync()
    }
}

#[test]
fn what_the_old_core_appended_is_synced_before_the_new_core_takes_over() {
    let syncs = Arc::new(AtomicUsize::new(0));
    let opts = options("synced").session_store(Counting {
        inner: MemoryStore::new(),
        syncs: syncs.clone(),
    });
    let mut old = ClientCore::new(&opts, None).unwrap();
    publish_offline(&mut old, "appended, not synced");
    let before = syncs.load(Ordering::SeqCst);
    let _new = ClientCore::replacing(&opts, &mut old).unwrap();
    assert_eq!(syncs.load(Ordering::SeqCst), before + 1);
}
