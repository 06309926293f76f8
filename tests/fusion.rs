//! Fused passes (steps that read one array over its axes run as one walk
//! over it): the plans that fuse, and their results against the naive
//! reference in every layout, at sizes where the kernels block and sweep
//! (loops longer than eight, strides of sixteen elements or more); each
//! through the emitted loops and through the runtime's fused kernel
//! (`force_path`), whatever the sizes; and sum passes (arrays added into one
//! destination in one walk) the same way.

mod common;

use common::{assert_close, lay, random, reference, Layout, Lcg, LAYOUTS};
use lazy_einsum::__private::force_path;
use lazy_einsum::{einsum, einsum_plan, try_einsum};
use ndarray::{arr0, arr1, Array1, Array2, ArrayD};

/// Each `force_path` setting: the emitted loops whatever the sizes, the
/// runtime's kernels whatever the sizes, and the choice by size (last, so
/// that a test leaves its thread as it found it).
const PATHS: [Option<bool>; 3] = [Some(true), Some(false), None];

/// Every layout through every path, setting the path (`force_path` is per
/// thread: the test's own).
fn layouts_and_paths() -> impl Iterator<Item = (Layout, Option<bool>)> {
    LAYOUTS.into_iter().flat_map(|layout| {
        PATHS.into_iter().map(move |path| {
            force_path(path);
            (layout, path)
        })
    })
}

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
        for (layout, path) in layouts_and_paths() {
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
                &format!("seed E, n = {n}, q = {q}, {layout:?}, {path:?}"),
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
        for (layout, path) in layouts_and_paths() {
            let (la, lv) = (lay(&a, layout), lay(&v, layout));
            let (a, v) = (la.view(), lv.view());
            let got: Array1<f64> = einsum!(
                "i,i,i,i->i",
                "ij,ji->i"(a, a),
                "ji,ij->i"(a, a),
                "ij,j->i"(a, v),
                "ji,j->i"(a, v)
            );
            assert_close(
                &format!("n = {n}, {layout:?}, {path:?}"),
                &got.into_dyn(),
                &want,
            );
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
        for (layout, path) in layouts_and_paths() {
            let (la, lv) = (lay(&a, layout), lay(&v, layout));
            let (a, v) = (la.view(), lv.view());
            let got: Array1<f64> =
                einsum!("i,i->i", "ij,j->i"(a, "jk,k->j"(a, v)), "ij,ji->i"(a, a));
            assert_close(
                &format!("n = {n}, {layout:?}, {path:?}"),
                &got.into_dyn(),
                &want,
            );
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
        for (layout, path) in layouts_and_paths() {
            let (lz, lb) = (lay(&z, layout), lay(&b, layout));
            let (z, b) = (lz.view(), lb.view());
            let got = einsum!("j,j->j", "ij,i->j"(z, b), "ij,ij->j"(z, z));
            assert_close(
                &format!("{q} x {n}, {layout:?}, {path:?}"),
                &got.into_dyn(),
                &want,
            );
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
        for (layout, path) in layouts_and_paths() {
            let (la, lb) = (lay(&a, layout), lay(&b, layout));
            let (a, b) = (la.view(), lb.view());
            let what = format!("n = {n}, {layout:?}, {path:?}");
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

    for path in PATHS {
        force_path(path);
        let (x, y, z) = (2.0f64, -3.0f64, 5.0f64);
        let want = x * y * y + x * z * z;
        let got: f64 = einsum! { ",,->"(x, y, y) + ",,->"(x, z, z) };
        assert_eq!(got, want, "scalars {path:?}");
        let got = try_einsum! { ",,->"(x, y, y) + ",,->"(x, z, z) };
        assert_eq!(got, Ok(want), "scalars, try_einsum!, {path:?}");

        let (ax, ay, az) = (arr0(x), arr0(y), arr0(z));
        let got: f64 = einsum! { ",,->"(ax, ay, ay) + ",,->"(ax, az, az) };
        assert_eq!(got, want, "arr0, {path:?}");
        let got = try_einsum! { ",,->"(ax, ay, ay) + ",,->"(ax, az, az) };
        assert_eq!(got, Ok(want), "arr0, try_einsum!, {path:?}");

        let (v, w) = (arr1(&[1.0, -2.0, 4.0]), arr1(&[3.0, 0.5, -1.0]));
        let want = Array1::from_shape_fn(3, |i| v[i] * x * y + w[i] * x * z);
        let got = einsum! { "i,,->i"(v, x, y) + "i,,->i"(w, x, z) };
        assert_eq!(got, want, "vectors, {path:?}");
        let got = try_einsum! { "i,,->i"(v, x, y) + "i,,->i"(w, x, z) };
        assert_eq!(got, Ok(want.clone()), "vectors, try_einsum!, {path:?}");
        let got = einsum! { "i,,->i"(v, ax, ay) + "i,,->i"(w, ax, az) };
        assert_eq!(got, want, "vectors and arr0, {path:?}");
    }
}

/// Sum passes (arrays added into one destination in one walk, read in
/// several axis orders) through both paths: into a new result, into an
/// output target with negative and odd strides (overwritten, then added
/// into) and into an intermediate, at sizes 0 to 17, against the naive
/// reference.
#[test]
fn sum_passes_through_both_paths() {
    let plan = einsum_plan! { let c = "ik,kj->ij"(a, b); c - "ij->ji"(c) };
    assert!(plan.contains("add into the result in one pass"), "{plan}");
    let plan = einsum_plan! { "ij,jk->ik"(a + "ij->ji"(b) - 2.0 * c, d) };
    assert!(plan.contains("add into #"), "{plan}");
    let mut rng = Lcg::new(23);
    for (n, q) in [(0, 2), (1, 1), (2, 3), (3, 0), (5, 2), (17, 17)] {
        let (a, b): (Array2<f64>, Array2<f64>) =
            (random((n, q), &mut rng), random((q, n), &mut rng));
        let (c, d): (Array2<f64>, Array2<f64>) =
            (random((n, n), &mut rng), random((n, q), &mut rng));
        let ab = reference("ik,kj->ij", &[dyn2(&a), dyn2(&b)]);
        let antisymmetric = common::combine(
            &ab,
            1.0,
            &reference("ij->ji", std::slice::from_ref(&ab)),
            -1.0,
        );
        let sum = common::combine(&dyn2(&c), 1.0, &reference("ij->ji", &[dyn2(&c)]), 1.0);
        let sum = common::combine(&sum, 1.0, &dyn2(&c), -2.0);
        let product = reference("ij,jk->ik", &[sum, dyn2(&d)]);
        for (layout, path) in layouts_and_paths() {
            let what = format!("{n} x {q}, {layout:?}, {path:?}");
            let (la, lb, lc, ld) = (
                lay(&a, layout),
                lay(&b, layout),
                lay(&c, layout),
                lay(&d, layout),
            );
            let (a, b, c, d) = (la.view(), lb.view(), lc.view(), ld.view());
            let got = einsum! { let m = "ik,kj->ij"(a, b); m - "ij->ji"(m) };
            assert_close(
                &format!("new result, {what}"),
                &got.into_dyn(),
                &antisymmetric,
            );
            let mut big = Array2::<f64>::from_elem((2 * n, 3 * n), 7.0);
            let mut target = big.slice_mut(ndarray::s![..;-2, ..;3]);
            einsum! { target = "ik,kj->ij"(a, b) - "jk,ki->ij"(a, b) };
            assert_close(
                &format!("target, {what}"),
                &target.to_owned().into_dyn(),
                &antisymmetric,
            );
            einsum! { target += 2.0 * "ik,kj->ij"(a, b) - 2.0 * "jk,ki->ij"(a, b) };
            let thrice = antisymmetric.mapv(|x| 3.0 * x);
            assert_close(
                &format!("target added into, {what}"),
                &target.to_owned().into_dyn(),
                &thrice,
            );
            let got = einsum! { "ij,jk->ik"(c + "ij->ji"(c) - 2.0 * c, d) };
            assert_close(&format!("intermediate, {what}"), &got.into_dyn(), &product);
        }
    }
}
