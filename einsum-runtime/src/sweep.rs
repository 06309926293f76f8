//! The symmetric sweep of fused passes. A step
//! `out[x] += alpha * sum_y a[x,y] a[y,x]` over the two innermost loops
//! (`ij,ji->i`) has symmetric products, `p(x, y) = p(y, x)`: a sweep reads
//! a block of rows against the columns past it together with the
//! transposed elements, so each product feeds two output elements, and the
//! matrix-vector steps over the same array ride along, so that each element
//! is loaded once for all of them.

use crate::fused::BLOCK;
use crate::kernels::{Nest, Write};
use crate::scalar::{add, mul, scale};
use crate::walk::StepPointers;
use ndarray::LinalgScalar;
use std::ops::Range;

/// The two innermost loops of a pass: `second` walks the rows of a block,
/// `inner` the columns.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TwoInnermost {
    pub(crate) second: usize,
    pub(crate) inner: usize,
}

/// Whether a step is `out[x] += alpha * sum_y a[x,y] a[y,x]` over the two
/// innermost loops (`ij,ji->i`): both inputs are the same array, one
/// transposed, and the output follows exactly one of the two loops. Its
/// products are then symmetric, `p(x, y) = p(y, x)`, and each one feeds two
/// output elements.
fn is_symmetric<T, const L: usize>(
    nest: &Nest<T, L, 2>,
    StepPointers { inputs, .. }: StepPointers<T, 2>,
    TwoInnermost { second, inner }: TwoInnermost,
) -> bool {
    let [x, y] = nest.in_strides;
    let o = nest.out_strides;
    inputs[0] == inputs[1]
        && x[second] == y[inner]
        && x[inner] == y[second]
        && x[second] != x[inner]
        && nest.write == Write::Accumulate
        && (o[second] == 0) != (o[inner] == 0)
}

/// How a step reading a symmetric step's array takes part in its sweep: a
/// matrix-vector product `out[x] += alpha * a[., .] v[y]` with `x` and `y`
/// each one of the two loops, accumulating.
fn companion_of<T, const L: usize>(
    nest: &Nest<T, L, 2>,
    StepPointers { inputs, .. }: StepPointers<T, 2>,
    leader: &Nest<T, L, 2>,
    StepPointers {
        inputs: leader_inputs,
        ..
    }: StepPointers<T, 2>,
    TwoInnermost { second, inner }: TwoInnermost,
) -> Option<Kind<T>> {
    let (a, v, o) = (nest.in_strides[0], nest.in_strides[1], nest.out_strides);
    let same_array = inputs[0] == leader_inputs[0]
        && a[second] == leader.in_strides[0][second]
        && a[inner] == leader.in_strides[0][inner];
    let vector = v[second] == 0 || v[inner] == 0;
    let vector_output = o[second] == 0 || o[inner] == 0;
    (same_array && vector && vector_output && nest.write == Write::Accumulate).then_some(
        Kind::Vector {
            v: inputs[1],
            sv: v[second] + v[inner],
            out_on_inner: o[inner] != 0,
            v_on_inner: v[inner] != 0,
        },
    )
}

/// What a step adds up in a sweep.
#[derive(Clone, Copy)]
enum Kind<T> {
    /// `out[x] += alpha * a[x,y] a[y,x]`.
    Symmetric,
    /// `out[x] += alpha * a[p,q] v[y]`, `x` and `y` each `p` or `q`.
    Vector {
        v: *const T,
        sv: isize,
        /// Whether the output follows the inner loop `q` (else `p`).
        out_on_inner: bool,
        /// Whether `v` follows the inner loop `q` (else `p`).
        v_on_inner: bool,
    },
}

/// A step's part in the sweep of its symmetric leader (itself, for a
/// symmetric step).
#[derive(Clone, Copy)]
pub(crate) struct SweepRole<T> {
    /// The step that leads the sweep.
    leader: usize,
    /// What the step adds up in it.
    accumulation: Accumulation<T>,
}

