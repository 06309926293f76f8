//! Planning: each term of the sum of products becomes a sequence of kernel
//! steps, in the order the path search chose.
//!
//! Per term: single-operand steps first (diagonals, and labels that only one
//! operand carries are summed out), as numpy's optimized einsum does; then the
//! pairwise steps of the path; the last step writes the result, scaled by the
//! term's coefficient. Pairwise steps whose labels group into batch / m / n / k
//! become GEMM calls; their intermediates are laid out `[batch, m, n]` so
//! that GEMM writes them contiguously. Intermediates with the same content
//! (the same operands and labels, up to renaming) are computed once and
//! shared between terms.

use crate::cost::{flop_count, size_of, Monomial, Poly, SizeModel};
use crate::distribute;
use crate::ir::{Coefficient, Factor, Label, SumOfProducts, Term};
use crate::options::{Options, SizeExpr};
use crate::path;
use crate::program::{Program, TargetKind};
use crate::subscripts::{ellipsis_slot, ELLIPSIS_SLOTS};
use std::collections::HashMap;

/// Where a step reads an operand from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A Rust operand of the macro input (index among its values).
    Leaf(usize),
    /// An intermediate computed by an earlier step.
    Intermediate(usize),
}

/// Where a step writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// An intermediate (allocated just before the step).
    Intermediate(usize),
    /// The result (or the output target).
    Result,
}

/// How a step's value meets what its destination holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// `dest = alpha * value`
    Overwrite,
    /// `dest += alpha * value`
    Accumulate,
}

/// The kernel a step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// The loop kernel; the first `n_free` loops index the destination.
    Loops {
        /// How many leading loops index the destination.
        n_free: usize,
    },
    /// GEMM over loops ordered `[batch, m, n, k]`, with these counts.
    Gemm {
        /// Loops in both inputs and the destination.
        batch: usize,
        /// Loops in the first input and the destination.
        m: usize,
        /// Loops in the second input and the destination.
        n: usize,
        /// Loops in both inputs, summed.
        k: usize,
    },
}

/// One kernel call: `dest[free] (=|+=) alpha * sum over summed loops of prod inputs`.
#[derive(Debug, Clone)]
pub struct Step {
    /// The operands, each with a label per axis.
    pub inputs: Vec<(Source, Vec<Label>)>,
    /// The loops of the step, in the order its kernel wants them.
    pub loops: Vec<Label>,
    /// The kernel.
    pub kernel: Kernel,
    /// Where the value goes.
    pub destination: Destination,
    /// The destination's labels, in axis order.
    pub destination_labels: Vec<Label>,
    /// The scalar factor.
    pub alpha: Coefficient,
    /// Overwrite or accumulate.
    pub write: Write,
    /// Operation count, opt_einsum's convention.
    pub cost: Poly,
}

/// An intermediate tensor.
#[derive(Debug, Clone)]
pub struct Intermediate {
    /// Its labels, in axis order.
    pub labels: Vec<Label>,
    /// The last step that reads it (it is freed after that step).
    pub last_use: usize,
    /// How many steps read it (more than one when shared between terms).
    pub uses: usize,
}

/// Consecutive steps that run as one kernel call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pass {
    /// The steps (indices into [`Plan::steps`]).
    pub steps: std::ops::Range<usize>,
    /// Whether they run as one fused pass over the array they all read
    /// first; otherwise the pass is one step on its own.
    pub fused: bool,
}

/// The plan of one term, for the printout.
#[derive(Debug, Clone)]
pub struct TermPlan {
    /// Its steps (indices into [`Plan::steps`]); shared intermediates computed
    /// by an earlier term are not repeated here.
    pub steps: Vec<usize>,
    /// The planned cost, shared steps included.
    pub cost: Poly,
    /// The cost of one loop nest over all of the term's labels.
    pub naive_cost: Poly,
    /// No path kept every intermediate under `max_intermediate`.
    pub over_memory_limit: bool,
}

/// A sum computed into an intermediate before the terms that read it.
#[derive(Debug, Clone)]
pub struct SumPlan {
    /// The intermediate holding it.
    pub intermediate: usize,
    /// One entry per term of the sum.
    pub terms: Vec<TermPlan>,
}

