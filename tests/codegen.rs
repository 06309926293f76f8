//! The generated code itself: it compiles in a crate that forbids `unsafe`
//! (this one), small steps give the same results through the loops the macro
//! emits as through the runtime's kernels, and a sum of 150 steps runs on a
//! small stack in a debug build.

#![forbid(unsafe_code)]

mod common;

use common::{check_result, random, reference, Lcg};
use lazy_einsum::__private::force_path;
use lazy_einsum::ndarray::{Array2, ArrayD, Axis, Slice};
use lazy_einsum::{einsum, einsum_plan};

/// Each `force_path` setting: the emitted loops whatever the sizes, the
/// runtime's kernels whatever the sizes, and the choice by size.
const PATHS: [Option<bool>; 3] = [Some(true), Some(false), None];

fn dyn_random(shape: &[usize], rng: &mut Lcg) -> ArrayD<f64> {
    random::<f64, _>(shape.to_vec(), rng)
}

/// Loop-nest and GEMM-shaped steps at sizes 0 to 17, through both paths,
/// with operands read through negative, zero and odd strides, results
/// created, written into targets and added into them.
#[test]
fn emitted_loops_and_runtime_kernels_agree() {
    let mut rng = Lcg::new(14);
    for path in PATHS {
        force_path(path);
        for n in [0, 1, 2, 3, 5, 17] {
            let (m, k) = (n + 1, (n * 2 + 1) % 7);
            let a = dyn_random(&[m, k], &mut rng);
            let b = dyn_random(&[k, n], &mut rng);
            let v = dyn_random(&[k], &mut rng);
            let what = format!("n = {n}, path {path:?}");
            let a2 = a
                .clone()
                .into_dimensionality::<lazy_einsum::ndarray::Ix2>()
                .unwrap();
            let b2 = b
                .clone()
                .into_dimensionality::<lazy_einsum::ndarray::Ix2>()
                .unwrap();
            let v1 = v
                .clone()
                .into_dimensionality::<lazy_einsum::ndarray::Ix1>()
                .unwrap();
            let ab = reference("ij,jk->ik", &[a.clone(), b.clone()]);
            check_result(&what, einsum!("ij,jk->ik", a2, b2), &ab);
            check_result(
                &what,
                einsum!("ij,j->i", a2, v1),
                &reference("ij,j->i", &[a.clone(), v.clone()]),
            );
            check_result(
                &what,
                einsum!("i,i->", v1, v1),
                &reference("i,i->", &[v.clone(), v.clone()]),
            );
            check_result(
                &what,
                einsum!("ij->ji", a2),
                &reference("ij->ji", std::slice::from_ref(&a)),
            );
            check_result(
                &what,
                einsum!("i,j->ij", v1, v1),
                &reference("i,j->ij", &[v.clone(), v.clone()]),
            );
            // Reversed and strided operands (negative and odd strides).
            // (Not `s!`: it expands to `#[allow(unsafe_code)]`.)
            let mut reversed = a2.view();
            reversed.invert_axis(Axis(0));
            let every_other = b2.slice_axis(Axis(1), Slice::new(0, None, 2));
            let r = reference(
                "ij,jk->ik",
                &[
                    reversed.to_owned().into_dyn(),
                    every_other.to_owned().into_dyn(),
                ],
            );
            check_result(&what, einsum!("ij,jk->ik", reversed, every_other), &r);
            // A broadcast row (zero stride) and a diagonal.
            let row = v1.view().insert_axis(Axis(0));
            let broadcast = row.broadcast((3, k)).unwrap();
            let r = reference(
                "ij,ij->i",
                &[
                    broadcast.to_owned().into_dyn(),
                    broadcast.to_owned().into_dyn(),
                ],
            );
            check_result(&what, einsum!("ij,ij->i", broadcast, broadcast), &r);
            let square = dyn_random(&[k, k], &mut rng);
            let square2 = square
                .clone()
                .into_dimensionality::<lazy_einsum::ndarray::Ix2>()
                .unwrap();
            check_result(
                &what,
                einsum!("ii->", square2),
                &reference("ii->", std::slice::from_ref(&square)),
            );
            check_result(
                &what,
                einsum!("ii->i", square2),
                &reference("ii->i", std::slice::from_ref(&square)),
            );
            // Batched products and a tensor-vector product.
            let x = dyn_random(&[n, 3, k], &mut rng);
            let y = dyn_random(&[n, k, 2], &mut rng);
            let x3 = x
                .clone()
                .into_dimensionality::<lazy_einsum::ndarray::Ix3>()
                .unwrap();
            let y3 = y
                .clone()
                .into_dimensionality::<lazy_einsum::ndarray::Ix3>()
                .unwrap();
            check_result(
                &what,
                einsum!("bij,bjk->bik", x3, y3),
                &reference("bij,bjk->bik", &[x.clone(), y.clone()]),
            );
            check_result(
                &what,
                einsum!("ijk,k->ij", x3, v1),
                &reference("ijk,k->ij", &[x.clone(), v.clone()]),
            );
            // Targets: overwritten through a transposed view, then added into
            // with a coefficient; an intermediate (a chain) on the way.
            let mut target = Array2::<f64>::from_elem((n, m), f64::NAN);
            einsum! { target.view_mut().reversed_axes() = "ij,jk->ik"(a2, b2) };
            check_result(&what, target.t().to_owned(), &ab);
            einsum! { target += 2.0 * "ij,jk->ki"(a2, b2) };
            check_result(&what, target.clone(), &(&ab.t() * 3.0).into_dyn());
            let chain = reference(
                "ij,jk,kl->il",
                &[
                    a.clone(),
                    b.clone(),
                    reference("ij->ji", std::slice::from_ref(&b)),
                ],
            );
            check_result(&what, einsum!("ij,jk,lk->il", a2, b2, b2), &chain);
            // A fused pass (two matrix-vector steps over `a`), a sum pass
            // (`c - c^T`, one product added in two orders) and a step over an
            // ellipsis: each through both paths, in this crate without
            // `unsafe`.
            let w = dyn_random(&[k], &mut rng);
            let w1 = w
                .clone()
                .into_dimensionality::<lazy_einsum::ndarray::Ix1>()
                .unwrap();
            let av = reference("ij,j->i", &[a.clone(), v.clone()]);
            let aw = reference("ij,j->i", &[a.clone(), w.clone()]);
            check_result(
                &what,
                einsum!("ij,j,ik,k->i", a2, v1, a2, w1),
                &reference("i,i->i", &[av, aw]),
            );
            let ss = reference("ij,jk->ik", &[square.clone(), square.clone()]);
            let ss_t = reference("ij->ji", std::slice::from_ref(&ss));
            check_result(
                &what,
                einsum! { let c = "ij,jk->ik"(square2, square2); c - "ij->ji"(c) },
                &(&ss - &ss_t),
            );
            let got: ArrayD<f64> = einsum!("...j,jk->...k", x, b2);
            common::assert_close(
                &what,
                &got,
                &reference("bij,jk->bik", &[x.clone(), b.clone()]),
            );
        }
    }
    force_path(None);
}

