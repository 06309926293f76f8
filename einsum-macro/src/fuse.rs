//! Fusion: loop-nest steps that read the same array over exactly that
//! array's axes run as one pass over it, so it is streamed from memory once
//! instead of once per step.
//!
//! The seed's four terms read `a` in three steps and `z2` in two more; each
//! is a cheap matrix-vector product whose time is the time to stream the
//! matrix. Steps are grouped greedily by the array they share (a Rust
//! operand, by its variable, or an intermediate), as long as no step of a
//! group needs another's result, directly or through other steps; the steps
//! are then reordered (dependencies first, otherwise keeping the planned
//! order) so that each group's steps are consecutive.

use crate::ir::SumOfProducts;
use crate::plan::{Destination, Kernel, Pass, Plan, Source, Step};
use std::collections::BTreeSet;
use std::ops::Range;

/// The array a step can share with others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    /// A Rust operand, by the variable it reads.
    Variable(usize),
    /// An intermediate.
    Intermediate(usize),
}

/// Groups fusable steps of `plan` into passes and reorders the steps so that
/// each pass is a consecutive range; in every step of a fused pass the shared
/// array is the first input.
pub fn fuse(plan: &mut Plan, sop: &SumOfProducts) {
    let count = plan.steps.len();
    let anchors: Vec<Option<(Anchor, usize)>> =
        plan.steps.iter().map(|s| anchor_of(s, sop)).collect();
    let depends = dependencies(&plan.steps);
    let mut group_of: Vec<usize> = (0..count).collect();
    for s in 0..count {
        let Some((anchor, _)) = anchors[s] else {
            continue;
        };
        let candidates: BTreeSet<usize> = (0..s)
            .filter(|&t| group_of[t] == t)
            .filter(|&g| anchors[g].is_some_and(|(a, _)| a == anchor))
            .collect();
        for g in candidates {
            let mut merged = group_of.clone();
            merged[s] = g;
            let members = (0..=s).filter(|&t| merged[t] == g);
            let independent = members
                .clone()
                .all(|t| t == s || !conflict(&plan.steps[t], &plan.steps[s]));
            if independent && acyclic(&merged, &depends) {
                group_of = merged;
                break;
            }
        }
    }
    let order = schedule(&group_of, &depends);
    let mut new_index = vec![0; count];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    let mut steps: Vec<Step> = order.iter().map(|&old| plan.steps[old].clone()).collect();
    let mut ranges: Vec<Range<usize>> = Vec::new();
    for (new, &old) in order.iter().enumerate() {
        match ranges.last_mut() {
            Some(range) if group_of[order[range.start]] == group_of[old] => range.end = new + 1,
            _ => ranges.push(new..new + 1),
        }
    }
    let passes: Vec<Pass> = ranges
        .into_iter()
        .map(|range| {
            let fused = range.len() > 1 || sweeps_alone(&steps[range.start], sop);
            if fused {
                for step in &mut steps[range.clone()] {
                    let (_, input) = anchor_of(step, sop).expect("fused steps have an anchor");
                    step.inputs.swap(0, input);
                }
            }
            Pass {
                steps: range,
                fused,
            }
        })
        .collect();
    plan.steps = steps;
    plan.passes = passes;
    for term in plan
        .terms
        .iter_mut()
        .chain(plan.sums.iter_mut().flat_map(|s| s.terms.iter_mut()))
    {
        term.steps.iter_mut().for_each(|s| *s = new_index[*s]);
        term.steps.sort_unstable();
    }
    plan.recount_uses();
}

/// Whether a step reads one array against its own transpose into a vector
/// (`ij,ji->i`): run alone it still goes through the fused kernel, whose
/// sweep uses each product `a[i,j] a[j,i]` for both output elements.
fn sweeps_alone(step: &Step, sop: &SumOfProducts) -> bool {
    let Some((anchor, k)) = anchor_of(step, sop) else {
        return false;
    };
    let (first, other) = (&step.inputs[k], &step.inputs[1 - k]);
    let same_array = match (anchor, &other.0) {
        (Anchor::Variable(v), Source::Leaf(w)) => v == sop.identity_of(*w),
        (Anchor::Intermediate(a), Source::Intermediate(b)) => a == *b,
        _ => false,
    };
    let transposed = first.1.len() == 2
        && other.1.len() == 2
        && first.1[0] == other.1[1]
        && first.1[1] == other.1[0];
    same_array && transposed && step.destination_labels.len() == 1
}

