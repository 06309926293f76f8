//! Emitted loops: small steps written out as Rust loops in the generated
//! code, which the runtime's kernels would only slow down (ordering loops,
//! packing, a call out of line cost more than a 3 x 3 product).
//!
//! The macro knows at compile time which labels are loops, which are summed,
//! which operand each loop indexes and the ranks; the sizes and strides are
//! read at run time. The emitted code loops over the runtime's `upto(n)`,
//! whose indices carry their loop's size, and reads and writes through its
//! `Reader` and `Writer` (`einsum-runtime/src/emitted.rs`), safe accessors
//! whose checks (each index's loop no longer than the accessor's) the
//! optimizer folds or hoists out of the loops, so it has no `unsafe`.
//!
//! Three fronts wrap the loops as `if runs_emitted(..) { loops } else {
//! runtime kernel }`, the choice made at run time from the sizes:
//! - [`emitted_step`], a single loop-nest or GEMM-shaped step, its loops
//!   written by [`step_loops`] (one step's loops in a given loop space);
//! - [`emitted_fused`], a fused pass (`contract_fused`): each of its steps as
//!   a loop nest of its own ([`step_loops`]), one after another, when the
//!   pass is small;
//! - [`emitted_sum`], a sum pass (`combine`): one loop nest over the
//!   destination adding every array (`out = / += alpha1 x1 + alpha2 x2 ..`),
//!   when the pass is small.
//!
//! A step emits loops when it has 1 to [`MAX_INPUTS`] inputs and at most
//! [`MAX_LOOPS`] loops besides the hidden ones of an ellipsis (up to
//! `ELLIPSIS_SLOTS` more; those it does not cover are loops of size 1 at run
//! time, which cost one more loop header each, and the product of the sizes
//! decides as for any step). Otherwise, and beyond the thresholds, the
//! runtime's kernels run.

use crate::codegen::{allocation, coefficient, lengths_ident, same_ident, size_ident};
use crate::ir::{Coefficient, Label};
use crate::plan::{Destination, Kernel, Source, Step, Write};
use crate::subscripts::ELLIPSIS_SLOTS;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

/// Steps with more loops than this (not counting an ellipsis's) are left to
/// the runtime.
const MAX_LOOPS: usize = 6;

/// Steps with more inputs than this are left to the runtime.
const MAX_INPUTS: usize = 3;

/// What the emitted loops need of the code around them.
pub(crate) struct Context<'a> {
    /// The runtime's path.
    pub rt: &'a TokenStream,
    /// The result's view, for a step writing the result.
    pub out_view: &'a Ident,
    /// A step input's view (`View`), by its source.
    pub names: &'a dyn Fn(&Source) -> TokenStream,
    /// Whether a label is one of an ellipsis's hidden labels.
    pub is_slot: &'a dyn Fn(Label) -> bool,
    /// Whether a label is bound from several operands (its size has a
    /// `same` flag and its `lengths`; see `codegen::same_ident`).
    pub bound_from_several: &'a dyn Fn(Label) -> bool,
}

/// How the emitted loops store each destination element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Store {
    /// `out[..] = value`.
    Set,
    /// `out[..] += value`.
    Add,
    /// No destination: the loops evaluate to `Scalar(value)` (a rank-0
    /// result the step creates).
    Scalar,
}

impl Store {
    fn of(write: Write) -> Self {
        match write {
            Write::Overwrite => Store::Set,
            Write::Accumulate => Store::Add,
        }
    }
}

/// A bound loop space: its name, its loops in order, and how many of them,
/// first, index the destination.
struct Space<'a> {
    ident: &'a Ident,
    loops: &'a [Label],
    free: usize,
}

/// Whether the macro emits loops for `step` at all (decided at compile time;
/// the sizes decide at run time).
fn emits(step: &Step, context: &Context<'_>) -> bool {
    let slots = step.loops.iter().filter(|&&l| (context.is_slot)(l)).count();
    !step.inputs.is_empty()
        && step.inputs.len() <= MAX_INPUTS
        && step.loops.len() - slots <= MAX_LOOPS
        && slots <= ELLIPSIS_SLOTS
}

