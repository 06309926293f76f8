//! GEMM dispatch: pairwise steps whose loops group into batch / m / n / k
//! run as (batched) `matrixmultiply` calls with the operands' own strides.
//!
//! A step's loops come ordered `[batch.., m.., n.., k..]`: the output uses
//! batch, m and n; `a` uses batch, m and k; `b` uses batch, k and n. The
//! loops of each of m, n and k merge into one GEMM dimension when their
//! strides nest (`stride[outer] == stride[inner] * size[inner]`) in every
//! operand that uses them; loops that do not merge join the batch loops.
//! Element types other
//! than `f32`, `f64`, `Complex<f32>` and `Complex<f64>`, and products too small
//! for GEMM to pay, run in the loop kernel instead.

use crate::kernels::{contract, Write};
use crate::strided::{Strided, StridedMut, PADDED_LOOPS};
use crate::walk::{advance, fill_zero, LoopList};
use ndarray::LinalgScalar;
use num_complex::Complex;
use std::any::TypeId;
use std::ops::Range;

/// Below this many multiply-adds a GEMM call costs more than it saves
/// (packing buffers, dispatch); the loop kernel runs instead. Under Miri,
/// which runs matrixmultiply thousands of times slower than native code,
/// the tests reach it from 8 x 8 x 8.
const MIN_GEMM_WORK: usize = if cfg!(miri) { 8 * 8 * 8 } else { 16 * 16 * 16 };

/// The loop counts of each role; the loops are ordered `[batch.., m.., n.., k..]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roles {
    /// Loops in the output, `a` and `b`.
    pub batch: usize,
    /// Loops in the output and `a`.
    pub m: usize,
    /// Loops in the output and `b`.
    pub n: usize,
    /// Loops in `a` and `b`, summed.
    pub k: usize,
}

/// The loops of the m, n and k roles (the batch loops are `0..batch`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct RoleLoops {
    m: Range<usize>,
    n: Range<usize>,
    k: Range<usize>,
}

impl Roles {
    /// The m, n and k loops.
    fn loops(self) -> RoleLoops {
        let (m, n, k) = (
            self.batch,
            self.batch + self.m,
            self.batch + self.m + self.n,
        );
        RoleLoops {
            m: m..n,
            n: n..k,
            k: k..k + self.k,
        }
    }
}

/// `out (=|+=) alpha * a * b`, batched over the batch loops.
///
/// ```
/// use einsum_runtime::gemm::{gemm, Roles};
/// use einsum_runtime::kernels::Write;
/// use einsum_runtime::shape::Site;
/// use einsum_runtime::strided::LoopSpace;
/// use einsum_runtime::view::{View, ViewMut};
/// const SITE: Site = Site { subscripts: "ij,jk->ik", operands: &["a", "b"] };
/// let a = ndarray::Array2::<f64>::ones((40, 30));
/// let b = ndarray::Array2::<f64>::ones((30, 20));
/// let mut c = ndarray::Array2::<f64>::zeros((40, 20));
/// let space = LoopSpace::new([40, 20, 30]); // i (m), k (n), j (k)
/// let (va, vb) = (View::<f64, 2>::new(&a, &SITE, 0).unwrap(), View::<f64, 2>::new(&b, &SITE, 1).unwrap());
/// let mut out = ViewMut::new(&mut c, [40, 20], &SITE, "c").unwrap();
/// let roles = Roles { batch: 0, m: 1, n: 1, k: 1 };
/// gemm(roles, out.in_loops(&space, [0, 1]), va.in_loops(&space, [0, 2]), vb.in_loops(&space, [2, 1]), 2.0, Write::Overwrite);
/// assert!(c.iter().all(|&x| x == 60.0));
/// ```
///
/// # Panics
/// If the roles do not cover the loops, the operands were checked against
/// different loop spaces, or the output has an axis on a k loop.
pub fn gemm<T: LinalgScalar + Send + Sync, const L: usize>(
    roles: Roles,
    out: StridedMut<'_, T, L>,
    a: Strided<'_, T, L>,
    b: Strided<'_, T, L>,
    alpha: T,
    write: Write,
) {
    // A constant condition: only the branch taken is compiled.
    if const { L <= PADDED_LOOPS } {
        let space = out.space().padded();
        // The padding loops (size 1, in front) are batch loops.
        let roles = Roles {
            batch: roles.batch + (PADDED_LOOPS - L),
            ..roles
        };
        let (a, b) = (a.padded(&space), b.padded(&space));
        gemm_padded(roles, out.padded(&space), a, b, alpha, write);
    } else {
        gemm_any(roles, out, a, b, alpha, write);
    }
}

