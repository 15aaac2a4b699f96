//! End to end through a local Mosquitto: our blocking client (adapter-std)
//! and our event-loop client (adapter-mio, on a Driver) next to rumqttc's
//! sync client and libmosquitto (the C client, `peers/mosquitto_peer.c`,
//! built on first use against Debian's libmosquitto-dev), in the same run.
//!
//! Throughput: one publisher and one subscriber, `E2E_MESSAGES` messages
//! (default 100,000) of 32 bytes at QoS 0, 1 and 2, at most 1,000
//! unacknowledged at a time (rumqttc: 20 at QoS 2), MQTT 3.1.1 for every
//! library. Each (library, QoS) runs `E2E_RUNS` times (default 3), the
//! libraries taking turns (and who goes first rotating), and the medians
//! are reported, then, for each of our clients, the median (and range) of
//! its ratios to the fastest and the thriftiest peer within each round:
//!
//! - messages/s: messages received over the wall time from the first
//!   publish to the last message received;
//! - client CPU per message: user + system time of this process (both
//!   clients and all their threads; the broker is another process) over the
//!   same span, minus the CPU the process burns with the clients connected
//!   and idle (measured for 200 ms before each run);
//! - the broker's CPU per message, context switches per message and load
//!   (its CPU over the wall time, in cores) over the same span, from
//!   `/proc`: Mosquitto is single-threaded, so a load near 1.0 means it is
//!   the bottleneck and caps any client's rate, and its CPU per message
//!   shows whether one client costs it more than the other.
//!
//! With a session store: `ours+store` and `ours-mio+store` are the same
//! two clients with a file store each (`session_dir`, clean session off, a
//! fresh directory per run on the machine's disk) at QoS 1 and 2, reported
//! against the same client without a store in the same round, with the
//! store's syncs (`fdatasync`) per message for publisher and subscriber
//! together: the cost of a session that survives a crash.
//!
//! Latency: `E2E_RTT` (default 10,000) sequential QoS 1 round trips with
//! each library's default settings, after 500 unrecorded ones, at most 3 s
//! per row (rumqttc's default leaves Nagle's algorithm on, and its round
//! trip through its own subscription then waits for a delayed ACK, about
//! 40 ms, so it is also measured with TCP_NODELAY): publish to
//! PUBACK (ours: until `wait_for_publish` returns on the publishing thread;
//! rumqttc: until its event loop yields the PUBACK, since it has no
//! per-message handle), and publish to receipt of the same message through
//! the client's own subscription (both: when the library hands the message
//! to the application). p50, p99 and p99.9.
//!
//! The broker is tuned not to be the bottleneck (see `support::broker`).
//! Other processes share the CPU: the load average is printed with the
//! results, and numbers from runs under different loads do not compare.
//!
//! Run: `cargo bench -p mqtt-benches --bench e2e`
//! Quick: `E2E_MESSAGES=20000 E2E_RUNS=1 E2E_RTT=2000 cargo bench -p mqtt-benches --bench e2e`
//! One transport: `E2E_TRANSPORTS=tcp` (a comma-separated list of name
//! prefixes); some QoS levels: `E2E_QOS=1,2`; no latency part: `E2E_RTT=0`;
//! some libraries (for profiling): `E2E_LIBS=ours,ours-mio,rumqttc,libmosquitto`.
//! Without `--bench` (as `cargo test --benches` runs it) it is a smoke run
//! of 2,000 messages and 200 round trips.
//!
//! A transport is one more [`Transport`]: a function making our
//! `ClientOptions` and one making rumqttc's `MqttOptions`. Over TLS
//! (`mqtts`, rustls, the broker's test CA) and WebSocket (`ws`) only our
//! client runs: rumqttc is built here without its TLS and WebSocket
//! features (its rustls feature wants aws-lc-rs, which needs cmake).

mod support;

use adapter_std::{Client, ClientOptions, TlsOptions, WsOptions};
use bytes::Bytes;
use mqtt_proto::QoS;
use mqtt_testing::{Broker, Listener};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::{env_usize, Workload};

/// How both libraries reach the broker.
struct Transport {
    name: &'static str,
    /// Our options for a client id, with that transport.
    ours: Box<dyn Fn(&str) -> ClientOptions>,
    /// rumqttc's options for a client id, with that transport, if it has one here.
    theirs: Option<MakeRumqttc>,
    /// The plain port libmosquitto connects to, for the TCP transport.
    mosquitto_port: Option<u16>,
}

