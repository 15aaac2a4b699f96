//! The external-loop API needs no mio on the caller's side: a plain
//! `poll(2)` loop over the raw file descriptor, as a C or Python program
//! would write it with select/poll.
//!
//! ```text
//! cargo run -p adapter-mio --example poll_loop -- [--url mqtt://127.0.0.1:1883]
//! ```

use adapter_mio::MqttClient;
use mqtt_client::ClientOptions;
use mqtt_proto::QoS;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .skip_while(|a| a != "--url")
        .nth(1)
        .unwrap_or_else(|| "mqtt://127.0.0.1:1883".into());
    let client = MqttClient::new(ClientOptions::from_url(&url)?.client_id("poll-loop-example"))?;
    client.on_connect(|c, _| {
        println!("connected");
        c.subscribe("example/poll/#", QoS::ExactlyOnce).unwrap();
    });
    client.on_subscribe(|c, _, _, _| {
        c.publish("example/poll/x", "over poll(2)", QoS::ExactlyOnce, false)
            .unwrap();
    });
    client.on_message(|_, m| println!("received {} {:?}", m.topic(), m.payload_str()));
    client.connect()?;

    let stop_at = Instant::now() + Duration::from_secs(3);
    while Instant::now() < stop_at {
        let Some(raw) = client.socket() else {
            client.loop_misc()?;
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        // SAFETY: the client owns the fd and closes it only inside its own
        // calls (loop_read / loop_write / loop_misc / disconnect), which run
        // after `poll` returns; the borrow does not outlive this iteration.
        let fd = unsafe { BorrowedFd::borrow_raw(raw) };
        let mut flags = PollFlags::POLLIN;
        if client.want_write() {
            flags |= PollFlags::POLLOUT;
        }
        let wait = client
            .next_deadline()
            .map(|d| d.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::from_secs(1))
            .min(Duration::from_secs(1));
        let mut fds = [PollFd::new(fd, flags)];
        poll(
            &mut fds,
            PollTimeout::try_from(wait.as_millis() as u64).unwrap_or(PollTimeout::MAX),
        )?;
        let revents = fds[0].revents().unwrap_or(PollFlags::empty());
        if revents.contains(PollFlags::POLLOUT) {
            client.loop_write()?;
        }
        if revents.intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR) {
            let _ = client.loop_read();
        }
        client.loop_misc()?;
    }
    client.disconnect()?;
    Ok(())
}
