//! Shared helpers of the integration tests: an independent naive einsum,
//! deterministic data, the same logical array in many memory layouts, and
//! NaN-padded output targets.
//!
//! Nothing here calls into `lazy-einsum`: the reference evaluator parses the
//! subscripts itself, from numpy's documented rules, and loops over every
//! assignment of the labels. It is slow and obviously correct on purpose.

// Each test binary (`conformance`, `targets`, ...) uses a different subset
// of these helpers; the unused rest would otherwise warn in each of them.
#![allow(dead_code)]

use ndarray::{
    Array, ArrayD, ArrayView, ArrayViewD, ArrayViewMut, Axis, Dimension, IntoDimension, Ix0, Ix1,
    Ix2, Ix3, Ix4, Ix5, Ix6, IxDyn, LinalgScalar, ShapeBuilder, Slice,
};
use num_complex::Complex;
use std::collections::BTreeMap;
use std::fmt::Debug;

// ---------------------------------------------------------------------------
// Element types
// ---------------------------------------------------------------------------

/// The element types the tests run: arithmetic for the reference (wrapping
/// for integers, as numpy's), test data, a sentinel for untouched memory and
/// a comparison.
pub trait Elem: LinalgScalar + Debug + PartialEq + Send + Sync + Materialize<Self> {
    /// For messages.
    const NAME: &'static str;
    /// A small test value; `im` is used by complex types only.
    fn small(re: i64, im: i64) -> Self;
    /// `self + other`, wrapping for integers.
    fn r_add(self, other: Self) -> Self;
    /// `self * other`, wrapping for integers.
    fn r_mul(self, other: Self) -> Self;
    /// A value no computation in the tests produces (NaN for floats).
    fn sentinel() -> Self;
    /// Whether `self` is still [`Elem::sentinel`].
    fn is_sentinel(&self) -> bool;
    /// A size for tolerances: |x| (0 for integers, which compare exactly).
    fn magnitude(&self) -> f64;
    /// Relative tolerance (0 = exact).
    const TOLERANCE: f64;
    /// |a - b| as f64 (0 or 1 for integers: equal or not).
    fn distance(a: Self, b: Self) -> f64;
}

macro_rules! float_elem {
    ($t:ty, $name:literal, $tol:expr) => {
        impl Elem for $t {
            const NAME: &'static str = $name;
            const TOLERANCE: f64 = $tol;
            fn small(re: i64, _im: i64) -> Self {
                re as $t
            }
            fn r_add(self, other: Self) -> Self {
                self + other
            }
            fn r_mul(self, other: Self) -> Self {
                self * other
            }
            fn sentinel() -> Self {
                <$t>::NAN
            }
            fn is_sentinel(&self) -> bool {
                self.is_nan()
            }
            fn magnitude(&self) -> f64 {
                f64::from(self.abs())
            }
            fn distance(a: Self, b: Self) -> f64 {
                if a.is_nan() || b.is_nan() {
                    f64::INFINITY
                } else {
                    f64::from((a - b).abs())
                }
            }
        }
    };
}
float_elem!(f64, "f64", 1e-12);
float_elem!(f32, "f32", 1e-5);

macro_rules! int_elem {
    ($t:ty, $name:literal, $sentinel:expr) => {
        impl Elem for $t {
            const NAME: &'static str = $name;
            const TOLERANCE: f64 = 0.0;
            fn small(re: i64, _im: i64) -> Self {
                re as $t
            }
            fn r_add(self, other: Self) -> Self {
                self.wrapping_add(other)
            }
            fn r_mul(self, other: Self) -> Self {
                self.wrapping_mul(other)
            }
            fn sentinel() -> Self {
                $sentinel
            }
            fn is_sentinel(&self) -> bool {
                *self == $sentinel
            }
            fn magnitude(&self) -> f64 {
                0.0
            }
            fn distance(a: Self, b: Self) -> f64 {
                if a == b {
                    0.0
                } else {
                    1.0
                }
            }
        }
    };
}
int_elem!(i64, "i64", i64::MIN + 12345);
int_elem!(i32, "i32", i32::MIN + 12345);
int_elem!(u8, "u8", 0xA5);

