//! What a Paho Python 2.x user relies on, against Mosquitto: the packet log
//! in Paho's wording (compared side by side with paho-mqtt itself), no
//! secret in any log line, on_connect for a refusal, no retry of a failed
//! first connection by default, one mid across calls, callbacks and
//! handles, user data, `reinitialise`, one-call 5.0 properties, errors that
//! name the endpoint. Everything is named through `adapter_std` alone.

mod common;
use adapter_std::{
    Client, ClientOptions, ConnectInfo, Disconnection, Error, Level, Message, Mid, ProtocolVersion,
    PublishFailure, PublishOutcome, PublishProperties, QoS, ReasonCode, SubscribeProperties,
    SubscriptionOptions, Will,
};
use common::*;
use mqtt_testing::{closed_port, Broker};
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Lines = Arc<Mutex<Vec<String>>>;

/// A client whose on_log lines are collected.
fn logged(options: ClientOptions) -> (Client, Lines) {
    let client = Client::new(options).unwrap();
    let lines: Lines = Arc::default();
    let l = lines.clone();
    client.on_log(move |_, _, line| l.lock().unwrap().push(line.to_string()));
    (client, lines)
}

/// The packet lines ("Sending ...", "Received ...") of a log.
fn packet_lines(lines: &Lines) -> Vec<String> {
    lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with("Sending ") || l.starts_with("Received "))
        .cloned()
        .collect()
}

/// Disconnects a client that runs no loop, then runs its callbacks for
/// what is left (the DISCONNECT's log line).
fn finish(client: &Client) {
    client.disconnect().unwrap();
    let _ = client.loop_once(Duration::from_millis(50));
}

/// Waits (generously) until `done`.
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The session Paho and we both run: subscribe `side/#` at QoS 1, publish
/// "hello" at QoS 0, 1 and 2 to `side/t`, receive the three, disconnect.
const PAHO_SESSION: &str = r#"
import sys, threading, time, paho.mqtt.client as mqtt
port, version, cid = int(sys.argv[1]), sys.argv[2], sys.argv[3]
proto = mqtt.MQTTv5 if version == "5" else mqtt.MQTTv311
c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=cid, protocol=proto)
lock = threading.Lock()
def on_log(c, userdata, level, line):
    # Two threads log (the caller's publish, the loop's reads): one write each.
    with lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
c.on_log = on_log
subscribed, got = [], []
c.on_subscribe = lambda c, u, mid, rc, p: subscribed.append(mid)
c.on_message = lambda c, u, m: got.append(m)
c.connect("127.0.0.1", port, 60)
c.loop_start()
c.subscribe("side/#", 1)
deadline = time.time() + 10
while not subscribed and time.time() < deadline: time.sleep(0.01)
for qos in (0, 1, 2):
    c.publish("side/t", "hello", qos).wait_for_publish(10)
while len(got) < 3 and time.time() < deadline: time.sleep(0.01)
c.disconnect()
time.sleep(0.2)
c.loop_stop()
"#;

fn paho_session(port: u16, version: ProtocolVersion, client_id: &str) -> Vec<String> {
    let mut child = Command::new("python3")
        .arg("-")
        .arg(port.to_string())
        .arg(if version.is_v5() { "5" } else { "311" })
        .arg(client_id)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 with paho-mqtt is needed to compare the logs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(PAHO_SESSION.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the Paho session failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("Sending ") || l.starts_with("Received "))
        .map(str::to_string)
        .collect()
}

fn our_session(port: u16, version: ProtocolVersion, client_id: &str) -> Vec<String> {
    let (client, lines) = logged(
        ClientOptions::new("127.0.0.1", port)
            .client_id(client_id)
            .protocol(version),
    );
    let (tx, rx) = mpsc::channel();
    client.on_message(move |_, m| {
        let _ = tx.send(m.clone());
    });
    let (stx, srx) = mpsc::channel();
    client.on_subscribe(move |_, _, _, _| {
        let _ = stx.send(());
    });
    client.connect().unwrap();
    client.loop_start().unwrap();
    client.subscribe("side/#", QoS::AtLeastOnce).unwrap();
    srx.recv_timeout(WAIT).expect("SUBACK");
    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
        let handle = client.publish("side/t", "hello", qos, false).unwrap();
        assert!(handle.wait_for_publish(Some(WAIT)).unwrap().is_delivered());
    }
    for _ in 0..3 {
        rx.recv_timeout(WAIT).expect("our message back");
    }
    client.disconnect().unwrap();
    client.loop_stop().unwrap();
    packet_lines(&lines)
}

