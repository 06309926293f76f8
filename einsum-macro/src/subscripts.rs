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
                errors.push(SubscriptError {
                    position: i,
                    message: "ellipsis `...` is not supported yet".into(),
                });
                while chars.get(i + 1) == Some(&'.') {
                    i += 1;
                }
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

/// The subscripts quoted, with a caret under character `position` of the value.
pub fn caret(text: &str, position: usize) -> String {
    let pad = 1 + text.chars().take(position).count();
    format!("    \"{text}\"\n    {}^", " ".repeat(pad))
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
    }
}
