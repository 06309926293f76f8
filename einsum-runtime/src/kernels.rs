//! Loop-nest kernels: the steps that are not handed to GEMM.
//!
//! A step is described by a [`LoopSpace`](crate::strided::LoopSpace) of `L`
//! loops: the first `n_free` loops index the output, the others are summed.
//! Every operand carries one stride per loop (zero where it does not depend on
//! the loop), so one kernel covers products, diagonals, traces, transposes,
//! broadcasting and reductions alike.

use crate::reduce::{product, reduce};
use crate::scalar::{add, is_complex, is_one, is_unit_coefficient, mul, scale};
use crate::strided::{Strided, StridedMut, PADDED_LOOPS};
use crate::walk::{advance, fill_zero, offset_inputs};
use ndarray::LinalgScalar;
use std::mem::MaybeUninit;

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
/// The loops run in an order chosen from the strides at run time (smallest
/// strides innermost), and the innermost loop is a specialized kernel: a dot
/// product with several accumulators when it is summed, an axpy-like update
/// when it indexes the output, with unit-stride fast paths the compiler
/// vectorizes.
///
/// ```
/// use einsum_runtime::kernels::{contract, Write};
/// use einsum_runtime::shape::Site;
/// use einsum_runtime::strided::LoopSpace;
/// use einsum_runtime::view::{View, ViewMut};
/// const SITE: Site = Site { subscripts: "ij,jk->ik", operands: &["a", "b"] };
/// let a = ndarray::arr2(&[[1.0, 2.0], [3.0, 4.0]]);
/// let mut c = ndarray::Array2::<f64>::zeros((2, 2));
/// // loops: i, k (free), j (summed)
/// let space = LoopSpace::new([2, 2, 2]);
/// let va = View::<f64, 2>::new(&a, &SITE, 0).unwrap();
/// let mut out = ViewMut::new(&mut c, [2, 2], &SITE, "c").unwrap();
/// contract(2, out.in_loops(&space, [0, 1]), [va.in_loops(&space, [0, 2]), va.in_loops(&space, [2, 1])], 1.0, Write::Overwrite);
/// assert_eq!(c, ndarray::arr2(&[[7.0, 10.0], [15.0, 22.0]]));
/// ```
///
/// # Panics
/// If the operands were checked against different loop spaces, or the output
/// has an axis on a summed loop (one of the loops from `n_free` on).
pub fn contract<T: LinalgScalar + Send + Sync, const L: usize, const K: usize>(
    n_free: usize,
    out: StridedMut<'_, T, L>,
    inputs: [Strided<'_, T, L>; K],
    alpha: T,
    write: Write,
) {
    out.assert_inputs_in_space(&inputs);
    out.assert_free_loops(n_free);
    // A constant condition: only the branch taken is compiled.
    if const { L <= PADDED_LOOPS } {
        let space = out.space().padded();
        let pad = PADDED_LOOPS - L;
        let inputs = inputs.map(|input| input.padded(&space));
        contract_padded(n_free + pad, out.padded(&space), inputs, alpha, write);
    } else {
        contract_any(n_free, out, inputs, alpha, write);
    }
}

/// [`contract`] over [`PADDED_LOOPS`] loops: compiled once per element
/// type and input count, out of line.
#[inline(never)]
pub(crate) fn contract_padded<T: LinalgScalar + Send + Sync, const K: usize>(
    n_free: usize,
    out: StridedMut<'_, T, PADDED_LOOPS>,
    inputs: [Strided<'_, T, PADDED_LOOPS>; K],
    alpha: T,
    write: Write,
) {
    contract_any(n_free, out, inputs, alpha, write)
}

/// [`contract`] over any number of loops.
#[inline(always)]
fn contract_any<T: LinalgScalar + Send + Sync, const L: usize, const K: usize>(
    n_free: usize,
    out: StridedMut<'_, T, L>,
    inputs: [Strided<'_, T, L>; K],
    alpha: T,
    write: Write,
) {
    let sizes = out.sizes();
    out.assert_inputs_in_space(&inputs);
    out.assert_free_loops(n_free);
    if sizes[..n_free].contains(&0) {
        return;
    }
    let nothing_to_sum = sizes[n_free..].contains(&0);
    if nothing_to_sum {
        // The value is zero.
        if write == Write::Overwrite {
            // SAFETY: `fill_zero` walks the free loops only, every index of
            // which is in range for the checked output.
            unsafe { fill_zero(&sizes[..n_free], &out.strides()[..n_free], out.ptr()) };
        }
        return;
    }
    let work = sizes.iter().try_fold(1usize, |w, &n| w.checked_mul(n));
    if work.is_some_and(|w| w <= SMALL_WORK) {
        // SAFETY: the output and every input were checked against `sizes`
        // by `in_loops`, and `small` visits each index of the loop space
        // once; the output's `&mut` borrow guarantees no input aliases it.
        unsafe { small(n_free, &out, &inputs, alpha, write) };
        return;
    }
    // SAFETY: checked above.
    unsafe { contract_nest(n_free, out, inputs, alpha, write) }
}

/// `contract` for steps too large for plain loops: a [`Nest`] in an order
/// chosen from the strides, out of line. (The smallest steps do not get
/// here: the macro emits their loops, see `crate::emitted`.)
///
/// # Safety
/// What `contract` checks: the output and the inputs were checked against
/// one loop space, in which the output does not depend on summed loops and
/// no loop is empty.
#[inline(never)]
unsafe fn contract_nest<T: LinalgScalar + Send + Sync, const L: usize, const K: usize>(
    n_free: usize,
    out: StridedMut<'_, T, L>,
    inputs: [Strided<'_, T, L>; K],
    alpha: T,
    write: Write,
) {
    let sizes = *out.sizes();
    let summed = n_free < L;
    if summed && write == Write::Overwrite {
        // SAFETY: `fill_zero` walks the free loops only, every index of
        // which is in range for the checked output.
        unsafe { fill_zero(&sizes[..n_free], &out.strides()[..n_free], out.ptr()) };
    }
    let nest = Nest {
        order: loop_order(&sizes, &out.strides(), &inputs.map(|i| i.strides())),
        sizes,
        out_strides: out.strides(),
        in_strides: inputs.map(|i| i.strides()),
        alpha,
        // With summed loops the output was zeroed above and every loop adds into it.
        write: if summed { Write::Accumulate } else { write },
    };
    let ptrs = inputs.map(|i| i.ptr());
    #[cfg(feature = "threading")]
    if parallel::run(&nest, out.ptr(), ptrs) {
        return;
    }
    // SAFETY: the output and every input were checked against `sizes` by
    // `in_loops`; the nest visits each index of the loop space once, so every
    // pointer it dereferences is inside its array. The output's `&mut` borrow
    // guarantees no input aliases it.
    unsafe { nest.run(out.ptr(), ptrs) };
}

/// Up to this many innermost iterations a step runs as plain loops in the
/// planned order: for tiny arrays (3 x 3 matmul) choosing a loop order and
/// specializing the innermost loop cost more than they save.
const SMALL_WORK: usize = 512;

/// `contract` as plain loops in the planned order, the last loop innermost.
/// With summed loops (the last loop is then summed) each output element is
/// one sum, accumulated in a register and written once; without, the
/// innermost loop writes a row of the output.
///
/// # Safety
/// Every index of the loop space, applied to `out` and `inputs` with their
/// strides, must address an element of its array; no input may alias `out`.
/// With [`Write::Overwrite`] the output may be uninitialized: each element
/// is written before it is read.
#[inline(always)]
unsafe fn small<T: LinalgScalar, const L: usize, const K: usize>(
    n_free: usize,
    out: &StridedMut<'_, T, L>,
    inputs: &[Strided<'_, T, L>; K],
    alpha: T,
    write: Write,
) {
    let sizes = out.sizes();
    let in_strides = inputs.each_ref().map(|i| i.strides());
    let Some(inner) = L.checked_sub(1) else {
        // SAFETY: the single index of an empty loop space is valid.
        unsafe {
            store(
                out.ptr(),
                write,
                scale(
                    alpha,
                    product(inputs.each_ref().map(|i| i.ptr()), 0, [0; K]),
                ),
            )
        };
        return;
    };
    let loops: [usize; L] = std::array::from_fn(|l| l);
    let n = sizes[inner];
    let in_steps: [isize; K] = std::array::from_fn(|k| in_strides[k][inner]);
    let out_strides = out.strides();
    let out_step = out_strides[inner];
    let summed = n_free < L;
    let outer_free = &loops[..n_free.min(inner)];
    let outer_summed = &loops[n_free.min(inner)..inner];
    let (mut o, mut at) = (out.ptr(), inputs.each_ref().map(|i| i.ptr()));
    let mut free_index = [0usize; L];
    let unit = is_unit_coefficient(alpha);
    loop {
        // SAFETY: the outer loops are at in-range indices, and
        // positions 0..n of the innermost loop are in range.
        unsafe {
            if summed {
                let (mut p, mut sum) = (at, T::zero());
                let mut summed_index = [0usize; L];
                loop {
                    sum = add(sum, reduce(p, in_steps, n));
                    if !advance(outer_summed, sizes, &mut summed_index, |l, by| {
                        offset_inputs(&mut p, &in_strides, l, by)
                    }) {
                        break;
                    }
                }
                store(o, write, scale(alpha, sum));
            } else {
                for t in 0..n as isize {
                    let p = product(at, t, in_steps);
                    let value = if unit { p } else { mul(alpha, p) };
                    store(o.wrapping_offset(t * out_step), write, value);
                }
            }
        }
        if !advance(outer_free, sizes, &mut free_index, |l, by| {
            o = o.wrapping_offset(out_strides[l] * by);
            offset_inputs(&mut at, &in_strides, l, by);
        }) {
            return;
        }
    }
}

/// `*out (=|+=) value`; with [`Write::Overwrite`], `*out` may be uninitialized.
///
/// # Safety
/// `out` must be in bounds and writable.
#[inline(always)]
unsafe fn store<T: LinalgScalar>(out: *mut T, write: Write, value: T) {
    // SAFETY: the caller guarantees `out` is in bounds.
    unsafe {
        match write {
            Write::Overwrite => out.write(value),
            Write::Accumulate => *out = add(*out, value),
        }
    }
}

/// Below this many innermost iterations a nest or a fused pass stays on
/// one thread (`threading` feature). Under Miri it is small enough for the
/// unit tests to take the threaded paths.
#[cfg(feature = "threading")]
pub(crate) const MIN_PARALLEL_WORK: usize = if cfg!(miri) { 1 << 8 } else { 1 << 18 };

/// With the `threading` feature, large loop nests split their outermost
/// output loop between rayon's threads.
#[cfg(feature = "threading")]
mod parallel {
    use super::{Nest, MIN_PARALLEL_WORK};
    use crate::walk::StepPointers;
    use ndarray::LinalgScalar;

    /// Pointers moved into the worker threads.
    struct Shared<T, const K: usize>(StepPointers<T, K>);
    // SAFETY: the workers only read through the input pointers and write
    // disjoint output elements (see `run`), and the caller's borrows outlive
    // the scope that joins them.
    unsafe impl<T: Send + Sync, const K: usize> Send for Shared<T, K> {}
    // SAFETY: as for `Send`: shared between the workers, the pointers are
    // only read through and written at disjoint elements.
    unsafe impl<T: Send + Sync, const K: usize> Sync for Shared<T, K> {}

    /// Runs `nest` on several threads when it is large and has an output loop
    /// of length two or more to split; returns whether it did.
    pub(super) fn run<T: LinalgScalar + Send + Sync, const L: usize, const K: usize>(
        nest: &Nest<T, L, K>,
        out: *mut T,
        inputs: [*const T; K],
    ) -> bool {
        // Saturating: broadcast loops may multiply past `usize::MAX`.
        let work = nest.sizes.iter().fold(1usize, |w, &n| w.saturating_mul(n));
        let threads = rayon::current_num_threads();
        let split = nest
            .order
            .iter()
            .copied()
            .find(|&l| nest.out_strides[l] != 0 && nest.sizes[l] >= 2);
        let Some(l) = split else { return false };
        if threads < 2 || work < MIN_PARALLEL_WORK {
            return false;
        }
        let n = nest.sizes[l];
        let chunk = n.div_ceil(threads);
        let shared = Shared(StepPointers { out, inputs });
        let shared = &shared;
        rayon::scope(|scope| {
            for start in (0..n).step_by(chunk) {
                let len = chunk.min(n - start);
                scope.spawn(move |_| {
                    let mut part = Nest { ..*nest };
                    part.sizes[l] = len;
                    let at = start as isize;
                    let StepPointers { out, inputs } = shared.0;
                    let out = out.wrapping_offset(at * nest.out_strides[l]);
                    let inputs: [*const T; K] = std::array::from_fn(|k| {
                        inputs[k].wrapping_offset(at * nest.in_strides[k][l])
                    });
                    // SAFETY: the part is the nest restricted to indices
                    // start..start + len of output loop `l`, a sub-range of the
                    // checked loop space; parts write disjoint output elements
                    // because `l` indexes the output (nonzero stride of an
                    // array without overlapping elements).
                    unsafe { part.run(out, inputs) };
                });
            }
        });
        true
    }
}

/// The loops ordered outermost first. Innermost go the loops along which
/// some operand (or the output) is contiguous, so that at least one array is
/// streamed (the tiling in [`Nest`] then keeps the others in cache); among
/// those, the smallest total stride goes inside. On a tie a summed loop goes
/// inside, for a dot product in registers, else a loop along which the output
/// is contiguous: in a transpose the tiles then write whole output lines while
/// the second loop reads input rows in order (`ijk->kji` at n = 120: 1.4x
/// faster than reading a line per step and writing rows); loops of length 1
/// go outermost.
fn loop_order<const L: usize, const K: usize>(
    sizes: &[usize; L],
    out_strides: &[isize; L],
    in_strides: &[[isize; L]; K],
) -> [usize; L] {
    let weight = |l: usize| {
        let strides = std::iter::once(out_strides[l])
            .chain(in_strides.iter().map(|s| s[l]))
            .map(isize::unsigned_abs);
        let smallest = strides
            .clone()
            .filter(|&s| s != 0)
            .min()
            .unwrap_or(usize::MAX);
        let total: usize = strides.sum();
        (
            sizes[l] > 1,
            std::cmp::Reverse(smallest),
            std::cmp::Reverse(total),
            out_strides[l] == 0,
            out_strides[l].unsigned_abs() == smallest,
        )
    };
    let mut order: [usize; L] = std::array::from_fn(|l| l);
    order.sort_by_key(|&l| weight(l));
    order
}

/// A loop nest over a checked loop space, in a chosen order.
#[derive(Clone, Copy)]
pub(crate) struct Nest<T, const L: usize, const K: usize> {
    pub(crate) order: [usize; L],
    pub(crate) sizes: [usize; L],
    pub(crate) out_strides: [isize; L],
    pub(crate) in_strides: [[isize; L]; K],
    pub(crate) alpha: T,
    pub(crate) write: Write,
}

impl<T: LinalgScalar, const L: usize, const K: usize> Nest<T, L, K> {
    /// # Safety
    /// Every index of the loop space, applied to `out` and `inputs` with the
    /// nest's strides, must address an element of its array.
    pub(crate) unsafe fn run(&self, mut out: *mut T, mut inputs: [*const T; K]) {
        if L == 0 {
            // SAFETY: the single index of an empty loop space is valid.
            unsafe { self.innermost(out, inputs, 1, 0, [0; K]) };
            return;
        }
        let tiled = self.tiles_two_innermost();
        let outer = &self.order[..L - if tiled { 2 } else { 1 }];
        let mut index = [0usize; L];
        loop {
            // SAFETY: the outer loops are at in-range indices; the inner ones
            // cover exactly their own ranges.
            unsafe {
                if tiled {
                    self.two_innermost_tiled(out, inputs);
                } else {
                    self.innermost_of(
                        self.order[L - 1],
                        out,
                        inputs,
                        0,
                        self.sizes[self.order[L - 1]],
                    );
                }
            }
            if !advance(outer, &self.sizes, &mut index, |l, by| {
                out = out.wrapping_offset(self.out_strides[l] * by);
                offset_inputs(&mut inputs, &self.in_strides, l, by);
            }) {
                return;
            }
        }
    }

    /// Whether an operand walks the innermost loop with a long stride (a
    /// column, while another operand reads rows): then the innermost loop is
    /// cut into tiles and the second loop runs inside each tile, so the lines
    /// the long stride touches are reused from cache (`ij->ji`, `ij,ji->i`).
    fn tiles_two_innermost(&self) -> bool {
        if L < 2 {
            return false;
        }
        let (inner, second) = (self.order[L - 1], self.order[L - 2]);
        let long = |s: isize| s.unsigned_abs() >= LONG_STRIDE;
        let long_inner =
            long(self.out_strides[inner]) || self.in_strides.iter().any(|s| long(s[inner]));
        long_inner && self.sizes[inner] > TILE && self.sizes[second] > 1
    }

    /// The two innermost loops, the innermost cut into tiles of [`TILE`].
    ///
    /// # Safety
    /// As for [`Nest::run`], with the outer loops at in-range indices.
    unsafe fn two_innermost_tiled(&self, out: *mut T, inputs: [*const T; K]) {
        let inner = self.order[L - 1];
        let out_step = self.out_strides[inner];
        let elementwise = out_step != 0 && self.in_strides.iter().all(|s| s[inner] != 0);
        // SAFETY: as for this function; each call below walks
        // the two innermost loops over their whole ranges.
        unsafe {
            if !elementwise {
                self.tiles(out, inputs, |o, ins, start, len| {
                    self.innermost_of(inner, o, ins, start, len)
                });
                return;
            }
            // Transposes and elementwise products (every operand moves along
            // the tile): one plain loop per tile row, specialized for the
            // write mode and a unit coefficient and unrolled for whole tiles;
            // the general `innermost_of` set-up (hoisting operands that stay
            // put) cost a third of `ijk->kji`'s time for rows of eight.
            let alpha = self.alpha;
            match (self.write, is_one(alpha)) {
                (Write::Overwrite, true) => self.elementwise_tiles(out, inputs, |o, v| o.write(v)),
                (Write::Overwrite, false) => {
                    self.elementwise_tiles(out, inputs, |o, v| o.write(mul(alpha, v)))
                }
                // Complex only (see `is_unit_coefficient`): false at compile
                // time for the other types, which multiply by one exactly.
                (Write::Accumulate, true) if is_unit_coefficient(alpha) => {
                    self.elementwise_tiles(out, inputs, |o, v| *o = add(*o, v))
                }
                (Write::Accumulate, _) => {
                    self.elementwise_tiles(out, inputs, |o, v| *o = add(*o, mul(alpha, v)))
                }
            }
        }
    }

    /// The tiles of [`Nest::two_innermost_tiled`]: for each tile of the
    /// innermost loop, `row(out, inputs, start, len)` once per index of the
    /// second loop, with the pointers at that index.
    ///
    /// # Safety
    /// As for [`Nest::run`], with the outer loops at in-range indices;
    /// `row` may dereference positions `start..start + len` of the innermost loop.
    #[inline(always)]
    unsafe fn tiles(
        &self,
        out: *mut T,
        inputs: [*const T; K],
        mut row: impl FnMut(*mut T, [*const T; K], usize, usize),
    ) {
        let (inner, second) = (self.order[L - 1], self.order[L - 2]);
        let n = self.sizes[inner];
        for start in (0..n).step_by(TILE) {
            let len = TILE.min(n - start);
            let (mut o, mut ins) = (out, inputs);
            for _ in 0..self.sizes[second] {
                row(o, ins, start, len);
                o = o.wrapping_offset(self.out_strides[second]);
                for (ptr, s) in ins.iter_mut().zip(&self.in_strides) {
                    *ptr = ptr.wrapping_offset(s[second]);
                }
            }
        }
    }

    /// Elementwise tile rows: `put(out + t, prod_k inputs[k] + t)` for each
    /// position `t` of the tile.
    ///
    /// # Safety
    /// As for [`Nest::tiles`]; `put` receives in-bounds output pointers.
    #[inline(always)]
    unsafe fn elementwise_tiles(
        &self,
        out: *mut T,
        inputs: [*const T; K],
        put: impl Fn(*mut T, T),
    ) {
        let inner = self.order[L - 1];
        let out_step = self.out_strides[inner];
        let in_steps: [isize; K] = std::array::from_fn(|k| self.in_strides[k][inner]);
        // SAFETY: `tiles` hands out the positions start..start + len of the
        // innermost loop, in range by its contract.
        unsafe {
            self.tiles(out, inputs, |o, ins, start, len| {
                let at = start as isize;
                let o = o.wrapping_offset(at * out_step);
                let ins: [*const T; K] =
                    std::array::from_fn(|k| ins[k].wrapping_offset(at * in_steps[k]));
                if len == TILE {
                    for t in 0..TILE as isize {
                        put(o.wrapping_offset(t * out_step), product(ins, t, in_steps));
                    }
                } else {
                    for t in 0..len as isize {
                        put(o.wrapping_offset(t * out_step), product(ins, t, in_steps));
                    }
                }
            });
        }
    }

    /// The innermost loop `l` over positions `start..start + len`.
    ///
    /// # Safety
    /// Those positions must be in range for loop `l`, the others at in-range indices.
    #[inline]
    pub(crate) unsafe fn innermost_of(
        &self,
        l: usize,
        out: *mut T,
        inputs: [*const T; K],
        start: usize,
        len: usize,
    ) {
        let at = start as isize;
        let in_steps: [isize; K] = std::array::from_fn(|k| self.in_strides[k][l]);
        let inputs: [*const T; K] =
            std::array::from_fn(|k| inputs[k].wrapping_offset(at * in_steps[k]));
        let out = out.wrapping_offset(at * self.out_strides[l]);
        // SAFETY: positions start..start + len of loop `l` are in range.
        unsafe { self.innermost(out, inputs, len, self.out_strides[l], in_steps) }
    }

    /// The innermost loop: `n` iterations with the given strides.
    ///
    /// # Safety
    /// All `n` positions of `out` and of every input must be in bounds, and
    /// `n` must be at least one: an operand that does not move (and, for a
    /// summed loop, the output) is accessed at position 0 whatever `n`.
    #[inline]
    pub(crate) unsafe fn innermost(
        &self,
        out: *mut T,
        inputs: [*const T; K],
        n: usize,
        out_step: isize,
        in_steps: [isize; K],
    ) {
        if out_step == 0 {
            // A summed loop: a reduction into one output element.
            // SAFETY: positions 0..n of every input and position 0 of `out`
            // are in bounds (the caller's contract).
            unsafe { self.store(out, reduce(inputs, in_steps, n)) };
            return;
        }
        // A free loop: hoist the operands that do not move along it into
        // `factor`, the coefficient times those operands. While `unit`, it
        // is still a unit coefficient, which is not multiplied (see
        // `is_unit_coefficient`).
        let mut factor = self.alpha;
        let mut unit = is_unit_coefficient(factor);
        let mut moving = [Moving {
            ptr: std::ptr::null::<T>(),
            step: 0,
        }; K];
        let mut count = 0;
        for k in 0..K {
            if in_steps[k] == 0 {
                // SAFETY: position 0 of every input is in bounds (n >= 1).
                let x = unsafe { *inputs[k] };
                factor = if unit { x } else { mul(factor, x) };
                unit = false;
            } else {
                moving[count] = Moving {
                    ptr: inputs[k],
                    step: in_steps[k],
                };
                count += 1;
            }
        }
        // `factor * x`, or `x` while `factor` is a unit coefficient.
        let times = |x: T| if unit { x } else { mul(factor, x) };
        match count {
            0 => {
                // SAFETY: positions 0..n of `out` are in bounds.
                unsafe {
                    for t in 0..n as isize {
                        self.store_scaled(out.offset(t * out_step), factor);
                    }
                }
            }
            1 => {
                let Moving { ptr: x, step: sx } = moving[0];
                if out_step == 1 && sx == 1 && self.write == Write::Accumulate {
                    // SAFETY: positions 0..n of `out` and `x` are in bounds
                    // and, with unit steps, contiguous; the output's `&mut`
                    // borrow guarantees that `x` does not alias it, and an
                    // accumulated output is initialized.
                    let (out, x) = unsafe {
                        (
                            std::slice::from_raw_parts_mut(out, n),
                            std::slice::from_raw_parts(x, n),
                        )
                    };
                    // A complex `factor` of one is skipped only while it
                    // is a unit coefficient: `1 * x` is not `x` for them.
                    if unit || (!is_complex::<T>() && is_one(factor)) {
                        // Column sums and the like: skipping the
                        // multiplication is 25% faster (ij->j).
                        for (o, &v) in out.iter_mut().zip(x) {
                            *o = add(*o, v);
                        }
                    } else {
                        for (o, &v) in out.iter_mut().zip(x) {
                            *o = add(*o, mul(factor, v));
                        }
                    }
                } else if out_step == 1 && sx == 1 {
                    // Rows of outer products and scaled copies: slices
                    // let the compiler unroll without alias checks
                    // (`i,j->ij` took 1.5x a hand loop without). The
                    // output may be uninitialized, hence `MaybeUninit`.
                    // SAFETY: as above; `MaybeUninit<T>` has the layout of
                    // `T` and no validity requirement.
                    let (out, x) = unsafe {
                        (
                            std::slice::from_raw_parts_mut(out.cast::<MaybeUninit<T>>(), n),
                            std::slice::from_raw_parts(x, n),
                        )
                    };
                    for (o, &v) in out.iter_mut().zip(x) {
                        o.write(times(v));
                    }
                } else {
                    // SAFETY: positions 0..n of `out` and `x` are in bounds.
                    unsafe {
                        for t in 0..n as isize {
                            self.store_scaled(out.offset(t * out_step), times(*x.offset(t * sx)));
                        }
                    }
                }
            }
            2 => {
                let Moving { ptr: x, step: sx } = moving[0];
                let Moving { ptr: y, step: sy } = moving[1];
                match self.write {
                    // SAFETY: positions 0..n of `out`, `x` and `y` are in
                    // bounds, and an accumulated output is initialized.
                    Write::Accumulate => unsafe {
                        for t in 0..n as isize {
                            let o = out.offset(t * out_step);
                            *o = add(*o, times(mul(*x.offset(t * sx), *y.offset(t * sy))));
                        }
                    },
                    // SAFETY: positions 0..n of `out`, `x` and `y` are in
                    // bounds; `T: Copy` has no drop glue, so assigning over
                    // an uninitialized output reads nothing.
                    Write::Overwrite => unsafe {
                        for t in 0..n as isize {
                            *out.offset(t * out_step) =
                                times(mul(*x.offset(t * sx), *y.offset(t * sy)));
                        }
                    },
                }
            }
            // SAFETY: positions 0..n of `out` and of every moving input are
            // in bounds.
            _ => unsafe {
                for t in 0..n as isize {
                    let Moving { ptr: x, step: sx } = moving[0];
                    let mut p = times(*x.offset(t * sx));
                    for &Moving { ptr: x, step: sx } in &moving[1..count] {
                        p = mul(p, *x.offset(t * sx));
                    }
                    self.store_scaled(out.offset(t * out_step), p);
                }
            },
        }
    }

    /// `*out (=|+=) alpha * value`.
    #[inline(always)]
    unsafe fn store(&self, out: *mut T, value: T) {
        // SAFETY: the caller guarantees `out` is in bounds.
        unsafe { self.store_scaled(out, scale(self.alpha, value)) }
    }

    /// `*out (=|+=) value` (already scaled).
    #[inline(always)]
    unsafe fn store_scaled(&self, out: *mut T, value: T) {
        // SAFETY: the caller guarantees `out` is in bounds.
        unsafe {
            *out = match self.write {
                Write::Overwrite => value,
                Write::Accumulate => add(*out, value),
            }
        }
    }
}

/// An input that moves along the innermost loop: where it is, and its step
/// (stride along that loop).
#[derive(Clone, Copy)]
struct Moving<T> {
    ptr: *const T,
    step: isize,
}

/// Strides (in elements) from which a walk along the innermost loop touches a
/// new cache line at every step, and the tile length used then: eight lines
/// live at once, which even a power-of-two stride (all in one cache set)
/// keeps in an 8-way L1 (`ijk->kji` at n = 128 took 1.7x a hand-written
/// transpose with tiles of 64, 1.15x with 8).
pub(crate) const LONG_STRIDE: usize = 16;
pub(crate) const TILE: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::Site;
    use crate::strided::LoopSpace;
    use crate::view::{View, ViewMut};
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
        // Below SMALL_WORK the plain loops run, above it the ordered nest
        // (its tiled, dot and axpy innermost loops).
        let sizes = [
            (0, 3, 2),
            (1, 1, 1),
            (3, 0, 2),
            (2, 5, 3),
            (7, 3, 5),
            (9, 11, 13),
            (1, 701, 1),
            (31, 1, 29),
            (3, 97, 5),
            (70, 2, 67),
        ];
        for &(n, m, p) in &sizes {
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

    /// Large enough (over 2^18 iterations) for the `threading` feature to
    /// split the nest between threads: integers take the loop kernel, so
    /// run `cargo test -p einsum-runtime --features threading` too.
    #[test]
    fn large_integer_nest_matches_loops() {
        // Under Miri, which runs it a thousand times slower, 9^3 iterations:
        // still past SMALL_WORK, and past MIN_PARALLEL_WORK for threads.
        let n = if cfg!(miri) { 9 } else { 70 };
        let a = Array2::from_shape_fn((n, n), |(i, j)| (i * 7 + j * 3) as i64 % 11 - 5);
        let b_full = Array2::from_shape_fn((n, n).f(), |(i, j)| (i * 5 + j) as i64 % 13 - 6);
        let b = b_full.slice(s![..;-1, ..]);
        let space = LoopSpace::new([n, n, n]);
        let va = View::<i64, 2>::new(&a, &SITE, 0).unwrap();
        let vb = View::<i64, 2>::new(&b, &SITE, 1).unwrap();
        for write in [Write::Overwrite, Write::Accumulate] {
            let mut c = Array2::<i64>::ones((n, n));
            let mut out = ViewMut::new(&mut c, [n, n], &SITE, "c").unwrap();
            contract(
                2,
                out.in_loops(&space, [0, 1]),
                [va.in_loops(&space, [0, 2]), vb.in_loops(&space, [2, 1])],
                3,
                write,
            );
            let base = if write == Write::Accumulate { 1 } else { 0 };
            let want = Array2::from_shape_fn((n, n), |(i, k)| {
                base + 3 * (0..n).map(|j| a[[i, j]] * b[[j, k]]).sum::<i64>()
            });
            assert_eq!(c, want, "{write:?}");
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
        // An empty trace overwrites its output with zero.
        let empty = Array2::<f64>::zeros((0, 0));
        let space = LoopSpace::new([0]);
        let ve = View::<f64, 2>::new(&empty, &SITE, 0).unwrap();
        let mut out = Array::from_elem((), 1.0);
        let mut target = ViewMut::<f64, 0>::new(&mut out, [], &SITE, "out").unwrap();
        contract(
            0,
            target.in_loops(&space, []),
            [ve.in_loops(&space, [0, 0])],
            2.0,
            Write::Overwrite,
        );
        assert_eq!(out.into_scalar(), 0.0);
    }

    /// The plain-loop kernel's branches below `SMALL_WORK`: several summed
    /// loops (one sum per output element, over an odometer), no summed loop
    /// (rows written elementwise), no loop at all; overwriting and
    /// accumulating, through reversed and Fortran-order views, with NaN
    /// padding around the outputs.
    #[test]
    fn plain_loops_sum_write_rows_and_single_elements() {
        for (n, m, p) in [(1, 1, 1), (2, 3, 5), (5, 1, 7), (3, 4, 2)] {
            let full = Array::from_shape_fn((n, m, p).f(), |(i, j, k)| {
                ((i * 31 + j * 7 + k * 3) % 17) as f64 - 8.0
            });
            let a = full.slice(s![.., ..;-1, ..]);
            let va = View::<f64, 3>::new(&a, &SITE, 0).unwrap();
            for write in [Write::Overwrite, Write::Accumulate] {
                // ijk->i: loops i (free), j, k (summed).
                let mut padded = Array1::from_elem(n + 2, f64::NAN);
                padded.slice_mut(s![1..n + 1]).fill(1.0);
                let mut target = padded.slice_mut(s![1..n + 1;-1]);
                let space = LoopSpace::new([n, m, p]);
                let mut out = ViewMut::new(&mut target, [n], &SITE, "out").unwrap();
                contract(
                    1,
                    out.in_loops(&space, [0]),
                    [va.in_loops(&space, [0, 1, 2])],
                    2.0,
                    write,
                );
                let base = if write == Write::Accumulate { 1.0 } else { 0.0 };
                let want = Array1::from_shape_fn(n, |i| base + 2.0 * a.slice(s![i, .., ..]).sum());
                assert_eq!(target, want, "ijk->i {write:?}");
                assert!(padded[0].is_nan() && padded[n + 1].is_nan());

                // ijk,ijk->kji: every loop free, the output transposed.
                let mut padded = Array::from_elem((p + 2, m, n), f64::NAN);
                let mut target = padded.slice_mut(s![1..p + 1, .., ..]);
                target.fill(1.0);
                let space = LoopSpace::new([p, m, n]);
                let mut out = ViewMut::new(&mut target, [p, m, n], &SITE, "out").unwrap();
                let [x, y] = [
                    va.in_loops(&space, [2, 1, 0]),
                    va.in_loops(&space, [2, 1, 0]),
                ];
                contract(3, out.in_loops(&space, [0, 1, 2]), [x, y], 3.0, write);
                let want = Array::from_shape_fn((p, m, n), |(k, j, i)| {
                    base + 3.0 * a[[i, j, k]] * a[[i, j, k]]
                });
                assert_eq!(target, want, "ijk,ijk->kji {write:?}");
                let nan_count = padded.iter().filter(|x| x.is_nan()).count();
                assert_eq!(nan_count, 2 * m * n, "ijk,ijk->kji {write:?}");
            }
        }
        // ",->": no loops, the product of two scalars.
        let (x, y) = (Array::from_elem((), 3.0), Array::from_elem((), -4.0));
        let space = LoopSpace::new([]);
        let (vx, vy) = (
            View::<f64, 0>::new(&x, &SITE, 0).unwrap(),
            View::<f64, 0>::new(&y, &SITE, 1).unwrap(),
        );
        let mut out = Array::from_elem((), 1.0);
        let mut target = ViewMut::<f64, 0>::new(&mut out, [], &SITE, "out").unwrap();
        contract(
            0,
            target.in_loops(&space, []),
            [vx.in_loops(&space, []), vy.in_loops(&space, [])],
            0.5,
            Write::Accumulate,
        );
        assert_eq!(out.into_scalar(), 1.0 + 0.5 * 3.0 * -4.0);
    }

    /// Steps past `SMALL_WORK` whose innermost loop walks an operand with a
    /// long stride: tiled, each tile row a plain loop when every operand
    /// moves along it (`ij->ji`, `ij,ji->ij`), `innermost_of` otherwise
    /// (`ij,i->ji`, a hoisted factor); ragged tiles, reversed and Fortran
    /// views, NaN padding around the output.
    #[test]
    fn tiled_transposes_and_elementwise_products() {
        for (n, m) in [(37, 29), (9, 64), (64, 17)] {
            let data =
                Array2::from_shape_fn((n, m), |(i, j)| ((i * 13 + j * 5) % 23) as f64 - 11.0);
            let fortran = data.t().to_owned().reversed_axes();
            for a in [data.view(), fortran.view(), data.slice(s![..;-1, ..])] {
                let square = Array2::from_shape_fn((m, n), |(j, i)| a[[i, j]] - 1.0);
                let v = Array1::from_shape_fn(n, |i| i as f64 - 3.0);
                let va = View::<f64, 2>::new(&a, &SITE, 0).unwrap();
                let vs = View::<f64, 2>::new(&square, &SITE, 1).unwrap();
                let vv = View::<f64, 1>::new(&v, &SITE, 1).unwrap();
                for write in [Write::Overwrite, Write::Accumulate] {
                    let base = if write == Write::Accumulate { 1.0 } else { 0.0 };
                    // Loops j, i (the output's axes): out[j, i].
                    let space = LoopSpace::new([m, n]);
                    let inputs: [[Strided<f64, 2>; 2]; 2] = [
                        [va.in_loops(&space, [1, 0]), vs.in_loops(&space, [0, 1])],
                        [va.in_loops(&space, [1, 0]), vv.in_loops(&space, [1])],
                    ];
                    let wants = [
                        Array2::from_shape_fn((m, n), |(j, i)| {
                            base + 2.0 * a[[i, j]] * square[[j, i]]
                        }),
                        Array2::from_shape_fn((m, n), |(j, i)| base + 2.0 * a[[i, j]] * v[i]),
                    ];
                    for (inputs, want) in inputs.into_iter().zip(&wants) {
                        let mut padded = Array2::from_elem((m + 2, n), f64::NAN);
                        let mut target = padded.slice_mut(s![1..m + 1, ..]);
                        target.fill(1.0);
                        let mut out = ViewMut::new(&mut target, [m, n], &SITE, "out").unwrap();
                        contract(2, out.in_loops(&space, [0, 1]), inputs, 2.0, write);
                        assert_eq!(&target, want, "{n} x {m} {write:?}");
                        let nan_count = padded.iter().filter(|x| x.is_nan()).count();
                        assert_eq!(nan_count, 2 * n);
                    }
                    // ij->ji alone.
                    let mut target = Array2::from_elem((m, n), 1.0);
                    let mut out = ViewMut::new(&mut target, [m, n], &SITE, "out").unwrap();
                    contract(
                        2,
                        out.in_loops(&space, [0, 1]),
                        [va.in_loops(&space, [1, 0])],
                        1.0,
                        write,
                    );
                    assert_eq!(target, a.t().mapv(|x| base + x), "{n} x {m} {write:?}");
                }
            }
        }
    }

    #[test]
    fn three_axis_transposes_in_tiles() {
        // ijk->kji through the tiled elementwise rows: whole tiles and a
        // partial one (19 = 2 x 8 + 3, 17 = 2 x 8 + 1), C order, Fortran
        // order and reversed axes, the three write variants.
        for (n0, n1, n2) in [(19, 3, 17), (17, 2, 19)] {
            let data = Array::from_shape_fn((n0, n1, n2), |(i, j, k)| {
                ((i * 13 + j * 7 + k * 5) % 29) as f64 - 14.0
            });
            let mut fortran = Array::zeros((n0, n1, n2).f());
            fortran.assign(&data);
            for a in [
                data.view(),
                fortran.view(),
                data.slice(s![..;-1, .., ..;-1]),
            ] {
                let va = View::<f64, 3>::new(&a, &SITE, 0).unwrap();
                // Loops k, j, i (the output's axes): out[k, j, i] = a[i, j, k].
                let space = LoopSpace::new([n2, n1, n0]);
                for (alpha, write) in [
                    (1.0, Write::Overwrite),
                    (2.0, Write::Overwrite),
                    (2.0, Write::Accumulate),
                ] {
                    let base = if write == Write::Accumulate { 1.0 } else { 0.0 };
                    let mut padded = Array::from_elem((n2 + 2, n1, n0), f64::NAN);
                    let mut target = padded.slice_mut(s![1..n2 + 1, .., ..]);
                    target.fill(1.0);
                    let mut out = ViewMut::new(&mut target, [n2, n1, n0], &SITE, "out").unwrap();
                    contract(
                        3,
                        out.in_loops(&space, [0, 1, 2]),
                        [va.in_loops(&space, [2, 1, 0])],
                        alpha,
                        write,
                    );
                    let want =
                        Array::from_shape_fn((n2, n1, n0), |(k, j, i)| base + alpha * a[[i, j, k]]);
                    assert_eq!(target, want, "{n0} x {n1} x {n2} {alpha} {write:?}");
                    let nan_count = padded.iter().filter(|x| x.is_nan()).count();
                    assert_eq!(nan_count, 2 * n1 * n0);
                }
            }
        }
    }

    /// An empty target with an axis on a summed loop (`ij->ij` told that
    /// `j` is summed): nothing to sum, and zeroing the free loop `i` would
    /// write through the empty array's dangling pointer.
    #[test]
    #[should_panic(expected = "the output of a step has an axis on a summed loop")]
    fn an_empty_output_on_a_summed_loop_is_refused() {
        let a = Array2::<f64>::zeros((3, 0));
        let mut target = Array2::<f64>::zeros((3, 0));
        let space = LoopSpace::new([3, 0]);
        let va = View::<f64, 2>::new(&a, &SITE, 0).unwrap();
        let mut out = ViewMut::new(&mut target, [3, 0], &SITE, "out").unwrap();
        contract(
            1,
            out.in_loops(&space, [0, 1]),
            [va.in_loops(&space, [0, 1])],
            1.0,
            Write::Overwrite,
        );
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

    /// A complex unit coefficient is never multiplied, in any path: with
    /// `inf + 0i` on a diagonal, `(1 + 0i) * x` would turn its zero parts
    /// into NaN. One to three inputs, moving and hoisted, summed and free
    /// innermost loops, plain loops (up to 8 x 8), the nest and its tiles
    /// (40 x 40), overwriting and accumulating. The reference multiplies the
    /// inputs in order from the first and sums from zero, as numpy does.
    #[test]
    fn a_complex_unit_coefficient_is_never_multiplied() {
        use num_complex::Complex;
        type C = Complex<f64>;
        /// One step over loops i, j: out[i, j] or out[j, i] (`transposed`),
        /// or out[i] (`summed`: j is summed), of the sum of `term(i, j)`.
        struct Case<'t> {
            name: &'static str,
            summed: bool,
            transposed: bool,
            inputs: Vec<Strided<'t, C, 2>>,
            term: Box<dyn Fn(usize, usize) -> C + 't>,
        }
        fn case<'t>(
            name: &'static str,
            summed: bool,
            transposed: bool,
            inputs: Vec<Strided<'t, C, 2>>,
            term: impl Fn(usize, usize) -> C + 't,
        ) -> Case<'t> {
            Case {
                name,
                summed,
                transposed,
                inputs,
                term: Box::new(term),
            }
        }
        let same = |x: C, y: C| {
            let part = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
            part(x.re, y.re) && part(x.im, y.im)
        };
        let (one, base) = (C::new(1.0, 0.0), C::new(-1.0, 2.0));
        // Under Miri, 24 x 24 still takes the nest (past SMALL_WORK) and its
        // tiles (a stride past LONG_STRIDE).
        let sizes: &[usize] = if cfg!(miri) { &[3, 24] } else { &[1, 3, 8, 40] };
        for &n in sizes {
            let a = Array2::from_shape_fn((n, n), |(i, j)| {
                if i == j {
                    C::new(f64::INFINITY, 0.0)
                } else {
                    C::new(((i * 3 + j) % 5) as f64 - 2.0, ((i + 2 * j) % 3) as f64)
                }
            });
            // `(inf + 0i) * v[j]` has one NaN part, `(inf + 0i) * w * w`
            // too, where `(1 + 0i) * (inf + 0i)` first would make both NaN.
            let v = Array1::from_shape_fn(n, |i| C::new(i as f64 - 1.0, 0.0));
            let w = Array2::from_shape_fn((n, n), |(i, j)| C::new(((i + j) % 2 + 1) as f64, 1.0));
            let u = Array1::from_shape_fn(n, |i| a[[i, (i + 1) % n]]);
            let va = View::<C, 2>::new(&a, &SITE, 0).unwrap();
            let vv = View::<C, 1>::new(&v, &SITE, 1).unwrap();
            let vw = View::<C, 2>::new(&w, &SITE, 1).unwrap();
            let vu = View::<C, 1>::new(&u, &SITE, 1).unwrap();
            let space = LoopSpace::new([n, n]);
            let (row, column) = ([0, 1], [1, 0]);
            let cases = [
                case(
                    "ij->ij",
                    false,
                    false,
                    vec![va.in_loops(&space, row)],
                    |i, j| a[[i, j]],
                ),
                case(
                    "ij->ji",
                    false,
                    true,
                    vec![va.in_loops(&space, row)],
                    |i, j| a[[i, j]],
                ),
                case(
                    "ij->i",
                    true,
                    false,
                    vec![va.in_loops(&space, row)],
                    |i, j| a[[i, j]],
                ),
                case(
                    "ji->i",
                    true,
                    false,
                    vec![va.in_loops(&space, column)],
                    |i, j| a[[j, i]],
                ),
                case(
                    "ij,j->i",
                    true,
                    false,
                    vec![va.in_loops(&space, row), vv.in_loops(&space, [1])],
                    |i, j| a[[i, j]] * v[j],
                ),
                case(
                    "i,ij->ij",
                    false,
                    false,
                    vec![vv.in_loops(&space, [0]), va.in_loops(&space, row)],
                    |i, j| v[i] * a[[i, j]],
                ),
                case(
                    "ij,ij,ji->i",
                    true,
                    false,
                    vec![
                        va.in_loops(&space, row),
                        vw.in_loops(&space, row),
                        vw.in_loops(&space, column),
                    ],
                    |i, j| a[[i, j]] * w[[i, j]] * w[[j, i]],
                ),
                case(
                    "ij,ij,ij->ij",
                    false,
                    false,
                    vec![
                        va.in_loops(&space, row),
                        vw.in_loops(&space, row),
                        vw.in_loops(&space, row),
                    ],
                    |i, j| a[[i, j]] * w[[i, j]] * w[[i, j]],
                ),
                case(
                    "ij,ji->ij",
                    false,
                    false,
                    vec![va.in_loops(&space, row), va.in_loops(&space, column)],
                    |i, j| a[[i, j]] * a[[j, i]],
                ),
                case(
                    "i->ij",
                    false,
                    false,
                    vec![vu.in_loops(&space, [0])],
                    |i, _| u[i],
                ),
                case(
                    "ij,j->ij",
                    false,
                    false,
                    vec![va.in_loops(&space, row), vv.in_loops(&space, [1])],
                    |i, j| a[[i, j]] * v[j],
                ),
            ];
            for case in &cases {
                // Under Miri the 24 x 24 run keeps the cases with a long
                // stride on the inner loop (the tiles) and one reduction:
                // the other arms are walked at n = 3 and by the nest tests.
                let tiled = ["ij->ji", "ji->i", "ij,ij,ji->i", "ij,ji->ij", "ij,j->i"];
                if cfg!(miri) && n > 3 && !tiled.contains(&case.name) {
                    continue;
                }
                for write in [Write::Overwrite, Write::Accumulate] {
                    let columns = if case.summed { 1 } else { n };
                    let mut want = Array2::from_elem((n, columns), C::new(0.0, 0.0));
                    for i in 0..n {
                        for j in 0..n {
                            let at = match (case.summed, case.transposed) {
                                (true, _) => [i, 0],
                                (false, false) => [i, j],
                                (false, true) => [j, i],
                            };
                            want[at] += (case.term)(i, j);
                        }
                    }
                    if write == Write::Accumulate {
                        want.mapv_inplace(|x| base + x);
                    }
                    let mut got = Array2::from_elem((n, columns), base);
                    if case.summed {
                        let mut column = got.column_mut(0);
                        let mut out = ViewMut::new(&mut column, [n], &SITE, "out").unwrap();
                        run_contract(1, out.in_loops(&space, [0]), &case.inputs, one, write);
                    } else {
                        let mut out = ViewMut::new(&mut got, [n, n], &SITE, "out").unwrap();
                        let axes = if case.transposed { column } else { row };
                        run_contract(2, out.in_loops(&space, axes), &case.inputs, one, write);
                    }
                    for (index, (&x, &y)) in got.iter().zip(&want).enumerate() {
                        let name = case.name;
                        assert!(
                            same(x, y),
                            "{name}, n = {n}, {write:?}: {x} at {index}, want {y}"
                        );
                    }
                }
            }
        }
    }

    /// `contract` with one to three inputs given as a slice.
    fn run_contract<T: LinalgScalar + Send + Sync>(
        n_free: usize,
        out: StridedMut<'_, T, 2>,
        inputs: &[Strided<'_, T, 2>],
        alpha: T,
        write: Write,
    ) {
        match *inputs {
            [x] => contract(n_free, out, [x], alpha, write),
            [x, y] => contract(n_free, out, [x, y], alpha, write),
            [x, y, z] => contract(n_free, out, [x, y, z], alpha, write),
            _ => unreachable!("one to three inputs"),
        }
    }
}
