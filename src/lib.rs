//! Compile-time einsum for [`ndarray`]: the `einsum!` macro parses numpy
//! subscripts (and sums, differences and scalar multiples of einsums) at
//! compile time and emits specialized code.
//!
//! ```
//! use lazy_einsum::einsum;
//! use lazy_einsum::ndarray::{arr1, arr2};
//!
//! let a = arr2(&[[1.0, 2.0], [3.0, 4.0]]);
//! let b = arr1(&[1.0, -1.0]);
//!
//! // numpy form: subscripts, then operands (borrowed, never moved)
//! let c = einsum!("ij,jk->ik", a, a);
//! assert_eq!(c, arr2(&[[7.0, 10.0], [15.0, 22.0]]));
//! let trace: f64 = einsum!("ii", a); // implicit output, rank 0: a plain f64
//! assert_eq!(trace, 5.0);
//! let ab = einsum!("ij,j", &a, b.view()); // implicit output `i`
//! assert_eq!(ab, arr1(&[-1.0, -1.0]));
//!
//! // call form: lazy bindings, sums and coefficients, computed without
//! // materializing the sums
//! let e = einsum! {
//!     let c = "i,jk->ijk"(b, a);
//!     "ijk,ikj->k"(c + c, c)
//! };
//! let direct = einsum!("i,jk,i,kj->k", b, a, b, a);
//! assert_eq!(e, 2.0 * &direct);
//!
//! // output targets
//! let mut out = arr2(&[[1.0, 1.0], [1.0, 1.0]]);
//! einsum! { out += 2.0 * "ij->ji"(a) };
//! assert_eq!(out, arr2(&[[3.0, 7.0], [5.0, 9.0]]));
//! ```
//!
//! An ellipsis `...` stands for the axes the labels do not name, broadcast
//! numpy's way (right-aligned, size 1 stretches); the result is then an
//! `ArrayD` (see the README's "Ellipsis and broadcasting" for where it may be
//! written):
//!
//! ```
//! use lazy_einsum::einsum;
//! use lazy_einsum::ndarray::{arr2, arr3, ArrayD};
//!
//! let stack = arr3(&[[[1.0, 2.0], [3.0, 4.0]], [[0.0, 1.0], [1.0, 0.0]]]); // 2 x 2 x 2
//! let m = arr2(&[[1.0, 0.0], [0.0, 2.0]]);
//! let products: ArrayD<f64> = einsum!("...ij,jk->...ik", stack, m);
//! assert_eq!(products.shape(), &[2, 2, 2]);
//! assert_eq!(products[[1, 0, 1]], 2.0);
//! let traces: ArrayD<f64> = einsum!("...ii->...", stack); // the trace of each matrix
//! assert_eq!(traces, lazy_einsum::ndarray::arr1(&[5.0, 0.0]).into_dyn());
//! ```
//!
//! A size mismatch panics before anything is computed or written, naming the
//! label, the operands and the sizes; [`try_einsum!`] returns the
//! [`EinsumError`] instead:
//!
//! ```
//! use lazy_einsum::{try_einsum, EinsumError};
//! use lazy_einsum::ndarray::Array2;
//!
//! let a = Array2::<f64>::zeros((2, 3));
//! let b = Array2::<f64>::zeros((4, 2));
//! let err = try_einsum!("ij,jk->ik", a, b).unwrap_err();
//! assert!(matches!(err, EinsumError::SizeMismatch { .. }));
//! assert_eq!(
//!     err.to_string(),
//!     "einsum!(\"ij,jk->ik\"): label 'j' is 3 in operand 0 (`a`) but 4 in operand 1 (`b`)"
//! );
//! ```
//!
//! See the README for the full syntax, the options and the performance notes.