macro_rules! complex_elem {
    ($f:ty, $name:literal, $tol:expr) => {
        impl Elem for Complex<$f> {
            const NAME: &'static str = $name;
            const TOLERANCE: f64 = $tol;
            fn small(re: i64, im: i64) -> Self {
                Complex::new(re as $f, im as $f)
            }
            fn r_add(self, other: Self) -> Self {
                self + other
            }
            fn r_mul(self, other: Self) -> Self {
                self * other
            }
            fn sentinel() -> Self {
                Complex::new(<$f>::NAN, <$f>::NAN)
            }
            fn is_sentinel(&self) -> bool {
                self.re.is_nan() && self.im.is_nan()
            }
            fn magnitude(&self) -> f64 {
                f64::from(self.norm())
            }
            fn distance(a: Self, b: Self) -> f64 {
                let d = f64::from((a - b).norm());
                if d.is_nan() {
                    f64::INFINITY
                } else {
                    d
                }
            }
        }
    };
}
complex_elem!(f64, "Complex<f64>", 1e-12);
complex_elem!(f32, "Complex<f32>", 1e-5);

/// An `einsum!` result as a dynamic array, with the static rank of its type
/// (`Some(n)` for `Ix0..Ix6` and scalars, `None` for `IxDyn`).
///
/// Deliberately not implemented for `Array0`: a rank-0 result must be the
/// element itself, and a test that gets an `Array0` does not compile.
pub trait Materialize<T> {
    /// The value and the static rank of its type.
    fn materialize(self) -> Materialized<T>;
}

/// A result as a dynamic array, and the static rank of its type.
pub type Materialized<T> = (ArrayD<T>, Option<usize>);

macro_rules! materialize_array {
    ($($d:ty),*) => {$(
        impl<T> Materialize<T> for Array<T, $d> {
            fn materialize(self) -> Materialized<T> {
                (self.into_dyn(), <$d as Dimension>::NDIM)
            }
        }
    )*};
}
materialize_array!(Ix1, Ix2, Ix3, Ix4, Ix5, Ix6, IxDyn);

macro_rules! materialize_scalar {
    ($($t:ty),*) => {$(
        impl Materialize<$t> for $t {
            fn materialize(self) -> Materialized<$t> {
                (ArrayD::from_elem(IxDyn(&[]), self), Some(0))
            }
        }
    )*};
}
materialize_scalar!(f64, f32, i64, i32, u8, Complex<f64>, Complex<f32>);

/// The static rank `einsum!` must give a result of rank `rank`.
pub fn expected_static_rank(rank: usize) -> Option<usize> {
    (rank <= 6).then_some(rank)
}

// ---------------------------------------------------------------------------
// Subscripts and the reference evaluator
// ---------------------------------------------------------------------------

/// Subscripts parsed by numpy's rules (no ellipsis).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// Labels of each operand.
    pub inputs: Vec<Vec<char>>,
    /// Labels of the result.
    pub output: Vec<char>,
}

/// Parses `subscripts`: spaces ignored; without `->` the output is every label
/// appearing exactly once over all inputs, sorted by ASCII (uppercase first).
pub fn parse(subscripts: &str) -> Parsed {
    let text: String = subscripts.chars().filter(|c| *c != ' ').collect();
    let (lhs, rhs) = match text.split_once("->") {
        Some((l, r)) => (l.to_string(), Some(r.to_string())),
        None => (text.clone(), None),
    };
    let inputs: Vec<Vec<char>> = lhs.split(',').map(|s| s.chars().collect()).collect();
    for c in inputs.iter().flatten() {
        assert!(c.is_ascii_alphabetic(), "bad label {c:?} in {subscripts:?}");
    }
    let output = match rhs {
        Some(r) => r.chars().collect(),
        None => {
            let mut counts: BTreeMap<char, usize> = BTreeMap::new();
            for &c in inputs.iter().flatten() {
                *counts.entry(c).or_default() += 1;
            }
            // BTreeMap<char> iterates in code-point order: 'A' < 'Z' < 'a'.
            counts
                .into_iter()
                .filter(|&(_, n)| n == 1)
                .map(|(c, _)| c)
                .collect()
        }
    };
    Parsed { inputs, output }
}

