//! The symbolic cost model: label sizes as monomials in one symbol `N`, costs as
//! polynomials in `N`, compared by TensorOperations' large-`N` rule.
//!
//! With no hints every label has size `N`, so a cost such as `2N^3 + N^2` counts the
//! multiply-adds of a contraction for a large, unknown size. A hint makes a label's
//! size concrete (`i = 1000` is `1000`, degree 0) or relative (`k = 10 * N`).
//! Polynomials compare coefficient by coefficient from the highest degree down,
//! which is the order of their values as `N` grows without bound: a total order that
//! is compatible with addition, so summing step costs and keeping the smallest sum
//! (the path search's dynamic programming) is exact.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::ops::{Add, AddAssign, Mul, Neg, Sub};

use crate::ir::Label;

/// `coef * N^degree`: the size of one label, or one term of a [`Poly`].
#[derive(Clone, Copy, Debug)]
pub struct Monomial {
    /// The coefficient; sizes are positive, heuristics may make it negative.
    pub coef: f64,
    /// The power of the symbol `N`.
    pub degree: u32,
}

impl Monomial {
    /// The size of a label without a hint: `N`.
    pub const N: Monomial = Monomial {
        coef: 1.0,
        degree: 1,
    };
    /// The multiplicative unit `1` (the size of the empty label set).
    pub const ONE: Monomial = Monomial {
        coef: 1.0,
        degree: 0,
    };

    /// `coef * N^degree`.
    pub fn new(coef: f64, degree: u32) -> Monomial {
        Monomial { coef, degree }
    }

    /// A concrete number, `value * N^0` (the size given by a hint `i = 1000`).
    pub fn constant(value: f64) -> Monomial {
        Monomial {
            coef: value,
            degree: 0,
        }
    }

    /// A multiple of `N`, `factor * N^1` (the size given by a hint `k = 10 * N`).
    pub fn times_n(factor: f64) -> Monomial {
        Monomial {
            coef: factor,
            degree: 1,
        }
    }

    fn is_zero(self) -> bool {
        self.coef == 0.0
    }

    /// This monomial as a normalized term list: empty when zero.
    pub(crate) fn as_terms(&self) -> &[Monomial] {
        if self.is_zero() {
            &[]
        } else {
            std::slice::from_ref(self)
        }
    }
}

impl Mul for Monomial {
    type Output = Monomial;

    fn mul(self, rhs: Monomial) -> Monomial {
        Monomial {
            coef: self.coef * rhs.coef,
            degree: self.degree + rhs.degree,
        }
    }
}

/// Same order as the one-term [`Poly`]: `N > 1000`, `2N > N`, `0 > -N`.
impl Ord for Monomial {
    fn cmp(&self, other: &Monomial) -> Ordering {
        cmp_terms(self.as_terms(), other.as_terms())
    }
}

impl PartialOrd for Monomial {
    fn partial_cmp(&self, other: &Monomial) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Monomial {
    fn eq(&self, other: &Monomial) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Monomial {}

impl fmt::Display for Monomial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&Poly::from(*self), f)
    }
}

/// The size of every label of one tensor network: `N` unless a hint says otherwise.
#[derive(Clone, Debug, Default)]
pub struct SizeModel {
    hints: HashMap<Label, Monomial>,
}

impl SizeModel {
    /// A model where every label not named in `hints` has size `N`. A later hint for
    /// the same label replaces an earlier one.
    pub fn new(hints: impl IntoIterator<Item = (Label, Monomial)>) -> SizeModel {
        SizeModel {
            hints: hints.into_iter().collect(),
        }
    }

    /// Whether `label`'s size is the bare symbol `N` (no hint, or `1 * N`):
    /// a size only known at run time.
    pub fn is_unknown(&self, label: Label) -> bool {
        let size = self.size(label);
        size.degree == 1 && size.coef == 1.0
    }

    /// The size of `label`.
    pub fn size(&self, label: Label) -> Monomial {
        self.hints.get(&label).copied().unwrap_or(Monomial::N)
    }
}

/// A polynomial in `N`: a sum of [`Monomial`]s of distinct degrees, none zero.
///
/// Ordered by its value for large `N` (highest degree first, then its coefficient,
/// then the next degree down), a total order compatible with addition.
#[derive(Clone, Debug, Default)]
pub struct Poly {
    /// Strictly decreasing degrees, non-zero coefficients.
    terms: Vec<Monomial>,
}

