//! The conformance table (`table/mod.rs`: every expression of
//! `tests/data/expressions.txt`, numpy's documented forms and opt_einsum's
//! public test list) in `f64`, checked against the naive reference of
//! `common` in every layout, with fixed-dimension and dynamic operands, at
//! small sizes (loop kernels) and large ones (GEMM), with zero strides and
//! size-1 axes; plus odd sizes, operand kinds, integer wrapping and the call
//! form. The small sizes, zero strides, size-1 axes and odd sizes run
//! through both the emitted loops and the runtime's kernels (`force_path`),
//! whatever the sizes. The other element types run the table in
//! `conformance_types.rs`.

mod common;
mod table;

use common::{check_result, combine, lay, random, reference, Laid, Layout, Lcg, LAYOUTS};
use lazy_einsum::__private::force_path;
use lazy_einsum::{einsum, ndarray};
use ndarray::{arr0, arr2, Array1, Array2, Array3, ArrayD, ArrayViewD, CowArray, IxDyn};
use num_complex::Complex;
use table::{
    cases, check_case, check_table, large_sizes, operands_for, seed_of, shapes_for, small_sizes,
    Sizing,
};

/// The emitted loops whatever the sizes, then the runtime's kernels
/// whatever the sizes.
const PATHS: [Option<bool>; 2] = [Some(true), Some(false)];

/// `check` run through each path (`force_path` is per thread: the test's
/// own), the thread reset after.
fn through_both_paths(mut check: impl FnMut(Option<bool>)) {
    for path in PATHS {
        force_path(path);
        check(path);
    }
    force_path(None);
}

#[test]
fn table_covers_every_listed_expression() {
    // Read at run time, so that a new line in the file fails this test
    // until the table has it.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/expressions.txt");
    let text = std::fs::read_to_string(path).expect("tests/data/expressions.txt");
    let listed: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect();
    assert!(
        listed.len() >= 80,
        "only {} expressions listed",
        listed.len()
    );
    let table: Vec<&str> = cases::<f64>().iter().map(|c| c.subscripts).collect();
    let missing: Vec<&&str> = listed.iter().filter(|e| !table.contains(e)).collect();
    assert!(
        missing.is_empty(),
        "not in the conformance table: {missing:?}"
    );
    let mut sorted = table.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), table.len(), "the table has duplicates");
}

#[test]
fn table_f64_every_layout() {
    through_both_paths(|path| {
        assert_eq!(
            check_table(cases::<f64>(), small_sizes, &LAYOUTS),
            cases::<f64>().len(),
            "{path:?}"
        );
    });
}

/// Sizes where the runtime calls GEMM (for the GEMM element types).
#[test]
fn table_large_f64_every_layout() {
    assert!(check_table(cases::<f64>(), large_sizes, &LAYOUTS) >= 60);
}

/// Every operand of every row as a zero-stride broadcast view (axis 0 read
/// from a single slice), compared with the reference on the materialized values.
fn check_zero_stride_operands(sizing: Sizing) -> usize {
    let mut count = 0;
    for case in cases::<f64>() {
        let Some(shapes) = shapes_for(case.subscripts, sizing) else {
            continue;
        };
        let mut rng = Lcg::new(seed_of(case.subscripts) ^ 0xB0);
        let bases: Vec<ArrayD<f64>> = shapes
            .iter()
            .map(|s| common::broadcast_base(s, &mut rng))
            .collect();
        let views: Vec<ArrayViewD<f64>> = bases
            .iter()
            .zip(&shapes)
            .map(|(b, s)| common::broadcast_view(b, s))
            .collect();
        for (v, sh) in views.iter().zip(&shapes) {
            if sh.first().is_some_and(|&n| n > 1) {
                assert_eq!(v.strides()[0], 0);
            }
        }
        let materialized: Vec<ArrayD<f64>> = views.iter().map(|v| v.to_owned()).collect();
        let want = reference(case.subscripts, &materialized);
        check_case(&case, &views, &want, "zero strides");
        count += 1;
    }
    count
}

#[test]
fn table_f64_zero_stride_operands() {
    through_both_paths(|path| {
        assert_eq!(
            check_zero_stride_operands(small_sizes),
            cases::<f64>().len(),
            "{path:?}"
        );
    });
}

#[test]
fn table_large_f64_zero_stride_operands() {
    assert!(check_zero_stride_operands(large_sizes) >= 60);
}

