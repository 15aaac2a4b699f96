//! Paho's loop functions, connect_async, automatic reconnection and
//! resubscription from on_connect.

mod common;
use adapter_std::{Client, ClientOptions, Disconnection, Error};
use common::*;
use mqtt_proto::{ProtocolVersion, QoS};
use mqtt_testing::{closed_port, Broker};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

#[test]
fn loop_once_drives_everything_from_the_callers_thread() {
    let broker = Broker::start();
    let client = Client::new(options(&broker, "manual", ProtocolVersion::V3_1_1)).unwrap();
    let (tx, rx) = mpsc::channel();
    client.on_message(move |_, m| {
        let _ = tx.send(m.payload().to_vec());
    });
    client.connect().unwrap();
    client.subscribe("loop/#", QoS::ExactlyOnce).unwrap();
    let handle = client
        .publish("loop/x", "self", QoS::ExactlyOnce, false)
        .unwrap();
    let deadline = Instant::now() + WAIT;
    while (!handle.is_published() || rx.try_recv().is_err()) && Instant::now() < deadline {
        client.loop_once(Duration::from_millis(100)).unwrap();
    }
    assert!(handle.is_published());
    client.disconnect().unwrap();
}

#[test]
fn loop_forever_returns_after_disconnect_from_a_callback() {
    let broker = Broker::start();
    let client = Client::new(options(&broker, "forever", ProtocolVersion::V5)).unwrap();
    client.on_connect(|c, _| {
        c.publish("bye", "x", QoS::AtLeastOnce, false).unwrap();
    });
    client.on_publish(|c, _, _| c.disconnect().unwrap());
    let disconnects = Arc::new(AtomicUsize::new(0));
    let d = disconnects.clone();
    client.on_disconnect(move |_, why| {
        assert!(matches!(why, Disconnection::Local { .. }), "{why:?}");
        d.fetch_add(1, Ordering::SeqCst);
    });
    client.connect().unwrap();
    let started = Instant::now();
    client.loop_forever().unwrap();
    assert!(started.elapsed() < WAIT);
    assert_eq!(disconnects.load(Ordering::SeqCst), 1);
    assert!(!client.is_connected());
}

#[test]
fn loop_forever_without_retry_reports_an_unreachable_broker() {
    let client = Client::new(ClientOptions::new("127.0.0.1", closed_port())).unwrap();
    let fails = Arc::new(AtomicUsize::new(0));
    let f = fails.clone();
    client.on_connect_fail(move |_, _| {
        f.fetch_add(1, Ordering::SeqCst);
    });
    client.connect_async();
    assert!(matches!(client.loop_forever_with(false), Err(Error::Io(_))));
    assert_eq!(fails.load(Ordering::SeqCst), 1);
}

#[test]
fn connect_fails_fast_on_a_closed_port() {
    let client = Client::new(ClientOptions::new("127.0.0.1", closed_port())).unwrap();
    assert!(matches!(client.connect(), Err(Error::Io(_))));
}

#[test]
fn connect_async_with_loop_start_retries_until_the_broker_appears() {
    let port = closed_port();
    let client = Client::new(
        ClientOptions::new("127.0.0.1", port)
            .reconnect_delay(Duration::from_millis(20), Duration::from_millis(100)),
    )
    .unwrap();
    let fails = Arc::new(AtomicUsize::new(0));
    let f = fails.clone();
    client.on_connect_fail(move |_, _| {
        f.fetch_add(1, Ordering::SeqCst);
    });
    let (tx, rx) = mpsc::channel();
    client.on_connect(move |_, _| {
        let _ = tx.send(());
    });
    client.connect_async();
    client.loop_start().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(fails.load(Ordering::SeqCst) >= 2, "retried with backoff");
    let _broker = Broker::config()
        .line(&format!("listener {port} 127.0.0.1"))
        .start();
    rx.recv_timeout(WAIT)
        .expect("connected once the broker is up");
    stop(&client);
}

