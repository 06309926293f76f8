//! Loop-nest kernels: the steps that are not handed to GEMM.
//!
//! A step is described by a [`LoopSpace`](crate::operand::LoopSpace) of `L`
//! loops: the first `n_free` loops index the output, the others are summed.
//! Every operand carries one stride per loop (zero where it does not depend on
//! the loop), so one kernel covers products, diagonals, traces, transposes,
//! broadcasting and reductions alike.

use crate::operand::{Strided, StridedMut};
use crate::scalar::{add, mul};
use ndarray::LinalgScalar;

/// What a step does with the values already in its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// `out = alpha * result`
    Overwrite,
    /// `out = out + alpha * result`
    Accumulate,
}

/// `out[free] (=|+=) alpha * sum over summed loops of prod_k inputs[k]`.
///
/// ```
/// use einsum_runtime::kernels::{contract, Write};
/// use einsum_runtime::operand::{LoopSpace, View};
/// use einsum_runtime::shape::Site;
/// const SITE: Site = Site { subscripts: "ij,jk->ik", operands: &["a", "b"] };
/// let a = ndarray::arr2(&[[1.0, 2.0], [3.0, 4.0]]);
/// let mut c = ndarray::Array2::<f64>::zeros((2, 2));
/// // loops: i, k (free), j (summed)
/// let space = LoopSpace::new([2, 2, 2]);
/// let va = View::<f64, 2>::new(&a, &SITE, 0).unwrap();
/// let mut out = einsum_runtime::operand::ViewMut::new(&mut c, [2, 2], &SITE, "c").unwrap();
/// contract(2, out.in_loops(&space, [0, 1]), [va.in_loops(&space, [0, 2]), va.in_loops(&space, [2, 1])], 1.0, Write::Overwrite);
/// assert_eq!(c, ndarray::arr2(&[[7.0, 10.0], [15.0, 22.0]]));
/// ```
///
/// # Panics
/// If the operands were checked against different loop spaces, or the output
/// depends on a summed loop.
pub fn contract<T: LinalgScalar, const L: usize, const K: usize>(
    n_free: usize,
    out: StridedMut<'_, T, L>,
    inputs: [Strided<'_, T, L>; K],
    alpha: T,
    write: Write,
) {
    let sizes = out.sizes;
    assert!(n_free <= L, "einsum: {n_free} free loops of {L}");
    assert!(
        inputs.iter().all(|input| input.sizes == sizes),
        "einsum: step operands checked against different loop spaces"
    );
    assert!(
        out.strides[n_free..].iter().all(|&s| s == 0),
        "einsum: the output of a step depends on a summed loop"
    );
    if sizes[..n_free].contains(&0) {
        return;
    }
    let summed_is_empty = sizes[n_free..].contains(&0);
    let strides = inputs.map(|input| input.strides);
    let mut in_ptrs = inputs.map(|input| input.ptr);
    let mut out_ptr = out.ptr;
    let mut index = [0usize; L];
    loop {
        let total = if summed_is_empty {
            T::zero()
        } else {
            // SAFETY: every input was checked against `sizes` by `in_loops`, so
            // for each index of the loop space (with the free loops fixed at
            // `index`, which is in range) each pointer stays inside its array.
            unsafe { reduce(&sizes, n_free, in_ptrs, &strides) }
        };
        let value = mul(alpha, total);
        // SAFETY: `out_ptr` is the output element at the in-range free `index`
        // (the output was checked against `sizes` and has stride 0 on summed loops),
        // and the output's `&mut` borrow guarantees no input aliases it.
        unsafe {
            *out_ptr = match write {
                Write::Overwrite => value,
                Write::Accumulate => add(*out_ptr, value),
            };
        }
        // Advance the free loops like an odometer, the last loop fastest.
        // `wrapping_offset` because a pointer may step past its array before it
        // is rewound; it is only dereferenced at in-range indices.
        let mut d = n_free;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            index[d] += 1;
            out_ptr = out_ptr.wrapping_offset(out.strides[d]);
            for (ptr, s) in in_ptrs.iter_mut().zip(&strides) {
                *ptr = ptr.wrapping_offset(s[d]);
            }
            if index[d] < sizes[d] {
                break;
            }
            let rewind = sizes[d] as isize;
            index[d] = 0;
            out_ptr = out_ptr.wrapping_offset(-out.strides[d] * rewind);
            for (ptr, s) in in_ptrs.iter_mut().zip(&strides) {
                *ptr = ptr.wrapping_offset(-s[d] * rewind);
            }
        }
    }
}

/// Sum over loops `from..L` of the product of the inputs, starting at `ptrs`.
///
/// # Safety
/// For every index of loops `from..L` within `sizes` (all non-zero), each
/// `ptrs[k]` offset by `strides[k]` must point to a readable element.
#[inline]
unsafe fn reduce<T: LinalgScalar, const L: usize, const K: usize>(
    sizes: &[usize; L],
    from: usize,
    mut ptrs: [*const T; K],
    strides: &[[isize; L]; K],
) -> T {
    if from == L {
        // SAFETY: the caller guarantees the pointers are readable at this index.
        return unsafe { product(&ptrs) };
    }
    let inner = L - 1;
    let mut index = [0usize; L];
    let mut acc = T::zero();
    loop {
        let mut walk = ptrs;
        for _ in 0..sizes[inner] {
            // SAFETY: the index is in range, per the caller's guarantee.
            acc = add(acc, unsafe { product(&walk) });
            for (ptr, s) in walk.iter_mut().zip(strides) {
                *ptr = ptr.wrapping_offset(s[inner]);
            }
        }
        let mut d = inner;
        loop {
            if d == from {
                return acc;
            }
            d -= 1;
            index[d] += 1;
            for (ptr, s) in ptrs.iter_mut().zip(strides) {
                *ptr = ptr.wrapping_offset(s[d]);
            }
            if index[d] < sizes[d] {
                break;
            }
            let rewind = sizes[d] as isize;
            index[d] = 0;
            for (ptr, s) in ptrs.iter_mut().zip(strides) {
                *ptr = ptr.wrapping_offset(-s[d] * rewind);
            }
        }
    }
}

