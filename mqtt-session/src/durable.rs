//! The durable part of a session: what a store keeps so that a client
//! killed at any instant, then restarted on the same store, loses no
//! message and delivers none twice.
//!
//! # The contract
//!
//! With [`crate::SessionConfig::durable`] set, every change to that part
//! of the state comes out of [`crate::Session::poll_store_op`] as a
//! [`StoreOp`]. The host appends them to its store and makes them durable
//! (one sync for the whole batch) **before** it writes the bytes of
//! [`crate::Session::poll_transmit`] or hands the events of
//! [`crate::Session::poll_event`] to the application. That one rule gives:
//!
//! - an outbound QoS 1/2 message, and the packet identifier it goes out
//!   with, are durable before its first PUBLISH leaves;
//! - a PUBREC received is durable before the PUBREL that answers it leaves,
//!   so a restarted client never resends a PUBLISH the server has released;
//! - an inbound QoS 2 packet identifier is durable before its PUBREC
//!   leaves, so the PUBLISH the server resends after a restart is
//!   recognised and not delivered again;
//! - a completion is durable before the application hears of it.
//!
//! Operations are idempotent, so replaying a log twice, or a log over a
//! snapshot that already holds some of it, gives the same state.
//!
//! QoS 0 messages are not stored: at most once allows losing them.
//!
//! # Time
//!
//! An `Instant` means nothing to another process, so the encoding keeps
//! wall-clock times (milliseconds since the Unix epoch) and the host
//! passes a [`WallClock`], an `Instant` and the wall time read together,
//! to convert both ways. A message's Message Expiry Interval therefore
//! keeps counting while the client is down.

use crate::event::MessageId;
use crate::state::{InflightMessage, OutboundMessage, QueuedMessage, SessionState, Stage};
use bytes::{Buf, BufMut, Bytes, BytesMut};
use mqtt_proto::{
    Decoder, Delivery, Encodable, MqttString, Packet, PacketId, ProtocolVersion, Publish, QoS,
};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// The version of the byte encoding of [`DurableState`] and [`StoreOp`].
/// A reader refuses a larger one; a later release reads this one.
pub const FORMAT_VERSION: u16 = 1;

/// An `Instant` and the wall-clock time it corresponds to, read together
/// by the host: the bridge between the session's clock and stored times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WallClock {
    /// The session's time.
    pub now: Instant,
    /// Milliseconds since the Unix epoch at `now`.
    pub unix_ms: u64,
}

impl WallClock {
    /// The clock of this process now.
    pub fn system(now: Instant) -> Self {
        let unix_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        Self { now, unix_ms }
    }

    fn to_unix_ms(self, at: Instant) -> u64 {
        let ago = self.now.saturating_duration_since(at).as_millis() as u64;
        self.unix_ms.saturating_sub(ago)
    }

    /// A stored time as an `Instant`; a time in the future (the wall clock
    /// went back) counts as now.
    fn to_instant(self, unix_ms: u64) -> Instant {
        let ago = Duration::from_millis(self.unix_ms.saturating_sub(unix_ms));
        self.now.checked_sub(ago).unwrap_or(self.now)
    }
}

