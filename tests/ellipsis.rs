//! Ellipsis (`...`) and broadcasting: every form numpy allows, checked against
//! the naive reference of `common` (with the ellipsis written out as labels by
//! `common::expand_ellipsis`, independently of the macro), in every layout,
//! with dynamic and fixed-rank operands, zero-stride operands, odd sizes and
//! GEMM-sized broadcast batches; the whole table against numpy's own values
//! (tests/data/ellipsis_numpy.txt, from scripts/ellipsis_reference.py); the
//! call form and output targets with an ellipsis; numpy's broadcasting
//! regressions; and the runtime errors. The table, fixed-rank operands and
//! targets run through both the emitted loops and the runtime's kernels
//! (`force_path`), whatever the sizes.

mod common;

use common::{
    assert_close, broadcast_view, expand_ellipsis, lay, random, random_dyn, reference, Elem, Laid,
    Layout, Lcg, Materialize, LAYOUTS,
};
use lazy_einsum::__private::force_path;
use lazy_einsum::{einsum, einsum_plan, ndarray, try_einsum, EinsumError};
use ndarray::{arr1, arr3, Array2, Array3, ArrayD, ArrayViewD, Axis, IxDyn, ShapeBuilder};
use num_complex::Complex;

/// The emitted loops whatever the sizes, then the runtime's kernels
/// whatever the sizes (`force_path`, per thread: each test resets it).
const PATHS: [Option<bool>; 2] = [Some(true), Some(false)];

/// The paths a table row runs through: both for the small rows; the choice
/// by size for the GEMM-sized ones (the runtime's kernels, which the
/// emitted loops would only slow down in a debug build).
fn paths_for(shapes: &[&[usize]]) -> &'static [Option<bool>] {
    let elements: usize = shapes.iter().map(|s| s.iter().product::<usize>()).sum();
    if elements <= 500 {
        &PATHS
    } else {
        &[None]
    }
}

