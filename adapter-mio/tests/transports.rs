//! The event-loop client over TLS, WebSocket and secure WebSocket, reusing
//! the blocking client's Sans-IO layers, against a real Mosquitto.

use adapter_mio::{Driver, MqttClient};
use mqtt_client::layers::TlsOptions;
use mqtt_client::ClientOptions;
use mqtt_proto::{ProtocolVersion, QoS};
use mqtt_testing::{Broker, Listener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn options(broker: &Broker, listener: Listener, id: &str) -> ClientOptions {
    let mut o = ClientOptions::from_url(&broker.url_of(listener))
        .unwrap()
        .client_id(id)
        .protocol(ProtocolVersion::V5)
        .connect_timeout(Duration::from_secs(5));
    if matches!(listener, Listener::Tls | Listener::SecureWebSocket) {
        o = o.tls(TlsOptions::new().ca_file(&broker.certs().ca));
    }
    o
}

#[test]
fn qos_0_1_2_both_ways_over_tls_ws_and_wss() {
    let broker = Broker::config()
        .listener(Listener::Tls)
        .listener(Listener::WebSocket)
        .listener(Listener::SecureWebSocket)
        .start();
    for listener in [
        Listener::Tls,
        Listener::WebSocket,
        Listener::SecureWebSocket,
    ] {
        let mut driver = Driver::new().unwrap();
        let got: Arc<Mutex<Vec<(String, QoS)>>> = Arc::default();
        let subscribed = Arc::new(Mutex::new(false));
        let sub = MqttClient::new(options(&broker, listener, "mio-sub")).unwrap();
        let g = got.clone();
        sub.on_message(move |_, m| {
            g.lock()
                .unwrap()
                .push((m.payload_str().unwrap().into(), m.qos()))
        });
        let s = subscribed.clone();
        sub.on_subscribe(move |_, _, _, _| *s.lock().unwrap() = true);
        sub.on_connect(|c, _| {
            c.subscribe("layers/#", QoS::ExactlyOnce).unwrap();
        });
        sub.connect().unwrap();
        let sub = driver.add(sub);
        let publisher = MqttClient::new(options(&broker, listener, "mio-pub")).unwrap();
        publisher.connect().unwrap();
        let publisher = driver.add(publisher);
        assert!(
            driver
                .run_until(Duration::from_secs(10), |d| *subscribed.lock().unwrap()
                    && d.client(publisher).unwrap().is_connected())
                .unwrap(),
            "{listener:?}: not connected and subscribed"
        );
        let handles: Vec<_> = [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce]
            .into_iter()
            .map(|q| {
                driver
                    .client(publisher)
                    .unwrap()
                    .publish("layers/x", format!("{q}"), q, false)
                    .unwrap()
            })
            .collect();
        // And the other way: the subscriber publishes to itself.
        let back = driver
            .client(sub)
            .unwrap()
            .publish("layers/back", "2", QoS::ExactlyOnce, false)
            .unwrap();
        driver.touch(publisher);
        driver.touch(sub);
        assert!(
            driver
                .run_until(Duration::from_secs(10), |_| handles
                    .iter()
                    .all(|h| h.is_published())
                    && back.is_published()
                    && got.lock().unwrap().len() == 4)
                .unwrap(),
            "{listener:?}: got {:?}",
            got.lock().unwrap()
        );
        let mut got = got.lock().unwrap().clone();
        got.sort();
        assert_eq!(
            got,
            [
                ("0".into(), QoS::AtMostOnce),
                ("1".into(), QoS::AtLeastOnce),
                ("2".into(), QoS::ExactlyOnce),
                ("2".into(), QoS::ExactlyOnce)
            ],
            "{listener:?}"
        );
    }
}

#[test]
fn tls_with_an_unknown_ca_never_connects() {
    let broker = Broker::config().listener(Listener::Tls).start();
    let client = MqttClient::new(
        ClientOptions::from_url(&broker.url_of(Listener::Tls))
            .unwrap()
            .connect_timeout(Duration::from_secs(2)),
    )
    .unwrap();
    let errors = Arc::new(Mutex::new(Vec::new()));
    let e = errors.clone();
    client.on_disconnect(move |_, why| e.lock().unwrap().push(format!("{why:?}")));
    client.connect().unwrap();
    let mut driver = Driver::new().unwrap();
    let id = driver.add(client);
    driver
        .run_until(Duration::from_secs(5), |_| {
            !errors.lock().unwrap().is_empty()
        })
        .unwrap();
    assert!(!driver.client(id).unwrap().is_connected());
    assert!(
        !errors.lock().unwrap().is_empty(),
        "the failed handshake ends the connection"
    );
}
