//! Element arithmetic shared by every kernel.
//!
//! Kernels are generic over `ndarray::LinalgScalar`. Integers must wrap on
//! overflow as numpy's do, but `+` and `*` panic on overflow in debug builds,
//! so the operations below route the primitive integers to `wrapping_*`. The
//! type test is a `TypeId` comparison that the optimizer folds away after
//! monomorphization, so floats pay nothing for it in release builds.

use ndarray::LinalgScalar;
use std::any::{Any, TypeId};

macro_rules! integer_dispatch {
    ($a:ident, $b:ident, $method:ident, $fallback:expr) => {{
        integer_dispatch!(@try $a, $b, $method; i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize);
        $fallback
    }};
    (@try $a:ident, $b:ident, $method:ident; $($int:ty)*) => {
        $(
            if TypeId::of::<T>() == TypeId::of::<$int>() {
                let x = *(&$a as &dyn Any).downcast_ref::<$int>().expect("type checked above");
                let y = *(&$b as &dyn Any).downcast_ref::<$int>().expect("type checked above");
                let r = x.$method(y);
                return *(&r as &dyn Any).downcast_ref::<T>().expect("type checked above");
            }
        )*
    };
}

/// `true` for the primitive integer types, whose arithmetic wraps.
#[inline(always)]
pub fn is_primitive_integer<T: 'static>() -> bool {
    let t = TypeId::of::<T>();
    [
        TypeId::of::<i8>(),
        TypeId::of::<i16>(),
        TypeId::of::<i32>(),
        TypeId::of::<i64>(),
        TypeId::of::<i128>(),
        TypeId::of::<isize>(),
        TypeId::of::<u8>(),
        TypeId::of::<u16>(),
        TypeId::of::<u32>(),
        TypeId::of::<u64>(),
        TypeId::of::<u128>(),
        TypeId::of::<usize>(),
    ]
    .contains(&t)
}

/// `a + b`, wrapping for primitive integers.
///
/// ```
/// assert_eq!(einsum_runtime::scalar::add(250u8, 10u8), 4);
/// assert_eq!(einsum_runtime::scalar::add(1.5f64, 2.0), 3.5);
/// ```
#[inline(always)]
pub fn add<T: LinalgScalar>(a: T, b: T) -> T {
    if !is_primitive_integer::<T>() {
        return a + b;
    }
    integer_dispatch!(a, b, wrapping_add, a + b)
}

/// `a - b`, wrapping for primitive integers.
///
/// ```
/// assert_eq!(einsum_runtime::scalar::sub(0u32, 1u32), u32::MAX);
/// ```
#[inline(always)]
pub fn sub<T: LinalgScalar>(a: T, b: T) -> T {
    if !is_primitive_integer::<T>() {
        return a - b;
    }
    integer_dispatch!(a, b, wrapping_sub, a - b)
}

/// `a * b`, wrapping for primitive integers.
///
/// ```
/// assert_eq!(einsum_runtime::scalar::mul(i64::MAX, 2), -2);
/// ```
#[inline(always)]
pub fn mul<T: LinalgScalar>(a: T, b: T) -> T {
    if !is_primitive_integer::<T>() {
        return a * b;
    }
    integer_dispatch!(a, b, wrapping_mul, a * b)
}

/// `-a`, computed as `0 - a` so that unsigned integers wrap.
///
/// ```
/// assert_eq!(einsum_runtime::scalar::neg(1u8), 255);
/// assert_eq!(einsum_runtime::scalar::neg(2.0f32), -2.0);
/// ```
#[inline(always)]
pub fn neg<T: LinalgScalar>(a: T) -> T {
    sub(T::zero(), a)
}

/// The element 1.
///
/// ```
/// assert_eq!(einsum_runtime::scalar::one::<i32>(), 1);
/// ```
#[inline(always)]
pub fn one<T: LinalgScalar>() -> T {
    T::one()
}

/// The element 0.
///
/// ```
/// assert_eq!(einsum_runtime::scalar::zero::<f32>(), 0.0);
/// ```
#[inline(always)]
pub fn zero<T: LinalgScalar>() -> T {
    T::zero()
}

