//! Shape binding: every label gets one size, checked once before any work.

use crate::allocation::element_count;
use std::fmt;

/// Operands outside any call (a term `b` of `"ij->ij"(a) + b`, or the
/// value `x` of `let c = x;`) belong to a site that is no call: its
/// `subscripts` then say where they stand, in angle brackets, which no
/// subscripts contain (`<result>`, `<let c>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    /// The subscripts exactly as the user wrote them (or `<result>`,
    /// `<let NAME>` for a site that is no call).
    pub subscripts: &'static str,
    /// The source text of each operand, in order.
    pub operands: &'static [&'static str],
}

impl Site {
    /// Whether the site is a call, `"subscripts"(operands...)`.
    pub fn is_call(&self) -> bool {
        !self.subscripts.starts_with('<')
    }

    /// `einsum!("ij,jk->ik")` for a call, `einsum!` otherwise: how messages start.
    fn header(&self) -> String {
        if self.is_call() {
            format!("einsum!({:?})", self.subscripts)
        } else {
            "einsum!".to_string()
        }
    }

    /// Operand `k` as messages name it: ``operand 1 (`b`)`` of a call, or
    /// what an operand outside any call is.
    fn operand(&self, k: usize) -> String {
        let text = self.operands.get(k).copied().unwrap_or("?");
        if self.is_call() {
            format!("operand {k} (`{text}`)")
        } else if let Some(name) = self.subscripts.strip_prefix("<let ") {
            let name = name.strip_suffix('>').unwrap_or(name);
            format!("`{text}` (the value of `{name}`)")
        } else {
            format!("`{text}` (a term of the result)")
        }
    }
}

/// The generated code compares the sizes of every labelled axis of every
/// operand ([`bind`]) before any work; this is one of them, in an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    /// The call whose subscripts contain the label.
    pub site: &'static Site,
    /// Position of the operand in that call.
    pub operand: usize,
    /// The label as written in that call.
    pub label: char,
    /// The axis length found at run time.
    pub size: usize,
    /// The operand's axis that carries the label.
    pub axis: usize,
    /// The operand's own source text when it is one term of a sum written as
    /// the call's argument (`b` in `"i->i"(a + b)`); `None` when it is the
    /// whole argument.
    pub term: Option<&'static str>,
    /// The outermost place of the label in the whole expression, when the
    /// macro knows it: what joins this occurrence with the label's others.
    pub owner: Option<LabelOwner>,
}

/// An [`Occurrence`] without its size: what the macro knows of a labelled
/// axis at compile time. The generated code declares a label's axes as one
/// constant array and passes [`bind`] a reference to it and the sizes, so
/// that binding stores nothing unless the sizes disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelAxis {
    /// The call whose subscripts contain the label.
    pub site: &'static Site,
    /// Position of the operand in that call.
    pub operand: usize,
    /// The label as written in that call.
    pub label: char,
    /// The operand's axis that carries the label.
    pub axis: usize,
    /// See [`Occurrence::term`].
    pub term: Option<&'static str>,
    /// See [`Occurrence::owner`].
    pub owner: Option<LabelOwner>,
}

impl LabelAxis {
    /// This axis, found to have length `size`.
    pub fn with_size(&self, size: usize) -> Occurrence {
        let LabelAxis {
            site,
            operand,
            label,
            axis,
            term,
            owner,
        } = *self;
        Occurrence {
            site,
            operand,
            label,
            size,
            axis,
            term,
            owner,
        }
    }
}

/// A label passed down into nested calls and `let` bindings joins every
/// axis those write at its place; its owner is where it is written last,
/// before it is summed or becomes an axis of the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelOwner {
    /// Label `label` of the call `site`.
    Call {
        /// The call.
        site: &'static Site,
        /// The label as written there.
        label: char,
    },
    /// An axis of the result, when the result is a sum of calls.
    Result {
        /// The axis.
        axis: usize,
    },
}

impl Occurrence {
    /// The operand (and, for a term of a sum, the term) it is an axis of,
    /// with the axis when `axis` is asked for.
    fn describe(&self, axis: bool) -> String {
        let mut text = String::new();
        if axis {
            text.push_str(&format!("axis {} of ", self.axis));
        }
        if let Some(term) = self.term {
            text.push_str(&format!("term `{term}` of "));
        }
        text.push_str(&self.site.operand(self.operand));
        text
    }

    /// Like `describe`, adding the call and its label when they are not
    /// `owner`'s.
    fn describe_from(&self, axis: bool, owner: &LabelOwner) -> String {
        let mut text = self.describe(axis);
        let own_call = matches!(owner, LabelOwner::Call { site, .. } if *site == self.site);
        if self.site.is_call() && !own_call {
            text.push_str(&format!(
                " of {:?} (label '{}' there)",
                self.site.subscripts, self.label
            ));
        }
        text
    }

