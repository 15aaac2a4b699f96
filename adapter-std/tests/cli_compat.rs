//! The `pub` and `sub` examples side by side with Debian's `mosquitto_pub`
//! and `mosquitto_sub` (mosquitto-clients 2.0): the same invocation against
//! the same Mosquitto must print the same thing and end with the same exit
//! status. Program names ("Use 'mosquitto_sub --help'") and client ids in
//! `-d` traces are the only differences allowed; the documented deviations
//! are tested on our side alone.
//!
//! A missing mosquitto_pub / mosquitto_sub fails the tests (never skips):
//! install `mosquitto-clients`. Nothing is built here: `cargo test` builds
//! the examples first; a run limited with `--test cli_compat` does not, so
//! stale binaries are refused (`cargo build --examples -p adapter-std`).
//!
//! Also compiled here: the examples' shared module `examples/cli/`, so
//! that its unit tests (argument parser, `-F` formatter, JSON, `-D`
//! properties) run with this test.

#[path = "../examples/cli/mod.rs"]
mod cli;

mod common;
use adapter_std::{Client, ClientOptions, Message};
use common::example;
use mqtt_proto::{ProtocolVersion, QoS, Subscription, SubscriptionOptions, TopicFilter};
use mqtt_testing::{Broker, Listener};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// Longest any run may take before the test kills it and fails.
const LIMIT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------
// The two implementations.

/// Whose program runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// The examples of this crate.
    Ours,
    /// mosquitto-clients.
    Theirs,
}

const SIDES: [Side; 2] = [Side::Ours, Side::Theirs];

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Ours => "ours",
            Side::Theirs => "theirs",
        }
    }

    /// `pub` or `sub` of this side.
    fn program(self, tool: &str) -> PathBuf {
        match self {
            Side::Ours => example(tool),
            Side::Theirs => mosquitto_client(&format!("mosquitto_{tool}")),
        }
    }
}

/// mosquitto-clients' `name`; its absence fails the test.
fn mosquitto_client(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/bin".into(), "/usr/local/bin".into()])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{name} is missing: these side-by-side tests need Debian's mosquitto-clients \
                 (apt-get install -y mosquitto-clients)"
            )
        })
}

/// coreutils' `stdbuf`, to line-buffer mosquitto's stdout.
fn stdbuf() -> PathBuf {
    ["/usr/bin/stdbuf", "/bin/stdbuf"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .expect("stdbuf (coreutils) is missing")
}

// ---------------------------------------------------------------------
// Running them.

/// What a finished run printed and how it ended.
#[derive(Debug, Clone)]
struct Output {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// A running program; killed on drop if still running.
struct Running {
    what: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Receiver<Vec<u8>>,
    stdout_seen: Vec<u8>,
    stderr: Receiver<String>,
}

/// An argument that stands for a client id of the side's own (`cli-ours`,
/// `cli-theirs`; `@ID-5` is `cli-ours-5` ...): both sides run at once, and
/// one id would take the other's connection over.
const ID: &str = "@ID";

fn spawn(side: Side, tool: &str, args: &[&str], stdin: Option<&[u8]>) -> Running {
    let args: Vec<String> = args
        .iter()
        .map(|a| match a.strip_prefix(ID) {
            Some(rest) => format!("cli-{}{rest}", side.name()),
            None => a.to_string(),
        })
        .collect();
    let what = format!("{} {tool} {}", side.name(), args.join(" "));
    let mut command = match side {
        Side::Ours => Command::new(side.program(tool)),
        // mosquitto_pub / mosquitto_sub buffer stdout in a pipe; the tests
        // wait for lines ("Subscribed") as they come.
        Side::Theirs => {
            let mut c = Command::new(stdbuf());
            c.arg("-oL").arg(side.program(tool));
            c
        }
    };
    let mut child = command
        .args(&args)
        // No mosquitto_pub / mosquitto_sub options file of the user's.
        .env("XDG_CONFIG_HOME", "/nonexistent/cli-compat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let mut input = child.stdin.take();
    if let Some(bytes) = stdin {
        let mut pipe = input.take().expect("stdin pipe");
        // A program that takes its message from -m need not read its input
        // and may have exited already: its output is what is compared.
        if let Err(e) = pipe.write_all(bytes) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
        }
        // Dropped: the program sees the end of its input.
    } else if tool == "sub" {
        input = None;
    }
    let (tx, stdout) = mpsc::channel();
    let mut out = child.stdout.take().expect("stdout pipe");
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let (tx, stderr) = mpsc::channel();
    let mut err = child.stderr.take().expect("stderr pipe");
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        let _ = tx.send(s);
    });
    Running {
        what,
        child,
        stdin: input,
        stdout,
        stdout_seen: Vec::new(),
        stderr,
    }
}

