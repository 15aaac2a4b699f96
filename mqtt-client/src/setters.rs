//! Paho's callback setters, written once for every client type.

/// Generates Paho's callback setters (`on_connect`, `on_connect_fail`,
/// `on_disconnect`, `on_message`, `on_publish`, `on_subscribe`,
/// `on_unsubscribe`, `on_auth`, `on_log`, `message_callback_add`,
/// `message_callback_remove`) on a client type that has an inherent
/// `fn set_callbacks(&self, f: impl FnOnce(&mut Callbacks<Self>))`.
/// Every adapter's client type uses it, so their setters agree.
#[macro_export]
macro_rules! callback_setters {
    ($client:ty) => {
        impl $client {
            /// Called when a CONNACK accepts a connection (also after every
            /// automatic reconnect, so subscriptions made here are renewed).
            pub fn on_connect(
                &self,
                f: impl Fn(&$client, &$crate::ConnectInfo) + Send + Sync + 'static,
            ) {
                self.set_callbacks(|c| c.on_connect = Some(::std::sync::Arc::new(f)));
            }

            /// Called when the transport cannot be opened by a loop.
            pub fn on_connect_fail(
                &self,
                f: impl Fn(&$client, &$crate::Error) + Send + Sync + 'static,
            ) {
                self.set_callbacks(|c| c.on_connect_fail = Some(::std::sync::Arc::new(f)));
            }

            /// Called when a connection ends, with why (refused, lost, the
            /// broker's DISCONNECT, ours ...).
            pub fn on_disconnect(
                &self,
                f: impl Fn(&$client, &$crate::Disconnection) + Send + Sync + 'static,
            ) {
                self.set_callbacks(|c| c.on_disconnect = Some(::std::sync::Arc::new(f)));
            }

            /// Called for each message no per-filter callback matched.
            pub fn on_message(
                &self,
                f: impl Fn(&$client, &$crate::Message) + Send + Sync + 'static,
            ) {
                self.set_callbacks(|c| c.on_message = Some(::std::sync::Arc::new(f)));
            }

            /// Called when an outbound message is done (QoS 0 sent, QoS 1
            /// PUBACK, QoS 2 PUBCOMP) or failed.
            pub fn on_publish(
                &self,
                f: impl Fn(&$client, $crate::MessageId, &$crate::PublishOutcome)
                    + Send
                    + Sync
                    + 'static,
            ) {
                self.set_callbacks(|c| c.on_publish = Some(::std::sync::Arc::new(f)));
            }

            /// Called with each SUBACK: granted QoS or failure per filter.
            pub fn on_subscribe(
                &self,
                f: impl Fn(
                        &$client,
                        $crate::mqtt_proto::PacketId,
                        &[$crate::mqtt_proto::ReasonCode],
                        &$crate::mqtt_proto::AckProperties,
                    ) + Send
                    + Sync
                    + 'static,
            ) {
                self.set_callbacks(|c| c.on_subscribe = Some(::std::sync::Arc::new(f)));
            }

            /// Called with each UNSUBACK.
            pub fn on_unsubscribe(
                &self,
                f: impl Fn(
                        &$client,
                        $crate::mqtt_proto::PacketId,
                        &[$crate::mqtt_proto::ReasonCode],
                        &$crate::mqtt_proto::AckProperties,
                    ) + Send
                    + Sync
                    + 'static,
            ) {
                self.set_callbacks(|c| c.on_unsubscribe = Some(::std::sync::Arc::new(f)));
            }

            /// Called with each AUTH from the broker (5.0 enhanced authentication).
            pub fn on_auth(
                &self,
                f: impl Fn(&$client, $crate::mqtt_proto::ReasonCode, &$crate::mqtt_proto::AuthProperties)
                    + Send
                    + Sync
                    + 'static,
            ) {
                self.set_callbacks(|c| c.on_auth = Some(::std::sync::Arc::new(f)));
            }

            /// Called with the client's log lines (they also go to the `log` crate).
            pub fn on_log(&self, f: impl Fn(&$client, $crate::__log::Level, &str) + Send + Sync + 'static) {
                self.set_callbacks(|c| c.on_log = Some(::std::sync::Arc::new(f)));
            }

            /// Routes messages matching `filter` to `f` instead of on_message.
            /// A message goes to every matching per-filter callback; adding a
            /// filter again replaces its callback.
            pub fn message_callback_add(
                &self,
                filter: &str,
                f: impl Fn(&$client, &$crate::Message) + Send + Sync + 'static,
            ) -> Result<(), $crate::Error> {
                let filter = self.inspect(|core| core.topic_filter(filter))?;
                let f: $crate::MessageCallback<$client> = ::std::sync::Arc::new(f);
                self.set_callbacks(|c| {
                    c.by_filter.insert(filter, f);
                });
                Ok(())
            }

            /// Removes the per-filter callback of `filter`; whether there was one.
            pub fn message_callback_remove(&self, filter: &str) -> Result<bool, $crate::Error> {
                let filter = self.inspect(|core| core.topic_filter(filter))?;
                let mut removed = false;
                self.set_callbacks(|c| removed = c.by_filter.remove(&filter).is_some());
                Ok(removed)
            }
        }
    };
}

