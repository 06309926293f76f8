//! Contraction order search: which pairs of tensors to contract, in which order.
//!
//! A path is a binary tree over the operands, written as a sequence of pairwise
//! [`Step`]s in static single assignment numbering: operands are `0..n`, the `k`-th
//! step's result is `n + k`, and every operand and intermediate is consumed exactly
//! once. A step keeps a label iff the output or a tensor not consumed by it has the
//! label; every other label of its two tensors is summed away there. Step costs
//! follow opt_einsum ([`flop_count`](crate::cost::flop_count) with two terms).
//!
//! [`search`] is the entry point: exact ([`optimal`]) for up to
//! [`EXACT_SEARCH_MAX_OPERANDS`] operands, [`greedy`] beyond.
//!
//! Memory limit: an *intermediate* is the result of a step other than the last (the
//! last one is the output, which exists whatever the path). With a limit, no
//! intermediate may be larger. When no path meets it, the functions return
//! [`MemoryLimitExceeded`] holding the path they would use instead: for [`optimal`]
//! the cheapest among the paths whose largest intermediate is as small as possible.

use std::cmp::Ordering;

use crate::cost::{cmp_terms, sum_into, Monomial, Poly, SizeModel};
use crate::ir::Label;

/// The largest operand count [`search`] solves exactly; beyond it, [`greedy`].
///
/// The exact search looks at all `(3^n - 2^(n+1) + 1) / 2` binary splits of all
/// subsets. Measured with a release build on the 2-core development machine (the
/// slowest of three random networks of `n + 4` labels, 1 to 4 per operand, and the
/// `ab,bc,cd,...` chain; no hints; fastest of 5 runs each), by the ignored test
/// `exact_search_timing`:
/// n = 10: 0.75 ms, 11: 2.5 ms, 12: 7.0 ms, 13: 19 ms, 14: 55 ms, 15: 171 ms.
/// 13 is the largest count under 50 ms.
pub const EXACT_SEARCH_MAX_OPERANDS: usize = 13;

/// The largest operand count [`optimal`] accepts: its time and memory grow as `3^n`
/// and `2^n`.
pub const OPTIMAL_MAX_OPERANDS: usize = 20;

/// Beyond this many operands [`search`] contracts in operand order instead of
/// greedily, so that no input can make the planner run unboundedly: [`greedy`]
/// rescans all pairs each step, `O(n^3)`. Measured like
/// [`EXACT_SEARCH_MAX_OPERANDS`] on random networks of `1.5 n` labels:
/// n = 100: 3.6 ms, 200: 35 ms, 400: 0.6 s, 800: 9.7 s.
pub const GREEDY_MAX_OPERANDS: usize = 256;

/// One pairwise contraction of a [`Path`].
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The smaller SSA id of the two tensors contracted.
    pub lhs: usize,
    /// The larger SSA id of the two tensors contracted.
    pub rhs: usize,
    /// The labels of the result: ascending, except that the last step lists the
    /// output labels in the output's order.
    pub result: Vec<Label>,
    /// The step's operation count (opt_einsum's `flop_count` with two terms).
    pub cost: Poly,
}

/// A contraction order for a whole tensor network.
#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    /// `n - 1` steps for `n` operands (none for zero or one operand).
    pub steps: Vec<Step>,
    /// The sum of the steps' costs.
    pub cost: Poly,
    /// The size of the largest intermediate (result of a step other than the last);
    /// zero when there is none.
    pub largest_intermediate: Poly,
}

/// No contraction order keeps every intermediate within the memory limit.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryLimitExceeded {
    /// The limit that was asked for.
    pub limit: Poly,
    /// The path to use instead; its `largest_intermediate` exceeds `limit`.
    pub path: Path,
}

/// The best path: [`optimal`] for up to [`EXACT_SEARCH_MAX_OPERANDS`] operands,
/// [`greedy`] up to [`GREEDY_MAX_OPERANDS`], operand order beyond.
pub fn search(
    inputs: &[Vec<Label>],
    output: &[Label],
    sizes: &SizeModel,
    memory_limit: Option<Poly>,
) -> Result<Path, MemoryLimitExceeded> {
    search_bounded(
        inputs,
        output,
        sizes,
        memory_limit,
        EXACT_SEARCH_MAX_OPERANDS,
    )
}

/// [`search`], exact only up to `exact_max_operands` operands (at most
/// [`OPTIMAL_MAX_OPERANDS`]): the candidate generator plans many size
/// scenarios and searches large networks greedily.
pub fn search_bounded(
    inputs: &[Vec<Label>],
    output: &[Label],
    sizes: &SizeModel,
    memory_limit: Option<Poly>,
    exact_max_operands: usize,
) -> Result<Path, MemoryLimitExceeded> {
    if inputs.len() <= exact_max_operands.min(OPTIMAL_MAX_OPERANDS) {
        optimal(inputs, output, sizes, memory_limit)
    } else if inputs.len() <= GREEDY_MAX_OPERANDS {
        greedy(inputs, output, sizes, memory_limit)
    } else {
        let network = Network::new(inputs, output, sizes);
        let pairs = (1..inputs.len()).map(|k| {
            if k == 1 {
                (0, 1)
            } else {
                (inputs.len() + k - 2, k)
            }
        });
        network.finish(pairs.collect(), memory_limit)
    }
}

/// The cheapest path: dynamic programming over all subsets of operands and all their
/// binary splits (outer products and disconnected networks included), exact under
/// the [`Poly`] order.
///
/// Ties are broken deterministically: among equally cheap splits of a set of
/// operands, the first one visited wins, visiting the half that holds the set's
/// lowest operand from the largest bit mask down (for `ij,jk,kl->il`: operands
/// `{0,2}|{1}`, then `{0,1}|{2}`, then `{0}|{1,2}`).
///
/// # Panics
/// With more than [`OPTIMAL_MAX_OPERANDS`] operands; use [`search`].
pub fn optimal(
    inputs: &[Vec<Label>],
    output: &[Label],
    sizes: &SizeModel,
    memory_limit: Option<Poly>,
) -> Result<Path, MemoryLimitExceeded> {
    assert!(
        inputs.len() <= OPTIMAL_MAX_OPERANDS,
        "exact path search over {} operands",
        inputs.len()
    );
    let network = Network::new(inputs, output, sizes);
    if inputs.len() < 2 {
        return network.finish(Vec::new(), None);
    }
    let subsets = Subsets::new(&network);
    let limit = memory_limit.as_ref();
    if let Some(splits) = subsets.cheapest_splits(limit) {
        return network.finish(subsets.pairs(&splits), None);
    }
    // Nothing fits: use the smallest achievable largest intermediate as the limit.
    let smallest_peak = Poly::from(subsets.smallest_peak());
    let splits = subsets
        .cheapest_splits(Some(&smallest_peak))
        .expect("the smallest peak is achievable");
    let path = network
        .finish(subsets.pairs(&splits), None)
        .expect("no limit to exceed");
    let limit = memory_limit.expect("only a limit can rule out every path");
    Err(MemoryLimitExceeded { limit, path })
}