/// `subscripts` with every ellipsis written out as labels, for the operands'
/// `shapes`, by numpy's documented rules: an operand's `...` stands for its
/// axes beyond its labels; the ellipses are right-aligned against the widest
/// (which gets fresh letters, unused in `subscripts`, one per axis); the
/// implicit output is the ellipsis then the labels appearing once, sorted.
/// The result has an explicit output and no ellipsis, for [`reference`].
///
/// # Panics
/// If an operand has fewer axes than labels, or the output has no ellipsis
/// while some operand's ellipsis covers axes (numpy raises there).
pub fn expand_ellipsis(subscripts: &str, shapes: &[&[usize]]) -> String {
    let text: String = subscripts.chars().filter(|c| *c != ' ').collect();
    let (lhs, rhs) = match text.split_once("->") {
        Some((l, r)) => (l.to_string(), Some(r.to_string())),
        None => (text.clone(), None),
    };
    let inputs: Vec<&str> = lhs.split(',').collect();
    assert_eq!(
        inputs.len(),
        shapes.len(),
        "operand count of {subscripts:?}"
    );
    let covered: Vec<usize> = inputs
        .iter()
        .zip(shapes)
        .map(|(labels, shape)| match labels.split_once("...") {
            Some((before, after)) => shape
                .len()
                .checked_sub(before.len() + after.len())
                .expect("at least as many axes as labels"),
            None => 0,
        })
        .collect();
    let widest = covered.iter().copied().max().unwrap_or(0);
    let fresh: Vec<char> = ('a'..='z')
        .chain('A'..='Z')
        .filter(|c| !text.contains(*c))
        .take(widest)
        .collect();
    assert_eq!(fresh.len(), widest, "enough free letters");
    let ellipsis_of = |n: usize| -> String { fresh[widest - n..].iter().collect() };
    let written: Vec<String> = inputs
        .iter()
        .zip(&covered)
        .map(|(labels, &n)| labels.replacen("...", &ellipsis_of(n), 1))
        .collect();
    let output = match rhs {
        Some(r) if r.contains("...") => r.replacen("...", &ellipsis_of(widest), 1),
        Some(r) => {
            assert_eq!(widest, 0, "numpy: no '...' in the output of {subscripts:?}");
            r
        }
        None => {
            let mut counts: BTreeMap<char, usize> = BTreeMap::new();
            for c in inputs.iter().flat_map(|l| l.chars()).filter(|c| *c != '.') {
                *counts.entry(c).or_default() += 1;
            }
            let once: String = counts
                .into_iter()
                .filter(|&(_, n)| n == 1)
                .map(|(c, _)| c)
                .collect();
            let ellipsis = if inputs.iter().any(|l| l.contains("...")) {
                ellipsis_of(widest)
            } else {
                String::new()
            };
            ellipsis + &once
        }
    };
    format!("{}->{output}", written.join(","))
}

/// Rank of operand `k` of `subscripts` (number of labels before the k-th comma),
/// usable in types: `Rank<{ rank_of("ij,jk", 1) }>`.
pub const fn rank_of(subscripts: &str, k: usize) -> usize {
    let b = subscripts.as_bytes();
    let (mut i, mut operand, mut n) = (0, 0, 0);
    while i < b.len() {
        let c = b[i];
        if c == b'-' {
            break;
        }
        if c == b',' {
            operand += 1;
        } else if c.is_ascii_alphabetic() && operand == k {
            n += 1;
        }
        i += 1;
    }
    n
}

