//! Where each label of the distributed expression comes from, for runtime
//! messages: the outermost call that writes it (where it is summed, or an
//! output of the whole expression), or an axis of the result when that is
//! a sum of calls.
//!
//! A size mismatch between two axes that only an outer call joins (a `let`
//! binding used transposed, an inner call's output fed to an outer one)
//! names that call. Distribution does not record it, so this module walks
//! the program the way distribution expands it (bindings at every use,
//! fresh labels for each call's summed labels) and matches each label it
//! creates to a label of the [`SumOfProducts`] by the operand axes they
//! carry. Labels with equal axes are interchangeable for a message; a label
//! no walk produces (one of a binding computed once, with labels of its
//! own) has no owner, and its message names the calls of both axes instead.

use crate::ir::{Label, Leaf, SumOfProducts};
use crate::program::{Node, Program};
use std::collections::hash_map::Entry;
use std::collections::HashMap;

/// The outermost place of a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Label `label` of the call at site `site`.
    Call {
        /// Index into [`Program::sites`].
        site: usize,
        /// The label as written there.
        label: char,
    },
    /// Axis `axis` of the result, a sum of calls.
    Result {
        /// The axis.
        axis: usize,
    },
}

/// The most nodes the walk visits before it gives up (every owner unknown):
/// bindings are expanded at each use, so an input can be large.
const BUDGET: usize = 1 << 20;

/// The owner of each label of `sop` (indexed by `Label.0`), where known.
pub fn owners(program: &Program, sop: &SumOfProducts) -> Vec<Option<Owner>> {
    let mut walk = Walk {
        program,
        classes: Vec::new(),
        visited: 0,
    };
    let root = match resolve(&program.body, program) {
        Node::Call {
            site, subscripts, ..
        } if subscripts.output.len() == program.rank => subscripts
            .output
            .iter()
            .map(|&label| walk.class(Owner::Call { site: *site, label }))
            .collect(),
        _ => (0..program.rank)
            .map(|axis| walk.class(Owner::Result { axis }))
            .collect::<Vec<_>>(),
    };
    let mut unknown = vec![None; sop.label_chars.len()];
    if !walk.walk(&program.body, &root) {
        return unknown;
    }
    let mut by_axes: HashMap<Vec<(usize, usize)>, Owner> = HashMap::new();
    for (owner, mut axes) in walk.classes {
        axes.sort_unstable();
        axes.dedup();
        by_axes.entry(axes).or_insert(owner);
    }
    for (l, owner) in unknown.iter_mut().enumerate() {
        let mut axes: Vec<(usize, usize)> = sop
            .axes
            .iter()
            .filter(|a| a.0 == Label(l as u16))
            .map(|&(_, value, axis)| (value, axis))
            .collect();
        axes.sort_unstable();
        axes.dedup();
        *owner = by_axes.get(&axes).copied();
    }
    unknown
}

/// The name each site has in runtime messages: a call's subscripts, and
/// `<result>` or `<let NAME>` for the operands outside any call (the angle
/// brackets, which no subscripts contain, tell the runtime it is no call).
pub fn site_names(program: &Program) -> Vec<String> {
    fn mark(node: &Node, calls: &mut [bool]) {
        match node {
            Node::Call { site, args, .. } => {
                if let Some(call) = calls.get_mut(*site) {
                    *call = true;
                }
                args.iter().for_each(|a| mark(a, calls));
            }
            Node::Combination(terms) => terms.iter().for_each(|t| mark(&t.node, calls)),
            Node::Binding(_) | Node::Operand { .. } => {}
        }
    }
    let mut calls = vec![false; program.sites.len()];
    for node in std::iter::once(&program.body).chain(&program.bindings) {
        mark(node, &mut calls);
    }
    program
        .sites
        .iter()
        .zip(calls)
        .map(|(site, call)| match call {
            true => site.subscripts.clone(),
            false => format!("<{}>", site.subscripts),
        })
        .collect()
}

/// The source text of operand `value` when it is one term of a sum written
/// as its call's argument (`b` in `"i->i"(a + b)`), for runtime messages.
pub fn term_text(program: &Program, value: usize, leaf: &Leaf) -> Option<String> {
    let text = &program.values.get(value)?.text;
    let argument = program.sites.get(leaf.site)?.operands.get(leaf.position)?;
    (text != argument).then(|| text.clone())
}

