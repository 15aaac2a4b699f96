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
use std::sync::mpsc;
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
