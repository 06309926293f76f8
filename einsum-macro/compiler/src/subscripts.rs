//! The subscripts string of one call (`"ij,jk->ik"`): labels per operand and
//! of the output, following numpy's rules.
//!
//! An ellipsis `...` stands for any number of axes, broadcast numpy's way
//! (right-aligned, a size 1 stretches). The parser expands it into
//! [`ELLIPSIS_SLOTS`] hidden labels ([`ellipsis_label`]), one per axis it may
//! cover; at run time an operand whose ellipsis covers fewer axes gets the
//! missing leading ones as axes of size 1 (`View::with_ellipsis`), so every
//! later stage sees fixed ranks and ordinary labels.

/// How many axes an ellipsis may cover. An operand whose ellipsis covers more
/// is a runtime error naming it. Each slot is one more loop of every step that
/// carries the ellipsis (a loop of size 1 when the slot is not covered).
pub const ELLIPSIS_SLOTS: usize = 8;

/// The hidden label of ellipsis slot `slot` (`0..ELLIPSIS_SLOTS`, outermost
/// first): a private-use character, so it can never meet a written label.
pub fn ellipsis_label(slot: usize) -> char {
    char::from_u32(0xE000 + slot as u32).expect("a private-use character")
}

/// The ellipsis slot `c` stands for, if it is a hidden ellipsis label.
pub fn ellipsis_slot(c: char) -> Option<usize> {
    let slot = (c as u32).checked_sub(0xE000)? as usize;
    (slot < ELLIPSIS_SLOTS).then_some(slot)
}

/// Where the ellipsis stands in one operand's (or the output's) labels: the
/// number of written labels before and after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EllipsisAt {
    /// Labels written before `...`.
    pub before: usize,
    /// Labels written after `...`.
    pub after: usize,
}

/// Where the ellipsis stands in `labels` (an operand's labels with the
/// ellipsis expanded), if they contain one.
pub fn ellipsis_at(labels: &[char]) -> Option<EllipsisAt> {
    let before = labels.iter().position(|&c| ellipsis_slot(c).is_some())?;
    Some(EllipsisAt {
        before,
        after: labels.len() - before - ELLIPSIS_SLOTS,
    })
}

/// Whether any operand or the output has an ellipsis.
pub fn has_ellipsis(labels: &[char]) -> bool {
    labels.iter().any(|&c| ellipsis_slot(c).is_some())
}

/// The position (in characters) of the first `...` in `text`, 0 if none.
pub fn first_ellipsis(text: &str) -> usize {
    let chars: Vec<char> = text.chars().collect();
    chars
        .windows(3)
        .position(|w| w == ['.', '.', '.'])
        .unwrap_or(0)
}

/// The parsed subscripts of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscripts {
    /// The labels of each operand, in axis order (repeats allowed: `ii`); an
    /// ellipsis is its [`ELLIPSIS_SLOTS`] hidden labels.
    pub inputs: Vec<Vec<char>>,
    /// The labels of the result, in axis order.
    pub output: Vec<char>,
}

impl Subscripts {
    /// Whether some operand has an ellipsis.
    pub fn inputs_have_ellipsis(&self) -> bool {
        self.inputs.iter().any(|labels| has_ellipsis(labels))
    }
}

/// One problem in a subscripts string, at a character position of its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptError {
    /// Index (in characters) of the offending character in the string's value.
    pub position: usize,
    /// What is wrong, naming the label.
    pub message: String,
}

