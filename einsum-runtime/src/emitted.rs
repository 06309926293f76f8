//! What the loops the macro emits for small steps use: safe element access
//! to the operands of a step, checked per index.
//!
//! For a small step (a 3 x 3 matrix product, a dot product of 3-vectors)
//! the macro writes the loop nest itself, with the loops it knows at compile
//! time (which are free, which are summed, which operand each indexes), and
//! reads the sizes and strides at run time. The generated code has no
//! `unsafe`: its loops run over [`upto`], whose [`LoopIndex`]es are each
//! below the size of the loop they came from and carry that size; it reads
//! through a [`Reader`] and writes through a [`Writer`], whose accessors
//! check only that each index's loop is no longer than the accessor's. The
//! optimizer folds that check away when both sizes are the same value, and
//! hoists it out of the loop otherwise, which a check of the index itself
//! against the size defeated: LLVM merges the per-loop checks of one access
//! into one branch it then cannot prove, and kept it in the innermost loop.
//! The accessors are `#[inline(always)]` in optimized builds (left to its
//! heuristics, LLVM stopped inlining them into larger callers: 1.7x slower
//! batched 3 x 3 products) and only `#[inline]` in debug builds, which then
//! call one copy per element type and loop count instead of expanding each
//! at every use.

use crate::strided::{along_loops, LoopSpace};
use crate::view::{View, ViewMut};
use ndarray::LinalgScalar;
#[cfg(feature = "force-path")]
use std::cell::Cell;
use std::marker::PhantomData;

/// Up to this many multiply-adds (the product of the loop sizes) a loop-nest
/// step runs as the macro's emitted loops; beyond, the runtime's kernels,
/// which order the loops by stride and use several accumulators. Measured
/// (release, one thread, emitted over runtime): `ij,j->i` 0.42 at n = 8,
/// 0.79 at 32 (1024), 1.10 at 48 (2304), 1.23 at 64; `ijk,k->ij` 0.55 to 0.87
/// up to n = 32. Fused passes share it (each step's work is the shared
/// array's size): `"ij,i->j"(z, b)` and `"ij,ij->j"(z, z)` over one n x n
/// `z` took 0.11 (n = 8) to 0.74 (n = 45) of the runtime's fused sweep, and
/// 0.86-1.06 at 64 to 90. So do ellipsis steps: `...i,...i->...` took
/// 0.65-0.89 up to 2 x 13 x 13 (`benches/thresholds.rs`).
pub const EMITTED_LOOP_WORK: usize = 2048;

/// Up to this many elements of the destination a sum pass (`x - x^T`, each
/// input added in its own axis order) runs as one emitted loop nest. Lower
/// than [`EMITTED_LOOP_WORK`]: `x - "ij->ji"(x)` has a slow mode that
/// depends on where the arrays lie in memory (per process, about one in
/// three), in which the emitted loop took 0.96-1.01 of the runtime's tiled
/// pass at n = 32 and 1.04-1.16 at n = 45, against 0.59 and 0.69 otherwise;
/// at n = 16 it took 0.41-0.69 in every process (`benches/thresholds.rs`,
/// and six processes of a plain timing loop).
pub const EMITTED_SUM_WORK: usize = 1024;

/// Up to this many multiply-adds a GEMM-shaped step runs as the macro's
/// emitted loops: just below the size where the runtime calls matrixmultiply
/// (16 x 16 x 16), which is 6x faster than plain loops there; below it the
/// emitted loops took 0.41 (n = 4) to 0.60 (n = 12) of the runtime's loop
/// kernel for `ij,jk->ik`.
pub const EMITTED_GEMM_WORK: usize = 16 * 16 * 16 - 1;

/// Up to this many multiply-adds per batch a batched GEMM-shaped step runs
/// as the macro's emitted loops whatever the number of batches, the product
/// inlined in the loop over the batch: `bij,bjk->bik` over 1000 batches took
/// 0.16, 0.38 and 0.59 of the runtime's time for 2 x 2, 3 x 3 and 4 x 4
/// matrices, but 1.50 for 6 x 6.
pub const EMITTED_BATCH_WORK: usize = 4 * 4 * 4;

