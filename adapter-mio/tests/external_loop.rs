//! One client driven through Paho's external-loop API from a hand-written
//! mio loop, against a real Mosquitto.

use adapter_mio::{MqttClient, SocketEvent};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use mqtt_client::ClientOptions;
use mqtt_proto::{ProtocolVersion, QoS};
use mqtt_testing::{Broker, NumberedMessages};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Runs a caller-owned mio loop for `client` until `done` or 10 s pass.
/// It registers write interest only while the client wants to write, as
/// loops built on Paho's socket callbacks do.
fn run(client: &MqttClient, done: impl FnMut() -> bool) {
    run_for(client, Duration::from_secs(10), done)
}

/// [`run`] with another time limit.
fn run_for(client: &MqttClient, limit: Duration, mut done: impl FnMut() -> bool) {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    let mut registered: Option<(i32, bool)> = None;
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out");
        let fd = client.socket();
        let want = client.want_write();
        match (registered, fd) {
            (Some((old, _)), new) if Some(old) != new => {
                let _ = poll.registry().deregister(&mut SourceFd(&old));
                registered = None;
            }
            _ => {}
        }
        if let Some(fd) = fd {
            let interest = if want {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            match registered {
                None => poll
                    .registry()
                    .register(&mut SourceFd(&fd), Token(0), interest)
                    .unwrap(),
                Some((_, w)) if w != want => poll
                    .registry()
                    .reregister(&mut SourceFd(&fd), Token(0), interest)
                    .unwrap(),
                _ => {}
            }
            registered = Some((fd, want));
        }
        let timeout = client
            .next_deadline()
            .map(|d| d.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::from_millis(100))
            .min(Duration::from_millis(100));
        match poll.poll(&mut events, Some(timeout)) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            result => result.unwrap(),
        }
        for e in events.iter() {
            if e.is_writable() {
                client.loop_write().unwrap();
            }
            if e.is_readable() || e.is_read_closed() {
                let _ = client.loop_read();
            }
        }
        client.loop_misc().unwrap();
    }
}

#[test]
fn qos_0_1_2_both_directions_through_the_external_loop() {
    let broker = Broker::start();
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let client = MqttClient::new(
            ClientOptions::new("127.0.0.1", broker.port())
                .client_id("ext")
                .protocol(version),
        )
        .unwrap();
        let got: Arc<Mutex<Vec<(String, QoS)>>> = Arc::default();
        let g = got.clone();
        client.on_message(move |_, m| {
            g.lock()
                .unwrap()
                .push((m.payload_str().unwrap().to_string(), m.qos()))
        });
        let subscribed = Arc::new(Mutex::new(false));
        let s = subscribed.clone();
        client.on_subscribe(move |_, _, _, _| *s.lock().unwrap() = true);
        client.on_connect(|c, _| {
            c.subscribe("ext/#", QoS::ExactlyOnce).unwrap();
        });
        client.connect().unwrap();
        run(&client, || *subscribed.lock().unwrap());
        let handles: Vec<_> = [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce]
            .into_iter()
            .map(|q| client.publish("ext/x", format!("{q}"), q, false).unwrap())
            .collect();
        run(&client, || {
            handles.iter().all(|h| h.is_published()) && got.lock().unwrap().len() == 3
        });
        let mut got = got.lock().unwrap().clone();
        got.sort();
        assert_eq!(
            got,
            [
                ("0".into(), QoS::AtMostOnce),
                ("1".into(), QoS::AtLeastOnce),
                ("2".into(), QoS::ExactlyOnce)
            ]
        );
        client.disconnect().unwrap();
        assert!(client.socket().is_none());
    }
}

#[test]
fn socket_callbacks_follow_the_sockets_life() {
    let mut broker = Broker::start();
    let client = MqttClient::new(ClientOptions::new("127.0.0.1", broker.port())).unwrap();
    let seen: Arc<Mutex<Vec<SocketEvent>>> = Arc::default();
    let s = seen.clone();
    client.on_socket(move |_, e| s.lock().unwrap().push(e));
    client.connect().unwrap();
    run(&client, || client.is_connected());
    // With the broker frozen nothing is read, so 32 MiB exceed what both
    // socket buffers hold: the rest waits for writability.
    broker.pause();
    let big = client
        .publish("big", vec![0u8; 32 << 20], QoS::AtMostOnce, false)
        .unwrap();
    assert!(client.want_write());
    assert!(
        !big.is_published(),
        "a QoS 0 message completes once its bytes left"
    );
    broker.resume();
    run(&client, || big.is_published());
    assert!(!client.want_write());
    client.disconnect().unwrap();
    let seen = seen.lock().unwrap();
    let fd = match seen.first() {
        Some(SocketEvent::Opened(fd)) => *fd,
        other => panic!("{other:?}"),
    };
    let want = seen
        .iter()
        .position(|e| *e == SocketEvent::WantWrite(fd))
        .expect("WantWrite");
    let done = seen
        .iter()
        .rposition(|e| *e == SocketEvent::WriteDone(fd))
        .expect("WriteDone");
    assert!(want < done, "{seen:?}");
    // Each event once: nothing is delivered twice.
    assert_eq!(
        seen.iter()
            .filter(|e| matches!(e, SocketEvent::Opened(_)))
            .count(),
        1
    );
    assert_eq!(seen.last(), Some(&SocketEvent::Closed(fd)));
}