/// Small steps whose shared label has length 1 in one operand and n in the
/// other: the choice by size sends them to the runtime's kernels (the
/// emitted loops take labels of one length only), `force_path(Some(true))`
/// to the emitted loops with the broadcast resolved by `bind`; every path
/// gives numpy's result.
#[test]
fn broadcast_labels_agree_on_every_path() {
    use lazy_einsum::ndarray::{Ix1, Ix2, Ix3};
    let mut rng = Lcg::new(15);
    for path in PATHS {
        force_path(path);
        for n in [0, 1, 2, 3, 5] {
            let what = format!("n = {n}, path {path:?}");
            let column = dyn_random(&[n + 1, 1], &mut rng);
            let b = dyn_random(&[3, n], &mut rng);
            let one = dyn_random(&[1], &mut rng);
            let v = dyn_random(&[n], &mut rng);
            let row = dyn_random(&[1, n], &mut rng);
            let full = dyn_random(&[2, n], &mut rng);
            let x = dyn_random(&[1, 2, 3], &mut rng);
            let y = dyn_random(&[4, 3, 2], &mut rng);
            let fix2 = |a: &ArrayD<f64>| a.clone().into_dimensionality::<Ix2>().unwrap();
            let fix1 = |a: &ArrayD<f64>| a.clone().into_dimensionality::<Ix1>().unwrap();
            let fix3 = |a: &ArrayD<f64>| a.clone().into_dimensionality::<Ix3>().unwrap();
            let (column2, b2, row2, full2) = (fix2(&column), fix2(&b), fix2(&row), fix2(&full));
            let (one1, v1, x3, y3) = (fix1(&one), fix1(&v), fix3(&x), fix3(&y));
            check_result(
                &what,
                einsum!("ij,jk->ik", column2, b2),
                &reference("ij,jk->ik", &[column.clone(), b.clone()]),
            );
            check_result(
                &what,
                einsum!("ij,j->i", full2, one1),
                &reference("ij,j->i", &[full.clone(), one.clone()]),
            );
            check_result(
                &what,
                einsum!("i,i->", v1, one1),
                &reference("i,i->", &[v.clone(), one.clone()]),
            );
            check_result(
                &what,
                einsum!("ij,ij->ij", row2, full2),
                &reference("ij,ij->ij", &[row.clone(), full.clone()]),
            );
            check_result(
                &what,
                einsum!("bij,bjk->bik", x3, y3),
                &reference("bij,bjk->bik", &[x.clone(), y.clone()]),
            );
        }
    }
    force_path(None);
}

