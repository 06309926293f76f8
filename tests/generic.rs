//! `einsum!` in generic code, with the public bounds the crate documents:
//! `T: Element` for the element type, `HasRank` / `HasAtLeastRank` /
//! `TargetRank` (or a dynamic-rank view) for a generic dimension. Each
//! generic function runs with several types, against hand-written loops.

use lazy_einsum::ndarray::{
    arr2, Array, Array1, Array2, Array3, ArrayD, ArrayViewMut, Dimension, Ix2, IxDyn,
};
use lazy_einsum::num_complex::Complex;
use lazy_einsum::{einsum, try_einsum, EinsumError, Element, HasAtLeastRank, HasRank, TargetRank};

fn matmul<T: Element>(a: &Array2<T>, b: &Array2<T>) -> Array2<T> {
    einsum!("ij,jk->ik", a, b)
}

fn scaled_trace<T: Element>(alpha: T, m: &Array2<T>) -> T {
    einsum! { alpha * "ii"(m) }
}

fn checked_matmul<T: Element>(a: &Array2<T>, b: &Array2<T>) -> Result<Array2<T>, EinsumError> {
    try_einsum!("ij,jk->ik", a, b)
}

/// A hand-written matrix product.
fn reference_matmul<T: Element>(a: &Array2<T>, b: &Array2<T>) -> Array2<T> {
    let (n, k, m) = (a.nrows(), a.ncols(), b.ncols());
    Array2::from_shape_fn((n, m), |(i, j)| {
        (0..k).fold(T::zero(), |acc, l| acc + a[[i, l]] * b[[l, j]])
    })
}

#[test]
fn a_generic_element_type_bounded_by_element() {
    let a = arr2(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    let b = arr2(&[[1.0, 0.5], [-1.0, 2.0], [0.0, 3.0]]);
    assert_eq!(matmul(&a, &b), reference_matmul(&a, &b));
    let ai = a.mapv(|x| x as i64);
    let bi = arr2(&[[1, 0], [-1, 2], [0, 3]]);
    assert_eq!(matmul(&ai, &bi), reference_matmul(&ai, &bi));
    let ac = a.mapv(|x| Complex::new(x as f32, 1.0));
    let bc = b.mapv(|x| Complex::new(0.5, x as f32));
    assert_eq!(matmul(&ac, &bc), reference_matmul(&ac, &bc));

    let m = arr2(&[[1, 2], [3, 4]]);
    assert_eq!(scaled_trace(3, &m), 15);
    assert_eq!(scaled_trace(0.5f32, &m.mapv(|x| x as f32)), 2.5);

    let wrong = Array2::<f64>::zeros((4, 4));
    assert!(matches!(
        checked_matmul(&a, &wrong),
        Err(EinsumError::SizeMismatch { .. })
    ));
}

/// The last two axes swapped, whatever the rank: the bound states the
/// ellipsis's requirement, checked at compile time for fixed ranks.
fn swap_last_two<D: Dimension + HasAtLeastRank<2>>(a: &Array<f64, D>) -> ArrayD<f64> {
    einsum!("...ij->...ji", a)
}

/// The same without a bound: a dynamic-rank view, checked at run time.
fn swap_last_two_dyn<D: Dimension>(a: &Array<f64, D>) -> Result<ArrayD<f64>, EinsumError> {
    try_einsum!("...ij->...ji", a.view().into_dyn())
}

/// A generic dimension where subscripts name every axis.
fn transpose<D: Dimension + HasRank<2>>(a: &Array<f64, D>) -> Array2<f64> {
    einsum!("ij->ji", a)
}

/// A generic target.
fn add_product_into<D: Dimension + TargetRank<2>>(
    out: &mut Array<f64, D>,
    a: &Array2<f64>,
    b: &Array2<f64>,
) {
    einsum! { *out += "ij,jk->ik"(a, b) };
}

#[test]
fn a_generic_dimension_with_the_rank_bounds_or_a_dynamic_view() {
    let stack = Array3::from_shape_fn((2, 3, 4), |(b, i, j)| (100 * b + 10 * i + j) as f64);
    let expected = stack.clone().permuted_axes([0, 2, 1]).into_dyn();
    assert_eq!(swap_last_two(&stack), expected);
    assert_eq!(swap_last_two(&stack.clone().into_dyn()), expected);
    assert_eq!(swap_last_two_dyn(&stack).unwrap(), expected);
    let vector = Array1::from(vec![1.0, 2.0]);
    assert!(matches!(
        swap_last_two_dyn(&vector),
        Err(EinsumError::TooFewAxes { .. })
    ));

    let m = arr2(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    assert_eq!(transpose(&m), m.t());
    assert_eq!(
        transpose(&m.clone().into_dimensionality::<IxDyn>().unwrap()),
        m.t()
    );

    let mut out = Array2::<f64>::ones((2, 2));
    let b = arr2(&[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]);
    add_product_into(&mut out, &m, &b);
    assert_eq!(out, reference_matmul(&m, &b) + 1.0);
    let mut dynamic = Array2::<f64>::zeros((2, 2)).into_dyn();
    add_product_into(&mut dynamic, &m, &b);
    assert_eq!(
        dynamic.into_dimensionality::<Ix2>().unwrap(),
        reference_matmul(&m, &b)
    );
}

#[test]
fn what_the_target_read_error_says_to_write_instead_works() {
    // `einsum! { c += "ij,jk->ik"(c, b) }` is a compile error
    // (tests/ui/target_is_also_operand.rs); its suggested rewrite:
    let b = arr2(&[[1.0, 2.0], [3.0, 4.0]]);
    let mut c = arr2(&[[0.5, -1.0], [2.0, 1.0]]);
    let before = c.clone();
    let result = einsum! { "ij,jk->ik"(c, b) };
    c += &result;
    assert_eq!(c, &before + &reference_matmul(&before, &b));
    let result = einsum! { "ij,jk->ik"(b, c.view()) };
    let expected = reference_matmul(&b, &c);
    c.assign(&result);
    assert_eq!(c, expected);
    let mut view: ArrayViewMut<f64, Ix2> = c.view_mut();
    view -= &result;
    assert_eq!(c, Array2::<f64>::zeros((2, 2)));
}
