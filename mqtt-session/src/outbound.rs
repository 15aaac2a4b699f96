//! Outbound messages: accepting, queueing, the in-flight window, QoS 1/2
//! flows, and what happens to them across connections.

use crate::alias::AliasUse;
use crate::config::{QueueFullPolicy, SessionLostPolicy};
use crate::error::{Error, ProtocolError};
use crate::event::{Event, MessageId, PublishFailure};
use crate::session::Session;
use crate::state::{InflightMessage, OutboundMessage, QueuedMessage, Stage};
use core::num::NonZeroU16;
use core::time::Duration;
use mqtt_proto::{
    Ack, Delivery, Encodable, Packet, PacketId, PacketType, Publish, QoS, ReasonCode,
};
use std::time::Instant;

impl Session {
    /// Accepts a message for publication and returns its id at once.
    ///
    /// It is sent now if connected and the in-flight window allows, else
    /// queued (also while disconnected). Its completion arrives as
    /// [`Event::Published`] or [`Event::PublishFailed`]. The call fails,
    /// sending nothing, if the message breaks a limit the server announced
    /// (Maximum QoS unless downgrading, Retain Available, Maximum Packet
    /// Size) or cannot be encoded in the session's version.
    pub fn publish(
        &mut self,
        now: Instant,
        mut message: OutboundMessage,
    ) -> Result<MessageId, Error> {
        if message.qos > self.server.maximum_qos {
            if !self.config.downgrade_qos {
                return Err(Error::QoSNotSupported {
                    requested: message.qos,
                    maximum: self.server.maximum_qos,
                });
            }
            message.qos = self.server.maximum_qos;
        }
        if message.retain && !self.server.retain_available {
            return Err(Error::RetainNotSupported);
        }
        message.properties.topic_alias = None;
        // Size and version check on the packet as it would go out without an alias.
        let probe = build_publish(&message, PacketId::new(1), false, AliasUse::None, None);
        let size = probe.encoded_len(self.config.version())?;
        if let Some(max) = self.server.maximum_packet_size {
            if size > max as usize {
                return Err(Error::PacketTooLarge { size, max });
            }
        }
        let cost = message.queued_size();
        let full = |s: &Self| {
            s.state.queue.len() >= s.config.max_queued_messages
                || s.state.queued_bytes + cost > s.config.max_queued_bytes
        };
        // The limits bound what waits; a message that goes out at once never waits.
        let sends_now = self.is_connected()
            && self.state.queue.is_empty()
            && (message.qos == QoS::AtMostOnce
                || self.state.inflight.len() < self.inflight_window());
        while !sends_now && full(self) {
            match (self.config.queue_full, self.state.queue.pop_front()) {
                (QueueFullPolicy::DropOldest, Some(oldest)) => {
                    self.state.queued_bytes -= oldest.message.queued_size();
                    self.events.push_back(Event::PublishFailed {
                        id: oldest.id,
                        failure: PublishFailure::Dropped,
                    });
                }
                (_, popped) => {
                    if let Some(m) = popped {
                        self.state.queue.push_front(m);
                    }
                    return Err(Error::QueueFull);
                }
            }
        }
        let id = self.state.new_message_id();
        self.state.queued_bytes += cost;
        self.state.queue.push_back(QueuedMessage {
            id,
            message,
            accepted_at: now,
        });
        self.pump(now);
        Ok(id)
    }

    /// The number of QoS 1/2 messages that may be unacknowledged at once.
    pub fn inflight_window(&self) -> usize {
        self.config.max_inflight.min(self.server.receive_maximum) as usize
    }

    /// Sends queued messages while connected and the window allows.
    pub(crate) fn pump(&mut self, now: Instant) {
        if !self.is_connected() {
            return;
        }
        let window = self.inflight_window();
        while let Some(front) = self.state.queue.front() {
            if expired(front, now) {
                self.drop_front_expired();
                continue;
            }
            let qos = front.message.qos;
            let packet_id = if qos == QoS::AtMostOnce {
                None
            } else {
                if self.state.inflight.len() >= window {
                    return;
                }
                let busy = self
                    .conn
                    .as_ref()
                    .map(|c| c.busy_packet_ids())
                    .unwrap_or_default();
                match self.state.allocate_packet_id(&busy) {
                    Some(id) => Some(id),
                    None => return,
                }
            };
            let queued = self.state.queue.pop_front().expect("front exists");
            self.state.queued_bytes -= queued.message.queued_size();
            let alias = if self.config.auto_topic_alias {
                let conn = self.conn.as_mut().expect("connected");
                conn.outbound_aliases.assign(&queued.message.topic)
            } else {
                AliasUse::None
            };
            let remaining = remaining_expiry(&queued, now);
            let publish = build_publish(&queued.message, packet_id, false, alias, remaining);
            if let Err(e) = self.send(now, &publish) {
                // Only possible when the server's limits shrank since `publish`
                // accepted it (a new connection with a smaller Maximum Packet Size).
                self.events.push_back(Event::PublishFailed {
                    id: queued.id,
                    failure: PublishFailure::Unsendable(e),
                });
                continue;
            }
            match packet_id {
                None => self.events.push_back(Event::Published {
                    id: queued.id,
                    packet_id: None,
                    qos,
                    reason: ReasonCode::Success,
                    properties: Default::default(),
                }),
                Some(packet_id) => self.state.inflight.push_back(InflightMessage {
                    id: queued.id,
                    packet_id,
                    stage: if qos == QoS::AtLeastOnce {
                        Stage::AwaitingPubAck
                    } else {
                        Stage::AwaitingPubRec
                    },
                    message: queued.message,
                    accepted_at: queued.accepted_at,
                }),
            }
        }
    }

