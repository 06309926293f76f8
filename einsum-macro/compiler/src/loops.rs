//! Emitted loops: a small loop-nest or GEMM step written out as Rust loops
//! in the generated code, which the runtime's kernels would only slow down
//! (ordering loops, packing, a call out of line cost more than a 3 x 3
//! product).
//!
//! The macro knows at compile time which labels are loops, which are summed,
//! which operand each loop indexes and the ranks; the sizes and strides are
//! read at run time. The emitted code loops over the runtime's `upto(n)`,
//! whose indices carry their loop's size, and reads and writes through its
//! `Reader` and `Writer` (`einsum-runtime/src/emitted.rs`), safe accessors
//! whose checks (each index's loop no longer than the accessor's) the
//! optimizer folds or hoists out of the loops, so it has no `unsafe`. Whether a step runs them is decided at run time
//! from its sizes (`runs_emitted`): beyond the thresholds, and for shapes the
//! macro does not emit (fused and sum passes, many loops, an ellipsis), the
//! runtime's kernels run.

use crate::ir::{Coefficient, Label};
use crate::plan::{Destination, Kernel, Source, Step, Write};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

/// Steps with more loops than this are left to the runtime (an ellipsis
/// alone brings 8).
const MAX_LOOPS: usize = 6;

/// Steps with more inputs than this are left to the runtime.
const MAX_INPUTS: usize = 3;

/// What [`emitted_step`] needs of the code around it.
pub(crate) struct Context<'a> {
    /// The runtime's path.
    pub rt: &'a TokenStream,
    /// The step's loop space, already bound.
    pub space: &'a Ident,
    /// The result's view, for a step writing the result.
    pub out_view: &'a Ident,
    /// The step's scalar factor, an element-typed expression.
    pub alpha: TokenStream,
    /// The runtime kernel's call: what runs when the emitted loops do not.
    pub runtime: TokenStream,
}