/// Message ids differ between the two clients (Paho numbers a QoS 0
/// publish, the broker numbers each session's deliveries): `m7` and
/// `Mid: 7` become `m#` and `Mid: #`.
fn without_ids(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        let after_m = c == 'm' && (out.ends_with(" m") || out.ends_with("(m"));
        if after_m || out.ends_with("Mid: ") {
            if chars.peek().is_some_and(char::is_ascii_digit) {
                out.push('#');
            }
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
        }
    }
    out
}

/// The same session logs the same packet lines as paho-mqtt's on_log,
/// line for line (order aside: the broker's deliveries interleave with our
/// acknowledgements differently in each run), QoS 0, 1 and 2 publishes
/// and a subscribe included.
#[test]
fn the_packet_log_matches_paho_side_by_side() {
    let broker = Broker::start();
    for version in VERSIONS {
        let mut paho = paho_session(broker.port(), version, "side-by-side");
        let mut ours = our_session(broker.port(), version, "side-by-side");
        if version.is_v5() {
            // The one difference: we announce our Maximum Packet Size, which
            // Paho leaves out.
            let connect = |lines: &mut Vec<String>| {
                let i = lines.iter().position(|l| l.starts_with("Sending CONNECT"));
                lines.remove(i.expect("a CONNECT line"))
            };
            assert_eq!(
                connect(&mut paho),
                "Sending CONNECT (u0, p0, wr0, wq0, wf0, c1, k60) client_id=b'side-by-side' properties=None"
            );
            assert_eq!(
                connect(&mut ours),
                "Sending CONNECT (u0, p0, wr0, wq0, wf0, c1, k60) client_id=b'side-by-side' \
                 properties=[MaximumPacketSize : 16777216]"
            );
        }
        let mut paho: Vec<String> = paho.iter().map(|l| without_ids(l)).collect();
        let mut ours: Vec<String> = ours.iter().map(|l| without_ids(l)).collect();
        paho.sort();
        ours.sort();
        assert_eq!(ours, paho, "{version:?}");
        // Not vacuous: every kind of line is there.
        for kind in [
            "CONNACK",
            "SUBSCRIBE",
            "SUBACK",
            "PUBLISH",
            "PUBACK",
            "PUBREC",
            "PUBREL",
            "PUBCOMP",
            "DISCONNECT",
        ] {
            assert!(ours.iter().any(|l| l.contains(kind)), "{kind} in {ours:?}");
        }
    }
}

