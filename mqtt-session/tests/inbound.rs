//! Inbound publishes: delivery, acknowledgements, exactly-once, manual
//! acks in spec order, topic aliases and the limits we advertised.

mod common;
use common::*;
use core::num::{NonZeroU16, NonZeroU32};
use mqtt_proto::*;
use mqtt_session::harness::Harness;
use mqtt_session::*;

fn message_of(e: Event) -> InboundMessage {
    match e {
        Event::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

#[test]
fn qos0_is_delivered_without_ack() {
    let mut h = connected(config(ProtocolVersion::V3_1_1));
    h.send(publish("a/b", "hi", Delivery::AtMostOnce));
    let m = message_of(h.expect_event());
    assert_eq!(
        (m.publish.topic_str(), &m.publish.payload[..], m.ack),
        ("a/b", &b"hi"[..], None)
    );
    h.expect_silence();
}

#[test]
fn mqtt_4_3_2_qos1_is_acked_automatically() {
    let mut h = connected(config(ProtocolVersion::V3_1_1));
    h.send(publish("a", "x", Delivery::AtLeastOnce(pid(7))));
    message_of(h.expect_event());
    h.expect_bytes(b"\x40\x02\x00\x07");
}

/// Before the PUBREL, a resent QoS 2 PUBLISH is answered with PUBREC again
/// and not delivered again. [MQTT-4.3.3-10, 5.0]
#[test]
fn mqtt_4_3_3_10_qos2_duplicate_before_pubrel_is_acked_not_delivered() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut h = connected(config(version));
        h.send(publish("a", "x", Delivery::ExactlyOnce(pid(3))));
        message_of(h.expect_event());
        h.expect(Packet::PubRec(ack(3)));
        let mut dup = publish("a", "x", Delivery::ExactlyOnce(pid(3)));
        dup.dup = true;
        h.send(dup);
        h.expect(Packet::PubRec(ack(3)));
        h.expect_no_event();
        h.send(Packet::PubRel(ack(3)));
        h.expect(Packet::PubComp(ack(3)));
        // After PUBCOMP the identifier starts a new message.
        h.send(publish("a", "new", Delivery::ExactlyOnce(pid(3))));
        assert_eq!(&message_of(h.expect_event()).publish.payload[..], b"new");
    }
}

#[test]
fn qos2_exactly_once_survives_a_reconnect() {
    let mut c = config(ProtocolVersion::V3_1_1);
    c.clean_start = CleanStart::Never;
    let mut h = connected(c);
    h.send(publish("a", "x", Delivery::ExactlyOnce(pid(3))));
    message_of(h.expect_event());
    h.expect_packet(); // PUBREC, lost with the transport
    h.drop_transport();
    h.take_events();
    reconnect(&mut h, true);
    h.take_events();
    let mut dup = publish("a", "x", Delivery::ExactlyOnce(pid(3)));
    dup.dup = true;
    h.send(dup);
    h.expect(Packet::PubRec(ack(3)));
    h.expect_no_event();
}

#[test]
fn pubrel_for_unknown_id_gets_pubcomp_not_found_in_v5() {
    let mut h = connected(config(ProtocolVersion::V5));
    h.send(Packet::PubRel(ack(4)));
    h.expect(Packet::PubComp(Ack::with_reason(
        pid(4),
        ReasonCode::PacketIdentifierNotFound,
    )));
    let mut h = connected(config(ProtocolVersion::V3_1_1));
    h.send(Packet::PubRel(ack(4)));
    h.expect(Packet::PubComp(ack(4)));
}

/// In manual-ack mode the application may acknowledge out of order; the
/// PUBACKs and PUBRECs still go out in the order their PUBLISHes came.
/// [MQTT-4.6.0-2, 3.1.1, 5.0] [MQTT-4.6.0-3, 3.1.1, 5.0]
#[test]
fn mqtt_4_6_0_2_manual_acks_go_out_in_arrival_order() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut c = config(version);
        c.auto_ack = false;
        let mut h = connected(c);
        h.send(publish("a", "1", Delivery::AtLeastOnce(pid(1))));
        h.send(publish("a", "2", Delivery::ExactlyOnce(pid(2))));
        h.send(publish("a", "3", Delivery::AtLeastOnce(pid(3))));
        h.send(publish("a", "4", Delivery::ExactlyOnce(pid(4))));
        let tokens: Vec<_> = (0..4)
            .map(|_| message_of(h.expect_event()).ack.unwrap())
            .collect();
        h.expect_silence();
        // The application acks out of order: 4, 3, then 1, then 2.
        h.act(|s, now| s.ack(now, tokens[3])).unwrap();
        h.act(|s, now| s.ack(now, tokens[2])).unwrap();
        h.expect_silence();
        h.act(|s, now| s.ack(now, tokens[0])).unwrap();
        h.expect(Packet::PubAck(ack(1)));
        h.expect_silence();
        h.act(|s, now| s.ack(now, tokens[1])).unwrap();
        // PUBREC 2 in its turn, then the held PUBACK 3 and PUBREC 4.
        h.expect(Packet::PubRec(ack(2)));
        h.expect(Packet::PubAck(ack(3)));
        h.expect(Packet::PubRec(ack(4)));
        h.expect_silence();
        assert_eq!(
            h.act(|s, now| s.ack(now, tokens[1])),
            Err(Error::UnknownAckToken)
        );
    }
}

