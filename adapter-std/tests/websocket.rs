//! ws:// and wss:// against Mosquitto's WebSocket listeners and against a
//! scripted WebSocket server (tungstenite's server side) that frames
//! packets the way MQTT chapter 6 allows, plus paho-mqtt over wss.

mod common;
use adapter_std::layers::{TlsOptions, WsErrorKind, WsOptions};
use adapter_std::{Client, ClientOptions, Error, Message};
use common::*;
use mqtt_proto::{ProtocolVersion, QoS};
use mqtt_testing::{Broker, Listener};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread::{self, JoinHandle};
use std::time::Duration;
use tungstenite::handshake::server::{Request, Response};
use tungstenite::http::HeaderValue;
use tungstenite::Message as Frame;

fn broker() -> Broker {
    Broker::config()
        .listener(Listener::WebSocket)
        .listener(Listener::SecureWebSocket)
        .start()
}

/// Options for `ws://` or `wss://` (trusting the test CA) on the broker.
fn ws_options(broker: &Broker, secure: bool, id: &str, version: ProtocolVersion) -> ClientOptions {
    let mut options = if secure {
        ClientOptions::from_url(&broker.url_of(Listener::SecureWebSocket))
            .unwrap()
            .tls(TlsOptions::new().ca_file(&broker.certs().ca))
    } else {
        ClientOptions::from_url(&broker.url_of(Listener::WebSocket)).unwrap()
    };
    options = options
        .client_id(id)
        .protocol(version)
        .connect_timeout(Duration::from_secs(5))
        .reconnect_delay(Duration::from_millis(50), Duration::from_millis(500));
    options
}

fn connected_with(options: ClientOptions) -> Client {
    let client = Client::new(options).unwrap();
    client.connect().unwrap();
    client.loop_start().unwrap();
    client
}

fn next(rx: &Receiver<Message>) -> Message {
    rx.recv_timeout(WAIT).expect("message over WebSocket")
}

#[test]
fn qos_0_1_2_both_ways_over_ws_and_wss() {
    let broker = broker();
    for secure in [false, true] {
        for version in VERSIONS {
            let topic = format!("ws/{secure}/{version}");
            let (sub, rx) = subscriber_with(
                ws_options(&broker, secure, "ws-sub", version),
                "ws/#",
                QoS::ExactlyOnce,
            );
            let publisher = connected_with(ws_options(&broker, secure, "ws-pub", version));
            for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
                let payload = format!("qos {qos}");
                let h = publisher
                    .publish(&topic, payload.clone(), qos, false)
                    .unwrap();
                assert!(h.wait_for_publish(Some(WAIT)).unwrap().is_delivered());
                let m = next(&rx);
                assert_eq!(
                    (m.topic(), m.payload_str(), m.qos()),
                    (topic.as_str(), Some(payload.as_str()), qos),
                    "secure {secure}"
                );
            }
            stop(&publisher);
            stop(&sub);
        }
    }
}

/// Mosquitto 2.0.11 sends a large message to a WebSocket client as one
/// frame but dribbles it out through libwebsockets (300 KB takes about 7 s,
/// for paho-mqtt too), so ws and wss run side by side. Frame splitting is
/// checked against the scripted server below.
#[test]
fn a_300_kb_payload_both_ways_over_ws_and_wss() {
    let broker = broker();
    let payload = big_payload();
    let runs: Vec<_> = [false, true]
        .into_iter()
        .map(|secure| {
            let topic = format!("big/{secure}");
            let (sub, rx) = subscriber_with(
                ws_options(
                    &broker,
                    secure,
                    &format!("big-sub-{secure}"),
                    ProtocolVersion::V5,
                ),
                &topic,
                QoS::AtLeastOnce,
            );
            let publisher = connected_with(ws_options(
                &broker,
                secure,
                &format!("big-pub-{secure}"),
                ProtocolVersion::V5,
            ));
            let h = publisher
                .publish(&topic, payload.clone(), QoS::AtLeastOnce, false)
                .unwrap();
            (secure, sub, rx, publisher, h)
        })
        .collect();
    for (secure, sub, rx, publisher, h) in runs {
        assert!(h.wait_for_publish(Some(WAIT)).unwrap().is_delivered());
        let m = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the 300 KB message");
        assert_eq!(m.payload().len(), payload.len(), "secure {secure}");
        assert!(
            m.payload() == payload.as_slice(),
            "payload changed in transit"
        );
        stop(&publisher);
        stop(&sub);
    }
}