/// A fast path in the manner of opt_einsum's greedy, `O(n^3)`: each step contracts,
/// among the pairs of tensors that share a label to sum away (one neither in the
/// output nor in every operand), the pair whose result shrinks memory the most
/// (result size minus both input sizes; then the step's cost; then the smaller SSA
/// ids). When no pair shares such a label: the pair with the smallest result (outer
/// products, batch and Hadamard products). A pair whose result exceeds the memory
/// limit is taken only when no pair fits; the path is then returned as an error.
pub fn greedy(
    inputs: &[Vec<Label>],
    output: &[Label],
    sizes: &SizeModel,
    memory_limit: Option<Poly>,
) -> Result<Path, MemoryLimitExceeded> {
    let network = Network::new(inputs, output, sizes);
    let limit = memory_limit.as_ref();
    let words = network.words;
    // (SSA id, labels) of the tensors not consumed yet, in increasing id order.
    let mut remaining: Vec<(usize, Vec<u64>)> = (0..inputs.len())
        .map(|operand| (operand, network.operand(operand).to_vec()))
        .collect();
    let mut holders = vec![0u32; network.labels.len()];
    for (_, set) in &remaining {
        for label in bits(set) {
            holders[label] += 1;
        }
    }
    // Like opt_einsum, a label of every operand counts as an output label when
    // telling contractions from outer products: it can only go at the last step.
    let mut everywhere = vec![!0u64; words];
    for (_, set) in &remaining {
        for (everywhere, &word) in everywhere.iter_mut().zip(set) {
            *everywhere &= word;
        }
    }
    let kept_to_the_end: Vec<u64> = network
        .output
        .iter()
        .zip(&everywhere)
        .map(|(&out, &all)| out | all)
        .collect();
    let mut sizes_left: Vec<Monomial> =
        remaining.iter().map(|(_, set)| network.size(set)).collect();
    let mut pairs = Vec::new();
    let (mut held_twice, mut held_thrice) = (vec![0; words], vec![0; words]);
    let (mut either, mut both, mut kept) = (vec![0; words], vec![0; words], vec![0; words]);
    // Rankings are built in `scratch` and swapped into `best` without allocating.
    let (mut scratch, mut best) = (Vec::new(), GreedyChoice::default());
    while remaining.len() > 1 {
        for (label, &count) in holders.iter().enumerate() {
            set_bit(&mut held_twice, label, count >= 2);
            set_bit(&mut held_thrice, label, count >= 3);
        }
        let last_step = remaining.len() == 2;
        best.found = false;
        for q in 1..remaining.len() {
            for p in 0..q {
                let (lhs, rhs) = (&remaining[p].1, &remaining[q].1);
                for w in 0..words {
                    either[w] = lhs[w] | rhs[w];
                    both[w] = lhs[w] & rhs[w];
                    // A label stays iff it is in the output or another tensor has it.
                    kept[w] = (either[w] & network.output[w])
                        | (both[w] & held_thrice[w])
                        | ((either[w] ^ both[w]) & held_twice[w]);
                }
                let shares = both
                    .iter()
                    .zip(&kept_to_the_end)
                    .any(|(&both, &kept)| both & !kept != 0);
                let result_size = network.size(&kept);
                let fits = last_step
                    || limit.is_none_or(|limit| {
                        cmp_terms(result_size.as_terms(), limit.terms()).is_le()
                    });
                let class = match (fits, shares) {
                    (true, true) => PairClass::Contraction,
                    (true, false) => PairClass::OuterProduct,
                    (false, _) => PairClass::OverLimit,
                };
                if best.found && class > best.class {
                    continue;
                }
                if class == PairClass::Contraction {
                    let minus = Monomial::constant(-1.0);
                    sum_into(
                        &mut scratch,
                        result_size.as_terms(),
                        (sizes_left[p] * minus).as_terms(),
                        sizes_left[q] * minus,
                    );
                } else {
                    scratch.clear();
                    scratch.extend_from_slice(result_size.as_terms());
                }
                let result_count = kept.iter().map(|word| word.count_ones()).sum();
                let step_cost = network.pair_cost(sizes_left[p], lhs, rhs, result_count);
                let ids = (remaining[p].0, remaining[q].0);
                let better = !best.found
                    || class
                        .cmp(&best.class)
                        .then_with(|| cmp_terms(&scratch, &best.ranking))
                        .then_with(|| step_cost.cmp(&best.step_cost))
                        .then_with(|| ids.cmp(&best.ids))
                        .is_lt();
                if better {
                    std::mem::swap(&mut scratch, &mut best.ranking);
                    best = GreedyChoice {
                        found: true,
                        class,
                        step_cost,
                        ids,
                        positions: (p, q),
                        ..best
                    };
                }
            }
        }
        let (p, q) = best.positions;
        let (rhs_id, rhs) = remaining.remove(q);
        let (lhs_id, lhs) = remaining.remove(p);
        sizes_left.remove(q);
        sizes_left.remove(p);
        for label in bits(&lhs).chain(bits(&rhs)) {
            holders[label] -= 1;
        }
        let result =
            network.result_of_pair(&lhs, &rhs, remaining.iter().map(|(_, set)| set.as_slice()));
        for label in bits(&result) {
            holders[label] += 1;
        }
        sizes_left.push(network.size(&result));
        debug_assert_eq!(best.ids, (lhs_id, rhs_id));
        pairs.push((lhs_id, rhs_id));
        remaining.push((inputs.len() + pairs.len() - 1, result));
    }
    network.finish(pairs, memory_limit)
}