impl Poly {
    /// The zero polynomial.
    pub fn zero() -> Poly {
        Poly { terms: Vec::new() }
    }

    /// Whether this is the zero polynomial.
    pub fn is_zero(&self) -> bool {
        self.terms.is_empty()
    }

    /// The terms, highest degree first, zero terms left out.
    pub fn terms(&self) -> &[Monomial] {
        &self.terms
    }

    /// The highest degree with a non-zero coefficient (0 for the zero polynomial).
    pub fn degree(&self) -> u32 {
        self.terms.first().map_or(0, |term| term.degree)
    }

    /// The value at `N = n`.
    pub fn eval(&self, n: f64) -> f64 {
        self.terms
            .iter()
            .map(|term| term.coef * n.powi(term.degree as i32))
            .sum()
    }

    /// Adds `term` in place.
    pub fn add_monomial(&mut self, term: Monomial) {
        if term.is_zero() {
            return;
        }
        match self
            .terms
            .binary_search_by(|probe| term.degree.cmp(&probe.degree))
        {
            Ok(at) => {
                self.terms[at].coef += term.coef;
                if self.terms[at].is_zero() {
                    self.terms.remove(at);
                }
            }
            Err(at) => self.terms.insert(at, term),
        }
    }

    /// This polynomial times `factor`.
    pub fn mul_monomial(&self, factor: Monomial) -> Poly {
        if factor.is_zero() {
            return Poly::zero();
        }
        let terms = self
            .terms
            .iter()
            .map(|&term| term * factor)
            .filter(|term| !term.is_zero());
        Poly {
            terms: terms.collect(),
        }
    }
}

/// Lexicographic comparison of two normalized term lists (decreasing degrees, no
/// zero coefficients), a missing degree counting as a zero coefficient.
pub(crate) fn cmp_terms(lhs: &[Monomial], rhs: &[Monomial]) -> Ordering {
    let (mut lhs, mut rhs) = (lhs.iter(), rhs.iter());
    loop {
        return match (lhs.next(), rhs.next()) {
            (None, None) => Ordering::Equal,
            (Some(left), None) => left.coef.total_cmp(&0.0),
            (None, Some(right)) => 0.0_f64.total_cmp(&right.coef),
            (Some(left), Some(right)) => match left.degree.cmp(&right.degree) {
                Ordering::Greater => left.coef.total_cmp(&0.0),
                Ordering::Less => 0.0_f64.total_cmp(&right.coef),
                Ordering::Equal => match left.coef.total_cmp(&right.coef) {
                    Ordering::Equal => continue,
                    unequal => unequal,
                },
            },
        };
    }
}

/// Writes `lhs + rhs + extra` into `sum` (cleared first) as a normalized term list,
/// without allocating once `sum` has grown: the hot loop of the path search.
pub(crate) fn sum_into(
    sum: &mut Vec<Monomial>,
    lhs: &[Monomial],
    rhs: &[Monomial],
    extra: Monomial,
) {
    sum.clear();
    let (mut i, mut j) = (0, 0);
    let mut extra = (!extra.is_zero()).then_some(extra);
    loop {
        let next_degree = [lhs.get(i), rhs.get(j), extra.as_ref()]
            .into_iter()
            .flatten()
            .map(|term| term.degree)
            .max();
        let Some(degree) = next_degree else { break };
        let mut coef = 0.0;
        if let Some(term) = lhs.get(i).filter(|term| term.degree == degree) {
            coef += term.coef;
            i += 1;
        }
        if let Some(term) = rhs.get(j).filter(|term| term.degree == degree) {
            coef += term.coef;
            j += 1;
        }
        if let Some(term) = extra.filter(|term| term.degree == degree) {
            coef += term.coef;
            extra = None;
        }
        if coef != 0.0 {
            sum.push(Monomial { coef, degree });
        }
    }
}

impl From<Monomial> for Poly {
    fn from(term: Monomial) -> Poly {
        let terms = if term.is_zero() {
            Vec::new()
        } else {
            vec![term]
        };
        Poly { terms }
    }
}

impl Ord for Poly {
    fn cmp(&self, other: &Poly) -> Ordering {
        cmp_terms(&self.terms, &other.terms)
    }
}