#[cfg(feature = "force-path")]
thread_local! {
    /// Set by [`force_path`] (tests only).
    static FORCED: Cell<Option<bool>> = const { Cell::new(None) };
}

/// Which code runs the steps that could run as emitted loops, on this
/// thread: `Some(true)` the emitted loops whatever their size, `Some(false)`
/// the runtime's kernels, `None` (the default) the choice by size. For tests
/// that reach both with the same sizes; the results are the same either way.
///
/// Only with the feature `force-path`, which the workspace's tests turn on
/// (a dev-dependency of `lazy-einsum`): without it [`runs_emitted`] reads
/// no switch at all, and this panics rather than be silently ignored.
///
/// ```
/// # #[cfg(feature = "force-path")] {
/// use einsum_runtime::emitted::{force_path, runs_emitted};
/// force_path(Some(false));
/// assert!(!runs_emitted(&[3, 3, 3], 1024));
/// force_path(None);
/// assert!(runs_emitted(&[3, 3, 3], 1024));
/// # }
/// ```
pub fn force_path(emitted: Option<bool>) {
    #[cfg(feature = "force-path")]
    FORCED.with(|f| f.set(emitted));
    #[cfg(not(feature = "force-path"))]
    panic!("einsum: force_path({emitted:?}) needs einsum-runtime's feature `force-path`");
}

/// Whether a step over loops of `sizes` runs as emitted loops: the product
/// of the sizes is at most `limit` (unless [`force_path`] says otherwise).
///
/// ```
/// use einsum_runtime::emitted::runs_emitted;
/// assert!(runs_emitted(&[4, 4, 4], 64));
/// assert!(!runs_emitted(&[4, 4, 5], 64));
/// assert!(!runs_emitted(&[usize::MAX, 2], usize::MAX));
/// ```
#[cfg_attr(debug_assertions, inline)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub fn runs_emitted(sizes: &[usize], limit: usize) -> bool {
    #[cfg(feature = "force-path")]
    if let Some(forced) = FORCED.with(Cell::get) {
        return forced;
    }
    let work = sizes.iter().try_fold(1usize, |w, &n| w.checked_mul(n));
    work.is_some_and(|w| w <= limit)
}

/// Whether the emitted loops may run a step whose labels bound from
/// several operands have the [`all_equal`](crate::shape::all_equal)
/// results `same`: only when none of them broadcasts a length of 1
/// (unless [`force_path`] says otherwise). The emitted loops then index
/// every operand with the label's one length, and their accessors need no
/// check and no stride zeroed at run time; a broadcast goes to the
/// runtime's kernels.
///
/// ```
/// use einsum_runtime::emitted::uniform;
/// assert!(uniform([true, true]));
/// assert!(!uniform([true, false]));
/// ```
#[cfg_attr(debug_assertions, inline)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub fn uniform<const N: usize>(same: [bool; N]) -> bool {
    #[cfg(feature = "force-path")]
    if let Some(forced) = FORCED.with(Cell::get) {
        return forced;
    }
    same.into_iter().fold(true, |all, s| all & s)
}

/// `x * y` (wrapping for primitive integers), for emitted loops: unlike
/// [`crate::scalar::mul`], not `#[inline(always)]`, so a debug build calls
/// it instead of expanding its type dispatch at every use.
///
/// ```
/// assert_eq!(einsum_runtime::emitted::product(3.0, 2.0), 6.0);
/// ```
#[cfg_attr(debug_assertions, inline)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub fn product<T: LinalgScalar>(x: T, y: T) -> T {
    crate::scalar::mul(x, y)
}

/// `acc + x * y` (wrapping for primitive integers), for emitted loops (see
/// [`product`]).
///
/// ```
/// assert_eq!(einsum_runtime::emitted::add_product(1u8, 5, 51), 0);
/// ```
#[cfg_attr(debug_assertions, inline)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub fn add_product<T: LinalgScalar>(acc: T, x: T, y: T) -> T {
    crate::scalar::add(acc, crate::scalar::mul(x, y))
}

