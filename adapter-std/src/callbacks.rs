//! The callbacks of Paho's client, with 5.0 data, and what they receive.

use crate::client::Client;
use crate::error::Error;
use mqtt_proto::{
    AckProperties, AuthProperties, ConnAckProperties, PacketId, Publish, PublishProperties, QoS,
    ReasonCode, TopicRouter,
};
use mqtt_session::{AckToken, Disconnection, InboundMessage, MessageId, PublishFailure};
use std::sync::Arc;

/// What on_connect receives: the CONNACK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectInfo {
    /// Whether the broker resumed our session.
    pub session_present: bool,
    /// Success (refusals end the connection and reach on_disconnect).
    pub reason: ReasonCode,
    /// CONNACK properties: limits, assigned client id, server keep alive ...
    pub properties: ConnAckProperties,
}

/// A received message, as on_message and per-filter callbacks see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    inner: InboundMessage,
}

impl Message {
    pub(crate) fn new(inner: InboundMessage) -> Self {
        Self { inner }
    }

    /// The topic (resolved from a topic alias if the broker used one).
    pub fn topic(&self) -> &str {
        self.inner.publish.topic_str()
    }

    /// The payload.
    pub fn payload(&self) -> &[u8] {
        &self.inner.publish.payload
    }

    /// The payload as a shared buffer (no copy).
    pub fn payload_bytes(&self) -> bytes::Bytes {
        self.inner.publish.payload.clone()
    }

    /// The payload as UTF-8, if it is.
    pub fn payload_str(&self) -> Option<&str> {
        std::str::from_utf8(self.payload()).ok()
    }

    /// The QoS it was delivered with.
    pub fn qos(&self) -> QoS {
        self.inner.publish.qos()
    }

    /// Whether it is a retained message.
    pub fn retain(&self) -> bool {
        self.inner.publish.retain
    }

    /// Whether the broker marked it as a redelivery.
    pub fn dup(&self) -> bool {
        self.inner.publish.dup
    }

    /// The packet identifier (QoS 1/2).
    pub fn packet_id(&self) -> Option<PacketId> {
        self.inner.publish.packet_id()
    }

    /// PUBLISH properties (5.0): user properties, response topic, correlation
    /// data, subscription identifiers, message expiry ...
    pub fn properties(&self) -> &PublishProperties {
        &self.inner.publish.properties
    }

    /// The token to pass to [`Client::ack`] in manual-ack mode.
    pub fn ack_token(&self) -> Option<AckToken> {
        self.inner.ack
    }

    /// The PUBLISH packet itself.
    pub fn publish(&self) -> &Publish {
        &self.inner.publish
    }
}

/// How an outbound message ended, as on_publish and [`crate::MessageHandle`] report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishOutcome {
    /// QoS 0 written to the transport, QoS 1 PUBACK, QoS 2 PUBCOMP.
    Delivered {
        /// The acknowledgement's reason (Success, No matching subscribers).
        reason: ReasonCode,
        /// Its properties.
        properties: AckProperties,
    },
    /// The message will not be delivered.
    Failed(PublishFailure),
}

impl PublishOutcome {
    /// Whether the broker took the message.
    pub fn is_delivered(&self) -> bool {
        matches!(self, Self::Delivered { .. })
    }
}

/// Shorthands for the callback types.
pub type MessageCallback = Arc<dyn Fn(&Client, &Message) + Send + Sync>;
pub(crate) type ConnectCallback = Arc<dyn Fn(&Client, &ConnectInfo) + Send + Sync>;
pub(crate) type ConnectFailCallback = Arc<dyn Fn(&Client, &Error) + Send + Sync>;
pub(crate) type DisconnectCallback = Arc<dyn Fn(&Client, &Disconnection) + Send + Sync>;
pub(crate) type PublishCallback = Arc<dyn Fn(&Client, MessageId, &PublishOutcome) + Send + Sync>;
pub(crate) type AckCallback =
    Arc<dyn Fn(&Client, PacketId, &[ReasonCode], &AckProperties) + Send + Sync>;
pub(crate) type AuthCallback = Arc<dyn Fn(&Client, ReasonCode, &AuthProperties) + Send + Sync>;
pub(crate) type LogCallback = Arc<dyn Fn(&Client, log::Level, &str) + Send + Sync>;

/// Every callback slot. Cloned (cheap: `Arc`s) before callbacks run, so a
/// callback may replace callbacks without deadlocking.
#[derive(Clone, Default)]
pub(crate) struct Callbacks {
    pub on_connect: Option<ConnectCallback>,
    pub on_connect_fail: Option<ConnectFailCallback>,
    pub on_disconnect: Option<DisconnectCallback>,
    pub on_message: Option<MessageCallback>,
    pub on_publish: Option<PublishCallback>,
    pub on_subscribe: Option<AckCallback>,
    pub on_unsubscribe: Option<AckCallback>,
    pub on_auth: Option<AuthCallback>,
    pub on_log: Option<LogCallback>,
    pub by_filter: TopicRouter<MessageCallback>,
}
