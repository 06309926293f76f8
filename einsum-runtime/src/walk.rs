//! Walking a loop space with raw pointers: the odometer every loop walker
//! shares (the loop nests, fused passes and GEMM's batch loops), moving
//! pointers along a loop, and zero-filling an output.
//!
//! Pointers are moved with `wrapping_offset`: one may step past its array
//! before it is rewound, and is only dereferenced at in-range indices, by
//! the callers' unsafe code.

use ndarray::LinalgScalar;

/// Advances an odometer over `loops`, the last fastest: `index[d]` counts
/// loop `loops[d]` up to its size. `step(l, by)` moves the caller's pointers
/// `by` positions along loop `l` (back to its start when it wraps around).
/// False once every loop has wrapped around.
#[inline(always)]
pub(crate) fn advance<const L: usize>(
    loops: &[usize],
    sizes: &[usize; L],
    index: &mut [usize; L],
    mut step: impl FnMut(usize, isize),
) -> bool {
    for d in (0..loops.len()).rev() {
        let l = loops[d];
        index[d] += 1;
        if index[d] < sizes[l] {
            step(l, 1);
            return true;
        }
        step(l, 1 - sizes[l] as isize);
        index[d] = 0;
    }
    false
}

/// Moves each input pointer `by` positions along loop `l`.
#[inline(always)]
pub(crate) fn offset_inputs<T, const L: usize, const K: usize>(
    pointers: &mut [*const T; K],
    strides: &[[isize; L]; K],
    l: usize,
    by: isize,
) {
    for (p, s) in pointers.iter_mut().zip(strides) {
        *p = p.wrapping_offset(s[l] * by);
    }
}

/// Sets every element reached by `sizes`/`strides` from `ptr` to zero.
///
/// # Safety
/// Every such element must be in bounds and writable.
pub(crate) unsafe fn fill_zero<T: LinalgScalar>(sizes: &[usize], strides: &[isize], ptr: *mut T) {
    match sizes.split_first() {
        None => {
            // SAFETY: the caller guarantees the element is in bounds.
            unsafe { ptr.write(T::zero()) };
        }
        Some((&n, [])) => {
            // The last axis as a plain loop. `write`: the output may be
            // freshly allocated and not yet initialized (see `fresh`).
            let step = strides[0];
            for t in 0..n as isize {
                // SAFETY: index t < n of this axis is in bounds.
                unsafe { ptr.wrapping_offset(t * step).write(T::zero()) };
            }
        }
        Some((&n, rest)) => {
            for t in 0..n as isize {
                // SAFETY: index t < n of this axis, the rest by recursion.
                unsafe { fill_zero(rest, &strides[1..], ptr.wrapping_offset(t * strides[0])) };
            }
        }
    }
}

/// Where a step's walk is: its output pointer and one pointer per input.
#[derive(Debug)]
pub(crate) struct StepPointers<T, const K: usize> {
    pub(crate) out: *mut T,
    pub(crate) inputs: [*const T; K],
}

impl<T, const K: usize> Clone for StepPointers<T, K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T, const K: usize> Copy for StepPointers<T, K> {}

/// At most `L` loop indices, without a heap allocation per step.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LoopList<const L: usize> {
    ids: [usize; L],
    len: usize,
}

impl<const L: usize> Default for LoopList<L> {
    fn default() -> Self {
        LoopList {
            ids: [0; L],
            len: 0,
        }
    }
}

impl<const L: usize> LoopList<L> {
    /// Appends a loop; a step has `L` loops, each listed at most once.
    pub(crate) fn push(&mut self, l: usize) {
        self.ids[self.len] = l;
        self.len += 1;
    }

    /// The number of loops listed.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The loops listed, in order.
    pub(crate) fn as_slice(&self) -> &[usize] {
        &self.ids[..self.len]
    }

    /// The loops listed, to reorder.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [usize] {
        &mut self.ids[..self.len]
    }
}