/// Each step's part in the sweep of its symmetric leader, if it has one:
/// the first symmetric step of the pass leads, the other symmetric steps
/// lead their own sweeps, and the matrix-vector steps over the leader's
/// array ride along in its sweep.
pub(crate) fn sweep_roles<T: LinalgScalar, const L: usize, const P: usize>(
    nests: &[Nest<T, L, 2>; P],
    pointers: &[StepPointers<T, 2>; P],
    loops: TwoInnermost,
) -> [Option<SweepRole<T>>; P] {
    let TwoInnermost { second, inner } = loops;
    let (rows, columns) = (nests[0].sizes[second], nests[0].sizes[inner]);
    let symmetric = |p: usize| rows == columns && is_symmetric(&nests[p], pointers[p], loops);
    let leader = (0..P).find(|&p| symmetric(p));
    std::array::from_fn(|p| {
        let nest = &nests[p];
        let accumulation = |kind| Accumulation {
            out: pointers[p].out,
            o: nest.out_strides[second] + nest.out_strides[inner],
            alpha: nest.alpha,
            kind,
        };
        let role = |leader, kind| SweepRole {
            leader,
            accumulation: accumulation(kind),
        };
        match leader {
            Some(l) if l == p => Some(role(p, Kind::Symmetric)),
            Some(_) if symmetric(p) => Some(role(p, Kind::Symmetric)),
            Some(l) => companion_of(nest, pointers[p], &nests[l], pointers[l], loops)
                .map(|kind| role(l, kind)),
            None => None,
        }
    })
}

/// The sweeps of one block of rows: each symmetric step that leads a sweep
/// reads the block against the columns from `block.end` to `columns`, with
/// the steps that ride along in it.
///
/// # Safety
/// As for the pass the nests belong to (see `fused::run`), with the outer
/// loops at in-range indices: `block` and `block.end..columns` must be in
/// range for both loops of `loops`, and `roles` must be the nests' roles.
pub(crate) unsafe fn sweep_block<T: LinalgScalar, const L: usize, const P: usize>(
    nests: &[Nest<T, L, 2>; P],
    pointers: &[StepPointers<T, 2>; P],
    roles: &[Option<SweepRole<T>>; P],
    TwoInnermost { second, inner }: TwoInnermost,
    block: Range<usize>,
    columns: usize,
) {
    for p in 0..P {
        // One sweep per symmetric step, with its companions.
        let Some(own) = roles[p].filter(|role| role.leader == p) else {
            continue;
        };
        let mut accumulations = [own.accumulation; P];
        let mut count = 0;
        for role in roles.iter().flatten().filter(|role| role.leader == p) {
            accumulations[count] = role.accumulation;
            count += 1;
        }
        let sweep = Sweep {
            a: pointers[p].inputs[0],
            sr: nests[p].in_strides[0][second],
            sc: nests[p].in_strides[0][inner],
            columns: block.end..columns,
        };
        // SAFETY: the block's indices and the columns past it are in range
        // for both loops, which have one size; every accumulation was
        // checked against the same loop space.
        unsafe {
            if block.len() == BLOCK {
                sweep.run::<BLOCK, P>(block.start, &accumulations[..count]);
            } else {
                for row in block.clone() {
                    sweep.run::<1, P>(row, &accumulations[..count]);
                }
            }
        }
    }
}

/// A step's output in a sweep: `out + x * o` is its element at index `x`.
#[derive(Clone, Copy)]
struct Accumulation<T> {
    out: *mut T,
    o: isize,
    alpha: T,
    kind: Kind<T>,
}

/// Rows `r0..r0 + H` of `a` against `columns` (all past them), and the
/// transposed elements `a[columns, r0..r0 + H]`.
struct Sweep<T> {
    a: *const T,
    sr: isize,
    sc: isize,
    columns: Range<usize>,
}

