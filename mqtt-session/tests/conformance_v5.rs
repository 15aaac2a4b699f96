//! MQTT 5.0 statements that bind the client: each test names the
//! statements it proves and asserts the exact bytes the session writes
//! and the events or errors it reports, the server being scripted in bytes
//! and time being virtual.

mod common;
use common::{config, filter, message, s};
use core::num::NonZeroU16;
use core::time::Duration;
use mqtt_proto::*;
use mqtt_session::{
    Disconnection, Error, Event, OutboundMessage, ProtocolError, PublishFailure, Session,
    SessionConfig,
};
use std::collections::VecDeque;
use std::time::Instant;

// ---- a client driven in bytes ----

/// A session, a virtual clock, and what it wrote and reported, as raw as an
/// adapter sees them.
struct Client {
    session: Session,
    now: Instant,
    events: VecDeque<Event>,
}

impl Client {
    fn new(config: SessionConfig) -> Self {
        Self {
            session: Session::new(config),
            now: Instant::now(),
            events: VecDeque::new(),
        }
    }

    /// A new transport: the bytes of CONNECT.
    fn open(&mut self) -> Vec<u8> {
        self.session.connect(self.now).expect("connect");
        self.out()
    }

    /// The server writes `bytes`; what the client wrote in answer.
    fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.session.handle_input(self.now, bytes);
        self.out()
    }

    /// The application calls the session; its result and what was written.
    fn call<R>(&mut self, f: impl FnOnce(&mut Session, Instant) -> R) -> (R, Vec<u8>) {
        let r = f(&mut self.session, self.now);
        (r, self.out())
    }

    /// Moves the clock by `d`, firing every deadline on the way at its own
    /// time; what was written meanwhile.
    fn advance(&mut self, d: Duration) -> Vec<u8> {
        let target = self.now + d;
        let mut written = Vec::new();
        while let Some(deadline) = self.session.poll_timeout() {
            if deadline > target {
                break;
            }
            self.now = self.now.max(deadline);
            self.session.handle_timeout(self.now);
            written.extend(self.out());
        }
        self.now = target;
        written
    }

    /// The transport broke.
    fn drop_transport(&mut self) {
        self.session.handle_transport_closed(self.now);
        self.out();
    }

    /// Drains transmit and events, as the drive contract asks.
    fn out(&mut self) -> Vec<u8> {
        let mut written = Vec::new();
        while let Some(bytes) = self.session.poll_transmit() {
            written.extend_from_slice(&bytes);
        }
        while let Some(e) = self.session.poll_event() {
            self.events.push_back(e);
        }
        written
    }

    fn event(&mut self) -> Event {
        self.events.pop_front().expect("an event")
    }

    fn no_event(&mut self) {
        assert_eq!(self.events.pop_front(), None);
    }

    /// Connects with a CONNACK carrying `properties` (encoded); CONNECT and
    /// the Connected event consumed.
    fn connected(config: SessionConfig, properties: &[u8]) -> Self {
        let mut c = Self::new(config);
        c.open();
        assert_eq!(c.feed(&connack(false, properties)), []);
        assert!(matches!(c.event(), Event::Connected { .. }));
        c
    }
}

// ---- packets in bytes ----

/// A packet whose remaining length takes one byte.
fn packet(first: u8, body: &[u8]) -> Vec<u8> {
    assert!(body.len() < 128);
    [&[first, body.len() as u8][..], body].concat()
}

/// A UTF-8 string or binary data with its two-byte length.
fn string(v: &[u8]) -> Vec<u8> {
    [&(v.len() as u16).to_be_bytes()[..], v].concat()
}

/// A property section: its length, then the properties.
fn props(p: &[u8]) -> Vec<u8> {
    assert!(p.len() < 128);
    [&[p.len() as u8][..], p].concat()
}

fn connack(session_present: bool, properties: &[u8]) -> Vec<u8> {
    packet(
        0x20,
        &[&[session_present as u8, 0x00][..], &props(properties)].concat(),
    )
}

/// A 5.0 PUBLISH: `first` is its first byte (type and flags).
fn publish(
    first: u8,
    topic: &str,
    packet_id: Option<u16>,
    properties: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    let id = packet_id
        .map(|p| p.to_be_bytes().to_vec())
        .unwrap_or_default();
    packet(
        first,
        &[
            string(topic.as_bytes()),
            id,
            props(properties),
            payload.to_vec(),
        ]
        .concat(),
    )
}

/// An acknowledgement without reason code or properties.
fn ack(first: u8, packet_id: u16) -> Vec<u8> {
    packet(first, &packet_id.to_be_bytes())
}

const PINGREQ: [u8; 2] = [0xC0, 0x00];
const PINGRESP: [u8; 2] = [0xD0, 0x00];
const PUBACK: u8 = 0x40;
const PUBREC: u8 = 0x50;
const PUBREL: u8 = 0x62;
const PUBCOMP: u8 = 0x70;

/// Reason String "why" (6 bytes) and User Property ("k", "v") (7 bytes).
const DIAGNOSTICS: [u8; 13] = [
    0x1F, 0x00, 0x03, b'w', b'h', b'y', 0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'v',
];

fn v5() -> SessionConfig {
    config(ProtocolVersion::V5)
}

/// Enhanced authentication with method "X" and initial data "i".
fn auth_config() -> SessionConfig {
    let mut c = v5();
    c.connect.properties.authentication_method = Some(s("X"));
    c.connect.properties.authentication_data = Some(bytes::Bytes::from_static(b"i"));
    c
}

/// AUTH properties: method "X" (4 bytes) and one byte of data (4 bytes).
fn auth_data(data: u8) -> [u8; 8] {
    [0x15, 0x00, 0x01, b'X', 0x16, 0x00, 0x01, data]
}

fn auth_packet(reason: u8, data: u8) -> Vec<u8> {
    packet(0xF0, &[&[reason][..], &props(&auth_data(data))].concat())
}

fn data_props(data: &'static [u8]) -> AuthProperties {
    AuthProperties {
        authentication_data: Some(bytes::Bytes::from_static(data)),
        ..Default::default()
    }
}

/// The reason string "0123456789" (13 bytes) and user property ("k", "v")
/// (7 bytes) that the shedding tests start from.
fn reason_string() -> Option<MqttString> {
    Some(s("0123456789"))
}

fn user_properties() -> Vec<UserProperty> {
    vec![(s("k"), s("v"))]
}

fn maximum_packet_size(max: u32) -> Vec<u8> {
    [&[0x27][..], &max.to_be_bytes()].concat()
}

// ---- keep alive ----

