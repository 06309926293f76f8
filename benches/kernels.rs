//! Single-step einsums against the best direct Rust for the same step, on the
//! same data in the same run.
//!
//! - GEMM-shaped steps against `matrixmultiply::dgemm` called directly with
//!   the operands' strides (target: `einsum!` within 1.05x).
//! - Non-GEMM steps (trace, Hadamard sum, 3-D transpose, outer product,
//!   column sums) against hand-written loops: several accumulators where a
//!   reduction is latency-bound, tiles where a walk is strided (target 1.2x).
//! - 3x3 and 4x4 matmul against a hand-written triple loop that allocates the
//!   same `Array2` (target 1.1x).
//!
//! Every baseline is checked against `einsum!` before it is timed.
//! Run with `cargo bench -p lazy-einsum-benches --bench kernels` (append `-- --warm-up-time 1
//! --measurement-time 3` for a shorter run, or a filter such as `-- gemm`).

mod common;

use common::{dot, filled, LANES};
use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, Throughput,
};
use lazy_einsum::einsum;
use ndarray::{Array1, Array2, Array3};
use std::hint::black_box;
use std::time::Duration;

/// Same length and `|x - y| <= tol * max(1, |y|)` elementwise, with a
/// message naming the case.
fn assert_close<'a>(
    case: &str,
    x: impl IntoIterator<Item = &'a f64>,
    y: impl IntoIterator<Item = &'a f64>,
) {
    let (x, y): (Vec<f64>, Vec<f64>) = (
        x.into_iter().copied().collect(),
        y.into_iter().copied().collect(),
    );
    assert!(
        x.len() == y.len() && !x.is_empty(),
        "{case}: {} elements from einsum!, {} from the baseline",
        x.len(),
        y.len()
    );
    for (x, y) in x.into_iter().zip(y) {
        let tol = 1e-10 * y.abs().max(1.0);
        assert!(
            (x - y).abs() <= tol,
            "{case}: einsum! gives {x}, the baseline {y}"
        );
    }
}

// ---------------------------------------------------------------- GEMM steps

