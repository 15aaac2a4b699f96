//! One topic against N topic filters: our `TopicRouter` against a loop over
//! our `topic_matches_sub` and a loop over rumqttc's `mqttbytes::matches`
//! (what a client without a router does to dispatch per-filter callbacks).
//!
//! The filters look like a fleet's subscriptions,
//! `region/{r}/site/{s}/device/{d}/{metric}` with `+` and `#` in realistic
//! places, drawn from a fixed-seed generator so every run measures the same
//! set. Each set holds the same five filters that match the topic; the others
//! are distinct and mostly share a prefix with it, as in a real fleet. All
//! three methods are checked to find the same number of matches before
//! measuring. Each iteration counts the matches of one lookup.
//!
//! Run: `cargo bench -p mqtt-benches --bench topic_match -- --warm-up-time 1 --measurement-time 3`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use mqtt_proto::{topic_matches_sub, TopicFilter, TopicName, TopicRouter};
use std::collections::HashSet;
use std::hint::black_box;

const TOPIC: &str = "region/7/site/42/device/123/temp";

/// The filters of every set that match `TOPIC`.
const MATCHING: [&str; 5] = [
    "region/7/site/42/device/123/+",
    "region/7/site/42/#",
    "region/+/site/42/device/123/temp",
    "region/7/+/+/device/123/#",
    "region/7/site/42/device/123/temp",
];

const METRICS: [&str; 4] = ["temp", "humidity", "status", "power"];

/// SplitMix64: a fixed, dependency-free sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `n` distinct valid filters, the five of `MATCHING` among them.
fn filters(n: usize) -> Vec<String> {
    let mut rng = Rng(0x5EED_0000 + n as u64);
    let mut seen: HashSet<String> = MATCHING.iter().map(|s| s.to_string()).collect();
    let mut out: Vec<String> = MATCHING.iter().map(|s| s.to_string()).collect();
    // Ranges grow with n so that large sets stay distinct without exhausting
    // the space; the topic's region and site are popular, as a busy site is.
    let regions = 16;
    let sites = (n as u64 / 200).clamp(8, 200);
    let devices = (n as u64 / 4).clamp(16, 50_000);
    while out.len() < n {
        let r = if rng.below(4) == 0 {
            7
        } else {
            rng.below(regions)
        };
        let s = if rng.below(4) == 0 {
            42
        } else {
            rng.below(sites)
        };
        let d = rng.below(devices);
        let m = METRICS[rng.below(METRICS.len() as u64) as usize];
        let f = match rng.below(20) {
            0..=10 => format!("region/{r}/site/{s}/device/{d}/+"),
            11..=14 => format!("region/{r}/site/{s}/device/{d}/{m}"),
            15 => format!("region/{r}/site/{s}/#"),
            16 => format!("region/+/site/{s}/device/{d}/{m}"),
            17 => format!("region/{r}/+/+/device/{d}/#"),
            18 => format!("region/{r}/site/+/device/{d}/{m}"),
            _ => format!("region/{r}/site/{s}/device/+/{m}"),
        };
        if seen.insert(f.clone()) {
            out.push(f);
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let topic = TopicName::from_static(TOPIC).unwrap();
    let mut group = c.benchmark_group("topic_match");
    for n in [10usize, 1_000, 100_000] {
        let strings = filters(n);
        let router: TopicRouter<usize> = strings
            .iter()
            .enumerate()
            .map(|(i, f)| (TopicFilter::new(f.as_str()).unwrap(), i))
            .collect();
        assert_eq!(router.len(), n);

        let ours = router.matches(&topic).count();
        let naive = strings
            .iter()
            .filter(|f| topic_matches_sub(f, TOPIC))
            .count();
        let rumqttc = strings
            .iter()
            .filter(|f| rumqttc::mqttbytes::matches(TOPIC, f))
            .count();
        assert!(ours >= MATCHING.len());
        assert_eq!(
            (ours, naive),
            (rumqttc, rumqttc),
            "methods disagree at n = {n}"
        );
        eprintln!("topic_match: n = {n}: {ours} filters match {TOPIC}");

        // The naive loops take milliseconds at 100,000; fewer samples keep
        // the run short without changing the per-iteration time.
        group.sample_size(if n >= 100_000 { 20 } else { 100 });

        group.bench_with_input(BenchmarkId::new("router", n), &router, |b, router| {
            b.iter(|| router.matches(black_box(&topic)).count())
        });
        group.bench_with_input(
            BenchmarkId::new("loop_topic_matches_sub", n),
            &strings,
            |b, strings| {
                b.iter(|| {
                    let t = black_box(TOPIC);
                    strings.iter().filter(|f| topic_matches_sub(f, t)).count()
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("loop_rumqttc_matches", n),
            &strings,
            |b, strings| {
                b.iter(|| {
                    let t = black_box(TOPIC);
                    strings
                        .iter()
                        .filter(|f| rumqttc::mqttbytes::matches(t, f))
                        .count()
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