/// The cost of contracting all operands at once in one loop nest over all their
/// labels (opt_einsum's `flop_count` with `n` terms), for the naive-vs-planned ratio.
///
/// The loop sums (`inner`) iff some label is not in the output. This differs from
/// opt_einsum's and numpy's `naive_cost`, whose `inner` means "some label is in two
/// operands", so that for one or two operands the naive cost equals the planned one.
pub fn naive_cost(inputs: &[Vec<Label>], output: &[Label], sizes: &SizeModel) -> Poly {
    if inputs.is_empty() {
        return Poly::zero();
    }
    let mut all: Vec<Label> = inputs.iter().flatten().copied().collect();
    all.sort_unstable();
    all.dedup();
    let inner = all.iter().any(|label| !output.contains(label));
    crate::cost::flop_count(&all, inner, inputs.len(), sizes)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum PairClass {
    Contraction,
    OuterProduct,
    OverLimit,
}

/// The best pair [`greedy`] has seen in one round. Pairs rank by class, then
/// ranking (memory removed, or result size), then step cost, then SSA ids.
#[derive(Debug)]
struct GreedyChoice {
    found: bool,
    class: PairClass,
    ranking: Vec<Monomial>,
    step_cost: Monomial,
    ids: (usize, usize),
    /// Where the pair is in the list of remaining tensors.
    positions: (usize, usize),
}

impl Default for GreedyChoice {
    fn default() -> GreedyChoice {
        GreedyChoice {
            found: false,
            class: PairClass::OverLimit,
            ranking: Vec::new(),
            step_cost: Monomial::ONE,
            ids: (0, 0),
            positions: (0, 0),
        }
    }
}

/// A tensor network with its labels renumbered densely (in ascending [`Label`]
/// order), label sets stored as bit sets of `words` 64-bit words.
struct Network {
    labels: Vec<Label>,
    label_sizes: Vec<Monomial>,
    words: usize,
    /// `operand_count * words` words: the label set of each operand.
    operands: Vec<u64>,
    output: Vec<u64>,
    /// The output labels that occur in some operand, without repeats, in output order.
    output_order: Vec<Label>,
    operand_count: usize,
}

impl Network {
    fn new(inputs: &[Vec<Label>], output: &[Label], sizes: &SizeModel) -> Network {
        let mut labels: Vec<Label> = inputs.iter().flatten().copied().collect();
        labels.sort_unstable();
        labels.dedup();
        let words = labels.len().div_ceil(64).max(1);
        let mut network = Network {
            label_sizes: labels.iter().map(|&label| sizes.size(label)).collect(),
            words,
            operands: vec![0; inputs.len() * words],
            output: vec![0; words],
            output_order: Vec::new(),
            operand_count: inputs.len(),
            labels,
        };
        for (operand, operand_labels) in inputs.iter().enumerate() {
            for &label in operand_labels {
                let index = network.index(label).expect("operand labels are known");
                set_bit(
                    &mut network.operands[operand * words..][..words],
                    index,
                    true,
                );
            }
        }
        for &label in output {
            if let Some(index) = network.index(label) {
                if !has_bit(&network.output, index) {
                    set_bit(&mut network.output, index, true);
                    network.output_order.push(label);
                }
            }
        }
        network
    }

    fn index(&self, label: Label) -> Option<usize> {
        self.labels.binary_search(&label).ok()
    }

    fn operand(&self, operand: usize) -> &[u64] {
        &self.operands[operand * self.words..][..self.words]
    }

    fn size(&self, set: &[u64]) -> Monomial {
        bits(set).fold(Monomial::ONE, |size, label| size * self.label_sizes[label])
    }

    fn mask_to_labels(&self, set: &[u64]) -> Vec<Label> {
        bits(set).map(|label| self.labels[label]).collect()
    }

    /// The cost of contracting tensors `lhs` (of size `lhs_size`) and `rhs` into a
    /// result of `result_count` labels (a subset of their union): one multiplication
    /// per combination of their labels, plus one addition if a label is summed away.
    fn pair_cost(
        &self,
        lhs_size: Monomial,
        lhs: &[u64],
        rhs: &[u64],
        result_count: u32,
    ) -> Monomial {
        let mut union_size = lhs_size;
        let mut union_count = 0;
        for (word_index, (&left, &right)) in lhs.iter().zip(rhs).enumerate() {
            union_count += (left | right).count_ones();
            let mut right_only = right & !left;
            while right_only != 0 {
                union_size = union_size
                    * self.label_sizes[word_index * 64 + right_only.trailing_zeros() as usize];
                right_only &= right_only - 1;
            }
        }
        let inner = union_count > result_count;
        union_size * Monomial::constant(if inner { 2.0 } else { 1.0 })
    }

    /// The labels kept when contracting `lhs` with `rhs` while `others` remain.
    fn result_of_pair<'a>(
        &self,
        lhs: &[u64],
        rhs: &[u64],
        others: impl Iterator<Item = &'a [u64]>,
    ) -> Vec<u64> {
        let mut keep = self.output.clone();
        for other in others {
            for (keep, &word) in keep.iter_mut().zip(other) {
                *keep |= word;
            }
        }
        lhs.iter()
            .zip(rhs)
            .zip(&keep)
            .map(|((&left, &right), &keep)| (left | right) & keep)
            .collect()
    }

    /// Replays SSA `pairs` into a [`Path`], checking the memory limit.
    fn finish(
        &self,
        pairs: Vec<(usize, usize)>,
        memory_limit: Option<Poly>,
    ) -> Result<Path, MemoryLimitExceeded> {
        let mut tensors: Vec<Option<Vec<u64>>> = (0..self.operand_count)
            .map(|k| Some(self.operand(k).to_vec()))
            .collect();
        let mut path = Path {
            steps: Vec::new(),
            cost: Poly::zero(),
            largest_intermediate: Poly::zero(),
        };
        let step_count = pairs.len();
        for (number, (first, second)) in pairs.into_iter().enumerate() {
            let (lhs, rhs) = (first.min(second), first.max(second));
            let rhs_set = tensors[rhs].take().expect("SSA ids are consumed once");
            let lhs_set = tensors[lhs].take().expect("SSA ids are consumed once");
            let others = tensors.iter().flatten().map(Vec::as_slice);
            let result = self.result_of_pair(&lhs_set, &rhs_set, others);
            let result_count = result.iter().map(|word| word.count_ones()).sum();
            let cost =
                Poly::from(self.pair_cost(self.size(&lhs_set), &lhs_set, &rhs_set, result_count));
            path.cost += &cost;
            let labels = if number + 1 == step_count {
                self.output_order.clone()
            } else {
                let size = Poly::from(self.size(&result));
                path.largest_intermediate = path.largest_intermediate.max(size);
                self.mask_to_labels(&result)
            };
            path.steps.push(Step {
                lhs,
                rhs,
                result: labels,
                cost,
            });
            tensors.push(Some(result));
        }
        match memory_limit {
            Some(limit) if path.largest_intermediate > limit => {
                Err(MemoryLimitExceeded { limit, path })
            }
            _ => Ok(path),
        }
    }
}

/// Per-subset data of the exact search, subsets of operands as bit masks.
struct Subsets<'a> {
    network: &'a Network,
    full: usize,
    /// `words` words per subset: the labels its contraction result keeps.
    results: Vec<u64>,
    result_counts: Vec<u32>,
    result_sizes: Vec<Monomial>,
    /// Whether every label size is positive, so that costs only grow along a path.
    positive_sizes: bool,
}

