//! Limits that end a connection rather than let it hang or grow without
//! bound, and the checks made before a CONNECT leaves.

mod common;
use common::*;
use core::time::Duration;
use mqtt_proto::*;
use mqtt_session::harness::Harness;
use mqtt_session::{
    Disconnection, Error, Event, ProtocolError, Session, DEFAULT_MAX_INCOMING_PACKET_SIZE,
};
use std::time::Instant;

/// [MQTT-3.1.3-7, 3.1.1]: a 3.x client with a zero-byte client id must ask
/// for a clean session. The CONNECT of the report
/// (`10 0c 00 04 4d 51 54 54 04 00 00 3c 00 00`) is refused before it is
/// written; with clean session it goes out.
#[test]
fn mqtt_3_1_3_7_zero_byte_client_id_needs_clean_session_3_1_1() {
    for version in [ProtocolVersion::V3_1, ProtocolVersion::V3_1_1] {
        let mut c = mqtt_session::SessionConfig::new(version, s(""));
        c.clean_start = mqtt_session::CleanStart::Never;
        let mut session = Session::new(c.clone());
        assert_eq!(
            session.connect(Instant::now()),
            Err(Error::EmptyClientIdNeedsCleanSession)
        );
        assert!(session.poll_transmit().is_none(), "nothing was written");
        assert!(!session.has_connection());
        if version == ProtocolVersion::V3_1_1 {
            // (3.1 takes no zero-byte client id at all.)
            c.clean_start = mqtt_session::CleanStart::Always;
            let mut session = Session::new(c);
            session.connect(Instant::now()).unwrap();
            assert_eq!(session.poll_transmit().unwrap()[0], 0x10);
        }
    }
    // 5.0 leaves a zero-byte client id to the server (it assigns one).
    let mut c = mqtt_session::SessionConfig::new(ProtocolVersion::V5, s(""));
    c.clean_start = mqtt_session::CleanStart::Never;
    Session::new(c).connect(Instant::now()).unwrap();
}

/// 5.0 section 3.15.2.2.2 makes an AUTH without Authentication Method a
/// Protocol Error, and an AUTH must carry the method of the CONNECT
/// [MQTT-4.12.0-5, 5.0]: the server's `f0 02 18 00` ends the connection
/// with DISCONNECT 0x82, and the connection is closed [MQTT-4.13.2-1, 5.0].
#[test]
fn mqtt_4_12_0_5_auth_without_a_method_is_a_protocol_error() {
    let mut c = config(ProtocolVersion::V5);
    c.connect.properties.authentication_method = Some(s("SCRAM"));
    let mut h = Harness::new(c);
    h.connect();
    h.expect_packet();
    h.send_bytes(&[0xF0, 0x02, 0x18, 0x00]);
    h.expect_bytes(&[0xE0, 0x01, 0x82]);
    assert!(matches!(
        h.expect_event(),
        Event::Disconnected(Disconnection::ProtocolError(ProtocolError::Decode(
            DecodeError::MissingAuthenticationMethod
        )))
    ));
    assert!(!h.session.has_connection());
}

/// A 3.1.1 server that announces the largest Remaining Length and trickles
/// bytes: the client refuses the packet at its fixed header (3.1.1 has no
/// Maximum Packet Size to announce; the limit is enforced locally) and
/// buffers nothing of it. In 5.0 the limit goes out as Maximum Packet Size.
#[test]
fn an_incoming_packet_above_the_limit_is_refused_at_its_fixed_header() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut c = config(version);
        c.max_incoming_packet_size = 1 << 20;
        let mut h = Harness::new(c);
        h.connect();
        let Packet::Connect(connect) = h.expect_packet() else {
            panic!("CONNECT first")
        };
        if version.is_v5() {
            assert_eq!(
                connect.properties.maximum_packet_size.map(|m| m.get()),
                Some(1 << 20)
            );
        }
        h.send(connack(false));
        h.expect_event();
        // PUBLISH with Remaining Length 268,435,455: the fixed header alone.
        h.send_bytes(&[0x30, 0xFF, 0xFF, 0xFF, 0x7F]);
        if version.is_v5() {
            // Packet too large.
            h.expect_bytes(&[0xE0, 0x01, 0x95]);
        }
        assert!(matches!(
            h.expect_event(),
            Event::Disconnected(Disconnection::ProtocolError(ProtocolError::Decode(
                DecodeError::PacketTooLarge { .. }
            )))
        ));
        // Whatever else comes is ignored, not buffered.
        h.send_bytes(&[0u8; 4096]);
        h.expect_no_event();
    }
    // The default leaves room for large payloads and bounds the rest.
    assert_eq!(DEFAULT_MAX_INCOMING_PACKET_SIZE, 16 << 20);
}

