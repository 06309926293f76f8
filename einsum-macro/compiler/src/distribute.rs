//! Distribution: the lazy expression tree becomes a sum of products of Rust
//! operands.
//!
//! Each call's summed labels are renamed apart (fresh labels at every use),
//! its output labels are identified with the labels its caller gives that
//! argument, products of sums are multiplied out, and identical terms (equal
//! up to renaming of summed labels) merge their coefficients.

use crate::ir::{Coefficient, Factor, Label, Leaf, MaterializedSum, Monomial, SumOfProducts, Term};
use crate::program::{Node, Program};
use std::collections::HashMap;

/// A call argument by place: (site of the call, argument position).
pub type ArgumentPlace = (usize, usize);

/// A part of the input that may be computed once into an intermediate
/// instead of being multiplied out into every term that uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Materializable {
    /// A call argument that is a sum (see [`sum_arguments`]).
    Argument(ArgumentPlace),
    /// A `let` binding used more than once (see [`reused_bindings`]).
    Binding(usize),
}

/// Everything that may be materialized: the sum arguments, then the
/// bindings used more than once.
pub fn materializable(program: &Program) -> Vec<Materializable> {
    let arguments = sum_arguments(program)
        .into_iter()
        .map(Materializable::Argument);
    let bindings = reused_bindings(program)
        .into_iter()
        .map(Materializable::Binding);
    arguments.chain(bindings).collect()
}

/// The bindings whose value is used more than once once the expression is
/// expanded (a use inside a binding counts once per use of that binding),
/// except bindings of a plain operand, which are read where they are.
pub fn reused_bindings(program: &Program) -> Vec<usize> {
    fn count(node: &Node, uses: &mut [usize], weight: usize) {
        match node {
            Node::Binding(b) => uses[*b] = uses[*b].saturating_add(weight),
            Node::Call { args, .. } => args.iter().for_each(|a| count(a, uses, weight)),
            Node::Combination(terms) => terms.iter().for_each(|t| count(&t.node, uses, weight)),
            Node::Operand { .. } => {}
        }
    }
    let mut uses = vec![0; program.bindings.len()];
    count(&program.body, &mut uses, 1);
    // A binding only uses bindings defined before it.
    for b in (0..program.bindings.len()).rev() {
        let weight = uses[b];
        if weight > 0 {
            count(&program.bindings[b], &mut uses, weight);
        }
    }
    (0..program.bindings.len())
        .filter(|&b| uses[b] > 1 && !matches!(program.bindings[b], Node::Operand { .. }))
        .collect()
}

/// The call arguments that are sums (directly or through a binding): each
/// may be distributed or materialized.
pub fn sum_arguments(program: &Program) -> Vec<ArgumentPlace> {
    fn resolve<'a>(node: &'a Node, program: &'a Program) -> &'a Node {
        match node {
            Node::Binding(b) => resolve(&program.bindings[*b], program),
            other => other,
        }
    }
    fn walk(node: &Node, program: &Program, found: &mut Vec<ArgumentPlace>) {
        match node {
            Node::Call { site, args, .. } => {
                for (position, arg) in args.iter().enumerate() {
                    if matches!(resolve(arg, program), Node::Combination(terms) if terms.len() > 1)
                    {
                        found.push((*site, position));
                    }
                    walk(arg, program, found);
                }
            }
            Node::Combination(terms) => terms.iter().for_each(|t| walk(&t.node, program, found)),
            Node::Binding(_) | Node::Operand { .. } => {}
        }
    }
    let mut found = Vec::new();
    for node in std::iter::once(&program.body).chain(&program.bindings) {
        walk(node, program, &mut found);
    }
    found
}

/// Multiplies out `program` into a sum of products; the parts listed in
/// `materialize` become materialized sums instead: a sum argument where its
/// labels are distinct (a sum read along a diagonal is always distributed),
/// a binding always (computed once, at its first use, with labels of its
/// own; every use reads it with the labels the use gives it).
pub fn distribute(program: &Program, materialize: &[Materializable]) -> SumOfProducts {
    let keys: Vec<String> = program.values.iter().map(|v| v.text.clone()).collect();
    let mut expander = Expander {
        program,
        keys: &keys,
        label_chars: Vec::new(),
        leaves: vec![None; program.values.len()],
        materialize,
        sums: Vec::new(),
        binding_sums: HashMap::new(),
        axes: Vec::new(),
        identity: (0..program.values.len()).collect(),
    };
    let output_chars = expander.output_chars(&program.body, program.rank);
    let output: Vec<Label> = output_chars.iter().map(|&c| expander.fresh(c)).collect();
    let expanded = expander.expand(&program.body, &output);
    let terms = expander.merge(expanded, &output);
    SumOfProducts {
        terms,
        output,
        label_chars: expander.label_chars,
        leaves: expander.leaves,
        axes: expander.axes,
        sums: expander.sums,
        value_count: program.values.len(),
        identity: expander.identity,
    }
}