/// `acc + x` (wrapping for primitive integers), for emitted loops (see
/// [`product`]).
///
/// ```
/// assert_eq!(einsum_runtime::emitted::sum(1.0, 2.0), 3.0);
/// ```
#[cfg_attr(debug_assertions, inline)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub fn sum<T: LinalgScalar>(acc: T, x: T) -> T {
    crate::scalar::add(acc, x)
}

/// A result of rank 0 that emitted loops computed, kept as a scalar instead
/// of a one-element array (which would cost an allocation).
///
/// ```
/// use einsum_runtime::emitted::Scalar;
/// assert_eq!(Scalar(2.0).into_scalar(), 2.0);
/// assert_eq!(Scalar::of(ndarray::arr0(3)).into_scalar(), 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scalar<T>(pub T);

impl<T> Scalar<T> {
    /// The one element of `array` (a rank-0 result the runtime computed).
    /// Out of line: only steps too big for the emitted loops come here, and
    /// taking the element apart from its array is more code than the loops.
    #[inline(never)]
    pub fn of(array: ndarray::Array0<T>) -> Self {
        Scalar(array.into_scalar())
    }

    /// The value.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn into_scalar(self) -> T {
        self.0
    }
}

/// `reader.at(index)`, as a function: the emitted loops call it by path at
/// the macro's span, where an element type without the runtime's bounds is
/// reported once (a method call would be reported again, at its receiver).
///
/// ```
/// use einsum_runtime::emitted::{read, upto};
/// use einsum_runtime::shape::Site;
/// use einsum_runtime::strided::LoopSpace;
/// use einsum_runtime::view::View;
/// const SITE: Site = Site { subscripts: "i", operands: &["x"] };
/// let x = ndarray::arr1(&[1.0, 2.0]);
/// let space = LoopSpace::new([2]);
/// let view = View::<f64, 1>::new(&x, &SITE, 0).unwrap();
/// let i = upto(2).last().unwrap(); // index 1 of a loop of size 2
/// assert_eq!(read(&view.reader_in(&space, [0], [0]), [i]), 2.0);
/// ```
#[cfg_attr(debug_assertions, inline)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub fn read<T: LinalgScalar, const L: usize>(
    reader: &Reader<'_, T, L>,
    index: [LoopIndex; L],
) -> T {
    reader.at(index)
}

/// `writer.set(index, value)`, as a function (see [`read`]).
///
/// ```
/// use einsum_runtime::emitted::{upto, write};
/// use einsum_runtime::shape::Site;
/// use einsum_runtime::strided::LoopSpace;
/// use einsum_runtime::view::ViewMut;
/// const SITE: Site = Site { subscripts: "i", operands: &["x"] };
/// let mut x = ndarray::arr1(&[1.0, 2.0]);
/// let space = LoopSpace::new([2]);
/// let mut view = ViewMut::new(&mut x, [2], &SITE, "x").unwrap();
/// let i = upto(2).next().unwrap(); // index 0
/// write(&mut view.writer_in(&space, [0], [0]), [i], 5.0);
/// assert_eq!(x, ndarray::arr1(&[5.0, 2.0]));
/// ```
#[cfg_attr(debug_assertions, inline)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub fn write<T: LinalgScalar, const F: usize>(
    writer: &mut Writer<'_, T, F>,
    index: [LoopIndex; F],
    value: T,
) {
    writer.set(index, value)
}

