//! Tutorial step 4: the three ways to run the network loop.
//!
//! Nothing is read from the broker and no callback runs unless a loop runs:
//!
//! 1. `loop_once(timeout)` (Paho's `loop()`): one round, called by you, often.
//! 2. `loop_start()` / `loop_stop()`: a background thread runs the loop.
//! 3. `loop_forever()`: the calling thread runs it until `disconnect`.
//!
//! Publishing never needs the loop: it writes directly. Its
//! acknowledgements and the messages the broker sends back do.
//!
//! ```text
//! cargo run -p adapter-std --example tutorial_4_loops -- [--url mqtt://127.0.0.1:1883]
//! ```

use adapter_std::{Client, ClientOptions};
use mqtt_proto::QoS;
use std::error::Error;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn broker_url() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => "mqtt://127.0.0.1:1883".into(),
        [flag, url] if flag == "--url" => url.clone(),
        _ => {
            eprintln!("usage: tutorial_4_loops [--url mqtt://host:port]");
            std::process::exit(2);
        }
    }
}

const WAIT: Duration = Duration::from_secs(10);

/// A client that subscribes to a topic on connect, and what it saw.
struct Counting {
    client: Client,
    /// Messages on_message got.
    received: Arc<AtomicUsize>,
    /// Whether the SUBACK came.
    subscribed: Arc<AtomicBool>,
}

/// A client subscribed to `topic` that counts the messages it gets.
fn counting_client(url: &str, id: &str, topic: &str) -> Result<Counting, Box<dyn Error>> {
    let client = Client::new(ClientOptions::from_url(url)?.client_id(id))?;
    let received = Arc::new(AtomicUsize::new(0));
    let subscribed = Arc::new(AtomicBool::new(false));
    let r = received.clone();
    client.on_message(move |_, m| {
        println!("  on_message: {} {:?}", m.topic(), m.payload_str());
        r.fetch_add(1, Ordering::SeqCst);
    });
    let s = subscribed.clone();
    client.on_subscribe(move |_, _, reasons, _| {
        println!("  on_subscribe: {reasons:?}");
        s.store(true, Ordering::SeqCst);
    });
    let topic = topic.to_string();
    client.on_connect(move |c, _| {
        if let Err(e) = c.subscribe(&topic, QoS::AtLeastOnce) {
            println!("  subscribe failed: {e}");
        }
    });
    Ok(Counting {
        client,
        received,
        subscribed,
    })
}

/// Calls loop_once until `done` holds; returns how many rounds it took.
fn loop_until(client: &Client, done: impl Fn() -> bool) -> Result<usize, Box<dyn Error>> {
    let deadline = Instant::now() + WAIT;
    let mut rounds = 0;
    while !done() {
        if Instant::now() > deadline {
            return Err("timed out running loop_once".into());
        }
        client.loop_once(Duration::from_millis(100))?;
        rounds += 1;
    }
    Ok(rounds)
}

fn main() -> Result<(), Box<dyn Error>> {
    let url = broker_url();
    let base = format!("tutorial/{}/loops", std::process::id());

    println!("1. loop_once: the program runs the loop itself");
    let topic = format!("{base}/once");
    let Counting {
        client,
        received,
        subscribed,
    } = counting_client(&url, "tutorial-4a", &topic)?;
    // `connect` runs the loop itself until the CONNACK, so on_connect (and
    // its subscribe) has already run when it returns.
    client.connect()?;
    let rounds = loop_until(&client, || subscribed.load(Ordering::SeqCst))?;
    println!("  SUBACK processed after {rounds} loop_once call(s)");
    client.publish(&topic, "one", QoS::AtLeastOnce, false)?;
    let rounds = loop_until(&client, || received.load(Ordering::SeqCst) == 1)?;
    println!("  message processed after {rounds} loop_once call(s)");
    client.disconnect()?;

    println!("2. loop_start / loop_stop: a background thread runs the loop");
    let topic = format!("{base}/start");
    let Counting {
        client,
        received,
        subscribed,
    } = counting_client(&url, "tutorial-4b", &topic)?;
    client.connect()?;
    client.loop_start()?;
    let deadline = Instant::now() + WAIT;
    while !subscribed.load(Ordering::SeqCst) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    client
        .publish(&topic, "two", QoS::AtLeastOnce, false)?
        .wait_for_publish(Some(WAIT))
        .ok_or("no PUBACK")?;
    while received.load(Ordering::SeqCst) < 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    println!(
        "  received while the main thread slept: {}",
        received.load(Ordering::SeqCst)
    );
    client.loop_stop()?;
    println!("  loop_stop: the thread is gone, the connection is still open");
    client.publish(&topic, "three", QoS::AtMostOnce, false)?;
    std::thread::sleep(Duration::from_millis(300));
    println!(
        "  300 ms after publishing again, without a loop: {} message(s) processed",
        received.load(Ordering::SeqCst)
    );
    if received.load(Ordering::SeqCst) != 1 {
        return Err("a callback ran without a loop".into());
    }
    let rounds = loop_until(&client, || received.load(Ordering::SeqCst) == 2)?;
    println!("  the waiting message was processed by {rounds} loop_once call(s)");
    client.disconnect()?;

    println!("3. loop_forever: the calling thread runs the loop until disconnect");
    let topic = format!("{base}/forever");
    let Counting {
        client, received, ..
    } = counting_client(&url, "tutorial-4c", &topic)?;
    let t = topic.clone();
    client.on_subscribe(move |c, _, reasons, _| {
        println!("  on_subscribe: {reasons:?}; publishing three messages from the callback");
        for n in 1..=3 {
            let _ = c.publish(&t, format!("message {n}"), QoS::AtLeastOnce, false);
        }
    });
    let r = received.clone();
    client.on_message(move |c, m| {
        println!("  on_message: {} {:?}", m.topic(), m.payload_str());
        if r.fetch_add(1, Ordering::SeqCst) + 1 == 3 {
            println!("  third message: disconnecting from the callback");
            let _ = c.disconnect();
        }
    });
    // A watchdog, so that the example ends even if a message never comes.
    let watchdog = client.clone();
    let gave_up = Arc::new(AtomicBool::new(false));
    let g = gave_up.clone();
    std::thread::spawn(move || {
        std::thread::sleep(WAIT);
        g.store(true, Ordering::SeqCst);
        let _ = watchdog.disconnect();
    });
    client.connect()?;
    client.loop_forever()?;
    if gave_up.load(Ordering::SeqCst) {
        return Err("loop_forever ended by the watchdog".into());
    }
    println!(
        "  loop_forever returned after {} messages",
        received.load(Ordering::SeqCst)
    );
    Ok(())
}
