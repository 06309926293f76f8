//! Views of user values: a pointer with a fixed-rank shape and strides
//! borrowed from the value ([`View`] to read, [`ViewMut`] to write), the
//! value's rank checked against its subscripts, and an ellipsis padded out
//! to its slots. A view becomes an operand of one step through `in_loops`
//! ([`crate::strided`]).

use crate::operand::{ElementWitness, HasRank, Operand, RawParts, SameElement, TargetRank};
use crate::shape::{EinsumError, Site};
use ndarray::{ArrayBase, Data, DataMut, Dimension};
use std::marker::PhantomData;

/// A borrowed operand with its rank fixed to the number of labels it carries.
///
/// ```
/// use einsum_runtime::view::View;
/// use einsum_runtime::shape::Site;
/// const SITE: Site = Site { subscripts: "ij->ji", operands: &["a"] };
/// let a = ndarray::Array::<f64, _>::zeros(vec![2, 3]); // dynamic rank
/// let v: View<f64, 2> = View::new(&a, &SITE, 0).unwrap();
/// assert_eq!(v.len_of(1), 3);
/// assert!(View::<f64, 3>::new(&a, &SITE, 0).is_err());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct View<'a, T, const R: usize> {
    pub(crate) ptr: *const T,
    pub(crate) shape: [usize; R],
    pub(crate) strides: [isize; R],
    life: PhantomData<&'a T>,
}

// No bound on the element type: see `crate::operand` on generic code.
impl<'a, T, const R: usize> View<'a, T, R> {
    /// Views `value`, checking that it has `R` axes: at compile time for a
    /// fixed-rank value ([`HasRank`]), at run time for `IxDyn`.
    pub fn new<O>(value: &'a O, site: &'static Site, operand: usize) -> Result<Self, EinsumError>
    where
        O: Operand<Elem = T> + ?Sized,
        O::Dim: HasRank<R>,
    {
        Self::with_element(ElementWitness::new(), value, site, operand)
    }

    /// Like [`View::new`], for a value whose element type must be the
    /// einsum's `T` (checked at compile time by [`SameElement`]). The witness
    /// comes first so that it fixes `T` before `value`'s type is seen.
    ///
    /// ```
    /// use einsum_runtime::operand::element_of;
    /// use einsum_runtime::view::View;
    /// use einsum_runtime::shape::Site;
    /// const SITE: Site = Site { subscripts: "i,i", operands: &["a", "b"] };
    /// let (a, b) = (ndarray::arr1(&[1.0, 2.0]), ndarray::arr1(&[3.0, 4.0]));
    /// let t = element_of(&a);
    /// let v = View::<_, 1>::with_element(t, &b, &SITE, 1).unwrap();
    /// assert_eq!(v.shape(), [2]);
    /// ```
    pub fn with_element<O>(
        _element: ElementWitness<T>,
        value: &'a O,
        site: &'static Site,
        operand: usize,
    ) -> Result<Self, EinsumError>
    where
        O: Operand + ?Sized,
        O::Elem: SameElement<T>,
        O::Dim: HasRank<R>,
    {
        let RawParts {
            ptr,
            shape,
            strides,
        } = value.raw_parts();
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
    /// use einsum_runtime::operand::ElementWitness;
    /// use einsum_runtime::view::View;
    /// use einsum_runtime::shape::Site;
    /// const SITE: Site = Site { subscripts: "...ij->...ji", operands: &["a"] };
    /// let a = ndarray::Array3::<f64>::zeros((5, 2, 3));
    /// // "...ij" with 4 ellipsis slots: 2 + 4 axes, the ellipsis covers the 5
    /// let v = View::<f64, 6>::with_ellipsis(ElementWitness::new(), &a, &SITE, 0, 0, 2).unwrap();
    /// assert_eq!(v.shape(), [1, 1, 1, 5, 2, 3]);
    /// assert!(View::<f64, 6>::with_ellipsis(ElementWitness::new(), &a, &SITE, 0, 2, 2).is_err());
    /// ```
    pub fn with_ellipsis<O>(
        _element: ElementWitness<T>,
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
        let raw = value.raw_parts();
        let ptr = <O::Elem as SameElement<T>>::cast_ptr(raw.ptr);
        let Axes { shape, strides } = pad_ellipsis::<R>(raw.shape, raw.strides, before, after)
            .map_err(|kind| kind.error(site, operand, raw.shape.len(), before + after))?;
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
}

/// A mutably borrowed output with its rank fixed.
///
/// ```
/// use einsum_runtime::view::ViewMut;
/// use einsum_runtime::shape::Site;
/// const SITE: Site = Site { subscripts: "ij->ji", operands: &["a"] };
/// let mut out = ndarray::Array2::<f64>::zeros((3, 2));
/// let v: ViewMut<f64, 2> = ViewMut::new(&mut out, [3, 2], &SITE, "out").unwrap();
/// assert_eq!(v.shape(), [3, 2]);
/// assert!(ViewMut::<f64, 2>::new(&mut out, [2, 3], &SITE, "out").is_err());
/// ```
#[derive(Debug)]
pub struct ViewMut<'a, T, const R: usize> {
    pub(crate) ptr: *mut T,
    pub(crate) shape: [usize; R],
    pub(crate) strides: [isize; R],
    life: PhantomData<&'a mut T>,
}

impl<'a, T, const R: usize> ViewMut<'a, T, R> {
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
        Self::with_element(ElementWitness::new(), value, expected, site, target)
    }

