//! Tutorial step 5: the last will.
//!
//! A client gives the broker a will message when it connects. If the
//! connection ends without DISCONNECT (a crash, a cut cable, a keep-alive
//! timeout), the broker publishes the will; after a normal `disconnect` it
//! does not. The usual pattern: a retained "online" status, and the will
//! replaces it with a retained "offline".
//!
//! ```text
//! cargo run -p adapter-std --example tutorial_5_will -- [--url mqtt://127.0.0.1:1883]
//! ```

use adapter_std::{Client, ClientOptions, Will};
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
            eprintln!("usage: tutorial_5_will [--url mqtt://host:port]");
            std::process::exit(2);
        }
    }
}

const WAIT: Duration = Duration::from_secs(10);

fn main() -> Result<(), Box<dyn Error>> {
    let url = broker_url();
    let status = format!("tutorial/{}/status", std::process::id());

    // A watcher prints every status change.
    let watcher = Client::new(ClientOptions::from_url(&url)?.client_id("tutorial-5-watcher"))?;
    let (tx, rx) = mpsc::channel();
    watcher.on_message(move |_, m| {
        let payload = String::from_utf8_lossy(m.payload()).into_owned();
        if payload.is_empty() {
            println!("  watcher: {} cleared", m.topic());
        } else {
            println!("  watcher: {} = {payload:?}", m.topic());
        }
        let _ = tx.send(payload);
    });
    let (stx, srx) = mpsc::channel();
    watcher.on_subscribe(move |_, _, _, _| {
        let _ = stx.send(());
    });
    watcher.connect()?;
    watcher.loop_start()?;
    watcher.subscribe(&format!("{status}/#"), QoS::AtLeastOnce)?;
    srx.recv_timeout(WAIT)?;

    println!("1. a device with a will, that crashes");
    let device_status = format!("{status}/device");
    let device = Client::new(
        ClientOptions::from_url(&url)?
            .client_id("tutorial-5-device")
            .will(
                Will::new(device_status.clone(), "offline (will)")
                    .qos(QoS::AtLeastOnce)
                    .retain(true),
            ),
    )?;
    device.connect()?;
    device.loop_start()?;
    device
        .publish(&device_status, "online", QoS::AtLeastOnce, true)?
        .wait_for_publish(Some(WAIT))
        .ok_or("no PUBACK")?;
    expect(&rx, "online")?;
    // The loop thread holds a handle too; once it is stopped, dropping the
    // last handle closes the socket without DISCONNECT, as a crash would.
    device.loop_stop()?;
    drop(device);
    println!("  device: socket closed without DISCONNECT");
    expect(&rx, "offline (will)")?;

    println!("2. a device with a will, that disconnects normally");
    let polite_status = format!("{status}/polite");
    let polite = Client::new(
        ClientOptions::from_url(&url)?
            .client_id("tutorial-5-polite")
            .will(Will::new(polite_status.clone(), "offline (will)").qos(QoS::AtLeastOnce)),
    )?;
    polite.connect()?;
    polite.disconnect()?;
    println!("  polite: sent DISCONNECT");
    match rx.recv_timeout(Duration::from_secs(1)) {
        Err(_) => println!("  watcher: nothing within 1 s: the will was discarded"),
        Ok(p) => return Err(format!("unexpected will after DISCONNECT: {p:?}").into()),
    }

    // Leave no retained message behind.
    watcher
        .publish(&device_status, "", QoS::AtLeastOnce, true)?
        .wait_for_publish(Some(WAIT))
        .ok_or("no PUBACK")?;
    watcher.disconnect()?;
    watcher.loop_stop()?;
    println!("done");
    Ok(())
}

fn expect(rx: &mpsc::Receiver<String>, payload: &str) -> Result<(), Box<dyn Error>> {
    let got = rx.recv_timeout(WAIT)?;
    if got != payload {
        return Err(format!("expected {payload:?}, got {got:?}").into());
    }
    Ok(())
}
