//! Output targets (DESIGN.md section 2.2): `out = EXPR` overwrites,
//! `out += EXPR` and `out -= EXPR` accumulate, into arrays and mutable views
//! of any strides. Every target here sits inside a NaN-filled buffer: the
//! result must match the reference and every element around the view must
//! still be NaN afterwards. `=` targets start out NaN too, so a kernel that
//! reads the old value (instead of overwriting it) is caught. Every check
//! runs through both the emitted loops and the runtime's kernels
//! (`force_path`), whatever the sizes.

mod common;

use common::{
    assert_close, combine, lay, random, reference, Elem, Layout, Lcg, Padded, TargetLayout,
    TARGET_LAYOUTS,
};
use lazy_einsum::__private::force_path;
use lazy_einsum::{einsum, ndarray};
use ndarray::{
    Array, Array0, Array1, Array2, Array3, ArrayD, ArrayViewMut, Axis, Dimension, IntoDimension,
    Ix0, Ix1, Ix2, Ix3, IxDyn, ShapeBuilder,
};

/// The emitted loops whatever the sizes, then the runtime's kernels
/// whatever the sizes (`force_path` is per thread: each test resets it).
const PATHS: [Option<bool>; 2] = [Some(true), Some(false)];

/// Every layout of target through each path, setting the path.
fn layouts_and_paths() -> impl Iterator<Item = (TargetLayout, Option<bool>)> {
    TARGET_LAYOUTS.into_iter().flat_map(|layout| {
        PATHS.into_iter().map(move |path| {
            force_path(path);
            (layout, path)
        })
    })
}

/// `init + sign * want` elementwise.
fn accumulated<T: Elem>(init: &ArrayD<T>, want: &ArrayD<T>, sign: T) -> ArrayD<T> {
    combine(init, T::one(), want, sign)
}

