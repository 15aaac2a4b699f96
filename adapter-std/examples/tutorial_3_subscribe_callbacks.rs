//! Tutorial step 3: subscribing, on_message, and per-topic callbacks.
//!
//! Subscribing in on_connect renews the subscription after every
//! reconnection. Messages whose topic matches a filter given to
//! `message_callback_add` go to that callback (to every matching one);
//! the others go to on_message.
//!
//! ```text
//! cargo run -p adapter-std --example tutorial_3_subscribe_callbacks -- [--url mqtt://127.0.0.1:1883]
//! ```

use adapter_std::{Client, ClientOptions};
use mqtt_proto::QoS;
use std::error::Error;
use std::sync::mpsc;
use std::time::Duration;

fn broker_url() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => "mqtt://127.0.0.1:1883".into(),
        [flag, url] if flag == "--url" => url.clone(),
        _ => {
            eprintln!("usage: tutorial_3_subscribe_callbacks [--url mqtt://host:port]");
            std::process::exit(2);
        }
    }
}

const WAIT: Duration = Duration::from_secs(10);

fn main() -> Result<(), Box<dyn Error>> {
    let url = broker_url();
    let house = format!("tutorial/{}/house", std::process::id());
    let client = Client::new(ClientOptions::from_url(&url)?.client_id("tutorial-3"))?;

    // Callbacks run on the loop thread; they tell the main thread what
    // they saw through a channel.
    let (tx, rx) = mpsc::channel::<String>();

    let filter = format!("{house}/#");
    client.on_connect(move |c, _| {
        println!("on_connect: subscribing to {filter}");
        if let Err(e) = c.subscribe(&filter, QoS::AtLeastOnce) {
            println!("on_connect: subscribe failed: {e}");
        }
    });
    let subscribed = tx.clone();
    client.on_subscribe(move |_, mid, reasons, _| {
        println!("on_subscribe: mid {mid}, granted {reasons:?}");
        let _ = subscribed.send("subscribed".into());
    });

    let seen = tx.clone();
    client.on_message(move |_, m| {
        let line = format!("on_message: {} {:?}", m.topic(), m.payload_str());
        println!("{line}");
        let _ = seen.send(line);
    });
    let seen = tx.clone();
    client.message_callback_add(&format!("{house}/bulbs/+"), move |_, m| {
        let line = format!("bulbs callback: {} {:?}", m.topic(), m.payload_str());
        println!("{line}");
        let _ = seen.send(line);
    })?;
    let seen = tx;
    client.message_callback_add(&format!("{house}/+/temperature"), move |_, m| {
        let line = format!("temperature callback: {} {:?}", m.topic(), m.payload_str());
        println!("{line}");
        let _ = seen.send(line);
    })?;

    client.connect()?;
    client.loop_start()?;
    let first = rx.recv_timeout(WAIT)?;
    if first != "subscribed" {
        return Err(format!("expected the SUBACK first, got {first}").into());
    }

    let messages = [
        ("bulbs/bulb1", "ON"),
        ("kitchen/temperature", "21.5"),
        ("garage/door", "open"),
    ];
    for (topic, payload) in messages {
        println!("publish {house}/{topic} {payload:?}");
        client.publish(
            &format!("{house}/{topic}"),
            payload,
            QoS::AtLeastOnce,
            false,
        )?;
    }
    let mut got: Vec<String> = (0..messages.len())
        .map(|_| rx.recv_timeout(WAIT))
        .collect::<Result<_, _>>()?;
    got.sort();
    let expected = ["bulbs callback", "on_message", "temperature callback"];
    for (line, who) in got.iter().zip(expected) {
        if !line.starts_with(who) {
            return Err(format!("expected {who}, got {line}").into());
        }
    }

    // Without its callback, a bulb message falls back to on_message.
    let removed = client.message_callback_remove(&format!("{house}/bulbs/+"))?;
    println!("message_callback_remove: removed = {removed}");
    client.publish(
        &format!("{house}/bulbs/bulb2"),
        "OFF",
        QoS::AtLeastOnce,
        false,
    )?;
    let line = rx.recv_timeout(WAIT)?;
    if !line.starts_with("on_message") {
        return Err(format!("expected on_message, got {line}").into());
    }

    client.disconnect()?;
    client.loop_stop()?;
    println!("disconnected");
    Ok(())
}