/// A sum of 60 chains of four matrices: over 150 steps, which overflowed a
/// 2 MiB stack in a debug build when every step's locals lived in one
/// function. Run on a thread of 1 MiB.
#[test]
fn a_150_step_sum_runs_on_a_1_mib_thread() {
    let run = || {
        let mut rng = Lcg::new(150);
        let n = 3;
        let arrays: Vec<Array2<f64>> = (0..8).map(|_| random((n, n), &mut rng)).collect();
        let [a, b, c, d, e, f, g, h] = <[Array2<f64>; 8]>::try_from(arrays.clone()).unwrap();
        // The same 60 terms for the plan and the run (a macro defined after
        // the matrices, so its identifiers name them).
        macro_rules! sixty_terms {
            ($einsum:ident) => {
                $einsum! {
                    -1.0 * "ik,kl,lm,mj->ij"(f, g, d, d)
                    + 1.0 * "ik,kl,lm,mj->ij"(h, c, c, g)
                    + 3.0 * "ik,kl,lm,mj->ij"(e, f, e, h)
                    - 1.0 * "ik,kl,lm,mj->ij"(a, c, c, h)
                    + 2.0 * "ik,kl,lm,mj->ij"(b, e, h, f)
                    - 2.0 * "ik,kl,lm,mj->ij"(a, a, b, c)
                    - 2.0 * "ik,kl,lm,mj->ij"(d, e, h, h)
                    + 1.0 * "ik,kl,lm,mj->ij"(a, h, c, d)
                    + 1.0 * "ik,kl,lm,mj->ij"(e, h, d, e)
                    + 2.0 * "ik,kl,lm,mj->ij"(a, e, a, e)
                    - 1.0 * "ik,kl,lm,mj->ij"(b, b, e, c)
                    - 1.0 * "ik,kl,lm,mj->ij"(h, g, b, b)
                    + 1.0 * "ik,kl,lm,mj->ij"(f, c, g, c)
                    - 2.0 * "ik,kl,lm,mj->ij"(b, c, e, e)
                    - 2.0 * "ik,kl,lm,mj->ij"(g, g, f, c)
                    + 3.0 * "ik,kl,lm,mj->ij"(d, e, a, b)
                    - 1.0 * "ik,kl,lm,mj->ij"(a, h, g, f)
                    + 3.0 * "ik,kl,lm,mj->ij"(b, g, a, f)
                    + 1.0 * "ik,kl,lm,mj->ij"(c, b, g, e)
                    - 2.0 * "ik,kl,lm,mj->ij"(d, h, h, h)
                    + 2.0 * "ik,kl,lm,mj->ij"(d, c, e, g)
                    + 1.0 * "ik,kl,lm,mj->ij"(f, f, d, f)
                    - 2.0 * "ik,kl,lm,mj->ij"(c, a, a, e)
                    + 1.0 * "ik,kl,lm,mj->ij"(a, h, b, h)
                    + 2.0 * "ik,kl,lm,mj->ij"(d, c, g, b)
                    + 3.0 * "ik,kl,lm,mj->ij"(e, c, e, c)
                    + 2.0 * "ik,kl,lm,mj->ij"(e, c, b, b)
                    + 3.0 * "ik,kl,lm,mj->ij"(h, h, f, a)
                    - 1.0 * "ik,kl,lm,mj->ij"(h, b, b, g)
                    + 1.0 * "ik,kl,lm,mj->ij"(b, g, f, b)
                    + 1.0 * "ik,kl,lm,mj->ij"(g, f, g, g)
                    + 2.0 * "ik,kl,lm,mj->ij"(d, d, h, f)
                    + 2.0 * "ik,kl,lm,mj->ij"(a, h, d, g)
                    - 2.0 * "ik,kl,lm,mj->ij"(a, c, h, h)
                    - 1.0 * "ik,kl,lm,mj->ij"(d, d, b, f)
                    + 2.0 * "ik,kl,lm,mj->ij"(a, a, e, d)
                    + 3.0 * "ik,kl,lm,mj->ij"(b, c, g, f)
                    + 3.0 * "ik,kl,lm,mj->ij"(d, h, d, e)
                    - 2.0 * "ik,kl,lm,mj->ij"(h, a, d, d)
                    - 2.0 * "ik,kl,lm,mj->ij"(b, e, e, h)
                    - 1.0 * "ik,kl,lm,mj->ij"(e, g, h, g)
                    - 1.0 * "ik,kl,lm,mj->ij"(a, a, d, h)
                    - 1.0 * "ik,kl,lm,mj->ij"(a, h, f, h)
                    - 1.0 * "ik,kl,lm,mj->ij"(d, g, g, e)
                    + 2.0 * "ik,kl,lm,mj->ij"(b, h, a, e)
                    + 1.0 * "ik,kl,lm,mj->ij"(b, b, a, a)
                    - 1.0 * "ik,kl,lm,mj->ij"(g, d, g, b)
                    + 2.0 * "ik,kl,lm,mj->ij"(f, b, e, c)
                    - 2.0 * "ik,kl,lm,mj->ij"(f, f, g, g)
                    + 2.0 * "ik,kl,lm,mj->ij"(e, g, f, g)
                    + 3.0 * "ik,kl,lm,mj->ij"(g, d, a, c)
                    - 1.0 * "ik,kl,lm,mj->ij"(a, c, e, g)
                    - 1.0 * "ik,kl,lm,mj->ij"(a, f, h, a)
                    - 1.0 * "ik,kl,lm,mj->ij"(a, f, a, c)
                    + 3.0 * "ik,kl,lm,mj->ij"(g, f, c, c)
                    - 1.0 * "ik,kl,lm,mj->ij"(g, e, c, a)
                    + 3.0 * "ik,kl,lm,mj->ij"(h, h, h, b)
                    - 1.0 * "ik,kl,lm,mj->ij"(e, h, g, g)
                    + 3.0 * "ik,kl,lm,mj->ij"(b, e, c, c)
                    + 2.0 * "ik,kl,lm,mj->ij"(h, b, b, a)
                }
            };
        }
        let plan: &str = sixty_terms!(einsum_plan);
        let steps = plan
            .lines()
            .filter(|l| l.trim_start().starts_with("step "))
            .count();
        assert!(steps >= 150, "{steps} steps:\n{plan}");
        let r: Array2<f64> = sixty_terms!(einsum);
        let mut expected = ArrayD::<f64>::zeros(vec![n, n]);
        for (k, names) in TERMS {
            let operands: Vec<ArrayD<f64>> = names
                .bytes()
                .map(|x| arrays[(x - b'a') as usize].clone().into_dyn())
                .collect();
            expected = expected + reference("ik,kl,lm,mj->ij", &operands) * k;
        }
        check_result("150 steps", r, &expected);
    };
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(run)
        .unwrap()
        .join()
        .unwrap();
}

