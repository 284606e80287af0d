//! Sign-in cost, which Argon2id (19 MiB, 2 passes, 1 lane) dominates by design.
//!
//! Run: `cargo bench -p identity --bench sign_in`

use criterion::{Criterion, criterion_group, criterion_main};
use identity::domain::password;

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let stored = runtime.block_on(password::hash("correct horse battery".into())).unwrap();
    let mut group = c.benchmark_group("sign_in");
    group.sample_size(20);
    group.bench_function("argon2id_verify", |b| {
        b.iter(|| runtime.block_on(password::verify("correct horse battery".into(), Some(stored.clone()))).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
