//! Outbound messages: accepting, queueing, the in-flight window, QoS 1/2
//! flows, and what happens to them across connections.

use crate::alias::AliasUse;
use crate::config::{QueueFullPolicy, SessionLostPolicy};
use crate::connection::ServerLimits;
use crate::durable::StoreOp;
use crate::error::{Error, ProtocolError};
use crate::event::{Event, MessageId, PublishFailure};
use crate::session::Session;
use crate::state::{InflightMessage, OutboundMessage, QueuedMessage, Stage};
use core::num::NonZeroU16;
use core::time::Duration;
use mqtt_proto::{
    Ack, Delivery, Encodable, Packet, PacketId, PacketType, Publish, QoS, ReasonCode, TopicName,
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
    /// Size) or cannot be encoded in the session's version. A message that
    /// waits is checked again against the Maximum QoS and Retain Available
    /// of the connection that sends it, and fails with
    /// [`PublishFailure::NotSupported`] if they refuse it.
    ///
    /// Subscription Identifiers in the message's properties (those of a
    /// received message being forwarded, say) are left out: a client's
    /// PUBLISH may not carry one [MQTT-3.3.4-6, 5.0].
    pub fn publish(
        &mut self,
        now: Instant,
        mut message: OutboundMessage,
    ) -> Result<MessageId, Error> {
        fit_server_limits(&self.server, self.config.downgrade_qos, &mut message)?;
        message.properties.replace(|p| &mut p.topic_alias, None);
        message
            .properties
            .replace(|p| &mut p.subscription_identifiers, Vec::new());
        // A message a store keeps waits in the queue until the host has
        // stored it and calls `send_queued`: if storing fails, `withdraw`
        // takes it back with nothing sent.
        let stored = self.config.durable && message.qos != QoS::AtMostOnce;
        let sends_now = !stored
            && self.is_connected()
            && self.state.queue.is_empty()
            && self
                .conn
                .as_ref()
                .is_some_and(|c| c.held_resends.is_empty())
            && (message.qos == QoS::AtMostOnce
                || self.state.inflight.len() < self.inflight_window());
        // Not expired on arrival (an interval of 0) and no alias: the packet
        // that goes out is the probe below with its real identifier.
        if sends_now
            && !self.config.auto_topic_alias
            && message.properties.message_expiry_interval != Some(0)
        {
            let next_packet_id = self.state.next_packet_id;
            if let Some(packet_id) = self.next_packet_id(message.qos, self.inflight_window()) {
                return self.publish_at_once(now, message, packet_id, next_packet_id);
            }
        }
        // Size and version check on the packet as it would go out without an
        // alias; lent rather than built so that nothing is cloned.
        let probe = LentPublish::new(message, PacketId::new(1), AliasUse::None, None);
        let size = probe.publish.encoded_len(self.config.version());
        let message = probe.restore();
        let size = size?;
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
        while !sends_now && full(self) {
            match (self.config.queue_full, self.state.queue.pop_front()) {
                (QueueFullPolicy::DropOldest, Some(oldest)) => {
                    self.state.queued_bytes -= oldest.message.queued_size();
                    self.report_done(Event::PublishFailed {
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
        let queued = QueuedMessage {
            id,
            message,
            accepted_at: now,
        };
        // Nothing waits ahead of it: send it as `pump` would, without the
        // round trip through the queue.
        if sends_now && !expired(&queued, now) {
            let window = self.inflight_window();
            if let Some(packet_id) = self.next_packet_id(queued.message.qos, window) {
                self.send_new(now, queued, packet_id);
                return Ok(id);
            }
        }
        if stored {
            self.journal(StoreOp::Accepted {
                id,
                message: queued.message.clone(),
                accepted_at: now,
            });
        }
        self.state.queued_bytes += cost;
        self.state.queue.push_back(queued);
        if !stored {
            self.pump(now);
        }
        Ok(id)
    }

    /// Sends queued messages the window allows. With
    /// [`crate::SessionConfig::durable`], a host calls it once it has stored
    /// what `publish` accepted; other hosts never need to.
    pub fn send_queued(&mut self, now: Instant) {
        self.pump(now);
    }

    /// Takes back a queued message that was never sent: for a host whose
    /// store could not keep it, so that `publish` can fail instead of
    /// handing out a message a crash would lose. No event reports it.
    pub fn withdraw(&mut self, id: MessageId) -> Result<OutboundMessage, Error> {
        let i = self
            .state
            .queue
            .iter()
            .rposition(|m| m.id == id)
            .ok_or(Error::NotQueued(id.0))?;
        let m = self.state.queue.remove(i).expect("index valid");
        self.state.queued_bytes -= m.message.queued_size();
        Ok(m.message)
    }

    /// Reports a message's completion or failure, and records that it is
    /// done for a store.
    pub(crate) fn report_done(&mut self, event: Event) {
        if let Event::Published {
            id,
            packet_id: Some(_),
            ..
        }
        | Event::PublishFailed { id, .. } = &event
        {
            self.journal(StoreOp::Finished { id: *id });
        }
        self.events.push_back(event);
    }

    /// Sends a message that waits for nothing and uses no alias, encoding it
    /// once: the checks are those of `publish`'s probe, made on the packet
    /// itself, whose bytes are taken back if it fails them.
    fn publish_at_once(
        &mut self,
        now: Instant,
        message: OutboundMessage,
        packet_id: Option<PacketId>,
        next_packet_id: u16,
    ) -> Result<MessageId, Error> {
        let start = self.tx.len();
        let lent = LentPublish::new(message, packet_id, AliasUse::None, None);
        let written = match lent.publish.encode(self.config.version(), &mut self.tx) {
            Ok(size) => match self.server.maximum_packet_size {
                Some(max) if size > max as usize => {
                    self.tx.truncate(start);
                    Err(Error::PacketTooLarge { size, max })
                }
                _ => Ok(()),
            },
            Err(e) => Err(Error::from(e)),
        };
        if let Err(e) = written {
            // Nothing was sent, so the identifier was not used.
            self.state.next_packet_id = next_packet_id;
            return Err(e);
        }
        if let Some(conn) = self.conn.as_mut() {
            conn.last_sent = now;
        }
        self.trace_sent(start);
        let id = self.state.new_message_id();
        self.record_sent(id, packet_id, lent, now);
        Ok(id)
    }

    /// The number of QoS 1/2 messages that may be unacknowledged at once:
    /// the smaller of [`crate::SessionConfig::max_inflight`] (0 counts as 1)
    /// and the server's Receive Maximum. It is the initial send quota of
    /// 5.0 section 4.9, never 0 [MQTT-4.9.0-1, 5.0].
    pub fn inflight_window(&self) -> usize {
        self.config
            .max_inflight
            .max(1)
            .min(self.server.receive_maximum) as usize
    }

    /// Sends what waits while connected and the window allows: resumed
    /// messages held back at the CONNACK first, then queued ones.
    pub(crate) fn pump(&mut self, now: Instant) {
        if !self.is_connected() {
            return;
        }
        let window = self.inflight_window();
        if !self.resend_held(now, window) {
            return;
        }
        while let Some(front) = self.state.queue.front_mut() {
            if expired(front, now) {
                self.drop_front_expired();
                continue;
            }
            // The limits of this connection, not of the one `publish` saw.
            if let Err(error) =
                fit_server_limits(&self.server, self.config.downgrade_qos, &mut front.message)
            {
                let refused = self.state.queue.pop_front().expect("front exists");
                self.state.queued_bytes -= refused.message.queued_size();
                self.report_done(Event::PublishFailed {
                    id: refused.id,
                    failure: PublishFailure::NotSupported(error),
                });
                continue;
            }
            let qos = front.message.qos;
            let Some(packet_id) = self.next_packet_id(qos, window) else {
                return;
            };
            let queued = self.state.queue.pop_front().expect("front exists");
            self.state.queued_bytes -= queued.message.queued_size();
            self.send_new(now, queued, packet_id);
        }
    }

    /// The packet identifier a message at `qos` goes out with now: `Some(None)`
    /// for QoS 0, `None` while the window is full or no identifier is free.
    fn next_packet_id(&mut self, qos: QoS, window: usize) -> Option<Option<PacketId>> {
        if qos == QoS::AtMostOnce {
            return Some(None);
        }
        if self.state.inflight.len() >= window {
            return None;
        }
        self.allocate_packet_id().map(Some)
    }

    /// A packet identifier held by no in-flight message, no pending
    /// SUBSCRIBE / UNSUBSCRIBE and no orphaned PUBREL [MQTT-2.2.1-3].
    pub(crate) fn allocate_packet_id(&mut self) -> Option<PacketId> {
        let busy = self
            .conn
            .as_ref()
            .map(|c| c.busy_packet_ids())
            .unwrap_or_default();
        let state = &mut self.state;
        let in_use = state.inflight.len() + busy.len() + state.orphan_pubrels.len();
        if in_use >= u16::MAX as usize {
            return None;
        }
        loop {
            state.next_packet_id = state.next_packet_id.wrapping_add(1);
            let Some(id) = PacketId::new(state.next_packet_id) else {
                continue;
            };
            // Identifiers are handed out in sequence, so a collision needs a
            // wrap-around past a message still in flight: rare.
            if !busy.contains(&id)
                && !state.orphan_pubrels.contains(&id)
                && !self.inflight_ids.contains(id, &state.inflight)
            {
                return Some(id);
            }
        }
    }

    /// Resends held in-flight messages, in order, while the window has
    /// room; whether none is left held.
    fn resend_held(&mut self, now: Instant, window: usize) -> bool {
        loop {
            let Some(conn) = self.conn.as_mut() else {
                return false;
            };
            let held = conn.held_resends.len();
            if held == 0 {
                return true;
            }
            if self.state.inflight.len().saturating_sub(held) >= window {
                return false;
            }
            let packet_id = conn.held_resends.pop_front().expect("not empty");
            if let Some(i) = self.find_inflight(packet_id) {
                let m = &self.state.inflight[i];
                let publish =
                    build_publish(&m.message, Some(packet_id), true, AliasUse::None, None);
                // As in `resend_inflight`: one that no longer fits stays in flight.
                let _ = self.send(now, &publish);
            }
        }
    }

    /// Stops holding back an in-flight message: it was acknowledged
    /// without being resent on this connection.
    fn unhold(&mut self, packet_id: PacketId) {
        if let Some(c) = self.conn.as_mut() {
            if !c.held_resends.is_empty() {
                c.held_resends.retain(|&p| p != packet_id);
            }
        }
    }

    /// Sends a message that no longer waits, with the identifier
    /// [`Session::next_packet_id`] gave it.
    fn send_new(&mut self, now: Instant, queued: QueuedMessage, packet_id: Option<PacketId>) {
        let alias = if self.config.auto_topic_alias {
            let conn = self.conn.as_mut().expect("connected");
            conn.outbound_aliases.assign(&queued.message.topic)
        } else {
            AliasUse::None
        };
        let remaining = remaining_expiry(&queued, now);
        let QueuedMessage {
            id,
            message,
            accepted_at,
        } = queued;
        let lent = LentPublish::new(message, packet_id, alias, remaining);
        if let Err(e) = self.send(now, &lent.publish) {
            // Only possible when the server's limits shrank since `publish`
            // accepted it (a new connection with a smaller Maximum Packet Size).
            self.report_done(Event::PublishFailed {
                id,
                failure: PublishFailure::Unsendable(e),
            });
            return;
        }
        self.record_sent(id, packet_id, lent, accepted_at);
    }

    /// Records a PUBLISH just written: QoS 0 is done, QoS 1/2 is in flight.
    fn record_sent(
        &mut self,
        id: MessageId,
        packet_id: Option<PacketId>,
        lent: LentPublish,
        accepted_at: Instant,
    ) {
        let qos = lent.qos;
        match packet_id {
            None => self.report_done(Event::Published {
                id,
                packet_id: None,
                qos,
                reason: ReasonCode::Success,
                properties: Default::default(),
            }),
            Some(packet_id) => {
                self.journal(StoreOp::Sent { id, packet_id });
                self.inflight_ids.insert(packet_id);
                self.state.inflight.push_back(InflightMessage {
                    id,
                    packet_id,
                    stage: if qos == QoS::AtLeastOnce {
                        Stage::AwaitingPubAck
                    } else {
                        Stage::AwaitingPubRec
                    },
                    message: lent.restore(),
                    accepted_at,
                })
            }
        }
    }

    fn drop_front_expired(&mut self) {
        if let Some(m) = self.state.queue.pop_front() {
            self.state.queued_bytes -= m.message.queued_size();
            self.report_done(Event::PublishFailed {
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
                self.report_done(Event::PublishFailed {
                    id: m.id,
                    failure: PublishFailure::Expired,
                });
            } else {
                self.state.queue.push_back(m);
            }
        }
    }

    /// After a CONNACK with Session Present: resend every PUBREL, in the
    /// order their PUBRECs came [MQTT-4.6.0-4, 3.1.1, 5.0], then every
    /// unacknowledged PUBLISH with DUP set, in the order first sent
    /// [MQTT-4.6.0-1, 3.1.1, 5.0], before anything new [MQTT-4.4.0-1, 5.0].
    /// Aliases are not used: the server forgot them with the old connection.
    ///
    /// The server's Receive Maximum counts on the new connection too
    /// [MQTT-3.3.4-7, 5.0]: every in-flight message takes a place in the window
    /// (a PUBREL always goes out), and a PUBLISH for which none is left is
    /// held back and resent, in order, as acknowledgements free places.
    pub(crate) fn resend_inflight(&mut self, now: Instant) {
        let window = self.inflight_window();
        let mut live = 0;
        // The PUBRELs in one pass, the PUBLISHes in the next: each keeps
        // the window's order, which is that of PUBRECs for PUBRELs.
        for pubrels in [true, false] {
            for i in 0..self.state.inflight.len() {
                let Some(conn) = self.conn.as_mut() else {
                    return;
                };
                let m = &self.state.inflight[i];
                if (m.stage == Stage::AwaitingPubComp) != pubrels {
                    continue;
                }
                let result = match m.stage {
                    Stage::AwaitingPubAck | Stage::AwaitingPubRec if live >= window => {
                        conn.held_resends.push_back(m.packet_id);
                        continue;
                    }
                    Stage::AwaitingPubAck | Stage::AwaitingPubRec => {
                        live += 1;
                        let publish = build_publish(
                            &m.message,
                            Some(m.packet_id),
                            true,
                            AliasUse::None,
                            None,
                        );
                        self.send(now, &publish)
                    }
                    Stage::AwaitingPubComp => {
                        live += 1;
                        let pubrel = Packet::PubRel(Ack::new(m.packet_id));
                        self.send(now, &pubrel)
                    }
                };
                // A resend that no longer fits the new Maximum Packet Size stays in
                // flight; the server may still acknowledge it from its session.
                let _ = result;
            }
        }
        for packet_id in self.state.orphan_pubrels.clone() {
            self.send_orphan_pubrel(now, packet_id);
        }
    }

    /// After a CONNACK without Session Present: the server forgot our
    /// session, so nothing is resent as a duplicate. Each unfinished message
    /// is republished as new or reported failed, per the configured policy.
    pub(crate) fn discard_session(&mut self, _now: Instant) {
        if !self.state.orphan_pubrels.is_empty() || !self.state.awaiting_pubrel.is_empty() {
            self.journal(StoreOp::InboundCleared);
        }
        self.state.orphan_pubrels.clear();
        self.state.awaiting_pubrel.clear();
        self.state.pending_acks.clear();
        let inflight = std::mem::take(&mut self.state.inflight);
        self.inflight_ids.clear();
        let mut requeue = Vec::new();
        for m in inflight {
            match (m.stage, self.config.session_lost) {
                // PUBREC said the server took ownership of the message.
                (Stage::AwaitingPubComp, _) => self.report_done(Event::Published {
                    id: m.id,
                    packet_id: Some(m.packet_id),
                    qos: QoS::ExactlyOnce,
                    reason: ReasonCode::Success,
                    properties: Default::default(),
                }),
                (_, SessionLostPolicy::Republish) => {
                    self.journal(StoreOp::Requeued { id: m.id });
                    self.events.push_back(Event::Republished { id: m.id });
                    requeue.push(QueuedMessage {
                        id: m.id,
                        message: m.message,
                        accepted_at: m.accepted_at,
                    });
                }
                (_, SessionLostPolicy::Fail) => self.report_done(Event::PublishFailed {
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

    /// Removes the in-flight message at `i`; acknowledgements mostly come
    /// in sending order, so usually it is the front.
    fn take_inflight(&mut self, i: usize) -> InflightMessage {
        let m = if i == 0 {
            self.state.inflight.pop_front()
        } else {
            self.state.inflight.remove(i)
        };
        let m = m.expect("index valid");
        self.inflight_ids
            .remove(m.packet_id, self.state.inflight.len());
        self.unhold(m.packet_id);
        m
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
        let m = self.take_inflight(i);
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
                self.journal(StoreOp::OrphanPubRel {
                    packet_id: ack.packet_id,
                });
            }
            self.send_orphan_pubrel(now, ack.packet_id);
            return Ok(());
        };
        match self.state.inflight[i].stage {
            Stage::AwaitingPubAck => Err(ProtocolError::UnexpectedPacket(PacketType::PubRec)),
            Stage::AwaitingPubRec if ack.reason.is_error() => {
                let m = self.take_inflight(i);
                self.complete(m.id, m.packet_id, QoS::ExactlyOnce, ack);
                self.pump(now);
                Ok(())
            }
            Stage::AwaitingPubRec | Stage::AwaitingPubComp => {
                self.unhold(ack.packet_id);
                let m = &mut self.state.inflight[i];
                if m.stage == Stage::AwaitingPubRec {
                    let id = m.id;
                    m.stage = Stage::AwaitingPubComp;
                    // Never resent as PUBLISH from here on; free the payload.
                    m.message.payload = bytes::Bytes::new();
                    // A resumed session resends PUBRELs in the order their
                    // PUBRECs came [MQTT-4.6.0-4, 3.1.1, 5.0]: the window keeps
                    // that order (unacknowledged PUBLISHes keep theirs).
                    if i + 1 < self.state.inflight.len() {
                        let m = self.state.inflight.remove(i).expect("index valid");
                        self.state.inflight.push_back(m);
                    }
                    // Durable before the PUBREL leaves: a restarted client
                    // must never resend a PUBLISH the server has released.
                    self.journal(StoreOp::Received { id });
                }
                self.send_required(now, &Packet::PubRel(Ack::new(ack.packet_id)));
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
        self.send_required(now, &Packet::PubRel(Ack::with_reason(packet_id, reason)));
    }

    pub(crate) fn on_pubcomp(&mut self, now: Instant, ack: Ack) -> Result<(), ProtocolError> {
        if self.on_sweep_pubcomp(ack.packet_id) {
            return Ok(());
        }
        if let Some(i) = self
            .state
            .orphan_pubrels
            .iter()
            .position(|&p| p == ack.packet_id)
        {
            self.state.orphan_pubrels.swap_remove(i);
            self.journal(StoreOp::OrphanReleased {
                packet_id: ack.packet_id,
            });
            return Ok(());
        }
        let Some(i) = self.find_inflight(ack.packet_id) else {
            return Ok(());
        };
        if self.state.inflight[i].stage != Stage::AwaitingPubComp {
            return Err(ProtocolError::UnexpectedPacket(PacketType::PubComp));
        }
        let m = self.take_inflight(i);
        // PUBREC already said the server has it; a PUBCOMP reason of
        // "Packet Identifier not found" does not undo that.
        self.report_done(Event::Published {
            id: m.id,
            packet_id: Some(m.packet_id),
            qos: QoS::ExactlyOnce,
            reason: ack.reason,
            properties: ack.properties.into_inner(),
        });
        self.pump(now);
        Ok(())
    }

    fn complete(&mut self, id: MessageId, packet_id: PacketId, qos: QoS, ack: Ack) {
        self.report_done(if ack.reason.is_error() {
            Event::PublishFailed {
                id,
                failure: PublishFailure::Rejected {
                    reason: ack.reason,
                    properties: ack.properties.into_inner(),
                },
            }
        } else {
            Event::Published {
                id,
                packet_id: Some(packet_id),
                qos,
                reason: ack.reason,
                properties: ack.properties.into_inner(),
            }
        });
    }
}

/// Checks a message against the server's Maximum QoS [MQTT-3.2.2-11, 5.0] and
/// Retain Available [MQTT-3.2.2-14, 5.0], lowering its QoS to the maximum when
/// `downgrade` says so.
fn fit_server_limits(
    server: &ServerLimits,
    downgrade: bool,
    message: &mut OutboundMessage,
) -> Result<(), Error> {
    if message.qos > server.maximum_qos {
        if !downgrade {
            return Err(Error::QoSNotSupported {
                requested: message.qos,
                maximum: server.maximum_qos,
            });
        }
        message.qos = server.maximum_qos;
    }
    if message.retain && !server.retain_available {
        return Err(Error::RetainNotSupported);
    }
    Ok(())
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

/// A new (not DUP) PUBLISH made of a message's own parts, moved rather than
/// cloned: the hot path encodes it and then takes the message back with
/// [`LentPublish::restore`], so a send costs no reference counting and no
/// copy of the properties.
struct LentPublish {
    publish: Publish,
    qos: QoS,
    /// The topic, kept here while an alias stands for it on the wire.
    topic: Option<TopicName>,
    /// The message's own Topic Alias property (ignored when sending).
    topic_alias: Option<NonZeroU16>,
    /// The message's own Message Expiry Interval, while the packet carries
    /// what remains of it.
    expiry: Option<u32>,
}

impl LentPublish {
    /// The packet [`build_publish`] would build with `dup` false.
    fn new(
        message: OutboundMessage,
        packet_id: Option<PacketId>,
        alias: AliasUse,
        remaining: Option<u32>,
    ) -> Self {
        let OutboundMessage {
            topic,
            payload,
            qos,
            retain,
            mut properties,
        } = message;
        let delivery = match packet_id {
            Some(id) => Delivery::with_id(qos, id),
            None => Delivery::AtMostOnce,
        };
        let expiry = properties.message_expiry_interval;
        if remaining.is_some() {
            properties.message_expiry_interval = remaining;
        }
        let (wire_topic, kept, alias) = match alias {
            AliasUse::None => (Some(topic), None, None),
            AliasUse::Define(a) => (Some(topic), None, NonZeroU16::new(a)),
            AliasUse::Reuse(a) => (None, Some(topic), NonZeroU16::new(a)),
        };
        let topic_alias = properties.replace(|p| &mut p.topic_alias, alias);
        Self {
            publish: Publish {
                dup: false,
                delivery,
                retain,
                topic: wire_topic,
                payload,
                properties,
            },
            qos,
            topic: kept,
            topic_alias,
            expiry,
        }
    }

    /// The message as it was before [`LentPublish::new`].
    fn restore(self) -> OutboundMessage {
        let Publish {
            retain,
            topic,
            payload,
            mut properties,
            ..
        } = self.publish;
        properties.replace(|p| &mut p.topic_alias, self.topic_alias);
        properties.replace(|p| &mut p.message_expiry_interval, self.expiry);
        OutboundMessage {
            topic: topic
                .or(self.topic)
                .expect("the topic is on the wire or kept"),
            payload,
            qos: self.qos,
            retain,
            properties,
        }
    }
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
    properties.replace(|p| &mut p.topic_alias, alias);
    Publish {
        dup: dup && message.qos != QoS::AtMostOnce,
        delivery,
        retain: message.retain,
        topic,
        payload: message.payload.clone(),
        properties,
    }
}

#[cfg(test)]
mod tests {
    use crate::{Error, Event, OutboundMessage, Session, SessionConfig};
    use mqtt_proto::{EncodeError, MqttString, ProtocolVersion, QoS, TopicName};
    use std::time::Instant;

    fn connected(version: ProtocolVersion, connack: &[u8]) -> (Session, Instant) {
        let config = SessionConfig::new(version, MqttString::new("c").unwrap());
        let mut session = Session::new(config);
        let now = Instant::now();
        session.connect(now).unwrap();
        session.poll_transmit().unwrap();
        session.handle_input(now, connack);
        assert!(matches!(
            session.poll_event(),
            Some(Event::Connected { .. })
        ));
        (session, now)
    }

    fn message(payload: &'static str, qos: QoS) -> OutboundMessage {
        OutboundMessage::new(TopicName::new("a").unwrap(), payload).qos(qos)
    }

    // A publish the call refuses sends nothing and leaves its packet
    // identifier to the next one (the at-once path takes one before encoding).
    #[test]
    fn oversize_publish_sends_nothing_and_uses_no_packet_identifier() {
        // CONNACK: flags 0, Success, properties: Maximum Packet Size (0x27) = 16.
        let connack = [0x20, 0x08, 0x00, 0x00, 0x05, 0x27, 0x00, 0x00, 0x00, 0x10];
        let (mut session, now) = connected(ProtocolVersion::V5, &connack);
        // 1 + 1 + (2 + 1) + 2 + 1 (properties) + 10 = 18 bytes.
        assert_eq!(
            session.publish(now, message("0123456789", QoS::AtLeastOnce)),
            Err(Error::PacketTooLarge { size: 18, max: 16 })
        );
        assert_eq!(session.poll_transmit(), None);
        assert!(session.state().inflight.is_empty());
        session
            .publish(now, message("x", QoS::AtLeastOnce))
            .unwrap();
        // PUBLISH QoS 1, topic "a", packet identifier 1, no properties, "x".
        assert_eq!(
            session.poll_transmit().unwrap()[..],
            [0x32, 0x07, 0x00, 0x01, b'a', 0x00, 0x01, 0x00, b'x']
        );
    }

    #[test]
    fn publish_not_encodable_in_3_1_1_uses_no_packet_identifier() {
        let (mut session, now) = connected(ProtocolVersion::V3_1_1, &[0x20, 0x02, 0x00, 0x00]);
        let mut with_properties = message("x", QoS::ExactlyOnce);
        with_properties.properties.content_type = Some(MqttString::new("text/plain").unwrap());
        assert!(matches!(
            session.publish(now, with_properties),
            Err(Error::Encode(EncodeError::PropertiesNotSupported { .. }))
        ));
        assert_eq!(session.poll_transmit(), None);
        session
            .publish(now, message("x", QoS::ExactlyOnce))
            .unwrap();
        // PUBLISH QoS 2, topic "a", packet identifier 1, "x".
        assert_eq!(
            session.poll_transmit().unwrap()[..],
            [0x34, 0x06, 0x00, 0x01, b'a', 0x00, 0x01, b'x']
        );
    }
}