#[test]
fn two_thousand_small_messages_in_order() {
    let broker = broker();
    let (sub, rx) = subscriber_with(
        ws_options(&broker, false, "many-sub", ProtocolVersion::V3_1_1),
        "many/#",
        QoS::AtLeastOnce,
    );
    let publisher = connected_with(ws_options(
        &broker,
        true,
        "many-pub",
        ProtocolVersion::V3_1_1,
    ));
    let handles: Vec<_> = (0..2000)
        .map(|i| {
            publisher
                .publish("many/n", format!("{i}"), QoS::AtLeastOnce, false)
                .unwrap()
        })
        .collect();
    for h in &handles {
        assert!(h.wait_for_publish(Some(WAIT)).unwrap().is_delivered());
    }
    for i in 0..2000 {
        assert_eq!(next(&rx).payload_str(), Some(format!("{i}").as_str()));
    }
    stop(&publisher);
    stop(&sub);
}

/// A WebSocket server on a free port running `script` for one connection;
/// `respond` may adjust the upgrade response. The request is sent back.
fn scripted_server(
    select_mqtt: bool,
    script: impl FnOnce(&mut tungstenite::WebSocket<TcpStream>) + Send + 'static,
) -> (u16, Receiver<Request>, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        // The callback's error type is tungstenite's; it never fails here.
        #[allow(clippy::result_large_err)]
        let answer = |req: &Request, mut resp: Response| {
            let mut copy = Request::new(());
            *copy.uri_mut() = req.uri().clone();
            *copy.headers_mut() = req.headers().clone();
            let _ = tx.send(copy);
            if select_mqtt {
                resp.headers_mut()
                    .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("mqtt"));
            }
            Ok(resp)
        };
        if let Ok(mut ws) = tungstenite::accept_hdr(stream, answer) {
            script(&mut ws);
        }
    });
    (port, rx, server)
}

fn big_payload() -> Vec<u8> {
    (0..300 * 1024).map(|i| (i * 7 % 251) as u8).collect()
}

fn read_binary(ws: &mut tungstenite::WebSocket<TcpStream>) -> Vec<u8> {
    loop {
        match ws.read().expect("a frame from the client") {
            // The client sends binary frames only [MQTT-6.0.0-1, 3.1.1, 5.0].
            Frame::Binary(b) => return b.to_vec(),
            Frame::Ping(_) | Frame::Pong(_) => {}
            other => panic!("expected a binary frame, got {other:?}"),
        }
    }
}

/// Packets split over frames and several in one frame reach both ends
/// [MQTT-6.0.0-2, 3.1.1, 5.0].
#[test]
fn mqtt_6_0_0_2_packets_split_over_frames_and_coalesced_in_one() {
    let (pong_tx, pong_rx) = mpsc::channel();
    let (port, requests, server) = scripted_server(true, move |ws| {
        // CONNECT (MQTT 3.1.1 §3.1): first byte 0x10.
        let connect = read_binary(ws);
        assert_eq!(connect[0], 0x10, "{connect:02x?}");
        // CONNACK, accepted, no session (§3.2): 20 02 00 00.
        ws.send(Frame::binary(vec![0x20, 0x02, 0x00, 0x00]))
            .unwrap();
        // SUBSCRIBE (§3.8): 82, length, packet identifier.
        let subscribe = read_binary(ws);
        assert_eq!(subscribe[0], 0x82, "{subscribe:02x?}");
        let (id_hi, id_lo) = (subscribe[2], subscribe[3]);
        // One frame: SUBACK granting QoS 0 (§3.9: 90 03 id 00) and two
        // QoS 0 PUBLISHes on "a/b" (§3.3: 30, length, 00 03 "a/b", payload).
        let mut one_frame = vec![0x90, 0x03, id_hi, id_lo, 0x00];
        one_frame.extend(b"\x30\x08\x00\x03a/bone");
        one_frame.extend(b"\x30\x08\x00\x03a/btwo");
        ws.send(Frame::binary(one_frame)).unwrap();
        // One PUBLISH over three frames.
        let three = b"\x30\x0a\x00\x03a/bthree";
        for part in [&three[..1], &three[1..6], &three[6..]] {
            ws.send(Frame::binary(part.to_vec())).unwrap();
        }
        // A 300 KB PUBLISH over 76 frames of at most 4 KB. Remaining length
        // 2 + 3 + 307200 = 307205 = 5 + 96·128 + 18·128², as a variable
        // byte integer (§2.2.3): 85 e0 12.
        let mut big = vec![0x30, 0x85, 0xe0, 0x12, 0x00, 0x03, b'a', b'/', b'b'];
        big.extend(big_payload());
        for part in big.chunks(4096) {
            ws.send(Frame::binary(part.to_vec())).unwrap();
        }
        // A ping must come back as a pong (RFC 6455 §5.5.2).
        ws.send(Frame::Ping(b"hb".to_vec().into())).unwrap();
        match ws.read().unwrap() {
            Frame::Pong(p) => {
                assert_eq!(&p[..], b"hb");
                pong_tx.send(()).unwrap();
            }
            other => panic!("expected a pong, got {other:?}"),
        }
        // DISCONNECT (§3.14): e0 00, then the close frame.
        assert_eq!(read_binary(ws), [0xe0, 0x00]);
        assert!(matches!(ws.read(), Ok(Frame::Close(_))));
    });
    let options = ClientOptions::new("127.0.0.1", port)
        .websocket(
            WsOptions::new()
                .path("/custom/path?x=1")
                .header("X-Token", "abc"),
        )
        .client_id("scripted");
    let (client, rx) = subscriber_with(options, "a/b", QoS::AtMostOnce);
    let got: Vec<String> = (0..3)
        .map(|_| next(&rx).payload_str().unwrap().to_string())
        .collect();
    assert_eq!(got, ["one", "two", "three"]);
    let big = next(&rx);
    assert_eq!(big.payload().len(), 300 * 1024);
    assert!(big.payload() == big_payload().as_slice());
    pong_rx.recv_timeout(WAIT).expect("the pong");
    stop(&client);
    server.join().expect("the scripted server's checks");

    let request = requests.recv().unwrap();
    assert_eq!(request.uri().path(), "/custom/path");
    assert_eq!(request.uri().query(), Some("x=1"));
    let header = |name: &str| request.headers().get(name).map(|v| v.to_str().unwrap());
    // [MQTT-6.0.0-3, 3.1.1, 5.0]
    assert_eq!(header("sec-websocket-protocol"), Some("mqtt"));
    assert_eq!(header("x-token"), Some("abc"));
    assert_eq!(header("host"), Some(format!("127.0.0.1:{port}").as_str()));
}

