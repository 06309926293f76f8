//! The arrays a plan allocates, results and intermediates: checked to be
//! able to exist once every size is bound ([`check_allocations`]), before
//! any of them is allocated or written, then created zero-filled (or, by
//! the step that writes them whole, without zeroing: [`crate::fresh`]).

use crate::operand::ElementWitness;
use crate::shape::{EinsumError, Site};
use ndarray::{Array, ArrayD, Dim, Dimension, IxDyn, LinalgScalar};

/// An array that the plan allocates, as [`check_allocations`] needs it.
///
/// ```
/// use einsum_runtime::allocation::Allocation;
/// let result = Allocation { array: "the result", labels: "ik", shape: &[2, 3] };
/// assert_eq!(result.shape, &[2, 3]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allocation<'a> {
    /// Which array, for messages: "the result" or "intermediate #k".
    pub array: &'static str,
    /// Its labels, for messages.
    pub labels: &'static str,
    /// Its shape.
    pub shape: &'a [usize],
}

/// Checks that every array the plan allocates can exist, once all sizes
/// are bound and before anything is allocated or written: an ndarray array
/// holds at most `isize::MAX` bytes, and the product of its nonzero axis
/// lengths may not exceed `isize::MAX` (even when another axis is empty).
/// The witness gives the element type, whose size counts.
///
/// ```
/// use einsum_runtime::allocation::{check_allocations, Allocation};
/// use einsum_runtime::operand::ElementWitness;
/// use einsum_runtime::shape::Site;
/// const SITE: Site = Site { subscripts: "i,j->ij", operands: &["x", "y"] };
/// let fits = Allocation { array: "the result", labels: "ij", shape: &[1 << 20, 1 << 20] };
/// assert!(check_allocations(ElementWitness::<f64>::new(), &SITE, &[fits]).is_ok());
/// let huge = Allocation { array: "the result", labels: "ij", shape: &[1 << 31, 1 << 31] };
/// let err = check_allocations(ElementWitness::<f64>::new(), &SITE, &[fits, huge]).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "einsum!(\"i,j->ij\"): the result `ij` would have shape [2147483648, 2147483648], \
///      too large for one array (4611686018427387904 elements of 8 bytes: more than isize::MAX bytes)"
/// );
/// ```
#[cfg_attr(debug_assertions, inline)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub fn check_allocations<T>(
    _element: ElementWitness<T>,
    site: &'static Site,
    arrays: &[Allocation<'_>],
) -> Result<(), EinsumError> {
    // Inlined into the generated code, with the error built out of line.
    let element_size = std::mem::size_of::<T>();
    for allocation in arrays {
        let fits = element_count(allocation.shape)
            .and_then(|count| count.checked_mul(element_size))
            .is_some_and(|bytes| bytes <= isize::MAX as usize);
        if !fits {
            return Err(too_large(site, allocation, element_size));
        }
    }
    Ok(())
}

/// [`check_allocations`] for one array of rank `R`, its shape by value:
/// what the generated code calls for each array of fixed rank. Inlined, the
/// sizes stay in registers; `?` turns a failure into the error, out of line
/// (see [`ArrayTooLarge`]).
///
/// ```
/// use einsum_runtime::allocation::check_allocation;
/// use einsum_runtime::operand::ElementWitness;
/// use einsum_runtime::shape::Site;
/// use einsum_runtime::EinsumError;
/// const SITE: Site = Site { subscripts: "i,j->ij", operands: &["x", "y"] };
/// let f64s = ElementWitness::<f64>::new();
/// assert!(check_allocation(f64s, &SITE, "the result", "ij", [1 << 20, 1 << 20]).is_ok());
/// let failed = check_allocation(f64s, &SITE, "the result", "ij", [1 << 31, 1 << 31]);
/// let err = EinsumError::from(failed.unwrap_err());
/// assert!(err.to_string().contains("too large for one array"));
/// ```
#[cfg_attr(debug_assertions, inline)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub fn check_allocation<T, const R: usize>(
    _element: ElementWitness<T>,
    site: &'static Site,
    array: &'static str,
    labels: &'static str,
    shape: [usize; R],
) -> Result<(), ArrayTooLarge<R>> {
    let element_size = std::mem::size_of::<T>();
    let fits = element_count(&shape)
        .and_then(|count| count.checked_mul(element_size))
        .is_some_and(|bytes| bytes <= isize::MAX as usize);
    if fits {
        Ok(())
    } else {
        Err(ArrayTooLarge {
            site,
            array,
            labels,
            shape,
            element_size,
        })
    }
}