/// `writer.add(index, value)`, as a function (see [`read`]).
///
/// ```
/// use einsum_runtime::emitted::{accumulate, upto};
/// use einsum_runtime::shape::Site;
/// use einsum_runtime::strided::LoopSpace;
/// use einsum_runtime::view::ViewMut;
/// const SITE: Site = Site { subscripts: "i", operands: &["x"] };
/// let mut x = ndarray::arr1(&[1.0, 2.0]);
/// let space = LoopSpace::new([2]);
/// let mut view = ViewMut::new(&mut x, [2], &SITE, "x").unwrap();
/// let i = upto(2).last().unwrap(); // index 1
/// accumulate(&mut view.writer_in(&space, [0], [0]), [i], 5.0);
/// assert_eq!(x, ndarray::arr1(&[1.0, 7.0]));
/// ```
#[cfg_attr(debug_assertions, inline)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub fn accumulate<T: LinalgScalar, const F: usize>(
    writer: &mut Writer<'_, T, F>,
    index: [LoopIndex; F],
    value: T,
) {
    writer.add(index, value)
}

/// An index of one of the emitted loops, made only by [`upto`]: below the
/// size of its loop, which it carries. An accessor indexed by it checks
/// that this size is at most its own for that loop: the index is then in
/// range.
///
/// ```
/// use einsum_runtime::emitted::upto;
/// let indices: Vec<usize> = upto(3).map(|i| i.get()).collect();
/// assert_eq!(indices, [0, 1, 2]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoopIndex {
    /// Below `size`.
    value: usize,
    size: usize,
}

impl LoopIndex {
    /// The index.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn get(self) -> usize {
        self.value
    }
}

/// The indices of a loop of `size`, in order: what emitted loops iterate
/// over, `for i in upto(n)` for `for i in 0..n`.
///
/// ```
/// use einsum_runtime::emitted::upto;
/// assert_eq!(upto(0).count(), 0);
/// assert_eq!(upto(4).map(|i| i.get()).sum::<usize>(), 6);
/// ```
#[cfg_attr(debug_assertions, inline)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub fn upto(size: usize) -> LoopIndices {
    LoopIndices { next: 0, size }
}

/// The iterator [`upto`] returns.
#[derive(Debug, Clone)]
pub struct LoopIndices {
    next: usize,
    size: usize,
}

impl Iterator for LoopIndices {
    type Item = LoopIndex;

    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn next(&mut self) -> Option<LoopIndex> {
        if self.next < self.size {
            let value = self.next;
            self.next += 1;
            Some(LoopIndex {
                value,
                size: self.size,
            })
        } else {
            None
        }
    }
}

/// The offset of `index` along `strides`, each index checked against the
/// loop sizes `sizes` of the accessor.
///
/// # Panics
/// If an index comes from a loop longer than the accessor's.
#[cfg_attr(debug_assertions, inline)]
#[cfg_attr(not(debug_assertions), inline(always))]
fn offset_of<const L: usize>(
    index: &[LoopIndex; L],
    sizes: &[usize; L],
    strides: &[isize; L],
) -> isize {
    let mut offset = 0isize;
    for ((i, &size), &stride) in index.iter().zip(sizes).zip(strides) {
        if i.size > size {
            index_out_of_loop();
        }
        offset += i.value as isize * stride;
    }
    offset
}

#[cold]
#[inline(never)]
fn index_out_of_loop() -> ! {
    panic!("einsum: index out of its loop")
}

/// An input of a step, read one element at a time by index of the loops it
/// has axes on ([`View::reader_in`]).
///
/// ```
/// use einsum_runtime::shape::Site;
/// use einsum_runtime::strided::LoopSpace;
/// use einsum_runtime::view::View;
/// use einsum_runtime::emitted::upto;
/// const SITE: Site = Site { subscripts: "ij->ji", operands: &["a"] };
/// let a = ndarray::arr2(&[[1.0, 2.0], [3.0, 4.0]]);
/// let space = LoopSpace::new([2, 2]); // j, i
/// let view = View::<f64, 2>::new(&a, &SITE, 0).unwrap();
/// let a = view.reader_in(&space, [1, 0], [0, 1]);
/// let (j, i) = (upto(2).next().unwrap(), upto(2).last().unwrap());
/// assert_eq!(a.at([j, i]), 3.0);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a, T, const L: usize> {
    ptr: *const T,
    strides: [isize; L],
    sizes: [usize; L],
    life: PhantomData<&'a T>,
}

