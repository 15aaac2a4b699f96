//! Issue 7: memory per idle client with many clients on one thread, and the
//! throughput of one client through adapter-mio next to the blocking client.
//!
//! Memory: `MIO_CLIENTS` (default 10,000) clients are connected to a local
//! Mosquitto, each subscribed to one topic with keep alive 60 s, all on
//! this thread: ours on one `adapter_mio::Driver`, rumqttc's `AsyncClient`s
//! with their `EventLoop`s as tasks of one current-thread tokio runtime (its
//! sync `Client` would add a runtime and a thread per client). Each side
//! gets a fresh broker. Heap is counted by this binary's global allocator
//! (bytes requested minus bytes freed, and live blocks); RSS is `VmRSS` of
//! `/proc/self/status`. Both are read before the driver / runtime is made
//! and after every client is subscribed and the loop has been idle for
//! 300 ms; per client = difference / clients, so the fixed costs of the
//! driver or runtime are spread over the clients. Heap growth by size
//! class shows where the bytes go.
//!
//! File descriptors: the clients need one each (the broker, a child
//! process, inherits the same limit). If the soft `RLIMIT_NOFILE` is too
//! low it is raised to the hard limit with `setrlimit`; if the hard limit is
//! too low as well the bench re-executes itself under
//! `prlimit --nofile=65536:65536` (which needs CAP_SYS_RESOURCE), and if that
//! fails it measures as many clients as the limit allows and says so.
//!
//! Throughput: the workload of the e2e bench (one publisher, one
//! subscriber, `E2E_MESSAGES` messages of 32 bytes, window 1,000, MQTT
//! 3.1.1) at QoS 0, 1 and 2 through two `MqttClient`s on one `Driver` on
//! this thread, next to the blocking `adapter_std::Client` pair; median of
//! `E2E_RUNS` runs (default 3).
//!
//! Run: `cargo bench -p mqtt-benches --bench mio_clients`
//! One part: `MIO_PARTS=memory` or `MIO_PARTS=throughput`.
//! Without `--bench` (cargo test --benches) it is a smoke run with 200
//! clients and 2,000 messages.

mod support;

use adapter_mio::{Driver, MqttClient};
use adapter_std::ClientOptions;
use mqtt_proto::QoS;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{env_usize, Workload};

// ---- a counting allocator ----

/// Size classes: class k holds blocks of [2^(k-1), 2^k) bytes.
const CLASSES: usize = 48;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);
static LIVE_BLOCKS: AtomicIsize = AtomicIsize::new(0);
static CLASS_BYTES: [AtomicIsize; CLASSES] = [const { AtomicIsize::new(0) }; CLASSES];
static CLASS_BLOCKS: [AtomicIsize; CLASSES] = [const { AtomicIsize::new(0) }; CLASSES];

/// The system allocator, counting live bytes and blocks (in total and per
/// size class) so the bench can tell what clients keep on the heap.
struct Counting;

fn class_of(size: usize) -> usize {
    ((usize::BITS - size.leading_zeros()) as usize).min(CLASSES - 1)
}

