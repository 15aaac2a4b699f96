//! Outbound publishes: QoS flows, the in-flight window, the queue, server
//! limits, topic aliases, and what survives a connection.

mod common;
use common::*;
use core::num::{NonZeroU16, NonZeroU32};
use core::time::Duration;
use mqtt_proto::*;
use mqtt_session::harness::Harness;
use mqtt_session::*;

fn v5_with(props: ConnAckProperties, config: SessionConfig) -> Harness {
    let mut h = Harness::new(config);
    h.connect();
    h.expect_packet();
    h.send(ConnAck {
        properties: props,
        ..ConnAck::default()
    });
    assert!(matches!(h.expect_event(), Event::Connected { .. }));
    h
}

#[test]
fn qos0_completes_when_handed_to_the_transport() {
    let mut h = connected(config(ProtocolVersion::V3_1_1));
    let id = h
        .act(|s, now| s.publish(now, message("a/b", "hi", QoS::AtMostOnce)))
        .unwrap();
    h.expect_bytes(b"\x30\x07\x00\x03a/bhi");
    assert!(
        matches!(h.expect_event(), Event::Published { id: got, qos: QoS::AtMostOnce, .. } if got == id)
    );
}

#[test]
fn mqtt_4_3_2_qos1_flow_completes_at_puback() {
    let mut h = connected(config(ProtocolVersion::V3_1_1));
    let id = h
        .act(|s, now| s.publish(now, message("a", "x", QoS::AtLeastOnce)))
        .unwrap();
    h.expect(publish("a", "x", Delivery::AtLeastOnce(pid(1))));
    h.expect_no_event();
    h.send(Packet::PubAck(ack(1)));
    assert!(matches!(h.expect_event(),
        Event::Published { id: got, packet_id: Some(p), qos: QoS::AtLeastOnce, reason: ReasonCode::Success, .. }
        if got == id && p == pid(1)));
    assert!(h.session.state().inflight.is_empty());
}

/// The QoS 2 flow of a sender: PUBREC is answered with a PUBREL of the
/// same identifier [MQTT-4.3.3-4, 5.0], and completion waits for PUBCOMP.
#[test]
fn mqtt_4_3_3_qos2_flow_pubrec_pubrel_pubcomp() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut h = connected(config(version));
        let id = h
            .act(|s, now| s.publish(now, message("a", "x", QoS::ExactlyOnce)))
            .unwrap();
        h.expect(publish("a", "x", Delivery::ExactlyOnce(pid(1))));
        h.send(Packet::PubRec(ack(1)));
        h.expect(Packet::PubRel(ack(1)));
        h.expect_no_event();
        // Payload no longer kept once PUBREC arrived: it is never resent.
        assert!(h.session.state().inflight[0].message.payload.is_empty());
        h.send(Packet::PubComp(ack(1)));
        assert!(
            matches!(h.expect_event(), Event::Published { id: got, qos: QoS::ExactlyOnce, .. } if got == id)
        );
    }
}