fn refused(options: ClientOptions) -> Error {
    let client = Client::new(options.connect_timeout(Duration::from_secs(5))).unwrap();
    let e = client
        .connect()
        .expect_err("the connection must be refused");
    eprintln!("refused: {e}");
    e
}

fn ws_kind(e: &Error) -> WsErrorKind {
    match e {
        Error::WebSocket(w) => w.kind(),
        other => panic!("expected a WebSocket error, got {other:?}"),
    }
}

/// [MQTT-6.0.0-4, 3.1.1, 5.0]
#[test]
fn mqtt_6_0_0_4_a_server_that_does_not_select_mqtt_is_refused() {
    let (port, _requests, server) = scripted_server(false, |_| {});
    let e = refused(ClientOptions::from_url(&format!("ws://127.0.0.1:{port}/mqtt")).unwrap());
    assert_eq!(ws_kind(&e), WsErrorKind::Subprotocol, "{e}");
    server.join().unwrap();
}

#[test]
fn a_refused_upgrade_reports_the_http_status() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut byte = [0u8];
        while !request.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).unwrap();
            request.push(byte[0]);
        }
        stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            .unwrap();
    });
    let e = refused(ClientOptions::from_url(&format!("ws://127.0.0.1:{port}/nope")).unwrap());
    match &e {
        Error::WebSocket(w) => {
            assert_eq!(
                (w.kind(), w.status()),
                (WsErrorKind::UpgradeRefused, Some(404))
            )
        }
        other => panic!("{other:?}"),
    }
    server.join().unwrap();
}

#[test]
fn websocket_to_a_plain_mqtt_listener_fails_with_a_clear_error() {
    let broker = broker();
    let e = refused(
        ClientOptions::from_url(&format!("ws://127.0.0.1:{}/mqtt", broker.port())).unwrap(),
    );
    assert_eq!(ws_kind(&e), WsErrorKind::Handshake, "{e}");
}

const PAHO_WSS_PUBLISHER: &str = r#"
import sys, paho.mqtt.client as mqtt
port, ca = int(sys.argv[1]), sys.argv[2]
c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="paho-wss-pub", transport="websockets")
c.tls_set(ca_certs=ca)
c.ws_set_options(path="/mqtt")
c.connect("localhost", port)
c.loop_start()
for qos in (0, 1, 2):
    c.publish("wss/from-paho", f"paho qos {qos}", qos=qos).wait_for_publish(10)
c.disconnect()
c.loop_stop()
"#;

const PAHO_WSS_SUBSCRIBER: &str = r#"
import sys, paho.mqtt.client as mqtt
port, ca = int(sys.argv[1]), sys.argv[2]
got = []
def on_subscribe(c, userdata, mid, reasons, props):
    print("READY", flush=True)
