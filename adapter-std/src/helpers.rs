//! One-shot helpers, as Paho's `publish.single` / `publish.multiple` and
//! `subscribe.simple` / `subscribe.callback`: connect, do one thing, disconnect.

use crate::client::Client;
use bytes::Bytes;
use mqtt_client::ClientOptions;
use mqtt_client::Error;
use mqtt_client::Message;
use mqtt_client::OutboundMessage;
use mqtt_proto::QoS;
use std::sync::mpsc;
use std::time::Duration;

/// Publishes one message and waits until it is done (Paho's `publish.single`).
///
/// ```no_run
/// use adapter_std::{helpers, ClientOptions};
/// use mqtt_proto::QoS;
/// helpers::publish_single(ClientOptions::new("localhost", 1883), "a/b", "hi", QoS::AtLeastOnce, false).unwrap();
/// ```
#[doc(alias = "single")]
pub fn publish_single(
    options: ClientOptions,
    topic: &str,
    payload: impl Into<Bytes>,
    qos: QoS,
    retain: bool,
) -> Result<(), Error> {
    let message = OutboundMessage::new(mqtt_proto::TopicName::new(topic)?, payload)
        .qos(qos)
        .retain(retain);
    publish_multiple(options, [message])
}

/// Publishes several messages in order over one connection and waits until
/// all are done (Paho's `publish.multiple`). Fails on the first message the
/// broker refuses.
#[doc(alias = "multiple")]
pub fn publish_multiple(
    options: ClientOptions,
    messages: impl IntoIterator<Item = OutboundMessage>,
) -> Result<(), Error> {
    let timeout = options.connect_timeout_value().max(Duration::from_secs(10));
    let client = Client::new(options)?;
    client.connect()?;
    client.loop_start()?;
    let result = (|| {
        let handles = messages
            .into_iter()
            .map(|m| client.publish_message(m))
            .collect::<Result<Vec<_>, _>>()?;
        for h in handles {
            match h.wait_for_publish(Some(timeout)) {
                Some(outcome) if outcome.is_delivered() => {}
                Some(outcome) => {
                    return Err(Error::ConnectionLost(format!("not delivered: {outcome:?}")))
                }
                None => return Err(Error::Timeout),
            }
        }
        Ok(())
    })();
    let _ = client.disconnect();
    client.loop_stop()?;
    result
}

/// Subscribes to `filters` and returns the first `count` messages (Paho's
/// `subscribe.simple`). Retained messages count only if `retained` is set.
/// Gives up with [`Error::Timeout`] after `timeout` if one is given.
#[doc(alias = "simple")]
pub fn subscribe_simple(
    options: ClientOptions,
    filters: &[&str],
    qos: QoS,
    count: usize,
    retained: bool,
    timeout: Option<Duration>,
) -> Result<Vec<Message>, Error> {
    let mut out = Vec::with_capacity(count);
    if count == 0 {
        return Ok(out);
    }
    let (tx, rx) = mpsc::channel();
    let client = Client::new(options)?;
    let owned: Vec<(String, QoS)> = filters.iter().map(|f| (f.to_string(), qos)).collect();
    client.on_connect(move |c, _| {
        let subs: Vec<(&str, QoS)> = owned.iter().map(|(f, q)| (f.as_str(), *q)).collect();
        let _ = c.subscribe_many(&subs);
    });
    client.on_message(move |_, m| {
        if retained || !m.retain() {
            let _ = tx.send(m.clone());
        }
    });
    client.connect()?;
    client.loop_start()?;
    let deadline = timeout.map(|t| std::time::Instant::now() + t);
    let result = loop {
        if out.len() == count {
            break Ok(out);
        }
        let next = match deadline {
            None => rx.recv().map_err(|_| Error::NotConnected),
            Some(d) => rx
                .recv_timeout(d.saturating_duration_since(std::time::Instant::now()))
                .map_err(|_| Error::Timeout),
        };
        match next {
            Ok(m) => out.push(m),
            Err(e) => break Err(e),
        }
    };
    let _ = client.disconnect();
    client.loop_stop()?;
    result
}

/// Subscribes to `filters` and calls `callback` for every message until it
/// returns false (Paho's `subscribe.callback`, which runs forever).
#[doc(alias = "callback")]
pub fn subscribe_callback(
    options: ClientOptions,
    filters: &[&str],
    qos: QoS,
    mut callback: impl FnMut(&Client, &Message) -> bool + Send + 'static,
) -> Result<(), Error> {
    let client = Client::new(options)?;
    let owned: Vec<(String, QoS)> = filters.iter().map(|f| (f.to_string(), qos)).collect();
    client.on_connect(move |c, _| {
        let subs: Vec<(&str, QoS)> = owned.iter().map(|(f, q)| (f.as_str(), *q)).collect();
        let _ = c.subscribe_many(&subs);
    });
    let (tx, rx) = mpsc::channel::<Message>();
    client.on_message(move |_, m| {
        let _ = tx.send(m.clone());
    });
    client.connect()?;
    client.loop_start()?;
    while let Ok(m) = rx.recv() {
        if !callback(&client, &m) {
            break;
        }
    }
    let _ = client.disconnect();
    client.loop_stop()
}