impl<T: LinalgScalar> Sweep<T> {
    /// Adds every accumulation's share of the block and its transpose, in
    /// one walk over the columns.
    ///
    /// # Safety
    /// Rows `r0..r0 + H` and `columns` must be in range for both loops of
    /// `a` and of every accumulation's output and vector; at most `P`
    /// accumulations.
    unsafe fn run<const H: usize, const P: usize>(
        &self,
        r0: usize,
        accumulations: &[Accumulation<T>],
    ) {
        let rows: [*const T; H] = std::array::from_fn(|j| self.at(r0 + j, 0));
        let mut row_sums = [[T::zero(); H]; P];
        // Each vector at the block's rows.
        let block_values: [[T; H]; P] = std::array::from_fn(|k| match accumulations.get(k) {
            Some(Accumulation {
                kind: Kind::Vector { v, sv, .. },
                ..
            }) => {
                // SAFETY: the block's rows are in range for the vector.
                std::array::from_fn(|j| unsafe { *v.wrapping_offset((r0 + j) as isize * sv) })
            }
            _ => [T::zero(); H],
        });
        let sc = self.sc;
        for c in self.columns.clone() {
            let strip = self.at(c, r0);
            // SAFETY: rows r0..r0 + H and column c are in range for both loops.
            let (column, strip): ([T; H], [T; H]) = unsafe {
                if sc == 1 {
                    let strip = std::slice::from_raw_parts(strip, H);
                    (
                        std::array::from_fn(|j| *rows[j].add(c)),
                        std::array::from_fn(|j| strip[j]),
                    )
                } else {
                    let at = c as isize * sc;
                    (
                        std::array::from_fn(|j| *rows[j].wrapping_offset(at)),
                        std::array::from_fn(|j| *strip.wrapping_offset(j as isize * sc)),
                    )
                }
            };
            for ((acc, sums), vr) in accumulations.iter().zip(&mut row_sums).zip(&block_values) {
                // Upper elements a[r0 + j, c] = column[j], at (p, q) = (r0 + j, c);
                // lower elements a[c, r0 + j] = strip[j], at (p, q) = (c, r0 + j).
                // Each adds to the output at c (summed over j) or at r0 + j.
                let (to_column, to_rows): ([T; H], [T; H]) = match acc.kind {
                    Kind::Symmetric => {
                        let products = std::array::from_fn(|j| mul(column[j], strip[j]));
                        (products, products)
                    }
                    Kind::Vector {
                        v,
                        sv,
                        out_on_inner,
                        v_on_inner,
                    } => {
                        // SAFETY: c is in range for the vector.
                        let vc = unsafe { *v.wrapping_offset(c as isize * sv) };
                        match (out_on_inner, v_on_inner) {
                            (true, false) => (
                                std::array::from_fn(|j| mul(column[j], vr[j])),
                                std::array::from_fn(|j| mul(strip[j], vc)),
                            ),
                            (false, true) => (
                                std::array::from_fn(|j| mul(strip[j], vr[j])),
                                std::array::from_fn(|j| mul(column[j], vc)),
                            ),
                            (true, true) => (
                                std::array::from_fn(|j| mul(column[j], vc)),
                                std::array::from_fn(|j| mul(strip[j], vr[j])),
                            ),
                            (false, false) => (
                                std::array::from_fn(|j| mul(strip[j], vc)),
                                std::array::from_fn(|j| mul(column[j], vr[j])),
                            ),
                        }
                    }
                };
                for j in 0..H {
                    sums[j] = add(sums[j], to_rows[j]);
                }
                // SAFETY: c is in range for the output.
                unsafe {
                    let out = acc.out.wrapping_offset(c as isize * acc.o);
                    *out = add(
                        *out,
                        scale(
                            acc.alpha,
                            to_column.iter().fold(T::zero(), |s, &x| add(s, x)),
                        ),
                    );
                }
            }
        }
        for (acc, sums) in accumulations.iter().zip(&row_sums) {
            for (j, &sum) in sums.iter().enumerate() {
                // SAFETY: the block's rows are in range for the output.
                unsafe {
                    let out = acc.out.wrapping_offset((r0 + j) as isize * acc.o);
                    *out = add(*out, scale(acc.alpha, sum));
                }
            }
        }
    }

    fn at(&self, p: usize, q: usize) -> *const T {
        self.a
            .wrapping_offset(p as isize * self.sr + q as isize * self.sc)
    }
}
