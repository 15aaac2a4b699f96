//! Tutorial step 1: connect, on_connect, and the network loop.
//!
//! As in Paho Python's tutorial: make a client, set on_connect, connect,
//! and run the loop, which is what reads the broker's answers and calls the
//! callbacks. Here on_connect disconnects at once, which ends loop_forever,
//! so the program ends by itself. Then a connection to a closed port shows
//! what a failure looks like.
//!
//! ```text
//! cargo run -p adapter-std --example tutorial_1_connect -- [--url mqtt://127.0.0.1:1883]
//! ```

use adapter_std::{Client, ClientOptions};
use std::error::Error;
use std::time::Duration;

fn broker_url() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => "mqtt://127.0.0.1:1883".into(),
        [flag, url] if flag == "--url" => url.clone(),
        _ => {
            eprintln!("usage: tutorial_1_connect [--url mqtt://host:port]");
            std::process::exit(2);
        }
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let url = broker_url();
    // Paho: client = mqtt.Client(client_id="tutorial-1")
    let client = Client::new(ClientOptions::from_url(&url)?.client_id("tutorial-1"))?;

    // Callbacks run on the thread that runs the loop, one at a time.
    client.on_connect(|c, info| {
        println!(
            "on_connect: connected as {:?} (session present: {})",
            c.client_id(),
            info.session_present
        );
        println!("on_connect: disconnecting, which ends loop_forever");
        if let Err(e) = c.disconnect() {
            println!("on_connect: disconnect failed: {e}");
        }
    });
    client.on_disconnect(|_, why| println!("on_disconnect: {why:?}"));
    client.on_log(|_, level, msg| println!("on_log [{level}]: {msg}"));

    // Paho: client.connect(host, port). Here `connect` also waits for the
    // CONNACK, so a refused connection is an error right away. With no loop
    // running yet, it runs the loop itself meanwhile: on_connect runs
    // before it returns.
    println!("connecting to {url}");
    let info = client.connect()?;
    println!("connect returned: session present {}", info.session_present);

    // Paho: client.loop_forever(). It returns once `disconnect` was called.
    client.loop_forever()?;
    println!(
        "loop_forever returned; connected: {}",
        client.is_connected()
    );

    // A failure: nothing listens on a port that was just released.
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let unlucky = Client::new(
        ClientOptions::new("127.0.0.1", closed_port).connect_timeout(Duration::from_secs(2)),
    )?;
    println!("connecting to 127.0.0.1:{closed_port}, where nothing listens");
    match unlucky.connect() {
        Ok(_) => return Err("a connection to a closed port succeeded".into()),
        Err(e) => println!("connect failed as expected: {e}"),
    }
    Ok(())
}
