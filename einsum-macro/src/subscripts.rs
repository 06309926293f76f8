//! The subscripts string of one call (`"ij,jk->ik"`): labels per operand and
//! of the output, following numpy's rules.

/// The parsed subscripts of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscripts {
    /// The labels of each operand, in axis order (repeats allowed: `ii`).
    pub inputs: Vec<Vec<char>>,
    /// The labels of the result, in axis order.
    pub output: Vec<char>,
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
/// Without `->` the output is numpy's implicit one: the labels that appear
/// exactly once, in ASCII order (so uppercase sorts before lowercase).
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
            ',' => inputs.push(Vec::new()),
            '.' => {
                let dots = chars[i..].iter().take_while(|&&d| d == '.').count();
                errors.push(SubscriptError {
                    position: i,
                    message: match dots {
                        1 => "invalid character '.': labels are `a-z` and `A-Z` (an ellipsis is `...`)".into(),
                        3 => "ellipsis `...` is not supported yet".into(),
                        n => format!("`{}` is not an ellipsis: write `...`", ".".repeat(n)),
                    },
                });
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
            for (k, &(label, position)) in output.iter().enumerate() {
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

/// numpy's implicit output: labels appearing exactly once, sorted.
fn implicit_output(inputs: &[Vec<char>]) -> Vec<char> {
    let all: Vec<char> = inputs.iter().flatten().copied().collect();
    let mut once: Vec<char> = all
        .iter()
        .copied()
        .filter(|&l| all.iter().filter(|&&m| m == l).count() == 1)
        .collect();
    once.sort_unstable();
    once
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
        assert_eq!(messages("...ij")[0].0, 0);
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
        assert_eq!(
            messages("...ij")[0].1,
            "ellipsis `...` is not supported yet"
        );
    }
}