impl Running {
    /// Waits until stdout contains `needle` (`Subscribed (mid` with `-d`).
    fn wait_stdout(&mut self, needle: &str) {
        let deadline = Instant::now() + LIMIT;
        while !String::from_utf8_lossy(&self.stdout_seen).contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(chunk) => self.stdout_seen.extend(chunk),
                Err(_) => panic!(
                    "{}: no {needle:?} on stdout; got {:?}",
                    self.what,
                    String::from_utf8_lossy(&self.stdout_seen)
                ),
            }
        }
    }

    /// Waits for the program to end by itself (killed and failed after LIMIT).
    fn finish(mut self) -> Output {
        drop(self.stdin.take());
        let deadline = Instant::now() + LIMIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() > deadline {
                panic!("{} did not end within {LIMIT:?}", self.what);
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        while let Ok(chunk) = self.stdout.recv_timeout(LIMIT) {
            self.stdout_seen.extend(chunk);
        }
        let stderr = self.stderr.recv_timeout(LIMIT).unwrap_or_default();
        Output {
            code: status.code(),
            stdout: String::from_utf8_lossy(&self.stdout_seen).into_owned(),
            stderr,
        }
    }

    /// Kills the program (no DISCONNECT: its will is published).
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A command line without quoted spaces, as its words.
fn words(s: &str) -> Vec<&str> {
    s.split_whitespace().collect()
}

fn run(side: Side, tool: &str, args: &[&str]) -> Output {
    spawn(side, tool, args, Some(b"")).finish()
}

/// Both sides' runs of the same invocation.
fn both(tool: &str, args: &[&str]) -> [Output; 2] {
    let ours = spawn(Side::Ours, tool, args, Some(b""));
    let theirs = spawn(Side::Theirs, tool, args, Some(b""));
    [ours.finish(), theirs.finish()]
}

/// `mosquitto_sub` -> `sub`, so messages that name the program compare.
fn names(s: &str) -> String {
    s.replace("mosquitto_pub", "pub")
        .replace("mosquitto_sub", "sub")
}

/// `Client <id> sending ...` -> `Client ID sending ...`.
fn ids(s: &str) -> String {
    s.split_inclusive('\n')
        .map(|line| match line.strip_prefix("Client ") {
            Some(rest) => match rest.split_once(' ') {
                Some((_, tail)) => format!("Client ID {tail}"),
                None => line.to_string(),
            },
            None => line.to_string(),
        })
        .collect()
}

/// stdout without the `-d` lines (the trace and "Subscribed (mid: 1): 0").
fn messages_only(s: &str) -> String {
    s.split_inclusive('\n')
        .filter(|l| !l.starts_with("Client ") && !l.starts_with("Subscribed (mid: "))
        .collect()
}

#[track_caller]
fn assert_same(what: &str, ours: &Output, theirs: &Output) {
    assert_eq!(
        (ours.code, names(&ours.stderr), ids(&ours.stdout)),
        (theirs.code, names(&theirs.stderr), ids(&theirs.stdout)),
        "{what}: ours (left) and mosquitto's (right) differ\nours: {ours:#?}\ntheirs: {theirs:#?}"
    );
}

// ---------------------------------------------------------------------
// A reference subscriber in this process.

struct Reference {
    client: Client,
    messages: Receiver<Message>,
    seen: Vec<Message>,
}

impl Reference {
    /// A 5.0 subscriber to `filter` at QoS 2 that keeps retain flags as
    /// published.
    fn new(broker: &Broker, filter: &str) -> Self {
        let client = Client::new(
            ClientOptions::new("127.0.0.1", broker.port())
                .protocol(ProtocolVersion::V5)
                .client_id(format!("reference-{}", std::process::id())),
        )
        .unwrap();
        let (tx, messages) = mpsc::channel();
        client.on_message(move |_, m| {
            let _ = tx.send(m.clone());
        });
        let (stx, subscribed) = mpsc::channel();
        client.on_subscribe(move |_, _, reasons, _| {
            let _ = stx.send(reasons.to_vec());
        });
        client.connect().unwrap();
        client.loop_start().unwrap();
        let mut options = SubscriptionOptions::new(QoS::ExactlyOnce);
        options.retain_as_published = true;
        let subscription = Subscription {
            filter: TopicFilter::new(filter).unwrap(),
            options,
        };
        client
            .subscribe_with(vec![subscription], Default::default())
            .unwrap();
        let granted = subscribed.recv_timeout(LIMIT).expect("SUBACK");
        assert!(granted.iter().all(|r| !r.is_error()), "{granted:?}");
        Self {
            client,
            messages,
            seen: Vec::new(),
        }
    }

    /// Waits until `count` messages matching `prefix` have arrived.
    fn wait_for(&mut self, prefix: &str, count: usize) -> Vec<Message> {
        let deadline = Instant::now() + LIMIT;
        loop {
            let got: Vec<Message> = self
                .seen
                .iter()
                .filter(|m| m.topic().starts_with(prefix))
                .cloned()
                .collect();
            if got.len() >= count {
                return got;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(m) => self.seen.push(m),
                Err(_) => panic!(
                    "only {} of {count} messages on {prefix}: {got:#?}",
                    got.len()
                ),
            }
        }
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = self.client.disconnect();
        let _ = self.client.loop_stop();
    }
}

/// What a reference subscriber saw of a message, the topic's side and
/// case prefix cut off, the expiry interval left out (it counts down).
fn seen(m: &Message, prefix: &str) -> String {
    let mut p = m.properties().clone();
    p.message_expiry_interval = p.message_expiry_interval.map(|_| 0);
    format!(
        "{} {:?} q{} r{} {:?}",
        m.topic().strip_prefix(prefix).unwrap_or(m.topic()),
        String::from_utf8_lossy(m.payload()),
        m.qos() as u8,
        u8::from(m.retain()),
        p
    )
}

/// A publisher in this process.
fn publish(broker: &Broker, messages: &[(&str, &[u8], QoS, bool)]) {
    let client =
        Client::new(ClientOptions::new("127.0.0.1", broker.port()).protocol(ProtocolVersion::V5))
            .unwrap();
    client.connect().unwrap();
    client.loop_start().unwrap();
    for (topic, payload, qos, retain) in messages {
        let outcome = client
            .publish(topic, payload.to_vec(), *qos, *retain)
            .unwrap()
            .wait_for_publish(Some(LIMIT));
        assert!(outcome.is_some_and(|o| o.is_delivered()), "{topic}");
    }
    let _ = client.disconnect();
    let _ = client.loop_stop();
}

fn port(broker: &Broker) -> String {
    broker.port().to_string()
}

// ---------------------------------------------------------------------
// Usage errors and exit statuses.

#[test]
fn bad_arguments_give_mosquittos_message_and_status() {
    // Port 1 is closed: a case that wrongly got as far as connecting
    // would show it.
    let pub_cases = [
        "-t a -m x -q 3",
        "-t a -m x -n",
        "-t a/+ -m x",
        "-t a -m x -c",
        "-t a -m x -V 5 -c",
        "-t a -m x -x A",
        "-t a -m x -x -2",
        "-t a -m x -k 3",
        "-t a -m x -p 70000",
        "-t a -m x -V 4",
        "-t a -m x --bogus",
        "-t a -m x -C 1",
        "-t",
        "-t a -m",
        "-i a -I b",
        "-L http://h/t -m x",
        "-L mqtt://h -m x",
        "-t a -m x --will-qos 3",
        "-t a -m x --will-topic w/#",
        "-t a -m x --will-payload p",
        "-t a -m x --will-retain",
        "-t a -m x --cert c",
        "-t a -m x -D publish bogus 1",
        "-t a -m x -D bogus content-type 1",
        "-t a -m x -D subscribe topic-alias 1",
        "-t a -m x -D publish subscription-identifier 1",
        "-t a -m x -D publish user-property k",
        "-t a -m x -D connect receive-maximum 0",
        "-t a -m x -D connect request-problem-information 256",
        "-t a -m x -D publish message-expiry-interval 1 -D publish message-expiry-interval 2",
        "-t a -m x --repeat 0",
        "-t a -m x --repeat-delay -1",
        "-t a -m x -M 0",
        "-t a -f /nonexistent/cli-compat",
    ];
    let sub_cases = [
        "-v",
        "-t a/#/b",
        "-t a -C 0",
        "-t a -W 0",
        "-t a -W",
        "-t a -F %Z",
        "-t a -F %",
        "-t a -F %5",
        "-t a -F \\Z",
        "-t a -T a+",
        "-t a -U a/#/b",
        "-t a -r",
        "-t a -m x",
        "-t a --random-filter 0",
        "-t a -R --retained-only",
        "-t a -D subscribe content-type x",
        "-t a -D auth user-property k v",
    ];
    for (tool, cases) in [("pub", &pub_cases[..]), ("sub", &sub_cases[..])] {
        for case in cases {
            let args = [&["-p", "1"][..], &words(case)].concat();
            let [ours, theirs] = both(tool, &args);
            assert_same(&format!("{tool} {args:?}"), &ours, &theirs);
            assert_eq!(ours.code, Some(1), "{tool} {args:?}");
        }
    }
    // No topic or no message: the error, then the usage on stdout.
    let [ours, theirs] = both("pub", &["-p", "1", "-t", "a"]);
    assert_eq!((ours.code, &ours.stderr), (theirs.code, &theirs.stderr));
    assert!(ours
        .stdout
        .starts_with("pub is a simple mqtt client that will publish"));
    // --help: the usage on stdout and, as mosquitto, exit status 1.
    for tool in ["pub", "sub"] {
        let [ours, theirs] = both(tool, &["--help"]);
        assert_eq!((ours.code, theirs.code), (Some(1), Some(1)), "{tool}");
        let first = |o: &Output| names(o.stdout.lines().next().unwrap_or_default());
        assert_eq!(first(&ours), first(&theirs), "{tool} --help");
        assert!(ours.stdout.contains("Usage: "), "{tool}");
    }
}

#[test]
fn failed_and_refused_connections_end_as_with_mosquitto() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let broker = Broker::config().user("alice", "secret").start();
    let p = port(&broker);
    for (tool, args) in [
        ("pub", vec!["-p", &closed, "-t", "a", "-m", "x"]),
        ("sub", vec!["-p", &closed, "-t", "a"]),
        // Refused: 3.x return code 5, 5.0 reason code 135.
        ("pub", vec!["-p", &p, "-t", "a", "-m", "x"]),
        ("pub", vec!["-p", &p, "-t", "a", "-m", "x", "-V", "5"]),
        (
            "pub",
            vec![
                "-p", &p, "-t", "a", "-m", "x", "-u", "alice", "-P", "wrong", "-V", "31",
            ],
        ),
        ("sub", vec!["-p", &p, "-t", "a"]),
        (
            "sub",
            vec!["-p", &p, "-t", "a", "-V", "5", "-u", "alice", "-P", "wrong"],
        ),
        (
            "pub",
            vec!["-h", "nonexistent.invalid", "-t", "a", "-m", "x"],
        ),
    ] {
        let [ours, theirs] = both(tool, &args);
        assert_same(&format!("{tool} {args:?}"), &ours, &theirs);
        assert_ne!(ours.code, Some(0), "{tool} {args:?}");
    }
    // The right password, from a URL (user and password percent-decoded:
    // an extension, plain here so that mosquitto reads it too).
    let url = format!("mqtt://alice:secret@127.0.0.1:{p}/url/topic");
    let [ours, theirs] = both("pub", &["-L", &url, "-m", "x", "-q", "1"]);
    assert_same("pub -L", &ours, &theirs);
    assert_eq!(ours.code, Some(0));
}