/// [MQTT-3.1.2-21, 5.0] [MQTT-3.2.2-21, 5.0]: the Server Keep Alive of
/// CONNACK replaces the keep alive CONNECT sent, whether shorter, longer,
/// or 0 (no keep alive at all): PINGREQ (`c0 00`) goes out after that many
/// seconds of quiet, never after the client's own.
#[test]
fn mqtt_3_2_2_21_the_server_keep_alive_replaces_the_one_connect_sent() {
    // Shorter: CONNECT says 60 s, the server 5 s.
    let mut c = v5();
    c.connect.keep_alive = 60;
    let mut w = Client::new(c);
    let connect = w.open();
    assert_eq!(connect[10..12], [0x00, 0x3C], "Keep Alive 60 in CONNECT");
    assert_eq!(w.feed(&connack(false, &[0x13, 0x00, 0x05])), []);
    assert!(matches!(w.event(), Event::Connected { .. }));
    assert_eq!(w.session.keep_alive(), Some(Duration::from_secs(5)));
    assert_eq!(
        w.session.poll_timeout(),
        Some(w.now + Duration::from_secs(5))
    );
    assert_eq!(w.advance(Duration::from_millis(4_999)), []);
    assert_eq!(w.advance(Duration::from_millis(1)), PINGREQ);
    assert_eq!(w.feed(&PINGRESP), []);
    assert_eq!(w.advance(Duration::from_millis(4_999)), []);
    assert_eq!(w.advance(Duration::from_millis(1)), PINGREQ);
    w.no_event();

    // Longer: CONNECT says 5 s, the server 100 s.
    let mut c = v5();
    c.connect.keep_alive = 5;
    let mut w = Client::new(c);
    assert_eq!(w.open()[10..12], [0x00, 0x05]);
    assert_eq!(w.feed(&connack(false, &[0x13, 0x00, 0x64])), []);
    w.event();
    assert_eq!(w.advance(Duration::from_secs(99)), []);
    assert_eq!(w.advance(Duration::from_secs(1)), PINGREQ);

    // 0: the server turns keep alive off.
    let mut c = v5();
    c.connect.keep_alive = 5;
    let mut w = Client::new(c);
    w.open();
    assert_eq!(w.feed(&connack(false, &[0x13, 0x00, 0x00])), []);
    w.event();
    assert_eq!(w.session.keep_alive(), None);
    assert_eq!(w.session.poll_timeout(), None);
    assert_eq!(w.advance(Duration::from_secs(100_000)), []);
    w.no_event();
}

// ---- enhanced authentication ----

/// [MQTT-3.1.2-30, 5.0]: with an Authentication Method in CONNECT, nothing
/// but AUTH or DISCONNECT leaves before CONNACK. Publishes wait (QoS 0 and
/// 1 alike), SUBSCRIBE and UNSUBSCRIBE are refused with `NotConnected`, no
/// PINGREQ is due, and on a resumed session neither the in-flight message
/// nor an application acknowledgement goes out before CONNACK; after it
/// they do, in order.
#[test]
fn mqtt_3_1_2_30_only_auth_or_disconnect_before_connack() {
    let mut c = auth_config();
    c.connect.keep_alive = 10;
    c.connect_timeout = Duration::from_secs(60);
    c.auto_ack = false;
    let mut w = Client::new(c);
    assert_eq!(w.open()[0], 0x10);

    let (r, out) = w.call(|s, now| s.publish(now, message("t", "a", QoS::AtMostOnce)));
    assert!(r.is_ok());
    assert_eq!(out, []);
    let (r, out) = w.call(|s, now| s.publish(now, message("t", "b", QoS::AtLeastOnce)));
    let held = r.unwrap();
    assert_eq!(out, []);
    let (r, out) = w.call(|s, now| {
        s.subscribe(
            now,
            vec![Subscription::new(filter("f"), QoS::AtLeastOnce)],
            Default::default(),
        )
    });
    assert_eq!((r, out), (Err(Error::NotConnected), vec![]));
    let (r, out) = w.call(|s, now| s.unsubscribe(now, vec![filter("f")], Default::default()));
    assert_eq!((r, out), (Err(Error::NotConnected), vec![]));
    // Three keep alives pass: no PINGREQ while connecting.
    assert_eq!(w.advance(Duration::from_secs(30)), []);
    w.no_event();

    // The exchange itself: the server's AUTH, our AUTH.
    assert_eq!(w.feed(&auth_packet(0x18, b's')), []);
    assert!(matches!(w.event(), Event::Auth { .. }));
    let (r, out) =
        w.call(|s, now| s.auth(now, ReasonCode::ContinueAuthentication, data_props(b"c")));
    r.unwrap();
    assert_eq!(out, auth_packet(0x18, b'c'));

    // CONNACK: the held publishes go out, QoS 0 then QoS 1 (identifier 1).
    let out = w.feed(&connack(false, &[]));
    assert_eq!(
        out,
        [
            publish(0x30, "t", None, &[], b"a"),
            publish(0x32, "t", Some(1), &[], b"b"),
        ]
        .concat()
    );
    assert!(matches!(w.event(), Event::Connected { .. }));
    assert!(matches!(
        w.event(),
        Event::Published {
            qos: QoS::AtMostOnce,
            ..
        }
    ));
    // A QoS 1 message arrives; the application will acknowledge it while disconnected.
    assert_eq!(w.feed(&publish(0x32, "in", Some(7), &[], b"m")), []);
    let Event::Message(m) = w.event() else {
        panic!("a message")
    };
    w.drop_transport();
    assert!(matches!(
        w.event(),
        Event::Disconnected(Disconnection::TransportClosed)
    ));
    w.call(|s, now| s.ack(now, m.ack.unwrap())).0.unwrap();

    // Resuming: CONNECT, then nothing until CONNACK but the AUTH exchange.
    assert_eq!(w.open()[0], 0x10);
    let (r, out) = w.call(|s, now| s.publish(now, message("t", "c", QoS::AtLeastOnce)));
    r.unwrap();
    assert_eq!(out, []);
    assert_eq!(w.advance(Duration::from_secs(30)), []);
    assert_eq!(w.feed(&auth_packet(0x18, b's')), []);
    w.event();
    let (r, out) =
        w.call(|s, now| s.auth(now, ReasonCode::ContinueAuthentication, data_props(b"c")));
    r.unwrap();
    assert_eq!(out, auth_packet(0x18, b'c'));
    // Session present: the resend (DUP), the acknowledgement, the new message.
    let out = w.feed(&connack(true, &[]));
    assert_eq!(
        out,
        [
            publish(0x3A, "t", Some(1), &[], b"b"),
            ack(PUBACK, 7),
            publish(0x32, "t", Some(2), &[], b"c"),
        ]
        .concat()
    );
    assert!(
        w.session.packet_id_of(held).is_some(),
        "still unacknowledged"
    );

    // DISCONNECT is allowed before CONNACK.
    let mut w = Client::new(auth_config());
    w.open();
    let (r, out) = w.call(|s, now| s.disconnect(now, Disconnect::new(ReasonCode::Success)));
    r.unwrap();
    assert_eq!(out, [0xE0, 0x00]);
    assert_eq!(
        w.event(),
        Event::Disconnected(Disconnection::Local {
            reason: ReasonCode::Success
        })
    );
}

