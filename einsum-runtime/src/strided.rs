//! The soundness boundary of the kernels: the operands of one step as raw
//! pointers with one stride per loop of its [`LoopSpace`].
//!
//! The kernels walk those pointers without bounds checks. That is sound
//! because a [`Strided`] input or a [`StridedMut`] output can only be made
//! here: from a view whose every axis was checked against its loop's size
//! ([`View::in_loops`], [`ViewMut::in_loops`]), or from a new array with
//! exactly those sizes (`StridedMut::of_new_array`). Every index of the
//! loop space then addresses an element of its array. What a kernel still
//! checks, with the functions here, is that the operands of a step were
//! checked against one space (`StridedMut::assert_inputs_in_space`) and
//! that its output has no axis on a loop it sums
//! (`StridedMut::assert_free_loops`).

use crate::shape::stretches_to;
use crate::view::{View, ViewMut};
use ndarray::{Array, Dimension};
use std::marker::PhantomData;
use std::mem::MaybeUninit;

// No bound on the element type: generic code that lacks one gets a single
// error, from `element_of` (see `crate::operand`).
impl<'a, T, const R: usize> View<'a, T, R> {
    /// This view as an operand of a step over `space`: axis `a` walks loop
    /// `axis_loops[a]`. Two axes on one loop read a diagonal; an axis of
    /// length 1 on a longer loop is broadcast (stride 0).
    ///
    /// # Panics
    /// If an axis length is neither its loop's size nor 1. Shape binding
    /// rules that out before any step runs; the check is what makes the
    /// kernels' raw reads sound.
    pub fn in_loops<'s, const L: usize>(
        &self,
        space: &'s LoopSpace<L>,
        axis_loops: [usize; R],
    ) -> Strided<'s, T, L>
    where
        'a: 's,
    {
        Strided {
            ptr: self.ptr,
            strides: loop_strides(&self.shape, &self.strides, space, &axis_loops),
            space,
            life: PhantomData,
        }
    }
}

impl<'a, T, const R: usize> ViewMut<'a, T, R> {
    /// This view as the output of a step over `space` (see [`View::in_loops`]).
    /// Outputs never broadcast: every axis must have its loop's size.
    ///
    /// # Panics
    /// If an axis length differs from its loop's size.
    pub fn in_loops<'s, const L: usize>(
        &'s mut self,
        space: &'s LoopSpace<L>,
        axis_loops: [usize; R],
    ) -> StridedMut<'s, T, L> {
        for (axis, &lp) in axis_loops.iter().enumerate() {
            assert_eq!(
                self.shape[axis], space.sizes[lp],
                "einsum: output axis {axis} does not have the size of loop {lp}"
            );
        }
        let mut indexed = [false; L];
        for &lp in &axis_loops {
            indexed[lp] = true;
        }
        StridedMut {
            indexed,
            ptr: self.ptr,
            strides: loop_strides(&self.shape, &self.strides, space, &axis_loops),
            space,
            life: PhantomData,
        }
    }
}

/// The stride of each loop for an array of `shape` and `strides` whose axis
/// `a` walks loop `axis_loops[a]`: the sum of the strides of its axes on
/// that loop, zero for the loops it has no axis on (or only axes of length
/// 1, broadcast).
///
/// # Panics
/// If an axis length is neither its loop's size nor 1.
fn loop_strides<const L: usize>(
    shape: &[usize],
    strides: &[isize],
    space: &LoopSpace<L>,
    axis_loops: &[usize],
) -> [isize; L] {
    let mut out = [0isize; L];
    for ((&len, &stride), &lp) in shape.iter().zip(strides).zip(axis_loops) {
        let loop_size = space.sizes[lp];
        // The test `bind` made when it bound the size: folded away.
        if !stretches_to(len, loop_size) {
            axis_mismatch(len, loop_size);
        }
        out[lp] += if len == loop_size { stride } else { 0 };
    }
    out
}

