//! The client engine alone, no I/O: QoS 1 and QoS 2 publish round trips
//! against an in-memory broker peer, per message, our `mqtt_session::Session`
//! against mqtt-protocol-core's client `Connection` (both Sans-IO).
//!
//! Every message is a 16-byte topic and a 32-byte payload. Both clients are
//! connected once, outside the timed part, with keep alive 0 so that no
//! timer work appears on either side. Per message, the timed part does what
//! an application and its adapter do:
//!
//! - ask the engine to publish (ours: an `OutboundMessage` from a kept
//!   `TopicName` and payload `Bytes`, both reference counted; theirs:
//!   `acquire_packet_id` and a `Publish` built from the same topic `&str`
//!   and a kept `ArcPayload`, the cheapest way their builder accepts);
//! - copy every byte the engine asks to send into a reused "socket" buffer
//!   (ours: `poll_transmit`; theirs: each `RequestSendPacket`'s
//!   `to_buffers()`, the zero-copy form meant for vectored writes);
//! - let the broker read those bytes and write its answers: it walks the
//!   packets, checks their type and QoS, and answers each PUBLISH with a
//!   4-byte PUBACK or PUBREC and each PUBREL with a 4-byte PUBCOMP for the
//!   packet identifier it read (the same code for both clients);
//! - feed the answers to the engine in one read (ours: one `handle_input`;
//!   theirs: `recv` until the cursor is consumed, since it returns after
//!   each packet) and drain everything it produces (ours: `poll_transmit`
//!   and `poll_event`; theirs: every event of the returned `Vec`s). For
//!   QoS 2 the PUBRELs go back to the broker for the PUBCOMPs.
//!
//! Each completed message is counted (ours: `Event::Published`; theirs:
//! `NotifyPacketIdReleased`) and the count is checked on every iteration, so
//! a client that stopped completing messages fails the run instead of
//! looking fast. Any other event (an error, a close) panics.
//!
//! Two shapes: `rtt` publishes one message and completes it before the next;
//! `pipelined` publishes 100, then the broker answers all of them in one
//! read (the window is 100 for both clients). Each iteration is a batch of
//! 1,000 messages; results are per message (`Throughput::Elements`).
//!
//! mqtt-protocol-core keeps a copy of each QoS 1/2 PUBLISH for resending
//! only when the session outlives the connection (3.1.1 Clean Session 0, 5.0
//! Session Expiry Interval > 0); our session always keeps unacknowledged
//! messages (to resend or republish them on the next connection). Their
//! client is measured both ways: `theirs-store` is the same guarantee as
//! ours, `theirs` is their cheapest (messages lost if the connection drops).
//!
//! Work their API imposes and the benchmark leaves in: the `Publish`
//! builder copies the topic into a new allocation per message (default
//! features, no small-string optimization), `checked_send` and `recv` return
//! a new `Vec` of events per call and `to_buffers` a `Vec` of slices. Work
//! ours imposes: events and in-flight entries are large (248 and 264 bytes)
//! and pass through `VecDeque`s, and `poll_transmit` hands out `Bytes`.
//!
//! Time is the benchmark thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`),
//! not wall time: both clients are single-threaded and do no I/O, so on an
//! idle machine the two are the same, and on a shared one (this was written
//! on 2 cores shared with compilers) CPU time leaves out the slices in which
//! the thread was not running. Caches shared with other processes still add
//! noise; compare runs made under the same load.
//!
//! Run: `cargo bench -p mqtt-benches --bench session -- --warm-up-time 1 --measurement-time 3`
//!
//! With `SESSION_BENCH_PAIRED=1` set, the same workloads run instead as a
//! paired comparison (see [`paired`]), for ratios on a loaded machine.

use bytes::Bytes;
use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use mqtt_benches::{take_turns, TurnStats};
use mqtt_proto::{MqttString, ProtocolVersion, QoS, TopicName};
use mqtt_session::{Event, OutboundMessage, Session, SessionConfig};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mqtt_protocol_core::mqtt;
use mqtt_protocol_core::mqtt::prelude::*;

/// A 16-byte topic name.
const TOPIC: &str = "sensors/room/042";
/// Messages per timed iteration.
const BATCH: usize = 1_000;
/// Messages in flight in the pipelined shape.
const WINDOW: usize = 100;

fn payload() -> Vec<u8> {
    (0u8..32).collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Version {
    V311,
    V5,
}

impl Version {
    fn label(self) -> &'static str {
        match self {
            Version::V311 => "3.1.1",
            Version::V5 => "5.0",
        }
    }
}

// ---- the clock ----

