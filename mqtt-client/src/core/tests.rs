//! The core driven by hand, as an adapter would, with a virtual clock.

use super::*;
use crate::options::ClientOptions;
use mqtt_proto::ProtocolVersion;
use std::time::Duration;

fn core(version: ProtocolVersion) -> ClientCore {
    let options = ClientOptions::new("127.0.0.1", 1883)
        .client_id("core-test")
        .protocol(version)
        .reconnect_delay(Duration::from_secs(1), Duration::from_secs(8));
    ClientCore::new(&options, None).unwrap()
}

/// Takes and "writes" everything the core has for the socket.
fn drain(core: &mut ClientCore, now: Instant) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(b) = core.take_transmit(now) {
        core.transmitted(b.len());
        out.extend_from_slice(&b);
    }
    out
}

fn events(core: &mut ClientCore) -> Vec<ClientEvent> {
    std::iter::from_fn(|| core.poll_event()).collect()
}

fn connected(version: ProtocolVersion, connack: &[u8]) -> (ClientCore, Instant) {
    let now = Instant::now();
    let mut core = core(version);
    core.begin_connect();
    core.transport_opened(now).unwrap();
    assert_eq!(drain(&mut core, now)[0], 0x10);
    core.handle_read(now, connack);
    assert!(core.is_connected());
    (core, now)
}

#[test]
fn the_attempt_is_decided_by_the_connack_and_counted_up_to_its_event() {
    let (mut core, _) = connected(ProtocolVersion::V3_1_1, &[0x20, 0x02, 0x00, 0x00]);
    let outcome = core.outcome().unwrap().clone();
    assert_eq!(outcome.attempt, 1);
    assert!(outcome.result.is_ok());
    let evs = events(&mut core);
    assert_eq!(evs.len() as u64, outcome.events_before);
    assert!(matches!(
        evs.last(),
        Some(ClientEvent::Engine(Event::Connected { .. }))
    ));
}

#[test]
fn a_refusal_decides_the_attempt_and_schedules_no_early_reconnect() {
    let now = Instant::now();
    let mut core = core(ProtocolVersion::V3_1_1);
    core.begin_connect();
    core.transport_opened(now).unwrap();
    drain(&mut core, now);
    // CONNACK, return code 5: not authorised.
    core.handle_read(now, &[0x20, 0x02, 0x00, 0x05]);
    let outcome = core.outcome().unwrap();
    assert!(matches!(
        outcome.result,
        Err(Error::Refused {
            reason: ReasonCode::NotAuthorized,
            ..
        })
    ));
    assert_eq!(core.closing(), Closing::AfterWrites);
    core.transport_closed(now);
    assert!(!core.wants_open(now));
    let retry = core.poll_timeout().expect("a reconnect is scheduled");
    assert!(retry > now && retry <= now + Duration::from_millis(1250));
    assert!(core.wants_open(retry));
}

#[test]
fn a_protocol_error_queues_the_disconnect_before_asking_to_close_mqtt_4_13_2_1() {
    // [MQTT-4.13.2-1]: after a reason code of 0x80 or more the connection
    // closes; in 5.0 the DISCONNECT carrying it goes first (section 4.13.1).
    let (mut core, now) = connected(ProtocolVersion::V5, &[0x20, 0x03, 0x00, 0x00, 0x00]);
    drain(&mut core, now);
    // An UNSUBACK nobody asked for.
    core.handle_read(now, &[0xB0, 0x04, 0x00, 0x01, 0x00, 0x87]);
    assert_eq!(
        core.closing(),
        Closing::No,
        "the DISCONNECT is not taken yet"
    );
    let bytes = core.take_transmit(now).unwrap();
    assert_eq!(&bytes[..], &[0xE0, 0x01, 0x82]);
    assert_eq!(core.closing(), Closing::AfterWrites);
    core.transmitted(bytes.len());
    core.transport_closed(now);
    assert!(!core.has_transport());
}

#[test]
fn a_closing_transport_is_closed_at_once_when_its_grace_runs_out() {
    let (mut core, now) = connected(ProtocolVersion::V5, &[0x20, 0x03, 0x00, 0x00, 0x00]);
    drain(&mut core, now);
    core.disconnect(now, ReasonCode::Success, Default::default())
        .unwrap();
    let deadline = core.poll_timeout().unwrap();
    assert_eq!(deadline, now + CLOSE_GRACE);
    core.handle_timeout(deadline);
    assert_eq!(core.closing(), Closing::Now);
    assert_eq!(
        core.take_transmit(deadline),
        None,
        "nothing more is written"
    );
}

