//! Views of user values: what `einsum!` reads from and writes into.
//!
//! A user value becomes a [`View`] (a pointer, a fixed-rank shape and strides
//! borrowed from the value), and a view becomes a [`Strided`] operand of one
//! contraction step by mapping each of its axes to one loop of a
//! [`LoopSpace`]. That mapping is where the sizes are checked, so that the
//! kernels can then walk raw memory without any further bounds checks.
//!
//! Fixed-rank values (`Ix0` to `Ix6`) and element types are checked at
//! compile time through [`HasRank`], [`TargetRank`], [`HasAtLeastRank`] (for
//! operands written with an ellipsis) and [`SameElement`], whose messages
//! are the ones `einsum!` users see.

use crate::shape::{EinsumError, Site};
use ndarray::{
    Array, ArrayBase, ArrayD, Data, DataMut, Dim, Dimension, Ix0, IxDyn, LinalgScalar, RawData,
};
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

/// A value `einsum!` accepts as an operand: any `ndarray::ArrayBase` with
/// `S: Data` (owned, view, `ArcArray`, `CowArray`, any dimension type and any
/// strides), references to one, and plain scalars as rank-0 operands.
///
/// The trait is sealed: the kernels read raw memory through the pointer,
/// shape and strides that [`Operand::raw_parts`] returns, trusting them to
/// describe elements the value owns or borrows, so only the impls here exist.
///
/// ```
/// use einsum_runtime::operand::Operand;
/// let a = ndarray::arr2(&[[1.0, 2.0], [3.0, 4.0]]);
/// assert_eq!(a.raw_parts().1, &[2, 2]);
/// assert_eq!(2.5f64.raw_parts().1, &[] as &[usize]);
/// ```
pub trait Operand: sealed::Sealed {
    /// The element type.
    type Elem: LinalgScalar;
    /// The dimension type: `Ix0` for a scalar, the array's `D` otherwise.
    type Dim: Dimension;
    /// Pointer to the element at index zero, the shape and the strides (in
    /// elements): every index within the shape, applied to the strides,
    /// addresses an element of the value, readable for as long as the value
    /// is borrowed.
    fn raw_parts(&self) -> (*const Self::Elem, &[usize], &[isize]);
}

impl<S, D> sealed::Sealed for ArrayBase<S, D>
where
    S: Data,
    S::Elem: LinalgScalar,
    D: Dimension,
{
}

impl<S, D> Operand for ArrayBase<S, D>
where
    S: Data,
    S::Elem: LinalgScalar,
    D: Dimension,
{
    type Elem = S::Elem;
    type Dim = D;
    fn raw_parts(&self) -> (*const S::Elem, &[usize], &[isize]) {
        (self.as_ptr(), self.shape(), self.strides())
    }
}

impl<O: Operand + ?Sized> sealed::Sealed for &O {}

impl<O: Operand + ?Sized> Operand for &O {
    type Elem = O::Elem;
    type Dim = O::Dim;
    fn raw_parts(&self) -> (*const O::Elem, &[usize], &[isize]) {
        (**self).raw_parts()
    }
}

impl<O: Operand + ?Sized> sealed::Sealed for &mut O {}

impl<O: Operand + ?Sized> Operand for &mut O {
    type Elem = O::Elem;
    type Dim = O::Dim;
    fn raw_parts(&self) -> (*const O::Elem, &[usize], &[isize]) {
        (**self).raw_parts()
    }
}

macro_rules! scalar_operand {
    ($($t:ty)*) => {$(
        impl sealed::Sealed for $t {}

        impl Operand for $t {
            type Elem = $t;
            type Dim = Ix0;
            fn raw_parts(&self) -> (*const $t, &[usize], &[isize]) {
                (self as *const $t, &[], &[])
            }
        }
    )*};
}
scalar_operand!(f32 f64 Complex<f32> Complex<f64> i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize);

