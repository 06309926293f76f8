//! Code generation: the plan becomes a Rust block that binds every size up
//! front, then calls one runtime kernel per step.
//!
//! The block only reaches the runtime through `::lazy_einsum::__private` and
//! contains no `unsafe`: the runtime's safe functions check what they need.

use crate::ir::{Coefficient, Label, SumOfProducts};
use crate::parse::source_text;
use crate::plan::{Destination, Kernel, Plan, Source, Step, Write};
use crate::validate::{Checked, Node};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

/// What the generated block does with a runtime error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// `einsum!`: panic with the error's message.
    Panic,
    /// `try_einsum!`: evaluate to the `Result`.
    Return,
}

/// The Rust block computing `plan`.
pub fn generate(
    checked: &Checked,
    sop: &SumOfProducts,
    plan: &Plan,
    on_error: OnError,
) -> TokenStream {
    let rt = quote!(::lazy_einsum::__private);
    let values = bind_values(checked, sop);
    let sites = checked.sites.iter().enumerate().map(|(k, site)| {
        let name = site_ident(k);
        let subscripts = &site.subscripts;
        let operands = &site.operands;
        quote!(const #name: #rt::Site = #rt::Site { subscripts: #subscripts, operands: &[#(#operands),*] };)
    });
    let views = sop.leaves.iter().enumerate().filter_map(|(value, leaf)| {
        let leaf = leaf.as_ref()?;
        let (view, source) = (view_ident(value), value_ident(value));
        let (rank, site, position) = (leaf.chars.len(), site_ident(leaf.site), leaf.position);
        Some(quote!(let #view = #rt::View::<_, #rank>::new(#source, &#site, #position)?;))
    });
    let sizes = (0..sop.label_chars.len()).map(|l| {
        let label = Label(l as u16);
        let occurrences = sop.axes.iter().filter(|a| a.0 == label).map(|&(_, value, axis)| {
            let leaf = sop.leaves[value].as_ref().expect("axes belong to operands");
            let (site, position, c, view) =
                (site_ident(leaf.site), leaf.position, leaf.chars[axis], view_ident(value));
            quote!(#rt::Occurrence { site: &#site, operand: #position, label: #c, size: #view.len_of(#axis) })
        });
        let size = size_ident(label);
        quote!(let #size = #rt::bind(&[#(#occurrences),*])?;)
    });
    let output_shape: Vec<Ident> = sop.output.iter().map(|&l| size_ident(l)).collect();
    let rank = sop.output.len();
    let result_site = result_site(checked);
    let out = Ident::new("__out", Span::mixed_site());
    let out_view = Ident::new("__out_view", Span::mixed_site());
    let target = Ident::new("__target", Span::mixed_site());
    let (target_binding, result_setup, finish) = match &checked.target {
        Some(t) => {
            let place = &t.place;
            let text = source_text(place);
            (
                quote!(let #target = &mut (#place);),
                quote!(let mut #out_view = #rt::ViewMut::<_, #rank>::new(#target, [#(#output_shape),*], &#result_site, #text)?;),
                quote!(()),
            )
        }
        None => {
            let alloc = allocation(&output_shape, &rt);
            let finish = if rank == 0 {
                quote!(#out.into_scalar())
            } else {
                quote!(#out)
            };
            (
                quote!(),
                quote!(
                    let mut #out = #alloc;
                    let mut #out_view = #rt::ViewMut::<_, #rank>::whole(&mut #out);
                ),
                finish,
            )
        }
    };
    let steps = plan.steps.iter().enumerate().map(|(k, step)| {
        let allocate = match step.destination {
            Destination::Intermediate(id) => {
                let name = intermediate_ident(id);
                let shape: Vec<Ident> = plan.intermediates[id]
                    .labels
                    .iter()
                    .map(|&l| size_ident(l))
                    .collect();
                let alloc = allocation(&shape, &rt);
                quote!(let mut #name = #alloc;)
            }
            Destination::Result => quote!(),
        };
        let call = generate_step(step, plan, &out_view, &rt);
        let free = plan
            .intermediates
            .iter()
            .enumerate()
            .filter(|(_, i)| i.last_use == k)
            .map(|(id, _)| {
                let name = intermediate_ident(id);
                quote!(::core::mem::drop(#name);)
            });
        quote!(#allocate #call #(#free)*)
    });
    let error = quote!(#rt::EinsumError);
    let result = Ident::new("__result", Span::mixed_site());
    let body = quote!(
        let #result = (|| -> ::core::result::Result<_, #error> {
            #(#sites)*
            #(#views)*
            #(#sizes)*
            #result_setup
            #(#steps)*
            ::core::result::Result::Ok(#finish)
        })();
    );
    let tail = match on_error {
        OnError::Panic => quote!(#rt::unwrap_or_panic(#result)),
        OnError::Return => quote!(#result),
    };
    quote!({
        #target_binding
        #values
        #body
        #tail
    })
}

/// `let __valueK = &(operand);` or `let __valueK = (coefficient);`, in source order.
fn bind_values(checked: &Checked, sop: &SumOfProducts) -> TokenStream {
    let lets = checked.values.iter().enumerate().map(|(k, expr)| {
        let name = value_ident(k);
        if sop.leaves[k].is_some() || !is_coefficient(checked, k) {
            quote!(#[allow(unused_variables)] let #name = &(#expr);)
        } else {
            quote!(#[allow(unused_variables)] let #name = (#expr);)
        }
    });
    quote!(#(#lets)*)
}

/// Whether value `k` is used as a coefficient (and not as an operand).
fn is_coefficient(checked: &Checked, k: usize) -> bool {
    fn in_node(node: &Node, k: usize) -> bool {
        match node {
            Node::Call { args, .. } => args.iter().any(|a| in_node(a, k)),
            Node::Combination(terms) => terms
                .iter()
                .any(|t| t.coefficients.contains(&k) || in_node(&t.node, k)),
            Node::Binding(_) | Node::Operand { .. } => false,
        }
    }
    std::iter::once(&checked.body)
        .chain(&checked.bindings)
        .any(|n| in_node(n, k))
}

fn generate_step(step: &Step, plan: &Plan, out_view: &Ident, rt: &TokenStream) -> TokenStream {
    let loops = &step.loops;
    let position = |l: &Label| {
        loops
            .iter()
            .position(|m| m == l)
            .expect("every label has a loop")
    };
    let space = Ident::new("__space", Span::mixed_site());
    let sizes: Vec<Ident> = loops.iter().map(|&l| size_ident(l)).collect();
    let inputs = step.inputs.iter().map(|(source, labels)| {
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
    });
    let dest_axes: Vec<usize> = step.destination_labels.iter().map(position).collect();
    let destination = match step.destination {
        Destination::Result => quote!(#out_view.in_loops(&#space, [#(#dest_axes),*])),
        Destination::Intermediate(k) => {
            let name = intermediate_ident(k);
            let rank = plan.intermediates[k].labels.len();
            quote!(#rt::ViewMut::<_, #rank>::whole(&mut #name).in_loops(&#space, [#(#dest_axes),*]))
        }
    };
    let alpha = coefficient(&step.alpha, rt);
    let write = match step.write {
        Write::Overwrite => quote!(#rt::Write::Overwrite),
        Write::Accumulate => quote!(#rt::Write::Accumulate),
    };
    let call = match step.kernel {
        Kernel::Loops { n_free } => {
            quote!(#rt::contract(#n_free, #destination, [#(#inputs),*], #alpha, #write))
        }
        Kernel::Gemm { batch, m, n, k } => {
            let mut inputs = inputs;
            let (a, b) = (
                inputs.next().expect("two inputs"),
                inputs.next().expect("two inputs"),
            );
            quote!(#rt::gemm(#rt::Roles { batch: #batch, m: #m, n: #n, k: #k }, #destination, #a, #b, #alpha, #write))
        }
    };
    quote!({
        let #space = #rt::LoopSpace::new([#(#sizes),*]);
        #call;
    })
}

/// The coefficient as an element-typed expression.
fn coefficient(c: &Coefficient, rt: &TokenStream) -> TokenStream {
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

fn allocation(shape: &[Ident], rt: &TokenStream) -> TokenStream {
    if shape.len() <= 6 {
        quote!(#rt::zeros([#(#shape),*]))
    } else {
        quote!(#rt::zeros_dyn(&[#(#shape),*]))
    }
}

/// The site named in errors about the result: the top-level call's.
fn result_site(checked: &Checked) -> Ident {
    match &checked.body {
        Node::Call { site, .. } => site_ident(*site),
        _ => site_ident(0),
    }
}

fn value_ident(k: usize) -> Ident {
    format_ident!("__value{}", k, span = Span::mixed_site())
}

fn view_ident(k: usize) -> Ident {
    format_ident!("__view{}", k, span = Span::mixed_site())
}

fn size_ident(l: Label) -> Ident {
    format_ident!("__size{}", l.0, span = Span::mixed_site())
}

fn site_ident(k: usize) -> Ident {
    format_ident!("__SITE{}", k, span = Span::mixed_site())
}

fn intermediate_ident(k: usize) -> Ident {
    format_ident!("__intermediate{}", k, span = Span::mixed_site())
}
