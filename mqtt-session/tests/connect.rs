//! CONNECT, CONNACK, keep alive and the connection lifecycle.

mod common;
use common::*;
use core::num::{NonZeroU16, NonZeroU32};
use core::time::Duration;
use mqtt_proto::*;
use mqtt_session::harness::Harness;
use mqtt_session::{CleanStart, Disconnection, Error, Event, ProtocolError};

#[test]
fn connect_carries_every_v5_field() {
    let mut c = config(ProtocolVersion::V5);
    c.connect.keep_alive = 30;
    c.connect.username = Some(s("user"));
    c.connect.password = Some(bytes::Bytes::from_static(b"secret"));
    c.connect.will = Some(LastWill {
        topic: topic("status/client-1"),
        payload: bytes::Bytes::from_static(b"offline"),
        qos: QoS::AtLeastOnce,
        retain: true,
        properties: WillProperties {
            will_delay_interval: Some(5),
            ..Default::default()
        },
    });
    c.connect.properties.session_expiry_interval = Some(3600);
    c.connect.properties.receive_maximum = NonZeroU16::new(10);
    c.connect.properties.maximum_packet_size = NonZeroU32::new(4096);
    c.connect.properties.topic_alias_maximum = Some(8);
    c.connect.properties.request_response_information = Some(true);
    c.connect.properties.request_problem_information = Some(false);
    c.connect.properties.user_properties = vec![(s("k"), s("v")), (s("k"), s("v2"))];
    let expected = c.connect.clone();
    let mut h = Harness::new(c);
    h.connect();
    // FirstOnly is the 5.0 default: the first connection starts clean.
    h.expect(Connect {
        clean_start: true,
        ..expected
    });
}

#[test]
fn v311_connect_bytes_with_empty_client_id() {
    let mut c = config(ProtocolVersion::V3_1_1);
    c.connect.client_id = MqttString::default();
    c.connect.keep_alive = 60;
    let mut h = Harness::new(c);
    h.connect();
    h.expect_bytes(b"\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c\x00\x00");
}

#[test]
fn v31_connect_uses_mqisdp() {
    let mut h = Harness::new(config(ProtocolVersion::V3_1));
    h.connect();
    let Packet::Connect(c) = h.expect_packet() else {
        panic!()
    };
    assert_eq!(c.protocol, ProtocolVersion::V3_1);
}

#[test]
fn refused_connack_reports_reason_and_closes() {
    let mut h = Harness::new(config(ProtocolVersion::V3_1_1));
    h.connect();
    h.expect_packet();
    h.send(ConnAck {
        reason: ReasonCode::BadUserNameOrPassword,
        ..ConnAck::default()
    });
    match h.expect_event() {
        Event::Disconnected(Disconnection::Refused { reason, .. }) => {
            assert_eq!(reason, ReasonCode::BadUserNameOrPassword)
        }
        e => panic!("{e:?}"),
    }
    assert!(!h.session.has_connection());
    // Later input is ignored.
    h.send(Packet::PingResp);
    h.expect_no_event();
}

#[test]
fn connect_timeout_without_connack() {
    let mut c = config(ProtocolVersion::V3_1_1);
    c.connect_timeout = Duration::from_secs(5);
    let mut h = Harness::new(c);
    h.connect();
    h.expect_packet();
    h.advance(Duration::from_secs(4));
    h.expect_no_event();
    h.advance(Duration::from_secs(1));
    assert_eq!(
        h.expect_event(),
        Event::Disconnected(Disconnection::ConnectTimeout)
    );
    assert_eq!(h.session.poll_timeout(), None);
}

#[test]
fn connect_twice_is_a_caller_error() {
    let mut h = connected(config(ProtocolVersion::V3_1_1));
    assert_eq!(h.act(|s, now| s.connect(now)), Err(Error::AlreadyConnected));
}

/// With a keep alive and nothing else to send, the client sends PINGREQ
/// once the keep alive has passed since its last packet, and again a keep
/// alive after that. [MQTT-3.1.2-23, 3.1.1] [MQTT-3.1.2-20, 5.0]
#[test]
fn pingreq_when_idle_for_keep_alive() {
    for version in [
        ProtocolVersion::V3_1,
        ProtocolVersion::V3_1_1,
        ProtocolVersion::V5,
    ] {
        let mut c = config(version);
        c.connect.keep_alive = 10;
        let mut h = connected(c);
        h.advance(Duration::from_secs(9));
        h.expect_silence();
        h.advance(Duration::from_secs(1));
        h.expect_bytes(&[0xC0, 0x00]);
        h.send(Packet::PingResp);
        h.advance(Duration::from_secs(9));
        h.expect_silence();
        h.advance(Duration::from_secs(1));
        h.expect_bytes(&[0xC0, 0x00]);
    }
}

#[test]
fn sending_defers_the_ping_but_silence_from_the_server_does_not() {
    let mut c = config(ProtocolVersion::V3_1_1);
    c.connect.keep_alive = 10;
    let mut h = connected(c);
    h.advance(Duration::from_secs(6));
    h.act(|s, now| s.publish(now, message("t", "x", QoS::AtMostOnce)))
        .unwrap();
    h.expect_packet();
    // We sent at 6 s but have heard nothing since 0 s: a half-open
    // connection must still be probed at 10 s.
    h.advance(Duration::from_secs(4));
    assert_eq!(h.expect_packet(), Packet::PingReq);
}

#[test]
fn half_open_connection_detected_when_pingresp_never_comes() {
    let mut c = config(ProtocolVersion::V3_1_1);
    c.connect.keep_alive = 10;
    c.ping_timeout = Some(Duration::from_secs(3));
    let mut h = connected(c);
    h.advance(Duration::from_secs(10));
    assert_eq!(h.expect_packet(), Packet::PingReq);
    h.advance(Duration::from_secs(2));
    h.expect_no_event();
    h.advance(Duration::from_secs(1));
    assert_eq!(
        h.expect_event(),
        Event::Disconnected(Disconnection::KeepAliveTimeout)
    );
}

