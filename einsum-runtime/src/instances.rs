//! The shared kernels compiled here, in the runtime, for the element types
//! most code uses.
//!
//! Every step calls a thin front generic over its loop count, which pads
//! the loops to [`PADDED_LOOPS`](crate::strided::PADDED_LOOPS) and calls a
//! kernel generic over the element type only. A debug build shares the
//! generic instantiations of the crates it depends on: with the kernels
//! instantiated here for `f32`, `f64` and their complex numbers, a crate
//! calling `einsum!` links to them instead of compiling its own copies.

use crate::combination::combine_padded;
use crate::fused::contract_fused_padded;
use crate::gemm::gemm_padded;
use crate::kernels::contract_padded;
use num_complex::Complex;

/// The addresses of the kernels instantiated for each common element type.
/// Never called at run time; referring to the kernels is what compiles them.
///
/// ```
/// assert!(einsum_runtime::instances::kernels().iter().all(|k| !k.is_null()));
/// ```
pub fn kernels() -> Vec<*const ()> {
    let mut kernels = Vec::new();
    macro_rules! instantiate {
        ($($t:ty),*) => {$(
            kernels.extend([
                contract_padded::<$t, 1> as *const (),
                contract_padded::<$t, 2> as *const (),
                gemm_padded::<$t> as *const (),
                combine_padded::<$t, 1> as *const (),
                combine_padded::<$t, 2> as *const (),
                combine_padded::<$t, 3> as *const (),
                combine_padded::<$t, 4> as *const (),
                contract_fused_padded::<$t, 2> as *const (),
                contract_fused_padded::<$t, 3> as *const (),
            ]);
        )*};
    }
    instantiate!(f32, f64, Complex<f32>, Complex<f64>);
    kernels
}