/// Holds for an operand's dimension type that can have `R` axes: the
/// fixed-rank `Dim<[usize; R]>` (`Ix0` to `Ix6`) and, for every `R`,
/// `IxDyn` (whose rank [`View::new`] checks at run time).
///
/// `einsum!` requires it of every operand, so that a fixed-rank operand with
/// the wrong number of labels is a compile error pointing at the operand.
///
/// ```
/// use einsum_runtime::operand::HasRank;
/// fn check<D: HasRank<R>, const R: usize>() {}
/// check::<ndarray::Ix2, 2>();
/// check::<ndarray::IxDyn, 5>();
/// ```
#[diagnostic::on_unimplemented(
    message = "einsum: this operand has dimension `{Self}`, but its subscripts give it rank {R}",
    label = "has dimension `{Self}`, not rank {R}",
    note = "`Dim<[usize; N]>` is ndarray's `IxN`: an array of exactly N axes; only `IxDyn` operands are checked at run time"
)]
pub trait HasRank<const R: usize> {}

impl<const R: usize> HasRank<R> for Dim<[usize; R]> {}
impl<const R: usize> HasRank<R> for IxDyn {}

/// Holds for an output target's dimension type that can have `R` axes, like
/// [`HasRank`]: `einsum!` requires it of `out` in `out = ...`, `out += ...`
/// and `out -= ...`.
///
/// ```
/// use einsum_runtime::operand::TargetRank;
/// fn check<D: TargetRank<R>, const R: usize>() {}
/// check::<ndarray::Ix1, 1>();
/// check::<ndarray::IxDyn, 3>();
/// ```
#[diagnostic::on_unimplemented(
    message = "einsum: the output target has dimension `{Self}`, but the result has rank {R}",
    label = "has dimension `{Self}`, not rank {R}",
    note = "`Dim<[usize; N]>` is ndarray's `IxN`: an array of exactly N axes; only `IxDyn` targets are checked at run time"
)]
pub trait TargetRank<const R: usize> {}

impl<const R: usize> TargetRank<R> for Dim<[usize; R]> {}
impl<const R: usize> TargetRank<R> for IxDyn {}

/// Holds for an operand's dimension type that can have at least `N` axes:
/// `Dim<[usize; R]>` for `R >= N` (`Ix0` to `Ix6`) and `IxDyn` (whose number
/// of axes [`View::with_ellipsis`] checks at run time).
///
/// `einsum!` requires it of every operand written with an ellipsis, `N`
/// being the labels written besides the ellipsis, so that a fixed-rank
/// operand with too few axes is a compile error pointing at the operand.
///
/// ```
/// use einsum_runtime::operand::HasAtLeastRank;
/// fn check<D: HasAtLeastRank<N>, const N: usize>() {}
/// check::<ndarray::Ix3, 2>();
/// check::<ndarray::Ix2, 2>();
/// check::<ndarray::IxDyn, 9>();
/// ```
#[diagnostic::on_unimplemented(
    message = "einsum: this operand has dimension `{Self}`, but its subscripts name {N} labels besides the ellipsis",
    label = "has dimension `{Self}`, fewer than {N} axes",
    note = "`Dim<[usize; N]>` is ndarray's `IxN`: an array of exactly N axes; an ellipsis stands for the axes beyond the labels, so the operand needs at least as many axes as labels"
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
/// use einsum_runtime::operand::{element_of, Element};
/// let a = ndarray::arr1(&[1.0f32]);
/// let _: Element<f32> = element_of(&a);
/// ```
pub struct Element<T>(PhantomData<fn() -> T>);

impl<T> Element<T> {
    /// The witness for `T`.
    pub fn new() -> Self {
        Element(PhantomData)
    }
}

impl<T> Default for Element<T> {
    fn default() -> Self {
        Element::new()
    }
}

impl<T> Clone for Element<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Element<T> {}

impl<T> std::fmt::Debug for Element<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Element")
    }
}

/// The element type of `value`, as a witness.
///
/// ```
/// use einsum_runtime::operand::{element_of, Element};
/// let _: Element<i32> = element_of(&7i32);
/// ```
pub fn element_of<O: Operand + ?Sized>(_value: &O) -> Element<O::Elem> {
    Element::new()
}