/// # Safety
/// Every pointer must be readable.
#[inline(always)]
unsafe fn product<T: LinalgScalar, const K: usize>(ptrs: &[*const T; K]) -> T {
    let mut p = T::one();
    for &ptr in ptrs {
        // SAFETY: the caller guarantees `ptr` is readable.
        p = mul(p, unsafe { *ptr });
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operand::{LoopSpace, View, ViewMut};
    use crate::shape::Site;
    use ndarray::{s, Array, Array1, Array2, ShapeBuilder};

    const SITE: Site = Site {
        subscripts: "test",
        operands: &["a", "b"],
    };

    fn naive_matmul(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
        let (n, m, p) = (a.nrows(), a.ncols(), b.ncols());
        Array2::from_shape_fn((n, p), |(i, k)| (0..m).map(|j| a[[i, j]] * b[[j, k]]).sum())
    }

    fn filled(shape: (usize, usize), f: bool) -> Array2<f64> {
        let n = shape.0 * shape.1;
        let data: Vec<f64> = (0..n).map(|x| (x * 7 % 11) as f64 - 5.0).collect();
        if f {
            Array::from_shape_vec(shape.f(), data).unwrap()
        } else {
            Array::from_shape_vec(shape, data).unwrap()
        }
    }

    #[test]
    fn matmul_over_odd_sizes_and_layouts() {
        for &(n, m, p) in &[(0, 3, 2), (1, 1, 1), (3, 0, 2), (2, 5, 3), (7, 3, 5)] {
            for f in [false, true] {
                let a = filled((n, m), f);
                let b_full = filled((p, m), !f);
                let b = b_full.t().slice(s![..;-1, ..]).to_owned();
                let b_view = b_full.t();
                let b_view = b_view.slice(s![..;-1, ..]);
                let space = LoopSpace::new([n, p, m]);
                let va = View::<f64, 2>::new(&a, &SITE, 0).unwrap();
                let vb = View::<f64, 2>::new(&b_view, &SITE, 1).unwrap();
                // NaN padding proves nothing outside the target view is written.
                let mut padded = Array2::<f64>::from_elem((n + 2, p + 2), f64::NAN);
                let mut target = padded.slice_mut(s![1..n + 1, 1..p + 1]);
                let mut out = ViewMut::new(&mut target, [n, p], &SITE, "c").unwrap();
                contract(
                    2,
                    out.in_loops(&space, [0, 1]),
                    [va.in_loops(&space, [0, 2]), vb.in_loops(&space, [2, 1])],
                    1.0,
                    Write::Overwrite,
                );
                assert_eq!(target, naive_matmul(&a, &b));
                let nan_count = padded.iter().filter(|x| x.is_nan()).count();
                assert_eq!(nan_count, (n + 2) * (p + 2) - n * p);
            }
        }
    }

    #[test]
    fn trace_with_zero_stride_operand_and_accumulate() {
        // sum_i m[i, i] * v[i] with v broadcast from one element: out += 2 * that.
        let m = filled((5, 5), true);
        let one = Array1::from_elem(1, 3.0);
        let v = one.broadcast(5).unwrap();
        let space = LoopSpace::new([5]);
        let vm = View::<f64, 2>::new(&m, &SITE, 0).unwrap();
        let vv = View::<f64, 1>::new(&v, &SITE, 1).unwrap();
        let mut out = Array::from_elem((), 1.0);
        let mut target = ViewMut::<f64, 0>::new(&mut out, [], &SITE, "out").unwrap();
        contract(
            0,
            target.in_loops(&space, []),
            [vm.in_loops(&space, [0, 0]), vv.in_loops(&space, [0])],
            2.0,
            Write::Accumulate,
        );
        let expected = 1.0 + 2.0 * (0..5).map(|i| m[[i, i]] * 3.0).sum::<f64>();
        assert_eq!(out.into_scalar(), expected);
    }

    #[test]
    fn integers_wrap() {
        let a = Array1::from_elem(3, 200u8);
        let space = LoopSpace::new([3]);
        let va = View::<u8, 1>::new(&a, &SITE, 0).unwrap();
        let mut out = Array::from_elem((), 0u8);
        let mut target = ViewMut::<u8, 0>::new(&mut out, [], &SITE, "out").unwrap();
        contract(
            0,
            target.in_loops(&space, []),
            [va.in_loops(&space, [0]), va.in_loops(&space, [0])],
            1,
            Write::Overwrite,
        );
        assert_eq!(out.into_scalar(), (3u32 * 200 * 200 % 256) as u8);
    }
}