/// The integer `count` as an element: `1 + 1 + ... + 1`, so it works for every
/// `LinalgScalar` (coefficients of merged terms are small counts).
///
/// ```
/// assert_eq!(einsum_runtime::scalar::from_count::<f64>(3), 3.0);
/// assert_eq!(einsum_runtime::scalar::from_count::<u8>(0), 0);
/// ```
pub fn from_count<T: LinalgScalar>(count: usize) -> T {
    (0..count).fold(T::zero(), |acc, _| add(acc, T::one()))
}

/// Whether `x` is one, for the element types whose multiplication by one a
/// kernel can skip (floats, complex numbers, integers); false for others.
///
/// ```
/// use einsum_runtime::scalar::is_one;
/// assert!(is_one(1.0f64) && is_one(1u8) && !is_one(2.0f32));
/// assert!(is_one(num_complex::Complex::new(1.0f64, 0.0)));
/// ```
#[inline(always)]
pub fn is_one<T: LinalgScalar>(x: T) -> bool {
    use num_complex::Complex;
    let x: &dyn Any = &x;
    macro_rules! one_of {
        ($($t:ty),*) => {$(
            if let Some(&v) = x.downcast_ref::<$t>() {
                return v == one::<$t>();
            }
        )*};
    }
    one_of!(f64, f32, Complex<f64>, Complex<f32>);
    one_of!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);
    false
}

/// `true` for `Complex<f32>` and `Complex<f64>`.
#[inline(always)]
pub(crate) fn is_complex<T: 'static>() -> bool {
    use num_complex::Complex;
    let t = TypeId::of::<T>();
    t == TypeId::of::<Complex<f64>>() || t == TypeId::of::<Complex<f32>>()
}

/// Whether a kernel skips multiplying by the coefficient `alpha` of a step:
/// when it is a complex one. numpy never multiplies by its implicit unit
/// coefficient, and a complex multiplication by one is not exact with
/// infinities: `(1 + 0i) * (inf + 0i)` is `inf + NaN i`. Multiplying a real
/// or an integer by one is exact, so for them this is false at compile time
/// and the kernels multiply without a branch.
#[inline(always)]
pub(crate) fn is_unit_coefficient<T: LinalgScalar>(alpha: T) -> bool {
    is_complex::<T>() && is_one(alpha)
}

/// `alpha * x` for the coefficient `alpha` of a step, or `x` itself when
/// [`is_unit_coefficient`] says the kernels skip it.
#[inline(always)]
pub(crate) fn scale<T: LinalgScalar>(alpha: T, x: T) -> T {
    if is_unit_coefficient(alpha) {
        x
    } else {
        mul(alpha, x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_complex::Complex;

    #[test]
    fn integers_wrap_and_floats_do_not() {
        assert_eq!(add(i8::MAX, 1), i8::MIN);
        assert_eq!(mul(u16::MAX, 2), u16::MAX - 1);
        assert_eq!(sub(0usize, 1), usize::MAX);
        assert_eq!(mul(3i128, 4), 12);
        assert_eq!(add(f32::MAX, f32::MAX), f32::INFINITY);
        assert_eq!(
            mul(Complex::new(0.0, 1.0), Complex::new(0.0, 1.0)),
            Complex::new(-1.0, 0.0)
        );
        assert!(is_primitive_integer::<u64>());
        assert!(!is_primitive_integer::<f64>());
    }

    #[test]
    fn only_a_complex_unit_coefficient_is_skipped() {
        let inf = Complex::new(f64::INFINITY, 0.0);
        assert!(is_unit_coefficient(Complex::new(1.0f64, 0.0)));
        assert!(!is_unit_coefficient(Complex::new(2.0f32, 0.0)));
        assert!(!is_unit_coefficient(1.0f64) && !is_unit_coefficient(1u8));
        assert_eq!(scale(Complex::new(1.0, 0.0), inf), inf);
        assert!(mul(Complex::new(1.0, 0.0), inf).im.is_nan());
        assert_eq!(scale(3.0, 2.0), 6.0);
    }
}