/// [MQTT-4.12.0-3, 5.0]: the client answers the server's AUTH with AUTH
/// 0x18 (Continue authentication), during CONNECT and during a
/// re-authentication alike; a call with another reason, or a Continue
/// outside any exchange, is refused and sends nothing.
#[test]
fn mqtt_4_12_0_3_the_answer_to_a_server_auth_is_auth_continue() {
    let mut w = Client::new(auth_config());
    w.open();
    assert_eq!(w.feed(&auth_packet(0x18, b's')), []);
    assert_eq!(
        w.event(),
        Event::Auth {
            reason: ReasonCode::ContinueAuthentication,
            properties: AuthProperties {
                authentication_method: Some(s("X")),
                authentication_data: Some(bytes::Bytes::from_static(b"s")),
                ..Default::default()
            }
        }
    );
    for reason in [ReasonCode::Success, ReasonCode::ReAuthenticate] {
        let (r, out) = w.call(|s, now| s.auth(now, reason, data_props(b"c")));
        assert!(matches!(r, Err(Error::AuthNotPossible(_))), "{reason:?}");
        assert_eq!(out, []);
    }
    let (r, out) =
        w.call(|s, now| s.auth(now, ReasonCode::ContinueAuthentication, data_props(b"c")));
    r.unwrap();
    // f0 0a 18 08 | 15 00 01 'X' | 16 00 01 'c'
    assert_eq!(out, auth_packet(0x18, b'c'));
    assert_eq!(w.feed(&connack(false, &[])), []);
    assert!(matches!(w.event(), Event::Connected { .. }));

    // Connected, no exchange in progress: nothing to continue.
    let (r, out) =
        w.call(|s, now| s.auth(now, ReasonCode::ContinueAuthentication, data_props(b"c")));
    assert!(matches!(r, Err(Error::AuthNotPossible(_))));
    assert_eq!(out, []);

    // Re-authentication: 0x19 first, then 0x18 in answer to the server.
    let (r, out) = w.call(|s, now| s.auth(now, ReasonCode::ReAuthenticate, data_props(b"r")));
    r.unwrap();
    assert_eq!(out, auth_packet(0x19, b'r'));
    assert_eq!(w.feed(&auth_packet(0x18, b's')), []);
    w.event();
    let (r, out) = w.call(|s, now| s.auth(now, ReasonCode::Success, data_props(b"c")));
    assert!(matches!(r, Err(Error::AuthNotPossible(_))));
    assert_eq!(out, []);
    let (r, out) =
        w.call(|s, now| s.auth(now, ReasonCode::ContinueAuthentication, data_props(b"c")));
    r.unwrap();
    assert_eq!(out, auth_packet(0x18, b'c'));
    assert_eq!(w.feed(&auth_packet(0x00, b'f')), []);
    assert!(matches!(
        w.event(),
        Event::Auth {
            reason: ReasonCode::Success,
            ..
        }
    ));
    assert!(w.session.is_connected());
}

/// [MQTT-4.12.0-7, 5.0]: without an Authentication Method in CONNECT the
/// client sends no AUTH: `Session::auth` refuses every reason, before and
/// after CONNACK, even with a method in its properties; an AUTH from the
/// server is answered with DISCONNECT 0x82, never with AUTH.
#[test]
fn mqtt_4_12_0_7_no_auth_without_an_authentication_method_in_connect() {
    let mut w = Client::new(v5());
    w.open();
    let with_method = AuthProperties {
        authentication_method: Some(s("X")),
        ..Default::default()
    };
    for reason in [
        ReasonCode::ContinueAuthentication,
        ReasonCode::ReAuthenticate,
    ] {
        let (r, out) = w.call(|s, now| s.auth(now, reason, with_method.clone()));
        assert_eq!(
            r,
            Err(Error::AuthNotPossible(
                "CONNECT carried no authentication method"
            ))
        );
        assert_eq!(out, []);
    }
    // The server starts an exchange we did not ask for.
    assert_eq!(w.feed(&auth_packet(0x18, b's')), [0xE0, 0x01, 0x82]);
    assert_eq!(
        w.event(),
        Event::Disconnected(Disconnection::ProtocolError(
            ProtocolError::BadAuthentication
        ))
    );

    let mut w = Client::connected(v5(), &[]);
    for reason in [
        ReasonCode::ContinueAuthentication,
        ReasonCode::ReAuthenticate,
    ] {
        let (r, out) = w.call(|s, now| s.auth(now, reason, with_method.clone()));
        assert!(matches!(r, Err(Error::AuthNotPossible(_))));
        assert_eq!(out, []);
    }
    assert_eq!(w.feed(&auth_packet(0x18, b's')), [0xE0, 0x01, 0x82]);
    assert_eq!(
        w.event(),
        Event::Disconnected(Disconnection::ProtocolError(
            ProtocolError::BadAuthentication
        ))
    );
}

/// [MQTT-4.12.1-1, 5.0]: a re-authentication carries the Authentication
/// Method of CONNECT: filled in when the call leaves it out, accepted when
/// it names the same one, refused (nothing sent) when it names another.
#[test]
fn mqtt_4_12_1_1_re_authentication_uses_the_method_of_connect() {
    let mut w = Client::connected(auth_config(), &[]);
    let (r, out) = w.call(|s, now| s.auth(now, ReasonCode::ReAuthenticate, data_props(b"r")));
    r.unwrap();
    assert_eq!(out, auth_packet(0x19, b'r'));
    assert_eq!(w.feed(&auth_packet(0x00, b'f')), []);
    assert!(matches!(
        w.event(),
        Event::Auth {
            reason: ReasonCode::Success,
            ..
        }
    ));

    let mut other = data_props(b"r");
    other.authentication_method = Some(s("Y"));
    let (r, out) = w.call(|s, now| s.auth(now, ReasonCode::ReAuthenticate, other));
    assert_eq!(
        r,
        Err(Error::AuthNotPossible(
            "the authentication method differs from the one of CONNECT"
        ))
    );
    assert_eq!(out, []);

    let mut same = data_props(b"r");
    same.authentication_method = Some(s("X"));
    let (r, out) = w.call(|s, now| s.auth(now, ReasonCode::ReAuthenticate, same));
    r.unwrap();
    assert_eq!(out, auth_packet(0x19, b'r'));
}

