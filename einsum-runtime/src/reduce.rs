//! Reductions along one loop: the product of a step's inputs at one
//! position, and sums of those products with several accumulators, which
//! the loop kernels call for their innermost loops.

use crate::scalar::{add, mul};
use ndarray::LinalgScalar;

/// `prod_k inputs[k][t]` (one for no inputs).
///
/// # Safety
/// Position `t` of every input must be in bounds.
#[inline(always)]
pub(crate) unsafe fn product<T: LinalgScalar, const K: usize>(
    inputs: [*const T; K],
    t: isize,
    steps: [isize; K],
) -> T {
    let mut p = T::one();
    for k in 0..K {
        // SAFETY: the caller guarantees position t is in bounds.
        let x = unsafe { *inputs[k].wrapping_offset(t * steps[k]) };
        p = if k == 0 { x } else { mul(p, x) };
    }
    p
}

/// Independent partial sums: a float sum with one accumulator is bound by the
/// latency of each addition (measured here: a 2000 x 2000 matrix-vector
/// product takes 4.4 ms that way, 1.6 ms with eight).
const ACCUMULATORS: usize = 8;

/// `sum_t prod_k inputs[k][t]`: a plain loop for fewer terms than
/// [`ACCUMULATORS`] (inlined: tiny steps call it once per output element),
/// partial sums otherwise.
///
/// # Safety
/// Positions `0..n` of every input must be in bounds.
#[inline(always)]
pub(crate) unsafe fn reduce<T: LinalgScalar, const K: usize>(
    inputs: [*const T; K],
    steps: [isize; K],
    n: usize,
) -> T {
    // SAFETY: the caller guarantees positions 0..n are in bounds.
    unsafe {
        if n < ACCUMULATORS {
            let mut sum = T::zero();
            for t in 0..n as isize {
                sum = add(sum, product(inputs, t, steps));
            }
            return sum;
        }
        match K {
            1 => sum1(inputs[0], steps[0], n),
            2 => dot2(inputs[0], steps[0], inputs[1], steps[1], n),
            _ => sum_generic(inputs, steps, n),
        }
    }
}

/// `sum_t x[t]`.
///
/// # Safety
/// Positions `0..n` with step `sx` must be in bounds.
#[inline]
unsafe fn sum1<T: LinalgScalar>(x: *const T, sx: isize, n: usize) -> T {
    // SAFETY: the caller guarantees positions 0..n are in bounds.
    unsafe {
        if sx == 1 {
            return sum_slices(std::slice::from_raw_parts(x, n), None);
        }
        let mut acc = [T::zero(); ACCUMULATORS];
        let chunks = n / ACCUMULATORS;
        for c in 0..chunks {
            for (j, a) in acc.iter_mut().enumerate() {
                *a = add(*a, *x.offset(((c * ACCUMULATORS + j) as isize) * sx));
            }
        }
        for t in chunks * ACCUMULATORS..n {
            acc[0] = add(acc[0], *x.offset(t as isize * sx));
        }
        acc.iter().fold(T::zero(), |s, &a| add(s, a))
    }
}

/// `sum_t x[t] * y[t]`.
///
/// # Safety
/// Positions `0..n` with steps `sx`, `sy` must be in bounds.
#[inline]
unsafe fn dot2<T: LinalgScalar>(x: *const T, sx: isize, y: *const T, sy: isize, n: usize) -> T {
    // SAFETY: the caller guarantees positions 0..n are in bounds.
    unsafe {
        if sx == 1 && sy == 1 {
            return sum_slices(
                std::slice::from_raw_parts(x, n),
                Some(std::slice::from_raw_parts(y, n)),
            );
        }
        let mut acc = [T::zero(); ACCUMULATORS];
        let chunks = n / ACCUMULATORS;
        for c in 0..chunks {
            let base = (c * ACCUMULATORS) as isize;
            for (j, a) in acc.iter_mut().enumerate() {
                let t = base + j as isize;
                *a = add(*a, mul(*x.offset(t * sx), *y.offset(t * sy)));
            }
        }
        for t in chunks * ACCUMULATORS..n {
            let t = t as isize;
            acc[0] = add(acc[0], mul(*x.offset(t * sx), *y.offset(t * sy)));
        }
        acc.iter().fold(T::zero(), |s, &a| add(s, a))
    }
}

/// `sum x` or `sum x * y` over contiguous slices, in vectorizable chunks.
#[inline]
fn sum_slices<T: LinalgScalar>(x: &[T], y: Option<&[T]>) -> T {
    let mut acc = [T::zero(); ACCUMULATORS];
    let mut rest = T::zero();
    match y {
        None => {
            let chunks = x.chunks_exact(ACCUMULATORS);
            for &v in chunks.remainder() {
                rest = add(rest, v);
            }
            for chunk in chunks {
                for (a, &v) in acc.iter_mut().zip(chunk) {
                    *a = add(*a, v);
                }
            }
        }
        Some(y) => {
            let (xc, yc) = (x.chunks_exact(ACCUMULATORS), y.chunks_exact(ACCUMULATORS));
            for (&u, &v) in xc.remainder().iter().zip(yc.remainder()) {
                rest = add(rest, mul(u, v));
            }
            for (cx, cy) in xc.zip(yc) {
                for ((a, &u), &v) in acc.iter_mut().zip(cx).zip(cy) {
                    *a = add(*a, mul(u, v));
                }
            }
        }
    }
    acc.iter().fold(rest, |s, &a| add(s, a))
}

/// `sum_t prod_k inputs[k][t]`, any number of operands.
///
/// # Safety
/// Positions `0..n` of every input must be in bounds.
#[inline]
unsafe fn sum_generic<T: LinalgScalar, const K: usize>(
    inputs: [*const T; K],
    steps: [isize; K],
    n: usize,
) -> T {
    let mut acc = T::zero();
    for t in 0..n as isize {
        // SAFETY: the caller guarantees position t is in bounds.
        acc = add(acc, unsafe { product(inputs, t, steps) });
    }
    acc
}
