//! Planning: the sum of products becomes a list of steps, each one call of a
//! runtime kernel over a loop space.

use crate::ir::{Coefficient, Label, SumOfProducts};
use crate::parse::TargetKind;

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
    /// A fresh intermediate (allocated zeroed, written once).
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

/// One kernel call: `dest[free] (=|+=) alpha * sum over summed loops of prod inputs`.
#[derive(Debug, Clone)]
pub struct Step {
    /// The operands, each with a label per axis.
    pub inputs: Vec<(Source, Vec<Label>)>,
    /// The loops: the destination's labels first (`n_free` of them), then the summed ones.
    pub loops: Vec<Label>,
    /// How many leading loops index the destination.
    pub n_free: usize,
    /// Where the value goes.
    pub destination: Destination,
    /// The destination's labels, in axis order.
    pub destination_labels: Vec<Label>,
    /// The scalar factor.
    pub alpha: Coefficient,
    /// Overwrite or accumulate.
    pub write: Write,
}

/// The whole evaluation.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The steps, in execution order.
    pub steps: Vec<Step>,
    /// The labels of each intermediate, in axis order.
    pub intermediates: Vec<Vec<Label>>,
}

/// Plans `sop` for a result written as `target` says (a fresh result is overwritten).
pub fn plan(sop: &SumOfProducts, target: Option<TargetKind>) -> Plan {
    let mut steps = Vec::new();
    let negate = target == Some(TargetKind::Subtract);
    let mut write = match target {
        None | Some(TargetKind::Assign) => Write::Overwrite,
        Some(TargetKind::Add | TargetKind::Subtract) => Write::Accumulate,
    };
    for term in &sop.terms {
        let mut loops = sop.output.clone();
        loops.extend(sop.summed_labels(term));
        let mut alpha = term.coefficient.clone();
        if negate {
            alpha.0.iter_mut().for_each(|m| m.count = -m.count);
        }
        steps.push(Step {
            inputs: term
                .factors
                .iter()
                .map(|f| (Source::Leaf(f.value), f.labels.clone()))
                .collect(),
            n_free: sop.output.len(),
            loops,
            destination: Destination::Result,
            destination_labels: sop.output.clone(),
            alpha,
            write,
        });
        write = Write::Accumulate;
    }
    if write == Write::Overwrite {
        // Every term cancelled: the result is zero.
        steps.push(Step {
            inputs: Vec::new(),
            loops: sop.output.clone(),
            n_free: sop.output.len(),
            destination: Destination::Result,
            destination_labels: sop.output.clone(),
            alpha: Coefficient(Vec::new()),
            write,
        });
    }
    Plan {
        steps,
        intermediates: Vec::new(),
    }
}