/// `C = A B` with `A` m x k and `B` k x n given by pointers and strides,
/// into a newly allocated C-order `Array2` (zeroed, like `einsum!`'s result).
///
/// # Safety
/// `a` and `b` with those sizes and strides must address in-bounds elements.
unsafe fn dgemm_new(
    (m, k, n): (usize, usize, usize),
    a: *const f64,
    (rsa, csa): (isize, isize),
    b: *const f64,
    (rsb, csb): (isize, isize),
) -> Array2<f64> {
    let mut c = Array2::<f64>::zeros((m, n));
    // SAFETY: the caller vouches for `a` and `b`; `c` is a fresh m x n
    // C-order array (row stride n, column stride 1) aliasing neither.
    unsafe {
        matrixmultiply::dgemm(
            m,
            k,
            n,
            1.0,
            a,
            rsa,
            csa,
            b,
            rsb,
            csb,
            0.0,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
    c
}

/// Batch size of the `bij,bjk->bik` case at each matrix size: 2 n^3 b =
/// 17 MFLOP, 0.27 GFLOP and 4.3 GFLOP, so one call stays under ~100 ms.
fn batch_for(n: usize) -> usize {
    match n {
        0..=64 => 32,
        65..=256 => 8,
        _ => 2,
    }
}

fn gemm_steps(c: &mut Criterion) {
    for &n in &[64usize, 256, 1024] {
        let a = filled(ndarray::Ix2(n, n), 1);
        let b = filled(ndarray::Ix2(n, n), 2);
        let flops = 2 * n * n * n;
        let time = |group: &mut BenchmarkGroup<'_, WallTime>| {
            group.throughput(Throughput::Elements(flops as u64));
            if n >= 1024 {
                group.sample_size(10);
            }
        };

        // ij,jk->ik: plain row-major GEMM.
        let expect = einsum!("ij,jk->ik", a, b);
        // SAFETY: a and b are n x n C-order arrays (strides n, 1).
        let got = unsafe {
            dgemm_new(
                (n, n, n),
                a.as_ptr(),
                (n as isize, 1),
                b.as_ptr(),
                (n as isize, 1),
            )
        };
        assert_close("ij,jk->ik", &expect, &got);
        let mut group = c.benchmark_group("gemm_ij_jk_ik");
        time(&mut group);
        group.bench_with_input(BenchmarkId::new("einsum", n), &n, |bch, _| {
            bch.iter(|| einsum!("ij,jk->ik", black_box(&a), black_box(&b)))
        });
        group.bench_with_input(BenchmarkId::new("dgemm", n), &n, |bch, _| {
            // SAFETY: as above.
            bch.iter(|| unsafe {
                dgemm_new(
                    (n, n, n),
                    black_box(&a).as_ptr(),
                    (n as isize, 1),
                    black_box(&b).as_ptr(),
                    (n as isize, 1),
                )
            })
        });
        group.finish();

        // ji,kj->ik: C = A^T B^T, both operands read through transposed strides.
        let expect = einsum!("ji,kj->ik", a, b);
        // SAFETY: A^T has row stride 1 and column stride n inside a's buffer; same for B^T.
        let got = unsafe {
            dgemm_new(
                (n, n, n),
                a.as_ptr(),
                (1, n as isize),
                b.as_ptr(),
                (1, n as isize),
            )
        };
        assert_close("ji,kj->ik", &expect, &got);
        let mut group = c.benchmark_group("gemm_ji_kj_ik");
        time(&mut group);
        group.bench_with_input(BenchmarkId::new("einsum", n), &n, |bch, _| {
            bch.iter(|| einsum!("ji,kj->ik", black_box(&a), black_box(&b)))
        });
        group.bench_with_input(BenchmarkId::new("dgemm", n), &n, |bch, _| {
            // SAFETY: as above.
            bch.iter(|| unsafe {
                dgemm_new(
                    (n, n, n),
                    black_box(&a).as_ptr(),
                    (1, n as isize),
                    black_box(&b).as_ptr(),
                    (1, n as isize),
                )
            })
        });
        group.finish();

        // bij,bjk->bik: batched GEMM, one dgemm per batch entry.
        let nb = batch_for(n);
        let a3 = filled(ndarray::Ix3(nb, n, n), 3);
        let b3 = filled(ndarray::Ix3(nb, n, n), 4);
        let batched = |a3: &Array3<f64>, b3: &Array3<f64>| {
            let mut out = Array3::<f64>::zeros((nb, n, n));
            for t in 0..nb {
                let off = t * n * n;
                // SAFETY: batch entry t of each C-order (nb, n, n) array is the
                // n x n C-order block at offset t n^2; the output is a fresh
                // array aliasing neither input.
                unsafe {
                    matrixmultiply::dgemm(
                        n,
                        n,
                        n,
                        1.0,
                        a3.as_ptr().add(off),
                        n as isize,
                        1,
                        b3.as_ptr().add(off),
                        n as isize,
                        1,
                        0.0,
                        out.as_mut_ptr().add(off),
                        n as isize,
                        1,
                    );
                }
            }
            out
        };
        assert_close(
            "bij,bjk->bik",
            &einsum!("bij,bjk->bik", a3, b3),
            &batched(&a3, &b3),
        );
        let mut group = c.benchmark_group("gemm_bij_bjk_bik");
        group.throughput(Throughput::Elements((flops * nb) as u64));
        if n >= 1024 {
            group.sample_size(10);
        }
        let id = format!("{n}x{nb}");
        group.bench_with_input(BenchmarkId::new("einsum", &id), &n, |bch, _| {
            bch.iter(|| einsum!("bij,bjk->bik", black_box(&a3), black_box(&b3)))
        });
        group.bench_with_input(BenchmarkId::new("dgemm", &id), &n, |bch, _| {
            bch.iter(|| batched(black_box(&a3), black_box(&b3)))
        });
        group.finish();
        drop((a3, b3));

        // ijk,jkl->il: tensordot over two axes, j = k = sqrt(n), so the GEMM
        // is n x n x n with the (j, k) pair fused into one dimension.
        let s = (n as f64).sqrt() as usize;
        assert_eq!(s * s, n);
        let at = filled(ndarray::Ix3(n, s, s), 5);
        let bt = filled(ndarray::Ix3(s, s, n), 6);
        let expect = einsum!("ijk,jkl->il", at, bt);
        // SAFETY: a C-order (n, s, s) array is an n x n C-order matrix when
        // its last two axes fuse; likewise (s, s, n).
        let got = unsafe {
            dgemm_new(
                (n, n, n),
                at.as_ptr(),
                (n as isize, 1),
                bt.as_ptr(),
                (n as isize, 1),
            )
        };
        assert_close("ijk,jkl->il", &expect, &got);
        let mut group = c.benchmark_group("gemm_ijk_jkl_il");
        time(&mut group);
        group.bench_with_input(BenchmarkId::new("einsum", n), &n, |bch, _| {
            bch.iter(|| einsum!("ijk,jkl->il", black_box(&at), black_box(&bt)))
        });
        group.bench_with_input(BenchmarkId::new("dgemm", n), &n, |bch, _| {
            // SAFETY: as above.
            bch.iter(|| unsafe {
                dgemm_new(
                    (n, n, n),
                    black_box(&at).as_ptr(),
                    (n as isize, 1),
                    black_box(&bt).as_ptr(),
                    (n as isize, 1),
                )
            })
        });
        group.finish();
    }
}

// ---------------------------------------------------------------- non-GEMM steps

/// `sum_i a[i, i]` of a square C-order matrix, eight partial sums.
fn trace(a: &Array2<f64>) -> f64 {
    let n = a.nrows();
    let data = a.as_slice().expect("C-order");
    let step = n + 1;
    let mut acc = [0.0; LANES];
    let full = n / LANES;
    for c in 0..full {
        let base = c * LANES * step;
        for (l, s) in acc.iter_mut().enumerate() {
            *s += data[base + l * step];
        }
    }
    let mut rest = 0.0;
    for i in full * LANES..n {
        rest += data[i * step];
    }
    acc.iter().sum::<f64>() + rest
}

/// `out[k, j, i] = a[i, j, k]` for a C-order (n0, n1, n2) array, into a new
/// C-order array written without zeroing it first. Blocks of eight `i`: for
/// each `(j, k)` one full cache line `out[k, j, i0..i0 + 8]` is written from
/// eight rows `a[i0.., j, :]` that are read in order (measured here against
/// 8/16/32-square tiles of each (i, k) plane: as fast or faster).
fn transpose_kji(a: &Array3<f64>) -> Array3<f64> {
    const B: usize = 8;
    let (n0, n1, n2) = a.dim();
    let src = a.as_slice().expect("C-order");
    let mut out = Array3::<f64>::uninit((n2, n1, n0));
    let dst = out.as_slice_mut().expect("C-order");
    // a[i, j, k] is at i n1 n2 + j n2 + k; out[k, j, i] at k n1 n0 + j n0 + i.
    for i0 in (0..n0).step_by(B) {
        let il = B.min(n0 - i0);
        for j in 0..n1 {
            for k in 0..n2 {
                let line = &mut dst[k * n1 * n0 + j * n0 + i0..][..il];
                for (ii, d) in line.iter_mut().enumerate() {
                    d.write(src[(i0 + ii) * n1 * n2 + j * n2 + k]);
                }
            }
        }
    }
    // SAFETY: the loops visit every (i, j, k) once, so every element of `out`
    // was written above.
    unsafe { out.assume_init() }
}

/// `out[i, j] = x[i] y[j]`, each row one vectorized scaled copy.
fn outer(x: &Array1<f64>, y: &Array1<f64>) -> Array2<f64> {
    let y = y.as_slice().expect("contiguous");
    let mut data = Vec::with_capacity(x.len() * y.len());
    for &u in x {
        data.extend(y.iter().map(|&v| u * v));
    }
    Array2::from_shape_vec((x.len(), y.len()), data).expect("shape")
}

/// `out[j] = sum_i a[i, j]`: rows added into the output in turn (vectorized).
fn column_sums(a: &Array2<f64>) -> Array1<f64> {
    let mut out = Array1::<f64>::zeros(a.ncols());
    let o = out.as_slice_mut().expect("contiguous");
    for row in a.as_slice().expect("C-order").chunks_exact(o.len()) {
        for (s, &x) in o.iter_mut().zip(row) {
            *s += x;
        }
    }
    out
}

fn loop_steps(c: &mut Criterion) {
    // ii->: n diagonal elements, one cache line each from a 128 MB matrix.
    let n = 4096;
    let a = filled(ndarray::Ix2(n, n), 7);
    let expect: f64 = einsum!("ii->", a);
    assert_close("ii->", [&expect], [&trace(&a)]);
    let mut group = c.benchmark_group("loop_ii");
    group.bench_with_input(BenchmarkId::new("einsum", n), &n, |bch, _| {
        bch.iter(|| -> f64 { einsum!("ii->", black_box(&a)) })
    });
    group.bench_with_input(BenchmarkId::new("hand", n), &n, |bch, _| {
        bch.iter(|| trace(black_box(&a)))
    });
    group.bench_with_input(BenchmarkId::new("ndarray_diag_sum", n), &n, |bch, _| {
        bch.iter(|| black_box(&a).diag().sum())
    });
    group.finish();
    drop(a);

    // ij,ij->: Hadamard product summed, 2 x 8 MB streamed.
    let n = 1024;
    let a = filled(ndarray::Ix2(n, n), 8);
    let b = filled(ndarray::Ix2(n, n), 9);
    let hand = |a: &Array2<f64>, b: &Array2<f64>| {
        dot(
            a.as_slice().expect("C-order"),
            b.as_slice().expect("C-order"),
        )
    };
    let expect: f64 = einsum!("ij,ij->", a, b);
    assert_close("ij,ij->", [&expect], [&hand(&a, &b)]);
    let mut group = c.benchmark_group("loop_ij_ij");
    group.bench_with_input(BenchmarkId::new("einsum", n), &n, |bch, _| {
        bch.iter(|| -> f64 { einsum!("ij,ij->", black_box(&a), black_box(&b)) })
    });
    group.bench_with_input(BenchmarkId::new("hand", n), &n, |bch, _| {
        bch.iter(|| hand(black_box(&a), black_box(&b)))
    });
    group.finish();
    drop((a, b));

    // ijk->kji: a full 3-D transpose into a new array (n^3 = 2.1 M elements).
    for &n in &[128usize, 120] {
        let a = filled(ndarray::Ix3(n, n, n), 10);
        let expect = einsum!("ijk->kji", a);
        assert_close("ijk->kji", &expect, &transpose_kji(&a));
        let mut group = c.benchmark_group("loop_ijk_kji");
        group.bench_with_input(BenchmarkId::new("einsum", n), &n, |bch, _| {
            bch.iter(|| einsum!("ijk->kji", black_box(&a)))
        });
        group.bench_with_input(BenchmarkId::new("hand", n), &n, |bch, _| {
            bch.iter(|| transpose_kji(black_box(&a)))
        });
        group.bench_with_input(BenchmarkId::new("ndarray_to_owned", n), &n, |bch, _| {
            bch.iter(|| {
                black_box(&a)
                    .view()
                    .permuted_axes([2, 1, 0])
                    .as_standard_layout()
                    .into_owned()
            })
        });
        group.finish();
    }

    // i,j->ij: outer product, 8 MB written.
    let n = 1024;
    let x = filled(ndarray::Ix1(n), 11);
    let y = filled(ndarray::Ix1(n), 12);
    let expect = einsum!("i,j->ij", x, y);
    assert_close("i,j->ij", &expect, &outer(&x, &y));
    let mut group = c.benchmark_group("loop_i_j_ij");
    group.bench_with_input(BenchmarkId::new("einsum", n), &n, |bch, _| {
        bch.iter(|| einsum!("i,j->ij", black_box(&x), black_box(&y)))
    });
    group.bench_with_input(BenchmarkId::new("hand", n), &n, |bch, _| {
        bch.iter(|| outer(black_box(&x), black_box(&y)))
    });
    group.finish();

    // ij->j: column sums of a 2048 x 2048 matrix (32 MB streamed).
    let n = 2048;
    let a = filled(ndarray::Ix2(n, n), 13);
    let expect = einsum!("ij->j", a);
    assert_close("ij->j", &expect, &column_sums(&a));
    let mut group = c.benchmark_group("loop_ij_j");
    group.bench_with_input(BenchmarkId::new("einsum", n), &n, |bch, _| {
        bch.iter(|| einsum!("ij->j", black_box(&a)))
    });
    group.bench_with_input(BenchmarkId::new("hand", n), &n, |bch, _| {
        bch.iter(|| column_sums(black_box(&a)))
    });
    group.bench_with_input(BenchmarkId::new("ndarray_sum_axis", n), &n, |bch, _| {
        bch.iter(|| black_box(&a).sum_axis(ndarray::Axis(0)))
    });
    group.finish();
}

// ---------------------------------------------------------------- tiny matmul

/// `C = A B` for small square C-order matrices: the triple loop a user would
/// write, sizes taken from the arrays (as `einsum!` must), i-j-k order so the
/// innermost loop runs along rows of B and C.
fn small_matmul(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
    let (m, k) = a.dim();
    let n = b.ncols();
    let (x, y) = (
        a.as_slice().expect("C-order"),
        b.as_slice().expect("C-order"),
    );
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        let row = &mut c[i * n..][..n];
        for j in 0..k {
            let u = x[i * k + j];
            for (o, &v) in row.iter_mut().zip(&y[j * n..][..n]) {
                *o += u * v;
            }
        }
    }
    Array2::from_shape_vec((m, n), c).expect("shape")
}