#[test]
fn failure_reason_in_puback_or_pubrec_ends_the_flow() {
    let mut h = connected(config(ProtocolVersion::V5));
    let a = h
        .act(|s, now| s.publish(now, message("a", "x", QoS::AtLeastOnce)))
        .unwrap();
    let b = h
        .act(|s, now| s.publish(now, message("a", "y", QoS::ExactlyOnce)))
        .unwrap();
    h.expect_packet();
    h.expect_packet();
    h.send(Packet::PubAck(Ack::with_reason(
        pid(1),
        ReasonCode::NotAuthorized,
    )));
    h.send(Packet::PubRec(Ack::with_reason(
        pid(2),
        ReasonCode::QuotaExceeded,
    )));
    // No PUBREL after a failed PUBREC [MQTT-4.3.3-4 applies below 0x80 only].
    h.expect_silence();
    match (h.expect_event(), h.expect_event()) {
        (
            Event::PublishFailed {
                id: ia,
                failure: PublishFailure::Rejected { reason: ra, .. },
            },
            Event::PublishFailed {
                id: ib,
                failure: PublishFailure::Rejected { reason: rb, .. },
            },
        ) => {
            assert_eq!((ia, ra), (a, ReasonCode::NotAuthorized));
            assert_eq!((ib, rb), (b, ReasonCode::QuotaExceeded));
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn no_matching_subscribers_is_still_success() {
    let mut h = connected(config(ProtocolVersion::V5));
    h.act(|s, now| s.publish(now, message("a", "x", QoS::AtLeastOnce)))
        .unwrap();
    h.expect_packet();
    h.send(Packet::PubAck(Ack::with_reason(
        pid(1),
        ReasonCode::NoMatchingSubscribers,
    )));
    assert!(matches!(
        h.expect_event(),
        Event::Published {
            reason: ReasonCode::NoMatchingSubscribers,
            ..
        }
    ));
}

#[test]
fn window_is_min_of_ours_and_receive_maximum_and_excess_waits_in_order() {
    let mut c = config(ProtocolVersion::V5);
    c.max_inflight = 3;
    let mut h = v5_with(
        ConnAckProperties {
            receive_maximum: NonZeroU16::new(2),
            ..Default::default()
        },
        c,
    );
    assert_eq!(h.session.inflight_window(), 2);
    for payload in ["1", "2", "3", "4"] {
        h.act(|s, now| s.publish(now, message("a", payload, QoS::AtLeastOnce)))
            .unwrap();
    }
    h.expect(publish("a", "1", Delivery::AtLeastOnce(pid(1))));
    h.expect(publish("a", "2", Delivery::AtLeastOnce(pid(2))));
    h.expect_silence();
    assert_eq!(h.session.state().queue.len(), 2);
    h.send(Packet::PubAck(ack(2)));
    h.expect(publish("a", "3", Delivery::AtLeastOnce(pid(3))));
    h.expect_silence();
    h.send(Packet::PubAck(ack(1)));
    h.expect(publish("a", "4", Delivery::AtLeastOnce(pid(4))));
}

#[test]
fn v3_default_window_is_20() {
    let mut h = connected(config(ProtocolVersion::V3_1_1));
    for _ in 0..25 {
        h.act(|s, now| s.publish(now, message("a", "x", QoS::ExactlyOnce)))
            .unwrap();
    }
    let mut sent = 0;
    while h.try_packet().is_some() {
        sent += 1;
    }
    assert_eq!(sent, 20);
}

#[test]
fn queue_full_rejects_new_by_default() {
    let mut c = config(ProtocolVersion::V3_1_1);
    c.max_inflight = 1;
    c.max_queued_messages = 2;
    let mut h = connected(c);
    for _ in 0..3 {
        h.act(|s, now| s.publish(now, message("a", "x", QoS::AtLeastOnce)))
            .unwrap();
    }
    assert_eq!(
        h.act(|s, now| s.publish(now, message("a", "x", QoS::AtLeastOnce))),
        Err(Error::QueueFull)
    );
}

#[test]
fn queue_byte_limit_counts_topic_and_payload() {
    let mut c = config(ProtocolVersion::V3_1_1);
    c.max_queued_bytes = 10;
    let mut h = Harness::new(c); // not connected: everything waits
    h.act(|s, now| s.publish(now, message("ab", "12345678", QoS::AtMostOnce)))
        .unwrap();
    assert_eq!(
        h.act(|s, now| s.publish(now, message("a", "", QoS::AtMostOnce))),
        Err(Error::QueueFull)
    );
}

#[test]
fn queue_full_drop_oldest_reports_the_dropped_message() {
    let mut c = config(ProtocolVersion::V3_1_1);
    c.max_queued_messages = 2;
    c.queue_full = QueueFullPolicy::DropOldest;
    let mut h = Harness::new(c);
    let first = h
        .act(|s, now| s.publish(now, message("a", "1", QoS::AtLeastOnce)))
        .unwrap();
    h.act(|s, now| s.publish(now, message("a", "2", QoS::AtLeastOnce)))
        .unwrap();
    h.act(|s, now| s.publish(now, message("a", "3", QoS::AtLeastOnce)))
        .unwrap();
    assert_eq!(
        h.expect_event(),
        Event::PublishFailed {
            id: first,
            failure: PublishFailure::Dropped
        }
    );
    let payloads: Vec<_> = h
        .session
        .state()
        .queue
        .iter()
        .map(|m| m.message.payload.clone())
        .collect();
    assert_eq!(payloads, ["2", "3"]);
}

#[test]
fn messages_published_while_disconnected_go_out_after_connack() {
    let mut h = Harness::new(config(ProtocolVersion::V3_1_1));
    h.act(|s, now| s.publish(now, message("a", "1", QoS::AtMostOnce)))
        .unwrap();
    h.act(|s, now| s.publish(now, message("a", "2", QoS::AtLeastOnce)))
        .unwrap();
    h.expect_silence();
    h.connect();
    h.expect_packet(); // CONNECT
    h.expect_silence(); // nothing before CONNACK
    h.send(connack(false));
    h.expect(publish("a", "1", Delivery::AtMostOnce));
    h.expect(publish("a", "2", Delivery::AtLeastOnce(pid(1))));
}

#[test]
fn maximum_qos_refuses_or_downgrades() {
    let props = ConnAckProperties {
        maximum_qos: Some(QoS::AtLeastOnce),
        ..Default::default()
    };
    let mut h = v5_with(props.clone(), config(ProtocolVersion::V5));
    assert_eq!(
        h.act(|s, now| s.publish(now, message("a", "x", QoS::ExactlyOnce))),
        Err(Error::QoSNotSupported {
            requested: QoS::ExactlyOnce,
            maximum: QoS::AtLeastOnce
        })
    );
    h.expect_silence();
    let mut c = config(ProtocolVersion::V5);
    c.downgrade_qos = true;
    let mut h = v5_with(props, c);
    h.act(|s, now| s.publish(now, message("a", "x", QoS::ExactlyOnce)))
        .unwrap();
    h.expect(publish("a", "x", Delivery::AtLeastOnce(pid(1))));
}

#[test]
fn retain_unavailable_refuses_retained_publish() {
    let mut h = v5_with(
        ConnAckProperties {
            retain_available: Some(false),
            ..Default::default()
        },
        config(ProtocolVersion::V5),
    );
    assert_eq!(
        h.act(|s, now| s.publish(now, message("a", "x", QoS::AtMostOnce).retain(true))),
        Err(Error::RetainNotSupported)
    );
}

#[test]
fn maximum_packet_size_refuses_oversize_publish_at_the_call() {
    let mut h = v5_with(
        ConnAckProperties {
            maximum_packet_size: NonZeroU32::new(20),
            ..Default::default()
        },
        config(ProtocolVersion::V5),
    );
    // 1 + 1 + (2 + 1) + 1 (properties) + 15 = 21 bytes.
    assert_eq!(
        h.act(|s, now| s.publish(now, message("a", "123456789012345", QoS::AtMostOnce))),
        Err(Error::PacketTooLarge { size: 21, max: 20 })
    );
    h.act(|s, now| s.publish(now, message("a", "12345678901234", QoS::AtMostOnce)))
        .unwrap();
    h.expect_packet();
}

#[test]
fn properties_in_v311_publish_are_a_caller_error() {
    let mut h = connected(config(ProtocolVersion::V3_1_1));
    let mut m = message("a", "x", QoS::AtMostOnce);
    m.properties.content_type = Some(s("text/plain"));
    assert!(matches!(
        h.act(|s, now| s.publish(now, m)),
        Err(Error::Encode(EncodeError::PropertiesNotSupported { .. }))
    ));
}

#[test]
fn expired_queued_message_is_dropped_and_expiry_is_decremented() {
    let mut c = config(ProtocolVersion::V5);
    c.max_inflight = 1;
    let mut h = connected(c);
    h.act(|s, now| s.publish(now, message("a", "blocker", QoS::AtLeastOnce)))
        .unwrap();
    h.expect_packet();
    let mut short = message("a", "short", QoS::AtLeastOnce);
    short.properties.message_expiry_interval = Some(5);
    let short_id = h.act(|s, now| s.publish(now, short)).unwrap();
    let mut long = message("a", "long", QoS::AtLeastOnce);
    long.properties.message_expiry_interval = Some(100);
    h.act(|s, now| s.publish(now, long)).unwrap();
    h.advance(Duration::from_secs(7));
    h.send(Packet::PubAck(ack(1)));
    let events = h.take_events();
    assert!(
        events.contains(&Event::PublishFailed {
            id: short_id,
            failure: PublishFailure::Expired
        }),
        "{events:?}"
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::PublishFailed { .. }))
            .count(),
        1
    );
    let Packet::Publish(p) = h.expect_packet() else {
        panic!()
    };
    assert_eq!(&p.payload[..], b"long");
    assert_eq!(p.properties.message_expiry_interval, Some(93));
}

#[test]
fn a_message_without_properties_never_allocates_them() {
    // Both with and without automatic aliases, the session writes the
    // alias it manages only when it differs from the empty value.
    for auto in [false, true] {
        let mut c = config(ProtocolVersion::V5);
        c.auto_topic_alias = auto;
        let mut h = connected(c);
        h.act(|s, now| s.publish(now, message("a/b", "x", QoS::AtLeastOnce)))
            .unwrap();
        let Packet::Publish(p) = h.expect_packet() else {
            panic!("expected a PUBLISH")
        };
        assert!(!p.properties.is_allocated(), "sent (auto aliases {auto})");
        let kept = &h.session.state().inflight[0].message;
        assert!(
            !kept.properties.is_allocated(),
            "kept (auto aliases {auto})"
        );
    }
}

#[test]
fn automatic_topic_aliases_within_server_maximum() {
    let mut c = config(ProtocolVersion::V5);
    c.auto_topic_alias = true;
    let mut h = v5_with(
        ConnAckProperties {
            topic_alias_maximum: Some(1),
            ..Default::default()
        },
        c,
    );
    for t in ["long/topic/one", "long/topic/one", "other"] {
        h.act(|s, now| s.publish(now, message(t, "x", QoS::AtMostOnce)))
            .unwrap();
    }
    let Packet::Publish(p1) = h.expect_packet() else {
        panic!()
    };
    let Packet::Publish(p2) = h.expect_packet() else {
        panic!()
    };
    let Packet::Publish(p3) = h.expect_packet() else {
        panic!()
    };
    assert_eq!(
        (p1.topic_str(), p1.properties.topic_alias.map(|a| a.get())),
        ("long/topic/one", Some(1))
    );
    assert_eq!(
        (
            p2.topic.is_none(),
            p2.properties.topic_alias.map(|a| a.get())
        ),
        (true, Some(1))
    );
    assert_eq!(
        (p3.topic_str(), p3.properties.topic_alias.map(|a| a.get())),
        ("other", Some(1))
    );
}

/// Topic alias mappings end with their connection, both ways: as a
/// receiver the client forgets the server's (an alias-only PUBLISH using
/// one from the previous connection is an unknown alias, DISCONNECT 0x94)
/// [MQTT-3.3.2-7, 5.0]; as a sender it defines its own afresh.
#[test]
fn mqtt_3_3_2_7_aliases_reset_on_every_new_connection() {
    let mut c = config(ProtocolVersion::V5);
    c.auto_topic_alias = true;
    c.connect.properties.topic_alias_maximum = Some(4);
    let props = ConnAckProperties {
        topic_alias_maximum: Some(4),
        ..Default::default()
    };
    let mut h = v5_with(props.clone(), c);
    h.act(|s, now| s.publish(now, message("a/b", "1", QoS::AtMostOnce)))
        .unwrap();
    h.expect_packet();
    let mut defining = publish("in/x", "1", Delivery::AtMostOnce);
    defining.properties.topic_alias = NonZeroU16::new(1);
    h.send(defining);
    h.drop_transport();
    h.take_events();
    h.connect();
    h.expect_packet();
    h.send(ConnAck {
        properties: props,
        ..ConnAck::default()
    });
    h.act(|s, now| s.publish(now, message("a/b", "2", QoS::AtMostOnce)))
        .unwrap();
    let Packet::Publish(p) = h.expect_packet() else {
        panic!()
    };
    // Defined afresh: the topic is sent again.
    assert_eq!(p.topic_str(), "a/b");
    h.take_events();
    let mut using = publish("in/x", "2", Delivery::AtMostOnce);
    using.topic = None;
    using.properties.topic_alias = NonZeroU16::new(1);
    h.send(using);
    h.expect(Disconnect::new(ReasonCode::TopicAliasInvalid));
    assert_eq!(
        h.expect_event(),
        Event::Disconnected(Disconnection::ProtocolError(
            ProtocolError::UnknownTopicAlias(1)
        ))
    );
}

#[test]
fn no_aliases_without_server_topic_alias_maximum() {
    let mut c = config(ProtocolVersion::V5);
    c.auto_topic_alias = true;
    let mut h = connected(c);
    h.act(|s, now| s.publish(now, message("a", "x", QoS::AtMostOnce)))
        .unwrap();
    let Packet::Publish(p) = h.expect_packet() else {
        panic!()
    };
    assert_eq!(p.properties.topic_alias, None);
}

/// Reconnecting with clean session 0 to a server that kept the session,
/// the unacknowledged PUBLISH (DUP 1) and PUBREL packets go out again with
/// their identifiers, PUBRELs first, and before a message queued meanwhile.
/// [MQTT-4.4.0-1, 3.1.1, 5.0]
#[test]
fn resend_with_dup_and_pubrel_before_new_messages() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut c = config(version);
        c.clean_start = CleanStart::Never;
        let mut h = connected(c);
        for (p, q) in [
            ("1", QoS::AtLeastOnce),
            ("2", QoS::ExactlyOnce),
            ("3", QoS::ExactlyOnce),
        ] {
            h.act(|s, now| s.publish(now, message("a", p, q))).unwrap();
        }
        for _ in 0..3 {
            h.expect_packet();
        }
        h.send(Packet::PubRec(ack(2)));
        h.expect(Packet::PubRel(ack(2)));
        h.drop_transport();
        h.take_events();
        // Queued while down: must go after the resends.
        h.act(|s, now| s.publish(now, message("a", "4", QoS::AtLeastOnce)))
            .unwrap();
        let connect = reconnect(&mut h, true);
        assert!(!connect.clean_start);
        h.expect(Packet::PubRel(ack(2)));
        let mut dup1 = publish("a", "1", Delivery::AtLeastOnce(pid(1)));
        dup1.dup = true;
        h.expect(dup1);
        let mut dup3 = publish("a", "3", Delivery::ExactlyOnce(pid(3)));
        dup3.dup = true;
        h.expect(dup3);
        h.expect(publish("a", "4", Delivery::AtLeastOnce(pid(4))));
        h.expect_silence();
    }
}

