//! Options, written as inner attributes at the start of either form:
//! `#![sizes(i = 1000, k = 10 * N)]` and `#![max_intermediate(N^2)]`.

use crate::parse::SpanRange;
use quote::ToTokens;
use syn::parse::Parse;
use syn::punctuated::Punctuated;
use syn::{Attribute, BinOp, Expr, Lit, Meta, MetaList, MetaNameValue, Token};

/// A size in elements: `coefficient * N^degree`, where `N` is the symbolic
/// size every label without a hint has.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SizeExpr {
    /// The numeric factor.
    pub coefficient: f64,
    /// The power of `N`.
    pub degree: u32,
}

/// The options of one macro input.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    /// Size hints per label character (they apply to that label in every call).
    pub sizes: Vec<(char, SizeExpr)>,
    /// No intermediate may have more elements than this.
    pub max_intermediate: Option<SizeExpr>,
    /// `#![__record_candidate]`, undocumented, for tests: the generated code
    /// records which candidate plan it ran (`__private::last_candidate`).
    pub record_candidate: bool,
}

const KNOWN: &str = "`sizes(i = 1000, k = 10 * N)` and `max_intermediate(N^2)`";

/// The largest power of `N` a size may have.
const MAX_DEGREE: u32 = 16;

/// Reads the options, collecting every problem into `errors`. `used` holds
/// every label written in the subscripts: a size hint for another label is
/// an error.
pub fn read(attributes: &[Attribute], used: &[char], errors: &mut Vec<syn::Error>) -> Options {
    let mut options = Options::default();
    let mut bounds = 0;
    for attribute in attributes {
        let path = attribute.path();
        let name = path.get_ident().map(|i| i.to_string());
        match (name.as_deref(), &attribute.meta) {
            (Some("sizes"), Meta::List(list)) => read_sizes(list, used, &mut options, errors),
            (Some("max_intermediate"), Meta::List(list)) => {
                bounds += 1;
                if bounds > 1 {
                    errors.push(
                        SpanRange::of(path)
                            .error("einsum: `max_intermediate` is given twice: keep one bound"),
                    );
                }
                if list.tokens.is_empty() {
                    errors.push(SpanRange::of(path).error(
                        "einsum: `max_intermediate` needs a bound: `#![max_intermediate(N^2)]`",
                    ));
                    continue;
                }
                match list.parse_args_with(Expr::parse) {
                    Ok(expr) => {
                        let bound = size(&expr, "the bound `max_intermediate`", errors);
                        if bounds == 1 {
                            options.max_intermediate = bound;
                        }
                    }
                    Err(e) => errors.push(syn::Error::new(
                        e.span(),
                        "einsum: write the bound as `max_intermediate(N^2)` or `max_intermediate(1000000)`",
                    )),
                }
            }
            (Some("__record_candidate"), Meta::Path(_)) => options.record_candidate = true,
            (Some(name @ ("sizes" | "max_intermediate")), _) => {
                let example = if name == "sizes" {
                    "sizes(i = 1000)"
                } else {
                    "max_intermediate(N^2)"
                };
                errors.push(
                    SpanRange::of(&attribute.meta)
                        .error(format!("einsum: `{name}` takes a list: `#![{example}]`")),
                );
            }
            _ => {
                let written = path.to_token_stream().to_string().replace(' ', "");
                errors.push(SpanRange::of(path).error(format!(
                    "einsum: unknown option `{written}`; the options are {KNOWN}"
                )));
            }
        }
    }
    options
}

