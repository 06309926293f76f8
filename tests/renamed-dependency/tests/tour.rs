//! Runs the README's tour under the renamed dependency: every block's
//! assertions hold (each block panics otherwise).

#[test]
fn the_readme_tour_runs_under_a_renamed_dependency() {
    assert!(lazy_einsum_renamed_dependency::TOUR.len() >= 3);
    for block in lazy_einsum_renamed_dependency::TOUR {
        block();
    }
}

#[test]
fn the_macros_are_reachable_by_the_new_name() {
    let a = le::ndarray::array![[1.0, 2.0], [3.0, 4.0]];
    let trace: f64 = le::einsum!("ii", a);
    assert_eq!(trace, 5.0);
    let b = le::ndarray::Array2::<f64>::zeros((3, 2));
    assert!(le::try_einsum!("ij,ij->", a, b).is_err());
    assert!(le::einsum_plan!("ij,jk->ik", a, a).contains("GEMM"));
}