#[test]
fn manual_ack_resend_is_not_delivered_twice() {
    let mut c = config(ProtocolVersion::V3_1_1);
    c.auto_ack = false;
    c.clean_start = CleanStart::Never;
    let mut h = connected(c);
    h.send(publish("a", "1", Delivery::AtLeastOnce(pid(1))));
    let token = message_of(h.expect_event()).ack.unwrap();
    h.drop_transport();
    h.take_events();
    reconnect(&mut h, true);
    h.take_events();
    let mut dup = publish("a", "1", Delivery::AtLeastOnce(pid(1)));
    dup.dup = true;
    h.send(dup);
    h.expect_no_event();
    h.act(|s, now| s.ack(now, token)).unwrap();
    h.expect(Packet::PubAck(ack(1)));
}

#[test]
fn acks_given_while_disconnected_go_out_after_resume() {
    let mut c = config(ProtocolVersion::V3_1_1);
    c.auto_ack = false;
    c.clean_start = CleanStart::Never;
    let mut h = connected(c);
    h.send(publish("a", "1", Delivery::AtLeastOnce(pid(1))));
    let token = message_of(h.expect_event()).ack.unwrap();
    h.drop_transport();
    h.act(|s, now| s.ack(now, token)).unwrap();
    reconnect(&mut h, true);
    h.expect(Packet::PubAck(ack(1)));
}

#[test]
fn inbound_topic_alias_is_resolved() {
    let mut c = config(ProtocolVersion::V5);
    c.connect.properties.topic_alias_maximum = Some(2);
    let mut h = connected(c);
    let mut first = publish("long/topic", "1", Delivery::AtMostOnce);
    first.properties.topic_alias = NonZeroU16::new(2);
    h.send(first);
    let mut second = publish("x", "2", Delivery::AtMostOnce);
    second.topic = None;
    second.properties.topic_alias = NonZeroU16::new(2);
    h.send(second);
    message_of(h.expect_event());
    assert_eq!(
        message_of(h.expect_event()).publish.topic_str(),
        "long/topic"
    );
}

#[test]
fn topic_alias_beyond_our_maximum_is_disconnect_0x94() {
    let mut c = config(ProtocolVersion::V5);
    c.connect.properties.topic_alias_maximum = Some(2);
    let mut h = connected(c);
    let mut p = publish("a", "1", Delivery::AtMostOnce);
    p.properties.topic_alias = NonZeroU16::new(3);
    h.send(p);
    h.expect(Disconnect::new(ReasonCode::TopicAliasInvalid));
    assert_eq!(
        h.expect_event(),
        Event::Disconnected(Disconnection::ProtocolError(
            ProtocolError::TopicAliasOutOfRange(3)
        ))
    );
}

#[test]
fn unknown_topic_alias_is_disconnect_0x94() {
    let mut c = config(ProtocolVersion::V5);
    c.connect.properties.topic_alias_maximum = Some(2);
    let mut h = connected(c);
    let mut p = publish("a", "1", Delivery::AtMostOnce);
    p.topic = None;
    p.properties.topic_alias = NonZeroU16::new(1);
    h.send(p);
    h.expect(Disconnect::new(ReasonCode::TopicAliasInvalid));
}

#[test]
fn exceeding_our_receive_maximum_is_disconnect_0x93() {
    let mut c = config(ProtocolVersion::V5);
    c.auto_ack = false;
    c.connect.properties.receive_maximum = NonZeroU16::new(2);
    let mut h = connected(c);
    h.send(publish("a", "1", Delivery::AtLeastOnce(pid(1))));
    h.send(publish("a", "2", Delivery::ExactlyOnce(pid(2))));
    h.expect_silence();
    h.send(publish("a", "3", Delivery::AtLeastOnce(pid(3))));
    h.expect(Disconnect::new(ReasonCode::ReceiveMaximumExceeded));
}

