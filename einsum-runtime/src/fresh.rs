//! Steps that create their output: an overwriting step writes every element
//! of its destination, so a fresh destination needs no zeroing first.
//!
//! Zeroing costs a full pass over the output, as much as the step itself for
//! outer products, transposes and elementwise products (`i,j->ij` took 1.9x
//! a hand-written loop that way).

use crate::combination::combine;
use crate::gemm::{gemm, Roles};
use crate::kernels::{contract, Write};
use crate::strided::{LoopSpace, Strided, StridedMut};
use ndarray::{Array, Dim, Dimension, LinalgScalar};
use std::mem::MaybeUninit;

/// `contract` (see [`crate::kernels::contract`]) into a new array of shape
/// `shape`, whose axis `d` is loop `axis_loops[d]` of `space`.
///
/// ```
/// use einsum_runtime::fresh::contract_new;
/// use einsum_runtime::strided::LoopSpace;
/// use einsum_runtime::view::View;
/// use einsum_runtime::shape::Site;
/// const SITE: Site = Site { subscripts: "i,j->ij", operands: &["x", "y"] };
/// let (x, y) = (ndarray::arr1(&[1.0, 2.0]), ndarray::arr1(&[3.0, 4.0, 5.0]));
/// let space = LoopSpace::new([2, 3]);
/// let (vx, vy) = (View::<f64, 1>::new(&x, &SITE, 0).unwrap(), View::<f64, 1>::new(&y, &SITE, 1).unwrap());
/// let outer = contract_new([2, 3], [0, 1], &space, 2, [vx.in_loops(&space, [0]), vy.in_loops(&space, [1])], 1.0);
/// assert_eq!(outer, ndarray::arr2(&[[3.0, 4.0, 5.0], [6.0, 8.0, 10.0]]));
/// ```
///
/// # Panics
/// As `contract`, and if an axis does not have its loop's size, two axes
/// share a loop, or one of the `n_free` free loops is no axis.
pub fn contract_new<T, const R: usize, const L: usize, const K: usize>(
    shape: [usize; R],
    axis_loops: [usize; R],
    space: &LoopSpace<L>,
    n_free: usize,
    inputs: [Strided<'_, T, L>; K],
    alpha: T,
) -> Array<T, Dim<[usize; R]>>
where
    T: LinalgScalar + Send + Sync,
    Dim<[usize; R]>: Dimension,
{
    let mut fresh = Fresh::new(shape, axis_loops, space);
    contract(
        n_free,
        fresh.output(n_free),
        inputs,
        alpha,
        Write::Overwrite,
    );
    // SAFETY: an overwriting `contract` wrote every element (see `Fresh`).
    unsafe { fresh.assume_written() }
}

/// `gemm` (see [`crate::gemm::gemm`]) into a new array, as [`contract_new`].
///
/// ```
/// use einsum_runtime::fresh::gemm_new;
/// use einsum_runtime::gemm::Roles;
/// use einsum_runtime::strided::LoopSpace;
/// use einsum_runtime::view::View;
/// use einsum_runtime::shape::Site;
/// const SITE: Site = Site { subscripts: "ij,jk->ik", operands: &["a", "b"] };
/// let a = ndarray::Array2::<f64>::ones((40, 30));
/// let b = ndarray::Array2::<f64>::ones((30, 20));
/// let space = LoopSpace::new([40, 20, 30]); // i (m), k (n), j (k)
/// let (va, vb) = (View::<f64, 2>::new(&a, &SITE, 0).unwrap(), View::<f64, 2>::new(&b, &SITE, 1).unwrap());
/// let roles = Roles { batch: 0, m: 1, n: 1, k: 1 };
/// let c = gemm_new([40, 20], [0, 1], &space, roles, va.in_loops(&space, [0, 2]), vb.in_loops(&space, [2, 1]), 1.0);
/// assert!(c.iter().all(|&x| x == 30.0));
/// ```
///
/// # Panics
/// As `gemm`, and as [`contract_new`].
pub fn gemm_new<T, const R: usize, const L: usize>(
    shape: [usize; R],
    axis_loops: [usize; R],
    space: &LoopSpace<L>,
    roles: Roles,
    a: Strided<'_, T, L>,
    b: Strided<'_, T, L>,
    alpha: T,
) -> Array<T, Dim<[usize; R]>>
where
    T: LinalgScalar + Send + Sync,
    Dim<[usize; R]>: Dimension,
{
    let mut fresh = Fresh::new(shape, axis_loops, space);
    let free = roles.batch + roles.m + roles.n;
    gemm(roles, fresh.output(free), a, b, alpha, Write::Overwrite);
    // SAFETY: an overwriting `gemm` wrote every element (see `Fresh`).
    unsafe { fresh.assume_written() }
}

/// `combine` (see [`crate::combination::combine`]) into a new array, as
/// [`contract_new`]: every loop is an axis.
///
/// ```
/// use einsum_runtime::fresh::combine_new;
/// use einsum_runtime::strided::LoopSpace;
/// use einsum_runtime::view::View;
/// use einsum_runtime::shape::Site;
/// const SITE: Site = Site { subscripts: "ij->ij", operands: &["c"] };
/// let c = ndarray::arr2(&[[1.0, 2.0], [3.0, 4.0]]);
/// let space = LoopSpace::new([2, 2]);
/// let vc = View::<f64, 2>::new(&c, &SITE, 0).unwrap();
/// let r = combine_new([2, 2], [0, 1], &space, [vc.in_loops(&space, [0, 1]), vc.in_loops(&space, [1, 0])], [1.0, -1.0]);
/// assert_eq!(r, ndarray::arr2(&[[0.0, -1.0], [1.0, 0.0]]));
/// ```
///
/// # Panics
/// As `combine`, and as [`contract_new`].
pub fn combine_new<T, const R: usize, const L: usize, const P: usize>(
    shape: [usize; R],
    axis_loops: [usize; R],
    space: &LoopSpace<L>,
    inputs: [Strided<'_, T, L>; P],
    alphas: [T; P],
) -> Array<T, Dim<[usize; R]>>
where
    T: LinalgScalar,
    Dim<[usize; R]>: Dimension,
{
    let mut fresh = Fresh::new(shape, axis_loops, space);
    combine(fresh.output(L), inputs, alphas, Write::Overwrite);
    // SAFETY: an overwriting `combine` writes every element, one on each
    // loop, and reads none (see `Fresh`).
    unsafe { fresh.assume_written() }
}

/// A new C-order array, not yet initialized, that one step is about to
/// overwrite through [`Fresh::output`].
///
/// `contract` and `gemm` with [`Write::Overwrite`] write every element of an
/// output whose axes are distinct loops of their own sizes, one on each free
/// loop and none on a summed loop (every index of the free loops is visited;
/// with summed loops the output is first zeroed), and read an element only
/// after writing it.
struct Fresh<'s, T, const R: usize, const L: usize> {
    array: Array<MaybeUninit<T>, Dim<[usize; R]>>,
    axis_loops: [usize; R],
    space: &'s LoopSpace<L>,
}

impl<'s, T: LinalgScalar, const R: usize, const L: usize> Fresh<'s, T, R, L>
where
    Dim<[usize; R]>: Dimension,
{
    /// Allocates an array of `shape`, whose axis `d` is to be loop
    /// `axis_loops[d]` of `space`.
    #[inline(always)]
    fn new(shape: [usize; R], axis_loops: [usize; R], space: &'s LoopSpace<L>) -> Self {
        let mut dim = Dim::<[usize; R]>::default();
        dim.slice_mut().copy_from_slice(&shape);
        Fresh {
            array: Array::uninit(dim),
            axis_loops,
            space,
        }
    }

    /// The array as the output of a step over the space whose first `free`
    /// loops are free (the others summed).
    ///
    /// # Panics
    /// If an axis does not have its loop's size, two axes share a loop, or a
    /// free loop is not one of the axes (see [`StridedMut::of_new_array`]):
    /// the step would not visit every element, and [`Fresh::assume_written`]
    /// would return memory never written.
    #[inline(always)]
    fn output(&mut self, free: usize) -> StridedMut<'_, T, L> {
        StridedMut::of_new_array(&mut self.array, &self.axis_loops, self.space, free)
    }

    /// The array, once written.
    ///
    /// # Safety
    /// An overwriting `contract`, `gemm` or `combine` must have run on [`Fresh::output`]
    /// (and returned), with the free loops that `output` was given: each
    /// axis is a distinct loop of its own size and every free loop is an
    /// axis, so the step's free loops covered every index of the array. (If
    /// the step panicked, the uninitialized array is simply dropped.)
    #[inline(always)]
    unsafe fn assume_written(self) -> Array<T, Dim<[usize; R]>> {
        // SAFETY: every element was written (see above).
        unsafe { self.array.assume_init() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::Site;
    use crate::view::View;
    use ndarray::{s, Array1, Array2, Array3, ShapeBuilder};

    const SITE: Site = Site {
        subscripts: "test",
        operands: &["a", "b"],
    };

    fn value(x: usize) -> f64 {
        ((x * 5 + 1) % 13) as f64 - 6.0
    }

    /// Outer products, transposes and reductions (summed loops are zeroed
    /// first), including empty loops: every element comes out written.
    /// Under Miri a read of an unwritten element is an error.
    #[test]
    fn loop_steps_write_every_element() {
        // Up to 512 iterations plain loops, beyond a loop nest (40 x 30).
        for (n, m) in [(0, 3), (3, 0), (1, 1), (5, 7), (17, 2), (40, 30)] {
            let x = Array1::from_shape_fn(n, value);
            let y = Array1::from_shape_fn(m, |j| value(j + 3));
            let space = LoopSpace::new([n, m]);
            let (vx, vy) = (
                View::<f64, 1>::new(&x, &SITE, 0).unwrap(),
                View::<f64, 1>::new(&y, &SITE, 1).unwrap(),
            );
            let outer = contract_new(
                [n, m],
                [0, 1],
                &space,
                2,
                [vx.in_loops(&space, [0]), vy.in_loops(&space, [1])],
                2.0,
            );
            assert_eq!(
                outer,
                Array2::from_shape_fn((n, m), |(i, j)| 2.0 * x[i] * y[j])
            );

            let a = Array2::from_shape_fn((n, m).f(), |(i, j)| value(i * m + j));
            let va = View::<f64, 2>::new(&a, &SITE, 0).unwrap();
            // ij->ji
            let space_t = LoopSpace::new([m, n]);
            let t = contract_new(
                [m, n],
                [0, 1],
                &space_t,
                2,
                [va.in_loops(&space_t, [1, 0])],
                1.0,
            );
            assert_eq!(t, a.t());
            // ij->i: a summed loop, possibly empty.
            let sums = contract_new([n], [0], &space, 1, [va.in_loops(&space, [0, 1])], 1.0);
            assert_eq!(
                sums,
                Array1::from_shape_fn(n, |i| (0..m).map(|j| a[[i, j]]).sum::<f64>())
            );
        }
        // ijk->kji on a reversed view.
        let a = Array3::from_shape_fn((3, 4, 5), |(i, j, k)| value(i * 20 + j * 5 + k));
        let a = a.slice(s![..;-1, .., ..]);
        let space = LoopSpace::new([5, 4, 3]);
        let va = View::<f64, 3>::new(&a, &SITE, 0).unwrap();
        let t = contract_new(
            [5, 4, 3],
            [0, 1, 2],
            &space,
            3,
            [va.in_loops(&space, [2, 1, 0])],
            1.0,
        );
        assert_eq!(t, a.permuted_axes([2, 1, 0]));
    }

    /// GEMM into a fresh array: plain, with summed loops that do not merge
    /// (looped over, the output zeroed first), and with nothing to sum.
    #[test]
    fn gemm_steps_write_every_element() {
        // 3 x 3 and 2 x 7 x 3 run as plain loops, 33 x 17 x 1 as a loop nest.
        // (Under Miri, the smallest product that takes matrixmultiply.)
        let first = if cfg!(miri) { (8, 8, 8) } else { (20, 30, 40) };
        for (m, k, n) in [
            first,
            (17, 0, 19),
            (0, 5, 3),
            (33, 17, 1),
            (3, 3, 3),
            (2, 7, 3),
        ] {
            let a = Array2::from_shape_fn((m, k), |(i, j)| value(i * k + j));
            let b = Array2::from_shape_fn((k, n).f(), |(i, j)| value(i * n + j + 7));
            let space = LoopSpace::new([m, n, k]);
            let (va, vb) = (
                View::<f64, 2>::new(&a, &SITE, 0).unwrap(),
                View::<f64, 2>::new(&b, &SITE, 1).unwrap(),
            );
            let roles = Roles {
                batch: 0,
                m: 1,
                n: 1,
                k: 1,
            };
            let c = gemm_new(
                [m, n],
                [0, 1],
                &space,
                roles,
                va.in_loops(&space, [0, 2]),
                vb.in_loops(&space, [2, 1]),
                1.0,
            );
            assert_eq!(
                c,
                Array2::from_shape_fn((m, n), |(i, j)| (0..k)
                    .map(|x| a[[i, x]] * b[[x, j]])
                    .sum::<f64>())
            );
        }
        // ijk,jkl->il with a Fortran-order a: j and k do not nest in both.
        let (ni, nj, nk, nl) = (16, 5, 6, 17);
        let a = Array3::from_shape_fn((ni, nj, nk).f(), |(i, j, k)| value(i * 31 + j * 7 + k));
        let b = Array3::from_shape_fn((nj, nk, nl), |(j, k, l)| value(j * 11 + k * 3 + l));
        let space = LoopSpace::new([ni, nl, nj, nk]);
        let (va, vb) = (
            View::<f64, 3>::new(&a, &SITE, 0).unwrap(),
            View::<f64, 3>::new(&b, &SITE, 1).unwrap(),
        );
        let roles = Roles {
            batch: 0,
            m: 1,
            n: 1,
            k: 2,
        };
        let c = gemm_new(
            [ni, nl],
            [0, 1],
            &space,
            roles,
            va.in_loops(&space, [0, 2, 3]),
            vb.in_loops(&space, [2, 3, 1]),
            1.0,
        );
        let want = Array2::from_shape_fn((ni, nl), |(i, l)| {
            let mut s = 0.0;
            for j in 0..nj {
                for k in 0..nk {
                    s += a[[i, j, k]] * b[[j, k, l]];
                }
            }
            s
        });
        assert_eq!(c, want);
    }

    /// `ij->j` told that both loops are free: with `i` empty the step
    /// returns at once, and the new array would be memory never written.
    #[test]
    #[should_panic(expected = "free loop 0 is no axis of the new output")]
    fn a_free_loop_that_is_no_axis_is_refused() {
        let x = Array2::<f64>::zeros((0, 3));
        let space = LoopSpace::new([0, 3]);
        let vx = View::<f64, 2>::new(&x, &SITE, 0).unwrap();
        let _ = contract_new([3], [1], &space, 2, [vx.in_loops(&space, [0, 1])], 1.0);
    }

    /// The same through GEMM: `ij,jk->k` told that `i` is an m loop.
    #[test]
    #[should_panic(expected = "free loop 0 is no axis of the new output")]
    fn a_gemm_free_loop_that_is_no_axis_is_refused() {
        let a = Array2::<f64>::zeros((0, 4));
        let b = Array2::<f64>::zeros((4, 5));
        let space = LoopSpace::new([0, 5, 4]);
        let (va, vb) = (
            View::<f64, 2>::new(&a, &SITE, 0).unwrap(),
            View::<f64, 2>::new(&b, &SITE, 1).unwrap(),
        );
        let roles = Roles {
            batch: 0,
            m: 1,
            n: 1,
            k: 1,
        };
        let _ = gemm_new(
            [5],
            [1],
            &space,
            roles,
            va.in_loops(&space, [0, 2]),
            vb.in_loops(&space, [2, 1]),
            1.0,
        );
    }

    /// `ij->ij` told that `j` is summed: the new array is empty, but with
    /// nothing to sum the step would zero the free loop `i` through the
    /// empty array's dangling pointer (a segmentation fault natively).
    #[test]
    #[should_panic(expected = "the output of a step has an axis on a summed loop")]
    fn an_empty_output_on_a_summed_loop_is_refused() {
        let x = Array2::<f64>::zeros((3, 0));
        let space = LoopSpace::new([3, 0]);
        let vx = View::<f64, 2>::new(&x, &SITE, 0).unwrap();
        let _ = contract_new(
            [3, 0],
            [0, 1],
            &space,
            1,
            [vx.in_loops(&space, [0, 1])],
            1.0,
        );
    }

    #[test]
    #[should_panic(expected = "two output axes on loop 0")]
    fn two_axes_on_one_loop_are_refused() {
        let x = Array1::from_shape_fn(3, value);
        let space = LoopSpace::new([3]);
        let vx = View::<f64, 1>::new(&x, &SITE, 0).unwrap();
        let _ = contract_new([3, 3], [0, 0], &space, 1, [vx.in_loops(&space, [0])], 1.0);
    }

    #[test]
    #[should_panic(expected = "output axis 0 does not have the size of loop 0")]
    fn an_axis_of_the_wrong_size_is_refused() {
        let x = Array1::from_shape_fn(3, value);
        let space = LoopSpace::new([3]);
        let vx = View::<f64, 1>::new(&x, &SITE, 0).unwrap();
        let _ = contract_new([4], [0], &space, 1, [vx.in_loops(&space, [0])], 1.0);
    }
}
