//! The candidate plans against opt_einsum at real, skewed sizes (issue 12).
//!
//! `tests/data/plan_quality.txt` (made by `scripts/plan_quality.py`) lists
//! (network, sizes) pairs with opt_einsum's `optimal` FLOP count at those
//! sizes. Each network is planned once with every size unknown, as the macro
//! plans it; the run-time choice ([`Candidates::choose`], the rule the
//! generated code evaluates) then picks a candidate at the table's sizes,
//! and that candidate's exact FLOP count (every step it runs: diagonals,
//! sums over labels one operand carries, pairwise steps) is compared with
//! the reference.

use einsum_compiler::candidates::Candidates;
use einsum_compiler::ir::Label;
use einsum_compiler::{parse, validate};
use std::collections::HashMap;

/// The program of `"expression"(a0, a1, ..)`, as the macro would get it.
fn candidates_of(expression: &str) -> Candidates {
    let operands = expression
        .split("->")
        .next()
        .unwrap_or("")
        .split(',')
        .count();
    let names: Vec<String> = (0..operands).map(|k| format!("a{k}")).collect();
    let input = format!("{expression:?}({})", names.join(", "));
    let parsed: parse::MacroInput = syn::parse_str(&input).expect("a valid macro input");
    let checked = validate::validate(parsed)
        .unwrap_or_else(|_| panic!("{expression}: the table's inputs are valid"));
    Candidates::generate(&checked.program)
}

#[test]
fn run_time_choice_is_close_to_opt_einsum_optimal() {
    let data = include_str!("data/plan_quality.txt");
    let mut planned: HashMap<&str, Candidates> = HashMap::new();
    let (mut pairs, mut within, mut worst) = (0, 0, (1.0_f64, String::new()));
    // What the symbolic plan alone (candidate 0, the plan before candidates) gives.
    let mut symbolic_within = 0;
    let mut counts = Vec::new();
    for line in data
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let fields: Vec<&str> = line.split('\t').collect();
        let [expression, sizes, reference] = fields[..] else {
            panic!("malformed line {line:?}");
        };
        let reference: f64 = reference.parse().expect("a FLOP count");
        let sizes: HashMap<char, f64> = sizes
            .split(' ')
            .map(|pair| {
                let (label, size) = pair.split_once('=').expect("label=size");
                let label = label.chars().next().expect("a label");
                (label, size.parse().expect("a size"))
            })
            .collect();
        let candidates = planned.entry(expression).or_insert_with(|| {
            let c = candidates_of(expression);
            counts.push(c.candidates.len());
            c
        });
        let size = |l: Label| sizes[&candidates.sop.label_chars[l.0 as usize]];
        let chosen = candidates.choose(size);
        let ours = candidates.candidates[chosen].cost.eval(size);
        let ratio = ours / reference;
        if candidates.candidates[0].cost.eval(size) / reference <= 1.25 {
            symbolic_within += 1;
        }
        println!(
            "{expression:<36} {ratio:>6.3}  candidate {chosen} of {}",
            candidates.candidates.len()
        );
        pairs += 1;
        if ratio <= 1.25 {
            within += 1;
        }
        if ratio > worst.0 {
            worst = (ratio, format!("{expression} at {sizes:?}"));
        }
        assert!(
            ratio <= 2.0,
            "{expression} at {sizes:?}: {ours} FLOPs, opt_einsum {reference}"
        );
    }
    let share = within as f64 / pairs as f64;
    println!(
        "{pairs} pairs, {} networks ({} candidates on average, at most {}): within 1.25x on {:.1}% (the symbolic plan alone: {:.1}%), worst {:.3} ({})",
        planned.len(),
        counts.iter().sum::<usize>() as f64 / counts.len() as f64,
        counts.iter().max().unwrap_or(&0),
        100.0 * share,
        100.0 * symbolic_within as f64 / pairs as f64,
        worst.0,
        worst.1
    );
    assert!(pairs >= 200, "the table has lost pairs");
    assert!(
        share >= 0.95,
        "within 1.25x on only {within} of {pairs} pairs"
    );
}