def on_message(c, userdata, m):
    print(f"{m.topic} {m.qos} {m.payload.decode()}", flush=True)
    got.append(m)
    if len(got) == 3:
        c.disconnect()
c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="paho-wss-sub", transport="websockets")
c.tls_set(ca_certs=ca)
c.ws_set_options(path="/mqtt")
c.on_subscribe = on_subscribe
c.on_message = on_message
c.connect("localhost", port)
c.subscribe("wss/#", qos=2)
c.loop_forever()
"#;

fn python(script: &str, args: &[String]) -> std::process::Child {
    let mut child = Command::new("python3")
        .arg("-")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 is needed for the interoperability tests");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    child
}

#[test]
fn paho_mqtt_over_wss_both_ways() {
    let broker = broker();
    let args = [
        broker.port_of(Listener::SecureWebSocket).to_string(),
        broker.certs().ca.display().to_string(),
    ];
    // paho publishes, we receive.
    let (sub, rx) = subscriber_with(
        ws_options(&broker, true, "ours-wss-sub", ProtocolVersion::V3_1_1),
        "wss/#",
        QoS::ExactlyOnce,
    );
    let mut paho = python(PAHO_WSS_PUBLISHER, &args);
    assert!(
        paho.wait().unwrap().success(),
        "paho-mqtt wss publisher failed"
    );
    let mut got: Vec<(String, QoS)> = (0..3)
        .map(|_| {
            let m = next(&rx);
            (m.payload_str().unwrap().to_string(), m.qos())
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("paho qos 0".to_string(), QoS::AtMostOnce),
            ("paho qos 1".to_string(), QoS::AtLeastOnce),
            ("paho qos 2".to_string(), QoS::ExactlyOnce)
        ]
    );
    stop(&sub);

    // We publish, paho receives.
    let mut paho = python(PAHO_WSS_SUBSCRIBER, &args);
    let mut lines = BufReader::new(paho.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "READY");
    let ours = connected_with(ws_options(
        &broker,
        true,
        "ours-wss-pub",
        ProtocolVersion::V5,
    ));
    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
        let h = ours
            .publish("wss/from-rust", format!("rust qos {qos}"), qos, false)
            .unwrap();
        assert!(h.wait_for_publish(Some(WAIT)).unwrap().is_delivered());
    }
    let mut got: Vec<String> = lines.by_ref().take(3).map(|l| l.unwrap()).collect();
    got.sort();
    assert_eq!(
        got,
        [
            "wss/from-rust 0 rust qos 0",
            "wss/from-rust 1 rust qos 1",
            "wss/from-rust 2 rust qos 2"
        ]
    );
    assert!(paho.wait().unwrap().success());
    stop(&ours);
}

#[test]
fn the_builder_and_urls_choose_the_same_transports() {
    use adapter_std::Scheme;
    // Builder: TLS and WebSocket settings turn their layer on.
    let o = ClientOptions::new("h", 1).tls(TlsOptions::new());
    assert_eq!(o.scheme(), Scheme::Mqtts);
    let o = o.websocket(WsOptions::new().path("ws"));
    assert_eq!(o.scheme(), Scheme::Wss);
    assert_eq!(o.websocket_options().path_str(), "/ws");
    let o = ClientOptions::new("h", 1).websocket(WsOptions::new());
    assert_eq!(o.scheme(), Scheme::Ws);
    assert_eq!(
        ClientOptions::new("h", 1).transport(Scheme::Wss).scheme(),
        Scheme::Wss
    );
    // URLs: the scheme, and the path for WebSocket.
    let o = ClientOptions::from_url("wss://u:p@h:9443/broker/ws").unwrap();
    assert_eq!((o.scheme(), o.port()), (Scheme::Wss, 9443));
    assert_eq!(o.websocket_options().path_str(), "/broker/ws");
    assert_eq!(
        ClientOptions::from_url("ws://h")
            .unwrap()
            .websocket_options()
            .path_str(),
        "/mqtt"
    );
    let o = ClientOptions::from_url("mqtts://h").unwrap();
    assert_eq!((o.scheme(), o.port()), (Scheme::Mqtts, 8883));
    // A URL's scheme and the builder's TLS settings combine.
    let o = ClientOptions::from_url("ws://h:80/mqtt")
        .unwrap()
        .tls(TlsOptions::new().danger_accept_invalid_certs(true));
    assert_eq!(o.scheme(), Scheme::Wss);
    assert!(o.tls_options().accepts_invalid_certs());
}