/// Every row with one axis of length 1 in the first operand that has an axis
/// whose label is not repeated in it: numpy broadcasts it against the
/// label's size elsewhere.
fn check_size_one_axes(sizing: Sizing) -> usize {
    let mut tested = 0;
    for case in cases::<f64>() {
        let parsed = common::parse(case.subscripts);
        let Some(mut shapes) = shapes_for(case.subscripts, sizing) else {
            continue;
        };
        let pick = parsed.inputs.iter().enumerate().find_map(|(k, ls)| {
            ls.iter()
                .position(|l| ls.iter().filter(|m| *m == l).count() == 1)
                .map(|axis| (k, axis))
        });
        let Some((k, axis)) = pick else { continue };
        shapes[k][axis] = 1;
        let operands = operands_for::<f64>(case.subscripts, &shapes);
        let want = reference(case.subscripts, &operands);
        for layout in [Layout::C, Layout::Stepped] {
            let laid: Vec<Laid<f64, IxDyn>> = operands.iter().map(|a| lay(a, layout)).collect();
            let views: Vec<ArrayViewD<f64>> = laid.iter().map(Laid::view).collect();
            check_case(&case, &views, &want, &format!("size 1, {layout:?}"));
        }
        tested += 1;
    }
    tested
}

#[test]
fn table_f64_size_one_axes() {
    through_both_paths(|path| assert!(check_size_one_axes(small_sizes) >= 85, "{path:?}"));
}

#[test]
fn table_large_f64_size_one_axes() {
    assert!(check_size_one_axes(large_sizes) >= 60);
}

// ---------------------------------------------------------------------------
// Odd sizes
// ---------------------------------------------------------------------------

const ODD_SIZES: [usize; 7] = [0, 1, 2, 3, 5, 7, 13];

/// The layout of operand `k` of sweep point `point`: cycles through all of them.
fn sweep_layout(point: usize, k: usize) -> Layout {
    LAYOUTS[(point + k) % LAYOUTS.len()]
}

#[test]
fn odd_sizes_matmul() {
    through_both_paths(|path| {
        let mut rng = Lcg::new(1);
        let mut point = 0;
        for &i in &ODD_SIZES {
            for &j in &ODD_SIZES {
                for &k in &ODD_SIZES {
                    let a: Array2<f64> = random((i, j), &mut rng);
                    let b: Array2<f64> = random((j, k), &mut rng);
                    let want =
                        reference("ij,jk->ik", &[a.clone().into_dyn(), b.clone().into_dyn()]);
                    let (la, lb) = (
                        lay(&a, sweep_layout(point, 0)),
                        lay(&b, sweep_layout(point, 1)),
                    );
                    let got: Array2<f64> = einsum!("ij,jk->ik", la.view(), lb.view());
                    check_result(&format!("matmul {i}x{j}x{k}, {path:?}"), got, &want);
                    point += 1;
                }
            }
        }
    });
}

#[test]
fn odd_sizes_batched_matmul() {
    through_both_paths(|path| {
        let mut rng = Lcg::new(2);
        let mut point = 0;
        for &b in &[0, 1, 3] {
            for &i in &ODD_SIZES {
                for &j in &ODD_SIZES {
                    for &k in &ODD_SIZES {
                        let x: Array3<f64> = random((b, i, j), &mut rng);
                        let y: Array3<f64> = random((b, j, k), &mut rng);
                        let want = reference(
                            "bij,bjk->bik",
                            &[x.clone().into_dyn(), y.clone().into_dyn()],
                        );
                        let (lx, ly) = (
                            lay(&x, sweep_layout(point, 0)),
                            lay(&y, sweep_layout(point, 1)),
                        );
                        let got = einsum!("bij,bjk->bik", lx.view(), ly.view());
                        check_result(&format!("bmm {b}x{i}x{j}x{k}, {path:?}"), got, &want);
                        point += 1;
                    }
                }
            }
        }
    });
}

#[test]
fn odd_sizes_trace_reduction_outer_inner() {
    through_both_paths(|path| {
        let mut rng = Lcg::new(3);
        for (point, &n) in ODD_SIZES.iter().enumerate() {
            let m: Array2<f64> = random((n, n), &mut rng);
            let lm = lay(&m, sweep_layout(point, 0));
            let want = reference("ii", &[m.clone().into_dyn()]);
            let got: f64 = einsum!("ii", lm.view());
            check_result(&format!("trace {n}, {path:?}"), got, &want);
            for &p in &ODD_SIZES {
                let a: Array2<f64> = random((n, p), &mut rng);
                let b: Array2<f64> = random((n, p), &mut rng);
                let x: Array1<f64> = random(n, &mut rng);
                let y: Array1<f64> = random(p, &mut rng);
                let (la, lb) = (
                    lay(&a, sweep_layout(point, p)),
                    lay(&b, sweep_layout(point, p + 1)),
                );
                let (lx, ly) = (
                    lay(&x, sweep_layout(point, p + 2)),
                    lay(&y, sweep_layout(point, 1)),
                );
                let (ad, bd) = (a.clone().into_dyn(), b.clone().into_dyn());
                let (xd, yd) = (x.clone().into_dyn(), y.clone().into_dyn());
                let got = einsum!("ij->j", la.view());
                check_result(
                    &format!("ij->j {n}x{p}, {path:?}"),
                    got,
                    &reference("ij->j", std::slice::from_ref(&ad)),
                );
                let got = einsum!("i,j->ij", lx.view(), ly.view());
                check_result(
                    &format!("outer {n}x{p}, {path:?}"),
                    got,
                    &reference("i,j->ij", &[xd, yd]),
                );
                let got: f64 = einsum!("ij,ij->", la.view(), lb.view());
                check_result(
                    &format!("inner {n}x{p}, {path:?}"),
                    got,
                    &reference("ij,ij->", &[ad, bd]),
                );
            }
        }
    });
}

