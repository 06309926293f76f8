//! Fusion: loop-nest steps that read the same array over exactly that
//! array's axes run as one pass over it, so it is streamed from memory once
//! instead of once per step; and consecutive steps that each add an array
//! (read in some axis order) into one destination run as one pass over the
//! destination (`c - "ij->ji"(c)`: one walk reading `c` in two orders).
//!
//! The seed's four terms read `a` in three steps and `z2` in two more; each
//! is a cheap matrix-vector product whose time is the time to stream the
//! matrix. Steps are grouped greedily by the array they share (a Rust
//! operand, by its variable, or an intermediate), as long as no step of a
//! group needs another's result, directly or through other steps; the steps
//! are then reordered (dependencies first, otherwise keeping the planned
//! order) so that each group's steps are consecutive.

use crate::ir::SumOfProducts;
use crate::plan::{Destination, Kernel, Pass, PassKind, Plan, Source, Step};
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
    let anchors: Vec<Option<Anchor>> = plan
        .steps
        .iter()
        .map(|s| anchor_of(s, sop).map(|(anchor, _)| anchor))
        .collect();
    let continues: Vec<bool> = (0..count)
        .map(|s| s > 0 && adds_after(&plan.steps[s - 1], &plan.steps[s]))
        .collect();
    let depends = dependencies(&plan.steps);
    let groups = group(&anchors, &continues, &depends);
    let group_of = &groups.group_of;
    let order = groups.schedule();
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
            let kind = if range.len() > 1 && continues[order[range.start + 1]] {
                PassKind::Sum
            } else if range.len() > 1 || sweeps_alone(&steps[range.start], sop) {
                PassKind::Fused
            } else {
                PassKind::Single
            };
            if kind == PassKind::Fused {
                for step in &mut steps[range.clone()] {
                    let (_, input) = anchor_of(step, sop).expect("fused steps have an anchor");
                    step.inputs.swap(0, input);
                }
            }
            Pass { steps: range, kind }
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

/// Whether `step` adds one array into its destination, read with the
/// destination's labels in some order (no loop summed, no diagonal).
fn adds_one_array(step: &Step) -> bool {
    let [(_, labels)] = &step.inputs[..] else {
        return false;
    };
    let destination = &step.destination_labels;
    matches!(step.kernel, Kernel::Loops { n_free } if n_free == step.loops.len())
        && labels.len() == destination.len()
        && labels.iter().all(|l| destination.contains(l))
        && labels
            .iter()
            .enumerate()
            .all(|(k, l)| !labels[..k].contains(l))
}

