//! Linear combinations: `out (=|+=) sum_p alphas[p] * inputs[p]`, where each
//! input holds the output's elements, possibly in another axis order.
//!
//! This is how a contraction used under several permutations is added up
//! (`c - "ij->ji"(c)`, an antisymmetrizer over four index orders): one pass
//! that reads `c` in every order it is used in, instead of one pass per use.
//! The output is written in its memory order. (Square tiles of the two
//! innermost loops, so that an input read transposed stays in cache, measured
//! slower than plain rows at n = 500 and 1000: the lines a row of the
//! transposed input touches still fit in cache for the next rows.)

use crate::kernels::Write;
use crate::scalar::{add, scale};
use crate::strided::{Strided, StridedMut, PADDED_LOOPS};
use crate::walk::{advance, offset_inputs};
use ndarray::LinalgScalar;

/// `out (=|+=) sum_p alphas[p] * inputs[p]` over a loop space whose every
/// loop is an axis of the output.
///
/// ```
/// use einsum_runtime::combination::combine;
/// use einsum_runtime::kernels::Write;
/// use einsum_runtime::shape::Site;
/// use einsum_runtime::strided::LoopSpace;
/// use einsum_runtime::view::{View, ViewMut};
/// const SITE: Site = Site { subscripts: "ij->ij", operands: &["c"] };
/// let c = ndarray::arr2(&[[1.0, 2.0], [3.0, 4.0]]);
/// let mut r = ndarray::Array2::<f64>::zeros((2, 2));
/// // loops: i, j; r[i,j] = c[i,j] - c[j,i]
/// let space = LoopSpace::new([2, 2]);
/// let vc = View::<f64, 2>::new(&c, &SITE, 0).unwrap();
/// let mut out = ViewMut::new(&mut r, [2, 2], &SITE, "r").unwrap();
/// combine(
///     out.in_loops(&space, [0, 1]),
///     [vc.in_loops(&space, [0, 1]), vc.in_loops(&space, [1, 0])],
///     [1.0, -1.0],
///     Write::Overwrite,
/// );
/// assert_eq!(r, ndarray::arr2(&[[0.0, -1.0], [1.0, 0.0]]));
/// ```
///
/// # Panics
/// If the operands were checked against different loop spaces, or some loop
/// is not an axis of the output.
pub fn combine<T: LinalgScalar, const L: usize, const P: usize>(
    out: StridedMut<'_, T, L>,
    inputs: [Strided<'_, T, L>; P],
    alphas: [T; P],
    write: Write,
) {
    // A constant condition: only the branch taken is compiled.
    if const { L > PADDED_LOOPS } {
        return combine_any(out, inputs, alphas, write);
    }
    let space = out.space().padded();
    out.assert_inputs_in_space(&inputs);
    let mut out = out.padded(&space);
    let inputs = inputs.map(|input| input.padded(&space));
    if P == 0 {
        return combine_padded::<T, 0>(out, [], [], write);
    }
    // At most `CHUNK` arrays a pass, the later passes adding into the first:
    // one kernel per chunk length instead of one per sum length.
    for (chunk, (inputs, alphas)) in inputs.chunks(CHUNK).zip(alphas.chunks(CHUNK)).enumerate() {
        let write = if chunk == 0 { write } else { Write::Accumulate };
        let out = out.reborrow();
        match inputs.len() {
            1 => combine_padded::<T, 1>(out, as_array(inputs), as_array(alphas), write),
            2 => combine_padded::<T, 2>(out, as_array(inputs), as_array(alphas), write),
            3 => combine_padded::<T, 3>(out, as_array(inputs), as_array(alphas), write),
            _ => combine_padded::<T, CHUNK>(out, as_array(inputs), as_array(alphas), write),
        }
    }
}

/// The arrays a pass of [`combine`] adds at most.
const CHUNK: usize = 4;

/// A chunk of [`combine`]'s inputs as an array.
fn as_array<X: Copy, const N: usize>(chunk: &[X]) -> [X; N] {
    chunk.try_into().expect("a chunk of its length")
}

/// [`combine`] over [`PADDED_LOOPS`] loops: compiled once per element type
/// and number of arrays (up to [`CHUNK`]), out of line.
#[inline(never)]
pub(crate) fn combine_padded<T: LinalgScalar, const P: usize>(
    out: StridedMut<'_, T, PADDED_LOOPS>,
    inputs: [Strided<'_, T, PADDED_LOOPS>; P],
    alphas: [T; P],
    write: Write,
) {
    combine_any(out, inputs, alphas, write)
}

/// [`combine`] over any number of loops and arrays.
fn combine_any<T: LinalgScalar, const L: usize, const P: usize>(
    out: StridedMut<'_, T, L>,
    inputs: [Strided<'_, T, L>; P],
    alphas: [T; P],
    write: Write,
) {
    out.assert_inputs_in_space(&inputs);
    assert!(
        out.indexed().iter().all(|&indexed| indexed),
        "einsum: a linear combination sums no loop: every loop is an output axis"
    );
    let sizes = *out.sizes();
    if sizes.contains(&0) {
        return;
    }
    let order = loop_order(&sizes, &out.strides());
    let in_strides = inputs.map(|i| i.strides());
    let walk = Walk {
        sizes,
        order,
        out_strides: out.strides(),
        in_strides,
        alphas,
        write,
    };
    // SAFETY: the output and every input were checked against `sizes` by
    // `in_loops`, every loop is an output axis, and `run` visits each index
    // of the loop space once, so every pointer it dereferences is inside its
    // array. The output's `&mut` borrow guarantees no input aliases it.
    unsafe { walk.run(out.ptr(), inputs.map(|i| i.ptr())) };
}

/// The loops, outermost first, by decreasing output stride: the output is
/// written in its memory order.
fn loop_order<const L: usize>(sizes: &[usize; L], out_strides: &[isize; L]) -> [usize; L] {
    let mut order: [usize; L] = std::array::from_fn(|l| l);
    order.sort_by_key(|&l| {
        (
            sizes[l] > 1,
            std::cmp::Reverse(out_strides[l].unsigned_abs()),
        )
    });
    // Loops of length 1 first: they cost nothing anywhere.
    order
}

struct Walk<T, const L: usize, const P: usize> {
    sizes: [usize; L],
    order: [usize; L],
    out_strides: [isize; L],
    in_strides: [[isize; L]; P],
    alphas: [T; P],
    write: Write,
}

impl<T: LinalgScalar, const L: usize, const P: usize> Walk<T, L, P> {
    /// Writes every element of the output.
    ///
    /// # Safety
    /// Every index of the loop space, offset by the strides from `out` and
    /// `inputs`, must be in bounds of its array, the output's writable and
    /// aliasing no input; no loop is empty.
    unsafe fn run(&self, out: *mut T, inputs: [*const T; P]) {
        if L == 0 {
            // SAFETY: the one index of an empty loop space is in bounds.
            unsafe { self.element(out, inputs) };
        } else {
            // SAFETY: as for `run`.
            unsafe { self.rows(out, inputs) };
        }
    }

    /// The outer loops by odometer, the innermost as rows.
    ///
    /// # Safety
    /// As for [`Walk::run`], with `L >= 1`.
    unsafe fn rows(&self, mut out: *mut T, mut inputs: [*const T; P]) {
        let (outer, innermost) = self.order.split_at(L - 1);
        let innermost = innermost[0];
        let mut index = [0usize; L];
        loop {
            // SAFETY: the outer loops are at `index`, in range, and the row
            // covers the innermost loop.
            unsafe { self.row(innermost, self.sizes[innermost], out, inputs) };
            let more = advance(outer, &self.sizes, &mut index, |l, by| {
                out = out.wrapping_offset(self.out_strides[l] * by);
                offset_inputs(&mut inputs, &self.in_strides, l, by);
            });
            if !more {
                return;
            }
        }
    }

    /// `length` elements along loop `l` from the pointers.
    ///
    /// # Safety
    /// Those elements are in bounds (see [`Walk::run`]).
    #[inline(always)]
    unsafe fn row(&self, l: usize, length: usize, out: *mut T, inputs: [*const T; P]) {
        let out_stride = self.out_strides[l];
        let strides: [isize; P] = std::array::from_fn(|p| self.in_strides[p][l]);
        // One loop per write mode: dispatching on it for every element cost
        // 1.5x in the loop kernel's rows (docs/BENCHMARKS.md).
        match self.write {
            Write::Overwrite => {
                for t in 0..length as isize {
                    // SAFETY: index `t` of loop `l` is in range for every operand.
                    unsafe {
                        let value = self.sum(|p| inputs[p].offset(t * strides[p]).read());
                        out.offset(t * out_stride).write(value);
                    }
                }
            }
            Write::Accumulate => {
                for t in 0..length as isize {
                    // SAFETY: as above.
                    unsafe {
                        let at = out.offset(t * out_stride);
                        let value = self.sum(|p| inputs[p].offset(t * strides[p]).read());
                        at.write(add(at.read(), value));
                    }
                }
            }
        }
    }

    /// The one element of an empty loop space.
    ///
    /// # Safety
    /// The pointers are in bounds (see [`Walk::run`]).
    unsafe fn element(&self, out: *mut T, inputs: [*const T; P]) {
        // SAFETY: the caller guarantees every pointer is in bounds.
        unsafe {
            let value = self.sum(|p| inputs[p].read());
            match self.write {
                Write::Overwrite => out.write(value),
                Write::Accumulate => out.write(add(out.read(), value)),
            }
        }
    }

    /// `sum_p alphas[p] * input(p)` (the first term as it is, not added to
    /// zero, which would turn `-0.0` into `0.0`).
    #[inline(always)]
    fn sum(&self, input: impl Fn(usize) -> T) -> T {
        if P == 0 {
            return T::zero();
        }
        let mut value = scale(self.alphas[0], input(0));
        for p in 1..P {
            value = add(value, scale(self.alphas[p], input(p)));
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::Site;
    use crate::strided::LoopSpace;
    use crate::view::{View, ViewMut};
    use ndarray::{s, Array, Array2, Array3, ShapeBuilder};

    const SITE: Site = Site {
        subscripts: "ij->ij",
        operands: &["c"],
    };

    /// `r[i,j] = 2 c[i,j] - c[j,i]` on an `n x n` matrix, checked element by element.
    fn antisymmetric_part(n: usize, fortran: bool) {
        let c = Array::from_shape_fn((n, n).set_f(fortran), |(i, j)| (i * 31 + j * 7) as f64);
        let mut r = Array2::<f64>::from_elem((n, n), f64::NAN);
        let space = LoopSpace::new([n, n]);
        let vc = View::<f64, 2>::new(&c, &SITE, 0).unwrap();
        let mut out = ViewMut::new(&mut r, [n, n], &SITE, "r").unwrap();
        combine(
            out.in_loops(&space, [0, 1]),
            [vc.in_loops(&space, [0, 1]), vc.in_loops(&space, [1, 0])],
            [2.0, -1.0],
            Write::Overwrite,
        );
        for i in 0..n {
            for j in 0..n {
                assert_eq!(
                    r[[i, j]],
                    2.0 * c[[i, j]] - c[[j, i]],
                    "n = {n}, ({i}, {j})"
                );
            }
        }
    }

    /// Seven arrays: two chunks (`CHUNK` arrays, then the rest added in),
    /// overwriting a NaN-filled output and then accumulating into it.
    #[test]
    fn more_arrays_than_a_chunk() {
        let n = if cfg!(miri) { 2 } else { 5 };
        let c = Array::from_shape_fn((n, n), |(i, j)| (i * 31 + j * 7) as f64);
        let mut r = Array2::<f64>::from_elem((n, n), f64::NAN);
        let space = LoopSpace::new([n, n]);
        let vc = View::<f64, 2>::new(&c, &SITE, 0).unwrap();
        let (rows, columns) = (vc.in_loops(&space, [0, 1]), vc.in_loops(&space, [1, 0]));
        let inputs = [rows, columns, rows, columns, rows, columns, rows];
        let alphas = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        let mut out = ViewMut::new(&mut r, [n, n], &SITE, "r").unwrap();
        combine(
            out.in_loops(&space, [0, 1]),
            inputs,
            alphas,
            Write::Overwrite,
        );
        combine(
            out.in_loops(&space, [0, 1]),
            inputs,
            alphas,
            Write::Accumulate,
        );
        for i in 0..n {
            for j in 0..n {
                let once = 16.0 * c[[i, j]] + 12.0 * c[[j, i]];
                assert_eq!(r[[i, j]], 2.0 * once, "({i}, {j})");
            }
        }
    }

    #[test]
    fn transposed_reads_at_odd_sizes_and_layouts() {
        let largest = if cfg!(miri) { 11 } else { 37 };
        for n in [0, 1, 2, 5, largest] {
            antisymmetric_part(n, false);
            antisymmetric_part(n, true);
        }
    }

    #[test]
    fn accumulates_over_negative_strides_inside_nan_padding() {
        // Four index orders of a 3-D array, read through a reversed view,
        // added into the middle of a NaN-padded output.
        let (a, c) = (3, 5);
        let x = Array3::from_shape_fn((a, a, c), |(i, j, k)| (i * 100 + j * 10 + k) as f64);
        let reversed = x.slice(s![..;-1, .., ..]);
        let mut padded = Array3::<f64>::from_elem((a + 2, a + 2, c + 2), f64::NAN);
        padded.slice_mut(s![1..=a, 1..=a, 1..=c]).fill(1.0);
        {
            let mut window = padded.slice_mut(s![1..=a, 1..=a, 1..=c]);
            let space = LoopSpace::new([a, a, c]);
            let v = View::<f64, 3>::new(&reversed, &SITE, 0).unwrap();
            let mut out = ViewMut::new(&mut window, [a, a, c], &SITE, "r").unwrap();
            combine(
                out.in_loops(&space, [0, 1, 2]),
                [v.in_loops(&space, [0, 1, 2]), v.in_loops(&space, [1, 0, 2])],
                [1.0, -1.0],
                Write::Accumulate,
            );
        }
        for ((i, j, k), &value) in padded.indexed_iter() {
            let inside = (1..=a).contains(&i) && (1..=a).contains(&j) && (1..=c).contains(&k);
            if inside {
                let (i, j, k) = (i - 1, j - 1, k - 1);
                let expected = 1.0 + reversed[[i, j, k]] - reversed[[j, i, k]];
                assert_eq!(value, expected, "({i}, {j}, {k})");
            } else {
                assert!(
                    value.is_nan(),
                    "wrote outside the window at ({i}, {j}, {k})"
                );
            }
        }
    }

    #[test]
    fn a_broadcast_input_and_a_scalar() {
        // A zero-stride (broadcast) input is read, not written.
        let row = ndarray::arr1(&[1.0, 2.0, 3.0]);
        let broadcast = row.broadcast((4, 3)).unwrap();
        let mut r = Array2::<f64>::zeros((4, 3));
        let space = LoopSpace::new([4, 3]);
        let v = View::<f64, 2>::new(&broadcast, &SITE, 0).unwrap();
        let mut out = ViewMut::new(&mut r, [4, 3], &SITE, "r").unwrap();
        combine(
            out.in_loops(&space, [0, 1]),
            [v.in_loops(&space, [0, 1])],
            [3.0],
            Write::Overwrite,
        );
        assert_eq!(
            r,
            Array2::from_shape_fn((4, 3), |(_, j)| 3.0 * (j + 1) as f64)
        );

        let x = ndarray::arr0(2.0);
        let mut y = ndarray::arr0(1.0);
        let space = LoopSpace::new([]);
        let v = View::<f64, 0>::new(&x, &SITE, 0).unwrap();
        let mut out = ViewMut::new(&mut y, [], &SITE, "r").unwrap();
        combine(
            out.in_loops(&space, []),
            [v.in_loops(&space, []), v.in_loops(&space, [])],
            [1.0, 4.0],
            Write::Accumulate,
        );
        assert_eq!(y[()], 11.0);
    }

    #[test]
    fn a_new_array_is_written_whole() {
        // Under Miri, reading an element `combine_new` did not write fails.
        for (rows, columns) in [(0, 3), (1, 1), (3, 7)] {
            let x = Array::from_shape_fn((rows, columns), |(i, j)| (i * 10 + j) as f64);
            let space = LoopSpace::new([columns, rows]);
            let v = View::<f64, 2>::new(&x, &SITE, 0).unwrap();
            let t = crate::fresh::combine_new(
                [columns, rows],
                [0, 1],
                &space,
                [v.in_loops(&space, [1, 0]), v.in_loops(&space, [1, 0])],
                [0.5, 0.5],
            );
            assert_eq!(t, x.t());
        }
    }

    #[test]
    #[should_panic(expected = "every loop is an output axis")]
    fn a_loop_the_output_lacks_is_refused() {
        let c = Array2::<f64>::zeros((2, 2));
        let mut r = ndarray::Array1::<f64>::zeros(2);
        let space = LoopSpace::new([2, 2]);
        let v = View::<f64, 2>::new(&c, &SITE, 0).unwrap();
        let mut out = ViewMut::new(&mut r, [2], &SITE, "r").unwrap();
        combine(
            out.in_loops(&space, [0]),
            [v.in_loops(&space, [0, 1])],
            [1.0],
            Write::Overwrite,
        );
    }
}
