//! Helpers shared by the benchmarks: deterministic data and the 8-lane dot
//! product the hand-written baselines use.

// Each benchmark binary uses a different subset of these.
#![allow(dead_code)]

use ndarray::{Array, Dimension};

/// The hand-written baselines of the small-contraction benchmarks.
pub mod hand;

/// Deterministic values in [-0.5, 0.5): a multiplicative hash of the position.
pub fn value(x: usize, salt: usize) -> f64 {
    let h = (x as u64 ^ (salt as u64) << 32).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h >> 11) as f64 / (1u64 << 53) as f64 - 0.5
}

/// An array of `shape` filled with [`value`]s in logical order.
pub fn filled<D: Dimension>(shape: D, salt: usize) -> Array<f64, D> {
    let mut a = Array::zeros(shape);
    for (x, v) in a.iter_mut().enumerate() {
        *v = value(x, salt);
    }
    a
}

/// Reduction width: eight independent partial sums hide the FP add latency.
pub const LANES: usize = 8;

/// `sum x[t] y[t]` over contiguous slices, eight partial sums (vectorized).
#[inline]
pub fn dot(x: &[f64], y: &[f64]) -> f64 {
    let (xc, yc) = (x.chunks_exact(LANES), y.chunks_exact(LANES));
    let rest: f64 = xc
        .remainder()
        .iter()
        .zip(yc.remainder())
        .map(|(u, v)| u * v)
        .sum();
    let mut acc = [0.0; LANES];
    for (cx, cy) in xc.zip(yc) {
        for ((s, &u), &v) in acc.iter_mut().zip(cx).zip(cy) {
            *s += u * v;
        }
    }
    acc.iter().sum::<f64>() + rest
}