#[test]
fn qos_0_handles_settle_when_the_bytes_are_written_not_when_taken() {
    let (mut core, now) = connected(ProtocolVersion::V3_1_1, &[0x20, 0x02, 0x00, 0x00]);
    drain(&mut core, now);
    let message = OutboundMessage::publish("t", "x", QoS::AtMostOnce, false).unwrap();
    let completion = Arc::new(Completion::default());
    core.publish(now, message, completion.clone()).unwrap();
    let bytes = core.take_transmit(now).unwrap();
    assert!(!core.has_settled());
    core.transmitted(bytes.len() - 1);
    assert!(!core.has_settled(), "one byte is still unwritten");
    core.transmitted(1);
    for s in core.take_settled() {
        s.deliver();
    }
    assert!(completion.is_done());
}

#[test]
fn completions_reach_the_callbacks_only_when_asked_for() {
    let (mut core, now) = connected(ProtocolVersion::V3_1_1, &[0x20, 0x02, 0x00, 0x00]);
    drain(&mut core, now);
    events(&mut core);
    let m = || OutboundMessage::publish("t", "x", QoS::AtLeastOnce, false).unwrap();
    core.publish(now, m(), Default::default()).unwrap();
    drain(&mut core, now);
    core.handle_read(now, &[0x40, 0x02, 0x00, 0x01]);
    assert!(events(&mut core).is_empty());
    assert_eq!(core.take_settled().len(), 1);
    core.report_published(true);
    core.publish(now, m(), Default::default()).unwrap();
    drain(&mut core, now);
    core.handle_read(now, &[0x40, 0x02, 0x00, 0x02]);
    assert!(matches!(
        events(&mut core)[..],
        [ClientEvent::Engine(Event::Published { .. })]
    ));
}

#[test]
fn an_open_failure_reaches_on_connect_fail_and_the_first_may_end_the_wish() {
    let now = Instant::now();
    let mut core = core(ProtocolVersion::V3_1_1);
    core.retry_first_connection(true);
    core.request_connection(now);
    assert!(core.wants_open(now));
    let refused = || Error::io_at("127.0.0.1:1", io::ErrorKind::ConnectionRefused.into());
    core.open_failed(now, refused(), true);
    assert!(matches!(
        events(&mut core)[..],
        [ClientEvent::ConnectFailed(Error::Io(_))]
    ));
    assert!(!core.wants_open(now), "backing off");
    assert!(core.is_wanted());
    core.retry_first_connection(false);
    core.open_failed(now, refused(), true);
    assert!(!core.is_wanted(), "the first connection is not retried");
}

#[test]
fn the_first_connection_is_not_retried_by_default_but_a_blocking_connect_keeps_the_wish() {
    let now = Instant::now();
    let refused = || Error::io_at("127.0.0.1:1", io::ErrorKind::ConnectionRefused.into());
    let mut core = core(ProtocolVersion::V3_1_1);
    core.request_connection(now);
    core.open_failed(now, refused(), true);
    assert!(!core.is_wanted(), "Paho: retry_first_connection is false");
    // A blocking connect returns its error; a loop started later retries.
    core.begin_connect();
    core.open_failed(now, refused(), false);
    assert!(core.is_wanted());
}

#[test]
fn eof_during_a_handshake_is_explained_by_the_layer() {
    let options = ClientOptions::new("127.0.0.1", 1883)
        .websocket(crate::WsOptions::new())
        .client_id("ws");
    let mut core = ClientCore::new(&options, None).unwrap();
    let now = Instant::now();
    core.begin_connect();
    core.transport_opened(now).unwrap();
    let request = drain(&mut core, now);
    assert!(request.starts_with(b"GET /mqtt HTTP/1.1"));
    core.handle_read_eof(now);
    let outcome = core.outcome().unwrap();
    assert!(
        matches!(outcome.result, Err(Error::WebSocket(_))),
        "{:?}",
        outcome.result
    );
    assert_eq!(core.closing(), Closing::Now);
}

