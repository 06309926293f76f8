//! What `einsum!` accepts, checked at compile time: the values it reads
//! ([`Operand`], sealed, whose raw parts the kernels trust), their element
//! type ([`Element`]), their ranks ([`HasRank`], [`TargetRank`],
//! [`HasAtLeastRank`] for operands written with an ellipsis) and one element
//! type for all of them ([`SameElement`], [`CoefficientOf`], through an
//! [`ElementWitness`]). The traits' messages are the ones `einsum!` users see.
//!
//! Generic code: [`require_element`] requires [`Element`] at the macro's own
//! span, first; the views (at the operands' spans) need no bound on the
//! element type, and everything else the generated code calls at the
//! macro's span needs bounds that `Element` implies. So a generic `T`
//! without the bound is one error (rustc drops the errors at one span that
//! an earlier one implies), and its suggestion names `lazy_einsum::Element`,
//! which users can write. (Coefficients, converted at their own spans, add
//! one more each.)
//!
//! The values then become views ([`crate::view`]) and, per step, strided
//! operands ([`crate::strided`]), where the sizes are checked at run time.

use ndarray::{ArrayBase, Data, Dim, Dimension, Ix0, IxDyn, LinalgScalar, RawData};
use num_complex::Complex;
use std::marker::PhantomData;

/// Supertraits that no other crate can name, and so not implement: they
/// seal the public traits that require them.
mod sealed {
    /// Implemented for the values [`super::Operand`] lists, and no others.
    pub trait Sealed {}

    /// Only the identity impl exists, so [`super::SameElement`] means type equality.
    pub trait Same<U> {}
    impl<T> Same<T> for T {}
}

/// It is implemented for every `LinalgScalar + Send + Sync` type (the
/// kernels' bounds): a name for those bounds, not a set of types to extend.
#[diagnostic::on_unimplemented(
    message = "einsum: `{Self}` is not an element type einsum! can compute with",
    label = "`{Self}` does not implement `lazy_einsum::Element`",
    note = "the elements must be `ndarray::LinalgScalar + Send + Sync`: floats, complex numbers, integers",
    note = "in generic code, bound the element type: `fn f<T: lazy_einsum::Element>(a: &Array2<T>)`"
)]
pub trait Element: LinalgScalar + Send + Sync {}

#[diagnostic::do_not_recommend]
impl<T: LinalgScalar + Send + Sync> Element for T {}

/// A value `einsum!` accepts as an operand: any `ndarray::ArrayBase` with
/// `S: Data` (owned, view, `ArcArray`, `CowArray`, any dimension type and any
/// strides), references to one, and plain scalars as rank-0 operands.
///
/// The trait is sealed: the kernels read raw memory through the pointer,
/// shape and strides that [`Operand::raw_parts`] returns, trusting them to
/// describe elements the value owns or borrows, so only the impls here exist.
///
/// It asks nothing of the element type: [`element_of`] checks that the
/// first operand's is an [`Element`], and every other value is checked to
/// have that same type ([`SameElement`]).
///
/// ```
/// use einsum_runtime::operand::Operand;
/// let a = ndarray::arr2(&[[1.0, 2.0], [3.0, 4.0]]);
/// assert_eq!(a.raw_parts().shape, &[2, 2]);
/// assert_eq!(2.5f64.raw_parts().shape, &[] as &[usize]);
/// ```
#[diagnostic::on_unimplemented(
    message = "einsum: `{Self}` is not an array: an operand is an ndarray array or view, or a scalar for empty subscripts",
    label = "not an ndarray array or view",
    note = "view a `Vec` or a slice `v` as a 1-D array, without copying: `lazy_einsum::ndarray::aview1(&v)`",
    note = "make a 2-D array of nested `Vec`s `m`: `Array2::from_shape_vec((rows, cols), m.concat()).unwrap()`; of fixed-size rows `[[T; N]]`: `aview2(&m)`"
)]
pub trait Operand: sealed::Sealed {
    /// The element type.
    type Elem;
    /// The dimension type: `Ix0` for a scalar, the array's `D` otherwise.
    type Dim: Dimension;
    /// Where the value's elements are: every index within the shape,
    /// applied to the strides, addresses an element of the value, readable
    /// for as long as the value is borrowed.
    fn raw_parts(&self) -> RawParts<'_, Self::Elem>;
}