#[test]
fn broker_restart_reconnects_and_on_connect_renews_subscriptions() {
    let mut broker = Broker::start();
    let client = Client::new(options(&broker, "renew", ProtocolVersion::V3_1_1)).unwrap();
    let connects = Arc::new(AtomicUsize::new(0));
    let c2 = connects.clone();
    // Counts the subscriptions made. The connection may end before its
    // on_connect runs (as when the broker dies just after its CONNACK):
    // then subscribing fails, and the next connection's on_connect renews it.
    client.on_connect(move |c, _| {
        if c.subscribe("renew/#", QoS::AtLeastOnce).is_ok() {
            c2.fetch_add(1, Ordering::SeqCst);
        }
    });
    let (tx, rx) = mpsc::channel();
    client.on_message(move |_, m| {
        let _ = tx.send(m.payload().to_vec());
    });
    client.connect_async();
    client.loop_start().unwrap();
    wait_for(|| connects.load(Ordering::SeqCst) == 1);
    broker.restart();
    wait_for(|| connects.load(Ordering::SeqCst) >= 2 && client.is_connected());
    std::thread::sleep(Duration::from_millis(200)); // SUBACK
    let publisher = connected(&broker, "pub", ProtocolVersion::V3_1_1);
    publisher
        .publish("renew/x", "after restart", QoS::AtLeastOnce, false)
        .unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), b"after restart");
    stop(&publisher);
    stop(&client);
}

