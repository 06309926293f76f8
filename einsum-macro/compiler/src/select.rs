//! The run-time choice among candidate plans ([`crate::candidates`]): once
//! every size is bound, the generated code evaluates each candidate's cost
//! polynomial at the sizes (as `f64`, so nothing overflows; no allocation,
//! no search) and runs the cheapest, skipping candidates whose largest
//! intermediate exceeds `max_intermediate` when another fits. The rule is
//! [`Candidates::choose`]'s, which tests run on plain data.
//!
//! Terms every candidate's cost has in common (the same step in every
//! candidate) do not change which is cheapest and are left out.

use crate::candidates::Candidates;
use crate::codegen::size_ident;
use crate::cost::LabelPoly;
use crate::ir::Label;
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

/// The variable holding the index of the chosen candidate.
pub fn candidate_ident() -> Ident {
    Ident::new("__candidate", Span::mixed_site())
}

/// `let __candidate: usize = ..;` choosing among `candidates` (at least
/// two) by their costs at the bound sizes `__sizeL`; with `record`, the
/// choice is also recorded for tests (`__private::record_candidate`).
pub fn choice(candidates: &Candidates, record: bool, rt: &TokenStream) -> TokenStream {
    let count = candidates.candidates.len();
    let mut common = candidates.candidates[0].cost.clone();
    for candidate in &candidates.candidates[1..] {
        common = common.common(&candidate.cost);
    }
    let differences: Vec<LabelPoly> = candidates
        .candidates
        .iter()
        .map(|c| {
            let mut difference = c.cost.clone();
            difference.add_scaled(&common, -1.0);
            difference
        })
        .collect();
    let mut used: Vec<Label> = differences
        .iter()
        .flat_map(|d| d.terms().iter().flat_map(|t| t.labels.iter().copied()))
        .collect();
    let peaks: Option<(TokenStream, Vec<TokenStream>)> = candidates.max_intermediate.map(|bound| {
        used.extend(&candidates.unknown);
        for candidate in &candidates.candidates {
            used.extend(candidate.plan.intermediates.iter().flat_map(|i| &i.labels));
        }
        let n = Ident::new("__n", Span::mixed_site());
        let unknown = candidates.unknown.iter().map(|&l| float_ident(l));
        let power = (0..bound.degree).map(|_| quote!(* #n));
        let coefficient = Literal::f64_suffixed(bound.coefficient);
        let limit = quote!({
            let #n: f64 = 1.0f64 #(.max(#unknown))*;
            #coefficient #(#power)*
        });
        let peaks = candidates
            .candidates
            .iter()
            .map(|candidate| {
                let sizes = candidate.plan.intermediates.iter().map(|i| {
                    let mut labels = i.labels.clone();
                    labels.sort_unstable();
                    labels.dedup();
                    product(1.0, &labels)
                });
                quote!(0.0f64 #(.max(#sizes))*)
            })
            .collect();
        (limit, peaks)
    });
    used.sort_unstable();
    used.dedup();
    let floats = used.iter().map(|&l| {
        let (float, size) = (float_ident(l), size_ident(l));
        quote!(let #float: f64 = #size as f64;)
    });
    let costs = differences.iter().map(|d| {
        let terms = d.terms().iter().map(|t| product(t.coef, &t.labels));
        quote!(0.0f64 #(+ #terms)*)
    });
    let (chosen, best, k) = (
        candidate_ident(),
        Ident::new("__best", Span::mixed_site()),
        Ident::new("__k", Span::mixed_site()),
    );
    let costs_ident = Ident::new("__costs", Span::mixed_site());
    let pick = match peaks {
        None => quote!(
            let mut #best: usize = 0;
            for #k in 1..#count {
                if #costs_ident[#k] < #costs_ident[#best] {
                    #best = #k;
                }
            }
            #best
        ),
        Some((limit, peaks)) => {
            let (limit_ident, fits) = (
                Ident::new("__limit", Span::mixed_site()),
                Ident::new("__fits", Span::mixed_site()),
            );
            quote!(
                let #limit_ident: f64 = #limit;
                let #fits: [bool; #count] = [#(#peaks <= #limit_ident),*];
                let mut #best: usize = #count;
                for #k in 0..#count {
                    if #fits[#k] && (#best == #count || #costs_ident[#k] < #costs_ident[#best]) {
                        #best = #k;
                    }
                }
                if #best == #count { 0 } else { #best }
            )
        }
    };
    let record = record.then(|| quote!(#rt::record_candidate(#chosen);));
    quote!(
        let #chosen: usize = {
            #(#floats)*
            let #costs_ident: [f64; #count] = [#(#costs),*];
            #pick
        };
        #record
    )
}

/// `coef * __fL * __fM ..` for the labels.
fn product(coef: f64, labels: &[Label]) -> TokenStream {
    let coefficient = Literal::f64_suffixed(coef);
    let factors = labels.iter().map(|&l| float_ident(l));
    quote!((#coefficient #(* #factors)*))
}

/// The size of label `l` as an `f64`.
fn float_ident(l: Label) -> Ident {
    format_ident!("__float{}", l.0, span = Span::mixed_site())
}

#[cfg(test)]
mod tests {
    use crate::{expand, OnError, Output};
    use std::str::FromStr;

    fn code(input: &str) -> String {
        let tokens = proc_macro2::TokenStream::from_str(input).expect("tokens");
        expand(tokens, Output::Code(OnError::Panic)).to_string()
    }

    #[test]
    fn one_candidate_emits_no_choice() {
        for input in [
            r#""ij,jk->ik"(a, b)"#,
            r#"#![sizes(i = 1000, j = 10, k = 1000, l = 10)] "ij,jk,kl->il"(a, b, c)"#,
        ] {
            let code = code(input);
            assert!(!code.contains("__candidate"), "{input}: {code}");
            assert!(!code.contains("compile_error"), "{input}: {code}");
        }
    }

    #[test]
    fn several_candidates_share_the_bindings_and_match_on_the_choice() {
        let code = code(r#""ij,jk,kl->il"(a, b, c)"#);
        assert!(code.contains("__candidate"), "{code}");
        assert!(code.contains("match __candidate"), "{code}");
        // Each size is bound once, before the choice (the emitted loops'
        // branches only rebind a size to the length it was found equal to).
        let choice = code.find("let __candidate").expect("a choice");
        for label in 0..4 {
            let binding = format!("let __size{label} =");
            assert_eq!(
                code[..choice].matches(&binding).count(),
                1,
                "{binding}: {code}"
            );
            let rebinding = format!("let __size{label} = if __same{label}");
            let after = code[choice..].matches(&binding).count();
            assert_eq!(
                after,
                code[choice..].matches(&rebinding).count(),
                "{binding}: {code}"
            );
        }
        // Nothing is recorded unless asked.
        assert!(!code.contains("record_candidate"), "{code}");
        let recorded = self::code(r#"#![__record_candidate] "ij,jk,kl->il"(a, b, c)"#);
        assert!(recorded.contains("record_candidate"), "{recorded}");
    }
}
