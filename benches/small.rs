//! Small contractions, which run as the loops the macro emits, against the
//! loops a user would write by hand for the same step (target: `einsum!`
//! within 1.1x of hand). Operands go through `black_box`; every hand version
//! allocates its result the way `einsum!` does (zeroed) and indexes the
//! arrays with ndarray's checked indexing.
//!
//! Every hand version is checked against `einsum!` before it is timed.
//! Run with `cargo bench -p lazy-einsum-benches --bench small`.

mod common;

use common::filled;
use common::hand::*;
use criterion::{criterion_group, criterion_main, Criterion};
use lazy_einsum::einsum;
use ndarray::Array1;
use std::hint::black_box;
use std::time::Duration;

fn small(c: &mut Criterion) {
    let mut group = c.benchmark_group("small");

    let (a3, b3) = (filled(ndarray::Ix2(3, 3), 1), filled(ndarray::Ix2(3, 3), 2));
    assert_close(
        "matmul 3x3",
        &einsum!("ij,jk->ik", a3, b3),
        &matmul_hand(&a3, &b3),
    );
    group.bench_function("matmul_3x3/einsum", |bch| {
        bch.iter(|| einsum!("ij,jk->ik", black_box(&a3), black_box(&b3)))
    });
    group.bench_function("matmul_3x3/hand", |bch| {
        bch.iter(|| matmul_hand(black_box(&a3), black_box(&b3)))
    });

    let (a4, v4) = (filled(ndarray::Ix2(4, 4), 3), filled(ndarray::Ix1(4), 4));
    assert_close(
        "matvec 4x4",
        &einsum!("ij,j->i", a4, v4),
        &matvec_hand(&a4, &v4),
    );
    group.bench_function("matvec_4x4/einsum", |bch| {
        bch.iter(|| einsum!("ij,j->i", black_box(&a4), black_box(&v4)))
    });
    group.bench_function("matvec_4x4/hand", |bch| {
        bch.iter(|| matvec_hand(black_box(&a4), black_box(&v4)))
    });

    let x3: Array1<f64> = filled(ndarray::Ix1(3), 5);
    let dot: f64 = einsum!("i,i->", x3, x3);
    assert_close("dot 3", &ndarray::arr0(dot), &ndarray::arr0(x3.dot(&x3)));
    group.bench_function("dot_3/einsum", |bch| {
        bch.iter(|| -> f64 { einsum!("i,i->", black_box(&x3), black_box(&x3)) })
    });
    group.bench_function("dot_3/hand", |bch| {
        bch.iter(|| black_box(&x3).dot(black_box(&x3)))
    });

    let batches = 10_000;
    let (x, y) = (
        filled(ndarray::Ix3(batches, 3, 3), 6),
        filled(ndarray::Ix3(batches, 3, 3), 7),
    );
    assert_close(
        "batched 3x3",
        &einsum!("bij,bjk->bik", x, y),
        &batched_hand(&x, &y),
    );
    group.bench_function("batched_10000x3x3/einsum", |bch| {
        bch.iter(|| einsum!("bij,bjk->bik", black_box(&x), black_box(&y)))
    });
    group.bench_function("batched_10000x3x3/hand", |bch| {
        bch.iter(|| batched_hand(black_box(&x), black_box(&y)))
    });

    let (t4, w4) = (filled(ndarray::Ix3(4, 4, 4), 8), filled(ndarray::Ix1(4), 9));
    assert_close(
        "ijk,k->ij 4x4x4",
        &einsum!("ijk,k->ij", t4, w4),
        &tensor_vector_hand(&t4, &w4),
    );
    group.bench_function("tensor_vector_4x4x4/einsum", |bch| {
        bch.iter(|| einsum!("ijk,k->ij", black_box(&t4), black_box(&w4)))
    });
    group.bench_function("tensor_vector_4x4x4/hand", |bch| {
        bch.iter(|| tensor_vector_hand(black_box(&t4), black_box(&w4)))
    });

    let trace: f64 = einsum!("ii->", a3);
    assert_close(
        "trace 3x3",
        &ndarray::arr0(trace),
        &ndarray::arr0(trace_hand(&a3)),
    );
    group.bench_function("trace_3x3/einsum", |bch| {
        bch.iter(|| -> f64 { einsum!("ii->", black_box(&a3)) })
    });
    group.bench_function("trace_3x3/hand", |bch| {
        bch.iter(|| trace_hand(black_box(&a3)))
    });

    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = small
}
criterion_main!(benches);