#[test]
fn keep_alive_zero_disables_pings() {
    let mut h = connected(config(ProtocolVersion::V3_1_1));
    assert_eq!(h.session.poll_timeout(), None);
    h.advance(Duration::from_secs(100_000));
    h.expect_silence();
}

#[test]
fn server_keep_alive_replaces_ours() {
    let mut c = config(ProtocolVersion::V5);
    c.connect.keep_alive = 60;
    let mut h = Harness::new(c);
    h.connect();
    h.expect_packet();
    h.send(ConnAck {
        properties: ConnAckProperties {
            server_keep_alive: Some(5),
            ..Default::default()
        },
        ..ConnAck::default()
    });
    h.expect_event();
    assert_eq!(h.session.keep_alive(), Some(Duration::from_secs(5)));
    h.advance(Duration::from_secs(5));
    assert_eq!(h.expect_packet(), Packet::PingReq);
}

#[test]
fn assigned_client_identifier_is_used_on_reconnect() {
    let mut c = config(ProtocolVersion::V5);
    c.connect.client_id = MqttString::default();
    let mut h = Harness::new(c);
    h.connect();
    h.expect_packet();
    h.send(ConnAck {
        properties: ConnAckProperties {
            assigned_client_identifier: Some(s("auto-42")),
            ..Default::default()
        },
        ..ConnAck::default()
    });
    h.expect_event();
    h.drop_transport();
    h.expect_event();
    let connect = reconnect(&mut h, true);
    assert_eq!(connect.client_id.as_str(), "auto-42");
    // FirstOnly: the reconnect resumes the session.
    assert!(!connect.clean_start);
}

#[test]
fn clean_start_policies() {
    for (policy, first, second) in [
        (CleanStart::Always, true, true),
        (CleanStart::Never, false, false),
        (CleanStart::FirstOnly, true, false),
    ] {
        let mut c = config(ProtocolVersion::V3_1_1);
        c.clean_start = policy;
        let mut h = Harness::new(c);
        h.connect();
        let Packet::Connect(c1) = h.expect_packet() else {
            panic!()
        };
        h.send(connack(false));
        h.drop_transport();
        h.take_events();
        let c2 = reconnect(&mut h, false);
        assert_eq!(
            (c1.clean_start, c2.clean_start),
            (first, second),
            "{policy:?}"
        );
    }
}

/// A client that asked for a clean start holds no session state: a CONNACK
/// with Session Present 1 (which a server may not send then) makes it
/// close the connection, with DISCONNECT 0x82 first. [MQTT-3.2.2-4, 5.0]
#[test]
fn mqtt_3_2_2_4_session_present_after_clean_start_closes_the_connection() {
    let mut h = Harness::new(config(ProtocolVersion::V5));
    h.connect();
    let Packet::Connect(connect) = h.expect_packet() else {
        panic!("CONNECT first")
    };
    assert!(connect.clean_start);
    h.send(connack(true));
    h.expect(Disconnect::new(ReasonCode::ProtocolError));
    assert!(matches!(
        h.expect_event(),
        Event::Disconnected(Disconnection::ProtocolError(
            ProtocolError::UnexpectedPacket(PacketType::ConnAck)
        ))
    ));
    assert!(!h.session.has_connection());
    h.expect_silence();
}

#[test]
fn server_disconnect_is_surfaced_with_reason_and_properties() {
    let mut h = connected(config(ProtocolVersion::V5));
    let properties = DisconnectProperties {
        reason_string: Some(s("maintenance")),
        server_reference: Some(s("other.example:1883")),
        ..Default::default()
    };
    h.send(Disconnect {
        reason: ReasonCode::UseAnotherServer,
        properties: properties.clone().into(),
    });
    assert_eq!(
        h.expect_event(),
        Event::Disconnected(Disconnection::Server {
            reason: ReasonCode::UseAnotherServer,
            properties
        })
    );
}

#[test]
fn local_disconnect_sends_reason_and_session_expiry() {
    let mut c = config(ProtocolVersion::V5);
    c.connect.properties.session_expiry_interval = Some(60);
    let mut h = connected(c);
    let d = Disconnect {
        reason: ReasonCode::DisconnectWithWillMessage,
        properties: DisconnectProperties {
            session_expiry_interval: Some(0),
            ..Default::default()
        }
        .into(),
    };
    h.act(|s, now| s.disconnect(now, d.clone())).unwrap();
    h.expect(d);
    assert_eq!(
        h.expect_event(),
        Event::Disconnected(Disconnection::Local {
            reason: ReasonCode::DisconnectWithWillMessage
        })
    );
}

#[test]
fn disconnect_may_not_add_a_session_expiry_when_connect_had_none() {
    let mut h = connected(config(ProtocolVersion::V5));
    let d = Disconnect {
        reason: ReasonCode::Success,
        properties: DisconnectProperties {
            session_expiry_interval: Some(30),
            ..Default::default()
        }
        .into(),
    };
    assert_eq!(
        h.act(|s, now| s.disconnect(now, d)),
        Err(Error::SessionExpiryNotAllowed)
    );
    h.expect_silence();
    assert!(h.session.is_connected());
}

#[test]
fn v311_disconnect_is_two_bytes() {
    let mut h = connected(config(ProtocolVersion::V3_1_1));
    h.act(|s, now| s.disconnect(now, Disconnect::default()))
        .unwrap();
    h.expect_bytes(b"\xe0\x00");
}
