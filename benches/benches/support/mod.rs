//! What the end-to-end benches share: the Mosquitto they run against, the
//! process CPU clock, and the one-publisher/one-subscriber workload run
//! through our blocking client and through rumqttc's sync client.
//!
//! Included by `e2e.rs` and `mio_clients.rs` as `mod support;`; each uses a
//! part of it.

#![allow(dead_code)]

use adapter_mio::{Driver, MqttClient};
use adapter_std::{Client, ClientOptions};
use bytes::Bytes;
use mqtt_proto::QoS;
use mqtt_testing::Broker;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The payload size the issue asks for.
pub const PAYLOAD_LEN: usize = 32;
/// Most messages unacknowledged at a time, for both libraries.
pub const WINDOW: usize = 1_000;
/// How long a run may go without the subscriber receiving anything before
/// it is declared stalled (QoS 0 messages may be dropped on the way).
const STALL: Duration = Duration::from_secs(5);

/// A Mosquitto that is not the bottleneck: no per-packet log file (the
/// fixture logs every packet otherwise), 1,000 messages in flight to each
/// subscriber (the default 20 would cap QoS 1/2 delivery), a queue deep
/// enough for a whole run, and TCP_NODELAY on its sockets (off by default
/// in Mosquitto 2.0, which would let Nagle's algorithm delay the second of
/// two back-to-back writes to one client by a delayed ACK).
pub fn broker() -> Broker {
    Broker::config()
        .line("log_type none")
        .line("log_type error")
        .line("log_type warning")
        .line(&format!("max_inflight_messages {WINDOW}"))
        .line("max_queued_messages 1000000")
        .line("set_tcp_nodelay true")
        // The e2e bench's TLS and WebSocket runs.
        .listener(mqtt_testing::Listener::Tls)
        .listener(mqtt_testing::Listener::WebSocket)
        .start()
}