/// `node`, or the value of the binding it uses.
fn resolve<'a>(node: &'a Node, program: &'a Program) -> &'a Node {
    match node {
        Node::Binding(b) => program
            .bindings
            .get(*b)
            .map_or(node, |value| resolve(value, program)),
        other => other,
    }
}

struct Walk<'a> {
    program: &'a Program,
    /// Each label made so far: its owner, and the (value, axis) pairs it is on.
    classes: Vec<(Owner, Vec<(usize, usize)>)>,
    visited: usize,
}

impl Walk<'_> {
    fn class(&mut self, owner: Owner) -> usize {
        self.classes.push((owner, Vec::new()));
        self.classes.len() - 1
    }

    /// Walks `node` whose axes carry the labels `labels`; false when the
    /// budget ran out.
    fn walk(&mut self, node: &Node, labels: &[usize]) -> bool {
        self.visited += 1;
        if self.visited > BUDGET {
            return false;
        }
        match node {
            Node::Operand { value, .. } => {
                for (axis, &class) in labels.iter().enumerate() {
                    self.classes[class].1.push((*value, axis));
                }
                true
            }
            Node::Binding(b) => match self.program.bindings.get(*b) {
                Some(value) => self.walk(value, labels),
                None => true,
            },
            Node::Combination(terms) => terms.iter().all(|t| self.walk(&t.node, labels)),
            Node::Call {
                site,
                subscripts,
                args,
            } => {
                let mut names: HashMap<char, usize> = subscripts
                    .output
                    .iter()
                    .copied()
                    .zip(labels.iter().copied())
                    .collect();
                for &label in subscripts.inputs.iter().flatten() {
                    if let Entry::Vacant(slot) = names.entry(label) {
                        slot.insert(self.class(Owner::Call { site: *site, label }));
                    }
                }
                args.iter().zip(&subscripts.inputs).all(|(arg, chars)| {
                    let labels: Vec<usize> = chars.iter().map(|c| names[c]).collect();
                    self.walk(arg, &labels)
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distribute::distribute;

    /// The owner of the label on `axis` of Rust value `value` of the macro input `src`.
    fn owner_of(src: &str, value: usize, axis: usize) -> Option<Owner> {
        let input: crate::parse::MacroInput = syn::parse_str(src).expect("parses");
        let program = match crate::validate::validate(input) {
            Ok(checked) => checked.program,
            Err(_) => panic!("{src} is valid"),
        };
        let sop = distribute(&program, &[]);
        let owners = owners(&program, &sop);
        let label = sop
            .axes
            .iter()
            .find(|a| a.1 == value && a.2 == axis)
            .expect("the axis carries a label")
            .0;
        owners[label.0 as usize]
    }

    #[test]
    fn a_binding_used_transposed_is_joined_by_the_outer_call() {
        // `x` is value 0; the outer call is site 1 (the binding's call is site 0).
        let src = r#"let c = "ij->ij"(x); "ij,ji->"(c, c)"#;
        let first = owner_of(src, 0, 0);
        assert!(
            matches!(
                first,
                Some(Owner::Call {
                    site: 1,
                    label: 'i' | 'j'
                })
            ),
            "{first:?}"
        );
    }

    #[test]
    fn an_output_label_belongs_to_the_outermost_call() {
        // "ij,jk->ik"("ab->ab"(x), y): `x` is value 0, `y` value 1.
        let src = r#""ij,jk->ik"("ab->ab"(x), y)"#;
        assert_eq!(
            owner_of(src, 0, 1),
            Some(Owner::Call {
                site: 0,
                label: 'j'
            })
        );
        assert_eq!(
            owner_of(src, 1, 1),
            Some(Owner::Call {
                site: 0,
                label: 'k'
            })
        );
    }

    #[test]
    fn the_axes_of_a_sum_of_calls_belong_to_the_result() {
        let src = r#""ij->ij"(a) + "ij->ji"(b)"#;
        assert_eq!(owner_of(src, 1, 0), Some(Owner::Result { axis: 1 }));
    }
}
