#![doc = include_str!("../README.md")]

/// Computes an einsum expression: an owned array, a scalar for a rank-0
/// result, or `()` when the input assigns to an output target.
///
/// The input is one of:
/// - the numpy form, `einsum!("ij,jk->ik", a, b)`: subscripts, then the
///   operands (any `ndarray::ArrayBase` with any storage, dimension type
///   and strides, a reference to one, or a plain scalar for `""`);
/// - the call form, a block of `let` bindings ending in an expression made
///   of calls (`"ij,jk->ik"(a, b)`), sums, differences and scalar multiples
///   (`2.0 * x`, `alpha * x`, `-x`);
/// - either, assigned to an output target: `einsum! { out = EXPR }`,
///   `out += EXPR`, `out -= EXPR`.
///
/// Options (`#![sizes(...)]`, `#![max_intermediate(...)]`) may come first.
/// An ellipsis (`"...ij,...jk->...ik"`) makes the result an
/// `ndarray::ArrayD`. The [crate documentation](crate) describes all of it.
///
/// # Panics
/// Before anything is computed or written, if the operands' sizes disagree
/// (or a dynamic-rank operand has the wrong number of axes, or a target the
/// wrong shape), or if the result or an intermediate would be too large to
/// exist (more than `isize::MAX` bytes). The message is the
/// [`EinsumError`]'s; [`try_einsum!`] returns it instead.
///
/// # Examples
///
/// ```
/// use lazy_einsum::einsum;
/// use lazy_einsum::ndarray::{array, Array2};
///
/// let m = array![[1, 2], [3, 4]];
/// assert_eq!(einsum!("ii->i", m), array![1, 4]);
///
/// let x = array![[1.0, 2.0], [3.0, 4.0]];
/// let y: Array2<f64> = einsum! {
///     let xx = "ij,jk->ik"(x, x);
///     0.5 * (xx + "ji->ij"(xx))
/// };
/// assert_eq!(y, array![[7.0, 12.5], [12.5, 22.0]]);
///
/// let mut out = Array2::<f64>::zeros((2, 2));
/// einsum! { out -= "ij->ji"(x) };
/// assert_eq!(out, array![[-1.0, -3.0], [-2.0, -4.0]]);
/// ```
#[macro_export]
macro_rules! einsum {
    ($($input:tt)*) => {
        $crate::__private::einsum!([$crate] $($input)*)
    };
}

/// Describes, as a `&'static str`, the plan [`einsum!`] uses for the same
/// input: the terms after distribution, the sums computed into
/// intermediates, each term's steps with their kernel (GEMM, loop nest or
/// copy) and cost, shared intermediates, fused passes, and the total cost
/// against one loop nest per term. numpy's `einsum_path`, at compile time.
///
/// The operands are not evaluated, and need not exist.
///
/// # Examples
///
/// ```
/// let plan = lazy_einsum::einsum_plan!("ij,jk,kl->il", a, b, c);
/// assert!(plan.starts_with("einsum plan for \"ij,jk,kl->il\""));
/// assert!(plan.contains("GEMM"));
/// ```
#[macro_export]
macro_rules! einsum_plan {
    ($($input:tt)*) => {
        $crate::__private::einsum_plan!([$crate] $($input)*)
    };
}

/// Like [`einsum!`], but evaluates to `Result<_, EinsumError>` instead of
/// panicking: the error is returned before anything is computed or written.
///
/// # Examples
///
/// ```
/// use lazy_einsum::{try_einsum, EinsumError};
/// use lazy_einsum::ndarray::array;
///
/// let v = array![1.0, 2.0];
/// let w = array![1.0, 2.0, 3.0];
/// assert!(matches!(try_einsum!("i,i", v, w), Err(EinsumError::SizeMismatch { .. })));
/// assert_eq!(try_einsum!("i,i", v, v), Ok(5.0));
///
/// let mut out = array![0.0, 0.0, 0.0];
/// assert!(try_einsum! { out += "i->i"(v) }.is_err());
/// assert_eq!(out, array![0.0, 0.0, 0.0]); // untouched
/// ```
#[macro_export]
macro_rules! try_einsum {
    ($($input:tt)*) => {
        $crate::__private::try_einsum!([$crate] $($input)*)
    };
}

