//! Durable sessions, killed for real: a publishing process and a durable
//! subscriber, each with a file store and clean session off, are killed
//! with SIGKILL at random instants and started again on the same store,
//! against Mosquitto (with persistence; the broker itself is not killed,
//! so every loss would be the client's).
//!
//! Checked once the dust settles, per QoS:
//! - every message whose `publish` returned a handle reaches the
//!   subscriber's callback: QoS 1 at least once, QoS 2 once, except at
//!   most one more per subscriber kill (the message whose callback was
//!   running, see `mqtt_client::store`);
//! - a message published at the instant of a kill (no handle seen) may or
//!   may not arrive, QoS 2 at most once (plus the same allowance);
//! - nothing arrives that was never published.
//!
//! `DURABLE_KILLS` sets the number of kills per QoS (default 30);
//! `scripts/durability-soak` runs 1,000.
//!
//! The children are this test binary, started again with `DURABLE_CHILD`
//! set: `pub` publishes numbered messages and prints `A <payload>` when a
//! handle came back; `sub` prints `R <payload>` from its callback.

mod common;
use adapter_std::{Client, ClientOptions};
use mqtt_proto::{ConnectProperties, ProtocolVersion, QoS};
use mqtt_testing::Broker;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TOPIC: &str = "durable/kill";

fn version_of(s: &str) -> ProtocolVersion {
    if s == "5" {
        ProtocolVersion::V5
    } else {
        ProtocolVersion::V3_1_1
    }
}

fn child_options(port: u16, id: &str, version: ProtocolVersion, dir: &Path) -> ClientOptions {
    let mut options = ClientOptions::new("127.0.0.1", port)
        .client_id(id)
        .protocol(version)
        .clean_start(false)
        .session_dir(dir)
        .reconnect_delay(Duration::from_millis(20), Duration::from_millis(200));
    if version.is_v5() {
        options = options.connect_properties(ConnectProperties {
            session_expiry_interval: Some(3600),
            ..Default::default()
        });
    }
    options
}

/// The publishing child: numbered messages, a window of handles.
fn publisher(port: u16, version: ProtocolVersion, dir: &Path, qos: QoS, incarnation: &str) {
    let client = Client::new(child_options(port, "kill-pub", version, dir)).unwrap();
    client.connect_async();
    client.loop_start().unwrap();
    let mut out = std::io::stdout().lock();
    let mut window = VecDeque::new();
    let count: u32 = std::env::var("DURABLE_COUNT").map_or(100_000, |c| c.parse().unwrap());
    for seq in 1..=count {
        let payload = format!("{incarnation}:{seq}");
        let handle = loop {
            match client.publish(TOPIC, payload.clone(), qos, false) {
                Ok(h) => break h,
                Err(e) => {
                    // The queue is full while disconnected: wait for room.
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        };
        writeln!(out, "A {payload}").unwrap();
        out.flush().unwrap();
        window.push_back(handle);
        if window.len() >= 50 {
            let oldest = window.pop_front().unwrap();
            oldest.wait_for_publish(Some(Duration::from_secs(60)));
        }
    }
    // Publishing nothing new: resume what the store holds, and stay.
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// The subscribing child: prints every message its callback gets.
fn subscriber(port: u16, version: ProtocolVersion, dir: &Path, qos: QoS) {
    let client = Client::new(child_options(port, "kill-sub", version, dir)).unwrap();
    client.on_connect(move |c, _| {
        c.subscribe(TOPIC, qos).unwrap();
    });
    client.on_subscribe(|_, _, _, _| {
        println!("S");
    });
    client.on_message(|_, m| {
        let mut out = std::io::stdout().lock();
        writeln!(out, "R {}", m.payload_str().unwrap()).unwrap();
        out.flush().unwrap();
    });
    client.connect_async();
    client.loop_forever().unwrap();
}

fn child_main(role: &str) {
    // The test harness has printed "test durable_kill_child ... " without
    // a newline: start our lines on a fresh one.
    println!();
    let port: u16 = std::env::var("DURABLE_PORT").unwrap().parse().unwrap();
    let version = version_of(&std::env::var("DURABLE_VERSION").unwrap());
    let qos = match std::env::var("DURABLE_QOS").unwrap().as_str() {
        "1" => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    };
    let dir = PathBuf::from(std::env::var("DURABLE_DIR").unwrap());
    match role {
        "pub" => publisher(
            port,
            version,
            &dir,
            qos,
            &std::env::var("DURABLE_INCARNATION").unwrap(),
        ),
        _ => subscriber(port, version, &dir, qos),
    }
}

/// A running child and the lines it printed (kept across its kills).
struct Role {
    role: &'static str,
    dir: PathBuf,
    child: Option<Child>,
    lines: Arc<Mutex<Vec<String>>>,
    incarnations: u32,
    kills: usize,
}

impl Role {
    fn new(role: &'static str, dir: PathBuf) -> Self {
        Self {
            role,
            dir,
            child: None,
            lines: Arc::default(),
            incarnations: 0,
            kills: 0,
        }
    }

    fn start(&mut self, port: u16, version: &str, qos: u8) {
        self.start_with(port, version, qos, None);
    }

    /// Starts the child; a publisher with `count` publishes that many.
    fn start_with(&mut self, port: u16, version: &str, qos: u8, count: Option<u32>) {
        self.incarnations += 1;
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "durable_kill_child",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env("DURABLE_CHILD", self.role)
            .env("DURABLE_PORT", port.to_string())
            .env("DURABLE_VERSION", version)
            .env("DURABLE_QOS", qos.to_string())
            .env("DURABLE_DIR", &self.dir)
            .env(
                "DURABLE_INCARNATION",
                format!("{}{}", version, self.incarnations),
            )
            .env("DURABLE_COUNT", count.unwrap_or(100_000).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let lines = self.lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.starts_with("A ") || line.starts_with("R ") || line == "S" {
                    lines.lock().unwrap().push(line);
                }
            }
        });
        self.child = Some(child);
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            self.kills += 1;
        }
    }

    fn count(&self, prefix: &str) -> usize {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.starts_with(prefix))
            .count()
    }
}