/// The same with the size known at compile time (fully unrolled): the best a
/// user can write for one fixed size.
fn small_matmul_const<const N: usize>(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
    let (x, y) = (
        a.as_slice().expect("C-order"),
        b.as_slice().expect("C-order"),
    );
    assert!(x.len() == N * N && y.len() == N * N);
    let mut c = vec![0.0; N * N];
    for i in 0..N {
        for j in 0..N {
            let u = x[i * N + j];
            for k in 0..N {
                c[i * N + k] += u * y[j * N + k];
            }
        }
    }
    Array2::from_shape_vec((N, N), c).expect("shape")
}

fn tiny_matmul_of<const N: usize>(group: &mut BenchmarkGroup<'_, WallTime>) {
    let a = filled(ndarray::Ix2(N, N), 14);
    let b = filled(ndarray::Ix2(N, N), 15);
    let expect = einsum!("ij,jk->ik", a, b);
    assert_close("tiny ij,jk->ik", &expect, &small_matmul(&a, &b));
    assert_close("tiny ij,jk->ik", &expect, &small_matmul_const::<N>(&a, &b));
    group.bench_with_input(BenchmarkId::new("einsum", N), &N, |bch, _| {
        bch.iter(|| einsum!("ij,jk->ik", black_box(&a), black_box(&b)))
    });
    group.bench_with_input(BenchmarkId::new("hand", N), &N, |bch, _| {
        bch.iter(|| small_matmul(black_box(&a), black_box(&b)))
    });
    group.bench_with_input(BenchmarkId::new("hand_const", N), &N, |bch, _| {
        bch.iter(|| small_matmul_const::<N>(black_box(&a), black_box(&b)))
    });
    group.bench_with_input(BenchmarkId::new("ndarray_dot", N), &N, |bch, _| {
        bch.iter(|| black_box(&a).dot(black_box(&b)))
    });
}

fn tiny_matmul(c: &mut Criterion) {
    let mut group = c.benchmark_group("tiny_matmul");
    tiny_matmul_of::<3>(&mut group);
    tiny_matmul_of::<4>(&mut group);
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1));
    targets = gemm_steps, loop_steps, tiny_matmul
}
criterion_main!(benches);
