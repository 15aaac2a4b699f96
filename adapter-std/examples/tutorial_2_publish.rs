//! Tutorial step 2: publishing.
//!
//! `publish` returns at once with a handle (Paho's MQTTMessageInfo); the
//! network loop sends the message and processes the acknowledgement, after
//! which on_publish runs and `wait_for_publish` returns. QoS 0 is done when
//! written, QoS 1 on PUBACK, QoS 2 on PUBCOMP. A message published while
//! not connected waits in the queue and goes out once connected.
//!
//! ```text
//! cargo run -p adapter-std --example tutorial_2_publish -- [--url mqtt://127.0.0.1:1883]
//! ```

use adapter_std::{Client, ClientOptions};
use mqtt_proto::QoS;
use std::error::Error;
use std::time::Duration;

fn broker_url() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => "mqtt://127.0.0.1:1883".into(),
        [flag, url] if flag == "--url" => url.clone(),
        _ => {
            eprintln!("usage: tutorial_2_publish [--url mqtt://host:port]");
            std::process::exit(2);
        }
    }
}

const WAIT: Duration = Duration::from_secs(10);

fn main() -> Result<(), Box<dyn Error>> {
    let url = broker_url();
    // The process id keeps runs side by side apart on a shared broker.
    let house = format!("tutorial/{}/house", std::process::id());
    let client = Client::new(ClientOptions::from_url(&url)?.client_id("tutorial-2"))?;
    // Paho's `mid`: the handle's `mid()` is what on_publish gets.
    client.on_publish(|_, mid, outcome| println!("  on_publish: mid {mid} -> {outcome:?}"));

    // Queued before there is a connection; sent once connected.
    let early = client.publish(&format!("{house}/bulb0"), "ON", QoS::AtLeastOnce, false)?;
    println!(
        "published mid {} before connecting; published yet: {}",
        early.mid(),
        early.is_published()
    );

    client.connect()?;
    // Paho: client.loop_start(): a thread now runs the loop for us.
    client.loop_start()?;
    let outcome = early.wait_for_publish(Some(WAIT)).ok_or("no PUBACK")?;
    println!("the early message went out once connected: {outcome:?}");

    for (qos, payload) in [
        (QoS::AtMostOnce, "OFF"),
        (QoS::AtLeastOnce, "ON"),
        (QoS::ExactlyOnce, "DIM"),
    ] {
        let topic = format!("{house}/bulb1");
        println!("publish {topic} {payload:?} at QoS {qos}");
        let handle = client.publish(&topic, payload, qos, false)?;
        let outcome = handle
            .wait_for_publish(Some(WAIT))
            .ok_or("no acknowledgement")?;
        if !outcome.is_delivered() {
            return Err(format!("not delivered: {outcome:?}").into());
        }
        let packet_id = match handle.packet_id() {
            Some(id) => id.to_string(),
            None => "none (QoS 0 needs none)".into(),
        };
        println!(
            "  done: packet id {packet_id}, is_published: {}",
            handle.is_published()
        );
    }

    // A retained message is kept by the broker for later subscribers; an
    // empty retained message removes it again.
    let status = format!("{house}/status");
    client
        .publish(&status, "all bulbs fine", QoS::AtLeastOnce, true)?
        .wait_for_publish(Some(WAIT))
        .ok_or("no PUBACK for the retained message")?;
    println!("retained {status:?} = \"all bulbs fine\"");
    client
        .publish(&status, "", QoS::AtLeastOnce, true)?
        .wait_for_publish(Some(WAIT))
        .ok_or("no PUBACK for the clearing message")?;
    println!("cleared the retained message with an empty payload");

    client.disconnect()?;
    client.loop_stop()?;
    println!("disconnected");
    Ok(())
}
