//! The conformance table (see `table/mod.rs`) for the element types other
//! than `f64`, each in a few layouts: `i64` and `Complex<f64>` on every row
//! through the loop kernels, `Complex<f64>` also at the sizes where GEMM runs;
//! `f32` and `Complex<f32>`, whose only code of their own is the GEMM
//! dispatch, on the GEMM rows. Apart from `conformance.rs` so that the two
//! compile in parallel.

mod common;
mod table;

use common::Layout;
use num_complex::Complex;
use table::{check_table, dynamic_cases, gemm_cases, large_sizes, small_sizes};

/// The rows of [`gemm_cases`] that [`large_sizes`] sizes (it skips
/// one-operand rows and networks too big for the reference).
const GEMM_ROWS_AT_LARGE_SIZES: usize = 16;

#[test]
fn table_f32() {
    let layouts = [Layout::C, Layout::Negative];
    let rows = gemm_cases::<f32>().len();
    assert_eq!(
        check_table(gemm_cases::<f32>(), small_sizes, &layouts),
        rows
    );
}

#[test]
fn table_i64() {
    let layouts = [Layout::F, Layout::Stepped];
    let rows = dynamic_cases::<i64>().len();
    assert_eq!(
        check_table(dynamic_cases::<i64>(), small_sizes, &layouts),
        rows
    );
}

#[test]
fn table_complex_f64() {
    let layouts = [Layout::C, Layout::Negative, Layout::Stepped];
    let rows = dynamic_cases::<Complex<f64>>().len();
    assert_eq!(
        check_table(dynamic_cases::<Complex<f64>>(), small_sizes, &layouts),
        rows
    );
}

#[test]
fn table_large_f32() {
    let layouts = [Layout::F, Layout::Stepped];
    let run = check_table(gemm_cases::<f32>(), large_sizes, &layouts);
    assert_eq!(run, GEMM_ROWS_AT_LARGE_SIZES);
}

#[test]
fn table_large_complex_f32() {
    let run = check_table(
        gemm_cases::<Complex<f32>>(),
        large_sizes,
        &[Layout::Stepped],
    );
    assert_eq!(run, GEMM_ROWS_AT_LARGE_SIZES);
}

#[test]
fn table_large_complex_f64() {
    let run = check_table(
        dynamic_cases::<Complex<f64>>(),
        large_sizes,
        &[Layout::Negative],
    );
    assert!(run >= 60);
}