// No bound on the element type here, and bounds on the methods rather
// than their impls: generic code without `T: Element` then gets the one
// error about that bound (see `crate::operand`), not one per method.
impl<'a, T, const R: usize> View<'a, T, R> {
    /// This input for emitted loops over `space`, read by index of the
    /// loops `loops` only: axis `a` walks loop `axis_loops[a]`, and `loops`
    /// are the distinct loops of `axis_loops` (two axes on one loop read a
    /// diagonal; an axis of length 1 is broadcast). Indexing an input by its
    /// own loops alone keeps the emitted loops' offsets to the strides that
    /// move it.
    ///
    /// # Panics
    /// If an axis length is neither its loop's size nor 1, or an axis is on
    /// a loop `loops` does not name.
    ///
    /// ```
    /// use einsum_runtime::emitted::upto;
    /// use einsum_runtime::shape::Site;
    /// use einsum_runtime::strided::LoopSpace;
    /// use einsum_runtime::view::View;
    /// const SITE: Site = Site { subscripts: "ii->", operands: &["a"] };
    /// let a = ndarray::arr2(&[[1.0, 2.0], [3.0, 4.0]]);
    /// let space = LoopSpace::new([2]); // i
    /// let view = View::<f64, 2>::new(&a, &SITE, 0).unwrap();
    /// let diagonal = view.reader_in(&space, [0, 0], [0]);
    /// let trace: f64 = upto(2).map(|i| diagonal.at([i])).sum();
    /// assert_eq!(trace, 5.0);
    /// ```
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn reader_in<const L: usize, const K: usize>(
        &self,
        space: &LoopSpace<L>,
        axis_loops: [usize; R],
        loops: [usize; K],
    ) -> Reader<'a, T, K> {
        let (strides, sizes) =
            along_loops(&self.shape, &self.strides, space, axis_loops, loops, false);
        Reader {
            ptr: self.ptr,
            strides,
            sizes,
            life: PhantomData,
        }
    }
}

impl<'a, T, const R: usize> ViewMut<'a, T, R> {
    /// This output for emitted loops over `space`, written by index of the
    /// loops `loops` only: axis `a` is on loop `axis_loops[a]`, and `loops`
    /// are the distinct loops of `axis_loops` (see [`View::reader_in`]).
    ///
    /// # Panics
    /// If an axis length is not its loop's size, or an axis is on a loop
    /// `loops` does not name.
    ///
    /// ```
    /// use einsum_runtime::emitted::upto;
    /// use einsum_runtime::shape::Site;
    /// use einsum_runtime::strided::LoopSpace;
    /// use einsum_runtime::view::ViewMut;
    /// const SITE: Site = Site { subscripts: "ij->ji", operands: &["a"] };
    /// let mut t = ndarray::Array2::<f64>::zeros((2, 3));
    /// let space = LoopSpace::new([3, 2]); // j, i
    /// let mut view = ViewMut::new(&mut t, [2, 3], &SITE, "t").unwrap();
    /// let mut out = view.writer_in(&space, [1, 0], [0, 1]);
    /// let (j, i) = (upto(3).last().unwrap(), upto(2).next().unwrap());
    /// out.set([j, i], 7.0);
    /// assert_eq!(t[[0, 2]], 7.0);
    /// ```
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn writer_in<const L: usize, const K: usize>(
        &mut self,
        space: &LoopSpace<L>,
        axis_loops: [usize; R],
        loops: [usize; K],
    ) -> Writer<'_, T, K> {
        let (strides, sizes) =
            along_loops(&self.shape, &self.strides, space, axis_loops, loops, true);
        Writer {
            ptr: self.ptr,
            strides,
            sizes,
            life: PhantomData,
        }
    }
}