/// A silent server is found within 1.5 times the keep alive by default:
/// PINGREQ when nothing was sent or received for one keep alive
/// ([MQTT-3.1.2-23, 3.1.1], [MQTT-3.1.2-20, 5.0]), and the PINGRESP is due half
/// a keep alive later.
#[test]
fn a_silent_server_is_found_within_one_and_a_half_keep_alives() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut c = config(version);
        c.connect.keep_alive = 60;
        let mut h = connected(c);
        h.advance(Duration::from_secs(60));
        assert_eq!(h.expect_packet(), Packet::PingReq);
        h.advance(Duration::from_secs(29));
        h.expect_no_event();
        h.advance(Duration::from_secs(1));
        assert_eq!(
            h.expect_event(),
            Event::Disconnected(Disconnection::KeepAliveTimeout)
        );
    }
}

/// A CONNACK whose Maximum Packet Size leaves no room for an
/// acknowledgement (4 bytes): nothing may be dropped without a trace
/// ([MQTT-3.2.2-15]: the client sends nothing above it), so the connection
/// ends at once with the reason, not at the first message.
#[test]
fn mqtt_3_2_2_15_a_maximum_packet_size_below_an_acknowledgement_ends_the_connection() {
    for max in [1u32, 2, 3] {
        let mut h = Harness::new(config(ProtocolVersion::V5));
        h.connect();
        h.expect_packet();
        let mut ack = connack(false);
        ack.properties.maximum_packet_size = core::num::NonZeroU32::new(max);
        h.send(ack);
        // DISCONNECT 0x83 goes out only if it fits (3 bytes).
        if max >= 3 {
            h.expect_bytes(&[0xE0, 0x01, 0x83]);
        } else {
            h.expect_silence();
        }
        assert_eq!(
            h.expect_event(),
            Event::Disconnected(Disconnection::ProtocolError(
                ProtocolError::MaximumPacketSizeTooSmall {
                    packet: PacketType::PubAck,
                    size: 4,
                    max
                }
            ))
        );
    }
}

/// With a Maximum Packet Size of 4 a plain PUBACK fits, but a PUBCOMP with
/// reason 0x92 (5 bytes) does not: instead of dropping it, which would
/// leave the server's PUBREL unanswered, the connection ends, saying why.
#[test]
fn mqtt_3_2_2_15_an_acknowledgement_that_does_not_fit_ends_the_connection() {
    let mut h = Harness::new(config(ProtocolVersion::V5));
    h.connect();
    h.expect_packet();
    let mut ack = connack(false);
    ack.properties.maximum_packet_size = core::num::NonZeroU32::new(4);
    h.send(ack);
    h.expect_event();
    h.send(publish("t", "x", Delivery::AtLeastOnce(pid(1))));
    h.expect_event();
    h.expect_bytes(&[0x40, 0x02, 0x00, 0x01]);
    // A PUBREL for an identifier never received: PUBCOMP 0x92 is due.
    h.send(Packet::PubRel(ack_of(7)));
    assert_eq!(
        h.expect_event(),
        Event::Disconnected(Disconnection::ProtocolError(
            ProtocolError::MaximumPacketSizeTooSmall {
                packet: PacketType::PubComp,
                size: 5,
                max: 4
            }
        ))
    );
}

fn ack_of(n: u16) -> Ack {
    Ack::new(pid(n))
}
