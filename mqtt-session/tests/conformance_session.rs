//! Conformance: the session across connections (CONNECT first, clean and
//! resumed sessions, the client identifier, session state while connected),
//! the end of a connection after DISCONNECT, and connections closed for a
//! protocol violation or a packet the client cannot take in.
//!
//! Each test names the statements it proves with their version, runs a
//! session of each version it names (3.1 too where it shares the rule),
//! and compares the exact bytes the session writes with packets laid out
//! by hand (`common::wire`).

mod common;
use bytes::Bytes;
use common::wire::*;
use common::{ack, config, filter, message, pid};
use core::time::Duration;
use mqtt_proto::*;
use mqtt_session::*;

fn resumable(v: ProtocolVersion) -> SessionConfig {
    let mut c = config(v);
    c.clean_start = CleanStart::Never;
    c
}

fn incoming(qos: u8, id: u16, payload: &'static str, dup: bool) -> Publish {
    let mut p = Publish::new(
        TopicName::new("in").unwrap(),
        Bytes::from_static(payload.as_bytes()),
    );
    p.delivery = match qos {
        0 => Delivery::AtMostOnce,
        q => Delivery::with_id(QoS::from_u8(q).unwrap(), pid(id)),
    };
    p.dup = dup;
    p
}

fn token_of(e: Event) -> AckToken {
    match e {
        Event::Message(m) => m.ack.expect("manual ack"),
        other => panic!("expected a message, got {other:?}"),
    }
}

fn publish(w: &mut Wire, topic: &str, payload: &'static str, qos: QoS) -> MessageId {
    w.act(|s, now| s.publish(now, message(topic, payload, qos)))
        .expect("publish")
}

/// What a session holds mid-way, built on an open connection of a session
/// in manual-ack mode: outbound QoS 1 "a" (identifier 1) unacknowledged,
/// outbound QoS 2 "b" (identifier 2) released and awaiting PUBCOMP, an
/// inbound QoS 2 message (identifier 9) awaiting PUBREL, an inbound QoS 1
/// message (identifier 10) awaiting the application's acknowledgement,
/// whose token is returned with the ids of "a" and "b".
fn hold_state(w: &mut Wire) -> (AckToken, MessageId, MessageId) {
    let v = w.version();
    let a = publish(w, "a", "1", QoS::AtLeastOnce);
    let b = publish(w, "b", "2", QoS::ExactlyOnce);
    w.send(Packet::PubRec(ack(2)));
    w.send(incoming(2, 9, "q2", false));
    let t9 = token_of(w.event());
    w.act(|s, now| s.ack(now, t9)).unwrap();
    w.send(incoming(1, 10, "q1", false));
    let t10 = token_of(w.event());
    w.expect(&[
        new_publish(v, 1, 1, "a", "1"),
        new_publish(v, 2, 2, "b", "2"),
        pubrel(2),
        pubrec(9),
    ]);
    w.expect_no_event();
    (t10, a, b)
}

/// After a connection that does not continue the session (clean start,
/// or Session Present 0), none of the state `hold_state` built is used:
/// nothing is resent as a duplicate, no PUBREL goes out, identifier 9 is a
/// new message, and the old acknowledgement token is unknown.
fn check_nothing_reused(
    w: &mut Wire,
    policy: SessionLostPolicy,
    (t10, a, b): (AckToken, MessageId, MessageId),
) {
    let v = w.version();
    let delivered_b = Event::Published {
        id: b,
        packet_id: Some(pid(2)),
        qos: QoS::ExactlyOnce,
        reason: ReasonCode::Success,
        properties: Default::default(),
    };
    match policy {
        SessionLostPolicy::Fail => {
            assert_eq!(
                w.events(),
                [
                    Event::PublishFailed {
                        id: a,
                        failure: PublishFailure::SessionLost
                    },
                    delivered_b
                ]
            );
            w.expect_nothing();
        }
        SessionLostPolicy::Republish => {
            assert_eq!(w.events(), [Event::Republished { id: a }, delivered_b]);
            // A new message of the new session: a new identifier, DUP 0.
            w.expect(&[new_publish(v, 1, 3, "a", "1")]);
        }
    }
    let state = w.session.state();
    assert!(state.awaiting_pubrel.is_empty() && state.pending_acks.is_empty());
    assert_eq!(w.act(|s, now| s.ack(now, t10)), Err(Error::UnknownAckToken));
    w.expect_nothing();
    w.send(incoming(2, 9, "q2", true));
    let t9 = token_of(w.event());
    w.act(|s, now| s.ack(now, t9)).unwrap();
    w.expect(&[pubrec(9)]);
}

