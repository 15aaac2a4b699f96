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

/// A client disconnected through `Driver::client` without `touch` closes
/// its socket; a client added next may get the same descriptor number.
/// When the first client's old timer fires, the driver must not take that
/// descriptor for the first client's and deregister it: the second client
/// keeps receiving. The disconnect itself is picked up by the next
/// `run_once` (commands mark their client).
#[test]
fn a_recycled_descriptor_never_silences_another_client() {
    let broker = Broker::start();
    let options = |id: &str| {
        ClientOptions::new("127.0.0.1", broker.port())
            .client_id(id)
            .keep_alive(Duration::from_secs(1))
    };
    let mut driver = Driver::new().unwrap();
    let a = MqttClient::new(options("recycle-a")).unwrap();
    a.connect().unwrap();
    let a = driver.add(a);
    assert!(driver
        .run_until(Duration::from_secs(10), |d| d
            .client(a)
            .unwrap()
            .is_connected())
        .unwrap());
    driver.client(a).unwrap().disconnect().unwrap();
    assert!(
        driver.run_once(Some(Duration::ZERO)).unwrap() >= 1,
        "run_once serves the client a command changed"
    );

    let received = Arc::new(AtomicUsize::new(0));
    let subscribed = Arc::new(AtomicUsize::new(0));
    let b = MqttClient::new(options("recycle-b")).unwrap();
    let (r, s) = (received.clone(), subscribed.clone());
    b.on_message(move |_, _| {
        r.fetch_add(1, Ordering::SeqCst);
    });
    b.on_subscribe(move |_, _, _, _| {
        s.fetch_add(1, Ordering::SeqCst);
    });
    b.on_connect(|c, _| {
        c.subscribe("recycle/#", QoS::AtLeastOnce).unwrap();
    });
    b.connect().unwrap();
    driver.add(b);
    assert!(driver
        .run_until(Duration::from_secs(10), |_| subscribed
            .load(Ordering::SeqCst)
            == 1)
        .unwrap());
    // Past the first client's old keep-alive deadline.
    let later = std::time::Instant::now() + Duration::from_millis(1500);
    driver
        .run_until(Duration::from_secs(5), |_| {
            std::time::Instant::now() >= later
        })
        .unwrap();

    let publisher = MqttClient::new(options("recycle-pub")).unwrap();
    publisher.connect().unwrap();
    let p = driver.add(publisher);
    assert!(driver
        .run_until(Duration::from_secs(10), |d| d
            .client(p)
            .unwrap()
            .is_connected())
        .unwrap());
    for i in 0..5u8 {
        driver
            .client(p)
            .unwrap()
            .publish("recycle/x", vec![i], QoS::AtLeastOnce, false)
            .unwrap();
    }
    assert!(
        driver
            .run_until(Duration::from_secs(10), |_| received.load(Ordering::SeqCst)
                == 5)
            .unwrap(),
        "the second client received {} of 5",
        received.load(Ordering::SeqCst)
    );
}