#[test]
fn sub_times_out_with_status_27_and_disconnects() {
    let broker = Broker::start();
    let p = port(&broker);
    let args = [
        "-p", &p, "-t", "silence", "-U", "gone/#", "-W", "1", "-d", "-i", ID, "-q", "1",
    ];
    let [ours, theirs] = both("sub", &args);
    assert_same("sub -W", &ours, &theirs);
    assert_eq!(ours.code, Some(27));
    assert_eq!(ours.stderr, "Timed out\n");
    assert!(
        ours.stdout
            .contains("sending UNSUBSCRIBE (Mid: 2, Topic: gone/#)"),
        "{ours:?}"
    );
    assert!(ours.stdout.ends_with("sending DISCONNECT\n"), "{ours:?}");
}

// ---------------------------------------------------------------------
// sub's output.

/// Retained messages for the format tests: they reach each subscriber at
/// once, in the broker's order, with no race against the subscription.
fn retained_set(broker: &Broker) {
    let p = port(broker);
    let publish = |args: &[&str]| {
        let out = run(Side::Theirs, "pub", &[&["-p", &p, "-r"][..], args].concat());
        assert_eq!(out.code, Some(0), "{args:?}: {out:?}");
    };
    publish(&words("-t fmt/a -m retained1 -q 1"));
    publish(&[
        "-t",
        "fmt/b/c",
        "-m",
        "tab\there \"quoted\" \\ é",
        "-q",
        "2",
    ]);
    let json = "{\"a\": [1, 2.50, 1e20, -0, \"x\\u00e9\"], \"b\": {}}";
    publish(&["-t", "fmt/b/json", "-m", json]);
    publish(&["-t", "fmt/bin", "-m", "\u{1}\u{7f}bin"]);
    let props = words(
        "-q 1 -V 5 -D publish user-property colour blue -D publish user-property size L \
         -D publish content-type text/plain -D publish correlation-data id-42 \
         -D publish response-topic re/ply -D publish payload-format-indicator 1",
    );
    publish(&[&["-t", "fmt/props", "-m", "with properties"][..], &props].concat());
}