/// For the emitted loops' accessors: the stride and size of each loop of
/// `loops` for an array of `shape` and `strides` whose axis `a` walks loop
/// `axis_loops[a]` of `space` (the sum of the strides of its axes on that
/// loop; an axis of length 1 is broadcast, stride 0). `loops` must name
/// every loop the array has an axis on; an index along each below its size
/// then addresses an element. With `exact`, every axis must have its
/// loop's size (an output).
///
/// # Panics
/// If an axis length is neither its loop's size nor (unless `exact`) 1, or
/// an axis is on a loop `loops` does not name.
#[cfg_attr(debug_assertions, inline)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn along_loops<const R: usize, const L: usize, const K: usize>(
    shape: &[usize; R],
    strides: &[isize; R],
    space: &LoopSpace<L>,
    axis_loops: [usize; R],
    loops: [usize; K],
    exact: bool,
) -> ([isize; K], [usize; K]) {
    let mut out = [0isize; K];
    for ((&len, &stride), lp) in shape.iter().zip(strides).zip(axis_loops) {
        let loop_size = space.sizes[lp];
        let fits = if exact {
            len == loop_size
        } else {
            stretches_to(len, loop_size)
        };
        if !fits {
            axis_mismatch(len, loop_size);
        }
        // `axis_loops` and `loops` are constants of the generated code:
        // this search folds away.
        let Some(k) = loops.iter().position(|&l| l == lp) else {
            panic!("einsum: an axis on loop {lp}, which the accessor does not index")
        };
        out[k] += if len == loop_size { stride } else { 0 };
    }
    (out, loops.map(|lp| space.sizes[lp]))
}

#[cold]
#[inline(never)]
fn axis_mismatch(len: usize, loop_size: usize) -> ! {
    panic!("einsum: axis of length {len} mapped to a loop of size {loop_size}")
}

/// The loops of one contraction step and their sizes.
///
/// ```
/// use einsum_runtime::strided::LoopSpace;
/// let space = LoopSpace::new([2, 3, 4]);
/// assert_eq!(space.sizes(), [2, 3, 4]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoopSpace<const L: usize> {
    sizes: [usize; L],
}

impl<const L: usize> LoopSpace<L> {
    /// A loop space with these sizes.
    pub fn new(sizes: [usize; L]) -> Self {
        LoopSpace { sizes }
    }

    /// The loop sizes.
    pub fn sizes(&self) -> [usize; L] {
        self.sizes
    }

    /// Whether `other` is this space or has its sizes. Kernels check that
    /// their operands were checked against one space; comparing addresses
    /// first keeps that check to one instruction for the macro's steps.
    #[inline(always)]
    pub(crate) fn is(&self, other: &Self) -> bool {
        std::ptr::eq(self, other) || self == other
    }
}

/// The loop count of the shared kernels. A step of up to this many loops is
/// padded to exactly this many before it enters a kernel, with loops of size
/// 1 in front that no operand moves along, so that each kernel is compiled
/// once per element type (in the runtime itself, whose debug builds share
/// their instantiations with the crates using them) instead of once per
/// loop count at every call site. An ellipsis alone brings 8 loops.
///
/// Under Miri it is 4: the padding is the same code at any count, and the
/// kernels interpret four times fewer loops; steps of more loops then take
/// the unpadded kernels, which the tests reach that way.
pub const PADDED_LOOPS: usize = if cfg!(miri) { 4 } else { 16 };

impl<const L: usize> LoopSpace<L> {
    /// This space with `PADDED_LOOPS - L` loops of size 1 in front.
    ///
    /// # Panics
    /// If it has more than [`PADDED_LOOPS`] loops.
    #[inline]
    pub(crate) fn padded(&self) -> LoopSpace<PADDED_LOOPS> {
        let pad = PADDED_LOOPS
            .checked_sub(L)
            .expect("einsum: too many loops to pad");
        let mut sizes = [1; PADDED_LOOPS];
        sizes[pad..].copy_from_slice(&self.sizes);
        LoopSpace { sizes }
    }
}

/// `strides` moved behind the padding loops of [`LoopSpace::padded`], which
/// get stride 0.
#[inline]
fn padded_strides<const L: usize>(strides: &[isize; L]) -> [isize; PADDED_LOOPS] {
    let mut padded = [0; PADDED_LOOPS];
    padded[PADDED_LOOPS - L..].copy_from_slice(strides);
    padded
}

