//! Shared helpers of the integration tests.
#![allow(dead_code)]

use adapter_std::{Client, ClientOptions, Message};
use mqtt_proto::{ProtocolVersion, QoS};
use mqtt_testing::Broker;
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

pub const VERSIONS: [ProtocolVersion; 2] = [ProtocolVersion::V3_1_1, ProtocolVersion::V5];
pub const WAIT: Duration = Duration::from_secs(10);

pub fn options(broker: &Broker, id: &str, version: ProtocolVersion) -> ClientOptions {
    ClientOptions::new("127.0.0.1", broker.port())
        .client_id(id)
        .protocol(version)
        .reconnect_delay(Duration::from_millis(50), Duration::from_millis(500))
}

/// A connected client whose messages arrive on the returned channel, with
/// its loop running in the background.
pub fn subscriber(
    broker: &Broker,
    id: &str,
    version: ProtocolVersion,
    filter: &str,
    qos: QoS,
) -> (Client, Receiver<Message>) {
    subscriber_with(options(broker, id, version), filter, qos)
}

pub fn subscriber_with(
    options: adapter_std::ClientOptions,
    filter: &str,
    qos: QoS,
) -> (Client, Receiver<Message>) {
    let client = Client::new(options).unwrap();
    let (tx, rx) = mpsc::channel();
    client.on_message(move |_, m| {
        let _ = tx.send(m.clone());
    });
    let (stx, srx) = mpsc::channel();
    client.on_subscribe(move |_, _, reasons, _| {
        let _ = stx.send(reasons.to_vec());
    });
    client.connect().unwrap();
    client.loop_start().unwrap();
    client.subscribe(filter, qos).unwrap();
    let granted = srx.recv_timeout(WAIT).expect("SUBACK");
    assert!(granted.iter().all(|r| !r.is_error()), "{granted:?}");
    (client, rx)
}

pub fn connected(broker: &Broker, id: &str, version: ProtocolVersion) -> Client {
    let client = Client::new(options(broker, id, version)).unwrap();
    client.connect().unwrap();
    client.loop_start().unwrap();
    client
}

pub fn stop(client: &Client) {
    let _ = client.disconnect();
    client.loop_stop().unwrap();
}

/// [`Broker::wait_saved`] for `client`: idle session, then QoS 1 round
/// trips on `topic` through its connection.
pub fn wait_saved(broker: &Broker, client: &Client, topic: &str) {
    broker.wait_saved(
        || client.session_snapshot().is_idle(),
        || {
            let outcome = client
                .publish(topic, Vec::new(), QoS::AtLeastOnce, false)
                .expect("publish a round trip")
                .wait_for_publish(Some(Duration::from_secs(30)));
            assert!(
                outcome.as_ref().is_some_and(|o| o.is_delivered()),
                "round trip to the broker failed: {outcome:?}"
            );
        },
    );
}

/// The compiled example `name`, next to this test's own executable
/// (`target/<profile>/deps/TEST-HASH` -> `target/<profile>/examples/NAME`),
/// checked no older than its sources (`examples/NAME.rs`, and the shared
/// `examples/cli/` of `pub` and `sub`): a stale binary would test old code.
pub fn example(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test executable in target/<profile>/deps");
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let built = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| {
            panic!(
                "example binary {} is missing ({e}): run `cargo build --examples -p adapter-std` \
                 (plain `cargo test` builds it)",
                path.display()
            )
        });
    let sources = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut inputs = vec![sources.join(format!("{name}.rs"))];
    inputs.extend(
        std::fs::read_dir(sources.join("cli"))
            .expect("examples/cli")
            .map(|e| e.expect("dir entry").path()),
    );
    let newest = inputs
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok()?.modified().ok())
        .max()
        .unwrap_or(std::time::SystemTime::UNIX_EPOCH);
    assert!(
        newest <= built,
        "example binary {} is older than its sources: run `cargo build --examples -p adapter-std`",
        path.display()
    );
    path
}
