//! One client inside a hand-written mio loop, registering write interest
//! only while the client has bytes waiting, as loops built on Paho's
//! socket callbacks do.
//!
//! ```text
//! cargo run -p adapter-mio --example mio_loop -- [--url mqtt://127.0.0.1:1883]
//! ```

use adapter_mio::{MqttClient, SocketEvent};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use mqtt_client::ClientOptions;
use mqtt_proto::QoS;
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .skip_while(|a| a != "--url")
        .nth(1)
        .unwrap_or_else(|| "mqtt://127.0.0.1:1883".into());
    let client = MqttClient::new(ClientOptions::from_url(&url)?.client_id("mio-loop-example"))?;
    client.on_connect(|c, info| {
        println!("connected (session present: {})", info.session_present);
        c.subscribe("example/mio/#", QoS::AtLeastOnce).unwrap();
    });
    client.on_subscribe(|c, _, reasons, _| {
        println!("subscribed: {reasons:?}");
        for i in 0..3 {
            c.publish(
                "example/mio/hello",
                format!("message {i}"),
                QoS::AtLeastOnce,
                false,
            )
            .unwrap();
        }
    });
    client.on_message(|_, m| println!("{} {}", m.topic(), m.payload_str().unwrap_or("<binary>")));

    let mut poll = Poll::new()?;
    // Socket events say what to (re)register; a Registry clone may live in the callback.
    let registry = poll.registry().try_clone()?;
    client.on_socket(move |_, event| {
        let _ = match event {
            SocketEvent::Opened(fd) => {
                registry.register(&mut SourceFd(&fd), Token(0), Interest::READABLE)
            }
            SocketEvent::WantWrite(fd) => registry.reregister(
                &mut SourceFd(&fd),
                Token(0),
                Interest::READABLE | Interest::WRITABLE,
            ),
            SocketEvent::WriteDone(fd) => {
                registry.reregister(&mut SourceFd(&fd), Token(0), Interest::READABLE)
            }
            SocketEvent::Closed(fd) => registry.deregister(&mut SourceFd(&fd)),
        };
    });
    client.connect()?;

    let mut events = Events::with_capacity(16);
    let stop_at = Instant::now() + Duration::from_secs(5);
    while Instant::now() < stop_at {
        let timeout = client
            .next_deadline()
            .map(|d| d.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::from_secs(1))
            .min(stop_at.saturating_duration_since(Instant::now()));
        poll.poll(&mut events, Some(timeout))?;
        for e in events.iter() {
            if e.is_writable() {
                client.loop_write()?;
            }
            if e.is_readable() || e.is_read_closed() {
                let _ = client.loop_read();
            }
        }
        client.loop_misc()?;
    }
    client.disconnect()?;
    Ok(())
}