/// One change to the durable part of the session state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreOp {
    /// `publish` accepted a QoS 1/2 message.
    Accepted {
        /// Its id.
        id: MessageId,
        /// The message.
        message: OutboundMessage,
        /// When it was accepted (its expiry counts from here).
        accepted_at: Instant,
    },
    /// Its first PUBLISH is about to leave with this packet identifier.
    Sent {
        /// The message.
        id: MessageId,
        /// The identifier it keeps until completed.
        packet_id: PacketId,
    },
    /// PUBREC arrived: from now on only PUBREL is resent, and the payload
    /// is no longer needed.
    Received {
        /// The message.
        id: MessageId,
    },
    /// The server lost the session and the message waits to be sent again
    /// as new, without its old packet identifier.
    Requeued {
        /// The message.
        id: MessageId,
    },
    /// The message is done: acknowledged, refused, expired or dropped.
    Finished {
        /// The message.
        id: MessageId,
    },
    /// A PUBREL answers a PUBREC for a message we no longer have; its
    /// identifier stays reserved until PUBCOMP.
    OrphanPubRel {
        /// The identifier.
        packet_id: PacketId,
    },
    /// The PUBCOMP for an orphaned PUBREL arrived.
    OrphanReleased {
        /// The identifier.
        packet_id: PacketId,
    },
    /// An inbound QoS 2 message is about to be acknowledged with PUBREC: a
    /// resend of it must not be delivered again.
    InboundReceived {
        /// The server's identifier.
        packet_id: PacketId,
    },
    /// PUBREL for it arrived: the identifier is free again.
    InboundReleased {
        /// The server's identifier.
        packet_id: PacketId,
    },
    /// The server lost the session: nothing inbound is pending, and sent
    /// messages are requeued or finished by their own operations.
    InboundCleared,
    /// A CONNECT asking to resume a session that never connected is about
    /// to go out (`true`), or its CONNACK reported a session this client
    /// does not know and the client closed (`false`). Recorded before the
    /// CONNECT leaves, so that a kill before its CONNACK is stored leaves
    /// the session known to be this client's.
    Resuming(bool),
    /// A CONNACK accepted a connection of this session.
    Connected {
        /// The client identifier the server assigned, if it did.
        assigned_client_id: Option<MqttString>,
    },
}

/// Where a stored outbound message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredStage {
    /// Accepted, not sent yet.
    Queued,
    /// Sent with this identifier, awaiting PUBACK or PUBREC.
    Sent(PacketId),
    /// PUBREC received and PUBREL sent, awaiting PUBCOMP.
    Released(PacketId),
}

/// An outbound message as a store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// The message (payload empty once released).
    pub message: OutboundMessage,
    /// When it was accepted, in milliseconds since the Unix epoch.
    pub accepted_unix_ms: u64,
    /// Where it is.
    pub stage: StoredStage,
    /// Its place in the in-flight window: set when it is sent, and again
    /// when its PUBREC arrives (PUBRELs are resent in PUBREC order).
    pub order: u64,
}

/// The durable part of a session state: what [`StoreOp`]s build and a
/// store keeps. [`DurableState::encode`] gives a stable, versioned byte
/// form for snapshots.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DurableState {
    /// The client identifier of the session this state belongs to.
    pub client_id: String,
    /// The identifier the server assigned, if the configured one was empty.
    pub assigned_client_id: Option<MqttString>,
    /// Whether a connection of this session was ever accepted.
    pub has_connected: bool,
    /// A resuming CONNECT went out and no CONNACK for it was recorded.
    pub resuming: bool,
    /// Outbound QoS 1/2 messages by id, in the order they were accepted.
    pub outbound: BTreeMap<u64, StoredMessage>,
    /// Inbound QoS 2 identifiers acknowledged with PUBREC and not released.
    pub inbound_qos2: BTreeSet<u16>,
    /// Identifiers of orphaned PUBRELs awaiting PUBCOMP.
    pub orphan_pubrels: BTreeSet<u16>,
    /// The highest message id handed out.
    pub last_message_id: u64,
    /// The last [`StoredMessage::order`] given.
    pub last_order: u64,
}

/// Why stored bytes could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateDecodeError {
    /// The bytes end before the value does.
    #[error("stored session data is truncated")]
    Truncated,
    /// The bytes do not start as a stored session does.
    #[error("not stored session data (bad magic number)")]
    BadMagic,
    /// Written by a later release in a format this one does not know.
    #[error(
        "stored session format {found} is newer than this release reads (up to {FORMAT_VERSION})"
    )]
    UnknownVersion {
        /// The format version found.
        found: u16,
    },
    /// A value is out of range or malformed.
    #[error("corrupt stored session data: {0}")]
    Corrupt(&'static str),
}

const MAGIC: &[u8; 4] = b"MQSS";

