//! Many clients on one thread through the Driver, against a real Mosquitto.

use adapter_mio::{Driver, MqttClient};
use mqtt_client::ClientOptions;
use mqtt_proto::QoS;
use mqtt_testing::Broker;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn clients(
    broker: &Broker,
    n: usize,
    received: &Arc<AtomicUsize>,
    subscribed: &Arc<AtomicUsize>,
) -> Driver {
    let mut driver = Driver::new().unwrap();
    for i in 0..n {
        let c = MqttClient::new(
            ClientOptions::new("127.0.0.1", broker.port())
                .client_id(format!("many-{i}"))
                .keep_alive(Duration::from_secs(30))
                .reconnect_delay(Duration::from_millis(50), Duration::from_secs(1)),
        )
        .unwrap();
        c.on_connect(|c, _| {
            c.subscribe("fanout/#", QoS::AtLeastOnce).unwrap();
        });
        let s = subscribed.clone();
        c.on_subscribe(move |_, _, _, _| {
            s.fetch_add(1, Ordering::SeqCst);
        });
        let r = received.clone();
        c.on_message(move |_, _| {
            r.fetch_add(1, Ordering::SeqCst);
        });
        c.connect_async();
        driver.add(c);
    }
    driver
}

#[test]
fn a_thousand_clients_on_one_thread_receive_a_fan_out() {
    let broker = Broker::config().line("max_connections -1").start();
    let received = Arc::new(AtomicUsize::new(0));
    let subscribed = Arc::new(AtomicUsize::new(0));
    let n = 1000;
    let mut driver = clients(&broker, n, &received, &subscribed);
    assert!(
        driver
            .run_until(Duration::from_secs(60), |_| subscribed
                .load(Ordering::SeqCst)
                == n)
            .unwrap(),
        "only {} of {n} subscribed",
        subscribed.load(Ordering::SeqCst)
    );
    let publisher =
        MqttClient::new(ClientOptions::new("127.0.0.1", broker.port()).client_id("fan")).unwrap();
    publisher.connect().unwrap();
    let id = driver.add(publisher);
    driver
        .run_until(Duration::from_secs(10), |d| {
            d.client(id).unwrap().is_connected()
        })
        .unwrap();
    driver
        .client(id)
        .unwrap()
        .publish("fanout/all", "hello", QoS::AtLeastOnce, false)
        .unwrap();
    driver.touch(id);
    assert!(
        driver
            .run_until(Duration::from_secs(60), |_| received.load(Ordering::SeqCst)
                == n)
            .unwrap(),
        "only {} of {n} received",
        received.load(Ordering::SeqCst)
    );
}

#[test]
fn broker_restart_all_clients_reconnect_with_backoff() {
    let mut broker = Broker::start();
    let received = Arc::new(AtomicUsize::new(0));
    let subscribed = Arc::new(AtomicUsize::new(0));
    let n = 200;
    let mut driver = clients(&broker, n, &received, &subscribed);
    assert!(driver
        .run_until(Duration::from_secs(30), |_| subscribed
            .load(Ordering::SeqCst)
            == n)
        .unwrap());
    broker.restart();
    // on_connect subscribes again after each reconnect.
    assert!(
        driver
            .run_until(Duration::from_secs(60), |_| subscribed
                .load(Ordering::SeqCst)
                == 2 * n)
            .unwrap(),
        "only {} of {n} resubscribed",
        subscribed.load(Ordering::SeqCst) - n
    );
    let connected = driver
        .ids()
        .filter(|&id| driver.client(id).unwrap().is_connected())
        .count();
    assert_eq!(connected, n);
}