/// Parses `text`, reporting every problem found rather than the first.
///
/// Without `->` the output is numpy's implicit one: the ellipsis first if
/// some operand has one, then the labels that appear exactly once, in ASCII
/// order (so uppercase sorts before lowercase).
pub fn parse(text: &str) -> Result<Subscripts, Vec<SubscriptError>> {
    let chars: Vec<char> = text.chars().collect();
    let mut errors = Vec::new();
    let arrows: Vec<usize> = (0..chars.len())
        .filter(|&i| chars[i] == '-' && chars.get(i + 1) == Some(&'>'))
        .collect();
    for &extra in arrows.iter().skip(1) {
        errors.push(SubscriptError {
            position: extra,
            message: "a second `->`: the output is given once".into(),
        });
    }
    let split = arrows.first().copied();

    let mut inputs = vec![Vec::new()];
    let mut output = Vec::new();
    // Where the ellipsis of the current operand (and of the output) was written.
    let mut operand_ellipsis: Option<usize> = None;
    let mut output_ellipsis: Option<usize> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let in_output = split.is_some_and(|s| i > s);
        if arrows.contains(&i) {
            i += 2;
            continue;
        }
        match c {
            'a'..='z' | 'A'..='Z' if in_output => output.push((c, i)),
            'a'..='z' | 'A'..='Z' => inputs.last_mut().expect("never empty").push(c),
            ' ' => {}
            ',' if in_output => errors.push(SubscriptError {
                position: i,
                message: "`,` after `->`: the output is a single operand".into(),
            }),
            ',' => {
                inputs.push(Vec::new());
                operand_ellipsis = None;
            }
            '.' => {
                let dots = chars[i..].iter().take_while(|&&d| d == '.').count();
                let seen = if in_output {
                    &mut output_ellipsis
                } else {
                    &mut operand_ellipsis
                };
                match dots {
                    1 => errors.push(SubscriptError {
                        position: i,
                        message: "invalid character '.': labels are `a-z` and `A-Z` (an ellipsis is `...`)".into(),
                    }),
                    3 if seen.is_some() => errors.push(SubscriptError {
                        position: i,
                        message: format!(
                            "a second ellipsis `...` in {}: {} has at most one",
                            if in_output { "the output".to_string() } else { format!("operand {}", inputs.len() - 1) },
                            if in_output { "the output" } else { "an operand" },
                        ),
                    }),
                    3 => {
                        *seen = Some(i);
                        let hidden = (0..ELLIPSIS_SLOTS).map(ellipsis_label);
                        if in_output {
                            output.extend(hidden.map(|h| (h, i)));
                        } else {
                            inputs.last_mut().expect("never empty").extend(hidden);
                        }
                    }
                    n => errors.push(SubscriptError {
                        position: i,
                        message: format!("`{}` is not an ellipsis: write `...`", ".".repeat(n)),
                    }),
                }
                i += dots - 1;
            }
            '-' => errors.push(SubscriptError {
                position: i,
                message: "`-` must be followed by `>` (write the output as `->ij`)".into(),
            }),
            '>' => errors.push(SubscriptError {
                position: i,
                message: "`>` without `-` before it (write the output as `->ij`)".into(),
            }),
            other => errors.push(SubscriptError {
                position: i,
                message: format!("invalid character {other:?}: labels are `a-z` and `A-Z`"),
            }),
        }
        i += 1;
    }

    let output = match split {
        Some(_) => {
            if let Some(position) = output_ellipsis {
                if !inputs.iter().any(|labels| has_ellipsis(labels)) {
                    errors.push(SubscriptError {
                        position,
                        message: "ellipsis `...` in the output but in no input: it would stand for no axes".into(),
                    });
                }
            }
            for (k, &(label, position)) in output.iter().enumerate() {
                if ellipsis_slot(label).is_some() {
                    continue;
                }
                if output[..k].iter().any(|&(seen, _)| seen == label) {
                    errors.push(SubscriptError {
                        position,
                        message: format!("output label '{label}' is repeated"),
                    });
                } else if !inputs.iter().flatten().any(|&l| l == label) {
                    errors.push(SubscriptError {
                        position,
                        message: format!("output label '{label}' does not appear in any input"),
                    });
                }
            }
            output.into_iter().map(|(label, _)| label).collect()
        }
        None => implicit_output(&inputs),
    };
    if errors.is_empty() {
        Ok(Subscripts { inputs, output })
    } else {
        Err(errors)
    }
}

/// numpy's implicit output: the ellipsis if some operand has one, then the
/// labels appearing exactly once, sorted.
fn implicit_output(inputs: &[Vec<char>]) -> Vec<char> {
    let all: Vec<char> = inputs
        .iter()
        .flatten()
        .copied()
        .filter(|&c| ellipsis_slot(c).is_none())
        .collect();
    let mut once: Vec<char> = all
        .iter()
        .copied()
        .filter(|&l| all.iter().filter(|&&m| m == l).count() == 1)
        .collect();
    once.sort_unstable();
    let mut output: Vec<char> = Vec::new();
    if inputs.iter().any(|labels| has_ellipsis(labels)) {
        output.extend((0..ELLIPSIS_SLOTS).map(ellipsis_label));
    }
    output.extend(once);
    output
}

/// The subscripts quoted, with a caret under character `position` of the
/// value. Control characters are shown escaped (`\t`), and the caret is
/// placed by display width (a wide CJK character takes two columns).
pub fn caret(text: &str, position: usize) -> String {
    let shown: Vec<String> = text.chars().map(escaped).collect();
    let pad: usize = 1 + shown[..position.min(shown.len())]
        .iter()
        .flat_map(|s| s.chars())
        .map(width)
        .sum::<usize>();
    format!("    \"{}\"\n    {}^", shown.concat(), " ".repeat(pad))
}

