//! The `einsum!` proc-macro entry points. The compiler itself is the
//! `einsum-compiler` crate; see the `lazy-einsum` crate for the user
//! documentation.

use einsum_compiler::{OnError, Output};
use proc_macro::TokenStream;

/// Computes an einsum expression; panics on a runtime size mismatch.
/// Documented in the `lazy-einsum` crate.
#[proc_macro]
pub fn einsum(input: TokenStream) -> TokenStream {
    einsum_compiler::expand(input.into(), Output::Code(OnError::Panic)).into()
}

/// Like `einsum!`, but evaluates to `Result<_, lazy_einsum::EinsumError>`.
/// Documented in the `lazy-einsum` crate.
#[proc_macro]
pub fn try_einsum(input: TokenStream) -> TokenStream {
    einsum_compiler::expand(input.into(), Output::Code(OnError::Return)).into()
}

/// Evaluates to a `&'static str` describing what `einsum!` decides for the same input.
/// Documented in the `lazy-einsum` crate.
#[proc_macro]
pub fn einsum_plan(input: TokenStream) -> TokenStream {
    einsum_compiler::expand(input.into(), Output::Description).into()
}