impl<'a> Subsets<'a> {
    fn new(network: &'a Network) -> Subsets<'a> {
        let words = network.words;
        let count = 1usize << network.operand_count;
        let full = count - 1;
        let mut unions = vec![0u64; count * words];
        for subset in 1..count {
            let operand = subset.trailing_zeros() as usize;
            let rest = subset & (subset - 1);
            for w in 0..words {
                unions[subset * words + w] = unions[rest * words + w] | network.operand(operand)[w];
            }
        }
        // A single operand keeps all its labels: nothing is summed before a step.
        let mut results = unions.clone();
        for subset in (1..count).filter(|subset| subset.count_ones() > 1) {
            let complement = full ^ subset;
            for w in 0..words {
                results[subset * words + w] &= network.output[w] | unions[complement * words + w];
            }
        }
        let result_of = |subset: usize| &results[subset * words..][..words];
        let result_counts = (0..count)
            .map(|s| result_of(s).iter().map(|word| word.count_ones()).sum())
            .collect();
        let result_sizes = (0..count).map(|s| network.size(result_of(s))).collect();
        let positive_sizes = network.label_sizes.iter().all(|size| size.coef > 0.0);
        Subsets {
            network,
            full,
            results,
            result_counts,
            result_sizes,
            positive_sizes,
        }
    }

    fn result(&self, subset: usize) -> &[u64] {
        &self.results[subset * self.network.words..][..self.network.words]
    }

    /// Whether `subset`'s result is an intermediate within `limit`.
    fn fits(&self, subset: usize, limit: Option<&Poly>) -> bool {
        subset == self.full
            || subset.count_ones() < 2
            || limit.is_none_or(|limit| {
                cmp_terms(self.result_sizes[subset].as_terms(), limit.terms()).is_le()
            })
    }

    /// For every subset, the operand subset of the first half of its cheapest split
    /// (0 for single operands); `None` if no path keeps intermediates within `limit`.
    fn cheapest_splits(&self, limit: Option<&Poly>) -> Option<Vec<usize>> {
        let count = self.full + 1;
        let mut feasible = vec![false; count];
        let mut costs: Vec<Vec<Monomial>> = vec![Vec::new(); count];
        // The highest-degree term of each cost, kept inline for the quick rejection.
        let mut leading = vec![Monomial::constant(0.0); count];
        let mut splits = vec![0; count];
        let (mut candidate, mut best) = (Vec::new(), Vec::new());
        for subset in 1..count {
            if subset.count_ones() == 1 {
                feasible[subset] = true;
                continue;
            }
            if !self.fits(subset, limit) {
                continue;
            }
            let lowest = subset & subset.wrapping_neg();
            let rest = subset ^ lowest;
            let mut found = false;
            let mut others = rest;
            // Each split once: the first half holds the lowest operand of `subset`.
            loop {
                others = others.wrapping_sub(1) & rest;
                let first = lowest | others;
                let second = rest ^ others;
                if feasible[first] && feasible[second] {
                    let step = self.network.pair_cost(
                        self.result_sizes[first],
                        self.result(first),
                        self.result(second),
                        self.result_counts[subset],
                    );
                    // With positive sizes no term cancels, so the sum's leading term
                    // alone can show that it is larger than the best.
                    let hopeless = found
                        && self.positive_sizes
                        && cmp_terms(
                            leading_of_sum([leading[first], leading[second], step]).as_terms(),
                            &best[..best.len().min(1)],
                        )
                        .is_gt();
                    if !hopeless {
                        sum_into(&mut candidate, &costs[first], &costs[second], step);
                        if !found || cmp_terms(&candidate, &best) == Ordering::Less {
                            std::mem::swap(&mut candidate, &mut best);
                            splits[subset] = first;
                            found = true;
                        }
                    }
                }
                if others == 0 {
                    break;
                }
            }
            if found {
                leading[subset] = best.first().copied().unwrap_or(Monomial::constant(0.0));
                costs[subset] = best.clone();
                feasible[subset] = true;
            }
        }
        feasible[self.full].then_some(splits)
    }

    /// The smallest possible size of the largest intermediate over all paths.
    fn smallest_peak(&self) -> Monomial {
        let count = self.full + 1;
        // `None`: no intermediate at all (a single operand).
        let mut peaks: Vec<Option<Monomial>> = vec![None; count];
        for subset in 1..count {
            if subset.count_ones() < 2 {
                continue;
            }
            let lowest = subset & subset.wrapping_neg();
            let rest = subset ^ lowest;
            let mut smallest: Option<Option<Monomial>> = None;
            let mut others = rest;
            loop {
                others = others.wrapping_sub(1) & rest;
                let peak = peaks[lowest | others].max(peaks[rest ^ others]);
                if smallest.is_none_or(|smallest| peak < smallest) {
                    smallest = Some(peak);
                }
                if others == 0 {
                    break;
                }
            }
            let own = (subset != self.full).then_some(self.result_sizes[subset]);
            peaks[subset] = smallest
                .expect("a subset of two operands has a split")
                .max(own);
        }
        peaks[self.full].unwrap_or(Monomial::ONE)
    }

    /// The SSA pairs of the tree that `splits` describes, children before parents,
    /// the half holding the lowest operand first.
    fn pairs(&self, splits: &[usize]) -> Vec<(usize, usize)> {
        fn visit(
            subset: usize,
            splits: &[usize],
            operand_count: usize,
            pairs: &mut Vec<(usize, usize)>,
        ) -> usize {
            if subset.count_ones() == 1 {
                return subset.trailing_zeros() as usize;
            }
            let first = visit(splits[subset], splits, operand_count, pairs);
            let second = visit(subset ^ splits[subset], splits, operand_count, pairs);
            pairs.push((first, second));
            operand_count + pairs.len() - 1
        }
        let mut pairs = Vec::new();
        visit(self.full, splits, self.network.operand_count, &mut pairs);
        pairs
    }
}

/// The highest-degree term of the sum of polynomials whose highest-degree terms are
/// `terms`, provided that no coefficient is negative.
fn leading_of_sum(terms: [Monomial; 3]) -> Monomial {
    let degree = terms
        .iter()
        .filter(|term| term.coef != 0.0)
        .map(|term| term.degree)
        .max()
        .unwrap_or(0);
    let coef = terms
        .iter()
        .filter(|term| term.degree == degree)
        .map(|term| term.coef)
        .sum();
    Monomial { coef, degree }
}

/// The indices of the set bits of a bit set, ascending.
fn bits(set: &[u64]) -> impl Iterator<Item = usize> + '_ {
    set.iter().enumerate().flat_map(|(word_index, &word)| {
        let mut word = word;
        std::iter::from_fn(move || {
            (word != 0).then(|| {
                let bit = word.trailing_zeros() as usize;
                word &= word - 1;
                word_index * 64 + bit
            })
        })
    })
}

