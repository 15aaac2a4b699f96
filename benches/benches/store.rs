//! Issue 16: the session store's format, chosen by measurement. Our
//! append-only log (`mqtt_client::store::FileStore`) against redb, a
//! well-kept embedded database (B-tree, copy-on-write pages, crash safe),
//! doing what a client does with its store: per message, an `Accepted`
//! record (a 32-byte QoS 1 message), a `Sent` record, and later a
//! `Finished` record; made durable once per batch (group commit: one
//! `fdatasync` for the log, one `Durability::Immediate` commit for redb).
//!
//! For each batch size, `STORE_MESSAGES` messages (default 5,000) in
//! batches, `STORE_ROUNDS` rounds (default 5) with the two stores taking
//! turns, both in fresh directories under the system's temporary directory
//! (the machine's disk): microseconds per message (median of rounds) and
//! bytes written per message (file sizes, and the disk's write counter for
//! this process from `/proc/self/io`).
//!
//! Run: `cargo bench -p mqtt-benches --bench store`

use bytes::Bytes;
use mqtt_client::store::{FileStore, SessionStore};
use mqtt_proto::{PacketId, QoS, TopicName};
use mqtt_session::{MessageId, OutboundMessage, StoreOp, WallClock};
use redb::{Database, Durability, TableDefinition};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const MESSAGES: TableDefinition<u64, &[u8]> = TableDefinition::new("messages");

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn fresh_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("store-bench-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn written_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/io")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| {
                    l.strip_prefix("write_bytes: ")
                        .map(|v| v.trim().parse().ok())
                })
                .flatten()
        })
        .unwrap_or(0)
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn message() -> OutboundMessage {
    OutboundMessage::new(
        TopicName::new("bench/store").unwrap(),
        Bytes::from(vec![0xA5; 32]),
    )
    .qos(QoS::AtLeastOnce)
}

/// Runs `messages` through our file store in batches: (time, bytes written).
fn ours(messages: usize, batch: usize) -> (Duration, u64) {
    let dir = fresh_dir("log");
    let mut store = FileStore::new(&dir).unwrap();
    store.load("bench").unwrap();
    let clock = WallClock::system(Instant::now());
    let disk = written_bytes();
    let start = Instant::now();
    let mut id = 0u64;
    while (id as usize) < messages {
        let mut ops = Vec::with_capacity(batch * 3);
        for _ in 0..batch {
            id += 1;
            let packet_id = PacketId::new((id % 65_535 + 1) as u16).unwrap();
            ops.push(StoreOp::Accepted {
                id: MessageId(id),
                message: message(),
                accepted_at: clock.now,
            });
            ops.push(StoreOp::Sent {
                id: MessageId(id),
                packet_id,
            });
            // The acknowledgement of a message of the previous batch.
            if id > batch as u64 {
                ops.push(StoreOp::Finished {
                    id: MessageId(id - batch as u64),
                });
            }
        }
        store.append(&ops, clock).unwrap();
        store.sync().unwrap();
    }
    let elapsed = start.elapsed();
    let bytes = (written_bytes() - disk).max(dir_size(&dir));
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    (elapsed, bytes)
}

/// The same through redb: a row per message, updated when sent, removed
/// when finished; one immediate-durability commit per batch.
fn redb(messages: usize, batch: usize) -> (Duration, u64) {
    let dir = fresh_dir("redb");
    let db = Database::create(dir.join("session.redb")).unwrap();
    let clock = WallClock::system(Instant::now());
    let disk = written_bytes();
    let start = Instant::now();
    let mut id = 0u64;
    let mut record = Vec::new();
    while (id as usize) < messages {
        let mut txn = db.begin_write().unwrap();
        txn.set_durability(Durability::Immediate);
        {
            let mut table = txn.open_table(MESSAGES).unwrap();
            for _ in 0..batch {
                id += 1;
                record.clear();
                StoreOp::Accepted {
                    id: MessageId(id),
                    message: message(),
                    accepted_at: clock.now,
                }
                .encode(clock, &mut record);
                table.insert(id, record.as_slice()).unwrap();
                // Sent: the stored message with its packet identifier.
                record.extend_from_slice(&((id % 65_535 + 1) as u16).to_be_bytes());
                table.insert(id, record.as_slice()).unwrap();
                if id > batch as u64 {
                    table.remove(id - batch as u64).unwrap();
                }
            }
        }
        txn.commit().unwrap();
    }
    let elapsed = start.elapsed();
    let bytes = (written_bytes() - disk).max(dir_size(&dir));
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
    (elapsed, bytes)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    // `cargo test --benches` runs this without `--bench`: a smoke run.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let messages = if smoke {
        200
    } else {
        env("STORE_MESSAGES", 5_000)
    };
    let rounds = if smoke { 1 } else { env("STORE_ROUNDS", 5) };
    println!(
        "\n## Session store: {messages} QoS 1 messages of 32 bytes, median of {rounds} rounds\n"
    );
    println!("| batch (messages per sync) | log µs/msg | redb µs/msg | redb / log time | log bytes/msg | redb bytes/msg |");
    println!("|---|---|---|---|---|---|");
    for batch in [1, 10, 100] {
        let (mut ours_t, mut redb_t, mut ratio, mut ours_b, mut redb_b) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for round in 0..rounds {
            // Take turns, who goes first alternating.
            let (a, b) = if round % 2 == 0 {
                let a = ours(messages, batch);
                (a, redb(messages, batch))
            } else {
                let b = redb(messages, batch);
                (ours(messages, batch), b)
            };
            let per = |d: Duration| d.as_secs_f64() * 1e6 / messages as f64;
            ours_t.push(per(a.0));
            redb_t.push(per(b.0));
            ratio.push(per(b.0) / per(a.0));
            ours_b.push(a.1 as f64 / messages as f64);
            redb_b.push(b.1 as f64 / messages as f64);
        }
        println!(
            "| {batch} | {:.1} | {:.1} | x{:.2} | {:.0} | {:.0} |",
            median(ours_t),
            median(redb_t),
            median(ratio),
            median(ours_b),
            median(redb_b)
        );
    }
}
