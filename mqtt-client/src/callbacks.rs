//! The callbacks of Paho's client, with 5.0 data, and what they receive.

use crate::error::Error;
use crate::event::ClientEvent;
use crate::mid::Mid;
use mqtt_proto::{
    AckProperties, AuthProperties, ConnAckProperties, PacketId, Publish, PublishProperties, QoS,
    ReasonCode, TopicRouter,
};
use mqtt_session::{AckToken, Disconnection, Event, InboundMessage, PublishFailure};
use std::sync::Arc;

/// What on_connect receives: the CONNACK, accepting or refusing (Paho 2's
/// `on_connect(client, userdata, flags, reason_code, properties)`).
///
/// As in Paho 2, on_connect runs for a refusal too, with the failure
/// reason code ([`ConnectInfo::is_failure`]); on_disconnect follows with
/// `Disconnection::Refused`, and a blocking `connect()` returns
/// `Error::Refused`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[doc(alias = "ConnectFlags")]
pub struct ConnectInfo {
    /// Whether the broker resumed our session (Paho's
    /// `flags.session_present`); false for a refusal.
    pub session_present: bool,
    /// Success, or why the broker refused (3.x return codes mapped onto
    /// 5.0 reason codes: return code 5 is `NotAuthorized`, as in Paho 2).
    pub reason: ReasonCode,
    /// CONNACK properties: limits, assigned client id, server keep alive,
    /// and for a refusal its reason string or server reference.
    pub properties: ConnAckProperties,
}

impl ConnectInfo {
    /// The CONNACK's reason code (Paho's `reason_code`).
    pub fn reason_code(&self) -> ReasonCode {
        self.reason
    }

    /// Whether the broker refused the connection (Paho's
    /// `reason_code.is_failure`).
    pub fn is_failure(&self) -> bool {
        self.reason.is_error()
    }

    /// The 3.1 / 3.1.1 CONNACK return code this reason stands for (0 to 5),
    /// which Paho 1's `rc` was; `None` for a 5.0-only reason.
    #[doc(alias = "rc")]
    pub fn return_code(&self) -> Option<u8> {
        self.reason.to_v3_connack()
    }
}

/// A received message, as on_message and per-filter callbacks see it
/// (Paho's `MQTTMessage`: `topic`, `payload`, `qos`, `retain`, `mid` is
/// [`Message::packet_id`], `properties`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[doc(alias = "MQTTMessage")]
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
    #[doc(alias = "mid")]
    pub fn packet_id(&self) -> Option<PacketId> {
        self.inner.publish.packet_id()
    }

    /// PUBLISH properties (5.0): user properties, response topic, correlation
    /// data, subscription identifiers, message expiry ...
    pub fn properties(&self) -> &PublishProperties {
        &self.inner.publish.properties
    }

    /// The token to pass to the client's `ack` in manual-ack mode.
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
type PublishCallback<C> = Arc<dyn Fn(&C, Mid, &PublishOutcome) + Send + Sync>;
type AckCallback<C> = Arc<dyn Fn(&C, Mid, &[ReasonCode], &AckProperties) + Send + Sync>;
type AuthCallback<C> = Arc<dyn Fn(&C, ReasonCode, &AuthProperties) + Send + Sync>;
type LogCallback<C> = Arc<dyn Fn(&C, log::Level, &str) + Send + Sync>;

/// Paho's callback slots for a client of type `C`, and how a client's
/// events reach them. Every adapter keeps one, so every adapter calls
/// callbacks with the same meaning.
///
/// Paho passes `userdata` to every callback; here every callback gets the
/// client, whose `user_data::<T>()` returns what `user_data_set` stored.
///
/// For a connection the broker refuses, the callbacks run in this order:
/// the packet lines (`Received CONNACK (0, 5)`) to on_log, on_connect with
/// the failure reason code, on_disconnect with `Disconnection::Refused`.
/// on_connect_fail is only for a transport that could not be opened (no
/// CONNACK at all), as in Paho.
///
/// Cloning is cheap (`Arc`s): adapters clone the set before running
/// callbacks, so a callback may replace callbacks without deadlocking.
pub struct Callbacks<C> {
    /// A CONNACK arrived: accepting, or refusing ([`ConnectInfo::is_failure`]).
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
    /// Logs through the `log` crate (target `mqtt_client`) and on_log.
    pub fn log(&self, client: &C, level: log::Level, msg: &str) {
        self.log_to(client, "mqtt_client", level, msg);
    }

    /// Logs through the `log` crate with `target` and on_log.
    pub fn log_to(&self, client: &C, target: &str, level: log::Level, msg: &str) {
        log::log!(target: target, level, "{msg}");
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
            ClientEvent::Log {
                level,
                target,
                message,
            } => return self.log_to(client, target, level, &message),
            ClientEvent::Request { mid, event } => {
                return self.dispatch_request(client, mid, event)
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
                if let (Disconnection::Refused { reason, properties }, Some(cb)) =
                    (&why, &self.on_connect)
                {
                    // Paho 2: on_connect hears of a refusal, with its reason code.
                    let info = ConnectInfo {
                        session_present: false,
                        reason: *reason,
                        properties: (**properties).clone(),
                    };
                    cb(client, &info);
                }
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
                packet_id,
                reason,
                properties,
                ..
            } => {
                if let Some(cb) = &self.on_publish {
                    cb(
                        client,
                        Mid::new(id.0, packet_id),
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
                    cb(client, Mid::from(id), &PublishOutcome::Failed(failure));
                }
            }
            Event::Republished { id } => self.log(
                client,
                log::Level::Info,
                &format!("broker lost the session; message {id:?} sent again as new"),
            ),
            Event::Auth { reason, properties } => {
                if let Some(cb) = &self.on_auth {
                    cb(client, reason, &properties);
                }
            }
            other => self.log(client, log::Level::Debug, &format!("{other:?}")),
        }
    }

    /// Runs on_subscribe / on_unsubscribe for the answer to the request `mid`.
    fn dispatch_request(&self, client: &C, mid: Mid, event: Event) {
        match event {
            Event::Subscribed {
                reasons,
                properties,
                ..
            } => {
                if let Some(cb) = &self.on_subscribe {
                    cb(client, mid, &reasons, &properties);
                }
            }
            Event::Unsubscribed {
                reasons,
                properties,
                ..
            } => {
                if let Some(cb) = &self.on_unsubscribe {
                    cb(client, mid, &reasons, &properties);
                }
            }
            Event::RequestAborted { packet_id } => self.log(
                client,
                log::Level::Warn,
                &format!(
                    "request {mid} (packet {packet_id}) got no answer before the connection ended"
                ),
            ),
            other => self.log(client, log::Level::Debug, &format!("{other:?}")),
        }
    }
}