    /// Whether `self` and `other` are axes of one operand (one term of it).
    fn same_operand(&self, other: &Occurrence) -> bool {
        self.site == other.site && self.operand == other.operand && self.term == other.term
    }
}

/// Used by the variants about ellipses, whose shapes are only known at run
/// time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperandShape {
    /// Position of the operand in the call.
    pub operand: usize,
    /// The operand's shape.
    pub shape: Vec<usize>,
}

/// Nothing has been written when an einsum returns this error, nor
/// anything allocated for the result. Its variants and their fields say
/// which operands and sizes disagree; its `Display` says the same in one
/// sentence that names the subscripts and quotes the operands as written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EinsumError {
    /// One label has two different sizes: neither of them 1, or two axes
    /// of one operand (a diagonal, which does not broadcast).
    SizeMismatch {
        /// The first occurrence that fixed the label's size.
        first: Box<Occurrence>,
        /// The occurrence that disagrees with it.
        second: Box<Occurrence>,
    },
    /// A dynamic-rank operand has a different number of axes than its subscripts.
    RankMismatch {
        /// The call the operand belongs to.
        site: &'static Site,
        /// Position of the operand in the call.
        operand: usize,
        /// Number of labels in the operand's subscripts.
        expected: usize,
        /// Number of axes of the value passed.
        found: usize,
    },
    /// An operand with an ellipsis has fewer axes than the labels written around it.
    TooFewAxes {
        /// The call the operand belongs to.
        site: &'static Site,
        /// Position of the operand in the call.
        operand: usize,
        /// Number of labels written besides the ellipsis.
        named: usize,
        /// Number of axes of the value passed.
        found: usize,
    },
    /// An operand's ellipsis covers more axes than `einsum!` supports.
    EllipsisTooLong {
        /// The call the operand belongs to.
        site: &'static Site,
        /// Position of the operand in the call.
        operand: usize,
        /// Number of axes the ellipsis would cover.
        covered: usize,
        /// The most it may cover.
        slots: usize,
    },
    /// The axes that the ellipses of two operands cover do not broadcast
    /// (right-aligned, each pair of sizes must be equal or contain a 1).
    BroadcastMismatch {
        /// The call.
        site: &'static Site,
        /// The first operand, with its whole shape.
        first: OperandShape,
        /// The operand that disagrees with it, with its whole shape.
        second: OperandShape,
        /// The two sizes that disagree.
        sizes: (usize, usize),
    },
    /// An operand's ellipsis covers axes, but the output has no ellipsis to
    /// put them in (numpy: "output has more dimensions than subscripts given
    /// in einstein sum, but no '...' ellipsis provided").
    EllipsisNotInOutput {
        /// The call.
        site: &'static Site,
        /// The operand, with its whole shape.
        operand: OperandShape,
        /// Number of axes its ellipsis covers.
        covered: usize,
    },
    /// An array the plan allocates (the result or an intermediate) would
    /// be too large to exist: more than `isize::MAX` bytes, or (ndarray's
    /// limit, even for an empty array) nonzero axis lengths whose product
    /// exceeds `isize::MAX`.
    TooLarge {
        /// The call whose result (or intermediate) it is.
        site: &'static Site,
        /// Which array: "the result" or "intermediate #k" (numbered as in
        /// `einsum_plan!`).
        array: &'static str,
        /// Its labels.
        labels: &'static str,
        /// Its shape.
        shape: Vec<usize>,
        /// The size of one element, in bytes.
        element_size: usize,
    },
    /// An output target (`out = ...`) does not have the result's shape.
    OutputShape {
        /// The subscripts whose result is written.
        site: &'static Site,
        /// The source text of the target.
        target: &'static str,
        /// The result's shape.
        expected: Vec<usize>,
        /// The target's shape.
        found: Vec<usize>,
    },
}