fn has_bit(set: &[u64], index: usize) -> bool {
    set[index / 64] >> (index % 64) & 1 == 1
}

fn set_bit(set: &mut [u64], index: usize, value: bool) {
    let mask = 1u64 << (index % 64);
    if value {
        set[index / 64] |= mask;
    } else {
        set[index / 64] &= !mask;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::time::{Duration, Instant};

    use super::*;
    use crate::cost::{flop_count, size_of};

    /// numpy subscripts (spaces ignored, implicit output allowed) to label lists,
    /// each character `c` becoming `Label(c as u16)`.
    fn parse(expression: &str) -> (Vec<Vec<Label>>, Vec<Label>) {
        let compact: String = expression.chars().filter(|c| !c.is_whitespace()).collect();
        let to_labels = |term: &str| term.chars().map(|c| Label(c as u16)).collect::<Vec<_>>();
        let (lhs, explicit_output) = match compact.split_once("->") {
            Some((lhs, output)) => (lhs, Some(to_labels(output))),
            None => (compact.as_str(), None),
        };
        let inputs: Vec<Vec<Label>> = lhs.split(',').map(to_labels).collect();
        let output = explicit_output.unwrap_or_else(|| {
            let all: Vec<Label> = inputs.iter().flatten().copied().collect();
            let once: BTreeSet<Label> = all
                .iter()
                .copied()
                .filter(|label| all.iter().filter(|other| *other == label).count() == 1)
                .collect();
            once.into_iter().collect()
        });
        (inputs, output)
    }

    /// The sizes of the reference data (scripts/opt_einsum_paths.py).
    fn reference_sizes(inputs: &[Vec<Label>]) -> SizeModel {
        let hints = inputs.iter().flatten().map(|&label| {
            let size = match char::from_u32(label.0.into()).expect("a character") {
                'a' => 2,
                'b' => 3,
                'c' => 4,
                'd' => 5,
                'e' => 4,
                'f' => 3,
                'g' => 2,
                'h' => 6,
                'i' => 5,
                'j' => 4,
                _ => 3,
            };
            (label, Monomial::constant(f64::from(size)))
        });
        SizeModel::new(hints)
    }

    fn constant(value: f64) -> Poly {
        Poly::from(Monomial::constant(value))
    }

    fn labels(chars: &str) -> Vec<Label> {
        parse(chars).0.remove(0)
    }

    fn set(labels: &[Label]) -> BTreeSet<Label> {
        labels.iter().copied().collect()
    }

    /// Checks every promise of [`Path`] independently of the implementation, and
    /// recomputes the step costs with [`flop_count`].
    fn check_path(inputs: &[Vec<Label>], output: &[Label], sizes: &SizeModel, path: &Path) {
        let n = inputs.len();
        assert_eq!(
            path.steps.len(),
            n.saturating_sub(1),
            "one step fewer than operands"
        );
        let mut tensors: Vec<Option<BTreeSet<Label>>> =
            inputs.iter().map(|labels| Some(set(labels))).collect();
        let mut total = Poly::zero();
        let mut largest = Poly::zero();
        for (number, step) in path.steps.iter().enumerate() {
            assert!(
                step.lhs < step.rhs && step.rhs < n + number,
                "SSA ids of step {number}: {step:?}"
            );
            let lhs = tensors[step.lhs].take().expect("each id consumed once");
            let rhs = tensors[step.rhs].take().expect("each id consumed once");
            let involved: BTreeSet<Label> = lhs.union(&rhs).copied().collect();
            let elsewhere: BTreeSet<Label> = tensors.iter().flatten().flatten().copied().collect();
            let expected: BTreeSet<Label> = involved
                .iter()
                .copied()
                .filter(|label| output.contains(label) || elsewhere.contains(label))
                .collect();
            assert_eq!(set(&step.result), expected, "result of step {number}");
            assert_eq!(
                step.result.len(),
                expected.len(),
                "no repeated result labels"
            );
            let involved: Vec<Label> = involved.into_iter().collect();
            let inner = involved.len() > expected.len();
            assert_eq!(
                step.cost,
                flop_count(&involved, inner, 2, sizes),
                "cost of step {number}"
            );
            total += &step.cost;
            if number + 1 < path.steps.len() {
                largest = largest.max(Poly::from(size_of(&step.result, sizes)));
            } else {
                assert_eq!(
                    set(&step.result),
                    set(output),
                    "the last step makes the output"
                );
            }
            tensors.push(Some(expected));
        }
        assert_eq!(
            tensors.iter().flatten().count(),
            n.min(1),
            "everything consumed but the result"
        );
        assert_eq!(path.cost, total);
        assert_eq!(path.largest_intermediate, largest);
    }

    /// Cost and largest intermediate of the cheapest of all pairwise contraction
    /// orders, found by enumerating them all, optionally limited in memory; `None`
    /// when no order respects the limit.
    fn brute_force(
        inputs: &[Vec<Label>],
        output: &[Label],
        sizes: &SizeModel,
        limit: Option<&Poly>,
    ) -> Option<Poly> {
        fn visit(
            tensors: Vec<BTreeSet<Label>>,
            output: &BTreeSet<Label>,
            sizes: &SizeModel,
            limit: Option<&Poly>,
            cost: Poly,
            best: &mut Option<Poly>,
        ) {
            if tensors.len() <= 1 {
                if best.as_ref().is_none_or(|best| cost < *best) {
                    *best = Some(cost);
                }
                return;
            }
            for j in 1..tensors.len() {
                for i in 0..j {
                    let mut rest = tensors.clone();
                    let rhs = rest.remove(j);
                    let lhs = rest.remove(i);
                    let involved: BTreeSet<Label> = lhs.union(&rhs).copied().collect();
                    let result: BTreeSet<Label> = involved
                        .iter()
                        .copied()
                        .filter(|label| {
                            output.contains(label)
                                || rest.iter().any(|tensor| tensor.contains(label))
                        })
                        .collect();
                    let result_labels: Vec<Label> = result.iter().copied().collect();
                    let size = Poly::from(size_of(&result_labels, sizes));
                    if !rest.is_empty() && limit.is_some_and(|limit| size > *limit) {
                        continue;
                    }
                    let involved: Vec<Label> = involved.into_iter().collect();
                    let step = flop_count(&involved, involved.len() > result.len(), 2, sizes);
                    rest.push(result);
                    visit(rest, output, sizes, limit, &cost + &step, best);
                }
            }
        }
        let mut best = None;
        let tensors = inputs.iter().map(|labels| set(labels)).collect();
        visit(tensors, &set(output), sizes, limit, Poly::zero(), &mut best);
        best
    }

    /// A tiny deterministic pseudo-random generator (Knuth's MMIX LCG).
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, bound: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) % bound as u64) as usize
        }
    }

    /// `operands` tensors of 1 to 4 labels (repeats possible) drawn from
    /// `label_count` labels; the output holds the labels that occur exactly once.
    fn random_network(
        rng: &mut Lcg,
        operands: usize,
        label_count: usize,
    ) -> (Vec<Vec<Label>>, Vec<Label>) {
        let inputs: Vec<Vec<Label>> = (0..operands)
            .map(|_| {
                (0..1 + rng.below(4))
                    .map(|_| Label(rng.below(label_count) as u16))
                    .collect()
            })
            .collect();
        let all: Vec<Label> = inputs.iter().flatten().copied().collect();
        let once: BTreeSet<Label> = all
            .iter()
            .copied()
            .filter(|label| all.iter().filter(|other| *other == label).count() == 1)
            .collect();
        (inputs, once.into_iter().collect())
    }

    /// Random hints: some labels concrete (2 to 9), some relative (`2N`), the rest `N`.
    fn random_sizes(rng: &mut Lcg, label_count: usize) -> SizeModel {
        SizeModel::new((0..label_count).filter_map(|label| {
            let size = match rng.below(4) {
                0 => Monomial::constant((2 + rng.below(8)) as f64),
                1 => Monomial::times_n(2.0),
                _ => return None,
            };
            Some((Label(label as u16), size))
        }))
    }

    fn chain(operands: usize) -> (Vec<Vec<Label>>, Vec<Label>) {
        let inputs = (0..operands)
            .map(|k| vec![Label(k as u16), Label(k as u16 + 1)])
            .collect();
        (inputs, vec![Label(0), Label(operands as u16)])
    }

    /// opt_einsum's reference FLOP counts (scripts/opt_einsum_paths.py): our exact
    /// search must equal the cheapest pairwise order by opt_einsum's own count.
    ///
    /// Special cases, checked separately:
    /// - One operand: opt_einsum reports its single-operand einsum (a reduction or
    ///   transposition) as one step, where our path has no step at all; that count
    ///   equals our `naive_cost`, the cost of the single loop nest.
    /// - opt_einsum's 'optimal' scores a step as an inner product only when a label
    ///   shared by both tensors is summed away, but reports (`opt_cost`) any summed
    ///   label as one, so on a few expressions its path is not the cheapest by the
    ///   count it reports: there we are strictly cheaper than 'optimal', and equal to
    ///   the `best` column, the exhaustive minimum of that count.
    #[test]
    fn matches_opt_einsum_reference() {
        let data = include_str!("../tests/data/opt_einsum_paths.txt");
        let (mut checked, mut cheaper_than_optimal) = (0, Vec::new());
        for line in data
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        {
            let fields: Vec<&str> = line.split('\t').collect();
            let [expression, optimal_flops, best_flops, greedy_flops] = fields[..] else {
                panic!("malformed reference line {line:?}");
            };
            let number = |field: &str| constant(field.parse::<f64>().expect("a FLOP count"));
            let (their_optimal, their_best, their_greedy) = (
                number(optimal_flops),
                number(best_flops),
                number(greedy_flops),
            );
            let (inputs, output) = parse(expression);
            let sizes = reference_sizes(&inputs);
            let ours = optimal(&inputs, &output, &sizes, None).expect("no memory limit");
            check_path(&inputs, &output, &sizes, &ours);
            let our_greedy = greedy(&inputs, &output, &sizes, None).expect("no memory limit");
            check_path(&inputs, &output, &sizes, &our_greedy);
            println!(
                "{expression:<40} optimal {:>6} (opt_einsum {their_optimal:>6}, best {their_best:>6})  \
                 greedy {:>6} (opt_einsum {their_greedy:>6})",
                ours.cost.to_string(),
                our_greedy.cost.to_string(),
            );
            assert!(
                our_greedy.cost >= ours.cost,
                "{expression}: greedy beats the exact search"
            );
            if inputs.len() == 1 {
                assert!(ours.steps.is_empty() && ours.cost.is_zero(), "{expression}");
                assert_eq!(
                    naive_cost(&inputs, &output, &sizes),
                    their_optimal,
                    "{expression}"
                );
                continue;
            }
            checked += 1;
            assert_eq!(ours.cost, their_best, "{expression}: exhaustive minimum");
            if their_optimal != their_best {
                assert!(ours.cost < their_optimal, "{expression}");
                cheaper_than_optimal.push(expression);
            } else {
                assert_eq!(
                    ours.cost, their_optimal,
                    "{expression}: opt_einsum 'optimal'"
                );
            }
            if inputs.len() == 2 {
                assert_eq!(
                    naive_cost(&inputs, &output, &sizes),
                    ours.cost,
                    "{expression}: one loop nest"
                );
            }
        }
        println!("{checked} expressions compared; cheaper than opt_einsum 'optimal': {cheaper_than_optimal:?}");
        assert!(checked >= 70, "the reference data has lost expressions");
        assert_eq!(
            cheaper_than_optimal.len(),
            6,
            "opt_einsum's known mis-scored cases"
        );
    }

    #[test]
    fn parse_handles_implicit_output_spaces_and_empty_operands() {
        let (inputs, output) = parse(",ab,->ab");
        assert_eq!(inputs, vec![vec![], labels("ab"), vec![]]);
        assert_eq!(output, labels("ab"));
        assert_eq!(parse("iJ,Jk -> ik").0, vec![labels("iJ"), labels("Jk")]);
        assert_eq!(parse("Ab,bA").1, vec![]);
        assert_eq!(parse("ba,cb").1, labels("ac"));
        assert_eq!(parse("Ba,c").1, labels("Bac"));
    }

    #[test]
    fn zero_and_one_operand_take_no_step() {
        let sizes = SizeModel::default();
        for expression in ["ii", "ij->ji", "->"] {
            let (inputs, output) = parse(expression);
            let path =
                search(&inputs, &output, &sizes, Some(Poly::zero())).expect("nothing to limit");
            assert!(
                path.steps.is_empty() && path.cost.is_zero() && path.largest_intermediate.is_zero()
            );
        }
        let empty = optimal(&[], &[], &sizes, None).expect("nothing to limit");
        assert!(empty.steps.is_empty());
        assert!(naive_cost(&[], &[], &sizes).is_zero());
        assert_eq!(naive_cost(&[labels("ii")], &[], &sizes).to_string(), "2N");
        assert_eq!(
            naive_cost(&[labels("ij")], &labels("ji"), &sizes).to_string(),
            "N^2"
        );
    }

    /// With no hints the vector goes first: O(N^2), where one loop nest is O(N^3).
    #[test]
    fn symbolic_matrix_vector_chain() {
        let (inputs, output) = parse("ij,jk,k->i");
        let sizes = SizeModel::default();
        let path = search(&inputs, &output, &sizes, None).expect("no memory limit");
        check_path(&inputs, &output, &sizes, &path);
        assert_eq!((path.steps[0].lhs, path.steps[0].rhs), (1, 2));
        assert_eq!(path.steps[0].result, labels("j"));
        assert_eq!((path.steps[1].lhs, path.steps[1].rhs), (0, 3));
        assert_eq!(path.steps[1].result, labels("i"));
        assert_eq!(path.cost.to_string(), "4N^2");
        assert_eq!(path.largest_intermediate.to_string(), "N");
        assert_eq!(naive_cost(&inputs, &output, &sizes).to_string(), "3N^3");
        assert_eq!(
            greedy(&inputs, &output, &sizes, None).expect("no memory limit"),
            path
        );
    }

    /// The matrix chain `ij,jk,kl->il` starts at its thin end.
    #[test]
    fn hints_change_the_order() {
        let (inputs, output) = parse("ij,jk,kl->il");
        let first_pair = |hints: &[(char, Monomial)]| {
            let sizes = SizeModel::new(hints.iter().map(|&(c, size)| (Label(c as u16), size)));
            let path = optimal(&inputs, &output, &sizes, None).expect("no memory limit");
            check_path(&inputs, &output, &sizes, &path);
            let by_greedy = greedy(&inputs, &output, &sizes, None).expect("no memory limit");
            assert_eq!(by_greedy.cost, path.cost, "greedy finds the thin end too");
            (path.steps[0].lhs, path.steps[0].rhs, path.cost.to_string())
        };
        assert_eq!(
            first_pair(&[('i', Monomial::constant(10.0))]),
            (0, 1, "40N^2".into())
        );
        assert_eq!(
            first_pair(&[('l', Monomial::constant(10.0))]),
            (1, 2, "40N^2".into())
        );
        assert_eq!(
            first_pair(&[('l', Monomial::times_n(0.5))]),
            (1, 2, "2N^3".into())
        );
        assert_eq!(
            first_pair(&[('i', Monomial::new(1.0, 2))]),
            (1, 2, "2N^4 + 2N^3".into())
        );
        // A huge concrete size is still a constant: N^3 terms decide first.
        assert_eq!(
            first_pair(&[('i', Monomial::constant(1e9))]),
            (0, 1, "4000000000N^2".into())
        );
    }

    /// Equal costs: the same path every time, the first split in subset order.
    #[test]
    fn ties_are_deterministic() {
        let (inputs, output) = parse("ij,jk,kl->il");
        let sizes = SizeModel::default();
        let path = optimal(&inputs, &output, &sizes, None).expect("no memory limit");
        assert_eq!(path.cost.to_string(), "4N^3");
        assert_eq!((path.steps[0].lhs, path.steps[0].rhs), (0, 1));
        for _ in 0..5 {
            assert_eq!(
                optimal(&inputs, &output, &sizes, None).expect("no memory limit"),
                path
            );
            assert_eq!(
                search(&inputs, &output, &sizes, None).expect("no memory limit"),
                path
            );
        }
        let by_greedy = greedy(&inputs, &output, &sizes, None).expect("no memory limit");
        assert_eq!(
            by_greedy,
            greedy(&inputs, &output, &sizes, None).expect("no memory limit")
        );
        assert_eq!(by_greedy.cost, path.cost);
    }

    /// The exact search against the enumeration of every pairwise order, on random
    /// networks with random hints, with and without memory limits.
    #[test]
    fn optimal_matches_brute_force() {
        let mut rng = Lcg(7);
        let mut limited_differently = 0;
        for round in 0..300 {
            let operands = 2 + round % 5;
            let label_count = 3 + rng.below(5);
            let (inputs, output) = random_network(&mut rng, operands, label_count);
            let sizes = random_sizes(&mut rng, label_count);
            let unlimited = optimal(&inputs, &output, &sizes, None).expect("no memory limit");
            check_path(&inputs, &output, &sizes, &unlimited);
            assert_eq!(
                Some(unlimited.cost.clone()),
                brute_force(&inputs, &output, &sizes, None),
                "{inputs:?}"
            );

            let limit = Poly::from(Monomial::new(
                (1 + rng.below(20)) as f64,
                rng.below(3) as u32,
            ));
            let limited = optimal(&inputs, &output, &sizes, Some(limit.clone()));
            match (limited, brute_force(&inputs, &output, &sizes, Some(&limit))) {
                (Ok(path), Some(best)) => {
                    check_path(&inputs, &output, &sizes, &path);
                    assert!(path.largest_intermediate <= limit);
                    assert_eq!(path.cost, best, "{inputs:?} within {limit}");
                    limited_differently += usize::from(path.cost != unlimited.cost);
                }
                (Err(exceeded), None) => {
                    check_path(&inputs, &output, &sizes, &exceeded.path);
                    assert_eq!(exceeded.limit, limit);
                    let peak = exceeded.path.largest_intermediate.clone();
                    assert!(peak > limit);
                    // The fallback has the smallest achievable peak, cheapest among those.
                    let shrunk = &peak - &Poly::from(Monomial::constant(0.5));
                    assert_eq!(
                        brute_force(&inputs, &output, &sizes, Some(&shrunk)),
                        None,
                        "{inputs:?}"
                    );
                    assert_eq!(
                        Some(exceeded.path.cost.clone()),
                        brute_force(&inputs, &output, &sizes, Some(&peak))
                    );
                }
                (ours, theirs) => {
                    panic!("{inputs:?} within {limit}: {ours:?} but brute force {theirs:?}")
                }
            }
        }
        assert!(
            limited_differently > 5,
            "the memory limits were too loose to test anything"
        );
    }

    /// A memory limit makes the search trade flops for memory. In `ijl,k,ijk->` the
    /// cheapest order sums `k` first into an `N^2` intermediate; within a limit of
    /// `N`, both 3-tensors must be contracted together, at `N^4`.
    #[test]
    fn memory_limit_forces_another_path() {
        let (inputs, output) = parse("ijl,k,ijk->");
        let sizes = SizeModel::default();
        let free = optimal(&inputs, &output, &sizes, None).expect("no memory limit");
        assert_eq!((free.steps[0].lhs, free.steps[0].rhs), (1, 2));
        assert_eq!(
            (free.cost.to_string(), free.largest_intermediate.to_string()),
            ("4N^3".into(), "N^2".into())
        );
        let roomy = Some(Poly::from(Monomial::new(1.0, 2)));
        assert_eq!(
            optimal(&inputs, &output, &sizes, roomy.clone()),
            Ok(free.clone())
        );
        assert_eq!(search(&inputs, &output, &sizes, roomy), Ok(free));

        let tight = Some(Poly::from(Monomial::N));
        for path in [
            optimal(&inputs, &output, &sizes, tight.clone()).expect("a path fits"),
            greedy(&inputs, &output, &sizes, tight.clone()).expect("a path fits"),
        ] {
            check_path(&inputs, &output, &sizes, &path);
            assert_eq!((path.steps[0].lhs, path.steps[0].rhs), (0, 2));
            assert_eq!(path.steps[0].result, labels("k"));
            assert_eq!(path.cost.to_string(), "2N^4 + 2N");
            assert_eq!(path.largest_intermediate.to_string(), "N");
        }

        // Too tight for any path: the path with the smallest peak comes back as an error.
        let (inputs, output) = parse("i,j,kl->ijkl");
        let exceeded = optimal(&inputs, &output, &sizes, tight.clone()).expect_err("nothing fits");
        assert_eq!(exceeded.limit.to_string(), "N");
        assert_eq!(exceeded.path.largest_intermediate.to_string(), "N^2");
        assert_eq!(exceeded.path.cost.to_string(), "N^4 + N^2");
        let exceeded = greedy(&inputs, &output, &sizes, tight).expect_err("nothing fits");
        check_path(&inputs, &output, &sizes, &exceeded.path);
        assert_eq!(exceeded.path.largest_intermediate.to_string(), "N^2");
    }

    #[test]
    fn greedy_paths_are_valid_and_never_beat_optimal() {
        let mut rng = Lcg(11);
        for round in 0..200 {
            let operands = 2 + round % 8;
            let label_count = 3 + rng.below(8);
            let (inputs, output) = random_network(&mut rng, operands, label_count);
            let sizes = random_sizes(&mut rng, label_count);
            let best = optimal(&inputs, &output, &sizes, None).expect("no memory limit");
            let fast = greedy(&inputs, &output, &sizes, None).expect("no memory limit");
            check_path(&inputs, &output, &sizes, &fast);
            assert!(fast.cost >= best.cost, "{inputs:?}");
            let limit = Poly::from(Monomial::new(
                (1 + rng.below(20)) as f64,
                rng.below(3) as u32,
            ));
            match greedy(&inputs, &output, &sizes, Some(limit.clone())) {
                Ok(path) => {
                    check_path(&inputs, &output, &sizes, &path);
                    assert!(path.largest_intermediate <= limit);
                }
                Err(exceeded) => {
                    check_path(&inputs, &output, &sizes, &exceeded.path);
                    assert!(exceeded.path.largest_intermediate > limit);
                }
            }
        }
    }

    /// Generous bounds (debug builds included): the exact search's threshold and
    /// greedy's cost must keep big networks fast.
    #[test]
    fn large_networks_plan_quickly() {
        let mut rng = Lcg(2024);
        let random = random_network(&mut rng, 20, 30);
        for (name, (inputs, output)) in [
            ("30-operand chain", chain(30)),
            ("20-operand random network", random),
        ] {
            let sizes = SizeModel::default();
            let start = Instant::now();
            let path = search(&inputs, &output, &sizes, None).expect("no memory limit");
            let elapsed = start.elapsed();
            check_path(&inputs, &output, &sizes, &path);
            println!("{name}: {elapsed:?}, cost {}", path.cost);
            assert!(elapsed < Duration::from_secs(1), "{name} took {elapsed:?}");
        }
        let (inputs, output) = chain(30);
        let path = search(&inputs, &output, &SizeModel::default(), None).expect("no memory limit");
        assert_eq!(path.cost.to_string(), "58N^3", "29 matrix products of 2N^3");
        assert_eq!(path.largest_intermediate.to_string(), "N^2");
    }

    #[test]
    fn search_is_exact_up_to_the_threshold_then_bounded() {
        let mut rng = Lcg(5);
        let (inputs, output) = random_network(&mut rng, EXACT_SEARCH_MAX_OPERANDS, 16);
        let sizes = SizeModel::default();
        assert_eq!(
            search(&inputs, &output, &sizes, None),
            optimal(&inputs, &output, &sizes, None)
        );
        let (inputs, output) = random_network(&mut rng, EXACT_SEARCH_MAX_OPERANDS + 1, 16);
        assert_eq!(
            search(&inputs, &output, &sizes, None),
            greedy(&inputs, &output, &sizes, None)
        );
        // Past greedy's bound: operand order, still a valid path.
        let (inputs, output) = chain(GREEDY_MAX_OPERANDS + 1);
        let start = Instant::now();
        let path = search(&inputs, &output, &sizes, None).expect("no memory limit");
        assert!(start.elapsed() < Duration::from_secs(5));
        check_path(&inputs, &output, &sizes, &path);
        assert_eq!(
            (path.steps[1].lhs, path.steps[1].rhs),
            (2, GREEDY_MAX_OPERANDS + 1)
        );
    }

    /// Not a test: measures the exact search, for [`EXACT_SEARCH_MAX_OPERANDS`].
    /// `cargo test --release -p einsum-compiler exact_search_timing -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn exact_search_timing() {
        let mut rng = Lcg(99);
        for operands in 10..=15 {
            let mut networks: Vec<_> = (0..3)
                .map(|_| random_network(&mut rng, operands, operands + 4))
                .collect();
            networks.push(chain(operands));
            // The fastest of 5 runs of each network (others may load the machine),
            // then the slowest network.
            let mut slowest = Duration::ZERO;
            for (inputs, output) in &networks {
                let mut fastest = Duration::MAX;
                for _ in 0..5 {
                    let start = Instant::now();
                    optimal(inputs, output, &SizeModel::default(), None).expect("no memory limit");
                    fastest = fastest.min(start.elapsed());
                }
                slowest = slowest.max(fastest);
            }
            println!("optimal, {operands} operands: slowest {slowest:?}");
        }
        for operands in [50, 100, 200, 400, 800] {
            let (inputs, output) = random_network(&mut rng, operands, operands * 3 / 2);
            let start = Instant::now();
            greedy(&inputs, &output, &SizeModel::default(), None).expect("no memory limit");
            println!("greedy, {operands} operands: {:?}", start.elapsed());
        }
    }
}
