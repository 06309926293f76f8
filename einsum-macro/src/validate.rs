//! Validation: subscripts parsed, operand counts and ranks checked, options
//! read. Every problem is collected, so the user sees all of them at once.

use crate::options::{self, Options};
use crate::parse::{self, Lazy, MacroInput, Target};
use crate::subscripts::{self, Subscripts};
use proc_macro2::Span;
use syn::Expr;

/// A call site, for runtime error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// The subscripts as written (or a name for operands outside any call).
    pub subscripts: String,
    /// Source text of each operand.
    pub operands: Vec<String>,
}

/// A lazy expression whose subscripts and ranks are known to be consistent.
#[derive(Debug, Clone)]
pub enum Node {
    /// `"subscripts"(args...)`
    Call {
        /// Index into [`Checked::sites`].
        site: usize,
        /// The parsed subscripts.
        subscripts: Subscripts,
        /// The arguments, one per input of the subscripts.
        args: Vec<Node>,
    },
    /// A linear combination.
    Combination(Vec<Term>),
    /// A use of binding number `.0`.
    Binding(usize),
    /// A Rust value used as an operand: index into [`Checked::values`], and
    /// its place (site, operand position) for runtime messages.
    Operand {
        /// Index of the value.
        value: usize,
        /// Index into [`Checked::sites`].
        site: usize,
        /// Position of the operand in its site.
        position: usize,
        /// The labels written for it at its call, if it is a call's argument.
        chars: Option<Vec<char>>,
    },
}

/// One term of a linear combination.
#[derive(Debug, Clone)]
pub struct Term {
    /// Subtracted?
    pub negative: bool,
    /// Scalar factors: indices into [`Checked::values`].
    pub coefficients: Vec<usize>,
    /// The value.
    pub node: Node,
}

/// The validated macro input.
pub struct Checked {
    /// The options.
    pub options: Options,
    /// All sites, calls first in source order.
    pub sites: Vec<Site>,
    /// Binding bodies, by binding index.
    pub bindings: Vec<Node>,
    /// The expression to compute.
    pub body: Node,
    /// Rank of the result.
    pub rank: usize,
    /// Where the result goes, if the input is an assignment.
    pub target: Option<Target>,
    /// Rust values (operands and coefficients), in source order.
    pub values: Vec<Expr>,
}

/// Checks `input`, returning every problem found.
pub fn validate(input: MacroInput) -> Result<Checked, Vec<syn::Error>> {
    let MacroInput {
        options,
        bindings,
        target,
        body,
        values,
        errors,
    } = input;
    let mut checker = Checker {
        errors,
        sites: Vec::new(),
        binding_names: bindings.iter().map(|b| b.name.to_string()).collect(),
        binding_ranks: vec![None; bindings.len()],
        binding_spans: bindings.iter().map(|b| b.name.span()).collect(),
        value_texts: values.iter().map(parse::source_text).collect(),
    };
    let options = options::read(&options, &mut checker.errors);
    let mut binding_nodes = Vec::new();
    for (k, binding) in bindings.iter().enumerate() {
        let site_name = format!("let {}", binding.name);
        let (node, rank) = checker.node(&binding.value, None, &site_name);
        checker.binding_ranks[k] = rank;
        binding_nodes.push(node);
    }
    let (body, rank) = checker.node(&body, None, "result");
    let rank = rank.unwrap_or_else(|| {
        if checker.errors.is_empty() {
            checker.errors.push(syn::Error::new(
                Span::call_site(),
                "einsum: the result's rank is unknown: the expression contains no einsum call",
            ));
        }
        0
    });
    if checker.errors.is_empty() {
        Ok(Checked {
            options,
            sites: checker.sites,
            bindings: binding_nodes,
            body,
            rank,
            target,
            values,
        })
    } else {
        Err(checker.errors)
    }
}

struct Checker {
    errors: Vec<syn::Error>,
    sites: Vec<Site>,
    binding_names: Vec<String>,
    binding_ranks: Vec<Option<usize>>,
    binding_spans: Vec<Span>,
    value_texts: Vec<String>,
}

/// Where a node stands: as argument `position` of call site `site` (with the
/// number of labels the call gives it), or outside any call.
#[derive(Clone)]
struct Place {
    site: usize,
    position: usize,
    chars: Vec<char>,
}