/// `sizes(i = 1000, k = 10 * N)`.
fn read_sizes(list: &MetaList, used: &[char], options: &mut Options, errors: &mut Vec<syn::Error>) {
    let parser = Punctuated::<MetaNameValue, Token![,]>::parse_terminated;
    let hints = match list.parse_args_with(parser) {
        Ok(hints) => hints,
        Err(e) => {
            errors.push(syn::Error::new(
                e.span(),
                format!("einsum: malformed size hints ({e}); write `sizes(i = 1000, k = 10 * N)`"),
            ));
            return;
        }
    };
    let mut hinted: Vec<char> = Vec::new();
    for hint in hints {
        let written = hint.path.to_token_stream().to_string().replace(' ', "");
        let chars: Vec<char> = written.chars().collect();
        let label = match chars.as_slice() {
            [c] if c.is_ascii_alphabetic() => *c,
            _ => {
                errors.push(SpanRange::of(&hint.path).error(format!(
                    "einsum: `{written}` is not a label: a size hint names one label, `sizes(i = 1000)`"
                )));
                continue;
            }
        };
        let span = SpanRange::of(&hint.path);
        if hinted.contains(&label) {
            errors.push(span.error(format!(
                "einsum: label `{label}` has two size hints: keep one"
            )));
        } else if !used.contains(&label) {
            errors.push(span.error(format!(
                "einsum: size hint for `{label}`, but no subscripts use the label `{label}`"
            )));
        }
        hinted.push(label);
        if let Some(size) = size(&hint.value, &format!("the size hint for `{label}`"), errors) {
            options.sizes.push((label, size));
        }
    }
}

/// A size (see [`size_expr`]) of at least 1, described as `what` in errors.
fn size(expr: &Expr, what: &str, errors: &mut Vec<syn::Error>) -> Option<SizeExpr> {
    let size = size_expr(expr, what, errors)?;
    if !size.coefficient.is_finite() {
        errors.push(SpanRange::of(expr).error(format!("einsum: {what} is too large")));
        return None;
    }
    if size.coefficient <= 0.0 || (size.degree == 0 && size.coefficient < 1.0) {
        errors.push(SpanRange::of(expr).error(format!(
            "einsum: {what} must be at least 1, not `{}`",
            crate::parse::source_text(expr)
        )));
        return None;
    }
    Some(size)
}

/// `1000`, `N`, `10 * N`, `N^2`, `4 * N^2`, `N * N`.
fn size_expr(expr: &Expr, what: &str, errors: &mut Vec<syn::Error>) -> Option<SizeExpr> {
    let bad = |errors: &mut Vec<syn::Error>| {
        errors.push(SpanRange::of(expr).error(format!(
            "einsum: {what} must be a product of positive numbers and `N` (`1000`, `10 * N`, `N^2`)"
        )));
        None
    };
    match expr {
        Expr::Lit(lit) => {
            let digits = match &lit.lit {
                Lit::Int(i) => i.base10_digits(),
                Lit::Float(f) => f.base10_digits(),
                _ => return bad(errors),
            };
            match digits.parse::<f64>() {
                Ok(v) => Some(SizeExpr {
                    coefficient: v,
                    degree: 0,
                }),
                Err(_) => bad(errors),
            }
        }
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => {
            errors.push(SpanRange::of(expr).error(format!(
                "einsum: {what} must be at least 1, not `{}`",
                crate::parse::source_text(expr)
            )));
            None
        }
        Expr::Path(p) if p.path.is_ident("N") => Some(SizeExpr {
            coefficient: 1.0,
            degree: 1,
        }),
        Expr::Paren(p) => size_expr(&p.expr, what, errors),
        Expr::Binary(b) if matches!(b.op, BinOp::Mul(_)) => {
            let l = size_expr(&b.left, what, errors);
            let r = size_expr(&b.right, what, errors);
            let (l, r) = (l?, r?);
            product(l, r, expr, what, errors)
        }
        Expr::Binary(b) if matches!(b.op, BinOp::BitXor(_)) => {
            let Expr::Lit(syn::ExprLit {
                lit: Lit::Int(power),
                ..
            }) = &*b.right
            else {
                return bad(errors);
            };
            match power.base10_parse::<u32>() {
                Ok(p) if p <= MAX_DEGREE => raise(&b.left, p, what, errors),
                _ => {
                    errors.push(SpanRange::of(&b.right).error(format!(
                        "einsum: the exponent in {what} is too large: at most {MAX_DEGREE}"
                    )));
                    None
                }
            }
        }
        _ => bad(errors),
    }
}