impl PartialOrd for Poly {
    fn partial_cmp(&self, other: &Poly) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Poly {
    fn eq(&self, other: &Poly) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Poly {}

impl Add<&Poly> for &Poly {
    type Output = Poly;

    fn add(self, rhs: &Poly) -> Poly {
        let mut sum = Vec::with_capacity(self.terms.len() + rhs.terms.len());
        sum_into(&mut sum, &self.terms, &rhs.terms, Monomial::constant(0.0));
        Poly { terms: sum }
    }
}

impl Add for Poly {
    type Output = Poly;

    fn add(self, rhs: Poly) -> Poly {
        &self + &rhs
    }
}

impl AddAssign<&Poly> for Poly {
    fn add_assign(&mut self, rhs: &Poly) {
        *self = &*self + rhs;
    }
}

impl AddAssign<Monomial> for Poly {
    fn add_assign(&mut self, rhs: Monomial) {
        self.add_monomial(rhs);
    }
}

impl Neg for &Poly {
    type Output = Poly;

    fn neg(self) -> Poly {
        self.mul_monomial(Monomial::constant(-1.0))
    }
}

impl Sub<&Poly> for &Poly {
    type Output = Poly;

    fn sub(self, rhs: &Poly) -> Poly {
        self + &-rhs
    }
}

impl Mul<Monomial> for &Poly {
    type Output = Poly;

    fn mul(self, rhs: Monomial) -> Poly {
        self.mul_monomial(rhs)
    }
}

/// `2N^3 + N^2`, `4N`, `N^2 - 3N`, `-N`, `120`, `1.5N`, `0`.
impl fmt::Display for Poly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.terms.is_empty() {
            return f.write_str("0");
        }
        for (index, term) in self.terms.iter().enumerate() {
            let magnitude = term.coef.abs();
            match (index, term.coef < 0.0) {
                (0, true) => f.write_str("-")?,
                (0, false) => {}
                (_, true) => f.write_str(" - ")?,
                (_, false) => f.write_str(" + ")?,
            }
            if magnitude != 1.0 || term.degree == 0 {
                write_number(f, magnitude)?;
            }
            match term.degree {
                0 => {}
                1 => f.write_str("N")?,
                degree => write!(f, "N^{degree}")?,
            }
        }
        Ok(())
    }
}

/// Integral values as integers (`120`, not `120.0` or `1.2e2`), others as `f64` does.
fn write_number(f: &mut fmt::Formatter<'_>, value: f64) -> fmt::Result {
    if value.fract() == 0.0 && value.abs() < 1e18 {
        write!(f, "{}", value as i64)
    } else {
        write!(f, "{value}")
    }
}

/// The size of a tensor with the given labels: the product of their sizes. Repeated
/// labels count once (a tensor's labels are a set for costing).
pub fn size_of(labels: &[Label], sizes: &SizeModel) -> Monomial {
    let mut distinct = labels.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    distinct
        .into_iter()
        .fold(Monomial::ONE, |size, label| size * sizes.size(label))
}

/// The operation count of one contraction step, opt_einsum's convention
/// (`opt_einsum.helpers.flop_count`).
///
/// `labels_involved` are all labels of the tensors combined in the step (repeats
/// count once); the loop nest visits each of their combinations once and does
/// `max(1, num_terms - 1)` multiplications there, plus one addition when `inner`,
/// i.e. when the step sums some label away.
pub fn flop_count(
    labels_involved: &[Label],
    inner: bool,
    num_terms: usize,
    sizes: &SizeModel,
) -> Poly {
    let op_factor = num_terms.saturating_sub(1).max(1) + usize::from(inner);
    Poly::from(size_of(labels_involved, sizes) * Monomial::constant(op_factor as f64))
}

/// One term of a [`LabelPoly`]: `coef` times the product of the sizes of `labels`
/// (distinct, ascending).
#[derive(Clone, Debug, PartialEq)]
pub struct LabelTerm {
    /// The factor in front, opt_einsum's operations per loop iteration.
    pub coef: f64,
    /// The labels whose sizes multiply, each once, ascending.
    pub labels: Vec<Label>,
}

/// A polynomial in the label sizes themselves (one variable per label), the
/// cost of a plan at any sizes: `2 i j k + i k` for `ij,jk->ik` followed by a
/// copy. The single-`N` [`Poly`] is its value when every size is `N`.
///
/// Terms have distinct label sets, none with a zero coefficient, sorted by
/// label set.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LabelPoly {
    terms: Vec<LabelTerm>,
}