/// An input of one step: a stride per loop, valid for every index of the
/// loop space it was checked against.
#[derive(Debug, Clone, Copy)]
pub struct Strided<'a, T, const L: usize> {
    ptr: *const T,
    strides: [isize; L],
    /// The loop space the strides were checked against; kernels read the
    /// sizes from here rather than from a copy.
    space: &'a LoopSpace<L>,
    life: PhantomData<&'a T>,
}

impl<'a, T, const L: usize> Strided<'a, T, L> {
    /// The element at index zero of every loop.
    #[inline(always)]
    pub(crate) fn ptr(&self) -> *const T {
        self.ptr
    }

    /// The stride along each loop, in elements.
    #[inline(always)]
    pub(crate) fn strides(&self) -> [isize; L] {
        self.strides
    }

    /// The loop space the strides were checked against.
    #[inline(always)]
    pub(crate) fn space(&self) -> &'a LoopSpace<L> {
        self.space
    }

    /// This input in `space`, the padded form of its own space
    /// ([`LoopSpace::padded`]): the padding loops have only index 0, which
    /// adds nothing to an offset, so every index is still in range.
    ///
    /// # Panics
    /// If `space` is not the padded form of this input's space.
    #[inline]
    pub(crate) fn padded<'s>(
        &self,
        space: &'s LoopSpace<PADDED_LOOPS>,
    ) -> Strided<'s, T, PADDED_LOOPS>
    where
        'a: 's,
    {
        assert!(
            &self.space.padded() == space,
            "einsum: padded into another loop space"
        );
        Strided {
            ptr: self.ptr,
            strides: padded_strides(&self.strides),
            space,
            life: PhantomData,
        }
    }
}

/// The output of one step: a stride per loop (zero for the loops it has no
/// axis on), valid for every index of the loop space it was checked against.
#[derive(Debug)]
pub struct StridedMut<'a, T, const L: usize> {
    ptr: *mut T,
    strides: [isize; L],
    /// As for [`Strided`].
    space: &'a LoopSpace<L>,
    /// Whether the output has an axis on each loop (its stride may still be
    /// zero, for an axis of length 0 or 1).
    indexed: [bool; L],
    life: PhantomData<&'a mut T>,
}

impl<'a, T, const L: usize> StridedMut<'a, T, L> {
    /// A new array, not yet initialized, as the output of a step over
    /// `space` whose first `free` loops are free: axis `d` is loop
    /// `axis_loops[d]`.
    ///
    /// # Panics
    /// If the axes are not distinct loops of their own sizes, or a free loop
    /// is no axis: a step overwriting the output would then not write every
    /// element (with an empty free loop, none of them). That no axis is on
    /// a summed loop, the step checks ([`StridedMut::assert_free_loops`]).
    #[inline(always)]
    pub(crate) fn of_new_array<D: Dimension>(
        array: &'a mut Array<MaybeUninit<T>, D>,
        axis_loops: &[usize],
        space: &'a LoopSpace<L>,
        free: usize,
    ) -> Self {
        assert_eq!(array.ndim(), axis_loops.len(), "einsum: one loop per axis");
        let (mut strides, mut indexed) = ([0isize; L], [false; L]);
        for (d, ((&len, &stride), &lp)) in array
            .shape()
            .iter()
            .zip(array.strides())
            .zip(axis_loops)
            .enumerate()
        {
            assert_eq!(
                len, space.sizes[lp],
                "einsum: output axis {d} does not have the size of loop {lp}"
            );
            assert!(!indexed[lp], "einsum: two output axes on loop {lp}");
            strides[lp] = stride;
            indexed[lp] = true;
        }
        if let Some(lp) = (0..free.min(L)).find(|&lp| !indexed[lp]) {
            panic!("einsum: free loop {lp} is no axis of the new output");
        }
        StridedMut {
            // `MaybeUninit<T>` has the layout of `T`.
            ptr: array.as_mut_ptr().cast::<T>(),
            strides,
            space,
            indexed,
            life: PhantomData,
        }
    }

    /// The element at index zero of every loop.
    #[inline(always)]
    pub(crate) fn ptr(&self) -> *mut T {
        self.ptr
    }

    /// The stride along each loop, in elements.
    #[inline(always)]
    pub(crate) fn strides(&self) -> [isize; L] {
        self.strides
    }

