//! What the planner decides, read from `einsum_plan!`, and that planned
//! evaluation still gives the reference results.

use lazy_einsum::{einsum, einsum_plan};
use ndarray::{Array1, Array2};

fn matrix(n: usize, m: usize, seed: usize) -> Array2<f64> {
    Array2::from_shape_fn((n, m), |(i, j)| ((i * 7 + j * 3 + seed) % 11) as f64 - 5.0)
}

#[test]
fn a_chain_with_a_vector_is_contracted_from_the_vector() {
    let plan = einsum_plan!("ij,jk,k->i", a, b, v);
    // b * v first (a matrix-vector product), never the N^3 matrix product.
    assert!(plan.contains("step 1: jk,k->j"), "{plan}");
    assert!(plan.contains("total cost 4N^2"), "{plan}");
    assert!(plan.contains("one loop nest: 3N^3"), "{plan}");

    let (a, b) = (matrix(9, 7, 1), matrix(7, 5, 2));
    let v = Array1::from_shape_fn(5, |k| k as f64 - 2.0);
    assert_eq!(einsum!("ij,jk,k->i", a, b, v), a.dot(&b.dot(&v)));
}

#[test]
fn size_hints_change_the_order() {
    // With i tiny and k huge, (ij, jk) then k is the cheaper order for
    // `ij,jk,kl->il`... check the printout follows the hints.
    let unhinted = einsum_plan!("ij,jk,kl->il", a, b, c);
    let hinted = einsum_plan!(#![sizes(i = 2, l = 1000000)] "ij,jk,kl->il", a, b, c);
    assert!(unhinted.contains("sizes: every label N"), "{unhinted}");
    assert!(
        hinted.contains("sizes: i = 2, l = 1000000; every other label N"),
        "{hinted}"
    );
    assert!(hinted.contains("step 1: ij,jk->ik"), "{hinted}");
    let relative = einsum_plan!(#![sizes(j = 10 * N)] "ij,jk->ik", a, b);
    assert!(relative.contains("cost 20N^3"), "{relative}");
}

#[test]
fn gemm_steps_are_reported() {
    let plan = einsum_plan!("bij,bjk->bik", a, b);
    assert!(plan.contains("GEMM"), "{plan}");
    let plan = einsum_plan!("ij,ij->", a, b);
    assert!(plan.contains("loop nest"), "{plan}");
}

#[test]
fn a_two_dimensional_sum_is_materialized() {
    let plan = einsum_plan!("ik,kl->il", "ij,jk->ik"(a, b) + c, d);
    assert!(
        plan.contains("materialized sum #0[ik] of 2 terms"),
        "{plan}"
    );
    assert!(plan.contains("total cost 4N^3 + N^2"), "{plan}");

    let (a, b, c, d) = (
        matrix(4, 6, 1),
        matrix(6, 5, 2),
        matrix(4, 5, 3),
        matrix(5, 3, 4),
    );
    let got = einsum!("ik,kl->il", "ij,jk->ik"(a, b) + c, d);
    assert_eq!(got, (a.dot(&b) + &c).dot(&d));
}

#[test]
fn a_memory_bound_can_forbid_materializing() {
    // Materializing a + b (an N^2 intermediate) halves the GEMM work...
    let free = einsum_plan!("ij,jk->ik", a + b, c);
    assert!(
        free.contains("materialized sum #0[ij] of 2 terms"),
        "{free}"
    );
    // ...but not under a bound of N elements: two GEMMs into the result instead.
    let bounded = einsum_plan!(#![max_intermediate(N)] "ij,jk->ik", a + b, c);
    assert!(bounded.contains("materialized sums: none"), "{bounded}");
    assert!(bounded.contains("terms after distribution: 2"), "{bounded}");

    let (a, b, c) = (matrix(4, 6, 1), matrix(4, 6, 2), matrix(6, 5, 3));
    let got = einsum!(#![max_intermediate(N)] "ij,jk->ik", a + b, c);
    assert_eq!(got, (&a + &b).dot(&c));
    assert_eq!(einsum!("ij,jk->ik", a + b, c), (&a + &b).dot(&c));
}

#[test]
fn identical_terms_merge_and_opposite_terms_cancel() {
    let plan = einsum_plan! { "ij,jk->ik"(a, b) + "ij,jk->ik"(a, b) };
    assert!(plan.contains("terms after distribution: 1"), "{plan}");
    assert!(plan.contains("term 1: + 2 *"), "{plan}");
    let plan = einsum_plan! { "ij->ji"(a) - "ij->ji"(a) };
    assert!(plan.contains("terms after distribution: 0"), "{plan}");

    let a = matrix(3, 4, 1);
    assert_eq!(
        einsum! { "ij->ji"(a) - "ij->ji"(a) },
        Array2::<f64>::zeros((4, 3))
    );
}

#[test]
fn single_operand_steps_run_first() {
    // The diagonal of `a` and the sum over `l` of `c` are taken before the pair.
    let plan = einsum_plan!("iij,jkl->ik", a, c);
    assert!(plan.contains("step 1: iij->ij"), "{plan}");
    assert!(plan.contains("step 2: jkl->jk"), "{plan}");
}