    /// Like [`ViewMut::new`], for a target whose element type must be the
    /// einsum's `T` (checked at compile time by [`SameElement`]).
    ///
    /// ```
    /// use einsum_runtime::operand::ElementWitness;
    /// use einsum_runtime::view::ViewMut;
    /// use einsum_runtime::shape::Site;
    /// const SITE: Site = Site { subscripts: "i->i", operands: &["a"] };
    /// let mut out = ndarray::Array1::<f64>::zeros(2);
    /// let t = ElementWitness::<f64>::new();
    /// assert!(ViewMut::with_element(t, &mut out, [2], &SITE, "out").is_ok());
    /// ```
    pub fn with_element<S, D>(
        _element: ElementWitness<T>,
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
    /// use einsum_runtime::operand::ElementWitness;
    /// use einsum_runtime::view::ViewMut;
    /// use einsum_runtime::shape::Site;
    /// const SITE: Site = Site { subscripts: "...i->i...", operands: &["a"] };
    /// let mut out = ndarray::Array2::<f64>::zeros((3, 4));
    /// let t = ElementWitness::<f64>::new();
    /// let v = ViewMut::<f64, 4>::with_ellipsis(t, &mut out, &[3, 4], &SITE, "out", 1, 0).unwrap();
    /// assert_eq!(v.shape(), [3, 1, 1, 4]);
    /// assert!(ViewMut::<f64, 4>::with_ellipsis(t, &mut out, &[3], &SITE, "out", 1, 0).is_err());
    /// ```
    pub fn with_ellipsis<S, D>(
        _element: ElementWitness<T>,
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
        let Axes { shape, strides } =
            pad_ellipsis::<R>(value.shape(), value.strides(), before, after)
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
    /// use einsum_runtime::view::ViewMut;
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
        let Axes { shape, strides } =
            pad_ellipsis::<R>(value.shape(), value.strides(), before, after)
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

/// The axes of a view: a length and a stride (in elements) each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Axes<const R: usize> {
    shape: [usize; R],
    strides: [isize; R],
}

/// The axes of an array of `shape` and `strides` read with
/// `before` labels, an ellipsis of `R - before - after` slots and `after`
/// labels: the ellipsis takes the axes between the labelled ones, right
/// aligned in its slots, and the slots it does not cover are axes of length 1
/// and stride 0 in front of them.
fn pad_ellipsis<const R: usize>(
    shape: &[usize],
    strides: &[isize],
    before: usize,
    after: usize,
) -> Result<Axes<R>, EllipsisFit> {
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
    Ok(Axes {
        shape: padded_shape,
        strides: padded_strides,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{s, Array2, ShapeBuilder};

    fn axes<const R: usize>(
        shape: [usize; R],
        strides: [isize; R],
    ) -> Result<Axes<R>, EllipsisFit> {
        Ok(Axes { shape, strides })
    }

    #[test]
    fn an_ellipsis_is_padded_in_front_with_broadcast_axes() {
        let a = Array2::<f64>::zeros((3, 4).f());

        assert_eq!(
            pad_ellipsis::<5>(a.shape(), a.strides(), 1, 0),
            axes([3, 1, 1, 1, 4], [1, 0, 0, 0, 3])
        );
        assert_eq!(
            pad_ellipsis::<4>(a.shape(), a.strides(), 0, 2),
            axes([1, 1, 3, 4], [0, 0, 1, 3])
        );
        let padded = pad_ellipsis::<4>(a.shape(), a.strides(), 0, 0).unwrap();
        assert_eq!(padded.shape, [1, 1, 3, 4]);
        assert_eq!(
            pad_ellipsis::<4>(a.shape(), a.strides(), 2, 1),
            Err(EllipsisFit::TooFewAxes)
        );
        assert_eq!(
            pad_ellipsis::<1>(a.shape(), a.strides(), 0, 0),
            Err(EllipsisFit::TooManyAxes { slots: 1 })
        );
        let flipped = a.slice(s![..;-1, ..]);
        assert_eq!(
            pad_ellipsis::<3>(flipped.shape(), flipped.strides(), 0, 0),
            axes([1, 3, 4], [0, -1, 3])
        );
    }
}