/// The exact lines, in order per exchange, for a 3.1.1 session (from
/// paho-mqtt 2.2.0's on_log against Mosquitto 2.0).
#[test]
fn the_packet_lines_of_each_qos_and_a_subscribe_in_order() {
    let broker = Broker::start();
    let (client, lines) = logged(options(&broker, "paho-lines", ProtocolVersion::V3_1_1));
    let (tx, rx) = mpsc::channel();
    client.on_subscribe(move |_, _, _, _| {
        let _ = tx.send(());
    });
    client.connect().unwrap();
    let sub = client.subscribe("lines/#", QoS::AtLeastOnce).unwrap();
    let sub_pid = sub
        .packet_id()
        .expect("a subscribe's mid carries its packet id");
    let deadline = Instant::now() + WAIT;
    while rx.try_recv().is_err() {
        assert!(Instant::now() < deadline, "no SUBACK");
        client.loop_once(Duration::from_millis(50)).unwrap();
    }
    let mut mids = Vec::new();
    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
        let handle = client.publish("lines/t", "hello", qos, false).unwrap();
        assert!(handle.wait_for_publish(Some(WAIT)).unwrap().is_delivered());
        mids.push(handle.packet_id().map_or(0, |p| p.get()));
    }
    finish(&client);
    let got = packet_lines(&lines);
    let (q1, q2) = (mids[1], mids[2]);
    let expected = [
        "Sending CONNECT (u0, p0, wr0, wq0, wf0, c1, k60) client_id=b'paho-lines'".to_string(),
        "Received CONNACK (0, 0)".to_string(),
        format!("Sending SUBSCRIBE (d0, m{sub_pid}) [(b'lines/#', 1)]"),
        "Received SUBACK".to_string(),
        "Sending PUBLISH (d0, q0, r0, m0), 'b'lines/t'', ... (5 bytes)".to_string(),
        format!("Sending PUBLISH (d0, q1, r0, m{q1}), 'b'lines/t'', ... (5 bytes)"),
        format!("Received PUBACK (Mid: {q1})"),
        format!("Sending PUBLISH (d0, q2, r0, m{q2}), 'b'lines/t'', ... (5 bytes)"),
        format!("Received PUBREC (Mid: {q2})"),
        format!("Sending PUBREL (Mid: {q2})"),
        format!("Received PUBCOMP (Mid: {q2})"),
        "Sending DISCONNECT".to_string(),
    ];
    // Our own messages come back in between: the expected lines are a
    // subsequence, in this order.
    let mut at = 0;
    for want in &expected {
        match got[at..].iter().position(|l| l == want) {
            Some(i) => at += i + 1,
            None => panic!("missing or out of order: {want:?}\nin {got:#?}"),
        }
    }
    for line in [
        "Received PUBLISH (d0, q0, r0, m0), 'lines/t', ...  (5 bytes)",
        "Received PUBLISH (d0, q1, r0, m1), 'lines/t', ...  (5 bytes)",
        "Sending PUBACK (Mid: 1)",
    ] {
        assert!(got.iter().any(|l| l == line), "{line:?} in {got:#?}");
    }
}

#[test]
fn payloads_are_logged_only_when_asked() {
    let broker = Broker::start();
    for (show, expect) in [(false, "... (6 bytes)"), (true, "b'secret' (6 bytes)")] {
        let (client, lines) =
            logged(options(&broker, "payloads", ProtocolVersion::V3_1_1).log_payloads(show));
        client.connect().unwrap();
        let h = client
            .publish("p/t", "secret", QoS::AtLeastOnce, false)
            .unwrap();
        h.wait_for_publish(Some(WAIT)).unwrap();
        finish(&client);
        let lines = packet_lines(&lines);
        let publish = lines
            .iter()
            .find(|l| l.starts_with("Sending PUBLISH"))
            .unwrap();
        assert!(publish.ends_with(expect), "{publish}");
        assert_eq!(
            lines.iter().any(|l| l.contains("secret")),
            show,
            "{lines:?}"
        );
    }
}

#[test]
fn the_mosquitto_style_logs_as_mosquitto_pub_does() {
    let broker = Broker::start();
    let (client, lines) = logged(
        options(&broker, "pubid", ProtocolVersion::V3_1_1)
            .packet_log_style(adapter_std::LogStyle::Mosquitto),
    );
    client.connect().unwrap();
    let h = client
        .publish("a/b", "hello", QoS::AtLeastOnce, false)
        .unwrap();
    h.wait_for_publish(Some(WAIT)).unwrap();
    finish(&client);
    let got: Vec<String> = lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with("Client "))
        .cloned()
        .collect();
    let pid = h.packet_id().unwrap();
    // What `mosquitto_pub -d -i pubid -t a/b -m hello -q 1` prints.
    assert_eq!(
        got,
        [
            "Client pubid sending CONNECT".to_string(),
            "Client pubid received CONNACK (0)".to_string(),
            format!("Client pubid sending PUBLISH (d0, q1, r0, m{pid}, 'a/b', ... (5 bytes))"),
            format!("Client pubid received PUBACK (Mid: {pid}, RC:0)"),
            "Client pubid sending DISCONNECT".to_string(),
        ]
    );
}

