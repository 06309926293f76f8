//! The `einsum!` proc-macro entry points of
//! [`lazy-einsum`](https://docs.rs/lazy-einsum). Depend on `lazy-einsum`,
//! which re-exports them behind `macro_rules!` wrappers: the wrappers pass
//! the facade's path (`$crate`) ahead of the input, in brackets, so that the
//! generated code reaches the runtime under whatever name the caller gives
//! the facade. The compiler itself is the `einsum-compiler` crate.

use einsum_compiler::{OnError, Output};
use proc_macro::TokenStream;

/// Computes an einsum expression; panics on a runtime size mismatch.
/// Documented in the `lazy-einsum` crate.
#[proc_macro]
pub fn einsum(input: TokenStream) -> TokenStream {
    expand(input, Output::Code(OnError::Panic))
}

/// Like `einsum!`, but evaluates to `Result<_, lazy_einsum::EinsumError>`.
/// Documented in the `lazy-einsum` crate.
#[proc_macro]
pub fn try_einsum(input: TokenStream) -> TokenStream {
    expand(input, Output::Code(OnError::Return))
}

/// Evaluates to a `&'static str` describing what `einsum!` decides for the same input.
/// Documented in the `lazy-einsum` crate.
#[proc_macro]
pub fn einsum_plan(input: TokenStream) -> TokenStream {
    expand(input, Output::Description)
}

/// Splits off the facade's path, `[$crate]`, that the wrappers pass first;
/// without it (a direct call) the path is `::lazy_einsum`.
fn expand(input: TokenStream, output: Output) -> TokenStream {
    let input = proc_macro2::TokenStream::from(input);
    let mut tokens = input.clone().into_iter();
    let expanded = match tokens.next() {
        Some(proc_macro2::TokenTree::Group(group))
            if group.delimiter() == proc_macro2::Delimiter::Bracket =>
        {
            einsum_compiler::expand_in(group.stream(), tokens.collect(), output)
        }
        _ => einsum_compiler::expand(input, output),
    };
    expanded.into()
}