/// An operand's elements as raw memory: what [`Operand::raw_parts`] returns.
#[derive(Debug, Clone, Copy)]
pub struct RawParts<'a, T> {
    /// The element at index zero.
    pub ptr: *const T,
    /// The length of each axis.
    pub shape: &'a [usize],
    /// The stride of each axis, in elements.
    pub strides: &'a [isize],
}

impl<S, D> sealed::Sealed for ArrayBase<S, D>
where
    S: Data,
    D: Dimension,
{
}

// Every impl is not recommended: a value that is no operand gets the
// trait's message alone, without a list of the impls.
#[diagnostic::do_not_recommend]
impl<S, D> Operand for ArrayBase<S, D>
where
    S: Data,
    D: Dimension,
{
    type Elem = S::Elem;
    type Dim = D;
    fn raw_parts(&self) -> RawParts<'_, S::Elem> {
        RawParts {
            ptr: self.as_ptr(),
            shape: self.shape(),
            strides: self.strides(),
        }
    }
}

impl<O: Operand + ?Sized> sealed::Sealed for &O {}

// A reference to a non-operand (`&v[..]`, `&&vec`) is then reported as
// itself, at the operand, instead of as what it points to.
#[diagnostic::do_not_recommend]
impl<O: Operand + ?Sized> Operand for &O {
    type Elem = O::Elem;
    type Dim = O::Dim;
    fn raw_parts(&self) -> RawParts<'_, O::Elem> {
        (**self).raw_parts()
    }
}

impl<O: Operand + ?Sized> sealed::Sealed for &mut O {}

#[diagnostic::do_not_recommend]
impl<O: Operand + ?Sized> Operand for &mut O {
    type Elem = O::Elem;
    type Dim = O::Dim;
    fn raw_parts(&self) -> RawParts<'_, O::Elem> {
        (**self).raw_parts()
    }
}

macro_rules! scalar_operand {
    ($($t:ty)*) => {$(
        impl sealed::Sealed for $t {}

        #[diagnostic::do_not_recommend]
        impl Operand for $t {
            type Elem = $t;
            type Dim = Ix0;
            fn raw_parts(&self) -> RawParts<'_, $t> {
                RawParts { ptr: self, shape: &[], strides: &[] }
            }
        }
    )*};
}
scalar_operand!(f32 f64 Complex<f32> Complex<f64> i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize);

/// `einsum!` requires it of every operand written without an ellipsis, so
/// that a fixed-rank operand with the wrong number of labels is a compile
/// error pointing at the operand.
#[diagnostic::on_unimplemented(
    message = "einsum: this operand has dimension `{Self}`, but its subscripts give it rank {R}",
    label = "has dimension `{Self}`, not rank {R}",
    note = "`Dim<[usize; N]>` is ndarray's `IxN`: an array of exactly N axes; only `IxDyn` operands are checked at run time",
    note = "generic code over `D: Dimension` bounds it, `D: lazy_einsum::HasRank<{R}>`, or passes `a.view().into_dyn()`"
)]
pub trait HasRank<const R: usize> {}

impl<const R: usize> HasRank<R> for Dim<[usize; R]> {}
impl<const R: usize> HasRank<R> for IxDyn {}

/// `einsum!` requires it of `out` in `out = ...`, `out += ...` and
/// `out -= ...`, like [`HasRank`] of operands.
#[diagnostic::on_unimplemented(
    message = "einsum: the output target has dimension `{Self}`, but the result has rank {R}",
    label = "has dimension `{Self}`, not rank {R}",
    note = "`Dim<[usize; N]>` is ndarray's `IxN`: an array of exactly N axes; only `IxDyn` targets are checked at run time",
    note = "generic code over `D: Dimension` bounds it, `D: lazy_einsum::TargetRank<{R}>`, or writes into `out.view_mut().into_dyn()`"
)]
pub trait TargetRank<const R: usize> {}

impl<const R: usize> TargetRank<R> for Dim<[usize; R]> {}
impl<const R: usize> TargetRank<R> for IxDyn {}

