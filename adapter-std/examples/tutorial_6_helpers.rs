//! Tutorial step 6: the one-shot helpers (Paho's `publish.single`,
//! `publish.multiple`, `subscribe.simple` and `subscribe.callback`), which
//! connect, do one thing, and disconnect.
//!
//! Retained messages make the order safe: a subscriber that comes after the
//! publisher still gets them.
//!
//! ```text
//! cargo run -p adapter-std --example tutorial_6_helpers -- [--url mqtt://127.0.0.1:1883]
//! ```

use adapter_std::{helpers, ClientOptions, Error as ClientError, OutboundMessage};
use mqtt_proto::{QoS, TopicName};
use std::error::Error;
use std::time::Duration;

fn broker_url() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => "mqtt://127.0.0.1:1883".into(),
        [flag, url] if flag == "--url" => url.clone(),
        _ => {
            eprintln!("usage: tutorial_6_helpers [--url mqtt://host:port]");
            std::process::exit(2);
        }
    }
}

const WAIT: Duration = Duration::from_secs(10);

fn main() -> Result<(), Box<dyn Error>> {
    let options = ClientOptions::from_url(&broker_url())?;
    let base = format!("tutorial/{}/helpers", std::process::id());

    println!("publish_single: one retained message");
    let single = format!("{base}/single");
    helpers::publish_single(options.clone(), &single, "hello", QoS::AtLeastOnce, true)?;

    println!("subscribe_simple: the first message, retained ones included");
    let got = helpers::subscribe_simple(
        options.clone(),
        &[&single],
        QoS::AtLeastOnce,
        1,
        true,
        Some(WAIT),
    )?;
    for m in &got {
        println!(
            "  {} {:?} (retained: {})",
            m.topic(),
            m.payload_str(),
            m.retain()
        );
    }

    println!("subscribe_simple skipping retained messages: nothing new comes, so it times out");
    match helpers::subscribe_simple(
        options.clone(),
        &[&single],
        QoS::AtLeastOnce,
        1,
        false,
        Some(Duration::from_secs(1)),
    ) {
        Err(ClientError::Timeout) => println!("  timed out after 1 s, as expected"),
        other => return Err(format!("expected a timeout, got {other:?}").into()),
    }

    println!("publish_multiple: three retained messages over one connection");
    let topics: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|t| format!("{base}/many/{t}"))
        .collect();
    let messages = topics
        .iter()
        .enumerate()
        .map(|(i, t)| {
            Ok(
                OutboundMessage::new(TopicName::new(t.as_str())?, format!("value {i}"))
                    .qos(QoS::from_u8(i as u8).expect("0..=2"))
                    .retain(true),
            )
        })
        .collect::<Result<Vec<_>, mqtt_proto::TopicError>>()?;
    helpers::publish_multiple(options.clone(), messages)?;

    println!("subscribe_callback: called per message until it returns false");
    // subscribe_callback has no timeout (Paho's runs forever): a watchdog
    // ends the example if the messages never come.
    std::thread::spawn(|| {
        std::thread::sleep(4 * WAIT);
        eprintln!("subscribe_callback got no three messages; giving up");
        std::process::exit(1);
    });
    let mut count = 0;
    helpers::subscribe_callback(
        options.clone(),
        &[&format!("{base}/many/#")],
        QoS::AtLeastOnce,
        move |_, m| {
            count += 1;
            println!("  #{count}: {} {:?}", m.topic(), m.payload_str());
            count < 3
        },
    )?;

    // Empty retained messages remove what this example left on the broker.
    let clear = topics
        .iter()
        .chain([&single])
        .map(|t| Ok(OutboundMessage::new(TopicName::new(t.as_str())?, "").retain(true)))
        .collect::<Result<Vec<_>, mqtt_proto::TopicError>>()?;
    helpers::publish_multiple(options, clear)?;
    println!("cleared the retained messages");
    Ok(())
}