/// [`gemm`] over [`PADDED_LOOPS`] loops: compiled once per element type,
/// out of line.
#[inline(never)]
pub(crate) fn gemm_padded<T: LinalgScalar + Send + Sync>(
    roles: Roles,
    out: StridedMut<'_, T, PADDED_LOOPS>,
    a: Strided<'_, T, PADDED_LOOPS>,
    b: Strided<'_, T, PADDED_LOOPS>,
    alpha: T,
    write: Write,
) {
    gemm_any(roles, out, a, b, alpha, write)
}

/// [`gemm`] over any number of loops.
#[inline(always)]
fn gemm_any<T: LinalgScalar + Send + Sync, const L: usize>(
    roles: Roles,
    out: StridedMut<'_, T, L>,
    a: Strided<'_, T, L>,
    b: Strided<'_, T, L>,
    alpha: T,
    write: Write,
) {
    let Roles { batch, m, n, k } = roles;
    assert_eq!(
        batch + m + n + k,
        L,
        "einsum: GEMM roles do not cover the loops"
    );
    out.assert_inputs_in_space(&[a, b]);
    // As in `contract`: the output may only have axes on the free loops
    // (the k loops come last).
    out.assert_free_loops(batch + m + n);
    let sizes = out.sizes();
    let loops = roles.loops();
    let independent =
        |strides: &[isize; L], loops: &Range<usize>| loops.clone().all(|l| strides[l] == 0);
    let shaped_like_gemm = independent(&a.strides(), &loops.n)
        && independent(&b.strides(), &loops.m)
        && independent(&out.strides(), &loops.k);
    // Checked: broadcast (zero-stride) loops may multiply past `usize::MAX`,
    // with or without an empty loop after them. Such a step is left to the
    // loop kernel, which checks its work the same way (and, GEMM or not,
    // could never finish one that large unless a loop is empty).
    let work = sizes.iter().try_fold(1usize, |w, &n| w.checked_mul(n));
    if !shaped_like_gemm || work.is_none_or(|w| w < MIN_GEMM_WORK) || !is_gemm_type::<T>() {
        return contract(batch + m + n, out, [a, b], alpha, write);
    }
    // SAFETY: checked above.
    unsafe { gemm_large(roles, out, a, b, alpha, write) }
}

