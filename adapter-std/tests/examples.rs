//! The tutorials, run as the programs they are against a real Mosquitto.
//! (`pub` and `sub` are tested side by side with mosquitto_pub and
//! mosquitto_sub in `cli_compat.rs`.)
//!
//! Nothing is built here. `cargo test` builds the examples of the packages it
//! tests (into `target/<profile>/examples/`) before running any test; a run
//! limited with `--test examples` does not, hence the check for stale binaries.

mod common;
use common::example;
use mqtt_testing::Broker;
use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// Longest any example run may take before the test kills it and fails.
const LIMIT: Duration = Duration::from_secs(30);

/// What a finished run printed and how it ended.
#[derive(Debug)]
struct Output {
    status: ExitStatus,
    stdout: String,
    stderr: String,
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

/// Runs an example to its end (killed and failed after LIMIT); its stdout
/// and stderr are collected by threads, so that a full pipe never blocks it.
fn run(name: &str, args: &[&str]) -> Output {
    let mut child: Child = Command::new(example(name))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {name}: {e}"));
    let stdout = collect(child.stdout.take().expect("stdout pipe"));
    let stderr = collect(child.stderr.take().expect("stderr pipe"));
    let deadline = Instant::now() + LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{name} did not end within {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: stdout.recv_timeout(LIMIT).unwrap_or_default(),
        stderr: stderr.recv_timeout(LIMIT).unwrap_or_default(),
    }
}

#[track_caller]
fn assert_success(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what}: {}\nstdout: {}\nstderr: {}",
        out.status,
        out.stdout,
        out.stderr
    );
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
