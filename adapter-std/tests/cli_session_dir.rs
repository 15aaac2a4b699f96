//! `sub` and `pub` with `--session-dir`: the session kept in a private
//! file store, so that `sub -c` run again gets, exactly once, what was
//! published while it was away; a store directory others can write to is
//! refused. mosquitto_sub has no such flag: these run on our side alone.
//!
//! Nothing is built here: `cargo test` builds the examples first; a run
//! limited with `--test cli_session_dir` does not, so stale binaries are
//! refused (`cargo build --examples -p adapter-std`).

mod common;
use adapter_std::{Client, ClientOptions};
use common::example;
use mqtt_proto::{ProtocolVersion, QoS};
use mqtt_testing::{read_packet, Broker, TempDir};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest any run may take before the test kills it and fails.
const LIMIT: Duration = Duration::from_secs(20);

/// How a run ended.
#[derive(Debug)]
struct Output {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs example `tool` with `args` to its end (killed and failed after LIMIT).
fn run(tool: &str, args: &[&str]) -> Output {
    let what = format!("{tool} {}", args.join(" "));
    let mut child = Command::new(example(tool))
        .args(args)
        .env("XDG_CONFIG_HOME", "/nonexistent/cli-session-dir")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not end within {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        code: status.code(),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

fn version_flag(version: ProtocolVersion) -> &'static str {
    if version.is_v5() {
        "mqttv5"
    } else {
        "mqttv311"
    }
}

/// Publishes `payloads` on `topic` at `qos` from a client of this
/// process, each delivered to the broker before the next.
fn publish(broker: &Broker, topic: &str, qos: QoS, payloads: &[String]) {
    let client = Client::new(
        ClientOptions::new("127.0.0.1", broker.port()).client_id("cli-session-dir-publisher"),
    )
    .unwrap();
    client.connect().unwrap();
    for p in payloads {
        let outcome = client
            .publish(topic, p.clone(), qos, false)
            .unwrap()
            .wait_for_publish(Some(LIMIT));
        assert!(outcome.is_some_and(|o| o.is_delivered()), "{p}");
    }
    client.disconnect().unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn sub_with_a_session_dir_gets_what_was_published_while_away_exactly_once() {
    let broker = Broker::start();
    let port = broker.port().to_string();
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        for qos in ["1", "2"] {
            let what = format!("{version} -q {qos}");
            let tmp = TempDir::created(&format!("away-{version}-{qos}"));
            // Created by the store, private to its owner.
            let dir = tmp.0.join("store");
            let dir_arg = dir.to_str().unwrap();
            let id = format!("cli-sd-{}-{qos}", version_flag(version));
            let topic = format!("cli/session-dir/{version}/{qos}");
            let sub = |extra: &[&str]| {
                let mut args = vec![
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &port,
                    "-V",
                    version_flag(version),
                    "-c",
                    "-i",
                    &id,
                    "--session-dir",
                    dir_arg,
                    "-q",
                    qos,
                    "-t",
                    &topic,
                ];
                args.extend_from_slice(extra);
                run("sub", &args)
            };
            let qos_level = if qos == "1" {
                QoS::AtLeastOnce
            } else {
                QoS::ExactlyOnce
            };

            // 1. Subscribe and leave (-E: exit after the SUBACK).
            let first = sub(&["-E"]);
            assert_eq!(first.code, Some(0), "{what}: {first:?}");
            assert_eq!(first.stdout, "", "{what}");
            assert_eq!(mode(&dir), 0o700, "{what}: the store directory");
            let files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            assert!(
                files
                    .iter()
                    .any(|f| f.extension().is_some_and(|e| e == "mqss")),
                "{what}: no session file in {files:?}"
            );
            for f in &files {
                assert_eq!(mode(f), 0o600, "{what}: {}", f.display());
            }

            // 2. Published while it is away.
            let away: Vec<String> = (1..=5).map(|i| format!("away-{i}")).collect();
            publish(&broker, &topic, qos_level, &away);

            // 3. The next run gets them, once each, and stops after them.
            let second = sub(&["-C", "5", "-W", "15"]);
            assert_eq!(second.code, Some(0), "{what}: {second:?}");
            let expected: String = away.iter().map(|p| format!("{p}\n")).collect();
            assert_eq!(second.stdout, expected, "{what}");

            // 4. And a run after that only what came since.
            publish(&broker, &topic, qos_level, &["later".to_string()]);
            let third = sub(&["-C", "1", "-W", "15"]);
            assert_eq!(third.code, Some(0), "{what}: {third:?}");
            assert_eq!(third.stdout, "later\n", "{what}: delivered again");
        }
    }
}

#[test]
fn pub_with_a_session_dir_publishes_and_keeps_its_store_private() {
    let broker = Broker::start();
    let port = broker.port().to_string();
    let tmp = TempDir::created("pub");
    let dir = tmp.0.join("store");
    let out = run(
        "pub",
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-c",
            "-i",
            "cli-sd-pub",
            "--session-dir",
            dir.to_str().unwrap(),
            "-q",
            "2",
            "-t",
            "cli/session-dir/pub",
            "-m",
            "hello",
        ],
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(mode(&dir), 0o700);
    for entry in std::fs::read_dir(&dir).unwrap() {
        let f = entry.unwrap().path();
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
}

#[test]
fn a_session_dir_others_can_write_to_is_refused_naming_it() {
    let tmp = TempDir::created("open");
    let dir = tmp.0.join("world-writable");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    // Refused before any connection: no broker needed.
    for tool in ["sub", "pub"] {
        let mut args = vec![
            "-h",
            "127.0.0.1",
            "-p",
            "1",
            "-c",
            "-i",
            "cli-sd-open",
            "--session-dir",
            dir.to_str().unwrap(),
            "-t",
            "cli/session-dir/open",
        ];
        if tool == "pub" {
            args.extend_from_slice(&["-m", "x"]);
        }
        let out = run(tool, &args);
        assert_eq!(out.code, Some(1), "{tool}: {out:?}");
        assert!(
            out.stderr.contains(dir.to_str().unwrap()),
            "{tool}: the error names the directory: {:?}",
            out.stderr
        );
        assert_eq!(out.stdout, "", "{tool}");
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "{tool}: wrote into a refused directory"
        );
    }
}

// ---------------------------------------------------------------------
// A kill between a QoS 2 message's PUBREC and its PUBCOMP, against a
// scripted broker (a real one answers the PUBREC at once).

/// A packet with this first byte and body (bodies under 128 bytes).
fn packet(first: u8, body: &[u8]) -> Vec<u8> {
    assert!(body.len() < 128);
    let mut p = vec![first, body.len() as u8];
    p.extend_from_slice(body);
    p
}

fn publish_qos2(packet_id: u16, topic: &str, payload: &str) -> Vec<u8> {
    let mut body = (topic.len() as u16).to_be_bytes().to_vec();
    body.extend_from_slice(topic.as_bytes());
    body.extend_from_slice(&packet_id.to_be_bytes());
    body.extend_from_slice(payload.as_bytes());
    packet(0x34, &body)
}

/// Accepts `sub`'s connection: CONNECT (clean session off), CONNACK with
/// `session_present`, SUBSCRIBE, SUBACK granting QoS 2.
fn accept_sub(listener: &TcpListener, session_present: bool) -> TcpStream {
    let (mut stream, _) = listener.accept().unwrap();
    stream.set_read_timeout(Some(LIMIT)).unwrap();
    let (first, connect) = read_packet(&mut stream);
    assert_eq!(first, 0x10, "CONNECT");
    assert_eq!(connect[7] & 0x02, 0, "clean session off");
    stream
        .write_all(&packet(0x20, &[u8::from(session_present), 0]))
        .unwrap();
    let (first, subscribe) = read_packet(&mut stream);
    assert_eq!(first, 0x82, "SUBSCRIBE");
    stream
        .write_all(&packet(0x90, &[subscribe[0], subscribe[1], 2]))
        .unwrap();
    stream
}

/// `sub` gets a QoS 2 message and answers PUBREC; the broker's PUBREL
/// never comes: `sub` is killed. Its store holds the message as
/// received, so the next run must not print it again; the first run must
/// therefore have printed it (on_message ran), or it is lost: the broker
/// only releases it (PUBREL) in the next run.
#[test]
fn sub_killed_between_pubrec_and_pubcomp_prints_the_message_exactly_once() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let tmp = TempDir::created("kill");
    let dir = tmp.0.join("store");
    let topic = "cli/session-dir/kill";
    let args = |extra: &[&'static str]| {
        let mut args: Vec<String> = [
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-V",
            "mqttv311",
            "-c",
            "-i",
            "cli-sd-kill",
            "--session-dir",
            dir.to_str().unwrap(),
            "-q",
            "2",
            "-t",
            topic,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };

    // 1. The message, its PUBREC, then a kill.
    let mut child = Command::new(example("sub"))
        .args(args(&[]))
        .env("XDG_CONFIG_HOME", "/nonexistent/cli-session-dir")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stream = accept_sub(&listener, false);
    stream.write_all(&publish_qos2(1, topic, "held")).unwrap();
    let (first, pubrec) = read_packet(&mut stream);
    assert_eq!(
        (first, pubrec.as_slice()),
        (0x50, &[0u8, 1][..]),
        "PUBREC 1"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let mut first_run = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut first_run)
        .unwrap();
    drop(stream);

    // 2. The next run: the broker releases message 1, then sends another.
    let script = std::thread::spawn(move || {
        let mut stream = accept_sub(&listener, true);
        stream.write_all(&packet(0x62, &[0, 1])).unwrap();
        stream.write_all(&publish_qos2(2, topic, "next")).unwrap();
        // Answer PUBRECs until the client leaves.
        loop {
            let mut byte = [0u8; 1];
            if stream.peek(&mut byte).map_or(true, |n| n == 0) {
                return;
            }
            let (first, body) = read_packet(&mut stream);
            match first {
                0x50 => stream.write_all(&packet(0x62, &body)).unwrap(),
                0xe0 => return, // DISCONNECT
                _ => {}
            }
        }
    });
    let args = args(&["-C", "1", "-W", "15"]);
    let second = run("sub", &args.iter().map(String::as_str).collect::<Vec<_>>());
    script.join().unwrap();
    assert_eq!(second.code, Some(0), "{second:?}");
    let printed = format!("{first_run}{}", second.stdout);
    assert_eq!(
        printed, "held\nnext\n",
        "first run {first_run:?}, second run {:?}",
        second.stdout
    );
}