/// One `einsum!` call on dynamic-rank views of the operands.
type Run<T> = fn(&[ArrayViewD<'_, T>]) -> (ArrayD<T>, Option<usize>);

/// One row: subscripts, the call, and operand shapes to run it on.
struct Case<T: 'static> {
    subscripts: &'static str,
    run: Run<T>,
    shapes: &'static [&'static [&'static [usize]]],
}

/// `"subscripts" => [0 1 ...] on [shapes of the operands], [...]`.
macro_rules! table {
    ($($s:literal => [$($i:tt)*] on $([$([$($d:expr),*]),*]),+;)*) => {
        fn cases<T: Elem>() -> Vec<Case<T>> {
            vec![$(
                Case {
                    subscripts: $s,
                    run: |ops| einsum!($s, $(&ops[$i]),*).materialize(),
                    shapes: &[$(&[$(&[$($d),*]),*]),+],
                },
            )*]
        }
    };
}

table! {
    // Leading, trailing and middle ellipses, numpy's documented forms.
    "...ij,...jk->...ik" => [0 1] on [[2, 3, 4], [4, 5]], [[2, 1, 3, 4], [5, 4, 2]],
        [[3, 4], [3, 4, 5]], [[7, 2, 3], [1, 3, 2]], [[0, 2, 3], [3, 4]], [[2, 0, 3], [3, 4]];
    "ij...,jk...->ik..." => [0 1] on [[3, 4, 2], [4, 5, 2]], [[3, 4, 2, 1], [4, 5, 3]],
        [[3, 4], [4, 5, 2]];
    "i...j->j...i" => [0] on [[2, 3, 4, 5]], [[2, 5]], [[1, 3, 0, 2]];
    "...ii->...i" => [0] on [[2, 3, 3]], [[3, 3]], [[2, 1, 5, 5]];
    "...ii->..." => [0] on [[4, 3, 3]];
    "i...->..." => [0] on [[2, 3, 4]], [[5]], [[13, 1, 2]];
    "...i->..." => [0] on [[2, 3, 1]], [[2, 3, 7]], [[2, 3, 16]];
    "...->..." => [0] on [[2, 3]], [[]];
    "...ij->ij" => [0] on [[3, 4]];
    // Implicit output: the ellipsis first, then the labels appearing once.
    "...,..." => [0 1] on [[3, 5], [2, 3, 5]], [[3, 1], [2, 1, 7]];
    "...i,...i" => [0 1] on [[2, 3, 5], [5]], [[2, 3, 11], [3, 11]];
    "i...,i..." => [0 1] on [[5, 3, 2], [5]], [[5, 3, 2], [5, 1, 2]];
    "...k,kj" => [0 1] on [[4, 3], [3, 2]], [[2, 4, 3], [3, 2]];
    "ba..." => [0] on [[2, 3, 5, 7]];
    "...kl,k" => [0 1] on [[2, 3, 4, 5], [4]];
    "...kl,k..." => [0 1] on [[2, 3, 4, 5], [4]];
    // numpy's test_einsum_broadcast.
    "ik...,k...->i..." => [0 1] on [[4, 3], [3, 2]];
    "ik...,...kj->i...j" => [0 1] on [[4, 3], [3, 2]];
    "ik,k...->i..." => [0 1] on [[4, 3], [3, 2]];
    "...lmn,lmno->...o" => [0 1] on [[1, 1, 1, 3, 4, 5], [3, 4, 5, 3]];
    "...lmn,...lmno->...o" => [0 1] on [[1, 1, 1, 3, 4, 5], [3, 4, 5, 3]];
    "ij...,j...->i..." => [0 1] on [[1, 2], [2, 2, 1]];
    // Three operands, size-1 stretching inside the ellipsis and on labels.
    "...i,...ij,j...->...j" => [0 1 2] on [[3, 1, 2], [1, 5, 2, 3], [3, 1]];
    "i...,...,...i" => [0 1 2] on [[2, 3, 4], [1, 4], [3, 1, 2]];
    // Large enough for GEMM: broadcast batch axes (stride 0) around m, n, k.
    "...ij,...jk->...ik" => [0 1] on [[3, 1, 40, 30], [1, 2, 30, 50]], [[2, 40, 30], [30, 50]],
        [[40, 30], [3, 30, 50]];
    "...ij,jk->...ik" => [0 1] on [[2, 3, 24, 20], [20, 30]];
    "ij...,jk...->ik..." => [0 1] on [[40, 30, 3], [30, 50, 1]], [[40, 30, 1], [30, 50, 3]];
    "...ik,...kj,...jl->...il" => [0 1 2] on [[2, 20, 30], [1, 30, 25], [25, 20]];
}

/// The shapes of one run and a seed from them.
fn seed_of(subscripts: &str, shapes: &[&[usize]]) -> u64 {
    let text = format!("{subscripts}{shapes:?}");
    text.bytes()
        .fold(17, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
}

/// Checks one result: value against the reference, and its type's rank:
/// dynamic exactly when the output has an ellipsis.
fn check<T: Elem>(
    what: &str,
    subscripts: &str,
    (got, rank): (ArrayD<T>, Option<usize>),
    want: &ArrayD<T>,
) {
    let dynamic = match subscripts.split_once("->") {
        Some((_, output)) => output.contains("..."),
        None => subscripts.contains("..."),
    };
    if dynamic {
        assert_eq!(rank, None, "{what}: an ellipsis result is an ArrayD");
    } else {
        assert_eq!(
            rank,
            Some(want.ndim()),
            "{what}: fixed rank without an ellipsis"
        );
    }
    assert_close(what, &got, want);
}

/// Every case on every layout (all operands alike, then mixed), and with
/// zero-stride views of the operands; returns the number of runs.
fn check_table<T: Elem>() -> usize {
    let mut runs = 0;
    for case in cases::<T>() {
        for shapes in case.shapes {
            let mut rng = Lcg::new(seed_of(case.subscripts, shapes));
            let operands: Vec<ArrayD<T>> = shapes.iter().map(|s| random_dyn(s, &mut rng)).collect();
            let want = reference(&expand_ellipsis(case.subscripts, shapes), &operands);
            let paths = paths_for(shapes);
            for (j, &path) in (0..LAYOUTS.len()).flat_map(|j| paths.iter().map(move |p| (j, p))) {
                force_path(path);
                for mixed in [false, true] {
                    let layout = |k: usize| LAYOUTS[if mixed { (j + k) % 4 } else { j }];
                    let laid: Vec<Laid<T, IxDyn>> = operands
                        .iter()
                        .enumerate()
                        .map(|(k, a)| lay(a, layout(k)))
                        .collect();
                    laid.iter().for_each(Laid::check_layout);
                    let views: Vec<ArrayViewD<'_, T>> = laid.iter().map(Laid::view).collect();
                    let what = format!(
                        "{:?} on {shapes:?}, {:?}, {path:?}",
                        case.subscripts,
                        (0..shapes.len()).map(layout).collect::<Vec<Layout>>()
                    );
                    check(&what, case.subscripts, (case.run)(&views), &want);
                    runs += 1;
                }
            }
            // Zero strides: each operand as a broadcast of its first row.
            let bases: Vec<ArrayD<T>> = shapes
                .iter()
                .map(|s| common::broadcast_base(s, &mut rng))
                .collect();
            let views: Vec<ArrayViewD<'_, T>> = bases
                .iter()
                .zip(shapes.iter())
                .map(|(b, s)| broadcast_view(b, s))
                .collect();
            let owned: Vec<ArrayD<T>> = views.iter().map(|v| v.to_owned()).collect();
            let want = reference(&expand_ellipsis(case.subscripts, shapes), &owned);
            for &path in paths {
                force_path(path);
                let what = format!(
                    "{:?} on {shapes:?}, zero strides, {path:?}",
                    case.subscripts
                );
                check(&what, case.subscripts, (case.run)(&views), &want);
                runs += 1;
            }
        }
    }
    force_path(None);
    runs
}

#[test]
fn table_f64_every_layout() {
    assert!(check_table::<f64>() > 400);
}

#[test]
fn table_i64() {
    assert!(check_table::<i64>() > 400);
}

#[test]
fn table_complex_f32() {
    assert!(check_table::<Complex<f32>>() > 400);
}

/// The reference's own expansion of an ellipsis, checked by hand.
#[test]
fn reference_expansion_of_the_ellipsis() {
    assert_eq!(
        expand_ellipsis("...ij,...jk->...ik", &[&[2, 1, 3, 4], &[5, 4, 2]]),
        "abij,bjk->abik"
    );
    assert_eq!(
        expand_ellipsis("...k,kj", &[&[2, 4, 3], &[3, 2]]),
        "abk,kj->abj"
    );
    assert_eq!(expand_ellipsis("i...->...", &[&[2]]), "i->");
    assert_eq!(
        expand_ellipsis("...,...", &[&[3, 5], &[2, 3, 5]]),
        "bc,abc->abc"
    );
}

/// Fixed-rank operands (`Array3`, views of `Ix2`, ...) fill an ellipsis too;
/// the result is an `ArrayD` whatever they are.
#[test]
fn fixed_rank_operands() {
    for path in PATHS {
        force_path(path);
        let mut rng = Lcg::new(3);
        let a: Array3<f64> = random((2, 3, 4), &mut rng);
        let b: Array2<f64> = random((4, 5), &mut rng);
        let c: ArrayD<f64> = einsum!("...ij,jk->...ik", a, b.view());
        let want = reference("aij,jk->aik", &[a.clone().into_dyn(), b.clone().into_dyn()]);
        assert_close(&format!("fixed rank, {path:?}"), &c, &want);
        let f: Array3<f64> = {
            let mut f = Array3::zeros((2, 3, 4).f());
            f.assign(&a);
            f
        };
        let d: ArrayD<f64> = einsum!("i...->...i", f);
        assert_close(
            &format!("Fortran order, {path:?}"),
            &d,
            &reference("ijk->jki", &[a.clone().into_dyn()]),
        );
        let reversed = a.slice(ndarray::s![..;-1, .., ..;-1]);
        let e: ArrayD<f64> = einsum!("...j,...j->...", reversed, reversed);
        let r = reversed.to_owned().into_dyn();
        assert_close(
            &format!("negative strides, {path:?}"),
            &e,
            &reference("abj,abj->ab", &[r.clone(), r]),
        );
        // One variable at two ellipsis positions: two different padded views of
        // the same data, which must not be mistaken for one another.
        let cube: Array3<f64> = random((3, 3, 3), &mut rng);
        let got: ArrayD<f64> = einsum!("i...,...i->...", cube, cube);
        let c = cube.clone().into_dyn();
        assert_close(
            &format!("two ellipsis positions, {path:?}"),
            &got,
            &reference("iab,abi->ab", &[c.clone(), c.clone()]),
        );
        let got: ArrayD<f64> = einsum!("i...,i...,...i->...", cube, cube, cube);
        let want = reference("iab,iab,abi->ab", &[c.clone(), c.clone(), c.clone()]);
        assert_close(&format!("three uses, {path:?}"), &got, &want);
        // A rank-0 operand under an ellipsis: a rank-0 ArrayD.
        let s: ArrayD<f64> = einsum!("...,...", 2.0, 3.0);
        assert_eq!(s, ArrayD::from_elem(IxDyn(&[]), 6.0), "{path:?}");
    }
    force_path(None);
}

/// Named labels broadcast their size-1 axes too (numpy's
/// `"ijp,ipq,ikq->ijk"` with shapes (3,1,1), (3,1,3), (1,3,3)).
#[test]
fn size_one_axes_of_named_labels_broadcast() {
    for path in PATHS {
        force_path(path);
        let mut rng = Lcg::new(5);
        let shapes: [&[usize]; 3] = [&[3, 1, 1], &[3, 1, 3], &[1, 3, 3]];
        let ops: Vec<ArrayD<f64>> = shapes.iter().map(|s| random_dyn(s, &mut rng)).collect();
        let want = reference("ijp,ipq,ikq->ijk", &ops);
        assert_eq!(want.shape(), &[3, 1, 3]);
        for layout in LAYOUTS {
            let laid: Vec<Laid<f64, IxDyn>> = ops.iter().map(|a| lay(a, layout)).collect();
            let v: Vec<ArrayViewD<'_, f64>> = laid.iter().map(Laid::view).collect();
            let got = einsum!("ijp,ipq,ikq->ijk", v[0], v[1], v[2]);
            assert_close(&format!("{layout:?}"), &got.into_dyn(), &want);
        }
    }
    force_path(None);
}

/// numpy regressions: repeated labels on size-1 axes, and broadcasting
/// mistaken for GEMM (test_broadcasting_dot_cases, gh-11308).
#[test]
fn numpy_broadcasting_regressions() {
    for path in PATHS {
        force_path(path);
        let mut rng = Lcg::new(7);
        let x: ArrayD<f64> = random_dyn(&[1, 1, 3, 1, 3], &mut rng);
        for layout in LAYOUTS {
            let laid = lay(&x, layout);
            let got = einsum!("bbcdc->d", laid.view());
            assert_close(
                &format!("bbcdc->d, {path:?}"),
                &got.into_dyn(),
                &reference("bbcdc->d", std::slice::from_ref(&x)),
            );
        }
        let g =
            ArrayD::from_shape_vec(IxDyn(&[2, 4, 8]), (0..64).map(f64::from).collect()).unwrap();
        let f =
            ArrayD::from_shape_vec(IxDyn(&[7, 11, 5]), (0..385).map(f64::from).collect()).unwrap();
        let h =
            ArrayD::from_shape_vec(IxDyn(&[2, 3, 5]), (0..30).map(f64::from).collect()).unwrap();
        for layout in LAYOUTS {
            let (lg, lf, lh) = (lay(&g, layout), lay(&f, layout), lay(&h, layout));
            let got = einsum!("obk,ijk->ioj", lg.view(), lg.view());
            assert_close(
                &format!("obk,ijk->ioj (g, g), {path:?}"),
                &got.into_dyn(),
                &reference("obk,ijk->ioj", &[g.clone(), g.clone()]),
            );
            let got = einsum!("obk,ijk->ioj", lf.view(), lh.view());
            assert_close(
                &format!("obk,ijk->ioj (f, h), {path:?}"),
                &got.into_dyn(),
                &reference("obk,ijk->ioj", &[f.clone(), h.clone()]),
            );
        }
        let a = random_dyn::<f64>(&[1, 5, 4], &mut rng);
        let b = random_dyn::<f64>(&[4, 6], &mut rng);
        let c = random_dyn::<f64>(&[5, 6], &mut rng);
        let d = random_dyn::<f64>(&[10], &mut rng);
        let e = random_dyn::<f64>(&[1, 1, 5, 4], &mut rng);
        let f7 = random_dyn::<f64>(&[7, 7], &mut rng);
        for layout in LAYOUTS {
            let (la, lb, lc, ld, le, lf) = (
                lay(&a, layout),
                lay(&b, layout),
                lay(&c, layout),
                lay(&d, layout),
                lay(&e, layout),
                lay(&f7, layout),
            );
            let (va, vb, vc, vd, ve, vf) = (
                la.view(),
                lb.view(),
                lc.view(),
                ld.view(),
                le.view(),
                lf.view(),
            );
            let r = |s: &str, ops: &[&ArrayD<f64>]| {
                reference(s, &ops.iter().map(|o| (*o).clone()).collect::<Vec<_>>())
            };
            assert_close(
                &format!("ijk,kl,jl, {path:?}"),
                &einsum!("ijk,kl,jl", va, vb, vc).into_dyn(),
                &r("ijk,kl,jl", &[&a, &b, &c]),
            );
            assert_close(
                &format!("ijk,kl,jl,i->i, {path:?}"),
                &einsum!("ijk,kl,jl,i->i", va, vb, vc, vd).into_dyn(),
                &r("ijk,kl,jl,i->i", &[&a, &b, &c, &d]),
            );
            assert_close(
                &format!("abjk,kl,jl, {path:?}"),
                &einsum!("abjk,kl,jl", ve, vb, vc).into_dyn(),
                &r("abjk,kl,jl", &[&e, &b, &c]),
            );
            assert_close(
                &format!("abjk,kl,jl,ab->ab, {path:?}"),
                &einsum!("abjk,kl,jl,ab->ab", ve, vb, vc, vf).into_dyn(),
                &r("abjk,kl,jl,ab->ab", &[&e, &b, &c, &f7]),
            );
        }
    }
    force_path(None);
}

/// A broadcast (stride-0) batch axis of size > 1 next to GEMM's m, n and k
/// axes: fusing it into a GEMM dimension would read or write the wrong
/// elements. Sizes large enough that the step runs as GEMM.
#[test]
fn broadcast_axes_never_fuse_into_gemm() {
    let mut rng = Lcg::new(11);
    let a = random_dyn::<f64>(&[1, 40, 30], &mut rng);
    let b = random_dyn::<f64>(&[5, 30, 1], &mut rng);
    // `a`'s batch axis and `b`'s k axis are broadcast views of size 5 and 50.
    let a5 = a.broadcast(IxDyn(&[5, 40, 30])).unwrap();
    let b50 = b.broadcast(IxDyn(&[5, 30, 50])).unwrap();
    let plan = einsum_plan!("...ij,...jk->...ik", a5, b50);
    assert!(plan.contains("GEMM"), "{plan}");
    let got: ArrayD<f64> = einsum!("...ij,...jk->...ik", a5, b50);
    let want = reference("bij,bjk->bik", &[a5.to_owned(), b50.to_owned()]);
    assert_close("broadcast batch and n", &got, &want);
    // The same with the broadcast axis inside m: "i...j" with ... = (1 -> 6).
    let c = random_dyn::<f64>(&[40, 1, 30], &mut rng);
    let c6 = c.broadcast(IxDyn(&[40, 6, 30])).unwrap();
    let d = random_dyn::<f64>(&[30, 20], &mut rng);
    let got: ArrayD<f64> = einsum!("i...j,jk->i...k", c6, d);
    let want = reference("iaj,jk->iak", &[c6.to_owned(), d.clone()]);
    assert_close("broadcast inside m", &got, &want);
    // And a size-1 ellipsis axis stretched against another operand's.
    let got: ArrayD<f64> = einsum!(
        "i...j,...jk->i...k",
        c,
        random_dyn::<f64>(&[6, 30, 20], &mut Lcg::new(1))
    );
    let want = reference(
        "iaj,ajk->iak",
        &[c.clone(), random_dyn::<f64>(&[6, 30, 20], &mut Lcg::new(1))],
    );
    assert_close("size 1 stretched inside m", &got, &want);
}

/// The call form: an ellipsis in the outermost call, with plain operands
/// where the ellipsis is and anything lazy elsewhere.
#[test]
fn call_form() {
    for path in PATHS {
        force_path(path);
        let mut rng = Lcg::new(13);
        let a = random_dyn::<f64>(&[2, 3, 4, 5], &mut rng);
        let b = random_dyn::<f64>(&[5, 6], &mut rng);
        let c = random_dyn::<f64>(&[6, 7], &mut rng);
        let b2 = random_dyn::<f64>(&[5, 7], &mut rng);
        let got: ArrayD<f64> = einsum! { "...ij,jk->...ik"(a, b) };
        assert_close(
            &format!("plain, {path:?}"),
            &got,
            &reference("xyij,jk->xyik", &[a.clone(), b.clone()]),
        );
        let got: ArrayD<f64> = einsum! { "...ij,jk->...ik"(a, "jl,lk->jk"(b, c)) };
        let bc = reference("jl,lk->jk", &[b.clone(), c.clone()]);
        assert_close(
            &format!("nested call, {path:?}"),
            &got,
            &reference("xyij,jk->xyik", &[a.clone(), bc.clone()]),
        );
        let got: ArrayD<f64> = einsum! { "...ij,jk->...ik"(a, "jl,lk->jk"(b, c) - 2.0 * b2) };
        let arg = common::combine(&bc, 1.0, &b2, -2.0);
        assert_close(
            &format!("sum argument, {path:?}"),
            &got,
            &reference("xyij,jk->xyik", &[a.clone(), arg]),
        );
        let got: ArrayD<f64> = einsum! {
            let bc = "jl,lk->jk"(b, c);
            "...ij,jk->...ik"(a, bc)
        };
        assert_close(
            &format!("binding argument, {path:?}"),
            &got,
            &reference("xyij,jk->xyik", &[a, bc]),
        );
    }
    force_path(None);
}

/// Output targets with an ellipsis: dynamic or fixed rank, any strides;
/// overwrite and accumulate; untouched on an error.
#[test]
fn output_targets() {
    for path in PATHS {
        force_path(path);
        let mut rng = Lcg::new(17);
        let a = random_dyn::<f64>(&[2, 3, 4], &mut rng);
        let want = reference("xij->xji", std::slice::from_ref(&a));
        let mut out = ArrayD::<f64>::zeros(IxDyn(&[2, 4, 3]));
        einsum! { out = "...ij->...ji"(a) };
        assert_close(&format!("ArrayD target, {path:?}"), &out, &want);
        einsum! { out += 2.0 * "...ij->...ji"(a) };
        assert_close(
            &format!("accumulate, {path:?}"),
            &out,
            &want.mapv(|x| 3.0 * x),
        );
        einsum! { out -= "...ij->...ji"(a) };
        assert_close(
            &format!("subtract, {path:?}"),
            &out,
            &want.mapv(|x| 2.0 * x),
        );
        let mut fixed = Array3::<f64>::zeros((2, 4, 3).f());
        einsum! { fixed = "...ij->...ji"(a) };
        assert_close(
            &format!("Fortran Array3 target, {path:?}"),
            &fixed.clone().into_dyn(),
            &want,
        );
        let mut big = Array3::<f64>::zeros((4, 8, 3));
        let mut view = big.slice_mut(ndarray::s![..;-2, ..;2, ..]);
        einsum! { view = "...ij->...ji"(a) };
        assert_close(
            &format!("strided view target, {path:?}"),
            &view.to_owned().into_dyn(),
            &want,
        );
        // Wrong shape: an error, the target untouched.
        let mut wrong = ArrayD::<f64>::from_elem(IxDyn(&[4, 3]), 9.0);
        let err = try_einsum! { wrong = "...ij->...ji"(a) }.unwrap_err();
        assert!(matches!(err, EinsumError::OutputShape { .. }), "{err}");
        assert!(wrong.iter().all(|&x| x == 9.0));
        let b = random_dyn::<f64>(&[5, 3, 4], &mut rng);
        let err = try_einsum! { out = "...ij,...ij->...ji"(a, b) }.unwrap_err();
        assert!(
            matches!(err, EinsumError::BroadcastMismatch { .. }),
            "{err}"
        );
        assert_close(
            &format!("untouched, {path:?}"),
            &out,
            &want.mapv(|x| 2.0 * x),
        );
    }
    force_path(None);
}

/// Operand, shape and broadcast errors at run time, before anything is
/// written: `try_einsum!` returns them, `einsum!` panics with the message.
#[test]
fn runtime_errors() {
    let a = ArrayD::<f64>::zeros(IxDyn(&[2, 3, 4]));
    let b = ArrayD::<f64>::zeros(IxDyn(&[5, 4, 6]));
    let err = try_einsum!("...ij,...jk->...ik", a, b).unwrap_err();
    assert_eq!(
        err.to_string(),
        "einsum!(\"...ij,...jk->...ik\"): operand 0 (`a`, shape [2, 3, 4]) and operand 1 (`b`, shape [5, 4, 6]) do not broadcast: their ellipses meet sizes 2 and 5"
    );
    // (A fixed-rank operand with too few axes is a compile error, see
    // tests/ui/ellipsis_operand_with_too_few_axes.rs.)
    let v = arr1(&[1.0, 2.0]).into_dyn();
    let err = try_einsum!("...ij->...ji", v).unwrap_err();
    assert_eq!(
        err.to_string(),
        "einsum!(\"...ij->...ji\"): operand 0 (`v`) has 1 axes but its subscripts name 2 besides the ellipsis"
    );
    let deep = ArrayD::<f64>::zeros(IxDyn(&[1, 1, 1, 1, 1, 1, 1, 1, 1, 2]));
    let err = try_einsum!("...i->i...", deep).unwrap_err();
    assert_eq!(
        err.to_string(),
        "einsum!(\"...i->i...\"): the ellipsis of operand 0 (`deep`) covers 9 axes, more than the 8 an ellipsis may cover"
    );
    let err = try_einsum!("...ij->ij", a).unwrap_err();
    assert_eq!(
        err.to_string(),
        "einsum!(\"...ij->ij\"): the ellipsis of operand 0 (`a`, shape [2, 3, 4]) covers 1 axes, but the output has no ellipsis `...` to keep them (numpy raises here too); write `...` in the output, or sum them with labels"
    );
    // A named label still reports its own mismatch.
    let c = ArrayD::<f64>::zeros(IxDyn(&[2, 5, 6]));
    let err = try_einsum!("...ij,...jk->...ik", a, c).unwrap_err();
    assert!(matches!(err, EinsumError::SizeMismatch { .. }), "{err}");
    let panic = std::panic::catch_unwind(|| einsum!("...ij,...jk->...ik", a, b)).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains("do not broadcast"), "{message}");
    // The exact size-1 and 0-size rules: 1 stretches, 0 does not.
    let z = ArrayD::<f64>::zeros(IxDyn(&[0, 3, 4]));
    let one = ArrayD::<f64>::zeros(IxDyn(&[1, 4, 6]));
    assert_eq!(
        try_einsum!("...ij,...jk->...ik", z, one).unwrap().shape(),
        &[0, 3, 6]
    );
    let two = ArrayD::<f64>::zeros(IxDyn(&[2, 4, 6]));
    assert!(try_einsum!("...ij,...jk->...ik", z, two).is_err());
}

/// The plan prints the ellipsis as `...`, never its hidden labels.
#[test]
fn plan_shows_the_ellipsis() {
    let plan = einsum_plan!("...ij,...jk,k->...i", a, b, c);
    assert!(
        plan.contains("result: [...i] (rank 1 plus the ellipsis's, known at run time)"),
        "{plan}"
    );
    assert!(
        plan.contains("the ellipsis `...` counts as one axis of size N"),
        "{plan}"
    );
    assert!(plan.contains("a[...ij] b[...jk] c[k]"), "{plan}");
    assert!(plan.is_ascii(), "{plan}");
}

/// Broadcasting leaves the data alone: a zero-stride operand of any size is
/// read in place (the result is right for data no copy could hold).
#[test]
fn arr3_example_from_the_docs() {
    let a = arr3(&[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]);
    let v = arr1(&[1.0, -1.0]);
    let r: ArrayD<f64> = einsum!("...ij,j->...i", a, v);
    assert_eq!(r, ndarray::arr2(&[[-1.0, -1.0], [-1.0, -1.0]]).into_dyn());
    let wide = v.broadcast((1_000_000, 2)).unwrap();
    let s: ArrayD<f64> = einsum!("...j,j->...", wide, v);
    assert_eq!(s.len_of(Axis(0)), 1_000_000);
    assert!(s.iter().all(|&x| x == 2.0));
}

/// Operand `j` of the numpy data: `((k * 7 + j * 3 + 1) % 11) - 5` at C-order
/// index `k` (the formula of scripts/ellipsis_reference.py).
fn numpy_operand(j: usize, shape: &[usize]) -> ArrayD<f64> {
    let n: usize = shape.iter().product();
    let data = (0..n)
        .map(|k| ((k * 7 + j * 3 + 1) % 11) as f64 - 5.0)
        .collect();
    ArrayD::from_shape_vec(IxDyn(shape), data).expect("C-order data")
}

fn numbers(text: &str, separator: char) -> Vec<i64> {
    text.split(separator)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().expect("a number"))
        .collect()
}

/// Every row of the table against numpy's own `einsum` (tests/data/
/// ellipsis_numpy.txt, made by scripts/ellipsis_reference.py), in every
/// layout; and the inputs numpy rejects are errors here too.
#[test]
fn table_against_numpy() {
    let text = include_str!("data/ellipsis_numpy.txt");
    let table = cases::<f64>();
    let mut checked: Vec<(String, Vec<Vec<usize>>)> = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let fields: Vec<&str> = line.split(" | ").collect();
        let subscripts = fields[0];
        let shapes: Vec<Vec<usize>> = fields[1]
            .split(';')
            .map(|s| numbers(s, ',').into_iter().map(|d| d as usize).collect())
            .collect();
        let case = table
            .iter()
            .find(|c| c.subscripts == subscripts)
            .unwrap_or_else(|| panic!("{subscripts:?} is not in the table"));
        let operands: Vec<ArrayD<f64>> = shapes
            .iter()
            .enumerate()
            .map(|(j, s)| numpy_operand(j, s))
            .collect();
        let what = format!("{subscripts:?} on {shapes:?}");
        if fields[2].starts_with("error:") {
            let views: Vec<ArrayViewD<'_, f64>> = operands.iter().map(|a| a.view()).collect();
            let run = std::panic::catch_unwind(|| (case.run)(&views));
            assert!(run.is_err(), "{what}: numpy raises, einsum! must fail too");
            continue;
        }
        let shape: Vec<usize> = numbers(fields[2], ',')
            .into_iter()
            .map(|d| d as usize)
            .collect();
        let (sum, weighted) = (numbers(fields[3], ' ')[0], numbers(fields[4], ' ')[0]);
        for layout in LAYOUTS {
            let laid: Vec<Laid<f64, IxDyn>> = operands.iter().map(|a| lay(a, layout)).collect();
            let views: Vec<ArrayViewD<'_, f64>> = laid.iter().map(Laid::view).collect();
            let (got, _) = (case.run)(&views);
            let what = format!("{what}, {layout:?}");
            assert_eq!(got.shape(), &shape[..], "{what}: shape");
            let flat: Vec<f64> = got.iter().copied().collect();
            assert_eq!(flat.iter().sum::<f64>(), sum as f64, "{what}: sum");
            let weighted_got: f64 = flat
                .iter()
                .enumerate()
                .map(|(k, v)| v * ((k % 7) + 1) as f64)
                .sum();
            assert_eq!(weighted_got, weighted as f64, "{what}: weighted sum");
            if fields[5].trim() != "-" {
                let values: Vec<f64> = numbers(fields[5], ' ')
                    .into_iter()
                    .map(|v| v as f64)
                    .collect();
                assert_eq!(flat, values, "{what}: values");
            }
        }
        checked.push((subscripts.to_string(), shapes));
    }
    for case in &table {
        for shapes in case.shapes {
            let shapes: Vec<Vec<usize>> = shapes.iter().map(|s| s.to_vec()).collect();
            assert!(
                checked.contains(&(case.subscripts.to_string(), shapes.clone())),
                "{:?} on {shapes:?} has no numpy value: run scripts/ellipsis_reference.py",
                case.subscripts
            );
        }
    }
}
