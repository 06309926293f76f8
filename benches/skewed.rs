//! Skewed chains (issue 12): `einsum!("ij,jk,kl->il", a, b, c)` with shapes
//! (1000,10)(10,1000)(1000,10) and (10,1000)(1000,10)(10,1000). With every
//! size the symbolic `N` both orders cost `4N^3`; the candidate plans let the
//! generated code pick the right one at run time. Each next to both hand
//! orders, `a.dot(&b.dot(&c))` and `a.dot(&b).dot(&c)`; target: within 1.2x of
//! the better one.
//!
//! Run with `cargo bench -p lazy-einsum-benches --bench skewed` (append `-- --warm-up-time 1
//! --measurement-time 3` for a shorter run).

mod common;

use common::filled;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use lazy_einsum::einsum;
use ndarray::Array2;
use std::hint::black_box;
use std::time::Duration;

fn skewed(c: &mut Criterion) {
    for (name, long, short) in [("tall_wide_tall", 1000, 10), ("wide_tall_wide", 10, 1000)] {
        let a = filled(ndarray::Ix2(long, short), 1);
        let b = filled(ndarray::Ix2(short, long), 2);
        let cc = filled(ndarray::Ix2(long, short), 3);
        let planned: Array2<f64> = einsum!("ij,jk,kl->il", a, b, cc);
        let direct = a.dot(&b.dot(&cc));
        for (&x, &y) in planned.iter().zip(&direct) {
            assert!(
                (x - y).abs() <= 1e-9 * y.abs().max(1.0),
                "einsum! gives {x}, ndarray {y}"
            );
        }
        let mut group = c.benchmark_group(format!("skewed_chain_{name}"));
        let shape = format!("{long}x{short}");
        group.bench_with_input(BenchmarkId::new("einsum", &shape), &shape, |bch, _| {
            bch.iter(|| einsum!("ij,jk,kl->il", black_box(&a), black_box(&b), black_box(&cc)))
        });
        group.bench_with_input(
            BenchmarkId::new("a.dot(b.dot(c))", &shape),
            &shape,
            |bch, _| bch.iter(|| black_box(&a).dot(&black_box(&b).dot(black_box(&cc)))),
        );
        group.bench_with_input(
            BenchmarkId::new("a.dot(b).dot(c)", &shape),
            &shape,
            |bch, _| bch.iter(|| black_box(&a).dot(black_box(&b)).dot(black_box(&cc))),
        );
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1));
    targets = skewed
}
criterion_main!(benches);
