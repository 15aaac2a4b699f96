//! SUBSCRIBE, UNSUBSCRIBE and enhanced authentication.

mod common;
use bytes::Bytes;
use common::*;
use mqtt_proto::*;
use mqtt_session::harness::Harness;
use mqtt_session::*;

fn with_connack(props: ConnAckProperties) -> Harness {
    let mut h = Harness::new(config(ProtocolVersion::V5));
    h.connect();
    h.expect_packet();
    h.send(ConnAck {
        properties: props,
        ..ConnAck::default()
    });
    h.expect_event();
    h
}

#[test]
fn subscribe_several_filters_with_v5_options_and_per_filter_results() {
    let mut h = connected(config(ProtocolVersion::V5));
    let subs = vec![
        Subscription {
            filter: filter("a/+"),
            options: SubscriptionOptions {
                qos: QoS::ExactlyOnce,
                no_local: true,
                retain_as_published: true,
                retain_handling: RetainHandling::DoNotSend,
            },
        },
        Subscription::new(filter("b/#"), QoS::AtMostOnce),
    ];
    let props = SubscribeProperties {
        subscription_identifier: SubscriptionId::new(42),
        user_properties: vec![(s("k"), s("v"))],
    };
    let id = h
        .act(|s, now| s.subscribe(now, subs.clone(), props.clone()))
        .unwrap();
    h.expect(Subscribe {
        packet_id: id,
        subscriptions: subs,
        properties: props,
    });
    h.send(SubAck {
        packet_id: id,
        reasons: vec![ReasonCode::GrantedQoS2, ReasonCode::NotAuthorized],
        properties: Default::default(),
    });
    assert_eq!(
        h.expect_event(),
        Event::Subscribed {
            packet_id: id,
            reasons: vec![ReasonCode::GrantedQoS2, ReasonCode::NotAuthorized],
            properties: Default::default()
        }
    );
}

#[test]
fn v311_suback_failure_maps_to_0x80() {
    let mut h = connected(config(ProtocolVersion::V3_1_1));
    let id = h
        .act(|s, now| {
            s.subscribe(
                now,
                vec![Subscription::new(filter("a"), QoS::AtLeastOnce)],
                Default::default(),
            )
        })
        .unwrap();
    h.expect_packet();
    h.send_bytes(&[0x90, 0x03, 0x00, id.get() as u8, 0x80]);
    assert!(
        matches!(h.expect_event(), Event::Subscribed { reasons, .. } if reasons == vec![ReasonCode::UnspecifiedError])
    );
}

#[test]
fn suback_with_wrong_result_count_is_a_protocol_error() {
    let mut h = connected(config(ProtocolVersion::V5));
    let id = h
        .act(|s, now| {
            s.subscribe(
                now,
                vec![Subscription::new(filter("a"), QoS::AtLeastOnce)],
                Default::default(),
            )
        })
        .unwrap();
    h.expect_packet();
    h.send(SubAck {
        packet_id: id,
        reasons: vec![ReasonCode::Success; 2],
        properties: Default::default(),
    });
    h.expect(Disconnect::new(ReasonCode::ProtocolError));
}

#[test]
fn unsubscribe_v5_and_v311() {
    let mut h = connected(config(ProtocolVersion::V5));
    let id = h
        .act(|s, now| s.unsubscribe(now, vec![filter("a"), filter("b")], Default::default()))
        .unwrap();
    h.expect(Unsubscribe {
        packet_id: id,
        filters: vec![filter("a"), filter("b")],
        properties: Default::default(),
    });
    let reasons = vec![ReasonCode::Success, ReasonCode::NoSubscriptionExisted];
    h.send(UnsubAck {
        packet_id: id,
        reasons: reasons.clone(),
        properties: Default::default(),
    });
    assert_eq!(
        h.expect_event(),
        Event::Unsubscribed {
            packet_id: id,
            reasons,
            properties: Default::default()
        }
    );

    let mut h = connected(config(ProtocolVersion::V3_1_1));
    let id = h
        .act(|s, now| s.unsubscribe(now, vec![filter("a")], Default::default()))
        .unwrap();
    h.expect_packet();
    h.send(UnsubAck {
        packet_id: id,
        reasons: vec![],
        properties: Default::default(),
    });
    assert!(matches!(h.expect_event(), Event::Unsubscribed { .. }));
}

