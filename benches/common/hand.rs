//! The hand-written loops `small` and `small_pairs` time `einsum!` against:
//! what a user would write for the same step, allocating the result the
//! way `einsum!` does (zeroed) and indexing with ndarray's checked indexing.

use ndarray::{Array1, Array2, Array3};

/// Same shape and values within `1e-12` (relative), naming the case.
pub fn assert_close<D: ndarray::Dimension>(
    case: &str,
    x: &ndarray::Array<f64, D>,
    y: &ndarray::Array<f64, D>,
) {
    assert_eq!(x.shape(), y.shape(), "{case}: shapes");
    for (x, y) in x.iter().zip(y) {
        assert!(
            (x - y).abs() <= 1e-12 * y.abs().max(1.0),
            "{case}: einsum! gives {x}, the hand loop {y}"
        );
    }
}

#[inline(never)]
pub fn matmul_hand(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
    let ((m, k), n) = (a.dim(), b.ncols());
    let mut c = Array2::zeros((m, n));
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0.0;
            for l in 0..k {
                acc += a[[i, l]] * b[[l, j]];
            }
            c[[i, j]] = acc;
        }
    }
    c
}

#[inline(never)]
pub fn matvec_hand(a: &Array2<f64>, v: &Array1<f64>) -> Array1<f64> {
    let (m, n) = a.dim();
    let mut r = Array1::zeros(m);
    for i in 0..m {
        let mut acc = 0.0;
        for j in 0..n {
            acc += a[[i, j]] * v[j];
        }
        r[i] = acc;
    }
    r
}

#[inline(never)]
pub fn batched_hand(x: &Array3<f64>, y: &Array3<f64>) -> Array3<f64> {
    let ((batches, m, k), n) = (x.dim(), y.dim().2);
    let mut r = Array3::zeros((batches, m, n));
    for b in 0..batches {
        for i in 0..m {
            for j in 0..n {
                let mut acc = 0.0;
                for l in 0..k {
                    acc += x[[b, i, l]] * y[[b, l, j]];
                }
                r[[b, i, j]] = acc;
            }
        }
    }
    r
}

#[inline(never)]
pub fn tensor_vector_hand(t: &Array3<f64>, v: &Array1<f64>) -> Array2<f64> {
    let (n, m, p) = t.dim();
    let mut r = Array2::zeros((n, m));
    for i in 0..n {
        for j in 0..m {
            let mut acc = 0.0;
            for k in 0..p {
                acc += t[[i, j, k]] * v[k];
            }
            r[[i, j]] = acc;
        }
    }
    r
}

#[inline(never)]
pub fn trace_hand(a: &Array2<f64>) -> f64 {
    let mut acc = 0.0;
    for i in 0..a.nrows() {
        acc += a[[i, i]];
    }
    acc
}
