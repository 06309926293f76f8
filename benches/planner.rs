//! Compile-time cost of the planner: `path::search` (exact dynamic
//! programming up to `EXACT_SEARCH_MAX_OPERANDS` operands, greedy beyond) on
//! 4-, 8-, 12- and 20-operand expressions with no size hints: the chain
//! `ab,bc,cd,...->a.` and random networks (`n + 4` labels, 1 to 4 labels per
//! operand, output = the labels that occur once, as numpy's implicit form).
//!
//! `planner_expand` times the whole macro expansion (candidate plans
//! included, issue 12) of a 12-operand chain and random network and of a
//! 30-term sum of 2- to 5-operand terms.
//!
//! Run with `cargo bench -p lazy-einsum-benches --bench planner` (append `-- --warm-up-time 1
//! --measurement-time 3` for a shorter run).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use einsum_compiler::cost::SizeModel;
use einsum_compiler::ir::Label;
use einsum_compiler::path;
use einsum_compiler::{OnError, Output};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

/// `ab,bc,cd,...` over `operands` matrices, output the two open ends.
fn chain(operands: usize) -> (Vec<Vec<Label>>, Vec<Label>) {
    let inputs = (0..operands)
        .map(|k| vec![Label(k as u16), Label(k as u16 + 1)])
        .collect();
    (inputs, vec![Label(0), Label(operands as u16)])
}

/// A fixed-seed 64-bit LCG (Knuth's MMIX constants), high bits out.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % bound as u64) as usize
    }
}

/// `operands` tensors of 1 to 4 labels drawn from `operands + 4`; the output
/// is every label that occurs exactly once, ascending.
fn random_network(operands: usize, seed: u64) -> (Vec<Vec<Label>>, Vec<Label>) {
    let mut rng = Lcg(seed);
    let labels = operands + 4;
    let inputs: Vec<Vec<Label>> = (0..operands)
        .map(|_| {
            (0..1 + rng.below(4))
                .map(|_| Label(rng.below(labels) as u16))
                .collect()
        })
        .collect();
    let mut count: BTreeMap<Label, usize> = BTreeMap::new();
    for &l in inputs.iter().flatten() {
        *count.entry(l).or_default() += 1;
    }
    let output = count
        .into_iter()
        .filter(|&(_, c)| c == 1)
        .map(|(l, _)| l)
        .collect();
    (inputs, output)
}

/// The expression as numpy subscripts, for the report.
fn subscripts(inputs: &[Vec<Label>], output: &[Label]) -> String {
    let name = |l: &Label| {
        char::from(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[l.0 as usize])
    };
    let terms: Vec<String> = inputs
        .iter()
        .map(|t| t.iter().map(name).collect())
        .collect();
    format!(
        "{}->{}",
        terms.join(","),
        output.iter().map(name).collect::<String>()
    )
}

fn planner(c: &mut Criterion) {
    let sizes = SizeModel::default();
    let mut group = c.benchmark_group("planner_search");
    for &n in &[4usize, 8, 12, 20] {
        let cases = [
            ("chain", chain(n)),
            ("random", random_network(n, 7 + n as u64)),
        ];
        for (kind, (inputs, output)) in cases {
            let found = path::search(&inputs, &output, &sizes, None).expect("no memory limit");
            assert_eq!(found.steps.len(), n - 1, "{kind} {n}: a step per pair");
            println!(
                "{kind} {n} ({}): {}, cost {}",
                if n <= path::EXACT_SEARCH_MAX_OPERANDS {
                    "exact"
                } else {
                    "greedy"
                },
                subscripts(&inputs, &output),
                found.cost
            );
            group.bench_with_input(BenchmarkId::new(kind, n), &n, |bch, _| {
                bch.iter(|| {
                    path::search(
                        black_box(&inputs),
                        black_box(&output),
                        black_box(&sizes),
                        None,
                    )
                })
            });
        }
    }
    group.finish();
}

/// `"subscripts"(x0, x1, ..)` for a numpy-form network.
fn call(inputs: &[Vec<Label>], output: &[Label], first: usize) -> String {
    let operands: Vec<String> = (0..inputs.len())
        .map(|k| format!("x{}", first + k))
        .collect();
    format!("{:?}({})", subscripts(inputs, output), operands.join(", "))
}

/// A coupled-cluster-sized sum: 30 terms of 2 to 5 operands each, every term
/// a network over `ijab`-like labels with the output `ij`.
fn thirty_term_sum() -> String {
    let mut rng = Lcg(30);
    let terms: Vec<String> = (0..30)
        .map(|t| {
            let operands = 2 + rng.below(4);
            // A chain from i to j through operands - 1 inner labels, each
            // operand also carrying a label of the next with probability 1/2.
            let mut inputs: Vec<Vec<Label>> = (0..operands)
                .map(|k| {
                    let from = if k == 0 { 0 } else { 1 + k };
                    let to = if k + 1 == operands { 1 } else { 2 + k };
                    vec![Label(from as u16), Label(to as u16)]
                })
                .collect();
            for k in 0..operands.saturating_sub(2) {
                if rng.below(2) == 1 {
                    let extra = Label((10 + k) as u16);
                    inputs[k].push(extra);
                    inputs[k + 2].push(extra);
                }
            }
            call(&inputs, &[Label(0), Label(1)], 10 * t)
        })
        .collect();
    terms.join(" + ")
}

/// The whole macro, `einsum_compiler::expand`, candidate plans included:
/// a 12-operand chain and random network, and a 30-term sum.
fn expansion(c: &mut Criterion) {
    let mut group = c.benchmark_group("planner_expand");
    let (chain_inputs, chain_output) = chain(12);
    let (random_inputs, random_output) = random_network(12, 19);
    let cases = [
        ("chain_12", call(&chain_inputs, &chain_output, 0)),
        ("random_12", call(&random_inputs, &random_output, 0)),
        ("sum_of_30_terms", thirty_term_sum()),
    ];
    for (name, input) in cases {
        let tokens: proc_macro2::TokenStream = input.parse().expect("tokens");
        let code = einsum_compiler::expand(tokens.clone(), Output::Code(OnError::Panic));
        assert!(
            !code.to_string().contains("compile_error"),
            "{name}: {input}\n{code}"
        );
        group.bench_function(name, |bch| {
            bch.iter(|| {
                einsum_compiler::expand(black_box(tokens.clone()), Output::Code(OnError::Panic))
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1));
    targets = planner, expansion
}
criterion_main!(benches);