/// An array [`check_allocation`] found too large; `?` turns it into
/// [`EinsumError::TooLarge`].
///
/// A plain value rather than the error itself, for the reason given at
/// [`crate::shape::SizeConflict`]: the failing branch then returns at once
/// instead of rejoining the success path with every register kept alive.
///
/// ```
/// use einsum_runtime::allocation::check_allocation;
/// use einsum_runtime::operand::ElementWitness;
/// use einsum_runtime::shape::Site;
/// use einsum_runtime::EinsumError;
/// const SITE: Site = Site { subscripts: "i,j->ij", operands: &["x", "y"] };
/// fn check(n: usize) -> Result<(), EinsumError> {
///     Ok(check_allocation(ElementWitness::<f64>::new(), &SITE, "the result", "ij", [n, n])?)
/// }
/// assert!(check(1000).is_ok());
/// assert!(matches!(check(1 << 31), Err(EinsumError::TooLarge { .. })));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArrayTooLarge<const R: usize> {
    site: &'static Site,
    array: &'static str,
    labels: &'static str,
    shape: [usize; R],
    element_size: usize,
}

impl<const R: usize> From<ArrayTooLarge<R>> for EinsumError {
    #[cold]
    #[inline(never)]
    fn from(failed: ArrayTooLarge<R>) -> Self {
        let allocation = Allocation {
            array: failed.array,
            labels: failed.labels,
            shape: &failed.shape,
        };
        too_large(failed.site, &allocation, failed.element_size)
    }
}

/// The error of [`check_allocations`] for `allocation`.
#[cold]
#[inline(never)]
fn too_large(site: &'static Site, allocation: &Allocation<'_>, element_size: usize) -> EinsumError {
    EinsumError::TooLarge {
        site,
        array: allocation.array,
        labels: allocation.labels,
        shape: allocation.shape.to_vec(),
        element_size,
    }
}

/// The number of elements of an array of `shape`, if the product of its
/// nonzero axis lengths is at most `isize::MAX` (ndarray's limit).
#[inline]
pub(crate) fn element_count(shape: &[usize]) -> Option<usize> {
    let nonzero = shape
        .iter()
        .filter(|&&n| n != 0)
        .try_fold(1usize, |count, &n| count.checked_mul(n))
        .filter(|&count| count <= isize::MAX as usize)?;
    Some(if shape.contains(&0) { 0 } else { nonzero })
}

/// A zero-filled owned array of fixed rank `R` (0 to 6): results and intermediates.
///
/// ```
/// let a: ndarray::Array2<f64> = einsum_runtime::allocation::zeros([2, 3]);
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
/// let a: ndarray::ArrayD<i32> = einsum_runtime::allocation::zeros_dyn(&[1, 2, 1, 2, 1, 2, 1]);
/// assert_eq!(a.ndim(), 7);
/// ```
pub fn zeros_dyn<T: LinalgScalar>(shape: &[usize]) -> ArrayD<T> {
    Array::zeros(IxDyn(shape))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: Site = Site {
        subscripts: "ij,jk->ik",
        operands: &["a", "b"],
    };

    #[test]
    fn arrays_too_large_to_exist_are_errors() {
        fn at(shape: &[usize]) -> Allocation<'_> {
            Allocation {
                array: "intermediate #1",
                labels: "ijk",
                shape,
            }
        }
        fn check(shape: &[usize]) -> Result<(), EinsumError> {
            check_allocations(ElementWitness::<f64>::new(), &SITE, &[at(shape)])
        }
        let max_f64s = isize::MAX as usize / 8;
        assert!(check(&[max_f64s]).is_ok());
        assert!(check(&[max_f64s + 1]).is_err());
        assert!(check(&[1 << 40, 0, 1 << 22]).is_ok());
        // ndarray refuses nonzero lengths multiplying past isize::MAX, even
        // with an empty axis.
        let err = check(&[1 << 40, 0, 1 << 23]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "einsum!(\"ij,jk->ik\"): intermediate #1 `ijk` would have shape \
             [1099511627776, 0, 8388608], too large for one array (the product of its \
             nonzero axis lengths exceeds isize::MAX)"
        );
        let err = check(&[1 << 32, 1 << 32]).unwrap_err();
        assert!(matches!(
            err,
            EinsumError::TooLarge {
                element_size: 8,
                ..
            }
        ));
        // Elements of no size take no bytes.
        assert!(check_allocations(ElementWitness::<()>::new(), &SITE, &[at(&[1 << 62])]).is_ok());
        assert!(check(&[]).is_ok());
    }
}
