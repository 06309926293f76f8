//! Distribution: the lazy expression tree becomes a sum of products of Rust
//! operands.
//!
//! Each call's summed labels are renamed apart (fresh labels at every use),
//! its output labels are identified with the labels its caller gives that
//! argument, products of sums are multiplied out, and identical terms (equal
//! up to renaming of summed labels) merge their coefficients.

use crate::ir::{Coefficient, Factor, Label, Leaf, Monomial, SumOfProducts, Term};
use crate::validate::{Checked, Node};
use std::collections::HashMap;

/// Multiplies out `checked` into a sum of products.
pub fn distribute(checked: &Checked) -> SumOfProducts {
    let keys: Vec<String> = checked
        .values
        .iter()
        .map(crate::parse::source_text)
        .collect();
    let mut expander = Expander {
        checked,
        keys: &keys,
        label_chars: Vec::new(),
        leaves: vec![None; checked.values.len()],
    };
    let output_chars = expander.output_chars(&checked.body, checked.rank);
    let output: Vec<Label> = output_chars.iter().map(|&c| expander.fresh(c)).collect();
    let expanded = expander.expand(&checked.body, &output);
    let key = |v: usize| keys[v].clone();
    let mut axes = Vec::new();
    for factor in expanded.iter().flat_map(|t| &t.factors) {
        for (axis, &label) in factor.labels.iter().enumerate() {
            if !axes.contains(&(label, factor.value, axis)) {
                axes.push((label, factor.value, axis));
            }
        }
    }
    let mut terms: Vec<(Vec<CanonicalFactor>, Term)> = Vec::new();
    for term in expanded {
        let canonical = canonical_form(&term, &output);
        match terms.iter_mut().find(|(c, _)| *c == canonical) {
            Some((_, existing)) => existing.coefficient.add(&term.coefficient, &key),
            None => terms.push((canonical, term)),
        }
    }
    SumOfProducts {
        terms: terms
            .into_iter()
            .map(|(_, t)| t)
            .filter(|t| !t.coefficient.is_zero())
            .collect(),
        output,
        label_chars: expander.label_chars,
        leaves: expander.leaves,
        axes,
    }
}

struct Expander<'a> {
    checked: &'a Checked,
    keys: &'a [String],
    label_chars: Vec<char>,
    leaves: Vec<Option<Leaf>>,
}

impl Expander<'_> {
    fn fresh(&mut self, c: char) -> Label {
        self.label_chars.push(c);
        Label((self.label_chars.len() - 1) as u16)
    }

    /// The characters naming the result's axes: those of the first call found.
    fn output_chars(&self, node: &Node, rank: usize) -> Vec<char> {
        fn find(node: &Node, checked: &Checked) -> Option<Vec<char>> {
            match node {
                Node::Call { subscripts, .. } => Some(subscripts.output.clone()),
                Node::Binding(b) => find(&checked.bindings[*b], checked),
                Node::Combination(terms) => terms.iter().find_map(|t| find(&t.node, checked)),
                Node::Operand { .. } => None,
            }
        }
        find(node, self.checked)
            .unwrap_or_else(|| (0..rank).map(|k| (b'a' + k as u8) as char).collect())
    }

    /// The terms of `node` with its axes labelled `labels`.
    fn expand(&mut self, node: &Node, labels: &[Label]) -> Vec<Term> {
        match node {
            Node::Operand {
                value,
                site,
                position,
                chars,
            } => {
                if self.leaves[*value].is_none() {
                    let chars = chars.clone().unwrap_or_else(|| {
                        labels
                            .iter()
                            .map(|l| self.label_chars[l.0 as usize])
                            .collect()
                    });
                    self.leaves[*value] = Some(Leaf {
                        site: *site,
                        position: *position,
                        chars,
                    });
                }
                vec![Term {
                    coefficient: Coefficient::one(),
                    factors: vec![Factor {
                        value: *value,
                        labels: labels.to_vec(),
                    }],
                }]
            }
            Node::Binding(b) => {
                let body = &self.checked.bindings[*b];
                self.expand(body, labels)
            }
            Node::Combination(terms) => {
                let mut out = Vec::new();
                for term in terms {
                    let scale = Coefficient(vec![Monomial {
                        count: if term.negative { -1 } else { 1 },
                        values: term.coefficients.clone(),
                    }]);
                    for mut t in self.expand(&term.node, labels) {
                        let keys = self.keys;
                        t.coefficient = scale.times(&t.coefficient, &|v| keys[v].clone());
                        out.push(t);
                    }
                }
                out
            }
            Node::Call {
                subscripts, args, ..
            } => {
                let mut names: HashMap<char, Label> = subscripts
                    .output
                    .iter()
                    .copied()
                    .zip(labels.iter().copied())
                    .collect();
                for &c in subscripts.inputs.iter().flatten() {
                    if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(c) {
                        slot.insert(self.fresh(c));
                    }
                }
                let mut products = vec![Term {
                    coefficient: Coefficient::one(),
                    factors: Vec::new(),
                }];
                for (arg, chars) in args.iter().zip(&subscripts.inputs) {
                    let arg_labels: Vec<Label> = chars.iter().map(|c| names[c]).collect();
                    let arg_terms = self.expand(arg, &arg_labels);
                    let keys = self.keys;
                    let key = |v: usize| keys[v].clone();
                    products = products
                        .iter()
                        .flat_map(|p| arg_terms.iter().map(move |t| (p, t)))
                        .map(|(p, t)| Term {
                            coefficient: p.coefficient.times(&t.coefficient, &key),
                            factors: p.factors.iter().chain(&t.factors).cloned().collect(),
                        })
                        .collect();
                }
                products
            }
        }
    }
}

/// A factor with its labels replaced by output positions (`Ok`) or by
/// canonical summed-label numbers (`Err`).
type CanonicalFactor = (usize, Vec<Result<usize, usize>>);

/// The factors sorted and the summed labels renumbered by first appearance:
/// equal for two terms that differ only in the names of summed labels (up to
/// the order of factors sharing an operand, which is enough in practice).
fn canonical_form(term: &Term, output: &[Label]) -> Vec<CanonicalFactor> {
    let pattern = |f: &Factor| -> CanonicalFactor {
        let labels = f
            .labels
            .iter()
            .map(|l| output.iter().position(|o| o == l).ok_or(0))
            .collect();
        (f.value, labels)
    };
    let mut factors: Vec<&Factor> = term.factors.iter().collect();
    factors.sort_by_key(|f| pattern(f));
    let mut numbering: Vec<Label> = Vec::new();
    factors
        .iter()
        .map(|f| {
            let labels = f
                .labels
                .iter()
                .map(|l| match output.iter().position(|o| o == l) {
                    Some(p) => Ok(p),
                    None => Err(match numbering.iter().position(|n| n == l) {
                        Some(k) => k,
                        None => {
                            numbering.push(*l);
                            numbering.len() - 1
                        }
                    }),
                })
                .collect();
            (f.value, labels)
        })
        .collect()
}