/// `gemm` for products large enough for matrixmultiply, out of line (see
/// `kernels::contract_nest`).
///
/// # Safety
/// What `gemm` checks: the operands were checked against one loop space, in
/// which they are shaped like a GEMM (`a` independent of the n loops, `b` of
/// the m loops, `out` of the k loops) and whose sizes multiply to at most
/// `usize::MAX` (so do those of any of its loops), and `T` is a GEMM type.
#[inline(never)]
unsafe fn gemm_large<T: LinalgScalar + Send + Sync, const L: usize>(
    roles: Roles,
    out: StridedMut<'_, T, L>,
    a: Strided<'_, T, L>,
    b: Strided<'_, T, L>,
    alpha: T,
    write: Write,
) {
    let Roles { batch, m, n, .. } = roles;
    let sizes = *out.sizes();
    let (out_strides, a_strides, b_strides) = (out.strides(), a.strides(), b.strides());
    let RoleLoops {
        m: m_loops,
        n: n_loops,
        k: k_loops,
    } = roles.loops();
    let mut batch_loops = LoopList::<L>::default();
    (0..batch).for_each(|l| batch_loops.push(l));
    let gm = merge(
        &sizes,
        m_loops,
        [&out_strides, &a_strides],
        &mut batch_loops,
    );
    let gn = merge(
        &sizes,
        n_loops,
        [&out_strides, &b_strides],
        &mut batch_loops,
    );
    let free_batch = batch_loops.len();
    let gk = merge(&sizes, k_loops, [&a_strides, &b_strides], &mut batch_loops);
    let batch_loops = batch_loops.as_slice();
    if gm.size == 0 || gn.size == 0 || batch_loops[..free_batch].iter().any(|&l| sizes[l] == 0) {
        return;
    }
    if gk.size == 0 || batch_loops[free_batch..].iter().any(|&l| sizes[l] == 0) {
        // Nothing to sum: the loop kernel writes the zeros (or adds nothing).
        return contract(batch + m + n, out, [a, b], alpha, write);
    }
    // Summed loops that did not merge into k are looped over, every GEMM call
    // adding into the output: zero it first when overwriting.
    let summed_batch = batch_loops.len() > free_batch;
    if summed_batch && write == Write::Overwrite {
        // SAFETY: the free loops' indices are in range for the checked output.
        unsafe {
            fill_zero(
                &sizes[..batch + m + n],
                &out_strides[..batch + m + n],
                out.ptr(),
            )
        };
    }
    let beta = match write {
        Write::Overwrite if !summed_batch => T::zero(),
        _ => T::one(),
    };
    let call = |a_ptr: *const T, b_ptr: *const T, c_ptr: *mut T| {
        // SAFETY: every loop of the step is either a batch loop (fixed at an
        // in-range index by the caller of `call`) or part of a merged m/n/k
        // dimension whose size and stride cover exactly its loops' index
        // range; `in_loops` checked all of those against the operands' shapes,
        // so every element GEMM touches is inside its array. `out` is borrowed
        // mutably, so it aliases neither input. `is_gemm_type` matched `T`.
        unsafe {
            MatMul {
                m: gm.size,
                k: gk.size,
                n: gn.size,
                alpha,
                a: Matrix {
                    ptr: a_ptr,
                    row_stride: gm.strides[1],
                    column_stride: gk.strides[0],
                },
                b: Matrix {
                    ptr: b_ptr,
                    row_stride: gk.strides[1],
                    column_stride: gn.strides[1],
                },
                beta,
                c: Matrix {
                    ptr: c_ptr,
                    row_stride: gm.strides[0],
                    column_stride: gn.strides[0],
                },
            }
            .run()
        }
    };
    let (mut pa, mut pb, mut pc) = (a.ptr(), b.ptr(), out.ptr());
    let mut index = [0usize; L];
    loop {
        call(pa, pb, pc);
        if !advance(batch_loops, &sizes, &mut index, |l, by| {
            pa = pa.wrapping_offset(a_strides[l] * by);
            pb = pb.wrapping_offset(b_strides[l] * by);
            pc = pc.wrapping_offset(out_strides[l] * by);
        }) {
            return;
        }
    }
}

/// One GEMM dimension merged from a role's loops: its size and its stride
/// in each of the two operands using it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Merged {
    size: usize,
    strides: [isize; 2],
}

/// Merges `loops` into one dimension for both operands: loops of length 1
/// drop out, the others are ordered by the first operand's stride, and the
/// longest inner run whose strides nest in both operands is merged; the
/// outer loops that do not nest are appended to `batch`.
fn merge<const L: usize>(
    sizes: &[usize; L],
    loops: Range<usize>,
    strides: [&[isize; L]; 2],
    batch: &mut LoopList<L>,
) -> Merged {
    let mut live = LoopList::<L>::default();
    loops.filter(|&l| sizes[l] != 1).for_each(|l| live.push(l));
    let live = live.as_mut_slice();
    live.sort_by_key(|&l| std::cmp::Reverse(strides[0][l].unsigned_abs()));
    let mut merged = Merged {
        size: 1,
        strides: [0, 0],
    };
    let mut start = live.len();
    while start > 0 {
        let outer = live[start - 1];
        let nests = |s: &[isize; L]| {
            start == live.len() || s[outer] == stride_past(s, &live[start..], sizes)
        };
        if !(nests(strides[0]) && nests(strides[1])) {
            break;
        }
        start -= 1;
    }
    if let Some(&innermost) = live.last() {
        if start < live.len() {
            merged.strides = [strides[0][innermost], strides[1][innermost]];
        }
    }
    merged.size = live[start..].iter().map(|&l| sizes[l]).product();
    live[..start].iter().for_each(|&l| batch.push(l));
    merged
}