/// Whether `next` adds one array into the destination `previous` writes the
/// same way, so that both run as one pass over the destination.
fn adds_after(previous: &Step, next: &Step) -> bool {
    adds_one_array(previous)
        && adds_one_array(next)
        && previous.destination == next.destination
        && next.write == crate::plan::Write::Accumulate
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

/// Steps merged into groups, and the groups each group must follow.
struct Groups {
    /// For each step, its group: the index of the group's first step.
    group_of: Vec<usize>,
    /// For each group (by its first step), its steps in planned order.
    members: Vec<Vec<usize>>,
    /// For each group, the other groups holding steps it depends on.
    preceding: Vec<BTreeSet<usize>>,
}

/// Puts each step that `continues` a run of steps adding into one
/// destination into the group of the step before it (consecutive steps: no
/// other step can lie between them). Puts each step that has an anchor into
/// the first earlier group with the same anchor that it can join: none of
/// the group's steps conflicts with it, and no other group lies between them
/// (the group reaches one of the step's dependencies), which would need that
/// group both before and after the merged one.
///
/// Steps only depend on earlier steps, and a step joins a group when it is
/// visited, so every later step is still alone: a path between groups can
/// only run from the candidate group to the step, never back. One backward
/// search from the step's dependencies per step makes that check.
fn group(anchors: &[Option<Anchor>], continues: &[bool], depends: &[Vec<usize>]) -> Groups {
    let count = anchors.len();
    let mut groups = Groups {
        group_of: (0..count).collect(),
        members: (0..count).map(|s| vec![s]).collect(),
        preceding: vec![BTreeSet::new(); count],
    };
    // Groups with an anchor, in order of their first step.
    let mut anchored: Vec<(Anchor, usize)> = Vec::new();
    for s in 0..count {
        groups.preceding[s] = depends[s].iter().map(|&t| groups.group_of[t]).collect();
        if continues[s] {
            groups.join(s, groups.group_of[s - 1]);
            continue;
        }
        let Some(anchor) = anchors[s] else {
            continue;
        };
        let candidates = anchored
            .iter()
            .filter(|(a, _)| *a == anchor)
            .map(|&(_, g)| g);
        let mut upstream = None;
        let joined = candidates.into_iter().find(|&g| {
            let upstream = upstream.get_or_insert_with(|| groups.upstream_of(s));
            !upstream.contains(&g)
        });
        match joined {
            Some(g) => groups.join(s, g),
            None => anchored.push((anchor, s)),
        }
    }
    groups
}

impl Groups {
    /// Moves step `s`, alone so far, into group `g`.
    fn join(&mut self, s: usize, g: usize) {
        self.group_of[s] = g;
        self.members[s].clear();
        self.members[g].push(s);
        let mut preceding = std::mem::take(&mut self.preceding[s]);
        preceding.remove(&g);
        self.preceding[g].extend(preceding);
    }

    /// The groups from which step `s` (still alone) is reachable: those of
    /// its dependencies and every group they follow, transitively.
    fn upstream_of(&self, s: usize) -> BTreeSet<usize> {
        let mut seen = self.preceding[s].clone();
        let mut stack: Vec<usize> = seen.iter().copied().collect();
        while let Some(g) = stack.pop() {
            for &h in &self.preceding[g] {
                if seen.insert(h) {
                    stack.push(h);
                }
            }
        }
        seen
    }

    /// The steps in an order where every group is consecutive and follows
    /// the groups it depends on; ties go to the group whose first step was
    /// planned first.
    fn schedule(&self) -> Vec<usize> {
        let count = self.group_of.len();
        let mut following: Vec<Vec<usize>> = vec![Vec::new(); count];
        let mut waiting: Vec<usize> = vec![0; count];
        for (g, preceding) in self.preceding.iter().enumerate() {
            for &h in preceding {
                following[h].push(g);
            }
            waiting[g] = preceding.len();
        }
        let mut ready: BTreeSet<usize> = (0..count)
            .filter(|&g| self.group_of[g] == g && waiting[g] == 0)
            .collect();
        let mut order = Vec::with_capacity(count);
        while let Some(g) = ready.pop_first() {
            order.extend(&self.members[g]);
            for &h in &following[g] {
                waiting[h] -= 1;
                if waiting[h] == 0 {
                    ready.insert(h);
                }
            }
        }
        assert_eq!(order.len(), count, "fusion keeps the steps acyclic");
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::plan_best;
    use crate::program::Program;
    use crate::testing::{call, minus, program, var, Expr};

    /// `program` planned and fused.
    fn fused_plan(program: &Program) -> Plan {
        let (sop, mut plan) = plan_best(program);
        fuse(&mut plan, &sop);
        plan
    }

    /// Steps `0..anchors.len()`, with anchor `Variable(k)` for `Some(k)`.
    fn grouped(anchors: &[Option<usize>], depends: &[Vec<usize>]) -> Groups {
        let anchors: Vec<Option<Anchor>> =
            anchors.iter().map(|a| a.map(Anchor::Variable)).collect();
        group(&anchors, &vec![false; anchors.len()], depends)
    }

    #[test]
    fn schedule_keeps_dependencies_and_groups_together() {
        // 0 -> 2, 1 -> 3; grouping {0, 3} puts 1 before it and 2 after.
        let groups = grouped(
            &[Some(7), None, None, Some(7)],
            &[vec![], vec![], vec![0], vec![1]],
        );
        assert_eq!(groups.group_of, vec![0, 1, 2, 0]);
        assert_eq!(groups.schedule(), vec![1, 0, 3, 2]);
    }

    #[test]
    fn a_group_that_would_need_its_own_result_is_refused() {
        // 0 -> 1 -> 2: grouping 0 with 2 would put 1 both before and after.
        let groups = grouped(&[Some(7), None, Some(7)], &[vec![], vec![0], vec![1]]);
        assert_eq!(groups.group_of, vec![0, 1, 2]);
        assert_eq!(groups.schedule(), vec![0, 1, 2]);
    }

    #[test]
    fn a_step_joins_the_first_group_it_can() {
        // Steps 1 and 3 read step 0, so they cannot join its group, but 3
        // can join 1's; the independent step 4 joins group 0; 5 has another
        // anchor.
        let depends = vec![vec![], vec![0], vec![], vec![0], vec![], vec![]];
        let groups = grouped(
            &[Some(1), Some(1), None, Some(1), Some(1), Some(2)],
            &depends,
        );
        assert_eq!(groups.group_of, vec![0, 1, 2, 1, 0, 5]);
        assert_eq!(groups.schedule(), vec![0, 4, 1, 3, 2, 5]);
    }

    #[test]
    fn a_path_through_a_merged_group_is_seen() {
        // 1 joins 0; 2 reads 1 and 3 reads 2: 3 cannot join group 0.
        let depends = vec![vec![], vec![], vec![1], vec![2]];
        let groups = grouped(&[Some(1), Some(1), None, Some(1)], &depends);
        assert_eq!(groups.group_of, vec![0, 0, 2, 3]);
        assert_eq!(groups.schedule(), vec![0, 1, 2, 3]);
    }

    #[test]
    fn three_hundred_hadamard_steps_group_in_linear_time() {
        // A chain where step s reads step s - 1 and the shared array: no two
        // steps can share a pass, and each step checks one candidate group.
        let count = 300;
        let depends: Vec<Vec<usize>> = (0..count)
            .map(|s| if s == 0 { vec![] } else { vec![s - 1] })
            .collect();
        let anchors = vec![Some(0); count];
        let start = std::time::Instant::now();
        let groups = grouped(&anchors, &depends);
        let order = groups.schedule();
        // A generous bound: the former grouping took minutes here.
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!(order, (0..count).collect::<Vec<_>>());
    }

    #[test]
    fn two_loop_steps_reading_one_array_run_in_one_pass() {
        // (a x) * (a y): both matrix-vector steps walk a.
        let p = program(
            vec![],
            call("ij,j,ik,k->i", [var("a"), var("x"), var("a"), var("y")]),
        );
        let plan = fused_plan(&p);
        assert_eq!(plan.steps.len(), 3, "{:?}", plan.steps);
        let first = &plan.passes[0];
        assert_eq!(first.kind, PassKind::Fused, "{:?}", plan.passes);
        assert_eq!(first.steps, 0..2);
        // In a fused pass the shared array is every step's first input
        // (here through either use of the variable a).
        for step in &plan.steps[first.steps.clone()] {
            assert!(matches!(step.inputs[0].0, Source::Leaf(v) if p.values[v].text == "a"));
            assert!(matches!(step.kernel, Kernel::Loops { .. }));
        }
        assert_eq!(
            plan.passes[1],
            Pass {
                steps: 2..3,
                kind: PassKind::Single
            }
        );
    }

    #[test]
    fn a_contraction_added_in_two_orders_is_one_gemm_and_one_sum_pass() {
        // let c = "ik,kj->ij"(a, b); c - "ij->ji"(c), distributed: both terms
        // are the product a b; it is computed once and read in both orders.
        let p = program(
            vec![call("ik,kj->ij", [var("a"), var("b")])],
            minus(Expr::Binding(0), call("ij->ji", [Expr::Binding(0)])),
        );
        let plan = fused_plan(&p);
        let gemms = plan
            .steps
            .iter()
            .filter(|s| matches!(s.kernel, Kernel::Gemm { .. }));
        assert_eq!(gemms.count(), 1, "{:?}", plan.steps);
        let last = plan.passes.last().expect("passes");
        assert_eq!(last.kind, PassKind::Sum, "{:?}", plan.passes);
        let reads: Vec<&Step> = plan.steps[last.steps.clone()].iter().collect();
        assert_eq!(reads.len(), 2);
        // Both read the one intermediate, in transposed orders, into the result.
        let (x, y) = (&reads[0].inputs[0], &reads[1].inputs[0]);
        assert!(matches!(x.0, Source::Intermediate(_)) && x.0 == y.0);
        assert_eq!(x.1, [y.1[1], y.1[0]]);
        assert!(reads.iter().all(|s| s.destination == Destination::Result));
    }

    #[test]
    fn a_step_needing_another_steps_result_is_not_in_its_pass() {
        // a (a x): the second product reads a and the first's result.
        let p = program(vec![], call("ij,jk,k->i", [var("a"), var("a"), var("x")]));
        let plan = fused_plan(&p);
        assert_eq!(plan.steps.len(), 2, "{:?}", plan.steps);
        assert_eq!(
            plan.passes,
            [
                Pass {
                    steps: 0..1,
                    kind: PassKind::Single
                },
                Pass {
                    steps: 1..2,
                    kind: PassKind::Single
                }
            ]
        );
        assert_eq!(plan.steps[1].inputs.len(), 2);
        assert!(plan.steps[1]
            .inputs
            .iter()
            .any(|i| matches!(i.0, Source::Intermediate(_))));
    }
}
