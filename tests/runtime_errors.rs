//! Runtime errors (DESIGN.md section 2.3): a size mismatch panics before any
//! work with a message naming the subscripts, the label, both operands and
//! both sizes; `try_einsum!` returns the same error as a value; a
//! dynamic-rank operand of the wrong rank and a target of the wrong shape
//! are errors too, and nothing is written when there is one.

mod common;

use common::{Lcg, Padded, TargetLayout};
use lazy_einsum::{einsum, ndarray, try_einsum, EinsumError};
use ndarray::{Array1, Array2, Array3, ArrayD, IxDyn};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The panic message of `f`, which must panic.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        panic!("panic payload is not a string")
    }
}

fn matrices(
    rows: usize,
    inner_a: usize,
    inner_b: usize,
    cols: usize,
) -> (Array2<f64>, Array2<f64>) {
    let mut rng = Lcg::new(1);
    (
        common::random((rows, inner_a), &mut rng),
        common::random((inner_b, cols), &mut rng),
    )
}

// ---------------------------------------------------------------------------
// Size mismatch
// ---------------------------------------------------------------------------

#[test]
#[should_panic(
    expected = "einsum!(\"ij,jk->ik\"): label 'j' is 3 in operand 0 (`a`) but 4 in operand 1 (`b`)"
)]
fn size_mismatch_panics_naming_label_operands_and_sizes() {
    let (a, b) = matrices(2, 3, 4, 5);
    let _ = einsum!("ij,jk->ik", a, b);
}