/// The calling thread's CPU time, as a criterion measurement.
struct ThreadCpuTime;

/// Durations are formatted as wall time is.
static WALL_TIME: WallTime = WallTime;

fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and the clock id is a constant
    // every Linux kernel since 2.6.12 supports.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

impl Measurement for ThreadCpuTime {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        thread_cpu_time()
    }

    fn end(&self, start: Duration) -> Duration {
        thread_cpu_time() - start
    }

    fn add(&self, v1: &Duration, v2: &Duration) -> Duration {
        *v1 + *v2
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        WALL_TIME.formatter()
    }
}

// ---- the broker peer ----

/// Reads the packets a client sent and writes the broker's answers: PUBACK
/// (QoS 1) or PUBREC (QoS 2) for each PUBLISH, PUBCOMP for each PUBREL, all
/// with the 2-byte form that means Success in every version.
fn broker_answer(wire: &[u8], qos: u8, acks: &mut Vec<u8>) {
    let mut i = 0;
    while i < wire.len() {
        let first = wire[i];
        i += 1;
        let mut len = 0usize;
        let mut shift = 0;
        loop {
            let b = wire[i];
            i += 1;
            len |= ((b & 0x7f) as usize) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        let body = &wire[i..i + len];
        i += len;
        match first & 0xf0 {
            0x30 => {
                assert_eq!((first >> 1) & 3, qos, "PUBLISH with the wrong QoS");
                let topic_len = u16::from_be_bytes([body[0], body[1]]) as usize;
                let id = &body[2 + topic_len..4 + topic_len];
                let ack = if qos == 1 { 0x40 } else { 0x50 };
                acks.extend_from_slice(&[ack, 0x02, id[0], id[1]]);
            }
            0x60 => {
                assert_eq!(first, 0x62, "PUBREL flags");
                acks.extend_from_slice(&[0x70, 0x02, body[0], body[1]]);
            }
            _ => panic!("the broker did not expect packet type {first:#04x}"),
        }
    }
}

// ---- our client ----

struct Ours {
    session: Session,
    now: Instant,
    topic: TopicName,
    payload: Bytes,
    qos: QoS,
    wire: Vec<u8>,
    acks: Vec<u8>,
    completed: usize,
}

impl Ours {
    fn new(version: Version, qos: QoS) -> Self {
        let (v, connack): (_, &[u8]) = match version {
            Version::V311 => (ProtocolVersion::V3_1_1, &[0x20, 0x02, 0x00, 0x00]),
            Version::V5 => (ProtocolVersion::V5, &[0x20, 0x03, 0x00, 0x00, 0x00]),
        };
        let mut config = SessionConfig::new(v, MqttString::new("bench-client").unwrap());
        config.connect.keep_alive = 0;
        config.max_inflight = WINDOW as u16;
        let mut session = Session::new(config);
        let now = Instant::now();
        session.connect(now).unwrap();
        assert_eq!(session.poll_transmit().unwrap()[0], 0x10);
        session.handle_input(now, connack);
        assert!(matches!(
            session.poll_event(),
            Some(Event::Connected { .. })
        ));
        assert!(session.poll_timeout().is_none(), "keep alive must be off");
        Self {
            session,
            now,
            topic: TopicName::new(TOPIC).unwrap(),
            payload: Bytes::from(payload()),
            qos,
            wire: Vec::with_capacity(64 * WINDOW),
            acks: Vec::with_capacity(4 * WINDOW),
            completed: 0,
        }
    }

    /// Writes out what the session transmits and takes its events, as the
    /// drive contract requires after every call.
    fn drain(&mut self) {
        while let Some(bytes) = self.session.poll_transmit() {
            self.wire.extend_from_slice(&bytes);
        }
        while let Some(event) = self.session.poll_event() {
            match event {
                Event::Published { .. } => self.completed += 1,
                other => panic!("unexpected event {other:?}"),
            }
        }
    }

    fn publish(&mut self) {
        let message = OutboundMessage::new(self.topic.clone(), self.payload.clone()).qos(self.qos);
        black_box(self.session.publish(self.now, message).unwrap());
        self.drain();
    }

    /// Lets the broker answer what was sent until it has nothing more to say.
    fn exchange(&mut self) {
        let qos = self.qos as u8;
        loop {
            broker_answer(&self.wire, qos, &mut self.acks);
            self.wire.clear();
            if self.acks.is_empty() {
                return;
            }
            self.session.handle_input(self.now, &self.acks);
            self.acks.clear();
            self.drain();
        }
    }
}

impl Client for Ours {
    fn completed(&self) -> usize {
        self.completed
    }

    fn round(&mut self, n: usize) {
        for _ in 0..n {
            self.publish();
        }
        self.exchange();
    }
}

// ---- mqtt-protocol-core's client ----

struct Theirs {
    conn: mqtt::Connection<mqtt::role::Client>,
    version: Version,
    qos: mqtt::packet::Qos,
    payload: mqtt::common::ArcPayload,
    wire: Vec<u8>,
    acks: Vec<u8>,
    completed: usize,
}

impl Theirs {
    fn new(version: Version, qos: QoS, store: bool) -> Self {
        let (mut conn, events, connack): (_, _, &[u8]) = match version {
            Version::V311 => {
                let mut conn = mqtt::Connection::<mqtt::role::Client>::new(mqtt::Version::V3_1_1);
                let connect = mqtt::packet::v3_1_1::Connect::builder()
                    .client_id("bench-client")
                    .unwrap()
                    .clean_session(!store)
                    .keep_alive(0)
                    .build()
                    .unwrap();
                let events = conn.checked_send(connect);
                (conn, events, &[0x20, 0x02, 0x00, 0x00])
            }
            Version::V5 => {
                let mut conn = mqtt::Connection::<mqtt::role::Client>::new(mqtt::Version::V5_0);
                let mut builder = mqtt::packet::v5_0::Connect::builder()
                    .client_id("bench-client")
                    .unwrap()
                    .clean_start(true)
                    .keep_alive(0);
                if store {
                    builder = builder.props(vec![mqtt::packet::SessionExpiryInterval::new(3600)
                        .unwrap()
                        .into()]);
                }
                let events = conn.checked_send(builder.build().unwrap());
                (conn, events, &[0x20, 0x03, 0x00, 0x00, 0x00])
            }
        };
        assert!(matches!(
            events.as_slice(),
            [mqtt::connection::Event::RequestSendPacket { .. }]
        ));
        conn.set_auto_pub_response(true);
        let mut cursor = mqtt::common::Cursor::new(connack);
        let events = conn.recv(&mut cursor);
        assert!(
            matches!(
                events.as_slice(),
                [mqtt::connection::Event::NotifyPacketReceived(_)]
            ),
            "{events:?}"
        );
        let data: Arc<[u8]> = payload().into();
        let mut theirs = Self {
            conn,
            version,
            qos: match qos {
                QoS::AtMostOnce => mqtt::packet::Qos::AtMostOnce,
                QoS::AtLeastOnce => mqtt::packet::Qos::AtLeastOnce,
                QoS::ExactlyOnce => mqtt::packet::Qos::ExactlyOnce,
            },
            payload: mqtt::common::ArcPayload::new(data, 0, 32),
            wire: Vec::with_capacity(64 * WINDOW),
            acks: Vec::with_capacity(4 * WINDOW),
            completed: 0,
        };
        // Check the store mode took effect: one message, kept or not.
        theirs.publish();
        assert_eq!(theirs.conn.get_stored_packets().len(), store as usize);
        theirs.exchange();
        assert_eq!(theirs.completed, 1);
        theirs
    }

    fn handle(&mut self, events: Vec<mqtt::connection::Event>) {
        for event in events {
            match event {
                mqtt::connection::Event::RequestSendPacket { packet, .. } => {
                    for slice in packet.to_buffers() {
                        self.wire.extend_from_slice(&slice);
                    }
                }
                mqtt::connection::Event::NotifyPacketIdReleased(_) => self.completed += 1,
                mqtt::connection::Event::NotifyPacketReceived(packet) => {
                    black_box(packet);
                }
                other => panic!("unexpected event {other:?}"),
            }
        }
    }

    /// Lets the broker answer what was sent until it has nothing more to say.
    fn exchange(&mut self) {
        let qos = self.qos as u8;
        loop {
            broker_answer(&self.wire, qos, &mut self.acks);
            self.wire.clear();
            if self.acks.is_empty() {
                return;
            }
            let acks = std::mem::take(&mut self.acks);
            let mut cursor = mqtt::common::Cursor::new(&acks[..]);
            while (cursor.position() as usize) < acks.len() {
                let events = self.conn.recv(&mut cursor);
                self.handle(events);
            }
            self.acks = acks;
            self.acks.clear();
        }
    }

    fn publish(&mut self) {
        let packet_id = self.conn.acquire_packet_id().unwrap();
        let events = match self.version {
            Version::V311 => self.conn.checked_send(
                mqtt::packet::v3_1_1::Publish::builder()
                    .topic_name(TOPIC)
                    .unwrap()
                    .qos(self.qos)
                    .packet_id(packet_id)
                    .payload(self.payload.clone())
                    .build()
                    .unwrap(),
            ),
            Version::V5 => self.conn.checked_send(
                mqtt::packet::v5_0::Publish::builder()
                    .topic_name(TOPIC)
                    .unwrap()
                    .qos(self.qos)
                    .packet_id(packet_id)
                    .payload(self.payload.clone())
                    .build()
                    .unwrap(),
            ),
        };
        self.handle(events);
    }
}

impl Client for Theirs {
    fn completed(&self) -> usize {
        self.completed
    }

    fn round(&mut self, n: usize) {
        for _ in 0..n {
            self.publish();
        }
        self.exchange();
    }
}

// ---- the benchmark ----

/// What the benchmark drives; both clients do the same work per message.
trait Client {
    /// Publishes `n` messages, then exchanges packets with the broker until
    /// it has nothing more to say.
    fn round(&mut self, n: usize);
    /// Messages completed so far.
    fn completed(&self) -> usize;
}

/// Runs one batch in rounds of `per_round` and checks every message completed.
/// Never inlined, so that profilers (callgrind) can count batches.
#[inline(never)]
fn batch(client: &mut impl Client, per_round: usize) {
    let before = client.completed();
    for _ in 0..BATCH / per_round {
        client.round(per_round);
    }
    assert_eq!(
        client.completed() - before,
        BATCH,
        "not every message completed"
    );
}

fn bench_session(c: &mut Criterion<ThreadCpuTime>) {
    for qos in [QoS::AtLeastOnce, QoS::ExactlyOnce] {
        let mut group = c.benchmark_group(format!("session/qos{}", qos as u8));
        group.throughput(Throughput::Elements(BATCH as u64));
        for version in [Version::V311, Version::V5] {
            for (shape, per_round) in [("rtt", 1), ("pipelined", WINDOW)] {
                let param = format!("{}/{shape}", version.label());
                group.bench_function(BenchmarkId::new("ours", &param), |b| {
                    let mut ours = Ours::new(version, qos);
                    b.iter(|| batch(&mut ours, per_round));
                    assert!(ours.session.state().is_idle());
                });
                for (name, store) in [("theirs-store", true), ("theirs", false)] {
                    group.bench_function(BenchmarkId::new(name, &param), |b| {
                        let mut theirs = Theirs::new(version, qos, store);
                        b.iter(|| batch(&mut theirs, per_round));
                        assert!(theirs.conn.get_stored_packets().is_empty());
                    });
                }
            }
        }
        group.finish();
    }
}

/// The paired comparison: for each workload, the three clients take turns,
/// one short run each (10 batches, 10,000 messages), 30 times over, so that
/// all of them see the same machine load; prints the median ns per message
/// of each and the median of the per-turn ratios. On a shared machine these
/// ratios are steadier than those of separate criterion runs.
fn paired() {
    const TURNS: usize = 30;
    const BATCHES: usize = 10;
    fn run(client: &mut impl Client, per_round: usize) -> f64 {
        let start = thread_cpu_time();
        for _ in 0..BATCHES {
            batch(client, per_round);
        }
        (thread_cpu_time() - start).as_nanos() as f64 / (BATCHES * BATCH) as f64
    }
    println!("| QoS | version | shape | ours | theirs-store | ratio | theirs | ratio |");
    println!("|---|---|---|---:|---:|---:|---:|---:|");
    for qos in [QoS::AtLeastOnce, QoS::ExactlyOnce] {
        for version in [Version::V311, Version::V5] {
            for (shape, per_round) in [("rtt", 1), ("pipelined", WINDOW)] {
                let mut ours = Ours::new(version, qos);
                let mut store = Theirs::new(version, qos, true);
                let mut plain = Theirs::new(version, qos, false);
                let [o, st, pl]: [TurnStats; 3] = take_turns(
                    TURNS,
                    &mut [
                        &mut || run(&mut ours, per_round),
                        &mut || run(&mut store, per_round),
                        &mut || run(&mut plain, per_round),
                    ],
                )
                .try_into()
                .expect("three contenders");
                println!(
                    "| {} | {} | {shape} | {:.0} | {:.0} | {:.2}x | {:.0} | {:.2}x |",
                    qos as u8,
                    version.label(),
                    o.median,
                    st.median,
                    st.ratio_to_first,
                    pl.median,
                    pl.ratio_to_first,
                );
            }
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = bench_session
}

fn main() {
    if std::env::var_os("SESSION_BENCH_PAIRED").is_some() {
        return paired();
    }
    // What `criterion_main!` expands to.
    benches();
    Criterion::default().configure_from_args().final_summary();
}