/// The step as `if runs_emitted(..) { loops } else { runtime kernel }`, or
/// `None` when the macro emits no loops for it. When it `creates` its
/// destination, an expression for the new array (the emitted loops write a
/// zeroed one, `shape` its sizes); otherwise a statement.
pub(crate) fn emitted_step(
    step: &Step,
    creates: bool,
    shape: &[Ident],
    names: &dyn Fn(&Source) -> TokenStream,
    context: Context<'_>,
) -> Option<TokenStream> {
    let Context {
        rt,
        space,
        out_view,
        alpha,
        runtime,
    } = context;
    let loops = &step.loops;
    if loops.len() > MAX_LOOPS || step.inputs.is_empty() || step.inputs.len() > MAX_INPUTS {
        return None;
    }
    let (free, limit, batch) = match step.kernel {
        Kernel::Loops { n_free } => (n_free, quote!(#rt::EMITTED_LOOP_WORK), 0),
        Kernel::Gemm { batch, m, n, .. } => (batch + m + n, quote!(#rt::EMITTED_GEMM_WORK), batch),
    };
    let position = |l: &Label| loops.iter().position(|m| m == l);
    let index: Vec<Ident> = (0..loops.len())
        .map(|l| format_ident!("__i{}", l, span = Span::mixed_site()))
        .collect();
    let sizes = Ident::new("__n", Span::mixed_site());
    // The inputs, each read at the index of every loop.
    let mut readers = Vec::new();
    let mut reads: Vec<TokenStream> = Vec::new();
    for (k, (source, labels)) in step.inputs.iter().enumerate() {
        let axes: Vec<usize> = labels.iter().map(&position).collect::<Option<_>>()?;
        let reader = format_ident!("__r{}", k, span = Span::mixed_site());
        let view = names(source);
        readers.push(quote!(let #reader = #view.in_loops(&#space, [#(#axes),*]).reader();));
        reads.push(quote!(#rt::read(&#reader, [#(#index),*])));
    }
    let last = reads.pop().expect("at least one input");
    // All but the last factor: `add_product(acc, rest, last)` sums them.
    let rest = reads
        .into_iter()
        .reduce(|a, b| quote!(#rt::product(#a, #b)));
    let product = match &rest {
        Some(rest) => quote!(#rt::product(#rest, #last)),
        None => last.clone(),
    };
    let destination_axes: Vec<usize> = step
        .destination_labels
        .iter()
        .map(position)
        .collect::<Option<_>>()?;
    if destination_axes.iter().any(|&a| a >= free) {
        return None;
    }
    let (view, bind_view) = match (creates, step.destination) {
        (true, _) | (false, Destination::Intermediate(_)) => {
            let array = match (creates, step.destination) {
                (true, _) => Ident::new("__fresh", Span::mixed_site()),
                (false, Destination::Intermediate(id)) => {
                    format_ident!("__intermediate{}", id, span = Span::mixed_site())
                }
                (false, Destination::Result) => unreachable!("matched above"),
            };
            let rank = step.destination_labels.len();
            let view = Ident::new("__destination", Span::mixed_site());
            let bind = quote!(let mut #view = #rt::ViewMut::<_, #rank>::whole(&mut #array););
            (view, bind)
        }
        (false, Destination::Result) => (out_view.clone(), quote!()),
    };
    let writer = Ident::new("__w", Span::mixed_site());
    let bind_writer = quote!(
        let mut #writer = #view.in_loops(&#space, [#(#destination_axes),*]).writer::<#free>();
    );
    let unit = is_one(&step.alpha);
    let alpha_ident = Ident::new("__alpha", Span::mixed_site());
    let scaled = |value: TokenStream| {
        if unit {
            value
        } else {
            quote!(#rt::product(#alpha_ident, #value))
        }
    };
    let bind_alpha = if unit {
        quote!()
    } else {
        quote!(let #alpha_ident = #alpha;)
    };
    let store = |value: TokenStream| {
        let free_index = &index[..free];
        match step.write {
            // A step creating its destination overwrites it.
            _ if creates => quote!(#rt::write(&mut #writer, [#(#free_index),*], #value);),
            Write::Overwrite => quote!(#rt::write(&mut #writer, [#(#free_index),*], #value);),
            Write::Accumulate => {
                quote!(#rt::accumulate(&mut #writer, [#(#free_index),*], #value);)
            }
        }
    };
    // A result (not an intermediate, which later steps view as an array) of
    // rank 0 created by the step is kept as a scalar, never
    // allocated: the value of the emitted loops, or the runtime's array's
    // one element (`Scalar`, whose `into_scalar` the block ends with).
    let scalar =
        creates && step.destination == Destination::Result && step.destination_labels.is_empty();
    let (store, bind_writer): (&dyn Fn(TokenStream) -> TokenStream, TokenStream) = if scalar {
        (&|value| quote!(#rt::Scalar(#value)), quote!())
    } else {
        (&store, bind_writer)
    };
    let body = if free < loops.len() {
        let acc = Ident::new("__acc", Span::mixed_site());
        let summed = nest(
            rt,
            &index[free..],
            free,
            &sizes,
            match &rest {
                Some(rest) => quote!(#acc = #rt::add_product(#acc, #rest, #last);),
                None => quote!(#acc = #rt::sum(#acc, #last);),
            },
        );
        let store = store(scaled(quote!(#acc)));
        quote!(
            let mut #acc = #rt::zero();
            #summed
            #store
        )
    } else {
        store(scaled(product))
    };
    let loops_code = nest(rt, &index[..free], 0, &sizes, body);
    let bind_sizes = if loops.is_empty() {
        quote!()
    } else {
        quote!(let #sizes = #space.sizes();)
    };
    let emitted = quote!(
        #bind_alpha
        #(#readers)*
        #bind_writer
        #bind_sizes
        #loops_code
    );
    let condition = quote!(#rt::runs_emitted(&#space.sizes(), #limit));
    // Tiny products over many batches: the limit is per product.
    let condition = if batch > 0 {
        let per_batch =
            quote!(#rt::runs_emitted(&#space.sizes()[#batch..], #rt::EMITTED_BATCH_WORK));
        quote!(#condition || #per_batch)
    } else {
        condition
    };
    Some(if scalar {
        quote!({
            if #condition {
                #emitted
            } else {
                #rt::Scalar::of(#runtime)
            }
        })
    } else if creates {
        let fresh = Ident::new("__fresh", Span::mixed_site());
        let zeros = if shape.len() <= 6 {
            quote!(#rt::zeros([#(#shape),*]))
        } else {
            quote!(#rt::zeros_dyn(&[#(#shape),*]))
        };
        quote!({
            if #condition {
                let mut #fresh = #zeros;
                {
                    #bind_view
                    #emitted
                }
                #fresh
            } else {
                #runtime
            }
        })
    } else {
        quote!({
            if #condition {
                #bind_view
                #emitted
            } else {
                #runtime
            }
        })
    })
}

/// `for` loops over `index` (loops `first..` of the step), outermost first,
/// around `body`; each index is a `LoopIndex`, which carries its loop's size
/// to the accessors' checks.
fn nest(
    rt: &TokenStream,
    index: &[Ident],
    first: usize,
    sizes: &Ident,
    body: TokenStream,
) -> TokenStream {
    index.iter().enumerate().rev().fold(body, |body, (k, i)| {
        let l = first + k;
        quote!(for #i in #rt::upto(#sizes[#l]) { #body })
    })
}

/// Whether the coefficient is exactly 1: then no multiplication is emitted.
fn is_one(c: &Coefficient) -> bool {
    matches!(c.0.as_slice(), [m] if m.count == 1 && m.values.is_empty())
}