#[test]
fn sub_formats_retained_messages_as_mosquitto_sub() {
    let broker = Broker::start();
    retained_set(&broker);
    let p = port(&broker);
    let base = ["-p", &p, "-t", "fmt/#", "-C", "5", "-q", "2"];
    let variants: &[&[&str]] = &[
        &[],
        &["-v"],
        &["-N"],
        &["-v", "-N"],
        &["-F", "%t %p %q %r %l %m"],
        &["-F", "%x|%X|%-10t|%10t|%5.2t|%05l|%-5l|%%|@@|%3x|%-p|%12p|"],
        &["-F", "\\t%t\\n\\\\%p\\e\\0\\a\\v\\r"],
        &["-V", "5", "-F", "%t %P|%C|%R|%D|%F|%A|%S|%5C|%-5F|"],
        &["-V", "5", "-v"],
        &["-T", "fmt/b/#", "-C", "3", "-v"],
        &["-T", "fmt/+", "-T", "fmt/b/json", "-C", "1", "-F", "%t"],
        &["-V", "31", "-i", ID, "-F", "%t %q %r %m"],
        &["-F", "%t", "-N"],
    ];
    for variant in variants {
        let args = [&base[..], variant].concat();
        let [ours, theirs] = both("sub", &args);
        assert_same(&format!("sub {variant:?}"), &ours, &theirs);
        assert_eq!(ours.code, Some(0));
    }
}

#[test]
fn sub_json_output_as_mosquitto_sub() {
    let broker = Broker::start();
    retained_set(&broker);
    let p = port(&broker);
    // The time stamps differ: "tst":"2024-05-06T21:48:00.123456Z+0100".
    let mask = |s: &str| {
        s.split("\"tst\":")
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    return part.to_string();
                }
                let rest = part.trim_start_matches('\t');
                let end = rest[1..].find('"').expect("tst value") + 2;
                format!("\"tst\":TIME{}", &rest[end..])
            })
            .collect::<String>()
    };
    for variant in [
        &["-F", "%j"][..],
        &["-F", "%j", "--pretty"],
        &["-t", "fmt/b/json", "-C", "1", "-F", "%J"],
        &["-t", "fmt/b/json", "-C", "1", "-F", "%J", "--pretty"],
        &["-V", "5", "-t", "fmt/props", "-C", "1", "-F", "%j"],
    ] {
        let filter = if variant.contains(&"-t") {
            &[][..]
        } else {
            &["-t", "fmt/#", "-C", "5"][..]
        };
        let args = [&["-p", &p, "-q", "1"][..], filter, variant].concat();
        let [ours, theirs] = both("sub", &args);
        assert_eq!(ours.code, theirs.code, "{variant:?}");
        assert_eq!(mask(&ours.stdout), mask(&theirs.stdout), "{variant:?}");
        assert_eq!(ours.stderr, theirs.stderr, "{variant:?}");
    }
    // A payload that is not JSON with %J: the error, and the line ends.
    let [ours, theirs] = both("sub", &["-p", &p, "-t", "fmt/a", "-C", "1", "-F", "%J"]);
    assert_same("%J on text", &ours, &theirs);
}