/// Requires `array` to have the element type `T`: for a result that no
/// step may write (its terms cancelled), whose type nothing else fixes.
///
/// ```
/// use einsum_runtime::operand::{tie_element, Element};
/// let out = ndarray::Array1::zeros(2);
/// tie_element(Element::<f32>::new(), &out);
/// assert_eq!(out[0], 0.0f32);
/// ```
pub fn tie_element<T, S: RawData<Elem = T>, D>(_element: Element<T>, _array: &ArrayBase<S, D>) {}

/// A scalar coefficient, checked to have the element type `T` of the einsum.
///
/// ```
/// use einsum_runtime::operand::{as_coefficient, Element};
/// let c: f64 = as_coefficient(Element::<f64>::new(), &2.0);
/// assert_eq!(c, 2.0);
/// ```
pub fn as_coefficient<T: LinalgScalar, C: CoefficientOf<T>>(_element: Element<T>, value: &C) -> T {
    *value.cast_ref()
}

/// A number literal used as a rank-0 operand (`2.0` in `einsum!("i,->i", x,
/// 2.0)`), given the element type `T` of the einsum.
///
/// ```
/// use einsum_runtime::operand::{as_element, Element};
/// let c: f32 = as_element(Element::<f32>::new(), &2.0);
/// assert_eq!(c, 2.0);
/// ```
pub fn as_element<T: LinalgScalar, C: SameElement<T>>(_element: Element<T>, value: &C) -> T {
    *value.cast_ref()
}

/// A borrowed operand with its rank fixed to the number of labels it carries.
///
/// ```
/// use einsum_runtime::operand::View;
/// use einsum_runtime::shape::Site;
/// const SITE: Site = Site { subscripts: "ij->ji", operands: &["a"] };
/// let a = ndarray::Array::<f64, _>::zeros(vec![2, 3]); // dynamic rank
/// let v: View<f64, 2> = View::new(&a, &SITE, 0).unwrap();
/// assert_eq!(v.len_of(1), 3);
/// assert!(View::<f64, 3>::new(&a, &SITE, 0).is_err());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct View<'a, T, const R: usize> {
    ptr: *const T,
    shape: [usize; R],
    strides: [isize; R],
    life: PhantomData<&'a T>,
}

impl<'a, T: LinalgScalar, const R: usize> View<'a, T, R> {
    /// Views `value`, checking that it has `R` axes: at compile time for a
    /// fixed-rank value ([`HasRank`]), at run time for `IxDyn`.
    pub fn new<O>(value: &'a O, site: &'static Site, operand: usize) -> Result<Self, EinsumError>
    where
        O: Operand<Elem = T> + ?Sized,
        O::Dim: HasRank<R>,
    {
        Self::with_element(Element::new(), value, site, operand)
    }

    /// Like [`View::new`], for a value whose element type must be the
    /// einsum's `T` (checked at compile time by [`SameElement`]). The witness
    /// comes first so that it fixes `T` before `value`'s type is seen.
    ///
    /// ```
    /// use einsum_runtime::operand::{element_of, View};
    /// use einsum_runtime::shape::Site;
    /// const SITE: Site = Site { subscripts: "i,i", operands: &["a", "b"] };
    /// let (a, b) = (ndarray::arr1(&[1.0, 2.0]), ndarray::arr1(&[3.0, 4.0]));
    /// let t = element_of(&a);
    /// let v = View::<_, 1>::with_element(t, &b, &SITE, 1).unwrap();
    /// assert_eq!(v.shape(), [2]);
    /// ```
    pub fn with_element<O>(
        _element: Element<T>,
        value: &'a O,
        site: &'static Site,
        operand: usize,
    ) -> Result<Self, EinsumError>
    where
        O: Operand + ?Sized,
        O::Elem: SameElement<T>,
        O::Dim: HasRank<R>,
    {
        let (ptr, shape, strides) = value.raw_parts();
        let ptr = <O::Elem as SameElement<T>>::cast_ptr(ptr);
        if shape.len() != R {
            return Err(EinsumError::RankMismatch {
                site,
                operand,
                expected: R,
                found: shape.len(),
            });
        }
        Ok(View {
            ptr,
            shape: shape.try_into().expect("length checked"),
            strides: strides.try_into().expect("length checked"),
            life: PhantomData,
        })
    }

