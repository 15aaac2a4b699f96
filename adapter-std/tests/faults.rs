//! A misbehaving broker: the client ends the connection with a clear error
//! in on_disconnect, never panics, keeps the message it was handed, and
//! delivers it once a sane broker is reachable again.

mod common;
use adapter_std::{Client, ClientOptions, Disconnection};
use common::*;
use mqtt_proto::{ProtocolVersion, QoS, ReasonCode};
use mqtt_session::ProtocolError;
use mqtt_testing::Broker;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// Accepts one connection, answers CONNACK, then sends `garbage`; returns
/// everything the client sent.
fn rogue_broker(
    listener: TcpListener,
    connack: &'static [u8],
    garbage: &'static [u8],
) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 4096];
        let mut got = Vec::new();
        let n = s.read(&mut buf).unwrap();
        got.extend_from_slice(&buf[..n]);
        s.write_all(connack).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        s.write_all(garbage).unwrap();
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        got
    })
}

#[test]
fn garbage_from_the_broker_is_a_protocol_error_with_disconnect_0x81() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // CONNACK (5.0), then a PUBLISH with QoS 3.
    let rogue = rogue_broker(
        listener,
        &[0x20, 0x03, 0x00, 0x00, 0x00],
        &[0x36, 0x03, 0x00, 0x01, b'a'],
    );
    let client = Client::new(
        ClientOptions::new("127.0.0.1", port)
            .protocol(ProtocolVersion::V5)
            .reconnect_delay(Duration::from_secs(30), Duration::from_secs(30)),
    )
    .unwrap();
    let (tx, rx) = mpsc::channel();
    client.on_disconnect(move |_, why| {
        let _ = tx.send(why.clone());
    });
    client.connect().unwrap();
    client.loop_start().unwrap();
    match rx.recv_timeout(WAIT).unwrap() {
        Disconnection::ProtocolError(ProtocolError::Decode(e)) => {
            assert_eq!(e.reason_code(), ReasonCode::MalformedPacket, "{e}")
        }
        other => panic!("{other:?}"),
    }
    let sent = rogue.join().unwrap();
    // Our last packet: DISCONNECT with Malformed Packet.
    assert!(sent.ends_with(&[0xE0, 0x01, 0x81]), "{sent:02x?}");
    client.loop_stop().unwrap();
}

#[test]
fn messages_survive_a_misbehaving_broker_and_arrive_at_a_sane_one() {
    let broker = Broker::start();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let rogue_port = listener.local_addr().unwrap().port();
    // 3.1.1 CONNACK, then a SUBACK nobody asked for (packet type 9, id 77).
    let rogue = rogue_broker(
        listener,
        &[0x20, 0x02, 0x00, 0x00],
        &[0x90, 0x03, 0x00, 0x4D, 0x00],
    );
    let client = Client::new(
        ClientOptions::new("127.0.0.1", rogue_port)
            .client_id("survivor")
            .clean_start(false)
            .max_inflight(1),
    )
    .unwrap();
    client.connect().unwrap();
    // Handed over before the fault; the rogue never acknowledges them.
    let handles: Vec<_> = (0..5u8)
        .map(|i| {
            client
                .publish("survive/x", vec![i], QoS::AtLeastOnce, false)
                .unwrap()
        })
        .collect();
    let (tx, rx) = mpsc::channel();
    client.on_disconnect(move |_, why| {
        let _ = tx.send(why.clone());
    });
    client.loop_start().unwrap();
    assert!(matches!(
        rx.recv_timeout(WAIT).unwrap(),
        Disconnection::ProtocolError(_)
    ));
    client.loop_stop().unwrap();
    rogue.join().unwrap();
    assert!(handles.iter().all(|h| !h.is_published()));

    // The same session, now pointed at a real broker: nothing was lost.
    let (sub, msgs) = subscriber(
        &broker,
        "watch",
        ProtocolVersion::V3_1_1,
        "survive/#",
        QoS::AtLeastOnce,
    );
    let state = client_state_moved_to(&client, &broker);
    state.loop_start().unwrap();
    let mut got: Vec<u8> = (0..5)
        .map(|_| msgs.recv_timeout(WAIT).expect("message").payload()[0])
        .collect();
    got.sort();
    got.dedup();
    assert_eq!(got, [0, 1, 2, 3, 4]);
    stop(&state);
    stop(&sub);
}

/// A client for `broker` continuing the session of `client`.
fn client_state_moved_to(client: &Client, broker: &Broker) -> Client {
    let moved = Client::with_session(
        ClientOptions::new("127.0.0.1", broker.port())
            .client_id("survivor")
            .clean_start(false)
            .max_inflight(1),
        client.session_snapshot(),
    )
    .unwrap();
    moved.connect().unwrap();
    moved
}

/// What a scripted broker saw of one connection after CONNECT: the types
/// of the client's packets, and its last packet whole.
type Seen = (Vec<u8>, Vec<u8>);