#[test]
fn sub_with_live_messages_and_flags_as_mosquitto_sub() {
    let broker = Broker::start();
    let p = port(&broker);
    publish(
        &broker,
        &[("live/kept", b"old news", QoS::AtLeastOnce, true)],
    );
    for (variant, live_count) in [
        // -C 3: the retained message and two live ones.
        (&["-C", "3", "-v"][..], 2),
        // -R: retained messages are skipped (in 5.0 not even sent).
        (&["-C", "2", "-v", "-R"], 2),
        (&["-C", "2", "-v", "-R", "-V", "5"], 2),
        // --retained-only: the first live message ends the run.
        (&["--retained-only", "-v"], 1),
        // -T: live/skip/... is filtered out.
        (&["-C", "2", "-v", "-T", "live/skip/#"], 3),
    ] {
        let args = [&["-p", &p, "-t", "live/#", "-q", "1", "-d"][..], variant].concat();
        let mut ours = spawn(Side::Ours, "sub", &args, None);
        let mut theirs = spawn(Side::Theirs, "sub", &args, None);
        ours.wait_stdout("Subscribed (mid");
        theirs.wait_stdout("Subscribed (mid");
        let live: Vec<(&str, &[u8], QoS, bool)> = [
            ("live/skip/1", &b"filtered"[..]),
            ("live/now", b"two words"),
            ("live/now", b""),
        ]
        .into_iter()
        .skip(3 - live_count)
        .map(|(t, m)| (t, m, QoS::AtLeastOnce, false))
        .collect();
        publish(&broker, &live);
        let (ours, theirs) = (ours.finish(), theirs.finish());
        assert_eq!(
            (ours.code, messages_only(&ours.stdout), &ours.stderr),
            (theirs.code, messages_only(&theirs.stdout), &theirs.stderr),
            "{variant:?}\nours: {ours:#?}\ntheirs: {theirs:#?}"
        );
    }
}

#[test]
fn sub_remove_retained_clears_what_it_prints() {
    let broker = Broker::start();
    let p = port(&broker);
    for side in SIDES {
        let root = format!("rm/{}", side.name());
        publish(
            &broker,
            &[
                (&format!("{root}/a"), b"one", QoS::AtLeastOnce, true),
                (&format!("{root}/b"), b"two", QoS::AtMostOnce, true),
                (&format!("{root}/keep"), b"kept", QoS::AtMostOnce, true),
            ],
        );
    }
    let filter = format!("rm/{ID}");
    let run_both = |extra: &[&str]| {
        let running: Vec<Running> = SIDES
            .iter()
            .map(|side| {
                let root = format!("rm/{}", side.name());
                let args: Vec<String> = [&["-p", &p, "-v"][..], extra]
                    .concat()
                    .iter()
                    .map(|a| a.replace(&filter, &root))
                    .collect();
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                spawn(*side, "sub", &args, None)
            })
            .collect();
        let outputs: Vec<Output> = running.into_iter().map(Running::finish).collect();
        let [ours, theirs] = [&outputs[0], &outputs[1]];
        let theirs = Output {
            stdout: theirs.stdout.replace("rm/theirs", "rm/ours"),
            ..theirs.clone()
        };
        assert_same(&format!("sub {extra:?}"), ours, &theirs);
        ours.clone()
    };
    let t = format!("{filter}/#");
    let keep = format!("{filter}/keep");
    // With -C, mosquitto_sub 2.0 never ends (it waits for the removals'
    // acknowledgements without asking to hear of them); -W ends both.
    let cleared = run_both(&["-t", &t, "-T", &keep, "--remove-retained", "-W", "1"]);
    assert_eq!(
        (cleared.code, cleared.stdout.as_str()),
        (
            Some(27),
            // The removals reach the subscriber too, as live empty messages.
            "rm/ours/a one\nrm/ours/b two\nrm/ours/a (null)\nrm/ours/b (null)\n"
        )
    );
    // Ours ends with -C once the removals are acknowledged.
    publish(&broker, &[("rm/ours/c", b"three", QoS::AtLeastOnce, true)]);
    let args = ["-p", &p, "-t", "rm/ours/c", "--remove-retained", "-C", "1"];
    let out = run(Side::Ours, "sub", &args);
    assert_eq!((out.code, out.stdout.as_str()), (Some(0), "three\n"));
    let left = run_both(&["-t", &t, "-C", "1"]);
    assert_eq!(
        (left.code, left.stdout.as_str()),
        (Some(0), "rm/ours/keep kept\n")
    );
}

#[test]
fn sub_v5_user_properties_with_f_p() {
    let broker = Broker::start();
    let p = port(&broker);
    let base = ["-p", &p, "-t", "props/#", "-V", "5", "-d", "-C", "2"];
    let args = [&base[..], &["-F", "%t %P %C|%R|%D"]].concat();
    let mut ours = spawn(Side::Ours, "sub", &args, None);
    let mut theirs = spawn(Side::Theirs, "sub", &args, None);
    ours.wait_stdout("Subscribed (mid");
    theirs.wait_stdout("Subscribed (mid");
    for side in SIDES {
        // Each publisher once: both subscribers see both messages.
        let topic = format!("props/{}", side.name());
        let props = words(
            "-m m -V 5 -q 1 -D publish user-property a 1 -D publish user-property b 2 \
             -D publish content-type c/t -D publish response-topic r/t \
             -D publish correlation-data cd",
        );
        let out = run(
            side,
            "pub",
            &[&["-p", &p, "-t", &topic][..], &props].concat(),
        );
        assert_eq!(out.code, Some(0), "{out:?}");
    }
    let (ours, theirs) = (ours.finish(), theirs.finish());
    assert_eq!(messages_only(&ours.stdout), messages_only(&theirs.stdout));
    assert_eq!(
        messages_only(&ours.stdout),
        "props/ours a:1 b:2 c/t|r/t|cd\nprops/theirs a:1 b:2 c/t|r/t|cd\n"
    );
}

