//! The seed problem, `E = einsum("ijk,ikj->k", C + C2, C + C2)` with
//! `C = einsum("i,jk->ijk", b, a)` and `C2 = einsum("j,ik->ijk", y2, z2)`,
//! against a strong hand-written Rust implementation of the optimal four-term
//! expansion (target: `einsum!` within 1.2x), at n = q = 500 and 2000.
//!
//! Shapes: `b: q`, `a: n x n`, `y2: n`, `z2: q x n`. Expanding the product of
//! sums gives, with `w = z2^T b` and `u = z2 y2`,
//!
//! ```text
//! E[k] = (b . b) * sum_j a[j,k] a[k,j]      C  C    (b[i] a[j,k] . b[i] a[k,j])
//!      + y2[k] * sum_j a[j,k] w[j]          C  C2   (b[i] a[j,k] . y2[k] z2[i,j])
//!      + w[k] * sum_j a[k,j] y2[j]          C2 C    (y2[j] z2[i,k] . b[i] a[k,j])
//!      + y2[k] * sum_i z2[i,k] u[i]         C2 C2   (y2[j] z2[i,k] . y2[k] z2[i,j])
//! ```
//!
//! The hand version reads every matrix once or twice, in rows or cache
//! lines: one pass over `z2` for `w` and `u` (row axpys and row dots), one
//! for `z2^T u`, and one pass over `a` in blocks of eight indices that yields
//! all three `a` terms (each element of `a` is read once; each product
//! `a[j,k] a[k,j]` feeds both `d[k]` and `d[j]`). Reductions use eight
//! partial sums. It is checked against a direct
//! O(q n^2) evaluation at small sizes and against `einsum!` at the benchmark
//! sizes before anything is timed.
//!
//! Run with `cargo bench -p lazy-einsum-benches --bench seed` (append `-- --warm-up-time 1
//! --measurement-time 3` for a shorter run).

mod common;

use common::{dot, filled};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use lazy_einsum::einsum;
use ndarray::{Array1, Array2};
use std::hint::black_box;
use std::time::Duration;

struct Inputs {
    b: Array1<f64>,
    a: Array2<f64>,
    y2: Array1<f64>,
    z2: Array2<f64>,
}

impl Inputs {
    fn new(n: usize, q: usize) -> Self {
        Inputs {
            b: filled(ndarray::Ix1(q), 1),
            a: filled(ndarray::Ix2(n, n), 2),
            y2: filled(ndarray::Ix1(n), 3),
            z2: filled(ndarray::Ix2(q, n), 4),
        }
    }
}

/// What a user writes: the seed's three einsums, planned by the macro.
fn e_einsum(Inputs { b, a, y2, z2 }: &Inputs) -> Array1<f64> {
    einsum! {
        let c = "i,jk->ijk"(b, a);
        let c2 = "j,ik->ijk"(y2, z2);
        "ijk,ikj->k"(c + c2, c + c2)
    }
}

/// The definition, O(q n^2): `sum_{i,j} (C + C2)[i,j,k] (C + C2)[i,k,j]`.
fn e_direct(Inputs { b, a, y2, z2 }: &Inputs) -> Array1<f64> {
    let (q, n) = z2.dim();
    Array1::from_shape_fn(n, |k| {
        let mut e = 0.0;
        for i in 0..q {
            for j in 0..n {
                let ijk = b[i] * a[[j, k]] + y2[j] * z2[[i, k]];
                let ikj = b[i] * a[[k, j]] + y2[k] * z2[[i, j]];
                e += ijk * ikj;
            }
        }
        e
    })
}

/// The four-term expansion written with ndarray's `dot` (the straightforward
/// hand version; a reference row, not the target).
fn e_ndarray(Inputs { b, a, y2, z2 }: &Inputs) -> Array1<f64> {
    let n = a.nrows();
    let w = z2.t().dot(b);
    let u = z2.dot(y2);
    let t4 = z2.t().dot(&u);
    let atw = a.t().dot(&w);
    let ay = a.dot(y2);
    let bb = b.dot(b);
    Array1::from_shape_fn(n, |k| {
        let d: f64 = (0..n).map(|j| a[[j, k]] * a[[k, j]]).sum();
        bb * d + y2[k] * atw[k] + w[k] * ay[k] + y2[k] * t4[k]
    })
}

/// Block width of the pass over `a`: eight f64, one cache line of a row.
/// (Measured here against 64 x 64 tile pairs with a transposition buffer, and
/// strips of 4 and 16: 8 was fastest at n = 2000.)
const STRIP: usize = 8;

/// `y += alpha x` (vectorized).
#[inline]
fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o += alpha * v;
    }
}

