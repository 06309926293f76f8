//! Shape binding: every label gets one size, checked once before any work.

use crate::allocation::element_count;
use std::fmt;

/// Where a call came from: its subscripts and the source text of its operands,
/// so that runtime errors can name them.
///
/// ```
/// use einsum_runtime::shape::Site;
/// const SITE: Site = Site { subscripts: "ij,jk->ik", operands: &["a", "b"] };
/// assert_eq!(SITE.operands[1], "b");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    /// The subscripts exactly as the user wrote them.
    pub subscripts: &'static str,
    /// The source text of each operand, in order.
    pub operands: &'static [&'static str],
}

/// One axis of one operand carrying a label, with the size found at run time.
///
/// ```
/// use einsum_runtime::shape::{Occurrence, Site};
/// const SITE: Site = Site { subscripts: "ii", operands: &["m"] };
/// let first_axis = Occurrence { site: &SITE, operand: 0, label: 'i', size: 3 };
/// assert_eq!(first_axis.size, 3);
/// ```
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
}

impl Occurrence {
    fn describe(&self) -> String {
        let text = self.site.operands.get(self.operand).copied().unwrap_or("?");
        format!("operand {} (`{}`)", self.operand, text)
    }
}

/// An operand named in an error, with its whole shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperandShape {
    /// Position of the operand in the call.
    pub operand: usize,
    /// The operand's shape.
    pub shape: Vec<usize>,
}

/// Why an einsum could not run. Nothing has been written when this is returned.
///
/// ```
/// use einsum_runtime::shape::{bind, Occurrence, Site};
/// const SITE: Site = Site { subscripts: "ij,jk->ik", operands: &["a", "b"] };
/// let err = bind(&[
///     Occurrence { site: &SITE, operand: 0, label: 'j', size: 3 },
///     Occurrence { site: &SITE, operand: 1, label: 'j', size: 4 },
/// ])
/// .unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "einsum!(\"ij,jk->ik\"): label 'j' is 3 in operand 0 (`a`) but 4 in operand 1 (`b`)"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EinsumError {
    /// One label has two different sizes (neither of them 1).
    SizeMismatch {
        /// The first occurrence that fixed the label's size.
        first: Occurrence,
        /// The occurrence that disagrees with it.
        second: Occurrence,
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
                if first.site == second.site && first.label == second.label {
                    write!(
                        f,
                        "einsum!({:?}): label '{}' is {} in {} but {} in {}",
                        first.site.subscripts,
                        first.label,
                        first.size,
                        first.describe(),
                        second.size,
                        second.describe()
                    )
                } else {
                    write!(
                        f,
                        "einsum!: label '{}' of {:?} is {} in {} but label '{}' of {:?} is {} in {} (the calls join these labels)",
                        first.label,
                        first.site.subscripts,
                        first.size,
                        first.describe(),
                        second.label,
                        second.site.subscripts,
                        second.size,
                        second.describe()
                    )
                }
            }
            EinsumError::RankMismatch {
                site,
                operand,
                expected,
                found,
            } => write!(
                f,
                "einsum!({:?}): operand {} (`{}`) has {} axes but its subscripts name {}",
                site.subscripts,
                operand,
                site.operands.get(*operand).copied().unwrap_or("?"),
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
                "einsum!({:?}): operand {} (`{}`) has {} axes but its subscripts name {} besides the ellipsis",
                site.subscripts,
                operand,
                operand_text(site, *operand),
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
                "einsum!({:?}): the ellipsis of operand {} (`{}`) covers {} axes, more than the {} an ellipsis may cover",
                site.subscripts,
                operand,
                operand_text(site, *operand),
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
                "einsum!({:?}): operand {} (`{}`, shape {:?}) and operand {} (`{}`, shape {:?}) do not broadcast: their ellipses meet sizes {} and {}",
                site.subscripts,
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
                "einsum!({:?}): the ellipsis of operand {} (`{}`, shape {:?}) covers {} axes, but the output has no ellipsis `...` to keep them (numpy raises here too); write `...` in the output, or sum them with labels",
                site.subscripts,
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
                    "einsum!({:?}): {} `{}` would have shape {:?}, too large for one array (",
                    site.subscripts, array, labels, shape
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
                "einsum!({:?}): the result has shape {:?} but the target `{}` has shape {:?}",
                site.subscripts, expected, target, found
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

/// The size of one label from all of its occurrences.
///
/// All sizes must agree, except that a size of 1 broadcasts against the others,
/// as in numpy (`(3, 1)` and `(1, 4)` meet as `(3, 4)`). A label that occurs
/// nowhere (impossible for macro output) has size 1.
///
/// ```
/// use einsum_runtime::shape::{bind, Occurrence, Site};
/// const SITE: Site = Site { subscripts: "i,i->i", operands: &["x", "y"] };
/// let at = |operand, size| Occurrence { site: &SITE, operand, label: 'i', size };
/// assert_eq!(bind(&[at(0, 1), at(1, 5)]), Ok(5));
/// assert_eq!(bind(&[at(0, 0), at(1, 1)]), Ok(0));
/// assert!(bind(&[at(0, 2), at(1, 5)]).is_err());
/// ```
pub fn bind(occurrences: &[Occurrence]) -> Result<usize, EinsumError> {
    let mut fixed: Option<&Occurrence> = None;
    for occurrence in occurrences.iter().filter(|o| o.size != 1) {
        match fixed {
            None => fixed = Some(occurrence),
            Some(first) if first.size != occurrence.size => {
                return Err(EinsumError::SizeMismatch {
                    first: *first,
                    second: *occurrence,
                })
            }
            Some(_) => {}
        }
    }
    Ok(fixed.map_or(1, |o| o.size))
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

    #[test]
    fn mismatch_across_calls_names_both_labels() {
        let err = bind(&[
            Occurrence {
                site: &SITE,
                operand: 1,
                label: 'k',
                size: 2,
            },
            Occurrence {
                site: &OTHER,
                operand: 0,
                label: 'k',
                size: 7,
            },
        ])
        .unwrap_err();
        let text = err.to_string();
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
        let at = |size| Occurrence {
            site: &SITE,
            operand: 0,
            label: 'i',
            size,
        };
        assert_eq!(bind(&[at(1), at(1)]), Ok(1));
        assert_eq!(bind(&[]), Ok(1));
        assert_eq!(bind(&[at(1), at(7), at(1), at(7)]), Ok(7));
    }
}
