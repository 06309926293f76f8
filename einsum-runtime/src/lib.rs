//! Runtime support for `lazy-einsum`: operand views, shape binding, kernels.
//!
//! Users do not call this crate directly: the `einsum!` macro emits calls to it
//! through `lazy_einsum::__private`. Its safe functions check everything they
//! need (ranks, sizes, strides) once per step, so the code the macro emits
//! cannot cause undefined behaviour whatever it passes.
//!
//! The way in, in the order the generated code takes it:
//! - [`operand`]: what `einsum!` accepts (checked at compile time);
//! - [`view`]: views of the values, of their checked rank;
//! - [`shape`]: binding every label to one size, and the errors;
//! - [`allocation`]: the arrays the plan allocates, checked to be able to exist;
//! - [`strided`]: the soundness boundary, each step's operands checked against
//!   its loops;
//! - the kernels: [`kernels`] (loop nests), [`fused`] (passes over one array,
//!   with the symmetric sweep of `sweep`), [`combination`] (sums of arrays
//!   read in several axis orders), [`gemm`] (matrixmultiply), and
//!   [`fresh`] (steps that create their output); they share the walker
//!   `walk`, the reductions `reduce` and the element arithmetic [`scalar`].

pub mod allocation;
pub mod combination;
pub mod fresh;
pub mod fused;
pub mod gemm;
pub mod kernels;
pub mod operand;
mod reduce;
pub mod scalar;
pub mod shape;
pub mod strided;
mod sweep;
pub mod view;
mod walk;

pub use shape::EinsumError;