/// [MQTT-4.12.1-2, 5.0]: a failed re-authentication ends the connection.
/// The server refusing it with DISCONNECT 0x87 (Not authorized), or
/// answering with another method (we send DISCONNECT 0x82), is reported as
/// one `Disconnected` event, after which the adapter closes the transport
/// and the session writes nothing more on it: later input is ignored,
/// no timer runs, and new work waits for the next connection.
#[test]
fn mqtt_4_12_1_2_a_failed_re_authentication_ends_the_connection() {
    let mut c = auth_config();
    c.connect.keep_alive = 10;
    let mut w = Client::connected(c.clone(), &[]);
    let (r, out) = w.call(|s, now| s.auth(now, ReasonCode::ReAuthenticate, data_props(b"r")));
    r.unwrap();
    assert_eq!(out, auth_packet(0x19, b'r'));
    assert_eq!(w.feed(&[0xE0, 0x01, 0x87]), []);
    assert_eq!(
        w.event(),
        Event::Disconnected(Disconnection::Server {
            reason: ReasonCode::NotAuthorized,
            properties: Default::default()
        })
    );
    assert!(!w.session.has_connection());
    assert_eq!(w.session.poll_timeout(), None);
    assert_eq!(w.feed(&auth_packet(0x00, b'f')), []);
    w.no_event();
    let (r, out) = w.call(|s, now| s.auth(now, ReasonCode::ReAuthenticate, data_props(b"r")));
    assert_eq!((r, out), (Err(Error::NotConnected), vec![]));
    let (r, out) = w.call(|s, now| s.publish(now, message("t", "x", QoS::AtLeastOnce)));
    r.unwrap();
    assert_eq!(out, []);
    assert_eq!(w.advance(Duration::from_secs(60)), []);

    // The server answers with a method that is not ours.
    let mut w = Client::connected(c, &[]);
    w.call(|s, now| s.auth(now, ReasonCode::ReAuthenticate, data_props(b"r")))
        .0
        .unwrap();
    let wrong = packet(
        0xF0,
        &[&[0x18][..], &props(&[0x15, 0x00, 0x01, b'Y'])].concat(),
    );
    assert_eq!(w.feed(&wrong), [0xE0, 0x01, 0x82]);
    assert_eq!(
        w.event(),
        Event::Disconnected(Disconnection::ProtocolError(
            ProtocolError::BadAuthentication
        ))
    );
    assert!(!w.session.has_connection());
    assert_eq!(w.feed(&auth_packet(0x00, b'f')), []);
    w.no_event();
}

// ---- what the server's CONNACK allows ----

/// [MQTT-3.2.2-11, 5.0]: no PUBLISH above the server's Maximum QoS. By
/// default `publish` refuses such a message with `QoSNotSupported` and
/// sends nothing; with `downgrade_qos` it goes out at the maximum. A
/// message accepted while the limit was unknown (before CONNACK) is held
/// to the limit of the connection that sends it: reported as
/// `PublishFailed(NotSupported)`, or downgraded.
#[test]
fn mqtt_3_2_2_11_no_publish_above_the_server_maximum_qos() {
    // Maximum QoS 1.
    let mut w = Client::connected(v5(), &[0x24, 0x01]);
    let (r, out) = w.call(|s, now| s.publish(now, message("t", "x", QoS::ExactlyOnce)));
    assert_eq!(
        r,
        Err(Error::QoSNotSupported {
            requested: QoS::ExactlyOnce,
            maximum: QoS::AtLeastOnce
        })
    );
    assert_eq!(out, []);
    let (r, out) = w.call(|s, now| s.publish(now, message("t", "x", QoS::AtLeastOnce)));
    r.unwrap();
    assert_eq!(out, publish(0x32, "t", Some(1), &[], b"x"));

    // Maximum QoS 0, refusing and downgrading.
    let mut w = Client::connected(v5(), &[0x24, 0x00]);
    let (r, out) = w.call(|s, now| s.publish(now, message("t", "x", QoS::AtLeastOnce)));
    assert_eq!(
        r,
        Err(Error::QoSNotSupported {
            requested: QoS::AtLeastOnce,
            maximum: QoS::AtMostOnce
        })
    );
    assert_eq!(out, []);
    let mut c = v5();
    c.downgrade_qos = true;
    let mut w = Client::connected(c.clone(), &[0x24, 0x00]);
    let (r, out) = w.call(|s, now| s.publish(now, message("t", "x", QoS::ExactlyOnce)));
    let id = r.unwrap();
    assert_eq!(out, publish(0x30, "t", None, &[], b"x"));
    assert!(matches!(
        w.event(),
        Event::Published { id: done, qos: QoS::AtMostOnce, .. } if done == id
    ));

    // Accepted before CONNACK, when the limit was not known yet.
    let mut w = Client::new(v5());
    w.open();
    let (r, out) = w.call(|s, now| s.publish(now, message("t", "x", QoS::ExactlyOnce)));
    let id = r.unwrap();
    assert_eq!(out, []);
    assert_eq!(w.feed(&connack(false, &[0x24, 0x01])), []);
    assert!(matches!(w.event(), Event::Connected { .. }));
    assert_eq!(
        w.event(),
        Event::PublishFailed {
            id,
            failure: PublishFailure::NotSupported(Error::QoSNotSupported {
                requested: QoS::ExactlyOnce,
                maximum: QoS::AtLeastOnce
            })
        }
    );
    assert!(w.session.state().is_idle());
    let mut w = Client::new(c);
    w.open();
    let id = w
        .call(|s, now| s.publish(now, message("t", "x", QoS::ExactlyOnce)))
        .0
        .unwrap();
    assert_eq!(
        w.feed(&connack(false, &[0x24, 0x01])),
        publish(0x32, "t", Some(1), &[], b"x")
    );
    assert!(matches!(w.event(), Event::Connected { .. }));
    assert_eq!(w.feed(&ack(PUBACK, 1)), []);
    assert!(matches!(
        w.event(),
        Event::Published { id: done, qos: QoS::AtLeastOnce, .. } if done == id
    ));
}

/// [MQTT-3.2.2-14, 5.0]: with Retain Available 0 no PUBLISH has RETAIN 1:
/// `publish` refuses a retained message with `RetainNotSupported`, and one
/// queued before CONNACK fails with `PublishFailed(NotSupported)`, while
/// the message behind it still goes out. Without the property the flag
/// is sent (`31`).
#[test]
fn mqtt_3_2_2_14_no_retained_publish_when_retain_is_unavailable() {
    let mut w = Client::connected(v5(), &[0x25, 0x00]);
    let (r, out) = w.call(|s, now| s.publish(now, message("t", "x", QoS::AtMostOnce).retain(true)));
    assert_eq!((r, out), (Err(Error::RetainNotSupported), vec![]));
    let (r, out) = w.call(|s, now| s.publish(now, message("t", "x", QoS::AtMostOnce)));
    r.unwrap();
    assert_eq!(out, publish(0x30, "t", None, &[], b"x"));

    let mut w = Client::new(v5());
    w.open();
    let retained = w
        .call(|s, now| s.publish(now, message("t", "r", QoS::AtLeastOnce).retain(true)))
        .0
        .unwrap();
    let plain = w
        .call(|s, now| s.publish(now, message("t", "n", QoS::AtMostOnce)))
        .0
        .unwrap();
    assert_eq!(
        w.feed(&connack(false, &[0x25, 0x00])),
        publish(0x30, "t", None, &[], b"n")
    );
    assert!(matches!(w.event(), Event::Connected { .. }));
    assert_eq!(
        w.event(),
        Event::PublishFailed {
            id: retained,
            failure: PublishFailure::NotSupported(Error::RetainNotSupported)
        }
    );
    assert!(matches!(w.event(), Event::Published { id, .. } if id == plain));

    let mut w = Client::connected(v5(), &[]);
    let (r, out) = w.call(|s, now| s.publish(now, message("t", "x", QoS::AtMostOnce).retain(true)));
    r.unwrap();
    assert_eq!(out, publish(0x31, "t", None, &[], b"x"));
}