    /// Views an intermediate the macro allocated itself.
    ///
    /// # Panics
    /// If `value` does not have `R` axes (the macro allocates with the rank it asks for).
    pub fn whole<S, D>(value: &'a ArrayBase<S, D>) -> Self
    where
        S: Data<Elem = T>,
        D: Dimension,
    {
        assert_eq!(value.ndim(), R, "einsum: intermediate of the wrong rank");
        View {
            ptr: value.as_ptr(),
            shape: value.shape().try_into().expect("rank checked"),
            strides: value.strides().try_into().expect("rank checked"),
            life: PhantomData,
        }
    }

    /// Views `value` for subscripts with an ellipsis: `before` labels, the
    /// ellipsis, then `after` labels. The ellipsis covers the value's other
    /// axes, at most `R - before - after` of them (the ellipsis slots); the
    /// slots it does not cover are the leading ones, and become axes of
    /// length 1 and stride 0, which is numpy's broadcasting (right-aligned,
    /// size 1 stretches). Any dimension type is accepted; the number of axes
    /// is checked here, at run time.
    ///
    /// ```
    /// use einsum_runtime::operand::{Element, View};
    /// use einsum_runtime::shape::Site;
    /// const SITE: Site = Site { subscripts: "...ij->...ji", operands: &["a"] };
    /// let a = ndarray::Array3::<f64>::zeros((5, 2, 3));
    /// // "...ij" with 4 ellipsis slots: 2 + 4 axes, the ellipsis covers the 5
    /// let v = View::<f64, 6>::with_ellipsis(Element::new(), &a, &SITE, 0, 0, 2).unwrap();
    /// assert_eq!(v.shape(), [1, 1, 1, 5, 2, 3]);
    /// assert!(View::<f64, 6>::with_ellipsis(Element::new(), &a, &SITE, 0, 2, 2).is_err());
    /// ```
    pub fn with_ellipsis<O>(
        _element: Element<T>,
        value: &'a O,
        site: &'static Site,
        operand: usize,
        before: usize,
        after: usize,
    ) -> Result<Self, EinsumError>
    where
        O: Operand + ?Sized,
        O::Elem: SameElement<T>,
    {
        let (ptr, shape, strides) = value.raw_parts();
        let ptr = <O::Elem as SameElement<T>>::cast_ptr(ptr);
        let (shape, strides) = pad_ellipsis::<R>(shape, strides, before, after)
            .map_err(|kind| kind.error(site, operand, shape.len(), before + after))?;
        Ok(View {
            ptr,
            shape,
            strides,
            life: PhantomData,
        })
    }

    /// Length of axis `axis`.
    pub fn len_of(&self, axis: usize) -> usize {
        self.shape[axis]
    }

    /// The shape.
    pub fn shape(&self) -> [usize; R] {
        self.shape
    }

    /// This view as an operand of a step over `space`: axis `a` walks loop
    /// `axis_loops[a]`. Two axes on one loop read a diagonal; an axis of
    /// length 1 on a longer loop is broadcast (stride 0).
    ///
    /// # Panics
    /// If an axis length is neither its loop's size nor 1. Shape binding
    /// rules that out before any step runs; the check is what makes the
    /// kernels' raw reads sound.
    pub fn in_loops<'s, const L: usize>(
        &self,
        space: &'s LoopSpace<L>,
        axis_loops: [usize; R],
    ) -> Strided<'s, T, L>
    where
        'a: 's,
    {
        Strided {
            ptr: self.ptr,
            strides: loop_strides(&self.shape, &self.strides, space, &axis_loops),
            space,
            life: PhantomData,
        }
    }
}

