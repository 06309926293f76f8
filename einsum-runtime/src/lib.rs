//! Runtime support for `lazy-einsum`: operand views, shape binding, kernels.
//!
//! Users do not call this crate directly: the `einsum!` macro emits calls to it
//! through `lazy_einsum::__private`. Its safe functions check everything they
//! need (ranks, sizes, strides) once per step, so the code the macro emits
//! cannot cause undefined behaviour whatever it passes.

pub mod allocation;
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