/// numpy's documented regression (gh-10930 family): the square of a 2x2 matrix.
#[test]
fn numpy_regression_matrix_square() {
    let a = arr2(&[[1.0, 2.0], [3.0, 4.0]]);
    let got = einsum!("ij,jk->ik", a, a);
    assert_eq!(got, arr2(&[[7.0, 10.0], [15.0, 22.0]]));
    let a = arr2(&[[1i64, 2], [3, 4]]);
    let got = einsum!("ij,jk->ik", a, a);
    assert_eq!(got, arr2(&[[7, 10], [15, 22]]));
}

// ---------------------------------------------------------------------------
// Operand kinds
// ---------------------------------------------------------------------------

fn matmul_reference(a: &Array2<f64>, b: &Array2<f64>) -> ArrayD<f64> {
    reference("ij,jk->ik", &[a.clone().into_dyn(), b.clone().into_dyn()])
}

#[test]
fn operands_owned_borrowed_viewed_and_mut_borrowed() {
    let mut rng = Lcg::new(4);
    let mut a: Array2<f64> = random((3, 4), &mut rng);
    let b: Array2<f64> = random((4, 5), &mut rng);
    let want = matmul_reference(&a, &b);
    check_result("owned by name", einsum!("ij,jk->ik", a, b), &want);
    check_result("references", einsum!("ij,jk->ik", &a, &b), &want);
    check_result("views", einsum!("ij,jk->ik", a.view(), b.view()), &want);
    check_result(
        "temporary owned",
        einsum!("ij,jk->ik", a.clone(), b.to_owned()),
        &want,
    );
    check_result("&mut", einsum!("ij,jk->ik", &mut a, &b), &want);
    check_result("view_mut", einsum!("ij,jk->ik", a.view_mut(), b), &want);
    // None of the operands was moved or changed.
    a[[0, 0]] += 1.0;
    assert_eq!(b.shape(), &[4, 5]);
    let changed = matmul_reference(&a, &b);
    check_result("after use", einsum!("ij,jk->ik", a, b), &changed);
}

#[test]
fn operands_shared_and_copy_on_write() {
    let mut rng = Lcg::new(5);
    let a: Array2<f64> = random((3, 4), &mut rng);
    let b: Array2<f64> = random((4, 2), &mut rng);
    let want = matmul_reference(&a, &b);
    let shared = a.to_shared();
    let shared_clone = shared.clone();
    check_result("ArcArray", einsum!("ij,jk->ik", shared, &b), &want);
    check_result(
        "ArcArray clone",
        einsum!("ij,jk->ik", &shared_clone, b),
        &want,
    );
    let cow_view = CowArray::from(a.view());
    let cow_owned = CowArray::from(b.clone());
    check_result("CowArray", einsum!("ij,jk->ik", cow_view, cow_owned), &want);
    let (ad, bd) = (a.clone().into_dyn(), b.clone().into_dyn());
    check_result("ArrayD", einsum!("ij,jk->ik", ad, bd), &want);
    check_result(
        "ArcArray D",
        einsum!("ij,jk->ik", ad.to_shared(), bd.view()),
        &want,
    );
}

#[test]
fn operands_scalars_and_rank_zero_arrays() {
    let mut rng = Lcg::new(6);
    let m: Array2<f64> = random((3, 4), &mut rng);
    let two = arr0(2.0f64);
    let three = arr0(3.0f64);
    let (twod, threed) = (two.clone().into_dyn(), three.clone().into_dyn());
    let md = m.clone().into_dyn();
    let want = reference(",ab,->ab", &[twod.clone(), md.clone(), threed.clone()]);
    check_result("plain scalars", einsum!(",ab,->ab", 2.0f64, m, 3.0), &want);
    check_result("Array0", einsum!(",ab,->ab", two, &m, three.view()), &want);
    check_result(
        "ArrayD of rank 0",
        einsum!(",ab,->ab", twod, m, &threed),
        &want,
    );
    let x = 1.5f64;
    let want = reference(",,->", &[arr0(x).into_dyn(), twod.clone(), threed.clone()]);
    let got: f64 = einsum!(",,->", x, two, 3.0);
    check_result("scalar product", got, &want);
    let want = reference("ab,->ab", &[md.clone(), arr0(-2.0).into_dyn()]);
    check_result("negative literal", einsum!("ab,->ab", m, -2.0), &want);
    let got: f64 = einsum!("->", 4.0f64);
    check_result(
        "identity on a scalar",
        got,
        &reference("->", &[arr0(4.0).into_dyn()]),
    );
}