    fn drop_front_expired(&mut self) {
        if let Some(m) = self.state.queue.pop_front() {
            self.state.queued_bytes -= m.message.queued_size();
            self.events.push_back(Event::PublishFailed {
                id: m.id,
                failure: PublishFailure::Expired,
            });
        }
    }

    /// Drops every queued message whose Message Expiry Interval has passed.
    pub(crate) fn expire_queued(&mut self, now: Instant) {
        if !self.state.queue.iter().any(|m| expired(m, now)) {
            return;
        }
        let queue = std::mem::take(&mut self.state.queue);
        for m in queue {
            if expired(&m, now) {
                self.state.queued_bytes -= m.message.queued_size();
                self.events.push_back(Event::PublishFailed {
                    id: m.id,
                    failure: PublishFailure::Expired,
                });
            } else {
                self.state.queue.push_back(m);
            }
        }
    }

    /// After a CONNACK with Session Present: resend every unacknowledged
    /// PUBLISH with DUP set and every PUBREL, in their original order,
    /// before anything new [MQTT-4.4.0-1]. Aliases are not used: the
    /// server forgot them with the old connection.
    pub(crate) fn resend_inflight(&mut self, now: Instant) {
        for i in 0..self.state.inflight.len() {
            let m = &self.state.inflight[i];
            let result = match m.stage {
                Stage::AwaitingPubAck | Stage::AwaitingPubRec => {
                    let publish =
                        build_publish(&m.message, Some(m.packet_id), true, AliasUse::None, None);
                    self.send(now, &publish)
                }
                Stage::AwaitingPubComp => {
                    let pubrel = Packet::PubRel(Ack::new(m.packet_id));
                    self.send(now, &pubrel)
                }
            };
            // A resend that no longer fits the new Maximum Packet Size stays in
            // flight; the server may still acknowledge it from its session.
            let _ = result;
        }
        for packet_id in self.state.orphan_pubrels.clone() {
            self.send_orphan_pubrel(now, packet_id);
        }
    }

    /// After a CONNACK without Session Present: the server forgot our
    /// session, so nothing is resent as a duplicate. Each unfinished message
    /// is republished as new or reported failed, per the configured policy.
    pub(crate) fn discard_session(&mut self, _now: Instant) {
        self.state.orphan_pubrels.clear();
        self.state.awaiting_pubrel.clear();
        self.state.pending_acks.clear();
        let inflight = std::mem::take(&mut self.state.inflight);
        let mut requeue = Vec::new();
        for m in inflight {
            match (m.stage, self.config.session_lost) {
                // PUBREC said the server took ownership of the message.
                (Stage::AwaitingPubComp, _) => self.events.push_back(Event::Published {
                    id: m.id,
                    packet_id: Some(m.packet_id),
                    qos: QoS::ExactlyOnce,
                    reason: ReasonCode::Success,
                    properties: Default::default(),
                }),
                (_, SessionLostPolicy::Republish) => {
                    self.events.push_back(Event::Republished { id: m.id });
                    requeue.push(QueuedMessage {
                        id: m.id,
                        message: m.message,
                        accepted_at: m.accepted_at,
                    });
                }
                (_, SessionLostPolicy::Fail) => self.events.push_back(Event::PublishFailed {
                    id: m.id,
                    failure: PublishFailure::SessionLost,
                }),
            }
        }
        // They were accepted before anything still queued: keep that order.
        for m in requeue.into_iter().rev() {
            self.state.queued_bytes += m.message.queued_size();
            self.state.queue.push_front(m);
        }
    }

    fn find_inflight(&self, packet_id: PacketId) -> Option<usize> {
        self.state
            .inflight
            .iter()
            .position(|m| m.packet_id == packet_id)
    }

    pub(crate) fn on_puback(&mut self, now: Instant, ack: Ack) -> Result<(), ProtocolError> {
        let Some(i) = self.find_inflight(ack.packet_id) else {
            return Ok(()); // Nothing to complete; a late duplicate is harmless.
        };
        if self.state.inflight[i].stage != Stage::AwaitingPubAck {
            return Err(ProtocolError::UnexpectedPacket(PacketType::PubAck));
        }
        let m = self.state.inflight.remove(i).expect("index valid");
        self.complete(m.id, m.packet_id, QoS::AtLeastOnce, ack);
        self.pump(now);
        Ok(())
    }