/// How `c` is shown inside the quoted subscripts.
fn escaped(c: char) -> String {
    match c {
        '\t' => "\\t".into(),
        '\n' => "\\n".into(),
        '\r' => "\\r".into(),
        '"' => "\\\"".into(),
        '\\' => "\\\\".into(),
        c if c.is_control() => c.escape_unicode().to_string(),
        c => c.to_string(),
    }
}

/// The number of terminal columns `c` takes: 2 for East Asian wide and
/// fullwidth characters (and emoji), 0 for combining marks, 1 otherwise.
fn width(c: char) -> usize {
    let c = c as u32;
    let zero = [
        (0x0300, 0x036F),
        (0x0483, 0x0489),
        (0x0591, 0x05BD),
        (0x0610, 0x061A),
        (0x064B, 0x065F),
        (0x0E31, 0x0E31),
        (0x0E34, 0x0E3A),
        (0x1AB0, 0x1AFF),
        (0x1DC0, 0x1DFF),
        (0x200B, 0x200F),
        (0x20D0, 0x20FF),
        (0xFE00, 0xFE0F),
        (0xFE20, 0xFE2F),
    ];
    let wide = [
        (0x1100, 0x115F),
        (0x231A, 0x231B),
        (0x2329, 0x232A),
        (0x23E9, 0x23EC),
        (0x2E80, 0x303E),
        (0x3041, 0x33FF),
        (0x3400, 0x4DBF),
        (0x4E00, 0x9FFF),
        (0xA000, 0xA4CF),
        (0xA960, 0xA97F),
        (0xAC00, 0xD7A3),
        (0xF900, 0xFAFF),
        (0xFE10, 0xFE19),
        (0xFE30, 0xFE6F),
        (0xFF00, 0xFF60),
        (0xFFE0, 0xFFE6),
        (0x1F300, 0x1F64F),
        (0x1F900, 0x1F9FF),
        (0x20000, 0x2FFFD),
        (0x30000, 0x3FFFD),
    ];
    let within = |ranges: &[(u32, u32)]| ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&c));
    if within(&zero) {
        0
    } else if within(&wide) {
        2
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> (Vec<String>, String) {
        let s = parse(text).unwrap();
        (
            s.inputs.iter().map(|l| l.iter().collect()).collect(),
            s.output.iter().collect(),
        )
    }

    fn messages(text: &str) -> Vec<(usize, String)> {
        parse(text)
            .unwrap_err()
            .into_iter()
            .map(|e| (e.position, e.message))
            .collect()
    }

    #[test]
    fn explicit_implicit_and_scalar_forms() {
        assert_eq!(
            ok("ij,jk->ik"),
            (vec!["ij".into(), "jk".into()], "ik".into())
        );
        assert_eq!(ok("ba"), (vec!["ba".into()], "ab".into()));
        assert_eq!(ok("ii"), (vec!["ii".into()], "".into()));
        assert_eq!(ok("Ab,bA->"), (vec!["Ab".into(), "bA".into()], "".into()));
        assert_eq!(ok("iB,Bk"), (vec!["iB".into(), "Bk".into()], "ik".into()));
        assert_eq!(ok("aZ"), (vec!["aZ".into()], "Za".into()));
        assert_eq!(
            ok(",ab,->ab"),
            (vec!["".into(), "ab".into(), "".into()], "ab".into())
        );
        assert_eq!(ok("->"), (vec!["".into()], "".into()));
        assert_eq!(
            ok(" i j , j k -> i k "),
            (vec!["ij".into(), "jk".into()], "ik".into())
        );
    }

    #[test]
    fn every_error_is_reported_with_its_position() {
        assert_eq!(
            messages("ij,jk->ixx"),
            vec![
                (8, "output label 'x' does not appear in any input".into()),
                (9, "output label 'x' is repeated".into())
            ]
        );
        assert_eq!(messages("i$j")[0].0, 1);
        assert_eq!(messages("ij->j->i")[0].0, 5);
        assert_eq!(messages("ij-j")[0].0, 2);
        assert_eq!(messages("ij>j")[0].0, 2);
        assert_eq!(messages("i,j->i,j")[0].0, 6);
        assert_eq!(messages("...i...j")[0].0, 4);
    }

    #[test]
    fn caret_points_under_the_label() {
        assert_eq!(caret("ij->ix", 5), "    \"ij->ix\"\n          ^");
        assert_eq!(caret("i\tj", 2), "    \"i\\tj\"\n        ^");
        assert_eq!(caret("字,字", 2), "    \"字,字\"\n        ^");
        assert_eq!(caret("e\u{301}x", 2), "    \"e\u{301}x\"\n      ^");
    }

    #[test]
    fn dots_are_told_apart_from_an_ellipsis() {
        assert!(messages("i.j")[0].1.starts_with("invalid character '.'"));
        assert_eq!(
            messages("i..j")[0],
            (1, "`..` is not an ellipsis: write `...`".into())
        );
        assert_eq!(
            messages("i....j")[0].1,
            "`....` is not an ellipsis: write `...`"
        );
        assert_eq!(messages(".i...")[0].0, 0);
        assert_eq!(
            messages("j->..j")[0],
            (3, "`..` is not an ellipsis: write `...`".into())
        );
    }

    /// The labels with each run of hidden ellipsis labels shown as `...`.
    fn shown(labels: &[char]) -> String {
        let mut out = String::new();
        for (k, &c) in labels.iter().enumerate() {
            match ellipsis_slot(c) {
                Some(0) => out.push_str("..."),
                Some(slot) => assert_eq!(ellipsis_slot(labels[k - 1]), Some(slot - 1)),
                None => out.push(c),
            }
        }
        out
    }

    fn expanded(text: &str) -> (Vec<String>, String) {
        let s = parse(text).unwrap();
        (
            s.inputs.iter().map(|l| shown(l)).collect(),
            shown(&s.output),
        )
    }

    #[test]
    fn ellipsis_in_every_position() {
        assert_eq!(
            expanded("...ij,...jk->...ik"),
            (vec!["...ij".into(), "...jk".into()], "...ik".into())
        );
        assert_eq!(
            expanded("ij...,jk...->ik..."),
            (vec!["ij...".into(), "jk...".into()], "ik...".into())
        );
        assert_eq!(
            expanded("i...j->j...i"),
            (vec!["i...j".into()], "j...i".into())
        );
        assert_eq!(
            expanded("...ii->...i"),
            (vec!["...ii".into()], "...i".into())
        );
        assert_eq!(expanded("i...->..."), (vec!["i...".into()], "...".into()));
        assert_eq!(
            expanded("...,..."),
            (vec!["...".into(), "...".into()], "...".into())
        );
        assert_eq!(expanded("... i -> i"), (vec!["...i".into()], "i".into()));
        let s = parse("...ij,jk->ik...").unwrap();
        assert_eq!(s.inputs[0].len(), ELLIPSIS_SLOTS + 2);
        assert_eq!(
            ellipsis_at(&s.inputs[0]),
            Some(EllipsisAt {
                before: 0,
                after: 2
            })
        );
        assert_eq!(ellipsis_at(&s.inputs[1]), None);
        assert_eq!(
            ellipsis_at(&s.output),
            Some(EllipsisAt {
                before: 2,
                after: 0
            })
        );
        assert!(s.inputs_have_ellipsis());
    }

    #[test]
    fn implicit_output_puts_the_ellipsis_first() {
        assert_eq!(
            expanded("...ij,...jk"),
            (vec!["...ij".into(), "...jk".into()], "...ik".into())
        );
        assert_eq!(expanded("ba..."), (vec!["ba...".into()], "...ab".into()));
        assert_eq!(expanded("...ii"), (vec!["...ii".into()], "...".into()));
        assert_eq!(
            expanded("...k,kj"),
            (vec!["...k".into(), "kj".into()], "...j".into())
        );
        assert_eq!(
            expanded("ij,jk"),
            (vec!["ij".into(), "jk".into()], "ik".into())
        );
    }

    #[test]
    fn malformed_ellipses() {
        let first = |text: &str| messages(text).into_iter().next().unwrap();
        assert_eq!(
            first("i.."),
            (1, "`..` is not an ellipsis: write `...`".into())
        );
        assert_eq!(
            first("....i"),
            (0, "`....` is not an ellipsis: write `...`".into())
        );
        assert!(first(".i...").1.starts_with("invalid character '.'"));
        assert_eq!(
            first("...i...,j"),
            (
                4,
                "a second ellipsis `...` in operand 0: an operand has at most one".into()
            )
        );
        assert_eq!(
            first("i,...j...->ij"),
            (
                6,
                "a second ellipsis `...` in operand 1: an operand has at most one".into()
            )
        );
        assert_eq!(
            first("...i->......"),
            (6, "`......` is not an ellipsis: write `...`".into())
        );
        assert_eq!(
            first("...i->...i..."),
            (
                10,
                "a second ellipsis `...` in the output: the output has at most one".into()
            )
        );
        assert_eq!(
            first("ij->...i"),
            (
                4,
                "ellipsis `...` in the output but in no input: it would stand for no axes".into()
            )
        );
    }
}