#[test]
fn subscribe_needs_a_connection() {
    let mut h = Harness::new(config(ProtocolVersion::V5));
    assert_eq!(
        h.act(|s, now| s.subscribe(
            now,
            vec![Subscription::new(filter("a"), QoS::AtMostOnce)],
            Default::default()
        )),
        Err(Error::NotConnected)
    );
}

#[test]
fn server_capabilities_refuse_subscribe_at_the_call() {
    let mut h = with_connack(ConnAckProperties {
        wildcard_subscription_available: Some(false),
        shared_subscription_available: Some(false),
        subscription_identifiers_available: Some(false),
        ..Default::default()
    });
    let sub = |f: &str| vec![Subscription::new(filter(f), QoS::AtMostOnce)];
    assert_eq!(
        h.act(|s, now| s.subscribe(now, sub("a/#"), Default::default())),
        Err(Error::WildcardsNotSupported(filter("a/#")))
    );
    assert_eq!(
        h.act(|s, now| s.subscribe(now, sub("$share/g/a"), Default::default())),
        Err(Error::SharedSubscriptionsNotSupported(filter("$share/g/a")))
    );
    let props = SubscribeProperties {
        subscription_identifier: SubscriptionId::new(1),
        ..Default::default()
    };
    assert_eq!(
        h.act(|s, now| s.subscribe(now, sub("a"), props)),
        Err(Error::SubscriptionIdentifiersNotSupported)
    );
    h.expect_silence();
    h.act(|s, now| s.subscribe(now, sub("a"), Default::default()))
        .unwrap();
    h.expect_packet();
}

#[test]
fn subscribe_over_server_maximum_packet_size_is_refused() {
    let mut h = with_connack(ConnAckProperties {
        maximum_packet_size: core::num::NonZeroU32::new(10),
        ..Default::default()
    });
    assert!(matches!(
        h.act(|s, now| s.subscribe(
            now,
            vec![Subscription::new(filter("a/long/filter"), QoS::AtMostOnce)],
            Default::default()
        )),
        Err(Error::PacketTooLarge { max: 10, .. })
    ));
    h.expect_silence();
}

#[test]
fn pending_requests_are_aborted_when_the_connection_ends() {
    let mut h = connected(config(ProtocolVersion::V3_1_1));
    let id = h
        .act(|s, now| {
            s.subscribe(
                now,
                vec![Subscription::new(filter("a"), QoS::AtMostOnce)],
                Default::default(),
            )
        })
        .unwrap();
    h.drop_transport();
    assert_eq!(h.expect_event(), Event::RequestAborted { packet_id: id });
    assert_eq!(
        h.expect_event(),
        Event::Disconnected(Disconnection::TransportClosed)
    );
}

