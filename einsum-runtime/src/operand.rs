//! Views of user values: what `einsum!` reads from and writes into.
//!
//! A user value becomes a [`View`] (a pointer, a fixed-rank shape and strides
//! borrowed from the value), and a view becomes a [`Strided`] operand of one
//! contraction step by mapping each of its axes to one loop of a
//! [`LoopSpace`]. That mapping is where the sizes are checked, so that the
//! kernels can then walk raw memory without any further bounds checks.

use crate::shape::{EinsumError, Site};
use ndarray::{Array, ArrayBase, ArrayD, Data, DataMut, Dim, Dimension, IxDyn, LinalgScalar};
use num_complex::Complex;
use std::marker::PhantomData;

/// A value `einsum!` accepts as an operand: any `ndarray::ArrayBase` with
/// `S: Data` (owned, view, `ArcArray`, `CowArray`, any dimension type and any
/// strides), references to one, and plain scalars as rank-0 operands.
///
/// ```
/// use einsum_runtime::operand::Operand;
/// let a = ndarray::arr2(&[[1.0, 2.0], [3.0, 4.0]]);
/// assert_eq!(a.raw_parts().1, &[2, 2]);
/// assert_eq!(2.5f64.raw_parts().1, &[] as &[usize]);
/// ```
pub trait Operand {
    /// The element type.
    type Elem: LinalgScalar;
    /// Pointer to the element at index zero, the shape and the strides (in elements).
    fn raw_parts(&self) -> (*const Self::Elem, &[usize], &[isize]);
}

impl<S, D> Operand for ArrayBase<S, D>
where
    S: Data,
    S::Elem: LinalgScalar,
    D: Dimension,
{
    type Elem = S::Elem;
    fn raw_parts(&self) -> (*const S::Elem, &[usize], &[isize]) {
        (self.as_ptr(), self.shape(), self.strides())
    }
}

impl<O: Operand + ?Sized> Operand for &O {
    type Elem = O::Elem;
    fn raw_parts(&self) -> (*const O::Elem, &[usize], &[isize]) {
        (**self).raw_parts()
    }
}

impl<O: Operand + ?Sized> Operand for &mut O {
    type Elem = O::Elem;
    fn raw_parts(&self) -> (*const O::Elem, &[usize], &[isize]) {
        (**self).raw_parts()
    }
}

macro_rules! scalar_operand {
    ($($t:ty)*) => {$(
        impl Operand for $t {
            type Elem = $t;
            fn raw_parts(&self) -> (*const $t, &[usize], &[isize]) {
                (self as *const $t, &[], &[])
            }
        }
    )*};
}
scalar_operand!(f32 f64 Complex<f32> Complex<f64> i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize);

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
    /// Views `value`, checking that it has `R` axes (only dynamic-rank values can fail).
    pub fn new<O: Operand<Elem = T> + ?Sized>(
        value: &'a O,
        site: &'static Site,
        operand: usize,
    ) -> Result<Self, EinsumError> {
        let (ptr, shape, strides) = value.raw_parts();
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
    pub fn in_loops<const L: usize>(
        &self,
        space: &LoopSpace<L>,
        axis_loops: [usize; R],
    ) -> Strided<'a, T, L> {
        Strided {
            ptr: self.ptr,
            strides: loop_strides(&self.shape, &self.strides, space, &axis_loops),
            sizes: space.sizes,
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
    /// `expected` of the result about to be written into it.
    pub fn new<S, D>(
        value: &'a mut ArrayBase<S, D>,
        expected: [usize; R],
        site: &'static Site,
        target: &'static str,
    ) -> Result<Self, EinsumError>
    where
        S: DataMut<Elem = T>,
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
        let ptr = value.as_mut_ptr();
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
    pub fn in_loops<const L: usize>(
        &mut self,
        space: &LoopSpace<L>,
        axis_loops: [usize; R],
    ) -> StridedMut<'_, T, L> {
        for (axis, &lp) in axis_loops.iter().enumerate() {
            assert_eq!(
                self.shape[axis], space.sizes[lp],
                "einsum: output axis {axis} does not have the size of loop {lp}"
            );
        }
        StridedMut {
            ptr: self.ptr,
            strides: loop_strides(&self.shape, &self.strides, space, &axis_loops),
            sizes: space.sizes,
            life: PhantomData,
        }
    }
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
    sizes: [usize; L],
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
}

/// An input of one step: a stride per loop, valid for every index of the
/// loop space it was checked against.
#[derive(Debug, Clone, Copy)]
pub struct Strided<'a, T, const L: usize> {
    pub(crate) ptr: *const T,
    pub(crate) strides: [isize; L],
    pub(crate) sizes: [usize; L],
    life: PhantomData<&'a T>,
}

/// The output of one step: a stride per loop (zero for summed loops).
#[derive(Debug)]
pub struct StridedMut<'a, T, const L: usize> {
    pub(crate) ptr: *mut T,
    pub(crate) strides: [isize; L],
    pub(crate) sizes: [usize; L],
    life: PhantomData<&'a mut T>,
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
    #[should_panic(expected = "axis of length 3 mapped to a loop of size 4")]
    fn wrong_loop_size_is_caught() {
        let a = Array2::<f64>::zeros((3, 3));
        let v = View::<f64, 2>::new(&a, &SITE, 0).unwrap();
        let _ = v.in_loops(&LoopSpace::new([4, 3]), [0, 1]);
    }
}