/// The whole evaluation.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The steps, in execution order.
    pub steps: Vec<Step>,
    /// The steps grouped into passes, in order (see [`crate::fuse`]).
    pub passes: Vec<Pass>,
    /// The intermediates, by id.
    pub intermediates: Vec<Intermediate>,
    /// The materialized sums, in execution order.
    pub sums: Vec<SumPlan>,
    /// One entry per term of the sum of products.
    pub terms: Vec<TermPlan>,
    /// The size model the costs were computed with.
    pub sizes: SizeModel,
}

impl Plan {
    /// Sets each intermediate's last reading step and number of readers.
    pub fn recount_uses(&mut self) {
        for intermediate in &mut self.intermediates {
            (intermediate.last_use, intermediate.uses) = (0, 0);
        }
        for (k, step) in self.steps.iter().enumerate() {
            for (source, _) in &step.inputs {
                if let Source::Intermediate(id) = source {
                    self.intermediates[*id].last_use = k;
                    self.intermediates[*id].uses += 1;
                }
            }
        }
    }

    /// The cost of every step.
    pub fn cost(&self) -> Poly {
        let mut total = Poly::zero();
        for step in &self.steps {
            total += &step.cost;
        }
        total
    }

    /// The size of the largest intermediate (zero without any).
    pub fn largest_intermediate(&self) -> Poly {
        self.intermediates
            .iter()
            .map(|i| Poly::from(size_of(&i.labels, &self.sizes)))
            .max()
            .unwrap_or_else(Poly::zero)
    }
}

/// Distributes `program` and plans it, choosing for each sum argument of a
/// call whether to distribute it or to materialize it, whichever costs less
/// with every intermediate under `max_intermediate` (when no choice fits, the
/// one with the smallest largest intermediate). With more sum arguments than
/// [`MAX_SUM_CHOICES`] all are distributed.
pub fn plan_best(program: &Program) -> (SumOfProducts, Plan) {
    let candidates = distribute::sum_arguments(program);
    let choices = if candidates.len() <= MAX_SUM_CHOICES {
        1usize << candidates.len()
    } else {
        1
    };
    let limit = program
        .options
        .max_intermediate
        .map(|s| Poly::from(monomial(s)));
    let mut best: Option<(bool, Poly, Poly, SumOfProducts, Plan)> = None;
    for mask in 0..choices {
        let materialize: Vec<_> = candidates
            .iter()
            .enumerate()
            .filter(|(k, _)| mask >> k & 1 == 1)
            .map(|(_, &place)| place)
            .collect();
        let sop = distribute::distribute(program, &materialize);
        let plan = plan(&sop, &program.options, program.target);
        let (cost, peak) = (plan.cost(), plan.largest_intermediate());
        let fits = limit.as_ref().is_none_or(|l| peak <= *l);
        let better = match &best {
            None => true,
            Some((best_fits, best_cost, best_peak, _, _)) => match (fits, *best_fits) {
                (true, false) => true,
                (false, true) => false,
                (true, true) => cost < *best_cost,
                (false, false) => peak < *best_peak || (peak == *best_peak && cost < *best_cost),
            },
        };
        if better {
            best = Some((fits, cost, peak, sop, plan));
        }
    }
    let (_, _, _, sop, plan) = best.expect("at least one choice");
    (sop, plan)
}

/// At most `2^MAX_SUM_CHOICES` distribute/materialize combinations are planned.
pub const MAX_SUM_CHOICES: usize = 6;