/// Computes an einsum expression; evaluates to an owned array (or a scalar
/// for a rank-0 result), or to `()` when the input assigns to a target.
///
/// Forms:
/// - numpy: `einsum!("ij,jk->ik", a, b)`; operands are any
///   `ndarray::ArrayBase` (any storage, dimension type and strides),
///   references to one, or plain scalars for rank-0 operands.
/// - call: `einsum! { let c = "i,jk->ijk"(b, a); "ijk,ikj->k"(c + c, c) }`,
///   where the arguments of a call may be sums and differences of lazy
///   bindings, nested calls and Rust operands, each with an optional scalar
///   coefficient written first (`2.0 * x`, `alpha * x`, `-x`).
/// - targets: `einsum! { out = EXPR }`, `out += EXPR`, `out -= EXPR`.
/// - ellipsis: `einsum!("...ij,...jk->...ik", a, b)` broadcasts the axes
///   `...` stands for, numpy's way, and returns an `ndarray::ArrayD`; allowed
///   in the numpy form and in the outermost call of the call form.
///
/// # Panics
/// If the operands' sizes disagree, or the result or an intermediate would
/// be too large to exist (more than `isize::MAX` bytes); see
/// [`try_einsum!`] for the error.
///
/// ```
/// use lazy_einsum::einsum;
/// let m = lazy_einsum::ndarray::arr2(&[[1, 2], [3, 4]]);
/// let diagonal = einsum!("ii->i", m);
/// assert_eq!(diagonal, lazy_einsum::ndarray::arr1(&[1, 4]));
/// ```
#[macro_export]
macro_rules! einsum {
    ($($input:tt)*) => {
        $crate::__private::einsum!([$crate] $($input)*)
    };
}

/// Evaluates to a `&'static str` describing the plan `einsum!` uses for the
/// same input: the terms after distribution and the steps of each.
///
/// ```
/// let plan = lazy_einsum::einsum_plan!("ij,jk->ik", a, b);
/// assert!(plan.contains("ij,jk->ik"));
/// ```
#[macro_export]
macro_rules! einsum_plan {
    ($($input:tt)*) => {
        $crate::__private::einsum_plan!([$crate] $($input)*)
    };
}

/// Like [`einsum!`], but evaluates to `Result<_, EinsumError>` instead of
/// panicking on a size mismatch or an array too large to exist.
///
/// ```
/// use lazy_einsum::try_einsum;
/// let v = lazy_einsum::ndarray::arr1(&[1.0, 2.0]);
/// let w = lazy_einsum::ndarray::arr1(&[1.0, 2.0, 3.0]);
/// assert!(try_einsum!("i,i", v, w).is_err());
/// assert_eq!(try_einsum!("i,i", v, v), Ok(5.0));
/// ```
#[macro_export]
macro_rules! try_einsum {
    ($($input:tt)*) => {
        $crate::__private::try_einsum!([$crate] $($input)*)
    };
}

#[doc(inline)]
pub use einsum_runtime::{
    EinsumError, Element, HasAtLeastRank, HasRank, LabelOwner, Occurrence, OperandShape, Site,
    TargetRank,
};
pub use ndarray;
pub use num_complex;

/// What the code generated by the macros calls. Not a public API: it changes
/// whenever the macros change.
#[doc(hidden)]
pub mod __private {
    pub use einsum_macro::{einsum, einsum_plan, try_einsum};
    pub use einsum_runtime::allocation::{check_allocations, zeros, zeros_dyn, Allocation};
    pub use einsum_runtime::combination::combine;
    pub use einsum_runtime::fresh::{contract_new, gemm_new};
    pub use einsum_runtime::fused::{contract_fused, FusedStep};
    pub use einsum_runtime::gemm::{gemm, Roles};
    pub use einsum_runtime::kernels::{contract, Write};
    pub use einsum_runtime::operand::{
        as_coefficient, as_element, element_of, require_at_least_rank, require_element, shape_of,
        tie_element, ElementWitness,
    };
    pub use einsum_runtime::scalar::{add, from_count, mul, neg, one, zero};
    pub use einsum_runtime::shape::{
        bind, bind_ellipsis, EinsumError, EllipsisOperand, LabelOwner, Occurrence, Site,
    };
    pub use einsum_runtime::strided::LoopSpace;
    pub use einsum_runtime::view::{View, ViewMut};

    /// A panic with the error's message, at the macro's call site.
    #[track_caller]
    pub fn fail(error: EinsumError) -> ! {
        panic!("{error}")
    }
}