/// `l * r`, with the degree kept at most [`MAX_DEGREE`].
fn product(
    l: SizeExpr,
    r: SizeExpr,
    expr: &Expr,
    what: &str,
    errors: &mut Vec<syn::Error>,
) -> Option<SizeExpr> {
    let degree = l.degree + r.degree;
    if degree > MAX_DEGREE {
        errors.push(SpanRange::of(expr).error(format!(
            "einsum: {what} is too large: at most `N^{MAX_DEGREE}`"
        )));
        return None;
    }
    Some(SizeExpr {
        coefficient: l.coefficient * r.coefficient,
        degree,
    })
}

/// `base^power`. Rust binds `^` looser than `*`, so `4 * N^2` arrives as
/// `(4 * N)^2`: the power applies to the last factor only, as written.
fn raise(base: &Expr, power: u32, what: &str, errors: &mut Vec<syn::Error>) -> Option<SizeExpr> {
    if let Expr::Binary(b) = base {
        if matches!(b.op, BinOp::Mul(_)) {
            let left = size_expr(&b.left, what, errors);
            let right = raise(&b.right, power, what, errors);
            return product(left?, right?, base, what, errors);
        }
    }
    let base_size = size_expr(base, what, errors)?;
    let degree = base_size.degree * power;
    if degree > MAX_DEGREE {
        errors.push(SpanRange::of(base).error(format!(
            "einsum: {what} is too large: at most `N^{MAX_DEGREE}`"
        )));
        return None;
    }
    Some(SizeExpr {
        coefficient: base_size.coefficient.powi(power as i32),
        degree,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(src: &str) -> (Options, Vec<String>) {
        let attrs = syn::parse::Parser::parse_str(Attribute::parse_inner, src).unwrap();
        let mut errors = Vec::new();
        let options = read(&attrs, &['i', 'k', 'm'], &mut errors);
        (options, errors.iter().map(|e| e.to_string()).collect())
    }

    #[test]
    fn sizes_and_bound() {
        let (o, e) =
            read_str("#![sizes(i = 1000, k = 10 * N, m = N^2)] #![max_intermediate(4 * N^2)]");
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(
            o.sizes,
            vec![
                (
                    'i',
                    SizeExpr {
                        coefficient: 1000.0,
                        degree: 0
                    }
                ),
                (
                    'k',
                    SizeExpr {
                        coefficient: 10.0,
                        degree: 1
                    }
                ),
                (
                    'm',
                    SizeExpr {
                        coefficient: 1.0,
                        degree: 2
                    }
                ),
            ]
        );
        assert_eq!(
            o.max_intermediate,
            Some(SizeExpr {
                coefficient: 4.0,
                degree: 2
            })
        );
    }

    #[test]
    fn every_bad_option_is_reported() {
        let (_, e) = read_str("#![speed(fast)] #![sizes(ij = 3, k = -1)]");
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e[0].contains("unknown option `speed`"), "{e:?}");
        assert!(e[2].contains("`k` must be at least 1"), "{e:?}");
        let (_, e) = read_str(
            "#![sizes(i = 3, i = 4, q = 2, m = 0.5, k = N^17)] #![max_intermediate(N)] #![max_intermediate(N)]",
        );
        assert_eq!(e.len(), 5, "{e:?}");
        assert!(e[0].contains("label `i` has two size hints"), "{e:?}");
        assert!(e[1].contains("no subscripts use the label `q`"), "{e:?}");
        assert!(e[2].contains("`m` must be at least 1"), "{e:?}");
        assert!(
            e[3].contains("exponent in the size hint for `k` is too large"),
            "{e:?}"
        );
        assert!(e[4].contains("given twice"), "{e:?}");
        let (o, e) = read_str("#![sizes(i = 0.5 * N)]");
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(o.sizes[0].1.degree, 1);
    }
}
