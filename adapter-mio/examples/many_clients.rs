//! Many clients on one thread: a Driver holding N subscribers and one
//! publisher whose message fans out to all of them.
//!
//! ```text
//! cargo run --release -p adapter-mio --example many_clients -- [--url mqtt://127.0.0.1:1883] [--clients 1000]
//! ```

use adapter_mio::{Driver, MqttClient};
use mqtt_client::ClientOptions;
use mqtt_proto::QoS;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let url = arg("--url").unwrap_or_else(|| "mqtt://127.0.0.1:1883".into());
    let n: usize = arg("--clients")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);

    let subscribed = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(AtomicUsize::new(0));
    let mut driver = Driver::new()?;
    let started = Instant::now();
    for i in 0..n {
        let c = MqttClient::new(ClientOptions::from_url(&url)?.client_id(format!("many-{i}")))?;
        c.on_connect(|c, _| {
            c.subscribe("example/fanout", QoS::AtLeastOnce).unwrap();
        });
        let s = subscribed.clone();
        c.on_subscribe(move |_, _, _, _| {
            s.fetch_add(1, Ordering::Relaxed);
        });
        let r = received.clone();
        c.on_message(move |_, _| {
            r.fetch_add(1, Ordering::Relaxed);
        });
        c.connect_async();
        driver.add(c);
    }
    driver.run_until(Duration::from_secs(120), |_| {
        subscribed.load(Ordering::Relaxed) == n
    })?;
    println!(
        "{n} clients connected and subscribed in {:?}",
        started.elapsed()
    );

    let publisher = MqttClient::new(ClientOptions::from_url(&url)?.client_id("many-publisher"))?;
    publisher.connect()?;
    let id = driver.add(publisher);
    driver.run_until(Duration::from_secs(10), |d| {
        d.client(id).is_some_and(|c| c.is_connected())
    })?;
    let sent = Instant::now();
    driver.client(id).expect("added").publish(
        "example/fanout",
        "hello, everyone",
        QoS::AtLeastOnce,
        false,
    )?;
    driver.touch(id);
    driver.run_until(Duration::from_secs(60), |_| {
        received.load(Ordering::Relaxed) == n
    })?;
    println!(
        "fan-out reached {} of {n} clients in {:?}, all on one thread",
        received.load(Ordering::Relaxed),
        sent.elapsed()
    );
    Ok(())
}
