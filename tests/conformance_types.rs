//! The conformance table (see `table/mod.rs`) for the element types other
//! than `f64`: `f32` and `i64` through the loop kernels, `f32` and the complex
//! types also at the sizes where GEMM runs, each in a few layouts. Apart from
//! `conformance.rs` so that the two compile in parallel.

mod common;
mod table;

use common::Layout;
use num_complex::Complex;
use table::{check_table, dynamic_cases, large_sizes, small_sizes};

#[test]
fn table_f32() {
    assert_eq!(
        check_table(
            dynamic_cases::<f32>(),
            small_sizes,
            &[Layout::C, Layout::Negative]
        ),
        dynamic_cases::<f32>().len()
    );
}

#[test]
fn table_i64() {
    assert_eq!(
        check_table(
            dynamic_cases::<i64>(),
            small_sizes,
            &[Layout::F, Layout::Stepped]
        ),
        dynamic_cases::<i64>().len()
    );
}

#[test]
fn table_complex_f64() {
    let layouts = [Layout::C, Layout::Negative, Layout::Stepped];
    assert_eq!(
        check_table(dynamic_cases::<Complex<f64>>(), small_sizes, &layouts),
        dynamic_cases::<Complex<f64>>().len()
    );
}

#[test]
fn table_large_f32() {
    assert!(
        check_table(
            dynamic_cases::<f32>(),
            large_sizes,
            &[Layout::F, Layout::Stepped]
        ) >= 60
    );
}

#[test]
fn table_large_complex_f32() {
    assert!(
        check_table(
            dynamic_cases::<Complex<f32>>(),
            large_sizes,
            &[Layout::Stepped]
        ) >= 60
    );
}

#[test]
fn table_large_complex_f64() {
    assert!(
        check_table(
            dynamic_cases::<Complex<f64>>(),
            large_sizes,
            &[Layout::Negative]
        ) >= 60
    );
}
