//! The seed problem against numpy's values (tests/data/seed_reference.txt,
//! made by scripts/seed_reference.py) and against its hand expansion.

use lazy_einsum::{einsum, einsum_plan};
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, ShapeBuilder};

struct Case {
    n: usize,
    q: usize,
    e: Vec<f64>,
    d1: Vec<f64>,
}

fn reference_cases() -> Vec<Case> {
    let text = include_str!("data/seed_reference.txt");
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    let numbers = |line: &str| -> Vec<f64> {
        line.split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect()
    };
    lines
        .chunks(3)
        .map(|chunk| {
            let size = numbers(chunk[0]);
            Case {
                n: size[0] as usize,
                q: size[1] as usize,
                e: numbers(chunk[1]),
                d1: numbers(chunk[2]),
            }
        })
        .collect()
}

/// The same formulas as scripts/seed_reference.py.
fn inputs(
    n: usize,
    q: usize,
    fortran: bool,
) -> (Array2<f64>, Array1<f64>, Array1<f64>, Array2<f64>) {
    let a = |j: usize, k: usize| ((j * 7 + k * 3) % 11) as f64 - 5.0;
    let z = |i: usize, k: usize| ((i * 2 + k * 5) % 17) as f64 - 8.0;
    let (a, z2) = if fortran {
        (
            Array2::from_shape_fn((n, n).f(), |(j, k)| a(j, k)),
            Array2::from_shape_fn((q, n).f(), |(i, k)| z(i, k)),
        )
    } else {
        (
            Array2::from_shape_fn((n, n), |(j, k)| a(j, k)),
            Array2::from_shape_fn((q, n), |(i, k)| z(i, k)),
        )
    };
    let b = Array1::from_shape_fn(q, |i| ((i * 5) % 13) as f64 - 6.0);
    let y2 = Array1::from_shape_fn(n, |j| ((j * 3 + 1) % 7) as f64 - 3.0);
    (a, b, y2, z2)
}

fn seed_e(
    a: ArrayView2<f64>,
    b: ArrayView1<f64>,
    y2: ArrayView1<f64>,
    z2: ArrayView2<f64>,
) -> Array1<f64> {
    einsum! {
        let c = "i,jk->ijk"(b, a);
        let c2 = "j,ik->ijk"(y2, z2);
        "ijk,ikj->k"(c + c2, c + c2)
    }
}

fn hand_expanded(
    a: ArrayView2<f64>,
    b: ArrayView1<f64>,
    y2: ArrayView1<f64>,
    z2: ArrayView2<f64>,
) -> Array1<f64> {
    einsum!("i,jk,i,kj->k", b, a, b, a)
        + einsum!("i,jk,k,ij->k", b, a, y2, z2)
        + einsum!("j,ik,i,kj->k", y2, z2, b, a)
        + einsum!("j,ik,k,ij->k", y2, z2, y2, z2)
}

/// `x` stored back to front: a view with negative strides and the same values.
fn flipped2(x: &Array2<f64>) -> Array2<f64> {
    x.slice(s![..;-1, ..;-1]).to_owned()
}

#[test]
fn e_and_d1_match_numpy_in_every_layout() {
    for case in reference_cases() {
        for fortran in [false, true] {
            let (a, b, y2, z2) = inputs(case.n, case.q, fortran);
            let e = seed_e(a.view(), b.view(), y2.view(), z2.view());
            assert_eq!(
                e.to_vec(),
                case.e,
                "E at n = {}, q = {}, fortran = {fortran}",
                case.n,
                case.q
            );
            let d1 = einsum!("i,jk,i,kj->k", b, a, b, a);
            assert_eq!(d1.to_vec(), case.d1, "D1 at n = {}, q = {}", case.n, case.q);
        }
        // Negative strides: flip the stored data, read it through a flipped view.
        let (a, b, y2, z2) = inputs(case.n, case.q, false);
        let (a_back, z2_back) = (flipped2(&a), flipped2(&z2));
        let b_back: Array1<f64> = b.slice(s![..;-1]).to_owned();
        let y2_back: Array1<f64> = y2.slice(s![..;-1]).to_owned();
        let e = seed_e(
            a_back.slice(s![..;-1, ..;-1]),
            b_back.slice(s![..;-1]),
            y2_back.slice(s![..;-1]),
            z2_back.slice(s![..;-1, ..;-1]),
        );
        assert_eq!(
            e.to_vec(),
            case.e,
            "E with negative strides at n = {}",
            case.n
        );
    }
}

#[test]
fn e_equals_the_four_hand_expanded_einsums() {
    for (n, q) in [(1, 1), (3, 2), (7, 11), (16, 9)] {
        let (a, b, y2, z2) = inputs(n, q, n % 2 == 1);
        assert_eq!(
            seed_e(a.view(), b.view(), y2.view(), z2.view()),
            hand_expanded(a.view(), b.view(), y2.view(), z2.view())
        );
    }
}

#[test]
fn the_plan_distributes_the_3d_sums_and_shares_a_sub_contraction() {
    let plan = einsum_plan! {
        let c = "i,jk->ijk"(b, a);
        let c2 = "j,ik->ijk"(y2, z2);
        "ijk,ikj->k"(c + c2, c + c2)
    };
    assert!(plan.contains("materialized sums: none"), "{plan}");
    assert!(plan.contains("terms after distribution: 4"), "{plan}");
    assert!(plan.contains("shared intermediates: #"), "{plan}");
    // O(n^2 + qn): no step costs more than N^2 operations up to a constant.
    assert!(plan.contains("total cost 12N^2 + 6N"), "{plan}");
}