/// The terms of the 150-step sum: the coefficient and the four matrices.
const TERMS: [(f64, &str); 60] = [
    (-1.0, "fgdd"),
    (1.0, "hccg"),
    (3.0, "efeh"),
    (-1.0, "acch"),
    (2.0, "behf"),
    (-2.0, "aabc"),
    (-2.0, "dehh"),
    (1.0, "ahcd"),
    (1.0, "ehde"),
    (2.0, "aeae"),
    (-1.0, "bbec"),
    (-1.0, "hgbb"),
    (1.0, "fcgc"),
    (-2.0, "bcee"),
    (-2.0, "ggfc"),
    (3.0, "deab"),
    (-1.0, "ahgf"),
    (3.0, "bgaf"),
    (1.0, "cbge"),
    (-2.0, "dhhh"),
    (2.0, "dceg"),
    (1.0, "ffdf"),
    (-2.0, "caae"),
    (1.0, "ahbh"),
    (2.0, "dcgb"),
    (3.0, "ecec"),
    (2.0, "ecbb"),
    (3.0, "hhfa"),
    (-1.0, "hbbg"),
    (1.0, "bgfb"),
    (1.0, "gfgg"),
    (2.0, "ddhf"),
    (2.0, "ahdg"),
    (-2.0, "achh"),
    (-1.0, "ddbf"),
    (2.0, "aaed"),
    (3.0, "bcgf"),
    (3.0, "dhde"),
    (-2.0, "hadd"),
    (-2.0, "beeh"),
    (-1.0, "eghg"),
    (-1.0, "aadh"),
    (-1.0, "ahfh"),
    (-1.0, "dgge"),
    (2.0, "bhae"),
    (1.0, "bbaa"),
    (-1.0, "gdgb"),
    (2.0, "fbec"),
    (-2.0, "ffgg"),
    (2.0, "egfg"),
    (3.0, "gdac"),
    (-1.0, "aceg"),
    (-1.0, "afha"),
    (-1.0, "afac"),
    (3.0, "gfcc"),
    (-1.0, "geca"),
    (3.0, "hhhb"),
    (-1.0, "ehgg"),
    (3.0, "becc"),
    (2.0, "hbba"),
];