impl fmt::Display for EinsumError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EinsumError::SizeMismatch { first, second } => {
                let axis = first.same_operand(second);
                let owner = first.owner.or(second.owner);
                match owner {
                    // One call writes both with one label.
                    _ if first.site == second.site && first.label == second.label => write!(
                        f,
                        "{}: label '{}' is {} in {} but {} in {}",
                        first.site.header(),
                        first.label,
                        first.size,
                        first.describe(axis),
                        second.size,
                        second.describe(axis)
                    ),
                    Some(owner @ LabelOwner::Call { site, label }) => write!(
                        f,
                        "{}: label '{}' is {} in {} but {} in {}",
                        site.header(),
                        label,
                        first.size,
                        first.describe_from(axis, &owner),
                        second.size,
                        second.describe_from(axis, &owner)
                    ),
                    Some(owner @ LabelOwner::Result { axis: result_axis }) => write!(
                        f,
                        "einsum!: axis {} of the result is {} in {} but {} in {}",
                        result_axis,
                        first.size,
                        first.describe_from(axis, &owner),
                        second.size,
                        second.describe_from(axis, &owner)
                    ),
                    None => write!(
                        f,
                        "einsum!: label '{}' of {:?} is {} in {} but label '{}' of {:?} is {} in {} (the calls join these labels)",
                        first.label,
                        first.site.subscripts,
                        first.size,
                        first.describe(axis),
                        second.label,
                        second.site.subscripts,
                        second.size,
                        second.describe(axis)
                    ),
                }
            }
            EinsumError::RankMismatch {
                site,
                operand,
                expected,
                found,
            } if site.is_call() => write!(
                f,
                "{}: {} has {} axes but its subscripts name {}",
                site.header(),
                site.operand(*operand),
                found,
                expected
            ),
            EinsumError::RankMismatch {
                site,
                operand,
                expected,
                found,
            } => write!(
                f,
                "{}: {} has {} axes but is used with {}",
                site.header(),
                site.operand(*operand),
                found,
                expected
            ),
            EinsumError::TooFewAxes {
                site,
                operand,
                named,
                found,
            } => write!(
                f,
                "{}: {} has {} axes but its subscripts name {} besides the ellipsis",
                site.header(),
                site.operand(*operand),
                found,
                named
            ),
            EinsumError::EllipsisTooLong {
                site,
                operand,
                covered,
                slots,
            } => write!(
                f,
                "{}: the ellipsis of {} covers {} axes, more than the {} an ellipsis may cover",
                site.header(),
                site.operand(*operand),
                covered,
                slots
            ),
            EinsumError::BroadcastMismatch {
                site,
                first,
                second,
                sizes,
            } => write!(
                f,
                "{}: operand {} (`{}`, shape {:?}) and operand {} (`{}`, shape {:?}) do not broadcast: their ellipses meet sizes {} and {}",
                site.header(),
                first.operand,
                operand_text(site, first.operand),
                first.shape,
                second.operand,
                operand_text(site, second.operand),
                second.shape,
                sizes.0,
                sizes.1
            ),
            EinsumError::EllipsisNotInOutput {
                site,
                operand,
                covered,
            } => write!(
                f,
                "{}: the ellipsis of operand {} (`{}`, shape {:?}) covers {} axes, but the output has no ellipsis `...` to keep them (numpy raises here too); write `...` in the output, or sum them with labels",
                site.header(),
                operand.operand,
                operand_text(site, operand.operand),
                operand.shape,
                covered
            ),
            EinsumError::TooLarge {
                site,
                array,
                labels,
                shape,
                element_size,
            } => {
                write!(
                    f,
                    "{}: {} `{}` would have shape {:?}, too large for one array (",
                    site.header(),
                    array,
                    labels,
                    shape
                )?;
                match element_count(shape) {
                    Some(count) => write!(
                        f,
                        "{count} elements of {element_size} bytes: more than isize::MAX bytes)"
                    ),
                    None => write!(
                        f,
                        "the product of its nonzero axis lengths exceeds isize::MAX)"
                    ),
                }
            }
            EinsumError::OutputShape {
                site,
                target,
                expected,
                found,
            } => write!(
                f,
                "{}: the result has shape {:?} but the target `{}` has shape {:?}",
                site.header(),
                expected,
                target,
                found
            ),
        }
    }
}

impl std::error::Error for EinsumError {}

/// The source text of operand `operand` of `site`.
fn operand_text(site: &Site, operand: usize) -> &'static str {
    site.operands.get(operand).copied().unwrap_or("?")
}

/// An operand whose subscripts have an ellipsis, as [`bind_ellipsis`] needs it.
///
/// ```
/// use einsum_runtime::shape::EllipsisOperand;
/// let a = EllipsisOperand { operand: 0, shape: &[7, 2, 3], before: 0, after: 2 };
/// assert_eq!(a.covered(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EllipsisOperand<'a> {
    /// Position of the operand in the call.
    pub operand: usize,
    /// Its whole shape.
    pub shape: &'a [usize],
    /// Labels written before the ellipsis.
    pub before: usize,
    /// Labels written after the ellipsis.
    pub after: usize,
}

impl EllipsisOperand<'_> {
    /// How many axes the ellipsis covers (0 if the shape is too short: the
    /// view of the operand reports that).
    pub fn covered(&self) -> usize {
        self.shape.len().saturating_sub(self.before + self.after)
    }

    /// The sizes of the axes the ellipsis covers.
    fn ellipsis(&self) -> &[usize] {
        let covered = self.covered();
        self.shape
            .get(self.before..self.before + covered)
            .unwrap_or(&[])
    }
}

