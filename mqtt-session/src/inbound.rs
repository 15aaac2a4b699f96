//! Inbound messages: delivery, QoS 1/2 acknowledgements in the order the
//! spec requires, exactly-once for QoS 2, and the application's manual acks.

use crate::durable::StoreOp;
use crate::error::{Error, ProtocolError};
use crate::event::{AckToken, Event, InboundMessage};
use crate::session::Session;
use crate::state::PendingAck;
use mqtt_proto::{Ack, Packet, PacketId, PacketType, Publish, QoS, ReasonCode};
use std::time::Instant;

impl Session {
    pub(crate) fn on_publish(
        &mut self,
        now: Instant,
        mut publish: Publish,
    ) -> Result<(), ProtocolError> {
        let conn = self.conn.as_mut().expect("connected");
        conn.inbound_aliases.resolve(&mut publish)?;
        let v5 = conn.version.is_v5();
        let Some(packet_id) = publish.packet_id() else {
            self.deliver(publish, None);
            return Ok(());
        };
        let qos = publish.qos();
        // A resend of a message whose acknowledgement is still queued: deliver
        // once, and let the acknowledgement go out in its turn.
        if self
            .state
            .pending_acks
            .iter()
            .any(|p| p.packet_id == packet_id && p.qos == qos)
        {
            return Ok(());
        }
        if qos == QoS::ExactlyOnce && self.state.awaiting_pubrel.contains(&packet_id) {
            // Received before and not yet released: acknowledge again and
            // deliver nothing [MQTT-4.3.3-10].
            self.send_required(now, &Packet::PubRec(Ack::new(packet_id)));
            return Ok(());
        }
        let conn = self.conn.as_mut().expect("connected");
        if v5 && conn.inbound_unacked >= conn.receive_maximum as usize {
            return Err(ProtocolError::ReceiveMaximumExceeded(conn.receive_maximum));
        }
        conn.inbound_unacked += 1;
        if qos == QoS::ExactlyOnce {
            self.state.awaiting_pubrel.push(packet_id);
        }
        if self.config.auto_ack {
            self.deliver(publish, None);
            self.send_ack(now, packet_id, qos);
        } else {
            self.state.next_ack_token += 1;
            let token = self.state.next_ack_token;
            self.state.pending_acks.push_back(PendingAck {
                token,
                packet_id,
                qos,
                acked: false,
            });
            self.deliver(publish, Some(AckToken(token)));
        }
        Ok(())
    }

    fn deliver(&mut self, publish: Publish, ack: Option<AckToken>) {
        self.events
            .push_back(Event::Message(InboundMessage { publish, ack }));
    }

    /// PUBACK for QoS 1, PUBREC for QoS 2.
    fn send_ack(&mut self, now: Instant, packet_id: PacketId, qos: QoS) {
        let packet = if qos == QoS::AtLeastOnce {
            if let Some(c) = self.conn.as_mut() {
                c.inbound_unacked = c.inbound_unacked.saturating_sub(1);
            }
            Packet::PubAck(Ack::new(packet_id))
        } else {
            // Durable before the PUBREC leaves: the server's resend after a
            // restart must be known as a duplicate.
            self.journal(StoreOp::InboundReceived { packet_id });
            Packet::PubRec(Ack::new(packet_id))
        };
        self.send_required(now, &packet);
    }

    pub(crate) fn on_pubrel(&mut self, now: Instant, ack: Ack) -> Result<(), ProtocolError> {
        let id = ack.packet_id;
        if self
            .state
            .pending_acks
            .iter()
            .any(|p| p.packet_id == id && p.qos == QoS::ExactlyOnce)
        {
            // We have not sent PUBREC yet, so the server cannot release it.
            return Err(ProtocolError::UnexpectedPacket(PacketType::PubRel));
        }
        let reason = match self.state.awaiting_pubrel.iter().position(|&p| p == id) {
            Some(i) => {
                self.state.awaiting_pubrel.swap_remove(i);
                self.journal(StoreOp::InboundReleased { packet_id: id });
                if let Some(c) = self.conn.as_mut() {
                    c.inbound_unacked = c.inbound_unacked.saturating_sub(1);
                }
                ReasonCode::Success
            }
            None if self.config.version().is_v5() => ReasonCode::PacketIdentifierNotFound,
            None => ReasonCode::Success,
        };
        self.send_required(now, &Packet::PubComp(Ack::with_reason(id, reason)));
        Ok(())
    }

    /// Acknowledges a message received in manual-ack mode. The PUBACK or
    /// PUBREC goes out once every message received before it is
    /// acknowledged too, because the spec fixes their order [MQTT-4.6.0-2,
    /// MQTT-4.6.0-3]; while disconnected it waits for the next connection
    /// that resumes the session.
    pub fn ack(&mut self, now: Instant, token: AckToken) -> Result<(), Error> {
        let pending = self
            .state
            .pending_acks
            .iter_mut()
            .find(|p| p.token == token.0 && !p.acked)
            .ok_or(Error::UnknownAckToken)?;
        pending.acked = true;
        self.flush_acks(now);
        Ok(())
    }

    /// Sends the acknowledgements at the front of the queue that the application gave.
    pub(crate) fn flush_acks(&mut self, now: Instant) {
        if !self.is_connected() {
            return;
        }
        while self.state.pending_acks.front().is_some_and(|p| p.acked) {
            let p = self.state.pending_acks.pop_front().expect("front exists");
            self.send_ack(now, p.packet_id, p.qos);
        }
    }
}
