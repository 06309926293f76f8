//! One contraction, many uses: a binding used several times, or under
//! several axis orders, is computed once when that is cheaper, and the
//! permuted copies are added up in one pass. Results against the naive
//! reference; plans through `einsum_plan!`.

mod common;

use common::{assert_close, combine, lay, random, reference, Lcg, LAYOUTS};
use lazy_einsum::{einsum, einsum_plan, try_einsum};
use ndarray::{Array2, Array4, ArrayD};

fn dyn2(x: &Array2<f64>) -> ArrayD<f64> {
    x.clone().into_dyn()
}

/// `x` with its axes in the order `axes` (numpy's `transpose(axes)`).
fn transposed(x: &ArrayD<f64>, axes: &[usize]) -> ArrayD<f64> {
    x.clone()
        .permuted_axes(axes.to_vec())
        .as_standard_layout()
        .into_owned()
}

fn gemm_count(plan: &str) -> usize {
    plan.lines().filter(|l| l.contains(" GEMM ")).count()
}

#[test]
fn a_product_minus_its_transpose_is_one_gemm() {
    let plan = einsum_plan! { let c = "ik,kj->ij"(a, b); c - "ij->ji"(c) };
    assert_eq!(gemm_count(plan), 1, "{plan}");
    assert!(plan.contains("add into the result in one pass"), "{plan}");
    let mut rng = Lcg::new(11);
    for n in [0, 1, 2, 5, 17, 40] {
        let (a, b): (Array2<f64>, Array2<f64>) =
            (random((n, n + 3), &mut rng), random((n + 3, n), &mut rng));
        let c = reference("ik,kj->ij", &[dyn2(&a), dyn2(&b)]);
        let want = combine(&c, 1.0, &transposed(&c, &[1, 0]), -1.0);
        for layout in LAYOUTS {
            let (la, lb) = (lay(&a, layout), lay(&b, layout));
            let (a, b) = (la.view(), lb.view());
            let got = einsum! { let c = "ik,kj->ij"(a, b); c - "ij->ji"(c) };
            assert_close(&format!("n = {n}, {layout:?}"), &got.into_dyn(), &want);
        }
    }
}

#[test]
fn an_antisymmetrized_four_index_term_plans_one_contraction() {
    let plan = einsum_plan! {
        let c = "iean,afmi->efmn"(g, t2);
        c - "efmn->efnm"(c) - "efmn->femn"(c) + "efmn->fenm"(c)
    };
    let contractions = plan
        .lines()
        .filter(|l| l.contains("step") && (l.contains(" GEMM ") || l.contains("loop nest")))
        .count();
    assert_eq!(contractions, 1, "{plan}");
    assert!(plan.contains("add into the result in one pass"), "{plan}");
    let mut rng = Lcg::new(12);
    for (o, v) in [(1, 1), (2, 3), (3, 5)] {
        let g: Array4<f64> = random((o, v, v, o), &mut rng);
        let t2: Array4<f64> = random((v, v, o, o), &mut rng);
        let c = reference(
            "iean,afmi->efmn",
            &[g.clone().into_dyn(), t2.clone().into_dyn()],
        );
        let mut want = c.clone();
        for (axes, sign) in [
            ([0, 1, 3, 2], -1.0),
            ([1, 0, 2, 3], -1.0),
            ([1, 0, 3, 2], 1.0),
        ] {
            want = combine(&want, 1.0, &transposed(&c, &axes), sign);
        }
        let got = einsum! {
            let c = "iean,afmi->efmn"(g, t2);
            c - "efmn->efnm"(c) - "efmn->femn"(c) + "efmn->fenm"(c)
        };
        assert_close(&format!("o = {o}, v = {v}"), &got.into_dyn(), &want);
    }
}

