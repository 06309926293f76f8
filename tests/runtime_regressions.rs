//! Regressions found in the runtime by a differential fuzz against the
//! naive reference and numpy: each test failed before its fix.

mod common;

use lazy_einsum::{einsum, try_einsum};
use ndarray::{Array2, Array3};

/// `ijl,jlk->ik` runs as GEMM; with `j` of length 2^60 and `l` empty the
/// loop sizes multiply past `usize::MAX` before reaching the 0. Legal
/// operands (zero-stride broadcast views of tiny arrays), and the sum is
/// empty: the result is zero.
#[test]
fn gemm_with_an_empty_loop_after_huge_broadcast_loops() {
    let (a_data, b_data) = (
        Array3::<f64>::zeros((4, 1, 0)),
        Array3::<f64>::zeros((1, 0, 4)),
    );
    let a = a_data.broadcast((4, 1 << 60, 0)).unwrap();
    let b = b_data.broadcast((1 << 60, 0, 4)).unwrap();
    assert_eq!(einsum!("ijl,jlk->ik", a, b), Array2::zeros((4, 4)));
    assert_eq!(try_einsum!("ijl,jlk->ik", a, b), Ok(Array2::zeros((4, 4))));
    let mut out = Array2::from_elem((4, 4), 1.0);
    einsum! { out += "ijl,jlk->ik"(a, b) };
    assert_eq!(out, Array2::from_elem((4, 4), 1.0));
}