/// A mutably borrowed output with its rank fixed.
///
/// ```
/// use einsum_runtime::operand::ViewMut;
/// use einsum_runtime::shape::Site;
/// const SITE: Site = Site { subscripts: "ij->ji", operands: &["a"] };
/// let mut out = ndarray::Array2::<f64>::zeros((3, 2));
/// let v: ViewMut<f64, 2> = ViewMut::new(&mut out, [3, 2], &SITE, "out").unwrap();
/// assert_eq!(v.shape(), [3, 2]);
/// assert!(ViewMut::<f64, 2>::new(&mut out, [2, 3], &SITE, "out").is_err());
/// ```
#[derive(Debug)]
pub struct ViewMut<'a, T, const R: usize> {
    ptr: *mut T,
    shape: [usize; R],
    strides: [isize; R],
    life: PhantomData<&'a mut T>,
}

impl<'a, T: LinalgScalar, const R: usize> ViewMut<'a, T, R> {
    /// Views `value` for writing, checking that it has exactly the shape
    /// `expected` of the result about to be written into it (its rank at
    /// compile time for a fixed-rank value, see [`TargetRank`]).
    pub fn new<S, D>(
        value: &'a mut ArrayBase<S, D>,
        expected: [usize; R],
        site: &'static Site,
        target: &'static str,
    ) -> Result<Self, EinsumError>
    where
        S: DataMut<Elem = T>,
        D: Dimension + TargetRank<R>,
    {
        Self::with_element(Element::new(), value, expected, site, target)
    }

    /// Like [`ViewMut::new`], for a target whose element type must be the
    /// einsum's `T` (checked at compile time by [`SameElement`]).
    ///
    /// ```
    /// use einsum_runtime::operand::{Element, ViewMut};
    /// use einsum_runtime::shape::Site;
    /// const SITE: Site = Site { subscripts: "i->i", operands: &["a"] };
    /// let mut out = ndarray::Array1::<f64>::zeros(2);
    /// let t = Element::<f64>::new();
    /// assert!(ViewMut::with_element(t, &mut out, [2], &SITE, "out").is_ok());
    /// ```
    pub fn with_element<S, D>(
        _element: Element<T>,
        value: &'a mut ArrayBase<S, D>,
        expected: [usize; R],
        site: &'static Site,
        target: &'static str,
    ) -> Result<Self, EinsumError>
    where
        S: DataMut,
        S::Elem: SameElement<T>,
        D: Dimension + TargetRank<R>,
    {
        if value.shape() != expected {
            return Err(EinsumError::OutputShape {
                site,
                target,
                expected: expected.to_vec(),
                found: value.shape().to_vec(),
            });
        }
        // `as_mut_ptr` before reading the strides: for a shared `ArcArray` it
        // makes the data unique, which may move it.
        let ptr = <S::Elem as SameElement<T>>::cast_mut_ptr(value.as_mut_ptr());
        Ok(ViewMut {
            ptr,
            shape: expected,
            strides: value
                .strides()
                .try_into()
                .expect("rank checked with the shape"),
            life: PhantomData,
        })
    }

    /// Views `value` for writing a result with an ellipsis: `before` labels,
    /// the ellipsis, `after` labels, like [`View::with_ellipsis`]. The value
    /// must have exactly the shape `expected` of the result (its number of
    /// axes is only known at run time, so any dimension type is accepted).
    ///
    /// ```
    /// use einsum_runtime::operand::{Element, ViewMut};
    /// use einsum_runtime::shape::Site;
    /// const SITE: Site = Site { subscripts: "...i->i...", operands: &["a"] };
    /// let mut out = ndarray::Array2::<f64>::zeros((3, 4));
    /// let t = Element::<f64>::new();
    /// let v = ViewMut::<f64, 4>::with_ellipsis(t, &mut out, &[3, 4], &SITE, "out", 1, 0).unwrap();
    /// assert_eq!(v.shape(), [3, 1, 1, 4]);
    /// assert!(ViewMut::<f64, 4>::with_ellipsis(t, &mut out, &[3], &SITE, "out", 1, 0).is_err());
    /// ```
    pub fn with_ellipsis<S, D>(
        _element: Element<T>,
        value: &'a mut ArrayBase<S, D>,
        expected: &[usize],
        site: &'static Site,
        target: &'static str,
        before: usize,
        after: usize,
    ) -> Result<Self, EinsumError>
    where
        S: DataMut,
        S::Elem: SameElement<T>,
        D: Dimension,
    {
        if value.shape() != expected {
            return Err(EinsumError::OutputShape {
                site,
                target,
                expected: expected.to_vec(),
                found: value.shape().to_vec(),
            });
        }
        // `as_mut_ptr` before reading the strides: for a shared `ArcArray` it
        // makes the data unique, which may move it.
        let ptr = <S::Elem as SameElement<T>>::cast_mut_ptr(value.as_mut_ptr());
        let (shape, strides) = pad_ellipsis::<R>(value.shape(), value.strides(), before, after)
            .map_err(|kind| kind.error(site, 0, value.ndim(), before + after))?;
        Ok(ViewMut {
            ptr,
            shape,
            strides,
            life: PhantomData,
        })
    }