/// The shared-subscription rules are 5.0's: a 3.1.1 client subscribes to
/// `$share/g/` as to any filter valid by [MQTT-4.7.1-2, 3.1.1],
/// [MQTT-4.7.1-3, 3.1.1] and [MQTT-4.7.3-1, 3.1.1]; a 5.0 client refuses
/// it ([MQTT-4.8.2-2]).
#[test]
fn share_prefixed_filters_follow_the_version_of_the_client() {
    let (mut core, now) = connected(ProtocolVersion::V3_1_1, &[0x20, 0x02, 0x00, 0x00]);
    drain(&mut core, now);
    for f in ["$share/g/", "$share/g", "$share/+/", "$share//"] {
        let filter = core.topic_filter(f).unwrap();
        core.subscribe(
            now,
            vec![Subscription::new(filter, QoS::AtMostOnce)],
            Default::default(),
        )
        .unwrap();
        let bytes = drain(&mut core, now);
        assert_eq!(bytes[0], 0x82);
        assert!(bytes.windows(f.len()).any(|w| w == f.as_bytes()), "{f}");
    }
    let (core, _) = connected(ProtocolVersion::V5, &[0x20, 0x03, 0x00, 0x00, 0x00]);
    assert!(matches!(
        core.topic_filter("$share/g/"),
        Err(Error::Topic(mqtt_proto::TopicError::EmptySharedFilter))
    ));
    assert!(core.topic_filter("$share/g/a/#").unwrap().is_shared());
}

/// Paho refuses a missing client id when the session is to be kept (a
/// random one could never resume it); so does `session_config`, and a 3.x
/// server would refuse the zero-byte id [MQTT-3.1.3-7, 3.1.1].
#[test]
fn no_client_id_with_clean_session_off_is_refused_as_in_paho() {
    let options = ClientOptions::new("127.0.0.1", 1883).clean_start(false);
    assert!(matches!(
        ClientCore::new(&options, None),
        Err(Error::Session(
            mqtt_session::Error::EmptyClientIdNeedsCleanSession
        ))
    ));
    assert!(ClientCore::new(&options.client_id("kept"), None).is_ok());
}

fn log_lines(events: &[ClientEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Log {
                target, message, ..
            } if *target == PACKET_TARGET => Some(message.clone()),
            _ => None,
        })
        .collect()
}

/// Packets are traced only while someone listens: the engine copies
/// nothing otherwise.
#[test]
fn packet_lines_are_made_only_while_on_log_is_set() {
    let now = Instant::now();
    let mut core = core(ProtocolVersion::V3_1_1);
    core.begin_connect();
    core.transport_opened(now).unwrap();
    drain(&mut core, now);
    core.handle_read(now, &[0x20, 0x02, 0x00, 0x00]);
    assert!(log_lines(&events(&mut core)).is_empty());
    assert!(!core.session().config().trace_packets);

    let callbacks: Callbacks<()> = Callbacks {
        on_log: Some(std::sync::Arc::new(|_, _, _| {})),
        ..Default::default()
    };
    core.callbacks_set(&callbacks);
    let mid = core
        .subscribe(
            now,
            vec![Subscription::new(
                TopicFilter::new("a/#").unwrap(),
                QoS::AtLeastOnce,
            )],
            Default::default(),
        )
        .unwrap();
    let pid = mid.packet_id().unwrap().get();
    drain(&mut core, now);
    let [hi, lo] = pid.to_be_bytes();
    core.handle_read(now, &[0x90, 0x03, hi, lo, 0x01]);
    let evs = events(&mut core);
    assert_eq!(
        log_lines(&evs),
        [
            format!("Sending SUBSCRIBE (d0, m{pid}) [(b'a/#', 1)]"),
            "Received SUBACK".to_string()
        ]
    );
    // The SUBACK reaches on_subscribe with the mid subscribe returned.
    assert!(evs.iter().any(|e| matches!(
        e,
        ClientEvent::Request { mid: m, event: Event::Subscribed { .. } } if *m == mid
    )));

    core.callbacks_set(&Callbacks::<()>::default());
    assert!(!core.session().config().trace_packets);
}

#[test]
fn subscribe_and_unsubscribe_mids_count_up_and_carry_the_packet_id() {
    let (mut core, now) = connected(ProtocolVersion::V5, &[0x20, 0x03, 0x00, 0x00, 0x00]);
    let filter = || TopicFilter::new("x").unwrap();
    let a = core
        .subscribe(
            now,
            vec![Subscription::new(filter(), QoS::AtMostOnce)],
            Default::default(),
        )
        .unwrap();
    let b = core
        .unsubscribe(now, vec![filter()], Default::default())
        .unwrap();
    assert_eq!((a.get(), b.get()), (1, 2));
    assert_ne!(a.packet_id(), b.packet_id());
    // The connection ends before the answers: each request is reported
    // aborted under its own mid.
    core.handle_transport_error(now, io::ErrorKind::ConnectionReset.into());
    let aborted: Vec<Mid> = events(&mut core)
        .into_iter()
        .filter_map(|e| match e {
            ClientEvent::Request {
                mid,
                event: Event::RequestAborted { .. },
            } => Some(mid),
            _ => None,
        })
        .collect();
    assert_eq!(aborted.len(), 2);
    assert!(aborted.contains(&a) && aborted.contains(&b));
    assert!(core.requests.is_empty());
}