impl<T, const L: usize> Reader<'_, T, L> {
    /// The element at `index` (one index per loop).
    ///
    /// # Panics
    /// If an index comes from a loop longer than this input's.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn at(&self, index: [LoopIndex; L]) -> T
    where
        T: LinalgScalar,
    {
        let offset = offset_of(&index, &self.sizes, &self.strides);
        // SAFETY: every index is below the size of the loop it came from,
        // which is at most this input's size for that loop, and the strides
        // were checked against those sizes for every loop the array has an
        // axis on (`along_loops`): the offset addresses an element of the
        // array, which the borrow keeps alive.
        unsafe { *self.ptr.offset(offset) }
    }
}

/// The output of a step, written one element at a time by index of the
/// loops it has axes on ([`ViewMut::writer_in`]).
///
/// ```
/// use einsum_runtime::shape::Site;
/// use einsum_runtime::strided::LoopSpace;
/// use einsum_runtime::view::ViewMut;
/// use einsum_runtime::emitted::upto;
/// const SITE: Site = Site { subscripts: "ij->i", operands: &["a"] };
/// let mut r = ndarray::Array1::<f64>::zeros(2);
/// let space = LoopSpace::new([2, 3]); // i, j (summed)
/// let mut view = ViewMut::new(&mut r, [2], &SITE, "r").unwrap();
/// let mut out = view.writer_in(&space, [0], [0]);
/// let i = upto(2).last().unwrap(); // index 1
/// out.set([i], 5.0);
/// out.add([i], 1.0);
/// assert_eq!(r, ndarray::arr1(&[0.0, 6.0]));
/// ```
#[derive(Debug)]
pub struct Writer<'a, T, const F: usize> {
    ptr: *mut T,
    strides: [isize; F],
    sizes: [usize; F],
    life: PhantomData<&'a mut T>,
}

