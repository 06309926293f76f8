//! The `einsum_plan!` printout: what the macro decided, in the spirit of
//! numpy's `einsum_path`.

use crate::candidates::Candidates;
use crate::cost::{LabelPoly, Poly};
use crate::ir::{Coefficient, Label, SumOfProducts};
use crate::plan::{Destination, Kernel, PassKind, Plan, Source, Step};
use crate::program::Program;
use crate::subscripts::ellipsis_slot;
use std::fmt::Write as _;

/// Renders the plans as text: the first candidate in full, then, when there
/// are several, every candidate with its cost in the label sizes.
pub fn describe_candidates(program: &Program, candidates: &Candidates) -> String {
    let sop = &candidates.sop;
    let mut out = describe(program, sop, &candidates.candidates[0].plan);
    if candidates.candidates.len() < 2 {
        return out;
    }
    let names = display_names(sop);
    let value_text = |plan: &Plan, v: usize| match sop.sum_index(v) {
        Some(k) => format!("#{}", plan.sums[k].intermediate),
        None => program.values[v].text.clone(),
    };
    let winner = candidates.winner_for_equal_sizes();
    let _ = write!(
        out,
        "\ncandidate plans: {}, the cheapest at the actual sizes runs \
         (costs in the label sizes; candidate 1 is the plan above)",
        candidates.candidates.len()
    );
    for (k, candidate) in candidates.candidates.iter().enumerate() {
        let note = if k == winner {
            " (the cheapest when all sizes are equal)"
        } else {
            ""
        };
        let _ = write!(
            out,
            "\ncandidate {}{note}: cost {}",
            k + 1,
            label_poly_text(&candidate.cost, &names)
        );
        if k > 0 {
            let plan = &candidate.plan;
            for (s, step) in plan.steps.iter().enumerate() {
                let _ = write!(
                    out,
                    "\n  {}",
                    step_text(s, step, &names, &|v| value_text(plan, v))
                );
            }
        }
    }
    out
}

/// `2 i j k + i k`: each term its coefficient (left out when 1) and the
/// names of its labels, alphabetically, the terms in alphabetical order.
fn label_poly_text(poly: &LabelPoly, names: &[String]) -> String {
    let mut terms: Vec<(f64, String)> = poly
        .terms()
        .iter()
        .map(|term| {
            let mut labels: Vec<&str> = term
                .labels
                .iter()
                .map(|l| names[l.0 as usize].as_str())
                .collect();
            labels.sort_unstable();
            (term.coef, labels.join(" "))
        })
        .collect();
    terms.sort_by(|a, b| a.1.cmp(&b.1));
    let mut text = String::new();
    for (t, (coef, labels)) in terms.iter().enumerate() {
        let coef = if t == 0 {
            *coef
        } else {
            text.push_str(if *coef < 0.0 { " - " } else { " + " });
            coef.abs()
        };
        let mut factors: Vec<String> = Vec::new();
        if coef != 1.0 || labels.is_empty() {
            factors.push(Poly::from(crate::cost::Monomial::constant(coef)).to_string());
        }
        if !labels.is_empty() {
            factors.push(labels.clone());
        }
        text.push_str(&factors.join(" "));
    }
    if text.is_empty() {
        text.push('0');
    }
    text
}

