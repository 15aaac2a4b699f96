//! The `pub` and `sub` examples and the tutorials, run as the programs they
//! are against a real Mosquitto: flags, output format, exit statuses.
//!
//! Nothing is built here. `cargo test` builds the examples of the packages it
//! tests (into `target/<profile>/examples/`) before running any test; a run
//! limited with `--test examples` does not, hence the check for stale binaries.

use mqtt_testing::Broker;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant, SystemTime};

/// Longest any example run may take before the test kills it and fails.
const LIMIT: Duration = Duration::from_secs(30);

/// The compiled example `name`, next to this test's own executable:
/// `target/debug/deps/examples-HASH` -> `target/debug/examples/NAME`.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test executable in target/<profile>/deps");
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let built = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| {
            panic!(
                "example binary {} is missing ({e}): run `cargo build --examples -p adapter-std` \
                 (plain `cargo test` builds it)",
                path.display()
            )
        });
    let sources = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut inputs = vec![format!("{name}.rs")];
    if name == "pub" || name == "sub" {
        inputs.push("cli/mod.rs".into());
    }
    let newest_source = inputs
        .iter()
        .filter_map(|f| std::fs::metadata(sources.join(f)).ok()?.modified().ok())
        .max()
        .unwrap_or(SystemTime::UNIX_EPOCH);
    assert!(
        newest_source <= built,
        "example binary {} is older than its source: run `cargo build --examples -p adapter-std`",
        path.display()
    );
    path
}

/// What a finished run printed and how it ended.
#[derive(Debug)]
struct Output {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Output {
    fn code(&self) -> Option<i32> {
        self.status.code()
    }
}

/// A running example whose stdout and stderr are collected by threads, so
/// that a full pipe never blocks it.
struct Running {
    child: Child,
    /// The stdin pipe, with [`Input::Open`].
    input: Option<ChildStdin>,
    stdout: Receiver<String>,
    stderr_lines: Receiver<String>,
    stderr: Vec<String>,
}

fn collect(mut r: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = r.read_to_string(&mut s);
        let _ = tx.send(s);
    });
    rx
}

/// What a spawned example reads on stdin.
enum Input<'a> {
    /// Nothing: end of input at once.
    None,
    /// These bytes, then end of input.
    Bytes(&'a [u8]),
    /// A pipe the test writes to and closes ([`Running::input`]).
    Open,
}

fn spawn(name: &str, args: &[&str], stdin: Input<'_>) -> Running {
    let mut child = Command::new(example(name))
        .args(args)
        .stdin(match stdin {
            Input::None => Stdio::null(),
            Input::Bytes(_) | Input::Open => Stdio::piped(),
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {name}: {e}"));
    let input = match stdin {
        Input::None => None,
        Input::Bytes(bytes) => {
            let mut pipe = child.stdin.take().expect("stdin pipe");
            pipe.write_all(bytes).expect("write stdin");
            // Dropping the pipe closes it: the example sees the end of input.
            None
        }
        Input::Open => child.stdin.take(),
    };
    let stdout = collect(child.stdout.take().expect("stdout pipe"));
    let (tx, stderr_lines) = mpsc::channel();
    let err = child.stderr.take().expect("stderr pipe");
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    Running {
        child,
        input,
        stdout,
        stderr_lines,
        stderr: Vec::new(),
    }
}

impl Running {
    /// Waits for a stderr line containing `needle` (sub -d prints
    /// "subscribed" once the SUBACK is in, the moment publishing may start).
    fn wait_for_stderr(&mut self, needle: &str) {
        let deadline = Instant::now() + LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr_lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(needle);
                    self.stderr.push(line);
                    if found {
                        return;
                    }
                }
                Err(_) => {
                    let _ = self.child.kill();
                    panic!("no {needle:?} on stderr; got {:?}", self.stderr);
                }
            }
        }
    }

    /// Waits for the program to end by itself (killed and failed after LIMIT).
    fn finish(mut self) -> Output {
        let deadline = Instant::now() + LIMIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("the example did not end within {LIMIT:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let stdout = self.stdout.recv_timeout(LIMIT).unwrap_or_default();
        // The reader thread ends with the pipe, after the process.
        while let Ok(line) = self.stderr_lines.recv_timeout(Duration::from_secs(5)) {
            self.stderr.push(line);
        }
        Output {
            status,
            stdout,
            stderr: self.stderr.join("\n"),
        }
    }
}