#[test]
fn bindings_used_zero_one_two_and_four_times() {
    let mut rng = Lcg::new(13);
    let n = 6;
    let (a, b, d): (Array2<f64>, Array2<f64>, Array2<f64>) = (
        random((n, n), &mut rng),
        random((n, n), &mut rng),
        random((n, n), &mut rng),
    );
    let ab = reference("ik,kj->ij", &[dyn2(&a), dyn2(&b)]);
    let ab_t = transposed(&ab, &[1, 0]);

    // Unused: the binding is never computed, its operands still checked.
    let got = einsum! { let c = "ik,kj->ij"(a, b); "ij->ji"(d) };
    assert_close("unused", &got.into_dyn(), &transposed(&dyn2(&d), &[1, 0]));

    // Once, transposed and scaled.
    let got = einsum! { let c = "ik,kj->ij"(a, b); 2.0 * "ij->ji"(c) };
    assert_close("once", &got.into_dyn(), &combine(&ab_t, 2.0, &ab_t, 0.0));

    // Twice in one product: materialized, two GEMMs instead of three.
    let plan = einsum_plan! { let c = "ik,kj->ij"(a, b); "ij,jk->ik"(c, c) };
    assert_eq!(gemm_count(plan), 2, "{plan}");
    assert!(plan.contains("materialized binding `c`"), "{plan}");
    let got = einsum! { let c = "ik,kj->ij"(a, b); "ij,jk->ik"(c, c) };
    assert_close(
        "squared",
        &got.into_dyn(),
        &reference("ij,jk->ik", &[ab.clone(), ab.clone()]),
    );

    // Twice, once transposed, with coefficients.
    let (alpha, beta) = (1.5, -0.25);
    let got = einsum! { let c = "ik,kj->ij"(a, b); alpha * c - beta * "ij->ji"(c) };
    assert_close(
        "coefficients",
        &got.into_dyn(),
        &combine(&ab, alpha, &ab_t, -beta),
    );

    // Twice, once along the diagonal.
    let got = einsum! { let c = "ik,kj->ij"(a, b); "ij->i"(c) + "ii->i"(c) };
    let want = combine(
        &reference("ij->i", std::slice::from_ref(&ab)),
        1.0,
        &reference("ii->i", std::slice::from_ref(&ab)),
        1.0,
    );
    assert_close("diagonal", &got.into_dyn(), &want);

    // Four times, as the four terms of a sum against another array.
    let got = einsum! {
        let c = "ik,kj->ij"(a, b);
        "ij,jk->ik"(c + "ij->ji"(c), c - "ij->ji"(c))
    };
    let want = reference(
        "ij,jk->ik",
        &[
            combine(&ab, 1.0, &ab_t, 1.0),
            combine(&ab, 1.0, &ab_t, -1.0),
        ],
    );
    assert_close("four uses", &got.into_dyn(), &want);
}

#[test]
fn nested_bindings_and_bindings_of_sums() {
    let mut rng = Lcg::new(14);
    let n = 5;
    let (a, b, d): (Array2<f64>, Array2<f64>, Array2<f64>) = (
        random((n, n), &mut rng),
        random((n, n), &mut rng),
        random((n, n), &mut rng),
    );
    let ab = reference("ik,kj->ij", &[dyn2(&a), dyn2(&b)]);
    let abab = reference("ij,jk->ik", &[ab.clone(), ab.clone()]);
    let got = einsum! {
        let c = "ik,kj->ij"(a, b);
        let e = "ij,jk->ik"(c, c);
        e - "ij->ji"(e)
    };
    assert_close(
        "nested",
        &got.into_dyn(),
        &combine(&abab, 1.0, &transposed(&abab, &[1, 0]), -1.0),
    );

    // A binding whose value is a sum, used twice.
    let s = combine(&dyn2(&a), 1.0, &dyn2(&b), 1.0);
    let sd = reference("ik,kj->ij", &[s.clone(), dyn2(&d)]);
    let got = einsum! { let c = "ik,kj->ij"(a + b, d); c + 3.0 * "ij->ji"(c) };
    assert_close(
        "sum inside",
        &got.into_dyn(),
        &combine(&sd, 1.0, &transposed(&sd, &[1, 0]), 3.0),
    );
}

#[test]
fn a_size_mismatch_through_a_shared_binding_is_an_error_before_any_work() {
    // c is 3 x 5, its transpose 5 x 3: they cannot be added.
    let a = Array2::<f64>::zeros((3, 4));
    let b = Array2::<f64>::zeros((4, 5));
    let err = try_einsum! { let c = "ik,kj->ij"(a, b); c - "ij->ji"(c) }.unwrap_err();
    let message = err.to_string();
    assert!(message.contains('3') && message.contains('5'), "{message}");
}
