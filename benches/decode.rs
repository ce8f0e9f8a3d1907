//! Decoding throughput of the event contract: events per second for the bundled demo
//! catalog (goal: at least 200k events/s on one core).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use stockyard_schema::demo::DEMO_FILE;
use stockyard_schema::Decoder;

fn decode(c: &mut Criterion) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/");
    let text = std::fs::read_to_string(format!("{path}{DEMO_FILE}"))
        .expect("the bundled demo file is in the repository");
    let lines = text.lines().count() as u64;
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(lines));
    g.bench_function("demo_catalog", |b| {
        b.iter(|| {
            let mut decoder = Decoder::new();
            let n = decoder.ndjson(&text).filter(Result::is_ok).count();
            assert_eq!(n as u64, lines);
        })
    });
    g.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