#[test]
fn publish_from_many_threads_and_callbacks_never_deadlocks() {
    let broker = Broker::start();
    let client = Client::new(options(&broker, "busy", ProtocolVersion::V5)).unwrap();
    let echoes = Arc::new(AtomicUsize::new(0));
    let e = echoes.clone();
    // Every message received is published again from inside the callback.
    client.on_message(move |c, m| {
        if m.topic() == "busy/in" {
            c.publish("busy/echo", m.payload_bytes(), QoS::AtLeastOnce, false)
                .unwrap();
        } else {
            e.fetch_add(1, Ordering::SeqCst);
        }
    });
    client.connect().unwrap();
    client.loop_start().unwrap();
    client.subscribe("busy/#", QoS::AtLeastOnce).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let c = client.clone();
            std::thread::spawn(move || {
                for i in 0..250u32 {
                    c.publish(
                        "busy/in",
                        (t * 1000 + i).to_be_bytes().to_vec(),
                        QoS::AtLeastOnce,
                        false,
                    )
                    .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    wait_for(|| echoes.load(Ordering::SeqCst) == 1000);
    stop(&client);
}

/// Counts the client's connections (its on_connect calls).
fn count_connects(client: &Client) -> Arc<AtomicUsize> {
    let connects = Arc::new(AtomicUsize::new(0));
    let n = connects.clone();
    client.on_connect(move |_, _| {
        n.fetch_add(1, Ordering::SeqCst);
    });
    connects
}

/// Counts the SUBACKs the client receives.
fn count_subacks(client: &Client) -> Arc<AtomicUsize> {
    let subacks = Arc::new(AtomicUsize::new(0));
    let n = subacks.clone();
    client.on_subscribe(move |_, _, _, _| {
        n.fetch_add(1, Ordering::SeqCst);
    });
    subacks
}

fn wait_for(f: impl Fn() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !f() {
        assert!(Instant::now() < deadline, "condition not reached in time");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn waiting_for_an_acknowledgement_inside_a_callback_does_not_wait_for_itself() {
    // Under loop_start the reader thread runs the callbacks; a callback
    // waiting for a PUBACK must not stop that PUBACK from being read.
    let broker = Broker::start();
    let client = Client::new(options(&broker, "waits", ProtocolVersion::V5)).unwrap();
    let (tx, rx) = mpsc::channel();
    client.on_message(move |c, m| {
        if m.topic() == "waits/in" {
            let handle = c
                .publish("waits/reply", m.payload_bytes(), QoS::AtLeastOnce, false)
                .unwrap();
            let outcome = handle.wait_for_publish(Some(WAIT));
            let _ = tx.send(outcome.is_some_and(|o| o.is_delivered()));
        }
    });
    client.connect().unwrap();
    client.loop_start().unwrap();
    client.subscribe("waits/in", QoS::AtLeastOnce).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    // Several in a row: each wait hands the reading to a new thread.
    for i in 0..5u8 {
        client
            .publish("waits/in", vec![i], QoS::AtLeastOnce, false)
            .unwrap();
        assert_eq!(rx.recv_timeout(WAIT), Ok(true), "message {i}");
    }
    stop(&client);
}

#[test]
fn callbacks_run_one_at_a_time_and_none_after_loop_stop() {
    let broker = Broker::start();
    let client = Client::new(options(&broker, "serial", ProtocolVersion::V3_1_1)).unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let overlaps = Arc::new(AtomicUsize::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    let (r, o, n) = (running.clone(), overlaps.clone(), calls.clone());
    let serial = move || {
        if r.fetch_add(1, Ordering::SeqCst) != 0 {
            o.fetch_add(1, Ordering::SeqCst);
        }
        n.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_micros(200));
        r.fetch_sub(1, Ordering::SeqCst);
    };
    let s = serial.clone();
    client.on_message(move |_, _| s());
    client.on_publish(move |_, _, _| serial());
    client.connect().unwrap();
    client.loop_start().unwrap();
    client.subscribe("serial/#", QoS::AtLeastOnce).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    // At QoS 0 on_publish comes from the publishing thread's work (run by
    // the loop thread) while on_message comes from the reader thread.
    for i in 0..200u32 {
        let qos = if i % 2 == 0 {
            QoS::AtMostOnce
        } else {
            QoS::AtLeastOnce
        };
        client
            .publish("serial/x", i.to_be_bytes().to_vec(), qos, false)
            .unwrap();
    }
    wait_for(|| calls.load(Ordering::SeqCst) == 400);
    assert_eq!(overlaps.load(Ordering::SeqCst), 0, "callbacks overlapped");

    client.loop_stop().unwrap();
    let before = calls.load(Ordering::SeqCst);
    client
        .publish("serial/x", "after", QoS::AtMostOnce, false)
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        before,
        "a callback ran after loop_stop"
    );
    // The next loop runs what arrived meanwhile.
    client.loop_start().unwrap();
    wait_for(|| calls.load(Ordering::SeqCst) == before + 2);
    stop(&client);
}

#[test]
fn loop_stop_from_inside_a_callback_returns_and_a_new_loop_runs() {
    let mut broker = Broker::start();
    let client = Client::new(options(&broker, "selfstop", ProtocolVersion::V3_1_1)).unwrap();
    let (tx, rx) = mpsc::channel();
    client.on_message(move |c, _| {
        let _ = tx.send(c.loop_stop().is_ok());
    });
    let connects = count_connects(&client);
    client.connect().unwrap();
    client.loop_start().unwrap();
    wait_for(|| connects.load(Ordering::SeqCst) == 1);
    client.subscribe("selfstop", QoS::AtMostOnce).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    client
        .publish("selfstop", "x", QoS::AtMostOnce, false)
        .unwrap();
    assert_eq!(rx.recv_timeout(WAIT), Ok(true));
    std::thread::sleep(Duration::from_millis(200));

    // The stopped loop's leftovers must not stop the next one: it still
    // reconnects after the broker restarts.
    client.loop_start().unwrap();
    broker.restart();
    wait_for(|| connects.load(Ordering::SeqCst) == 2);
    stop(&client);
}

#[test]
fn a_panicking_callback_on_the_reader_thread_drops_the_connection_and_the_loop_reconnects() {
    let broker = Broker::start();
    let client = Client::new(options(&broker, "panics", ProtocolVersion::V3_1_1)).unwrap();
    let (tx, rx) = mpsc::channel();
    client.on_message(move |_, m| {
        if m.payload() == b"boom" {
            panic!("callback panics on purpose");
        }
        let _ = tx.send(m.payload().to_vec());
    });
    let connects = Arc::new(AtomicUsize::new(0));
    let n = connects.clone();
    client.on_connect(move |c, _| {
        n.fetch_add(1, Ordering::SeqCst);
        c.subscribe("panics", QoS::AtLeastOnce).unwrap();
    });
    let subacks = count_subacks(&client);
    client.connect().unwrap();
    client.loop_start().unwrap();
    wait_for(|| subacks.load(Ordering::SeqCst) == 1);
    client
        .publish("panics", "boom", QoS::AtMostOnce, false)
        .unwrap();
    wait_for(|| connects.load(Ordering::SeqCst) == 2);
    wait_for(|| subacks.load(Ordering::SeqCst) == 2);
    client
        .publish("panics", "after", QoS::AtLeastOnce, false)
        .unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), b"after");
    stop(&client);
}

#[test]
fn a_panicking_callback_on_the_loop_thread_drops_the_connection_and_the_loop_reconnects() {
    // A QoS 0 publish is done when it is written, on the publishing
    // thread; that thread does not run callbacks, so on_publish normally
    // runs on the loop thread (a reader thread may take it instead, with
    // the same outcome).
    let broker = Broker::start();
    let client = Client::new(options(&broker, "loop-panics", ProtocolVersion::V3_1_1)).unwrap();
    let published = Arc::new(AtomicUsize::new(0));
    let p = published.clone();
    client.on_publish(move |_, _, _| {
        if p.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("callback panics on purpose");
        }
    });
    let connects = count_connects(&client);
    client.connect().unwrap();
    client.loop_start().unwrap();
    wait_for(|| connects.load(Ordering::SeqCst) == 1);
    client
        .publish("loop-panics", "boom", QoS::AtMostOnce, false)
        .unwrap();
    wait_for(|| connects.load(Ordering::SeqCst) == 2);
    let handle = client
        .publish("loop-panics", "after", QoS::AtLeastOnce, false)
        .unwrap();
    handle.wait_for_publish(Some(WAIT)).unwrap();
    wait_for(|| published.load(Ordering::SeqCst) == 2);
    stop(&client);
}

#[test]
fn reconnect_from_a_callback_on_the_reader_thread_gets_its_connack() {
    // The CONNACK comes on the new connection's own reader thread, not on
    // the one running this callback.
    let broker = Broker::start();
    let client = Client::new(options(&broker, "recon", ProtocolVersion::V3_1_1)).unwrap();
    let (tx, rx) = mpsc::channel();
    client.on_message(move |c, m| {
        if m.payload() == b"reconnect" {
            let _ = tx.send(c.reconnect().map(|_| ()).map_err(|e| e.to_string()));
        } else {
            let _ = tx.send(Ok(()));
        }
    });
    // Each connection subscribes anew (clean start); SUBACKs are counted.
    let subacks = count_subacks(&client);
    client.on_connect(|c, _| {
        c.subscribe("recon", QoS::AtLeastOnce).unwrap();
    });
    client.connect().unwrap();
    client.loop_start().unwrap();
    wait_for(|| subacks.load(Ordering::SeqCst) == 1);
    client
        .publish("recon", "reconnect", QoS::AtLeastOnce, false)
        .unwrap();
    assert_eq!(rx.recv_timeout(WAIT), Ok(Ok(())));
    wait_for(|| subacks.load(Ordering::SeqCst) == 2);
    client
        .publish("recon", "after", QoS::AtLeastOnce, false)
        .unwrap();
    assert_eq!(rx.recv_timeout(WAIT), Ok(Ok(())));
    stop(&client);
}

/// A liveness bound for callbacks that follow a command: generous for a
/// loaded machine, and still well under the 1 s an event used to wait for
/// the old loop's receive timeout.
const PROMPT: Duration = Duration::from_millis(500);

/// Sends each on_disconnect's reason on the returned channel.
fn disconnects_of(client: &Client) -> mpsc::Receiver<Disconnection> {
    let (tx, rx) = mpsc::channel();
    client.on_disconnect(move |_, why| {
        let _ = tx.send(why.clone());
    });
    rx
}

#[test]
fn on_disconnect_runs_promptly_after_disconnect_under_loop_start() {
    let broker = Broker::start();
    for version in VERSIONS {
        let client = Client::new(options(&broker, "bye-start", version)).unwrap();
        let disconnected = disconnects_of(&client);
        client.connect().unwrap();
        client.loop_start().unwrap();
        client.disconnect().unwrap();
        let why = disconnected
            .recv_timeout(PROMPT)
            .expect("on_disconnect after disconnect()");
        assert!(matches!(why, Disconnection::Local { .. }), "{why:?}");
        client.loop_stop().unwrap();
    }
}

#[test]
fn on_disconnect_has_run_when_loop_forever_returns_after_disconnect() {
    let broker = Broker::start();
    let client = Client::new(options(&broker, "bye-forever", ProtocolVersion::V5)).unwrap();
    let disconnected = disconnects_of(&client);
    client.connect().unwrap();
    let other = client.clone();
    let ender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        other.disconnect().unwrap();
        Instant::now()
    });
    client.loop_forever().unwrap();
    let returned = Instant::now();
    let asked = ender.join().unwrap();
    assert!(
        matches!(disconnected.try_recv(), Ok(Disconnection::Local { .. })),
        "on_disconnect ran before loop_forever returned"
    );
    assert!(returned.duration_since(asked) < PROMPT);
}