#[test]
fn sub_unsubscribes_with_u_from_a_kept_session() {
    let broker = Broker::start();
    let p = port(&broker);
    // Each side keeps a session of its own (-c, its own id) on one topic.
    let session = |extra: &[&str]| {
        let running: Vec<Running> = SIDES
            .iter()
            .map(|side| {
                let id = format!("keeper-{}", side.name());
                let args = [&["-p", &p, "-c", "-i", &id, "-q", "1"][..], extra].concat();
                spawn(*side, "sub", &args, None)
            })
            .collect();
        let mut outputs = running.into_iter().map(Running::finish);
        let (ours, theirs) = (outputs.next().unwrap(), outputs.next().unwrap());
        assert_same(&format!("sub {extra:?}"), &ours, &theirs);
        ours
    };
    // -E: exit once subscribed.
    assert_eq!(session(&["-t", "kept/topic", "-E"]).code, Some(0));
    // -U drops the subscription of the session.
    // (Without -d: resuming a session this client has no state of, it
    // first releases every packet identifier, 65,535 PUBRELs.)
    let unsubscribed = session(&["-t", "kept/other", "-U", "kept/topic", "-E"]);
    assert_eq!(unsubscribed.code, Some(0));
    publish(
        &broker,
        &[("kept/topic", b"missed", QoS::AtLeastOnce, false)],
    );
    // Nothing was queued for the sessions: -W runs out.
    let after = session(&["-t", "kept/other", "-W", "1"]);
    assert_eq!((after.code, after.stdout.as_str()), (Some(27), ""));
}

#[test]
fn sub_c_keeps_the_session_and_its_messages_while_offline() {
    let broker = Broker::start();
    let p = port(&broker);
    // In 5.0, -c alone asks for a session that never expires.
    for version in ["311", "5"] {
        let topic = format!("offline/{version}");
        let session = |extra: &[&str]| {
            // An id per version: each run resumes its own session.
            let id = format!("{ID}-{version}");
            let args = [
                &[
                    "-p", &p, "-V", version, "-c", "-i", &id, "-q", "1", "-t", &topic,
                ][..],
                extra,
            ]
            .concat();
            let [ours, theirs] = both("sub", &args);
            assert_same(&format!("sub -V {version} {extra:?}"), &ours, &theirs);
            ours
        };
        assert_eq!(session(&["-E"]).code, Some(0));
        publish(
            &broker,
            &[(&topic, b"kept for you", QoS::AtLeastOnce, false)],
        );
        let back = session(&["-C", "1"]);
        assert_eq!(
            (back.code, back.stdout.as_str()),
            (Some(0), "kept for you\n")
        );
    }
}

#[test]
fn sub_resubscribes_after_the_broker_restarts() {
    let mut broker = Broker::start();
    let p = port(&broker);
    let args = [
        "-p", &p, "-t", "restart", "-q", "1", "-C", "2", "-d", "-i", ID,
    ];
    let mut subs: Vec<Running> = SIDES
        .iter()
        .map(|side| spawn(*side, "sub", &args, None))
        .collect();
    subs.iter_mut()
        .for_each(|s| s.wait_stdout("Subscribed (mid: 1)"));
    publish(&broker, &[("restart", b"before", QoS::AtLeastOnce, false)]);
    subs.iter_mut().for_each(|s| s.wait_stdout("before"));
    // A broker without persistence forgets the subscriptions: only the
    // new SUBSCRIBE after reconnecting lets the second message through.
    broker.restart();
    subs.iter_mut()
        .for_each(|s| s.wait_stdout("Subscribed (mid: 2)"));
    publish(&broker, &[("restart", b"after", QoS::AtLeastOnce, false)]);
    let outputs: Vec<Output> = subs.into_iter().map(Running::finish).collect();
    for out in &outputs {
        assert_eq!(
            (out.code, messages_only(&out.stdout).as_str()),
            (Some(0), "before\nafter\n"),
            "{out:?}"
        );
    }
}

// ---------------------------------------------------------------------
// pub's messages, as a subscriber sees them.

#[test]
fn pub_sends_what_mosquitto_pub_sends() {
    let broker = Broker::start();
    let p = port(&broker);
    let mut reference = Reference::new(&broker, "cmp/#");
    let file = std::env::temp_dir().join(format!("cli-compat-{}.bin", std::process::id()));
    std::fs::write(&file, b"from a file\n\x00\xff").unwrap();
    let file_arg = file.to_str().unwrap();
    let cases: [(&str, &str, &[u8], usize); 10] = [
        ("m", "-m hello -q 1", b"", 1),
        ("retained", "-m kept -q 2 -r", b"", 1),
        ("file", "-q 1 -f", b"", 1),
        ("null", "-n", b"", 1),
        ("stdin", "-s -q 2", b"all of stdin\nwith two lines\n", 1),
        ("lines", "-l -q 1", b"line 1\n\nline 3\r\nlast", 4),
        (
            "repeat",
            "-m again --repeat 3 --repeat-delay 0.01 -q 1",
            b"",
            3,
        ),
        ("v31", "-V 31 -m old -q 1 -i v31-client", b"", 1),
        ("bound", "-A 127.0.0.1 -m bound -q 1", b"", 1),
        (
            "props",
            "-V 5 -m props -q 1 -D publish user-property k v -D publish user-property k w \
             -D publish content-type text/plain -D publish correlation-data abc \
             -D publish response-topic re/ply -D publish payload-format-indicator 1 \
             -D publish message-expiry-interval 3600",
            b"",
            1,
        ),
    ];
    for (case, args, stdin, count) in cases {
        let mut seen_by_side = Vec::new();
        for side in SIDES {
            let prefix = format!("cmp/{}/{case}", side.name());
            let mut full = [&["-p", &p, "-t", &prefix][..], &words(args)].concat();
            if case == "file" {
                full.push(file_arg);
            }
            let out = spawn(side, "pub", &full, Some(stdin)).finish();
            assert_eq!(
                (out.code, out.stdout.as_str(), out.stderr.as_str()),
                (Some(0), "", ""),
                "{side:?} {case}"
            );
            let got = reference.wait_for(&prefix, count);
            seen_by_side.push(got.iter().map(|m| seen(m, &prefix)).collect::<Vec<_>>());
        }
        assert_eq!(
            seen_by_side[0], seen_by_side[1],
            "{case}: ours (left), mosquitto_pub's (right)"
        );
    }
    // -L with the topic in the URL.
    for side in SIDES {
        let url = format!("mqtt://127.0.0.1:{p}/cmp/url/{}", side.name());
        assert_eq!(
            run(side, "pub", &["-L", &url, "-m", "via url"]).code,
            Some(0)
        );
    }
    let url = reference.wait_for("cmp/url/", 2);
    assert_eq!(
        url.iter().map(|m| seen(m, "")).collect::<Vec<_>>(),
        [
            "cmp/url/ours \"via url\" q0 r0 PublishProperties".to_string(),
            "cmp/url/theirs \"via url\" q0 r0 PublishProperties".to_string()
        ]
    );
    let _ = std::fs::remove_file(&file);
}

