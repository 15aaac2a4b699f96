//! Crash model: a durable session is killed at random instants, between any
//! two steps of its host's drive loop, and rebuilt from what its store
//! holds, against a model broker that keeps a persistent session the way
//! Mosquitto does (a QoS 2 message from the client is held from PUBLISH to
//! PUBREL, and a new PUBLISH reusing a held identifier is taken for a
//! duplicate).
//!
//! The host follows the contract of `mqtt_session::durable`, as
//! `mqtt_client::ClientCore` does: store operations are appended as they
//! come (an append survives the process being killed); the one that
//! records an inbound QoS 2 identifier is appended only once the
//! application's callback for that message returned; everything is stored
//! before bytes are written. Checked once the dust settles:
//!
//! - every message whose `publish` was stored reaches the broker's
//!   subscribers: QoS 1 at least once, QoS 2 exactly once;
//! - no new PUBLISH reuses an identifier the broker still holds;
//! - every message the broker sent reaches the application, QoS 2 at most
//!   once more per kill (a kill between a callback and the append after it).

use bytes::{Bytes, BytesMut};
use mqtt_proto::{
    Ack, ConnAck, Decoder, Delivery, Encodable, MqttString, Packet, PacketId, ProtocolVersion,
    Publish, QoS, ReasonCode, TopicName,
};
use mqtt_session::durable::StoredStage;
use mqtt_session::{
    CleanStart, DurableState, Event, OutboundMessage, Session, SessionConfig, StoreOp, WallClock,
};
use proptest::prelude::*;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// The model broker: one client, one persistent session.
struct Broker {
    version: ProtocolVersion,
    has_session: bool,
    connected: bool,
    decoder: Decoder,
    rx: BytesMut,
    /// QoS 2 messages from the client awaiting PUBREL, by identifier.
    held: HashMap<u16, Bytes>,
    /// What the broker passed on to subscribers.
    delivered: Vec<Bytes>,
    /// Every message created for the client.
    created: Vec<(Bytes, QoS)>,
    /// Messages to send to the client, and those sent and unfinished, in order.
    pending: VecDeque<(Bytes, QoS)>,
    inflight: Vec<(u16, Bytes, QoS, bool)>,
    next_id: u16,
    /// New PUBLISHes that reused a held identifier: lost messages.
    collisions: usize,
}

impl Broker {
    fn new(version: ProtocolVersion) -> Self {
        Self {
            version,
            has_session: false,
            connected: false,
            decoder: Decoder::new(version),
            rx: BytesMut::new(),
            held: HashMap::new(),
            delivered: Vec::new(),
            created: Vec::new(),
            pending: VecDeque::new(),
            inflight: Vec::new(),
            next_id: 0,
            collisions: 0,
        }
    }

    fn send(&self, packet: Packet, out: &mut BytesMut) {
        packet.encode(self.version, out).unwrap();
    }

    fn publish_packet(id: u16, payload: &Bytes, qos: QoS, dup: bool) -> Packet {
        let mut p = Publish::new(TopicName::new("down").unwrap(), payload.clone());
        p.delivery = Delivery::with_id(qos, PacketId::new(id).unwrap());
        p.dup = dup;
        Packet::Publish(p)
    }

    /// Processes up to `n` packets the client sent; answers go to `out`.
    fn read(&mut self, n: usize, input: &mut BytesMut, out: &mut BytesMut) {
        self.rx.extend_from_slice(&input.split());
        for _ in 0..n {
            let packet = match self.decoder.decode(&mut self.rx) {
                Ok(Some(p)) => p,
                Ok(None) => return,
                Err(e) => panic!("the client sent a malformed packet: {e}"),
            };
            self.handle(packet, out);
        }
    }