/// `einsum!` requires it of every operand written with an ellipsis, `N`
/// being the labels written besides the ellipsis, so that a fixed-rank
/// operand with too few axes is a compile error pointing at the operand.
#[diagnostic::on_unimplemented(
    message = "einsum: this operand has dimension `{Self}`, but its subscripts name {N} labels besides the ellipsis",
    label = "has dimension `{Self}`, fewer than {N} axes",
    note = "`Dim<[usize; N]>` is ndarray's `IxN`: an array of exactly N axes; an ellipsis stands for the axes beyond the labels, so the operand needs at least as many axes as labels",
    note = "generic code over `D: Dimension` bounds it, `D: lazy_einsum::HasAtLeastRank<{N}>`, or passes `a.view().into_dyn()`"
)]
pub trait HasAtLeastRank<const N: usize> {}

impl<const N: usize> HasAtLeastRank<N> for IxDyn {}

macro_rules! at_least_rank {
    ($($rank:literal: $($n:literal)*;)*) => {$($(
        impl HasAtLeastRank<$n> for Dim<[usize; $rank]> {}
    )*)*};
}
at_least_rank! {
    0: 0;
    1: 0 1;
    2: 0 1 2;
    3: 0 1 2 3;
    4: 0 1 2 3 4;
    5: 0 1 2 3 4 5;
    6: 0 1 2 3 4 5 6;
}

/// Requires `value` to have at least `N` axes, at compile time for a
/// fixed-rank value ([`HasAtLeastRank`]); does nothing at run time.
///
/// ```
/// use einsum_runtime::operand::require_at_least_rank;
/// require_at_least_rank::<_, 2>(&ndarray::Array3::<f64>::zeros((1, 2, 3)));
/// require_at_least_rank::<_, 0>(&2.0f64);
/// ```
pub fn require_at_least_rank<O, const N: usize>(_value: &O)
where
    O: Operand + ?Sized,
    O::Dim: HasAtLeastRank<N>,
{
}

/// Holds exactly when `Self` and `U` are the same type: `einsum!` requires
/// it between the first operand's element type and that of every other
/// operand, coefficient and output target, so that a mismatch is one error
/// pointing at the value that differs. The trait is sealed.
///
/// ```
/// use einsum_runtime::operand::SameElement;
/// let x: &f64 = SameElement::<f64>::cast_ref(&2.0f64);
/// assert_eq!(*x, 2.0);
/// ```
#[diagnostic::on_unimplemented(
    message = "einsum: element type `{Self}` differs from the first operand's `{U}`",
    label = "this has element type `{Self}`, but the first operand has `{U}`",
    note = "the operands, coefficients and output target of one einsum share one element type"
)]
pub trait SameElement<U>: sealed::Same<U> {
    /// The pointer, as a pointer to `U` (the same type).
    fn cast_ptr(ptr: *const Self) -> *const U;
    /// The pointer, as a pointer to `U` (the same type).
    fn cast_mut_ptr(ptr: *mut Self) -> *mut U;
    /// The reference, as a reference to `U` (the same type).
    fn cast_ref(&self) -> &U;
}

impl<T> SameElement<T> for T {
    fn cast_ptr(ptr: *const T) -> *const T {
        ptr
    }
    fn cast_mut_ptr(ptr: *mut T) -> *mut T {
        ptr
    }
    fn cast_ref(&self) -> &T {
        self
    }
}

/// Holds exactly when `Self` and `T` are the same type, like
/// [`SameElement`]: `einsum!` requires it of every scalar coefficient
/// (`alpha` in `alpha * "ij->ij"(a)`), against the operands' element type.
///
/// ```
/// use einsum_runtime::operand::CoefficientOf;
/// let x: &f32 = CoefficientOf::<f32>::cast_ref(&2.0f32);
/// assert_eq!(*x, 2.0);
/// ```
#[diagnostic::on_unimplemented(
    message = "einsum: a coefficient of type `{Self}`, but the operands have element type `{T}`",
    label = "this coefficient has type `{Self}`, not `{T}`",
    note = "a coefficient is a scalar of the operands' element type (`2.0`, not `2`, for floats); to multiply by an array elementwise, write a call such as `\"ij,ij->ij\"(x, y)`"
)]
pub trait CoefficientOf<T>: sealed::Same<T> {
    /// The reference, as a reference to `T` (the same type).
    fn cast_ref(&self) -> &T;
}