#[test]
fn no_resend_after_session_not_present_default_republishes_as_new() {
    let mut c = config(ProtocolVersion::V3_1_1);
    c.clean_start = CleanStart::Never;
    let mut h = connected(c);
    let a = h
        .act(|s, now| s.publish(now, message("a", "1", QoS::AtLeastOnce)))
        .unwrap();
    let b = h
        .act(|s, now| s.publish(now, message("a", "2", QoS::ExactlyOnce)))
        .unwrap();
    let c3 = h
        .act(|s, now| s.publish(now, message("a", "3", QoS::ExactlyOnce)))
        .unwrap();
    for _ in 0..3 {
        h.expect_packet();
    }
    h.send(Packet::PubRec(ack(3)));
    h.expect_packet(); // PUBREL 3
    h.drop_transport();
    h.take_events();
    reconnect(&mut h, false);
    let events = h.take_events();
    assert!(matches!(
        events[0],
        Event::Connected {
            session_present: false,
            ..
        }
    ));
    assert_eq!(events[1], Event::Republished { id: a });
    assert_eq!(events[2], Event::Republished { id: b });
    // PUBREC had already transferred ownership of message 3.
    assert!(matches!(events[3], Event::Published { id, .. } if id == c3));
    // Sent again as new messages: DUP clear, new packet identifiers, original order.
    h.expect(publish("a", "1", Delivery::AtLeastOnce(pid(4))));
    h.expect(publish("a", "2", Delivery::ExactlyOnce(pid(5))));
    h.expect_silence();
}