#[test]
fn receive_maximum_quota_is_returned_by_acks() {
    let mut c = config(ProtocolVersion::V5);
    c.connect.properties.receive_maximum = NonZeroU16::new(1);
    let mut h = connected(c);
    for n in 1..=3 {
        h.send(publish("a", "x", Delivery::ExactlyOnce(pid(n))));
        h.expect(Packet::PubRec(ack(n)));
        h.send(Packet::PubRel(ack(n)));
        h.expect(Packet::PubComp(ack(n)));
    }
    assert!(h.session.is_connected());
}

#[test]
fn packet_over_our_maximum_packet_size_is_disconnect_0x95_before_buffering() {
    let mut c = config(ProtocolVersion::V5);
    c.connect.properties.maximum_packet_size = NonZeroU32::new(64);
    let mut h = connected(c);
    // Only the fixed header of a 1 MiB PUBLISH arrives.
    h.send_bytes(&[0x30, 0x80, 0x80, 0x40]);
    h.expect(Disconnect::new(ReasonCode::PacketTooLarge));
    assert!(matches!(
        h.expect_event(),
        Event::Disconnected(Disconnection::ProtocolError(ProtocolError::Decode(
            DecodeError::PacketTooLarge { .. }
        )))
    ));
}

#[test]
fn input_split_one_byte_at_a_time_gives_the_same_messages() {
    let mut h = connected(config(ProtocolVersion::V3_1_1));
    let mut bytes = h.encode(publish("a/b", "hello", Delivery::AtLeastOnce(pid(9))));
    bytes.extend(h.encode(publish("c", "", Delivery::AtMostOnce)));
    for b in bytes {
        h.send_bytes(&[b]);
    }
    assert_eq!(message_of(h.expect_event()).publish.topic_str(), "a/b");
    assert_eq!(message_of(h.expect_event()).publish.topic_str(), "c");
    h.expect(Packet::PubAck(ack(9)));
}

/// Invalid reserved flags in a fixed header make the packet malformed: a
/// PUBREL with flags 0000 ends the connection (5.0: with DISCONNECT 0x81),
/// and later input is ignored. [MQTT-2.1.3-1, 5.0] [MQTT-2.2.2-2, 3.1.1]
#[test]
fn malformed_input_is_answered_with_disconnect_0x81_and_later_input_ignored() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut h = connected(config(version));
        h.send_bytes(&[0x62, 0x02, 0x00, 0x01]); // PUBREL with reserved flags 0010 is fine...
        h.expect_packet(); // ...answered by PUBCOMP
        h.send_bytes(&[0x60, 0x02, 0x00, 0x01]); // ...but 0000 is malformed
        if version.is_v5() {
            h.expect(Disconnect::new(ReasonCode::MalformedPacket));
        }
        h.expect_silence();
        assert!(matches!(
            h.expect_event(),
            Event::Disconnected(Disconnection::ProtocolError(_))
        ));
        assert!(!h.session.has_connection());
        h.send(publish("a", "x", Delivery::AtLeastOnce(pid(2))));
        h.expect_no_event();
        h.expect_silence();
    }
}

#[test]
fn v3_protocol_error_closes_without_disconnect() {
    let mut h = connected(config(ProtocolVersion::V3_1_1));
    h.send_bytes(&[0x30, 0x03, 0x00, 0x01, b'#']);
    h.expect_silence();
    assert!(matches!(
        h.expect_event(),
        Event::Disconnected(Disconnection::ProtocolError(_))
    ));
}

#[test]
fn packets_a_server_may_not_send_are_protocol_errors() {
    for packet in [
        Packet::PingReq,
        Packet::Subscribe(Subscribe {
            packet_id: pid(1),
            subscriptions: vec![Subscription::new(filter("a"), QoS::AtMostOnce)],
            properties: Default::default(),
        }),
        Packet::from(ConnAck::default()),
    ] {
        let mut h = connected(config(ProtocolVersion::V5));
        let t = packet.packet_type();
        h.send(packet);
        h.expect(Disconnect::new(ReasonCode::ProtocolError));
        assert_eq!(
            h.expect_event(),
            Event::Disconnected(Disconnection::ProtocolError(
                ProtocolError::UnexpectedPacket(t)
            ))
        );
    }
}

#[test]
fn publish_before_connack_is_a_protocol_error() {
    let mut h = Harness::new(config(ProtocolVersion::V3_1_1));
    h.connect();
    h.expect_packet();
    h.send(publish("a", "x", Delivery::AtMostOnce));
    assert!(matches!(
        h.expect_event(),
        Event::Disconnected(Disconnection::ProtocolError(_))
    ));
}