impl<T> CoefficientOf<T> for T {
    fn cast_ref(&self) -> &T {
        self
    }
}

/// A zero-sized witness of the element type `T` of one einsum: the macro
/// takes it from the first operand and passes it to every other value, so
/// all of them are checked against that one type.
///
/// ```
/// use einsum_runtime::operand::{element_of, ElementWitness};
/// let a = ndarray::arr1(&[1.0f32]);
/// let _: ElementWitness<f32> = element_of(&a);
/// ```
pub struct ElementWitness<T>(PhantomData<fn() -> T>);

impl<T> ElementWitness<T> {
    /// The witness for `T`.
    pub fn new() -> Self {
        ElementWitness(PhantomData)
    }
}

impl<T> Default for ElementWitness<T> {
    fn default() -> Self {
        ElementWitness::new()
    }
}

impl<T> Clone for ElementWitness<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for ElementWitness<T> {}

impl<T> std::fmt::Debug for ElementWitness<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ElementWitness")
    }
}

/// The element type of `value`, as a witness.
///
/// ```
/// use einsum_runtime::operand::{element_of, ElementWitness};
/// let _: ElementWitness<i32> = element_of(&7i32);
/// ```
pub fn element_of<O: Operand + ?Sized>(_value: &O) -> ElementWitness<O::Elem> {
    ElementWitness::new()
}

/// Requires the einsum's element type to be an [`Element`]: the generated
/// code calls it at the macro's own span, before anything else that needs
/// the element type's arithmetic (see the module docs).
///
/// ```
/// use einsum_runtime::operand::{require_element, ElementWitness};
/// require_element(ElementWitness::<f32>::new());
/// ```
pub fn require_element<T: Element>(_element: ElementWitness<T>) {}

/// Requires `array` to have the element type `T`: for a result that no
/// step may write (its terms cancelled), whose type nothing else fixes.
///
/// ```
/// use einsum_runtime::operand::{tie_element, ElementWitness};
/// let out = ndarray::Array1::zeros(2);
/// tie_element(ElementWitness::<f32>::new(), &out);
/// assert_eq!(out[0], 0.0f32);
/// ```
pub fn tie_element<T, S: RawData<Elem = T>, D>(
    _element: ElementWitness<T>,
    _array: &ArrayBase<S, D>,
) {
}

/// A scalar coefficient, checked to have the element type `T` of the einsum.
///
/// ```
/// use einsum_runtime::operand::{as_coefficient, ElementWitness};
/// let c: f64 = as_coefficient(ElementWitness::<f64>::new(), &2.0);
/// assert_eq!(c, 2.0);
/// ```
pub fn as_coefficient<T: Element, C: CoefficientOf<T>>(
    _element: ElementWitness<T>,
    value: &C,
) -> T {
    *value.cast_ref()
}

/// A number literal used as a rank-0 operand (`2.0` in `einsum!("i,->i", x,
/// 2.0)`), given the element type `T` of the einsum.
///
/// ```
/// use einsum_runtime::operand::{as_element, ElementWitness};
/// let c: f32 = as_element(ElementWitness::<f32>::new(), &2.0);
/// assert_eq!(c, 2.0);
/// ```
pub fn as_element<T: Element, C: SameElement<T>>(_element: ElementWitness<T>, value: &C) -> T {
    *value.cast_ref()
}

/// The shape of an operand (empty for a scalar): what an ellipsis covers is
/// known from it and the labels written around the ellipsis.
///
/// ```
/// use einsum_runtime::operand::shape_of;
/// assert_eq!(shape_of(&ndarray::Array2::<f32>::zeros((2, 5))), &[2, 5]);
/// assert_eq!(shape_of(&1.0f64), &[] as &[usize]);
/// ```
pub fn shape_of<O: Operand + ?Sized>(value: &O) -> &[usize] {
    value.raw_parts().shape
}
