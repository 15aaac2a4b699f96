//! Model-based property test: random interleavings of application commands,
//! broker replies, chunked input, time jumps and connection drops, checked
//! against invariants of the specification:
//!
//! - no packet identifier is reused while in use [MQTT-2.2.1-3, 5.0];
//! - DUP is set on every resend of a PUBLISH, and only then [MQTT-3.3.1-1, 5.0];
//! - nothing is resent after a CONNACK without Session Present [MQTT-4.4.0-1, 5.0];
//! - every message `publish` accepted ends in exactly one completion or
//!   failure event;
//! - an inbound QoS 2 message is delivered exactly once despite resends;
//! - a deadline is never in the past right after `handle_timeout` (checked
//!   by the harness on every timer it fires).

mod common;
use bytes::Bytes;
use common::*;
use core::time::Duration;
use mqtt_proto::*;
use mqtt_session::harness::Harness;
use mqtt_session::*;
use proptest::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

#[derive(Debug, Clone)]
enum Op {
    Publish {
        qos: u8,
        expiry: bool,
    },
    Subscribe,
    /// The broker processes up to n packets the client sent.
    BrokerReads(usize),
    /// The broker answers one outstanding client flow.
    BrokerAcks {
        pick: usize,
        fail: bool,
    },
    BrokerAcksSub(usize),
    /// The broker publishes to the client.
    BrokerPublishes {
        qos: u8,
    },
    /// The broker resends an inbound publish it has not seen PUBREC for.
    BrokerResendsInbound(usize),
    BrokerReleases(usize),
    AppAcks(usize),
    Advance(u64),
    DropTransport,
    Reconnect {
        session_present: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..3, proptest::bool::weighted(0.2)).prop_map(|(qos, expiry)| Op::Publish { qos, expiry }),
        1 => Just(Op::Subscribe),
        6 => (1usize..6).prop_map(Op::BrokerReads),
        5 => (any::<usize>(), proptest::bool::weighted(0.1)).prop_map(|(pick, fail)| Op::BrokerAcks { pick, fail }),
        1 => any::<usize>().prop_map(Op::BrokerAcksSub),
        3 => (0u8..3).prop_map(|qos| Op::BrokerPublishes { qos }),
        1 => any::<usize>().prop_map(Op::BrokerResendsInbound),
        2 => any::<usize>().prop_map(Op::BrokerReleases),
        2 => any::<usize>().prop_map(Op::AppAcks),
        2 => (0u64..40).prop_map(Op::Advance),
        1 => Just(Op::DropTransport),
        1 => any::<bool>().prop_map(|session_present| Op::Reconnect { session_present }),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutFlow {
    Qos1,
    Qos2,
    Qos2Released,
    Qos2PubRecSent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InFlow {
    Qos1,
    Qos2,
    Qos2Received,
}

struct Model {
    h: Harness,
    chunks: Vec<usize>,
    chunk_at: usize,
    /// Client packets emitted but not yet read by the broker (lost on a drop).
    inbox: VecDeque<Packet>,
    // Client-side truth, per broker session: what was emitted and is unfinished.
    emitted_publish: HashMap<u16, Bytes>,
    emitted_requests: HashSet<u16>,
    pubrec_sent: HashSet<u16>,
    // Broker view.
    out: BTreeMap<u16, OutFlow>,
    subs: BTreeMap<u16, usize>,
    inbound: BTreeMap<u16, (InFlow, Bytes)>,
    next_inbound: u16,
    nonce: u64,
    delivered_qos2: HashMap<Bytes, usize>,
    // Application view.
    accepted: HashSet<MessageId>,
    terminal: HashMap<MessageId, usize>,
    tokens: Vec<AckToken>,
    connected: bool,
}

impl Model {
    fn new(auto_ack: bool, drop_oldest: bool, chunks: Vec<usize>) -> Self {
        let mut c = config(ProtocolVersion::V5);
        c.clean_start = CleanStart::Never;
        c.connect.keep_alive = 30;
        c.auto_ack = auto_ack;
        c.max_inflight = 5;
        c.max_queued_messages = 8;
        if drop_oldest {
            c.queue_full = QueueFullPolicy::DropOldest;
        }
        let mut m = Model {
            h: Harness::new(c),
            chunks,
            chunk_at: 0,
            inbox: VecDeque::new(),
            emitted_publish: HashMap::new(),
            emitted_requests: HashSet::new(),
            pubrec_sent: HashSet::new(),
            out: BTreeMap::new(),
            subs: BTreeMap::new(),
            inbound: BTreeMap::new(),
            next_inbound: 0,
            nonce: 0,
            delivered_qos2: HashMap::new(),
            accepted: HashSet::new(),
            terminal: HashMap::new(),
            tokens: Vec::new(),
            connected: false,
        };
        m.reconnect(false);
        m
    }

    /// The broker sends `packet`, split into chunks of the generated sizes.
    fn send(&mut self, packet: impl Into<Packet>) {
        let bytes = self.h.encode(packet.into());
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let n = self.chunks[self.chunk_at % self.chunks.len()].clamp(1, rest.len());
            self.chunk_at += 1;
            self.h.send_bytes(&rest[..n]);
            rest = &rest[n..];
        }
        self.after();
    }

    /// Collects what the client emitted and the events, checking invariants.
    fn after(&mut self) {
        while let Some(p) = self.h.try_packet() {
            self.check_emitted(&p);
            self.inbox.push_back(p);
        }
        for e in self.h.take_events() {
            match e {
                Event::Published { id, .. } | Event::PublishFailed { id, .. } => {
                    *self.terminal.entry(id).or_default() += 1;
                    assert_eq!(self.terminal[&id], 1, "two completion events for {id:?}");
                    assert!(self.accepted.contains(&id), "completion for unknown {id:?}");
                }
                Event::Message(m) => {
                    if m.publish.qos() == QoS::ExactlyOnce {
                        let n = self
                            .delivered_qos2
                            .entry(m.publish.payload.clone())
                            .or_default();
                        *n += 1;
                        assert_eq!(*n, 1, "QoS 2 message delivered twice");
                    }
                    if let Some(t) = m.ack {
                        self.tokens.push(t);
                    }
                }
                Event::Disconnected(Disconnection::ProtocolError(e)) => {
                    panic!("the model broker is valid, yet: {e}")
                }
                Event::Disconnected(_) => self.connected = false,
                _ => {}
            }
        }
    }

    fn check_emitted(&mut self, p: &Packet) {
        match p {
            Packet::Publish(p) if p.qos() != QoS::AtMostOnce => {
                let id = p.packet_id().unwrap().get();
                if p.dup {
                    assert_eq!(
                        self.emitted_publish.get(&id),
                        Some(&p.payload),
                        "DUP on packet id {id}, which is not a resend of an unfinished PUBLISH"
                    );
                } else {
                    assert!(
                        !self.emitted_publish.contains_key(&id)
                            && !self.emitted_requests.contains(&id),
                        "packet id {id} reused while in use"
                    );
                    self.emitted_publish.insert(id, p.payload.clone());
                }
            }
            Packet::PubRel(a) => assert!(
                self.pubrec_sent.contains(&a.packet_id.get()),
                "PUBREL {} without a PUBREC in this session",
                a.packet_id
            ),
            Packet::Subscribe(s) => {
                let id = s.packet_id.get();
                assert!(
                    !self.emitted_publish.contains_key(&id) && self.emitted_requests.insert(id)
                );
            }
            Packet::Disconnect(d) => panic!("client disconnected: {d:?}"),
            _ => {}
        }
    }

    fn broker_read(&mut self, n: usize) {
        for _ in 0..n {
            let Some(p) = self.inbox.pop_front() else {
                return;
            };
            match p {
                Packet::Publish(p) => {
                    if let Some(id) = p.packet_id() {
                        let flow = if p.qos() == QoS::AtLeastOnce {
                            OutFlow::Qos1
                        } else {
                            OutFlow::Qos2
                        };
                        let entry = self.out.entry(id.get()).or_insert(flow);
                        if *entry == OutFlow::Qos2PubRecSent {
                            // A resend after our PUBREC was lost: acknowledge again.
                            self.send(Packet::PubRec(Ack::new(id)));
                        }
                    }
                }
                Packet::PubRel(a) => {
                    self.out.insert(a.packet_id.get(), OutFlow::Qos2Released);
                }
                Packet::Subscribe(s) => {
                    self.subs.insert(s.packet_id.get(), s.subscriptions.len());
                }
                Packet::PingReq => self.send(Packet::PingResp),
                Packet::PubAck(a) | Packet::PubComp(a) => {
                    self.inbound.remove(&a.packet_id.get());
                }
                Packet::PubRec(a) => {
                    if let Some((flow, _)) = self.inbound.get_mut(&a.packet_id.get()) {
                        *flow = InFlow::Qos2Received;
                    }
                }
                _ => {}
            }
        }
    }

    fn broker_ack(&mut self, pick: usize, fail: bool) {
        let Some((&id, &flow)) = self.out.iter().nth(pick % self.out.len().max(1)) else {
            return;
        };
        let pid = PacketId::new(id).unwrap();
        let reason = if fail {
            ReasonCode::QuotaExceeded
        } else {
            ReasonCode::Success
        };
        match flow {
            OutFlow::Qos1 => {
                self.out.remove(&id);
                self.emitted_publish.remove(&id);
                self.send(Packet::PubAck(Ack::with_reason(pid, reason)));
            }
            OutFlow::Qos2 if fail => {
                self.out.remove(&id);
                self.emitted_publish.remove(&id);
                self.send(Packet::PubRec(Ack::with_reason(pid, reason)));
            }
            OutFlow::Qos2 => {
                self.out.insert(id, OutFlow::Qos2PubRecSent);
                self.pubrec_sent.insert(id);
                self.emitted_publish.remove(&id);
                self.send(Packet::PubRec(Ack::new(pid)));
            }
            OutFlow::Qos2PubRecSent => {}
            OutFlow::Qos2Released => {
                self.out.remove(&id);
                self.pubrec_sent.remove(&id);
                self.send(Packet::PubComp(Ack::new(pid)));
            }
        }
    }

    fn broker_publish(&mut self, qos: u8) {
        self.nonce += 1;
        let payload = Bytes::from(format!("m{}", self.nonce));
        let qos = QoS::from_u8(qos).unwrap();
        let delivery = if qos == QoS::AtMostOnce {
            Delivery::AtMostOnce
        } else {
            // Our Receive Maximum is 65,535; keep a few identifiers in use at most.
            if self.inbound.len() >= 10 {
                return;
            }
            let id = loop {
                self.next_inbound = self.next_inbound % 30 + 1;
                if !self.inbound.contains_key(&self.next_inbound) {
                    break self.next_inbound;
                }
            };
            let flow = if qos == QoS::AtLeastOnce {
                InFlow::Qos1
            } else {
                InFlow::Qos2
            };
            self.inbound.insert(id, (flow, payload.clone()));
            Delivery::with_id(qos, PacketId::new(id).unwrap())
        };
        let mut p = Publish::new(topic("in"), payload);
        p.delivery = delivery;
        self.send(p);
    }

    fn broker_resend_inbound(&mut self, pick: usize) {
        let candidates: Vec<_> = self
            .inbound
            .iter()
            .filter(|(_, (f, _))| *f == InFlow::Qos2)
            .map(|(&id, (_, payload))| (id, payload.clone()))
            .collect();
        if candidates.is_empty() {
            return;
        }
        let (id, payload) = candidates[pick % candidates.len()].clone();
        let mut p = Publish::new(topic("in"), payload);
        p.delivery = Delivery::ExactlyOnce(PacketId::new(id).unwrap());
        p.dup = true;
        self.send(p);
    }

    fn broker_release(&mut self, pick: usize) {
        let candidates: Vec<u16> = self
            .inbound
            .iter()
            .filter(|(_, (f, _))| *f == InFlow::Qos2Received)
            .map(|(&id, _)| id)
            .collect();
        if let Some(&id) = candidates.get(pick % candidates.len().max(1)) {
            self.send(Packet::PubRel(Ack::new(PacketId::new(id).unwrap())));
        }
    }

    fn drop_transport(&mut self) {
        self.inbox.clear();
        self.subs.clear();
        self.emitted_requests.clear();
        if self.h.session.has_connection() {
            self.h.drop_transport();
        }
        self.after();
        self.connected = false;
    }

    fn reconnect(&mut self, session_present: bool) {
        // The old connection may have ended on its own (keep-alive timeout):
        // the broker forgets its per-connection state either way.
        self.drop_transport();
        self.h.connect();
        let Some(Packet::Connect(_)) = self.h.try_packet() else {
            panic!("no CONNECT")
        };
        if !session_present {
            // The broker forgot everything: nothing may be resent.
            self.out.clear();
            self.emitted_publish.clear();
            self.pubrec_sent.clear();
            self.inbound.clear();
        }
        self.send(ConnAck {
            session_present,
            ..ConnAck::default()
        });
        self.connected = true;
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Publish { qos, expiry } => {
                let mut msg =
                    OutboundMessage::new(topic("out"), Bytes::from(format!("p{}", self.nonce)))
                        .qos(QoS::from_u8(qos).unwrap());
                self.nonce += 1;
                if expiry {
                    msg.properties.message_expiry_interval = Some(10);
                }
                match self.h.act(|s, now| s.publish(now, msg)) {
                    Ok(id) => {
                        self.accepted.insert(id);
                    }
                    Err(Error::QueueFull) => {}
                    Err(e) => panic!("publish failed: {e}"),
                }
                self.after();
            }
            Op::Subscribe if self.connected => {
                let subs = vec![Subscription::new(filter("in/#"), QoS::ExactlyOnce)];
                self.h
                    .act(|s, now| s.subscribe(now, subs, Default::default()))
                    .unwrap();
                self.after();
            }
            Op::Subscribe => {}
            Op::BrokerReads(n) if self.connected => self.broker_read(n),
            Op::BrokerAcks { pick, fail } if self.connected => self.broker_ack(pick, fail),
            Op::BrokerAcksSub(pick) if self.connected => {
                if let Some((&id, &n)) = self.subs.iter().nth(pick % self.subs.len().max(1)) {
                    self.subs.remove(&id);
                    self.emitted_requests.remove(&id);
                    self.send(SubAck {
                        packet_id: PacketId::new(id).unwrap(),
                        reasons: vec![ReasonCode::GrantedQoS2; n],
                        properties: Default::default(),
                    });
                }
            }
            Op::BrokerPublishes { qos } if self.connected => self.broker_publish(qos),
            Op::BrokerResendsInbound(pick) if self.connected => self.broker_resend_inbound(pick),
            Op::BrokerReleases(pick) if self.connected => self.broker_release(pick),
            Op::AppAcks(pick) if !self.tokens.is_empty() => {
                let t = self.tokens.remove(pick % self.tokens.len());
                // A token from before a lost session is rightly unknown.
                let _ = self.h.act(|s, now| s.ack(now, t));
                self.after();
            }
            Op::Advance(secs) => {
                self.h.advance(Duration::from_secs(secs));
                self.after();
                // The broker answers pings promptly when connected.
                if self.connected {
                    self.broker_read(usize::MAX);
                }
            }
            Op::DropTransport if self.h.session.has_connection() => self.drop_transport(),
            Op::Reconnect { session_present } => self.reconnect(session_present),
            _ => {}
        }
    }