impl LabelPoly {
    /// The terms, sorted by label set.
    pub fn terms(&self) -> &[LabelTerm] {
        &self.terms
    }

    /// Adds `coef` times the product of the sizes of `labels` (repeats count once).
    pub fn add_product(&mut self, coef: f64, labels: &[Label]) {
        let mut labels = labels.to_vec();
        labels.sort_unstable();
        labels.dedup();
        match self.terms.binary_search_by(|t| t.labels.cmp(&labels)) {
            Ok(at) => {
                self.terms[at].coef += coef;
                if self.terms[at].coef == 0.0 {
                    self.terms.remove(at);
                }
            }
            Err(at) if coef != 0.0 => self.terms.insert(at, LabelTerm { coef, labels }),
            Err(_) => {}
        }
    }

    /// Adds every term of `other`, times `factor`.
    pub fn add_scaled(&mut self, other: &LabelPoly, factor: f64) {
        for term in &other.terms {
            self.add_product(term.coef * factor, &term.labels);
        }
    }

    /// The value when label `l` has size `size(l)`.
    pub fn eval(&self, size: impl Fn(Label) -> f64) -> f64 {
        self.terms
            .iter()
            .map(|t| t.labels.iter().fold(t.coef, |p, &l| p * size(l)))
            .sum()
    }

    /// The single-`N` polynomial: each label's size from `sizes`.
    pub fn in_model(&self, sizes: &SizeModel) -> Poly {
        let mut poly = Poly::zero();
        for term in &self.terms {
            poly += size_of(&term.labels, sizes) * Monomial::constant(term.coef);
        }
        poly
    }

    /// The terms both `self` and `other` have, with the smaller coefficient
    /// (what subtracting from both leaves their difference unchanged).
    pub fn common(&self, other: &LabelPoly) -> LabelPoly {
        let mut common = LabelPoly::default();
        for term in &self.terms {
            if let Ok(at) = other.terms.binary_search_by(|t| t.labels.cmp(&term.labels)) {
                let coef = term.coef.min(other.terms[at].coef);
                if coef > 0.0 {
                    common.add_product(coef, &term.labels);
                }
            }
        }
        common
    }
}