/// [MQTT-3.2.2-17, 5.0] [MQTT-3.3.2-9, 5.0]: no Topic Alias above the
/// server's Topic Alias Maximum. With a maximum of 2 and three topics, the
/// least recently used topic gives up its alias; every PUBLISH carries
/// alias 1 or 2 (`23 00 0n`), and an alias the application put in the
/// message's properties (7) is not the one sent.
#[test]
fn mqtt_3_3_2_9_no_topic_alias_above_the_server_maximum() {
    let mut c = v5();
    c.auto_topic_alias = true;
    let mut w = Client::connected(c, &[0x22, 0x00, 0x02]);
    let mut sent = Vec::new();
    for topic in ["a", "a", "b", "c", "b"] {
        let mut m = message(topic, "x", QoS::AtMostOnce);
        m.properties.topic_alias = NonZeroU16::new(7);
        let (r, out) = w.call(|s, now| s.publish(now, m));
        r.unwrap();
        sent.push(out);
    }
    let define = |t: &str, alias: u8| publish(0x30, t, None, &[0x23, 0x00, alias], b"x");
    let reuse = |alias: u8| publish(0x30, "", None, &[0x23, 0x00, alias], b"x");
    assert_eq!(
        sent,
        [
            define("a", 1),
            reuse(1),
            define("b", 2),
            // "a" was used least recently: "c" takes its alias.
            define("c", 1),
            reuse(2),
        ]
    );
}

/// [MQTT-3.2.2-18, 5.0]: without a Topic Alias Maximum from the server
/// (absent, or 0) no PUBLISH carries a Topic Alias, though automatic
/// aliases are on and the application put one in the message.
#[test]
fn mqtt_3_2_2_18_no_topic_alias_without_a_server_maximum() {
    for connack_properties in [&[][..], &[0x22, 0x00, 0x00]] {
        let mut c = v5();
        c.auto_topic_alias = true;
        let mut w = Client::connected(c, connack_properties);
        for (qos, expected) in [
            (QoS::AtMostOnce, publish(0x30, "a", None, &[], b"x")),
            (QoS::AtMostOnce, publish(0x30, "a", None, &[], b"x")),
            (QoS::AtLeastOnce, publish(0x32, "a", Some(1), &[], b"x")),
        ] {
            let mut m = message("a", "x", qos);
            m.properties.topic_alias = NonZeroU16::new(5);
            let (r, out) = w.call(|s, now| s.publish(now, m));
            r.unwrap();
            assert_eq!(out, expected, "CONNACK properties {connack_properties:?}");
        }
    }
}

/// [MQTT-3.3.2-10, 5.0]: every Topic Alias from 1 to the Topic Alias
/// Maximum the client sent (3, `22 00 03` in CONNECT) is accepted: each
/// is defined and then used alone, the messages arrive with their topics
/// and the client writes nothing but the PUBACK of the QoS 1 one. Only 4
/// is refused (DISCONNECT 0x94).
#[test]
fn mqtt_3_3_2_10_every_alias_up_to_our_maximum_is_accepted() {
    let mut c = v5();
    c.connect.properties.topic_alias_maximum = Some(3);
    let mut w = Client::new(c);
    let connect = w.open();
    assert!(connect.windows(3).any(|p| p == [0x22, 0x00, 0x03]));
    assert_eq!(w.feed(&connack(false, &[])), []);
    w.event();
    let topics = ["t1", "t2", "t3"];
    for (alias, topic) in (1u8..=3).zip(topics) {
        let define = publish(0x30, topic, None, &[0x23, 0x00, alias], b"p");
        assert_eq!(w.feed(&define), []);
    }
    for alias in [3u8, 2, 1] {
        assert_eq!(
            w.feed(&publish(0x30, "", None, &[0x23, 0x00, alias], b"q")),
            []
        );
    }
    assert_eq!(
        w.feed(&publish(0x32, "", Some(9), &[0x23, 0x00, 0x03], b"r")),
        ack(PUBACK, 9)
    );
    let mut got = Vec::new();
    while let Some(Event::Message(m)) = w.events.pop_front() {
        got.push((m.publish.topic_str().to_owned(), m.publish.payload.clone()));
    }
    let expected: Vec<(String, bytes::Bytes)> = [
        ("t1", "p"),
        ("t2", "p"),
        ("t3", "p"),
        ("t3", "q"),
        ("t2", "q"),
        ("t1", "q"),
        ("t3", "r"),
    ]
    .iter()
    .map(|(t, p)| (t.to_string(), bytes::Bytes::from_static(p.as_bytes())))
    .collect();
    assert_eq!(got, expected);
    assert!(w.session.is_connected());

    assert_eq!(
        w.feed(&publish(0x30, "t4", None, &[0x23, 0x00, 0x04], b"p")),
        [0xE0, 0x01, 0x94]
    );
    assert_eq!(
        w.event(),
        Event::Disconnected(Disconnection::ProtocolError(
            ProtocolError::TopicAliasOutOfRange(4)
        ))
    );
}

/// [MQTT-3.3.4-6, 5.0]: a client's PUBLISH carries no Subscription
/// Identifier (property 0x0B). Identifiers in an outbound message's
/// properties, as when forwarding a received message, are left out: on
/// the first send, on a send from the queue and on a resend.
#[test]
fn mqtt_3_3_4_6_a_client_publish_carries_no_subscription_identifier() {
    let mut w = Client::connected(v5(), &[]);
    // A message from a subscription with identifier 7, forwarded as it is.
    assert_eq!(w.feed(&publish(0x30, "t", None, &[0x0B, 0x07], b"x")), []);
    let Event::Message(m) = w.event() else {
        panic!("a message")
    };
    assert_eq!(
        m.publish.properties.subscription_identifiers,
        [SubscriptionId::new(7).unwrap()]
    );
    let forward = OutboundMessage {
        topic: m.publish.topic.clone().unwrap(),
        payload: m.publish.payload.clone(),
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: m.publish.properties.clone(),
    };
    let (r, out) = w.call(|s, now| s.publish(now, forward));
    r.unwrap();
    assert_eq!(out, publish(0x32, "t", Some(1), &[], b"x"));

    // Queued while disconnected, then the session resumes.
    w.drop_transport();
    w.event();
    let mut queued = message("t", "y", QoS::AtLeastOnce);
    queued.properties.subscription_identifiers = vec![
        SubscriptionId::new(1).unwrap(),
        SubscriptionId::new(300).unwrap(),
    ];
    queued.properties.content_type = Some(s("c"));
    w.call(|s, now| s.publish(now, queued)).0.unwrap();
    w.open();
    assert_eq!(
        w.feed(&connack(true, &[])),
        [
            publish(0x3A, "t", Some(1), &[], b"x"),
            // Content Type stays: only the identifiers go.
            publish(0x32, "t", Some(2), &[0x03, 0x00, 0x01, b'c'], b"y"),
        ]
        .concat()
    );
}