    /// The loop space the strides were checked against.
    #[inline(always)]
    pub(crate) fn space(&self) -> &'a LoopSpace<L> {
        self.space
    }

    /// The loop sizes the output was checked against.
    #[inline(always)]
    pub(crate) fn sizes(&self) -> &'a [usize; L] {
        &self.space.sizes
    }

    /// Whether the output has an axis on each loop.
    #[inline(always)]
    pub(crate) fn indexed(&self) -> [bool; L] {
        self.indexed
    }

    /// This output in `space`, the padded form of its own space (see
    /// [`Strided::padded`]). The padding loops count as output axes of
    /// length 1 (stride 0): free loops, written once.
    ///
    /// # Panics
    /// If `space` is not the padded form of this output's space.
    #[inline]
    pub(crate) fn padded<'s>(
        self,
        space: &'s LoopSpace<PADDED_LOOPS>,
    ) -> StridedMut<'s, T, PADDED_LOOPS>
    where
        'a: 's,
    {
        assert!(
            &self.space.padded() == space,
            "einsum: padded into another loop space"
        );
        let mut indexed = [true; PADDED_LOOPS];
        indexed[PADDED_LOOPS - L..].copy_from_slice(&self.indexed);
        StridedMut {
            ptr: self.ptr,
            strides: padded_strides(&self.strides),
            space,
            indexed,
            life: PhantomData,
        }
    }

    /// This output, borrowed for one step of several that write it.
    #[inline]
    pub(crate) fn reborrow(&mut self) -> StridedMut<'_, T, L> {
        StridedMut {
            ptr: self.ptr,
            strides: self.strides,
            space: self.space,
            indexed: self.indexed,
            life: PhantomData,
        }
    }

    /// Panics unless every input was checked against the output's space.
    #[inline(always)]
    pub(crate) fn assert_inputs_in_space(&self, inputs: &[Strided<'_, T, L>]) {
        assert!(
            inputs.iter().all(|input| input.space.is(self.space)),
            "einsum: step operands checked against different loop spaces"
        );
    }

    /// Panics unless the output's axes are all on the first `free` loops,
    /// those the step does not sum. The kernels walk only those to write the
    /// output, so `free` is checked rather than trusted: an axis on a summed
    /// loop (even one of length 0, with stride 0) would be left unwalked,
    /// and an empty output zero-filled through a dangling pointer.
    #[inline(always)]
    pub(crate) fn assert_free_loops(&self, free: usize) {
        assert!(free <= L, "einsum: {free} free loops of {L}");
        assert!(
            !self.indexed[free..].contains(&true),
            "einsum: the output of a step has an axis on a summed loop"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::Site;
    use ndarray::{s, Array2, ShapeBuilder};

    const SITE: Site = Site {
        subscripts: "ij",
        operands: &["a"],
    };

    #[test]
    fn strides_follow_layout_and_broadcast() {
        let f = Array2::<f64>::zeros((3, 4).f());
        let v = View::<f64, 2>::new(&f, &SITE, 0).unwrap();
        let space = LoopSpace::new([4, 3]);
        assert_eq!(v.in_loops(&space, [1, 0]).strides, [3, 1]);

        let row = Array2::<f64>::zeros((1, 4));
        let v = View::<f64, 2>::new(&row, &SITE, 0).unwrap();
        assert_eq!(v.in_loops(&LoopSpace::new([5, 4]), [0, 1]).strides, [0, 1]);

        let square = Array2::<f64>::zeros((3, 3));
        let flipped = square.slice(s![..;-1, ..]);
        let v = View::<f64, 2>::new(&flipped, &SITE, 0).unwrap();
        assert_eq!(v.in_loops(&LoopSpace::new([3]), [0, 0]).strides, [-3 + 1]);
    }

    #[test]
    #[should_panic(expected = "axis of length 3 mapped to a loop of size 4")]
    fn wrong_loop_size_is_caught() {
        let a = Array2::<f64>::zeros((3, 3));
        let v = View::<f64, 2>::new(&a, &SITE, 0).unwrap();
        let _ = v.in_loops(&LoopSpace::new([4, 3]), [0, 1]);
    }
}