#[test]
fn next_deadline_is_the_keep_alive() {
    let broker = Broker::start();
    let client = MqttClient::new(
        ClientOptions::new("127.0.0.1", broker.port()).keep_alive(Duration::from_secs(1)),
    )
    .unwrap();
    client.connect().unwrap();
    run(&client, || client.is_connected());
    let d = client.next_deadline().expect("keep-alive deadline");
    let left = d.saturating_duration_since(Instant::now());
    assert!(
        left <= Duration::from_secs(1) && left > Duration::from_millis(500),
        "{left:?}"
    );
    // Sleeping until the deadline and running loop_misc sends PINGREQ; the
    // PINGRESP comes back and the connection stays up for several periods.
    let until = Instant::now() + Duration::from_millis(3500);
    run(&client, || Instant::now() > until);
    assert!(client.is_connected());
}

#[test]
fn broker_killed_with_messages_in_flight_loses_nothing_through_the_external_loop() {
    // The broker keeps its sessions on disk; once it has saved the first
    // hundred, it is frozen with hundreds of QoS 1/2 messages
    // unacknowledged, SIGKILLed and restarted. The loop's
    // reconnect resumes the session and resends them with DUP set.
    let mut broker = Broker::config()
        .persistence()
        .line("autosave_on_changes true")
        .start();
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let props = mqtt_proto::ConnectProperties {
            session_expiry_interval: version.is_v5().then_some(600),
            ..Default::default()
        };
        let options = |id: &str| {
            ClientOptions::new("127.0.0.1", broker.port())
                .client_id(format!("{id}-{version}"))
                .protocol(version)
                .clean_start(false)
                .connect_properties(props.clone())
                .reconnect_delay(Duration::from_millis(50), Duration::from_millis(500))
        };
        let received = NumberedMessages::new();
        let r = received.clone();
        let (subscribed_tx, subscribed) = std::sync::mpsc::channel();
        let sub_options = options("mio-crash-sub");
        let sub = Background::start(move || {
            let sub = MqttClient::new(sub_options).unwrap();
            sub.on_message(move |_, m| r.arrived(m.payload()));
            sub.on_subscribe(move |_, _, _, _| {
                let _ = subscribed_tx.send(());
            });
            sub.on_connect(|c, _| {
                c.subscribe("mio-crash/#", QoS::ExactlyOnce).unwrap();
            });
            sub.connect().unwrap();
            sub
        });
        subscribed.recv_timeout(Duration::from_secs(10)).unwrap();

        // Mosquitto takes 20 unfinished QoS 1/2 messages from a client; a
        // 3.1.1 client is not told, and the broker acknowledges and drops
        // any beyond. A 5.0 client learns it from Receive Maximum.
        let window = if version.is_v5() { 50 } else { 20 };
        let publisher = MqttClient::new(options("mio-crash-pub").max_inflight(window)).unwrap();
        publisher.connect().unwrap();
        run(&publisher, || publisher.is_connected());
        let publish = |range: std::ops::Range<u32>| -> Vec<_> {
            range
                .map(|n| {
                    let (payload, qos) = (NumberedMessages::payload(n), NumberedMessages::qos(n));
                    publisher
                        .publish("mio-crash/m", payload, qos, false)
                        .unwrap()
                })
                .collect()
        };
        let before = publish(0..100);
        run(&publisher, || before.iter().all(|h| h.is_published()));
        received.wait_for(100, Duration::from_secs(5));
        received.assert_complete(100, &format!("{version} before the crash"));
        broker.wait_saved(
            || sub.call(|c| c.session_snapshot().is_idle()),
            || {
                let handle = sub.call(|c| {
                    c.publish("mio-crash-sync", Vec::new(), QoS::AtLeastOnce, false)
                        .unwrap()
                });
                let outcome = handle.wait_for_publish(Some(Duration::from_secs(30)));
                assert!(outcome.is_some_and(|o| o.is_delivered()));
            },
        );

        broker.pause();
        let in_flight = publish(100..600);
        let until = Instant::now() + Duration::from_millis(300);
        run(&publisher, || Instant::now() >= until);
        assert!(
            in_flight.iter().all(|h| !h.is_published()),
            "acknowledged while frozen"
        );
        broker.kill();
        broker.restart();

        run_for(&publisher, Duration::from_secs(60), || {
            in_flight.iter().all(|h| h.is_published())
        });
        for h in &in_flight {
            let outcome = h.wait_for_publish(Some(Duration::ZERO)).unwrap();
            assert!(outcome.is_delivered(), "{version}: {outcome:?}");
        }
        received.wait_for(600, Duration::from_secs(60));
        received.assert_complete(600, &version.to_string());
        publisher.disconnect().unwrap();
        sub.call(|c| c.disconnect().unwrap());
    }
}