impl Drop for Role {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A small deterministic generator, seeded from the clock (printed, so a
/// failing run can be replayed with `DURABLE_SEED`).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn wait_for(what: &str, deadline: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs one QoS: `kills` kills spread over publisher and subscriber.
fn run(version: &str, qos: u8, kills: usize, seed: u64) -> String {
    let broker = Broker::config().persistence().start();
    let port = broker.port();
    let base = std::env::temp_dir().join(format!(
        "durable-kill-{}-{version}-{qos}",
        std::process::id()
    ));
    let mut publisher = Role::new("pub", base.join("pub"));
    let mut subscriber = Role::new("sub", base.join("sub"));
    subscriber.start(port, version, qos);
    wait_for("the first SUBACK", Duration::from_secs(10), || {
        subscriber.count("S") > 0
    });
    publisher.start(port, version, qos);
    let mut rng = Rng(seed | 1);
    let (mut pub_kills, mut sub_kills) = (0, 0);
    for _ in 0..kills {
        std::thread::sleep(Duration::from_millis(10 + rng.below(150)));
        let role = if rng.below(2) == 0 {
            pub_kills += 1;
            &mut publisher
        } else {
            sub_kills += 1;
            &mut subscriber
        };
        role.kill();
        std::thread::sleep(Duration::from_millis(rng.below(30)));
        role.start(port, version, qos);
    }
    // The last publisher publishes nothing new: it resumes what its store
    // holds, and the subscriber takes in everything accepted.
    std::thread::sleep(Duration::from_millis(200));
    publisher.kill();
    publisher.start_with(port, version, qos, Some(0));
    let accepted: BTreeSet<String> = publisher
        .lines
        .lock()
        .unwrap()
        .iter()
        .filter_map(|l| l.strip_prefix("A ").map(str::to_string))
        .collect();
    let sub_lines = subscriber.lines.clone();
    let received = move || -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for l in sub_lines.lock().unwrap().iter() {
            if let Some(p) = l.strip_prefix("R ") {
                *m.entry(p.to_string()).or_insert(0) += 1;
            }
        }
        m
    };
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        let r = received();
        if accepted.iter().all(|a| r.contains_key(a)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    publisher.kill();
    subscriber.kill();
    let received = received();
    // Nothing that was never published (payloads are incarnation:seq).
    let published = |p: &str| {
        p.split_once(':')
            .is_some_and(|(inc, seq)| inc.starts_with(version) && seq.parse::<u32>().is_ok())
    };
    for p in received.keys() {
        assert!(published(p), "{p:?} was never published");
    }
    let lost: Vec<_> = accepted
        .iter()
        .filter(|a| !received.contains_key(*a))
        .collect();
    assert!(
        lost.is_empty(),
        "lost {} messages: {:?}",
        lost.len(),
        &lost[..lost.len().min(10)]
    );
    let duplicates: usize = received.values().map(|n| n - 1).sum();
    if qos == 2 {
        assert!(
            duplicates <= sub_kills,
            "{duplicates} QoS 2 duplicates for {sub_kills} subscriber kills"
        );
    }
    format!(
        "MQTT {version} QoS {qos}: {kills} kills ({} publisher, {} subscriber), {} accepted, {} received once or more, 0 lost, {duplicates} duplicates",
        pub_kills + 1,
        sub_kills,
        accepted.len(),
        received.len(),
    )
}

/// The child processes' entry point (does nothing unless `DURABLE_CHILD` is set).
#[test]
fn durable_kill_child() {
    if let Ok(role) = std::env::var("DURABLE_CHILD") {
        child_main(&role);
    }
}

#[test]
fn killed_publishers_and_subscribers_lose_nothing() {
    if std::env::var_os("DURABLE_CHILD").is_some() {
        return;
    }
    let kills: usize = std::env::var("DURABLE_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(30);
    let seed = std::env::var("DURABLE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("DURABLE_SEED={seed}");
    for (version, qos) in [("311", 1), ("5", 2), ("311", 2), ("5", 1)] {
        let summary = run(version, qos, kills, seed);
        println!("{summary}");
    }
}