#[test]
fn operands_zero_stride_broadcast_views() {
    let mut rng = Lcg::new(7);
    let row: Array1<f64> = random(4, &mut rng);
    let col: Array2<f64> = random((3, 1), &mut rng);
    let b: Array2<f64> = random((4, 5), &mut rng);
    let rows = row.broadcast((3, 4)).unwrap();
    let cols = col.broadcast((3, 4)).unwrap();
    assert_eq!(rows.strides(), &[0, 1]);
    assert_eq!(cols.strides()[1], 0);
    let want = matmul_reference(&rows.to_owned(), &b);
    check_result("broadcast rows", einsum!("ij,jk->ik", rows, b), &want);
    let want = matmul_reference(&cols.to_owned(), &b);
    check_result("broadcast cols", einsum!("ij,jk->ik", cols, &b), &want);
    let scalar = arr0(2.0f64);
    let all = scalar.broadcast((4, 4)).unwrap();
    let want = reference("ii", &[all.to_owned().into_dyn()]);
    check_result("all-zero strides trace", einsum!("ii", all), &want);
    let want = reference(
        "ij,jk->ik",
        &[rows.to_owned().into_dyn(), all.to_owned().into_dyn()],
    );
    check_result("broadcast both", einsum!("ij,jk->ik", rows, all), &want);
}

#[test]
fn operands_size_one_axes_broadcast() {
    let mut rng = Lcg::new(8);
    let a: Array2<f64> = random((3, 1), &mut rng);
    let b: Array2<f64> = random((5, 4), &mut rng);
    let (ad, bd) = (a.clone().into_dyn(), b.clone().into_dyn());
    let want = reference("ij,jk->ik", &[ad.clone(), bd.clone()]);
    assert_eq!(want.shape(), &[3, 4]);
    check_result("(3,1)x(5,4)", einsum!("ij,jk->ik", a, b), &want);
    let x: Array1<f64> = random(1, &mut rng);
    let y: Array1<f64> = random(6, &mut rng);
    let (xd, yd) = (x.clone().into_dyn(), y.clone().into_dyn());
    check_result(
        "i,i->i",
        einsum!("i,i->i", x, y),
        &reference("i,i->i", &[xd.clone(), yd.clone()]),
    );
    check_result(
        "i,i",
        einsum!("i,i", y, x),
        &reference("i,i", &[yd.clone(), xd.clone()]),
    );
    let c: Array2<f64> = random((1, 4), &mut rng);
    let cd = c.clone().into_dyn();
    let want = reference("ij,ij->ij", &[ad.clone(), cd.clone()]);
    assert_eq!(want.shape(), &[3, 4]);
    check_result("(3,1)*(1,4)", einsum!("ij,ij->ij", a, c), &want);
    check_result("dynamic", einsum!("ij,ij->ij", ad, cd), &want);
}

// ---------------------------------------------------------------------------
// Integer wrapping
// ---------------------------------------------------------------------------

#[test]
fn integers_wrap_like_numpy() {
    let a = Array1::from_vec(vec![200u8, 100, 255, 17]);
    let b = Array1::from_vec(vec![201u8, 3, 255, 99]);
    let got: u8 = einsum!("i,i->", a, b);
    let exact: u64 = a
        .iter()
        .zip(&b)
        .map(|(&x, &y)| u64::from(x) * u64::from(y))
        .sum();
    assert_eq!(got, exact as u8);
    let (ad, bd) = (a.clone().into_dyn(), b.clone().into_dyn());
    check_result(
        "u8 outer",
        einsum!("i,j->ij", a, b),
        &reference("i,j->ij", &[ad, bd]),
    );

    let mut rng = Lcg::new(9);
    let big = |rng: &mut Lcg| i32::MAX - 1000 + rng.small(1000) as i32;
    let m = Array2::from_shape_fn((3, 4), |_| big(&mut rng));
    let n = Array2::from_shape_fn((4, 2), |_| -big(&mut rng));
    let got = einsum!("ij,jk->ik", m, n);
    let exact = Array2::from_shape_fn((3, 2), |(i, k)| {
        (0..4)
            .map(|j| i128::from(m[[i, j]]) * i128::from(n[[j, k]]))
            .sum::<i128>() as i32
    });
    assert_eq!(got, exact);
    let mi = m.clone().into_dyn();
    check_result(
        "i32 trace-like",
        einsum!("ij,ij", m, m),
        &reference("ij,ij", &[mi.clone(), mi]),
    );
    let t: i64 = einsum!("i->", Array1::from_elem(3, i64::MAX));
    assert_eq!(t, i64::MAX.wrapping_mul(3));
}

// ---------------------------------------------------------------------------
// The call form and lazy expressions
// ---------------------------------------------------------------------------

fn dyn2(a: &Array2<f64>) -> ArrayD<f64> {
    a.clone().into_dyn()
}