impl DurableState {
    /// An empty state for `client_id`.
    pub fn new(client_id: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            ..Self::default()
        }
    }

    /// Applies one operation. `clock` converts its `Instant`s.
    pub fn apply(&mut self, op: &StoreOp, clock: WallClock) {
        match op {
            StoreOp::Accepted {
                id,
                message,
                accepted_at,
            } => {
                self.last_message_id = self.last_message_id.max(id.0);
                self.outbound.entry(id.0).or_insert_with(|| StoredMessage {
                    message: message.clone(),
                    accepted_unix_ms: clock.to_unix_ms(*accepted_at),
                    stage: StoredStage::Queued,
                    order: 0,
                });
            }
            StoreOp::Sent { id, packet_id } => {
                if let Some(m) = self.outbound.get_mut(&id.0) {
                    if m.stage == StoredStage::Queued {
                        self.last_order += 1;
                        m.order = self.last_order;
                    }
                    m.stage = StoredStage::Sent(*packet_id);
                }
            }
            StoreOp::Received { id } => {
                if let Some(m) = self.outbound.get_mut(&id.0) {
                    if let StoredStage::Sent(p) = m.stage {
                        self.last_order += 1;
                        m.order = self.last_order;
                        m.stage = StoredStage::Released(p);
                        m.message.payload = Bytes::new();
                    }
                }
            }
            StoreOp::Requeued { id } => {
                if let Some(m) = self.outbound.get_mut(&id.0) {
                    m.stage = StoredStage::Queued;
                }
            }
            StoreOp::Finished { id } => {
                self.outbound.remove(&id.0);
            }
            StoreOp::OrphanPubRel { packet_id } => {
                self.orphan_pubrels.insert(packet_id.get());
            }
            StoreOp::OrphanReleased { packet_id } => {
                self.orphan_pubrels.remove(&packet_id.get());
            }
            StoreOp::InboundReceived { packet_id } => {
                self.inbound_qos2.insert(packet_id.get());
            }
            StoreOp::InboundReleased { packet_id } => {
                self.inbound_qos2.remove(&packet_id.get());
            }
            StoreOp::InboundCleared => {
                self.inbound_qos2.clear();
                self.orphan_pubrels.clear();
            }
            StoreOp::Resuming(on) => self.resuming = *on,
            StoreOp::Connected { assigned_client_id } => {
                self.has_connected = true;
                self.resuming = false;
                if assigned_client_id.is_some() {
                    self.assigned_client_id = assigned_client_id.clone();
                }
            }
        }
    }

    /// The durable part of a live session's state (for a snapshot that
    /// starts a store, or compacts its log).
    pub fn from_state(client_id: &str, state: &SessionState, clock: WallClock) -> Self {
        let mut outbound = BTreeMap::new();
        for (order, m) in (1..).zip(&state.inflight) {
            let stage = match m.stage {
                Stage::AwaitingPubAck | Stage::AwaitingPubRec => StoredStage::Sent(m.packet_id),
                Stage::AwaitingPubComp => StoredStage::Released(m.packet_id),
            };
            outbound.insert(
                m.id.0,
                StoredMessage {
                    message: m.message.clone(),
                    accepted_unix_ms: clock.to_unix_ms(m.accepted_at),
                    stage,
                    order,
                },
            );
        }
        for m in state
            .queue
            .iter()
            .filter(|m| m.message.qos != QoS::AtMostOnce)
        {
            outbound.insert(
                m.id.0,
                StoredMessage {
                    message: m.message.clone(),
                    accepted_unix_ms: clock.to_unix_ms(m.accepted_at),
                    stage: StoredStage::Queued,
                    order: 0,
                },
            );
        }
        // Only identifiers whose PUBREC left are durable: one still awaiting
        // the application's ack is delivered again after a restart.
        let unacked: BTreeSet<u16> = state
            .pending_acks
            .iter()
            .filter(|p| p.qos == QoS::ExactlyOnce)
            .map(|p| p.packet_id.get())
            .collect();
        Self {
            client_id: client_id.to_string(),
            assigned_client_id: state.assigned_client_id.clone(),
            has_connected: state.has_connected,
            resuming: state.resume_unconfirmed,
            outbound,
            inbound_qos2: state
                .awaiting_pubrel
                .iter()
                .map(|p| p.get())
                .filter(|p| !unacked.contains(p))
                .collect(),
            orphan_pubrels: state.orphan_pubrels.iter().map(|p| p.get()).collect(),
            last_message_id: state.next_message_id,
            last_order: state.inflight.len() as u64,
        }
    }

    /// The session state to resume: sent messages in flight in the order
    /// they were accepted, the rest queued behind them.
    pub fn to_state(&self, clock: WallClock) -> SessionState {
        let mut state = SessionState {
            assigned_client_id: self.assigned_client_id.clone(),
            has_connected: self.has_connected,
            resume_unconfirmed: self.resuming && !self.has_connected,
            next_message_id: self.last_message_id,
            ..SessionState::default()
        };
        let mut last_packet_id = 0;
        let mut sent = Vec::new();
        for (&id, m) in &self.outbound {
            let accepted_at = clock.to_instant(m.accepted_unix_ms);
            let (packet_id, stage) = match (m.stage, m.message.qos) {
                (StoredStage::Queued, _) => {
                    state.queued_bytes += m.message.queued_size();
                    state.queue.push_back(QueuedMessage {
                        id: MessageId(id),
                        message: m.message.clone(),
                        accepted_at,
                    });
                    continue;
                }
                (StoredStage::Sent(p), QoS::AtLeastOnce) => (p, Stage::AwaitingPubAck),
                (StoredStage::Sent(p), _) => (p, Stage::AwaitingPubRec),
                (StoredStage::Released(p), _) => (p, Stage::AwaitingPubComp),
            };
            sent.push((
                m.order,
                InflightMessage {
                    id: MessageId(id),
                    packet_id,
                    stage,
                    message: m.message.clone(),
                    accepted_at,
                },
            ));
        }
        sent.sort_by_key(|(order, _)| *order);
        for (_, m) in sent {
            if m.stage != Stage::AwaitingPubComp {
                last_packet_id = m.packet_id.get();
            }
            state.inflight.push_back(m);
        }
        state.awaiting_pubrel = self
            .inbound_qos2
            .iter()
            .filter_map(|&p| PacketId::new(p))
            .collect();
        state.orphan_pubrels = self
            .orphan_pubrels
            .iter()
            .filter_map(|&p| PacketId::new(p))
            .collect();
        // New identifiers continue after the last one in use.
        state.next_packet_id = last_packet_id;
        state
    }

    /// Whether nothing is pending: no message, no identifier held.
    pub fn is_idle(&self) -> bool {
        self.outbound.is_empty() && self.inbound_qos2.is_empty() && self.orphan_pubrels.is_empty()
    }

    /// The versioned byte form: magic, format version, then the state.
    pub fn encode(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(MAGIC);
        buf.put_u16(FORMAT_VERSION);
        put_str(buf, &self.client_id);
        put_opt_str(buf, self.assigned_client_id.as_deref());
        buf.put_u8(self.has_connected as u8 | (self.resuming as u8) << 1);
        buf.put_u64(self.last_message_id);
        buf.put_u64(self.last_order);
        buf.put_u32(self.outbound.len() as u32);
        for (&id, m) in &self.outbound {
            buf.put_u64(id);
            buf.put_u64(m.accepted_unix_ms);
            let (tag, p) = match m.stage {
                StoredStage::Queued => (0, 0),
                StoredStage::Sent(p) => (1, p.get()),
                StoredStage::Released(p) => (2, p.get()),
            };
            buf.put_u8(tag);
            buf.put_u16(p);
            buf.put_u64(m.order);
            put_message(buf, &m.message);
        }
        for set in [&self.inbound_qos2, &self.orphan_pubrels] {
            buf.put_u32(set.len() as u32);
            for &p in set {
                buf.put_u16(p);
            }
        }
    }

    /// Reads what [`DurableState::encode`] wrote (this format version or an
    /// earlier one).
    pub fn decode(mut bytes: &[u8]) -> Result<Self, StateDecodeError> {
        let b = &mut bytes;
        if take(b, 4)? != MAGIC {
            return Err(StateDecodeError::BadMagic);
        }
        let found = get_u16(b)?;
        if found > FORMAT_VERSION || found == 0 {
            return Err(StateDecodeError::UnknownVersion { found });
        }
        let client_id = get_str(b)?;
        let assigned_client_id = get_opt_str(b)?;
        let flags = get_u8(b)?;
        if flags & !0b11 != 0 {
            return Err(StateDecodeError::Corrupt("flags"));
        }
        let mut state = DurableState {
            client_id,
            assigned_client_id,
            has_connected: flags & 1 != 0,
            resuming: flags & 2 != 0,
            last_message_id: get_u64(b)?,
            last_order: get_u64(b)?,
            ..Self::default()
        };
        for _ in 0..get_u32(b)? {
            let id = get_u64(b)?;
            let accepted_unix_ms = get_u64(b)?;
            let tag = get_u8(b)?;
            let p = get_u16(b)?;
            let stage = match (tag, PacketId::new(p)) {
                (0, _) => StoredStage::Queued,
                (1, Some(p)) => StoredStage::Sent(p),
                (2, Some(p)) => StoredStage::Released(p),
                _ => return Err(StateDecodeError::Corrupt("message stage")),
            };
            let order = get_u64(b)?;
            let message = get_message(b)?;
            state.outbound.insert(
                id,
                StoredMessage {
                    message,
                    accepted_unix_ms,
                    stage,
                    order,
                },
            );
        }
        for set in [&mut state.inbound_qos2, &mut state.orphan_pubrels] {
            for _ in 0..get_u32(b)? {
                set.insert(get_u16(b)?);
            }
        }
        if !b.is_empty() {
            return Err(StateDecodeError::Corrupt("bytes after the state"));
        }
        Ok(state)
    }
}