/// The size of every label, numpy-style: all sizes of a label agree, except
/// that 1 broadcasts against the other operands' sizes (not within one
/// operand: a diagonal's axes are equal).
pub fn label_sizes<T>(parsed: &Parsed, operands: &[ArrayD<T>]) -> BTreeMap<char, usize> {
    assert_eq!(parsed.inputs.len(), operands.len(), "operand count");
    let mut sizes: BTreeMap<char, usize> = BTreeMap::new();
    for (k, (labels, op)) in parsed.inputs.iter().zip(operands).enumerate() {
        assert_eq!(labels.len(), op.ndim(), "rank of operand {k}");
        for (a, (&label, &len)) in labels.iter().zip(op.shape()).enumerate() {
            if let Some(b) = labels[..a].iter().position(|&l| l == label) {
                assert_eq!(
                    op.shape()[b],
                    len,
                    "numpy: label {label} on axes {b} and {a} of operand {k}"
                );
            }
        }
        for (&label, &len) in labels.iter().zip(op.shape()) {
            let entry = sizes.entry(label).or_insert(1);
            if *entry == 1 {
                *entry = len;
            } else {
                assert!(
                    len == 1 || len == *entry,
                    "label {label}: {len} vs {}",
                    *entry
                );
            }
        }
    }
    sizes
}

/// Row-major strides of `shape`, in elements.
fn c_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1; shape.len()];
    for k in (0..shape.len().saturating_sub(1)).rev() {
        strides[k] = strides[k + 1] * shape[k + 1];
    }
    strides
}

/// numpy's einsum, naively: for every assignment of values to the labels,
/// the product of the operands' elements at that assignment is added to the
/// output element at that assignment.
///
/// Each operand is copied to a row-major buffer; moving one label by one
/// moves the operand's offset by the sum of the strides of its axes with that
/// label (two axes for a diagonal, none for an axis of length 1 that is
/// broadcast).
pub fn reference<T: Elem>(subscripts: &str, operands: &[ArrayD<T>]) -> ArrayD<T> {
    let parsed = parse(subscripts);
    let sizes = label_sizes(&parsed, operands);
    let labels: Vec<char> = sizes.keys().copied().collect();
    let dims: Vec<usize> = labels.iter().map(|l| sizes[l]).collect();
    let slot = |c: &char| labels.iter().position(|l| l == c).expect("known label");
    let out_shape: Vec<usize> = parsed.output.iter().map(|c| sizes[c]).collect();
    let mut out = vec![T::zero(); out_shape.iter().product()];
    // How far each label moves the output and each operand.
    let mut out_step = vec![0usize; labels.len()];
    for (c, stride) in parsed.output.iter().zip(c_strides(&out_shape)) {
        out_step[slot(c)] += stride;
    }
    let data: Vec<Vec<T>> = operands
        .iter()
        .map(|op| op.iter().copied().collect())
        .collect();
    let steps: Vec<Vec<usize>> = parsed
        .inputs
        .iter()
        .zip(operands)
        .map(|(ls, op)| {
            let mut step = vec![0usize; labels.len()];
            for ((c, &len), stride) in ls.iter().zip(op.shape()).zip(c_strides(op.shape())) {
                let s = slot(c);
                if len == dims[s] {
                    step[s] += stride;
                }
            }
            step
        })
        .collect();
    if !dims.contains(&0) {
        let mut assignment = vec![0usize; labels.len()];
        let mut offsets = vec![0usize; operands.len()];
        let mut out_offset = 0usize;
        'assignments: loop {
            let mut product = T::one();
            for (d, &o) in data.iter().zip(&offsets) {
                product = product.r_mul(d[o]);
            }
            out[out_offset] = out[out_offset].r_add(product);
            // Odometer over the assignment, last label fastest.
            let mut l = labels.len();
            loop {
                if l == 0 {
                    break 'assignments;
                }
                l -= 1;
                assignment[l] += 1;
                out_offset += out_step[l];
                for (o, step) in offsets.iter_mut().zip(&steps) {
                    *o += step[l];
                }
                if assignment[l] < dims[l] {
                    break;
                }
                assignment[l] = 0;
                out_offset -= out_step[l] * dims[l];
                for (o, step) in offsets.iter_mut().zip(&steps) {
                    *o -= step[l] * dims[l];
                }
            }
        }
    }
    ArrayD::from_shape_vec(IxDyn(&out_shape), out).expect("row-major buffer of the output shape")
}

/// Elementwise `a * ca + b * cb` (used for the reference of linear combinations).
pub fn combine<T: Elem>(a: &ArrayD<T>, ca: T, b: &ArrayD<T>, cb: T) -> ArrayD<T> {
    assert_eq!(a.shape(), b.shape());
    let mut out = a.clone();
    out.zip_mut_with(b, |x, &y| *x = x.r_mul(ca).r_add(y.r_mul(cb)));
    out
}