    fn handle(&mut self, packet: Packet, out: &mut BytesMut) {
        match packet {
            Packet::Connect(c) => {
                assert!(!c.clean_start, "the model keeps one session");
                let ack = ConnAck {
                    session_present: self.has_session,
                    reason: ReasonCode::Success,
                    properties: Default::default(),
                };
                self.has_session = true;
                self.connected = true;
                self.send(Packet::ConnAck(Box::new(ack)), out);
                for (id, payload, qos, released) in &self.inflight {
                    let packet = if *released {
                        Packet::PubRel(Ack::new(PacketId::new(*id).unwrap()))
                    } else {
                        Self::publish_packet(*id, payload, *qos, true)
                    };
                    self.send(packet, out);
                }
            }
            Packet::Publish(p) => match p.packet_id() {
                None => self.delivered.push(p.payload),
                Some(id) if p.qos() == QoS::AtLeastOnce => {
                    self.delivered.push(p.payload);
                    self.send(Packet::PubAck(Ack::new(id)), out);
                }
                Some(id) => {
                    match self.held.entry(id.get()) {
                        Entry::Occupied(_) if !p.dup => self.collisions += 1,
                        Entry::Occupied(_) => {}
                        Entry::Vacant(v) => {
                            v.insert(p.payload);
                        }
                    }
                    self.send(Packet::PubRec(Ack::new(id)), out);
                }
            },
            Packet::PubRel(a) => {
                let reason = match self.held.remove(&a.packet_id.get()) {
                    Some(payload) => {
                        self.delivered.push(payload);
                        ReasonCode::Success
                    }
                    None if self.version.is_v5() => ReasonCode::PacketIdentifierNotFound,
                    None => ReasonCode::Success,
                };
                self.send(Packet::PubComp(Ack::with_reason(a.packet_id, reason)), out);
            }
            Packet::PubAck(a) => self
                .inflight
                .retain(|m| !(m.0 == a.packet_id.get() && m.2 == QoS::AtLeastOnce)),
            Packet::PubRec(a) => {
                if let Some(m) = self
                    .inflight
                    .iter_mut()
                    .find(|m| m.0 == a.packet_id.get() && m.2 == QoS::ExactlyOnce)
                {
                    m.3 = true;
                }
                self.send(Packet::PubRel(Ack::new(a.packet_id)), out);
            }
            Packet::PubComp(a) => self.inflight.retain(|m| !(m.0 == a.packet_id.get() && m.3)),
            Packet::PingReq => self.send(Packet::PingResp, out),
            Packet::Disconnect(_) => {}
            other => panic!("unexpected packet from the client: {other:?}"),
        }
    }

    /// Sends the next pending message, if connected.
    fn publish(&mut self, out: &mut BytesMut) {
        if !self.connected {
            return;
        }
        let Some((payload, qos)) = self.pending.pop_front() else {
            return;
        };
        loop {
            self.next_id = self.next_id.wrapping_add(1).max(1);
            if !self.inflight.iter().any(|m| m.0 == self.next_id) {
                break;
            }
        }
        self.inflight
            .push((self.next_id, payload.clone(), qos, false));
        self.send(
            Self::publish_packet(self.next_id, &payload, qos, false),
            out,
        );
    }

    fn drop_connection(&mut self) {
        self.connected = false;
        self.rx.clear();
        self.decoder = Decoder::new(self.version);
    }

    fn idle(&self) -> bool {
        self.pending.is_empty() && self.inflight.is_empty() && self.held.is_empty()
    }
}

/// The process was killed.
struct Killed;

/// The client process: a session, its store and its application.
struct Host {
    config: SessionConfig,
    session: Session,
    /// Every store operation appended (an append survives a kill).
    store: DurableState,
    /// Identifiers whose store operation waits for their message's callback.
    held: Vec<PacketId>,
    /// What the application's callback got.
    received: Vec<Bytes>,
    /// Messages whose `publish` was stored: they must not be lost.
    accepted: Vec<(Bytes, QoS)>,
    /// Steps left before the next kill.
    countdown: Option<u32>,
    kills: usize,
    start: Instant,
    now: Instant,
}

impl Host {
    fn clock(&self) -> WallClock {
        WallClock {
            now: self.now,
            unix_ms: 1_700_000_000_000 + (self.now - self.start).as_millis() as u64,
        }
    }