impl StoreOp {
    /// The byte form of one operation (within a store whose header gave the
    /// format version).
    pub fn encode(&self, clock: WallClock, buf: &mut Vec<u8>) {
        match self {
            StoreOp::Accepted {
                id,
                message,
                accepted_at,
            } => {
                buf.put_u8(1);
                buf.put_u64(id.0);
                buf.put_u64(clock.to_unix_ms(*accepted_at));
                put_message(buf, message);
            }
            StoreOp::Sent { id, packet_id } => {
                buf.put_u8(2);
                buf.put_u64(id.0);
                buf.put_u16(packet_id.get());
            }
            StoreOp::Received { id } => id_op(buf, 3, *id),
            StoreOp::Requeued { id } => id_op(buf, 4, *id),
            StoreOp::Finished { id } => id_op(buf, 5, *id),
            StoreOp::OrphanPubRel { packet_id } => packet_op(buf, 6, *packet_id),
            StoreOp::OrphanReleased { packet_id } => packet_op(buf, 7, *packet_id),
            StoreOp::InboundReceived { packet_id } => packet_op(buf, 8, *packet_id),
            StoreOp::InboundReleased { packet_id } => packet_op(buf, 9, *packet_id),
            StoreOp::InboundCleared => buf.put_u8(10),
            StoreOp::Resuming(on) => {
                buf.put_u8(12);
                buf.put_u8(*on as u8);
            }
            StoreOp::Connected { assigned_client_id } => {
                buf.put_u8(11);
                put_opt_str(buf, assigned_client_id.as_deref());
            }
        }
    }