fn run(name: &str, args: &[&str]) -> Output {
    spawn(name, args, Input::None).finish()
}

fn run_with_stdin(name: &str, args: &[&str], stdin: &[u8]) -> Output {
    spawn(name, args, Input::Bytes(stdin)).finish()
}

#[track_caller]
fn assert_success(what: &str, out: &Output) {
    assert!(out.status.success(), "{what}: {out:?}");
}

#[test]
fn sub_prints_a_retained_and_a_live_qos_1_message_then_exits_after_count() {
    let broker = Broker::start();
    let port = broker.port().to_string();
    let p = port.as_str();
    // Before the subscriber exists: only retain makes it arrive.
    let out = run(
        "pub",
        &["-p", p, "-t", "ex/retained", "-m", "kept", "-q", "1", "-r"],
    );
    assert_success("pub -r", &out);

    let mut sub = spawn(
        "sub",
        &["-p", p, "-t", "ex/#", "-q", "1", "-v", "-C", "2", "-d"],
        Input::None,
    );
    sub.wait_for_stderr("subscribed");
    let out = run(
        "pub",
        &["-p", p, "-t", "ex/live", "-m", "two words", "-q", "1"],
    );
    assert_success("pub", &out);
    let out = sub.finish();
    assert_success("sub -C 2", &out);
    assert_eq!(out.stdout, "ex/retained kept\nex/live two words\n");
}

#[test]
fn sub_times_out_with_mosquitto_status_27() {
    let broker = Broker::start();
    let started = Instant::now();
    let out = run(
        "sub",
        &["-p", &broker.port().to_string(), "-t", "silence", "-W", "1"],
    );
    let took = started.elapsed();
    assert_eq!(out.code(), Some(27), "{out:?}");
    assert_eq!(out.stderr.trim(), "Timed out");
    assert_eq!(out.stdout, "");
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(10),
        "{took:?}"
    );
}

#[test]
fn url_form_carries_credentials_and_topic() {
    // '@' in a password must be percent-encoded in the URL.
    let broker = Broker::config().user("alice", "s@cret").start();
    let base = format!("mqtt://alice:s%40cret@127.0.0.1:{}", broker.port());
    let with_topic = format!("{base}/ex/url");
    let mut sub = spawn(
        "sub",
        &["--url", &with_topic, "-C", "1", "-V", "5", "-d"],
        Input::None,
    );
    sub.wait_for_stderr("subscribed");
    let out = run(
        "pub",
        &["--url", &base, "-t", "ex/url", "-m", "hi", "-q", "2"],
    );
    assert_success("pub --url", &out);
    let out = sub.finish();
    assert_success("sub --url", &out);
    assert_eq!(out.stdout, "hi\n");

    let wrong = format!("mqtt://alice:wrong@127.0.0.1:{}/ex/url", broker.port());
    let out = run("pub", &["--url", &wrong, "-m", "x"]);
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(
        out.stderr.starts_with("Error: ") && out.stderr.contains("refused"),
        "{out:?}"
    );
}