/// The array a loop-nest step of two inputs walks entirely: an input with
/// distinct labels that are all the step's loops. With the input's index.
fn anchor_of(step: &Step, sop: &SumOfProducts) -> Option<(Anchor, usize)> {
    if !matches!(step.kernel, Kernel::Loops { .. }) || step.inputs.len() != 2 {
        return None;
    }
    step.inputs
        .iter()
        .enumerate()
        .find_map(|(k, (source, labels))| {
            let distinct = labels
                .iter()
                .enumerate()
                .all(|(a, l)| !labels[..a].contains(l));
            let covers =
                step.loops.len() == labels.len() && step.loops.iter().all(|l| labels.contains(l));
            if !distinct || !covers {
                return None;
            }
            let anchor = match source {
                Source::Leaf(value) => Anchor::Variable(sop.identity_of(*value)),
                Source::Intermediate(id) => Anchor::Intermediate(*id),
            };
            Some((anchor, k))
        })
}

/// Whether two steps touch the same destination (one writes what the other
/// reads or writes), so that they cannot run interleaved.
fn conflict(x: &Step, y: &Step) -> bool {
    let reads = |s: &Step, d: Destination| {
        s.inputs
            .iter()
            .any(|(source, _)| matches!((source, d), (Source::Intermediate(a), Destination::Intermediate(b)) if *a == b))
    };
    x.destination == y.destination || reads(x, y.destination) || reads(y, x.destination)
}

/// For each step, the earlier steps it must follow: those writing what it
/// reads, and those touching its destination (writes to one destination
/// keep their order: the first overwrites).
fn dependencies(steps: &[Step]) -> Vec<Vec<usize>> {
    (0..steps.len())
        .map(|s| (0..s).filter(|&t| conflict(&steps[t], &steps[s])).collect())
        .collect()
}

/// Whether the steps, merged into groups, still have an order.
fn acyclic(group_of: &[usize], depends: &[Vec<usize>]) -> bool {
    schedule_checked(group_of, depends).is_some()
}

/// The steps in an order where every group is consecutive and follows the
/// groups it depends on; ties go to the group whose first step was planned first.
fn schedule(group_of: &[usize], depends: &[Vec<usize>]) -> Vec<usize> {
    schedule_checked(group_of, depends).expect("fusion keeps the steps acyclic")
}

fn schedule_checked(group_of: &[usize], depends: &[Vec<usize>]) -> Option<Vec<usize>> {
    let count = group_of.len();
    // Group ids are the index of their first step.
    let mut waiting_on: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); count];
    for s in 0..count {
        for &t in &depends[s] {
            if group_of[t] != group_of[s] {
                waiting_on[group_of[s]].insert(group_of[t]);
            }
        }
    }
    let groups: BTreeSet<usize> = group_of.iter().copied().collect();
    let mut ready: BTreeSet<usize> = groups
        .iter()
        .copied()
        .filter(|&g| waiting_on[g].is_empty())
        .collect();
    let mut order = Vec::with_capacity(count);
    let mut done = 0;
    while let Some(g) = ready.pop_first() {
        done += 1;
        order.extend((0..count).filter(|&s| group_of[s] == g));
        for &h in &groups {
            if waiting_on[h].remove(&g) && waiting_on[h].is_empty() {
                ready.insert(h);
            }
        }
    }
    (done == groups.len()).then_some(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_keeps_dependencies_and_groups_together() {
        // 0 -> 2, 1 -> 3; group {0, 3} puts 1 before it and 2 after.
        let depends = vec![vec![], vec![], vec![0], vec![1]];
        let group_of = vec![0, 1, 2, 0];
        assert_eq!(schedule(&group_of, &depends), vec![1, 0, 3, 2]);
    }

    #[test]
    fn a_group_that_would_need_its_own_result_is_refused() {
        // 0 -> 1 -> 2: grouping 0 with 2 would put 1 both before and after.
        let depends = vec![vec![], vec![0], vec![1]];
        assert!(!acyclic(&[0, 1, 0], &depends));
        assert!(acyclic(&[0, 1, 2], &depends));
    }
}
