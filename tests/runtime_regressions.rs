//! Regressions found in the runtime by a differential fuzz against the
//! naive reference and numpy: each test failed before its fix.

mod common;

use lazy_einsum::{einsum, try_einsum};
use ndarray::{Array, Array1, Array2, Array3};

/// `ijl,jlk->ik` runs as GEMM; with `j` of length 2^60 and `l` empty the
/// loop sizes multiply past `usize::MAX` before reaching the 0. Legal
/// operands (zero-stride broadcast views of tiny arrays), and the sum is
/// empty: the result is zero.
#[test]
fn gemm_with_an_empty_loop_after_huge_broadcast_loops() {
    let (a_data, b_data) = (
        Array3::<f64>::zeros((4, 1, 0)),
        Array3::<f64>::zeros((1, 0, 4)),
    );
    let a = a_data.broadcast((4, 1 << 60, 0)).unwrap();
    let b = b_data.broadcast((1 << 60, 0, 4)).unwrap();
    assert_eq!(einsum!("ijl,jlk->ik", a, b), Array2::zeros((4, 4)));
    assert_eq!(try_einsum!("ijl,jlk->ik", a, b), Ok(Array2::zeros((4, 4))));
    let mut out = Array2::from_elem((4, 4), 1.0);
    einsum! { out += "ijl,jlk->ik"(a, b) };
    assert_eq!(out, Array2::from_elem((4, 4), 1.0));
}

// ---------------------------------------------------------------------------
// Complex infinities: the unit coefficient is never multiplied
// ---------------------------------------------------------------------------

type C64 = num_complex::Complex<f64>;

const INF: C64 = C64::new(f64::INFINITY, 0.0);

/// Whether two complex results are the same, NaN parts included.
fn same(x: C64, y: C64) -> bool {
    let part = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
    part(x.re, y.re) && part(x.im, y.im)
}

fn assert_same<D: ndarray::Dimension>(what: &str, got: &Array<C64, D>, want: &Array<C64, D>) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for ((index, &x), &y) in got.indexed_iter().zip(want.iter()) {
        assert!(same(x, y), "{what}: {x} at {index:?}, want {y}");
    }
}

/// An n x n matrix with `inf + 0i` on both diagonals and small exact
/// complex numbers elsewhere (off the diagonal, fused passes take the
/// infinities into their symmetric sweep).
fn infinite_diagonals(n: usize) -> Array2<C64> {
    Array2::from_shape_fn((n, n), |(i, j)| {
        if i == j || i + j + 1 == n {
            INF
        } else {
            C64::new(
                (i * 3 + j) as f64 % 5.0 - 2.0,
                (i + 2 * j) as f64 % 3.0 - 1.0,
            )
        }
    })
}

/// A sum starting from zero, as numpy's: adding never introduces a NaN
/// that the terms do not force.
fn sum(terms: impl Iterator<Item = C64>) -> C64 {
    terms.fold(C64::new(0.0, 0.0), |s, x| s + x)
}

/// Sizes that take every kernel path: up to 512 iterations the plain loops,
/// beyond the ordered nest (and its tiles for a transpose of 40 x 40).
const SIZES: [usize; 6] = [1, 2, 3, 8, 40, 600];