/// Plans `sop` for a result written as `target` says (a fresh result is overwritten).
pub fn plan(sop: &SumOfProducts, options: &Options, target: Option<TargetKind>) -> Plan {
    let sizes = size_model(sop, options);
    let memory_limit = options.max_intermediate.map(|s| Poly::from(monomial(s)));
    let mut planner = Planner {
        sop,
        sizes,
        memory_limit,
        steps: Vec::new(),
        intermediates: Vec::new(),
        memo: HashMap::new(),
        sum_intermediates: Vec::new(),
    };
    let mut sums = Vec::new();
    for sum in &sop.sums {
        let id = planner.new_intermediate(&sum.labels);
        let destination = Destination::Intermediate(id);
        let terms = planner.terms(
            &sum.terms,
            &sum.labels,
            destination,
            Write::Overwrite,
            false,
        );
        planner.sum_intermediates.push(id);
        sums.push(SumPlan {
            intermediate: id,
            terms,
        });
    }
    let negate = target == Some(TargetKind::Subtract);
    let write = match target {
        None | Some(TargetKind::Assign) => Write::Overwrite,
        Some(TargetKind::Add | TargetKind::Subtract) => Write::Accumulate,
    };
    let terms = planner.terms(&sop.terms, &sop.output, Destination::Result, write, negate);
    let mut plan = Plan {
        passes: (0..planner.steps.len())
            .map(|k| Pass {
                steps: k..k + 1,
                fused: false,
            })
            .collect(),
        steps: planner.steps,
        intermediates: planner.intermediates,
        sums,
        terms,
        sizes: planner.sizes,
    };
    plan.recount_uses();
    plan
}

fn monomial(s: SizeExpr) -> Monomial {
    Monomial::new(s.coefficient, s.degree)
}

/// Hints name label characters; every label written with that character gets the hint.
///
/// An ellipsis counts as one axis of size `N`: its innermost slot (the one
/// covered whenever the ellipsis covers anything) has size `N`, the others 1.
fn size_model(sop: &SumOfProducts, options: &Options) -> SizeModel {
    let hints = sop.label_chars.iter().enumerate().filter_map(|(l, c)| {
        if let Some(slot) = ellipsis_slot(*c) {
            let size = if slot + 1 == ELLIPSIS_SLOTS {
                Monomial::N
            } else {
                Monomial::constant(1.0)
            };
            return Some((Label(l as u16), size));
        }
        let hint = options.sizes.iter().rev().find(|(h, _)| h == c)?;
        Some((Label(l as u16), monomial(hint.1)))
    });
    SizeModel::new(hints)
}

/// An operand of a term while it is being planned.
#[derive(Debug, Clone)]
struct Operand {
    /// What it is made of: the term's factors it covers.
    content: Vec<Factor>,
    /// Its labels, in axis order.
    labels: Vec<Label>,
    /// How to compute it.
    node: Node,
}

#[derive(Debug, Clone)]
enum Node {
    Leaf(usize),
    /// A single-operand step (diagonal / sum-out) of the operand.
    Reduce(Box<Operand>),
    /// A pairwise step.
    Pair(Box<Operand>, Box<Operand>),
}

/// Content identity up to renaming: how many labels the operand keeps, and
/// its factors sorted, labels numbered with the operand's own labels first
/// (in axis order), then by first appearance.
///
/// The count matters: `"il->"(a)` and `"jk->j"(a)` number their factor's
/// labels alike, but one keeps no label and the other one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ContentKey {
    kept: usize,
    factors: Vec<(usize, Vec<usize>)>,
}

struct Planner<'a> {
    sop: &'a SumOfProducts,
    sizes: SizeModel,
    memory_limit: Option<Poly>,
    steps: Vec<Step>,
    intermediates: Vec<Intermediate>,
    memo: HashMap<ContentKey, (usize, Vec<Label>)>,
    /// The intermediate of each materialized sum planned so far.
    sum_intermediates: Vec<usize>,
}