#[test]
fn session_lost_fail_policy_reports_each_message() {
    let mut c = config(ProtocolVersion::V3_1_1);
    c.clean_start = CleanStart::Never;
    c.session_lost = SessionLostPolicy::Fail;
    let mut h = connected(c);
    let a = h
        .act(|s, now| s.publish(now, message("a", "1", QoS::AtLeastOnce)))
        .unwrap();
    h.expect_packet();
    h.drop_transport();
    h.take_events();
    reconnect(&mut h, false);
    h.expect_event();
    assert_eq!(
        h.expect_event(),
        Event::PublishFailed {
            id: a,
            failure: PublishFailure::SessionLost
        }
    );
    h.expect_silence();
}

/// Publishes one QoS 1 message and returns the id it went out with, left
/// in flight.
fn publish_held(h: &mut Harness) -> PacketId {
    h.act(|s, now| s.publish(now, message("a", "x", QoS::AtLeastOnce)))
        .unwrap();
    let Packet::Publish(p) = h.expect_packet() else {
        panic!("expected a PUBLISH")
    };
    p.packet_id().unwrap()
}

/// Publishes one QoS 1 message, acknowledges it, and returns its id.
fn publish_acked(h: &mut Harness) -> PacketId {
    let id = publish_held(h);
    h.send(Packet::PubAck(Ack::new(id)));
    h.take_events();
    id
}

