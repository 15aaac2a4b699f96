//! The persistence contract: which store operations each step of a flow
//! produces, a publish a store could not keep taken back, a session
//! resumed from a store, and a resumed session the client knows nothing of.

use mqtt_proto::{MqttString, PacketId, ProtocolVersion, QoS, TopicName};
use mqtt_session::{
    CleanStart, Disconnection, DurableState, Error, Event, MessageId, OutboundMessage, Session,
    SessionConfig, StoreOp, UnknownSessionPolicy, WallClock,
};
use std::time::Instant;

fn config(version: ProtocolVersion) -> SessionConfig {
    let mut c = SessionConfig::new(version, MqttString::new("dur").unwrap());
    c.durable = true;
    c.clean_start = CleanStart::Never;
    c.connect.keep_alive = 0;
    c
}

fn connack(version: ProtocolVersion, session_present: bool) -> Vec<u8> {
    if version.is_v5() {
        vec![0x20, 0x03, session_present as u8, 0x00, 0x00]
    } else {
        vec![0x20, 0x02, session_present as u8, 0x00]
    }
}

fn ops(session: &mut Session) -> Vec<StoreOp> {
    std::iter::from_fn(|| session.poll_store_op()).collect()
}

fn pid(n: u16) -> PacketId {
    PacketId::new(n).unwrap()
}

fn connected(version: ProtocolVersion) -> (Session, Instant) {
    let mut s = Session::new(config(version));
    let now = Instant::now();
    s.connect(now).unwrap();
    s.poll_transmit().unwrap();
    s.handle_input(now, &connack(version, false));
    // Recorded before the CONNECT leaves, then confirmed by the CONNACK.
    assert_eq!(
        ops(&mut s),
        [
            StoreOp::Resuming(true),
            StoreOp::Connected {
                assigned_client_id: None
            }
        ]
    );
    while s.poll_event().is_some() {}
    (s, now)
}

fn message(qos: QoS) -> OutboundMessage {
    OutboundMessage::new(TopicName::new("t").unwrap(), "m").qos(qos)
}

#[test]
fn a_stored_publish_waits_for_its_host_and_each_step_is_recorded() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let (mut s, now) = connected(version);
        let id = s.publish(now, message(QoS::ExactlyOnce)).unwrap();
        // Nothing leaves before the host stored the message.
        assert_eq!(s.poll_transmit(), None);
        let accepted = ops(&mut s);
        assert!(matches!(&accepted[..], [StoreOp::Accepted { id: a, .. }] if *a == id));
        s.send_queued(now);
        assert_eq!(
            ops(&mut s),
            [StoreOp::Sent {
                id,
                packet_id: pid(1)
            }]
        );
        assert_eq!(s.poll_transmit().unwrap()[0], 0x34);
        s.handle_input(now, &[0x50, 0x02, 0x00, 0x01]); // PUBREC
        assert_eq!(ops(&mut s), [StoreOp::Received { id }]);
        assert_eq!(s.poll_transmit().unwrap()[..], [0x62, 0x02, 0x00, 0x01]);
        s.handle_input(now, &[0x70, 0x02, 0x00, 0x01]); // PUBCOMP
        assert_eq!(ops(&mut s), [StoreOp::Finished { id }]);
        // QoS 0 is not stored and goes out at once.
        s.publish(now, message(QoS::AtMostOnce)).unwrap();
        assert_eq!(ops(&mut s), []);
        assert_eq!(s.poll_transmit().unwrap()[0], 0x30, "{version}");
    }
}

#[test]
fn an_inbound_qos_2_identifier_is_recorded_with_its_pubrec_and_released_with_pubrel() {
    for manual in [false, true] {
        let mut c = config(ProtocolVersion::V5);
        c.auto_ack = !manual;
        let mut s = Session::new(c);
        let now = Instant::now();
        s.connect(now).unwrap();
        s.handle_input(now, &connack(ProtocolVersion::V5, false));
        ops(&mut s);
        while s.poll_event().is_some() {}
        s.poll_transmit();
        // PUBLISH QoS 2, topic "t", id 5, no properties, "x".
        s.handle_input(now, &[0x34, 0x07, 0x00, 0x01, b't', 0x00, 0x05, 0x00, b'x']);
        let token = match s.poll_event() {
            Some(Event::Message(m)) => m.ack,
            other => panic!("{other:?}"),
        };
        if manual {
            // Not before the application acknowledged it: a restart before
            // that must get the message again.
            assert_eq!(ops(&mut s), []);
            assert_eq!(s.poll_transmit(), None);
            s.ack(now, token.unwrap()).unwrap();
        }
        assert_eq!(
            ops(&mut s),
            [StoreOp::InboundReceived { packet_id: pid(5) }]
        );
        assert_eq!(s.poll_transmit().unwrap()[..], [0x50, 0x02, 0x00, 0x05]);
        s.handle_input(now, &[0x62, 0x02, 0x00, 0x05]); // PUBREL
        assert_eq!(
            ops(&mut s),
            [StoreOp::InboundReleased { packet_id: pid(5) }]
        );
    }
}

