//! The runtime of [`lazy-einsum`](https://docs.rs/lazy-einsum): operand
//! views, shape binding, GEMM dispatch and loop kernels.
//!
//! **Depend on `lazy-einsum`, not on this crate.** The `einsum!` macro emits
//! calls to it through `lazy_einsum::__private`; its modules are that
//! private interface, hidden from these docs and changed with every release
//! of the macro. The items users may name (the errors and the bounds of
//! generic code) are re-exported by `lazy-einsum` and documented there.
//!
//! Its safe functions check everything they need (ranks, sizes, strides)
//! once per step, so the code the macro emits cannot cause undefined
//! behaviour whatever it passes.
//!
//! The way in, in the order the generated code takes it:
//! - `operand`: what `einsum!` accepts (checked at compile time);
//! - `view`: views of the values, of their checked rank;
//! - `shape`: binding every label to one size, and the errors;
//! - `allocation`: the arrays the plan allocates, checked to be able to exist;
//! - `strided`: the soundness boundary, each step's operands checked against
//!   its loops;
//! - the kernels: `kernels` (loop nests), `fused` (passes over one array,
//!   with the symmetric sweep of `sweep`), `combination` (sums of arrays
//!   read in several axis orders), `gemm` (matrixmultiply), and `fresh`
//!   (steps that create their output); they share the walker `walk`, the
//!   reductions `reduce` and the element arithmetic `scalar`.

#[doc(hidden)]
pub mod allocation;
#[doc(hidden)]
pub mod combination;
#[doc(hidden)]
pub mod emitted;
#[doc(hidden)]
pub mod fresh;
#[doc(hidden)]
pub mod fused;
#[doc(hidden)]
pub mod gemm;
#[doc(hidden)]
pub mod instances;
#[doc(hidden)]
pub mod kernels;
#[doc(hidden)]
pub mod operand;
mod reduce;
#[doc(hidden)]
pub mod scalar;
#[doc(hidden)]
pub mod shape;
#[doc(hidden)]
pub mod strided;
mod sweep;
#[doc(hidden)]
pub mod view;
mod walk;

pub use operand::{Element, HasAtLeastRank, HasRank, TargetRank};
pub use shape::{EinsumError, LabelOwner, Occurrence, OperandShape, Site};