// ---- flow control ----

/// [MQTT-3.3.4-7, 5.0] [MQTT-4.9.0-2, 5.0]: with Receive Maximum 2, at
/// most two QoS 1/2 PUBLISH are unacknowledged. A place comes back with
/// PUBACK (whatever its reason), PUBCOMP, or a PUBREC of 0x80 or above;
/// not with a successful PUBREC, which only brings the PUBREL.
#[test]
fn mqtt_3_3_4_7_at_most_receive_maximum_unacknowledged_publishes() {
    let mut w = Client::connected(v5(), &[0x21, 0x00, 0x02]);
    let mut out = Vec::new();
    for (payload, qos) in [
        ("1", QoS::AtLeastOnce),
        ("2", QoS::ExactlyOnce),
        ("3", QoS::AtLeastOnce),
        ("4", QoS::ExactlyOnce),
        ("5", QoS::AtLeastOnce),
    ] {
        let (r, o) = w.call(|s, now| s.publish(now, message("t", payload, qos)));
        r.unwrap();
        out.extend(o);
    }
    assert_eq!(
        out,
        [
            publish(0x32, "t", Some(1), &[], b"1"),
            publish(0x34, "t", Some(2), &[], b"2"),
        ]
        .concat()
    );
    // PUBREC 0x00: PUBREL, and the quota stays at 0.
    assert_eq!(w.feed(&ack(PUBREC, 2)), ack(PUBREL, 2));
    assert_eq!(
        w.feed(&ack(PUBACK, 1)),
        publish(0x32, "t", Some(3), &[], b"3")
    );
    assert_eq!(
        w.feed(&ack(PUBCOMP, 2)),
        publish(0x34, "t", Some(4), &[], b"4")
    );
    // PUBREC 0x80 ends the flow and frees its place.
    assert_eq!(
        w.feed(&packet(PUBREC, &[0x00, 0x04, 0x80])),
        publish(0x32, "t", Some(5), &[], b"5")
    );
    // So does a PUBACK with an error.
    assert_eq!(w.feed(&packet(PUBACK, &[0x00, 0x03, 0x80])), []);
    let (r, out) = w.call(|s, now| s.publish(now, message("t", "6", QoS::AtLeastOnce)));
    r.unwrap();
    assert_eq!(out, publish(0x32, "t", Some(6), &[], b"6"));
    let (r, out) = w.call(|s, now| s.publish(now, message("t", "7", QoS::AtLeastOnce)));
    r.unwrap();
    assert_eq!(out, [], "5 and 6 are unacknowledged");
}

/// [MQTT-3.3.4-7, 5.0]: the Receive Maximum of a new connection bounds the
/// resends of a resumed session too. Four messages were in flight (one
/// past PUBREC); the server resumes with Receive Maximum 2: the PUBREL and
/// one PUBLISH go out, the other two follow in order as places free, and
/// so does a QoS 0 message published meanwhile. A held message the server
/// acknowledges anyway is not resent.
#[test]
fn mqtt_3_3_4_7_resends_of_a_resumed_session_keep_to_the_new_receive_maximum() {
    let mut w = Client::connected(v5(), &[]);
    for (payload, qos) in [
        ("a", QoS::ExactlyOnce),
        ("b", QoS::AtLeastOnce),
        ("c", QoS::AtLeastOnce),
        ("d", QoS::AtLeastOnce),
    ] {
        w.call(|s, now| s.publish(now, message("t", payload, qos)))
            .0
            .unwrap();
    }
    assert_eq!(w.feed(&ack(PUBREC, 1)), ack(PUBREL, 1));
    w.drop_transport();
    w.events.clear();
    w.open();
    assert_eq!(
        w.feed(&connack(true, &[0x21, 0x00, 0x02])),
        [ack(PUBREL, 1), publish(0x3A, "t", Some(2), &[], b"b")].concat()
    );
    let (r, out) = w.call(|s, now| s.publish(now, message("t", "e", QoS::AtMostOnce)));
    r.unwrap();
    assert_eq!(out, [], "behind the held resends");
    assert_eq!(
        w.feed(&ack(PUBACK, 2)),
        publish(0x3A, "t", Some(3), &[], b"c")
    );
    assert_eq!(
        w.feed(&ack(PUBCOMP, 1)),
        [
            publish(0x3A, "t", Some(4), &[], b"d"),
            publish(0x30, "t", None, &[], b"e"),
        ]
        .concat()
    );

    // Receive Maximum 1; the server acknowledges a held message it already had.
    let mut w = Client::connected(v5(), &[]);
    for payload in ["a", "b", "c"] {
        w.call(|s, now| s.publish(now, message("t", payload, QoS::AtLeastOnce)))
            .0
            .unwrap();
    }
    w.drop_transport();
    w.events.clear();
    w.open();
    assert_eq!(
        w.feed(&connack(true, &[0x21, 0x00, 0x01])),
        publish(0x3A, "t", Some(1), &[], b"a")
    );
    assert_eq!(w.feed(&ack(PUBACK, 3)), []);
    assert_eq!(
        w.feed(&ack(PUBACK, 1)),
        publish(0x3A, "t", Some(2), &[], b"b")
    );
    assert_eq!(w.feed(&ack(PUBACK, 2)), []);
    assert!(w.session.state().is_idle());
}