/// The axes of an ellipsis after broadcasting the operands' ellipses: the
/// size of each of its `S` slots (right-aligned; uncovered slots have size 1)
/// and how many of them some operand covers (the ellipsis's rank in the result).
///
/// ```
/// use einsum_runtime::shape::{bind_ellipsis, EllipsisOperand, Site};
/// const SITE: Site = Site { subscripts: "...ij,...jk->...ik", operands: &["a", "b"] };
/// let a = EllipsisOperand { operand: 0, shape: &[4, 1, 2, 3], before: 0, after: 2 };
/// let b = EllipsisOperand { operand: 1, shape: &[5, 3, 2], before: 0, after: 2 };
/// let e = bind_ellipsis::<3>(&SITE, &[a, b], true).unwrap();
/// assert_eq!((e.sizes, e.rank), ([1, 4, 5], 2));
/// assert_eq!(e.output_shape(&[2], &[2]), vec![2, 4, 5, 2]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Broadcast<const S: usize> {
    /// The size of each slot, outermost first.
    pub sizes: [usize; S],
    /// The number of trailing slots some operand covers.
    pub rank: usize,
}

impl<const S: usize> Broadcast<S> {
    /// The result's shape: the sizes of the labels `before` the ellipsis, the
    /// ellipsis's covered slots, then the sizes of the labels `after` it.
    pub fn output_shape(&self, before: &[usize], after: &[usize]) -> Vec<usize> {
        let mut shape = before.to_vec();
        shape.extend_from_slice(&self.sizes[S - self.rank..]);
        shape.extend_from_slice(after);
        shape
    }
}

/// Broadcasts the ellipses of one call's operands, numpy's way: the axes
/// each covers are right-aligned, and at each position all sizes must agree
/// except that 1 stretches. With `output_has_ellipsis` false, any covered
/// axis is an error (numpy's rule: an ellipsis's axes are kept, never summed
/// implicitly).
///
/// ```
/// use einsum_runtime::shape::{bind_ellipsis, EllipsisOperand, Site};
/// const SITE: Site = Site { subscripts: "...i,...i->...i", operands: &["x", "y"] };
/// let x = EllipsisOperand { operand: 0, shape: &[2, 3, 4], before: 0, after: 1 };
/// let y = EllipsisOperand { operand: 1, shape: &[5, 4], before: 0, after: 1 };
/// let err = bind_ellipsis::<8>(&SITE, &[x, y], true).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "einsum!(\"...i,...i->...i\"): operand 0 (`x`, shape [2, 3, 4]) and operand 1 (`y`, shape [5, 4]) do not broadcast: their ellipses meet sizes 3 and 5"
/// );
/// ```
pub fn bind_ellipsis<const S: usize>(
    site: &'static Site,
    operands: &[EllipsisOperand<'_>],
    output_has_ellipsis: bool,
) -> Result<Broadcast<S>, EinsumError> {
    let mut sizes = [1usize; S];
    let mut fixed_by: [Option<usize>; S] = [None; S];
    let mut rank = 0;
    for (k, operand) in operands.iter().enumerate() {
        let ellipsis = operand.ellipsis();
        if ellipsis.len() > S {
            // The operand's view reports it; nothing to broadcast here.
            continue;
        }
        rank = rank.max(ellipsis.len());
        for (slot, &size) in (S - ellipsis.len()..S).zip(ellipsis) {
            if size == 1 {
                continue;
            }
            match fixed_by[slot] {
                None => {
                    sizes[slot] = size;
                    fixed_by[slot] = Some(k);
                }
                Some(first) if sizes[slot] != size => {
                    let whole = |o: &EllipsisOperand<'_>| OperandShape {
                        operand: o.operand,
                        shape: o.shape.to_vec(),
                    };
                    return Err(EinsumError::BroadcastMismatch {
                        site,
                        first: whole(&operands[first]),
                        second: whole(operand),
                        sizes: (sizes[slot], size),
                    });
                }
                Some(_) => {}
            }
        }
    }
    if !output_has_ellipsis {
        if let Some(widest) = operands
            .iter()
            .filter(|o| o.covered() > 0)
            .max_by_key(|o| o.covered())
        {
            return Err(EinsumError::EllipsisNotInOutput {
                site,
                operand: OperandShape {
                    operand: widest.operand,
                    shape: widest.shape.to_vec(),
                },
                covered: widest.covered(),
            });
        }
    }
    Ok(Broadcast { sizes, rank })
}

