//! A matrix-matrix-vector chain: `einsum!("ij,jk,k->i", a, b, v)` must find
//! the O(n^2) order (`b v` first, then `a (b v)`) and run it about as fast as
//! ndarray's `a.dot(&b.dot(&v))` (target: within 1.3x) at n = 1500.
//!
//! Run with `cargo bench -p lazy-einsum-benches --bench chain` (append `-- --warm-up-time 1
//! --measurement-time 3` for a shorter run).

mod common;

use common::filled;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use lazy_einsum::einsum;
use ndarray::Array1;
use std::hint::black_box;
use std::time::Duration;

fn chain(c: &mut Criterion) {
    let n = 1500;
    let a = filled(ndarray::Ix2(n, n), 1);
    let b = filled(ndarray::Ix2(n, n), 2);
    let v = filled(ndarray::Ix1(n), 3);

    let planned: Array1<f64> = einsum!("ij,jk,k->i", a, b, v);
    let direct = a.dot(&b.dot(&v));
    for (&x, &y) in planned.iter().zip(&direct) {
        assert!(
            (x - y).abs() <= 1e-10 * y.abs().max(1.0),
            "einsum! gives {x}, ndarray {y}"
        );
    }

    let mut group = c.benchmark_group("chain_ij_jk_k_i");
    group.bench_with_input(BenchmarkId::new("einsum", n), &n, |bch, _| {
        bch.iter(|| einsum!("ij,jk,k->i", black_box(&a), black_box(&b), black_box(&v)))
    });
    group.bench_with_input(BenchmarkId::new("ndarray_dot", n), &n, |bch, _| {
        bch.iter(|| black_box(&a).dot(&black_box(&b).dot(black_box(&v))))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1));
    targets = chain
}
criterion_main!(benches);
