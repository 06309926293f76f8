//! The `einsum!` compiler. See the `lazy-einsum` crate for the user documentation.
//!
//! ```text
//! tokens --parse--> MacroInput --validate--> Checked --distribute--> SumOfProducts
//!        --plan--> Plan --fuse--> Plan --codegen--> Rust block calling ::lazy_einsum::__private
//! ```

mod codegen;
mod cost;
mod describe;
mod distribute;
mod fuse;
mod ir;
mod options;
mod parse;
mod path;
mod plan;
#[cfg(test)]
mod robustness;
mod subscripts;
mod validate;

use codegen::OnError;
use proc_macro::TokenStream;

/// Computes an einsum expression; panics on a runtime size mismatch.
/// Documented in the `lazy-einsum` crate.
#[proc_macro]
pub fn einsum(input: TokenStream) -> TokenStream {
    compile(input, Output::Code(OnError::Panic))
}

/// Like `einsum!`, but evaluates to `Result<_, lazy_einsum::EinsumError>`.
/// Documented in the `lazy-einsum` crate.
#[proc_macro]
pub fn try_einsum(input: TokenStream) -> TokenStream {
    compile(input, Output::Code(OnError::Return))
}

/// Evaluates to a `&'static str` describing what `einsum!` decides for the same input.
/// Documented in the `lazy-einsum` crate.
#[proc_macro]
pub fn einsum_plan(input: TokenStream) -> TokenStream {
    compile(input, Output::Description)
}

enum Output {
    Code(OnError),
    Description,
}

fn compile(input: TokenStream, output: Output) -> TokenStream {
    let input = match syn::parse::<parse::MacroInput>(input) {
        Ok(input) => input,
        Err(error) => return compile_errors(&[error]),
    };
    let checked = match validate::validate(input) {
        Ok(checked) => checked,
        Err(errors) => return compile_errors(&errors),
    };
    let (sop, mut plan) = plan::plan_best(&checked, checked.target.as_ref().map(|t| t.kind));
    fuse::fuse(&mut plan, &sop);
    match output {
        Output::Code(on_error) => codegen::generate(&checked, &sop, &plan, on_error).into(),
        Output::Description => {
            let text = describe::describe(&checked, &sop, &plan);
            quote::quote!(#text).into()
        }
    }
}

/// `{ compile_error!{..} compile_error!{..} }`: one block, so that every
/// error shows whether the macro stands as an expression or a statement.
fn compile_errors(errors: &[syn::Error]) -> TokenStream {
    let errors = errors.iter().map(syn::Error::to_compile_error);
    quote::quote!({ #(#errors)* }).into()
}
