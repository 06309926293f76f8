//! Fused passes (steps that read one array over its axes run as one walk
//! over it): the plans that fuse, and their results against the naive
//! reference in every layout, at sizes where the kernels block and sweep
//! (loops longer than eight, strides of sixteen elements or more).

mod common;

use common::{assert_close, lay, random, reference, Lcg, LAYOUTS};
use lazy_einsum::{einsum, einsum_plan, try_einsum};
use ndarray::{arr0, arr1, Array1, Array2, ArrayD};

/// Every size class of the blocked kernel: below one block, one block plus
/// a remainder, several blocks, and n != q.
const SIZES: [(usize, usize); 6] = [(1, 1), (7, 3), (9, 12), (17, 17), (40, 23), (64, 65)];

fn dyn1(x: &Array1<f64>) -> ArrayD<f64> {
    x.clone().into_dyn()
}

fn dyn2(x: &Array2<f64>) -> ArrayD<f64> {
    x.clone().into_dyn()
}

#[test]
fn the_seed_fuses_its_passes_over_a_and_z2() {
    let plan = einsum_plan! {
        let c = "i,jk->ijk"(b, a);
        let c2 = "j,ik->ijk"(y2, z2);
        "ijk,ikj->k"(c + c2, c + c2)
    };
    assert!(plan.contains("read z2 in one pass"), "{plan}");
    assert!(plan.contains("read a in one pass"), "{plan}");
}

#[test]
fn the_seed_matches_its_definition_in_every_layout() {
    let mut rng = Lcg::new(7);
    for (n, q) in SIZES {
        let (a, b, y2, z2): (Array2<f64>, Array1<f64>, Array1<f64>, Array2<f64>) = (
            random((n, n), &mut rng),
            random(q, &mut rng),
            random(n, &mut rng),
            random((q, n), &mut rng),
        );
        // The definition, O(q n^2).
        let want = Array1::from_shape_fn(n, |k| {
            let mut e = 0.0;
            for i in 0..q {
                for j in 0..n {
                    let ijk = b[i] * a[[j, k]] + y2[j] * z2[[i, k]];
                    let ikj = b[i] * a[[k, j]] + y2[k] * z2[[i, j]];
                    e += ijk * ikj;
                }
            }
            e
        });
        for layout in LAYOUTS {
            let (la, lz) = (lay(&a, layout), lay(&z2, layout));
            let (a, z2) = (la.view(), lz.view());
            let (lb, ly) = (lay(&b, layout), lay(&y2, layout));
            let (b, y2) = (lb.view(), ly.view());
            let e: Array1<f64> = einsum! {
                let c = "i,jk->ijk"(b, a);
                let c2 = "j,ik->ijk"(y2, z2);
                "ijk,ikj->k"(c + c2, c + c2)
            };
            assert_close(
                &format!("seed E, n = {n}, q = {q}, {layout:?}"),
                &e.into_dyn(),
                &want.clone().into_dyn(),
            );
        }
    }
}

/// Steps of every kind over one square matrix: `ij,ji->i` and `ij,ji->j`
/// (symmetric), `ij,j->i` and `ij,i->j` (matrix-vector), combined so that
/// each is an intermediate of its own.
#[test]
fn symmetric_and_matrix_vector_steps_over_one_matrix() {
    let plan = einsum_plan!(
        "i,i,i,i->i",
        "ij,ji->i"(a, a),
        "ji,ij->i"(a, a),
        "ij,j->i"(a, v),
        "ji,j->i"(a, v)
    );
    // `ji,ij->i` is `ij,ji->i` renamed: computed once, so three steps.
    assert!(
        plan.contains("fused passes: steps 1, 2, 3 read a in one pass"),
        "{plan}"
    );
    let mut rng = Lcg::new(11);
    for (n, _) in SIZES {
        let a: Array2<f64> = random((n, n), &mut rng);
        let v: Array1<f64> = random(n, &mut rng);
        let parts = [
            reference("ij,ji->i", &[dyn2(&a), dyn2(&a)]),
            reference("ji,ij->i", &[dyn2(&a), dyn2(&a)]),
            reference("ij,j->i", &[dyn2(&a), dyn1(&v)]),
            reference("ji,j->i", &[dyn2(&a), dyn1(&v)]),
        ];
        let want = reference("i,i,i,i->i", &parts);
        for layout in LAYOUTS {
            let (la, lv) = (lay(&a, layout), lay(&v, layout));
            let (a, v) = (la.view(), lv.view());
            let got: Array1<f64> = einsum!(
                "i,i,i,i->i",
                "ij,ji->i"(a, a),
                "ji,ij->i"(a, a),
                "ij,j->i"(a, v),
                "ji,j->i"(a, v)
            );
            assert_close(&format!("n = {n}, {layout:?}"), &got.into_dyn(), &want);
        }
    }
}