/// Asserts `got` equals `want` (exactly for integers, within the type's
/// relative tolerance of the largest reference element for floats), and that
/// the result's static rank is the one `einsum!` promises.
pub fn assert_close<T: Elem>(what: &str, got: &ArrayD<T>, want: &ArrayD<T>) {
    assert_eq!(got.shape(), want.shape(), "{what} ({}): shape", T::NAME);
    let scale = want.iter().map(Elem::magnitude).fold(1.0, f64::max);
    let tolerance = T::TOLERANCE * scale;
    for ((index, &g), &w) in got.indexed_iter().zip(want.iter()) {
        let d = T::distance(g, w);
        assert!(
            d <= tolerance,
            "{what} ({}): at {:?} got {g:?}, want {w:?}\n got: {got:?}\nwant: {want:?}",
            T::NAME,
            index.slice()
        );
    }
}

/// [`assert_close`] on an `einsum!` result, checking also its static rank.
pub fn check_result<T: Elem, R: Materialize<T>>(what: &str, got: R, want: &ArrayD<T>) {
    check_materialized(what, got.materialize(), want);
}

/// [`check_result`] on an already materialized result.
pub fn check_materialized<T: Elem>(
    what: &str,
    (value, static_rank): Materialized<T>,
    want: &ArrayD<T>,
) {
    assert_eq!(
        static_rank,
        expected_static_rank(want.ndim()),
        "{what}: static rank of the result type"
    );
    assert_close(what, &value, want);
}

// ---------------------------------------------------------------------------
// Deterministic data
// ---------------------------------------------------------------------------

/// A tiny linear congruential generator (Knuth's MMIX constants).
#[derive(Debug, Clone)]
pub struct Lcg(u64);

impl Lcg {
    /// A generator; equal seeds give equal streams.
    pub fn new(seed: u64) -> Self {
        Lcg(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x2545_F491_4F6C_DD1D)
    }

    /// The next 31 random bits.
    pub fn next_u32(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }

    /// A small integer in `-range..=range`.
    pub fn small(&mut self, range: i64) -> i64 {
        i64::from(self.next_u32() % (2 * range as u32 + 1)) - range
    }
}

/// An array of small integer-valued elements (in -2..=2, both parts for complex).
pub fn random<T: Elem, Sh: IntoDimension>(shape: Sh, rng: &mut Lcg) -> Array<T, Sh::Dim> {
    let dim = shape.into_dimension();
    let n = dim.size();
    let data: Vec<T> = (0..n)
        .map(|_| {
            let re = rng.small(2);
            let im = rng.small(2);
            T::small(re, im)
        })
        .collect();
    Array::from_shape_vec(dim, data).expect("length is the product of the shape")
}

/// [`random`] with a dynamic shape.
pub fn random_dyn<T: Elem>(shape: &[usize], rng: &mut Lcg) -> ArrayD<T> {
    random(IxDyn(shape), rng)
}

// ---------------------------------------------------------------------------
// Layouts
// ---------------------------------------------------------------------------

/// How an operand's elements are laid out in memory. Every layout holds the
/// same logical array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Row-major, contiguous.
    C,
    /// Column-major, contiguous.
    F,
    /// Every axis has a negative stride (a reversed buffer read backwards).
    Negative,
    /// A slice of a bigger buffer stepping 2 on even axes and -3 on odd axes.
    Stepped,
}

/// Layouts that hold any logical array.
pub const LAYOUTS: [Layout; 4] = [Layout::C, Layout::F, Layout::Negative, Layout::Stepped];

/// A logical array stored in a given layout; [`Laid::view`] reads it.
#[derive(Debug, Clone)]
pub struct Laid<T, D: Dimension> {
    base: Array<T, D>,
    layout: Layout,
}

fn stepped_slice(axis: usize) -> Slice {
    if axis % 2 == 0 {
        Slice::new(0, None, 2)
    } else {
        Slice::new(0, None, -3)
    }
}