/// User plus system CPU time of this whole process (every thread). The
/// broker is another process and is not included.
pub fn process_cpu() -> Duration {
    // SAFETY: getrusage only writes the struct we pass; zeroed is a valid rusage.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer to a rusage.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    assert_eq!(rc, 0, "getrusage failed");
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1_000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Context switches of this whole process so far (voluntary: a thread
/// blocked; involuntary: it was preempted). Thread hand-offs show here.
pub fn context_switches() -> u64 {
    // SAFETY: as in `process_cpu`.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer to a rusage.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    assert_eq!(rc, 0, "getrusage failed");
    (usage.ru_nvcsw + usage.ru_nivcsw) as u64
}

/// The load average line of `/proc/loadavg` (1, 5 and 15 minutes).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// A number from the environment, or `default`.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// Topics never repeat within a process, so a late message of one run
/// cannot be counted by the next.
pub fn unique_topic(prefix: &str) -> String {
    static RUN: AtomicUsize = AtomicUsize::new(0);
    format!(
        "bench/{prefix}/{}/{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed)
    )
}

/// One publisher/subscriber run.
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    /// Messages to publish.
    pub messages: usize,
    /// Their QoS, for the publish and the subscription.
    pub qos: QoS,
    /// The broker's process, whose CPU is measured too.
    pub broker_pid: Option<u32>,
}

/// What one run measured.
#[derive(Debug, Clone, Copy)]
pub struct RunResult {
    /// Messages the subscriber received (fewer than published only if the
    /// run stalled, which QoS 0 allows).
    pub received: usize,
    /// From the first publish to the last message received.
    pub wall: Duration,
    /// Process CPU over the same span, the idle baseline subtracted.
    pub cpu: Duration,
    /// Context switches of the process over the same span.
    pub switches: u64,
    /// The broker's CPU over the same span (zero if not measured).
    pub broker_cpu: Duration,
    /// The broker's context switches over the same span: mostly its
    /// sleeps in `epoll_wait` when no client had sent anything.
    pub broker_switches: u64,
    /// Syncs the file stores made in the run (store variants only).
    pub syncs: Option<u64>,
}

impl RunResult {
    /// Messages received per second.
    pub fn rate(&self) -> f64 {
        self.received as f64 / self.wall.as_secs_f64()
    }

    /// Context switches per received message.
    pub fn switches_per_message(&self) -> f64 {
        self.switches as f64 / self.received.max(1) as f64
    }

    /// CPU per received message, in microseconds.
    pub fn cpu_per_message_us(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.received.max(1) as f64
    }

    /// The broker's CPU per received message, in microseconds.
    pub fn broker_cpu_per_message_us(&self) -> f64 {
        self.broker_cpu.as_secs_f64() * 1e6 / self.received.max(1) as f64
    }

    /// The broker's context switches per received message.
    pub fn broker_switches_per_message(&self) -> f64 {
        self.broker_switches as f64 / self.received.max(1) as f64
    }

    /// How busy the broker was: its CPU over the wall time, in cores. Near
    /// 1.0 the single-threaded broker is the bottleneck, and any client's
    /// rate is capped by it.
    pub fn broker_load(&self) -> f64 {
        self.broker_cpu.as_secs_f64() / self.wall.as_secs_f64().max(1e-9)
    }
}

/// The clocks of one run, read at its start ([`Meter::start`]) and at its
/// end ([`Meter::finish`]).
pub struct Meter {
    idle: f64,
    cpu0: Duration,
    switches0: u64,
    broker_pid: Option<u32>,
    broker0: Duration,
    broker_switches0: u64,
    /// When the run started: its first publish.
    t0: Instant,
}

impl Meter {
    /// Measures the idle baseline (200 ms), then starts the clocks.
    pub fn start(broker_pid: Option<u32>) -> Self {
        let idle = idle_cpu_rate();
        Self {
            idle,
            cpu0: process_cpu(),
            switches0: context_switches(),
            broker_pid,
            broker0: broker_pid.map(cpu_of_process).unwrap_or_default(),
            broker_switches0: broker_pid.map(switches_of_process).unwrap_or_default(),
            t0: Instant::now(),
        }
    }

    /// The run's result, `received` messages of which the last came at `last`.
    pub fn finish(self, received: usize, last: Instant) -> RunResult {
        let cpu = process_cpu().saturating_sub(self.cpu0);
        let switches = context_switches() - self.switches0;
        let broker_cpu = self
            .broker_pid
            .map(|pid| cpu_of_process(pid).saturating_sub(self.broker0))
            .unwrap_or_default();
        let broker_switches = self
            .broker_pid
            .map(|pid| switches_of_process(pid).saturating_sub(self.broker_switches0))
            .unwrap_or_default();
        let wall = last.saturating_duration_since(self.t0);
        RunResult {
            syncs: None,
            received,
            wall,
            cpu: cpu.saturating_sub(Duration::from_secs_f64(self.idle * wall.as_secs_f64())),
            switches,
            broker_cpu,
            broker_switches,
        }
    }
}

/// Context switches (voluntary and not) of another process, from
/// `/proc/PID/status`; zero if it cannot be read.
pub fn switches_of_process(pid: u32) -> u64 {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return 0;
    };
    status
        .lines()
        .filter(|l| l.contains("ctxt_switches:"))
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum()
}

/// User plus system CPU time of another process, from `/proc/PID/stat`
/// (in clock ticks, 10 ms here); zero if it cannot be read.
pub fn cpu_of_process(pid: u32) -> Duration {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return Duration::ZERO;
    };
    // The command name may hold spaces; the fields that follow it do not.
    let Some(after_name) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_nanos(ticks * 1_000_000_000 / per_second)
}

/// CPU the process burns per second with both clients connected and idle
/// (keep-alive timers, wake-ups of background threads): measured over
/// 200 ms and subtracted from a run in proportion to its length.
pub fn idle_cpu_rate() -> f64 {
    let span = Duration::from_millis(200);
    let c0 = process_cpu();
    let t0 = Instant::now();
    std::thread::sleep(span);
    let used = process_cpu().saturating_sub(c0);
    used.as_secs_f64() / t0.elapsed().as_secs_f64()
}

/// Counts received messages and tells the waiting thread when all arrived.
struct Arrivals {
    count: AtomicUsize,
    target: usize,
    done: mpsc::SyncSender<Instant>,
}

impl Arrivals {
    fn new(target: usize) -> (Arc<Self>, mpsc::Receiver<Instant>) {
        let (done, rx) = mpsc::sync_channel(1);
        let me = Arc::new(Self {
            count: AtomicUsize::new(0),
            target,
            done,
        });
        (me, rx)
    }