struct Expander<'a> {
    program: &'a Program,
    keys: &'a [String],
    label_chars: Vec<char>,
    leaves: Vec<Option<Leaf>>,
    materialize: &'a [Materializable],
    sums: Vec<MaterializedSum>,
    /// The value of each materialized binding computed so far.
    binding_sums: HashMap<usize, usize>,
    axes: Vec<(Label, usize, usize)>,
    identity: Vec<usize>,
}

impl Expander<'_> {
    /// Records the labelled axes (before terms merge or cancel: all of them
    /// bind sizes), then merges identical terms and drops cancelled ones.
    fn merge(&mut self, expanded: Vec<Term>, output: &[Label]) -> Vec<Term> {
        self.record_axes(&expanded);
        let keys = self.keys;
        let key = |v: usize| keys[v].clone();
        let mut terms: Vec<(Vec<CanonicalFactor>, Term)> = Vec::new();
        for term in expanded {
            let canonical = canonical_form(&term, output, &self.identity);
            match terms.iter_mut().find(|(c, _)| *c == canonical) {
                Some((_, existing)) => existing.coefficient.add(&term.coefficient, &key),
                None => terms.push((canonical, term)),
            }
        }
        terms
            .into_iter()
            .map(|(_, t)| t)
            .filter(|t| !t.coefficient.is_zero())
            .collect()
    }

    /// Records the labelled axes of the Rust operands in `terms`: each binds
    /// its label's size.
    fn record_axes(&mut self, terms: &[Term]) {
        for factor in terms.iter().flat_map(|t| &t.factors) {
            if factor.value >= self.program.values.len() {
                continue;
            }
            for (axis, &label) in factor.labels.iter().enumerate() {
                if !self.axes.contains(&(label, factor.value, axis)) {
                    self.axes.push((label, factor.value, axis));
                }
            }
        }
    }

    /// A use of materialized binding `b` with `labels`: one factor reading
    /// its intermediate, computed at the first use.
    ///
    /// The use's labels still get their sizes from the operands they stand
    /// for: the binding is expanded with them too, only to record the axes
    /// (so sizes are bound and checked exactly as when it is distributed).
    fn materialized_binding(&mut self, b: usize, labels: &[Label]) -> Vec<Term> {
        let body = &self.program.bindings[b];
        let (sums, binding_sums) = (self.sums.len(), self.binding_sums.clone());
        let as_distributed = self.expand(body, labels);
        self.record_axes(&as_distributed);
        // Sums that expansion materialized are never read: forget them.
        self.sums.truncate(sums);
        self.binding_sums = binding_sums;
        let value = match self.binding_sums.get(&b) {
            Some(&value) => value,
            None => {
                let chars = self.output_chars(body, labels.len());
                let own: Vec<Label> = chars.into_iter().map(|c| self.fresh(c)).collect();
                let terms = self.expand(body, &own);
                let terms = self.merge(terms, &own);
                self.sums.push(MaterializedSum {
                    binding: Some(b),
                    labels: own,
                    terms,
                });
                let value = self.program.values.len() + self.sums.len() - 1;
                self.binding_sums.insert(b, value);
                value
            }
        };
        vec![Term {
            coefficient: Coefficient::one(),
            factors: vec![Factor {
                value,
                labels: labels.to_vec(),
            }],
        }]
    }

    fn fresh(&mut self, c: char) -> Label {
        self.label_chars.push(c);
        Label((self.label_chars.len() - 1) as u16)
    }

    /// The characters naming the result's axes: those of the first call found.
    fn output_chars(&self, node: &Node, rank: usize) -> Vec<char> {
        fn find(node: &Node, program: &Program) -> Option<Vec<char>> {
            match node {
                Node::Call { subscripts, .. } => Some(subscripts.output.clone()),
                Node::Binding(b) => find(&program.bindings[*b], program),
                Node::Combination(terms) => terms.iter().find_map(|t| find(&t.node, program)),
                Node::Operand { .. } => None,
            }
        }
        find(node, self.program).unwrap_or_else(|| {
            let letters: Vec<char> = ('a'..='z').chain('A'..='Z').collect();
            (0..rank).map(|k| letters[k % letters.len()]).collect()
        })
    }

    /// The first operand naming the same variable as `value` (`a`, `&a`,
    /// `self.a`): repeated uses of a variable hold the same data, so terms
    /// that differ only in which use they read merge, and sub-contractions
    /// are shared. (Each use keeps its own view, so runtime errors name the
    /// use that is wrong.) Other expressions (calls, arithmetic) may differ between
    /// evaluations and stay distinct, and so do uses with another rank (a
    /// dynamic-rank variable used with two ranks fails at run time, per use).
    fn representative(&self, value: usize, rank: usize) -> usize {
        if self.identity[value] != value {
            return self.identity[value];
        }
        let Some(key) = &self.program.values[value].variable else {
            return value;
        };
        (0..value)
            .find(|&v| {
                self.leaves[v]
                    .as_ref()
                    .is_some_and(|leaf| leaf.chars.len() == rank)
                    && self.program.values[v].variable.as_ref() == Some(key)
            })
            .unwrap_or(value)
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
                self.identity[*value] = self.representative(*value, labels.len());
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
            Node::Binding(b) if self.materialize.contains(&Materializable::Binding(*b)) => {
                self.materialized_binding(*b, labels)
            }
            Node::Binding(b) => {
                let body = &self.program.bindings[*b];
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
                site,
                subscripts,
                args,
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
                for (position, (arg, chars)) in args.iter().zip(&subscripts.inputs).enumerate() {
                    let arg_labels: Vec<Label> = chars.iter().map(|c| names[c]).collect();
                    let distinct = arg_labels
                        .iter()
                        .enumerate()
                        .all(|(k, l)| !arg_labels[..k].contains(l));
                    let place = Materializable::Argument((*site, position));
                    let arg_terms = if distinct && self.materialize.contains(&place) {
                        let terms = self.expand(arg, &arg_labels);
                        let terms = self.merge(terms, &arg_labels);
                        self.sums.push(MaterializedSum {
                            binding: None,
                            labels: arg_labels.clone(),
                            terms,
                        });
                        vec![Term {
                            coefficient: Coefficient::one(),
                            factors: vec![Factor {
                                value: self.program.values.len() + self.sums.len() - 1,
                                labels: arg_labels,
                            }],
                        }]
                    } else {
                        self.expand(arg, &arg_labels)
                    };
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
fn canonical_form(term: &Term, output: &[Label], identity: &[usize]) -> Vec<CanonicalFactor> {
    let pattern = |f: &Factor| -> CanonicalFactor {
        let labels = f
            .labels
            .iter()
            .map(|l| output.iter().position(|o| o == l).ok_or(0))
            .collect();
        (identity.get(f.value).copied().unwrap_or(f.value), labels)
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
            (identity.get(f.value).copied().unwrap_or(f.value), labels)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{call, minus, names, plus, program, times, var, Expr};

    /// A coefficient as `(count, value names)` monomials.
    type Coefficients = Vec<(i64, Vec<String>)>;

    /// Each term of `sop` as its coefficient and the names of its factors.
    fn terms(program: &Program, sop: &SumOfProducts) -> Vec<(Coefficients, Vec<String>)> {
        sop.terms
            .iter()
            .map(|t| {
                let coefficient = t
                    .coefficient
                    .0
                    .iter()
                    .map(|m| (m.count, names(program, &m.values)))
                    .collect();
                let factors: Vec<usize> = t.factors.iter().map(|f| f.value).collect();
                (coefficient, names(program, &factors))
            })
            .collect()
    }

    fn monomial(count: i64, values: &[&str]) -> Coefficients {
        vec![(count, values.iter().map(|v| v.to_string()).collect())]
    }

    fn factors(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn a_product_of_sums_multiplies_out() {
        let p = program(
            vec![],
            call(
                "i,i->i",
                [plus(var("a"), var("b")), minus(var("c"), var("d"))],
            ),
        );
        let sop = distribute(&p, &[]);
        assert_eq!(
            terms(&p, &sop),
            vec![
                (monomial(1, &[]), factors(&["a", "c"])),
                (monomial(-1, &[]), factors(&["a", "d"])),
                (monomial(1, &[]), factors(&["b", "c"])),
                (monomial(-1, &[]), factors(&["b", "d"])),
            ]
        );
        // One summed-apart label per call: both factors of a term read the output label.
        assert!(sop.terms.iter().all(|t| t.factors[0].labels == sop.output));
    }

    #[test]
    fn terms_equal_up_to_summed_label_names_merge() {
        let p = program(
            vec![],
            plus(
                call("ij,jk->ik", [var("a"), var("b")]),
                call("il,lk->ik", [var("a"), var("b")]),
            ),
        );
        let sop = distribute(&p, &[]);
        assert_eq!(
            terms(&p, &sop),
            vec![(monomial(2, &[]), factors(&["a", "b"]))]
        );
    }

    #[test]
    fn x_minus_x_cancels_but_still_binds_sizes() {
        let p = program(
            vec![],
            plus(
                call("ij->ij", [minus(var("x"), var("x"))]),
                call("ij->ij", [var("y")]),
            ),
        );
        let sop = distribute(&p, &[]);
        assert_eq!(terms(&p, &sop), vec![(monomial(1, &[]), factors(&["y"]))]);
        // Both axes of both uses of x still bind sizes (and are checked).
        let bound: Vec<usize> = sop.axes.iter().map(|&(_, value, _)| value).collect();
        assert_eq!(names(&p, &bound), factors(&["x", "x", "x", "x", "y", "y"]));
    }

    #[test]
    fn coefficients_multiply() {
        let p = program(
            vec![],
            times(
                "gamma",
                call(
                    "i,i->i",
                    [
                        times("beta", var("a")),
                        minus(var("b"), times("alpha", var("c"))),
                    ],
                ),
            ),
        );
        let sop = distribute(&p, &[]);
        // Values in a monomial are sorted by their text.
        assert_eq!(
            terms(&p, &sop),
            vec![
                (monomial(1, &["beta", "gamma"]), factors(&["a", "b"])),
                (
                    monomial(-1, &["alpha", "beta", "gamma"]),
                    factors(&["a", "c"])
                ),
            ]
        );
    }

    #[test]
    fn a_term_with_different_coefficients_merges_them() {
        let p = program(
            vec![],
            plus(
                times("alpha", call("ij->ji", [var("a")])),
                times("beta", call("ij->ji", [var("a")])),
            ),
        );
        let sop = distribute(&p, &[]);
        let mut both = monomial(1, &["alpha"]);
        both.extend(monomial(1, &["beta"]));
        assert_eq!(terms(&p, &sop), vec![(both, factors(&["a"]))]);
    }

    #[test]
    fn a_binding_is_expanded_where_it_is_used() {
        // let t = "ij,jk->ik"(a, b + c); "ik,k->i"(t, v)
        let p = program(
            vec![call("ij,jk->ik", [var("a"), plus(var("b"), var("c"))])],
            call("ik,k->i", [Expr::Binding(0), var("v")]),
        );
        let sop = distribute(&p, &[]);
        assert_eq!(
            terms(&p, &sop),
            vec![
                (monomial(1, &[]), factors(&["a", "b", "v"])),
                (monomial(1, &[]), factors(&["a", "c", "v"])),
            ]
        );
        // The binding's output labels are those its use gives it.
        let [a, b, v] = &sop.terms[0].factors[..] else {
            panic!("three factors")
        };
        assert_eq!((a.labels[0], b.labels[1]), (sop.output[0], v.labels[0]));
    }

    #[test]
    fn a_materialized_sum_is_one_factor() {
        let p = program(
            vec![],
            call("ij,jk->ik", [plus(var("a"), var("b")), var("c")]),
        );
        assert_eq!(sum_arguments(&p), vec![(0, 0)]);
        let sop = distribute(&p, &[Materializable::Argument((0, 0))]);
        assert_eq!(
            terms(&p, &sop),
            vec![(monomial(1, &[]), factors(&["#0", "c"]))]
        );
        assert_eq!(sop.sums.len(), 1);
        assert_eq!(sop.sums[0].terms.len(), 2);
    }
}