/// Renders the plan as text.
pub fn describe(program: &Program, sop: &SumOfProducts, plan: &Plan) -> String {
    let names = display_names(sop);
    let value_text = |v: usize| match sop.sum_index(v) {
        Some(k) => format!("#{}", plan.sums[k].intermediate),
        None => program.values[v].text.clone(),
    };
    let mut out = String::new();
    let calls: Vec<&str> = program
        .sites
        .iter()
        .map(|s| s.subscripts.as_str())
        .collect();
    let _ = writeln!(
        out,
        "einsum plan for {}",
        calls
            .iter()
            .map(|c| format!("{c:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let output = labels_text(&sop.output, &names);
    let hidden = sop
        .output
        .iter()
        .filter(|l| ellipsis_slot(sop.label_chars[l.0 as usize]).is_some())
        .count();
    if hidden == 0 {
        let _ = writeln!(out, "result: [{output}] (rank {})", sop.output.len());
    } else {
        let _ = writeln!(
            out,
            "result: [{output}] (rank {} plus the ellipsis's, known at run time)",
            sop.output.len() - hidden
        );
    }
    let hinted: Vec<String> = sop
        .label_chars
        .iter()
        .enumerate()
        .filter(|(_, c)| ellipsis_slot(**c).is_none())
        .filter(|(l, _)| plan.sizes.size(Label(*l as u16)) != crate::cost::Monomial::N)
        .map(|(l, _)| format!("{} = {}", names[l], plan.sizes.size(Label(l as u16))))
        .collect();
    if hinted.is_empty() {
        let _ = write!(out, "sizes: every label N");
    } else {
        let _ = write!(out, "sizes: {}; every other label N", hinted.join(", "));
    }
    if sop.label_chars.iter().any(|&c| ellipsis_slot(c).is_some()) {
        let _ = write!(out, "; the ellipsis `...` counts as one axis of size N");
    }
    let _ = writeln!(out);
    let mut total = Poly::zero();
    let mut naive_total = Poly::zero();
    if sop.sums.is_empty() {
        let _ = writeln!(out, "materialized sums: none");
    }
    let mut listing: Vec<(String, &[crate::ir::Term], &[crate::plan::TermPlan])> = Vec::new();
    for (sum, sum_plan) in sop.sums.iter().zip(&plan.sums) {
        let labels = labels_text(&sum.labels, &names);
        let what = match sum.binding {
            Some(b) => format!("binding `{}`", program.binding_names[b]),
            None => "sum".to_string(),
        };
        let count = match sum.terms.len() {
            1 => "1 term".to_string(),
            n => format!("{n} terms"),
        };
        listing.push((
            format!(
                "materialized {what} #{}[{labels}] of {count}",
                sum_plan.intermediate
            ),
            &sum.terms,
            &sum_plan.terms,
        ));
    }
    listing.push((
        format!("terms after distribution: {}", sop.terms.len()),
        &sop.terms,
        &plan.terms,
    ));
    for (heading, terms, term_plans) in listing {
        let _ = writeln!(out, "{heading}");
        for (t, (term, term_plan)) in terms.iter().zip(term_plans).enumerate() {
            let factors: Vec<String> = term
                .factors
                .iter()
                .map(|f| {
                    format!(
                        "{}[{}]",
                        value_text(f.value),
                        labels_text(&f.labels, &names)
                    )
                })
                .collect();
            let _ = writeln!(
                out,
                "term {}: {} {}",
                t + 1,
                coefficient_text(&term.coefficient, &value_text),
                factors.join(" ")
            );
            for &s in &term_plan.steps {
                let _ = writeln!(
                    out,
                    "  {}",
                    step_text(s, &plan.steps[s], &names, &value_text)
                );
            }
            let _ = writeln!(
                out,
                "  cost {} (one loop nest: {}), largest intermediate {}{}",
                term_plan.cost,
                term_plan.naive_cost,
                largest_intermediate(plan, &term_plan.steps),
                if term_plan.over_memory_limit {
                    " (over max_intermediate: no path fits)"
                } else {
                    ""
                }
            );
            total += &term_plan.cost;
            naive_total += &term_plan.naive_cost;
        }
    }
    let shared: Vec<String> = plan
        .intermediates
        .iter()
        .enumerate()
        .filter(|(_, i)| i.uses > 1)
        .map(|(id, i)| format!("#{id} (read by {} steps)", i.uses))
        .collect();
    let _ = writeln!(
        out,
        "shared intermediates: {}",
        if shared.is_empty() {
            "none".to_string()
        } else {
            shared.join(", ")
        }
    );
    let fused: Vec<String> = plan
        .passes
        .iter()
        .filter(|pass| pass.steps.len() > 1)
        .map(|pass| {
            let steps: Vec<String> = pass.steps.clone().map(|s| (s + 1).to_string()).collect();
            let source = |step: &Step| match &step.inputs[0].0 {
                Source::Leaf(v) => value_text(*v),
                Source::Intermediate(id) => format!("#{id}"),
            };
            let first = &plan.steps[pass.steps.start];
            if pass.kind == PassKind::Sum {
                let destination = match first.destination {
                    Destination::Result => "the result".to_string(),
                    Destination::Intermediate(id) => format!("#{id}"),
                };
                format!(
                    "steps {} add into {destination} in one pass",
                    steps.join(", ")
                )
            } else {
                format!(
                    "steps {} read {} in one pass",
                    steps.join(", "),
                    source(first)
                )
            }
        })
        .collect();
    let _ = writeln!(
        out,
        "fused passes: {}",
        if fused.is_empty() {
            "none".to_string()
        } else {
            fused.join("; ")
        }
    );
    let _ = write!(
        out,
        "total cost {total}, one loop nest per term {naive_total}: {}",
        speedup(&naive_total, &total)
    );
    out
}

fn step_text(
    index: usize,
    step: &Step,
    names: &[String],
    value_text: &dyn Fn(usize) -> String,
) -> String {
    let labels = |ls: &[Label]| labels_text(ls, names);
    let subscripts = format!(
        "{}->{}",
        step.inputs
            .iter()
            .map(|(_, ls)| labels(ls))
            .collect::<Vec<_>>()
            .join(","),
        labels(&step.destination_labels)
    );
    let sources: Vec<String> = step
        .inputs
        .iter()
        .map(|(s, _)| match s {
            Source::Leaf(v) => value_text(*v),
            Source::Intermediate(id) => format!("#{id}"),
        })
        .collect();
    let destination = match step.destination {
        Destination::Result => "result".to_string(),
        Destination::Intermediate(id) => format!("#{id}"),
    };
    let kernel = match step.kernel {
        Kernel::Gemm { .. } => "GEMM",
        Kernel::Loops { n_free } if step.inputs.len() == 1 && n_free == step.loops.len() => "copy",
        Kernel::Loops { .. } => "loop nest",
    };
    format!(
        "step {}: {subscripts:<16} {} -> {destination:<8} {kernel:<9} cost {}",
        index + 1,
        sources.join(", "),
        step.cost
    )
}

fn largest_intermediate(plan: &Plan, steps: &[usize]) -> String {
    let mut largest: Option<Poly> = None;
    for &s in steps {
        if let Destination::Intermediate(id) = plan.steps[s].destination {
            let size = Poly::from(crate::cost::size_of(
                &plan.intermediates[id].labels,
                &plan.sizes,
            ));
            if largest.as_ref().is_none_or(|l| size > *l) {
                largest = Some(size);
            }
        }
    }
    largest.map_or("none".to_string(), |l| l.to_string())
}

fn coefficient_text(c: &Coefficient, value_text: &dyn Fn(usize) -> String) -> String {
    let parts: Vec<String> =
        c.0.iter()
            .map(|m| {
                let mut factors: Vec<String> = Vec::new();
                if m.count.unsigned_abs() != 1 {
                    factors.push(m.count.unsigned_abs().to_string());
                }
                // A value written negative (`- -1.0 * x`) moves its sign
                // to the term's: `+ 1.0 * x`.
                let mut negative = m.count < 0;
                for &v in &m.values {
                    let text = value_text(v);
                    match text.strip_prefix('-') {
                        Some(rest) if !rest.is_empty() && !rest.starts_with('-') => {
                            negative = !negative;
                            factors.push(rest.trim_start().to_string());
                        }
                        _ => factors.push(text),
                    }
                }
                let sign = if negative { "-" } else { "+" };
                if factors.is_empty() {
                    sign.to_string()
                } else {
                    format!("{sign} {} *", factors.join(" * "))
                }
            })
            .collect();
    if parts.len() == 1 {
        parts[0].clone()
    } else {
        format!("+ ({})", parts.join(" "))
    }
}

/// How much cheaper the plan is than one loop nest per term.
fn speedup(naive: &Poly, planned: &Poly) -> String {
    if planned.is_zero() || naive.is_zero() {
        return "nothing to compute".into();
    }
    if naive.degree() == planned.degree() {
        let ratio = naive.terms()[0].coef / planned.terms()[0].coef;
        if (ratio - 1.0).abs() < 0.05 {
            "the same number of operations".into()
        } else if ratio < 1.0 {
            format!("{:.1}x more operations", 1.0 / ratio)
        } else {
            format!("{ratio:.1}x fewer operations")
        }
    } else {
        format!("degree {} instead of {}", planned.degree(), naive.degree())
    }
}

/// The labels as text, each run of hidden ellipsis labels (named `""`, see
/// [`display_names`]) shown as `...`.
fn labels_text(labels: &[Label], names: &[String]) -> String {
    let mut text = String::new();
    let mut in_ellipsis = false;
    for l in labels {
        let name = &names[l.0 as usize];
        let hidden = name.is_empty();
        if !hidden {
            text.push_str(name);
        } else if !in_ellipsis {
            text.push_str("...");
        }
        in_ellipsis = hidden;
    }
    text
}

/// A name per label: its own character when no other label took it, else a
/// letter no label is written as, else its character with a subscript
/// number (`a₁`, `a₂`, ...), so that every label reads distinctly however
/// many there are. Ellipsis labels are named `""`.
fn display_names(sop: &SumOfProducts) -> Vec<String> {
    let mut taken: Vec<String> = Vec::new();
    let mut free = ('a'..='z')
        .chain('A'..='Z')
        .filter(|p| !sop.label_chars.contains(p));
    let mut copies: std::collections::HashMap<char, usize> = std::collections::HashMap::new();
    for &c in &sop.label_chars {
        if ellipsis_slot(c).is_some() {
            taken.push(String::new());
            continue;
        }
        let own = c.to_string();
        let name = if !taken.contains(&own) {
            own
        } else if let Some(letter) = free.next() {
            letter.to_string()
        } else {
            let copy = copies.entry(c).or_insert(0);
            *copy += 1;
            format!("{c}{}", subscript(*copy))
        };
        taken.push(name);
    }
    taken
}

/// `n` in subscript digits.
fn subscript(n: usize) -> String {
    n.to_string()
        .chars()
        .map(|d| char::from_u32(0x2080 + d.to_digit(10).unwrap_or(0)).unwrap_or('?'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuse::fuse;
    use crate::plan::plan_best;
    use crate::testing::{call, minus, plus, program, times, var, Expr};

    fn printout(program: &Program) -> String {
        let (sop, mut plan) = plan_best(program);
        fuse(&mut plan, &sop);
        describe(program, &sop, &plan)
    }

    #[test]
    fn labels_past_the_alphabet_get_distinct_names() {
        // 11 terms of a six-label contraction: 5 summed labels each, 55 in
        // all, more than the 52 letters.
        let mut body = call("iabcde,abcdej->ij", [var("x"), var("y")]);
        for _ in 1..11 {
            body = plus(body, call("iabcde,abcdej->ij", [var("x"), var("y")]));
        }
        let p = program(vec![], body);
        let sop = crate::distribute::distribute(&p, &[]);
        let names = display_names(&sop);
        assert!(names.len() > 52);
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "{names:?}");
        assert!(names.iter().all(|n| !n.contains('?')));
        assert!(names.contains(&"a₁".to_string()), "{names:?}");
    }

    #[test]
    fn nothing_saved_reads_plainly() {
        let text = printout(&program(vec![], call("ij,jk->ik", [var("a"), var("b")])));
        assert!(text.ends_with("the same number of operations"), "{text}");
    }

    #[test]
    fn a_subtracted_negative_coefficient_is_an_added_one() {
        let p = program(
            vec![],
            minus(
                call("ij->ij", [var("x")]),
                times("-1.0", call("ij->ij", [var("y")])),
            ),
        );
        let text = printout(&p);
        assert!(text.contains("term 2: + 1.0 * y[ij]"), "{text}");
        assert!(!text.contains("- -"), "{text}");
    }

    #[test]
    fn a_materialized_binding_is_named() {
        let p = program(
            vec![call("ik,kj->ij", [var("a"), var("b")])],
            call("ij,jk->ik", [Expr::Binding(0), Expr::Binding(0)]),
        );
        let text = printout(&p);
        assert!(text.contains("materialized binding `b0` #0"), "{text}");
        assert!(text.contains("of 1 term\n"), "{text}");
    }

    #[test]
    fn candidates_are_listed_with_their_costs_in_label_sizes() {
        let p = program(vec![], call("ij,jk,kl->il", [var("a"), var("b"), var("c")]));
        let candidates = Candidates::generate(&p);
        let text = describe_candidates(&p, &candidates);
        println!("{text}");
        assert!(text.contains("candidate plans: 2,"), "{text}");
        // Each order's opt_einsum count, one variable per label.
        let costs = ["cost 2 i j k + 2 i k l", "cost 2 i j l + 2 j k l"];
        let listed: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("candidate ") && !l.starts_with("candidate plans"))
            .collect();
        assert_eq!(listed.len(), 2, "{text}");
        assert!(listed[0].starts_with("candidate 1 (the cheapest when all sizes are equal)"));
        for line in &listed {
            assert!(costs.iter().any(|c| line.ends_with(c)), "{line}");
        }
        assert_ne!(listed[0].split(": ").nth(1), listed[1].split(": ").nth(1));
        // The second candidate's steps follow its line.
        assert!(text.contains("\n  step 1: "), "{text}");
        let matmul = program(vec![], call("ij,jk->ik", [var("a"), var("b")]));
        let one = describe_candidates(&matmul, &Candidates::generate(&matmul));
        assert!(!one.contains("candidate"), "{one}");
    }
}