/// The size of one label from all of its occurrences: `sizes[k]` is the
/// length of axis `axes[k]`.
///
/// All sizes must agree, except that a size of 1 broadcasts against the others,
/// as in numpy (`(3, 1)` and `(1, 4)` meet as `(3, 4)`). A label that occurs
/// nowhere (impossible for macro output) has size 1.
///
/// The generated code passes the axes as one constant array and the sizes
/// by value; inlined, binding a shared label of a 3 x 3 product is a few
/// comparisons, the error built out of line.
///
/// ```
/// use einsum_runtime::shape::{bind, LabelAxis, Site};
/// const SITE: Site = Site { subscripts: "i,i->i", operands: &["x", "y"] };
/// const X: LabelAxis = LabelAxis { site: &SITE, operand: 0, label: 'i', axis: 0, term: None, owner: None };
/// const AXES: [LabelAxis; 2] = [X, LabelAxis { operand: 1, ..X }];
/// assert_eq!(bind([1, 5], &AXES), Ok(5));
/// assert_eq!(bind([0, 1], &AXES), Ok(0));
/// let err = einsum_runtime::EinsumError::from(bind([2, 5], &AXES).unwrap_err());
/// assert_eq!(err.to_string(), "einsum!(\"i,i->i\"): label 'i' is 2 in operand 0 (`x`) but 5 in operand 1 (`y`)");
/// ```
#[cfg_attr(debug_assertions, inline)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub fn bind<const N: usize>(
    sizes: [usize; N],
    axes: &'static [LabelAxis; N],
) -> Result<usize, SizeConflict<N>> {
    // The generated code calls this only when the lengths differ (see
    // `all_equal`); its size reaches emitted accessors only when the tests
    // force a broadcast onto them. Selects and a non-short-circuit `&`
    // rather than `find` and `all` keep it branch-free, and make the
    // accessors' `stretches_to` checks of the same axes the same
    // expressions, which LLVM merges.
    let size = sizes
        .into_iter()
        .fold(1, |size, n| if size == 1 { n } else { size });
    let fits = sizes
        .into_iter()
        .fold(true, |fits, n| fits & stretches_to(n, size));
    if fits {
        Ok(size)
    } else {
        Err(SizeConflict {
            sizes,
            axes,
            rule: Rule::Broadcast,
        })
    }
}

/// The length of a diagonal: `lengths[k]` is the length of axis `axes[k]`,
/// every one an axis of the same operand that carries the same label.
///
/// They must all be equal. Unlike [`bind`], a length of 1 does not
/// broadcast here: numpy's einsum raises for `"ii->"` on a 1 x 3 array
/// ("dimensions in operand 0 for collapsing index 'i' don't match"), and a
/// diagonal of a non-square array has no obvious meaning. The generated
/// code binds the label with the diagonal's length in place of its axes.
///
/// ```
/// use einsum_runtime::shape::{diagonal, LabelAxis, Site};
/// const SITE: Site = Site { subscripts: "ii->", operands: &["m"] };
/// const M: LabelAxis = LabelAxis { site: &SITE, operand: 0, label: 'i', axis: 0, term: None, owner: None };
/// const AXES: [LabelAxis; 2] = [M, LabelAxis { axis: 1, ..M }];
/// assert_eq!(diagonal([3, 3], &AXES), Ok(3));
/// assert_eq!(diagonal([0, 0], &AXES), Ok(0));
/// let err = einsum_runtime::EinsumError::from(diagonal([1, 3], &AXES).unwrap_err());
/// assert_eq!(
///     err.to_string(),
///     "einsum!(\"ii->\"): label 'i' is 1 in axis 0 of operand 0 (`m`) but 3 in axis 1 of operand 0 (`m`)"
/// );
/// ```
#[cfg_attr(debug_assertions, inline)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub fn diagonal<const N: usize>(
    lengths: [usize; N],
    axes: &'static [LabelAxis; N],
) -> Result<usize, SizeConflict<N>> {
    if all_equal(lengths) {
        Ok(lengths.first().copied().unwrap_or(1))
    } else {
        Err(SizeConflict {
            sizes: lengths,
            axes,
            rule: Rule::Equal,
        })
    }
}

/// Whether a label's lengths are all equal: then the first is its size,
/// with no broadcast to resolve. The generated code binds a label in
/// several operands with it before [`bind`], and runs its emitted loops
/// only when it holds (`crate::emitted::uniform`).
///
/// ```
/// use einsum_runtime::shape::all_equal;
/// assert!(all_equal([3, 3, 3]));
/// assert!(!all_equal([3, 1]));
/// ```
#[cfg_attr(debug_assertions, inline)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub fn all_equal<const N: usize>(lengths: [usize; N]) -> bool {
    let first = lengths.first().copied().unwrap_or(0);
    // `&` rather than `all`: one condition of plain comparisons, which the
    // optimizer carries into the branch it guards (each length equal to
    // the first), where the emitted loops' checks then fold away.
    lengths
        .into_iter()
        .fold(true, |equal, n| equal & (n == first))
}

