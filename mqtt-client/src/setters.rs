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
            /// Called when a CONNACK arrives (also after every automatic
            /// reconnect, so subscriptions made here are renewed). As in Paho
            /// 2 it runs for a refusal too: check
            /// [`ConnectInfo::is_failure`](crate::ConnectInfo::is_failure)
            /// (Paho's `reason_code.is_failure`); on_disconnect follows it.
            #[doc(alias = "connect_callback")]
            pub fn on_connect(
                &self,
                f: impl Fn(&$client, &$crate::ConnectInfo) + Send + Sync + 'static,
            ) {
                self.set_callbacks(|c| c.on_connect = Some(::std::sync::Arc::new(f)));
            }

            /// Called when a loop cannot open the transport (no CONNACK at
            /// all; a refusing CONNACK goes to on_connect), as Paho's.
            #[doc(alias = "connect_fail_callback")]
            pub fn on_connect_fail(
                &self,
                f: impl Fn(&$client, &$crate::Error) + Send + Sync + 'static,
            ) {
                self.set_callbacks(|c| c.on_connect_fail = Some(::std::sync::Arc::new(f)));
            }

            /// Called when a connection ends, with why (refused, lost, the
            /// broker's DISCONNECT, ours ...).
            #[doc(alias = "disconnect_callback")]
            pub fn on_disconnect(
                &self,
                f: impl Fn(&$client, &$crate::Disconnection) + Send + Sync + 'static,
            ) {
                self.set_callbacks(|c| c.on_disconnect = Some(::std::sync::Arc::new(f)));
            }

            /// Called for each message no per-filter callback matched.
            #[doc(alias = "message_callback")]
            pub fn on_message(
                &self,
                f: impl Fn(&$client, &$crate::Message) + Send + Sync + 'static,
            ) {
                self.set_callbacks(|c| c.on_message = Some(::std::sync::Arc::new(f)));
            }

            /// Called when an outbound message is done (QoS 0 sent, QoS 1
            /// PUBACK, QoS 2 PUBCOMP) or failed, with its mid (the one its
            /// handle's `mid()` gives, carrying the packet identifier).
            #[doc(alias = "publish_callback")]
            pub fn on_publish(
                &self,
                f: impl Fn(&$client, $crate::Mid, &$crate::PublishOutcome) + Send + Sync + 'static,
            ) {
                self.set_callbacks(|c| c.on_publish = Some(::std::sync::Arc::new(f)));
            }

            /// Called with each SUBACK: the mid `subscribe` returned (with
            /// the packet identifier), granted QoS or failure per filter.
            #[doc(alias = "subscribe_callback")]
            pub fn on_subscribe(
                &self,
                f: impl Fn(
                        &$client,
                        $crate::Mid,
                        &[$crate::mqtt_proto::ReasonCode],
                        &$crate::mqtt_proto::AckProperties,
                    ) + Send
                    + Sync
                    + 'static,
            ) {
                self.set_callbacks(|c| c.on_subscribe = Some(::std::sync::Arc::new(f)));
            }

            /// Called with each UNSUBACK, with the mid `unsubscribe` returned.
            #[doc(alias = "unsubscribe_callback")]
            pub fn on_unsubscribe(
                &self,
                f: impl Fn(
                        &$client,
                        $crate::Mid,
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
                f: impl Fn(
                        &$client,
                        $crate::mqtt_proto::ReasonCode,
                        &$crate::mqtt_proto::AuthProperties,
                    ) + Send
                    + Sync
                    + 'static,
            ) {
                self.set_callbacks(|c| c.on_auth = Some(::std::sync::Arc::new(f)));
            }

            /// Called with the client's log lines (they also go to the `log`
            /// crate): one per packet sent or received at debug level, in
            /// Paho's wording unless `ClientOptions::packet_log_style` says
            /// otherwise, and the connection's lifecycle at info. Setting it
            /// turns the packet trace on.
            #[doc(alias = "log_callback")]
            pub fn on_log(
                &self,
                f: impl Fn(&$client, $crate::__log::Level, &str) + Send + Sync + 'static,
            ) {
                self.set_callbacks(|c| c.on_log = Some(::std::sync::Arc::new(f)));
            }

            /// Routes messages matching `filter` to `f` instead of on_message.
            /// A message goes to every matching per-filter callback; adding a
            /// filter again replaces its callback.
            #[doc(alias = "topic_callback")]
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

            /// Publishes with 5.0 properties (Paho's `publish(...,
            /// properties=)`): user properties, response topic, correlation
            /// data, message expiry, content type ...
            ///
            /// ```ignore
            /// let props = PublishProperties::new()
            ///     .user_property("k", "v")
            ///     .message_expiry_interval(60)
            ///     .response_topic("replies/1");
            /// client.publish_with("a/b", "hi", QoS::AtLeastOnce, false, props)?;
            /// ```
            #[doc(alias = "publish")]
            pub fn publish_with(
                &self,
                topic: &str,
                payload: impl Into<$crate::bytes::Bytes>,
                qos: $crate::mqtt_proto::QoS,
                retain: bool,
                properties: $crate::mqtt_proto::PublishProperties,
            ) -> Result<$crate::MessageHandle, $crate::Error> {
                let mut message = $crate::OutboundMessage::publish(topic, payload, qos, retain)?;
                message.properties = properties.into();
                self.publish_message(message)
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

            /// Subscribes to one filter; the result arrives in on_subscribe
            /// with the mid returned here (Paho's `(result, mid)`).
            pub fn subscribe(
                &self,
                filter: &str,
                qos: $crate::mqtt_proto::QoS,
            ) -> Result<$crate::Mid, $crate::Error> {
                self.subscribe_many(&[(filter, qos)])
            }

            /// Subscribes to one filter with 5.0 options (no local, retain
            /// as published, retain handling) and properties (Paho's
            /// `subscribe(topic, options=, properties=)`).
            #[doc(alias = "subscribe")]
            pub fn subscribe_options(
                &self,
                filter: &str,
                options: $crate::mqtt_proto::SubscriptionOptions,
                properties: $crate::mqtt_proto::SubscribeProperties,
            ) -> Result<$crate::Mid, $crate::Error> {
                let filter = self.inspect(|core| core.topic_filter(filter))?;
                let subscription = $crate::mqtt_proto::Subscription { filter, options };
                self.subscribe_with(vec![subscription], properties)
            }

            /// Subscribes to several filters in one SUBSCRIBE (Paho's
            /// `subscribe([(topic, qos), ...])`).
            #[doc(alias = "subscribe")]
            pub fn subscribe_many(
                &self,
                filters: &[(&str, $crate::mqtt_proto::QoS)],
            ) -> Result<$crate::Mid, $crate::Error> {
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
            #[doc(alias = "subscribe")]
            pub fn subscribe_with(
                &self,
                subscriptions: Vec<$crate::mqtt_proto::Subscription>,
                properties: $crate::mqtt_proto::SubscribeProperties,
            ) -> Result<$crate::Mid, $crate::Error> {
                self.command(|core, now| core.subscribe(now, subscriptions, properties))
            }

            /// Unsubscribes from one filter; the result arrives in on_unsubscribe.
            pub fn unsubscribe(&self, filter: &str) -> Result<$crate::Mid, $crate::Error> {
                self.unsubscribe_many(&[filter])
            }

            /// Unsubscribes from several filters in one UNSUBSCRIBE (Paho's
            /// `unsubscribe([topic, ...])`).
            #[doc(alias = "unsubscribe")]
            pub fn unsubscribe_many(&self, filters: &[&str]) -> Result<$crate::Mid, $crate::Error> {
                let filters = filters
                    .iter()
                    .map(|f| self.inspect(|core| core.topic_filter(f)))
                    .collect::<Result<Vec<_>, $crate::Error>>()?;
                self.unsubscribe_with(filters, Default::default())
            }

            /// Unsubscribes from several filters, with 5.0 properties.
            #[doc(alias = "unsubscribe")]
            pub fn unsubscribe_with(
                &self,
                filters: Vec<$crate::mqtt_proto::TopicFilter>,
                properties: $crate::mqtt_proto::UnsubscribeProperties,
            ) -> Result<$crate::Mid, $crate::Error> {
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
            /// example a new session expiry interval); Paho's
            /// `disconnect(reasoncode=, properties=)`.
            #[doc(alias = "disconnect")]
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

            /// Sets the user data (Paho's `user_data_set`): any value, which
            /// every callback reaches through the client it gets, with
            /// [`user_data`](Self::user_data). Replaces what was set.
            ///
            /// Paho passes `userdata` as a callback argument; here the
            /// callbacks keep one signature, typed by the client, and the
            /// data is typed where it is read. To change it from callbacks,
            /// store something shared (`Mutex<T>`, atomics).
            ///
            /// ```ignore
            /// client.user_data_set(std::sync::Mutex::new(Vec::<String>::new()));
            /// client.on_message(|c, m| {
            ///     let seen = c.user_data::<std::sync::Mutex<Vec<String>>>().unwrap();
            ///     seen.lock().unwrap().push(m.topic().to_string());
            /// });
            /// ```
            pub fn user_data_set<T: ::std::any::Any + Send + Sync>(&self, data: T) {
                let data: $crate::UserData = ::std::sync::Arc::new(data);
                let _ = self.command(|core, _| {
                    core.set_user_data(Some(data));
                    Ok(())
                });
            }

            /// The user data, if it was set and is a `T` (Paho's
            /// `user_data_get`); shared, not copied.
            #[doc(alias = "user_data_get")]
            #[doc(alias = "userdata")]
            pub fn user_data<T: ::std::any::Any + Send + Sync>(
                &self,
            ) -> Option<::std::sync::Arc<T>> {
                self.inspect(|core| core.user_data())
                    .and_then(|data| data.downcast::<T>().ok())
            }

            /// Removes the user data (Paho's `user_data_set(None)`); returns
            /// what was set.
            pub fn user_data_clear(&self) -> Option<$crate::UserData> {
                let mut old = None;
                let _ = self.command(|core, _| {
                    old = core.user_data();
                    core.set_user_data(None);
                    Ok(())
                });
                old
            }

            /// Logs to standard error, for a program with no logger yet
            /// (Paho's `enable_logger()`): installs [`mqtt_client::enable_logger`]'s
            /// logger at `level` (debug shows a line per packet) and traces
            /// this client's packets from now on. Returns whether the logger
            /// was installed (`false`: the program already had one, which
            /// this client now feeds if it enables debug for
            /// `mqtt_client::packet`).
            ///
            /// [`mqtt_client::enable_logger`]: crate::enable_logger
            pub fn enable_logger(&self, level: $crate::LevelFilter) -> bool {
                let installed = $crate::enable_logger(level);
                let _ = self.command(|core, _| {
                    core.refresh_packet_trace();
                    Ok(())
                });
                installed
            }
        }
    };
}
