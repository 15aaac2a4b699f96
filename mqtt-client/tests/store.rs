//! The file store: what it writes, what it reads back, and every kind of
//! bad store data (a torn tail, a damaged record, a foreign or newer
//! file, another client's session, a store others can write to, a store
//! in use, a full disk) giving a clear error or the valid prefix, never a
//! panic.

use mqtt_client::store::{FileStore, MemoryStore, SessionStore, StoreError};
use mqtt_proto::{PacketId, QoS, TopicName};
use mqtt_session::{DurableState, MessageId, OutboundMessage, StoreOp, WallClock};
use mqtt_testing::TempDir;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn clock() -> WallClock {
    WallClock::system(Instant::now())
}

fn accepted(id: u64, payload: &str) -> StoreOp {
    StoreOp::Accepted {
        id: MessageId(id),
        message: OutboundMessage::new(TopicName::new("t").unwrap(), payload.to_string())
            .qos(QoS::ExactlyOnce),
        accepted_at: Instant::now(),
    }
}

fn some_ops() -> Vec<StoreOp> {
    vec![
        StoreOp::Connected {
            assigned_client_id: None,
        },
        accepted(1, "one"),
        StoreOp::Sent {
            id: MessageId(1),
            packet_id: PacketId::new(1).unwrap(),
        },
        accepted(2, "two"),
        StoreOp::InboundReceived {
            packet_id: PacketId::new(9).unwrap(),
        },
    ]
}

fn reopened(dir: &Path, id: &str) -> Result<Option<DurableState>, StoreError> {
    FileStore::new(dir)?.load(id)
}

#[test]
fn what_is_appended_and_synced_is_read_back() {
    let dir = TempDir::new("roundtrip");
    let mut store = FileStore::new(&dir.0).unwrap();
    assert!(store.load("c1").unwrap().is_none());
    let c = clock();
    store.append(&some_ops(), c).unwrap();
    store.sync().unwrap();
    let mut expected = DurableState::new("c1");
    for op in some_ops() {
        expected.apply(&op, c);
    }
    drop(store);
    let loaded = reopened(&dir.0, "c1").unwrap().unwrap();
    assert_eq!(loaded.outbound, expected.outbound);
    assert_eq!(loaded.inbound_qos2, expected.inbound_qos2);
    assert!(loaded.has_connected);
}

#[test]
fn the_store_is_private_to_its_owner() {
    let dir = TempDir::new("private");
    let mut store = FileStore::new(dir.0.join("inner")).unwrap();
    store.load("c1").unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.0.join("inner")), 0o700);
    assert_eq!(mode(&store.path_for("c1")), 0o600);
    drop(store);
    // A directory others can write to is refused, naming it.
    std::fs::set_permissions(dir.0.join("inner"), std::fs::Permissions::from_mode(0o777)).unwrap();
    let e = FileStore::new(dir.0.join("inner")).unwrap_err();
    assert!(
        matches!(e, StoreError::NotPrivate { mode: 0o777, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("inner"), "{e}");
}

#[test]
fn a_second_client_on_the_same_session_is_refused() {
    let dir = TempDir::new("inuse");
    let mut first = FileStore::new(&dir.0).unwrap();
    first.load("c1").unwrap();
    let e = reopened(&dir.0, "c1").unwrap_err();
    assert!(matches!(e, StoreError::InUse { .. }), "{e}");
    // Another client id in the same directory is fine.
    assert!(reopened(&dir.0, "c2").unwrap().is_none());
    drop(first);
    assert!(reopened(&dir.0, "c1").is_ok());
}

#[test]
fn a_torn_or_damaged_tail_is_cut_and_the_valid_prefix_kept() {
    let dir = TempDir::new("torn");
    let mut store = FileStore::new(&dir.0).unwrap();
    store.load("c1").unwrap();
    let c = clock();
    store.append(&some_ops()[..2], c).unwrap();
    store.sync().unwrap();
    let good_len = std::fs::metadata(store.path_for("c1")).unwrap().len();
    store.append(&some_ops()[2..], c).unwrap();
    store.sync().unwrap();
    let path = store.path_for("c1");
    drop(store);
    let full = std::fs::read(&path).unwrap();
    // Every cut inside the second batch loads the first batch, or more.
    for cut in good_len as usize..full.len() {
        std::fs::write(&path, &full[..cut]).unwrap();
        let loaded = reopened(&dir.0, "c1").unwrap().unwrap();
        assert!(loaded.outbound.contains_key(&1), "cut at {cut}");
        assert!(std::fs::metadata(&path).unwrap().len() <= cut as u64);
    }
    // A flipped byte in a record: the records from there on are dropped.
    let mut damaged = full.clone();
    damaged[good_len as usize + 10] ^= 0x55;
    std::fs::write(&path, &damaged).unwrap();
    let loaded = reopened(&dir.0, "c1").unwrap().unwrap();
    assert!(loaded.outbound.contains_key(&1));
    assert!(!loaded.outbound.contains_key(&2));
    assert_eq!(std::fs::metadata(&path).unwrap().len(), good_len);
    // And appending after a repair continues a valid log.
    let mut store = FileStore::new(&dir.0).unwrap();
    store.load("c1").unwrap();
    store.append(&[accepted(3, "three")], c).unwrap();
    store.sync().unwrap();
    drop(store);
    let loaded = reopened(&dir.0, "c1").unwrap().unwrap();
    assert!(loaded.outbound.contains_key(&3));
}

#[test]
fn foreign_newer_and_other_clients_files_are_refused() {
    let dir = TempDir::new("foreign");
    let store = FileStore::new(&dir.0).unwrap();
    let path = store.path_for("c1");
    drop(store);
    std::fs::write(&path, b"hello, not a store").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let e = reopened(&dir.0, "c1").unwrap_err();
    assert!(matches!(e, StoreError::Corrupt { offset: 0, .. }), "{e}");
    assert!(e.to_string().contains("session-c1.mqss"), "{e}");
    // The file is left alone, not overwritten.
    assert_eq!(std::fs::read(&path).unwrap(), b"hello, not a store");

    // Format 2, from some later release.
    let mut newer = b"MQSL\x00\x02\x00\x02c1".to_vec();
    newer.extend_from_slice(&[0; 8]);
    std::fs::write(&path, &newer).unwrap();
    let e = reopened(&dir.0, "c1").unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::NewerFormat {
                found: 2,
                supported: 1,
                ..
            }
        ),
        "{e}"
    );

    // Another client's session copied under this name.
    std::fs::remove_file(&path).unwrap();
    let mut other = FileStore::new(&dir.0).unwrap();
    other.load("c2").unwrap();
    other.append(&some_ops(), clock()).unwrap();
    other.sync().unwrap();
    let other_path = other.path_for("c2");
    drop(other);
    std::fs::copy(&other_path, &path).unwrap();
    let e = reopened(&dir.0, "c1").unwrap_err();
    assert!(
        matches!(&e, StoreError::ClientIdMismatch { stored, configured, .. } if stored == "c2" && configured == "c1"),
        "{e}"
    );
}