    /// Views a result with an ellipsis that the macro allocated itself (see
    /// [`ViewMut::with_ellipsis`]).
    ///
    /// # Panics
    /// If the ellipsis of `value` does not fit `R` axes (the macro allocates
    /// the result from the operands' ellipses, which fit).
    ///
    /// ```
    /// use einsum_runtime::operand::ViewMut;
    /// let mut out = ndarray::ArrayD::<f64>::zeros(vec![2, 3]);
    /// let v = ViewMut::<f64, 5>::whole_with_ellipsis(&mut out, 0, 1);
    /// assert_eq!(v.shape(), [1, 1, 1, 2, 3]);
    /// ```
    pub fn whole_with_ellipsis<S, D>(
        value: &'a mut ArrayBase<S, D>,
        before: usize,
        after: usize,
    ) -> Self
    where
        S: DataMut<Elem = T>,
        D: Dimension,
    {
        let ptr = value.as_mut_ptr();
        let (shape, strides) = pad_ellipsis::<R>(value.shape(), value.strides(), before, after)
            .unwrap_or_else(|_| panic!("einsum: result of the wrong rank"));
        ViewMut {
            ptr,
            shape,
            strides,
            life: PhantomData,
        }
    }

    /// Views a result or intermediate the macro allocated itself.
    ///
    /// # Panics
    /// If `value` does not have `R` axes (the macro allocates with the rank it asks for).
    pub fn whole<S, D>(value: &'a mut ArrayBase<S, D>) -> Self
    where
        S: DataMut<Elem = T>,
        D: Dimension,
    {
        assert_eq!(value.ndim(), R, "einsum: result of the wrong rank");
        let ptr = value.as_mut_ptr();
        ViewMut {
            ptr,
            shape: value.shape().try_into().expect("rank checked"),
            strides: value.strides().try_into().expect("rank checked"),
            life: PhantomData,
        }
    }

    /// The shape.
    pub fn shape(&self) -> [usize; R] {
        self.shape
    }

    /// This view as the output of a step over `space` (see [`View::in_loops`]).
    /// Outputs never broadcast: every axis must have its loop's size.
    ///
    /// # Panics
    /// If an axis length differs from its loop's size.
    pub fn in_loops<'s, const L: usize>(
        &'s mut self,
        space: &'s LoopSpace<L>,
        axis_loops: [usize; R],
    ) -> StridedMut<'s, T, L> {
        for (axis, &lp) in axis_loops.iter().enumerate() {
            assert_eq!(
                self.shape[axis], space.sizes[lp],
                "einsum: output axis {axis} does not have the size of loop {lp}"
            );
        }
        let mut indexed = [false; L];
        for &lp in &axis_loops {
            indexed[lp] = true;
        }
        StridedMut {
            indexed,
            ptr: self.ptr,
            strides: loop_strides(&self.shape, &self.strides, space, &axis_loops),
            space,
            life: PhantomData,
        }
    }
}

/// Why an array does not fit subscripts with an ellipsis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EllipsisFit {
    /// Fewer axes than the labels written around the ellipsis.
    TooFewAxes,
    /// The ellipsis would cover more axes than it has slots.
    TooManyAxes { slots: usize },
}

impl EllipsisFit {
    fn error(self, site: &'static Site, operand: usize, found: usize, named: usize) -> EinsumError {
        match self {
            EllipsisFit::TooFewAxes => EinsumError::TooFewAxes {
                site,
                operand,
                named,
                found,
            },
            EllipsisFit::TooManyAxes { slots } => EinsumError::EllipsisTooLong {
                site,
                operand,
                covered: found - named,
                slots,
            },
        }
    }
}