    fn arrived(&self) {
        if self.count.fetch_add(1, Ordering::Relaxed) + 1 == self.target {
            let _ = self.done.try_send(Instant::now());
        }
    }

    fn count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }
}

/// Waits until every message arrived, or nothing arrived for [`STALL`].
/// Returns the received count and the time of the last arrival.
fn wait_arrivals(arrivals: &Arrivals, done: &mpsc::Receiver<Instant>) -> (usize, Instant) {
    let mut last_count = arrivals.count();
    let mut last_change = Instant::now();
    loop {
        match done.recv_timeout(Duration::from_millis(100)) {
            Ok(at) => return (arrivals.target, at),
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("subscriber gone"),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let count = arrivals.count();
                if count != last_count {
                    last_count = count;
                    last_change = Instant::now();
                } else if last_change.elapsed() > STALL {
                    return (count, last_change);
                }
            }
        }
    }
}

/// The workload through our blocking client: `make(client_id)` gives the
/// options (transport, protocol ...), which the publisher extends with an
/// in-flight window of [`WINDOW`]. Both clients run `loop_start`; the
/// calling thread publishes as fast as the window allows. The engine
/// queues what does not fit the window; waiting on the oldest handle once
/// [`WINDOW`] are outstanding keeps at most that many unfinished
/// (unacknowledged or queued) at any time.
/// A store variant's run: a private directory for the file stores of its
/// two clients, and client ids of its own (clean session off leaves a
/// session at the broker after each run), removed when dropped.
pub struct StoreRun {
    dir: std::path::PathBuf,
    tag: String,
}

impl StoreRun {
    pub fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("e2e-store-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Self {
            dir,
            tag: tag.replace('+', "-"),
        }
    }

    /// The options `make` gives for `id`, with a file store and clean session off.
    pub fn options(&self, make: &dyn Fn(&str) -> ClientOptions, id: &str) -> ClientOptions {
        make(&format!("{id}-{}", self.tag))
            .session_dir(self.dir.join(id))
            .clean_start(false)
    }
}

impl Drop for StoreRun {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn ours_blocking(make: &dyn Fn(&str) -> ClientOptions, w: Workload) -> RunResult {
    let topic = unique_topic("ours");
    let (arrivals, done) = Arrivals::new(w.messages);

    let sub = Client::new(make("e2e-ours-sub")).expect("subscriber options");
    let a = arrivals.clone();
    sub.on_message(move |_, _| a.arrived());
    let (subacked_tx, subacked) = mpsc::sync_channel(1);
    sub.on_subscribe(move |_, _, codes, _| {
        let _ = subacked_tx.try_send(codes.to_vec());
    });
    sub.connect().expect("subscriber connects");
    sub.loop_start().expect("subscriber loop");
    sub.subscribe(&topic, w.qos).expect("subscribe");
    let codes = subacked
        .recv_timeout(Duration::from_secs(10))
        .expect("SUBACK");
    assert!(
        codes.iter().all(|c| !c.is_error()),
        "subscription refused: {codes:?}"
    );

    let publisher =
        Client::new(make("e2e-ours-pub").max_inflight(WINDOW as u16)).expect("publisher options");
    publisher.connect().expect("publisher connects");
    publisher.loop_start().expect("publisher loop");

    let payload = Bytes::from(vec![0xA5u8; PAYLOAD_LEN]);
    let mut window = VecDeque::with_capacity(WINDOW);
    let meter = Meter::start(w.broker_pid);
    for _ in 0..w.messages {
        if window.len() == WINDOW {
            let oldest: adapter_std::MessageHandle = window.pop_front().expect("full window");
            let outcome = oldest
                .wait_for_publish(Some(Duration::from_secs(30)))
                .expect("a message stayed unacknowledged for 30 s");
            assert!(outcome.is_delivered(), "publish failed: {outcome:?}");
        }
        let handle = publisher
            .publish(&topic, payload.clone(), w.qos, false)
            .expect("publish");
        window.push_back(handle);
    }
    let (received, last) = wait_arrivals(&arrivals, &done);
    let result = meter.finish(received, last);