/// The operation count of a step over `loops` (each label once), opt_einsum's
/// convention, as a [`LabelPoly`] term: see [`flop_count`].
pub fn flop_count_in_labels(loops: &[Label], inner: bool, num_terms: usize) -> LabelPoly {
    let op_factor = num_terms.saturating_sub(1).max(1) + usize::from(inner);
    let mut poly = LabelPoly::default();
    poly.add_product(op_factor as f64, loops);
    poly
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poly(terms: &[(f64, u32)]) -> Poly {
        let mut poly = Poly::zero();
        for &(coef, degree) in terms {
            poly += Monomial::new(coef, degree);
        }
        poly
    }

    fn labels(chars: &str) -> Vec<Label> {
        chars.bytes().map(|byte| Label(u16::from(byte))).collect()
    }

    #[test]
    fn display() {
        assert_eq!(poly(&[(2.0, 3), (1.0, 2)]).to_string(), "2N^3 + N^2");
        assert_eq!(poly(&[(4.0, 1)]).to_string(), "4N");
        assert_eq!(poly(&[(120.0, 0)]).to_string(), "120");
        assert_eq!(Poly::zero().to_string(), "0");
        assert_eq!(poly(&[(1.0, 0)]).to_string(), "1");
        assert_eq!(
            poly(&[(1.0, 2), (-3.0, 1), (-1.0, 0)]).to_string(),
            "N^2 - 3N - 1"
        );
        assert_eq!(poly(&[(-1.0, 1)]).to_string(), "-N");
        assert_eq!(poly(&[(1.5, 1), (0.25, 0)]).to_string(), "1.5N + 0.25");
        assert_eq!(Monomial::constant(1e6).to_string(), "1000000");
        assert_eq!(Monomial::new(0.0, 3).to_string(), "0");
    }

    #[test]
    fn terms_combine_by_degree_and_cancel() {
        let sum = &poly(&[(2.0, 3), (1.0, 1)]) + &poly(&[(1.0, 3), (-1.0, 1), (5.0, 0)]);
        assert_eq!(sum.terms().len(), 2);
        assert_eq!(sum, poly(&[(3.0, 3), (5.0, 0)]));
        assert_eq!(sum.degree(), 3);
        assert!((&sum - &sum).is_zero());
        assert_eq!(sum.eval(2.0), 29.0);
        let product = &sum * Monomial::new(2.0, 1);
        assert_eq!(product, poly(&[(6.0, 4), (10.0, 1)]));
        assert!((&sum * Monomial::new(0.0, 4)).is_zero());
    }

    #[test]
    fn order_is_large_n_rule() {
        let ascending = [
            poly(&[(-1.0, 3)]),
            poly(&[(-2.0, 2)]),
            poly(&[(-1.0, 2), (5.0, 1)]),
            poly(&[(-1000.0, 0)]),
            Poly::zero(),
            poly(&[(1.0, 0)]),
            poly(&[(1e9, 0)]),
            poly(&[(1.0, 1), (-1e9, 0)]),
            poly(&[(1.0, 1)]),
            poly(&[(1.0, 1), (1.0, 0)]),
            poly(&[(2.0, 1)]),
            poly(&[(1.0, 2), (-1.0, 1)]),
            poly(&[(1.0, 2)]),
            poly(&[(1.0, 3)]),
            poly(&[(2.0, 3), (1.0, 2)]),
        ];
        for (i, lhs) in ascending.iter().enumerate() {
            for (j, rhs) in ascending.iter().enumerate() {
                assert_eq!(lhs.cmp(rhs), i.cmp(&j), "{lhs} vs {rhs}");
                // Compatible with addition: adding the same polynomial keeps the order.
                let shift = poly(&[(7.0, 3), (-2.0, 1)]);
                assert_eq!((lhs + &shift).cmp(&(rhs + &shift)), i.cmp(&j));
            }
        }
        assert!(Monomial::N > Monomial::constant(1000.0));
        assert!(Monomial::times_n(2.0) > Monomial::N);
        assert!(Monomial::constant(0.0) > Monomial::times_n(-1.0));
        assert_eq!(Monomial::new(0.0, 2), Monomial::new(0.0, 0));
    }

    #[test]
    fn sum_into_matches_addition() {
        let lhs = poly(&[(2.0, 3), (1.0, 1)]);
        let rhs = poly(&[(1.0, 2), (-1.0, 1)]);
        let mut scratch = Vec::new();
        sum_into(
            &mut scratch,
            lhs.terms(),
            rhs.terms(),
            Monomial::new(4.0, 2),
        );
        assert_eq!(
            cmp_terms(&scratch, poly(&[(2.0, 3), (5.0, 2)]).terms()),
            Ordering::Equal
        );
        assert_eq!(scratch.len(), 2);
    }

    #[test]
    fn sizes_default_to_n_and_follow_hints() {
        let sizes = SizeModel::new([
            (Label(b'i'.into()), Monomial::constant(1000.0)),
            (Label(b'k'.into()), Monomial::times_n(10.0)),
        ]);
        assert_eq!(sizes.size(Label(b'j'.into())), Monomial::N);
        assert_eq!(size_of(&labels("ijk"), &sizes), Monomial::new(10000.0, 2));
        assert_eq!(size_of(&labels("jj"), &sizes), Monomial::N);
        assert_eq!(size_of(&[], &sizes), Monomial::ONE);
        assert_eq!(SizeModel::default().size(Label(0)), Monomial::N);
    }

    /// The examples of opt_einsum's `flop_count` docstring, and its op factors.
    #[test]
    fn flop_count_follows_opt_einsum() {
        let sizes = SizeModel::new([
            (Label(b'a'.into()), Monomial::constant(2.0)),
            (Label(b'b'.into()), Monomial::constant(3.0)),
            (Label(b'c'.into()), Monomial::constant(5.0)),
        ]);
        assert_eq!(
            flop_count(&labels("abc"), false, 1, &sizes),
            poly(&[(30.0, 0)])
        );
        assert_eq!(
            flop_count(&labels("abc"), true, 2, &sizes),
            poly(&[(60.0, 0)])
        );
        assert_eq!(
            flop_count(&labels("abc"), false, 3, &sizes),
            poly(&[(60.0, 0)])
        );
        assert_eq!(
            flop_count(&labels("abc"), true, 3, &sizes),
            poly(&[(90.0, 0)])
        );
        assert_eq!(
            flop_count(&labels("abcc"), false, 0, &sizes),
            poly(&[(30.0, 0)])
        );
        let symbolic = flop_count(&labels("ijk"), true, 2, &SizeModel::default());
        assert_eq!(symbolic.to_string(), "2N^3");
    }
}