/// numpy does not multiply a copy, transpose, diagonal or sum by anything:
/// `inf + 0i` stays `inf + 0i` (`np.einsum("i->i", [inf+0j])` is
/// `[inf+0j]`), whatever the size. Multiplied by `1 + 0i` it would become
/// `inf + NaN i`.
#[test]
fn complex_infinities_are_copied_and_summed_exactly() {
    for n in SIZES {
        let v = Array1::from_shape_fn(n, |i| {
            if i % 3 == 0 {
                INF
            } else {
                C64::new(i as f64, -1.0)
            }
        });
        assert_same(&format!("i->i, n = {n}"), &einsum!("i->i", v), &v);
        let trace = sum(v.iter().copied());
        assert!(same(einsum!("i->", v), trace), "i->, n = {n}");
        let mut out = Array1::from_elem(n, C64::new(1.0, 2.0));
        einsum! { out += "i->i"(v) };
        assert_same(
            &format!("+= i->i, n = {n}"),
            &out,
            &v.mapv(|x| C64::new(1.0, 2.0) + x),
        );
        if n > 40 {
            continue;
        }
        let m = infinite_diagonals(n);
        let what = |s: &str| format!("{s}, n = {n}");
        assert_same(&what("ij->ij"), &einsum!("ij->ij", m), &m);
        assert_same(&what("ij->ji"), &einsum!("ij->ji", m), &m.t().to_owned());
        assert_same(&what("ii->i"), &einsum!("ii->i", m), &m.diag().to_owned());
        assert!(
            same(einsum!("ii->", m), sum(m.diag().iter().copied())),
            "{}",
            what("ii->")
        );
        let rows = Array1::from_shape_fn(n, |i| sum(m.row(i).iter().copied()));
        let columns = Array1::from_shape_fn(n, |j| sum(m.column(j).iter().copied()));
        assert_same(&what("ij->i"), &einsum!("ij->i", m), &rows);
        assert_same(&what("ij->j"), &einsum!("ij->j", m), &columns);
        let base = C64::new(-1.0, 3.0);
        let mut out = Array2::from_elem((n, n), base);
        einsum! { out += "ij->ji"(m) };
        assert_same(&what("+= ij->ji"), &out, &m.t().mapv(|x| base + x));
        let mut out = Array2::from_elem((n, n), base);
        einsum! { out = "ij->ji"(m) };
        assert_same(&what("= ij->ji"), &out, &m.t().to_owned());
    }
}

/// Products of two operands: `inf + 0i` times a complex number has a NaN
/// part or not by IEEE rules alone (the product is commutative), and the
/// sums of those products must not be multiplied once more by `1 + 0i`.
/// The plain loops, the nest's innermost kernels, a fused pass (with the
/// sweep over `ij,ji->i` at 40) and GEMM's loop fallback for small
/// products. (GEMM proper multiplies by its coefficient inside
/// matrixmultiply, which `lazy-einsum` cannot change.)
#[test]
fn complex_infinities_in_products_are_not_multiplied_by_one() {
    for n in [1, 2, 3, 8, 40] {
        let m = infinite_diagonals(n);
        let v = Array1::from_shape_fn(n, |i| C64::new(i as f64 - 1.0, 1.0 - (i % 2) as f64));
        let what = |s: &str| format!("{s}, n = {n}");
        let mv = Array1::from_shape_fn(n, |i| sum((0..n).map(|j| m[[i, j]] * v[j])));
        assert_same(&what("ij,j->i"), &einsum!("ij,j->i", m, v), &mv);
        let scaled = Array2::from_shape_fn((n, n), |(i, j)| m[[i, j]] * v[i]);
        assert_same(&what("ij,i->ij"), &einsum!("ij,i->ij", m, v), &scaled);
        let outer = Array2::from_shape_fn((n, n), |(i, j)| v[i] * m[[j, j]]);
        assert_same(&what("i,jj->ij"), &einsum!("i,jj->ij", v, m), &outer);
        let symmetric = Array1::from_shape_fn(n, |i| sum((0..n).map(|j| m[[i, j]] * m[[j, i]])));
        let fused = &symmetric + &mv;
        assert_same(
            &what("ij,ji->i + ij,j->i"),
            &einsum! { "ij,ji->i"(m, m) + "ij,j->i"(m, v) },
            &fused,
        );
        if n <= 8 {
            let product =
                Array2::from_shape_fn((n, n), |(i, k)| sum((0..n).map(|j| m[[i, j]] * m[[j, k]])));
            assert_same(&what("ij,jk->ik"), &einsum!("ij,jk->ik", m, m), &product);
        }
    }
}