/// The sizes of a label that [`bind`] (or [`diagonal`]) found in
/// disagreement; `?` turns it into [`EinsumError::SizeMismatch`].
///
/// A plain value rather than the error itself: the generated code's `?`
/// then returns straight from the failing branch. An [`EinsumError`] built
/// by an out-of-line call could, for all the optimizer knows, carry the
/// `Ok` niche of `Result<usize, EinsumError>`, so its branch rejoined the
/// success path and kept every register alive across the call.
///
/// ```
/// use einsum_runtime::shape::{bind, LabelAxis, Site};
/// use einsum_runtime::EinsumError;
/// const SITE: Site = Site { subscripts: "i,i->", operands: &["x", "y"] };
/// const X: LabelAxis = LabelAxis { site: &SITE, operand: 0, label: 'i', axis: 0, term: None, owner: None };
/// const AXES: [LabelAxis; 2] = [X, LabelAxis { operand: 1, ..X }];
/// fn size(x: usize, y: usize) -> Result<usize, EinsumError> {
///     Ok(bind([x, y], &AXES)?)
/// }
/// assert_eq!(size(3, 3), Ok(3));
/// assert!(matches!(size(3, 4), Err(EinsumError::SizeMismatch { .. })));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SizeConflict<const N: usize> {
    sizes: [usize; N],
    axes: &'static [LabelAxis; N],
    rule: Rule,
}

/// Which sizes of a label agree: [`bind`]'s or [`diagonal`]'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// Equal, or 1 (broadcast).
    Broadcast,
    /// Equal.
    Equal,
}

impl<const N: usize> From<SizeConflict<N>> for EinsumError {
    #[cold]
    #[inline(never)]
    fn from(conflict: SizeConflict<N>) -> Self {
        size_mismatch(conflict.sizes, conflict.axes, conflict.rule)
    }
}

/// Whether an axis of length `len` carries a label of size `size`: it has
/// that length, or length 1 (broadcast). The one test both [`bind`] and
/// the views' loop strides (`crate::strided`) make, written alike so that
/// the optimizer sees the second as the first, already passed.
#[inline(always)]
pub(crate) fn stretches_to(len: usize, size: usize) -> bool {
    len == size || len == 1
}