/// Reads one whole MQTT packet; `None` at the end of the stream.
fn read_packet(s: &mut impl Read) -> Option<Vec<u8>> {
    let mut packet = vec![0u8; 1];
    s.read_exact(&mut packet).ok()?;
    let mut len = 0usize;
    for shift in (0..28).step_by(7) {
        let mut b = [0u8; 1];
        s.read_exact(&mut b).ok()?;
        packet.push(b[0]);
        len |= usize::from(b[0] & 0x7F) << shift;
        if b[0] & 0x80 == 0 {
            break;
        }
    }
    let start = packet.len();
    packet.resize(start + len, 0);
    s.read_exact(&mut packet[start..]).ok()?;
    Some(packet)
}

/// A scripted 5.0 broker for `connections` connections in turn: it answers
/// CONNECT with CONNACK (Receive Maximum 20), waits for `publishes`
/// PUBLISH packets, sends an UNSUBACK nobody asked for, and reads until
/// the client closes. Returns, per connection, the packet types the client
/// sent after CONNECT, the last one whole.
fn violating_broker(
    listener: TcpListener,
    connections: usize,
    publishes: usize,
) -> std::thread::JoinHandle<Vec<Seen>> {
    std::thread::spawn(move || {
        (0..connections)
            .map(|_| {
                let (mut s, _) = listener.accept().unwrap();
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let connect = read_packet(&mut s).expect("CONNECT");
                assert_eq!(connect[0], 0x10);
                s.write_all(&[0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x14])
                    .unwrap();
                let mut types = Vec::new();
                let mut last = Vec::new();
                while types.iter().filter(|&&t| t & 0xF0 == 0x30).count() < publishes {
                    let p = read_packet(&mut s).expect("PUBLISH before the violation");
                    types.push(p[0]);
                }
                s.write_all(&[0xB0, 0x04, 0x00, 0x01, 0x00, 0x87]).unwrap();
                while let Some(p) = read_packet(&mut s) {
                    types.push(p[0]);
                    last = p;
                }
                (types, last)
            })
            .collect()
    })
}

/// A [`violating_broker`] and a 5.0 client connected to it with its loop
/// running, reconnecting at once after each violation.
fn client_of_a_violating_broker(
    connections: usize,
    publishes: usize,
) -> (std::thread::JoinHandle<Vec<Seen>>, Client) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let broker = violating_broker(listener, connections, publishes);
    let client = Client::new(
        ClientOptions::new("127.0.0.1", port)
            .protocol(ProtocolVersion::V5)
            .reconnect_delay(Duration::from_millis(1), Duration::from_millis(2)),
    )
    .unwrap();
    client.connect().unwrap();
    client.loop_start().unwrap();
    (broker, client)
}

/// 5.0 section 4.13.1: a client detecting a Protocol Error sends DISCONNECT
/// with the reason code, then closes, as [MQTT-4.13.2-1] requires of a
/// reason code of 0x80 or more. 200 connections in a row, each told off
/// right after CONNACK: the client's last packet on every one is
/// DISCONNECT 0x82, written before it closed (the blocking client used to
/// lose it about one time in six).
#[test]
fn mqtt_4_13_2_1_disconnect_0x82_before_every_close_200_of_200() {
    let (broker, client) = client_of_a_violating_broker(200, 0);
    let seen = broker.join().unwrap();
    client.loop_stop().unwrap();
    let good = seen
        .iter()
        .filter(|(_, last)| last[..] == [0xE0, 0x01, 0x82])
        .count();
    let first_bad = seen
        .iter()
        .find(|(_, l)| l[..] != [0xE0, 0x01, 0x82])
        .map(|(types, last)| (types.len(), last.clone()));
    assert_eq!(
        good, 200,
        "first bad (packets, last packet): {first_bad:02x?}"
    );
}

/// The same while another thread publishes as fast as it can: the
/// DISCONNECT comes after every PUBLISH the engine produced before the
/// violation, in order, and before the close, 200 times of 200.
#[test]
fn mqtt_4_13_2_1_disconnect_0x82_before_every_close_while_publishing_200_of_200() {
    let (broker, client) = client_of_a_violating_broker(200, 20);
    let stop = Arc::new(AtomicBool::new(false));
    let publisher = {
        let (client, stop) = (client.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                // Queued while disconnected; a full queue refuses, which is fine here.
                let _ = client.publish("flood", vec![7u8; 64], QoS::AtMostOnce, false);
            }
        })
    };
    let seen = broker.join().unwrap();
    stop.store(true, Ordering::Relaxed);
    publisher.join().unwrap();
    client.loop_stop().unwrap();
    for (i, (types, last)) in seen.iter().enumerate() {
        let tail = &types[types.len().saturating_sub(4)..];
        assert_eq!(
            last[..],
            [0xE0, 0x01, 0x82],
            "connection {i}: {} packets, the last types {tail:02x?}",
            types.len()
        );
        let others = types[..types.len() - 1]
            .iter()
            .filter(|t| *t & 0xF0 != 0x30)
            .count();
        assert_eq!(
            others, 0,
            "connection {i}: only PUBLISH before the DISCONNECT"
        );
    }
}