    fn tick(&mut self) -> Result<(), Killed> {
        match &mut self.countdown {
            Some(0) => {
                self.countdown = None;
                Err(Killed)
            }
            Some(n) => {
                *n -= 1;
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn append(&mut self, op: StoreOp) {
        let clock = self.clock();
        self.store.apply(&op, clock);
    }

    /// The drive loop after any call: store, callbacks, then bytes.
    fn drive(&mut self, up: &mut BytesMut, broker: &mut Broker) -> Result<(), Killed> {
        while let Some(op) = self.session.poll_store_op() {
            self.tick()?;
            match op {
                StoreOp::InboundReceived { packet_id } => self.held.push(packet_id),
                op => self.append(op),
            }
        }
        while let Some(event) = self.session.poll_event() {
            self.tick()?;
            match event {
                Event::Message(m) => {
                    self.received.push(m.publish.payload.clone());
                    self.tick()?;
                    if let Some(id) = m.publish.packet_id() {
                        if let Some(i) = self.held.iter().position(|&h| h == id) {
                            self.held.swap_remove(i);
                            self.append(StoreOp::InboundReceived { packet_id: id });
                        }
                    }
                }
                Event::Disconnected(why) => {
                    if let Some(b) = self.session.poll_transmit() {
                        up.extend_from_slice(&b);
                    }
                    broker.read(usize::MAX, up, &mut BytesMut::new());
                    broker.drop_connection();
                    let _ = why;
                }
                _ => {}
            }
        }
        for id in std::mem::take(&mut self.held) {
            self.append(StoreOp::InboundReceived { packet_id: id });
        }
        self.tick()?;
        if let Some(bytes) = self.session.poll_transmit() {
            up.extend_from_slice(&bytes);
        }
        Ok(())
    }

    fn restart(&mut self) {
        self.kills += 1;
        self.held.clear();
        let clock = self.clock();
        self.session = Session::from_stored(self.config.clone(), &self.store, clock).unwrap();
    }
}

#[derive(Debug, Clone)]
enum Step {
    Publish(u8),
    BrokerPublishes(u8),
    BrokerReads(usize),
    ClientReads,
    DropConnection,
    Connect,
    Advance(u64),
    Kill(u32),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (1u8..3).prop_map(Step::Publish),
        3 => (1u8..3).prop_map(Step::BrokerPublishes),
        5 => (1usize..8).prop_map(Step::BrokerReads),
        5 => Just(Step::ClientReads),
        1 => Just(Step::DropConnection),
        3 => Just(Step::Connect),
        1 => (0u64..3).prop_map(Step::Advance),
        2 => (0u32..12).prop_map(Step::Kill),
    ]
}

fn qos(n: u8) -> QoS {
    if n == 1 {
        QoS::AtLeastOnce
    } else {
        QoS::ExactlyOnce
    }
}

struct World {
    host: Host,
    broker: Broker,
    up: BytesMut,
    down: BytesMut,
    published: u32,
}

impl World {
    fn new(version: ProtocolVersion) -> Self {
        let mut config = SessionConfig::new(version, MqttString::new("crash").unwrap());
        config.clean_start = CleanStart::Never;
        config.durable = true;
        config.connect.keep_alive = 0;
        // The default policy: in 5.0 an unknown session closes the
        // connection. A kill between the first CONNECT and storing its
        // CONNACK must not make the client's own session unknown.
        let start = Instant::now();
        let store = DurableState::new("crash");
        Self {
            host: Host {
                session: Session::new(config.clone()),
                config,
                store,
                held: Vec::new(),
                received: Vec::new(),
                accepted: Vec::new(),
                countdown: None,
                kills: 0,
                start,
                now: start,
            },
            broker: Broker::new(version),
            up: BytesMut::new(),
            down: BytesMut::new(),
            published: 0,
        }
    }

    fn run(&mut self, step: &Step) {
        match self.try_run(step) {
            Ok(()) => self.store_matches_the_session(),
            Err(Killed) => {
                self.up.clear();
                self.down.clear();
                self.broker.drop_connection();
                self.host.restart();
            }
        }
    }

    /// Between calls, what the store holds is the durable part of the
    /// live session's state: the operations miss nothing.
    fn store_matches_the_session(&self) {
        let h = &self.host;
        let live = DurableState::from_state("crash", h.session.state(), h.clock());
        let stored = &h.store;
        let view = |d: &DurableState| {
            let mut sent: Vec<_> = d
                .outbound
                .iter()
                .filter(|(_, m)| m.stage != StoredStage::Queued)
                .map(|(id, m)| (m.order, *id))
                .collect();
            sent.sort();
            let sent: Vec<u64> = sent.into_iter().map(|(_, id)| id).collect();
            let messages: Vec<_> = d
                .outbound
                .iter()
                .map(|(id, m)| (*id, m.stage, m.message.clone(), m.accepted_unix_ms))
                .collect();
            (
                messages,
                sent,
                d.inbound_qos2.clone(),
                d.orphan_pubrels.clone(),
                d.has_connected,
            )
        };
        assert_eq!(view(stored), view(&live));
    }

    fn try_run(&mut self, step: &Step) -> Result<(), Killed> {
        let h = &mut self.host;
        match *step {
            Step::Publish(q) => {
                self.published += 1;
                let payload = Bytes::from(format!("up-{}", self.published));
                let message = OutboundMessage::new(TopicName::new("up").unwrap(), payload.clone())
                    .qos(qos(q));
                h.tick()?;
                let id = h.session.publish(h.now, message).unwrap();
                while let Some(op) = h.session.poll_store_op() {
                    h.tick()?;
                    let accepted = matches!(op, StoreOp::Accepted { id: a, .. } if a == id);
                    h.append(op);
                    if accepted {
                        h.accepted.push((payload.clone(), qos(q)));
                    }
                }
                h.session.send_queued(h.now);
                h.drive(&mut self.up, &mut self.broker)?;
            }
            Step::BrokerPublishes(q) => {
                let payload = Bytes::from(format!("down-{}", self.broker.created.len() + 1));
                self.broker.created.push((payload.clone(), qos(q)));
                self.broker.pending.push_back((payload, qos(q)));
                self.broker.publish(&mut self.down);
            }
            Step::BrokerReads(n) => self.broker.read(n, &mut self.up, &mut self.down),
            Step::ClientReads => {
                if h.session.has_connection() && !self.down.is_empty() {
                    let bytes = self.down.split();
                    h.tick()?;
                    h.session.handle_input(h.now, &bytes);
                    h.drive(&mut self.up, &mut self.broker)?;
                }
            }
            Step::DropConnection => {
                self.up.clear();
                self.down.clear();
                self.broker.drop_connection();
                if h.session.has_connection() {
                    h.session.handle_transport_closed(h.now);
                    h.drive(&mut BytesMut::new(), &mut self.broker)?;
                }
            }
            Step::Connect => {
                if !h.session.has_connection() {
                    self.up.clear();
                    self.down.clear();
                    self.broker.drop_connection();
                    h.session.connect(h.now).unwrap();
                    h.drive(&mut self.up, &mut self.broker)?;
                }
            }
            Step::Advance(secs) => {
                h.now += Duration::from_secs(secs);
                h.session.handle_timeout(h.now);
                h.drive(&mut self.up, &mut self.broker)?;
            }
            Step::Kill(after) => h.countdown = Some(after),
        }
        Ok(())
    }

    /// Runs without kills until nothing is left in flight anywhere.
    fn settle(&mut self) {
        self.host.countdown = None;
        for _ in 0..10_000 {
            while !self.broker.pending.is_empty() && self.broker.connected {
                self.broker.publish(&mut self.down);
            }
            self.run(&Step::Connect);
            self.run(&Step::BrokerReads(usize::MAX));
            self.run(&Step::ClientReads);
            let state = self.host.session.state();
            if self.broker.idle()
                && state.is_idle()
                && self.host.session.is_connected()
                && self.up.is_empty()
                && self.down.is_empty()
            {
                return;
            }
        }
        panic!("the exchange did not settle");
    }

    fn check(&self) -> Result<(), TestCaseError> {
        prop_assert_eq!(
            self.broker.collisions,
            0,
            "a new PUBLISH reused a held identifier"
        );
        let count = |list: &[Bytes], payload: &Bytes| list.iter().filter(|d| *d == payload).count();
        // Client to broker: nothing lost, QoS 2 exactly once.
        for (payload, qos) in &self.host.accepted {
            let n = count(&self.broker.delivered, payload);
            prop_assert!(n >= 1, "{:?} lost", payload);
            if *qos == QoS::ExactlyOnce {
                prop_assert_eq!(n, 1, "{:?} delivered {} times", payload, n);
            }
        }
        // Broker to client: nothing lost, QoS 2 at most once more per kill.
        let mut extra = 0;
        for (payload, qos) in &self.broker.created {
            let n = count(&self.host.received, payload);
            prop_assert!(n >= 1, "{:?} never reached the application", payload);
            if *qos == QoS::ExactlyOnce {
                extra += n - 1;
            }
        }
        prop_assert!(
            extra <= self.host.kills,
            "{} QoS 2 duplicates for {} kills",
            extra,
            self.host.kills
        );
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn a_killed_client_loses_nothing_and_duplicates_no_qos_2_message(
        v5 in any::<bool>(),
        steps in proptest::collection::vec(step(), 1..120),
    ) {
        let version = if v5 { ProtocolVersion::V5 } else { ProtocolVersion::V3_1_1 };
        let mut world = World::new(version);
        world.run(&Step::Connect);
        for step in &steps {
            world.run(step);
        }
        world.settle();
        world.check()?;
    }
}
