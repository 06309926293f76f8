//! Fused passes: several loop-nest steps that read the same array over the
//! same loops run as one walk over that array.
//!
//! The seed problem's terms read `a` three times (`jk,kj->k`, `jk,j->k`,
//! `kj,j->k`) and `z2` twice; run one after the other, each step streams the
//! whole matrix from memory. Fused, each block of the shared array is loaded
//! once and every step consumes it while it is in cache. When the two
//! innermost loops are tiled and have the same length, tiles are visited in
//! transposed pairs, `(J, K)` then `(K, J)`, so a step reading the array
//! transposed (`a[j,k] a[k,j]`) finds its other tile in cache too.

use crate::kernels::{Nest, Write, LONG_STRIDE};
use crate::strided::{Strided, StridedMut, PADDED_LOOPS};
use crate::sweep::{sweep_block, sweep_roles, TwoInnermost};
use crate::walk::{advance, fill_zero, offset_inputs, StepPointers};
use ndarray::LinalgScalar;
use std::ops::Range;

/// One step of a fused pass:
/// `out[free] (=|+=) alpha * sum over the other loops of inputs[0] * inputs[1]`.
///
/// The loops an output does not depend on are summed. The first input of the
/// first step is the array the steps share: its strides choose the loop
/// order.
pub struct FusedStep<'a, T, const L: usize> {
    /// Where the step writes.
    pub out: StridedMut<'a, T, L>,
    /// The two operands.
    pub inputs: [Strided<'a, T, L>; 2],
    /// The scalar factor.
    pub alpha: T,
    /// Overwrite or accumulate.
    pub write: Write,
}