/// Why an einsum could not run: returned by [`try_einsum!`], and the panic
/// message of [`einsum!`].
///
/// # Examples
///
/// ```
/// use lazy_einsum::{try_einsum, EinsumError};
/// use lazy_einsum::ndarray::Array2;
///
/// let (a, b) = (Array2::<f64>::zeros((2, 3)), Array2::<f64>::zeros((4, 5)));
/// match try_einsum!("ij,jk->ik", a, b) {
///     Err(EinsumError::SizeMismatch { first, second }) => {
///         assert_eq!((first.label, first.size, second.size), ('j', 3, 4));
///     }
///     other => panic!("expected a size mismatch, got {other:?}"),
/// }
/// // An error works with `?` and `Box<dyn Error>`.
/// fn run() -> Result<(), Box<dyn std::error::Error>> {
///     let v = lazy_einsum::ndarray::Array1::<f64>::zeros(2);
///     let _ = try_einsum!("i,j->ij", v, v)?;
///     Ok(())
/// }
/// assert!(run().is_ok());
/// ```
#[doc(inline)]
pub use einsum_runtime::EinsumError;

/// One axis of one operand in an [`EinsumError::SizeMismatch`]: where the
/// label is written, and the size found there.
///
/// # Examples
///
/// ```
/// use lazy_einsum::{try_einsum, EinsumError};
/// use lazy_einsum::ndarray::Array2;
///
/// let m = Array2::<f64>::zeros((2, 3));
/// let Err(EinsumError::SizeMismatch { first, second }) = try_einsum!("ii", m) else {
///     panic!("a 2 x 3 matrix has no diagonal");
/// };
/// assert_eq!((first.site.subscripts, first.operand, first.axis), ("ii", 0, 0));
/// assert_eq!((second.axis, second.size), (1, 3));
/// assert_eq!(first.site.operands, &["m"]);
/// ```
#[doc(inline)]
pub use einsum_runtime::Occurrence;

/// Where operands are written, as named in errors: a call's subscripts and
/// the source text of its operands.
///
/// # Examples
///
/// ```
/// use lazy_einsum::{try_einsum, EinsumError};
/// use lazy_einsum::ndarray::Array2;
///
/// let (a, b) = (Array2::<f64>::zeros((2, 3)), Array2::<f64>::zeros((4, 5)));
/// let Err(EinsumError::SizeMismatch { first, .. }) = try_einsum!("ij,jk->ik", a.view(), b) else {
///     panic!("j is 3 and 4");
/// };
/// assert_eq!(first.site.subscripts, "ij,jk->ik");
/// assert_eq!(first.site.operands, &["a.view()", "b"]);
/// assert!(first.site.is_call());
/// ```
#[doc(inline)]
pub use einsum_runtime::Site;

/// The outermost place of a label, which joins the axes of an
/// [`Occurrence`] pair that no single call writes with one label.
///
/// # Examples
///
/// ```
/// use lazy_einsum::{try_einsum, EinsumError, LabelOwner};
/// use lazy_einsum::ndarray::Array2;
///
/// // The binding is used as `ij` and as `ji`: the outer call's `i` joins
/// // the two axes of `x`.
/// let x = Array2::<f64>::zeros((2, 3));
/// let result = try_einsum! {
///     let c = "ij->ij"(x);
///     "ij,ji->"(c, c)
/// };
/// let Err(EinsumError::SizeMismatch { first, .. }) = result else {
///     panic!("x is not square");
/// };
/// let Some(LabelOwner::Call { site, label }) = first.owner else {
///     panic!("the outer call joins the axes");
/// };
/// assert_eq!((site.subscripts, label), ("ij,ji->", 'i'));
/// ```
#[doc(inline)]
pub use einsum_runtime::LabelOwner;

/// An operand named in an [`EinsumError`] about ellipses, with its whole
/// shape.
///
/// # Examples
///
/// ```
/// use lazy_einsum::{try_einsum, EinsumError};
/// use lazy_einsum::ndarray::Array3;
///
/// let (a, b) = (Array3::<f64>::zeros((2, 3, 4)), Array3::<f64>::zeros((5, 4, 6)));
/// let Err(EinsumError::BroadcastMismatch { first, second, sizes, .. }) =
///     try_einsum!("...ij,...jk->...ik", a, b)
/// else {
///     panic!("2 and 5 do not broadcast");
/// };
/// assert_eq!((first.operand, first.shape.as_slice()), (0, &[2, 3, 4][..]));
/// assert_eq!((second.operand, sizes), (1, (2, 5)));
/// ```
#[doc(inline)]
pub use einsum_runtime::OperandShape;

