//! Helpers shared by the behaviour tests.
#![allow(dead_code)]

use bytes::Bytes;
use mqtt_proto::*;
use mqtt_session::harness::Harness;
use mqtt_session::{Event, OutboundMessage, SessionConfig};

pub fn topic(s: &str) -> TopicName {
    TopicName::new(s).unwrap()
}

pub fn filter(s: &str) -> TopicFilter {
    TopicFilter::new(s).unwrap()
}

pub fn pid(n: u16) -> PacketId {
    PacketId::new(n).unwrap()
}

pub fn s(v: &str) -> MqttString {
    MqttString::new(v).unwrap()
}

pub fn config(version: ProtocolVersion) -> SessionConfig {
    let mut c = SessionConfig::new(version, s("client-1"));
    c.connect.keep_alive = 0;
    c
}

pub fn message(t: &str, payload: &'static str, qos: QoS) -> OutboundMessage {
    OutboundMessage::new(topic(t), Bytes::from_static(payload.as_bytes())).qos(qos)
}

/// The PUBLISH a broker would receive for `message` with `id`.
pub fn publish(t: &str, payload: &'static str, delivery: Delivery) -> Publish {
    let mut p = Publish::new(topic(t), Bytes::from_static(payload.as_bytes()));
    p.delivery = delivery;
    p
}

pub fn connack(session_present: bool) -> ConnAck {
    ConnAck {
        session_present,
        ..ConnAck::default()
    }
}

/// A harness connected with a plain CONNACK; CONNECT and the Connected event consumed.
pub fn connected(config: SessionConfig) -> Harness {
    let mut h = Harness::new(config);
    h.connect();
    assert!(matches!(h.expect_packet(), Packet::Connect(_)));
    h.send(connack(false));
    assert!(matches!(h.expect_event(), Event::Connected { .. }));
    h
}

/// Reconnects on a new transport, answering CONNACK with `session_present`.
pub fn reconnect(h: &mut Harness, session_present: bool) -> Connect {
    h.connect();
    let Packet::Connect(c) = h.expect_packet() else {
        panic!("expected CONNECT")
    };
    h.send(connack(session_present));
    *c
}

pub fn ack(n: u16) -> Ack {
    Ack::new(pid(n))
}

pub mod wire;