/// The error of [`bind`] or [`diagonal`] on sizes that disagree: the first
/// two that do under `rule`.
fn size_mismatch<const N: usize>(
    sizes: [usize; N],
    axes: &'static [LabelAxis; N],
    rule: Rule,
) -> EinsumError {
    let mut fixed: Option<(&LabelAxis, usize)> = None;
    let counts = |size: usize| rule == Rule::Equal || size != 1;
    for (axis, size) in axes.iter().zip(sizes).filter(|o| counts(o.1)) {
        match fixed {
            None => fixed = Some((axis, size)),
            Some((first, first_size)) if first_size != size => {
                return EinsumError::SizeMismatch {
                    first: Box::new(first.with_size(first_size)),
                    second: Box::new(axis.with_size(size)),
                };
            }
            Some(_) => {}
        }
    }
    unreachable!("einsum: sizes that agree reported as a mismatch")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: Site = Site {
        subscripts: "ij,jk->ik",
        operands: &["a", "b"],
    };
    const OTHER: Site = Site {
        subscripts: "kl->l",
        operands: &["c"],
    };
    /// An axis of label `i` of `SITE`, for `bind`, which reads only sizes.
    const AXIS: LabelAxis = LabelAxis {
        site: &SITE,
        operand: 0,
        label: 'i',
        axis: 0,
        term: None,
        owner: None,
    };

    /// An occurrence of a label of `site` with no term and no known owner.
    fn at(
        site: &'static Site,
        operand: usize,
        label: char,
        axis: usize,
        size: usize,
    ) -> Occurrence {
        Occurrence {
            site,
            operand,
            label,
            size,
            axis,
            term: None,
            owner: None,
        }
    }

    fn mismatch(first: Occurrence, second: Occurrence) -> String {
        let error = EinsumError::SizeMismatch {
            first: Box::new(first),
            second: Box::new(second),
        };
        error.to_string()
    }

    #[test]
    fn mismatch_in_one_call_names_the_label_operands_and_sizes() {
        assert_eq!(
            mismatch(at(&SITE, 0, 'j', 1, 3), at(&SITE, 1, 'j', 0, 4)),
            "einsum!(\"ij,jk->ik\"): label 'j' is 3 in operand 0 (`a`) but 4 in operand 1 (`b`)"
        );
    }

    #[test]
    fn mismatch_inside_one_operand_names_the_axes() {
        const TRACE: Site = Site {
            subscripts: "ii",
            operands: &["m"],
        };
        assert_eq!(
            mismatch(at(&TRACE, 0, 'i', 0, 2), at(&TRACE, 0, 'i', 1, 3)),
            "einsum!(\"ii\"): label 'i' is 2 in axis 0 of operand 0 (`m`) but 3 in axis 1 of operand 0 (`m`)"
        );
    }

    #[test]
    fn mismatch_between_terms_of_a_sum_names_the_terms() {
        const SUM: Site = Site {
            subscripts: "i->i",
            operands: &["a + b"],
        };
        let first = Occurrence {
            term: Some("a"),
            ..at(&SUM, 0, 'i', 0, 2)
        };
        let second = Occurrence {
            term: Some("b"),
            ..at(&SUM, 0, 'i', 0, 4)
        };
        assert_eq!(
            mismatch(first, second),
            "einsum!(\"i->i\"): label 'i' is 2 in term `a` of operand 0 (`a + b`) but 4 in term `b` of operand 0 (`a + b`)"
        );
    }

    #[test]
    fn mismatch_across_calls_names_the_call_that_joins_them() {
        // `let c = "ij->ij"(x); "ij,ji->"(c, c)`: the outer `i` joins both axes of `x`.
        const INNER: Site = Site {
            subscripts: "ij->ij",
            operands: &["x"],
        };
        const OUTER: Site = Site {
            subscripts: "ij,ji->",
            operands: &["c", "c"],
        };
        let owner = Some(LabelOwner::Call {
            site: &OUTER,
            label: 'i',
        });
        let first = Occurrence {
            owner,
            ..at(&INNER, 0, 'i', 0, 2)
        };
        let second = Occurrence {
            owner,
            ..at(&INNER, 0, 'j', 1, 3)
        };
        assert_eq!(
            mismatch(first, second),
            "einsum!(\"ij,ji->\"): label 'i' is 2 in axis 0 of operand 0 (`x`) of \"ij->ij\" (label 'i' there) but 3 in axis 1 of operand 0 (`x`) of \"ij->ij\" (label 'j' there)"
        );
        // An operand of the joining call itself is named as in one call.
        let owner = Some(LabelOwner::Call {
            site: &SITE,
            label: 'k',
        });
        let first = Occurrence {
            owner,
            ..at(&SITE, 1, 'k', 1, 2)
        };
        let second = Occurrence {
            owner,
            ..at(&OTHER, 0, 'k', 0, 7)
        };
        assert_eq!(
            mismatch(first, second),
            "einsum!(\"ij,jk->ik\"): label 'k' is 2 in operand 1 (`b`) but 7 in operand 0 (`c`) of \"kl->l\" (label 'k' there)"
        );
        // Without an owner, both calls and labels are named.
        let text = mismatch(at(&SITE, 1, 'k', 1, 2), at(&OTHER, 0, 'k', 0, 7));
        assert!(
            text.contains("\"ij,jk->ik\"") && text.contains("\"kl->l\""),
            "{text}"
        );
        assert!(
            text.contains("is 2 in operand 1 (`b`)") && text.contains("is 7 in operand 0 (`c`)"),
            "{text}"
        );
    }

    #[test]
    fn mismatch_along_an_axis_of_a_sum_of_calls() {
        // `"ij->ij"(a) + b`: `b` is a term of the result, at no call.
        const RESULT: Site = Site {
            subscripts: "<result>",
            operands: &["b"],
        };
        const CALL: Site = Site {
            subscripts: "ij->ij",
            operands: &["a"],
        };
        let owner = Some(LabelOwner::Result { axis: 1 });
        let first = Occurrence {
            owner,
            ..at(&CALL, 0, 'j', 1, 2)
        };
        let second = Occurrence {
            owner,
            ..at(&RESULT, 0, 'j', 1, 5)
        };
        assert_eq!(
            mismatch(first, second),
            "einsum!: axis 1 of the result is 2 in operand 0 (`a`) of \"ij->ij\" (label 'j' there) but 5 in `b` (a term of the result)"
        );
        let rank = EinsumError::RankMismatch {
            site: &RESULT,
            operand: 0,
            expected: 2,
            found: 3,
        };
        assert_eq!(
            rank.to_string(),
            "einsum!: `b` (a term of the result) has 3 axes but is used with 2"
        );
        const BOUND: Site = Site {
            subscripts: "<let c>",
            operands: &["x"],
        };
        assert!(!BOUND.is_call() && SITE.is_call());
        assert_eq!(BOUND.operand(0), "`x` (the value of `c`)");
    }

    #[test]
    fn ellipses_right_align_and_ones_stretch() {
        let at = |operand, shape, before, after| EllipsisOperand {
            operand,
            shape,
            before,
            after,
        };
        let e = bind_ellipsis::<4>(
            &SITE,
            &[at(0, &[2, 1, 3, 9], 0, 1), at(1, &[7, 5, 3], 1, 0)],
            true,
        )
        .unwrap();
        assert_eq!(
            e,
            Broadcast {
                sizes: [1, 2, 5, 3],
                rank: 3
            }
        );
        assert_eq!(e.output_shape(&[4], &[]), vec![4, 2, 5, 3]);
        let none = bind_ellipsis::<4>(&SITE, &[at(0, &[9], 0, 1)], true).unwrap();
        assert_eq!(
            none,
            Broadcast {
                sizes: [1; 4],
                rank: 0
            }
        );
        // No ellipsis in the output: fine while nothing is covered.
        assert!(bind_ellipsis::<4>(&SITE, &[at(0, &[9], 0, 1)], false).is_ok());
        let err = bind_ellipsis::<4>(&SITE, &[at(0, &[9], 0, 1), at(1, &[2, 3, 9], 0, 1)], false)
            .unwrap_err();
        assert_eq!(
            err,
            EinsumError::EllipsisNotInOutput {
                site: &SITE,
                operand: OperandShape {
                    operand: 1,
                    shape: vec![2, 3, 9]
                },
                covered: 2
            }
        );
        // Zero does not stretch, and is not stretched into.
        assert!(bind_ellipsis::<2>(&SITE, &[at(0, &[0], 0, 0), at(1, &[1], 0, 0)], true).is_ok());
        let err =
            bind_ellipsis::<2>(&SITE, &[at(0, &[0], 0, 0), at(1, &[2], 0, 0)], true).unwrap_err();
        assert!(
            matches!(err, EinsumError::BroadcastMismatch { sizes: (0, 2), .. }),
            "{err}"
        );
    }

    #[test]
    fn ones_broadcast_and_empty_binds_to_one() {
        assert_eq!(bind([1, 1], &[AXIS; 2]), Ok(1));
        assert_eq!(bind([], &[]), Ok(1));
        assert_eq!(bind([1, 7, 1, 7], &[AXIS; 4]), Ok(7));
        // The first size other than 1 is the one the others must have.
        let err = EinsumError::from(bind([1, 7, 1, 3], &[AXIS; 4]).unwrap_err());
        assert_eq!(
            err,
            EinsumError::SizeMismatch {
                first: Box::new(AXIS.with_size(7)),
                second: Box::new(AXIS.with_size(3)),
            }
        );
    }

    /// Every combination of three sizes from 0..4 against numpy's rule:
    /// the sizes other than 1 must all be equal, and the label takes that
    /// size (1 if there is none).
    #[test]
    fn bind_follows_numpy_broadcasting_on_every_small_combination() {
        for code in 0..4 * 4 * 4 {
            let sizes = [code % 4, code / 4 % 4, code / 16];
            let mut others: Vec<usize> = sizes.iter().copied().filter(|&n| n != 1).collect();
            others.dedup();
            let expected = match others.as_slice() {
                [] => Some(1),
                [n] => Some(*n),
                _ => None,
            };
            assert_eq!(bind(sizes, &[AXIS; 3]).ok(), expected, "{sizes:?}");
            assert_eq!(
                bind([sizes[0], sizes[1]], &[AXIS; 2]).is_ok(),
                sizes[0] == sizes[1] || sizes[0] == 1 || sizes[1] == 1,
                "{sizes:?}"
            );
        }
    }

    #[test]
    fn a_diagonal_needs_equal_lengths_even_of_one() {
        const AXES: [LabelAxis; 3] = [
            AXIS,
            LabelAxis { axis: 1, ..AXIS },
            LabelAxis { axis: 2, ..AXIS },
        ];
        for code in 0..4 * 4 * 4 {
            let lengths = [code % 4, code / 4 % 4, code / 16];
            let equal = lengths[1] == lengths[0] && lengths[2] == lengths[0];
            match diagonal(lengths, &AXES) {
                Ok(n) => assert!(equal && n == lengths[0], "{lengths:?}"),
                Err(conflict) => {
                    assert!(!equal, "{lengths:?}");
                    let EinsumError::SizeMismatch { first, second } = EinsumError::from(conflict)
                    else {
                        panic!("{lengths:?}: not a size mismatch")
                    };
                    // The first axis and the first that differs from it.
                    let at = if lengths[1] != lengths[0] { 1 } else { 2 };
                    assert_eq!((first.axis, first.size), (0, lengths[0]), "{lengths:?}");
                    assert_eq!((second.axis, second.size), (at, lengths[at]), "{lengths:?}");
                }
            }
        }
    }
}