#[test]
fn pub_reads_messages_from_a_file_stdin_and_lines() {
    let broker = Broker::start();
    let port = broker.port().to_string();
    let p = port.as_str();
    let file = std::env::temp_dir().join(format!("pub-example-{}.txt", std::process::id()));
    std::fs::write(&file, b"from a file").unwrap();

    let mut sub = spawn(
        "sub",
        &["-p", p, "-t", "ex/src", "-q", "2", "-v", "-C", "6", "-d"],
        Input::None,
    );
    sub.wait_for_stderr("subscribed");
    let file_arg = file.to_str().unwrap();
    assert_success(
        "pub -f",
        &run("pub", &["-p", p, "-t", "ex/src", "-f", file_arg, "-q", "1"]),
    );
    assert_success("pub -n", &run("pub", &["-p", p, "-t", "ex/src", "-n"]));
    assert_success(
        "pub -s",
        &run_with_stdin(
            "pub",
            &["-p", p, "-t", "ex/src", "-s", "-q", "2"],
            b"all of stdin",
        ),
    );
    // A blank line is a zero-length message, as mosquitto_pub 2.0 sends it.
    assert_success(
        "pub -l",
        &run_with_stdin(
            "pub",
            &["-p", p, "-t", "ex/src", "-l", "-q", "1", "-V", "31"],
            b"line 1\n\nline 3",
        ),
    );
    let out = sub.finish();
    let _ = std::fs::remove_file(&file);
    assert_success("sub", &out);
    assert_eq!(
        out.stdout,
        "ex/src from a file\nex/src (null)\nex/src all of stdin\n\
         ex/src line 1\nex/src (null)\nex/src line 3\n"
    );
}

#[test]
fn persistent_session_with_c_keeps_messages_while_offline() {
    let broker = Broker::start();
    let port = broker.port().to_string();
    let p = port.as_str();
    // For 5.0, -c must also ask for a session expiry, or the session ends
    // with the connection and the message is lost.
    for version in ["311", "5"] {
        let id = format!("persistent-{version}");
        let topic = format!("ex/persist/{version}");
        let common = [
            "-p", p, "-V", version, "-c", "-i", &*id, "-q", "1", "-t", &*topic,
        ];
        let mut first = spawn(
            "sub",
            &[&common[..], &["-W", "2", "-d"]].concat(),
            Input::None,
        );
        first.wait_for_stderr("subscribed");
        let out = first.finish();
        assert_eq!(out.code(), Some(27), "{version}: {out:?}");

        let out = run(
            "pub",
            &["-p", p, "-t", &topic, "-m", "kept for you", "-q", "1"],
        );
        assert_success("pub", &out);
        let out = run("sub", &[&common[..], &["-C", "1", "-W", "10"]].concat());
        assert_success(version, &out);
        assert_eq!(out.stdout, "kept for you\n", "{version}");
    }
}