#[test]
fn wills_reach_subscribers_when_the_client_is_killed() {
    let broker = Broker::start();
    let p = port(&broker);
    let mut reference = Reference::new(&broker, "will/#");
    for side in SIDES {
        for tool in ["pub", "sub"] {
            let topic = format!("will/{tool}/{}", side.name());
            let will = [
                "--will-topic",
                &topic,
                "--will-payload",
                "gone",
                "--will-qos",
                "1",
                "--will-retain",
            ];
            let running = match tool {
                // -l waits on its open stdin, connected.
                "pub" => {
                    let args = [&["-p", &p, "-t", "x", "-l", "-d"][..], &will].concat();
                    let mut r = spawn(side, "pub", &args, None);
                    r.wait_stdout("received CONNACK");
                    r
                }
                _ => {
                    let args = [&["-p", &p, "-t", "x", "-d", "-V", "5"][..], &will].concat();
                    let mut r = spawn(side, "sub", &args, None);
                    r.wait_stdout("Subscribed (mid");
                    r
                }
            };
            // Killed with pub's stdin still open (closing it would end -l).
            running.kill();
        }
    }
    let wills = reference.wait_for("will/", 4);
    let mut got: Vec<String> = wills.iter().map(|m| seen(m, "will/")).collect();
    got.sort();
    assert_eq!(
        got,
        [
            "pub/ours \"gone\" q1 r1 PublishProperties",
            "pub/theirs \"gone\" q1 r1 PublishProperties",
            "sub/ours \"gone\" q1 r1 PublishProperties",
            "sub/theirs \"gone\" q1 r1 PublishProperties",
        ]
    );
}