/// The shape and strides of an array of `shape` and `strides` read with
/// `before` labels, an ellipsis of `R - before - after` slots and `after`
/// labels: the ellipsis takes the axes between the labelled ones, right
/// aligned in its slots, and the slots it does not cover are axes of length 1
/// and stride 0 in front of them.
fn pad_ellipsis<const R: usize>(
    shape: &[usize],
    strides: &[isize],
    before: usize,
    after: usize,
) -> Result<([usize; R], [isize; R]), EllipsisFit> {
    let named = before + after;
    let slots = R.checked_sub(named).ok_or(EllipsisFit::TooFewAxes)?;
    let covered = shape
        .len()
        .checked_sub(named)
        .ok_or(EllipsisFit::TooFewAxes)?;
    if covered > slots {
        return Err(EllipsisFit::TooManyAxes { slots });
    }
    let (mut padded_shape, mut padded_strides) = ([1usize; R], [0isize; R]);
    let skip = slots - covered;
    for axis in 0..shape.len() {
        let at = if axis < before { axis } else { axis + skip };
        padded_shape[at] = shape[axis];
        padded_strides[at] = strides[axis];
    }
    Ok((padded_shape, padded_strides))
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
    value.raw_parts().1
}

fn loop_strides<const L: usize>(
    shape: &[usize],
    strides: &[isize],
    space: &LoopSpace<L>,
    axis_loops: &[usize],
) -> [isize; L] {
    let mut out = [0isize; L];
    for ((&len, &stride), &lp) in shape.iter().zip(strides).zip(axis_loops) {
        let loop_size = space.sizes[lp];
        if len == loop_size {
            out[lp] += stride;
        } else {
            assert_eq!(
                len, 1,
                "einsum: axis of length {len} mapped to a loop of size {loop_size}"
            );
        }
    }
    out
}

/// The loops of one contraction step and their sizes.
///
/// ```
/// use einsum_runtime::operand::LoopSpace;
/// let space = LoopSpace::new([2, 3, 4]);
/// assert_eq!(space.sizes(), [2, 3, 4]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoopSpace<const L: usize> {
    pub(crate) sizes: [usize; L],
}

impl<const L: usize> LoopSpace<L> {
    /// A loop space with these sizes.
    pub fn new(sizes: [usize; L]) -> Self {
        LoopSpace { sizes }
    }

    /// The loop sizes.
    pub fn sizes(&self) -> [usize; L] {
        self.sizes
    }

    /// Whether `other` is this space or has its sizes. Kernels check that
    /// their operands were checked against one space; comparing addresses
    /// first keeps that check to one instruction for the macro's steps.
    pub(crate) fn is(&self, other: &Self) -> bool {
        std::ptr::eq(self, other) || self == other
    }
}

/// An input of one step: a stride per loop, valid for every index of the
/// loop space it was checked against.
#[derive(Debug, Clone, Copy)]
pub struct Strided<'a, T, const L: usize> {
    pub(crate) ptr: *const T,
    pub(crate) strides: [isize; L],
    /// The loop space the strides were checked against; kernels read the
    /// sizes from here rather than from a copy.
    pub(crate) space: &'a LoopSpace<L>,
    life: PhantomData<&'a T>,
}

/// The output of one step: a stride per loop (zero for summed loops).
#[derive(Debug)]
pub struct StridedMut<'a, T, const L: usize> {
    pub(crate) ptr: *mut T,
    pub(crate) strides: [isize; L],
    /// As for [`Strided`].
    pub(crate) space: &'a LoopSpace<L>,
    /// Whether the output has an axis on each loop (its stride may still be
    /// zero, for an axis of length 0 or 1).
    pub(crate) indexed: [bool; L],
    pub(crate) life: PhantomData<&'a mut T>,
}

impl<'a, T, const L: usize> StridedMut<'a, T, L> {
    /// The loop sizes the output was checked against.
    pub(crate) fn sizes(&self) -> &'a [usize; L] {
        &self.space.sizes
    }
}