/// Runs `=`, `+=` and `-=` into a padded target of every layout and checks the
/// contents against `want` (the reference of the expression) and the padding.
fn check_targets<T, D, Sh>(
    what: &str,
    shape: Sh,
    want: &ArrayD<T>,
    assign: impl Fn(&mut ArrayViewMut<'_, T, D>),
    add: impl Fn(&mut ArrayViewMut<'_, T, D>),
    subtract: impl Fn(&mut ArrayViewMut<'_, T, D>),
) where
    T: Elem,
    D: Dimension,
    Sh: IntoDimension<Dim = D> + Clone,
{
    let mut rng = Lcg::new(99);
    let minus_one = T::small(-1, 0);
    for (layout, path) in layouts_and_paths() {
        let what = format!("{what}, {layout:?} target, {path:?}");

        let mut padded = Padded::<T, D>::new(shape.clone(), layout);
        assign(&mut padded.target());
        assert_close(&format!("{what}, ="), &padded.contents().into_dyn(), want);
        padded.assert_padding_intact(&format!("{what}, ="));

        let init: ArrayD<T> = random(IxDyn(want.shape()), &mut rng);
        let mut padded = Padded::<T, D>::new(shape.clone(), layout);
        padded
            .target()
            .assign(&init.view().into_dimensionality::<D>().unwrap());
        add(&mut padded.target());
        let expected = accumulated(&init, want, T::one());
        assert_close(
            &format!("{what}, +="),
            &padded.contents().into_dyn(),
            &expected,
        );
        padded.assert_padding_intact(&format!("{what}, +="));

        let mut padded = Padded::<T, D>::new(shape.clone(), layout);
        padded
            .target()
            .assign(&init.view().into_dimensionality::<D>().unwrap());
        subtract(&mut padded.target());
        let expected = accumulated(&init, want, minus_one);
        assert_close(
            &format!("{what}, -="),
            &padded.contents().into_dyn(),
            &expected,
        );
        padded.assert_padding_intact(&format!("{what}, -="));
    }
    force_path(None);
}

fn d<T: Clone, D: Dimension>(a: &Array<T, D>) -> ArrayD<T> {
    a.clone().into_dyn()
}

#[test]
fn matmul_into_every_layout() {
    // Small (loop kernel) and large enough for GEMM.
    for (ni, nj, nk) in [(3, 4, 5), (20, 17, 19)] {
        check_matmul_targets(ni, nj, nk);
    }
}

fn check_matmul_targets(ni: usize, nj: usize, nk: usize) {
    let mut rng = Lcg::new(1);
    let a: Array2<f64> = random((ni, nj), &mut rng);
    let b: Array2<f64> = random((nj, nk), &mut rng);
    let want = reference("ij,jk->ik", &[d(&a), d(&b)]);
    for layout in [Layout::C, Layout::F, Layout::Negative, Layout::Stepped] {
        let (la, lb) = (lay(&a, layout), lay(&b, Layout::F));
        let (av, bv) = (la.view(), lb.view());
        check_targets(
            &format!("matmul {ni}x{nj}x{nk}, {layout:?} operands"),
            (ni, nk),
            &want,
            |out: &mut ArrayViewMut<f64, Ix2>| einsum! { *out = "ij,jk->ik"(av, bv) },
            |out: &mut ArrayViewMut<f64, Ix2>| einsum! { *out += "ij,jk->ik"(av, bv) },
            |out: &mut ArrayViewMut<f64, Ix2>| einsum! { *out -= "ij,jk->ik"(av, bv) },
        );
    }
    // The same into dynamic-dimension views.
    check_targets(
        &format!("matmul {ni}x{nj}x{nk}, dynamic target"),
        IxDyn(&[ni, nk]),
        &want,
        |out: &mut ArrayViewMut<f64, IxDyn>| einsum! { *out = "ij,jk->ik"(a, b) },
        |out: &mut ArrayViewMut<f64, IxDyn>| einsum! { *out += "ij,jk->ik"(a, b) },
        |out: &mut ArrayViewMut<f64, IxDyn>| einsum! { *out -= "ij,jk->ik"(a, b) },
    );
    // Terms that cancel: `=` must still overwrite the NaNs with zeros.
    let zeros = combine(&want, 0.0, &want, 0.0);
    check_targets(
        &format!("x - x {ni}x{nj}x{nk}"),
        (ni, nk),
        &zeros,
        |out: &mut ArrayViewMut<f64, Ix2>| einsum! { *out = "ij,jk->ik"(a, b) - "ij,jk->ik"(a, b) },
        |out: &mut ArrayViewMut<f64, Ix2>| einsum! { *out += "ij,jk->ik"(a, b) - "ij,jk->ik"(a, b) },
        |out: &mut ArrayViewMut<f64, Ix2>| einsum! { *out -= "ij,jk->ik"(a, b) - "ij,jk->ik"(a, b) },
    );
    // A linear combination whose terms GEMM accumulates with alpha and beta.
    let c: Array2<f64> = random((ni, nk), &mut rng);
    check_targets(
        &format!("2 ab - c {ni}x{nj}x{nk}"),
        (ni, nk),
        &combine(&want, 2.0, &d(&c), -1.0),
        |out: &mut ArrayViewMut<f64, Ix2>| einsum! { *out = 2.0 * "ij,jk->ik"(a, b) - c },
        |out: &mut ArrayViewMut<f64, Ix2>| einsum! { *out += 2.0 * "ij,jk->ik"(a, b) - c },
        |out: &mut ArrayViewMut<f64, Ix2>| einsum! { *out -= 2.0 * "ij,jk->ik"(a, b) - c },
    );
}

#[test]
fn batched_matmul_into_every_layout() {
    for (nb, ni, nj, nk) in [(2, 3, 4, 5), (3, 17, 16, 18)] {
        let mut rng = Lcg::new(10);
        let p: Array3<f64> = random((nb, ni, nj), &mut rng);
        let q: Array3<f64> = random((nb, nj, nk), &mut rng);
        check_targets(
            &format!("batched matmul {nb}x{ni}x{nj}x{nk}"),
            (nb, ni, nk),
            &reference("bij,bjk->bik", &[d(&p), d(&q)]),
            |out: &mut ArrayViewMut<f64, Ix3>| einsum! { *out = "bij,bjk->bik"(p, q) },
            |out: &mut ArrayViewMut<f64, Ix3>| einsum! { *out += "bij,bjk->bik"(p, q) },
            |out: &mut ArrayViewMut<f64, Ix3>| einsum! { *out -= "bij,bjk->bik"(p, q) },
        );
        check_targets(
            &format!("batched matmul, transposed result {nb}x{ni}x{nj}x{nk}"),
            (nk, ni, nb),
            &reference("bij,bjk->kib", &[d(&p), d(&q)]),
            |out: &mut ArrayViewMut<f64, Ix3>| einsum! { *out = "bij,bjk->kib"(p, q) },
            |out: &mut ArrayViewMut<f64, Ix3>| einsum! { *out += "bij,bjk->kib"(p, q) },
            |out: &mut ArrayViewMut<f64, Ix3>| einsum! { *out -= "bij,bjk->kib"(p, q) },
        );
    }
}

#[test]
fn transpose_reduction_and_outer() {
    let mut rng = Lcg::new(2);
    let m: Array2<f64> = random((4, 3), &mut rng);
    let x: Array1<f64> = random(4, &mut rng);
    let y: Array1<f64> = random(6, &mut rng);
    check_targets(
        "transpose",
        (3, 4),
        &reference("ij->ji", &[d(&m)]),
        |out: &mut ArrayViewMut<f64, Ix2>| einsum! { *out = "ij->ji"(m) },
        |out: &mut ArrayViewMut<f64, Ix2>| einsum! { *out += "ij->ji"(m) },
        |out: &mut ArrayViewMut<f64, Ix2>| einsum! { *out -= "ij->ji"(m) },
    );
    check_targets(
        "column sums",
        3,
        &reference("ij->j", &[d(&m)]),
        |out: &mut ArrayViewMut<f64, Ix1>| einsum! { *out = "ij->j"(m) },
        |out: &mut ArrayViewMut<f64, Ix1>| einsum! { *out += "ij->j"(m) },
        |out: &mut ArrayViewMut<f64, Ix1>| einsum! { *out -= "ij->j"(m) },
    );
    check_targets(
        "outer",
        (4, 6),
        &reference("i,j->ij", &[d(&x), d(&y)]),
        |out: &mut ArrayViewMut<f64, Ix2>| einsum! { *out = "i,j->ij"(x, y) },
        |out: &mut ArrayViewMut<f64, Ix2>| einsum! { *out += "i,j->ij"(x, y) },
        |out: &mut ArrayViewMut<f64, Ix2>| einsum! { *out -= "i,j->ij"(x, y) },
    );
}

#[test]
fn rank_zero_targets() {
    for path in PATHS {
        force_path(path);
        let mut rng = Lcg::new(3);
        let m: Array2<f64> = random((5, 5), &mut rng);
        let want = reference("ii", &[d(&m)]);
        // A rank-0 view into a NaN-padded vector.
        for op in 0..3 {
            let mut buffer = Array1::from_elem(5, f64::NAN);
            let init = if op == 0 { f64::NAN } else { 1.5 };
            buffer[2] = init;
            let mut out = buffer.index_axis_mut(Axis(0), 2);
            match op {
                0 => einsum! { out = "ii"(m) },
                1 => einsum! { out += "ii"(m) },
                _ => einsum! { out -= "ii"(m) },
            }
            let base = if op == 0 { 0.0 } else { init };
            let sign = if op == 2 { -1.0 } else { 1.0 };
            let expected = ArrayD::from_elem(IxDyn(&[]), base + sign * want[[]]);
            assert_close(
                &format!("trace op {op}, {path:?}"),
                &buffer.slice(ndarray::s![2]).to_owned().into_dyn(),
                &expected,
            );
            for (k, x) in buffer.iter().enumerate() {
                assert!(
                    k == 2 || x.is_nan(),
                    "trace op {op}: padding at {k} written"
                );
            }
        }
        // Owned Array0 and a padded rank-0 view through the generic helper.
        let mut owned: Array0<f64> = Array0::from_elem((), f64::NAN);
        einsum! { owned = "ij,ij->"(m, m) };
        assert_close(
            &format!("Array0, {path:?}"),
            &owned.into_dyn(),
            &reference("ij,ij->", &[d(&m), d(&m)]),
        );
        check_targets(
            "trace",
            (),
            &want,
            |out: &mut ArrayViewMut<f64, Ix0>| einsum! { *out = "ii"(m) },
            |out: &mut ArrayViewMut<f64, Ix0>| einsum! { *out += "ii"(m) },
            |out: &mut ArrayViewMut<f64, Ix0>| einsum! { *out -= "ii"(m) },
        );
    }
    force_path(None);
}

#[test]
fn owned_targets_of_every_order() {
    for path in PATHS {
        force_path(path);
        let mut rng = Lcg::new(4);
        let a: Array2<f64> = random((3, 4), &mut rng);
        let b: Array2<f64> = random((4, 2), &mut rng);
        let want = reference("ij,jk->ik", &[d(&a), d(&b)]);
        let mut c_order = Array2::from_elem((3, 2), f64::NAN);
        let mut f_order = Array2::from_elem((3, 2).f(), f64::NAN);
        let mut dynamic = ArrayD::from_elem(IxDyn(&[3, 2]), f64::NAN);
        einsum! { c_order = "ij,jk->ik"(a, b) };
        einsum! { f_order = "ij,jk->ik"(a, b) };
        einsum! { dynamic = "ij,jk->ik"(a, b) };
        assert_close(&format!("C-order Array, {path:?}"), &d(&c_order), &want);
        assert_close(&format!("F-order Array, {path:?}"), &d(&f_order), &want);
        assert_close(&format!("ArrayD, {path:?}"), &dynamic, &want);
        einsum! { f_order += "ij,jk->ik"(a, b) };
        assert_close(
            &format!("F-order +=, {path:?}"),
            &d(&f_order),
            &combine(&want, 2.0, &want, 0.0),
        );
        einsum! { dynamic -= 3.0 * "ij,jk->ik"(a, b) };
        assert_close(
            &format!("ArrayD -=, {path:?}"),
            &dynamic,
            &combine(&want, -2.0, &want, 0.0),
        );
        // A target reached through a method call and an index: `v.view_mut()`, `arrays[1]`.
        let mut arrays = [c_order.clone(), Array2::from_elem((3, 2), f64::NAN)];
        einsum! { arrays[1].view_mut() = "ij,jk->ik"(a, b) };
        assert_close(
            &format!("place expression, {path:?}"),
            &d(&arrays[1]),
            &want,
        );
        let mut shared = Array2::from_elem((3, 2), f64::NAN).into_shared();
        let alias = shared.clone();
        einsum! { shared = "ij,jk->ik"(a, b) };
        assert_close(
            &format!("ArcArray target, {path:?}"),
            &shared.to_owned().into_dyn(),
            &want,
        );
        assert!(
            alias.iter().all(|x| x.is_nan()),
            "the other ArcArray handle was written"
        );
    }
    force_path(None);
}

#[test]
fn operand_sums_into_targets() {
    for (ni, nj, nk) in [(3, 4, 5), (20, 17, 19)] {
        let mut rng = Lcg::new(5);
        let a: Array2<f64> = random((ni, nj), &mut rng);
        let b: Array2<f64> = random((nj, nk), &mut rng);
        let e: Array2<f64> = random((ni, nj), &mut rng);
        let sum = combine(&d(&a), 1.0, &d(&e), -1.0);
        check_targets(
            &format!("(a - e) b {ni}x{nj}x{nk}"),
            (ni, nk),
            &reference("ij,jk->ik", &[sum, d(&b)]),
            |out: &mut ArrayViewMut<f64, Ix2>| einsum! { *out = "ij,jk->ik"(a - e, b) },
            |out: &mut ArrayViewMut<f64, Ix2>| einsum! { *out += "ij,jk->ik"(a - e, b) },
            |out: &mut ArrayViewMut<f64, Ix2>| einsum! { *out -= "ij,jk->ik"(a - e, b) },
        );
    }
}

#[test]
fn seed_expression_into_targets() {
    let (n, q) = (4, 3);
    let mut rng = Lcg::new(6);
    let b: Array1<f64> = random(n, &mut rng);
    let a: Array2<f64> = random((q, q), &mut rng);
    let y2: Array1<f64> = random(q, &mut rng);
    let z2: Array2<f64> = random((n, q), &mut rng);
    let c = reference("i,jk->ijk", &[d(&b), d(&a)]);
    let c2 = reference("j,ik->ijk", &[d(&y2), d(&z2)]);
    let s = combine(&c, 1.0, &c2, 1.0);
    check_targets(
        "seed",
        q,
        &reference("ijk,ikj->k", &[s.clone(), s]),
        |out: &mut ArrayViewMut<f64, Ix1>| {
            einsum! {
                let c = "i,jk->ijk"(b, a);
                let c2 = "j,ik->ijk"(y2, z2);
                *out = "ijk,ikj->k"(c + c2, c + c2)
            }
        },
        |out: &mut ArrayViewMut<f64, Ix1>| {
            einsum! {
                let c = "i,jk->ijk"(b, a);
                let c2 = "j,ik->ijk"(y2, z2);
                *out += "ijk,ikj->k"(c + c2, c + c2)
            }
        },
        |out: &mut ArrayViewMut<f64, Ix1>| {
            einsum! {
                let c = "i,jk->ijk"(b, a);
                let c2 = "j,ik->ijk"(y2, z2);
                *out -= "ijk,ikj->k"(c + c2, c + c2)
            }
        },
    );
}

#[test]
fn empty_sums_and_empty_targets() {
    let mut rng = Lcg::new(7);
    // `j` is 0: the result is zeros, which `=` must write over the NaNs.
    let a: Array2<f64> = random((3, 0), &mut rng);
    let b: Array2<f64> = random((0, 4), &mut rng);
    check_targets(
        "empty sum",
        (3, 4),
        &reference("ij,jk->ik", &[d(&a), d(&b)]),
        |out: &mut ArrayViewMut<f64, Ix2>| einsum! { *out = "ij,jk->ik"(a, b) },
        |out: &mut ArrayViewMut<f64, Ix2>| einsum! { *out += "ij,jk->ik"(a, b) },
        |out: &mut ArrayViewMut<f64, Ix2>| einsum! { *out -= "ij,jk->ik"(a, b) },
    );
    // An empty target: nothing to write, nothing around it touched.
    let c: Array2<f64> = random((0, 2), &mut rng);
    let e: Array2<f64> = random((2, 5), &mut rng);
    check_targets(
        "empty target",
        (0, 5),
        &reference("ij,jk->ik", &[d(&c), d(&e)]),
        |out: &mut ArrayViewMut<f64, Ix2>| einsum! { *out = "ij,jk->ik"(c, e) },
        |out: &mut ArrayViewMut<f64, Ix2>| einsum! { *out += "ij,jk->ik"(c, e) },
        |out: &mut ArrayViewMut<f64, Ix2>| einsum! { *out -= "ij,jk->ik"(c, e) },
    );
}

#[test]
fn rank_seven_dynamic_target() {
    let mut rng = Lcg::new(8);
    let x: ArrayD<f64> = random(IxDyn(&[2, 1, 3, 2, 1, 2, 3]), &mut rng);
    check_targets(
        "abcdefg->gfedcba",
        IxDyn(&[3, 2, 1, 2, 3, 1, 2]),
        &reference("abcdefg->gfedcba", std::slice::from_ref(&x)),
        |out: &mut ArrayViewMut<f64, IxDyn>| einsum! { *out = "abcdefg->gfedcba"(x) },
        |out: &mut ArrayViewMut<f64, IxDyn>| einsum! { *out += "abcdefg->gfedcba"(x) },
        |out: &mut ArrayViewMut<f64, IxDyn>| einsum! { *out -= "abcdefg->gfedcba"(x) },
    );
}

#[test]
fn other_element_types_into_targets() {
    let mut rng = Lcg::new(9);
    let a: Array2<i64> = random((3, 4), &mut rng);
    let b: Array2<i64> = random((4, 2), &mut rng);
    check_targets(
        "i64 matmul",
        (3, 2),
        &reference("ij,jk->ik", &[d(&a), d(&b)]),
        |out: &mut ArrayViewMut<i64, Ix2>| einsum! { *out = "ij,jk->ik"(a, b) },
        |out: &mut ArrayViewMut<i64, Ix2>| einsum! { *out += "ij,jk->ik"(a, b) },
        |out: &mut ArrayViewMut<i64, Ix2>| einsum! { *out -= "ij,jk->ik"(a, b) },
    );
    let x: Array2<num_complex::Complex<f64>> = random((3, 4), &mut rng);
    let y: Array2<num_complex::Complex<f64>> = random((4, 2), &mut rng);
    check_targets(
        "complex matmul",
        (3, 2),
        &reference("ij,jk->ik", &[d(&x), d(&y)]),
        |out: &mut ArrayViewMut<_, Ix2>| einsum! { *out = "ij,jk->ik"(x, y) },
        |out: &mut ArrayViewMut<_, Ix2>| einsum! { *out += "ij,jk->ik"(x, y) },
        |out: &mut ArrayViewMut<_, Ix2>| einsum! { *out -= "ij,jk->ik"(x, y) },
    );
    // u8 accumulation wraps like numpy's instead of panicking.
    let v = Array1::from_vec(vec![250u8, 7, 128]);
    let w = Array1::from_vec(vec![3u8, 255, 2]);
    let mut out = Array1::from_vec(vec![200u8, 1, 255]);
    let init = out.clone();
    einsum! { out += "i,i->i"(v, w) };
    let want = reference("i,i->i", &[d(&v), d(&w)]);
    assert_close("u8 +=", &d(&out), &accumulated(&d(&init), &want, 1u8));
    einsum! { out -= 2 * "i,i->i"(v, w) };
    let twice = combine(&want, 2u8, &want, 0u8);
    let expected = accumulated(&accumulated(&d(&init), &want, 1u8), &twice, u8::MAX);
    assert_close("u8 -=", &d(&out), &expected);
}