fn stepped_len(axis: usize, len: usize) -> usize {
    if len == 0 {
        0
    } else if axis % 2 == 0 {
        2 * len - 1
    } else {
        3 * len - 2
    }
}

/// `a` stored in `layout`.
pub fn lay<T: Elem, D: Dimension>(a: &Array<T, D>, layout: Layout) -> Laid<T, D> {
    let base = match layout {
        Layout::C => a.as_standard_layout().into_owned(),
        Layout::F => {
            let mut f = Array::zeros(a.raw_dim().f());
            f.assign(a);
            f
        }
        Layout::Negative => {
            // Store `a` reversed on every axis in C order, then reverse every
            // axis of that: the logical array is `a` again, all strides negative.
            let mut reversed = a.view();
            for k in 0..a.ndim() {
                reversed.invert_axis(Axis(k));
            }
            let mut b = reversed.as_standard_layout().into_owned();
            for k in 0..b.ndim() {
                b.invert_axis(Axis(k));
            }
            b
        }
        Layout::Stepped => {
            let mut big_dim = a.raw_dim();
            for (k, len) in big_dim.slice_mut().iter_mut().enumerate() {
                *len = stepped_len(k, *len);
            }
            let mut big = Array::from_elem(big_dim, T::sentinel());
            big.slice_each_axis_mut(|ax| stepped_slice(ax.axis.index()))
                .assign(a);
            big
        }
    };
    let laid = Laid { base, layout };
    assert!(laid.view() == a.view(), "{layout:?} holds the same array");
    laid
}

impl<T: Elem, D: Dimension> Laid<T, D> {
    /// The logical array.
    pub fn view(&self) -> ArrayView<'_, T, D> {
        match self.layout {
            Layout::Stepped => self
                .base
                .slice_each_axis(|ax| stepped_slice(ax.axis.index())),
            _ => self.base.view(),
        }
    }

    /// Checks the view really has the layout it claims.
    pub fn check_layout(&self) {
        let v = self.view();
        let interesting = v.ndim() > 0 && v.shape().iter().all(|&n| n > 1);
        if !interesting {
            return;
        }
        match self.layout {
            Layout::C => assert!(v.is_standard_layout()),
            Layout::F => assert!(v.t().is_standard_layout()),
            Layout::Negative => assert!(v.strides().iter().all(|&s| s < 0), "{:?}", v.strides()),
            Layout::Stepped => assert!(!v.is_standard_layout() && !v.t().is_standard_layout()),
        }
    }
}

/// `a` as a zero-stride broadcast view: `base` (the array with axis 0 of
/// length 1) read `len` times along axis 0. Returns the base to keep alive.
pub fn broadcast_base<T: Elem>(shape: &[usize], rng: &mut Lcg) -> ArrayD<T> {
    let mut base_shape = shape.to_vec();
    if let Some(first) = base_shape.first_mut() {
        *first = (*first).min(1);
    }
    random_dyn(&base_shape, rng)
}

/// The zero-stride view of a [`broadcast_base`] with the full shape.
pub fn broadcast_view<'a, T: Elem>(base: &'a ArrayD<T>, shape: &[usize]) -> ArrayViewD<'a, T> {
    base.broadcast(IxDyn(shape)).expect("broadcastable")
}

/// Views a dynamic array with a fixed dimension type.
pub trait FixedRank {
    /// `Ix0`..`Ix6`, `IxDyn` from rank 7 on (as `einsum!` results).
    type Dim: Dimension;
}

/// The rank `N` as a type, for [`FixedRank`].
pub struct Rank<const N: usize>;

macro_rules! fixed_rank {
    ($($n:literal => $d:ty),*) => {$(
        impl FixedRank for Rank<$n> {
            type Dim = $d;
        }
    )*};
}
fixed_rank!(0 => Ix0, 1 => Ix1, 2 => Ix2, 3 => Ix3, 4 => Ix4, 5 => Ix5, 6 => Ix6, 7 => IxDyn, 8 => IxDyn);