fn dyn1(a: &Array1<f64>) -> ArrayD<f64> {
    a.clone().into_dyn()
}

/// The seed's problem: `E = einsum("ijk,ikj->k", C + C2, C + C2)` with
/// `C = einsum("i,jk->ijk", B, A)` and `C2 = einsum("j,ik->ijk", Y2, Z2)`.
#[test]
fn seed_expression() {
    check_seed(5, 4);
    check_seed(7, 64);
}

fn check_seed(n: usize, q: usize) {
    let mut rng = Lcg::new(10);
    let b: Array1<f64> = random(n, &mut rng);
    let a: Array2<f64> = random((q, q), &mut rng);
    let y2: Array1<f64> = random(q, &mut rng);
    let z2: Array2<f64> = random((n, q), &mut rng);
    let c = reference("i,jk->ijk", &[dyn1(&b), dyn2(&a)]);
    let c2 = reference("j,ik->ijk", &[dyn1(&y2), dyn2(&z2)]);
    let sum = combine(&c, 1.0, &c2, 1.0);
    let want = reference("ijk,ikj->k", &[sum.clone(), sum.clone()]);
    for layout in LAYOUTS {
        let (lb, la) = (lay(&b, layout), lay(&a, layout));
        let (ly, lz) = (lay(&y2, layout), lay(&z2, layout));
        let (bv, av, yv, zv) = (lb.view(), la.view(), ly.view(), lz.view());
        let got = einsum! {
            let c = "i,jk->ijk"(bv, av);
            let c2 = "j,ik->ijk"(yv, zv);
            "ijk,ikj->k"(c + c2, c + c2)
        };
        check_result(&format!("seed {layout:?}"), got, &want);
    }
    // The same through a nested call instead of bindings.
    let got = einsum!(
        "ijk,ikj->k",
        "i,jk->ijk"(b, a) + "j,ik->ijk"(y2, z2),
        "i,jk->ijk"(b, a) + "j,ik->ijk"(y2, z2)
    );
    check_result("seed nested", got, &want);
    // The scratch variant: `c + c` against `c`.
    let twice = combine(&c, 2.0, &c, 0.0);
    let want = reference("ijk,ikj->k", &[twice, c.clone()]);
    let got = einsum! {
        let c = "i,jk->ijk"(b, a);
        "ijk,ikj->k"(c + c, c)
    };
    check_result("c + c, c", got, &want);
}

#[test]
fn nested_call_with_a_materialized_operand() {
    let (n, q) = (3, 4);
    let mut rng = Lcg::new(11);
    let b: Array1<f64> = random(n, &mut rng);
    let a: Array2<f64> = random((q, q), &mut rng);
    let y2: Array1<f64> = random(q, &mut rng);
    let z2: Array2<f64> = random((n, q), &mut rng);
    let c3: Array3<f64> = random((n, q, q), &mut rng);
    let c = reference("i,jk->ijk", &[dyn1(&b), dyn2(&a)]);
    let c2 = reference("j,ik->ijk", &[dyn1(&y2), dyn2(&z2)]);
    let want = reference(
        "ijk,ikj->k",
        &[combine(&c, 1.0, &c2, 1.0), c3.clone().into_dyn()],
    );
    let got = einsum!("ijk,ikj->k", "i,jk->ijk"(b, a) + "j,ik->ijk"(y2, z2), c3);
    check_result("nested", got, &want);
    let want = reference(
        "ijk,ikj->k",
        &[combine(&c, 1.0, &c2, -1.0), c3.clone().into_dyn()],
    );
    let got = einsum! { "ijk,ikj->k"("i,jk->ijk"(b, a) - "j,ik->ijk"(y2, z2), c3) };
    check_result("nested difference", got, &want);
}

#[test]
fn linear_combinations_of_calls() {
    check_linear_combinations(3, 4, 2);
    // Large enough for GEMM, whose alpha and beta then carry the coefficients.
    check_linear_combinations(24, 17, 19);
}