/// Runs `steps`, which share one loop space, as one pass over it.
///
/// ```
/// use einsum_runtime::fused::{contract_fused, FusedStep};
/// use einsum_runtime::kernels::Write;
/// use einsum_runtime::shape::Site;
/// use einsum_runtime::strided::LoopSpace;
/// use einsum_runtime::view::{View, ViewMut};
/// const SITE: Site = Site { subscripts: "ij,j->i", operands: &["a", "v"] };
/// let a = ndarray::arr2(&[[1.0, 2.0], [3.0, 4.0]]);
/// let v = ndarray::arr1(&[1.0, 10.0]);
/// let (mut row_dots, mut column_dots) = (ndarray::Array1::zeros(2), ndarray::Array1::zeros(2));
/// // loops: i, j (the axes of `a`)
/// let space = LoopSpace::new([2, 2]);
/// let (va, vv) = (View::<f64, 2>::new(&a, &SITE, 0).unwrap(), View::<f64, 1>::new(&v, &SITE, 1).unwrap());
/// let mut rows = ViewMut::new(&mut row_dots, [2], &SITE, "r").unwrap();
/// let mut columns = ViewMut::new(&mut column_dots, [2], &SITE, "c").unwrap();
/// contract_fused([
///     // r[i] = sum_j a[i,j] v[j]
///     FusedStep { out: rows.in_loops(&space, [0]), inputs: [va.in_loops(&space, [0, 1]), vv.in_loops(&space, [1])], alpha: 1.0, write: Write::Overwrite },
///     // c[j] = sum_i a[i,j] v[i]
///     FusedStep { out: columns.in_loops(&space, [1]), inputs: [va.in_loops(&space, [0, 1]), vv.in_loops(&space, [0])], alpha: 1.0, write: Write::Overwrite },
/// ]);
/// assert_eq!(row_dots, ndarray::arr1(&[21.0, 43.0]));
/// assert_eq!(column_dots, ndarray::arr1(&[31.0, 42.0]));
/// ```
///
/// # Panics
/// If the steps were checked against different loop spaces.
pub fn contract_fused<T: LinalgScalar + Send + Sync, const L: usize, const P: usize>(
    steps: [FusedStep<'_, T, L>; P],
) {
    // A constant condition: only the branch taken is compiled.
    if const { L > PADDED_LOOPS } {
        return contract_fused_any(steps);
    }
    let Some(space) = steps.first().map(|s| s.out.space().padded()) else {
        return;
    };
    let steps = steps.map(|step| FusedStep {
        out: step.out.padded(&space),
        inputs: step.inputs.map(|input| input.padded(&space)),
        alpha: step.alpha,
        write: step.write,
    });
    contract_fused_padded(steps)
}

/// [`contract_fused`] over [`PADDED_LOOPS`] loops: compiled once per
/// element type and number of steps, out of line.
#[inline(never)]
pub(crate) fn contract_fused_padded<T: LinalgScalar + Send + Sync, const P: usize>(
    steps: [FusedStep<'_, T, PADDED_LOOPS>; P],
) {
    contract_fused_any(steps)
}

/// [`contract_fused`] over any number of loops.
#[inline(always)]
fn contract_fused_any<T: LinalgScalar + Send + Sync, const L: usize, const P: usize>(
    steps: [FusedStep<'_, T, L>; P],
) {
    let Some(first) = steps.first() else { return };
    let sizes = *first.out.sizes();
    assert!(
        steps.iter().all(|s| s.out.space().is(first.out.space())
            && s.inputs.iter().all(|i| i.space().is(first.out.space()))),
        "einsum: fused steps checked against different loop spaces"
    );
    let order = anchor_order(&sizes, &first.inputs[0].strides());
    let nests: [Nest<T, L, 2>; P] = std::array::from_fn(|p| {
        let step = &steps[p];
        let (indexed, out_strides) = (step.out.indexed(), step.out.strides());
        let summed = (0..L).any(|l| !indexed[l] && sizes[l] > 1);
        let mut write = step.write;
        if write == Write::Overwrite && (summed || sizes.contains(&0)) {
            let (mut free_sizes, mut free_strides, mut count) = ([0; L], [0; L], 0);
            for l in (0..L).filter(|&l| indexed[l]) {
                (free_sizes[count], free_strides[count]) = (sizes[l], out_strides[l]);
                count += 1;
            }
            // SAFETY: `fill_zero` walks the loops the output has axes on, at
            // indices below their checked sizes.
            unsafe { fill_zero(&free_sizes[..count], &free_strides[..count], step.out.ptr()) };
            write = Write::Accumulate;
        }
        Nest {
            order,
            sizes,
            out_strides,
            in_strides: step.inputs.each_ref().map(|i| i.strides()),
            alpha: step.alpha,
            write,
        }
    });
    if sizes.contains(&0) {
        return;
    }
    let pointers: [StepPointers<T, 2>; P] = std::array::from_fn(|p| StepPointers {
        out: steps[p].out.ptr(),
        inputs: steps[p].inputs.each_ref().map(|i| i.ptr()),
    });
    #[cfg(feature = "threading")]
    if parallel::run(&nests, pointers, steps.each_ref().map(|s| s.out.indexed())) {
        return;
    }
    // SAFETY: every output and input was checked against `sizes` by
    // `in_loops`, and the pass visits each index of the loop space once per
    // step. The outputs' `&mut` borrows guarantee that no output aliases
    // another step's output or any input.
    unsafe { run(&nests, pointers, Part::WHOLE) };
}

/// The rows of a pass one run covers: the second-innermost loop is cut into
/// blocks of [`BLOCK`] indices, and a run takes every `count`-th block from
/// block `index` on (with threads, each thread one part).
#[derive(Debug, Clone, Copy)]
struct Part {
    index: usize,
    count: usize,
}

impl Part {
    const WHOLE: Part = Part { index: 0, count: 1 };

    /// The part's blocks of `0..rows`.
    fn blocks(self, rows: usize) -> impl Iterator<Item = Range<usize>> {
        (0..rows)
            .step_by(BLOCK)
            .skip(self.index)
            .step_by(self.count)
            .map(move |start| start..(start + BLOCK).min(rows))
    }
}

/// Loops ordered outermost first by the shared array's strides, largest
/// outside; loops of length 1 outermost.
fn anchor_order<const L: usize>(sizes: &[usize; L], strides: &[isize; L]) -> [usize; L] {
    let mut order: [usize; L] = std::array::from_fn(|l| l);
    order.sort_by_key(|&l| (sizes[l] > 1, std::cmp::Reverse(strides[l].unsigned_abs())));
    order
}

/// Runs the pass over the rows of `part` (every row for [`Part::WHOLE`]).
///
/// # Safety
/// As for [`Nest::run`], for every nest with its pointers; the nests share
/// their order and sizes. With fewer than two loops `part` must be whole.
unsafe fn run<T: LinalgScalar, const L: usize, const P: usize>(
    nests: &[Nest<T, L, 2>; P],
    mut pointers: [StepPointers<T, 2>; P],
    part: Part,
) {
    let Some(first) = nests.first() else { return };
    let (order, sizes) = (first.order, first.sizes);
    if L < 2 {
        // No pair of loops to block: each step runs as its own nest, over
        // the single index of a pass over a rank-0 array, or along one loop.
        for (nest, &StepPointers { out, inputs }) in nests.iter().zip(&pointers) {
            // SAFETY: as for this function (the part is whole).
            unsafe { nest.run(out, inputs) };
        }
        return;
    }
    let (second, inner) = (order[L - 2], order[L - 1]);
    let tiled = sizes[inner] > BLOCK && sizes[second] > 1 && {
        let long = |s: isize| s.unsigned_abs() >= LONG_STRIDE;
        nests
            .iter()
            .any(|n| long(n.out_strides[inner]) || n.in_strides.iter().any(|s| long(s[inner])))
    };
    let outer = &order[..L - 2];
    let mut index = [0usize; L];
    loop {
        // SAFETY: the outer loops are at in-range indices; the rows of the
        // part and the innermost loop cover parts of their own ranges.
        unsafe {
            if tiled {
                two_innermost_in_blocks(nests, &pointers, part);
            } else {
                for row in part.blocks(sizes[second]).flatten() {
                    let at = row as isize;
                    for (nest, &StepPointers { out, inputs }) in nests.iter().zip(&pointers) {
                        let out = out.wrapping_offset(at * nest.out_strides[second]);
                        let inputs: [*const T; 2] = std::array::from_fn(|k| {
                            inputs[k].wrapping_offset(at * nest.in_strides[k][second])
                        });
                        nest.innermost_of(inner, out, inputs, 0, sizes[inner]);
                    }
                }
            }
        }
        if !advance(outer, &sizes, &mut index, |l, by| {
            for (nest, StepPointers { out, inputs }) in nests.iter().zip(&mut pointers) {
                *out = out.wrapping_offset(nest.out_strides[l] * by);
                offset_inputs(inputs, &nest.in_strides, l, by);
            }
        }) {
            return;
        }
    }
}

/// The two innermost loops, the second in blocks of [`BLOCK`] indices: every
/// step walks the block's rows in turn, so what one step loads the next finds
/// in cache, and a step that walks a column reads each cache line of it for
/// the whole block.
///
/// A symmetric step instead sweeps the block against the columns past it,
/// reading `a[block, c]` and its transpose `a[c, block]` together; the
/// matrix-vector steps over the same array ride along, so each element is
/// loaded once for all of them (see [`crate::sweep`]).
///
/// Only the blocks of `part` are visited; a sweep from a block covers every
/// pair with a row in it, so the parts of a pass together cover each pair
/// once.
///
/// # Safety
/// As for [`run`], with the outer loops at in-range indices.
unsafe fn two_innermost_in_blocks<T: LinalgScalar, const L: usize, const P: usize>(
    nests: &[Nest<T, L, 2>; P],
    pointers: &[StepPointers<T, 2>; P],
    part: Part,
) {
    let first = &nests[0];
    let loops = TwoInnermost {
        second: first.order[L - 2],
        inner: first.order[L - 1],
    };
    let TwoInnermost { second, inner } = loops;
    let (rows, columns) = (first.sizes[second], first.sizes[inner]);
    let roles = sweep_roles(nests, pointers, loops);
    for block in part.blocks(rows) {
        for ((nest, &StepPointers { out, inputs }), role) in nests.iter().zip(pointers).zip(&roles)
        {
            // A step in a sweep covers the columns before the block in
            // earlier sweeps (as transposes) and those past it in this one.
            let plain = if role.is_some() {
                block.clone()
            } else {
                0..columns
            };
            for row in block.clone() {
                let at = row as isize;
                let out = out.wrapping_offset(at * nest.out_strides[second]);
                let inputs: [*const T; 2] = std::array::from_fn(|k| {
                    inputs[k].wrapping_offset(at * nest.in_strides[k][second])
                });
                // SAFETY: `row` < rows and `plain` lies in 0..columns.
                unsafe { nest.innermost_of(inner, out, inputs, plain.start, plain.len()) };
            }
        }
        if block.end < columns {
            // SAFETY: the block's rows and the columns past it are in range
            // for both loops, as the caller guarantees for the whole pass.
            unsafe { sweep_block(nests, pointers, &roles, loops, block, columns) };
        }
    }
}

/// Rows per block in [`two_innermost_in_blocks`]: a cache line of `f64`.
pub(crate) const BLOCK: usize = 8;

/// With the `threading` feature, a large pass whose steps all accumulate
/// into small outputs runs on several threads: each takes every other block
/// of rows (a sweep's work shrinks along the rows, so interleaved blocks
/// balance it) and accumulates into outputs of its own, which are added
/// into the steps' outputs once every thread is done.
#[cfg(feature = "threading")]
mod parallel {
    use super::{Nest, Part, BLOCK};
    use crate::kernels::{Write, MIN_PARALLEL_WORK};
    use crate::scalar::add;
    use crate::walk::{advance, LoopList, StepPointers};
    use ndarray::LinalgScalar;

    /// The private outputs may hold at most this fraction of the pass's work,
    /// so that zeroing and adding them up stays a small part of it. Under
    /// Miri any fraction, as for `MIN_PARALLEL_WORK`: so that passes small
    /// enough for Miri take the threaded path (a 17 x 17 pass with four
    /// vector outputs holds 138 private elements for 289 of work).
    const WORK_PER_OUTPUT_ELEMENT: usize = if cfg!(miri) { 1 } else { 16 };

    /// Pointers moved into the worker threads.
    struct Shared<T, const P: usize>([StepPointers<T, 2>; P]);
    // SAFETY: the workers only read through the input pointers (the outputs
    // are replaced by each thread's own), and the caller's borrows outlive
    // the scope that joins them.
    unsafe impl<T: Send + Sync, const P: usize> Send for Shared<T, P> {}
    // SAFETY: as for `Send`: shared between the workers, the pointers are
    // only read through.
    unsafe impl<T: Send + Sync, const P: usize> Sync for Shared<T, P> {}

    /// Runs the pass on several threads when it pays; returns whether it did.
    /// `indexed[p][l]`: whether step `p`'s output has an axis on loop `l`.
    pub(super) fn run<T: LinalgScalar + Send + Sync, const L: usize, const P: usize>(
        nests: &[Nest<T, L, 2>; P],
        pointers: [StepPointers<T, 2>; P],
        indexed: [[bool; L]; P],
    ) -> bool {
        let Some(first) = nests.first() else {
            return false;
        };
        let sizes = first.sizes;
        let work = sizes.iter().try_fold(1usize, |w, &n| w.checked_mul(n));
        let threads = rayon::current_num_threads();
        if L < 2 || threads < 2 || work.is_none_or(|w| w < MIN_PARALLEL_WORK) {
            return false;
        }
        let blocks = sizes[first.order[L - 2]].div_ceil(BLOCK);
        let loops: [LoopList<L>; P] = std::array::from_fn(|p| {
            let mut loops = LoopList::default();
            (0..L)
                .filter(|&l| indexed[p][l])
                .for_each(|l| loops.push(l));
            loops
        });
        let lens: [usize; P] =
            std::array::from_fn(|p| loops[p].as_slice().iter().map(|&l| sizes[l]).product());
        let private_work = lens.iter().sum::<usize>() * threads;
        if blocks < 2
            || nests.iter().any(|n| n.write != Write::Accumulate)
            || private_work.saturating_mul(WORK_PER_OUTPUT_ELEMENT) > work.unwrap_or(0)
        {
            return false;
        }
        // Each step's private output is C-order over the loops it has axes on.
        let private_strides: [[isize; L]; P] = std::array::from_fn(|p| {
            let (mut strides, mut stride) = ([0isize; L], 1isize);
            for &l in loops[p].as_slice().iter().rev() {
                strides[l] = stride;
                stride *= sizes[l] as isize;
            }
            strides
        });
        let count = threads.min(blocks);
        let mut outputs: Vec<[Vec<T>; P]> = (0..count)
            .map(|_| std::array::from_fn(|p| vec![T::zero(); lens[p]]))
            .collect();
        let shared = Shared(pointers);
        let shared = &shared;
        rayon::scope(|scope| {
            for (index, own) in outputs.iter_mut().enumerate() {
                scope.spawn(move |_| {
                    let nests: [Nest<T, L, 2>; P] = std::array::from_fn(|p| Nest {
                        out_strides: private_strides[p],
                        ..nests[p]
                    });
                    let pointers: [StepPointers<T, 2>; P] = std::array::from_fn(|p| StepPointers {
                        out: own[p].as_mut_ptr(),
                        inputs: shared.0[p].inputs,
                    });
                    // SAFETY: the inputs are the checked ones; each private
                    // output has an element for every index of the loops its
                    // step's output has axes on (C-order strides over exactly
                    // those loops, zero on the others), and belongs to this
                    // thread alone.
                    unsafe { super::run(&nests, pointers, Part { index, count }) };
                });
            }
        });
        for (p, nest) in nests.iter().enumerate() {
            for own in &outputs {
                // SAFETY: the output was checked against the loop space, and
                // its private copies have the same loops in C order.
                unsafe {
                    add_into(
                        pointers[p].out,
                        &nest.out_strides,
                        &own[p],
                        &loops[p],
                        &sizes,
                    )
                };
            }
        }
        true
    }

    /// `out += private`, `private` in C order over `loops`.
    ///
    /// # Safety
    /// `out` with `strides` must address an element at every index of `loops`.
    unsafe fn add_into<T: LinalgScalar, const L: usize>(
        mut out: *mut T,
        strides: &[isize; L],
        private: &[T],
        loops: &LoopList<L>,
        sizes: &[usize; L],
    ) {
        let mut index = [0usize; L];
        for &value in private {
            // SAFETY: `index` is in range for `loops`.
            unsafe { *out = add(*out, value) };
            advance(loops.as_slice(), sizes, &mut index, |l, by| {
                out = out.wrapping_offset(strides[l] * by);
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::Site;
    use crate::strided::LoopSpace;
    use crate::view::{View, ViewMut};
    use ndarray::{s, Array, Array1, Array2, Array3, ArrayView1, ArrayView2, ShapeBuilder};

    const SITE: Site = Site {
        subscripts: "test",
        operands: &["a", "v"],
    };

    /// Small integers, so every sum is exact in any order.
    fn value(x: usize) -> f64 {
        ((x * 7 + 3) % 11) as f64 - 5.0
    }

    /// How a test matrix is laid out.
    #[derive(Debug, Clone, Copy)]
    enum Layout {
        C,
        Fortran,
        /// Rows reversed: a negative stride.
        Reversed,
        /// Every other element of a larger array.
        Stepped,
        /// One row repeated: a zero stride.
        Broadcast,
    }

    const LAYOUTS: [Layout; 5] = [
        Layout::C,
        Layout::Fortran,
        Layout::Reversed,
        Layout::Stepped,
        Layout::Broadcast,
    ];

    /// The data behind an n x m matrix in `layout`.
    struct Matrix {
        c: Array2<f64>,
        fortran: Array2<f64>,
        bigger: Array2<f64>,
        row: Array1<f64>,
    }

    impl Matrix {
        fn new(n: usize, m: usize) -> Self {
            let c = Array2::from_shape_fn((n, m), |(i, j)| value(i * m + j));
            let fortran = Array::from_shape_vec((n, m).f(), c.iter().copied().collect()).unwrap();
            // NaN between the elements a stepped view reads.
            let bigger = Array2::from_shape_fn((2 * n, 2 * m), |(i, j)| {
                if i % 2 == 0 && j % 2 == 0 {
                    c[[i / 2, j / 2]]
                } else {
                    f64::NAN
                }
            });
            let row = Array1::from_shape_fn(m, |j| value(j + 5));
            Matrix {
                c,
                fortran,
                bigger,
                row,
            }
        }

        fn view(&self, layout: Layout) -> ArrayView2<'_, f64> {
            match layout {
                Layout::C => self.c.view(),
                Layout::Fortran => self.fortran.view(),
                Layout::Reversed => self.c.slice(s![..;-1, ..]),
                Layout::Stepped => self.bigger.slice(s![..;2, ..;2]),
                Layout::Broadcast => self.row.broadcast(self.c.dim()).unwrap(),
            }
        }
    }

    /// `out[..] (=|+=) alpha * sum a[p,q] * other(p, q)` over p < n, q < m,
    /// accumulated at `index(p, q)`: the reference for one fused step.
    fn reference(
        shape: usize,
        n: usize,
        m: usize,
        index: impl Fn(usize, usize) -> usize,
        term: impl Fn(usize, usize) -> f64,
    ) -> Array1<f64> {
        let mut out = Array1::zeros(shape);
        for p in 0..n {
            for q in 0..m {
                out[index(p, q)] += term(p, q);
            }
        }
        out
    }

    /// Every kind of step over one square array in one pass: both
    /// symmetric forms, the four matrix-vector companions, a scalar output
    /// and an elementwise matrix output, each with its own alpha and write.
    #[test]
    fn every_kind_of_step_matches_plain_loops() {
        // Under Miri, an empty pass, one element, and 17: two whole blocks,
        // a partial one, and a row stride past LONG_STRIDE (tiles, sweeps),
        // at 17 only in the layouts with unit, negative and zero strides.
        let sizes: &[usize] = if cfg!(miri) {
            &[0, 1, 17]
        } else {
            &[0, 1, 2, 7, 8, 9, 13, 17, 31]
        };
        for &n in sizes {
            let matrix = Matrix::new(n, n);
            for layout in LAYOUTS {
                let walked_elsewhere = matches!(layout, Layout::Fortran | Layout::Stepped);
                if cfg!(miri) && n > 1 && walked_elsewhere {
                    continue;
                }
                let v_data = Array1::from_shape_fn(n, |j| value(3 * j + 1));
                let v = v_data.slice(s![..;-1]);
                check_square(&format!("{layout:?}"), matrix.view(layout), v);
            }
        }
    }

    fn check_square(name: &str, a: ArrayView2<f64>, v: ArrayView1<f64>) {
        let n = a.nrows();
        let space = LoopSpace::new([n, n]);
        let va = View::<f64, 2>::new(&a, &SITE, 0).unwrap();
        let vv = View::<f64, 1>::new(&v, &SITE, 1).unwrap();
        let start = |k: usize| Array1::from_shape_fn(n, |j| value(j + k));
        // Outputs that are overwritten start as NaN; nothing may read them.
        let nan = || Array1::from_elem(n, f64::NAN);
        let (mut o1, mut o2, mut o3, mut o4) = (start(1), nan(), start(3), nan());
        let (mut o5, mut o6) = (start(5), nan());
        let mut o7 = Array2::from_elem((n + 2, n + 2), f64::NAN);
        let mut o8 = ndarray::arr0(4.0);
        {
            let mut inner7 = o7.slice_mut(s![1..n + 1, 1..n + 1]);
            let mut m1 = ViewMut::new(&mut o1, [n], &SITE, "o").unwrap();
            let mut m2 = ViewMut::new(&mut o2, [n], &SITE, "o").unwrap();
            let mut m3 = ViewMut::new(&mut o3, [n], &SITE, "o").unwrap();
            let mut m4 = ViewMut::new(&mut o4, [n], &SITE, "o").unwrap();
            let mut m5 = ViewMut::new(&mut o5, [n], &SITE, "o").unwrap();
            let mut m6 = ViewMut::new(&mut o6, [n], &SITE, "o").unwrap();
            let mut m7 = ViewMut::new(&mut inner7, [n, n], &SITE, "o").unwrap();
            let mut m8 = ViewMut::new(&mut o8, [], &SITE, "o").unwrap();
            let (a, at) = (va.in_loops(&space, [0, 1]), va.in_loops(&space, [1, 0]));
            let (vp, vq) = (vv.in_loops(&space, [0]), vv.in_loops(&space, [1]));
            let step = |out, other, alpha, write| FusedStep {
                out,
                inputs: [a, other],
                alpha,
                write,
            };
            contract_fused([
                step(m1.in_loops(&space, [1]), at, 2.0, Write::Accumulate),
                step(m2.in_loops(&space, [0]), at, -1.0, Write::Overwrite),
                step(m3.in_loops(&space, [1]), vp, 3.0, Write::Accumulate),
                step(m4.in_loops(&space, [0]), vq, 1.0, Write::Overwrite),
                step(m5.in_loops(&space, [1]), vq, -2.0, Write::Accumulate),
                step(m6.in_loops(&space, [0]), vp, 0.5, Write::Overwrite),
                step(m7.in_loops(&space, [0, 1]), at, 1.0, Write::Overwrite),
                step(m8.in_loops(&space, []), vq, 1.0, Write::Accumulate),
            ]);
        }
        let sym = |p: usize, q: usize| a[[p, q]] * a[[q, p]];
        let by_q = |_: usize, q: usize| q;
        let by_p = |p: usize, _: usize| p;
        let expect = [
            &start(1) + &(reference(n, n, n, by_q, sym) * 2.0),
            reference(n, n, n, by_p, sym) * -1.0,
            &start(3) + &(reference(n, n, n, by_q, |p, q| a[[p, q]] * v[p]) * 3.0),
            reference(n, n, n, by_p, |p, q| a[[p, q]] * v[q]),
            &start(5) + &(reference(n, n, n, by_q, |p, q| a[[p, q]] * v[q]) * -2.0),
            reference(n, n, n, by_p, |p, q| a[[p, q]] * v[p]) * 0.5,
        ];
        for (k, (got, want)) in [&o1, &o2, &o3, &o4, &o5, &o6]
            .iter()
            .zip(&expect)
            .enumerate()
        {
            assert_eq!(*got, want, "{name}, n = {n}: step {}", k + 1);
        }
        let whole = Array2::from_shape_fn((n + 2, n + 2), |(i, j)| {
            if (1..=n).contains(&i) && (1..=n).contains(&j) {
                sym(i - 1, j - 1)
            } else {
                f64::NAN
            }
        });
        let same = |x: f64, y: f64| x == y || (x.is_nan() && y.is_nan());
        assert!(
            o7.iter().zip(&whole).all(|(&x, &y)| same(x, y)),
            "{name}, n = {n}: step 7\n{o7}"
        );
        let total: f64 = reference(1, n, n, |_, _| 0, |p, q| a[[p, q]] * v[q])[0];
        assert_eq!(o8[()], 4.0 + total, "{name}, n = {n}: step 8");
    }

    /// A pass large enough for the `threading` feature to split between
    /// threads (run `cargo test -p einsum-runtime --features threading`
    /// too): the symmetric steps and their companions, rows and columns of a
    /// non-square tail, a scalar output; in every layout.
    #[test]
    fn large_pass_matches_plain_loops() {
        // Under Miri, which runs a thousand times slower, 17 x 17 (still
        // past MIN_PARALLEL_WORK, and three blocks of rows to share) with
        // contiguous and with stepped columns.
        let n = if cfg!(miri) { 17 } else { 523 };
        let layouts: &[Layout] = if cfg!(miri) {
            &[Layout::C, Layout::Stepped]
        } else {
            &LAYOUTS
        };
        let matrix = Matrix::new(n, n);
        for &layout in layouts {
            let a = matrix.view(layout);
            let v = Array1::from_shape_fn(n, |j| value(3 * j + 1));
            let space = LoopSpace::new([n, n]);
            let va = View::<f64, 2>::new(&a, &SITE, 0).unwrap();
            let vv = View::<f64, 1>::new(&v, &SITE, 1).unwrap();
            let start = |k: usize| Array1::from_shape_fn(n, |j| value(j + k));
            let (mut o1, mut o2, mut o3) = (start(1), Array1::from_elem(n, f64::NAN), start(3));
            let (mut o4, mut o5) = (Array1::from_elem(n, f64::NAN), ndarray::arr0(4.0));
            {
                let mut m1 = ViewMut::new(&mut o1, [n], &SITE, "o").unwrap();
                let mut m2 = ViewMut::new(&mut o2, [n], &SITE, "o").unwrap();
                let mut m3 = ViewMut::new(&mut o3, [n], &SITE, "o").unwrap();
                let mut m4 = ViewMut::new(&mut o4, [n], &SITE, "o").unwrap();
                let mut m5 = ViewMut::new(&mut o5, [], &SITE, "o").unwrap();
                let (x, xt) = (va.in_loops(&space, [0, 1]), va.in_loops(&space, [1, 0]));
                let (vp, vq) = (vv.in_loops(&space, [0]), vv.in_loops(&space, [1]));
                let step = |out, other, alpha, write| FusedStep {
                    out,
                    inputs: [x, other],
                    alpha,
                    write,
                };
                contract_fused([
                    step(m1.in_loops(&space, [1]), xt, 2.0, Write::Accumulate),
                    step(m2.in_loops(&space, [0]), vq, -1.0, Write::Overwrite),
                    step(m3.in_loops(&space, [1]), vp, 3.0, Write::Accumulate),
                    step(m4.in_loops(&space, [0]), xt, 0.5, Write::Overwrite),
                    step(m5.in_loops(&space, []), vq, 1.0, Write::Accumulate),
                ]);
            }
            let name = format!("{layout:?}, n = {n}");
            let sym = |p: usize, q: usize| a[[p, q]] * a[[q, p]];
            let (by_p, by_q) = (|p: usize, _: usize| p, |_: usize, q: usize| q);
            let want = &start(1) + &(reference(n, n, n, by_q, sym) * 2.0);
            assert_eq!(o1, want, "{name}: step 1");
            let want = reference(n, n, n, by_p, |p, q| a[[p, q]] * v[q]) * -1.0;
            assert_eq!(o2, want, "{name}: step 2");
            let want = &start(3) + &(reference(n, n, n, by_q, |p, q| a[[p, q]] * v[p]) * 3.0);
            assert_eq!(o3, want, "{name}: step 3");
            assert_eq!(o4, reference(n, n, n, by_p, sym) * 0.5, "{name}: step 4");
            let total = reference(1, n, n, |_, _| 0, |p, q| a[[p, q]] * v[q])[0];
            assert_eq!(o5[()], 4.0 + total, "{name}: step 5");
        }
    }

    /// Without a square pair of loops nothing is symmetric; rectangular
    /// arrays in every layout.
    #[test]
    fn rectangular_arrays_match_plain_loops() {
        for (n, m) in [(1, 9), (9, 1), (3, 17), (17, 3), (13, 40)] {
            let matrix = Matrix::new(n, m);
            for layout in LAYOUTS {
                let (a, name) = (matrix.view(layout), format!("{layout:?}"));
                let (u, w) = (
                    Array1::from_shape_fn(n, |j| value(j + 1)),
                    Array1::from_shape_fn(m, |j| value(2 * j)),
                );
                let space = LoopSpace::new([n, m]);
                let va = View::<f64, 2>::new(&a, &SITE, 0).unwrap();
                let (vu, vw) = (
                    View::<f64, 1>::new(&u, &SITE, 1).unwrap(),
                    View::<f64, 1>::new(&w, &SITE, 1).unwrap(),
                );
                let (mut rows, mut columns) = (
                    Array1::from_elem(n, f64::NAN),
                    Array1::from_elem(m, f64::NAN),
                );
                {
                    let mut r = ViewMut::new(&mut rows, [n], &SITE, "r").unwrap();
                    let mut c = ViewMut::new(&mut columns, [m], &SITE, "c").unwrap();
                    let a = va.in_loops(&space, [0, 1]);
                    contract_fused([
                        FusedStep {
                            out: r.in_loops(&space, [0]),
                            inputs: [a, vw.in_loops(&space, [1])],
                            alpha: 1.0,
                            write: Write::Overwrite,
                        },
                        FusedStep {
                            out: c.in_loops(&space, [1]),
                            inputs: [a, vu.in_loops(&space, [0])],
                            alpha: 2.0,
                            write: Write::Overwrite,
                        },
                    ]);
                }
                assert_eq!(
                    rows,
                    reference(n, n, m, |p, _| p, |p, q| a[[p, q]] * w[q]),
                    "{name} {n}x{m}"
                );
                assert_eq!(
                    columns,
                    reference(m, n, m, |_, q| q, |p, q| 2.0 * a[[p, q]] * u[p]),
                    "{name} {n}x{m}"
                );
            }
        }
    }

    /// A batch loop outside the square pair: `bij,bji->bj` with `bij,j->bi`.
    #[test]
    fn an_outer_loop_runs_a_sweep_per_index() {
        for (b, n) in [(3, 9), (2, 17), (1, 8), (4, 0)] {
            let a = Array3::from_shape_fn((b, n, n), |(x, i, j)| value(x * 100 + i * n + j));
            let a = a.permuted_axes([1, 0, 2]);
            let v = Array1::from_shape_fn(n, |j| value(j + 4));
            let space = LoopSpace::new([b, n, n]);
            let va = View::<f64, 3>::new(&a, &SITE, 0).unwrap();
            let vv = View::<f64, 1>::new(&v, &SITE, 1).unwrap();
            let (mut sym, mut dot) = (
                Array2::from_elem((b, n), f64::NAN),
                Array2::from_elem((b, n), f64::NAN),
            );
            {
                let mut s = ViewMut::new(&mut sym, [b, n], &SITE, "s").unwrap();
                let mut d = ViewMut::new(&mut dot, [b, n], &SITE, "d").unwrap();
                // a is viewed with axes (i, b, j): loops are b, i, j.
                let x = va.in_loops(&space, [1, 0, 2]);
                contract_fused([
                    FusedStep {
                        out: s.in_loops(&space, [0, 2]),
                        inputs: [x, va.in_loops(&space, [2, 0, 1])],
                        alpha: 1.0,
                        write: Write::Overwrite,
                    },
                    FusedStep {
                        out: d.in_loops(&space, [0, 1]),
                        inputs: [x, vv.in_loops(&space, [2])],
                        alpha: 1.0,
                        write: Write::Overwrite,
                    },
                ]);
            }
            for x in 0..b {
                for j in 0..n {
                    let want: f64 = (0..n).map(|i| a[[i, x, j]] * a[[j, x, i]]).sum();
                    assert_eq!(sym[[x, j]], want, "b = {b}, n = {n}");
                    let want: f64 = (0..n).map(|k| a[[j, x, k]] * v[k]).sum();
                    assert_eq!(dot[[x, j]], want, "b = {b}, n = {n}");
                }
            }
        }
    }

    /// A pass over a rank-0 array: steps without any loop, overwriting and
    /// accumulating.
    #[test]
    fn a_pass_without_loops() {
        let (x, y, z) = (ndarray::arr0(2.0), ndarray::arr0(-3.0), ndarray::arr0(5.0));
        let space = LoopSpace::new([]);
        let scalar = |a| {
            View::<f64, 0>::new(a, &SITE, 0)
                .unwrap()
                .in_loops(&space, [])
        };
        let (mut o1, mut o2) = (ndarray::arr0(f64::NAN), ndarray::arr0(1.0));
        {
            let mut m1 = ViewMut::new(&mut o1, [], &SITE, "o").unwrap();
            let mut m2 = ViewMut::new(&mut o2, [], &SITE, "o").unwrap();
            contract_fused([
                FusedStep {
                    out: m1.in_loops(&space, []),
                    inputs: [scalar(&x), scalar(&y)],
                    alpha: 1.0,
                    write: Write::Overwrite,
                },
                FusedStep {
                    out: m2.in_loops(&space, []),
                    inputs: [scalar(&x), scalar(&z)],
                    alpha: 2.0,
                    write: Write::Accumulate,
                },
            ]);
        }
        assert_eq!((o1[()], o2[()]), (2.0 * -3.0, 1.0 + 2.0 * 2.0 * 5.0));
    }

    /// Integers wrap, as in every kernel.
    #[test]
    fn integers_wrap_in_a_sweep() {
        let n = 11;
        let a = Array2::from_shape_fn((n, n), |(i, j)| ((i * n + j) as u8).wrapping_mul(37));
        let v = Array1::from_shape_fn(n, |j| (j as u8).wrapping_mul(91));
        let space = LoopSpace::new([n, n]);
        let va = View::<u8, 2>::new(&a, &SITE, 0).unwrap();
        let vv = View::<u8, 1>::new(&v, &SITE, 1).unwrap();
        let (mut sym, mut dot) = (Array1::<u8>::zeros(n), Array1::<u8>::zeros(n));
        {
            let mut s = ViewMut::new(&mut sym, [n], &SITE, "s").unwrap();
            let mut d = ViewMut::new(&mut dot, [n], &SITE, "d").unwrap();
            let x = va.in_loops(&space, [0, 1]);
            contract_fused([
                FusedStep {
                    out: s.in_loops(&space, [1]),
                    inputs: [x, va.in_loops(&space, [1, 0])],
                    alpha: 3,
                    write: Write::Overwrite,
                },
                FusedStep {
                    out: d.in_loops(&space, [1]),
                    inputs: [x, vv.in_loops(&space, [0])],
                    alpha: 1,
                    write: Write::Overwrite,
                },
            ]);
        }
        for j in 0..n {
            let want = (0..n).fold(0u8, |s, i| {
                s.wrapping_add(a[[i, j]].wrapping_mul(a[[j, i]]))
            });
            assert_eq!(sym[j], want.wrapping_mul(3));
            let want = (0..n).fold(0u8, |s, i| s.wrapping_add(a[[i, j]].wrapping_mul(v[i])));
            assert_eq!(dot[j], want);
        }
    }
}