#[test]
fn a_message_the_store_could_not_keep_is_withdrawn_unsent() {
    let (mut s, now) = connected(ProtocolVersion::V5);
    let id = s.publish(now, message(QoS::AtLeastOnce)).unwrap();
    ops(&mut s);
    assert_eq!(s.withdraw(id).unwrap(), message(QoS::AtLeastOnce));
    s.send_queued(now);
    assert_eq!(s.poll_transmit(), None);
    assert_eq!(
        s.poll_event(),
        None,
        "a withdrawn message has no completion"
    );
    assert_eq!(s.withdraw(id), Err(Error::NotQueued(id.0)));
    // The next message takes packet identifier 1: nothing was used.
    let next = s.publish(now, message(QoS::AtLeastOnce)).unwrap();
    ops(&mut s);
    s.send_queued(now);
    assert_eq!(
        ops(&mut s),
        [StoreOp::Sent {
            id: next,
            packet_id: pid(1)
        }]
    );
}

#[test]
fn a_session_resumes_from_its_store_and_resends_with_the_same_identifiers() {
    let (mut s, now) = connected(ProtocolVersion::V3_1_1);
    let clock = WallClock::system(now);
    let mut store = DurableState::new("dur");
    store.apply(
        &StoreOp::Connected {
            assigned_client_id: None,
        },
        clock,
    );
    let first = s.publish(now, message(QoS::AtLeastOnce)).unwrap();
    let second = s.publish(now, message(QoS::ExactlyOnce)).unwrap();
    s.send_queued(now);
    for op in ops(&mut s) {
        store.apply(&op, clock);
    }
    drop(s); // killed

    let mut resumed = Session::from_stored(config(ProtocolVersion::V3_1_1), &store, clock).unwrap();
    assert_eq!(resumed.packet_id_of(first), Some(pid(1)));
    assert_eq!(resumed.packet_id_of(second), Some(pid(2)));
    resumed.connect(now).unwrap();
    resumed.poll_transmit();
    resumed.handle_input(now, &connack(ProtocolVersion::V3_1_1, true));
    // Both resent with DUP and their identifiers [MQTT-4.4.0-1, 3.1.1].
    let bytes = resumed.poll_transmit().unwrap();
    assert_eq!(bytes[0], 0x3a);
    assert_eq!(&bytes[5..7], [0x00, 0x01]);
    assert_eq!(bytes[8], 0x3c);
    assert_eq!(&bytes[13..15], [0x00, 0x02]);
    // New messages continue after them.
    let third = resumed.publish(now, message(QoS::AtLeastOnce)).unwrap();
    ops(&mut resumed);
    resumed.send_queued(now);
    assert_eq!(resumed.packet_id_of(third), Some(pid(3)));
    assert_eq!(third, MessageId(3));
}

#[test]
fn a_store_of_another_client_is_refused() {
    let store = DurableState::new("someone-else");
    let e = Session::from_stored(
        config(ProtocolVersion::V5),
        &store,
        WallClock::system(Instant::now()),
    )
    .unwrap_err();
    assert_eq!(
        e,
        Error::StoredClientIdMismatch {
            stored: "someone-else".into(),
            configured: "dur".into()
        }
    );
}

/// 5.0: a client without session state that gets Session Present 1 closes
/// the connection [MQTT-3.2.2-4, 5.0], here with a normal DISCONNECT.
#[test]
fn mqtt_3_2_2_4_an_unknown_session_closes_the_connection_in_5_0() {
    let mut s = Session::new(config(ProtocolVersion::V5));
    let now = Instant::now();
    s.connect(now).unwrap();
    s.poll_transmit();
    s.handle_input(now, &connack(ProtocolVersion::V5, true));
    assert_eq!(s.poll_transmit().unwrap()[..], [0xe0, 0x00]);
    assert_eq!(
        s.poll_event(),
        Some(Event::Disconnected(Disconnection::SessionStateUnknown))
    );
    assert!(!s.has_connection());
    assert!(!s.state().has_connected);
    // The store forgets the attempt: the session is not this client's.
    assert_eq!(
        ops(&mut s),
        [StoreOp::Resuming(true), StoreOp::Resuming(false)]
    );
}