/// A new PUBLISH never takes the identifier of one still in flight, through
/// two wrap-arounds of the identifier space.
/// [MQTT-2.2.1-3, 5.0] [MQTT-2.3.1-2, 3.1.1]
#[test]
fn mqtt_2_2_1_3_packet_ids_are_not_reused_while_in_use() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut c = config(version);
        c.max_inflight = 100;
        let mut h = connected(c);
        assert_eq!(publish_held(&mut h), pid(1));
        let mut seen = std::collections::HashSet::new();
        // Cycle through the whole id space twice: id 1 must never come back.
        for _ in 0..(2 * 65_535) {
            let id = publish_acked(&mut h);
            assert_ne!(id, pid(1));
            seen.insert(id);
        }
        assert_eq!(seen.len(), 65_534);
    }
}

/// The same with a window long enough for the session to index it rather
/// than scan it. [MQTT-2.2.1-3, 5.0] [MQTT-2.3.1-2, 3.1.1]
#[test]
fn mqtt_2_2_1_3_a_long_window_keeps_its_ids_through_wrap_arounds() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let held = 40u16;
        let mut c = config(version);
        c.max_inflight = 100;
        let mut h = connected(c);
        for _ in 0..held {
            publish_held(&mut h);
        }
        let mut seen = std::collections::HashSet::new();
        for _ in 0..(2 * 65_535) {
            let id = publish_acked(&mut h);
            assert!(id.get() > held, "{id:?} is still in flight");
            seen.insert(id);
        }
        assert_eq!(seen.len(), 65_535 - usize::from(held));
        // Acknowledging the held ones frees their ids again.
        for n in 1..=held {
            h.send(Packet::PubAck(Ack::new(pid(n))));
        }
        h.take_events();
        let reused = (0..65_535).find_map(|_| {
            let id = publish_acked(&mut h);
            (id.get() <= held).then_some(id)
        });
        assert_eq!(reused, Some(pid(1)));
    }
}