#[test]
fn pub_warns_of_a_refused_message_and_still_succeeds() {
    let dir = std::env::temp_dir().join(format!("cli-compat-acl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let acl = dir.join("acl");
    std::fs::write(&acl, "topic readwrite open/#\n").unwrap();
    let broker = Broker::config()
        .line(&format!("acl_file {}", acl.display()))
        .start();
    let p = port(&broker);
    let args = [
        "-p", &p, "-V", "5", "-t", "closed/x", "-m", "x", "-q", "1", "-d", "-i", ID,
    ];
    let [ours, theirs] = both("pub", &args);
    let _ = std::fs::remove_dir_all(&dir);
    assert_same("pub to a closed topic", &ours, &theirs);
    assert_eq!(ours.stderr, "Warning: Publish 1 failed: Not authorized.\n");
    assert_eq!(ours.code, Some(0));
}

#[test]
fn tls_flags_as_mosquitto_reads_them() {
    // A broker per listener: each TLS listener its own certificate.
    let brokers: Vec<(Listener, Broker)> =
        [Listener::Tls, Listener::MutualTls, Listener::TlsOtherHost]
            .into_iter()
            .map(|l| (l, Broker::config().listener(l).start()))
            .collect();
    let port_of = |l: Listener| {
        let (_, b) = brokers.iter().find(|(k, _)| *k == l).unwrap();
        b.port_of(l).to_string()
    };
    let path = |l: Listener, f: fn(&mqtt_testing::TestCerts) -> &PathBuf| {
        let (_, b) = brokers.iter().find(|(k, _)| *k == l).unwrap();
        f(b.certs()).to_str().unwrap().to_string()
    };
    let (tls, mutual, other) = (
        port_of(Listener::Tls),
        port_of(Listener::MutualTls),
        port_of(Listener::TlsOtherHost),
    );
    let ca = |l| path(l, |c| &c.ca);
    let cert = path(Listener::MutualTls, |c| &c.client_cert);
    let key = path(Listener::MutualTls, |c| &c.client_key);
    let unknown_ca = path(Listener::Tls, |c| &c.unknown_ca);
    let (tls_ca, mutual_ca, other_ca) = (
        ca(Listener::Tls),
        ca(Listener::MutualTls),
        ca(Listener::TlsOtherHost),
    );
    let base = ["-h", "localhost", "-t", "tls/a", "-m", "x", "-q", "1"];
    // mosquitto reports a failed handshake in one of two ways, depending on
    // whether it failed within its connect call or in its loop after it,
    // which is up to timing; this client always as the second.
    let tls_failure = |o: &Output| {
        (o.code, o.stderr.lines().next().unwrap_or_default())
            == (Some(8), "Error: A TLS error occurred.")
            || (o.code, o.stderr.as_str())
                == (Some(1), "Unable to connect (A TLS error occurred.).\n")
    };
    for (args, expect) in [
        (vec!["-p", &tls, "--cafile", &tls_ca], "success"),
        (
            vec!["-p", &tls, "--cafile", &tls_ca, "--tls-version", "tlsv1.2"],
            "success",
        ),
        (
            vec![
                "-p", &mutual, "--cafile", &mutual_ca, "--cert", &cert, "--key", &key,
            ],
            "success",
        ),
        // --insecure skips the host name check only.
        (
            vec!["-p", &other, "--cafile", &other_ca, "--insecure"],
            "success",
        ),
        (vec!["-p", &other, "--cafile", &other_ca], "TLS failure"),
        (vec!["-p", &tls, "--cafile", &unknown_ca], "TLS failure"),
        (
            vec!["-p", &tls, "--cafile", "/nonexistent/ca.pem"],
            "the same failure",
        ),
        // The broker refuses the missing client certificate during the
        // handshake or (TLS 1.3) after it, as it happens.
        (vec!["-p", &mutual, "--cafile", &mutual_ca], "a failure"),
    ] {
        let full = [&base[..], &args].concat();
        let [ours, theirs] = both("pub", &full);
        let what = format!("{args:?}: ours {ours:?}, theirs {theirs:?}");
        match expect {
            "success" => assert_same(&what, &ours, &theirs),
            "TLS failure" => {
                assert!(tls_failure(&theirs), "{what}");
                assert_eq!(
                    (ours.code, ours.stderr.as_str()),
                    (Some(8), "Error: A TLS error occurred.\n"),
                    "{what}"
                );
            }
            "the same failure" => {
                assert_same(&what, &ours, &theirs);
                assert_ne!(ours.code, Some(0), "{what}");
            }
            _ => assert!(ours.code != Some(0) && theirs.code != Some(0), "{what}"),
        }
    }
}

// ---------------------------------------------------------------------
// -d: libmosquitto's packet trace.

#[test]
fn debug_traces_match_line_for_line() {
    let broker = Broker::start();
    let p = port(&broker);
    for args in [
        &["-t", "tr/a", "-m", "hello", "-q", "1"][..],
        &["-t", "tr/a", "-m", "hello", "-q", "2", "-r"],
        &[
            "-t",
            "tr/a",
            "-m",
            "hello",
            "-q",
            "1",
            "-V",
            "5",
            "-D",
            "publish",
            "user-property",
            "k",
            "v",
        ],
        &[
            "-t", "tr/a", "-m", "again", "-q", "2", "--repeat", "2", "-V", "31",
        ],
    ] {
        let full = [&["-p", &p, "-d", "-i", "tracer"][..], args].concat();
        let ours = spawn(Side::Ours, "pub", &full, Some(b"one\ntwo\n")).finish();
        let theirs = spawn(Side::Theirs, "pub", &full, Some(b"one\ntwo\n")).finish();
        assert_same(&format!("pub {args:?}"), &ours, &theirs);
    }
    // A subscriber receiving QoS 1 and 2, retained (tr/a above, tr/kept)
    // and live, the count ending the run with the last one.
    publish(&broker, &[("tr/kept", b"kept", QoS::AtLeastOnce, true)]);
    let args = [
        "-p", &p, "-t", "tr/#", "-q", "2", "-d", "-C", "4", "-i", ID, "-v",
    ];
    let mut ours = spawn(Side::Ours, "sub", &args, None);
    let mut theirs = spawn(Side::Theirs, "sub", &args, None);
    ours.wait_stdout("Subscribed (mid");
    theirs.wait_stdout("Subscribed (mid");
    publish(
        &broker,
        &[
            ("tr/sub/b", b"one", QoS::AtLeastOnce, false),
            ("tr/sub/c", b"two", QoS::ExactlyOnce, false),
        ],
    );
    assert_same("sub -d", &ours.finish(), &theirs.finish());
}

// ---------------------------------------------------------------------
// Deviations, ours alone.

#[test]
fn url_credentials_may_be_percent_encoded() {
    // mosquitto 2.0 takes them literally; '@' in a password needs %40.
    let broker = Broker::config().user("alice", "s@cret").start();
    let url = format!(
        "mqtt://alice:s%40cret@127.0.0.1:{}/url/topic",
        broker.port()
    );
    let out = run(Side::Ours, "pub", &["-L", &url, "-m", "x", "-q", "1"]);
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
}

#[test]
fn pub_l_ends_with_status_7_when_the_connection_is_lost() {
    // mosquitto_pub -l would wait for the broker forever.
    let mut broker = Broker::start();
    let p = port(&broker);
    let mut publisher = spawn(
        Side::Ours,
        "pub",
        &["-p", &p, "-t", "lost", "-l", "-q", "1", "-d"],
        None,
    );
    let mut stdin = publisher.stdin.take().expect("stdin");
    stdin.write_all(b"first\n").unwrap();
    stdin.flush().unwrap();
    publisher.wait_stdout("received PUBACK");
    // A frozen broker never acknowledges the second line; then it dies.
    broker.pause();
    stdin.write_all(b"second\n").unwrap();
    drop(stdin);
    publisher.wait_stdout("m2");
    broker.kill();
    let out = publisher.finish();
    assert_eq!(out.code, Some(7), "{out:?}");
    assert_eq!(out.stderr, "Error: The connection was lost.\n");
}