/// [MQTT-4.9.0-1, 5.0]: the initial send quota is not 0 and not above the
/// server's Receive Maximum: it is the smaller of `max_inflight` (0 counting
/// as 1) and Receive Maximum (65,535 when absent), and each connection
/// starts from its own CONNACK's.
#[test]
fn mqtt_4_9_0_1_the_initial_send_quota_is_non_zero_and_within_receive_maximum() {
    let w = Client::connected(v5(), &[]);
    assert_eq!(w.session.inflight_window(), 65_535);
    let mut c = v5();
    c.max_inflight = 5;
    assert_eq!(
        Client::connected(c, &[0x21, 0x00, 0x03])
            .session
            .inflight_window(),
        3
    );

    // Our own limit of 0 still lets one message through at a time.
    let mut c = v5();
    c.max_inflight = 0;
    let mut w = Client::connected(c, &[]);
    assert_eq!(w.session.inflight_window(), 1);
    let mut out = Vec::new();
    for payload in ["1", "2"] {
        out.extend(
            w.call(|s, now| s.publish(now, message("t", payload, QoS::AtLeastOnce)))
                .1,
        );
    }
    assert_eq!(out, publish(0x32, "t", Some(1), &[], b"1"));
    assert_eq!(
        w.feed(&ack(PUBACK, 1)),
        publish(0x32, "t", Some(2), &[], b"2")
    );

    // Receive Maximum 1, then 3 on the next connection.
    let mut c = v5();
    c.clean_start = mqtt_session::CleanStart::Always;
    let mut w = Client::connected(c, &[0x21, 0x00, 0x01]);
    assert_eq!(w.session.inflight_window(), 1);
    w.drop_transport();
    w.events.clear();
    w.open();
    assert_eq!(w.feed(&connack(false, &[0x21, 0x00, 0x03])), []);
    let mut out = Vec::new();
    for payload in ["1", "2", "3", "4"] {
        out.extend(
            w.call(|s, now| s.publish(now, message("t", payload, QoS::AtLeastOnce)))
                .1,
        );
    }
    assert_eq!(
        out,
        [
            publish(0x32, "t", Some(1), &[], b"1"),
            publish(0x32, "t", Some(2), &[], b"2"),
            publish(0x32, "t", Some(3), &[], b"3"),
        ]
        .concat()
    );
}

/// [MQTT-3.3.4-8, 5.0] [MQTT-4.9.0-3, 5.0]: with the send quota at 0
/// (Receive Maximum 1, one QoS 1 message unacknowledged, another waiting),
/// every other packet still goes out at once and every packet from the
/// server is still processed and answered: SUBSCRIBE and its SUBACK,
/// UNSUBSCRIBE and its UNSUBACK, PUBACK, PUBREC and PUBCOMP for incoming
/// messages, PINGREQ and PINGRESP, AUTH, DISCONNECT. (A QoS 0 message waits
/// behind the waiting QoS 1 one, keeping their order, as 4.9 allows.)
#[test]
fn mqtt_3_3_4_8_at_the_receive_maximum_other_packets_still_flow() {
    let mut c = auth_config();
    c.connect.keep_alive = 10;
    let mut w = Client::connected(c, &[0x21, 0x00, 0x01]);
    let (r, out) = w.call(|s, now| s.publish(now, message("t", "1", QoS::AtLeastOnce)));
    r.unwrap();
    assert_eq!(out, publish(0x32, "t", Some(1), &[], b"1"));
    let (r, out) = w.call(|s, now| s.publish(now, message("t", "2", QoS::AtLeastOnce)));
    r.unwrap();
    assert_eq!(out, []);
    let (r, out) = w.call(|s, now| s.publish(now, message("t", "0", QoS::AtMostOnce)));
    r.unwrap();
    assert_eq!(out, []);

    let (r, out) = w.call(|s, now| {
        s.subscribe(
            now,
            vec![Subscription::new(filter("f"), QoS::AtLeastOnce)],
            Default::default(),
        )
    });
    assert_eq!(r, Ok(PacketId::new(2).unwrap()));
    assert_eq!(out, [0x82, 0x07, 0x00, 0x02, 0x00, 0x00, 0x01, b'f', 0x01]);
    assert_eq!(w.feed(&[0x90, 0x04, 0x00, 0x02, 0x00, 0x01]), []);
    assert!(matches!(w.event(), Event::Subscribed { .. }));
    let (r, out) = w.call(|s, now| s.unsubscribe(now, vec![filter("f")], Default::default()));
    assert_eq!(r, Ok(PacketId::new(3).unwrap()));
    assert_eq!(out, [0xA2, 0x06, 0x00, 0x03, 0x00, 0x00, 0x01, b'f']);
    assert_eq!(w.feed(&[0xB0, 0x04, 0x00, 0x03, 0x00, 0x00]), []);
    assert!(matches!(w.event(), Event::Unsubscribed { .. }));

    assert_eq!(
        w.feed(&publish(0x32, "in", Some(9), &[], b"m")),
        ack(PUBACK, 9)
    );
    assert_eq!(
        w.feed(&publish(0x34, "in", Some(10), &[], b"m")),
        ack(PUBREC, 10)
    );
    assert_eq!(w.feed(&ack(PUBREL, 10)), ack(PUBCOMP, 10));
    assert!(matches!(w.event(), Event::Message(_)));
    assert!(matches!(w.event(), Event::Message(_)));

    assert_eq!(w.advance(Duration::from_secs(10)), PINGREQ);
    assert_eq!(w.feed(&PINGRESP), []);
    let (r, out) = w.call(|s, now| s.auth(now, ReasonCode::ReAuthenticate, data_props(b"r")));
    r.unwrap();
    assert_eq!(out, auth_packet(0x19, b'r'));
    w.no_event();

    // The quota comes back: the waiting messages go out, in order.
    assert_eq!(
        w.feed(&ack(PUBACK, 1)),
        [
            publish(0x32, "t", Some(4), &[], b"2"),
            publish(0x30, "t", None, &[], b"0"),
        ]
        .concat()
    );
    w.events.clear();
    let (r, out) = w.call(|s, now| s.disconnect(now, Disconnect::new(ReasonCode::Success)));
    r.unwrap();
    assert_eq!(out, [0xE0, 0x00]);
}

// ---- diagnostics within the server's Maximum Packet Size ----

/// The session's acknowledgements carry neither Reason String nor User
/// Properties, whatever the server's carried: there is no call that could
/// add them (`Session::ack` takes a token only). So they can never be what
/// makes an acknowledgement exceed the server's Maximum Packet Size: with
/// one of 4 bytes every acknowledgement is the 4-byte `xx 02 id id`.
fn tiny(max: u32, auto_ack: bool) -> Client {
    let mut c = v5();
    c.auto_ack = auto_ack;
    Client::connected(c, &maximum_packet_size(max))
}

/// [MQTT-3.4.2-2, 5.0] [MQTT-3.4.2-3, 5.0]: PUBACK, automatic or the
/// application's, is 4 bytes under a Maximum Packet Size of 4.
#[test]
fn mqtt_3_4_2_2_puback_carries_no_reason_string_or_user_property() {
    let mut w = tiny(4, true);
    assert_eq!(
        w.feed(&publish(0x32, "t", Some(1), &DIAGNOSTICS[6..], b"m")),
        ack(PUBACK, 1)
    );
    let mut w = tiny(4, false);
    assert_eq!(w.feed(&publish(0x32, "t", Some(1), &[], b"m")), []);
    let Event::Message(m) = w.event() else {
        panic!("a message")
    };
    let (r, out) = w.call(|s, now| s.ack(now, m.ack.unwrap()));
    r.unwrap();
    assert_eq!(out, ack(PUBACK, 1));
    assert!(w.session.is_connected());
}