/// Makes rumqttc's options for a client id.
type MakeRumqttc = Box<dyn Fn(&str) -> rumqttc::MqttOptions>;

/// Plain TCP to the broker's listener, MQTT 3.1.1, default settings otherwise.
fn tcp(broker: &Broker) -> Transport {
    let port = broker.port();
    Transport {
        name: "tcp",
        ours: Box::new(move |id| ClientOptions::new("127.0.0.1", port).client_id(id)),
        theirs: Some(Box::new(move |id| {
            rumqttc::MqttOptions::new(id, "127.0.0.1", port)
        })),
        mosquitto_port: Some(port),
    }
}

/// TLS (rustls, verified against the broker's test CA) to its TLS listener.
fn tls(broker: &Broker) -> Transport {
    let port = broker.port_of(Listener::Tls);
    let ca = broker.certs().ca.clone();
    Transport {
        name: "mqtts (TLS)",
        ours: Box::new(move |id| {
            ClientOptions::new("localhost", port)
                .tls(TlsOptions::new().ca_file(&ca))
                .client_id(id)
        }),
        theirs: None,
        mosquitto_port: None,
    }
}

/// WebSocket to the broker's WebSocket listener.
fn websocket(broker: &Broker) -> Transport {
    let port = broker.port_of(Listener::WebSocket);
    Transport {
        name: "ws (WebSocket)",
        ours: Box::new(move |id| {
            ClientOptions::new("127.0.0.1", port)
                .websocket(WsOptions::new())
                .client_id(id)
        }),
        theirs: None,
        mosquitto_port: None,
    }
}

fn qos_name(qos: QoS) -> &'static str {
    match qos {
        QoS::AtMostOnce => "QoS 0",
        QoS::AtLeastOnce => "QoS 1",
        QoS::ExactlyOnce => "QoS 2",
    }
}

/// The libraries of the throughput runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lib {
    /// adapter-std's blocking client.
    Ours,
    /// adapter-mio's client on a Driver.
    OursMio,
    /// rumqttc's sync client.
    Rumqttc,
    /// libmosquitto, the C client.
    Mosquitto,
    /// adapter-std's blocking client with a file store (clean session off).
    OursStore,
    /// adapter-mio's client with a file store (clean session off).
    OursMioStore,
}

impl Lib {
    const ALL: [Lib; 6] = [
        Lib::Ours,
        Lib::OursMio,
        Lib::Rumqttc,
        Lib::Mosquitto,
        Lib::OursStore,
        Lib::OursMioStore,
    ];

    fn name(self) -> &'static str {
        match self {
            Lib::Ours => "ours",
            Lib::OursMio => "ours-mio",
            Lib::Rumqttc => "rumqttc",
            Lib::Mosquitto => "libmosquitto",
            Lib::OursStore => "ours+store",
            Lib::OursMioStore => "ours-mio+store",
        }
    }

    /// One of our clients without a store, held to the peers' figures.
    fn is_ours(self) -> bool {
        matches!(self, Lib::Ours | Lib::OursMio)
    }

    fn is_peer(self) -> bool {
        matches!(self, Lib::Rumqttc | Lib::Mosquitto)
    }

    /// The same client without a store, for a store variant.
    fn without_store(self) -> Option<Lib> {
        match self {
            Lib::OursStore => Some(Lib::Ours),
            Lib::OursMioStore => Some(Lib::OursMio),
            _ => None,
        }
    }
}

