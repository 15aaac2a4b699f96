//! The session state that outlives connections, in one plain structure.
//!
//! Everything here is data the MQTT session consists of on the client side
//! (section 4.1 of the 5.0 specification): unfinished outbound QoS 1/2
//! messages, QoS 2 messages received but not released, plus what we queued
//! and the counters that keep identifiers unique. It holds no sockets,
//! codecs or timers, so it can be stored and restored as it is; `Instant`s
//! are rebased by the persistence layer (age at save time).

use crate::event::MessageId;
use bytes::Bytes;
use mqtt_proto::{
    MqttString, PacketId, PropertyBox, PublishProperties, QoS, TopicError, TopicName,
};
use std::collections::VecDeque;
use std::time::Instant;

/// An application message to publish, before a packet identifier is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundMessage {
    /// The topic.
    pub topic: TopicName,
    /// The payload.
    pub payload: Bytes,
    /// The QoS.
    pub qos: QoS,
    /// Whether the server retains it.
    pub retain: bool,
    /// PUBLISH properties (5.0); a topic alias here is ignored, the session
    /// chooses aliases itself, and so are subscription identifiers, which
    /// only a server sends.
    pub properties: PropertyBox<PublishProperties>,
}

impl OutboundMessage {
    /// A QoS 0, non-retained message.
    pub fn new(topic: TopicName, payload: impl Into<Bytes>) -> Self {
        Self {
            topic,
            payload: payload.into(),
            qos: QoS::AtMostOnce,
            retain: false,
            properties: PropertyBox::new(),
        }
    }

    /// A message to `topic`, validated, with Paho's `publish` arguments.
    ///
    /// ```
    /// use mqtt_session::OutboundMessage;
    /// use mqtt_proto::QoS;
    /// let m = OutboundMessage::publish("a/b", "hi", QoS::AtLeastOnce, true).unwrap();
    /// assert!(m.retain && m.qos == QoS::AtLeastOnce);
    /// assert!(OutboundMessage::publish("a/#", "hi", QoS::AtMostOnce, false).is_err());
    /// ```
    pub fn publish(
        topic: &str,
        payload: impl Into<Bytes>,
        qos: QoS,
        retain: bool,
    ) -> Result<Self, TopicError> {
        Ok(Self::new(TopicName::new(topic)?, payload)
            .qos(qos)
            .retain(retain))
    }

    /// Sets the QoS.
    pub fn qos(mut self, qos: QoS) -> Self {
        self.qos = qos;
        self
    }

    /// Sets the retain flag.
    pub fn retain(mut self, retain: bool) -> Self {
        self.retain = retain;
        self
    }

    /// Bytes it takes in the queue's byte budget.
    pub(crate) fn queued_size(&self) -> usize {
        self.topic.len() + self.payload.len()
    }
}

/// A message accepted by `publish` and not yet sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMessage {
    /// Its id.
    pub id: MessageId,
    /// The message.
    pub message: OutboundMessage,
    /// When `publish` accepted it; the Message Expiry Interval counts from here.
    pub accepted_at: Instant,
}

/// Where a sent QoS 1/2 message is in its flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// QoS 1, PUBLISH sent.
    AwaitingPubAck,
    /// QoS 2, PUBLISH sent.
    AwaitingPubRec,
    /// QoS 2, PUBREC received and PUBREL sent; the payload is no longer kept.
    AwaitingPubComp,
}

/// A sent QoS 1/2 message awaiting its acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InflightMessage {
    /// Its id.
    pub id: MessageId,
    /// The packet identifier it was sent with.
    pub packet_id: PacketId,
    /// Its flow stage.
    pub stage: Stage,
    /// The message (payload emptied once PUBREC arrived).
    pub message: OutboundMessage,
    /// When `publish` accepted it.
    pub accepted_at: Instant,
}

/// A received QoS 1/2 message whose acknowledgement is not sent yet
/// (manual-ack mode), kept in arrival order because acknowledgements must
/// go out in that order [MQTT-4.6.0-2, MQTT-4.6.0-3].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingAck {
    /// Token handed to the application.
    pub token: u64,
    /// The packet identifier to acknowledge.
    pub packet_id: PacketId,
    /// QoS 1 (PUBACK) or 2 (PUBREC).
    pub qos: QoS,
    /// Whether the application acknowledged it.
    pub acked: bool,
}

/// All state of an MQTT session on the client side.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionState {
    /// The client identifier the server assigned, reused on reconnects.
    pub assigned_client_id: Option<MqttString>,
    /// Whether a connection of this session was ever accepted (for [`crate::CleanStart::FirstOnly`]).
    pub has_connected: bool,
    /// A CONNECT asking to resume this session went out before any
    /// connection was accepted, and no CONNACK for it came (the connection
    /// dropped, or the program was killed and this was restored from a
    /// store): a session the broker reports on a later connection may be
    /// one that CONNECT created, this client's own. It is taken over
    /// (safely, as an unknown one would be under
    /// [`crate::UnknownSessionPolicy::Adopt`]) rather than refused.
    pub resume_unconfirmed: bool,
    /// Sent QoS 1/2 messages in the order they were first sent, except that
    /// a QoS 2 message moves to the end when its PUBREC arrives, so that
    /// PUBRELs are resent in the order of their PUBRECs.
    pub inflight: VecDeque<InflightMessage>,
    /// Accepted messages waiting for the in-flight window, in order.
    pub queue: VecDeque<QueuedMessage>,
    /// Sum of [`OutboundMessage`] sizes in `queue`.
    pub queued_bytes: usize,
    /// Packet identifiers of PUBRELs we sent in answer to a PUBREC for a
    /// message we no longer had: the server may still hold the identifier,
    /// so it stays reserved and the PUBREL is resent until PUBCOMP.
    pub orphan_pubrels: Vec<PacketId>,
    /// Inbound QoS 2 packet identifiers for which PUBREC went out and PUBREL has not come.
    pub awaiting_pubrel: Vec<PacketId>,
    /// Inbound QoS 1/2 messages awaiting the application's acknowledgement.
    pub pending_acks: VecDeque<PendingAck>,
    /// The next packet identifier to try.
    pub next_packet_id: u16,
    /// The next message id.
    pub next_message_id: u64,
    /// The next acknowledgement token.
    pub next_ack_token: u64,
}

impl SessionState {
    /// Whether no message is in flight, queued or awaiting release.
    pub fn is_idle(&self) -> bool {
        self.inflight.is_empty()
            && self.queue.is_empty()
            && self.awaiting_pubrel.is_empty()
            && self.pending_acks.is_empty()
    }

    pub(crate) fn new_message_id(&mut self) -> MessageId {
        self.next_message_id += 1;
        MessageId(self.next_message_id)
    }
}