#[test]
fn pubrec_for_unknown_id_is_answered_with_pubrel_not_found() {
    let mut h = connected(config(ProtocolVersion::V5));
    h.send(Packet::PubRec(ack(9)));
    h.expect(Packet::PubRel(Ack::with_reason(
        pid(9),
        ReasonCode::PacketIdentifierNotFound,
    )));
}

/// A PUBREC with a failure reason ends the exchange: no PUBREL follows,
/// even for an identifier the session does not know.
#[test]
fn no_pubrel_after_a_failed_pubrec_even_for_an_unknown_id() {
    let mut h = connected(config(ProtocolVersion::V5));
    h.send(Packet::PubRec(Ack::with_reason(
        pid(9),
        ReasonCode::QuotaExceeded,
    )));
    h.expect_silence();
    assert!(h.session.is_connected());
}

#[test]
fn orphan_pubrel_keeps_its_id_reserved_and_is_resent_until_pubcomp() {
    let mut c = config(ProtocolVersion::V5);
    c.clean_start = CleanStart::Never;
    let mut h = connected(c);
    // The server PUBRECs an identifier we hold no message for (a DUP that
    // crossed our failure): it now waits for PUBREL on id 1.
    h.send(Packet::PubRec(ack(1)));
    let orphan = Packet::PubRel(Ack::with_reason(
        pid(1),
        ReasonCode::PacketIdentifierNotFound,
    ));
    h.expect(orphan.clone());
    // Lost with the transport: resent on resume.
    h.drop_transport();
    h.take_events();
    reconnect(&mut h, true);
    h.expect(orphan);
    // Id 1 stays reserved while the server may hold it [MQTT-2.2.1-3, 5.0].
    h.act(|s, now| s.publish(now, message("a", "x", QoS::ExactlyOnce)))
        .unwrap();
    h.expect(publish("a", "x", Delivery::ExactlyOnce(pid(2))));
    h.send(Packet::PubComp(ack(1)));
    assert!(h
        .take_events()
        .iter()
        .all(|e| matches!(e, Event::Connected { .. })));
    assert!(h.session.state().orphan_pubrels.is_empty());
}

#[test]
fn puback_for_a_qos2_message_is_a_protocol_error() {
    let mut h = connected(config(ProtocolVersion::V5));
    h.act(|s, now| s.publish(now, message("a", "x", QoS::ExactlyOnce)))
        .unwrap();
    h.expect_packet();
    h.send(Packet::PubAck(ack(1)));
    h.expect(Disconnect::new(ReasonCode::ProtocolError));
    assert!(matches!(
        h.expect_event(),
        Event::Disconnected(Disconnection::ProtocolError(_))
    ));
    // The message is kept for resend on the next connection.
    assert_eq!(h.session.state().inflight.len(), 1);
}