/// A closure run on the background client's thread.
type Call = Box<dyn FnOnce(&MqttClient) + Send>;

/// A client on a driver in its own thread, for a test's second party;
/// [`Background::call`] runs a closure on it there.
struct Background {
    calls: std::sync::mpsc::Sender<Call>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    fn start(make: impl FnOnce() -> MqttClient + Send + 'static) -> Self {
        let (calls, incoming) = std::sync::mpsc::channel::<Call>();
        let thread = std::thread::spawn(move || {
            let mut driver = adapter_mio::Driver::new().unwrap();
            let id = driver.add(make());
            loop {
                loop {
                    match incoming.try_recv() {
                        Ok(call) => call(driver.client(id).unwrap()),
                        Err(std::sync::mpsc::TryRecvError::Empty) => break,
                        Err(std::sync::mpsc::TryRecvError::Disconnected) => return,
                    }
                }
                driver.run_once(Some(Duration::from_millis(5))).unwrap();
            }
        });
        Self {
            calls,
            thread: Some(thread),
        }
    }

    fn call<R: Send + 'static>(&self, f: impl FnOnce(&MqttClient) -> R + Send + 'static) -> R {
        let (tx, rx) = std::sync::mpsc::channel();
        self.calls
            .send(Box::new(move |c| {
                let _ = tx.send(f(c));
            }))
            .unwrap();
        rx.recv_timeout(Duration::from_secs(30)).unwrap()
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let (calls, _) = std::sync::mpsc::channel();
        drop(std::mem::replace(&mut self.calls, calls));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The loop of `MqttClient`'s documentation, with mio's edge-triggered
/// readiness: one `loop_read` per readable event. A burst of 1 MiB (1,024
/// messages of 1 KiB, more than one read takes) arrives in full.
#[test]
fn the_documented_loop_delivers_a_1_mib_burst_in_full() {
    let broker = Broker::start();
    let client =
        MqttClient::new(ClientOptions::new("127.0.0.1", broker.port()).client_id("burst-sub"))
            .unwrap();
    let received = Arc::new(Mutex::new(0usize));
    let r = received.clone();
    client.on_message(move |_, _| *r.lock().unwrap() += 1);
    let subscribed = Arc::new(Mutex::new(false));
    let s = subscribed.clone();
    client.on_subscribe(move |_, _, _, _| *s.lock().unwrap() = true);
    client.on_connect(|c, _| {
        c.subscribe("burst/#", QoS::AtMostOnce).unwrap();
    });
    client.connect().unwrap();
    let mut poll = Poll::new().unwrap();
    let fd = client.socket().unwrap();
    poll.registry()
        .register(
            &mut SourceFd(&fd),
            Token(0),
            Interest::READABLE | Interest::WRITABLE,
        )
        .unwrap();
    let mut events = Events::with_capacity(16);
    let mut documented_loop = |until: &dyn Fn() -> bool| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !until() && Instant::now() < deadline {
            let timeout = client
                .next_deadline()
                .map(|d| d.saturating_duration_since(Instant::now()))
                .unwrap_or(Duration::from_millis(100))
                .min(Duration::from_millis(100));
            poll.poll(&mut events, Some(timeout)).unwrap();
            for e in events.iter() {
                if e.is_readable() {
                    client.loop_read().unwrap();
                }
                if e.is_writable() {
                    client.loop_write().unwrap();
                }
            }
            client.loop_misc().unwrap();
        }
    };
    documented_loop(&|| *subscribed.lock().unwrap());
    assert!(*subscribed.lock().unwrap());
    raw_burst(broker.port(), "burst/x", 1024, 1024);
    documented_loop(&|| *received.lock().unwrap() == 1024);
    assert_eq!(*received.lock().unwrap(), 1024);
}