/// The element types [`einsum!`] computes with: the bound of generic code.
///
/// Every `ndarray::LinalgScalar + Send + Sync` type implements it: `f32`,
/// `f64`, `Complex<f32>` and `Complex<f64>` (which use GEMM), the primitive
/// integers (which wrap on overflow, like numpy), and your own types with
/// those arithmetic traits. Without the bound, a generic `T` is one compile
/// error suggesting it.
///
/// # Examples
///
/// ```
/// use lazy_einsum::{einsum, Element};
/// use lazy_einsum::ndarray::{array, Array1, Array2};
/// use lazy_einsum::num_complex::Complex;
///
/// /// `alpha * a x + y`, numpy's `alpha * einsum("ij,j->i", a, x) + y`.
/// fn gemv<T: Element>(alpha: T, a: &Array2<T>, x: &Array1<T>, y: &Array1<T>) -> Array1<T> {
///     einsum! { alpha * "ij,j->i"(a, x) + y }
/// }
///
/// let a = array![[1.0, 2.0], [3.0, 4.0]];
/// assert_eq!(gemv(2.0, &a, &array![1.0, 1.0], &array![0.5, 0.5]), array![6.5, 14.5]);
/// let i = Complex::new(0.0f32, 1.0);
/// let z = gemv(i, &array![[i]], &array![i], &array![Complex::new(1.0, 0.0)]);
/// assert_eq!(z, array![Complex::new(1.0, -1.0)]);
/// ```
#[doc(inline)]
pub use einsum_runtime::Element;

/// The bound of a generic dimension `D` for an operand whose subscripts
/// name `R` axes (without an ellipsis): ndarray's `Dim<[usize; R]>` and
/// `IxDyn` (whose number of axes is then checked at run time).
///
/// # Examples
///
/// ```
/// use lazy_einsum::{einsum, HasRank};
/// use lazy_einsum::ndarray::{array, Array, Array2, Dimension};
///
/// fn frobenius<D: Dimension + HasRank<2>>(m: &Array<f64, D>) -> f64 {
///     einsum!("ij,ij->", m, m)
/// }
///
/// let m = array![[1.0, 2.0], [3.0, 4.0]];
/// assert_eq!(frobenius(&m), 30.0);
/// assert_eq!(frobenius(&m.clone().into_dyn()), 30.0);
/// ```
#[doc(inline)]
pub use einsum_runtime::HasRank;

/// The bound of a generic dimension `D` for an operand written with an
/// ellipsis and `N` labels besides it: `Dim<[usize; R]>` for `R >= N`, and
/// `IxDyn`. Without a bound, pass a dynamic-rank view instead:
/// `a.view().into_dyn()`.
///
/// # Examples
///
/// ```
/// use lazy_einsum::{einsum, HasAtLeastRank};
/// use lazy_einsum::ndarray::{Array, ArrayD, Array3, Dimension};
///
/// fn row_sums<D: Dimension + HasAtLeastRank<1>>(a: &Array<f64, D>) -> ArrayD<f64> {
///     einsum!("...i->...", a)
/// }
///
/// fn row_sums_of_any<D: Dimension>(a: &Array<f64, D>) -> ArrayD<f64> {
///     einsum!("...i->...", a.view().into_dyn())
/// }
///
/// let a = Array3::<f64>::ones((2, 3, 4));
/// assert_eq!(row_sums(&a), ArrayD::from_elem(vec![2, 3], 4.0));
/// assert_eq!(row_sums_of_any(&a), row_sums(&a));
/// ```
#[doc(inline)]
pub use einsum_runtime::HasAtLeastRank;