fn throughput(t: &Transport, broker: &Broker, messages: usize, runs: usize) {
    println!(
        "\n## {}: {messages} messages of {} bytes, window {}, MQTT 3.1.1, median of {runs}\n",
        t.name,
        support::PAYLOAD_LEN,
        support::WINDOW
    );
    println!("| QoS   | library      | msg/s   | CPU µs/msg | switches/msg | broker µs/msg | broker sw/msg | broker load | received | runs (msg/s)");
    println!("|-------|--------------|---------|------------|--------------|---------------|---------------|-------------|----------|-------------");
    // E2E_QOS=1,2 runs only those levels.
    let levels = std::env::var("E2E_QOS").unwrap_or_default();
    let chosen = |q: u8| levels.is_empty() || levels.split(',').any(|l| l.trim() == q.to_string());
    // E2E_LIBS=ours,libmosquitto runs those libraries only (for profiling).
    let wanted = std::env::var("E2E_LIBS").unwrap_or_default();
    let libs: Vec<Lib> = Lib::ALL
        .into_iter()
        .filter(|l| wanted.is_empty() || wanted.split(',').any(|w| w.trim() == l.name()))
        .filter(|l| match l {
            Lib::Rumqttc => t.theirs.is_some(),
            Lib::Mosquitto => t.mosquitto_port.is_some(),
            // The store variants run over TCP only.
            Lib::OursStore | Lib::OursMioStore => t.mosquitto_port.is_some(),
            _ => true,
        })
        .collect();
    let qos_levels = [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce];
    for qos in qos_levels.into_iter().filter(|&q| chosen(q as u8)) {
        // QoS 0 is not stored: the store variants would measure nothing new.
        let libs: Vec<Lib> = libs
            .iter()
            .copied()
            .filter(|l| qos != QoS::AtMostOnce || l.without_store().is_none())
            .collect();
        let w = Workload {
            messages,
            qos,
            broker_pid: broker.pid(),
        };
        let mut results: Vec<Vec<support::RunResult>> = vec![Vec::new(); libs.len()];
        for run in 0..runs {
            // The libraries take turns, and who goes first rotates, so none
            // always meets the broker straight after the same other.
            for k in 0..libs.len() {
                let i = (run + k) % libs.len();
                let r = match libs[i] {
                    Lib::Ours => support::ours_blocking(&*t.ours, w),
                    Lib::OursMio => support::ours_mio(&*t.ours, w),
                    Lib::Rumqttc => support::rumqttc_sync(t.theirs.as_deref().expect("rumqttc"), w),
                    Lib::Mosquitto => {
                        support::mosquitto_c(t.mosquitto_port.expect("libmosquitto"), w)
                    }
                    Lib::OursStore | Lib::OursMioStore => {
                        let store = support::StoreRun::new(&format!("{}-{run}", libs[i].name()));
                        let make = |id: &str| store.options(&*t.ours, id);
                        let syncs = adapter_std::store::FileStore::syncs_made();
                        let mut r = if libs[i] == Lib::OursStore {
                            support::ours_blocking(&make, w)
                        } else {
                            support::ours_mio(&make, w)
                        };
                        r.syncs = Some(adapter_std::store::FileStore::syncs_made() - syncs);
                        r
                    }
                };
                results[i].push(r);
            }
        }
        for (lib, results) in libs.iter().zip(&results) {
            let (rate, cpu, received) = support::medians(results);
            let switches = support::median_switches(results);
            let broker_cpu =
                support::median_of(results, support::RunResult::broker_cpu_per_message_us);
            let broker_load = support::median_of(results, support::RunResult::broker_load);
            let broker_switches =
                support::median_of(results, support::RunResult::broker_switches_per_message);
            let each: Vec<String> = results.iter().map(|r| format!("{:.0}", r.rate())).collect();
            println!(
                "| {} | {:<12} | {rate:>7.0} | {cpu:>10.2} | {switches:>12.2} | {broker_cpu:>13.2} | {broker_switches:>13.2} | {broker_load:>11.2} | {received:>8} | {}",
                qos_name(qos),
                lib.name(),
                each.join(" ")
            );
        }
        goals(&libs, &results);
        store_cost(&libs, &results, messages);
    }
}

/// The goal for the store: at least half the rate of the same
/// client without it, in the same round; and the syncs it took per message
/// (publisher and subscriber together).
fn store_cost(libs: &[Lib], results: &[Vec<support::RunResult>], messages: usize) {
    for (i, lib) in libs.iter().enumerate() {
        let Some(plain) = lib
            .without_store()
            .and_then(|p| libs.iter().position(|l| *l == p))
        else {
            continue;
        };
        let mut ratios: Vec<f64> = results[i]
            .iter()
            .zip(&results[plain])
            .map(|(s, p)| s.rate() / p.rate())
            .collect();
        ratios.sort_by(f64::total_cmp);
        let mut syncs: Vec<f64> = results[i]
            .iter()
            .filter_map(|r| r.syncs)
            .map(|n| n as f64 / messages as f64)
            .collect();
        syncs.sort_by(f64::total_cmp);
        let (ratio, low, high) = (
            ratios[ratios.len() / 2],
            ratios[0],
            ratios[ratios.len() - 1],
        );
        println!(
            "|       | {}: paired rate / {} x{ratio:.2} (x{low:.2}..x{high:.2}), fsyncs per message {:.3}; goal (rate >= x0.50): {}",
            lib.name(),
            libs[plain].name(),
            syncs[syncs.len() / 2],
            if ratio >= 0.5 { "met" } else { "NOT met" }
        );
    }
}