    /// Reads one operation written by [`StoreOp::encode`]; all of `bytes`
    /// must be used.
    pub fn decode(mut bytes: &[u8], clock: WallClock) -> Result<Self, StateDecodeError> {
        let b = &mut bytes;
        let packet_id = |b: &mut &[u8]| {
            PacketId::new(get_u16(b)?).ok_or(StateDecodeError::Corrupt("packet identifier 0"))
        };
        let op = match get_u8(b)? {
            1 => StoreOp::Accepted {
                id: MessageId(get_u64(b)?),
                accepted_at: clock.to_instant(get_u64(b)?),
                message: get_message(b)?,
            },
            2 => StoreOp::Sent {
                id: MessageId(get_u64(b)?),
                packet_id: packet_id(b)?,
            },
            3 => StoreOp::Received {
                id: MessageId(get_u64(b)?),
            },
            4 => StoreOp::Requeued {
                id: MessageId(get_u64(b)?),
            },
            5 => StoreOp::Finished {
                id: MessageId(get_u64(b)?),
            },
            6 => StoreOp::OrphanPubRel {
                packet_id: packet_id(b)?,
            },
            7 => StoreOp::OrphanReleased {
                packet_id: packet_id(b)?,
            },
            8 => StoreOp::InboundReceived {
                packet_id: packet_id(b)?,
            },
            9 => StoreOp::InboundReleased {
                packet_id: packet_id(b)?,
            },
            10 => StoreOp::InboundCleared,
            12 => StoreOp::Resuming(get_bool(b)?),
            11 => StoreOp::Connected {
                assigned_client_id: get_opt_str(b)?,
            },
            _ => return Err(StateDecodeError::Corrupt("unknown operation")),
        };
        if !b.is_empty() {
            return Err(StateDecodeError::Corrupt("bytes after the operation"));
        }
        Ok(op)
    }
}