#[test]
fn size_mismatch_is_an_err_from_try_einsum() {
    let (a, b) = matrices(2, 3, 4, 5);
    let result = try_einsum!("ij,jk->ik", a, b);
    let err = result.expect_err("j is 3 and 4");
    match &err {
        EinsumError::SizeMismatch { first, second } => {
            assert_eq!((first.label, first.operand, first.size), ('j', 0, 3));
            assert_eq!((second.label, second.operand, second.size), ('j', 1, 4));
            assert_eq!(first.site.subscripts, "ij,jk->ik");
            assert_eq!(first.site.operands, &["a", "b"]);
        }
        other => panic!("expected SizeMismatch, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "einsum!(\"ij,jk->ik\"): label 'j' is 3 in operand 0 (`a`) but 4 in operand 1 (`b`)"
    );
    // The same message as the panic of `einsum!`.
    let message = panic_message(|| {
        let _ = einsum!("ij,jk->ik", a, b);
    });
    assert_eq!(message, err.to_string());
    // It is a std error, usable with `?` into `Box<dyn Error>`.
    let boxed: Box<dyn std::error::Error> = err.into();
    assert!(boxed.to_string().contains("label 'j'"));
}

#[test]
fn size_mismatch_counts_operands_in_the_order_written() {
    // Positions count from 0 in the order written, also past the first two.
    let v: Array1<f64> = Array1::zeros(3);
    let w: Array1<f64> = Array1::zeros(6);
    let err = try_einsum!("i,j,j->", v, v, w).unwrap_err();
    assert_eq!(
        err.to_string(),
        "einsum!(\"i,j,j->\"): label 'j' is 3 in operand 1 (`v`) but 6 in operand 2 (`w`)"
    );
}

#[test]
fn size_mismatch_names_operands_by_their_whole_source_text() {
    let (a, b) = matrices(2, 3, 4, 5);
    let err = try_einsum!("ij,jk->ik", a.view(), &b.t()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "einsum!(\"ij,jk->ik\"): label 'j' is 3 in operand 0 (`a.view()`) but 5 in operand 1 (`&b.t()`)"
    );
    let mut padded = sentinel_target((3, 3), 0.0);
    let err = try_einsum! { padded.target() = "ij,jk->ik"(a, a.t()) }.unwrap_err();
    assert!(
        err.to_string().contains("the target `padded.target()`"),
        "{err}"
    );
}

/// numpy does not broadcast along a diagonal: `np.einsum("ii->", ones((1, 3)))`
/// raises "dimensions in operand 0 for collapsing index 'i' don't match
/// (1 != 3)". The diagonal's label still broadcasts against other operands.
#[test]
fn a_diagonal_does_not_broadcast_but_its_label_does() {
    let mut rng = Lcg::new(5);
    let row: Array2<f64> = common::random((1, 3), &mut rng);
    let err = try_einsum!("ii->", row).unwrap_err();
    assert_eq!(
        err.to_string(),
        "einsum!(\"ii->\"): label 'i' is 1 in axis 0 of operand 0 (`row`) but 3 in axis 1 of operand 0 (`row`)"
    );
    let message = panic_message(|| {
        let _: f64 = einsum!("ii->", row.t());
    });
    assert!(
        message.contains("is 3 in axis 0 of operand 0 (`row.t()`) but 1 in axis 1"),
        "{message}"
    );

    // A 1 x 3 diagonal fails before a size-3 operand could stretch it.
    let v: Array1<f64> = common::random(3, &mut rng);
    let err = try_einsum!("ii,i->i", row, v).unwrap_err();
    assert!(
        err.to_string()
            .contains("is 1 in axis 0 of operand 0 (`row`) but 3 in axis 1"),
        "{err}"
    );
    let mut padded = sentinel_target((3, 3), 7.0);
    let message = panic_message(|| einsum! { padded.target() += "ii,j->ij"(row, v) });
    assert!(message.contains("(`row`) but 3 in axis 1"), "{message}");
    assert_untouched(&padded, 7.0, "diagonal of a 1 x 3 operand");

    // A square diagonal whose label another operand has at length 1.
    let m: Array2<f64> = common::random((3, 3), &mut rng);
    let one: Array1<f64> = common::random(1, &mut rng);
    let want = common::reference("ii,i->i", &[m.clone().into_dyn(), one.clone().into_dyn()]);
    common::check_result(
        "ii,i->i with i of length 1 in i",
        einsum!("ii,i->i", m, one),
        &want,
    );
    let square_one: Array2<f64> = common::random((1, 1), &mut rng);
    let want = common::reference(
        "ii,i->i",
        &[square_one.clone().into_dyn(), v.clone().into_dyn()],
    );
    common::check_result(
        "ii,i->i with a 1 x 1 diagonal",
        einsum!("ii,i->i", square_one, v),
        &want,
    );

    // A binding's two axes that an outer call joins are one operand's diagonal too.
    let err = try_einsum!("ii->"("ij->ij"(row))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "einsum!(\"ii->\"): label 'i' is 1 in axis 0 of operand 0 (`row`) of \"ij->ij\" (label 'i' there) but 3 in axis 1 of operand 0 (`row`) of \"ij->ij\" (label 'j' there)"
    );
}

#[test]
fn size_mismatch_inside_one_operand_names_the_axes() {
    let m: Array2<f64> = Array2::zeros((2, 3));
    let err = try_einsum!("ii", m).unwrap_err();
    match &err {
        EinsumError::SizeMismatch { first, second } => {
            assert_eq!((first.axis, second.axis), (0, 1));
        }
        other => panic!("expected SizeMismatch, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "einsum!(\"ii\"): label 'i' is 2 in axis 0 of operand 0 (`m`) but 3 in axis 1 of operand 0 (`m`)"
    );
    let t: Array3<f64> = Array3::zeros((4, 2, 5));
    let err = try_einsum!("iji->j", t).unwrap_err();
    assert_eq!(
        err.to_string(),
        "einsum!(\"iji->j\"): label 'i' is 4 in axis 0 of operand 0 (`t`) but 5 in axis 2 of operand 0 (`t`)"
    );
}

#[test]
fn size_mismatch_between_terms_of_a_sum_names_the_terms() {
    let a: Array1<f64> = Array1::zeros(2);
    let b: Array1<f64> = Array1::zeros(4);
    let err = try_einsum!("i->i", a + b).unwrap_err();
    match &err {
        EinsumError::SizeMismatch { first, second } => {
            assert_eq!((first.term, second.term), (Some("a"), Some("b")));
        }
        other => panic!("expected SizeMismatch, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "einsum!(\"i->i\"): label 'i' is 2 in term `a` of operand 0 (`a + b`) but 4 in term `b` of operand 0 (`a + b`)"
    );
    // In the call form, with a coefficient, next to another operand.
    let c: Array2<f64> = Array2::zeros((3, 4));
    let err = try_einsum! { "ij,j->i"(c, a - 2.0 * b) }.unwrap_err();
    assert_eq!(
        err.to_string(),
        "einsum!(\"ij,j->i\"): label 'j' is 2 in term `a` of operand 1 (`a - 2.0 * b`) \
         but 4 in term `b` of operand 1 (`a - 2.0 * b`)"
    );
}

#[test]
fn size_mismatch_of_a_binding_used_transposed_names_the_call_joining_its_axes() {
    // `c` is 2 x 3; the outer call reads it as `ij` and as `ji`, so its `i`
    // joins both axes of `x`.
    let x: Array2<f64> = Array2::zeros((2, 3));
    let err = try_einsum! {
        let c = "ij->ij"(x);
        "ij,ji->"(c, c)
    }
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "einsum!(\"ij,ji->\"): label 'i' is 2 in axis 0 of operand 0 (`x`) of \"ij->ij\" (label 'i' there) \
         but 3 in axis 1 of operand 0 (`x`) of \"ij->ij\" (label 'j' there)"
    );
    // The same with the transposed use written out as a nested call.
    let err = try_einsum! { "ij,ij->"("ij->ij"(x), "ij->ji"(x)) }.unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("einsum!(\"ij,ij->\"): label 'i' is 2 in "),
        "{text}"
    );
    assert!(text.contains("of \"ij->ji\" (label 'j' there)"), "{text}");
}

#[test]
fn size_mismatch_along_an_axis_of_a_sum_of_calls() {
    let a: Array2<f64> = Array2::zeros((2, 3));
    let b: Array2<f64> = Array2::zeros((3, 3));
    let err = try_einsum! { "ij->ij"(a) + b }.unwrap_err();
    assert_eq!(
        err.to_string(),
        "einsum!: axis 0 of the result is 2 in operand 0 (`a`) of \"ij->ij\" (label 'i' there) \
         but 3 in `b` (a term of the result)"
    );
}

#[test]
fn size_one_is_not_a_mismatch_but_two_other_sizes_are() {
    let x: Array1<f64> = Array1::zeros(1);
    let y: Array1<f64> = Array1::zeros(4);
    let z: Array1<f64> = Array1::zeros(5);
    assert!(try_einsum!("i,i,i->i", x, y, y).is_ok());
    let err = try_einsum!("i,i,i->i", x, y, z).unwrap_err();
    assert_eq!(
        err.to_string(),
        "einsum!(\"i,i,i->i\"): label 'i' is 4 in operand 1 (`y`) but 5 in operand 2 (`z`)"
    );
}

#[test]
fn size_mismatch_across_calls_names_both_calls() {
    // The outer `j` joins the inner call's output label `b` (3) with `y`'s `j` (4).
    let (x, y) = matrices(2, 3, 4, 5);
    let err = try_einsum! { "ij,jk->ik"("ab->ab"(x), y) }.unwrap_err();
    assert!(matches!(err, EinsumError::SizeMismatch { .. }), "{err:?}");
    let text = err.to_string();
    assert_eq!(
        text,
        "einsum!(\"ij,jk->ik\"): label 'j' is 3 in operand 0 (`x`) of \"ab->ab\" (label 'b' there) \
         but 4 in operand 1 (`y`)"
    );
    let message = panic_message(|| {
        let _ = einsum! { "ij,jk->ik"("ab->ab"(x), y) };
    });
    assert_eq!(message, text);
}

#[test]
fn size_mismatch_in_a_binding_is_reported_in_the_call_form() {
    let (a, b) = matrices(2, 3, 4, 5);
    let err = try_einsum! {
        let t = "ij,jk->ik"(a, b);
        2.0 * t
    }
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "einsum!(\"ij,jk->ik\"): label 'j' is 3 in operand 0 (`a`) but 4 in operand 1 (`b`)"
    );
}

// ---------------------------------------------------------------------------
// Rank mismatch of dynamic-rank operands
// ---------------------------------------------------------------------------

#[test]
fn dynamic_operand_of_the_wrong_rank_is_an_err() {
    let a = ArrayD::<f64>::zeros(IxDyn(&[2, 3, 4]));
    let b = ArrayD::<f64>::zeros(IxDyn(&[4, 5]));
    let err = try_einsum!("ij,jk->ik", b, a).unwrap_err();
    match &err {
        EinsumError::RankMismatch {
            operand,
            expected,
            found,
            site,
        } => {
            assert_eq!((*operand, *expected, *found), (1, 2, 3));
            assert_eq!(site.operands[*operand], "a");
        }
        other => panic!("expected RankMismatch, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "einsum!(\"ij,jk->ik\"): operand 1 (`a`) has 3 axes but its subscripts name 2"
    );
    let message = panic_message(|| {
        let _ = einsum!("ij,jk->ik", b, a);
    });
    assert_eq!(message, err.to_string());
}

#[test]
fn dynamic_rank_zero_and_too_few_axes() {
    let scalar = ArrayD::<f64>::zeros(IxDyn(&[]));
    let v = ArrayD::<f64>::zeros(IxDyn(&[3]));
    let err = try_einsum!("i,i->", v, scalar).unwrap_err();
    assert!(
        matches!(
            err,
            EinsumError::RankMismatch {
                operand: 1,
                expected: 1,
                found: 0,
                ..
            }
        ),
        "{err:?}"
    );
    // Two different variables, then one variable at a rank-0 and a rank-1
    // position (uses of one variable share data but keep their own views).
    let w = ArrayD::<f64>::zeros(IxDyn(&[4]));
    let err = try_einsum!(",i->i", v, w).unwrap_err();
    assert!(
        matches!(
            err,
            EinsumError::RankMismatch {
                operand: 0,
                expected: 0,
                found: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("operand 0 (`v`) has 1 axes"),
        "{err}"
    );
    let err = try_einsum!(",i->i", v, v).unwrap_err();
    assert_eq!(
        err.to_string(),
        "einsum!(\",i->i\"): operand 0 (`v`) has 1 axes but its subscripts name 0"
    );
}

// ---------------------------------------------------------------------------
// Output targets: nothing is written on an error
// ---------------------------------------------------------------------------

/// A NaN-padded 2-D target whose interior holds `fill`.
fn sentinel_target(shape: (usize, usize), fill: f64) -> Padded<f64, ndarray::Ix2> {
    let mut padded = Padded::new(shape, TargetLayout::Stepped);
    padded.target().fill(fill);
    padded
}

fn assert_untouched(padded: &Padded<f64, ndarray::Ix2>, fill: f64, what: &str) {
    assert!(
        padded.contents().iter().all(|&x| x == fill),
        "{what}: the target was written: {:?}",
        padded.contents()
    );
    padded.assert_padding_intact(what);
}

#[test]
fn target_of_the_wrong_shape_is_an_err_and_untouched() {
    let (a, b) = matrices(2, 3, 3, 5);
    for (name, shape) in [
        ("transposed", (5, 2)),
        ("too big", (3, 5)),
        ("empty", (0, 5)),
    ] {
        let mut padded = sentinel_target(shape, 7.0);
        let mut out = padded.target();
        let err = try_einsum! { out = "ij,jk->ik"(a, b) }.unwrap_err();
        match &err {
            EinsumError::OutputShape {
                expected, found, ..
            } => {
                assert_eq!(expected, &[2, 5]);
                assert_eq!(found, &[shape.0, shape.1]);
            }
            other => panic!("{name}: expected OutputShape, got {other:?}"),
        }
        assert_eq!(
            err.to_string(),
            format!(
                "einsum!(\"ij,jk->ik\"): the result has shape [2, 5] but the target `out` has shape [{}, {}]",
                shape.0, shape.1
            )
        );
        let err = try_einsum! { out += 2.0 * "ij,jk->ik"(a, b) }.unwrap_err();
        assert!(matches!(err, EinsumError::OutputShape { .. }), "{err:?}");
        let err = try_einsum! { out -= "ij,jk->ik"(a, b) - "ij,jk->ik"(a, b) }.unwrap_err();
        assert!(matches!(err, EinsumError::OutputShape { .. }), "{err:?}");
        assert_untouched(&padded, 7.0, name);
    }
}

#[test]
#[should_panic(expected = "the target `out` has shape [5, 2]")]
fn target_of_the_wrong_shape_panics_in_einsum() {
    let (a, b) = matrices(2, 3, 3, 5);
    let mut out = Array2::<f64>::zeros((5, 2));
    einsum! { out = "ij,jk->ik"(a, b) };
}

#[test]
fn size_mismatch_with_a_target_writes_nothing() {
    // The target has the shape the result would have, but `j` does not bind.
    let (a, b) = matrices(2, 3, 4, 5);
    let mut padded = sentinel_target((2, 5), -3.0);
    let mut out = padded.target();
    let err = try_einsum! { out = "ij,jk->ik"(a, b) }.unwrap_err();
    assert!(matches!(err, EinsumError::SizeMismatch { .. }), "{err:?}");
    let err = try_einsum! { out += "ij,jk->ik"(a, b) }.unwrap_err();
    assert!(matches!(err, EinsumError::SizeMismatch { .. }), "{err:?}");
    // A mismatch in the second term only: the first term must not have been
    // accumulated already.
    let (c, d) = matrices(2, 3, 3, 5);
    let err = try_einsum! { out -= "ij,jk->ik"(c, d) + "ij,jk->ik"(a, b) }.unwrap_err();
    assert!(matches!(err, EinsumError::SizeMismatch { .. }), "{err:?}");
    assert_untouched(&padded, -3.0, "size mismatch");
}

#[test]
fn rank_mismatch_with_a_target_writes_nothing() {
    let (c, d) = matrices(2, 3, 3, 5);
    let bad = ArrayD::<f64>::zeros(IxDyn(&[2, 3, 1]));
    let mut padded = sentinel_target((2, 5), 11.0);
    let mut out = padded.target();
    let err = try_einsum! { out = "ij,jk->ik"(c, d) + "ij,jk->ik"(bad, d) }.unwrap_err();
    assert!(matches!(err, EinsumError::RankMismatch { .. }), "{err:?}");
    let message = panic_message(|| einsum! { out += "ij,jk->ik"(c, d) + "ij,jk->ik"(bad, d) });
    assert!(message.contains("(`bad`) has 3 axes"), "{message}");
    assert_untouched(&padded, 11.0, "rank mismatch, panicking");
}

#[test]
fn try_einsum_is_ok_when_sizes_agree() {
    let mut rng = Lcg::new(2);
    let a: Array3<f64> = common::random((2, 3, 4), &mut rng);
    let bad: Array2<f64> = common::random((5, 2), &mut rng);
    let good: Array2<f64> = common::random((4, 2), &mut rng);
    assert!(try_einsum!("ijk,kl->ijl", a, bad).is_err());
    let got = try_einsum!("ijk,kl->ijl", a, good).expect("sizes agree");
    let want = common::reference("ijk,kl->ijl", &[a.into_dyn(), good.into_dyn()]);
    common::check_result("try_einsum Ok", got, &want);
    let m: Array2<f64> = common::random((3, 3), &mut rng);
    let trace: Result<f64, EinsumError> = try_einsum!("ii", m);
    common::check_result(
        "try_einsum scalar",
        trace.unwrap(),
        &common::reference("ii", &[m.into_dyn()]),
    );
}

// ---------------------------------------------------------------------------
// Arrays too large to exist
// ---------------------------------------------------------------------------

/// One element of memory, broadcast into huge operands.
fn one() -> ArrayD<f64> {
    ArrayD::from_elem(IxDyn(&[1]), 1.0)
}

/// Every size is bound before anything is allocated, so a result too large
/// to exist is an error, not ndarray's "Shape too large" panic (the
/// lengths multiply past isize::MAX) or a bare "capacity overflow" (the
/// bytes do).
#[test]
fn a_result_too_large_to_exist_is_an_err() {
    let one = one().into_dimensionality::<ndarray::Ix1>().unwrap();
    let v = one.broadcast(1 << 40).unwrap();
    let err = try_einsum!("i,j->ij", v, v).unwrap_err();
    match &err {
        EinsumError::TooLarge {
            array,
            labels,
            shape,
            element_size,
            ..
        } => {
            assert_eq!((*array, *labels), ("the result", "ij"));
            assert_eq!(
                (shape.as_slice(), *element_size),
                (&[1 << 40, 1 << 40][..], 8)
            );
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "einsum!(\"i,j->ij\"): the result `ij` would have shape [1099511627776, \
         1099511627776], too large for one array (the product of its nonzero axis lengths \
         exceeds isize::MAX)"
    );
    let v = one.broadcast(1 << 31).unwrap();
    let err = try_einsum!("i,j->ij", v, v).unwrap_err();
    assert_eq!(
        err.to_string(),
        "einsum!(\"i,j->ij\"): the result `ij` would have shape [2147483648, 2147483648], \
         too large for one array (4611686018427387904 elements of 8 bytes: more than \
         isize::MAX bytes)"
    );
    // Too large even though empty: ndarray refuses the shape.
    let (v, empty) = (one.broadcast(1 << 40).unwrap(), one.broadcast(0).unwrap());
    let err = try_einsum!("i,j,k->ijk", v, v, empty).unwrap_err();
    assert!(matches!(err, EinsumError::TooLarge { .. }), "{err:?}");
    // Terms that cancel leave no operand to take the element type from:
    // the result's type gives it.
    let cancelled: Result<Array2<f64>, EinsumError> =
        try_einsum! { "i,j->ij"(v, v) - "i,j->ij"(v, v) };
    assert!(matches!(cancelled, Err(EinsumError::TooLarge { .. })));
    let small = one.broadcast(2).unwrap();
    let cancelled: Array2<f64> = einsum! { "i,j->ij"(small, small) - "i,j->ij"(small, small) };
    assert_eq!(cancelled, Array2::zeros((2, 2)));
    // With an ellipsis the result's shape is only known at run time.
    let err = try_einsum!("...,j->...j", v, v).unwrap_err();
    assert!(err.to_string().contains("the result `...j`"), "{err}");
}

#[test]
#[should_panic(expected = "einsum!(\"i,j->ij\"): the result `ij` would have shape \
                           [2147483648, 2147483648], too large for one array")]
fn a_result_too_large_to_exist_panics_in_einsum() {
    let one = one().into_dimensionality::<ndarray::Ix1>().unwrap();
    let v = one.broadcast(1 << 31).unwrap();
    let _ = einsum!("i,j->ij", v, v);
}

/// An intermediate too large to exist (`ij,ki->jk` with `j` and `k` of
/// 2^31: 2^62 elements, 2^65 bytes) is an error before any step runs: a
/// term written into the target before it is not accumulated already.
///
/// Every label is 2^31, so every order's intermediate is too large: the
/// candidate plans tie and the first, the one printed first, runs. (With
/// `i` of 1, the run-time choice would contract `a b` first and run.)
#[test]
fn an_intermediate_too_large_to_exist_is_an_err_and_writes_nothing() {
    let plan = lazy_einsum::einsum_plan!("ij,jk,ki->", a, b, c);
    assert!(plan.contains("ij,ki->jk        a, c -> #0"), "{plan}");
    let one = one().into_shape_with_order((1, 1)).unwrap();
    let huge = one.broadcast((1 << 31, 1 << 31)).unwrap();
    let (a, b, c) = (huge.view(), huge.view(), huge.view());
    let err = try_einsum!("ij,jk,ki->", a, b, c).unwrap_err();
    assert_eq!(
        err.to_string(),
        "einsum!(\"ij,jk,ki->\"): intermediate #0 `jk` would have shape [2147483648, \
         2147483648], too large for one array (4611686018427387904 elements of 8 bytes: \
         more than isize::MAX bytes)"
    );
    let message = panic_message(|| {
        let _: f64 = einsum!("ij,jk,ki->", a, b, c);
    });
    assert!(message.contains("intermediate #0 `jk`"), "{message}");
    let small = one.broadcast((2, 2)).unwrap();
    let mut out = ndarray::arr0(5.0);
    let err = try_einsum! { out += "ij->"(small) + "ij,jk,ki->"(a, b, c) }.unwrap_err();
    assert!(matches!(err, EinsumError::TooLarge { .. }), "{err:?}");
    assert_eq!(out[()], 5.0, "the first term was written");
}
