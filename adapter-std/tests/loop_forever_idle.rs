//! `loop_forever` on a client with nothing to do returns at once instead of
//! sleeping in `poll` forever: after `loop_stop` on a connection that
//! already closed, on a client that was never connected, and after a
//! `connect` that failed. Paho's `loop_forever` returns when there is no
//! connection and none is being made.
//!
//! Each call runs on a thread of its own, so that a loop that never
//! returns fails the test (after a generous bound) instead of hanging it.

mod common;
use adapter_std::{Client, ClientOptions, Error};
use common::*;
use mqtt_proto::ProtocolVersion;
use mqtt_testing::Broker;
use std::sync::mpsc;
use std::time::Duration;

/// Runs `loop_forever` on another thread; its result, or `None` if it did
/// not return within the bound (the thread is left blocked).
fn loop_forever_returns(client: &Client) -> Option<Result<(), Error>> {
    let (tx, rx) = mpsc::channel();
    let c = client.clone();
    std::thread::spawn(move || {
        let _ = tx.send(c.loop_forever());
    });
    rx.recv_timeout(Duration::from_secs(10)).ok()
}

#[test]
fn loop_forever_after_loop_stop_on_a_closed_connection_returns() {
    let broker = Broker::start();
    for version in VERSIONS {
        let client = Client::new(options(&broker, "idle-after-stop", version)).unwrap();
        let (tx, rx) = mpsc::channel();
        client.on_disconnect(move |_, _| {
            let _ = tx.send(());
        });
        client.connect().unwrap();
        client.loop_start().unwrap();
        client.disconnect().unwrap();
        rx.recv_timeout(WAIT).expect("on_disconnect");
        client.loop_stop().unwrap();
        assert!(!client.is_connected());
        let result = loop_forever_returns(&client)
            .unwrap_or_else(|| panic!("{version}: loop_forever blocked on a closed connection"));
        assert!(result.is_ok(), "{version}: {result:?}");
    }
}

#[test]
fn loop_forever_on_a_client_never_connected_returns() {
    let client = Client::new(
        ClientOptions::new("127.0.0.1", 1)
            .client_id("never")
            .protocol(ProtocolVersion::V5),
    )
    .unwrap();
    let result = loop_forever_returns(&client).expect("loop_forever blocked on an idle client");
    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn loop_forever_after_a_failed_connect_returns() {
    // Bound then released: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::new(ClientOptions::new("127.0.0.1", port).client_id("refused")).unwrap();
    assert!(client.connect().is_err());
    // It returns, reporting that attempt's failure again (no connection
    // was ever made, and retry_first_connection is off).
    let result =
        loop_forever_returns(&client).expect("loop_forever blocked after a failed connect");
    assert!(matches!(result, Err(Error::Io(_))), "{result:?}");
}
