//! Shape binding: every label gets one size, checked once before any work.

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
