//! Validation: subscripts parsed, operand counts and ranks checked, options
//! read. Every problem is collected, so the user sees all of them at once.

use crate::options;
use crate::parse::{self, Lazy, MacroInput, SpanRange, Target};
use crate::program::{self, Node, Program, Role, Site, TargetKind, Term, Value};
use crate::subscripts;
use syn::Expr;

/// The validated macro input: the program, and the syntax code generation
/// still needs.
pub struct Checked {
    /// Everything but the syntax.
    pub program: Program,
    /// The Rust expressions the generated code evaluates.
    pub syntax: Syntax,
}

/// The Rust expressions of a macro input, which the generated code
/// evaluates (and whose spans its type errors point at).
pub struct Syntax {
    /// Rust values (operands and coefficients), in source order, indexed as
    /// [`Program::values`].
    pub values: Vec<Expr>,
    /// The place the result is written to, if the input is an assignment.
    pub target: Option<Expr>,
    /// The path of the `lazy-einsum` crate in the caller's code
    /// (`::lazy_einsum` unless [`crate::expand_in`] says otherwise).
    pub krate: proc_macro2::TokenStream,
}

impl Syntax {
    /// The path of the runtime in the generated code: a local alias that
    /// [`Syntax::import_runtime`] declares.
    ///
    /// Not `$crate::__private` itself: a path starting with `$crate` has the
    /// hygiene of the wrapper macro, and rustc then reports every error of
    /// an expression built on it (an operand that is no array, of the wrong
    /// rank...) at the whole macro instead of at the operand.
    pub fn runtime(&self) -> proc_macro2::TokenStream {
        let alias = proc_macro2::Ident::new("__lazy_einsum_rt", proc_macro2::Span::mixed_site());
        quote::quote!(#alias)
    }

    /// `use <krate>::__private as <alias>;`, the alias [`Syntax::runtime`] names.
    pub fn import_runtime(&self) -> proc_macro2::TokenStream {
        let (krate, alias) = (&self.krate, self.runtime());
        quote::quote!(#[allow(unused_imports)] use #krate::__private as #alias;)
    }
}

/// Checks `input`, returning every problem found.
pub fn validate(input: MacroInput) -> Result<Checked, Vec<syn::Error>> {
    let MacroInput {
        options,
        bindings,
        target,
        body,
        body_span,
        values,
        errors,
    } = input;
    let mut checker = Checker {
        errors,
        sites: Vec::new(),
        binding_names: bindings.iter().map(|b| b.name.to_string()).collect(),
        binding_ranks: vec![None; bindings.len()],
        value_texts: values.iter().map(parse::source_text).collect(),
        labels: Vec::new(),
        ellipsis_allowed: false,
        in_binding: false,
    };
    let mut binding_nodes = Vec::new();
    checker.in_binding = true;
    for (k, binding) in bindings.iter().enumerate() {
        let site_name = format!("let {}", binding.name);
        let (node, rank) = checker.node(&binding.value, None, &site_name);
        checker.binding_ranks[k] = rank.map(|r| (r, Origin::Definition));
        binding_nodes.push(node);
    }
    checker.in_binding = false;
    // Only the outermost call may have an ellipsis (optionally times a
    // coefficient): its result is the macro's, of dynamic rank (see
    // `Checker::call` and `Program::outermost_call`).
    checker.ellipsis_allowed = match &body {
        Lazy::Call(_) => true,
        Lazy::Combination(terms) => terms.len() == 1 && matches!(terms[0].value, Lazy::Call(_)),
        _ => false,
    };
    let (body, rank) = checker.node(&body, None, "result");
    let rank = rank.unwrap_or_else(|| {
        if checker.errors.is_empty() {
            checker.errors.push(body_span.error(
                "einsum: the result's rank is unknown: the expression contains no einsum call",
            ));
        }
        0
    });
    let mut errors = Vec::new();
    let options = options::read(&options, &checker.labels, &mut errors);
    errors.append(&mut checker.errors);
    if errors.is_empty() {
        let mut seen = vec![None; binding_nodes.len()];
        if let Some((b, first, second)) =
            binding_rank_conflict(&body, rank, &binding_nodes, &mut seen)
        {
            errors.push(syn::Error::new(
                bindings[b].name.span(),
                format!(
                    "einsum: `{}` is used with rank {first} in one place and rank {second} in another",
                    bindings[b].name
                ),
            ));
        }
    }
    let roles = program::roles(values.len(), &body, &binding_nodes);
    if let Some(target) = &target {
        errors.extend(target_read(target, &values, &roles, bindings.is_empty()));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let values_data = values
        .iter()
        .zip(checker.value_texts)
        .zip(roles)
        .map(|((expr, text), role)| Value {
            text,
            variable: variable_name(expr),
            role,
        })
        .collect();
    let (target_kind, target_place) = match target {
        Some(Target { place, kind, .. }) => (Some(kind), Some(place)),
        None => (None, None),
    };
    Ok(Checked {
        program: Program {
            options,
            sites: checker.sites,
            bindings: binding_nodes,
            binding_names: checker.binding_names,
            body,
            rank,
            target: target_kind,
            values: values_data,
        },
        syntax: Syntax {
            values,
            target: target_place,
            krate: quote::quote!(::lazy_einsum),
        },
    })
}

/// An error for each operand that reads the output target: the target is
/// borrowed mutably for the whole computation, so rustc would reject it
/// (E0502, at the whole macro); this says what to write instead. Only
/// operands that certainly borrow the target's variable are found (`c`,
/// `&c`, `c.view()`, `c.t()`, a field of it); others get rustc's error.
fn target_read(target: &Target, values: &[Expr], roles: &[Role], plain: bool) -> Vec<syn::Error> {
    let Some(place) = target_variable(&target.place) else {
        return Vec::new();
    };
    let (op, assign) = match target.kind {
        TargetKind::Assign => ("overwrite", format!("{place}.assign(&result)")),
        TargetKind::Add => ("add to", format!("{place} += &result")),
        TargetKind::Subtract => ("subtract from", format!("{place} -= &result")),
    };
    let compute = if plain {
        format!("let result = einsum! {{ {} }};", target.value_text)
    } else {
        "let result = einsum! { ... };".to_string()
    };
    let target_text = parse::source_text(&target.place);
    values
        .iter()
        .zip(roles)
        .filter(|(_, role)| **role == Role::Operand)
        .filter_map(|(value, _)| {
            let read = borrowed_variable(value)?;
            let overlaps = read == place
                || read.starts_with(&format!("{place}."))
                || place.starts_with(&format!("{read}."));
            overlaps.then(|| {
                SpanRange::of(value).error(format!(
                    "einsum: the operand `{}` reads the output target `{target_text}`, which einsum! would {op} while reading it; compute the result into a new array first: `{compute} {assign};`",
                    parse::source_text(value)
                ))
            })
        })
        .collect()
}

/// The variable (or field path) an output target writes: `c`, `self.c`,
/// `c.view_mut()`, `c.slice_mut(..)`, `*c`.
fn target_variable(place: &Expr) -> Option<String> {
    match place {
        Expr::Path(p) if p.qself.is_none() => Some(parse::source_text(p)),
        Expr::Field(f) => target_variable(&f.base)
            .map(|base| format!("{base}.{}", quote::ToTokens::to_token_stream(&f.member))),
        Expr::Paren(p) => target_variable(&p.expr),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => target_variable(&u.expr),
        Expr::MethodCall(m) => target_variable(&m.receiver),
        _ => None,
    }
}

/// The variable (or field path) an operand borrows for as long as it is
/// read: itself, a reference to it, or a view of it.
fn borrowed_variable(value: &Expr) -> Option<String> {
    const VIEWS: &[&str] = &[
        "view",
        "t",
        "slice",
        "row",
        "column",
        "diag",
        "index_axis",
        "broadcast",
    ];
    match value {
        Expr::Reference(r) => borrowed_variable(&r.expr),
        Expr::MethodCall(m) if VIEWS.contains(&m.method.to_string().as_str()) => {
            borrowed_variable(&m.receiver)
        }
        other => variable_name(other),
    }
}

/// The variable an operand expression names: a path or field, possibly borrowed.
fn variable_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Path(p) if p.qself.is_none() => Some(parse::source_text(p)),
        Expr::Field(f) => variable_name(&f.base)
            .map(|base| format!("{base}.{}", quote::ToTokens::to_token_stream(&f.member))),
        Expr::Reference(r) if r.mutability.is_none() => variable_name(&r.expr),
        Expr::Paren(p) => variable_name(&p.expr),
        _ => None,
    }
}

/// Walks the tree as distribution expands it (a call's arguments at their
/// label counts, a sum's terms at the sum's rank) and returns a binding met at
/// two ranks, with both: a binding without a call of its own takes its rank
/// from its uses, which must agree.
fn binding_rank_conflict(
    node: &Node,
    rank: usize,
    bindings: &[Node],
    seen: &mut [Option<usize>],
) -> Option<(usize, usize, usize)> {
    match node {
        Node::Call {
            subscripts, args, ..
        } => args
            .iter()
            .zip(&subscripts.inputs)
            .find_map(|(arg, labels)| binding_rank_conflict(arg, labels.len(), bindings, seen)),
        Node::Combination(terms) => terms
            .iter()
            .find_map(|t| binding_rank_conflict(&t.node, rank, bindings, seen)),
        Node::Binding(b) => match seen[*b] {
            Some(first) if first != rank => Some((*b, first, rank)),
            Some(_) => None,
            None => {
                seen[*b] = Some(rank);
                binding_rank_conflict(&bindings[*b], rank, bindings, seen)
            }
        },
        Node::Operand { .. } => None,
    }
}

/// Where a binding's rank comes from.
#[derive(Clone)]
enum Origin {
    /// Its value contains a call.
    Definition,
    /// Its first use as an argument of the call with these subscripts.
    Use(String),
}

struct Checker {
    errors: Vec<syn::Error>,
    sites: Vec<Site>,
    binding_names: Vec<String>,
    binding_ranks: Vec<Option<(usize, Origin)>>,
    value_texts: Vec<String>,
    /// Every label character written in any subscripts.
    labels: Vec<char>,
    /// Whether the next call checked is the whole expression (the only
    /// place an ellipsis may be written).
    ellipsis_allowed: bool,
    /// Whether a `let` binding's value is being checked.
    in_binding: bool,
}

/// Where a node stands: as argument `position` of call site `site` (with the
/// labels the call gives it), or outside any call.
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
            Lazy::Binding(name) => match self.binding_names.iter().position(|n| name == n) {
                Some(index) => (
                    Node::Binding(index),
                    self.binding_ranks[index].as_ref().map(|(r, _)| *r),
                ),
                // The parser only makes bindings of known names.
                None => (Node::Combination(Vec::new()), None),
            },
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
            Lazy::Combination(terms) => self.combination(terms, place, outside),
        }
    }

    /// A linear combination: every term must have one rank, that of its
    /// place if it is an argument, else that of its first term of known rank.
    /// Each term of another rank is an error pointing at it.
    fn combination(
        &mut self,
        terms: &[parse::Term],
        place: Option<&Place>,
        outside: &str,
    ) -> (Node, Option<usize>) {
        let mut checked = Vec::new();
        let mut ranks = Vec::new();
        for term in terms {
            let (node, rank) = self.node(&term.value, place, outside);
            // An ellipsis place has no rank to give (the call reports that
            // only a plain operand can fill it).
            let ellipsis = place.is_some_and(|p| subscripts::has_ellipsis(&p.chars));
            if let (None, Node::Binding(b), Some(p), false) = (rank, &node, place, ellipsis) {
                let text = self.sites[p.site].subscripts.clone();
                self.binding_ranks[*b] = Some((p.chars.len(), Origin::Use(text)));
            }
            ranks.push(rank);
            checked.push(Term {
                negative: term.negative,
                coefficients: term.coefficients.clone(),
                node,
            });
        }
        let expected = match place {
            Some(p) if subscripts::has_ellipsis(&p.chars) => {
                return (Node::Combination(checked), None)
            }
            Some(p) => Some(p.chars.len()),
            None => ranks.iter().flatten().next().copied(),
        };
        if let Some(expected) = expected {
            for (term, rank) in terms.iter().zip(&ranks) {
                let Some(rank) = *rank else { continue };
                if rank == expected {
                    continue;
                }
                let why = match place {
                    Some(p) => format!(
                        "its subscripts {:?} (operand {} of {:?}) name {}",
                        p.chars.iter().collect::<String>(),
                        p.position,
                        self.sites[p.site].subscripts,
                        labels(expected)
                    ),
                    None => format!("the sum's first term has rank {expected}"),
                };
                self.errors.push(term.span.error(format!(
                    "einsum: a sum of terms of different rank: this term has rank {rank}, but {why}"
                )));
            }
        }
        (Node::Combination(checked), expected)
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
        let outermost = std::mem::replace(&mut self.ellipsis_allowed, false);
        let text = call.subscripts.value();
        self.labels
            .extend(text.chars().filter(|c| c.is_ascii_alphabetic()));
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
                // Still check the arguments, for the errors inside them.
                for arg in &call.args {
                    self.node(arg, None, "");
                }
                return (Node::Combination(Vec::new()), None);
            }
        };
        if subscripts.inputs.len() != call.args.len() {
            self.errors.push(call.span.error(format!(
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
            )));
        }
        let ellipsis = subscripts.inputs_have_ellipsis();
        if ellipsis && !outermost {
            self.errors.push(syn::Error::new(
                call.subscripts.span(),
                format!(
                    "einsum: an ellipsis `...` is only supported in the outermost call (the whole expression, optionally times a coefficient), whose result is the macro's and of dynamic rank; not {}\n{}",
                    if self.in_binding {
                        "in a `let` binding"
                    } else {
                        "inside a sum or as an argument of another call"
                    },
                    subscripts::caret(&text, subscripts::first_ellipsis(&text))
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
            if !subscripts::has_ellipsis(labels) {
                self.check_rank(&node, rank, &place, &text, call.arg_spans[position]);
            } else if !matches!(node, Node::Operand { .. }) {
                // Its rank is only known at run time: no rank error, this one.
                self.errors.push(call.arg_spans[position].error(format!(
                    "einsum: operand {position} of {text:?} has an ellipsis `...`, so it must be a plain Rust operand (an array or a view): a call, binding or sum has a fixed rank"
                )));
            }
            args.push(node);
        }
        // A misplaced ellipsis call has no rank to give: the error above
        // says why, and its hidden labels must not show in another one.
        let rank = (!ellipsis || outermost).then_some(subscripts.output.len());
        (
            Node::Call {
                site,
                subscripts,
                args,
            },
            rank,
        )
    }

    /// Checks that argument `node` (of rank `rank` if known) has the rank its
    /// place gives it; a binding of unknown rank takes it from here.
    fn check_rank(
        &mut self,
        node: &Node,
        rank: Option<usize>,
        place: &Place,
        text: &str,
        span: SpanRange,
    ) {
        let expected = place.chars.len();
        let written: String = place.chars.iter().collect();
        match (rank, node) {
            (None, Node::Binding(b)) => {
                self.binding_ranks[*b] = Some((expected, Origin::Use(text.to_string())));
            }
            (Some(r), Node::Binding(b)) if r != expected => {
                let name = &self.binding_names[*b];
                let message = match &self.binding_ranks[*b] {
                    Some((_, Origin::Use(first))) => format!(
                        "einsum: `{name}` is used with rank {r} in {first:?} and rank {expected} in {text:?}"
                    ),
                    _ => format!(
                        "einsum: `{name}` has rank {r} (from its `let`), but its subscripts {written:?} in {text:?} name {}",
                        labels(expected)
                    ),
                };
                self.errors.push(span.error(message));
            }
            // A combination reports each term of the wrong rank itself.
            (Some(r), Node::Call { .. }) if r != expected => {
                self.errors.push(span.error(format!(
                    "einsum: operand {} of {text:?} has rank {r}, but its subscripts {written:?} name {}",
                    place.position,
                    labels(expected)
                )));
            }
            _ => {}
        }
    }
}

/// `1 label`, `2 labels`.
fn labels(count: usize) -> String {
    format!("{count} label{}", if count == 1 { "" } else { "s" })
}