/// No password, authentication data or will payload in any line, at any
/// level, of a session with credentials and a will, nor of a refused one.
#[test]
fn no_log_line_contains_a_password() {
    const PASSWORD: &str = "pw-6f1d9c-secret";
    let broker = Broker::config().user("alice", PASSWORD).start();
    for version in VERSIONS {
        for password in [PASSWORD, "wrong-pw-6f1d9c-secret"] {
            let (client, lines) = logged(
                options(&broker, "secretive", version)
                    .credentials("alice", password)
                    .will(Will::new("w/secretive", "will-6f1d9c-payload").qos(QoS::AtLeastOnce))
                    .log_payloads(false),
            );
            let connected = client.connect();
            assert_eq!(connected.is_ok(), password == PASSWORD, "{connected:?}");
            if connected.is_ok() {
                let h = client.publish("s/t", "x", QoS::ExactlyOnce, false).unwrap();
                h.wait_for_publish(Some(WAIT)).unwrap();
                finish(&client);
            }
            let lines = lines.lock().unwrap();
            assert!(
                lines
                    .iter()
                    .any(|l| l.starts_with("Sending CONNECT (u1, p1, wr0, wq1, wf1")),
                "the CONNECT line shows the flags: {lines:#?}"
            );
            for line in lines.iter() {
                assert!(!line.contains("6f1d9c"), "a secret in {line:?}");
            }
        }
    }
}