#[test]
fn on_disconnect_runs_in_the_next_manual_loop_once_after_disconnect() {
    let broker = Broker::start();
    let client = Client::new(options(&broker, "bye-once", ProtocolVersion::V3_1_1)).unwrap();
    let disconnected = disconnects_of(&client);
    client.connect().unwrap();
    client.disconnect().unwrap();
    // Callbacks run inside the loop calls, as Paho's do.
    assert!(disconnected.try_recv().is_err());
    client.loop_once(Duration::from_millis(10)).unwrap();
    assert!(matches!(
        disconnected.try_recv(),
        Ok(Disconnection::Local { .. })
    ));
    // Nothing more to report, no connection, none wanted.
    assert!(matches!(
        client.loop_once(Duration::from_millis(10)),
        Err(Error::NotConnected)
    ));
}

#[test]
fn on_connect_has_run_when_connect_returns_so_a_message_right_after_is_not_missed() {
    let broker = Broker::start();
    let publisher = connected(&broker, "oc-pub", ProtocolVersion::V3_1_1);
    // Both orders: connect then loop_start (connect runs on_connect
    // itself), and loop_start then connect (the loop thread runs it).
    for (round, loop_first) in [false, true].into_iter().enumerate() {
        let topic = format!("on-connect/{round}");
        let client = Client::new(options(&broker, "oc-sub", ProtocolVersion::V3_1_1)).unwrap();
        let ran = Arc::new(AtomicUsize::new(0));
        let (r, t) = (ran.clone(), topic.clone());
        client.on_connect(move |c, _| {
            c.subscribe(&t, QoS::AtLeastOnce).unwrap();
            r.fetch_add(1, Ordering::SeqCst);
        });
        let (tx, rx) = mpsc::channel();
        client.on_message(move |_, m| {
            let _ = tx.send(m.payload().to_vec());
        });
        if loop_first {
            client.loop_start().unwrap();
        }
        client.connect().unwrap();
        assert_eq!(
            ran.load(Ordering::SeqCst),
            1,
            "on_connect ran before connect returned"
        );
        if !loop_first {
            client.loop_start().unwrap();
        }
        publisher
            .publish(&topic, "right after", QoS::AtLeastOnce, false)
            .unwrap()
            .wait_for_publish(Some(WAIT))
            .unwrap();
        assert_eq!(rx.recv_timeout(WAIT).unwrap(), b"right after");
        stop(&client);
    }
    stop(&publisher);
}