#[test]
fn a_growing_log_is_compacted_into_a_snapshot() {
    let dir = TempDir::new("compact");
    let mut store = FileStore::new(&dir.0).unwrap();
    store.load("c1").unwrap();
    let c = clock();
    let big = "x".repeat(8 << 10);
    // 300 messages of 8 KiB accepted and finished: 2.4 MiB of log for an
    // empty state, plus one message kept.
    store.append(&[accepted(1_000, "kept")], c).unwrap();
    for id in 1..=300 {
        store
            .append(
                &[accepted(id, &big), StoreOp::Finished { id: MessageId(id) }],
                c,
            )
            .unwrap();
        store.sync().unwrap();
    }
    let path = store.path_for("c1");
    let len = std::fs::metadata(&path).unwrap().len();
    assert!(len < 1 << 20, "compacted: {len} bytes");
    drop(store);
    let loaded = reopened(&dir.0, "c1").unwrap().unwrap();
    assert_eq!(loaded.outbound.keys().copied().collect::<Vec<_>>(), [1_000]);
    assert_eq!(loaded.last_message_id, 1_000);
}

#[test]
fn memory_store_clones_share_sessions() {
    let store = MemoryStore::new();
    let mut a = store.clone();
    assert!(a.load("c1").unwrap().is_none());
    a.append(&some_ops(), clock()).unwrap();
    let mut b = store.clone();
    assert!(b.load("c1").unwrap().unwrap().outbound.contains_key(&2));
    assert!(b.load("c2").unwrap().is_none());
}

/// Run in a child with a file-size limit (`ulimit -f`), as a full disk:
/// the append that cannot be written fails, naming the file, and leaves
/// the log as it was.
#[test]
fn a_full_disk_fails_the_append_and_keeps_the_log_whole() {
    if std::env::var_os("STORE_FULL_DISK_CHILD").is_some() {
        let dir = PathBuf::from(std::env::var("STORE_FULL_DISK_CHILD").unwrap());
        let mut store = FileStore::new(&dir).unwrap();
        store.load("c1").unwrap();
        let c = clock();
        let big = "y".repeat(4096);
        let mut stored = 0;
        let error = loop {
            match store.append(&[accepted(stored + 1, &big)], c) {
                Ok(()) => stored += 1,
                Err(e) => break e,
            }
            assert!(stored < 10_000, "the limit never hit");
        };
        println!("CHILD-ERROR {error}");
        assert!(matches!(error, StoreError::Io { .. }), "{error}");
        drop(store);
        // What was appended before the failure is all there, and whole.
        let loaded = reopened(&dir, "c1").unwrap().unwrap();
        assert_eq!(loaded.outbound.len() as u64, stored);
        println!("CHILD-OK {stored}");
        return;
    }
    let dir = TempDir::new("full");
    std::fs::create_dir_all(&dir.0).unwrap();
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o700)).unwrap();
    let exe = std::env::current_exe().unwrap();
    // 64 blocks of 512 bytes; SIGXFSZ ignored, so write(2) fails with EFBIG.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -f 64; trap '' XFSZ; exec \"$0\" --exact a_full_disk_fails_the_append_and_keeps_the_log_whole --nocapture --test-threads 1")
        .arg(&exe)
        .env("STORE_FULL_DISK_CHILD", &dir.0)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("CHILD-ERROR session store"), "{stdout}");
    assert!(stdout.contains("CHILD-OK"), "{stdout}");
}