/// The stride one step past the run `loops` (outermost first): `stride * size` of its outermost loop.
fn stride_past<const L: usize>(s: &[isize; L], loops: &[usize], sizes: &[usize; L]) -> isize {
    let outer = loops[0];
    s[outer] * sizes[outer] as isize
}

fn is_gemm_type<T: 'static>() -> bool {
    let t = TypeId::of::<T>();
    t == TypeId::of::<f32>()
        || t == TypeId::of::<f64>()
        || t == TypeId::of::<Complex<f32>>()
        || t == TypeId::of::<Complex<f64>>()
}

/// A matrix as matrixmultiply reads it: the element at (0, 0) and the
/// strides between rows and between columns, in elements.
#[derive(Debug, Clone, Copy)]
struct Matrix<P> {
    ptr: P,
    row_stride: isize,
    column_stride: isize,
}

/// `c = alpha * a * b + beta * c`, `a` of `m x k`, `b` of `k x n`, `c` of
/// `m x n`: one matrixmultiply call.
#[derive(Debug, Clone, Copy)]
struct MatMul<T> {
    m: usize,
    k: usize,
    n: usize,
    alpha: T,
    a: Matrix<*const T>,
    b: Matrix<*const T>,
    beta: T,
    c: Matrix<*mut T>,
}

impl<T: LinalgScalar> MatMul<T> {
    /// Calls matrixmultiply's GEMM for `T`.
    ///
    /// # Safety
    /// `T` must be one of the GEMM types, and the pointers, sizes and strides
    /// must describe in-bounds matrices (`c` not aliasing `a` or `b`).
    unsafe fn run(self) {
        let MatMul {
            m,
            k,
            n,
            alpha,
            a,
            b,
            beta,
            c,
        } = self;
        let (rsa, csa, rsb, csb, rsc, csc) = (
            a.row_stride,
            a.column_stride,
            b.row_stride,
            b.column_stride,
            c.row_stride,
            c.column_stride,
        );
        let (a, b, c) = (a.ptr, b.ptr, c.ptr);
        let t = TypeId::of::<T>();
        // SAFETY: `T` is the type named in the arm, so the pointer and
        // value casts are identities; `Complex<F>` is `repr(C)` `{re, im}`, the
        // layout of matrixmultiply's `[F; 2]`. Bounds are the caller's contract.
        unsafe {
            if t == TypeId::of::<f64>() {
                matrixmultiply::dgemm(
                    m,
                    k,
                    n,
                    cast(alpha),
                    a.cast(),
                    rsa,
                    csa,
                    b.cast(),
                    rsb,
                    csb,
                    cast(beta),
                    c.cast(),
                    rsc,
                    csc,
                )
            } else if t == TypeId::of::<f32>() {
                matrixmultiply::sgemm(
                    m,
                    k,
                    n,
                    cast(alpha),
                    a.cast(),
                    rsa,
                    csa,
                    b.cast(),
                    rsb,
                    csb,
                    cast(beta),
                    c.cast(),
                    rsc,
                    csc,
                )
            } else if t == TypeId::of::<Complex<f64>>() {
                let (alpha, beta): (Complex<f64>, Complex<f64>) = (cast(alpha), cast(beta));
                matrixmultiply::zgemm(
                    matrixmultiply::CGemmOption::Standard,
                    matrixmultiply::CGemmOption::Standard,
                    m,
                    k,
                    n,
                    [alpha.re, alpha.im],
                    a.cast(),
                    rsa,
                    csa,
                    b.cast(),
                    rsb,
                    csb,
                    [beta.re, beta.im],
                    c.cast(),
                    rsc,
                    csc,
                )
            } else if t == TypeId::of::<Complex<f32>>() {
                let (alpha, beta): (Complex<f32>, Complex<f32>) = (cast(alpha), cast(beta));
                matrixmultiply::cgemm(
                    matrixmultiply::CGemmOption::Standard,
                    matrixmultiply::CGemmOption::Standard,
                    m,
                    k,
                    n,
                    [alpha.re, alpha.im],
                    a.cast(),
                    rsa,
                    csa,
                    b.cast(),
                    rsb,
                    csb,
                    [beta.re, beta.im],
                    c.cast(),
                    rsc,
                    csc,
                )
            } else {
                unreachable!("MatMul::run called with a non-GEMM type")
            }
        }
    }
}