/// A step that needs another's result over the same matrix is not fused
/// with it: `a (a v)`.
#[test]
fn dependent_steps_over_one_matrix_stay_in_order() {
    let plan = einsum_plan!("i,i->i", "ij,j->i"(a, "jk,k->j"(a, v)), "ij,ji->i"(a, a));
    // `a v` and `ij,ji->i` share a pass; `a (a v)` comes after it.
    assert!(
        plan.contains("fused passes: steps 1, 2 read a in one pass\n"),
        "{plan}"
    );
    assert!(plan.contains("step 3: ij,j->i          a, #1"), "{plan}");
    let mut rng = Lcg::new(13);
    for (n, _) in SIZES {
        let a: Array2<f64> = random((n, n), &mut rng);
        let v: Array1<f64> = random(n, &mut rng);
        let inner = reference("jk,k->j", &[dyn2(&a), dyn1(&v)]);
        let want = reference("ij,j->i", &[dyn2(&a), inner.clone()]);
        let want = reference(
            "i,i->i",
            &[want, reference("ij,ji->i", &[dyn2(&a), dyn2(&a)])],
        );
        for layout in LAYOUTS {
            let (la, lv) = (lay(&a, layout), lay(&v, layout));
            let (a, v) = (la.view(), lv.view());
            let got: Array1<f64> =
                einsum!("i,i->i", "ij,j->i"(a, "jk,k->j"(a, v)), "ij,ji->i"(a, a));
            assert_close(&format!("n = {n}, {layout:?}"), &got.into_dyn(), &want);
        }
    }
}

/// A rectangular matrix read by a row and a column reduction, and an
/// elementwise square: nothing symmetric, still one pass.
#[test]
fn rectangular_matrix_steps_in_one_pass() {
    let plan = einsum_plan!("j,j->j", "ij,i->j"(z, b), "ij,ij->j"(z, z));
    assert!(plan.contains("read z in one pass"), "{plan}");
    let mut rng = Lcg::new(17);
    for (n, q) in SIZES {
        let z: Array2<f64> = random((q, n), &mut rng);
        let b: Array1<f64> = random(q, &mut rng);
        let want = reference(
            "j,j->j",
            &[
                reference("ij,i->j", &[dyn2(&z), dyn1(&b)]),
                reference("ij,ij->j", &[dyn2(&z), dyn2(&z)]),
            ],
        );
        for layout in LAYOUTS {
            let (lz, lb) = (lay(&z, layout), lay(&b, layout));
            let (z, b) = (lz.view(), lb.view());
            let got = einsum!("j,j->j", "ij,i->j"(z, b), "ij,ij->j"(z, z));
            assert_close(&format!("{q} x {n}, {layout:?}"), &got.into_dyn(), &want);
        }
    }
}

/// `ij,ji->i` alone also runs the sweep that uses each product twice.
#[test]
fn a_matrix_against_its_transpose_alone() {
    let mut rng = Lcg::new(19);
    for (n, q) in SIZES {
        let a: Array2<f64> = random((n, n), &mut rng);
        let b: Array1<f64> = random(q, &mut rng);
        let rows = reference("ij,ji->i", &[dyn2(&a), dyn2(&a)]);
        let columns = reference("ij,ji->j", &[dyn2(&a), dyn2(&a)]);
        let d1 = reference("i,jk,i,kj->k", &[dyn1(&b), dyn2(&a), dyn1(&b), dyn2(&a)]);
        for layout in LAYOUTS {
            let (la, lb) = (lay(&a, layout), lay(&b, layout));
            let (a, b) = (la.view(), lb.view());
            let what = format!("n = {n}, {layout:?}");
            assert_close(&what, &einsum!("ij,ji->i", a, a).into_dyn(), &rows);
            assert_close(&what, &einsum!("ij,ji->j", a, a).into_dyn(), &columns);
            assert_close(&what, &einsum!("i,jk,i,kj->k", b, a, b, a).into_dyn(), &d1);
        }
    }
}

/// Passes anchored on a rank-0 operand: the fused steps have no loops at
/// all. Plain scalars and `arr0`s, alone and scaling vectors, through
/// `einsum!` and `try_einsum!`, against the products written out (small
/// integers, so every product is exact in any order).
#[test]
fn passes_over_a_rank_zero_operand() {
    let plan = einsum_plan! { ",,->"(x, y, y) + ",,->"(x, z, z) };
    assert!(plan.contains("read x in one pass"), "{plan}");
    let plan = einsum_plan! { "i,,->i"(v, x, y) + "i,,->i"(w, x, z) };
    assert!(plan.contains("read x in one pass"), "{plan}");

    let (x, y, z) = (2.0f64, -3.0f64, 5.0f64);
    let want = x * y * y + x * z * z;
    let got: f64 = einsum! { ",,->"(x, y, y) + ",,->"(x, z, z) };
    assert_eq!(got, want, "scalars");
    let got = try_einsum! { ",,->"(x, y, y) + ",,->"(x, z, z) };
    assert_eq!(got, Ok(want), "scalars, try_einsum!");

    let (ax, ay, az) = (arr0(x), arr0(y), arr0(z));
    let got: f64 = einsum! { ",,->"(ax, ay, ay) + ",,->"(ax, az, az) };
    assert_eq!(got, want, "arr0");
    let got = try_einsum! { ",,->"(ax, ay, ay) + ",,->"(ax, az, az) };
    assert_eq!(got, Ok(want), "arr0, try_einsum!");

    let (v, w) = (arr1(&[1.0, -2.0, 4.0]), arr1(&[3.0, 0.5, -1.0]));
    let want = Array1::from_shape_fn(3, |i| v[i] * x * y + w[i] * x * z);
    let got = einsum! { "i,,->i"(v, x, y) + "i,,->i"(w, x, z) };
    assert_eq!(got, want, "vectors");
    let got = try_einsum! { "i,,->i"(v, x, y) + "i,,->i"(w, x, z) };
    assert_eq!(got, Ok(want.clone()), "vectors, try_einsum!");
    let got = einsum! { "i,,->i"(v, ax, ay) + "i,,->i"(w, ax, az) };
    assert_eq!(got, want, "vectors and arr0");
}