/// Paho 2: a refused CONNACK reaches on_connect with the failure reason
/// code, then on_disconnect; `connect()` returns the refusal.
#[test]
fn on_connect_runs_for_a_refusal_with_the_reason_code() {
    let broker = Broker::config().user("alice", "right").start();
    for version in VERSIONS {
        let (client, lines) =
            logged(options(&broker, "refused", version).credentials("alice", "wrong"));
        let order = Arc::new(Mutex::new(Vec::new()));
        let infos: Arc<Mutex<Vec<ConnectInfo>>> = Arc::default();
        let (o, i) = (order.clone(), infos.clone());
        client.on_connect(move |_, info| {
            o.lock().unwrap().push("on_connect");
            i.lock().unwrap().push(info.clone());
        });
        let o = order.clone();
        client.on_disconnect(move |_, why| {
            assert!(matches!(why, Disconnection::Refused { .. }), "{why:?}");
            o.lock().unwrap().push("on_disconnect");
        });
        let o = order.clone();
        client.on_connect_fail(move |_, _| o.lock().unwrap().push("on_connect_fail"));
        let e = client.connect().expect_err("refused");
        assert!(
            matches!(
                e,
                Error::Refused {
                    reason: ReasonCode::NotAuthorized,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(
            *order.lock().unwrap(),
            ["on_connect", "on_disconnect"],
            "{version:?}"
        );
        let info = infos.lock().unwrap()[0].clone();
        assert!(info.is_failure());
        assert_eq!(info.reason_code(), ReasonCode::NotAuthorized);
        assert_eq!(info.return_code(), Some(5), "Paho 1's rc 5");
        assert!(!info.session_present);
        let connack = if version.is_v5() {
            "Received CONNACK (0, Not authorized) properties=[]"
        } else {
            "Received CONNACK (0, 5)"
        };
        assert!(
            packet_lines(&lines).iter().any(|l| l == connack),
            "{:?}",
            packet_lines(&lines)
        );
        assert!(!client.is_connected());
    }
}

#[test]
fn an_accepted_connection_reaches_on_connect_as_success() {
    let broker = Broker::start();
    let client = Client::new(options(&broker, "accepted", ProtocolVersion::V5)).unwrap();
    let (tx, rx) = mpsc::channel();
    client.on_connect(move |_, info| {
        let _ = tx.send((info.is_failure(), info.reason_code()));
    });
    client.connect().unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), (false, ReasonCode::Success));
    client.disconnect().unwrap();
}

/// Paho's `loop_forever(retry_first_connection=False)` default: a first
/// connection that cannot be opened ends the loop with its error, after
/// on_connect_fail; with the option on, the loop keeps trying.
#[test]
fn loop_forever_does_not_retry_a_failed_first_connection_unless_asked() {
    let port = closed_port();
    let fast =
        |o: ClientOptions| o.reconnect_delay(Duration::from_millis(10), Duration::from_millis(20));
    let client = Client::new(fast(ClientOptions::new("127.0.0.1", port))).unwrap();
    let fails = Arc::new(Mutex::new(0));
    let f = fails.clone();
    client.on_connect_fail(move |_, _| *f.lock().unwrap() += 1);
    client.connect_async();
    let e = client.loop_forever().expect_err("not retried");
    assert!(matches!(e, Error::Io(_)), "{e:?}");
    assert_eq!(*fails.lock().unwrap(), 1);

    let client = Client::new(fast(
        ClientOptions::new("127.0.0.1", port).retry_first_connection(true),
    ))
    .unwrap();
    let fails = Arc::new(Mutex::new(0));
    let f = fails.clone();
    client.on_connect_fail(move |c, _| {
        let mut n = f.lock().unwrap();
        *n += 1;
        if *n == 3 {
            c.disconnect().unwrap(); // stops the retries, which ends the loop
        }
    });
    client.connect_async();
    client.loop_forever().unwrap();
    assert_eq!(*fails.lock().unwrap(), 3);
}

/// One mid per request: what subscribe / unsubscribe return and a
/// publish's handle gives is what the callback gets, with the packet id.
#[test]
fn one_mid_across_calls_callbacks_and_handles() {
    let broker = Broker::start();
    for version in VERSIONS {
        let client = Client::new(options(&broker, "mids", version)).unwrap();
        let acked: Arc<Mutex<Vec<(&str, Mid)>>> = Arc::default();
        let published: Arc<Mutex<Vec<Mid>>> = Arc::default();
        let a = acked.clone();
        client.on_subscribe(move |_, mid, _, _| a.lock().unwrap().push(("sub", mid)));
        let a = acked.clone();
        client.on_unsubscribe(move |_, mid, _, _| a.lock().unwrap().push(("unsub", mid)));
        let p = published.clone();
        client.on_publish(move |_, mid, _| p.lock().unwrap().push(mid));
        client.connect().unwrap();
        client.loop_start().unwrap();
        let sub = client.subscribe("mids/#", QoS::AtLeastOnce).unwrap();
        let unsub = client.unsubscribe("mids/#").unwrap();
        assert_ne!(sub, unsub);
        let handles: Vec<_> = [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce]
            .into_iter()
            .map(|qos| client.publish("mids/t", "x", qos, false).unwrap())
            .collect();
        for h in &handles {
            assert!(h.wait_for_publish(Some(WAIT)).unwrap().is_delivered());
        }
        eventually("the UNSUBACK", || acked.lock().unwrap().len() == 2);
        stop(&client);
        let acked = acked.lock().unwrap();
        assert_eq!(acked[0], ("sub", sub));
        assert_eq!(acked[1], ("unsub", unsub));
        assert_eq!(acked[0].1.packet_id(), sub.packet_id());
        assert!(sub.packet_id().is_some());
        let mut published = published.lock().unwrap().clone();
        published.sort();
        let mids: Vec<Mid> = handles.iter().map(|h| h.mid()).collect();
        assert_eq!(
            *published, mids,
            "on_publish gets each handle's mid, QoS 0 included"
        );
        assert_eq!(published[0].packet_id(), None, "QoS 0 has no packet id");
        for (mid, h) in published.iter().zip(&handles).skip(1) {
            assert!(mid.packet_id().is_some());
            assert_eq!(mid.packet_id(), h.packet_id());
        }
    }
}

#[test]
fn user_data_reaches_the_callbacks() {
    let broker = Broker::start();
    // Set with the options (Paho's `Client(userdata=...)`).
    let client = Client::new(
        options(&broker, "userdata", ProtocolVersion::V3_1_1)
            .user_data(Mutex::new(Vec::<String>::new())),
    )
    .unwrap();
    client.on_message(|c, m: &Message| {
        let seen = c.user_data::<Mutex<Vec<String>>>().expect("the user data");
        seen.lock().unwrap().push(m.topic().to_string());
    });
    client.connect().unwrap();
    client.loop_start().unwrap();
    let (tx, rx) = mpsc::channel();
    client.on_subscribe(move |_, _, _, _| {
        let _ = tx.send(());
    });
    client.subscribe("ud/#", QoS::AtLeastOnce).unwrap();
    rx.recv_timeout(WAIT).unwrap();
    client
        .publish("ud/1", "x", QoS::AtLeastOnce, false)
        .unwrap();
    let seen = client.user_data::<Mutex<Vec<String>>>().unwrap();
    eventually("the message", || seen.lock().unwrap().len() == 1);
    assert_eq!(*seen.lock().unwrap(), ["ud/1"]);
    assert!(client.user_data::<String>().is_none(), "another type");

    // Replaced (Paho's `user_data_set`) and cleared.
    client.user_data_set(42u32);
    assert_eq!(client.user_data::<u32>().as_deref(), Some(&42));
    assert!(client.user_data::<Mutex<Vec<String>>>().is_none());
    assert!(client.user_data_clear().is_some());
    assert!(client.user_data::<u32>().is_none());
    stop(&client);
}

/// Paho's `reinitialise`: a fresh client with a new id and user data, no
/// callbacks, no session; the old connection drops without DISCONNECT.
#[test]
fn reinitialise_makes_a_fresh_client() {
    let broker = Broker::start();
    let (watcher, wills) = subscriber(
        &broker,
        "re-watch",
        ProtocolVersion::V3_1_1,
        "re/will",
        QoS::AtLeastOnce,
    );
    let client = Client::new(
        options(&broker, "re-1", ProtocolVersion::V3_1_1)
            .will(Will::new("re/will", "re-1 gone").qos(QoS::AtLeastOnce))
            .max_inflight(1)
            .user_data(1u8),
    )
    .unwrap();
    let old_callback_ran = Arc::new(Mutex::new(0));
    let r = old_callback_ran.clone();
    client.on_connect(move |_, _| *r.lock().unwrap() += 1);
    client.connect().unwrap();
    assert_eq!(*old_callback_ran.lock().unwrap(), 1);
    client.loop_start().unwrap();
    assert!(matches!(
        client.reinitialise(options(&broker, "re-2", ProtocolVersion::V5)),
        Err(Error::LoopAlreadyRunning)
    ));
    client.loop_stop().unwrap();
    // With no loop reading the PUBACK, one message is in flight and the
    // next waits behind the window of one when the client is reset.
    let in_flight = client
        .publish("re/x", "1", QoS::AtLeastOnce, false)
        .unwrap();
    let queued = client
        .publish("re/x", "2", QoS::AtLeastOnce, false)
        .unwrap();
    client
        .reinitialise(options(&broker, "re-2", ProtocolVersion::V5).user_data("fresh"))
        .unwrap();

    assert!(!client.is_connected());
    assert_eq!(client.client_id(), "re-2");
    assert_eq!(client.user_data::<&str>().as_deref(), Some(&"fresh"));
    assert!(client.user_data::<u8>().is_none());
    assert_eq!(
        queued.outcome(),
        Some(PublishOutcome::Failed(PublishFailure::SessionLost))
    );
    assert_eq!(
        in_flight.outcome(),
        Some(PublishOutcome::Failed(PublishFailure::SessionLost))
    );
    // The old connection ended without DISCONNECT: the broker publishes the will.
    let will = wills
        .recv_timeout(WAIT)
        .expect("the will of the dropped connection");
    assert_eq!(will.payload_str(), Some("re-1 gone"));
    // The callbacks are gone, as after Paho's reinitialise.
    client.connect().unwrap();
    assert_eq!(*old_callback_ran.lock().unwrap(), 1);
    assert!(client.session_snapshot().is_idle(), "a fresh session");
    client.disconnect().unwrap();
    stop(&watcher);
}

/// 5.0 properties in one call each, all through `adapter_std`.
#[test]
fn properties_are_one_call_each() {
    let broker = Broker::start();
    let (sub, rx) = subscriber(
        &broker,
        "props-sub",
        ProtocolVersion::V5,
        "props/#",
        QoS::AtLeastOnce,
    );
    let client = Client::new(options(&broker, "props-pub", ProtocolVersion::V5)).unwrap();
    client.connect().unwrap();
    client.loop_start().unwrap();
    let properties = PublishProperties::new()
        .user_property("k", "v")
        .response_topic("props/reply")
        .correlation_data(&b"req-1"[..])
        .content_type("text/plain")
        .message_expiry_interval(60);
    let h = client
        .publish_with("props/t", "hi", QoS::AtLeastOnce, false, properties)
        .unwrap();
    assert!(h.wait_for_publish(Some(WAIT)).unwrap().is_delivered());
    let m = rx.recv_timeout(WAIT).unwrap();
    let p = m.properties();
    assert_eq!(p.user_properties[0].0.as_str(), "k");
    assert_eq!(p.user_properties[0].1.as_str(), "v");
    assert_eq!(p.response_topic.as_ref().unwrap().as_str(), "props/reply");
    assert_eq!(p.correlation_data.as_deref(), Some(&b"req-1"[..]));
    assert_eq!(p.content_type.as_ref().unwrap().as_str(), "text/plain");
    assert!(p.message_expiry_interval.is_some_and(|s| s <= 60));

    // Subscribe options and properties in one call.
    let (tx, rx) = mpsc::channel();
    client.on_subscribe(move |_, _, reasons, _| {
        let _ = tx.send(reasons.to_vec());
    });
    client
        .subscribe_options(
            "props/own",
            SubscriptionOptions::new(QoS::AtLeastOnce).no_local(true),
            SubscribeProperties::new().subscription_identifier(9),
        )
        .unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), [ReasonCode::GrantedQoS1]);
    stop(&client);
    stop(&sub);
}