#[test]
fn an_adopted_session_releases_every_identifier_before_anything_new() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut c = config(version);
        c.unknown_session = UnknownSessionPolicy::Adopt;
        let mut s = Session::new(c);
        let now = Instant::now();
        s.connect(now).unwrap();
        s.poll_transmit();
        s.handle_input(now, &connack(version, true));
        assert!(matches!(
            s.poll_event(),
            Some(Event::Connected {
                session_present: true,
                ..
            })
        ));
        assert_eq!(s.poll_event(), Some(Event::SessionAdopted));
        // A PUBREL for each of 1..=65535, in order.
        let bytes = s.poll_transmit().unwrap();
        assert_eq!(bytes.len(), 65_535 * 4);
        for (i, pubrel) in bytes.chunks(4).enumerate() {
            let id = (i + 1) as u16;
            assert_eq!(pubrel, [0x62, 0x02, (id >> 8) as u8, id as u8]);
        }
        // A QoS 2 message published meanwhile goes out after them, with
        // identifier 1: the PUBREL for 1 reaches the server first.
        let id = s.publish(now, message(QoS::ExactlyOnce)).unwrap();
        ops(&mut s);
        s.send_queued(now);
        ops(&mut s);
        assert_eq!(
            s.poll_transmit().unwrap()[..7],
            [
                0x34,
                0x06 + (version.is_v5() as u8),
                0x00,
                0x01,
                b't',
                0x00,
                0x01
            ]
        );
        assert_eq!(s.packet_id_of(id), Some(pid(1)));
        // The PUBCOMPs answer the sweep, in order, before the message's PUBREC.
        let mut pubcomps = Vec::new();
        for id in 1..=65_535u16 {
            pubcomps.extend_from_slice(&[0x70, 0x02, (id >> 8) as u8, id as u8]);
        }
        s.handle_input(now, &pubcomps[..pubcomps.len() - 4]);
        assert!(
            s.is_connected(),
            "{version}: no PUBCOMP taken for the message's"
        );
        assert!(!s.state().has_connected, "not known until the sweep ends");
        assert_eq!(ops(&mut s), []);
        s.handle_input(now, &pubcomps[pubcomps.len() - 4..]);
        assert!(s.state().has_connected);
        assert_eq!(
            ops(&mut s),
            [StoreOp::Connected {
                assigned_client_id: None
            }]
        );
        // The message's own flow then runs as usual.
        s.handle_input(now, &[0x50, 0x02, 0x00, 0x01]);
        assert_eq!(s.poll_transmit().unwrap()[..], [0x62, 0x02, 0x00, 0x01]);
    }
}

#[test]
fn an_adopted_session_leaves_the_identifiers_it_holds_to_their_own_resends() {
    // A restart mid-sweep: the store holds a message sent during it.
    let now = Instant::now();
    let clock = WallClock::system(now);
    let mut store = DurableState::new("dur");
    store.apply(
        &StoreOp::Accepted {
            id: MessageId(1),
            message: message(QoS::ExactlyOnce),
            accepted_at: now,
        },
        clock,
    );
    store.apply(
        &StoreOp::Sent {
            id: MessageId(1),
            packet_id: pid(2),
        },
        clock,
    );
    let mut c = config(ProtocolVersion::V3_1_1);
    c.unknown_session = UnknownSessionPolicy::Adopt;
    let mut s = Session::from_stored(c, &store, clock).unwrap();
    s.connect(now).unwrap();
    s.poll_transmit();
    s.handle_input(now, &connack(ProtocolVersion::V3_1_1, true));
    let bytes = s.poll_transmit().unwrap();
    // 65,534 PUBRELs (all but 2), then the message's DUP resend with 2.
    assert_eq!(
        &bytes[..8],
        [0x62, 0x02, 0x00, 0x01, 0x62, 0x02, 0x00, 0x03]
    );
    let sweep = 65_534 * 4;
    assert_eq!(bytes[sweep], 0x3c);
    assert_eq!(&bytes[sweep + 5..sweep + 7], [0x00, 0x02]);
}

/// Killed after its first resuming CONNECT left and before the CONNACK
/// was stored: the session the broker reports is the client's own, so
/// even under Close it is taken over (safely), not refused.
#[test]
fn a_session_created_by_a_killed_run_is_taken_over_not_refused() {
    let now = Instant::now();
    let clock = WallClock::system(now);
    let mut first = Session::new(config(ProtocolVersion::V5));
    first.connect(now).unwrap();
    let mut store = DurableState::new("dur");
    for op in ops(&mut first) {
        store.apply(&op, clock);
    }
    drop(first); // killed; the broker made the session

    let mut s = Session::from_stored(config(ProtocolVersion::V5), &store, clock).unwrap();
    assert!(s.state().resume_unconfirmed);
    s.connect(now).unwrap();
    s.poll_transmit();
    s.handle_input(now, &connack(ProtocolVersion::V5, true));
    assert!(s.is_connected());
    let events: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
    assert!(events.contains(&Event::SessionAdopted), "{events:?}");
    assert_eq!(s.poll_transmit().unwrap().len(), 65_535 * 4);
}