fn check_linear_combinations(ni: usize, nj: usize, nk: usize) {
    let mut rng = Lcg::new(12);
    let a: Array2<f64> = random((ni, nj), &mut rng);
    let b: Array2<f64> = random((nj, nk), &mut rng);
    let c: Array2<f64> = random((ni, nk), &mut rng);
    let ab = matmul_reference(&a, &b);
    let want = combine(&ab, 2.0, &dyn2(&c), -1.0);
    check_result("2 ab - c", einsum! { 2.0 * "ij,jk->ik"(a, b) - c }, &want);
    let alpha = -1.5;
    let want = combine(&ab, alpha, &dyn2(&c), 1.0);
    check_result(
        "c + alpha ab",
        einsum! { c + alpha * "ij,jk->ik"(a, b) },
        &want,
    );
    let want = combine(&ab, -1.0, &dyn2(&c), 0.0);
    check_result("-ab", einsum! { -"ij,jk->ik"(a, b) }, &want);
    let (beta, gamma) = (0.5, 3.0);
    let want = combine(&ab, beta * gamma, &dyn2(&c), -2.0);
    check_result(
        "beta gamma ab - 2c",
        einsum! { beta * gamma * "ij,jk->ik"(a, b) - 2.0 * c },
        &want,
    );
    // Transposed and untransposed terms in one sum.
    let bt = b.t().to_owned();
    let at = a.t().to_owned();
    let want = combine(
        &ab,
        1.0,
        &reference("kj,ji->ik", &[dyn2(&bt), dyn2(&at)]),
        1.0,
    );
    check_result(
        "ab + (b^T a^T)^T",
        einsum! { "ij,jk->ik"(a, b) + "kj,ji->ik"(bt, at) },
        &want,
    );
    // A rank-0 combination is a scalar.
    let m: Array2<f64> = random((nj, nj), &mut rng);
    let want = combine(
        &reference("ii", &[dyn2(&m)]),
        2.0,
        &reference("ij,ij->", &[dyn2(&a), dyn2(&a)]),
        -1.0,
    );
    let got: f64 = einsum! { 2.0 * "ii"(m) - "ij,ij->"(a, a) };
    check_result("scalar combination", got, &want);
}

#[test]
fn summed_labels_are_local_to_each_call() {
    let mut rng = Lcg::new(13);
    // The inner `j` is 7, the outer `j` is 3.
    let a: Array2<f64> = random((2, 7), &mut rng);
    let b: Array2<f64> = random((7, 3), &mut rng);
    let c: Array2<f64> = random((3, 5), &mut rng);
    let ab = matmul_reference(&a, &b);
    let want = reference("ij,jk->ik", &[ab.clone(), dyn2(&c)]);
    check_result(
        "nested j",
        einsum! { "ij,jk->ik"("ij,jk->ik"(a, b), c) },
        &want,
    );
    let got = einsum! {
        let t = "ij,jk->ik"(a, b);
        "ij,jk->ik"(t, c)
    };
    check_result("bound j", got, &want);
    // Two calls each summing their own `j`, of sizes 7 and 2, joined on `i`.
    let x: Array2<f64> = random((3, 7), &mut rng);
    let y: Array2<f64> = random((3, 2), &mut rng);
    let want = reference(
        "i,i->",
        &[
            reference("ij->i", &[dyn2(&x)]),
            reference("ij->i", &[dyn2(&y)]),
        ],
    );
    let got: f64 = einsum! { "i,i->"("ij->i"(x), "ij->i"(y)) };
    check_result("sibling j", got, &want);
    // The output labels of an inner call are renamed by the outer call's
    // subscripts: the inner `ik` result is read as `ki` by the outer call.
    let want = reference(
        "ki,kl->il",
        &[ab.clone(), reference("ij,jk->ik", &[ab.clone(), dyn2(&c)])],
    );
    let got = einsum! { "ki,kl->il"("ij,jk->ik"(a, b), "ij,jk->ik"("ij,jk->ik"(a, b), c)) };
    check_result("renamed outputs", got, &want);
}

#[test]
fn plain_operands_in_sums() {
    let mut rng = Lcg::new(14);
    let a: Array2<f64> = random((3, 4), &mut rng);
    let b: Array2<f64> = random((3, 4), &mut rng);
    let c: Array2<f64> = random((4, 2), &mut rng);
    let sum = combine(&dyn2(&a), 1.0, &dyn2(&b), 1.0);
    let want = reference("ij,jk->ik", &[sum, dyn2(&c)]);
    check_result("(a + b) c", einsum! { "ij,jk->ik"(a + b, c) }, &want);
    let diff = combine(&dyn2(&a), 1.0, &dyn2(&b), -2.0);
    let want = reference("ij,jk->ik", &[diff.clone(), dyn2(&c)]);
    check_result("(a - 2b) c", einsum! { "ij,jk->ik"(a - 2.0 * b, c) }, &want);
    check_result(
        "numpy form (a - 2b) c",
        einsum!("ij,jk->ik", a - 2.0 * b, c.view()),
        &want,
    );
    let want = reference("ij,ij->", &[diff.clone(), diff]);
    let got: f64 = einsum! { "ij,ij->"(a - 2.0 * b, a - 2.0 * b) };
    check_result("(a - 2b) . (a - 2b)", got, &want);
}

#[test]
fn equal_terms_merge() {
    check_equal_terms_merge(3, 4, 2);
    check_equal_terms_merge(20, 16, 18);
}