impl<T, const F: usize> Writer<'_, T, F> {
    /// `out[index] = value`.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn set(&mut self, index: [LoopIndex; F], value: T)
    where
        T: LinalgScalar,
    {
        let offset = offset_of(&index, &self.sizes, &self.strides);
        // SAFETY: as for `Reader::at`, the offset addresses an element of
        // the array (`along_loops`), which is borrowed mutably (no input
        // aliases it) and holds initialized elements (a `ViewMut` is made
        // from an array).
        unsafe { self.ptr.offset(offset).write(value) }
    }

    /// `out[index] = out[index] + value`.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn add(&mut self, index: [LoopIndex; F], value: T)
    where
        T: LinalgScalar,
    {
        let offset = offset_of(&index, &self.sizes, &self.strides);
        // SAFETY: as for `set`.
        unsafe {
            let at = self.ptr.offset(offset);
            at.write(crate::scalar::add(at.read(), value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::upto;
    use crate::shape::Site;
    use crate::strided::LoopSpace;
    use crate::view::{View, ViewMut};
    use ndarray::{s, Array2};

    const SITE: Site = Site {
        subscripts: "ij,jk->ik",
        operands: &["a", "b"],
    };

    /// The loops the macro emits for `ij,jk->ik`, on a reversed, strided
    /// operand and a transposed output.
    #[test]
    fn emitted_matrix_product_matches_the_definition() {
        let a = Array2::from_shape_fn((3, 5), |(i, j)| (i * 5 + j) as f64 - 4.0);
        let b = Array2::from_shape_fn((4, 6), |(j, k)| (j * 6 + k) as f64 * 0.5);
        let b = b.slice(s![..;-1, ..;2]);
        let mut c = Array2::<f64>::from_elem((3, 3), f64::NAN);
        let mut ct = c.view_mut().reversed_axes();
        let space = LoopSpace::new([3, 3, 4]); // i, k, j
        let a_columns = a.slice(s![.., ..4]);
        let (va, vb) = (
            View::<f64, 2>::new(&a_columns, &SITE, 0).unwrap(),
            View::<f64, 2>::new(&b, &SITE, 1).unwrap(),
        );
        let mut out = ViewMut::new(&mut ct, [3, 3], &SITE, "c").unwrap();
        let mut w = out.writer_in(&space, [1, 0], [1, 0]);
        let (ra, rb) = (
            va.reader_in(&space, [0, 2], [0, 2]),
            vb.reader_in(&space, [2, 1], [2, 1]),
        );
        for i in upto(3) {
            for k in upto(3) {
                let mut acc = 0.0;
                for j in upto(4) {
                    acc += ra.at([i, j]) * rb.at([j, k]);
                }
                w.set([k, i], acc);
            }
        }
        for i in 0..3 {
            for k in 0..3 {
                let expected: f64 = (0..4).map(|j| a[[i, j]] * b[[j, k]]).sum();
                // `ct` is `c` transposed, and its axes are on loops k, i.
                assert_eq!(c[[i, k]], expected);
            }
        }
    }

    /// `reader_in` and `writer_in` on a diagonal of a reversed, strided
    /// operand, a broadcast axis and a transposed output, indexed by each
    /// operand's own loops: `ii,kj->jk` with `j` of length 1 in the second
    /// operand (stretched to 3).
    #[test]
    fn per_operand_accessors_read_diagonals_broadcasts_and_write_transposed() {
        let a = Array2::from_shape_fn((9, 7), |(i, j)| (i * 7 + j) as f64);
        let a = a.slice(s![..;-2, 1..;2]); // 5 x 3, negative row stride
        let a = a.slice(s![..3, ..]); // 3 x 3
        let b = Array2::from_shape_fn((4, 1), |(k, _)| k as f64 + 0.5);
        let mut c = Array2::<f64>::from_elem((3, 4), f64::NAN);
        let space = LoopSpace::new([3, 4, 3]); // j, k, i
        let va = View::<f64, 2>::new(&a, &SITE, 0).unwrap();
        let vb = View::<f64, 2>::new(&b, &SITE, 1).unwrap();
        let ra = va.reader_in(&space, [2, 2], [2]);
        let rb = vb.reader_in(&space, [1, 0], [1, 0]);
        let mut out = ViewMut::new(&mut c, [3, 4], &SITE, "c").unwrap();
        let mut w = out.writer_in(&space, [0, 1], [0, 1]);
        for j in upto(3) {
            for k in upto(4) {
                let mut acc = 0.0;
                for i in upto(3) {
                    acc += ra.at([i]) * rb.at([k, j]);
                }
                w.set([j, k], acc);
            }
        }
        let trace: f64 = (0..3).map(|i| a[[i, i]]).sum();
        for j in 0..3 {
            for k in 0..4 {
                assert_eq!(c[[j, k]], trace * b[[k, 0]], "c[{j}, {k}]");
            }
        }
    }

    #[test]
    #[should_panic(expected = "which the accessor does not index")]
    fn a_reader_must_index_every_loop_its_axes_are_on() {
        let a = Array2::<f64>::zeros((2, 3));
        let space = LoopSpace::new([2, 3]);
        let view = View::<f64, 2>::new(&a, &SITE, 0).unwrap();
        let _ = view.reader_in(&space, [0, 1], [0]);
    }

    #[test]
    #[should_panic(expected = "einsum: axis of length 3 mapped to a loop of size 2")]
    fn a_writer_needs_every_axis_at_its_loops_size() {
        let mut c = Array2::<f64>::zeros((3, 1));
        let space = LoopSpace::new([2, 1]);
        let mut view = ViewMut::new(&mut c, [3, 1], &SITE, "c").unwrap();
        let _ = view.writer_in(&space, [0, 1], [0, 1]);
    }

    #[test]
    #[should_panic(expected = "index out of its loop")]
    fn an_index_from_a_longer_loop_panics() {
        let a = Array2::<f64>::zeros((2, 2));
        let space = LoopSpace::new([2, 2]);
        let view = View::<f64, 2>::new(&a, &SITE, 0).unwrap();
        let (i, j) = (upto(2).next().unwrap(), upto(3).last().unwrap());
        let _ = view.reader_in(&space, [0, 1], [0, 1]).at([i, j]);
    }
}