impl Checker {
    /// Checks `lazy`, returning the checked node and its rank if known.
    /// Plain operands outside any call are collected on a site named `outside`.
    fn node(&mut self, lazy: &Lazy, place: Option<&Place>, outside: &str) -> (Node, Option<usize>) {
        match lazy {
            Lazy::Call(call) => self.call(call),
            Lazy::Binding(name) => {
                let index = self
                    .binding_names
                    .iter()
                    .position(|n| name == n)
                    .expect("the parser only makes bindings of known names");
                (Node::Binding(index), self.binding_ranks[index])
            }
            Lazy::Operand(value) => {
                let (site, position) = match place {
                    Some(p) => (p.site, p.position),
                    None => self.outside_operand(outside, *value),
                };
                (
                    Node::Operand {
                        value: *value,
                        site,
                        position,
                        chars: place.map(|p| p.chars.clone()),
                    },
                    place.map(|p| p.chars.len()),
                )
            }
            Lazy::Combination(terms) => {
                let mut checked = Vec::new();
                let mut ranks: Vec<(usize, usize)> = Vec::new();
                for (k, term) in terms.iter().enumerate() {
                    let (node, rank) = self.node(&term.value, place, outside);
                    if let Some(r) = rank {
                        ranks.push((k, r));
                    }
                    checked.push(Term {
                        negative: term.negative,
                        coefficients: term.coefficients.clone(),
                        node,
                    });
                }
                let rank = ranks.first().map(|&(_, r)| r);
                if ranks.iter().any(|&(_, r)| Some(r) != rank) {
                    let listed: Vec<String> = ranks
                        .iter()
                        .map(|(k, r)| format!("term {k} has rank {r}"))
                        .collect();
                    self.errors.push(syn::Error::new(
                        combination_span(terms),
                        format!(
                            "einsum: a sum of terms of different rank: {}",
                            listed.join(", ")
                        ),
                    ));
                }
                (Node::Combination(checked), rank)
            }
        }
    }

    fn outside_operand(&mut self, outside: &str, value: usize) -> (usize, usize) {
        let site = match self.sites.iter().position(|s| s.subscripts == outside) {
            Some(site) => site,
            None => {
                self.sites.push(Site {
                    subscripts: outside.to_string(),
                    operands: Vec::new(),
                });
                self.sites.len() - 1
            }
        };
        let text = self.value_texts[value].clone();
        self.sites[site].operands.push(text);
        (site, self.sites[site].operands.len() - 1)
    }

    fn call(&mut self, call: &parse::Call) -> (Node, Option<usize>) {
        let text = call.subscripts.value();
        let site = self.sites.len();
        self.sites.push(Site {
            subscripts: text.clone(),
            operands: call.arg_texts.clone(),
        });
        let subscripts = match subscripts::parse(&text) {
            Ok(s) => s,
            Err(problems) => {
                for problem in problems {
                    self.errors.push(syn::Error::new(
                        call.subscripts.span(),
                        format!(
                            "einsum: {}\n{}",
                            problem.message,
                            subscripts::caret(&text, problem.position)
                        ),
                    ));
                }
                return (Node::Combination(Vec::new()), None);
            }
        };
        if subscripts.inputs.len() != call.args.len() {
            self.errors.push(syn::Error::new(
                call.span,
                format!(
                    "einsum: {:?} names {} operand{} but {} {} given",
                    text,
                    subscripts.inputs.len(),
                    if subscripts.inputs.len() == 1 {
                        ""
                    } else {
                        "s"
                    },
                    call.args.len(),
                    if call.args.len() == 1 { "is" } else { "are" },
                ),
            ));
        }
        let mut args = Vec::new();
        for (position, (arg, labels)) in call.args.iter().zip(&subscripts.inputs).enumerate() {
            let place = Place {
                site,
                position,
                chars: labels.clone(),
            };
            let (node, rank) = self.node(arg, Some(&place), "");
            match (rank, &node) {
                (None, Node::Binding(b)) => self.binding_ranks[*b] = Some(labels.len()),
                (Some(r), _) if r != labels.len() => {
                    let what = match &node {
                        Node::Binding(b) => format!("`{}`", self.binding_names[*b]),
                        _ => format!("operand {position}"),
                    };
                    let span = match &node {
                        Node::Binding(b) => self.binding_spans[*b],
                        _ => call.span,
                    };
                    let mut error = syn::Error::new(
                        call.span,
                        format!(
                            "einsum: {what} of {text:?} has rank {r}, but its subscripts \"{}\" name {} label{}",
                            labels.iter().collect::<String>(),
                            labels.len(),
                            if labels.len() == 1 { "" } else { "s" }
                        ),
                    );
                    if let Node::Binding(_) = node {
                        error.combine(syn::Error::new(
                            span,
                            format!("einsum: {what} is defined here"),
                        ));
                    }
                    self.errors.push(error);
                }
                _ => {}
            }
            args.push(node);
        }
        let rank = subscripts.output.len();
        (
            Node::Call {
                site,
                subscripts,
                args,
            },
            Some(rank),
        )
    }
}

fn combination_span(terms: &[parse::Term]) -> Span {
    terms
        .iter()
        .find_map(|t| match &t.value {
            Lazy::Call(c) => Some(c.span),
            _ => None,
        })
        .unwrap_or_else(Span::call_site)
}