/// Every way a connection can fail says which endpoint failed.
#[test]
fn errors_name_the_endpoint() {
    let port = closed_port();
    let e = Client::new(ClientOptions::new("127.0.0.1", port))
        .unwrap()
        .connect()
        .unwrap_err();
    assert!(e.to_string().contains(&format!("127.0.0.1:{port}")), "{e}");

    let e = Client::new(
        ClientOptions::new("no-such-host.invalid", 1883).connect_timeout(Duration::from_secs(5)),
    )
    .unwrap()
    .connect()
    .unwrap_err();
    assert!(e.to_string().contains("no-such-host.invalid:1883"), "{e}");

    // A WebSocket upgrade to a plain MQTT listener.
    let broker = Broker::start();
    let e = Client::new(
        ClientOptions::from_url(&format!("ws://127.0.0.1:{}/mqtt", broker.port()))
            .unwrap()
            .connect_timeout(Duration::from_secs(5)),
    )
    .unwrap()
    .connect()
    .unwrap_err();
    assert!(
        e.to_string()
            .contains(&format!("127.0.0.1:{}", broker.port())),
        "{e}"
    );
}

#[test]
fn enable_logger_and_log_levels_are_reachable_from_the_crate() {
    // Installs the process's logger (once per test binary): the packet
    // lines then reach `log` too, with no on_log set.
    let _ = adapter_std::enable_logger(adapter_std::LevelFilter::Warn);
    let broker = Broker::start();
    let client = Client::new(options(&broker, "logger", ProtocolVersion::V3_1_1)).unwrap();
    assert!(
        !client.enable_logger(adapter_std::LevelFilter::Debug),
        "already installed"
    );
    let levels = Arc::new(Mutex::new(Vec::new()));
    let l = levels.clone();
    client.on_log(move |_, level, line| l.lock().unwrap().push((level, line.to_string())));
    client.connect().unwrap();
    client.disconnect().unwrap();
    let levels = levels.lock().unwrap();
    assert!(levels
        .iter()
        .any(|(l, s)| *l == Level::Debug && s.starts_with("Sending CONNECT")));
    assert!(levels
        .iter()
        .any(|(l, s)| *l == Level::Info && s.starts_with("connecting to 127.0.0.1:")));
    assert!(levels
        .iter()
        .any(|(l, s)| *l == Level::Info && s.starts_with("connected")));
}