fn track(size: usize, sign: isize) {
    let bytes = size as isize * sign;
    LIVE_BYTES.fetch_add(bytes, Ordering::Relaxed);
    LIVE_BLOCKS.fetch_add(sign, Ordering::Relaxed);
    let c = class_of(size);
    CLASS_BYTES[c].fetch_add(bytes, Ordering::Relaxed);
    CLASS_BLOCKS[c].fetch_add(sign, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `System` with the caller's arguments;
// the counters are only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            track(layout.size(), 1);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            track(layout.size(), 1);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) };
        track(layout.size(), -1);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            track(layout.size(), -1);
            track(new_size, 1);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Heap and RSS at one moment.
#[derive(Clone)]
struct Snapshot {
    heap: isize,
    blocks: isize,
    class_bytes: Vec<isize>,
    class_blocks: Vec<isize>,
    rss: isize,
}

fn rss_bytes() -> isize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: isize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS in /proc/self/status");
    kib * 1024
}

fn snapshot() -> Snapshot {
    Snapshot {
        heap: LIVE_BYTES.load(Ordering::Relaxed),
        blocks: LIVE_BLOCKS.load(Ordering::Relaxed),
        class_bytes: CLASS_BYTES
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect(),
        class_blocks: CLASS_BLOCKS
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect(),
        rss: rss_bytes(),
    }
}

/// What `clients` idle clients cost.
struct Memory {
    clients: usize,
    before: Snapshot,
    after: Snapshot,
    /// Heap still held once the clients and their loop were dropped.
    leftover: isize,
    connect_time: Duration,
}

impl Memory {
    fn heap_per_client(&self) -> f64 {
        (self.after.heap - self.before.heap) as f64 / self.clients as f64
    }

    fn blocks_per_client(&self) -> f64 {
        (self.after.blocks - self.before.blocks) as f64 / self.clients as f64
    }

    fn rss_per_client(&self) -> f64 {
        (self.after.rss - self.before.rss) as f64 / self.clients as f64
    }

    /// Growth per size class, per client: (class upper bound, bytes, blocks).
    fn by_class(&self) -> Vec<(usize, f64, f64)> {
        (0..CLASSES)
            .filter_map(|c| {
                let bytes = self.after.class_bytes[c] - self.before.class_bytes[c];
                let blocks = self.after.class_blocks[c] - self.before.class_blocks[c];
                (bytes != 0 || blocks != 0).then(|| {
                    (
                        1usize << c,
                        bytes as f64 / self.clients as f64,
                        blocks as f64 / self.clients as f64,
                    )
                })
            })
            .collect()
    }
}

// ---- file descriptors ----

/// The soft and hard `RLIMIT_NOFILE`.
fn nofile_limits() -> (u64, u64) {
    // SAFETY: getrlimit writes the struct we pass.
    let mut lim: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: a valid resource and pointer.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    assert_eq!(rc, 0, "getrlimit failed");
    (lim.rlim_cur as u64, lim.rlim_max as u64)
}

/// Makes room for `wanted` descriptors if it can; returns how many clients
/// fit (at most `wanted`) and what was done, for the report.
fn ensure_fds(wanted: usize) -> (usize, String) {
    // The bench's own files, the broker's pipes, the throughput clients.
    let spare = 200u64;
    let need = wanted as u64 + spare;
    let (soft, hard) = nofile_limits();
    if soft >= need {
        return (wanted, format!("RLIMIT_NOFILE {soft}/{hard}, enough"));
    }
    if hard >= need {
        let lim = libc::rlimit {
            rlim_cur: hard.min(1 << 20) as libc::rlim_t,
            rlim_max: hard as libc::rlim_t,
        };
        // SAFETY: a valid resource and pointer; raising the soft limit up
        // to the hard one needs no privilege.
        let rc = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
        if rc == 0 {
            return (
                wanted,
                format!(
                    "RLIMIT_NOFILE soft {soft} raised to {} with setrlimit",
                    lim.rlim_cur
                ),
            );
        }
    }
    if std::env::var_os("MIO_CLIENTS_REEXEC").is_none() {
        // The hard limit itself is too low: only a privileged prlimit helps.
        // Tried on `true` first, so that a failing bench is not run twice.
        let prlimit = |program: &std::ffi::OsStr| {
            let mut cmd = std::process::Command::new("prlimit");
            cmd.arg("--nofile=65536:65536").arg("--").arg(program);
            cmd
        };
        let allowed = prlimit("true".as_ref())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if allowed {
            let exe = std::env::current_exe().expect("current exe");
            let status = prlimit(exe.as_os_str())
                .args(std::env::args_os().skip(1))
                .env("MIO_CLIENTS_REEXEC", "1")
                .status()
                .expect("run the bench under prlimit");
            std::process::exit(status.code().unwrap_or(1));
        }
        eprintln!("prlimit --nofile=65536:65536 is not allowed (CAP_SYS_RESOURCE needed)");
    }
    let fit = soft.saturating_sub(spare) as usize;
    (
        fit,
        format!(
            "RLIMIT_NOFILE {soft}/{hard} cannot be raised: measuring {fit} clients, not {wanted}"
        ),
    )
}

// ---- idle clients ----

const IDLE_TOPIC: &str = "bench/idle";
/// Clients opened at once (`MIO_BATCH`): Mosquitto listens with a backlog
/// of 100, and a SYN beyond the accept queue is retried only after a second.
fn batch() -> usize {
    env_usize("MIO_BATCH", 100).max(1)
}

fn ours_idle(port: u16, clients: usize) -> Memory {
    let before = snapshot();
    let subscribed = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut driver = Driver::new().expect("mio Poll");
    let mut opened = 0;
    while opened < clients {
        let end = (opened + batch()).min(clients);
        for i in opened..end {
            let options = ClientOptions::new("127.0.0.1", port)
                .client_id(format!("idle-ours-{i}"))
                .keep_alive(Duration::from_secs(60));
            let c = MqttClient::new(options).expect("options");
            c.on_connect(|c, _| {
                c.subscribe(IDLE_TOPIC, QoS::AtLeastOnce)
                    .expect("subscribe");
            });
            let s = subscribed.clone();
            c.on_subscribe(move |_, _, codes, _| {
                assert!(codes.iter().all(|c| !c.is_error()), "refused: {codes:?}");
                s.fetch_add(1, Ordering::Relaxed);
            });
            c.connect().expect("connect");
            driver.add(c);
        }
        let all = driver
            .run_until(Duration::from_secs(60), |_| {
                subscribed.load(Ordering::Relaxed) == end
            })
            .expect("driver");
        assert!(
            all,
            "only {} of {end} subscribed",
            subscribed.load(Ordering::Relaxed)
        );
        opened = end;
    }
    let connect_time = t0.elapsed();
    driver
        .run_until(Duration::from_millis(300), |_| false)
        .expect("driver");
    let after = snapshot();
    let connected = driver
        .ids()
        .filter(|&id| driver.client(id).is_some_and(MqttClient::is_connected))
        .count();
    assert_eq!(connected, clients, "clients dropped while idle");
    drop(driver);
    Memory {
        clients,
        leftover: LIVE_BYTES.load(Ordering::Relaxed) - before.heap,
        before,
        after,
        connect_time,
    }
}

fn rumqttc_idle(port: u16, clients: usize) -> Memory {
    let before = snapshot();
    let subscribed = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut handles = Vec::new();
    let mut opened = 0;
    while opened < clients {
        let end = (opened + batch()).min(clients);
        for i in opened..end {
            let mut options =
                rumqttc::MqttOptions::new(format!("idle-rumqttc-{i}"), "127.0.0.1", port);
            options.set_keep_alive(Duration::from_secs(60));
            // Request channel capacity 10, as in rumqttc's examples.
            let (client, mut eventloop) = rumqttc::AsyncClient::new(options, 10);
            client
                .try_subscribe(IDLE_TOPIC, rumqttc::QoS::AtLeastOnce)
                .expect("subscribe");
            let s = subscribed.clone();
            let e = errors.clone();
            rt.spawn(async move {
                loop {
                    match eventloop.poll().await {
                        Ok(rumqttc::Event::Incoming(rumqttc::Packet::SubAck(_))) => {
                            s.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(_) => {}
                        Err(_) => {
                            e.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                    }
                }
            });
            handles.push(client);
        }
        rt.block_on(async {
            let deadline = Instant::now() + Duration::from_secs(60);
            while subscribed.load(Ordering::Relaxed) < end && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        });
        assert_eq!(
            subscribed.load(Ordering::Relaxed),
            end,
            "rumqttc clients did not all subscribe ({} errors)",
            errors.load(Ordering::Relaxed)
        );
        opened = end;
    }
    let connect_time = t0.elapsed();
    // The timer must be made inside the runtime.
    rt.block_on(async { tokio::time::sleep(Duration::from_millis(300)).await });
    let after = snapshot();
    assert_eq!(
        errors.load(Ordering::Relaxed),
        0,
        "rumqttc connection errors"
    );
    drop(handles);
    drop(rt);
    Memory {
        clients,
        leftover: LIVE_BYTES.load(Ordering::Relaxed) - before.heap,
        before,
        after,
        connect_time,
    }
}

fn print_memory(ours: &Memory, theirs: &Memory) {
    println!(
        "\n## Idle clients on one thread: {} each, subscribed, keep alive 60 s\n",
        ours.clients
    );
    println!("| library                        | heap B/client | blocks/client | RSS B/client | connect+subscribe all | heap left after drop");
    println!("|--------------------------------|---------------|---------------|--------------|-----------------------|---------------------");
    for (name, m) in [
        ("ours (adapter-mio Driver)", ours),
        ("rumqttc AsyncClient, 1 rt", theirs),
    ] {
        println!(
            "| {name:<30} | {:>13.0} | {:>13.1} | {:>12.0} | {:>19.2} s | {:>19} B",
            m.heap_per_client(),
            m.blocks_per_client(),
            m.rss_per_client(),
            m.connect_time.as_secs_f64(),
            m.leftover
        );
    }
    println!(
        "\ngoal: at most 4096 B of heap per idle client: {} ({:.0} B)",
        if ours.heap_per_client() <= 4096.0 {
            "met"
        } else {
            "NOT met"
        },
        ours.heap_per_client()
    );
    for (name, m) in [("ours", ours), ("rumqttc", theirs)] {
        println!("\n{name}: heap growth per client by block size class");
        println!("| block size      | bytes/client | blocks/client");
        println!("|-----------------|--------------|--------------");
        for (upper, bytes, blocks) in m.by_class() {
            if bytes.abs() < 1.0 && blocks.abs() < 0.01 {
                continue;
            }
            println!(
                "| {:>6}..{:<7} | {bytes:>12.1} | {blocks:>13.3}",
                upper / 2,
                upper - 1
            );
        }
    }
    // Where the boxed client's bytes are (the heap table shows its block).
    use std::mem::size_of;
    println!(
        "\nsize_of: MqttClient {} B = Session {} B (SessionConfig {} B, of which Connect {} B: \
         Option<LastWill> {} B, ConnectProperties {} B; SessionState {} B; Event {} B) + adapter state; \
         Callbacks<MqttClient> {} B; ClientOptions {} B (no longer kept per client)",
        size_of::<MqttClient>(),
        size_of::<mqtt_session::Session>(),
        size_of::<mqtt_session::SessionConfig>(),
        size_of::<mqtt_proto::Connect>(),
        size_of::<Option<mqtt_proto::LastWill>>(),
        size_of::<mqtt_proto::ConnectProperties>(),
        size_of::<mqtt_session::SessionState>(),
        size_of::<mqtt_session::Event>(),
        size_of::<mqtt_client::Callbacks<MqttClient>>(),
        size_of::<ClientOptions>(),
    );
}

// ---- throughput ----

fn throughput(broker: &mqtt_testing::Broker, messages: usize, runs: usize) {
    let port = broker.port();
    println!(
        "\n## One client pair: {messages} messages of {} bytes, window {}, MQTT 3.1.1, median of {runs}\n",
        support::PAYLOAD_LEN,
        support::WINDOW
    );
    println!(
        "| QoS   | client                     | msg/s   | CPU µs/msg | switches/msg | broker µs/msg | broker sw/msg | broker load | received | runs (msg/s)"
    );
    println!(
        "|-------|----------------------------|---------|------------|--------------|---------------|---------------|-------------|----------|-------------"
    );
    let blocking = move |id: &str| ClientOptions::new("127.0.0.1", port).client_id(id);
    let make = blocking;
    for (qos, name) in [
        (QoS::AtMostOnce, "QoS 0"),
        (QoS::AtLeastOnce, "QoS 1"),
        (QoS::ExactlyOnce, "QoS 2"),
    ] {
        let w = Workload {
            messages,
            qos,
            broker_pid: broker.pid(),
        };
        let mut mio = Vec::new();
        let mut std_ = Vec::new();
        for _ in 0..runs {
            mio.push(support::ours_mio(&make, w));
            std_.push(support::ours_blocking(&blocking, w));
        }
        for (client, results) in [
            ("adapter-mio (Driver, 1 thr)", &mio),
            ("adapter-std (blocking)", &std_),
        ] {
            let (rate, cpu, received) = support::medians(results);
            let switches = support::median_switches(results);
            let broker_cpu =
                support::median_of(results, support::RunResult::broker_cpu_per_message_us);
            let broker_load = support::median_of(results, support::RunResult::broker_load);
            let broker_switches =
                support::median_of(results, support::RunResult::broker_switches_per_message);
            let each: Vec<String> = results.iter().map(|r| format!("{:.0}", r.rate())).collect();
            println!(
                "| {name} | {client:<26} | {rate:>7.0} | {cpu:>10.2} | {switches:>12.2} | {broker_cpu:>13.2} | {broker_switches:>13.2} | {broker_load:>11.2} | {received:>8} | {}",
                each.join(" ")
            );
        }
    }
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let wanted = env_usize("MIO_CLIENTS", if full { 10_000 } else { 200 });
    let messages = env_usize("E2E_MESSAGES", if full { 100_000 } else { 2_000 });
    let runs = env_usize("E2E_RUNS", if full { 3 } else { 1 }).max(1);
    let started = Instant::now();
    println!(
        "# mio_clients: load average before: {}",
        support::load_average()
    );
    // Before any broker starts, so that it inherits the raised limit.
    let (clients, fds) = ensure_fds(wanted);
    println!("{fds}");

    // MIO_PARTS=memory or MIO_PARTS=throughput runs one part.
    let parts = std::env::var("MIO_PARTS").unwrap_or_default();
    let part = |name: &str| parts.is_empty() || parts.split(',').any(|p| p.trim() == name);
    if part("memory") {
        let ours = {
            let broker = support::broker();
            ours_idle(broker.port(), clients)
        };
        let theirs = {
            let broker = support::broker();
            rumqttc_idle(broker.port(), clients)
        };
        print_memory(&ours, &theirs);
    }
    if part("throughput") {
        let broker = support::broker();
        throughput(&broker, messages, runs);
    }
    println!(
        "\nload average after: {}; took {:.1} s",
        support::load_average(),
        started.elapsed().as_secs_f64()
    );
}
