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

use crate::cost::{
    flop_count, flop_count_in_labels, size_of, LabelPoly, Monomial, Poly, SizeModel,
};
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

impl Step {
    /// The operation count as a polynomial in the label sizes (opt_einsum's
    /// convention): [`Step::cost`] in the plan's size model.
    pub fn label_cost(&self) -> LabelPoly {
        let inner = self
            .loops
            .iter()
            .any(|l| !self.destination_labels.contains(l));
        flop_count_in_labels(&self.loops, inner, self.inputs.len())
    }
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
    /// How they run.
    pub kind: PassKind,
}

/// How the steps of a pass run (see [`crate::fuse`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassKind {
    /// One step on its own.
    Single,
    /// One walk over the array every step reads first (the steps share an
    /// input).
    Fused,
    /// One walk over the destination every step writes, each step adding
    /// one array read in some axis order (the steps share an output).
    Sum,
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

    /// The cost of every step as a polynomial in the label sizes: its value
    /// at the sizes of [`Plan::sizes`] is [`Plan::cost`], its value at the
    /// actual sizes the exact operation count (opt_einsum's convention).
    pub fn label_cost(&self) -> LabelPoly {
        let mut total = LabelPoly::default();
        for step in &self.steps {
            total.add_scaled(&step.label_cost(), 1.0);
        }
        total
    }

    /// Recomputes the steps' costs in the size model `sizes`, which becomes
    /// the plan's (the terms' costs stay as planned).
    pub fn recost_steps(&mut self, sizes: SizeModel) {
        for step in &mut self.steps {
            step.cost = step.label_cost().in_model(&sizes);
        }
        self.sizes = sizes;
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
/// call and each binding used more than once whether to distribute it or to
/// materialize it, whichever costs less with every intermediate under
/// `max_intermediate` (when no choice fits, the one with the smallest
/// largest intermediate).
///
/// Up to [`MAX_EXHAUSTIVE_CHOICES`] candidates every combination is planned;
/// beyond, starting from everything distributed, each candidate in turn is
/// materialized if that makes the plan better (one pass, so expansion stays
/// linear in the number of candidates, which is capped at
/// [`MAX_CHOICES`]: the rest are distributed).
pub fn plan_best(program: &Program) -> (SumOfProducts, Plan) {
    let mut candidates = distribute::materializable(program);
    candidates.truncate(MAX_CHOICES);
    let limit = program
        .options
        .max_intermediate
        .map(|s| Poly::from(monomial(s)));
    let evaluate = |chosen: &[bool]| {
        let materialize: Vec<_> = candidates
            .iter()
            .zip(chosen)
            .filter(|(_, &on)| on)
            .map(|(&place, _)| place)
            .collect();
        let sop = distribute::distribute(program, &materialize);
        let plan = plan(&sop, &program.options, program.target);
        Candidate::new(sop, plan, limit.as_ref())
    };
    let mut chosen = vec![false; candidates.len()];
    let mut best = evaluate(&chosen);
    if candidates.len() <= MAX_EXHAUSTIVE_CHOICES {
        for mask in 1usize..1 << candidates.len() {
            let choice: Vec<bool> = (0..candidates.len()).map(|k| mask >> k & 1 == 1).collect();
            let candidate = evaluate(&choice);
            if candidate.is_better_than(&best) {
                best = candidate;
            }
        }
    } else {
        for k in 0..candidates.len() {
            chosen[k] = true;
            let candidate = evaluate(&chosen);
            if candidate.is_better_than(&best) {
                best = candidate;
            } else {
                chosen[k] = false;
            }
        }
    }
    (best.sop, best.plan)
}

/// Up to this many materialization candidates, every combination is planned.
pub const MAX_EXHAUSTIVE_CHOICES: usize = 6;

/// At most this many candidates are considered for materialization.
pub const MAX_CHOICES: usize = 64;

/// One way of planning the input, with what decides between ways.
struct Candidate {
    sop: SumOfProducts,
    plan: Plan,
    cost: Poly,
    peak: Poly,
    fits: bool,
}

impl Candidate {
    fn new(sop: SumOfProducts, plan: Plan, limit: Option<&Poly>) -> Self {
        let (cost, peak) = (plan.cost(), plan.largest_intermediate());
        let fits = limit.is_none_or(|l| peak <= *l);
        Candidate {
            sop,
            plan,
            cost,
            peak,
            fits,
        }
    }

    /// Fitting the memory bound first, then fewer operations; among plans
    /// that do not fit, the smaller largest intermediate first.
    fn is_better_than(&self, other: &Candidate) -> bool {
        match (self.fits, other.fits) {
            (true, false) => true,
            (false, true) => false,
            (true, true) => self.cost < other.cost,
            (false, false) => {
                self.peak < other.peak || (self.peak == other.peak && self.cost < other.cost)
            }
        }
    }
}

/// Plans `sop` for a result written as `target` says (a fresh result is overwritten).
pub fn plan(sop: &SumOfProducts, options: &Options, target: Option<TargetKind>) -> Plan {
    let sizes = size_model(sop, options);
    let memory_limit = options.max_intermediate.map(|s| Poly::from(monomial(s)));
    plan_in(
        sop,
        sizes,
        memory_limit,
        target,
        path::EXACT_SEARCH_MAX_OPERANDS,
    )
}

/// [`plan`] with the label sizes of `sizes` (concrete numbers when the
/// candidate generator plans for one size scenario) and `memory_limit` in the
/// same terms; each term's path is exact up to `exact_max_operands`
/// operands, greedy beyond.
pub fn plan_in(
    sop: &SumOfProducts,
    sizes: SizeModel,
    memory_limit: Option<Poly>,
    target: Option<TargetKind>,
    exact_max_operands: usize,
) -> Plan {
    let mut planner = Planner {
        sop,
        exact_max_operands,
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
                kind: PassKind::Single,
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

pub(crate) fn monomial(s: SizeExpr) -> Monomial {
    Monomial::new(s.coefficient, s.degree)
}

/// Hints name label characters; every label written with that character gets the hint.
///
/// An ellipsis counts as one axis of size `N`: its innermost slot (the one
/// covered whenever the ellipsis covers anything) has size `N`, the others 1.
pub(crate) fn size_model(sop: &SumOfProducts, options: &Options) -> SizeModel {
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

/// Content identity up to renaming and axis order: the factors, sorted,
/// with their labels numbered by first appearance, and the numbers of the
/// labels the operand keeps.
///
/// The kept labels matter: `"il->"(a)` and `"jk->j"(a)` number their
/// factor's labels alike, but one keeps no label and the other one.
/// Equal keys mean equal contents up to the renaming that maps one
/// numbering onto the other; two contents that are equal may still get
/// different keys when factors of one operand tie in the sort (a missed
/// sharing, never a wrong one).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ContentKey {
    kept: Vec<usize>,
    factors: Vec<(usize, Vec<usize>)>,
}

/// An intermediate computed for a content: its id and, for each of its
/// axes, the number its label has in the content's key.
#[derive(Debug, Clone)]
struct Stored {
    id: usize,
    axes: Vec<usize>,
}

struct Planner<'a> {
    sop: &'a SumOfProducts,
    /// Paths are exact up to this many operands, greedy beyond.
    exact_max_operands: usize,
    sizes: SizeModel,
    memory_limit: Option<Poly>,
    steps: Vec<Step>,
    intermediates: Vec<Intermediate>,
    memo: HashMap<ContentKey, Stored>,
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

    /// Plans `terms` summed into `destination` (the first write overwriting,
    /// unless `write` accumulates); a destination no term writes is zeroed.
    ///
    /// Terms whose value is an array read in some axis order (an operand,
    /// a materialized sum, or a contraction shared with another term) are
    /// added last, by consecutive steps that fusion turns into one pass.
    fn terms(
        &mut self,
        terms: &[Term],
        output: &[Label],
        destination: Destination,
        mut write: Write,
        negate: bool,
    ) -> Vec<TermPlan> {
        let shared = self.shared_roots(terms, output);
        let mut plans = Vec::new();
        let mut reads = Vec::new();
        for (term, &share_root) in terms.iter().zip(&shared) {
            let mut alpha = term.coefficient.clone();
            if negate {
                alpha.0.iter_mut().for_each(|m| m.count = -m.count);
            }
            let (plan, contribution) =
                self.term(term, output, destination, &alpha, write, share_root);
            match contribution {
                Contribution::Written => write = Write::Accumulate,
                Contribution::Read(input) => reads.push((plans.len(), input, alpha)),
            }
            plans.push(plan);
        }
        for (t, input, alpha) in reads {
            let target = Target {
                destination,
                labels: output,
                alpha,
                write,
            };
            plans[t].steps.push(self.steps.len());
            self.push_single(input, target, &mut plans[t].cost);
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
        alpha: &Coefficient,
        write: Write,
        share_root: bool,
    ) -> (TermPlan, Contribution) {
        let output = &output.to_vec();
        let first_step = self.steps.len();
        let inputs: Vec<Vec<Label>> = term.factors.iter().map(|f| f.labels.clone()).collect();
        let naive_cost = path::naive_cost(&inputs, output, &self.sizes);
        let mut cost = Poly::zero();
        if term.factors.len() > 1 || share_root {
            let (key, numbering) = content_key(&term.factors, output, self.sop);
            if let Some(stored) = self.memo.get(&key) {
                // The same contraction, maybe in another axis order, was
                // computed for an earlier term: read it.
                let labels = stored.axes.iter().map(|&n| numbering[n]).collect();
                let plan = TermPlan {
                    steps: Vec::new(),
                    cost,
                    naive_cost,
                    over_memory_limit: false,
                };
                return (
                    plan,
                    Contribution::Read((Source::Intermediate(stored.id), labels)),
                );
            }
        }
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
            let found = match path::search_bounded(
                &labels,
                output,
                &self.sizes,
                self.memory_limit.clone(),
                self.exact_max_operands,
            ) {
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
        let contribution =
            if matches!(root.node, Node::Leaf(_)) && is_permutation(&root.labels, output) {
                Contribution::Read(self.emit(&root, &mut cost))
            } else if share_root {
                let root = if is_permutation(&root.labels, output) {
                    root
                } else {
                    Operand {
                        content: root.content.clone(),
                        labels: output.clone(),
                        node: Node::Reduce(Box::new(root)),
                    }
                };
                Contribution::Read(self.emit(&root, &mut cost))
            } else {
                self.emit_final(&root, output, destination, alpha.clone(), write, &mut cost);
                Contribution::Written
            };
        let plan = TermPlan {
            steps: (first_step..self.steps.len()).collect(),
            cost,
            naive_cost,
            over_memory_limit,
        };
        (plan, contribution)
    }

    /// Which terms compute a contraction that another term computes too,
    /// maybe in another axis order (`c - "ij->ji"(c)` distributed): those
    /// compute it once into an intermediate, which each of them then reads.
    /// Only contractions that sum over a label are worth it (a product
    /// costs what reading it back does), and only when an intermediate of
    /// the destination's size fits `max_intermediate`.
    fn shared_roots(&self, terms: &[Term], output: &[Label]) -> Vec<bool> {
        let fits = self
            .memory_limit
            .as_ref()
            .is_none_or(|limit| Poly::from(size_of(output, &self.sizes)) <= *limit);
        let keys: Vec<Option<ContentKey>> = terms
            .iter()
            .map(|t| {
                let sums = t
                    .factors
                    .iter()
                    .flat_map(|f| &f.labels)
                    .any(|l| !output.contains(l));
                (fits && sums).then(|| content_key(&t.factors, output, self.sop).0)
            })
            .collect();
        keys.iter()
            .map(|key| {
                key.as_ref()
                    .is_some_and(|k| keys.iter().filter(|o| o.as_ref() == Some(k)).count() > 1)
            })
            .collect()
    }

    /// Emits the steps computing `root` into the result.
    fn emit_final(
        &mut self,
        root: &Operand,
        output: &[Label],
        destination: Destination,
        alpha: Coefficient,
        write: Write,
        cost: &mut Poly,
    ) {
        let target = Target {
            destination,
            labels: output,
            alpha,
            write,
        };
        match &root.node {
            Node::Pair(x, y) => {
                let (x, y) = (self.emit(x, cost), self.emit(y, cost));
                self.push_pair(x, y, target, cost);
            }
            Node::Leaf(_) | Node::Reduce(_) => {
                let source = self.emit(root, cost);
                self.push_single(source, target, cost);
            }
        }
    }

    /// Emits the steps computing `operand` (once per content, whatever the
    /// axis order) and says where it is and the label of each of its axes.
    fn emit(&mut self, operand: &Operand, cost: &mut Poly) -> Input {
        if let Node::Leaf(value) = operand.node {
            let source = match self.sop.sum_index(value) {
                Some(sum) => Source::Intermediate(self.sum_intermediates[sum]),
                None => Source::Leaf(value),
            };
            return (source, operand.labels.clone());
        }
        let (key, numbering) = content_key(&operand.content, &operand.labels, self.sop);
        if let Some(stored) = self.memo.get(&key) {
            // Computed by an earlier term: count its cost there, not here.
            let labels = stored.axes.iter().map(|&n| numbering[n]).collect();
            return (Source::Intermediate(stored.id), labels);
        }
        let id = self.new_intermediate(&operand.labels);
        let target = Target {
            destination: Destination::Intermediate(id),
            labels: &operand.labels,
            alpha: Coefficient::one(),
            write: Write::Overwrite,
        };
        match &operand.node {
            Node::Leaf(_) => unreachable!("handled above"),
            Node::Reduce(inner) => {
                let source = self.emit(inner, cost);
                self.push_single(source, target, cost);
            }
            Node::Pair(x, y) => {
                let (x, y) = (self.emit(x, cost), self.emit(y, cost));
                self.push_pair(x, y, target, cost);
            }
        }
        let axes = operand
            .labels
            .iter()
            .map(|l| {
                numbering
                    .iter()
                    .position(|m| m == l)
                    .expect("kept labels are numbered")
            })
            .collect();
        self.memo.insert(key, Stored { id, axes });
        (Source::Intermediate(id), operand.labels.clone())
    }

    fn push_single(&mut self, (source, labels): Input, target: Target, cost: &mut Poly) {
        let mut loops = target.labels.to_vec();
        for l in &labels {
            if !loops.contains(l) {
                loops.push(*l);
            }
        }
        let inner = loops.len() > target.labels.len();
        let step_cost = flop_count(&loops, inner, 1, &self.sizes);
        *cost += &step_cost;
        self.steps.push(Step {
            inputs: vec![(source, labels)],
            kernel: Kernel::Loops {
                n_free: target.labels.len(),
            },
            loops,
            destination: target.destination,
            destination_labels: target.labels.to_vec(),
            alpha: target.alpha,
            write: target.write,
            cost: step_cost,
        });
    }

    fn push_pair(&mut self, x: Input, y: Input, target: Target, cost: &mut Poly) {
        let (xl, yl, r) = (&x.1, &y.1, target.labels);
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
            inputs: vec![x, y],
            loops,
            kernel,
            destination: target.destination,
            destination_labels: r.to_vec(),
            alpha: target.alpha,
            write: target.write,
            cost: step_cost,
        });
    }
}

/// An array a step reads, with the label of each of its axes.
type Input = (Source, Vec<Label>);

/// Where a step writes and how.
struct Target<'a> {
    destination: Destination,
    /// The destination's labels, in axis order.
    labels: &'a [Label],
    alpha: Coefficient,
    write: Write,
}

/// How a term's value reaches its destination.
enum Contribution {
    /// Its last step wrote it there.
    Written,
    /// It is this array read with these labels (a permutation of the
    /// destination's): it is added to the destination in one pass together
    /// with the other terms read this way.
    Read(Input),
}

/// Whether `labels` are distinct and exactly those of `output`, in any order.
fn is_permutation(labels: &[Label], output: &[Label]) -> bool {
    labels.len() == output.len()
        && labels.iter().all(|l| output.contains(l))
        && labels
            .iter()
            .enumerate()
            .all(|(k, l)| !labels[..k].contains(l))
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

/// The key of `content` keeping `labels` (in any order), and the label
/// each number of the key stands for.
fn content_key(
    content: &[Factor],
    labels: &[Label],
    sop: &SumOfProducts,
) -> (ContentKey, Vec<Label>) {
    let shape = |f: &Factor| -> (usize, Vec<bool>) {
        let kept = f.labels.iter().map(|l| labels.contains(l)).collect();
        (sop.identity_of(f.value), kept)
    };
    let mut sorted: Vec<&Factor> = content.iter().collect();
    sorted.sort_by_key(|f| shape(f));
    let mut numbering: Vec<Label> = Vec::new();
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
    let mut kept: Vec<usize> = (0..numbering.len())
        .filter(|&n| labels.contains(&numbering[n]))
        .collect();
    kept.sort_unstable();
    (ContentKey { kept, factors }, numbering)
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
        let p = program_with(
            i_of_size_one(),
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

    #[test]
    fn a_sub_contraction_in_another_axis_order_is_computed_once() {
        // With i = 1, both terms start with the cheap product of a and b;
        // the second term lists b first, so its pair is (k, i) where the
        // first's is (i, k): it reads the first's intermediate transposed.
        let p = program_with(
            i_of_size_one(),
            vec![],
            plus(
                call("ij,jk,kl->il", [var("a"), var("b"), var("c")]),
                call("jk,ij,kl->il", [var("b"), var("a"), var("d")]),
            ),
        );
        let (_, plan) = plan_best(&p);
        let products: Vec<&Step> = plan
            .steps
            .iter()
            .filter(|s| {
                let mut r = reads(&p, s);
                r.sort();
                r == ["a", "b"]
            })
            .collect();
        assert_eq!(products.len(), 1, "{:?}", plan.steps);
        let Destination::Intermediate(shared) = products[0].destination else {
            panic!("a b is an intermediate");
        };
        // Each reader multiplies the intermediate's column (b's k) with
        // the first axis of c or d: read transposed or not, the labels of
        // the use must say which axis is k.
        let readers: Vec<&Step> = plan
            .steps
            .iter()
            .filter(|s| s.inputs.iter().any(|i| i.0 == Source::Intermediate(shared)))
            .collect();
        assert_eq!(readers.len(), 2, "{:?}", plan.steps);
        for step in readers {
            let (mut product, mut other) = (None, None);
            for (source, labels) in &step.inputs {
                match source {
                    Source::Intermediate(id) if *id == shared => product = Some(labels),
                    _ => other = Some(labels),
                }
            }
            let (product, other) = (product.expect("reads it"), other.expect("reads c or d"));
            let k = plan.intermediates[shared]
                .labels
                .iter()
                .position(|&l| {
                    products[0].inputs.iter().any(|(s, ls)| {
                        matches!(s, Source::Leaf(v) if p.values[*v].text == "b") && ls[1] == l
                    })
                })
                .expect("the intermediate keeps b's column");
            assert_eq!(product[k], other[0], "{step:?}");
        }
    }

    #[test]
    fn a_binding_used_twice_in_a_product_is_materialized() {
        // let c = a b; c c: three GEMMs distributed, two materialized.
        let p = program(
            vec![call("ik,kj->ij", [var("a"), var("b")])],
            call("ij,jk->ik", [Expr::Binding(0), Expr::Binding(0)]),
        );
        let (sop, plan) = plan_best(&p);
        assert_eq!(sop.sums.len(), 1);
        assert_eq!(sop.sums[0].binding, Some(0));
        let gemms = plan
            .steps
            .iter()
            .filter(|s| matches!(s.kernel, Kernel::Gemm { .. }))
            .count();
        assert_eq!(gemms, 2, "{:?}", plan.steps);
    }

    #[test]
    fn a_binding_used_once_is_no_candidate_and_a_cheap_product_is_not_shared() {
        // c is used once: nothing to decide.
        let once = program(
            vec![call("ik,kj->ij", [var("a"), var("b")])],
            call("ij->ji", [Expr::Binding(0)]),
        );
        assert!(distribute::reused_bindings(&once).is_empty());
        // An outer product read twice costs what reading it back would:
        // each term writes its own product.
        let outer = program(
            vec![call("i,j->ij", [var("x"), var("y")])],
            plus(Expr::Binding(0), call("ij->ji", [Expr::Binding(0)])),
        );
        let (sop, plan) = plan_best(&outer);
        assert!(sop.sums.is_empty());
        assert!(plan.intermediates.is_empty(), "{:?}", plan.steps);
    }

    /// The size hint `i = 1`.
    fn i_of_size_one() -> Options {
        let one = SizeExpr {
            coefficient: 1.0,
            degree: 0,
        };
        Options {
            sizes: vec![('i', one)],
            ..Options::default()
        }
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
