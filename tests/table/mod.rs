//! The conformance table, shared by `conformance.rs` (`f64`, every operand
//! kind) and `conformance_types.rs` (the other element types): every
//! expression of `tests/data/expressions.txt` (numpy's documented forms and
//! opt_einsum's public test list) as an `einsum!` call, the sizes each row is
//! run at, and the check of a row in many layouts against the naive reference.

use crate::common::{
    self, check_materialized, lay, random_dyn, reference, Elem, Laid, Layout, Lcg, Materialize,
    Materialized,
};
use lazy_einsum::einsum;
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use std::collections::BTreeMap;

/// One `einsum!` call of the table, on the operands given.
pub type Run<T> = fn(&[ArrayViewD<'_, T>]) -> Materialized<T>;

/// One row of the table: the subscripts, and the same `einsum!` call with
/// fixed-dimension operands (`ArrayView2`, ...) and with dynamic ones (`ArrayViewD`).
pub struct Case<T: 'static> {
    pub subscripts: &'static str,
    /// `None` in [`dynamic_cases`].
    pub fixed: Option<Run<T>>,
    pub dynamic: Run<T>,
}

/// `"subscripts" => [0 1 ...]` (one index per operand) becomes a [`Case`]
/// whose calls pass `&ops[0], &ops[1], ...`; the fixed variant first views
/// each operand with the dimension type its subscripts give it.
/// `name: "subscripts" => [0 1 ...], ...` becomes `fn name<T>()`, the rows
/// with dynamic operands only.
macro_rules! dynamic_table {
    ($(#[$doc:meta])* $name:ident: $($s:literal => [$($i:tt)*],)*) => {
        $(#[$doc])*
        #[allow(dead_code)] // each test crate uses some of the tables
        pub fn $name<T: Elem>() -> Vec<Case<T>> {
            vec![$(
                Case {
                    subscripts: $s,
                    fixed: None,
                    dynamic: |ops| einsum!($s, $(&ops[$i]),*).materialize(),
                },
            )*]
        }
    };
}

macro_rules! table {
    ($($s:literal => [$($i:tt)*],)*) => {
        /// Every row, each call both with fixed-dimension and dynamic operands.
        #[allow(dead_code)] // each test crate uses some of the tables
        pub fn cases<T: Elem>() -> Vec<Case<T>> {
            vec![$(
                Case {
                    subscripts: $s,
                    fixed: Some(|ops| {
                        einsum!($s, $(common::fixed::<T, { common::rank_of($s, $i) }>(&ops[$i])),*)
                            .materialize()
                    }),
                    dynamic: |ops| einsum!($s, $(&ops[$i]),*).materialize(),
                },
            )*]
        }

        dynamic_table! {
            /// Every row with dynamic operands only: half the code of [`cases`],
            /// for the element types other than `f64` (fixed and dynamic
            /// operands differ in how they are admitted, not in how each
            /// element type is computed).
            dynamic_cases: $($s => [$($i)*],)*
        }
    };
}

dynamic_table! {
    /// The rows whose steps reach GEMM at [`large_sizes`] in every way the
    /// runtime groups labels (batch, transposed and fused dimensions, chains
    /// and networks), plus a few loop-kernel rows: for `f32` and
    /// `Complex<f32>`, whose only code of their own is the GEMM dispatch.
    gemm_cases:
    "ii" => [0],
    "ij->ji" => [0],
    "i,j" => [0 1],
    "ij,j" => [0 1],
    "ij,jk" => [0 1],
    "ij,jk->ki" => [0 1],
    "bij,bjk->bik" => [0 1],
    "ijk,jkl->il" => [0 1],
    "i,jk,i,kj->k" => [0 1 2 3],
    "a,b,ab->ab" => [0 1 2],
    "ea,fb,abcd,gc,hd->efgh" => [0 1 2 3 4],
    "ab,ba" => [0 1],
    "abc,cba" => [0 1],
    "ab,cb" => [0 1],
    "ba,bc" => [0 1],
    "ba,cb" => [0 1],
    "abcd,cdef->feba" => [0 1],
    "abcd,efdc" => [0 1],
    "aab,bc->ac" => [0 1],
    "dba,ead,cad->bce" => [0 1 2],
    "aef,fbc,dca->bde" => [0 1 2],
    "ab,bc,cd,de,ef,fg,gh,hi,ij,jk->ak" => [0 1 2 3 4 5 6 7 8 9],
}

table! {
    "ii" => [0],
    "ii->i" => [0],
    "ij->ji" => [0],
    "ji" => [0],
    "ij->" => [0],
    "ij->j" => [0],
    "iij->j" => [0],
    "i,i" => [0 1],
    "i,i->i" => [0 1],
    "i,j" => [0 1],
    "ij,j" => [0 1],
    "ij,jk" => [0 1],
    "ij,jk->ki" => [0 1],
    "bij,bjk->bik" => [0 1],
    "ijk,jkl->il" => [0 1],
    "i,jk,i,kj->k" => [0 1 2 3],
    "abcdef->fedcba" => [0],
    "abcdefg->gfedcba" => [0],
    "a,->a" => [0 1],
    "ab,->ab" => [0 1],
    ",ab,->ab" => [0 1 2],
    ",,->" => [0 1 2],
    "a,ab,abc->abc" => [0 1 2],
    "a,b,ab->ab" => [0 1 2],
    "ea,fb,gc,hd,abcd->efgh" => [0 1 2 3 4],
    "ea,fb,abcd,gc,hd->efgh" => [0 1 2 3 4],
    "abcd,ea,fb,gc,hd->efgh" => [0 1 2 3 4],
    "acdf,jbje,gihb,hfac,gfac,gifabc,hfac" => [0 1 2 3 4 5 6],
    "cd,bdhe,aidb,hgca,gc,hgibcd,hgac" => [0 1 2 3 4 5 6],
    "abhe,hidj,jgba,hiab,gab" => [0 1 2 3 4],
    "bde,cdh,agdb,hica,ibd,hgicd,hiac" => [0 1 2 3 4 5 6],
    "chd,bde,agbc,hiad,hgc,hgi,hiad" => [0 1 2 3 4 5 6],
    "chd,bde,agbc,hiad,bdi,cgh,agdb" => [0 1 2 3 4 5 6],
    "bdhe,acad,hiab,agac,hibd" => [0 1 2 3 4],
    "ab,ab,c->" => [0 1 2],
    "ab,ab,c->c" => [0 1 2],
    "ab,ab,cd,cd->" => [0 1 2 3],
    "ab,ab,cd,cd->ac" => [0 1 2 3],
    "ab,ab,cd,cd->cd" => [0 1 2 3],
    "ab,ab,cd,cd,ef,ef->" => [0 1 2 3 4 5],
    "ab,cd,ef->abcdef" => [0 1 2],
    "ab,cd,ef->acdf" => [0 1 2],
    "ab,cd,de->abcde" => [0 1 2],
    "ab,cd,de->be" => [0 1 2],
    "ab,bcd,cd->abcd" => [0 1 2],
    "ab,bcd,cd->abd" => [0 1 2],
    "eb,cb,fb->cef" => [0 1 2],
    "dd,fb,be,cdb->cef" => [0 1 2 3],
    "bca,cdb,dbf,afc->" => [0 1 2 3],
    "dcc,fce,ea,dbf->ab" => [0 1 2 3],
    "fdf,cdd,ccd,afe->ae" => [0 1 2 3],
    "abcd,ad" => [0 1],
    "ed,fcd,ff,bcf->be" => [0 1 2 3],
    "baa,dcf,af,cde->be" => [0 1 2 3],
    "bd,db,eac->ace" => [0 1 2],
    "fff,fae,bef,def->abd" => [0 1 2 3],
    "efc,dbc,acf,fd->abe" => [0 1 2 3],
    "ab,ab" => [0 1],
    "ab,ba" => [0 1],
    "abc,abc" => [0 1],
    "abc,bac" => [0 1],
    "abc,cba" => [0 1],
    "ab,bc" => [0 1],
    "ab,cb" => [0 1],
    "ba,bc" => [0 1],
    "ba,cb" => [0 1],
    "abcd,cd" => [0 1],
    "abcd,ab" => [0 1],
    "abcd,cdef" => [0 1],
    "abcd,cdef->feba" => [0 1],
    "abcd,efdc" => [0 1],
    "aab,bc->ac" => [0 1],
    "ab,bcc->ac" => [0 1],
    "aab,bcc->ac" => [0 1],
    "baa,bcc->ac" => [0 1],
    "aab,ccb->ac" => [0 1],
    "aab,fa,df,ecc->bde" => [0 1 2 3],
    "ecb,fef,bad,ed->ac" => [0 1 2 3],
    "bcf,bbb,fbf,fc->" => [0 1 2 3],
    "bb,ff,be->e" => [0 1 2],
    "bcb,bb,fc,fff->" => [0 1 2 3],
    "fbb,dfd,fc,fc->" => [0 1 2 3],
    "afd,ba,cc,dc->bf" => [0 1 2 3],
    "adb,bc,fa,cfc->d" => [0 1 2 3],
    "bbd,bda,fc,db->acf" => [0 1 2 3],
    "dba,ead,cad->bce" => [0 1 2],
    "aef,fbc,dca->bde" => [0 1 2],
    "iJ,Jk -> ik" => [0 1],
    "Ab,bA->" => [0 1],
    // Beyond the list: implicit outputs with uppercase labels (ASCII order puts
    // them first) and spaces in implicit and scalar forms.
    "aZ" => [0],
    "Ba,aC" => [0 1],
    "iB,Bk" => [0 1],
    "bA,cb" => [0 1],
    " i j , j k " => [0 1],
    "i i -> " => [0],
    // Case-sensitive labels, a rank-8 result, and a chain of ten operands
    // (beyond the exhaustive path search).
    "aA,Aa->Aa" => [0 1],
    "abcdefgh,h->hgfedcba" => [0 1],
    "ab,bc,cd,de,ef,fg,gh,hi,ij,jk->ak" => [0 1 2 3 4 5 6 7 8 9],
}

// ---------------------------------------------------------------------------
// Sizes and operands of a table row
// ---------------------------------------------------------------------------

/// Distinct sizes so that a swapped label changes a shape.
pub fn base_size(label: char) -> usize {
    match label {
        'a' => 2,
        'b' => 3,
        'c' => 4,
        'd' => 5,
        'e' => 4,
        'f' => 3,
        'g' => 2,
        'h' => 6,
        'i' => 5,
        'j' => 4,
        _ => 3,
    }
}

/// The reference visits every assignment of the labels: networks whose base
/// sizes multiply past this use sizes 2 and 3 only.
pub const BUDGET: usize = 20_000;

pub fn distinct_labels(subscripts: &str) -> Vec<char> {
    let mut labels: Vec<char> = common::parse(subscripts)
        .inputs
        .iter()
        .flatten()
        .copied()
        .collect();
    labels.sort_unstable();
    labels.dedup();
    labels
}

/// Small sizes: [`base_size`], or 2 and 3 for big networks.
pub fn small_sizes(subscripts: &str) -> Option<BTreeMap<char, usize>> {
    let labels = distinct_labels(subscripts);
    let product: usize = labels.iter().map(|&l| base_size(l)).product();
    let size = |l: char| {
        if product <= BUDGET {
            base_size(l)
        } else {
            2 + (l as usize) % 2
        }
    };
    Some(labels.into_iter().map(|l| (l, size(l))).collect())
}

/// The runtime hands a pairwise step to GEMM from this many multiply-adds on
/// (einsum-runtime's `MIN_GEMM_WORK` is 16^3); the large sizes cross it.
pub const GEMM_WORK: usize = 6_000;

/// Large sizes, so that GEMM runs: [`base_size`] times the smallest factor
/// that makes the product of all sizes reach [`GEMM_WORK`]. `None` for
/// expressions that GEMM cannot take (one operand) or that would make the
/// reference slow.
pub fn large_sizes(subscripts: &str) -> Option<BTreeMap<char, usize>> {
    let parsed = common::parse(subscripts);
    if parsed.inputs.len() < 2 {
        return None;
    }
    let labels = distinct_labels(subscripts);
    if labels.is_empty() {
        return None;
    }
    let product = |f: usize| -> usize { labels.iter().map(|&l| base_size(l) * f).product() };
    let factor = (1..=GEMM_WORK)
        .find(|&f| product(f) >= GEMM_WORK)
        .expect("every label is at least 2");
    let sizes: BTreeMap<char, usize> = labels.iter().map(|&l| (l, base_size(l) * factor)).collect();
    let biggest_operand = parsed
        .inputs
        .iter()
        .map(|ls| ls.iter().map(|l| sizes[l]).product::<usize>())
        .max()
        .unwrap_or(1);
    (product(factor) <= 30_000 && biggest_operand <= 20_000).then_some(sizes)
}

pub type Sizing = fn(&str) -> Option<BTreeMap<char, usize>>;

pub fn shapes_for(subscripts: &str, sizing: Sizing) -> Option<Vec<Vec<usize>>> {
    let sizes = sizing(subscripts)?;
    Some(
        common::parse(subscripts)
            .inputs
            .iter()
            .map(|ls| ls.iter().map(|l| sizes[l]).collect())
            .collect(),
    )
}

pub fn seed_of(subscripts: &str) -> u64 {
    subscripts
        .bytes()
        .fold(17u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
}

pub fn operands_for<T: Elem>(subscripts: &str, shapes: &[Vec<usize>]) -> Vec<ArrayD<T>> {
    let mut rng = Lcg::new(seed_of(subscripts));
    shapes.iter().map(|s| random_dyn(s, &mut rng)).collect()
}

/// Runs both variants of `case` on `views` against `want`.
pub fn check_case<T: Elem>(
    case: &Case<T>,
    views: &[ArrayViewD<'_, T>],
    want: &ArrayD<T>,
    what: &str,
) {
    if let Some(fixed) = case.fixed {
        let what_fixed = format!("{:?} fixed, {what}", case.subscripts);
        check_materialized(&what_fixed, fixed(views), want);
    }
    let what_dynamic = format!("{:?} dynamic, {what}", case.subscripts);
    check_materialized(&what_dynamic, (case.dynamic)(views), want);
}

/// Every row sized by `sizing`, with every operand in each layout, then with
/// the layouts mixed across the operands. Returns the number of rows run.
pub fn check_table<T: Elem>(cases: Vec<Case<T>>, sizing: Sizing, layouts: &[Layout]) -> usize {
    let mut count = 0;
    for case in cases {
        let Some(shapes) = shapes_for(case.subscripts, sizing) else {
            continue;
        };
        let operands = operands_for::<T>(case.subscripts, &shapes);
        let want = reference(case.subscripts, &operands);
        for &layout in layouts {
            let laid: Vec<Laid<T, IxDyn>> = operands.iter().map(|a| lay(a, layout)).collect();
            laid.iter().for_each(Laid::check_layout);
            let views: Vec<ArrayViewD<T>> = laid.iter().map(Laid::view).collect();
            check_case(&case, &views, &want, &format!("{layout:?}"));
        }
        for shift in 0..layouts.len().min(2) {
            let laid: Vec<Laid<T, IxDyn>> = operands
                .iter()
                .enumerate()
                .map(|(k, a)| lay(a, layouts[(k + shift) % layouts.len()]))
                .collect();
            let views: Vec<ArrayViewD<T>> = laid.iter().map(Laid::view).collect();
            check_case(&case, &views, &want, &format!("mixed layouts {shift}"));
        }
        count += 1;
    }
    count
}