fn check_equal_terms_merge(ni: usize, nj: usize, nk: usize) {
    let mut rng = Lcg::new(15);
    let a: Array2<f64> = random((ni, nj), &mut rng);
    let b: Array2<f64> = random((nj, nk), &mut rng);
    let ab = matmul_reference(&a, &b);
    let doubled = combine(&ab, 2.0, &ab, 0.0);
    check_result(
        "x + x",
        einsum! { "ij,jk->ik"(a, b) + "ij,jk->ik"(a, b) },
        &doubled,
    );
    let got = einsum! {
        let x = "ij,jk->ik"(a, b);
        x + x
    };
    check_result("bound x + x", got, &doubled);
    check_result("2 x", einsum! { 2.0 * "ij,jk->ik"(a, b) }, &doubled);
    let zeros = combine(&ab, 0.0, &ab, 0.0);
    assert_eq!(zeros.shape(), &[ni, nk]);
    check_result(
        "x - x",
        einsum! { "ij,jk->ik"(a, b) - "ij,jk->ik"(a, b) },
        &zeros,
    );
    let got = einsum! {
        let x = "ij,jk->ik"(a, b);
        x + x - 2.0 * x
    };
    check_result("x + x - 2x", got, &zeros);
    let got: f64 = einsum! { "ij,ij->"(a, a) - "ij,ij->"(a, a) };
    check_result("scalar x - x", got, &ArrayD::zeros(IxDyn(&[])));
    // Integer coefficients merge exactly too.
    let ai = a.mapv(|x| x as i64);
    let bi = b.mapv(|x| x as i64);
    let abi = reference("ij,jk->ik", &[ai.clone().into_dyn(), bi.clone().into_dyn()]);
    let want = combine(&abi, 3, &abi, 0);
    check_result(
        "i64 x + 2x",
        einsum! { "ij,jk->ik"(ai, bi) + 2 * "ij,jk->ik"(ai, bi) },
        &want,
    );
}

#[test]
fn bindings_reused_across_calls() {
    let mut rng = Lcg::new(16);
    let a: Array2<f64> = random((3, 3), &mut rng);
    let v: Array1<f64> = random(3, &mut rng);
    // t = a a^T (summed j); then v^T t v and trace(t t), in one expression.
    let t = reference("ij,kj->ik", &[dyn2(&a), dyn2(&a)]);
    let want = combine(
        &reference("i,ik,k->", &[dyn1(&v), t.clone(), dyn1(&v)]),
        1.0,
        &reference("ij,ji->", &[t.clone(), t.clone()]),
        1.0,
    );
    let got: f64 = einsum! {
        let t = "ij,kj->ik"(a, a);
        "i,ik,k->"(v, t, v) + "ij,ji->"(t, t)
    };
    check_result("reused binding", got, &want);
}

#[test]
fn operand_expressions_are_temporaries_evaluated_once() {
    let mut rng = Lcg::new(17);
    let a: Array2<f64> = random((3, 4), &mut rng);
    let b: Array2<f64> = random((3, 5), &mut rng);
    // Method calls returning views and owned temporaries.
    let at = a.t().to_owned();
    let want = matmul_reference(&at, &b);
    check_result("a.t()", einsum!("ij,jk->ik", a.t(), &b), &want);
    check_result("&a.t()", einsum!("ij,jk->ik", &a.t(), b.view()), &want);
    check_result(
        "mapv",
        einsum!("ij,jk->ik", a.t().mapv(|x| x), b.clone()),
        &want,
    );
    let rev = a.slice(ndarray::s![..;-1, ..]).to_owned();
    let want = reference("ij,ik->jk", &[dyn2(&rev), dyn2(&b)]);
    let got = einsum!("ij,ik->jk", a.slice(ndarray::s![..;-1, ..]), b);
    check_result("slice", got, &want);
    // Each Rust value is evaluated once, however often the expanded terms use it.
    let calls = std::cell::Cell::new(0);
    let counted = |m: &Array2<f64>| {
        calls.set(calls.get() + 1);
        m.clone()
    };
    let v: Array1<f64> = random(3, &mut rng);
    let x = Array2::from_shape_fn((3, 3), |(i, j)| a[[i, j]]);
    let got = einsum! {
        let c = "i,jk->ijk"(v, counted(&x));
        "ijk,ikj->k"(c + c, c - c + c)
    };
    assert_eq!(
        calls.get(),
        1,
        "the operand expression ran {} times",
        calls.get()
    );
    let c = reference("i,jk->ijk", &[dyn1(&v), dyn2(&x)]);
    let want = reference("ijk,ikj->k", &[combine(&c, 2.0, &c, 0.0), c.clone()]);
    check_result("counted operand", got, &want);
    let coefficient_calls = std::cell::Cell::new(0);
    let alpha = || {
        coefficient_calls.set(coefficient_calls.get() + 1);
        2.0
    };
    let got = einsum! {
        let t = alpha() * "ij->ji"(x);
        t + t - "ij->ij"(x)
    };
    assert_eq!(
        coefficient_calls.get(),
        1,
        "the coefficient ran {} times",
        coefficient_calls.get()
    );
    let want = combine(&reference("ij->ji", &[dyn2(&x)]), 4.0, &dyn2(&x), -1.0);
    check_result("counted coefficient", got, &want);
}

