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
    pub sweep: Option<crate::sweep::Sweep>,
    /// Whether a CONNECT before this one asked to resume a session that
    /// never connected (see `SessionState::resume_unconfirmed`).
    pub resumed_before: bool,
}

impl Connection {
    pub fn busy_packet_ids(&self) -> Vec<PacketId> {
        self.requests.iter().map(|r| r.packet_id).collect()
    }
}