/// The bound of a generic dimension `D` for an output target that receives
/// a result of rank `R`: `Dim<[usize; R]>` and `IxDyn`.
///
/// # Examples
///
/// ```
/// use lazy_einsum::{einsum, TargetRank};
/// use lazy_einsum::ndarray::{array, Array, Array1, Array2, Dimension};
///
/// fn add_row_sums<D: Dimension + TargetRank<1>>(out: &mut Array<f64, D>, m: &Array2<f64>) {
///     einsum! { *out += "ij->i"(m) };
/// }
///
/// let mut out: Array1<f64> = array![1.0, 1.0];
/// add_row_sums(&mut out, &array![[1.0, 2.0], [3.0, 4.0]]);
/// assert_eq!(out, array![4.0, 8.0]);
/// ```
#[doc(inline)]
pub use einsum_runtime::TargetRank;

/// The ndarray crate whose arrays [`einsum!`] reads and returns (0.17).
/// Use it, or depend on the same version, so that your arrays are its
/// types.
///
/// ```
/// use lazy_einsum::ndarray::{array, Array2};
/// let identity: Array2<f64> = Array2::eye(2);
/// assert_eq!(lazy_einsum::einsum!("ij,jk->ik", identity, identity), array![[1.0, 0.0], [0.0, 1.0]]);
/// ```
pub use ndarray;

/// The num-complex crate (0.4) whose `Complex<f32>` and `Complex<f64>`
/// [`einsum!`] multiplies with GEMM.
///
/// ```
/// use lazy_einsum::num_complex::Complex;
/// let z = lazy_einsum::ndarray::array![Complex::new(1.0, 1.0), Complex::new(0.0, 2.0)];
/// let norm: Complex<f64> = lazy_einsum::einsum!("i,i->", z, z.mapv(|c| c.conj()));
/// assert_eq!(norm, Complex::new(6.0, 0.0));
/// ```
pub use num_complex;

/// What the code generated by the macros calls. Not a public API: it changes
/// whenever the macros change.
#[doc(hidden)]
pub mod __private {
    pub use einsum_macro::{einsum, einsum_plan, try_einsum};
    pub use einsum_runtime::allocation::{
        check_allocation, check_allocations, zeros, zeros_dyn, Allocation,
    };
    pub use einsum_runtime::combination::combine;
    pub use einsum_runtime::emitted::{
        accumulate, add_product, force_path, product, read, runs_emitted, sum, uniform, upto,
        write, Scalar, EMITTED_BATCH_WORK, EMITTED_GEMM_WORK, EMITTED_LOOP_WORK, EMITTED_SUM_WORK,
    };
    pub use einsum_runtime::fresh::{combine_new, contract_new, gemm_new};
    pub use einsum_runtime::fused::{contract_fused, FusedStep};
    pub use einsum_runtime::gemm::{gemm, Roles};
    pub use einsum_runtime::kernels::{contract, Write};
    pub use einsum_runtime::operand::{
        as_coefficient, as_element, element_of, require_at_least_rank, require_element, shape_of,
        tie_element, ElementWitness,
    };
    pub use einsum_runtime::scalar::{add, from_count, mul, neg, one, zero};
    pub use einsum_runtime::shape::{
        all_equal, bind, bind_ellipsis, diagonal, EinsumError, EllipsisOperand, LabelAxis,
        LabelOwner, Site,
    };
    pub use einsum_runtime::strided::LoopSpace;
    pub use einsum_runtime::view::{View, ViewMut};

    std::thread_local! {
        static LAST_CANDIDATE: ::core::cell::Cell<Option<usize>> =
            const { ::core::cell::Cell::new(None) };
    }

    /// Records which candidate plan ran (0 is the one `einsum_plan!` prints
    /// first). Called by the generated code only when the input has the
    /// undocumented option `#![__record_candidate]`, for tests.
    pub fn record_candidate(index: usize) {
        LAST_CANDIDATE.with(|last| last.set(Some(index)));
    }

    /// The candidate recorded last on this thread, and forgets it: `None`
    /// when no input with `#![__record_candidate]` chose among candidates
    /// since (one with a single plan records nothing).
    pub fn last_candidate() -> Option<usize> {
        LAST_CANDIDATE.with(|last| last.take())
    }

    /// A panic with the error's message, at the macro's call site.
    #[track_caller]
    pub fn fail(error: EinsumError) -> ! {
        panic!("{error}")
    }
}