fn id_op(buf: &mut Vec<u8>, tag: u8, id: MessageId) {
    buf.put_u8(tag);
    buf.put_u64(id.0);
}

fn packet_op(buf: &mut Vec<u8>, tag: u8, packet_id: PacketId) {
    buf.put_u8(tag);
    buf.put_u16(packet_id.get());
}

/// A message is kept as the 5.0 PUBLISH that carries it (packet identifier
/// 1): the protocol's own encoding, which holds every property and is
/// checked again when read back.
fn put_message(buf: &mut Vec<u8>, message: &OutboundMessage) {
    let publish = Publish {
        dup: false,
        delivery: match message.qos {
            QoS::AtMostOnce => Delivery::AtMostOnce,
            qos => Delivery::with_id(qos, PacketId::new(1).expect("non-zero")),
        },
        retain: message.retain,
        topic: Some(message.topic.clone()),
        payload: message.payload.clone(),
        properties: message.properties.clone(),
    };
    let mut packet = BytesMut::new();
    publish
        .encode(ProtocolVersion::V5, &mut packet)
        .expect("an accepted message encodes as a 5.0 PUBLISH");
    buf.put_u32(packet.len() as u32);
    buf.extend_from_slice(&packet);
}

fn get_message(b: &mut &[u8]) -> Result<OutboundMessage, StateDecodeError> {
    let len = get_u32(b)? as usize;
    let mut packet = BytesMut::from(take(b, len)?);
    let decoded = Decoder::new(ProtocolVersion::V5)
        .decode(&mut packet)
        .map_err(|_| StateDecodeError::Corrupt("stored message"))?;
    match decoded {
        Some(Packet::Publish(p)) if packet.is_empty() => Ok(OutboundMessage {
            qos: p.qos(),
            topic: p.topic.ok_or(StateDecodeError::Corrupt("message topic"))?,
            payload: p.payload,
            retain: p.retain,
            properties: p.properties,
        }),
        _ => Err(StateDecodeError::Corrupt("stored message")),
    }
}

fn put_str(buf: &mut Vec<u8>, s: &str) {
    buf.put_u16(s.len() as u16);
    buf.extend_from_slice(s.as_bytes());
}

fn put_opt_str(buf: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => buf.put_u8(0),
        Some(s) => {
            buf.put_u8(1);
            put_str(buf, s);
        }
    }
}

fn take<'a>(b: &mut &'a [u8], n: usize) -> Result<&'a [u8], StateDecodeError> {
    if b.len() < n {
        return Err(StateDecodeError::Truncated);
    }
    let (head, tail) = b.split_at(n);
    *b = tail;
    Ok(head)
}

fn get_u8(b: &mut &[u8]) -> Result<u8, StateDecodeError> {
    Ok(take(b, 1)?[0])
}

fn get_bool(b: &mut &[u8]) -> Result<bool, StateDecodeError> {
    match get_u8(b)? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(StateDecodeError::Corrupt("flag")),
    }
}

fn get_u16(b: &mut &[u8]) -> Result<u16, StateDecodeError> {
    Ok(take(b, 2)?.get_u16())
}

fn get_u32(b: &mut &[u8]) -> Result<u32, StateDecodeError> {
    Ok(take(b, 4)?.get_u32())
}

