//! One contraction used twice: `let c = "ik,kj->ij"(a, b); c - "ij->ji"(c)`
//! must compute the product once (one GEMM) and add it to its transpose in
//! one pass, within 1.2x of the hand-written `let c = a.dot(&b); &c - &c.t()`
//! at n = 500 and 1000 (issue 13). `distributed` is the same expression
//! written without the binding, as two products: what the macro planned
//! before it shared the contraction.
//!
//! Run with `cargo bench -p lazy-einsum-benches --bench sharing`.

mod common;

use common::filled;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use lazy_einsum::einsum;
use ndarray::Array2;
use std::hint::black_box;
use std::time::Duration;

fn antisymmetrized_product(c: &mut Criterion) {
    let mut group = c.benchmark_group("product_minus_transpose");
    group.sample_size(20);
    for n in [500, 1000] {
        let a = filled(ndarray::Ix2(n, n), 1);
        let b = filled(ndarray::Ix2(n, n), 2);
        let planned: Array2<f64> = einsum! { let c = "ik,kj->ij"(a, b); c - "ij->ji"(c) };
        let product = a.dot(&b);
        let hand = &product - &product.t();
        let scale = product.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        for (&x, &y) in planned.iter().zip(&hand) {
            assert!(
                (x - y).abs() <= 1e-12 * scale,
                "einsum! gives {x}, ndarray {y}"
            );
        }
        group.bench_with_input(BenchmarkId::new("einsum", n), &n, |bch, _| {
            bch.iter(|| {
                let (a, b) = (black_box(&a), black_box(&b));
                einsum! { let c = "ik,kj->ij"(a, b); c - "ij->ji"(c) }
            })
        });
        group.bench_with_input(BenchmarkId::new("hand", n), &n, |bch, _| {
            bch.iter(|| {
                let c = black_box(&a).dot(black_box(&b));
                &c - &c.t()
            })
        });
        group.bench_with_input(BenchmarkId::new("distributed", n), &n, |bch, _| {
            bch.iter(|| {
                let (a, b) = (black_box(&a), black_box(&b));
                einsum!("ik,kj->ij", a, b) - einsum!("ik,kj->ji", a, b)
            })
        });
    }
    group.finish();
}

/// The pass alone: an array minus its transpose, against ndarray's
/// elementwise subtraction of a transposed view.
fn minus_transpose(c: &mut Criterion) {
    let mut group = c.benchmark_group("array_minus_transpose");
    for n in [500, 1000] {
        let x = filled(ndarray::Ix2(n, n), 3);
        let planned: Array2<f64> = einsum! { x - "ij->ji"(x) };
        assert_eq!(planned, &x - &x.t());
        group.bench_with_input(BenchmarkId::new("einsum", n), &n, |bch, _| {
            bch.iter(|| {
                let x = black_box(&x);
                einsum! { x - "ij->ji"(x) }
            })
        });
        group.bench_with_input(BenchmarkId::new("hand", n), &n, |bch, _| {
            bch.iter(|| {
                let x = black_box(&x);
                x - &x.t()
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    targets = antisymmetrized_product, minus_transpose
}
criterion_main!(benches);
