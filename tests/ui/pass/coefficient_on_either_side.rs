use lazy_einsum::ndarray::{arr1, arr2, Array1};
use lazy_einsum::{einsum, try_einsum, EinsumError};

fn main() {
    let a = arr2(&[[1.0, 2.0], [3.0, 4.0]]);
    let b = arr1(&[1.0f32, -1.0]);

    // A scalar factor on either side of an einsum expression.
    assert_eq!(einsum! { "ij->ij"(a) * 2.0 }, 2.0 * &a);
    assert_eq!(einsum! { 2.0 * "ij->ij"(a) * 3.0 }, 6.0 * &a);
    assert_eq!(
        einsum! { ("ij->ji"(a) + "ij->ij"(a)) * 0.5 },
        0.5 * (&a + &a.t())
    );
    assert_eq!(einsum!("ij->ij", a * 2.0), 2.0 * &a);
    let alpha = 2.0;
    assert_eq!(
        einsum! { let c = "ij->ji"(a); c * alpha - alpha * c },
        0.0 * &a
    );

    // A scalar operand outside any call is a rank-0 term.
    assert_eq!(einsum! { "ij->"(a) + 1.0 }, 11.0);

    // Scalar literals take the element type of the arrays.
    assert_eq!(einsum!("i,->i", b, 2.0), arr1(&[2.0f32, -2.0]));
    assert_eq!(einsum! { 2.0 * "i->i"(b) }, arr1(&[2.0f32, -2.0]));

    // Dynamic-rank operands and targets are checked at run time.
    let d = a.clone().into_dyn();
    assert!(matches!(
        try_einsum!("i->i", d),
        Err(EinsumError::RankMismatch { .. })
    ));
    let mut out = Array1::<f64>::zeros(2).into_dyn();
    assert!(try_einsum! { out = "ij->i"(d) }.is_ok());
}