/// The single step as `if runs_emitted(..) { loops } else { runtime kernel }`
/// over the bound loop space `space` (the step's loops), or `None` when the
/// macro emits no loops for it. When it `creates` its destination, an
/// expression for the new array (the emitted loops write a zeroed one,
/// `shape` its sizes); otherwise a statement.
pub(crate) fn emitted_step(
    step: &Step,
    creates: bool,
    shape: &[Ident],
    space: &Ident,
    runtime: TokenStream,
    context: &Context<'_>,
) -> Option<TokenStream> {
    let rt = context.rt;
    if !emits(step, context) {
        return None;
    }
    let (free, limit, batch) = match step.kernel {
        Kernel::Loops { n_free } => (n_free, quote!(#rt::EMITTED_LOOP_WORK), 0),
        Kernel::Gemm { batch, m, n, .. } => (batch + m + n, quote!(#rt::EMITTED_GEMM_WORK), batch),
    };
    // A result (not an intermediate, which later steps view as an array) of
    // rank 0 created by the step is kept as a scalar, never
    // allocated: the value of the emitted loops, or the runtime's array's
    // one element (`Scalar`, whose `into_scalar` the block ends with).
    let scalar =
        creates && step.destination == Destination::Result && step.destination_labels.is_empty();
    let store = match () {
        _ if scalar => Store::Scalar,
        // A step creating its destination overwrites it.
        _ if creates => Store::Set,
        _ => Store::of(step.write),
    };
    let (view, bind_view) = destination(step, creates, context);
    let space = Space {
        ident: space,
        loops: &step.loops,
        free,
    };
    let emitted = step_loops(step, &space, store, &view, context)?;
    let space = space.ident;
    let runtime = with_own_space(space, runtime);
    let condition = quote!(#rt::runs_emitted(&#space.sizes(), #limit));
    // Tiny products over many batches: the limit is per product.
    let condition = if batch > 0 {
        let per_batch =
            quote!(#rt::runs_emitted(&#space.sizes()[#batch..], #rt::EMITTED_BATCH_WORK));
        quote!(#condition || #per_batch)
    } else {
        condition
    };
    let (condition, exact) = exact_sizes(&step.loops, space, condition, context);
    Some(if scalar {
        quote!({
            if #condition {
                #exact
                #emitted
            } else {
                #rt::Scalar::of(#runtime)
            }
        })
    } else {
        wrap(
            creates,
            shape,
            (condition, exact),
            quote!(#bind_view #emitted),
            runtime,
            rt,
        )
    })
}

/// The condition `condition` for the emitted loops over a loop space
/// `space` of `loops`, narrowed to labels bound with one length in all
/// their operands (`rt::uniform`), and the statements that open the
/// emitted branch: each such label's size rebound to its first operand's
/// length and `space` rebuilt from them.
///
/// Inside the branch the optimizer then knows each operand's length to be
/// the loop's size, so the accessors' checks and stride selection fold
/// away (with the size `bind` chose, a broadcast it might have resolved,
/// they stayed: a quarter of a 3-vector dot product). A broadcast runs
/// the runtime's kernels. Under `force_path(Some(true))` a broadcast takes
/// the emitted loops anyway: the rebound size is then `bind`'s.
fn exact_sizes(
    loops: &[Label],
    space: &Ident,
    condition: TokenStream,
    context: &Context<'_>,
) -> (TokenStream, TokenStream) {
    let rt = context.rt;
    let several: Vec<Label> = loops
        .iter()
        .copied()
        .filter(|&l| (context.bound_from_several)(l))
        .collect();
    if several.is_empty() {
        return (condition, quote!());
    }
    let same: Vec<Ident> = several.iter().map(|&l| same_ident(l)).collect();
    let rebind = several.iter().map(|&l| {
        let (size, same, lengths) = (size_ident(l), same_ident(l), lengths_ident(l));
        quote!(let #size = if #same { #lengths[0] } else { #size };)
    });
    let sizes = loops.iter().map(|&l| size_ident(l));
    (
        quote!(#rt::uniform([#(#same),*]) && (#condition)),
        quote!(
            #(#rebind)*
            let #space = #rt::LoopSpace::new([#(#sizes),*]);
        ),
    )
}

/// A fused pass (see `fuse.rs`) as `if runs_emitted(..) { each step's
/// loops } else { contract_fused(..) }`, or `None` when the macro emits no
/// loops for one of its steps. `space` is the pass's bound loop space, the
/// shared array's axes (as the first step labels them); every step's loops
/// are the axes of that same array (its first input), in its own labels and
/// order, so every step has the same work, the product of the space's
/// sizes, and the pass is small when every step is (`EMITTED_LOOP_WORK`).
///
/// The steps run one after another, each in a loop space of its own loops
/// (free ones first, as the writer wants): that is the same as running them
/// interleaved, because no step of a fused pass reads what another writes
/// or writes where another does (`fuse::group` only joins steps that do not
/// `conflict`, directly or through other groups).
pub(crate) fn emitted_fused(
    steps: &[Step],
    space: &Ident,
    runtime: TokenStream,
    context: &Context<'_>,
) -> Option<TokenStream> {
    let rt = context.rt;
    let step_space = Ident::new("__step_space", Span::mixed_site());
    let parts = steps
        .iter()
        .map(|step| {
            let Kernel::Loops { n_free } = step.kernel else {
                return None;
            };
            let shared = &step.inputs.first()?.1;
            let same_loops =
                step.loops.len() == shared.len() && step.loops.iter().all(|l| shared.contains(l));
            if !same_loops || !emits(step, context) {
                return None;
            }
            let (view, bind_view) = destination(step, false, context);
            let space = Space {
                ident: &step_space,
                loops: &step.loops,
                free: n_free,
            };
            let code = step_loops(step, &space, Store::of(step.write), &view, context)?;
            let sizes = step.loops.iter().map(|&l| size_ident(l));
            Some(quote!({
                let #step_space = #rt::LoopSpace::new([#(#sizes),*]);
                #bind_view
                #code
            }))
        })
        .collect::<Option<Vec<_>>>()?;
    let runtime = with_own_space(space, runtime);
    let condition = quote!(#rt::runs_emitted(&#space.sizes(), #rt::EMITTED_LOOP_WORK));
    let (condition, exact) =
        exact_sizes(&steps.first()?.inputs.first()?.1, space, condition, context);
    Some(quote!(
        if #condition {
            #exact
            #(#parts)*
        } else {
            #runtime
        }
    ))
}

/// The runtime kernel `runtime`, borrowing a copy of the loop space `space`
/// of its own: the space the emitted loops read then need not be stored in
/// memory on their path (a 3-vector dot product stored it on every call).
fn with_own_space(space: &Ident, runtime: TokenStream) -> TokenStream {
    quote!({
        let #space = #space;
        #runtime
    })
}

/// A sum pass (see `fuse.rs`: each step adds one array, read in some axis
/// order, into the destination they share) as `if runs_emitted(..) { loops
/// } else { combine(..) }`, or `None` when the macro emits no loops for it.
/// `space` is the pass's bound loop space, over `loops` (the destination's
/// labels, all free). One loop nest over the destination writes each
/// element once, `out = / += alpha1 x1[..] + alpha2 x2[..] + ..` (the first
/// step overwrites or adds, the others add, as `combine` does), which is
/// one walk and one writer instead of one per array. When it `creates` its
/// destination, an expression for the new array (`shape` its sizes).
pub(crate) fn emitted_sum(
    steps: &[Step],
    loops: &[Label],
    creates: bool,
    shape: &[Ident],
    space: &Ident,
    runtime: TokenStream,
    context: &Context<'_>,
) -> Option<TokenStream> {
    let rt = context.rt;
    let first = steps.first()?;
    let later_add = steps[1..]
        .iter()
        .all(|s| s.write == Write::Accumulate && s.destination == first.destination);
    if !later_add
        || !steps
            .iter()
            .all(|s| emits(s, context) && s.inputs.len() == 1)
    {
        return None;
    }
    let position = |l: &Label| loops.iter().position(|m| m == l);
    let LoopNames {
        index,
        sizes,
        bind_sizes,
    } = loop_names(loops.len(), space);
    let mut bindings = Vec::new();
    let mut terms = Vec::new();
    for (k, step) in steps.iter().enumerate() {
        let (source, labels) = &step.inputs[0];
        let axes: Vec<usize> = labels.iter().map(&position).collect::<Option<_>>()?;
        let reader = format_ident!("__r{}", k, span = Span::mixed_site());
        let input = (context.names)(source);
        let (bind, read) = accessor(rt, &reader, &input, space, &axes, &index, Access::Read);
        bindings.push(bind);
        terms.push(if is_one(&step.alpha) {
            read
        } else {
            let alpha = format_ident!("__alpha{}", k, span = Span::mixed_site());
            let value = coefficient(&step.alpha, rt);
            bindings.push(quote!(let #alpha = #value;));
            quote!(#rt::product(#alpha, #read))
        });
    }
    let value = terms.into_iter().reduce(|a, b| quote!(#rt::sum(#a, #b)))?;
    let destination_axes: Vec<usize> = first
        .destination_labels
        .iter()
        .map(position)
        .collect::<Option<_>>()?;
    let (view, bind_view) = destination(first, creates, context);
    let writer = Ident::new("__w", Span::mixed_site());
    // Every loop is an axis of the destination, each element written once.
    if (0..loops.len()).any(|l| !destination_axes.contains(&l)) {
        return None;
    }
    let store = match (creates, first.write) {
        (true, _) | (false, Write::Overwrite) => quote!(#rt::write),
        (false, Write::Accumulate) => quote!(#rt::accumulate),
    };
    let (bind_writer, at) = accessor(
        rt,
        &writer,
        &quote!(#view),
        space,
        &destination_axes,
        &index,
        Access::Write,
    );
    let body = quote!(#store(&mut #writer, #at, #value););
    let nest = nest(rt, &index, 0, &sizes, body);
    let emitted = quote!(
        #bind_view
        #(#bindings)*
        #bind_writer
        #bind_sizes
        #nest
    );
    let condition = quote!(#rt::runs_emitted(&#space.sizes(), #rt::EMITTED_SUM_WORK));
    let condition = exact_sizes(loops, space, condition, context);
    let runtime = with_own_space(space, runtime);
    Some(wrap(creates, shape, condition, emitted, runtime, rt))
}

/// `if condition { exact emitted } else { runtime }` (`(condition, exact)`
/// from [`exact_sizes`]); when the code `creates` its destination, an
/// expression for it, which `emitted` writes into a zeroed array of
/// `shape` (`__fresh`).
fn wrap(
    creates: bool,
    shape: &[Ident],
    (condition, exact): (TokenStream, TokenStream),
    emitted: TokenStream,
    runtime: TokenStream,
    rt: &TokenStream,
) -> TokenStream {
    if creates {
        let fresh = fresh_ident();
        let zeros = allocation(shape, rt);
        quote!({
            if #condition {
                #exact
                let mut #fresh = #zeros;
                {
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
                #exact
                #emitted
            } else {
                #runtime
            }
        })
    }
}

fn fresh_ident() -> Ident {
    Ident::new("__fresh", Span::mixed_site())
}

/// The mutable view the emitted loops write through, and its binding: the
/// result's view, or a view of the intermediate (or of the new array
/// `__fresh` when the code `creates` its destination).
fn destination(step: &Step, creates: bool, context: &Context<'_>) -> (Ident, TokenStream) {
    let rt = context.rt;
    let array = match (creates, step.destination) {
        (true, _) => fresh_ident(),
        (false, Destination::Intermediate(id)) => {
            format_ident!("__intermediate{}", id, span = Span::mixed_site())
        }
        (false, Destination::Result) => return (context.out_view.clone(), quote!()),
    };
    let rank = step.destination_labels.len();
    let view = Ident::new("__destination", Span::mixed_site());
    let bind = quote!(let mut #view = #rt::ViewMut::<_, #rank>::whole(&mut #array););
    (view, bind)
}

/// The statements of one step's emitted loops in `space`: the free loops
/// outermost in order, then the summed loops around one accumulator, the
/// destination (the mutable view `view`) written once per element through
/// `store`. `None` when the destination has an axis on a summed loop, or an
/// input or the destination a label that is not a loop.
fn step_loops(
    step: &Step,
    space: &Space<'_>,
    store: Store,
    view: &Ident,
    context: &Context<'_>,
) -> Option<TokenStream> {
    let rt = context.rt;
    let Space {
        ident: space,
        loops,
        free,
    } = *space;
    let position = |l: &Label| loops.iter().position(|m| m == l);
    let LoopNames {
        index,
        sizes,
        bind_sizes,
    } = loop_names(loops.len(), space);
    // The inputs, each read at the index of every loop.
    let mut readers = Vec::new();
    let mut reads: Vec<TokenStream> = Vec::new();
    for (k, (source, labels)) in step.inputs.iter().enumerate() {
        let axes: Vec<usize> = labels.iter().map(&position).collect::<Option<_>>()?;
        let reader = format_ident!("__r{}", k, span = Span::mixed_site());
        let input = (context.names)(source);
        let (bind, read) = accessor(rt, &reader, &input, space, &axes, &index, Access::Read);
        readers.push(bind);
        reads.push(read);
    }
    let last = reads.pop()?;
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
    let writer = Ident::new("__w", Span::mixed_site());
    let (bind_writer, at) = match store {
        Store::Scalar => (quote!(), quote!()),
        Store::Set | Store::Add => accessor(
            rt,
            &writer,
            &quote!(#view),
            space,
            &destination_axes,
            &index,
            Access::Write,
        ),
    };
    let unit = is_one(&step.alpha);
    let alpha = Ident::new("__alpha", Span::mixed_site());
    let scaled = |value: TokenStream| {
        if unit {
            value
        } else {
            quote!(#rt::product(#alpha, #value))
        }
    };
    let bind_alpha = if unit {
        quote!()
    } else {
        let value = coefficient(&step.alpha, rt);
        quote!(let #alpha = #value;)
    };
    let free_index = &index[..free];
    let stored = |value: TokenStream| match store {
        Store::Set => quote!(#rt::write(&mut #writer, #at, #value);),
        Store::Add => quote!(#rt::accumulate(&mut #writer, #at, #value);),
        Store::Scalar => quote!(#rt::Scalar(#value)),
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
        let stored = stored(scaled(quote!(#acc)));
        quote!(
            let mut #acc = #rt::zero();
            #summed
            #stored
        )
    } else {
        stored(scaled(product))
    };
    let loops_code = nest(rt, free_index, 0, &sizes, body);
    Some(quote!(
        #bind_alpha
        #(#readers)*
        #bind_writer
        #bind_sizes
        #loops_code
    ))
}

/// The names emitted loops over `count` loops use: an index per loop and
/// the array of sizes, with its binding from the bound loop space `space`.
struct LoopNames {
    index: Vec<Ident>,
    sizes: Ident,
    bind_sizes: TokenStream,
}

fn loop_names(count: usize, space: &Ident) -> LoopNames {
    let sizes = Ident::new("__n", Span::mixed_site());
    LoopNames {
        index: (0..count)
            .map(|l| format_ident!("__i{}", l, span = Span::mixed_site()))
            .collect(),
        bind_sizes: if count == 0 {
            quote!()
        } else {
            quote!(let #sizes = #space.sizes();)
        },
        sizes,
    }
}

/// Whether [`accessor`] reads an input or writes the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Write,
}

/// The binding of accessor `name` over the view `view`, whose axis `a` is on
/// loop `axes[a]` of `space`, and how it is indexed: by its own loops only
/// (the distinct loops of `axes`, in order), so each offset moves along the
/// strides that move it. A `Read` gives the read expression, a `Write` the
/// index array for `write` / `accumulate`.
fn accessor(
    rt: &TokenStream,
    name: &Ident,
    view: &TokenStream,
    space: &Ident,
    axes: &[usize],
    index: &[Ident],
    access: Access,
) -> (TokenStream, TokenStream) {
    let mut own: Vec<usize> = Vec::new();
    for &a in axes {
        if !own.contains(&a) {
            own.push(a);
        }
    }
    let at: Vec<&Ident> = own.iter().map(|&l| &index[l]).collect();
    match access {
        Access::Read => (
            quote!(let #name = #view.reader_in(&#space, [#(#axes),*], [#(#own),*]);),
            quote!(#rt::read(&#name, [#(#at),*])),
        ),
        Access::Write => (
            quote!(let mut #name = #view.writer_in(&#space, [#(#axes),*], [#(#own),*]);),
            quote!([#(#at),*]),
        ),
    }
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

#[cfg(test)]
mod tests {
    use crate::{expand, OnError, Output};
    use std::str::FromStr;

    fn code(input: &str) -> String {
        let tokens = proc_macro2::TokenStream::from_str(input).expect("tokens");
        expand(tokens, Output::Code(OnError::Panic)).to_string()
    }

    /// The code between the runtime call `front` and the last run-time
    /// choice before it: the emitted loops of the pass that call is the
    /// `else` branch of.
    fn emitted_before(code: &str, front: &str) -> Option<String> {
        let call = code.find(front)?;
        let condition = code[..call].rfind("runs_emitted")?;
        Some(code[condition..call].to_string())
    }

    #[test]
    fn a_fused_pass_emits_each_step_as_loops_of_its_own() {
        // (a x) * (a y): two matrix-vector steps fused over a.
        let code = code(r#""ij,j,ik,k->i"(a, x, a, y)"#);
        assert!(code.contains("contract_fused"), "{code}");
        let emitted = emitted_before(&code, "contract_fused").expect("emitted loops");
        // Each step in a loop space of its own, two loops each.
        let spaces = emitted.matches("let __step_space = __lazy_einsum_rt :: LoopSpace :: new");
        assert_eq!(spaces.count(), 2, "{emitted}");
        assert_eq!(emitted.matches(":: upto").count(), 2 * 2, "{emitted}");
        assert!(emitted.contains("EMITTED_LOOP_WORK"), "{emitted}");
    }

    #[test]
    fn a_sum_pass_emits_each_added_array_as_loops() {
        // c - c^T: the product once, then one pass adding it in two orders.
        let code = code(r#"let c = "ik,kj->ij"(a, b); c - "ij->ji"(c)"#);
        assert!(code.contains("combine_new"), "{code}");
        let emitted = emitted_before(&code, "combine_new").expect("emitted loops");
        // One nest overwriting the new result with both arrays' sum.
        assert_eq!(emitted.matches(":: write (").count(), 1, "{emitted}");
        assert_eq!(emitted.matches(":: accumulate (").count(), 0, "{emitted}");
        assert_eq!(emitted.matches(":: read (").count(), 2, "{emitted}");
        assert_eq!(emitted.matches(":: upto").count(), 2, "{emitted}");
        assert!(code.contains(":: zeros ("), "{code}");
        // Sum passes have their own, lower threshold.
        assert!(code.contains("EMITTED_SUM_WORK"), "{code}");
    }

    #[test]
    fn runtime_kernels_borrow_a_copy_of_the_loop_space() {
        for (input, kernel) in [
            (r#""ij,jk->ik"(a, b)"#, "gemm_new"),
            (r#""ij,j,ik,k->i"(a, x, a, y)"#, "contract_fused"),
            (
                r#"let c = "ik,kj->ij"(a, b); c - "ij->ji"(c)"#,
                "combine_new",
            ),
        ] {
            let code = code(input);
            let call = code.find(kernel).expect(kernel);
            let branch = code[..call].rfind("else").expect("else");
            assert!(
                code[branch..call].contains("let __space = __space ;"),
                "{kernel}: {}",
                &code[branch..call]
            );
        }
    }

    #[test]
    fn emitted_loops_take_labels_of_one_length_in_every_front() {
        for (input, kernel, labels) in [
            (r#""ij,jk->ik"(a, b)"#, "gemm_new", vec![2]),
            (
                r#""ij,j,ik,k->i"(a, x, a, y)"#,
                "contract_fused",
                vec![0, 1],
            ),
            (r#""i,i->"(x, y)"#, "contract_new", vec![0]),
            (r#""ij->ij"(a) + "ji->ij"(b)"#, "combine_new", vec![0, 1]),
        ] {
            let code = code(input);
            let emitted = emitted_before(&code, kernel).expect(kernel);
            let guard = code[..code.find(kernel).unwrap()]
                .rfind("uniform (")
                .expect("guard");
            for label in labels {
                // Guarded by the label's flag, its size rebound in the branch.
                let same = format!("__same{label}");
                assert!(code[guard..].starts_with("uniform (["), "{code}");
                assert!(code[guard..guard + 80].contains(&same), "{same}: {code}");
                let rebind =
                    format!("let __size{label} = if __same{label} {{ __lengths{label} [0] }}");
                assert!(emitted.contains(&rebind), "{rebind}: {emitted}");
            }
            assert!(
                emitted.contains("let __space = __lazy_einsum_rt :: LoopSpace :: new"),
                "{emitted}"
            );
        }
    }

    #[test]
    fn ellipsis_steps_emit_loops_over_their_slots() {
        let code = code(r#""...ij,...jk->...ik"(a, b)"#);
        let emitted = emitted_before(&code, "gemm (").expect("emitted loops");
        // The 8 hidden loops of the ellipsis besides i, k and j.
        assert_eq!(emitted.matches(":: upto").count(), 11, "{emitted}");
    }

    #[test]
    fn steps_of_many_named_loops_are_left_to_the_runtime() {
        let code = code(r#""abcdefg->gfedcba"(a)"#);
        assert!(!code.contains("runs_emitted"), "{code}");
    }
}