/// Publishes `count` QoS 0 messages of `size` bytes in one write from a
/// plain TCP connection, so they reach the subscriber as a burst.
fn raw_burst(port: u16, topic: &str, count: usize, size: usize) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    // CONNECT 3.1.1, clean session, keep alive 60, client id "burst-pub".
    let mut connect = vec![0x10, 21, 0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 60, 0, 9];
    connect.extend_from_slice(b"burst-pub");
    s.write_all(&connect).unwrap();
    let mut connack = [0u8; 4];
    s.read_exact(&mut connack).unwrap();
    assert_eq!(connack, [0x20, 0x02, 0x00, 0x00]);
    let mut burst = Vec::with_capacity(count * (size + 16));
    for _ in 0..count {
        let remaining = 2 + topic.len() + size;
        burst.push(0x30);
        let mut n = remaining;
        loop {
            let mut byte = (n % 128) as u8;
            n /= 128;
            if n > 0 {
                byte |= 0x80;
            }
            burst.push(byte);
            if n == 0 {
                break;
            }
        }
        burst.extend_from_slice(&(topic.len() as u16).to_be_bytes());
        burst.extend_from_slice(topic.as_bytes());
        burst.resize(burst.len() + size, 0xAB);
    }
    burst.extend_from_slice(&[0xE0, 0x00]);
    s.write_all(&burst).unwrap();
    let mut end = Vec::new();
    let _ = s.read_to_end(&mut end);
}

/// `SocketEvent::Closed` comes while the descriptor is still open, so a
/// loop deregisters it without EBADF: after our disconnect, and after the
/// broker went away.
#[test]
fn closed_comes_while_deregistration_still_works() {
    let mut broker = Broker::start();
    let client = MqttClient::new(
        ClientOptions::new("127.0.0.1", broker.port())
            .reconnect_delay(Duration::from_millis(50), Duration::from_millis(200)),
    )
    .unwrap();
    let poll = Poll::new().unwrap();
    let registry = poll.registry().try_clone().unwrap();
    let results: Arc<Mutex<Vec<std::io::Result<()>>>> = Arc::default();
    let r = results.clone();
    client.on_socket(move |_, e| match e {
        SocketEvent::Opened(fd) => registry
            .register(&mut SourceFd(&fd), Token(0), Interest::READABLE)
            .unwrap(),
        SocketEvent::Closed(fd) => r
            .lock()
            .unwrap()
            .push(registry.deregister(&mut SourceFd(&fd))),
        _ => {}
    });
    client.connect().unwrap();
    run(&client, || client.is_connected());
    broker.kill();
    run(&client, || !results.lock().unwrap().is_empty());
    broker.restart();
    run(&client, || client.is_connected());
    client.disconnect().unwrap();
    let results = results.lock().unwrap();
    assert_eq!(results.len(), 2, "{results:?}");
    for r in results.iter() {
        assert!(r.is_ok(), "deregistering a closed socket: {r:?}");
    }
}

/// UNSUBSCRIBE with 5.0 properties and several filters, as the blocking
/// client sends it, checked byte for byte by a scripted broker.
#[test]
fn unsubscribe_with_properties_and_several_filters() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let broker = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut head = [0u8; 2];
        s.read_exact(&mut head).unwrap();
        let mut connect = vec![0u8; head[1] as usize];
        s.read_exact(&mut connect).unwrap();
        s.write_all(&[0x20, 0x03, 0x00, 0x00, 0x00]).unwrap();
        let mut unsubscribe = [0u8; 22];
        s.read_exact(&mut unsubscribe).unwrap();
        // UNSUBACK: Success, then No subscription existed.
        s.write_all(&[0xB0, 0x05, 0x00, 0x01, 0x00, 0x00, 0x11])
            .unwrap();
        unsubscribe
    });
    let client =
        MqttClient::new(ClientOptions::new("127.0.0.1", port).protocol(ProtocolVersion::V5))
            .unwrap();
    let reasons = Arc::new(Mutex::new(Vec::new()));
    let r = reasons.clone();
    client.on_unsubscribe(move |_, _, codes, _| r.lock().unwrap().extend_from_slice(codes));
    client.connect().unwrap();
    run(&client, || client.is_connected());
    let mut properties = mqtt_proto::UnsubscribeProperties::default();
    properties.user_properties.push((
        mqtt_proto::MqttString::new("k").unwrap(),
        mqtt_proto::MqttString::new("v").unwrap(),
    ));
    let filters = vec![
        mqtt_proto::TopicFilter::new("a/b").unwrap(),
        mqtt_proto::TopicFilter::new("c/#").unwrap(),
    ];
    client.unsubscribe_with(filters, properties).unwrap();
    run(&client, || reasons.lock().unwrap().len() == 2);
    assert_eq!(
        broker.join().unwrap(),
        [
            0xA2, 20, 0x00, 0x01, // UNSUBSCRIBE, packet identifier 1
            7, 0x26, 0, 1, b'k', 0, 1, b'v', // user property k=v
            0, 3, b'a', b'/', b'b', 0, 3, b'c', b'/', b'#',
        ]
    );
    assert_eq!(
        *reasons.lock().unwrap(),
        [
            mqtt_proto::ReasonCode::Success,
            mqtt_proto::ReasonCode::NoSubscriptionExisted
        ]
    );
}