    pub(crate) fn on_pubrec(&mut self, now: Instant, ack: Ack) -> Result<(), ProtocolError> {
        let Some(i) = self.find_inflight(ack.packet_id) else {
            // A failed PUBREC ends the flow on both sides: no PUBREL follows
            // one [MQTT-4.3.3-4], whether or not we still know the message.
            if ack.reason.is_error() {
                return Ok(());
            }
            // The spec's answer to a PUBREC for an unknown identifier. The
            // server now holds that identifier until our PUBREL reaches it,
            // so keep it reserved and resend the PUBREL if the connection drops.
            if !self.state.orphan_pubrels.contains(&ack.packet_id) {
                self.state.orphan_pubrels.push(ack.packet_id);
            }
            self.send_orphan_pubrel(now, ack.packet_id);
            return Ok(());
        };
        match self.state.inflight[i].stage {
            Stage::AwaitingPubAck => Err(ProtocolError::UnexpectedPacket(PacketType::PubRec)),
            Stage::AwaitingPubRec if ack.reason.is_error() => {
                let m = self.state.inflight.remove(i).expect("index valid");
                self.complete(m.id, m.packet_id, QoS::ExactlyOnce, ack);
                self.pump(now);
                Ok(())
            }
            Stage::AwaitingPubRec | Stage::AwaitingPubComp => {
                let m = &mut self.state.inflight[i];
                m.stage = Stage::AwaitingPubComp;
                // Never resent as PUBLISH from here on; free the payload.
                m.message.payload = bytes::Bytes::new();
                let _ = self.send(now, &Packet::PubRel(Ack::new(ack.packet_id)));
                Ok(())
            }
        }
    }

    fn send_orphan_pubrel(&mut self, now: Instant, packet_id: PacketId) {
        let reason = if self.config.version().is_v5() {
            ReasonCode::PacketIdentifierNotFound
        } else {
            ReasonCode::Success
        };
        let _ = self.send(now, &Packet::PubRel(Ack::with_reason(packet_id, reason)));
    }

    pub(crate) fn on_pubcomp(&mut self, now: Instant, ack: Ack) -> Result<(), ProtocolError> {
        if let Some(i) = self
            .state
            .orphan_pubrels
            .iter()
            .position(|&p| p == ack.packet_id)
        {
            self.state.orphan_pubrels.swap_remove(i);
            return Ok(());
        }
        let Some(i) = self.find_inflight(ack.packet_id) else {
            return Ok(());
        };
        if self.state.inflight[i].stage != Stage::AwaitingPubComp {
            return Err(ProtocolError::UnexpectedPacket(PacketType::PubComp));
        }
        let m = self.state.inflight.remove(i).expect("index valid");
        // PUBREC already said the server has it; a PUBCOMP reason of
        // "Packet Identifier not found" does not undo that.
        self.events.push_back(Event::Published {
            id: m.id,
            packet_id: Some(m.packet_id),
            qos: QoS::ExactlyOnce,
            reason: ack.reason,
            properties: ack.properties,
        });
        self.pump(now);
        Ok(())
    }

    fn complete(&mut self, id: MessageId, packet_id: PacketId, qos: QoS, ack: Ack) {
        self.events.push_back(if ack.reason.is_error() {
            Event::PublishFailed {
                id,
                failure: PublishFailure::Rejected {
                    reason: ack.reason,
                    properties: ack.properties,
                },
            }
        } else {
            Event::Published {
                id,
                packet_id: Some(packet_id),
                qos,
                reason: ack.reason,
                properties: ack.properties,
            }
        });
    }
}

fn expired(m: &QueuedMessage, now: Instant) -> bool {
    m.message
        .properties
        .message_expiry_interval
        .is_some_and(|secs| {
            now.saturating_duration_since(m.accepted_at) >= Duration::from_secs(secs.into())
        })
}

/// The Message Expiry Interval to send: the original less the whole seconds waited.
fn remaining_expiry(m: &QueuedMessage, now: Instant) -> Option<u32> {
    let secs = m.message.properties.message_expiry_interval?;
    let waited = now.saturating_duration_since(m.accepted_at).as_secs();
    Some(
        secs.saturating_sub(waited.min(u32::MAX as u64) as u32)
            .max(1),
    )
}

/// The PUBLISH for `message` as it goes on the wire.
pub(crate) fn build_publish(
    message: &OutboundMessage,
    packet_id: Option<PacketId>,
    dup: bool,
    alias: AliasUse,
    expiry: Option<u32>,
) -> Publish {
    let delivery = match packet_id {
        Some(id) => Delivery::with_id(message.qos, id),
        None => Delivery::AtMostOnce,
    };
    let mut properties = message.properties.clone();
    if expiry.is_some() {
        properties.message_expiry_interval = expiry;
    }
    let (topic, alias) = match alias {
        AliasUse::None => (Some(message.topic.clone()), None),
        AliasUse::Define(a) => (Some(message.topic.clone()), NonZeroU16::new(a)),
        AliasUse::Reuse(a) => (None, NonZeroU16::new(a)),
    };
    properties.topic_alias = alias;
    Publish {
        dup: dup && message.qos != QoS::AtMostOnce,
        delivery,
        retain: message.retain,
        topic,
        payload: message.payload.clone(),
        properties,
    }
}