    for h in window {
        h.wait_for_publish(Some(Duration::from_secs(10)));
    }
    for c in [&publisher, &sub] {
        let _ = c.disconnect();
        let _ = c.loop_stop();
    }
    result
}

/// The workload through two adapter-mio `MqttClient`s on one `Driver`,
/// driven by the calling thread, which also publishes: up to a window per
/// turn, waiting (turning the driver) while [`WINDOW`] are unfinished.
pub fn ours_mio(make: &dyn Fn(&str) -> ClientOptions, w: Workload) -> RunResult {
    let topic = unique_topic("mio");
    let options = make;
    let mut driver = Driver::new().expect("mio Poll");
    let received = Arc::new(AtomicUsize::new(0));
    let last = Arc::new(std::sync::Mutex::new(Instant::now()));
    let subscribed = Arc::new(AtomicUsize::new(0));
    let completed = Arc::new(AtomicUsize::new(0));

    let sub = MqttClient::new(options("e2e-mio-sub")).expect("options");
    let (r, l, n) = (received.clone(), last.clone(), w.messages);
    sub.on_message(move |_, _| {
        if r.fetch_add(1, Ordering::Relaxed) + 1 == n {
            *l.lock().expect("lock") = Instant::now();
        }
    });
    let (s, t, qos) = (subscribed.clone(), topic.clone(), w.qos);
    sub.on_connect(move |c, _| {
        c.subscribe(&t, qos).expect("subscribe");
    });
    sub.on_subscribe(move |_, _, codes, _| {
        assert!(codes.iter().all(|c| !c.is_error()), "refused: {codes:?}");
        s.fetch_add(1, Ordering::Relaxed);
    });
    sub.connect().expect("connect");
    driver.add(sub);
    let publisher =
        MqttClient::new(options("e2e-mio-pub").max_inflight(WINDOW as u16)).expect("options");
    let c = completed.clone();
    publisher.on_publish(move |_, _, outcome| {
        assert!(outcome.is_delivered(), "publish failed: {outcome:?}");
        c.fetch_add(1, Ordering::Relaxed);
    });
    publisher.connect().expect("connect");
    let pub_id = driver.add(publisher);
    let ready = driver
        .run_until(Duration::from_secs(10), |d| {
            subscribed.load(Ordering::Relaxed) == 1
                && d.client(pub_id).is_some_and(MqttClient::is_connected)
        })
        .expect("driver");
    assert!(ready, "clients did not connect");

    let payload = Bytes::from(vec![0xA5u8; PAYLOAD_LEN]);
    let mut sent = 0;
    let mut last_count = 0;
    let mut last_change = Instant::now();
    let meter = Meter::start(w.broker_pid);
    while received.load(Ordering::Relaxed) < w.messages {
        let publisher = driver.client(pub_id).expect("publisher");
        // At most a window per turn: a QoS 0 message completes as soon as
        // it is written, and without a bound the loop would publish them
        // all before serving the subscriber once.
        let turn_end = sent + WINDOW;
        while sent < w.messages
            && sent < turn_end
            && sent - completed.load(Ordering::Relaxed) < WINDOW
        {
            publisher
                .publish(&topic, payload.clone(), w.qos, false)
                .expect("publish");
            sent += 1;
        }
        driver
            .run_once(Some(Duration::from_millis(100)))
            .expect("driver");
        let count = received.load(Ordering::Relaxed);
        if count != last_count {
            last_count = count;
            last_change = Instant::now();
        } else if last_change.elapsed() > Duration::from_secs(5) {
            *last.lock().expect("lock") = last_change;
            break;
        }
    }
    let last = *last.lock().expect("lock");
    let result = meter.finish(received.load(Ordering::Relaxed), last);
    let ids: Vec<_> = driver.ids().collect();
    for id in ids {
        if let Some(c) = driver.client(id) {
            let _ = c.disconnect();
        }
    }
    let _ = driver.run_until(Duration::from_millis(50), |_| false);
    result
}

/// rumqttc's QoS.
pub fn rumqttc_qos(qos: QoS) -> rumqttc::QoS {
    match qos {
        QoS::AtMostOnce => rumqttc::QoS::AtMostOnce,
        QoS::AtLeastOnce => rumqttc::QoS::AtLeastOnce,
        QoS::ExactlyOnce => rumqttc::QoS::ExactlyOnce,
    }
}

/// A rumqttc sync client with its `Connection` iterated on its own thread.
/// `on_event` sees every event; the thread ends when the connection errs
/// (after our DISCONNECT, or the client handles being dropped).
pub struct RumqttcPeer {
    /// The client handle.
    pub client: rumqttc::Client,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RumqttcPeer {
    /// Connects with rumqttc's default network options (TCP_NODELAY off)
    /// and waits for the CONNACK.
    pub fn start(
        options: rumqttc::MqttOptions,
        on_event: impl FnMut(&rumqttc::Event) + Send + 'static,
    ) -> Self {
        Self::start_with(options, false, on_event)
    }

    /// [`RumqttcPeer::start`], choosing TCP_NODELAY.
    pub fn start_with(
        options: rumqttc::MqttOptions,
        nodelay: bool,
        on_event: impl FnMut(&rumqttc::Event) + Send + 'static,
    ) -> Self {
        // Request channel capacity 10, as in rumqttc's examples.
        let (client, mut connection) = rumqttc::Client::new(options, 10);
        let mut network = connection.eventloop.network_options();
        network.set_tcp_nodelay(nodelay);
        connection.eventloop.set_network_options(network);
        let (connected_tx, connected) = mpsc::sync_channel(1);
        let mut on_event = on_event;
        let thread = std::thread::Builder::new()
            .name("rumqttc-conn".into())
            .spawn(move || {
                for event in connection.iter() {
                    match event {
                        Ok(e) => {
                            if let rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(_)) = &e {
                                let _ = connected_tx.try_send(());
                            }
                            let end = matches!(
                                e,
                                rumqttc::Event::Outgoing(rumqttc::Outgoing::Disconnect)
                            );
                            on_event(&e);
                            if end {
                                return;
                            }
                        }
                        Err(_) => return,
                    }
                }
            })
            .expect("spawn rumqttc thread");
        connected
            .recv_timeout(Duration::from_secs(10))
            .expect("rumqttc CONNACK");
        Self {
            client,
            thread: Some(thread),
        }
    }

