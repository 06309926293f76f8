//! Code generation: the plan becomes a Rust block that binds every size up
//! front, then calls one runtime kernel per step.
//!
//! The block only reaches the runtime through `::lazy_einsum::__private` and
//! contains no `unsafe`: the runtime's safe functions check what they need.

use crate::candidates::Candidates;
use crate::ir::{Coefficient, Label, SumOfProducts};
use crate::loops;
use crate::owners::{self, Owner};
use crate::parse::{is_number, source_text, SpanRange};
use crate::plan::{Destination, Kernel, Pass, PassKind, Plan, Source, Step, Write};
use crate::program::{Node, Program, Role};
use crate::select;
use crate::subscripts::{ellipsis_at, ellipsis_slot, has_ellipsis, ELLIPSIS_SLOTS};
use crate::validate::Syntax;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

/// What the generated block does with a runtime error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// `einsum!`: panic with the error's message.
    Panic,
    /// `try_einsum!`: evaluate to the `Result`.
    Return,
}

/// The Rust block computing the input with one of `candidates`' plans: the
/// only one, or the one [`crate::select`] picks at run time by its cost at the
/// actual sizes. What the candidates share (operand views, size bindings,
/// checks, an output target) is emitted once; each candidate adds its
/// allocation checks, result and steps.
pub fn generate(
    program: &Program,
    syntax: &Syntax,
    candidates: &Candidates,
    on_error: OnError,
) -> TokenStream {
    let sop = &candidates.sop;
    let (rt, import_runtime) = (syntax.runtime(), syntax.import_runtime());
    let values = bind_values(&syntax.values);
    let site_names = owners::site_names(program);
    let sites = program.sites.iter().enumerate().map(|(k, site)| {
        let name = site_ident(k);
        let subscripts = &site_names[k];
        let operands = &site.operands;
        quote!(const #name: #rt::Site = #rt::Site { subscripts: #subscripts, operands: &[#(#operands),*] };)
    });
    let elements = check_elements(program, syntax, sop, &rt);
    // Spanned at the operand: a rank or element type error points at it.
    let views = sop.leaves.iter().enumerate().filter_map(|(value, leaf)| {
        let leaf = leaf.as_ref()?;
        let span = operand_span(&syntax.values[value]);
        let (view, source) = (view_ident(value), value_ident_at(value, span));
        let (rank, site, position) = (leaf.chars.len(), site_ident(leaf.site), leaf.position);
        let element = element_ident(span);
        let rt = runtime_at(&rt, span);
        Some(match ellipsis_at(&leaf.chars) {
            Some(at) => {
                let (before, after, named) = (at.before, at.after, at.before + at.after);
                quote_spanned!(span=>
                    #rt::require_at_least_rank::<_, #named>(#source);
                    let #view = #rt::View::<_, #rank>::with_ellipsis(#element, #source, &#site, #position, #before, #after)?;
                )
            }
            None => quote_spanned!(span=>
                let #view = #rt::View::<_, #rank>::with_element(#element, #source, &#site, #position)?;
            ),
        })
    });
    let broadcast = Ident::new("__broadcast", Span::mixed_site());
    let bind_broadcast = bind_ellipsis(program, &broadcast, &rt);
    let other_views = check_other_operands(program, syntax, sop, &rt);
    let label_owners = owners::owners(program, sop);
    let sizes = (0..sop.label_chars.len()).map(|l| {
        let label = Label(l as u16);
        if let Some(slot) = ellipsis_slot(sop.label_chars[l]) {
            let size = size_ident(label);
            return quote!(let #size = #broadcast.sizes[#slot];);
        }
        let size = size_ident(label);
        let on_axes: Vec<_> = sop.axes.iter().filter(|a| a.0 == label).collect();
        // A label on one axis only is that axis's length: nothing to check.
        if let [&(_, value, axis)] = on_axes.as_slice() {
            let view = view_ident(value);
            return quote!(let #size = #view.len_of(#axis););
        }
        let owner = owner_tokens(label_owners[l], &rt);
        let axis_of = |value: usize, axis: usize| {
            let leaf = sop.leaves[value].as_ref().expect("axes belong to operands");
            let (site, position, c) = (site_ident(leaf.site), leaf.position, leaf.chars[axis]);
            let term = match owners::term_text(program, value, leaf) {
                Some(text) => quote!(::core::option::Option::Some(#text)),
                None => quote!(::core::option::Option::None),
            };
            quote!(#rt::LabelAxis {
                site: &#site, operand: #position, label: #c, axis: #axis,
                term: #term, owner: #owner,
            })
        };
        // The axes as one constant: checks pass its address, and the
        // lengths by value.
        let constant = |axes: Vec<TokenStream>| {
            let (count, name) = (axes.len(), Ident::new("__AXES", Span::mixed_site()));
            quote!({
                const #name: [#rt::LabelAxis; #count] = [#(#axes),*];
                &#name
            })
        };
        // One length per operand: a diagonal (the label on several axes of
        // one operand) must be square, and its length then binds with the
        // other operands' as one axis.
        let (axes, lengths): (Vec<_>, Vec<_>) = axes_by_operand(&on_axes)
            .iter()
            .map(|(value, axes)| {
                let view = view_ident(*value);
                let length = match axes.as_slice() {
                    [axis] => quote!(#view.len_of(#axis)),
                    _ => {
                        let on_diagonal =
                            constant(axes.iter().map(|&a| axis_of(*value, a)).collect());
                        quote!(#rt::diagonal([#(#view.len_of(#axes)),*], #on_diagonal)?)
                    }
                };
                (axis_of(*value, axes[0]), length)
            })
            .unzip();
        if let [length] = lengths.as_slice() {
            return quote!(let #size = #length;);
        }
        // Equal lengths (the common case) are the size; `bind` resolves a
        // broadcast, or names the lengths that disagree. The emitted loops
        // run only when `same` (see `loops::exact_sizes`).
        let on_axes = constant(axes);
        let (same, all) = (same_ident(label), lengths_ident(label));
        quote!(
            let #all = [#(#lengths),*];
            let #same = #rt::all_equal(#all);
            let #size = if #same { #all[0] } else { #rt::bind(#all, #on_axes)? };
        )
    });
    let output_shape: Vec<Ident> = sop.output.iter().map(|&l| size_ident(l)).collect();
    let rank = sop.output.len();
    let output_chars: Vec<char> = sop
        .output
        .iter()
        .map(|l| sop.label_chars[l.0 as usize])
        .collect();
    // With an ellipsis, the result's shape is only known at run time.
    let output_ellipsis = ellipsis_at(&output_chars).map(|at| {
        let before = &output_shape[..at.before];
        let after = &output_shape[output_shape.len() - at.after..];
        let shape = quote!(#broadcast.output_shape(&[#(#before),*], &[#(#after),*]));
        (at.before, at.after, shape)
    });
    let result_site = result_site(program);
    let out = Ident::new("__out", Span::mixed_site());
    let out_view = Ident::new("__out_view", Span::mixed_site());
    let target = Ident::new("__target", Span::mixed_site());
    let finish = if syntax.target.is_some() {
        quote!(())
    } else if rank == 0 {
        quote!(#out.into_scalar())
    } else {
        quote!(#out)
    };
    let (target_binding, target_setup) = match &syntax.target {
        Some(place) => {
            let text = source_text(place);
            // Spanned at the target: a rank or element type error points at it.
            let span = operand_span(place);
            let (target_at, element) = (Ident::new("__target", span), element_ident(span));
            let rt = runtime_at(&rt, span);
            let view = match &output_ellipsis {
                Some((before, after, shape)) => quote_spanned!(span=>
                    let mut #out_view = #rt::ViewMut::<_, #rank>::with_ellipsis(
                        #element, #target_at, &#shape, &#result_site, #text, #before, #after,
                    )?;
                ),
                None => quote_spanned!(span=>
                    let mut #out_view = #rt::ViewMut::<_, #rank>::with_element(
                        #element, #target_at, [#(#output_shape),*], &#result_site, #text,
                    )?;
                ),
            };
            (quote!(let #target = &mut (#place);), view)
        }
        None => (quote!(), quote!()),
    };
    let several = bound_from_several_operands(sop);
    // Each candidate: its allocation checks, the result it creates (without
    // a target) and its steps.
    let bodies: Vec<TokenStream> = candidates
        .candidates
        .iter()
        .map(|candidate| {
            let plan = &candidate.plan;
            let check_sizes =
                check_allocations(program, sop, plan, &output_shape, &output_ellipsis, &rt);
            // A result computed by one overwriting step is created by that step
            // (not with an ellipsis: its rank is only known at run time).
            let mut result_passes = plan.passes.iter().filter(|pass| {
                plan.steps[pass.steps.clone()]
                    .iter()
                    .any(|s| s.destination == Destination::Result)
            });
            let fresh_result = syntax.target.is_none()
                && output_ellipsis.is_none()
                && result_passes
                    .next()
                    .is_some_and(|pass| creates_destination(pass, plan))
                && result_passes.next().is_none();
            let result_setup = if syntax.target.is_some() || fresh_result {
                quote!()
            } else {
                let alloc = allocation(&output_shape, &rt);
                // The result has the operands' element type even when no step
                // writes it (every term cancelled; then `check_allocations`
                // declared the witness).
                let element = element_ident(Span::mixed_site());
                let typed = quote!(#rt::tie_element(#element, &#out););
                match &output_ellipsis {
                    Some((before, after, shape)) => quote!(
                        let mut #out = #rt::zeros_dyn(&#shape);
                        #typed
                        let mut #out_view = #rt::ViewMut::<_, #rank>::whole_with_ellipsis(&mut #out, #before, #after);
                    ),
                    None => quote!(
                        let mut #out = #alloc;
                        #typed
                        let mut #out_view = #rt::ViewMut::<_, #rank>::whole(&mut #out);
                    ),
                }
            };
            let steps = generate_passes(plan, sop, &several, fresh_result, &out, &out_view, &rt);
            quote!(#check_sizes #target_setup #result_setup #steps)
        })
        .collect();
    let run = match bodies.as_slice() {
        [only] => quote!(#only),
        _ => {
            let choice = select::choice(candidates, program.options.record_candidate, &rt);
            let chosen = select::candidate_ident();
            let value = if syntax.target.is_some() {
                quote!()
            } else {
                quote!(#out)
            };
            let last = bodies.len() - 1;
            let arms = bodies[..last]
                .iter()
                .enumerate()
                .map(|(k, body)| quote!(#k => { #body #value }));
            let last_body = &bodies[last];
            let bind = if syntax.target.is_some() {
                quote!()
            } else {
                quote!(let #out =)
            };
            quote!(
                #choice
                #bind match #chosen {
                    #(#arms)*
                    _ => { #last_body #value }
                };
            )
        }
    };
    let error = quote!(#rt::EinsumError);
    let result = Ident::new("__result", Span::mixed_site());
    let body = quote!(
        let #result = (|| -> ::core::result::Result<_, #error> {
            #(#sites)*
            #(#views)*
            #other_views
            #bind_broadcast
            #(#sizes)*
            #run
            ::core::result::Result::Ok(#finish)
        })();
    );
    let tail = match on_error {
        // A `match`, not a function call: a wrong type annotation on the
        // result is then reported against the result's type alone.
        OnError::Panic => quote!(match #result {
            ::core::result::Result::Ok(value) => value,
            ::core::result::Result::Err(error) => #rt::fail(error),
        }),
        OnError::Return => quote!(#result),
    };
    quote!({
        #import_runtime
        #target_binding
        #values
        #elements
        #body
        #tail
    })
}

/// The passes of `plan`, in order: each allocates what it creates and drops
/// the intermediates it read last. `fresh_result`: the step writing the
/// result creates it (`let __out = ..`).
fn generate_passes(
    plan: &Plan,
    sop: &SumOfProducts,
    several: &[bool],
    fresh_result: bool,
    out: &Ident,
    out_view: &Ident,
    rt: &TokenStream,
) -> TokenStream {
    let names = |source: &Source| match source {
        Source::Leaf(value) => {
            let view = view_ident(*value);
            quote!(#view)
        }
        Source::Intermediate(k) => {
            let name = intermediate_ident(*k);
            let rank = plan.intermediates[*k].labels.len();
            quote!(#rt::View::<_, #rank>::whole(&#name))
        }
    };
    let is_slot = |l: Label| ellipsis_slot(sop.label_chars[l.0 as usize]).is_some();
    let bound_from_several = |l: Label| several[l.0 as usize];
    let context = &loops::Context {
        rt,
        out_view,
        names: &names,
        is_slot: &is_slot,
        bound_from_several: &bound_from_several,
    };
    let steps = plan.passes.iter().map(|pass| {
        let step = &plan.steps[pass.steps.start];
        let creates = match step.destination {
            Destination::Intermediate(_) => creates_destination(pass, plan),
            Destination::Result => fresh_result,
        };
        let steps = &plan.steps[pass.steps.clone()];
        if creates {
            let value = match pass.kind {
                PassKind::Sum => generate_sum(steps, plan, context, true),
                PassKind::Single | PassKind::Fused => generate_step(step, plan, context, true),
            };
            let name = match step.destination {
                Destination::Intermediate(id) => intermediate_ident(id),
                Destination::Result => out.clone(),
            };
            let free = drops(plan, pass);
            return quote!(let #name = #value; #(#free)*);
        }
        // Intermediates are allocated by the first step writing them (a
        // materialized sum has several) and dropped after their last reader.
        let allocate = pass
            .steps
            .clone()
            .filter_map(|k| match plan.steps[k].destination {
                Destination::Intermediate(id)
                    if !plan.steps[..k]
                        .iter()
                        .any(|s| s.destination == plan.steps[k].destination) =>
                {
                    let name = intermediate_ident(id);
                    let shape: Vec<Ident> = plan.intermediates[id]
                        .labels
                        .iter()
                        .map(|&l| size_ident(l))
                        .collect();
                    let alloc = allocation(&shape, rt);
                    Some(quote!(let mut #name = #alloc;))
                }
                Destination::Intermediate(_) | Destination::Result => None,
            });
        let call = match pass.kind {
            PassKind::Single => generate_step(step, plan, context, false),
            PassKind::Fused => generate_fused(steps, plan, context),
            PassKind::Sum => generate_sum(steps, plan, context, false),
        };
        let free = drops(plan, pass);
        quote!(#(#allocate)* #call #(#free)*)
    });
    quote!(#(#steps)*)
}

/// `let __valueK = &(value);` for operands and coefficients alike, in source order.
fn bind_values(values: &[syn::Expr]) -> TokenStream {
    let lets = values.iter().enumerate().map(|(k, expr)| {
        let name = value_ident(k);
        quote!(#[allow(unused_variables)] let #name = &(#expr);)
    });
    quote!(#(#lets)*)
}

/// `let __element = element_of(first operand);` and each coefficient
/// checked against that element type, which turns `__valueK` into the
/// coefficient's value. Every operand and the target are checked against it
/// too, where they are viewed. So mixed element types give one error at
/// each value that differs from the first operand, and no other.
///
/// The first operand that is not a number literal gives the type, and number
/// literals used as rank-0 operands take it (`einsum!("i,->i", x, 2.0)`
/// with `f32` arrays).
fn check_elements(
    program: &Program,
    syntax: &Syntax,
    sop: &SumOfProducts,
    rt: &TokenStream,
) -> TokenStream {
    let leaves: Vec<usize> = (0..sop.leaves.len())
        .filter(|&k| sop.leaves[k].is_some())
        .collect();
    let Some(&first) = leaves
        .iter()
        .find(|&&k| !is_number(&syntax.values[k]))
        .or(leaves.first())
    else {
        return quote!();
    };
    // The witness is taken at the first operand (an error about it points
    // there), the bound checked at the macro (see the runtime's `operand`).
    let span = operand_span(&syntax.values[first]);
    let (element, first_at) = (
        element_ident(Span::mixed_site()),
        value_ident_at(first, span),
    );
    let rt_at = runtime_at(rt, span);
    let witness = quote_spanned!(span=> let #element = #rt_at::element_of(#first_at););
    let coefficients = syntax.values.iter().enumerate().filter_map(|(k, expr)| {
        let span = operand_span(expr);
        let (name, value) = (value_ident(k), value_ident_at(k, span));
        let element = element_ident(span);
        let rt = runtime_at(rt, span);
        if sop.leaves[k].is_none() && program.values[k].role == Role::Coefficient {
            Some(quote_spanned!(span=>
                #[allow(unused_variables)]
                let #name = #rt::as_coefficient(#element, #value);
            ))
        } else if is_number(expr) {
            Some(quote_spanned!(span=>
                #[allow(unused_variables)]
                let #name = &#rt::as_element(#element, #value);
            ))
        } else {
            None
        }
    });
    quote!(
        #witness
        #rt::require_element(#element);
        #(#coefficients)*
    )
}

/// Operands that are no leaf of `sop` (a variable used twice is one leaf)
/// are still viewed once each, for their rank and element type checks.
fn check_other_operands(
    program: &Program,
    syntax: &Syntax,
    sop: &SumOfProducts,
    rt: &TokenStream,
) -> TokenStream {
    /// Operands reachable from `node`: (value, site, position, rank).
    fn collect(
        node: &Node,
        program: &Program,
        seen: &mut Vec<usize>,
        out: &mut Vec<(usize, usize, usize, Vec<char>)>,
    ) {
        match node {
            Node::Operand {
                value,
                site,
                position,
                chars: Some(chars),
            } => out.push((*value, *site, *position, chars.clone())),
            Node::Operand { .. } => {}
            Node::Call { args, .. } => args.iter().for_each(|a| collect(a, program, seen, out)),
            Node::Combination(terms) => terms
                .iter()
                .for_each(|t| collect(&t.node, program, seen, out)),
            Node::Binding(b) if !seen.contains(b) => {
                seen.push(*b);
                collect(&program.bindings[*b], program, seen, out);
            }
            Node::Binding(_) => {}
        }
    }
    if sop.leaves.iter().all(Option::is_none) {
        return quote!();
    }
    let mut operands = Vec::new();
    collect(&program.body, program, &mut Vec::new(), &mut operands);
    let checks = operands
        .into_iter()
        .filter(|&(value, ..)| sop.leaves[value].is_none())
        .map(|(value, site, position, chars)| {
            let span = operand_span(&syntax.values[value]);
            let (source, element, site) = (
                value_ident_at(value, span),
                element_ident(span),
                site_ident(site),
            );
            let rank = chars.len();
            let rt = runtime_at(rt, span);
            match ellipsis_at(&chars) {
                Some(at) => {
                    let (before, after) = (at.before, at.after);
                    quote_spanned!(span=>
                        let _ = #rt::View::<_, #rank>::with_ellipsis(#element, #source, &#site, #position, #before, #after)?;
                    )
                }
                None => quote_spanned!(span=>
                    let _ = #rt::View::<_, #rank>::with_element(#element, #source, &#site, #position)?;
                ),
            }
        });
    quote!(#(#checks)*)
}

/// `check_allocation(..)?;` for every array the plan allocates (the
/// result, unless there is a target, and each intermediate a step writes),
/// once the sizes are bound: an array too large to exist is then an error
/// before anything is allocated or written. Without operands (every term
/// cancelled) it declares the element witness, which the result then fixes.
fn check_allocations(
    program: &Program,
    sop: &SumOfProducts,
    plan: &Plan,
    output_shape: &[Ident],
    output_ellipsis: &Option<(usize, usize, TokenStream)>,
    rt: &TokenStream,
) -> TokenStream {
    let labels = |labels: &[Label]| {
        let mut text = String::new();
        for &l in labels {
            let c = sop.label_chars[l.0 as usize];
            if ellipsis_slot(c).is_none() {
                text.push(c);
            } else if !text.ends_with("...") {
                text.push_str("...");
            }
        }
        text
    };
    // A result of rank 0 always fits: nothing to check at run time (unless
    // there are no operands: the check then declares the element witness).
    let no_operands = sop.leaves.iter().all(Option::is_none);
    let element = element_ident(Span::mixed_site());
    let site = result_site(program);
    // Each array of fixed rank checked with its shape by value: inlined, the
    // check keeps the sizes in registers (a shape stored for it was read
    // back by the allocation as one wider load, which stalled: 12 ns on a
    // 3 x 3 product). A result with an ellipsis has its shape in a slice.
    let check = |array: &str, text: String, shape: &[Ident]| quote!(#rt::check_allocation(#element, &#site, #array, #text, [#(#shape),*])?;);
    let result = (program.target.is_none() && (!sop.output.is_empty() || no_operands)).then(|| {
        let text = labels(&sop.output);
        match output_ellipsis {
            Some((_, _, shape)) => quote!(
                #rt::check_allocations(#element, &#site, &[#rt::Allocation {
                    array: "the result", labels: #text, shape: &#shape,
                }])?;
            ),
            None => check("the result", text, output_shape),
        }
    });
    let intermediates = plan.intermediates.iter().enumerate().filter(|&(id, _)| {
        plan.steps
            .iter()
            .any(|s| s.destination == Destination::Intermediate(id))
    });
    let intermediates = intermediates.map(|(id, intermediate)| {
        let shape: Vec<Ident> = intermediate.labels.iter().map(|&l| size_ident(l)).collect();
        check(
            &format!("intermediate #{id}"),
            labels(&intermediate.labels),
            &shape,
        )
    });
    let checks: Vec<TokenStream> = result.into_iter().chain(intermediates).collect();
    if checks.is_empty() {
        return quote!();
    }
    let declare = if sop.leaves.iter().any(Option::is_some) {
        quote!()
    } else {
        quote!(let #element = #rt::ElementWitness::new();)
    };
    quote!(
        #declare
        #(#checks)*
    )
}

/// `let __broadcast = bind_ellipsis(..)?;` when the outermost call has an
/// ellipsis (the only call that may, see `Program::outermost_call`): the sizes of its slots, from the
/// operands written with `...`, broadcast numpy's way. Nothing otherwise.
fn bind_ellipsis(program: &Program, broadcast: &Ident, rt: &TokenStream) -> TokenStream {
    let Some(Node::Call {
        site,
        subscripts,
        args,
    }) = program.outermost_call()
    else {
        return quote!();
    };
    if !subscripts.inputs_have_ellipsis() {
        return quote!();
    }
    let operands = args
        .iter()
        .zip(&subscripts.inputs)
        .filter_map(|(arg, labels)| {
            let at = ellipsis_at(labels)?;
            let Node::Operand {
                value, position, ..
            } = arg
            else {
                return None;
            };
            let (source, before, after) = (value_ident(*value), at.before, at.after);
            Some(quote!(#rt::EllipsisOperand {
                operand: #position,
                shape: #rt::shape_of(#source),
                before: #before,
                after: #after,
            }))
        });
    let site = site_ident(*site);
    let keeps = has_ellipsis(&subscripts.output);
    quote!(
        let #broadcast = #rt::bind_ellipsis::<#ELLIPSIS_SLOTS>(&#site, &[#(#operands),*], #keeps)?;
    )
}

/// The runtime's path `rt` located at `span`, for code whose errors point
/// at a Rust value: an expression starting with a token located elsewhere
/// (at the macro) would be reported at the whole macro.
fn runtime_at(rt: &TokenStream, span: Span) -> TokenStream {
    rt.clone()
        .into_iter()
        .map(|mut token| {
            token.set_span(token.span().located_at(span));
            token
        })
        .collect()
}

/// Where errors about a Rust value (operand, coefficient or target) point:
/// its first token, with the hygiene of the macro's own variables.
fn operand_span(expr: &syn::Expr) -> Span {
    Span::mixed_site().located_at(SpanRange::of(expr).first)
}

/// One step's kernel call: writing into its destination, or, when it
/// `creates` it (see [`creates_destination`]), an expression for a new array.
fn generate_step(
    step: &Step,
    plan: &Plan,
    context: &loops::Context<'_>,
    creates: bool,
) -> TokenStream {
    let (rt, out_view) = (context.rt, context.out_view);
    let space = Ident::new("__space", Span::mixed_site());
    let sizes: Vec<Ident> = step.loops.iter().map(|&l| size_ident(l)).collect();
    let shape: Vec<Ident> = step
        .destination_labels
        .iter()
        .map(|&l| size_ident(l))
        .collect();
    let StepOperands {
        destination,
        destination_axes: axes,
        mut inputs,
        alpha,
        write,
    } = step_operands(step, &step.loops, plan, out_view, &space, rt);
    let call = match step.kernel {
        Kernel::Loops { n_free } if creates => quote!(
            #rt::contract_new([#(#shape),*], [#(#axes),*], &#space, #n_free, [#(#inputs),*], #alpha)
        ),
        Kernel::Loops { n_free } => {
            quote!(#rt::contract(#n_free, #destination, [#(#inputs),*], #alpha, #write);)
        }
        Kernel::Gemm { batch, m, n, k } => {
            let (b, a) = (
                inputs.pop().expect("two inputs"),
                inputs.pop().expect("two inputs"),
            );
            let roles = quote!(#rt::Roles { batch: #batch, m: #m, n: #n, k: #k });
            if creates {
                quote!(#rt::gemm_new([#(#shape),*], [#(#axes),*], &#space, #roles, #a, #b, #alpha))
            } else {
                quote!(#rt::gemm(#roles, #destination, #a, #b, #alpha, #write);)
            }
        }
    };
    let call =
        loops::emitted_step(step, creates, &shape, &space, call.clone(), context).unwrap_or(call);
    pass_block(plan, &space, &sizes, rt, call, creates)
}

/// The code of one pass, `call` in the loop space `space` of `sizes` (bound
/// first), as a block; with several passes, as a
/// closure called at once (`creates`: evaluating to the array the pass
/// creates). A debug build gives every local of a function its own stack
/// slot, so a block per pass in one function would grow the stack with the
/// number of passes (a 149-step sum overflowed 2 MiB); each closure is a
/// function of its own, whose frame is gone once it returns. Optimized
/// builds inline them.
fn pass_block(
    plan: &Plan,
    space: &Ident,
    sizes: &[Ident],
    rt: &TokenStream,
    call: TokenStream,
    creates: bool,
) -> TokenStream {
    let body = quote!(
        let #space = #rt::LoopSpace::new([#(#sizes),*]);
        #call
    );
    match (plan.passes.len() > 1, creates) {
        (false, _) => quote!({ #body }),
        (true, true) => quote!((|| { #body })()),
        (true, false) => quote!((|| { #body })();),
    }
}

/// Whether `pass` (one step, or a sum pass) alone writes its destination,
/// overwriting it from its inputs: then it creates it, without zeroing it
/// first (up to rank 6). A result qualifies only when no other pass writes
/// it (see `generate`).
fn creates_destination(pass: &Pass, plan: &Plan) -> bool {
    let step = &plan.steps[pass.steps.start];
    let other_writers = plan
        .steps
        .iter()
        .enumerate()
        .filter(|&(k, s)| !pass.steps.contains(&k) && s.destination == step.destination)
        .count();
    // A step without inputs (every term cancelled) would leave the element
    // type to the array it writes.
    pass.kind != PassKind::Fused
        && other_writers == 0
        && step.write == Write::Overwrite
        && step.destination_labels.len() <= 6
        && !step.inputs.is_empty()
}

/// `::core::mem::drop` of the intermediates last read in `pass`.
fn drops<'a>(plan: &'a Plan, pass: &'a Pass) -> impl Iterator<Item = TokenStream> + 'a {
    plan.intermediates
        .iter()
        .enumerate()
        .filter(|(_, i)| pass.steps.contains(&i.last_use) && i.uses > 0)
        .map(|(id, _)| {
            let name = intermediate_ident(id);
            quote!(::core::mem::drop(#name);)
        })
}

/// One pass over the array the steps share (their first input), whose axes
/// are the loops.
fn generate_fused(steps: &[Step], plan: &Plan, context: &loops::Context<'_>) -> TokenStream {
    let (rt, out_view) = (context.rt, context.out_view);
    let space = Ident::new("__space", Span::mixed_site());
    let loops = &steps[0].inputs[0].1;
    let sizes: Vec<Ident> = loops.iter().map(|&l| size_ident(l)).collect();
    let members = steps.iter().map(|step| {
        let StepOperands {
            destination,
            inputs,
            alpha,
            write,
            ..
        } = step_operands(step, &step.inputs[0].1, plan, out_view, &space, rt);
        quote!(#rt::FusedStep { out: #destination, inputs: [#(#inputs),*], alpha: #alpha, write: #write })
    });
    let call = quote!(#rt::contract_fused([#(#members),*]););
    let call = loops::emitted_fused(steps, &space, call.clone(), context).unwrap_or(call);
    pass_block(plan, &space, &sizes, rt, call, false)
}

/// One pass over the destination the steps share, each adding one array
/// read in some axis order: the loops are the destination's axes.
/// When it `creates` its destination (see [`creates_destination`]), an
/// expression for a new array.
fn generate_sum(
    steps: &[Step],
    plan: &Plan,
    context: &loops::Context<'_>,
    creates: bool,
) -> TokenStream {
    let (rt, out_view) = (context.rt, context.out_view);
    let space = Ident::new("__space", Span::mixed_site());
    let loops = &steps[0].destination_labels;
    let sizes: Vec<Ident> = loops.iter().map(|&l| size_ident(l)).collect();
    let mut inputs = Vec::new();
    let mut alphas = Vec::new();
    for step in steps {
        let operands = step_operands(step, loops, plan, out_view, &space, rt);
        inputs.extend(operands.inputs);
        alphas.push(operands.alpha);
    }
    let StepOperands {
        destination,
        destination_axes: axes,
        write,
        ..
    } = step_operands(&steps[0], loops, plan, out_view, &space, rt);
    let call = if creates {
        quote!(#rt::combine_new([#(#sizes),*], [#(#axes),*], &#space, [#(#inputs),*], [#(#alphas),*]))
    } else {
        quote!(#rt::combine(#destination, [#(#inputs),*], [#(#alphas),*], #write);)
    };
    let call = loops::emitted_sum(steps, loops, creates, &sizes, &space, call.clone(), context)
        .unwrap_or(call);
    pass_block(plan, &space, &sizes, rt, call, creates)
}

/// A step's operands viewed in the loop space `space` whose loops are `loops`.
struct StepOperands {
    destination: TokenStream,
    /// The loop of each destination axis.
    destination_axes: Vec<usize>,
    inputs: Vec<TokenStream>,
    alpha: TokenStream,
    write: TokenStream,
}

fn step_operands(
    step: &Step,
    loops: &[Label],
    plan: &Plan,
    out_view: &Ident,
    space: &Ident,
    rt: &TokenStream,
) -> StepOperands {
    let position = |l: &Label| {
        loops
            .iter()
            .position(|m| m == l)
            .expect("every label has a loop")
    };
    let inputs = step
        .inputs
        .iter()
        .map(|(source, labels)| {
            let axes: Vec<usize> = labels.iter().map(position).collect();
            match source {
                Source::Leaf(value) => {
                    let view = view_ident(*value);
                    quote!(#view.in_loops(&#space, [#(#axes),*]))
                }
                Source::Intermediate(k) => {
                    let name = intermediate_ident(*k);
                    let rank = plan.intermediates[*k].labels.len();
                    quote!(#rt::View::<_, #rank>::whole(&#name).in_loops(&#space, [#(#axes),*]))
                }
            }
        })
        .collect();
    let destination_axes: Vec<usize> = step.destination_labels.iter().map(position).collect();
    let dest_axes = &destination_axes;
    let destination = match step.destination {
        Destination::Result => quote!(#out_view.in_loops(&#space, [#(#dest_axes),*])),
        Destination::Intermediate(k) => {
            let name = intermediate_ident(k);
            let rank = plan.intermediates[k].labels.len();
            quote!(#rt::ViewMut::<_, #rank>::whole(&mut #name).in_loops(&#space, [#(#dest_axes),*]))
        }
    };
    let write = match step.write {
        Write::Overwrite => quote!(#rt::Write::Overwrite),
        Write::Accumulate => quote!(#rt::Write::Accumulate),
    };
    StepOperands {
        destination,
        destination_axes,
        inputs,
        alpha: coefficient(&step.alpha, rt),
        write,
    }
}

/// The coefficient as an element-typed expression.
pub(crate) fn coefficient(c: &Coefficient, rt: &TokenStream) -> TokenStream {
    if c.is_zero() {
        return quote!(#rt::zero());
    }
    let monomials = c.0.iter().map(|m| {
        let mut factors: Vec<TokenStream> = m
            .values
            .iter()
            .map(|&v| {
                let name = value_ident(v);
                quote!(#name)
            })
            .collect();
        let magnitude = m.count.unsigned_abs() as usize;
        if magnitude != 1 || factors.is_empty() {
            factors.insert(0, quote!(#rt::from_count(#magnitude)));
        }
        let product = factors
            .into_iter()
            .reduce(|a, b| quote!(#rt::mul(#a, #b)))
            .expect("at least one factor");
        if m.count < 0 {
            quote!(#rt::neg(#product))
        } else {
            product
        }
    });
    monomials
        .reduce(|a, b| quote!(#rt::add(#a, #b)))
        .expect("not zero")
}

/// `Some(LabelOwner::..)` for a label's owner, for its occurrences.
fn owner_tokens(owner: Option<Owner>, rt: &TokenStream) -> TokenStream {
    match owner {
        Some(Owner::Call { site, label }) => {
            let site = site_ident(site);
            quote!(::core::option::Option::Some(#rt::LabelOwner::Call { site: &#site, label: #label }))
        }
        Some(Owner::Result { axis }) => {
            quote!(::core::option::Option::Some(#rt::LabelOwner::Result { axis: #axis }))
        }
        None => quote!(::core::option::Option::None),
    }
}

pub(crate) fn allocation(shape: &[Ident], rt: &TokenStream) -> TokenStream {
    if shape.len() <= 6 {
        quote!(#rt::zeros([#(#shape),*]))
    } else {
        quote!(#rt::zeros_dyn(&[#(#shape),*]))
    }
}

/// The site named in errors about the result: the top-level call's.
fn result_site(program: &Program) -> Ident {
    match &program.body {
        Node::Call { site, .. } => site_ident(*site),
        _ => site_ident(0),
    }
}

/// The axes of `on_axes` (`(label, value, axis)`, one label) grouped by the
/// operand value they belong to, in order of first appearance.
fn axes_by_operand(on_axes: &[&(Label, usize, usize)]) -> Vec<(usize, Vec<usize>)> {
    let mut operands: Vec<(usize, Vec<usize>)> = Vec::new();
    for &&(_, value, axis) in on_axes {
        match operands.iter_mut().find(|(v, _)| *v == value) {
            Some((_, axes)) => axes.push(axis),
            None => operands.push((value, vec![axis])),
        }
    }
    operands
}

fn value_ident(k: usize) -> Ident {
    format_ident!("__value{}", k, span = Span::mixed_site())
}

fn value_ident_at(k: usize, span: Span) -> Ident {
    format_ident!("__value{}", k, span = span)
}

fn element_ident(span: Span) -> Ident {
    Ident::new("__element", span)
}

fn view_ident(k: usize) -> Ident {
    format_ident!("__view{}", k, span = Span::mixed_site())
}

/// Whether label `l`, bound from several operands, has one length in all of
/// them (`all_equal` of [`lengths_ident`]).
pub(crate) fn same_ident(l: Label) -> Ident {
    format_ident!("__same{}", l.0, span = Span::mixed_site())
}

/// The lengths of label `l` in the operands it is bound from, one per
/// operand (a diagonal's checked length for one with several axes).
pub(crate) fn lengths_ident(l: Label) -> Ident {
    format_ident!("__lengths{}", l.0, span = Span::mixed_site())
}

/// Which labels are bound from several operands (see [`same_ident`]); the
/// others' size is one axis's length (or an ellipsis slot's).
fn bound_from_several_operands(sop: &SumOfProducts) -> Vec<bool> {
    (0..sop.label_chars.len())
        .map(|l| {
            let on_axes: Vec<_> = sop.axes.iter().filter(|a| a.0 == Label(l as u16)).collect();
            ellipsis_slot(sop.label_chars[l]).is_none() && axes_by_operand(&on_axes).len() > 1
        })
        .collect()
}

pub(crate) fn size_ident(l: Label) -> Ident {
    format_ident!("__size{}", l.0, span = Span::mixed_site())
}

fn site_ident(k: usize) -> Ident {
    format_ident!("__SITE{}", k, span = Span::mixed_site())
}

fn intermediate_ident(k: usize) -> Ident {
    format_ident!("__intermediate{}", k, span = Span::mixed_site())
}