#[test]
fn qos_0_handles_settle_once_their_bytes_are_written() {
    let broker = Broker::start();
    let client = Client::new(options(&broker, "qos0", ProtocolVersion::V3_1_1)).unwrap();
    client.connect().unwrap();
    // No loop runs: the publishing thread writes, so the message is out
    // when publish returns.
    let direct = client
        .publish("qos0/a", "x", QoS::AtMostOnce, false)
        .unwrap();
    assert!(direct.is_published());
    client.loop_start().unwrap();
    // A loop runs: it writes, and the handle settles then.
    for _ in 0..20 {
        let started = Instant::now();
        let h = client
            .publish("qos0/b", "x", QoS::AtMostOnce, false)
            .unwrap();
        let outcome = h.wait_for_publish(Some(WAIT)).expect("QoS 0 settles");
        assert!(outcome.is_delivered());
        assert!(started.elapsed() < PROMPT, "{:?}", started.elapsed());
    }
    stop(&client);
}

#[test]
fn loop_once_fails_while_loop_start_runs_as_documented() {
    let broker = Broker::start();
    let client = connected(&broker, "once-busy", ProtocolVersion::V3_1_1);
    assert!(matches!(
        client.loop_once(Duration::from_millis(10)),
        Err(Error::LoopAlreadyRunning)
    ));
    assert!(matches!(
        client.loop_forever(),
        Err(Error::LoopAlreadyRunning)
    ));
    stop(&client);
}
