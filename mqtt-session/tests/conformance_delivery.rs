//! Conformance: the QoS 0, 1 and 2 exchanges from both ends, packet
//! identifiers, the DUP flag, resending and the order of acknowledgements.
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

/// A session that asks to resume its session on every connection.
fn resumable(v: ProtocolVersion) -> SessionConfig {
    let mut c = config(v);
    c.clean_start = CleanStart::Never;
    c
}

fn publish(w: &mut Wire, topic: &str, payload: &'static str, qos: QoS) -> MessageId {
    w.act(|s, now| s.publish(now, message(topic, payload, qos)))
        .expect("publish")
}

/// A PUBLISH from the broker.
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

fn delivered(e: Event) -> InboundMessage {
    match e {
        Event::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

/// The id, packet identifier and QoS of a Published event.
fn published(e: Event) -> (MessageId, Option<PacketId>, QoS) {
    match e {
        Event::Published {
            id,
            packet_id,
            qos,
            reason,
            ..
        } => {
            assert!(!reason.is_error(), "{reason:?}");
            (id, packet_id, qos)
        }
        other => panic!("expected Published, got {other:?}"),
    }
}

fn resume(w: &mut Wire) {
    w.drop_transport();
    let connect = w.connect(true);
    assert!(!clean_flag(&connect), "the session is resumed");
}

/// A QoS 0 PUBLISH goes out with QoS 0 and DUP 0, also when it waited for
/// the connection, and is never sent again. [MQTT-4.3.1-1, 3.1.1, 5.0]
#[test]
fn qos_0_goes_out_once_with_qos_0_and_dup_0() {
    for v in ALL_VERSIONS {
        let mut w = online(resumable(v));
        let a = publish(&mut w, "a", "1", QoS::AtMostOnce);
        w.expect(&[publish_bytes(v, false, 0, 0, "a", "1")]);
        assert_eq!(published(w.event()), (a, None, QoS::AtMostOnce));
        w.drop_transport();
        let b = publish(&mut w, "b", "2", QoS::AtMostOnce);
        w.expect_nothing();
        w.connect(true);
        // Only the message that waited; the one already sent is not resent.
        w.expect(&[publish_bytes(v, false, 0, 0, "b", "2")]);
        assert_eq!(published(w.event()), (b, None, QoS::AtMostOnce));
        resume(&mut w);
        w.expect_nothing();
    }
}

/// A QoS 1 sender gives each new message an unused packet identifier,
/// sends it with QoS 1 and DUP 0,
/// and holds it as unacknowledged until its PUBACK: resent on every resumed
/// connection until then, never after.
/// [MQTT-4.3.2-1, 3.1.1, 5.0] [MQTT-4.3.2-2, 5.0] [MQTT-4.3.2-3, 5.0]
#[test]
fn qos_1_sender_unused_identifier_dup_0_unacknowledged_until_puback() {
    for v in ALL_VERSIONS {
        let mut w = online(resumable(v));
        let a = publish(&mut w, "a", "1", QoS::AtLeastOnce);
        let b = publish(&mut w, "b", "2", QoS::AtLeastOnce);
        w.expect(&[
            new_publish(v, 1, 1, "a", "1"),
            new_publish(v, 1, 2, "b", "2"),
        ]);
        w.expect_no_event();
        // An hour without PUBACK: still unacknowledged, and not retransmitted
        // on the open connection.
        w.advance(Duration::from_secs(3600));
        w.expect_nothing();
        w.expect_no_event();
        resume(&mut w);
        w.expect(&[
            dup_publish(v, 1, 1, "a", "1"),
            dup_publish(v, 1, 2, "b", "2"),
        ]);
        w.send(Packet::PubAck(ack(2)));
        assert_eq!(published(w.event()), (b, Some(pid(2)), QoS::AtLeastOnce));
        w.expect_nothing();
        resume(&mut w);
        w.expect(&[dup_publish(v, 1, 1, "a", "1")]);
        w.send(Packet::PubAck(ack(1)));
        assert_eq!(published(w.event()), (a, Some(pid(1)), QoS::AtLeastOnce));
        resume(&mut w);
        w.expect_nothing();
        // The next new message takes the next unused identifier, DUP 0.
        publish(&mut w, "c", "3", QoS::AtLeastOnce);
        w.expect(&[new_publish(v, 1, 3, "c", "3")]);
        assert!(w.session.state().inflight.len() == 1);
    }
}

/// A QoS 1 receiver answers with a PUBACK carrying the PUBLISH's packet
/// identifier once it owns the message (at once, or when the application
/// acknowledges it), and after that PUBACK takes a PUBLISH with the same
/// identifier, DUP or not, as a new message.
/// [MQTT-4.3.2-2, 3.1.1] [MQTT-4.3.2-4, 5.0] [MQTT-4.3.2-5, 5.0]
#[test]
fn qos_1_receiver_acknowledges_then_takes_the_identifier_as_new() {
    for v in ALL_VERSIONS {
        let mut w = online(config(v));
        w.send(incoming(1, 0x1234, "x", false));
        assert_eq!(&delivered(w.event()).publish.payload[..], b"x");
        w.expect(&[puback(0x1234)]);
        w.send(incoming(1, 0x1234, "y", true));
        assert_eq!(&delivered(w.event()).publish.payload[..], b"y");
        w.expect(&[puback(0x1234)]);

        let mut c = config(v);
        c.auto_ack = false;
        let mut w = online(c);
        w.send(incoming(1, 7, "m", false));
        let token = delivered(w.event()).ack.expect("manual ack");
        // Not owned yet: no PUBACK, and a resend before it is the same message.
        w.expect_nothing();
        w.send(incoming(1, 7, "m", true));
        w.expect_no_event();
        w.expect_nothing();
        w.act(|s, now| s.ack(now, token)).unwrap();
        w.expect(&[puback(7)]);
        w.send(incoming(1, 7, "m", true));
        let again = delivered(w.event());
        assert_eq!(&again.publish.payload[..], b"m");
        w.act(|s, now| s.ack(now, again.ack.unwrap())).unwrap();
        w.expect(&[puback(7)]);
    }
}

/// A QoS 2 sender: an unused packet identifier, QoS 2 and DUP 0; the
/// PUBLISH unacknowledged (resent) until PUBREC; then a PUBREL with the
/// same identifier, unacknowledged (resent) until PUBCOMP, and the PUBLISH
/// never sent again.
/// [MQTT-4.3.3-1, 3.1.1, 5.0] [MQTT-4.3.3-2, 5.0] [MQTT-4.3.3-3, 5.0]
/// [MQTT-4.3.3-4, 5.0] [MQTT-4.3.3-5, 5.0] [MQTT-4.3.3-6, 5.0]
#[test]
fn qos_2_sender_publish_until_pubrec_then_pubrel_until_pubcomp() {
    for v in ALL_VERSIONS {
        let mut w = online(resumable(v));
        let a = publish(&mut w, "a", "1", QoS::ExactlyOnce);
        w.expect(&[new_publish(v, 2, 1, "a", "1")]);
        resume(&mut w);
        w.expect(&[dup_publish(v, 2, 1, "a", "1")]);
        w.send(Packet::PubRec(ack(1)));
        w.expect(&[pubrel(1)]);
        w.expect_no_event();
        for _ in 0..2 {
            resume(&mut w);
            w.expect(&[pubrel(1)]);
        }
        // A PUBREC again is answered with PUBREL, never with the PUBLISH.
        w.send(Packet::PubRec(ack(1)));
        w.expect(&[pubrel(1)]);
        w.expect_no_event();
        w.send(Packet::PubComp(ack(1)));
        assert_eq!(published(w.event()), (a, Some(pid(1)), QoS::ExactlyOnce));
        resume(&mut w);
        w.expect_nothing();
        publish(&mut w, "b", "2", QoS::ExactlyOnce);
        w.expect(&[new_publish(v, 2, 2, "b", "2")]);
    }
}

/// A QoS 2 receiver answers PUBREC with the PUBLISH's identifier once it
/// owns the message, delivers it once however often it comes before the
/// PUBREL, answers PUBREL with a PUBCOMP of the same identifier, and after
/// that takes the identifier as a new message.
/// [MQTT-4.3.3-2, 3.1.1] [MQTT-4.3.3-8, 5.0] [MQTT-4.3.3-11, 5.0]
/// [MQTT-4.3.3-12, 5.0]
#[test]
fn qos_2_receiver_pubrec_once_delivered_pubcomp_then_new() {
    for v in ALL_VERSIONS {
        for auto_ack in [true, false] {
            let mut c = config(v);
            c.auto_ack = auto_ack;
            let mut w = online(c);
            w.send(incoming(2, 0xBEEF, "x", false));
            let m = delivered(w.event());
            if let Some(token) = m.ack {
                // PUBREC once the application owns it.
                w.expect_nothing();
                w.act(|s, now| s.ack(now, token)).unwrap();
            }
            w.expect(&[pubrec(0xBEEF)]);
            w.send(incoming(2, 0xBEEF, "x", true));
            w.expect(&[pubrec(0xBEEF)]);
            w.expect_no_event();
            w.send(Packet::PubRel(ack(0xBEEF)));
            w.expect(&[pubcomp(0xBEEF)]);
            // Released: the same identifier, even with DUP, is a new message.
            w.send(incoming(2, 0xBEEF, "y", true));
            let m = delivered(w.event());
            assert_eq!(&m.publish.payload[..], b"y");
            if let Some(token) = m.ack {
                w.act(|s, now| s.ack(now, token)).unwrap();
            }
            w.expect(&[pubrec(0xBEEF)]);
            // A PUBREL the session knows nothing of still gets its PUBCOMP,
            // with the same identifier (5.0: Packet Identifier not found).
            w.send(Packet::PubRel(ack(0x0102)));
            if v.is_v5() {
                w.expect(&[ack_with_reason(0x70, 0x0102, 0x92)]);
            } else {
                w.expect(&[pubcomp(0x0102)]);
            }
        }
    }
}

/// PUBACK, PUBREC, PUBREL and PUBCOMP carry the packet identifier of the
/// PUBLISH they belong to, whatever its value.
/// [MQTT-2.3.1-6, 3.1.1] [MQTT-2.2.1-5, 5.0]
#[test]
fn acknowledgements_carry_the_identifier_of_their_publish() {
    for v in ALL_VERSIONS {
        // Restored with a counter far along, so that ours is 0x4242.
        let state = SessionState {
            next_packet_id: 0x4241,
            ..SessionState::default()
        };
        let mut w = Wire::with_state(config(v), state);
        w.connect(false);
        w.send(incoming(1, 0x0102, "a", false));
        w.send(incoming(2, 0xFFFF, "b", false));
        w.expect(&[puback(0x0102), pubrec(0xFFFF)]);
        w.send(Packet::PubRel(ack(0xFFFF)));
        w.expect(&[pubcomp(0xFFFF)]);
        publish(&mut w, "c", "3", QoS::ExactlyOnce);
        w.expect(&[new_publish(v, 2, 0x4242, "c", "3")]);
        w.send(Packet::PubRec(ack(0x4242)));
        w.expect(&[pubrel(0x4242)]);
        w.events();
    }
}

/// The receiver of a PUBLISH answers as its QoS says: nothing for QoS 0,
/// PUBACK for QoS 1, PUBREC for QoS 2. [MQTT-3.3.4-1, 3.1.1, 5.0]
#[test]
fn the_answer_to_a_publish_is_the_one_its_qos_requires() {
    for v in ALL_VERSIONS {
        let mut w = online(config(v));
        w.send(incoming(0, 0, "0", false));
        w.expect_nothing();
        w.send(incoming(1, 1, "1", false));
        w.expect(&[puback(1)]);
        w.send(incoming(2, 2, "2", false));
        w.expect(&[pubrec(2)]);
        assert_eq!(w.events().len(), 3);
    }
}

/// DUP is 1 on every resend of a PUBLISH and 0 on every first send: one
/// sent for the first time after a resumption (it waited meanwhile), one
/// sent again as a new message after the server lost the session, and
/// QoS 0 always. [MQTT-3.3.1-1, 3.1.1, 5.0] [MQTT-3.3.1-3, 3.1.1, 5.0]
#[test]
fn dup_is_set_exactly_on_retransmissions() {
    for v in ALL_VERSIONS {
        let mut w = online(resumable(v));
        publish(&mut w, "a", "1", QoS::AtLeastOnce);
        publish(&mut w, "b", "2", QoS::ExactlyOnce);
        w.expect(&[
            new_publish(v, 1, 1, "a", "1"),
            new_publish(v, 2, 2, "b", "2"),
        ]);
        // A resend from the broker (DUP 1) has no bearing on ours.
        w.send(incoming(1, 9, "in", true));
        w.expect(&[puback(9)]);
        delivered(w.event());
        w.drop_transport();
        publish(&mut w, "c", "3", QoS::AtLeastOnce);
        publish(&mut w, "d", "4", QoS::AtMostOnce);
        w.connect(true);
        w.expect(&[
            dup_publish(v, 1, 1, "a", "1"),
            dup_publish(v, 2, 2, "b", "2"),
            new_publish(v, 1, 3, "c", "3"),
            publish_bytes(v, false, 0, 0, "d", "4"),
        ]);
        w.events();
        resume(&mut w);
        w.expect(&[
            dup_publish(v, 1, 1, "a", "1"),
            dup_publish(v, 2, 2, "b", "2"),
            dup_publish(v, 1, 3, "c", "3"),
        ]);
        // The server lost the session: sent again as new messages, DUP 0.
        w.drop_transport();
        w.connect(false);
        w.expect(&[
            new_publish(v, 1, 4, "a", "1"),
            new_publish(v, 2, 5, "b", "2"),
            new_publish(v, 1, 6, "c", "3"),
        ]);
        w.events();
    }
}

/// Every new PUBLISH (QoS > 0), SUBSCRIBE and UNSUBSCRIBE gets a packet
/// identifier no other is using; a resend keeps its identifier; an
/// identifier is free again only once its exchange is acknowledged
/// (PUBACK, PUBCOMP, SUBACK, UNSUBACK). Here the identifiers 1 to 3 stay
/// taken while 65,535 other messages come and go, and come back once freed.
/// [MQTT-2.3.1-2, 3.1.1] [MQTT-2.3.1-3, 3.1.1] [MQTT-2.2.1-3, 5.0]
#[test]
fn identifiers_are_held_until_acknowledged_and_kept_on_resend() {
    for v in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut c = resumable(v);
        c.max_inflight = 10;
        let mut w = online(c);
        let q2 = publish(&mut w, "q", "2", QoS::ExactlyOnce);
        w.send(Packet::PubRec(ack(1)));
        let sub = w
            .act(|s, now| {
                s.subscribe(
                    now,
                    vec![Subscription::new(filter("s"), QoS::AtLeastOnce)],
                    Default::default(),
                )
            })
            .unwrap();
        let unsub = w
            .act(|s, now| s.unsubscribe(now, vec![filter("u")], Default::default()))
            .unwrap();
        assert_eq!((sub, unsub), (pid(2), pid(3)));
        w.expect(&[
            new_publish(v, 2, 1, "q", "2"),
            pubrel(1),
            subscribe_bytes(v, 2, "s", 1),
            unsubscribe_bytes(v, 3, "u"),
        ]);
        let cycle = |w: &mut Wire| -> u16 {
            publish(w, "t", "x", QoS::AtLeastOnce);
            let bytes = w.take();
            assert_eq!(bytes[0], 0x32, "{bytes:02x?}");
            let id = u16::from_be_bytes([bytes[5], bytes[6]]);
            w.send(Packet::PubAck(ack(id)));
            w.events();
            id
        };
        for _ in 0..65_535 {
            let id = cycle(&mut w);
            assert!(id > 3, "identifier {id} is still in use");
        }
        w.send(SubAck {
            packet_id: sub,
            reasons: vec![ReasonCode::GrantedQoS1],
            properties: Default::default(),
        });
        w.send(UnsubAck {
            packet_id: unsub,
            reasons: if v.is_v5() {
                vec![ReasonCode::Success]
            } else {
                vec![]
            },
            properties: Default::default(),
        });
        assert_eq!(w.events().len(), 2);
        // Still awaiting PUBCOMP: resent with its own identifier.
        resume(&mut w);
        w.expect(&[pubrel(1)]);
        w.send(Packet::PubComp(ack(1)));
        assert_eq!(published(w.event()), (q2, Some(pid(1)), QoS::ExactlyOnce));
        let back: Vec<u16> = (0..65_535)
            .map(|_| cycle(&mut w))
            .filter(|&id| id <= 3)
            .collect();
        assert_eq!(back, [1, 2, 3]);
    }
}

/// Resent PUBLISH packets go out in the order they were first sent, on
/// every resumption (after the PUBRELs due). [MQTT-4.6.0-1, 3.1.1, 5.0]
#[test]
fn resent_publishes_keep_the_order_of_their_first_sending() {
    for v in ALL_VERSIONS {
        let mut w = online(resumable(v));
        publish(&mut w, "a", "1", QoS::AtLeastOnce);
        publish(&mut w, "b", "2", QoS::ExactlyOnce);
        publish(&mut w, "c", "3", QoS::AtLeastOnce);
        publish(&mut w, "d", "4", QoS::ExactlyOnce);
        publish(&mut w, "e", "5", QoS::AtLeastOnce);
        w.take();
        w.send(Packet::PubAck(ack(3)));
        w.send(Packet::PubRec(ack(4)));
        w.expect(&[pubrel(4)]);
        w.events();
        for _ in 0..2 {
            resume(&mut w);
            w.expect(&[
                pubrel(4),
                dup_publish(v, 1, 1, "a", "1"),
                dup_publish(v, 2, 2, "b", "2"),
                dup_publish(v, 1, 5, "e", "5"),
            ]);
        }
    }
}

/// PUBRELs go out in the order their PUBRECs came, when answering them and
/// when resent on a resumed session. [MQTT-4.6.0-4, 3.1.1, 5.0]
#[test]
fn pubrels_follow_the_order_of_their_pubrecs() {
    for v in ALL_VERSIONS {
        let mut w = online(resumable(v));
        for p in ["1", "2", "3", "4"] {
            publish(&mut w, "a", p, QoS::ExactlyOnce);
        }
        w.take();
        for id in [3, 1, 2] {
            w.send(Packet::PubRec(ack(id)));
        }
        w.expect(&[pubrel(3), pubrel(1), pubrel(2)]);
        resume(&mut w);
        w.expect(&[
            pubrel(3),
            pubrel(1),
            pubrel(2),
            dup_publish(v, 2, 4, "a", "4"),
        ]);
        w.send(Packet::PubComp(ack(1)));
        assert_eq!(published(w.event()).1, Some(pid(1)));
        w.send(Packet::PubRec(ack(4)));
        w.expect(&[pubrel(4)]);
        resume(&mut w);
        w.expect(&[pubrel(3), pubrel(2), pubrel(4)]);
        w.events();
    }
}

/// The client acknowledges every PUBLISH as its QoS requires, whether or
/// not it asked for it: with no subscription at all, and while an
/// UNSUBSCRIBE of its filter is in progress; the application need not even
/// look at the messages. [MQTT-4.5.0-2, 3.1.1, 5.0]
#[test]
fn every_publish_is_acknowledged_whatever_the_subscriptions() {
    for v in ALL_VERSIONS {
        let mut w = online(config(v));
        w.send(incoming(1, 1, "unasked", false));
        w.send(incoming(2, 2, "unasked", false));
        w.expect(&[puback(1), pubrec(2)]);
        w.act(|s, now| {
            s.subscribe(
                now,
                vec![Subscription::new(filter("in"), QoS::ExactlyOnce)],
                Default::default(),
            )
        })
        .unwrap();
        w.take();
        w.send(SubAck {
            packet_id: pid(1),
            reasons: vec![ReasonCode::GrantedQoS2],
            properties: Default::default(),
        });
        w.act(|s, now| s.unsubscribe(now, vec![filter("in")], Default::default()))
            .unwrap();
        w.expect(&[unsubscribe_bytes(v, 2, "in")]);
        w.send(incoming(1, 3, "meanwhile", false));
        w.send(incoming(2, 4, "meanwhile", false));
        w.expect(&[puback(3), pubrec(4)]);
    }
}

/// 5.0 resends unacknowledged PUBLISH and PUBREL packets only on a
/// reconnection with Clean Start 0 whose CONNACK says Session Present 1:
/// not on the open connection however long it waits, and not as such
/// after Session Present 0 (the messages then go out as new ones, with
/// new identifiers and DUP 0, under the default `SessionLostPolicy`).
/// 3.1.1's rule is the first half: resend with the original identifiers
/// when reconnecting with clean session 0.
/// [MQTT-4.4.0-1, 3.1.1, 5.0]
#[test]
fn unacknowledged_packets_are_resent_only_on_a_resumed_session() {
    for v in ALL_VERSIONS {
        let mut c = resumable(v);
        c.connect.keep_alive = 30;
        let mut w = online(c);
        let a = publish(&mut w, "a", "1", QoS::AtLeastOnce);
        let b = publish(&mut w, "b", "2", QoS::ExactlyOnce);
        let c3 = publish(&mut w, "c", "3", QoS::ExactlyOnce);
        w.send(Packet::PubRec(ack(3)));
        w.expect(&[
            new_publish(v, 1, 1, "a", "1"),
            new_publish(v, 2, 2, "b", "2"),
            new_publish(v, 2, 3, "c", "3"),
            pubrel(3),
        ]);
        // An hour on the open connection: keep-alive pings, nothing resent.
        for _ in 0..120 {
            w.advance(Duration::from_secs(30));
            w.expect(&[pingreq()]);
            w.send(Packet::PingResp);
        }
        w.expect_no_event();
        resume(&mut w);
        w.expect(&[
            pubrel(3),
            dup_publish(v, 1, 1, "a", "1"),
            dup_publish(v, 2, 2, "b", "2"),
        ]);
        w.drop_transport();
        let connect = w.connect(false);
        assert!(!clean_flag(&connect));
        assert_eq!(
            w.events(),
            [
                Event::Republished { id: a },
                Event::Republished { id: b },
                Event::Published {
                    id: c3,
                    packet_id: Some(pid(3)),
                    qos: QoS::ExactlyOnce,
                    reason: ReasonCode::Success,
                    properties: Default::default()
                },
            ]
        );
        w.expect(&[
            new_publish(v, 1, 4, "a", "1"),
            new_publish(v, 2, 5, "b", "2"),
        ]);
    }
}

/// A PUBACK or PUBREC with a reason code of 0x80 or more ends the message:
/// it is reported failed, no PUBREL follows, and it is not resent on a
/// resumed session. [MQTT-4.4.0-2, 5.0]
#[test]
fn a_failed_acknowledgement_ends_the_message_for_good() {
    let v = ProtocolVersion::V5;
    let mut w = online(resumable(v));
    let a = publish(&mut w, "a", "1", QoS::AtLeastOnce);
    let b = publish(&mut w, "b", "2", QoS::ExactlyOnce);
    w.take();
    w.send(Packet::PubAck(Ack::with_reason(
        pid(1),
        ReasonCode::UnspecifiedError,
    )));
    w.send(Packet::PubRec(Ack::with_reason(
        pid(2),
        ReasonCode::NotAuthorized,
    )));
    w.expect_nothing();
    let failed: Vec<_> = w
        .events()
        .into_iter()
        .map(|e| match e {
            Event::PublishFailed {
                id,
                failure: PublishFailure::Rejected { reason, .. },
            } => (id, reason),
            other => panic!("expected a rejection, got {other:?}"),
        })
        .collect();
    assert_eq!(
        failed,
        [
            (a, ReasonCode::UnspecifiedError),
            (b, ReasonCode::NotAuthorized)
        ]
    );
    resume(&mut w);
    w.expect_nothing();
    assert!(w.session.state().inflight.is_empty());
}

/// Once a QoS 2 PUBLISH was sent, its Message Expiry Interval no longer
/// applies: it is resent and completed long after it, while a message
/// still waiting for the window does expire. [MQTT-4.3.3-7, 5.0]
#[test]
fn a_sent_qos_2_message_does_not_expire() {
    let v = ProtocolVersion::V5;
    let mut c = resumable(v);
    c.max_inflight = 1;
    let mut w = online(c);
    let expiring = |topic, payload, qos| {
        let mut m = message(topic, payload, qos);
        m.properties.message_expiry_interval = Some(2);
        m
    };
    let a = w
        .act(|s, now| s.publish(now, expiring("a", "1", QoS::ExactlyOnce)))
        .unwrap();
    let b = w
        .act(|s, now| s.publish(now, expiring("b", "2", QoS::AtLeastOnce)))
        .unwrap();
    // Message Expiry Interval (0x02) = 2.
    let expiry = [0x02, 0, 0, 0, 2];
    w.expect(&[publish_with_properties(v, false, 2, 1, "a", "1", &expiry)]);
    w.advance(Duration::from_secs(10));
    resume(&mut w);
    w.expect(&[publish_with_properties(v, true, 2, 1, "a", "1", &expiry)]);
    // The one never sent did expire, found when the session looked at its queue.
    assert_eq!(
        w.event(),
        Event::PublishFailed {
            id: b,
            failure: PublishFailure::Expired
        }
    );
    w.advance(Duration::from_secs(10));
    w.send(Packet::PubRec(ack(1)));
    w.expect(&[pubrel(1)]);
    w.expect_no_event();
    w.advance(Duration::from_secs(10));
    resume(&mut w);
    w.expect(&[pubrel(1)]);
    w.send(Packet::PubComp(ack(1)));
    assert_eq!(published(w.event()), (a, Some(pid(1)), QoS::ExactlyOnce));
    w.expect_nothing();
}

/// A QoS 2 receiver finishes the exchange after the message's expiry
/// passed: PUBREC when the application acknowledges it late, PUBREC again
/// for a resend, PUBCOMP for the PUBREL. [MQTT-4.3.3-13, 5.0]
#[test]
fn the_qos_2_exchange_completes_past_the_message_expiry() {
    let mut c = config(ProtocolVersion::V5);
    c.auto_ack = false;
    let mut w = online(c);
    let mut p = incoming(2, 5, "x", false);
    p.properties.message_expiry_interval = Some(1);
    w.send(p.clone());
    let token = delivered(w.event()).ack.unwrap();
    w.advance(Duration::from_secs(10));
    p.dup = true;
    w.send(p.clone());
    w.expect_no_event();
    w.act(|s, now| s.ack(now, token)).unwrap();
    w.expect(&[pubrec(5)]);
    w.advance(Duration::from_secs(10));
    w.send(p);
    w.expect(&[pubrec(5)]);
    w.expect_no_event();
    w.send(Packet::PubRel(ack(5)));
    w.expect(&[pubcomp(5)]);
}