/// `value` as `U`, which must be the same type as `T`.
fn cast<T: 'static + Copy, U: 'static + Copy>(value: T) -> U {
    *(&value as &dyn std::any::Any)
        .downcast_ref::<U>()
        .expect("same type")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::Site;
    use crate::strided::LoopSpace;
    use crate::view::{View, ViewMut};
    use ndarray::{s, Array, Array2, Array3, ShapeBuilder};

    const SITE: Site = Site {
        subscripts: "test",
        operands: &["a", "b"],
    };

    fn filled<D: ndarray::Dimension>(shape: impl ndarray::ShapeBuilder<Dim = D>) -> Array<f64, D> {
        let mut a = Array::zeros(shape);
        for (k, x) in a.iter_mut().enumerate() {
            *x = ((k * 7 + 3) % 13) as f64 - 6.0;
        }
        a
    }

    #[test]
    fn merging_nested_and_non_nested_loops() {
        // Two m loops of a C-order (4, 5) block merge into 20 with stride 1.
        let sizes = [4, 5];
        let c_order = [5isize, 1];
        let mut batch = LoopList::default();
        let f = merge(&sizes, 0..2, [&c_order, &c_order], &mut batch);
        assert_eq!((f.size, f.strides, batch.len()), (20, [1, 1], 0));
        // Same loops, the second operand transposed: only the inner loop merges.
        let f_order = [1isize, 4];
        let f = merge(&sizes, 0..2, [&c_order, &f_order], &mut batch);
        assert_eq!((f.size, batch.as_slice()), (5, &[0][..]));
    }

    #[test]
    fn broadcast_loops_merge_only_where_every_operand_nests() {
        // m loops (6, 40): the output is C-order, `a` broadcasts the outer
        // loop (stride 0, an ellipsis axis stretched from 1). Merging them
        // into one m of 240 would walk `a` past its 40 rows.
        let sizes = [6, 40];
        let (out, a) = ([40isize, 1], [0isize, 1]);
        let mut batch = LoopList::default();
        let f = merge(&sizes, 0..2, [&out, &a], &mut batch);
        assert_eq!(
            (f.size, f.strides, batch.as_slice()),
            (40, [1, 1], &[0][..])
        );
        // `a` constant along both loops (a broadcast scalar row): the loops
        // nest in both (0 = 0 * 40), and the merged m reads `a` with stride 0.
        let mut batch = LoopList::default();
        let f = merge(&sizes, 0..2, [&out, &[0, 0]], &mut batch);
        assert_eq!((f.size, f.strides, batch.len()), (240, [1, 0], 0));
        // A stride-0 loop alone is a broadcast m: GEMM reads the same row of
        // `a` for every m (its row stride 0), which is right.
        let mut batch = LoopList::default();
        let f = merge(&[6], 0..1, [&[1], &[0]], &mut batch);
        assert_eq!((f.size, f.strides, batch.len()), (6, [1, 0], 0));
    }

    #[test]
    fn gemm_with_a_broadcast_m_loop_matches_loops() {
        // "bij,jk->bik" with `a` broadcast along b (stride 0): loops b, i (m), k (n), j (k).
        let a = filled((1, 40, 30));
        let a = a.broadcast((6, 40, 30)).unwrap();
        let b = filled((30, 20));
        let space = LoopSpace::new([6, 40, 20, 30]);
        let va = View::<f64, 3>::new(&a, &SITE, 0).unwrap();
        let vb = View::<f64, 2>::new(&b, &SITE, 1).unwrap();
        let mut c = Array3::<f64>::from_elem((6, 40, 20), f64::NAN);
        let mut want = Array3::<f64>::zeros((6, 40, 20));
        for ((bb, i, k), w) in want.indexed_iter_mut() {
            *w = (0..30).map(|j| a[(bb, i, j)] * b[(j, k)]).sum();
        }
        for roles in [
            Roles {
                batch: 0,
                m: 2,
                n: 1,
                k: 1,
            },
            Roles {
                batch: 1,
                m: 1,
                n: 1,
                k: 1,
            },
        ] {
            c.fill(f64::NAN);
            let mut out = ViewMut::new(&mut c, [6, 40, 20], &SITE, "c").unwrap();
            let oa = va.in_loops(&space, [0, 1, 3]);
            gemm(
                roles,
                out.in_loops(&space, [0, 1, 2]),
                oa,
                vb.in_loops(&space, [3, 2]),
                1.0,
                Write::Overwrite,
            );
            assert!(
                c.iter().zip(&want).all(|(x, y)| (x - y).abs() < 1e-9),
                "{roles:?}"
            );
        }
    }

    #[test]
    fn batched_matmul_matches_loops_in_every_layout() {
        // bij,bjk->bik with b = 3, i = 17, j = 19, k = 23, several layouts, NaN padding.
        for (fa, fb, flip) in [
            (false, false, false),
            (true, false, false),
            (false, true, true),
            (true, true, true),
        ] {
            let a: Array3<f64> = if fa {
                filled((3, 17, 19).f())
            } else {
                filled((3, 17, 19))
            };
            let b_owned: Array3<f64> = if fb {
                filled((3, 19, 23).f())
            } else {
                filled((3, 19, 23))
            };
            let b = if flip {
                b_owned.slice(s![.., ..;-1, ..])
            } else {
                b_owned.view()
            };
            let space = LoopSpace::new([3, 17, 23, 19]);
            let va = View::<f64, 3>::new(&a, &SITE, 0).unwrap();
            let vb = View::<f64, 3>::new(&b, &SITE, 1).unwrap();
            let mut expected = Array3::<f64>::zeros((3, 17, 23));
            let mut e = ViewMut::new(&mut expected, [3, 17, 23], &SITE, "e").unwrap();
            contract(
                3,
                e.in_loops(&space, [0, 1, 2]),
                [
                    va.in_loops(&space, [0, 1, 3]),
                    vb.in_loops(&space, [0, 3, 2]),
                ],
                1.5,
                Write::Overwrite,
            );

            let mut padded = Array3::<f64>::from_elem((5, 19, 25), f64::NAN);
            let mut target = padded.slice_mut(s![1..4, 1..18;1, 1..24]);
            let mut out = ViewMut::new(&mut target, [3, 17, 23], &SITE, "c").unwrap();
            let roles = Roles {
                batch: 1,
                m: 1,
                n: 1,
                k: 1,
            };
            gemm(
                roles,
                out.in_loops(&space, [0, 1, 2]),
                va.in_loops(&space, [0, 1, 3]),
                vb.in_loops(&space, [0, 3, 2]),
                1.5,
                Write::Overwrite,
            );
            assert_eq!(target, expected);
            assert_eq!(
                padded.iter().filter(|x| x.is_nan()).count(),
                5 * 19 * 25 - 3 * 17 * 23
            );
        }
    }

    #[test]
    fn summed_loops_that_do_not_merge_accumulate() {
        // ijk,jkl->il with `a` a stepped slice: j and k do not nest in `a`, so
        // one of them is looped over and every GEMM call must add.
        let big: Array3<f64> = filled((17, 9, 14));
        let a = big.slice(s![..;2, ..;2, ..;2]); // (9, 5, 7)
        let b: Array3<f64> = filled((5, 7, 19));
        let space = LoopSpace::new([9, 19, 5, 7]); // i (m), l (n), j, k (k)
        let va = View::<f64, 3>::new(&a, &SITE, 0).unwrap();
        let vb = View::<f64, 3>::new(&b, &SITE, 1).unwrap();
        let mut expected = Array2::<f64>::zeros((9, 19));
        let mut e = ViewMut::new(&mut expected, [9, 19], &SITE, "e").unwrap();
        contract(
            2,
            e.in_loops(&space, [0, 1]),
            [
                va.in_loops(&space, [0, 2, 3]),
                vb.in_loops(&space, [2, 3, 1]),
            ],
            1.0,
            Write::Overwrite,
        );
        for write in [Write::Overwrite, Write::Accumulate] {
            let mut c = Array2::<f64>::from_elem((9, 19), 1.0);
            let mut out = ViewMut::new(&mut c, [9, 19], &SITE, "c").unwrap();
            let roles = Roles {
                batch: 0,
                m: 1,
                n: 1,
                k: 2,
            };
            gemm(
                roles,
                out.in_loops(&space, [0, 1]),
                va.in_loops(&space, [0, 2, 3]),
                vb.in_loops(&space, [2, 3, 1]),
                1.0,
                write,
            );
            let base = if write == Write::Accumulate { 1.0 } else { 0.0 };
            assert_eq!(c, expected.mapv(|x| x + base));
        }
    }

    /// Each GEMM element type (`f32`, `f64` and their complex numbers) at the
    /// smallest size that takes matrixmultiply (16 x 16 x 16, 8 x 8 x 8 under
    /// Miri), against the loop kernel: `bij,bjk->bik` over a batch of two
    /// (looped over), with a Fortran-order `a`, a reversed `b` and a
    /// NaN-padded output, overwriting and then accumulating with a
    /// coefficient of two.
    #[test]
    fn every_gemm_type_matches_the_loop_kernel() {
        fn check<T>(to: impl Fn(f64) -> T, is_nan: impl Fn(&T) -> bool)
        where
            T: LinalgScalar + Send + Sync + std::fmt::Debug + PartialEq,
        {
            let (n, nan) = (if cfg!(miri) { 8 } else { 16 }, to(f64::NAN));
            let batch = 2;
            let a = Array3::from_shape_fn((batch, n, n).f(), |(b, i, j)| {
                to(((b * 5 + i * 3 + j) % 7) as f64 - 3.0)
            });
            let b_data = Array3::from_shape_fn((batch, n, n), |(b, j, k)| {
                to(((b + j * 2 + k * 5) % 9) as f64 - 4.0)
            });
            let b = b_data.slice(s![.., ..;-1, ..]);
            let space = LoopSpace::new([batch, n, n, n]);
            let va = View::<T, 3>::new(&a, &SITE, 0).unwrap();
            let vb = View::<T, 3>::new(&b, &SITE, 1).unwrap();
            let roles = Roles {
                batch: 1,
                m: 1,
                n: 1,
                k: 1,
            };
            let mut want = Array3::from_elem((batch, n, n), to(1.0));
            let mut padded = Array3::from_elem((batch, n + 2, n), nan);
            let mut got = padded.slice_mut(s![.., 1..n + 1, ..]);
            got.fill(to(1.0));
            let writes = [(to(1.0), Write::Overwrite), (to(2.0), Write::Accumulate)];
            for (alpha, write) in writes {
                let mut w = ViewMut::new(&mut want, [batch, n, n], &SITE, "w").unwrap();
                contract(
                    3,
                    w.in_loops(&space, [0, 1, 2]),
                    [
                        va.in_loops(&space, [0, 1, 3]),
                        vb.in_loops(&space, [0, 3, 2]),
                    ],
                    alpha,
                    write,
                );
                let mut out = ViewMut::new(&mut got, [batch, n, n], &SITE, "c").unwrap();
                gemm(
                    roles,
                    out.in_loops(&space, [0, 1, 2]),
                    va.in_loops(&space, [0, 1, 3]),
                    vb.in_loops(&space, [0, 3, 2]),
                    alpha,
                    write,
                );
                assert_eq!(got, want, "{write:?}");
            }
            let outside = padded.slice(s![.., 0..n + 2;n + 1, ..]);
            assert!(outside.iter().all(is_nan), "rows outside the target");
        }
        check(|x| x, |x| x.is_nan());
        check(|x| x as f32, |x| x.is_nan());
        check(|x| Complex::new(x, 1.0 - x), |x| x.re.is_nan());
        check(|x| Complex::new(x as f32, 0.5), |x| x.re.is_nan());
    }

    /// An empty target with an axis on the (empty) k loop: `ij,jk->ij`
    /// counted as `ij,jk->ik`. Nothing to sum, and zeroing the m and n loops
    /// would write through the empty array's dangling pointer.
    #[test]
    #[should_panic(expected = "the output of a step has an axis on a summed loop")]
    fn an_empty_output_on_a_k_loop_is_refused() {
        let a = Array2::<f64>::zeros((4, 0));
        let b = Array2::<f64>::zeros((0, 5));
        let mut target = Array2::<f64>::zeros((4, 0));
        let space = LoopSpace::new([4, 5, 0]);
        let va = View::<f64, 2>::new(&a, &SITE, 0).unwrap();
        let vb = View::<f64, 2>::new(&b, &SITE, 1).unwrap();
        let mut out = ViewMut::new(&mut target, [4, 0], &SITE, "out").unwrap();
        let roles = Roles {
            batch: 0,
            m: 1,
            n: 1,
            k: 1,
        };
        gemm(
            roles,
            out.in_loops(&space, [0, 2]),
            va.in_loops(&space, [0, 2]),
            vb.in_loops(&space, [2, 1]),
            1.0,
            Write::Overwrite,
        );
    }

    #[test]
    fn accumulate_complex_and_integer_fallback() {
        let a = Array2::from_shape_fn((20, 20), |(i, j)| Complex::new(i as f64, j as f64));
        let space = LoopSpace::new([20, 20, 20]);
        let va = View::<Complex<f64>, 2>::new(&a, &SITE, 0).unwrap();
        let mut c = Array2::from_elem((20, 20), Complex::new(1.0, 0.0));
        let mut expected = c.clone();
        let mut e = ViewMut::new(&mut expected, [20, 20], &SITE, "e").unwrap();
        contract(
            2,
            e.in_loops(&space, [0, 1]),
            [va.in_loops(&space, [0, 2]), va.in_loops(&space, [2, 1])],
            Complex::new(0.0, 1.0),
            Write::Accumulate,
        );
        let mut out = ViewMut::new(&mut c, [20, 20], &SITE, "c").unwrap();
        let roles = Roles {
            batch: 0,
            m: 1,
            n: 1,
            k: 1,
        };
        gemm(
            roles,
            out.in_loops(&space, [0, 1]),
            va.in_loops(&space, [0, 2]),
            va.in_loops(&space, [2, 1]),
            Complex::new(0.0, 1.0),
            Write::Accumulate,
        );
        assert_eq!(c, expected);

        let ints = Array2::from_shape_fn((20, 20), |(i, j)| (i * j) as i64);
        let vi = View::<i64, 2>::new(&ints, &SITE, 0).unwrap();
        let mut ci = Array2::<i64>::zeros((20, 20));
        let mut out = ViewMut::new(&mut ci, [20, 20], &SITE, "c").unwrap();
        gemm(
            roles,
            out.in_loops(&space, [0, 1]),
            vi.in_loops(&space, [0, 2]),
            vi.in_loops(&space, [2, 1]),
            1,
            Write::Overwrite,
        );
        assert_eq!(ci, ints.dot(&ints));
    }
}