#[test]
fn subscribe_ids_never_collide_with_inflight_publishes() {
    let mut h = connected(config(ProtocolVersion::V3_1_1));
    h.act(|s, now| s.publish(now, message("a", "x", QoS::AtLeastOnce)))
        .unwrap();
    let sub = h
        .act(|s, now| {
            s.subscribe(
                now,
                vec![Subscription::new(filter("a"), QoS::AtMostOnce)],
                Default::default(),
            )
        })
        .unwrap();
    let p = h
        .act(|s, now| s.publish(now, message("a", "y", QoS::AtLeastOnce)))
        .unwrap();
    let _ = p;
    let ids: Vec<_> = (0..3)
        .map(|_| match h.expect_packet() {
            Packet::Publish(p) => p.packet_id().unwrap(),
            Packet::Subscribe(s) => s.packet_id,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids, vec![pid(1), sub, pid(3)]);
}

fn auth_config() -> SessionConfig {
    let mut c = config(ProtocolVersion::V5);
    c.connect.properties.authentication_method = Some(s("SCRAM-SHA-1"));
    c.connect.properties.authentication_data = Some(Bytes::from_static(b"client-first"));
    c
}

fn auth_props(data: &'static [u8]) -> AuthProperties {
    AuthProperties {
        authentication_method: Some(s("SCRAM-SHA-1")),
        authentication_data: Some(Bytes::from_static(data)),
        ..Default::default()
    }
}

#[test]
fn enhanced_authentication_at_connect() {
    let mut h = Harness::new(auth_config());
    h.connect();
    h.expect_packet();
    h.send(Auth {
        reason: ReasonCode::ContinueAuthentication,
        properties: auth_props(b"server-first").into(),
    });
    assert_eq!(
        h.expect_event(),
        Event::Auth {
            reason: ReasonCode::ContinueAuthentication,
            properties: auth_props(b"server-first")
        }
    );
    let mut answer = auth_props(b"client-final");
    answer.authentication_method = None; // filled in by the session
    h.act(|s, now| s.auth(now, ReasonCode::ContinueAuthentication, answer))
        .unwrap();
    h.expect(Auth {
        reason: ReasonCode::ContinueAuthentication,
        properties: auth_props(b"client-final").into(),
    });
    h.send(ConnAck {
        properties: ConnAckProperties {
            authentication_method: Some(s("SCRAM-SHA-1")),
            authentication_data: Some(Bytes::from_static(b"server-final")),
            ..Default::default()
        },
        ..ConnAck::default()
    });
    assert!(
        matches!(h.expect_event(), Event::Connected { properties, .. }
        if properties.authentication_data.as_deref() == Some(&b"server-final"[..]))
    );
}

#[test]
fn re_authentication_when_connected() {
    let mut h = connected(auth_config());
    h.act(|s, now| s.auth(now, ReasonCode::ReAuthenticate, auth_props(b"again")))
        .unwrap();
    h.expect(Auth {
        reason: ReasonCode::ReAuthenticate,
        properties: auth_props(b"again").into(),
    });
    h.send(Auth {
        reason: ReasonCode::ContinueAuthentication,
        properties: auth_props(b"challenge").into(),
    });
    assert!(matches!(
        h.expect_event(),
        Event::Auth {
            reason: ReasonCode::ContinueAuthentication,
            ..
        }
    ));
    h.act(|s, now| {
        s.auth(
            now,
            ReasonCode::ContinueAuthentication,
            auth_props(b"response"),
        )
    })
    .unwrap();
    h.expect_packet();
    h.send(Auth {
        reason: ReasonCode::Success,
        properties: auth_props(b"").into(),
    });
    assert!(matches!(
        h.expect_event(),
        Event::Auth {
            reason: ReasonCode::Success,
            ..
        }
    ));
    // A second Success without a re-authentication in progress is a violation.
    h.send(Auth {
        reason: ReasonCode::Success,
        properties: auth_props(b"").into(),
    });
    h.expect(Disconnect::new(ReasonCode::ProtocolError));
}

#[test]
fn auth_with_another_method_is_a_protocol_error() {
    let mut h = Harness::new(auth_config());
    h.connect();
    h.expect_packet();
    let mut props = auth_props(b"x");
    props.authentication_method = Some(s("PLAIN"));
    h.send(Auth {
        reason: ReasonCode::ContinueAuthentication,
        properties: props.into(),
    });
    h.expect(Disconnect::new(ReasonCode::ProtocolError));
    assert_eq!(
        h.expect_event(),
        Event::Disconnected(Disconnection::ProtocolError(
            ProtocolError::BadAuthentication
        ))
    );
}

#[test]
fn auth_without_method_or_in_v311_is_a_caller_error() {
    let mut h = connected(config(ProtocolVersion::V5));
    assert!(matches!(
        h.act(|s, now| s.auth(now, ReasonCode::ReAuthenticate, AuthProperties::default())),
        Err(Error::AuthNotPossible(_))
    ));
    let mut h = connected(config(ProtocolVersion::V3_1_1));
    assert_eq!(
        h.act(|s, now| s.auth(now, ReasonCode::ReAuthenticate, AuthProperties::default())),
        Err(Error::RequiresV5("AUTH"))
    );
}