/// Before CONNECT the session writes nothing: commands made without a
/// connection wait or are refused, an acknowledgement given meanwhile
/// waits; on every new transport CONNECT is the first packet, alone until
/// CONNACK, and only then do resends, acknowledgements and queued messages
/// follow. [MQTT-3.1.0-1, 3.1.1, 5.0]
#[test]
fn connect_is_the_first_packet_of_every_connection() {
    for v in ALL_VERSIONS {
        let mut c = resumable(v);
        c.auto_ack = false;
        c.connect.keep_alive = 10;
        let mut w = Wire::new(c);
        publish(&mut w, "q", "0", QoS::AtMostOnce);
        publish(&mut w, "a", "1", QoS::AtLeastOnce);
        let subscribe = w.act(|s, now| {
            s.subscribe(
                now,
                vec![Subscription::new(filter("f"), QoS::AtMostOnce)],
                Default::default(),
            )
        });
        assert_eq!(subscribe, Err(Error::NotConnected));
        assert_eq!(
            w.act(|s, now| s.disconnect(now, Disconnect::default())),
            Err(Error::NotConnected)
        );
        assert_eq!(w.session.poll_timeout(), None);
        w.advance(Duration::from_secs(60));
        w.expect_nothing();

        let connect = w.open();
        assert_eq!(connect[0], 0x10);
        assert_eq!(connect.len(), 2 + usize::from(connect[1]), "CONNECT alone");
        w.advance(Duration::from_secs(5));
        w.expect_nothing();
        w.accept(false);
        w.expect(&[
            publish_bytes(v, false, 0, 0, "q", "0"),
            new_publish(v, 1, 1, "a", "1"),
        ]);
        w.events();

        w.send(incoming(1, 5, "in", false));
        let token = token_of(w.event());
        w.drop_transport();
        w.act(|s, now| s.ack(now, token)).unwrap();
        publish(&mut w, "b", "2", QoS::AtLeastOnce);
        w.expect_nothing();
        let connect = w.open();
        assert_eq!(connect.len(), 2 + usize::from(connect[1]), "CONNECT alone");
        assert!(!clean_flag(&connect));
        w.accept(true);
        w.expect(&[
            dup_publish(v, 1, 1, "a", "1"),
            puback(5),
            new_publish(v, 1, 2, "b", "2"),
        ]);
    }
}