#[test]
fn repeated_labels_on_lazy_operands() {
    let mut rng = Lcg::new(18);
    let a: Array2<f64> = random((4, 3), &mut rng);
    let b: Array2<f64> = random((3, 4), &mut rng);
    let ab = matmul_reference(&a, &b);
    // The trace and the diagonal of a product that is never materialized.
    let got: f64 = einsum! { "ii"("ij,jk->ik"(a, b)) };
    check_result(
        "trace of a product",
        got,
        &reference("ii", std::slice::from_ref(&ab)),
    );
    let got = einsum! { "ii->i"("ij,jk->ik"(a, b)) };
    check_result(
        "diagonal of a product",
        got,
        &reference("ii->i", std::slice::from_ref(&ab)),
    );
    // A diagonal of a sum of products with a plain operand.
    let m: Array2<f64> = random((4, 4), &mut rng);
    let sum = combine(&ab, 1.0, &dyn2(&m), -3.0);
    let got = einsum! { "ii->i"("ij,jk->ik"(a, b) - 3.0 * m) };
    check_result("diagonal of a sum", got, &reference("ii->i", &[sum]));
}

#[test]
fn coefficients_of_other_element_types() {
    let mut rng = Lcg::new(19);
    let x: Array2<Complex<f64>> = random((3, 4), &mut rng);
    let y: Array2<Complex<f64>> = random((4, 2), &mut rng);
    let i = Complex::new(0.0, 1.0);
    let xy = reference("ij,jk->ik", &[x.clone().into_dyn(), y.clone().into_dyn()]);
    let want = combine(&xy, i, &xy, Complex::new(2.0, 0.0));
    let two = Complex::new(2.0, 0.0);
    let got = einsum! { i * "ij,jk->ik"(x, y) + two * "ij,jk->ik"(x, y) };
    check_result("complex coefficients", got, &want);
    // Integer coefficients add with wrapping when equal terms merge.
    let v = Array1::from_vec(vec![3u8, 100, 255]);
    let (p, q) = (200u8, 100u8);
    let vd = v.clone().into_dyn();
    let want = combine(&vd, p, &vd, q);
    let got = einsum! { p * "i->i"(v) + q * "i->i"(v) };
    check_result("u8 coefficients", got, &want);
}

#[test]
fn one_variable_used_several_times() {
    let mut rng = Lcg::new(20);
    let a: Array2<f64> = random((4, 4), &mut rng);
    let ad = dyn2(&a);
    let got: f64 = einsum!("ij,ji->", a, a);
    check_result(
        "a, a",
        got,
        &reference("ij,ji->", &[ad.clone(), ad.clone()]),
    );
    let got = einsum!("ij,ij,ji->ij", a, &a, a.view());
    let want = reference("ij,ij,ji->ij", &[ad.clone(), ad.clone(), ad.clone()]);
    check_result("a, &a, a.view()", got, &want);
    let got = einsum!("ij,jk,kl->il", a, a.t(), a);
    let at = a.t().to_owned().into_dyn();
    let want = reference("ij,jk,kl->il", &[ad.clone(), at, ad.clone()]);
    check_result("a, a.t(), a", got, &want);
    let got = einsum! { "ij,jk->ik"(a, a) - "ij,jk->ik"(&a, a) };
    check_result("a a - &a a", got, &ArrayD::zeros(IxDyn(&[4, 4])));
}

#[test]
fn size_one_axes_broadcast_across_calls_and_sums() {
    let mut rng = Lcg::new(21);
    let x: Array2<f64> = random((2, 1), &mut rng);
    let z: Array2<f64> = random((2, 3), &mut rng);
    let y: Array2<f64> = random((3, 4), &mut rng);
    // The inner call's `b` is 1, the outer `j` it becomes is 3 through `y`.
    let inner = reference("ab->ab", &[dyn2(&x)]);
    let want = reference("ij,jk->ik", &[inner, dyn2(&y)]);
    assert_eq!(want.shape(), &[2, 4]);
    check_result(
        "across calls",
        einsum! { "ij,jk->ik"("ab->ab"(x), y) },
        &want,
    );
    // A sum whose terms broadcast against each other, as numpy's `x + z`.
    let broadcast_sum = (&x + &z).into_dyn();
    let want = reference("ij,jk->ik", &[broadcast_sum, dyn2(&y)]);
    check_result("in a sum", einsum! { "ij,jk->ik"(x + z, y) }, &want);
    // And with sizes where GEMM runs.
    let x: Array2<f64> = random((20, 1), &mut rng);
    let z: Array2<f64> = random((20, 17), &mut rng);
    let y: Array2<f64> = random((17, 19), &mut rng);
    let want = reference("ij,jk->ik", &[(&x + &z).into_dyn(), dyn2(&y)]);
    check_result("in a sum, large", einsum! { "ij,jk->ik"(x + z, y) }, &want);
    let want = reference("ij,jk->ik", &[dyn2(&x), dyn2(&y)]);
    check_result("operand, large", einsum!("ij,jk->ik", x, y), &want);
}