/// A zero-filled owned array of fixed rank `R` (0 to 6): results and intermediates.
///
/// ```
/// let a: ndarray::Array2<f64> = einsum_runtime::operand::zeros([2, 3]);
/// assert_eq!(a.shape(), &[2, 3]);
/// ```
pub fn zeros<T: LinalgScalar, const R: usize>(shape: [usize; R]) -> Array<T, Dim<[usize; R]>>
where
    Dim<[usize; R]>: Dimension,
{
    let mut dim = Dim::<[usize; R]>::default();
    dim.slice_mut().copy_from_slice(&shape);
    Array::zeros(dim)
}

/// A zero-filled owned array of dynamic rank (results of rank 7 and more).
///
/// ```
/// let a: ndarray::ArrayD<i32> = einsum_runtime::operand::zeros_dyn(&[1, 2, 1, 2, 1, 2, 1]);
/// assert_eq!(a.ndim(), 7);
/// ```
pub fn zeros_dyn<T: LinalgScalar>(shape: &[usize]) -> ArrayD<T> {
    Array::zeros(IxDyn(shape))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{s, Array2, ShapeBuilder};

    const SITE: Site = Site {
        subscripts: "ij",
        operands: &["a"],
    };

    #[test]
    fn strides_follow_layout_and_broadcast() {
        let f = Array2::<f64>::zeros((3, 4).f());
        let v = View::<f64, 2>::new(&f, &SITE, 0).unwrap();
        let space = LoopSpace::new([4, 3]);
        assert_eq!(v.in_loops(&space, [1, 0]).strides, [3, 1]);

        let row = Array2::<f64>::zeros((1, 4));
        let v = View::<f64, 2>::new(&row, &SITE, 0).unwrap();
        assert_eq!(v.in_loops(&LoopSpace::new([5, 4]), [0, 1]).strides, [0, 1]);

        let square = Array2::<f64>::zeros((3, 3));
        let flipped = square.slice(s![..;-1, ..]);
        let v = View::<f64, 2>::new(&flipped, &SITE, 0).unwrap();
        assert_eq!(v.in_loops(&LoopSpace::new([3]), [0, 0]).strides, [-3 + 1]);
    }

    #[test]
    fn an_ellipsis_is_padded_in_front_with_broadcast_axes() {
        let a = Array2::<f64>::zeros((3, 4).f());
        let (shape, strides) = pad_ellipsis::<5>(a.shape(), a.strides(), 1, 0).unwrap();
        assert_eq!((shape, strides), ([3, 1, 1, 1, 4], [1, 0, 0, 0, 3]));
        let (shape, strides) = pad_ellipsis::<4>(a.shape(), a.strides(), 0, 2).unwrap();
        assert_eq!((shape, strides), ([1, 1, 3, 4], [0, 0, 1, 3]));
        let (shape, _) = pad_ellipsis::<4>(a.shape(), a.strides(), 0, 0).unwrap();
        assert_eq!(shape, [1, 1, 3, 4]);
        assert_eq!(
            pad_ellipsis::<4>(a.shape(), a.strides(), 2, 1),
            Err(EllipsisFit::TooFewAxes)
        );
        assert_eq!(
            pad_ellipsis::<1>(a.shape(), a.strides(), 0, 0),
            Err(EllipsisFit::TooManyAxes { slots: 1 })
        );
        let flipped = a.slice(s![..;-1, ..]);
        let (shape, strides) = pad_ellipsis::<3>(flipped.shape(), flipped.strides(), 0, 0).unwrap();
        assert_eq!((shape, strides), ([1, 3, 4], [0, -1, 3]));
    }

    #[test]
    #[should_panic(expected = "axis of length 3 mapped to a loop of size 4")]
    fn wrong_loop_size_is_caught() {
        let a = Array2::<f64>::zeros((3, 3));
        let v = View::<f64, 2>::new(&a, &SITE, 0).unwrap();
        let _ = v.in_loops(&LoopSpace::new([4, 3]), [0, 1]);
    }
}
