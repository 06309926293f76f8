//! The `einsum!` compiler, as an ordinary library: the `einsum-macro` crate's
//! proc macros are thin wrappers around [`expand`]. See the `lazy-einsum`
//! crate for the user documentation.
//!
//! ```text
//! tokens --parse--> MacroInput --validate--> Program + Syntax --distribute--> SumOfProducts
//!        --plan (candidates)--> Plans --fuse--> Plans --codegen (+select)--> Rust block calling <facade>::__private
//!                                      --describe--> plan text
//! ```
//!
//! `<facade>` is the path of the `lazy-einsum` crate as the caller names it:
//! its `einsum!` is a `macro_rules!` wrapper that passes `$crate` to the
//! proc macro ahead of the input (see [`expand_in`]), so that a renamed
//! dependency, or a crate re-exporting the macros, still reaches the
//! runtime.
//!
//! Only parsing, validation and code generation see syntax: the
//! [`program::Program`] the middle stages work on is plain data.
//!
//! The stage modules are public so that tests and benchmarks can run one
//! stage on plain data; they are internal, not a stable API.

#[doc(hidden)]
pub mod candidates;
#[doc(hidden)]
pub mod codegen;
#[doc(hidden)]
pub mod cost;
#[doc(hidden)]
pub mod describe;
#[doc(hidden)]
pub mod distribute;
#[doc(hidden)]
pub mod fuse;
#[doc(hidden)]
pub mod ir;
mod loops;
#[doc(hidden)]
pub mod options;
#[doc(hidden)]
pub mod owners;
#[doc(hidden)]
pub mod parse;
#[doc(hidden)]
pub mod path;
#[doc(hidden)]
pub mod plan;
#[doc(hidden)]
pub mod program;
#[doc(hidden)]
pub mod select;
#[doc(hidden)]
pub mod subscripts;
#[cfg(test)]
mod testing;
#[doc(hidden)]
pub mod validate;

pub use codegen::OnError;
use proc_macro2::TokenStream;

/// What [`expand`] produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The Rust block computing the expression (`einsum!`, `try_einsum!`).
    Code(OnError),
    /// A string literal describing the plan (`einsum_plan!`).
    Description,
}

/// Compiles one macro input: the Rust block computing it, or its plan
/// description, or, for an input with problems, one `compile_error!` per
/// problem. Never panics on any input. The generated code reaches the
/// runtime through `::lazy_einsum`.
pub fn expand(input: TokenStream, output: Output) -> TokenStream {
    expand_in(quote::quote!(::lazy_einsum), input, output)
}

/// [`expand`], for code that reaches the runtime through `krate`, the path
/// of the `lazy-einsum` crate (`$crate` from its wrapper macros).
pub fn expand_in(krate: TokenStream, input: TokenStream, output: Output) -> TokenStream {
    let input = match syn::parse2::<parse::MacroInput>(input) {
        Ok(input) => input,
        Err(error) => return compile_errors(&[error]),
    };
    let validate::Checked {
        program,
        mut syntax,
    } = match validate::validate(input) {
        Ok(checked) => checked,
        Err(errors) => return compile_errors(&errors),
    };
    syntax.krate = krate;
    let candidates = candidates::Candidates::generate(&program);
    match output {
        Output::Code(on_error) => codegen::generate(&program, &syntax, &candidates, on_error),
        Output::Description => {
            let text = describe::describe_candidates(&program, &candidates);
            quote::quote!(#text)
        }
    }
}

/// `{ compile_error!{..} compile_error!{..} }`: one block, so that every
/// error shows whether the macro stands as an expression or a statement.
fn compile_errors(errors: &[syn::Error]) -> TokenStream {
    let errors = errors.iter().map(syn::Error::to_compile_error);
    quote::quote!({ #(#errors)* })
}