    /// Sends DISCONNECT and waits for the connection thread.
    pub fn stop(mut self) {
        let _ = self.client.disconnect();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The workload through rumqttc's sync `Client`: each client's `Connection`
/// is iterated on its own thread, the calling thread publishes. The
/// publisher's in-flight limit is [`WINDOW`] (20 at QoS 2); rumqttc stops taking
/// requests while it is full, and `publish` blocks once its request
/// channel (capacity 10) is full too.
pub fn rumqttc_sync(make: &dyn Fn(&str) -> rumqttc::MqttOptions, w: Workload) -> RunResult {
    let topic = unique_topic("rumqttc");
    let (arrivals, done) = Arrivals::new(w.messages);
    let (subacked_tx, subacked) = mpsc::sync_channel(1);
    let a = arrivals.clone();
    let sub = RumqttcPeer::start(make("e2e-rumqttc-sub"), move |e| match e {
        rumqttc::Event::Incoming(rumqttc::Packet::Publish(_)) => a.arrived(),
        rumqttc::Event::Incoming(rumqttc::Packet::SubAck(ack)) => {
            let _ = subacked_tx.try_send(ack.return_codes.clone());
        }
        _ => {}
    });
    sub.client
        .subscribe(topic.clone(), rumqttc_qos(w.qos))
        .expect("rumqttc subscribe");
    let codes = subacked
        .recv_timeout(Duration::from_secs(10))
        .expect("rumqttc SUBACK");
    assert!(
        codes
            .iter()
            .all(|c| matches!(c, rumqttc::SubscribeReasonCode::Success(_))),
        "subscription refused: {codes:?}"
    );

    let mut options = make("e2e-rumqttc-pub");
    // At QoS 2 with more than Mosquitto's 20 in flight per client, rumqttc
    // (3.1.1) loses messages: the broker answers the excess with a
    // quota-exceeded PUBREC 3.1.1 cannot express. 20 keeps it correct.
    options.set_inflight(if w.qos == QoS::ExactlyOnce {
        20
    } else {
        WINDOW as u16
    });
    let publisher = RumqttcPeer::start(options, |_| {});

    let payload = vec![0xA5u8; PAYLOAD_LEN];
    let qos = rumqttc_qos(w.qos);
    let meter = Meter::start(w.broker_pid);
    for _ in 0..w.messages {
        publisher
            .client
            .publish(topic.as_str(), qos, false, payload.clone())
            .expect("rumqttc publish");
    }
    let (received, last) = wait_arrivals(&arrivals, &done);
    let result = meter.finish(received, last);
    publisher.stop();
    sub.stop();
    result
}

/// The median of some runs, by rate; CPU per message is the median on its own.
pub fn medians(runs: &[RunResult]) -> (f64, f64, usize) {
    let mut rates: Vec<f64> = runs.iter().map(RunResult::rate).collect();
    let mut cpus: Vec<f64> = runs.iter().map(RunResult::cpu_per_message_us).collect();
    rates.sort_by(f64::total_cmp);
    cpus.sort_by(f64::total_cmp);
    let min_received = runs.iter().map(|r| r.received).min().unwrap_or(0);
    (rates[rates.len() / 2], cpus[cpus.len() / 2], min_received)
}

/// The median of the runs' context switches per message.
pub fn median_switches(runs: &[RunResult]) -> f64 {
    median_of(runs, RunResult::switches_per_message)
}

/// The median over `runs` of `f`.
pub fn median_of(runs: &[RunResult], f: impl Fn(&RunResult) -> f64) -> f64 {
    let mut v: Vec<f64> = runs.iter().map(f).collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The libmosquitto peer (`benches/peers/mosquitto_peer.c`), compiled on
/// first use with the system's C compiler against Debian's
/// libmosquitto-dev. Panics with what to install if that fails.
pub fn mosquitto_peer() -> std::path::PathBuf {
    static BUILT: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let source = concat!(env!("CARGO_MANIFEST_DIR"), "/peers/mosquitto_peer.c");
            let binary = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("mosquitto_peer");
            let out = std::process::Command::new("cc")
                .args(["-O2", "-Wall", "-o"])
                .arg(&binary)
                .arg(source)
                .args(["-lmosquitto", "-lpthread"])
                .output()
                .unwrap_or_else(|e| panic!("cannot run the C compiler `cc`: {e}"));
            assert!(
                out.status.success(),
                "building the libmosquitto peer failed (apt-get install -y libmosquitto-dev gcc):\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            binary
        })
        .clone()
}

/// Runs the libmosquitto peer with `args`; what it printed.
fn run_mosquitto_peer(args: &[String]) -> String {
    let out = std::process::Command::new(mosquitto_peer())
        .args(args)
        .output()
        .expect("run the libmosquitto peer");
    assert!(
        out.status.success(),
        "libmosquitto peer failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The workload through libmosquitto (the C client), in its own process:
/// see `peers/mosquitto_peer.c`. It measures its own CPU and the broker's
/// over the same span as the Rust runs do.
pub fn mosquitto_c(port: u16, w: Workload) -> RunResult {
    let line = run_mosquitto_peer(&[
        "throughput".into(),
        port.to_string(),
        (w.qos as u8).to_string(),
        w.messages.to_string(),
        WINDOW.to_string(),
        w.broker_pid.unwrap_or(0).to_string(),
        unique_topic("mosquitto"),
    ]);
    let f: Vec<u64> = line
        .split_whitespace()
        .map(|v| v.parse().expect("a number from the libmosquitto peer"))
        .collect();
    assert_eq!(f.len(), 6, "libmosquitto peer said {line:?}");
    RunResult {
        syncs: None,
        received: f[0] as usize,
        wall: Duration::from_nanos(f[1]),
        cpu: Duration::from_nanos(f[2]),
        switches: f[3],
        broker_cpu: Duration::from_nanos(f[4]),
        broker_switches: f[5],
    }
}

/// QoS 1 round trips through libmosquitto with TCP_NODELAY:
/// (samples, p50, p99, p99.9 in µs) for publish → PUBACK and publish →
/// own subscription.
pub fn mosquitto_c_latency(port: u16, n: usize) -> [(usize, f64, f64, f64); 2] {
    let text = run_mosquitto_peer(&[
        "rtt".into(),
        port.to_string(),
        n.to_string(),
        unique_topic("mosquitto-rtt"),
    ]);
    let row = |what: &str| {
        let line = text
            .lines()
            .find(|l| l.starts_with(what))
            .unwrap_or_else(|| panic!("no {what} line in {text:?}"));
        let v: Vec<&str> = line.split_whitespace().collect();
        (
            v[1].parse().expect("count"),
            v[2].parse().expect("p50"),
            v[3].parse().expect("p99"),
            v[4].parse().expect("p99.9"),
        )
    };
    [row("puback"), row("own")]
}
