//! Candidate plans chosen at run time (issue 12): results against the naive
//! reference for sizes that make different candidates the cheapest, which
//! candidate ran (the hidden `#![__record_candidate]` hook), and what
//! `einsum_plan!` says about the candidates.

mod common;

use common::{assert_close, random, random_dyn, reference, Lcg};
use lazy_einsum::__private::last_candidate;
use lazy_einsum::{einsum, einsum_plan};
use ndarray::{Array2, ArrayD};

fn dyn2(x: &Array2<f64>) -> ArrayD<f64> {
    x.clone().into_dyn()
}

/// The first step `einsum_plan!` lists for candidate `index` (0-based, as
/// recorded; the printout numbers candidates from 1 and lists the first
/// one's steps in the plan above the candidate list).
fn first_step(plan: &str, index: usize) -> &str {
    if index == 0 {
        return plan
            .lines()
            .find(|l| l.trim_start().starts_with("step 1:"))
            .expect("a step");
    }
    let mut lines = plan.lines();
    lines
        .find(|l| l.starts_with(&format!("candidate {}", index + 1)))
        .expect("the candidate is listed");
    lines.next().expect("its first step")
}

#[test]
fn a_skewed_chain_runs_the_order_its_sizes_favour() {
    let plan = einsum_plan!("ij,jk,kl->il", a, b, c);
    assert!(plan.contains("candidate plans: 2"), "{plan}");
    let mut rng = Lcg::new(12);
    let mut chosen = Vec::new();
    for (i, j, k, l) in [(100, 3, 100, 3), (3, 100, 3, 100)] {
        let (a, b, c): (Array2<f64>, Array2<f64>, Array2<f64>) = (
            random((i, j), &mut rng),
            random((j, k), &mut rng),
            random((k, l), &mut rng),
        );
        let got = einsum!(#![__record_candidate] "ij,jk,kl->il", a, b, c);
        let index = last_candidate().expect("a choice among candidates");
        let want = reference("ij,jk,kl->il", &[dyn2(&a), dyn2(&b), dyn2(&c)]);
        assert_close("chain", &got.into_dyn(), &want);
        // The cheaper order by hand: b c first when j, l are small.
        let step = first_step(plan, index);
        let expected = if j < i { "b, c" } else { "a, b" };
        assert!(step.contains(expected), "{i} {j} {k} {l}: {step}\n{plan}");
        chosen.push(index);
    }
    assert_ne!(chosen[0], chosen[1]);
}

#[test]
fn one_candidate_emits_no_choice() {
    let plan = einsum_plan!("ij,jk->ik", a, b);
    assert!(!plan.contains("candidate plans"), "{plan}");
    let hinted = einsum_plan!(#![sizes(i = 100, j = 3, k = 100, l = 3)] "ij,jk,kl->il", a, b, c);
    assert!(!hinted.contains("candidate plans"), "{hinted}");
    assert!(hinted.contains("step 1: jk,kl->jl"), "{hinted}");
    let mut rng = Lcg::new(3);
    let (a, b): (Array2<f64>, Array2<f64>) = (random((3, 3), &mut rng), random((3, 3), &mut rng));
    let _ = last_candidate();
    let got = einsum!(#![__record_candidate] "ij,jk->ik", a, b);
    assert_eq!(
        last_candidate(),
        None,
        "nothing to choose, nothing recorded"
    );
    assert_eq!(got, a.dot(&b));
}

#[test]
fn targets_sums_and_scalars_under_every_candidate() {
    let mut rng = Lcg::new(5);
    for (i, j, k) in [(40, 2, 40), (2, 40, 2), (9, 9, 9)] {
        let (a, b, c): (Array2<f64>, Array2<f64>, Array2<f64>) = (
            random((i, j), &mut rng),
            random((j, k), &mut rng),
            random((k, i), &mut rng),
        );
        let (da, db, dc) = (dyn2(&a), dyn2(&b), dyn2(&c));
        let want = reference("ij,jk,kl->il", &[da.clone(), db.clone(), dc.clone()]);
        // Into a target, then added to it.
        let mut out = Array2::<f64>::zeros((i, i));
        einsum! { #![__record_candidate] out = "ij,jk,kl->il"(a, b, c) };
        assert!(last_candidate().is_some());
        assert_close("target", &out.clone().into_dyn(), &want);
        einsum! { out += "ij,jk,kl->il"(a, b, c) };
        assert_close("+=", &out.into_dyn(), &(&want * 2.0));
        // A scalar result (a trace of the chain).
        let trace: f64 = einsum!(#![__record_candidate] "ij,jk,ki->", a, b, c);
        assert!(last_candidate().is_some());
        let want_trace = reference("ij,jk,ki->", &[da.clone(), db.clone(), dc.clone()]);
        assert!((trace - want_trace.sum()).abs() <= 1e-9 * want_trace.sum().abs().max(1.0));
        // A sum of two chains sharing operands.
        let got = einsum!("ij,jk,kl->il"(a, b, c) - 2.0 * "ij,jk,kl->il"(a, b, c));
        assert_close("sum", &got.into_dyn(), &(&want * -1.0));
    }
}

/// Pairs of `einsum-macro/compiler/tests/data/plan_quality.txt`, end to end.
#[test]
fn plan_quality_pairs_end_to_end() {
    let mut rng = Lcg::new(12);
    let mut shapes = |dims: &[&[usize]]| -> Vec<ArrayD<f64>> {
        dims.iter().map(|d| random_dyn(d, &mut rng)).collect()
    };
    // d,dbac,bc->ac at a=36 b=14 c=4 d=15
    let x = shapes(&[&[15], &[15, 14, 36, 4], &[14, 4]]);
    let got = einsum!("d,dbac,bc->ac", x[0], x[1], x[2]);
    assert_close(
        "d,dbac,bc->ac",
        &got.into_dyn(),
        &reference("d,dbac,bc->ac", &x),
    );
    // e,fage,gbc,adc,dg->fb at a=48 b=2 c=2 d=12 e=5 f=6 g=2
    let x = shapes(&[&[5], &[6, 48, 2, 5], &[2, 2, 2], &[48, 12, 2], &[12, 2]]);
    let got = einsum!("e,fage,gbc,adc,dg->fb", x[0], x[1], x[2], x[3], x[4]);
    let want = reference("e,fage,gbc,adc,dg->fb", &x);
    assert_close("e,fage,gbc,adc,dg->fb", &got.into_dyn(), &want);
    // efcb,cbad,dcf,fe->ea at a=30 b=3 c=4 d=37 e=3 f=5 and at
    // a=64 b=4 c=2 d=2 e=4 f=55
    for [a, b, c, d, e, f] in [[30, 3, 4, 37, 3, 5], [64, 4, 2, 2, 4, 55]] {
        let x = shapes(&[&[e, f, c, b], &[c, b, a, d], &[d, c, f], &[f, e]]);
        let got = einsum!("efcb,cbad,dcf,fe->ea", x[0], x[1], x[2], x[3]);
        let want = reference("efcb,cbad,dcf,fe->ea", &x);
        assert_close("efcb,cbad,dcf,fe->ea", &got.into_dyn(), &want);
    }
    // e,ibe,jme,bae,b,ijb->iam at a=9 b=2 e=3 i=5 j=36 m=57
    let (a, b, e, i, j, m) = (9, 2, 3, 5, 36, 57);
    let x = shapes(&[&[e], &[i, b, e], &[j, m, e], &[b, a, e], &[b], &[i, j, b]]);
    let got = einsum!(
        "e,ibe,jme,bae,b,ijb->iam",
        x[0],
        x[1],
        x[2],
        x[3],
        x[4],
        x[5]
    );
    let want = reference("e,ibe,jme,bae,b,ijb->iam", &x);
    assert_close("e,ibe,jme,bae,b,ijb->iam", &got.into_dyn(), &want);
}
