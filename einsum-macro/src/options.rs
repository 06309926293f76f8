//! Options, written as inner attributes at the start of either form:
//! `#![sizes(i = 1000, k = 10 * N)]` and `#![max_intermediate(N^2)]`.

use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, BinOp, Expr, Lit, Token};

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
}

const KNOWN: &str = "`sizes(i = 1000, k = 10 * N)` and `max_intermediate(N^2)`";

/// Reads the options, collecting every problem into `errors`.
pub fn read(attributes: &[Attribute], errors: &mut Vec<syn::Error>) -> Options {
    let mut options = Options::default();
    for attribute in attributes {
        let name = attribute.path().get_ident().map(|i| i.to_string());
        let list = match &attribute.meta {
            syn::Meta::List(list) => Some(list),
            _ => None,
        };
        match (name.as_deref(), list) {
            (Some("sizes"), Some(list)) => {
                let parser = Punctuated::<syn::MetaNameValue, Token![,]>::parse_terminated;
                match parser.parse2(list.tokens.clone()) {
                    Ok(hints) => {
                        for hint in hints {
                            let label = hint.path.get_ident().map(|i| i.to_string());
                            match label.as_deref().map(|l| l.chars().collect::<Vec<_>>()) {
                                Some(chars) if chars.len() == 1 && chars[0].is_ascii_alphabetic() => {
                                    if let Some(size) = size_expr(&hint.value, errors) {
                                        options.sizes.push((chars[0], size));
                                    }
                                }
                                _ => errors.push(syn::Error::new(
                                    hint.path.span(),
                                    "einsum: a size hint names one label: `sizes(i = 1000)`",
                                )),
                            }
                        }
                    }
                    Err(e) => errors.push(syn::Error::new(
                        e.span(),
                        format!("einsum: malformed size hints ({e}); write `sizes(i = 1000, k = 10 * N)`"),
                    )),
                }
            }
            (Some("max_intermediate"), Some(list)) => match syn::parse2::<Expr>(list.tokens.clone()) {
                Ok(expr) => options.max_intermediate = size_expr(&expr, errors),
                Err(e) => errors.push(syn::Error::new(
                    e.span(),
                    "einsum: write the bound as `max_intermediate(N^2)` or `max_intermediate(1000000)`",
                )),
            },
            _ => errors.push(syn::Error::new(
                attribute.span(),
                format!("einsum: unknown option; the options are {KNOWN}"),
            )),
        }
    }
    options
}

/// `1000`, `N`, `10 * N`, `N^2`, `4 * N^2`, `N * N`.
fn size_expr(expr: &Expr, errors: &mut Vec<syn::Error>) -> Option<SizeExpr> {
    let bad = |errors: &mut Vec<syn::Error>| {
        errors.push(syn::Error::new(
            expr.span(),
            "einsum: a size is a product of positive numbers and `N` (`1000`, `10 * N`, `N^2`)",
        ));
        None
    };
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Int(i) => match i.base10_parse::<u64>() {
                Ok(v) if v > 0 => Some(SizeExpr {
                    coefficient: v as f64,
                    degree: 0,
                }),
                _ => bad(errors),
            },
            Lit::Float(f) => match f.base10_parse::<f64>() {
                Ok(v) if v > 0.0 => Some(SizeExpr {
                    coefficient: v,
                    degree: 0,
                }),
                _ => bad(errors),
            },
            _ => bad(errors),
        },
        Expr::Path(p) if p.path.is_ident("N") => Some(SizeExpr {
            coefficient: 1.0,
            degree: 1,
        }),
        Expr::Paren(p) => size_expr(&p.expr, errors),
        Expr::Binary(b) if matches!(b.op, BinOp::Mul(_)) => {
            let l = size_expr(&b.left, errors)?;
            let r = size_expr(&b.right, errors)?;
            Some(SizeExpr {
                coefficient: l.coefficient * r.coefficient,
                degree: l.degree + r.degree,
            })
        }
        Expr::Binary(b) if matches!(b.op, BinOp::BitXor(_)) => {
            let power = match &*b.right {
                Expr::Lit(syn::ExprLit {
                    lit: Lit::Int(i), ..
                }) => i.base10_parse::<u32>().ok(),
                _ => None,
            };
            match power {
                Some(p) if p <= 16 => raise(&b.left, p, errors),
                _ => bad(errors),
            }
        }
        _ => bad(errors),
    }
}

/// `base^power`. Rust binds `^` looser than `*`, so `4 * N^2` arrives as
/// `(4 * N)^2`: the power applies to the last factor only, as written.
fn raise(base: &Expr, power: u32, errors: &mut Vec<syn::Error>) -> Option<SizeExpr> {
    if let Expr::Binary(b) = base {
        if matches!(b.op, BinOp::Mul(_)) {
            let left = size_expr(&b.left, errors)?;
            let right = raise(&b.right, power, errors)?;
            return Some(SizeExpr {
                coefficient: left.coefficient * right.coefficient,
                degree: left.degree + right.degree,
            });
        }
    }
    let base = size_expr(base, errors)?;
    Some(SizeExpr {
        coefficient: base.coefficient.powi(power as i32),
        degree: base.degree * power,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(src: &str) -> (Options, Vec<String>) {
        let attrs = syn::parse::Parser::parse_str(Attribute::parse_inner, src).unwrap();
        let mut errors = Vec::new();
        let options = read(&attrs, &mut errors);
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
        assert!(e[0].contains("unknown option"));
    }
}