/// Generates the commands every client type offers (publish, subscribe,
/// unsubscribe, ack, auth, disconnect and the getters), each a call on the
/// [`ClientCore`](crate::ClientCore), so that every adapter offers the same
/// commands with the same meaning. The client type must have inherent
/// methods
///
/// - `fn command<R>(&self, f: impl FnOnce(&mut ClientCore, Instant) -> Result<R, Error>) -> Result<R, Error>`,
///   which runs `f` on the core and then does what the adapter does after
///   a command (write the bytes, wake its loop);
/// - `fn inspect<R>(&self, f: impl FnOnce(&ClientCore) -> R) -> R`;
/// - `fn network(&self) -> Option<Weak<dyn Network>>`, what message handles
///   wait through.
#[macro_export]
macro_rules! client_commands {
    ($client:ty) => {
        impl $client {
            /// Publishes `payload` to `topic` (Paho's `publish`). Returns at
            /// once with a handle; the message is sent now if the in-flight
            /// window allows, else queued (also while disconnected).
            pub fn publish(
                &self,
                topic: &str,
                payload: impl Into<$crate::bytes::Bytes>,
                qos: $crate::mqtt_proto::QoS,
                retain: bool,
            ) -> Result<$crate::MessageHandle, $crate::Error> {
                self.publish_message($crate::OutboundMessage::publish(
                    topic, payload, qos, retain,
                )?)
            }

            /// Publishes a message with 5.0 properties (user properties,
            /// response topic, correlation data, message expiry ...).
            pub fn publish_message(
                &self,
                message: $crate::OutboundMessage,
            ) -> Result<$crate::MessageHandle, $crate::Error> {
                let completion = ::std::sync::Arc::new($crate::Completion::default());
                let handle = completion.clone();
                let id = self.command(|core, now| core.publish(now, message, completion))?;
                Ok($crate::MessageHandle::new(id, handle, self.network()))
            }

            /// Subscribes to one filter; the result arrives in on_subscribe.
            pub fn subscribe(
                &self,
                filter: &str,
                qos: $crate::mqtt_proto::QoS,
            ) -> Result<$crate::mqtt_proto::PacketId, $crate::Error> {
                self.subscribe_many(&[(filter, qos)])
            }

            /// Subscribes to several filters in one SUBSCRIBE.
            pub fn subscribe_many(
                &self,
                filters: &[(&str, $crate::mqtt_proto::QoS)],
            ) -> Result<$crate::mqtt_proto::PacketId, $crate::Error> {
                let subscriptions = filters
                    .iter()
                    .map(|(f, q)| {
                        let filter = self.inspect(|core| core.topic_filter(f))?;
                        Ok($crate::mqtt_proto::Subscription::new(filter, *q))
                    })
                    .collect::<Result<Vec<_>, $crate::Error>>()?;
                self.subscribe_with(subscriptions, Default::default())
            }

            /// Subscribes with 5.0 options (no local, retain as published,
            /// retain handling) and properties (subscription identifier,
            /// user properties).
            pub fn subscribe_with(
                &self,
                subscriptions: Vec<$crate::mqtt_proto::Subscription>,
                properties: $crate::mqtt_proto::SubscribeProperties,
            ) -> Result<$crate::mqtt_proto::PacketId, $crate::Error> {
                self.command(|core, now| core.subscribe(now, subscriptions, properties))
            }

            /// Unsubscribes from one filter; the result arrives in on_unsubscribe.
            pub fn unsubscribe(
                &self,
                filter: &str,
            ) -> Result<$crate::mqtt_proto::PacketId, $crate::Error> {
                self.unsubscribe_many(&[filter])
            }

            /// Unsubscribes from several filters in one UNSUBSCRIBE.
            pub fn unsubscribe_many(
                &self,
                filters: &[&str],
            ) -> Result<$crate::mqtt_proto::PacketId, $crate::Error> {
                let filters = filters
                    .iter()
                    .map(|f| self.inspect(|core| core.topic_filter(f)))
                    .collect::<Result<Vec<_>, $crate::Error>>()?;
                self.unsubscribe_with(filters, Default::default())
            }

            /// Unsubscribes from several filters, with 5.0 properties.
            pub fn unsubscribe_with(
                &self,
                filters: Vec<$crate::mqtt_proto::TopicFilter>,
                properties: $crate::mqtt_proto::UnsubscribeProperties,
            ) -> Result<$crate::mqtt_proto::PacketId, $crate::Error> {
                self.command(|core, now| core.unsubscribe(now, filters, properties))
            }

            /// Acknowledges a message received in manual-ack mode (Paho's `ack`).
            pub fn ack(&self, token: $crate::AckToken) -> Result<(), $crate::Error> {
                self.command(|core, now| core.ack(now, token))
            }

            /// Continues an enhanced authentication exchange, or starts a
            /// re-authentication (5.0).
            pub fn auth(
                &self,
                reason: $crate::mqtt_proto::ReasonCode,
                properties: $crate::mqtt_proto::AuthProperties,
            ) -> Result<(), $crate::Error> {
                self.command(|core, now| core.auth(now, reason, properties))
            }

            /// Sends DISCONNECT (Normal disconnection) and closes the
            /// connection once it is written; the client stops reconnecting.
            pub fn disconnect(&self) -> Result<(), $crate::Error> {
                self.disconnect_with($crate::mqtt_proto::ReasonCode::Success, Default::default())
            }

            /// DISCONNECT with a reason code and 5.0 properties (for
            /// example a new session expiry interval).
            pub fn disconnect_with(
                &self,
                reason: $crate::mqtt_proto::ReasonCode,
                properties: $crate::mqtt_proto::DisconnectProperties,
            ) -> Result<(), $crate::Error> {
                self.command(|core, now| core.disconnect(now, reason, properties))
            }

            /// Whether a CONNACK accepted the current connection.
            pub fn is_connected(&self) -> bool {
                self.inspect(|core| core.is_connected())
            }

            /// The client identifier in use (generated, configured, or
            /// assigned by the broker).
            pub fn client_id(&self) -> String {
                self.inspect(|core| core.client_id())
            }

            /// A copy of the session state: unfinished and queued messages,
            /// QoS 2 receipts, identifiers. Store it to resume the session
            /// later (`with_session`).
            pub fn session_snapshot(&self) -> $crate::SessionState {
                self.inspect(|core| core.session_snapshot())
            }
        }
    };
}
