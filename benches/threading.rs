//! The `threading` feature: large GEMM steps (matrixmultiply's threads),
//! large loop nests (rayon over the outermost output loop) and large fused
//! passes (rayon over blocks of rows) on every core. Target: at least 1.6x
//! faster on 2 cores than without the feature.
//!
//! The feature is chosen at compile time, so compare two runs:
//!
//! ```text
//! cargo bench -p lazy-einsum-benches --bench threading -- --save-baseline one-thread
//! cargo bench -p lazy-einsum-benches --features threading --bench threading -- --baseline one-thread
//! ```
//!
//! The second run reports each benchmark's change against the first.

mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use lazy_einsum::einsum;
use ndarray::{Array, Array1, Array2, Dimension};
use std::hint::black_box;
use std::time::Duration;

fn filled<D: Dimension>(shape: D, salt: i64) -> Array<i64, D> {
    let mut a = Array::zeros(shape);
    for (x, v) in a.iter_mut().enumerate() {
        *v = (x as i64 * 7 + salt) % 19 - 9;
    }
    a
}

fn threading(c: &mut Criterion) {
    let mut group = c.benchmark_group("threading");
    group.sample_size(10);

    // A large GEMM step: f64 matmul at n = 1024 (2.1 GFlop).
    let n = 1024;
    let a = filled(ndarray::Ix2(n, n), 1).mapv(|x| x as f64);
    let b = filled(ndarray::Ix2(n, n), 2).mapv(|x| x as f64);
    let check: Array2<f64> = einsum!("ij,jk->ik", a, b);
    assert_eq!(check, a.dot(&b));
    group.bench_with_input(BenchmarkId::new("gemm_f64", n), &n, |bch, _| {
        bch.iter(|| -> Array2<f64> { einsum!("ij,jk->ik", black_box(&a), black_box(&b)) })
    });

    // A large loop nest: integers take the loop kernel, compute-bound
    // (i64 matmul at n = 400, 64 M multiply-adds).
    let n = 400;
    let a = filled(ndarray::Ix2(n, n), 3);
    let b = filled(ndarray::Ix2(n, n), 4);
    let check: Array2<i64> = einsum!("ij,jk->ik", a, b);
    assert_eq!(check, a.dot(&b));
    group.bench_with_input(BenchmarkId::new("loops_i64", n), &n, |bch, _| {
        bch.iter(|| -> Array2<i64> { einsum!("ij,jk->ik", black_box(&a), black_box(&b)) })
    });

    // A large elementwise-times-reduction nest in f64: `ijk,ik->ij` at
    // 256^3 (16.8 M multiply-adds, 128 MB read).
    let n = 256;
    let x = filled(ndarray::Ix3(n, n, n), 5).mapv(|v| v as f64);
    let y = filled(ndarray::Ix2(n, n), 6).mapv(|v| v as f64);
    group.bench_with_input(BenchmarkId::new("loops_f64", n), &n, |bch, _| {
        bch.iter(|| -> Array2<f64> { einsum!("ijk,ik->ij", black_box(&x), black_box(&y)) })
    });

    // The seed problem at n = q = 2000: two fused passes (over `z2` and over
    // `a`, the latter a symmetric sweep with two companions), 64 MB read.
    let n = 2000;
    let (b, a, y2, z2) = (
        common::filled(ndarray::Ix1(n), 1),
        common::filled(ndarray::Ix2(n, n), 2),
        common::filled(ndarray::Ix1(n), 3),
        common::filled(ndarray::Ix2(n, n), 4),
    );
    group.bench_with_input(BenchmarkId::new("seed_e_f64", n), &n, |bch, _| {
        bch.iter(|| -> Array1<f64> {
            let (b, a, y2, z2) = (black_box(&b), black_box(&a), black_box(&y2), black_box(&z2));
            einsum! {
                let c = "i,jk->ijk"(b, a);
                let c2 = "j,ik->ijk"(y2, z2);
                "ijk,ikj->k"(c + c2, c + c2)
            }
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    targets = threading
}
criterion_main!(benches);