/// One pass over the n x n C-order `a`:
/// `d[k] = sum_j a[j,k] a[k,j]`, `atw = a^T w`, `ay = a y2`.
///
/// Blocks of [`STRIP`] indices `J`: the block's rows `a[J, k]` are streamed
/// for every `k` past the block, together with the strip `a[k, J]` (one
/// cache line of row `k`), so each element of `a` off the diagonal blocks is
/// read exactly once, and each product `a[j,k] a[k,j]` feeds both `d[k]` and
/// `d[j]`. The diagonal blocks are summed directly.
fn a_pass(a: &[f64], n: usize, w: &[f64], y2: &[f64]) -> [Vec<f64>; 3] {
    const B: usize = STRIP;
    let (mut d, mut atw, mut ay) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    for j0 in (0..n).step_by(B) {
        let jl = B.min(n - j0);
        for j in j0..j0 + jl {
            for k in j0..j0 + jl {
                let x = a[j * n + k];
                d[k] += x * a[k * n + j];
                atw[k] += w[j] * x;
                ay[j] += x * y2[k];
            }
        }
        if jl < B {
            // Only the last block is partial, and no k lies past it.
            continue;
        }
        let rows: [&[f64]; B] = std::array::from_fn(|jj| &a[(j0 + jj) * n..][..n]);
        let wj: &[f64; B] = w[j0..j0 + B].try_into().expect("B long");
        let yj: &[f64; B] = y2[j0..j0 + B].try_into().expect("B long");
        let (mut dj, mut atwj, mut ayj) = ([0.0; B], [0.0; B], [0.0; B]);
        for k in j0 + B..n {
            // col[jj] = a[j0 + jj, k], strip[jj] = a[k, j0 + jj].
            let col: [f64; B] = std::array::from_fn(|jj| rows[jj][k]);
            let strip: &[f64; B] = a[k * n + j0..][..B].try_into().expect("B long");
            let (wk, yk) = (w[k], y2[k]);
            let (mut sd, mut satw, mut say) = (0.0, 0.0, 0.0);
            for jj in 0..B {
                let p = col[jj] * strip[jj];
                sd += p;
                dj[jj] += p;
                satw += wj[jj] * col[jj];
                ayj[jj] += col[jj] * yk;
                atwj[jj] += wk * strip[jj];
                say += strip[jj] * yj[jj];
            }
            d[k] += sd;
            atw[k] += satw;
            ay[k] += say;
        }
        for jj in 0..B {
            d[j0 + jj] += dj[jj];
            atw[j0 + jj] += atwj[jj];
            ay[j0 + jj] += ayj[jj];
        }
    }
    [d, atw, ay]
}

/// The four-term expansion, every matrix read row by row (see the module docs).
fn e_hand(Inputs { b, a, y2, z2 }: &Inputs) -> Array1<f64> {
    let (q, n) = z2.dim();
    let (b, a, y2, z2) = (
        b.as_slice().expect("contiguous"),
        a.as_slice().expect("C-order"),
        y2.as_slice().expect("contiguous"),
        z2.as_slice().expect("C-order"),
    );
    // Pass 1 over z2: w = z2^T b (row axpys) and u = z2 y2 (row dots).
    let mut w = vec![0.0; n];
    let mut u = vec![0.0; q];
    for ((row, &bi), ui) in z2.chunks_exact(n).zip(b).zip(&mut u) {
        axpy(bi, row, &mut w);
        *ui = dot(row, y2);
    }
    // Pass 2 over z2: t4 = z2^T u.
    let mut t4 = vec![0.0; n];
    for (row, &ui) in z2.chunks_exact(n).zip(&u) {
        axpy(ui, row, &mut t4);
    }
    let [d, atw, ay] = a_pass(a, n, &w, y2);
    let bb = dot(b, b);
    Array1::from_shape_fn(n, |k| {
        bb * d[k] + y2[k] * atw[k] + w[k] * ay[k] + y2[k] * t4[k]
    })
}

/// Panics unless `x` and `y` agree to `tol` relative to the largest |y|.
fn assert_close(case: &str, x: &Array1<f64>, y: &Array1<f64>, tol: f64) {
    assert_eq!(x.len(), y.len(), "{case}: lengths");
    let scale = y.iter().fold(1e-300f64, |m, v| m.max(v.abs()));
    let err = x
        .iter()
        .zip(y)
        .fold(0.0f64, |m, (u, v)| m.max((u - v).abs()));
    assert!(
        err <= tol * scale,
        "{case}: max difference {err:e} (largest |E| {scale:e})"
    );
}

/// The hand expansion and `einsum!` against the definition, at sizes that
/// cover partial tiles, single and several tile rows, and n != q.
fn check_small() {
    for &(n, q) in &[(1, 1), (13, 17), (64, 40), (70, 50), (150, 131)] {
        let inputs = Inputs::new(n, q);
        let direct = e_direct(&inputs);
        assert_close("hand vs definition", &e_hand(&inputs), &direct, 1e-12);
        assert_close("einsum! vs definition", &e_einsum(&inputs), &direct, 1e-12);
        assert_close("ndarray vs definition", &e_ndarray(&inputs), &direct, 1e-12);
    }
}

fn seed(c: &mut Criterion) {
    check_small();
    let mut group = c.benchmark_group("seed_E");
    for &n in &[500usize, 2000] {
        let inputs = Inputs::new(n, n);
        let hand = e_hand(&inputs);
        assert_close("einsum! vs hand", &e_einsum(&inputs), &hand, 1e-10);
        assert_close("ndarray vs hand", &e_ndarray(&inputs), &hand, 1e-10);
        if n >= 2000 {
            group.sample_size(30);
        }
        group.bench_with_input(BenchmarkId::new("einsum", n), &n, |bch, _| {
            bch.iter(|| e_einsum(black_box(&inputs)))
        });
        group.bench_with_input(BenchmarkId::new("hand", n), &n, |bch, _| {
            bch.iter(|| e_hand(black_box(&inputs)))
        });
        group.bench_with_input(BenchmarkId::new("ndarray_dot", n), &n, |bch, _| {
            bch.iter(|| e_ndarray(black_box(&inputs)))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1));
    targets = seed
}
criterion_main!(benches);
