//! Packet traces: with `trace_packets` on, every packet sent and received
//! is reported in order, as it was on the wire; off, none is.

use mqtt_proto::{MqttString, Packet, PacketType, ProtocolVersion, QoS, TopicName};
use mqtt_session::{Event, OutboundMessage, Session, SessionConfig};
use std::time::Instant;

fn traces(session: &mut Session) -> Vec<(bool, PacketType)> {
    let mut out = Vec::new();
    while let Some(e) = session.poll_event() {
        if let Event::PacketTrace { sent, packet } = e {
            out.push((sent, packet.packet_type()));
        }
    }
    out
}

#[test]
fn every_packet_is_traced_in_order_when_asked() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut config = SessionConfig::new(version, MqttString::new("c").unwrap());
        config.trace_packets = true;
        let mut session = Session::new(config);
        let now = Instant::now();
        session.connect(now).unwrap();
        let connack: &[u8] = if version.is_v5() {
            &[0x20, 0x03, 0x00, 0x00, 0x00]
        } else {
            &[0x20, 0x02, 0x00, 0x00]
        };
        session.handle_input(now, connack);
        let message =
            OutboundMessage::new(TopicName::new("a/b").unwrap(), "hello").qos(QoS::AtLeastOnce);
        session.publish(now, message).unwrap();
        session.handle_input(now, &[0x40, 0x02, 0x00, 0x01]); // PUBACK 1
        let all = {
            let mut all = Vec::new();
            while let Some(e) = session.poll_event() {
                all.push(e);
            }
            all
        };
        let kinds: Vec<_> = all
            .iter()
            .filter_map(|e| match e {
                Event::PacketTrace { sent, packet } => Some((*sent, packet.packet_type())),
                _ => None,
            })
            .collect();
        assert_eq!(
            kinds,
            [
                (true, PacketType::Connect),
                (false, PacketType::ConnAck),
                (true, PacketType::Publish),
                (false, PacketType::PubAck)
            ],
            "{version}"
        );
        // The trace of a packet comes before what handling it reports.
        let received_puback = all
            .iter()
            .position(|e| matches!(e, Event::PacketTrace { sent: false, packet } if packet.packet_type() == PacketType::PubAck))
            .unwrap();
        let published = all
            .iter()
            .position(|e| matches!(e, Event::Published { .. }))
            .unwrap();
        assert!(received_puback < published);
        let publish = all
            .iter()
            .find_map(|e| match e {
                Event::PacketTrace { sent: true, packet } => match &**packet {
                    Packet::Publish(p) => Some(p.clone()),
                    _ => None,
                },
                _ => None,
            })
            .unwrap();
        assert_eq!(
            (
                publish.topic_str(),
                &publish.payload[..],
                publish.packet_id().map(|p| p.get())
            ),
            ("a/b", &b"hello"[..], Some(1))
        );
    }
}

#[test]
fn nothing_is_traced_by_default() {
    let mut session = Session::new(SessionConfig::new(
        ProtocolVersion::V5,
        MqttString::new("c").unwrap(),
    ));
    let now = Instant::now();
    session.connect(now).unwrap();
    session.handle_input(now, &[0x20, 0x03, 0x00, 0x00, 0x00]);
    assert!(traces(&mut session).is_empty());
    session.set_trace_packets(true);
    session.handle_input(now, &[0xd0, 0x00]); // PINGRESP, unasked but harmless to trace
    assert_eq!(
        traces(&mut session).first(),
        Some(&(false, PacketType::PingResp))
    );
}
