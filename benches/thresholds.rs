//! Where the macro's emitted loops stop paying: each case run both ways at
//! the same sizes, forced through the emitted loops and through the
//! runtime's kernels (`force_path`), around the thresholds
//! `EMITTED_LOOP_WORK` (loop-nest steps, fused passes, ellipsis steps),
//! `EMITTED_SUM_WORK` (sum passes) and `EMITTED_GEMM_WORK`.
//!
//! `cargo bench -p lazy-einsum-benches --features force-path --bench thresholds`
//!
//! Each group's benchmarks are `<case>/<size>/emitted` and `.../runtime`;
//! the threshold should sit where their ratio crosses 1.

mod common;

use common::filled;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use einsum_runtime::emitted::force_path;
use lazy_einsum::einsum;
use ndarray::{Array1, Array2, ArrayD, Ix1, Ix2, IxDyn};
use std::hint::black_box;
use std::time::Duration;

/// Benchmarks `run` at `size` (labelled by it) once per path.
fn both_paths<R>(c: &mut Criterion, case: &str, size: usize, mut run: impl FnMut() -> R) {
    let mut group = c.benchmark_group(case);
    for (path, forced) in [("emitted", true), ("runtime", false)] {
        force_path(Some(forced));
        group.bench_function(BenchmarkId::new(path, size), |b| b.iter(&mut run));
    }
    force_path(None);
    group.finish();
}

fn thresholds(c: &mut Criterion) {
    // Work n^2: thresholds 1024 (n = 32) for sum passes, 2048 (n = 45) for
    // the others.
    for n in [8, 16, 32, 45, 64, 90] {
        let (x, y) = (filled(Ix2(n, n), 1), filled(Ix2(n, n), 2));
        let v = filled(Ix1(n), 3);
        both_paths(c, "sum pass x - x^T", n, || -> Array2<f64> {
            einsum! { black_box(&x) - "ij->ji"(black_box(&x)) }
        });
        both_paths(c, "sum pass x - x^T + y/2", n, || -> Array2<f64> {
            einsum! { black_box(&x) - "ij->ji"(black_box(&x)) + 0.5 * black_box(&y) }
        });
        both_paths(c, "fused pass over z", n, || -> Array1<f64> {
            let z = black_box(&x);
            einsum!("j,j->j", "ij,i->j"(z, black_box(&v)), "ij,ij->j"(z, z))
        });
        // A loop-nest step: work n^2.
        both_paths(c, "step ij,j->i", n, || -> Array1<f64> {
            einsum!("ij,j->i", black_box(&x), black_box(&v))
        });
    }
    // Ellipsis steps: a GEMM-shaped one (work 2 n^3, threshold 4095) and a
    // reduction (work 2 n).
    for n in [4, 8, 10, 13] {
        let a = filled(IxDyn(&[2, n, n]), 4);
        let m = filled(Ix2(n, n), 5);
        both_paths(c, "ellipsis ...ij,jk->...ik", n, || -> ArrayD<f64> {
            einsum!("...ij,jk->...ik", black_box(&a), black_box(&m))
        });
        both_paths(c, "ellipsis ...i,...i->...", n, || -> ArrayD<f64> {
            einsum!("...i,...i->...", black_box(&a), black_box(&a))
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1));
    targets = thresholds
}
criterion_main!(benches);
