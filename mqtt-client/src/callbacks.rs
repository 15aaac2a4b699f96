//! The callbacks of Paho's client, with 5.0 data, and what they receive.

use crate::error::Error;
use crate::event::ClientEvent;
use mqtt_proto::{
    AckProperties, AuthProperties, ConnAckProperties, PacketId, Publish, PublishProperties, QoS,
    ReasonCode, TopicRouter,
};
use mqtt_session::{AckToken, Disconnection, Event, InboundMessage, MessageId, PublishFailure};
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

    /// The token to pass to [`Client::ack`](crate::Client::ack) in manual-ack mode.
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

/// A per-filter message callback of a client of type `C`.
pub type MessageCallback<C> = Arc<dyn Fn(&C, &Message) + Send + Sync>;
type ConnectCallback<C> = Arc<dyn Fn(&C, &ConnectInfo) + Send + Sync>;
type ConnectFailCallback<C> = Arc<dyn Fn(&C, &Error) + Send + Sync>;
type DisconnectCallback<C> = Arc<dyn Fn(&C, &Disconnection) + Send + Sync>;
type PublishCallback<C> = Arc<dyn Fn(&C, MessageId, &PublishOutcome) + Send + Sync>;
type AckCallback<C> = Arc<dyn Fn(&C, PacketId, &[ReasonCode], &AckProperties) + Send + Sync>;
type AuthCallback<C> = Arc<dyn Fn(&C, ReasonCode, &AuthProperties) + Send + Sync>;
type LogCallback<C> = Arc<dyn Fn(&C, log::Level, &str) + Send + Sync>;

/// Paho's callback slots for a client of type `C`, and how a client's
/// events reach them. Every adapter keeps one, so every adapter calls
/// callbacks with the same meaning.
///
/// Cloning is cheap (`Arc`s): adapters clone the set before running
/// callbacks, so a callback may replace callbacks without deadlocking.
pub struct Callbacks<C> {
    /// A CONNACK accepted the connection.
    pub on_connect: Option<ConnectCallback<C>>,
    /// The transport could not be opened.
    pub on_connect_fail: Option<ConnectFailCallback<C>>,
    /// A connection ended.
    pub on_disconnect: Option<DisconnectCallback<C>>,
    /// A message no per-filter callback matched.
    pub on_message: Option<MessageCallback<C>>,
    /// An outbound message is done or failed.
    pub on_publish: Option<PublishCallback<C>>,
    /// A SUBACK arrived.
    pub on_subscribe: Option<AckCallback<C>>,
    /// An UNSUBACK arrived.
    pub on_unsubscribe: Option<AckCallback<C>>,
    /// The broker sent AUTH.
    pub on_auth: Option<AuthCallback<C>>,
    /// A log line of the client.
    pub on_log: Option<LogCallback<C>>,
    /// Per-filter message callbacks (Paho's `message_callback_add`).
    pub by_filter: TopicRouter<MessageCallback<C>>,
}

impl<C> Default for Callbacks<C> {
    fn default() -> Self {
        Self {
            on_connect: None,
            on_connect_fail: None,
            on_disconnect: None,
            on_message: None,
            on_publish: None,
            on_subscribe: None,
            on_unsubscribe: None,
            on_auth: None,
            on_log: None,
            by_filter: TopicRouter::new(),
        }
    }
}

impl<C> Clone for Callbacks<C> {
    fn clone(&self) -> Self {
        Self {
            on_connect: self.on_connect.clone(),
            on_connect_fail: self.on_connect_fail.clone(),
            on_disconnect: self.on_disconnect.clone(),
            on_message: self.on_message.clone(),
            on_publish: self.on_publish.clone(),
            on_subscribe: self.on_subscribe.clone(),
            on_unsubscribe: self.on_unsubscribe.clone(),
            on_auth: self.on_auth.clone(),
            on_log: self.on_log.clone(),
            by_filter: self.by_filter.clone(),
        }
    }
}

impl<C> Callbacks<C> {
    /// Logs through the `log` crate and on_log.
    pub fn log(&self, client: &C, level: log::Level, msg: &str) {
        log::log!(target: "mqtt_client", level, "{msg}");
        if let Some(cb) = &self.on_log {
            cb(client, level, msg);
        }
    }

    /// Runs the callbacks for `events`, in order. Call with no lock held:
    /// callbacks may call back into the client.
    pub fn dispatch(&self, client: &C, events: impl IntoIterator<Item = ClientEvent>) {
        for e in events {
            self.dispatch_one(client, e);
        }
    }

    /// Runs the callback for one event.
    pub fn dispatch_one(&self, client: &C, event: ClientEvent) {
        let event = match event {
            ClientEvent::Engine(event) => event,
            ClientEvent::ConnectFailed(e) => {
                self.log(client, log::Level::Warn, &format!("connect failed: {e}"));
                if let Some(cb) = &self.on_connect_fail {
                    cb(client, &e);
                }
                return;
            }
        };
        match event {
            Event::Connected {
                session_present,
                properties,
            } => {
                self.log(
                    client,
                    log::Level::Info,
                    &format!("connected (session present: {session_present})"),
                );
                if let Some(cb) = &self.on_connect {
                    let info = ConnectInfo {
                        session_present,
                        reason: ReasonCode::Success,
                        properties: *properties,
                    };
                    cb(client, &info);
                }
            }
            Event::Disconnected(why) => {
                let level = match why {
                    Disconnection::Local { .. } => log::Level::Info,
                    _ => log::Level::Warn,
                };
                self.log(client, level, &format!("disconnected: {why:?}"));
                if let Some(cb) = &self.on_disconnect {
                    cb(client, &why);
                }
            }
            Event::Message(m) => {
                let message = Message::new(m);
                let mut matched = false;
                if !self.by_filter.is_empty() {
                    if let Some(topic) = &message.publish().topic {
                        for (_, cb) in self.by_filter.matches(topic) {
                            matched = true;
                            cb(client, &message);
                        }
                    }
                }
                if !matched {
                    if let Some(cb) = &self.on_message {
                        cb(client, &message);
                    }
                }
            }
            Event::Published {
                id,
                reason,
                properties,
                ..
            } => {
                if let Some(cb) = &self.on_publish {
                    cb(
                        client,
                        id,
                        &PublishOutcome::Delivered { reason, properties },
                    );
                }
            }
            Event::PublishFailed { id, failure } => {
                self.log(
                    client,
                    log::Level::Warn,
                    &format!("message {id:?} not delivered: {failure:?}"),
                );
                if let Some(cb) = &self.on_publish {
                    cb(client, id, &PublishOutcome::Failed(failure));
                }
            }
            Event::Republished { id } => self.log(
                client,
                log::Level::Info,
                &format!("broker lost the session; message {id:?} sent again as new"),
            ),
            Event::Subscribed {
                packet_id,
                reasons,
                properties,
            } => {
                if let Some(cb) = &self.on_subscribe {
                    cb(client, packet_id, &reasons, &properties);
                }
            }
            Event::Unsubscribed {
                packet_id,
                reasons,
                properties,
            } => {
                if let Some(cb) = &self.on_unsubscribe {
                    cb(client, packet_id, &reasons, &properties);
                }
            }
            Event::RequestAborted { packet_id } => self.log(
                client,
                log::Level::Warn,
                &format!("request {packet_id} got no answer before the connection ended"),
            ),
            Event::Auth { reason, properties } => {
                if let Some(cb) = &self.on_auth {
                    cb(client, reason, &properties);
                }
            }
            other => self.log(client, log::Level::Debug, &format!("{other:?}")),
        }
    }
}