    /// Drives every accepted message to its end: resume the session and let
    /// the broker read and acknowledge everything.
    fn finish(&mut self) {
        if !self.connected {
            self.reconnect(true);
        }
        for t in std::mem::take(&mut self.tokens) {
            let _ = self.h.act(|s, now| s.ack(now, t));
        }
        self.after();
        for _ in 0..10_000 {
            self.broker_read(usize::MAX);
            let state = self.h.session.state();
            if self.out.is_empty()
                && self.inbox.is_empty()
                && state.queue.is_empty()
                && state.inflight.is_empty()
                && state.orphan_pubrels.is_empty()
            {
                break;
            }
            // Answer the first flow that can move; a flow waiting for the
            // client's PUBREL moves only after a resume resends it.
            match self
                .out
                .values()
                .position(|f| *f != OutFlow::Qos2PubRecSent)
            {
                Some(i) => self.broker_ack(i, false),
                None => self.reconnect(true),
            }
        }
        for id in &self.accepted {
            assert_eq!(self.terminal.get(id), Some(&1), "{id:?} never completed");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn session_invariants_hold_under_random_interleavings(
        ops in proptest::collection::vec(op(), 1..80),
        auto_ack in any::<bool>(),
        drop_oldest in any::<bool>(),
        chunks in proptest::collection::vec(1usize..12, 1..5),
    ) {
        let mut m = Model::new(auto_ack, drop_oldest, chunks);
        for op in ops {
            m.apply(op);
        }
        m.finish();
    }
}