/// [MQTT-3.5.2-2, 5.0] [MQTT-3.5.2-3, 5.0]: PUBREC, first and repeated,
/// is 4 bytes under a Maximum Packet Size of 4.
#[test]
fn mqtt_3_5_2_2_pubrec_carries_no_reason_string_or_user_property() {
    let mut w = tiny(4, true);
    assert_eq!(
        w.feed(&publish(0x34, "t", Some(1), &[], b"m")),
        ack(PUBREC, 1)
    );
    assert_eq!(
        w.feed(&publish(0x3C, "t", Some(1), &[], b"m")),
        ack(PUBREC, 1)
    );
    assert!(w.session.is_connected());
}

/// [MQTT-3.6.2-2, 5.0] [MQTT-3.6.2-3, 5.0]: the PUBREL answering a PUBREC
/// that carries a Reason String and a User Property is 4 bytes, under a
/// Maximum Packet Size of 9 (just room for the PUBLISH).
#[test]
fn mqtt_3_6_2_2_pubrel_carries_no_reason_string_or_user_property() {
    let mut w = tiny(9, true);
    let (r, out) = w.call(|s, now| s.publish(now, message("t", "x", QoS::ExactlyOnce)));
    r.unwrap();
    assert_eq!(out, publish(0x34, "t", Some(1), &[], b"x"));
    let pubrec = packet(
        PUBREC,
        &[&[0x00, 0x01, 0x00][..], &props(&DIAGNOSTICS)].concat(),
    );
    assert_eq!(w.feed(&pubrec), ack(PUBREL, 1));
    assert_eq!(w.feed(&ack(PUBCOMP, 1)), []);
    assert!(matches!(w.event(), Event::Published { .. }));
}

/// [MQTT-3.7.2-2, 5.0] [MQTT-3.7.2-3, 5.0]: the PUBCOMP answering a
/// PUBREL that carries a Reason String and a User Property is 4 bytes
/// under a Maximum Packet Size of 4.
#[test]
fn mqtt_3_7_2_2_pubcomp_carries_no_reason_string_or_user_property() {
    let mut w = tiny(4, true);
    assert_eq!(
        w.feed(&publish(0x34, "t", Some(1), &[], b"m")),
        ack(PUBREC, 1)
    );
    let pubrel = packet(
        PUBREL,
        &[&[0x00, 0x01, 0x00][..], &props(&DIAGNOSTICS)].concat(),
    );
    assert_eq!(w.feed(&pubrel), ack(PUBCOMP, 1));
    assert!(w.session.is_connected());
}

/// [MQTT-3.14.2-3, 5.0] [MQTT-3.14.2-4, 5.0]: a DISCONNECT that would
/// exceed the server's Maximum Packet Size goes without its Reason String,
/// and if that is not enough without its User Properties too. Only when
/// what remains still does not fit is the call refused, sending nothing
/// and leaving the connection open.
#[test]
fn mqtt_3_14_2_3_disconnect_sheds_reason_string_then_user_properties() {
    let disconnect = || Disconnect {
        reason: ReasonCode::DisconnectWithWillMessage,
        properties: DisconnectProperties {
            reason_string: reason_string(),
            user_properties: user_properties(),
            ..Default::default()
        }
        .into(),
    };
    let full = [
        &[0xE0, 0x16, 0x04, 0x14, 0x1F, 0x00, 0x0A][..],
        b"0123456789",
        &[0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'v'],
    ]
    .concat();
    let without_reason_string = [
        &[0xE0, 0x09, 0x04, 0x07][..],
        &[0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'v'],
    ]
    .concat();
    for (max, expected) in [
        (24, full),
        (23, without_reason_string.clone()),
        (11, without_reason_string),
        (10, vec![0xE0, 0x01, 0x04]),
        (4, vec![0xE0, 0x01, 0x04]),
    ] {
        let mut w = Client::connected(v5(), &maximum_packet_size(max));
        let (r, out) = w.call(|s, now| s.disconnect(now, disconnect()));
        r.unwrap();
        assert_eq!(out, expected, "Maximum Packet Size {max}");
        assert_eq!(
            w.event(),
            Event::Disconnected(Disconnection::Local {
                reason: ReasonCode::DisconnectWithWillMessage
            })
        );
    }

    // A Session Expiry Interval is no diagnostic: it is never dropped.
    let mut c = v5();
    c.connect.properties.session_expiry_interval = Some(60);
    let mut w = Client::connected(c, &maximum_packet_size(8));
    let mut d = disconnect();
    d.properties.session_expiry_interval = Some(0);
    let (r, out) = w.call(|s, now| s.disconnect(now, d));
    // e0 07 04 05 11 00 00 00 00
    assert_eq!(r, Err(Error::PacketTooLarge { size: 9, max: 8 }));
    assert_eq!(out, []);
    w.no_event();
    assert!(w.session.is_connected());
}

/// [MQTT-3.15.2-2, 5.0] [MQTT-3.15.2-3, 5.0]: the same for AUTH: the
/// Reason String goes first, then the User Properties; the Authentication
/// Method stays, and an AUTH too large even without them is refused, its
/// re-authentication not begun.
#[test]
fn mqtt_3_15_2_2_auth_sheds_reason_string_then_user_properties() {
    let properties = || AuthProperties {
        reason_string: reason_string(),
        user_properties: user_properties(),
        ..Default::default()
    };
    let method = [0x15, 0x00, 0x01, b'X'];
    let full = [
        &[0xF0, 0x1A, 0x19, 0x18][..],
        &method,
        &[0x1F, 0x00, 0x0A],
        b"0123456789",
        &[0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'v'],
    ]
    .concat();
    let without_reason_string = [
        &[0xF0, 0x0D, 0x19, 0x0B][..],
        &method,
        &[0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'v'],
    ]
    .concat();
    let method_only = [&[0xF0, 0x06, 0x19, 0x04][..], &method].concat();
    for (max, expected) in [
        (28, full),
        (27, without_reason_string.clone()),
        (15, without_reason_string),
        (14, method_only.clone()),
        (8, method_only),
    ] {
        let mut w = Client::connected(auth_config(), &maximum_packet_size(max));
        let (r, out) = w.call(|s, now| s.auth(now, ReasonCode::ReAuthenticate, properties()));
        r.unwrap();
        assert_eq!(out, expected, "Maximum Packet Size {max}");
    }

    let mut w = Client::connected(auth_config(), &maximum_packet_size(7));
    let (r, out) = w.call(|s, now| s.auth(now, ReasonCode::ReAuthenticate, properties()));
    assert_eq!(r, Err(Error::PacketTooLarge { size: 8, max: 7 }));
    assert_eq!(out, []);
    // No re-authentication is in progress, so there is nothing to continue.
    let (r, out) = w.call(|s, now| {
        s.auth(
            now,
            ReasonCode::ContinueAuthentication,
            AuthProperties::default(),
        )
    });
    assert!(matches!(r, Err(Error::AuthNotPossible(_))));
    assert_eq!(out, []);
    assert!(w.session.is_connected());
}