/// The goals for each of our clients against the peers of the
/// same run: a rate at least the fastest peer's, CPU per message at most
/// 0.8 of the lowest peer's. Ratios are taken within each round (the runs
/// of one round are back to back), and their median reported.
fn goals(libs: &[Lib], results: &[Vec<support::RunResult>]) {
    let peers: Vec<usize> = (0..libs.len()).filter(|&i| libs[i].is_peer()).collect();
    if peers.is_empty() {
        return;
    }
    let rounds = results.iter().map(Vec::len).min().unwrap_or(0);
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[v.len() / 2], v[0], v[v.len() - 1])
    };
    for ours in (0..libs.len()).filter(|&i| libs[i].is_ours()) {
        // Per round: our rate over the fastest peer's, our CPU over the
        // lowest peer CPU of that round.
        let rate: Vec<f64> = (0..rounds)
            .map(|r| {
                let best = peers
                    .iter()
                    .map(|&p| results[p][r].rate())
                    .fold(0.0, f64::max);
                results[ours][r].rate() / best
            })
            .collect();
        let cpu: Vec<f64> = (0..rounds)
            .map(|r| {
                let lowest = peers
                    .iter()
                    .map(|&p| results[p][r].cpu_per_message_us())
                    .fold(f64::MAX, f64::min);
                results[ours][r].cpu_per_message_us() / lowest
            })
            .collect();
        let (rate, rate_low, rate_high) = median(rate);
        let (cpu, cpu_low, cpu_high) = median(cpu);
        let met = rate >= 1.0 && cpu <= 0.8;
        println!(
            "|       | {}: paired rate / fastest peer x{rate:.2} (x{rate_low:.2}..x{rate_high:.2}), CPU / lowest peer x{cpu:.2} (x{cpu_low:.2}..x{cpu_high:.2}); goal (rate >= x1.00, CPU <= x0.80): {}",
            libs[ours].name(),
            if met { "met" } else { "NOT met" }
        );
    }
}

/// Percentiles of round trips, in microseconds.
fn percentiles(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 * q) as usize).min(samples.len() - 1);
        samples[i].as_secs_f64() * 1e6
    };
    (at(0.50), at(0.99), at(0.999))
}

/// Unrecorded round trips before the recorded ones.
const WARM_UP: usize = 500;
/// Most time spent warming up, and recording, per phase: a client whose
/// round trip waits for a delayed ACK (40 ms) gets fewer samples rather
/// than minutes of them.
const WARM_UP_CAP: Duration = Duration::from_millis(500);
const PHASE_CAP: Duration = Duration::from_secs(3);

/// Runs `once` (one round trip, returning how long it took) [`WARM_UP`]
/// times, then records up to `n` of them.
fn sample(n: usize, mut once: impl FnMut() -> Duration) -> Vec<Duration> {
    let start = Instant::now();
    for _ in 0..WARM_UP {
        once();
        if start.elapsed() > WARM_UP_CAP {
            break;
        }
    }
    let start = Instant::now();
    let mut samples = Vec::with_capacity(n);
    while samples.len() < n {
        samples.push(once());
        if start.elapsed() > PHASE_CAP {
            break;
        }
    }
    samples
}

/// Round trips of our client with default options and `loop_start`.
fn ours_latency(make: &dyn Fn(&str) -> ClientOptions, n: usize) -> (Vec<Duration>, Vec<Duration>) {
    let client = Client::new(make("e2e-ours-rtt")).expect("options");
    let (got_tx, got) = mpsc::sync_channel::<Instant>(64);
    client.on_message(move |_, _| {
        let _ = got_tx.try_send(Instant::now());
    });
    let (subacked_tx, subacked) = mpsc::sync_channel(1);
    client.on_subscribe(move |_, _, _, _| {
        let _ = subacked_tx.try_send(());
    });
    client.connect().expect("connect");
    client.loop_start().expect("loop");
    let payload = Bytes::from(vec![0xA5u8; support::PAYLOAD_LEN]);

    let topic = support::unique_topic("rtt-ours");
    let puback = sample(n, || {
        let t0 = Instant::now();
        let h = client
            .publish(&topic, payload.clone(), QoS::AtLeastOnce, false)
            .expect("publish");
        let outcome = h
            .wait_for_publish(Some(Duration::from_secs(10)))
            .expect("PUBACK within 10 s");
        let rtt = t0.elapsed();
        assert!(outcome.is_delivered());
        rtt
    });

    let topic = support::unique_topic("rtt-ours-sub");
    client
        .subscribe(&topic, QoS::AtLeastOnce)
        .expect("subscribe");
    subacked
        .recv_timeout(Duration::from_secs(10))
        .expect("SUBACK");
    let own = sample(n, || {
        let t0 = Instant::now();
        client
            .publish(&topic, payload.clone(), QoS::AtLeastOnce, false)
            .expect("publish");
        let at = got
            .recv_timeout(Duration::from_secs(10))
            .expect("own message within 10 s");
        at.saturating_duration_since(t0)
    });
    let _ = client.disconnect();
    let _ = client.loop_stop();
    (puback, own)
}