fn get_u64(b: &mut &[u8]) -> Result<u64, StateDecodeError> {
    Ok(take(b, 8)?.get_u64())
}

fn get_str(b: &mut &[u8]) -> Result<String, StateDecodeError> {
    let len = get_u16(b)? as usize;
    String::from_utf8(take(b, len)?.to_vec()).map_err(|_| StateDecodeError::Corrupt("string"))
}

fn get_opt_str(b: &mut &[u8]) -> Result<Option<MqttString>, StateDecodeError> {
    if !get_bool(b)? {
        return Ok(None);
    }
    let s = get_str(b)?;
    MqttString::new(s)
        .map(Some)
        .map_err(|_| StateDecodeError::Corrupt("string"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mqtt_proto::{PublishProperties, TopicName};

    fn clock() -> WallClock {
        WallClock {
            now: Instant::now() + Duration::from_secs(3600),
            unix_ms: 1_800_000_000_000,
        }
    }

    fn message(payload: &'static str, qos: QoS) -> OutboundMessage {
        let mut m = OutboundMessage::new(TopicName::new("a/b").unwrap(), payload).qos(qos);
        let p = PublishProperties {
            message_expiry_interval: Some(60),
            content_type: Some(MqttString::new("text/plain").unwrap()),
            ..PublishProperties::default()
        };
        m.properties = p.into();
        m.retain = true;
        m
    }

    fn sample() -> DurableState {
        let c = clock();
        let mut s = DurableState::new("client-1");
        let ops = [
            StoreOp::Connected {
                assigned_client_id: Some(MqttString::new("assigned").unwrap()),
            },
            StoreOp::Accepted {
                id: MessageId(1),
                message: message("one", QoS::AtLeastOnce),
                accepted_at: c.now - Duration::from_millis(1500),
            },
            StoreOp::Accepted {
                id: MessageId(2),
                message: message("two", QoS::ExactlyOnce),
                accepted_at: c.now,
            },
            StoreOp::Accepted {
                id: MessageId(3),
                message: message("three", QoS::ExactlyOnce),
                accepted_at: c.now,
            },
            StoreOp::Sent {
                id: MessageId(1),
                packet_id: PacketId::new(7).unwrap(),
            },
            StoreOp::Sent {
                id: MessageId(2),
                packet_id: PacketId::new(8).unwrap(),
            },
            StoreOp::Received { id: MessageId(2) },
            StoreOp::InboundReceived {
                packet_id: PacketId::new(40).unwrap(),
            },
            StoreOp::OrphanPubRel {
                packet_id: PacketId::new(9).unwrap(),
            },
        ];
        for op in &ops {
            s.apply(op, c);
        }
        s
    }

    #[test]
    fn operations_build_the_state_and_it_resumes_in_order() {
        let s = sample();
        assert!(s.has_connected);
        assert_eq!(s.assigned_client_id.as_deref(), Some("assigned"));
        assert_eq!(
            s.outbound[&2].stage,
            StoredStage::Released(PacketId::new(8).unwrap())
        );
        assert!(
            s.outbound[&2].message.payload.is_empty(),
            "payload freed at PUBREC"
        );
        let state = s.to_state(clock());
        let inflight: Vec<_> = state.inflight.iter().map(|m| (m.id.0, m.stage)).collect();
        assert_eq!(
            inflight,
            [(1, Stage::AwaitingPubAck), (2, Stage::AwaitingPubComp)]
        );
        assert_eq!(state.queue.len(), 1);
        assert_eq!(state.queue[0].id, MessageId(3));
        assert_eq!(state.queued_bytes, "a/b".len() + "three".len());
        assert_eq!(state.awaiting_pubrel, [PacketId::new(40).unwrap()]);
        assert_eq!(state.orphan_pubrels, [PacketId::new(9).unwrap()]);
        assert_eq!(state.next_message_id, 3);
        // New identifiers follow the last one sent.
        assert_eq!(state.next_packet_id, 7);
    }

    #[test]
    fn operations_are_idempotent() {
        let c = clock();
        let mut twice = sample();
        for op in [
            StoreOp::Sent {
                id: MessageId(1),
                packet_id: PacketId::new(7).unwrap(),
            },
            StoreOp::Received { id: MessageId(2) },
            StoreOp::Accepted {
                id: MessageId(1),
                message: message("other", QoS::AtLeastOnce),
                accepted_at: c.now,
            },
        ] {
            twice.apply(&op, c);
        }
        assert_eq!(twice, sample());
        twice.apply(&StoreOp::Finished { id: MessageId(1) }, c);
        twice.apply(&StoreOp::Finished { id: MessageId(1) }, c);
        assert!(!twice.outbound.contains_key(&1));
    }

    #[test]
    fn the_byte_form_round_trips() {
        let s = sample();
        let mut bytes = Vec::new();
        s.encode(&mut bytes);
        assert_eq!(&bytes[..6], b"MQSS\x00\x01");
        assert_eq!(DurableState::decode(&bytes).unwrap(), s);
    }

    #[test]
    fn every_operation_round_trips() {
        let c = clock();
        let p = PacketId::new(513).unwrap();
        let ops = [
            StoreOp::Accepted {
                id: MessageId(u64::MAX),
                message: message("x", QoS::ExactlyOnce),
                accepted_at: c.now - Duration::from_secs(5),
            },
            StoreOp::Sent {
                id: MessageId(4),
                packet_id: p,
            },
            StoreOp::Received { id: MessageId(4) },
            StoreOp::Requeued { id: MessageId(4) },
            StoreOp::Finished { id: MessageId(4) },
            StoreOp::OrphanPubRel { packet_id: p },
            StoreOp::OrphanReleased { packet_id: p },
            StoreOp::InboundReceived { packet_id: p },
            StoreOp::InboundReleased { packet_id: p },
            StoreOp::InboundCleared,
            StoreOp::Connected {
                assigned_client_id: None,
            },
        ];
        for op in ops {
            let mut bytes = Vec::new();
            op.encode(c, &mut bytes);
            assert_eq!(StoreOp::decode(&bytes, c).unwrap(), op);
            // Cut anywhere, it is an error, never a panic or another operation.
            for end in 0..bytes.len() {
                assert!(
                    StoreOp::decode(&bytes[..end], c).is_err(),
                    "{op:?} cut at {end}"
                );
            }
        }
    }

    #[test]
    fn damaged_bytes_are_errors_never_panics() {
        let mut bytes = Vec::new();
        sample().encode(&mut bytes);
        for end in 0..bytes.len() {
            assert!(DurableState::decode(&bytes[..end]).is_err(), "cut at {end}");
        }
        assert_eq!(
            DurableState::decode(b"MQSX\x00\x01"),
            Err(StateDecodeError::BadMagic)
        );
        let mut newer = bytes.clone();
        newer[5] = 2;
        assert_eq!(
            DurableState::decode(&newer),
            Err(StateDecodeError::UnknownVersion { found: 2 })
        );
        // Every single flipped byte: an error or a state, never a panic.
        for i in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0xA5;
            let _ = DurableState::decode(&flipped);
        }
    }

    #[test]
    fn stored_times_keep_counting_while_the_client_is_down() {
        let then = clock();
        let mut s = DurableState::new("c");
        s.apply(
            &StoreOp::Accepted {
                id: MessageId(1),
                message: message("x", QoS::AtLeastOnce),
                accepted_at: then.now - Duration::from_secs(10),
            },
            then,
        );
        // Restarted two minutes later in a new process whose Instants
        // have nothing to do with the old ones.
        let later = WallClock {
            now: Instant::now(),
            unix_ms: then.unix_ms + 120_000,
        };
        let state = s.to_state(later);
        let waited = later.now - state.queue[0].accepted_at;
        assert_eq!(waited, Duration::from_secs(130));
        // A wall clock that went back counts as no time passed.
        let earlier = WallClock {
            now: Instant::now(),
            unix_ms: then.unix_ms - 60_000_000,
        };
        let state = s.to_state(earlier);
        assert_eq!(state.queue[0].accepted_at, earlier.now);
    }
}