/// A session that asked not to start clean (3.x clean session 0; 5.0 Clean
/// Start 0 with a Session Expiry Interval) keeps its state after the
/// connection ended, here with our own DISCONNECT, and through a restart
/// from a snapshot: resumed, every exchange continues where it stood.
/// [MQTT-3.1.2-4, 3.1.1] [MQTT-3.1.2-23, 5.0]
#[test]
fn a_resumable_session_outlives_its_connection() {
    for v in ALL_VERSIONS {
        let mut c = resumable(v);
        c.auto_ack = false;
        if v.is_v5() {
            c.connect.properties.session_expiry_interval = Some(3600);
        }
        let mut w = Wire::new(c.clone());
        let connect = w.connect(false);
        assert!(!clean_flag(&connect));
        let (t10, a, b) = hold_state(&mut w);
        let before = w.session.snapshot();
        w.act(|s, now| s.disconnect(now, Disconnect::default()))
            .unwrap();
        w.expect(&[disconnect_bytes()]);
        assert_eq!(
            w.event(),
            Event::Disconnected(Disconnection::Local {
                reason: ReasonCode::Success
            })
        );
        let kept = w.session.snapshot();
        assert_eq!(kept, before);

        // A new process restores the session and resumes it.
        let mut w = Wire::with_state(c, kept);
        let connect = w.connect(true);
        assert!(!clean_flag(&connect));
        w.expect(&[pubrel(2), dup_publish(v, 1, 1, "a", "1")]);
        w.send(incoming(2, 9, "q2", true));
        w.expect(&[pubrec(9)]);
        w.expect_no_event();
        w.send(Packet::PubRel(ack(9)));
        w.expect(&[pubcomp(9)]);
        w.act(|s, now| s.ack(now, t10)).unwrap();
        w.expect(&[puback(10)]);
        w.send(Packet::PubAck(ack(1)));
        w.send(Packet::PubComp(ack(2)));
        let done: Vec<_> = w
            .events()
            .into_iter()
            .map(|e| match e {
                Event::Published { id, .. } => id,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(done, [a, b]);
        assert!(w.session.state().is_idle());
    }
}

/// A connection with clean session (3.x) or Clean Start (5.0) 1 starts a
/// new session: the state of the previous one is discarded and none of it
/// is used again, whichever way unfinished messages are handled.
/// [MQTT-3.1.2-6, 3.1.1] [MQTT-3.1.2-4, 5.0]
#[test]
fn a_clean_start_discards_the_previous_session() {
    for v in ALL_VERSIONS {
        for policy in [SessionLostPolicy::Fail, SessionLostPolicy::Republish] {
            let mut c = config(v);
            c.clean_start = CleanStart::Always;
            c.auto_ack = false;
            c.session_lost = policy;
            let mut w = Wire::new(c);
            assert!(clean_flag(&w.connect(false)));
            let held = hold_state(&mut w);
            w.drop_transport();
            assert!(clean_flag(&w.connect(false)));
            check_nothing_reused(&mut w, policy, held);
        }
    }
}

/// A client that holds session state and asked to resume it, but is told
/// Session Present 0, goes on with the connection only after discarding
/// that state. [MQTT-3.2.2-5, 5.0]
#[test]
fn session_present_0_makes_the_client_discard_its_state() {
    for v in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        for policy in [SessionLostPolicy::Fail, SessionLostPolicy::Republish] {
            let mut c = resumable(v);
            c.auto_ack = false;
            c.session_lost = policy;
            let mut w = online(c);
            let held = hold_state(&mut w);
            w.drop_transport();
            assert!(!clean_flag(&w.connect(false)));
            check_nothing_reused(&mut w, policy, held);
        }
    }
}

/// The session state is kept for as long as the connection lasts, also a
/// session that lasts no longer than it (clean session / Clean Start 1):
/// two hours with nothing but keep-alive pings change nothing, and every
/// exchange then finishes where it stood.
/// [MQTT-4.1.0-1, 3.1.1, 5.0] [MQTT-4.1.0-2, 3.1.1]
#[test]
fn session_state_is_kept_while_the_connection_lasts() {
    for v in ALL_VERSIONS {
        let mut c = config(v);
        c.clean_start = CleanStart::Always;
        c.auto_ack = false;
        c.connect.keep_alive = 60;
        let mut w = online(c);
        let (t10, a, b) = hold_state(&mut w);
        let before = w.session.snapshot();
        for _ in 0..120 {
            w.advance(Duration::from_secs(60));
            w.expect(&[pingreq()]);
            w.send(Packet::PingResp);
        }
        w.expect_no_event();
        assert_eq!(w.session.snapshot(), before);
        w.send(incoming(2, 9, "q2", true));
        w.expect(&[pubrec(9)]);
        w.expect_no_event();
        w.send(Packet::PubRel(ack(9)));
        w.expect(&[pubcomp(9)]);
        w.act(|s, now| s.ack(now, t10)).unwrap();
        w.expect(&[puback(10)]);
        w.send(Packet::PubAck(ack(1)));
        w.send(Packet::PubComp(ack(2)));
        let done: Vec<_> = w
            .events()
            .into_iter()
            .map(|e| match e {
                Event::Published { id, .. } => id,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(done, [a, b]);
        assert!(w.session.state().is_idle());
    }
}

/// The client identifier names the session state on both sides: every
/// CONNECT of a session carries the same one (the configured one, or in
/// 5.0 the one the server assigned), also after a restart from a snapshot,
/// and the state it resumes is the one kept under it.
/// [MQTT-3.1.3-2, 3.1.1, 5.0]
#[test]
fn every_connect_of_a_session_carries_its_client_identifier() {
    for v in ALL_VERSIONS {
        let c = resumable(v);
        let mut w = Wire::new(c.clone());
        assert_eq!(client_id_of(&w.connect(false), v), "client-1");
        publish(&mut w, "a", "1", QoS::AtLeastOnce);
        w.expect(&[new_publish(v, 1, 1, "a", "1")]);
        w.drop_transport();
        assert_eq!(client_id_of(&w.connect(true), v), "client-1");
        w.expect(&[dup_publish(v, 1, 1, "a", "1")]);
        let mut w = Wire::with_state(c, w.session.snapshot());
        assert_eq!(client_id_of(&w.connect(true), v), "client-1");
        w.expect(&[dup_publish(v, 1, 1, "a", "1")]);
    }
    // 5.0: the identifier the server assigned.
    let v = ProtocolVersion::V5;
    let mut c = resumable(v);
    c.connect.client_id = MqttString::default();
    let mut w = Wire::new(c.clone());
    assert_eq!(client_id_of(&w.open(), v), "");
    w.send(ConnAck {
        properties: ConnAckProperties {
            assigned_client_identifier: Some(MqttString::new("auto-7").unwrap()),
            ..Default::default()
        },
        ..ConnAck::default()
    });
    assert!(matches!(w.event(), Event::Connected { .. }));
    publish(&mut w, "a", "1", QoS::AtLeastOnce);
    w.expect(&[new_publish(v, 1, 1, "a", "1")]);
    w.drop_transport();
    assert_eq!(client_id_of(&w.connect(true), v), "auto-7");
    w.expect(&[dup_publish(v, 1, 1, "a", "1")]);
    let mut w = Wire::with_state(c, w.session.snapshot());
    assert_eq!(client_id_of(&w.connect(true), v), "auto-7");
    w.expect(&[dup_publish(v, 1, 1, "a", "1")]);
}

/// After its DISCONNECT the session writes nothing more on that
/// connection: it reports the end (the adapter's cue to close the
/// transport, see mqtt-client's conformance_disconnect), runs no timer,
/// ignores what the server still sends, and commands either wait for the
/// next connection or are refused. [MQTT-3.14.4-2, 3.1.1] [MQTT-3.14.4-1, 5.0]
#[test]
fn nothing_is_written_after_disconnect() {
    for v in ALL_VERSIONS {
        let mut c = resumable(v);
        c.auto_ack = false;
        c.connect.keep_alive = 10;
        let mut w = online(c);
        publish(&mut w, "a", "1", QoS::AtLeastOnce);
        w.send(incoming(1, 5, "in", false));
        let token = token_of(w.event());
        w.expect(&[new_publish(v, 1, 1, "a", "1")]);
        w.act(|s, now| s.disconnect(now, Disconnect::default()))
            .unwrap();
        w.expect(&[disconnect_bytes()]);
        assert_eq!(
            w.event(),
            Event::Disconnected(Disconnection::Local {
                reason: ReasonCode::Success
            })
        );
        assert!(!w.session.has_connection());
        assert_eq!(w.session.poll_timeout(), None);

        publish(&mut w, "b", "2", QoS::AtMostOnce);
        publish(&mut w, "c", "3", QoS::AtLeastOnce);
        w.act(|s, now| s.ack(now, token)).unwrap();
        let subscribe = w.act(|s, now| {
            s.subscribe(
                now,
                vec![Subscription::new(filter("f"), QoS::AtMostOnce)],
                Default::default(),
            )
        });
        assert_eq!(subscribe, Err(Error::NotConnected));
        let unsubscribe = w.act(|s, now| s.unsubscribe(now, vec![filter("f")], Default::default()));
        assert_eq!(unsubscribe, Err(Error::NotConnected));
        assert_eq!(
            w.act(|s, now| s.disconnect(now, Disconnect::default())),
            Err(Error::NotConnected)
        );
        if v.is_v5() {
            let auth = w.act(|s, now| s.auth(now, ReasonCode::ReAuthenticate, Default::default()));
            assert_eq!(auth, Err(Error::NotConnected));
        }
        w.send(Packet::PubAck(ack(1)));
        w.send(incoming(1, 6, "late", false));
        w.send(incoming(2, 7, "late", false));
        w.send(Packet::PingResp);
        w.advance(Duration::from_secs(3600));
        w.expect_nothing();
        w.expect_no_event();
        // What waits is for the next connection of the session.
        assert_eq!(w.session.state().inflight.len(), 1);
        assert_eq!(w.session.state().queue.len(), 2);
    }
}

/// A 3.x client that receives a packet breaking the protocol closes the
/// connection: it ends it at once, writing nothing (3.x has no DISCONNECT
/// for this), reports the end (the adapter's cue to close the transport),
/// and ignores whatever else arrives on it. [MQTT-4.8.0-1, 3.1.1]
#[test]
fn a_protocol_violation_closes_the_connection() {
    let violations: [(&str, &[u8]); 7] = [
        ("PINGREQ from a server", &[0xC0, 0x00]),
        (
            "SUBSCRIBE from a server",
            &[0x82, 0x06, 0x00, 0x01, 0x00, 0x01, b'a', 0x00],
        ),
        ("a second CONNACK", &[0x20, 0x02, 0x00, 0x00]),
        (
            "a wildcard in a PUBLISH topic",
            &[0x30, 0x03, 0x00, 0x01, b'#'],
        ),
        ("PUBACK for a QoS 2 message", &[0x40, 0x02, 0x00, 0x01]),
        ("SUBACK nobody asked for", &[0x90, 0x03, 0x00, 0x07, 0x00]),
        ("PUBREL with flags 0000", &[0x60, 0x02, 0x00, 0x01]),
    ];
    for v in [ProtocolVersion::V3_1, ProtocolVersion::V3_1_1] {
        for (what, bytes) in violations {
            let mut w = online(config(v));
            publish(&mut w, "a", "1", QoS::ExactlyOnce);
            w.expect(&[new_publish(v, 2, 1, "a", "1")]);
            w.send_bytes(bytes);
            w.expect_nothing();
            assert!(
                matches!(
                    w.event(),
                    Event::Disconnected(Disconnection::ProtocolError(_))
                ),
                "{what}"
            );
            assert!(!w.session.has_connection(), "{what}");
            w.send(incoming(1, 3, "after", false));
            w.send(Packet::PingResp);
            w.expect_nothing();
            w.expect_no_event();
        }
    }
}

/// A transient error, for this client, is an inbound packet it cannot take
/// in for want of resources: one larger than the buffer limit it keeps
/// (`max_incoming_packet_size`). The connection on which it came is
/// closed at its fixed header, nothing of it buffered, and nothing else
/// is lost: the session goes on over the next connection.
/// [MQTT-4.8.0-2, 3.1.1]
#[test]
fn a_packet_beyond_the_buffer_limit_closes_its_connection_only() {
    for v in [ProtocolVersion::V3_1, ProtocolVersion::V3_1_1] {
        let mut c = resumable(v);
        c.max_incoming_packet_size = 1024;
        let mut w = online(c);
        publish(&mut w, "a", "1", QoS::AtLeastOnce);
        w.expect(&[new_publish(v, 1, 1, "a", "1")]);
        // A PUBLISH whose Remaining Length is 1,997 (0xCD 0x0F).
        w.send_bytes(&[0x30, 0xCD, 0x0F]);
        w.expect_nothing();
        assert!(matches!(
            w.event(),
            Event::Disconnected(Disconnection::ProtocolError(ProtocolError::Decode(
                DecodeError::PacketTooLarge { .. }
            )))
        ));
        assert!(!w.session.has_connection());
        w.send_bytes(&[0u8; 1997]);
        w.expect_nothing();
        w.expect_no_event();
        w.connect(true);
        w.expect(&[dup_publish(v, 1, 1, "a", "1")]);
    }
}