/// Round trips of adapter-mio's client on a Driver turned by this thread.
fn ours_mio_latency(
    make: &dyn Fn(&str) -> ClientOptions,
    n: usize,
) -> (Vec<Duration>, Vec<Duration>) {
    let mut driver = adapter_mio::Driver::new().expect("mio Poll");
    let client = adapter_mio::MqttClient::new(make("e2e-mio-rtt")).expect("options");
    let got = std::sync::Arc::new(std::sync::Mutex::new(None::<Instant>));
    let g = got.clone();
    client.on_message(move |_, _| *g.lock().expect("lock") = Some(Instant::now()));
    let subacked = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s = subacked.clone();
    client.on_subscribe(move |_, _, _, _| s.store(true, std::sync::atomic::Ordering::Relaxed));
    client.connect().expect("connect");
    let id = driver.add(client);
    let limit = Duration::from_secs(10);
    assert!(driver
        .run_until(limit, |d| d.client(id).is_some_and(|c| c.is_connected()))
        .expect("driver"));
    let payload = Bytes::from(vec![0xA5u8; support::PAYLOAD_LEN]);

    let topic = support::unique_topic("rtt-mio");
    let puback = sample(n, || {
        let t0 = Instant::now();
        let h = driver
            .client(id)
            .expect("client")
            .publish(&topic, payload.clone(), QoS::AtLeastOnce, false)
            .expect("publish");
        assert!(driver
            .run_until(limit, |_| h.is_published())
            .expect("driver"));
        t0.elapsed()
    });

    let topic = support::unique_topic("rtt-mio-sub");
    driver
        .client(id)
        .expect("client")
        .subscribe(&topic, QoS::AtLeastOnce)
        .expect("subscribe");
    assert!(driver
        .run_until(limit, |_| subacked
            .load(std::sync::atomic::Ordering::Relaxed))
        .expect("driver"));
    let own = sample(n, || {
        let t0 = Instant::now();
        driver
            .client(id)
            .expect("client")
            .publish(&topic, payload.clone(), QoS::AtLeastOnce, false)
            .expect("publish");
        assert!(driver
            .run_until(limit, |_| got.lock().expect("lock").is_some())
            .expect("driver"));
        let at = got.lock().expect("lock").take().expect("arrived");
        at.saturating_duration_since(t0)
    });
    let _ = driver.client(id).map(|c| c.disconnect());
    (puback, own)
}

/// Round trips of rumqttc's sync client with default options, TCP_NODELAY
/// as given (rumqttc's default is off).
fn rumqttc_latency(
    make: &dyn Fn(&str) -> rumqttc::MqttOptions,
    n: usize,
    nodelay: bool,
) -> (Vec<Duration>, Vec<Duration>) {
    let (ack_tx, acks) = mpsc::channel::<Instant>();
    let (msg_tx, msgs) = mpsc::channel::<Instant>();
    let (subacked_tx, subacked) = mpsc::sync_channel(1);
    let on_event = move |e: &rumqttc::Event| match e {
        rumqttc::Event::Incoming(rumqttc::Packet::PubAck(_)) => {
            let _ = ack_tx.send(Instant::now());
        }
        rumqttc::Event::Incoming(rumqttc::Packet::Publish(_)) => {
            let _ = msg_tx.send(Instant::now());
        }
        rumqttc::Event::Incoming(rumqttc::Packet::SubAck(_)) => {
            let _ = subacked_tx.try_send(());
        }
        _ => {}
    };
    let peer = support::RumqttcPeer::start_with(make("e2e-rumqttc-rtt"), nodelay, on_event);
    let payload = vec![0xA5u8; support::PAYLOAD_LEN];
    let qos = rumqttc::QoS::AtLeastOnce;

    let topic = support::unique_topic("rtt-rumqttc");
    let puback = sample(n, || {
        let t0 = Instant::now();
        peer.client
            .publish(topic.as_str(), qos, false, payload.clone())
            .expect("publish");
        let at = acks
            .recv_timeout(Duration::from_secs(10))
            .expect("PUBACK within 10 s");
        at.saturating_duration_since(t0)
    });

    let topic = support::unique_topic("rtt-rumqttc-sub");
    peer.client
        .subscribe(topic.as_str(), qos)
        .expect("subscribe");
    subacked
        .recv_timeout(Duration::from_secs(10))
        .expect("SUBACK");
    let own = sample(n, || {
        // PUBACKs of this phase are not waited for; drop them.
        while acks.try_recv().is_ok() {}
        let t0 = Instant::now();
        peer.client
            .publish(topic.as_str(), qos, false, payload.clone())
            .expect("publish");
        let at = msgs
            .recv_timeout(Duration::from_secs(10))
            .expect("own message within 10 s");
        at.saturating_duration_since(t0)
    });
    peer.stop();
    (puback, own)
}