impl Planner<'_> {
    fn new_intermediate(&mut self, labels: &[Label]) -> usize {
        self.intermediates.push(Intermediate {
            labels: labels.to_vec(),
            last_use: 0,
            uses: 0,
        });
        self.intermediates.len() - 1
    }

    /// Plans `terms` summed into `destination` (the first overwriting, unless
    /// `write` accumulates); a destination no term writes is zeroed.
    fn terms(
        &mut self,
        terms: &[Term],
        output: &[Label],
        destination: Destination,
        mut write: Write,
        negate: bool,
    ) -> Vec<TermPlan> {
        let mut plans = Vec::new();
        for term in terms {
            let mut alpha = term.coefficient.clone();
            if negate {
                alpha.0.iter_mut().for_each(|m| m.count = -m.count);
            }
            plans.push(self.term(term, output, destination, alpha, write));
            write = Write::Accumulate;
        }
        if write == Write::Overwrite {
            // Every term cancelled: the value is zero.
            self.steps.push(Step {
                inputs: Vec::new(),
                loops: output.to_vec(),
                kernel: Kernel::Loops {
                    n_free: output.len(),
                },
                destination,
                destination_labels: output.to_vec(),
                alpha: Coefficient(Vec::new()),
                write,
                cost: Poly::from(size_of(output, &self.sizes)),
            });
        }
        plans
    }

    fn term(
        &mut self,
        term: &Term,
        output: &[Label],
        destination: Destination,
        alpha: Coefficient,
        write: Write,
    ) -> TermPlan {
        let output = &output.to_vec();
        let first_step = self.steps.len();
        let inputs: Vec<Vec<Label>> = term.factors.iter().map(|f| f.labels.clone()).collect();
        let naive_cost = path::naive_cost(&inputs, output, &self.sizes);
        let mut operands: Vec<Operand> = term
            .factors
            .iter()
            .map(|f| Operand {
                content: vec![f.clone()],
                labels: f.labels.clone(),
                node: Node::Leaf(f.value),
            })
            .collect();
        let mut over_memory_limit = false;
        let mut cost = Poly::zero();
        let root = if operands.len() == 1 {
            operands.pop().expect("one operand")
        } else {
            for k in 0..operands.len() {
                let needed = |l: &Label| {
                    output.contains(l)
                        || operands
                            .iter()
                            .enumerate()
                            .any(|(j, o)| j != k && o.labels.contains(l))
                };
                let mut kept: Vec<Label> = Vec::new();
                for l in &operands[k].labels {
                    if needed(l) && !kept.contains(l) {
                        kept.push(*l);
                    }
                }
                if kept != operands[k].labels {
                    let inner = operands[k].clone();
                    operands[k] = Operand {
                        content: inner.content.clone(),
                        labels: kept,
                        node: Node::Reduce(Box::new(inner)),
                    };
                }
            }
            let labels: Vec<Vec<Label>> = operands.iter().map(|o| o.labels.clone()).collect();
            let found = match path::search(&labels, output, &self.sizes, self.memory_limit.clone())
            {
                Ok(p) => p,
                Err(exceeded) => {
                    over_memory_limit = true;
                    exceeded.path
                }
            };
            let count = found.steps.len();
            let mut slots: Vec<Option<Operand>> = operands.into_iter().map(Some).collect();
            for (s, step) in found.steps.into_iter().enumerate() {
                let x = slots[step.lhs].take().expect("each operand is used once");
                let y = slots[step.rhs].take().expect("each operand is used once");
                let labels = if s + 1 == count {
                    output.clone()
                } else {
                    gemm_order(&x.labels, &y.labels, &step.result)
                };
                slots.push(Some(Operand {
                    content: x.content.iter().chain(&y.content).cloned().collect(),
                    labels,
                    node: Node::Pair(Box::new(x), Box::new(y)),
                }));
            }
            slots.pop().flatten().expect("the path ends in one operand")
        };
        self.emit_final(&root, output, destination, alpha, write, &mut cost);
        TermPlan {
            steps: (first_step..self.steps.len()).collect(),
            cost,
            naive_cost,
            over_memory_limit,
        }
    }

    /// Emits the steps computing `root` into the result.
    #[allow(clippy::too_many_arguments)]
    fn emit_final(
        &mut self,
        root: &Operand,
        output: &[Label],
        destination: Destination,
        alpha: Coefficient,
        write: Write,
        cost: &mut Poly,
    ) {
        match &root.node {
            Node::Pair(x, y) => {
                let (xs, ys) = (self.emit(x, cost), self.emit(y, cost));
                self.push_pair(x, xs, y, ys, destination, output, alpha, write, cost);
            }
            Node::Leaf(_) | Node::Reduce(_) => {
                let source = self.emit(root, cost);
                self.push_single(
                    source,
                    &root.labels,
                    destination,
                    output,
                    alpha,
                    write,
                    cost,
                );
            }
        }
    }

    /// Emits the steps computing `operand` (once per content) and says where it is.
    fn emit(&mut self, operand: &Operand, cost: &mut Poly) -> Source {
        if let Node::Leaf(value) = operand.node {
            return match self.sop.sum_index(value) {
                Some(sum) => Source::Intermediate(self.sum_intermediates[sum]),
                None => Source::Leaf(value),
            };
        }
        let key = content_key(&operand.content, &operand.labels, self.sop);
        if let Some((id, _)) = self.memo.get(&key) {
            // Computed by an earlier term: count its cost there, not here.
            return Source::Intermediate(*id);
        }
        let id = self.new_intermediate(&operand.labels);
        let destination = Destination::Intermediate(id);
        match &operand.node {
            Node::Leaf(_) => unreachable!("handled above"),
            Node::Reduce(inner) => {
                let source = self.emit(inner, cost);
                self.push_single(
                    source,
                    &inner.labels,
                    destination,
                    &operand.labels,
                    Coefficient::one(),
                    Write::Overwrite,
                    cost,
                );
            }
            Node::Pair(x, y) => {
                let (xs, ys) = (self.emit(x, cost), self.emit(y, cost));
                self.push_pair(
                    x,
                    xs,
                    y,
                    ys,
                    destination,
                    &operand.labels,
                    Coefficient::one(),
                    Write::Overwrite,
                    cost,
                );
            }
        }
        self.memo.insert(key, (id, operand.labels.clone()));
        Source::Intermediate(id)
    }

    #[allow(clippy::too_many_arguments)]
    fn push_single(
        &mut self,
        source: Source,
        labels: &[Label],
        destination: Destination,
        destination_labels: &[Label],
        alpha: Coefficient,
        write: Write,
        cost: &mut Poly,
    ) {
        let mut loops = destination_labels.to_vec();
        for l in labels {
            if !loops.contains(l) {
                loops.push(*l);
            }
        }
        let inner = loops.len() > destination_labels.len();
        let step_cost = flop_count(&loops, inner, 1, &self.sizes);
        *cost += &step_cost;
        self.steps.push(Step {
            inputs: vec![(source, labels.to_vec())],
            kernel: Kernel::Loops {
                n_free: destination_labels.len(),
            },
            loops,
            destination,
            destination_labels: destination_labels.to_vec(),
            alpha,
            write,
            cost: step_cost,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn push_pair(
        &mut self,
        x: &Operand,
        xs: Source,
        y: &Operand,
        ys: Source,
        destination: Destination,
        destination_labels: &[Label],
        alpha: Coefficient,
        write: Write,
        cost: &mut Poly,
    ) {
        let (xl, yl, r) = (&x.labels, &y.labels, destination_labels);
        let pick = |from: &[Label], f: &dyn Fn(&Label) -> bool| -> Vec<Label> {
            from.iter().copied().filter(|l| f(l)).collect()
        };
        let batch = pick(xl, &|l| yl.contains(l) && r.contains(l));
        let m = pick(xl, &|l| !yl.contains(l) && r.contains(l));
        let n = pick(yl, &|l| !xl.contains(l) && r.contains(l));
        let k = pick(xl, &|l| yl.contains(l) && !r.contains(l));
        let covered = batch.len() + m.len() + n.len() + k.len();
        let mut all: Vec<Label> = Vec::new();
        for l in xl.iter().chain(yl) {
            if !all.contains(l) {
                all.push(*l);
            }
        }
        let inner = all.iter().any(|l| !r.contains(l));
        let step_cost = flop_count(&all, inner, 2, &self.sizes);
        *cost += &step_cost;
        let (kernel, loops) =
            if covered == all.len() && !k.is_empty() && !m.is_empty() && !n.is_empty() {
                let kernel = Kernel::Gemm {
                    batch: batch.len(),
                    m: m.len(),
                    n: n.len(),
                    k: k.len(),
                };
                (kernel, [batch, m, n, k].concat())
            } else {
                let mut loops = r.to_vec();
                loops.extend(all.iter().filter(|l| !r.contains(l)));
                (Kernel::Loops { n_free: r.len() }, loops)
            };
        self.steps.push(Step {
            inputs: vec![(xs, xl.clone()), (ys, yl.clone())],
            loops,
            kernel,
            destination,
            destination_labels: r.to_vec(),
            alpha,
            write,
            cost: step_cost,
        });
    }
}

/// The axis order of a pairwise step's intermediate: batch, then the first
/// operand's kept labels, then the second's, each in its operand's order, so
/// GEMM writes it contiguously.
fn gemm_order(x: &[Label], y: &[Label], kept: &[Label]) -> Vec<Label> {
    let batch = x.iter().filter(|l| y.contains(l) && kept.contains(l));
    let m = x.iter().filter(|l| !y.contains(l) && kept.contains(l));
    let n = y.iter().filter(|l| !x.contains(l) && kept.contains(l));
    batch.chain(m).chain(n).copied().collect()
}

fn content_key(content: &[Factor], labels: &[Label], sop: &SumOfProducts) -> ContentKey {
    let mut numbering: Vec<Label> = labels.to_vec();
    let shape = |f: &Factor| -> (usize, Vec<Option<usize>>) {
        (
            sop.identity_of(f.value),
            f.labels
                .iter()
                .map(|l| labels.iter().position(|m| m == l))
                .collect(),
        )
    };
    let mut sorted: Vec<&Factor> = content.iter().collect();
    sorted.sort_by_key(|f| shape(f));
    let factors = sorted
        .iter()
        .map(|f| {
            let numbers = f
                .labels
                .iter()
                .map(|l| match numbering.iter().position(|m| m == l) {
                    Some(p) => p,
                    None => {
                        numbering.push(*l);
                        numbering.len() - 1
                    }
                })
                .collect();
            (sop.identity_of(f.value), numbers)
        })
        .collect();
    ContentKey {
        kept: labels.len(),
        factors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{call, n_to_the, names, plus, program, program_with, var, Expr};

    /// What each input of `step` reads: an operand's name or `#k` for intermediate `k`.
    fn reads(program: &Program, step: &Step) -> Vec<String> {
        step.inputs
            .iter()
            .map(|(source, _)| match source {
                Source::Leaf(v) => names(program, &[*v]).remove(0),
                Source::Intermediate(k) => format!("#{k}"),
            })
            .collect()
    }

    /// The seed, `let c = "i,jk->ijk"(b, a); let c2 = "j,ik->ijk"(y2, z2);
    /// "ijk,ikj->k"(c + c2, c + c2)`.
    fn seed() -> Program {
        program(
            vec![
                call("i,jk->ijk", [var("b"), var("a")]),
                call("j,ik->ijk", [var("y2"), var("z2")]),
            ],
            call(
                "ijk,ikj->k",
                [
                    plus(Expr::Binding(0), Expr::Binding(1)),
                    plus(Expr::Binding(0), Expr::Binding(1)),
                ],
            ),
        )
    }

    #[test]
    fn the_seed_distributes() {
        let p = seed();
        assert_eq!(distribute::sum_arguments(&p).len(), 2);
        let (sop, plan) = plan_best(&p);
        // Materializing c + c2 would store an N^3 tensor; distributed, every
        // term is a chain of matrix-vector products.
        assert!(sop.sums.is_empty() && plan.sums.is_empty());
        assert_eq!(sop.terms.len(), 4);
        assert!(plan.intermediates.iter().all(|i| i.labels.len() <= 1));
        assert_eq!(plan.cost().degree(), 2);
    }

    #[test]
    fn a_sum_that_distributing_would_multiply_is_materialized() {
        // (a + b) c: one addition and one GEMM instead of two GEMMs.
        let p = program(
            vec![],
            call("ij,jk->ik", [plus(var("a"), var("b")), var("c")]),
        );
        let (sop, plan) = plan_best(&p);
        assert_eq!(sop.sums.len(), 1);
        assert_eq!(sop.terms.len(), 1);
        let gemms = plan
            .steps
            .iter()
            .filter(|s| matches!(s.kernel, Kernel::Gemm { .. }))
            .count();
        assert_eq!(gemms, 1);
        let sum = plan.sums[0].intermediate;
        let last = plan.steps.last().expect("steps");
        assert_eq!(reads(&p, last), [format!("#{sum}"), "c".to_string()]);
    }

    #[test]
    fn max_intermediate_is_respected() {
        // The same (a + b) c, where the N^2 sum may not be stored.
        let options = Options {
            max_intermediate: Some(n_to_the(1)),
            ..Options::default()
        };
        let p = program_with(
            options,
            vec![],
            call("ij,jk->ik", [plus(var("a"), var("b")), var("c")]),
        );
        let (sop, plan) = plan_best(&p);
        assert!(sop.sums.is_empty());
        assert_eq!(sop.terms.len(), 2);
        assert!(plan.largest_intermediate() <= Poly::from(Monomial::N));
        assert!(plan.terms.iter().all(|t| !t.over_memory_limit));
    }

    #[test]
    fn reductions_of_one_array_keeping_different_labels_are_not_shared() {
        // `il->` and `jk->j` of the same `a` number their labels alike; one
        // is a scalar and the other a vector, so they are two steps.
        let p = program(vec![], call("il,jk,m->jm", [var("a"), var("a"), var("b")]));
        let (_, plan) = plan_best(&p);
        let mut kept: Vec<usize> = plan
            .steps
            .iter()
            .filter(|s| reads(&p, s) == ["a"])
            .map(|s| s.destination_labels.len())
            .collect();
        kept.sort_unstable();
        assert_eq!(kept, [0, 1]);
    }

    #[test]
    fn an_identical_sub_contraction_is_computed_once() {
        // With i = 1, both terms start with the cheap a b (i, k); the
        // second reuses the first's.
        let options = Options {
            sizes: vec![(
                'i',
                SizeExpr {
                    coefficient: 1.0,
                    degree: 0,
                },
            )],
            ..Options::default()
        };
        let p = program_with(
            options,
            vec![],
            plus(
                call("ij,jk,kl->il", [var("a"), var("b"), var("c")]),
                call("ij,jk,kl->il", [var("a"), var("b"), var("d")]),
            ),
        );
        let (_, plan) = plan_best(&p);
        let ab: Vec<usize> = (0..plan.steps.len())
            .filter(|&s| reads(&p, &plan.steps[s]) == ["a", "b"])
            .collect();
        assert_eq!(ab.len(), 1, "{:?}", plan.steps);
        let Destination::Intermediate(shared) = plan.steps[ab[0]].destination else {
            panic!("a b is an intermediate");
        };
        assert_eq!(plan.intermediates[shared].uses, 2);
        let readers: Vec<Vec<String>> = plan
            .steps
            .iter()
            .filter(|s| s.inputs.iter().any(|i| i.0 == Source::Intermediate(shared)))
            .map(|s| reads(&p, s))
            .collect();
        let shared = format!("#{shared}");
        assert_eq!(
            readers,
            [["c".to_string(), shared.clone()], ["d".to_string(), shared]]
        );
        // The second term's plan lists only its own step.
        assert_eq!(plan.terms[1].steps.len(), 1);
    }

    /// The kernel of the one step of `subscripts` over fresh operands.
    fn kernel_of(subscripts: &'static str, operands: usize) -> Kernel {
        let args = ["a", "b", "c"].map(var);
        let args: Vec<Expr> = args.into_iter().take(operands).collect();
        let p = program(vec![], Expr::Call(subscripts, args));
        let (_, plan) = plan_best(&p);
        assert_eq!(plan.steps.len(), 1, "{subscripts}: {:?}", plan.steps);
        plan.steps[0].kernel
    }

    #[test]
    fn gemm_shaped_steps_get_the_gemm_kernel() {
        let matrix = Kernel::Gemm {
            batch: 0,
            m: 1,
            n: 1,
            k: 1,
        };
        assert_eq!(kernel_of("ij,jk->ik", 2), matrix);
        let batched = Kernel::Gemm {
            batch: 1,
            m: 1,
            n: 1,
            k: 1,
        };
        assert_eq!(kernel_of("bij,bjk->bik", 2), batched);
    }

    #[test]
    fn other_steps_are_loops() {
        assert_eq!(kernel_of("ii->", 1), Kernel::Loops { n_free: 0 });
        assert_eq!(kernel_of("ij,ij->ij", 2), Kernel::Loops { n_free: 2 });
    }
}
