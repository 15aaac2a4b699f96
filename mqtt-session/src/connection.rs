//! State that lives exactly as long as one transport connection.

use crate::alias::{InboundAliases, OutboundAliases};
use core::time::Duration;
use mqtt_proto::{
    ConnAckProperties, Decoder, Encoder, MqttString, PacketId, PacketType, ProtocolVersion, QoS,
};
use std::collections::VecDeque;
use std::time::Instant;

/// What the server allows, from its latest CONNACK (defaults before one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLimits {
    /// How many QoS 1/2 publishes it accepts unacknowledged.
    pub receive_maximum: u16,
    /// The largest packet it accepts.
    pub maximum_packet_size: Option<u32>,
    /// The highest topic alias it accepts (0: none).
    pub topic_alias_maximum: u16,
    /// The highest QoS it supports.
    pub maximum_qos: QoS,
    /// Whether it supports retained messages.
    pub retain_available: bool,
    /// Whether it supports wildcard subscriptions.
    pub wildcard_subscription_available: bool,
    /// Whether it supports subscription identifiers.
    pub subscription_identifiers_available: bool,
    /// Whether it supports shared subscriptions.
    pub shared_subscription_available: bool,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            receive_maximum: u16::MAX,
            maximum_packet_size: None,
            topic_alias_maximum: 0,
            maximum_qos: QoS::ExactlyOnce,
            retain_available: true,
            wildcard_subscription_available: true,
            subscription_identifiers_available: true,
            shared_subscription_available: true,
        }
    }
}

impl ServerLimits {
    /// The limits a CONNACK announces; absent properties take their defaults.
    pub fn from_connack(p: &ConnAckProperties) -> Self {
        Self {
            receive_maximum: p.receive_maximum.map_or(u16::MAX, |v| v.get()),
            maximum_packet_size: p.maximum_packet_size.map(|v| v.get()),
            topic_alias_maximum: p.topic_alias_maximum.unwrap_or(0),
            maximum_qos: p.maximum_qos.unwrap_or(QoS::ExactlyOnce),
            retain_available: p.retain_available.unwrap_or(true),
            wildcard_subscription_available: p.wildcard_subscription_available.unwrap_or(true),
            subscription_identifiers_available: p
                .subscription_identifiers_available
                .unwrap_or(true),
            shared_subscription_available: p.shared_subscription_available.unwrap_or(true),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// CONNECT sent, waiting for CONNACK (possibly through AUTH exchanges).
    Connecting,
    /// CONNACK accepted.
    Connected,
}

/// A SUBSCRIBE or UNSUBSCRIBE awaiting its acknowledgement.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PendingRequest {
    pub packet_id: PacketId,
    pub kind: PacketType,
    pub filters: usize,
}

#[derive(Debug)]
pub(crate) struct Connection {
    pub phase: Phase,
    pub version: ProtocolVersion,
    pub decoder: Decoder,
    pub encoder: Encoder,
    pub rx: bytes::BytesMut,
    /// Keep alive in force (ours, or the server's Server Keep Alive); `None` disables.
    pub keep_alive: Option<Duration>,
    pub ping_timeout: Duration,
    pub last_sent: Instant,
    pub last_received: Instant,
    pub connect_deadline: Option<Instant>,
    /// Set while a PINGREQ awaits its PINGRESP.
    pub pingresp_deadline: Option<Instant>,
    pub requests: Vec<PendingRequest>,
    pub inbound_aliases: InboundAliases,
    pub outbound_aliases: OutboundAliases,
    /// Inbound QoS 1/2 publishes of this connection not yet fully acknowledged,
    /// checked against the Receive Maximum we advertised.
    pub inbound_unacked: usize,
    /// Our Receive Maximum (5.0).
    pub receive_maximum: u16,
    /// The authentication method of CONNECT, if any.
    pub auth_method: Option<MqttString>,
    /// A re-authentication we started is in progress.
    pub reauthenticating: bool,
    /// Packet identifiers of resumed in-flight messages not resent yet on
    /// this connection, in their original order: the server's Receive
    /// Maximum had no room for them when the session resumed.
    pub held_resends: VecDeque<PacketId>,
    /// The release sweep of an adopted session, while its PUBCOMPs come back.
    pub sweep: Option<Sweep>,
    /// Whether a CONNECT before this one asked to resume a session that
    /// never connected (see `SessionState::resume_unconfirmed`).
    pub resumed_before: bool,
}

impl Connection {
    pub fn busy_packet_ids(&self) -> Vec<PacketId> {
        self.requests.iter().map(|r| r.packet_id).collect()
    }
}

/// A release sweep in progress on one connection (see `crate::sweep`):
/// which PUBCOMP comes next. Kept here, with the connection it lives on,
/// so that this module need not import the session.
#[derive(Debug)]
pub(crate) struct Sweep {
    /// The identifier whose PUBCOMP comes next (past 65,535: none).
    next: u32,
    /// Identifiers this client held when the sweep began, in ascending
    /// order: they are its own, resent as usual, and not swept.
    skip: Vec<u16>,
}

impl Sweep {
    /// A sweep of every identifier but those in `skip`.
    pub fn new(mut skip: Vec<u16>) -> Self {
        skip.sort_unstable();
        skip.dedup();
        let mut sweep = Self { next: 1, skip };
        sweep.next = sweep.advance(1);
        sweep
    }

    /// The identifiers still to be released, in the order they go out.
    pub fn remaining(&self) -> impl Iterator<Item = PacketId> + '_ {
        let mut id = self.next;
        core::iter::from_fn(move || {
            let packet_id = PacketId::new(u16::try_from(id).ok()?)?;
            id = self.advance(id + 1);
            Some(packet_id)
        })
    }

    /// Takes a PUBCOMP: `None` if it is not the one the sweep waits for,
    /// else whether it was the last.
    pub fn take(&mut self, packet_id: PacketId) -> Option<bool> {
        if self.next != u32::from(packet_id.get()) {
            return None;
        }
        self.next = self.advance(self.next + 1);
        Some(self.next > u32::from(u16::MAX))
    }

    /// The first swept identifier at or after `from`.
    fn advance(&self, mut from: u32) -> u32 {
        while from <= u32::from(u16::MAX) && self.skip.binary_search(&(from as u16)).is_ok() {
            from += 1;
        }
        from
    }
}

#[cfg(test)]
mod sweep_tests {
    use super::*;

    fn ids(sweep: &Sweep) -> Vec<u16> {
        sweep.remaining().map(|p| p.get()).collect()
    }

    #[test]
    fn a_sweep_releases_every_identifier_but_the_held_ones_in_order() {
        let sweep = Sweep::new(vec![3, 1, 3, 65_535]);
        let all = ids(&sweep);
        assert_eq!(all.len(), 65_535 - 3);
        assert_eq!(&all[..3], &[2, 4, 5]);
        assert_eq!(*all.last().unwrap(), 65_534);
    }

    #[test]
    fn a_sweep_takes_its_pubcomps_in_order_and_ends_at_the_last() {
        let mut sweep = Sweep::new((2..=65_533).collect());
        let p = |n| PacketId::new(n).unwrap();
        assert_eq!(sweep.take(p(2)), None, "held, not swept");
        assert_eq!(sweep.take(p(1)), Some(false));
        assert_eq!(sweep.take(p(65_535)), None, "out of order");
        assert_eq!(sweep.take(p(65_534)), Some(false));
        assert_eq!(ids(&sweep), vec![65_535]);
        assert_eq!(sweep.take(p(65_535)), Some(true));
        assert_eq!(ids(&sweep), Vec::<u16>::new());
    }
}