fn latency(t: &Transport, n: usize) {
    println!(
        "\n## {}: QoS 1 round trips, default settings, up to {n} sequential \
         (after up to {WARM_UP} warm-up; at most {} s per row)\n",
        t.name,
        PHASE_CAP.as_secs()
    );
    println!("| round trip                  | library                    | samples | p50 µs  | p99 µs  | p99.9 µs");
    println!("|-----------------------------|----------------------------|---------|---------|---------|---------");
    // (round trip, library, samples, p50, p99, p99.9)
    let mut lines: Vec<(&str, &str, usize, f64, f64, f64)> = Vec::new();
    let mut add = |name: &'static str, (ack, own): (Vec<Duration>, Vec<Duration>)| {
        for (what, samples) in [
            ("publish -> PUBACK", ack),
            ("publish -> own subscription", own),
        ] {
            let count = samples.len();
            let (p50, p99, p999) = percentiles(samples);
            lines.push((what, name, count, p50, p99, p999));
        }
    };
    add("ours (tcp_nodelay default)", ours_latency(&*t.ours, n));
    add("ours-mio", ours_mio_latency(&*t.ours, n));
    if let Some(make) = &t.theirs {
        add(
            "rumqttc (default: Nagle on)",
            rumqttc_latency(&**make, n, false),
        );
        add("rumqttc (tcp_nodelay)", rumqttc_latency(&**make, n, true));
    }
    if let Some(port) = t.mosquitto_port {
        let [ack, own] = support::mosquitto_c_latency(port, n);
        for (what, (count, p50, p99, p999)) in [
            ("publish -> PUBACK", ack),
            ("publish -> own subscription", own),
        ] {
            lines.push((what, "libmosquitto (tcp_nodelay)", count, p50, p99, p999));
        }
    }
    lines.sort_by_key(|l| l.0 != "publish -> PUBACK");
    for (what, name, count, p50, p99, p999) in lines {
        println!("| {what:<27} | {name:<26} | {count:>7} | {p50:>7.1} | {p99:>7.1} | {p999:>8.1}");
    }
}

fn main() {
    // `cargo bench` passes --bench; anything else (cargo test --benches) is a smoke run.
    let full = std::env::args().any(|a| a == "--bench");
    let messages = env_usize("E2E_MESSAGES", if full { 100_000 } else { 2_000 });
    let runs = env_usize("E2E_RUNS", if full { 3 } else { 1 }).max(1);
    let rtt = env_usize("E2E_RTT", if full { 10_000 } else { 200 });

    let broker = support::broker();
    let transports = [tcp(&broker), tls(&broker), websocket(&broker)];
    println!("# e2e: load average before: {}", support::load_average());
    let started = Instant::now();
    // E2E_TRANSPORTS=tcp,ws runs only those (by the start of their names).
    let only = std::env::var("E2E_TRANSPORTS").ok();
    let chosen = |t: &Transport| match only.as_deref() {
        None => true,
        Some(list) => list
            .split(',')
            .any(|w| !w.is_empty() && t.name.starts_with(w.trim())),
    };
    for t in transports.iter().filter(|t| chosen(t)) {
        throughput(t, &broker, messages, runs);
        if rtt > 0 {
            latency(t, rtt);
        }
    }
    println!(
        "\nload average after: {}; took {:.1} s",
        support::load_average(),
        started.elapsed().as_secs_f64()
    );
}