#[test]
fn pub_reports_a_rejected_message() {
    // Mosquitto answers a 5.0 PUBLISH the ACL forbids with Not authorized.
    let dir = std::env::temp_dir().join(format!("pub-acl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let acl = dir.join("acl");
    std::fs::write(&acl, "topic readwrite open/#\n").unwrap();
    let broker = Broker::config()
        .line(&format!("acl_file {}", acl.display()))
        .start();
    let port = broker.port().to_string();
    let out = run(
        "pub",
        &[
            "-p", &port, "-V", "5", "-t", "closed/x", "-m", "x", "-q", "1",
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("Not authorized"), "{out:?}");
}

#[test]
fn pub_fails_clearly_without_a_broker() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = run("pub", &["-p", &closed.to_string(), "-t", "a", "-m", "x"]);
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(out.stderr.starts_with("Error: cannot connect"), "{out:?}");
}

#[test]
fn usage_errors_exit_1_and_help_exits_0() {
    for (name, args, message) in [
        ("pub", &["-t", "a", "-m", "x", "-q", "3"][..], "Invalid QoS"),
        ("pub", &["-t", "a"][..], "Both topic and message"),
        ("pub", &["-t", "a", "-m", "x", "-n"][..], "Only one type"),
        ("pub", &["-t", "a/+", "-m", "x"][..], "invalid topic"),
        ("pub", &["-t", "a", "-m", "x", "-c"][..], "client id"),
        ("pub", &["-t", "a", "-m", "x", "-P", "pw"][..], "user name"),
        ("pub", &["-t", "a", "-m", "x", "-x", "60"][..], "MQTT 5"),
        ("pub", &["--url", "http://h", "-m", "x"][..], "scheme"),
        (
            "pub",
            &["--url", "mqtt://h/t", "-p", "1", "-m", "x"][..],
            "either",
        ),
        ("sub", &["-v"][..], "specify a topic"),
        ("sub", &["-t", "a/#/b"][..], "invalid topic filter"),
        ("sub", &["-t", "a", "-C", "0"][..], "-C"),
        ("sub", &["-t", "a", "-V", "4"][..], "protocol version"),
        ("sub", &["-t", "a", "--bogus"][..], "Unknown option"),
        ("sub", &["-t"][..], "needs a value"),
    ] {
        let out = run(name, args);
        assert_eq!(out.code(), Some(1), "{name} {args:?}: {out:?}");
        assert!(
            out.stderr.starts_with("Error: ") && out.stderr.contains(message),
            "{name} {args:?}: {out:?}"
        );
        assert!(out.stderr.contains(&format!("'{name} --help'")), "{out:?}");
    }
    for name in ["pub", "sub"] {
        let out = run(name, &["--help"]);
        assert_success(name, &out);
        assert!(out.stdout.contains("Usage:"), "{out:?}");
    }
}

#[test]
fn tutorials_run_to_completion() {
    let broker = Broker::start();
    let url = broker.url();
    for (name, expected) in [
        ("tutorial_1_connect", "loop_forever returned"),
        ("tutorial_2_publish", "cleared the retained message"),
        ("tutorial_3_subscribe_callbacks", "temperature callback"),
        ("tutorial_4_loops", "loop_forever returned after 3 messages"),
        ("tutorial_5_will", "the will was discarded"),
        ("tutorial_6_helpers", "cleared the retained messages"),
    ] {
        let out = run(name, &["--url", &url]);
        assert_success(name, &out);
        assert!(out.stdout.contains(expected), "{name}: {out:?}");
    }
}

#[test]
fn sub_resubscribes_after_the_broker_restarts() {
    let mut broker = Broker::start();
    let port = broker.port().to_string();
    let p = port.as_str();
    let mut sub = spawn(
        "sub",
        &["-p", p, "-t", "ex/restart", "-q", "1", "-C", "2", "-d"],
        Input::None,
    );
    sub.wait_for_stderr("subscribed");
    assert_success(
        "pub",
        &run(
            "pub",
            &["-p", p, "-t", "ex/restart", "-m", "before", "-q", "1"],
        ),
    );
    // A broker without persistence forgets the subscription: only the new
    // SUBACK that on_connect asks for lets the second message through.
    broker.restart();
    sub.wait_for_stderr("connection lost");
    sub.wait_for_stderr("subscribed");
    assert_success(
        "pub",
        &run(
            "pub",
            &["-p", p, "-t", "ex/restart", "-m", "after", "-q", "1"],
        ),
    );
    let out = sub.finish();
    assert_success("sub", &out);
    assert_eq!(out.stdout, "before\nafter\n");
}

#[test]
fn pub_fails_when_the_connection_drops_before_the_puback() {
    let mut broker = Broker::start();
    let port = broker.port().to_string();
    let mut publisher = spawn(
        "pub",
        &["-p", &port, "-t", "ex/lost", "-l", "-q", "1", "-d"],
        Input::Open,
    );
    let mut stdin = publisher.input.take().expect("stdin pipe");
    stdin.write_all(b"first\n").unwrap();
    stdin.flush().unwrap();
    publisher.wait_for_stderr("Delivered");
    // A frozen broker never acknowledges the second line; then it dies.
    broker.pause();
    stdin.write_all(b"second\n").unwrap();
    drop(stdin);
    std::thread::sleep(Duration::from_millis(200));
    broker.kill();
    let out = publisher.finish();
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(
        out.stderr
            .contains("Error: connection lost before delivery"),
        "{out:?}"
    );
}
