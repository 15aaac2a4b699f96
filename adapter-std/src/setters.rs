//! Paho's callback setters, written once for every client type.

/// Generates Paho's callback setters (`on_connect`, `on_connect_fail`,
/// `on_disconnect`, `on_message`, `on_publish`, `on_subscribe`,
/// `on_unsubscribe`, `on_auth`, `on_log`, `message_callback_add`,
/// `message_callback_remove`) on a client type that has an inherent
/// `fn set_callbacks(&self, f: impl FnOnce(&mut Callbacks<Self>))`.
/// Used by this crate's [`crate::Client`] and by adapter-mio.
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
                let filter = $crate::mqtt_proto::TopicFilter::new(filter)?;
                let f: $crate::MessageCallback<$client> = ::std::sync::Arc::new(f);
                self.set_callbacks(|c| {
                    c.by_filter.insert(filter, f);
                });
                Ok(())
            }

            /// Removes the per-filter callback of `filter`; whether there was one.
            pub fn message_callback_remove(&self, filter: &str) -> Result<bool, $crate::Error> {
                let filter = $crate::mqtt_proto::TopicFilter::new(filter)?;
                let mut removed = false;
                self.set_callbacks(|c| removed = c.by_filter.remove(&filter).is_some());
                Ok(removed)
            }
        }
    };
}