/// `a` with the fixed dimension type of rank `N` (same strides).
pub fn fixed<'a, T, const N: usize>(
    a: &ArrayViewD<'a, T>,
) -> ArrayView<'a, T, <Rank<N> as FixedRank>::Dim>
where
    Rank<N>: FixedRank,
{
    a.clone()
        .into_dimensionality()
        .expect("rank matches the subscripts")
}

// ---------------------------------------------------------------------------
// NaN-padded output targets
// ---------------------------------------------------------------------------

/// How an output target sits inside its padded buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetLayout {
    /// A contiguous C-order block inside a C-order buffer.
    C,
    /// A contiguous block inside a Fortran-order buffer.
    F,
    /// Every axis read backwards (step -1).
    Negative,
    /// Steps 2 and -3 on alternate axes.
    Stepped,
}

/// Every target layout.
pub const TARGET_LAYOUTS: [TargetLayout; 4] = [
    TargetLayout::C,
    TargetLayout::F,
    TargetLayout::Negative,
    TargetLayout::Stepped,
];

/// A buffer filled with the sentinel (NaN), bigger than the target on every
/// axis; [`Padded::target`] is the interior view einsum writes into.
#[derive(Debug)]
pub struct Padded<T, D: Dimension> {
    buffer: Array<T, D>,
    inside: Array<bool, D>,
    layout: TargetLayout,
    shape: Vec<usize>,
}

const MARGIN: usize = 2;

fn target_slice(layout: TargetLayout, axis: usize, len: usize) -> Slice {
    let start = MARGIN as isize;
    match layout {
        TargetLayout::C | TargetLayout::F => Slice::new(start, Some(start + len as isize), 1),
        TargetLayout::Negative => Slice::new(start, Some(start + len as isize), -1),
        TargetLayout::Stepped => {
            let span = stepped_len(axis, len) as isize;
            Slice::new(
                start,
                Some(start + span),
                if axis % 2 == 0 { 2 } else { -3 },
            )
        }
    }
}

impl<T: Elem, D: Dimension> Padded<T, D> {
    /// A padded buffer for a target of shape `shape`.
    pub fn new<Sh: IntoDimension<Dim = D>>(shape: Sh, layout: TargetLayout) -> Self {
        let shape = shape.into_dimension();
        let mut big = shape.clone();
        for (k, len) in big.slice_mut().iter_mut().enumerate() {
            let span = match layout {
                TargetLayout::Stepped => stepped_len(k, *len),
                _ => *len,
            };
            *len = span + 2 * MARGIN;
        }
        let buffer = match layout {
            TargetLayout::F => Array::from_elem(big.clone().f(), T::sentinel()),
            _ => Array::from_elem(big.clone(), T::sentinel()),
        };
        let mut inside = Array::from_elem(big, false);
        let sizes: Vec<usize> = shape.slice().to_vec();
        inside
            .slice_each_axis_mut(|ax| target_slice(layout, ax.axis.index(), sizes[ax.axis.index()]))
            .fill(true);
        let padded = Padded {
            buffer,
            inside,
            layout,
            shape: sizes,
        };
        assert_eq!(padded.inside.iter().filter(|&&x| x).count(), shape.size());
        padded
    }

    /// The interior view.
    pub fn target(&mut self) -> ArrayViewMut<'_, T, D> {
        let (layout, sizes) = (self.layout, self.target_shape());
        self.buffer
            .slice_each_axis_mut(|ax| target_slice(layout, ax.axis.index(), sizes[ax.axis.index()]))
    }

    /// The interior view's contents.
    pub fn contents(&self) -> Array<T, D> {
        let (layout, sizes) = (self.layout, self.target_shape());
        self.buffer
            .slice_each_axis(|ax| target_slice(layout, ax.axis.index(), sizes[ax.axis.index()]))
            .to_owned()
    }

    fn target_shape(&self) -> Vec<usize> {
        self.shape.clone()
    }

    /// Panics unless every element outside the target is still the sentinel.
    pub fn assert_padding_intact(&self, what: &str) {
        for ((index, x), &inside) in self.buffer.indexed_iter().zip(self.inside.iter()) {
            assert!(
                inside || x.is_sentinel(),
                "{what}: padding at {index:?} was overwritten with {x:?} ({:?} target)",
                self.layout
            );
        }
    }
}
