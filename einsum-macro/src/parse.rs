//! Syntax: the macro input as a syn tree, interpreted as lazy expressions.
//!
//! Both forms are parsed into one [`MacroInput`]: the numpy form
//! `"ij,jk->ik", a, b` becomes the call `"ij,jk->ik"(a, b)`. The call form is
//! a syntactic subset of Rust (a block's statements), so syn parses it as it
//! is and this module only reads the tree.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{BinOp, Expr, Ident, Lit, LitStr, Stmt, Token, UnOp};

/// Everything one macro invocation says.
pub struct MacroInput {
    /// `#![name(...)]` options, checked by the validation stage.
    pub options: Vec<syn::Attribute>,
    /// `let NAME = EXPR;` statements, in order.
    pub bindings: Vec<Binding>,
    /// `out = EXPR`, `out += EXPR` or `out -= EXPR`.
    pub target: Option<Target>,
    /// The expression whose value the macro computes.
    pub body: Lazy,
    /// Rust values (operands and coefficients) in source order: the
    /// generated code evaluates each once, in this order.
    pub values: Vec<Expr>,
    /// Problems found while reading the syntax.
    pub errors: Vec<syn::Error>,
}

/// `let NAME = EXPR;`
pub struct Binding {
    /// The name.
    pub name: Ident,
    /// Its lazy value.
    pub value: Lazy,
}

/// Where the result goes when the input is an assignment.
pub struct Target {
    /// The place expression (`out`, `c.view_mut()`, ...).
    pub place: Expr,
    /// `=`, `+=` or `-=`.
    pub kind: TargetKind,
}

/// How a target receives the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// `out = EXPR`
    Assign,
    /// `out += EXPR`
    Add,
    /// `out -= EXPR`
    Subtract,
}

/// A lazy expression: evaluated only as part of the whole macro input.
pub enum Lazy {
    /// `"subscripts"(args...)`
    Call(Call),
    /// A linear combination `c1 * x1 + c2 * x2 - ...` (also a lone `-x` or `2.0 * x`).
    Combination(Vec<Term>),
    /// A use of a `let` binding of the macro input.
    Binding(Ident),
    /// A Rust value used as an operand: index into [`MacroInput::values`].
    Operand(usize),
}

/// `"subscripts"(args...)`
pub struct Call {
    /// The subscripts literal.
    pub subscripts: LitStr,
    /// The arguments.
    pub args: Vec<Lazy>,
    /// Source text of each argument, for runtime messages.
    pub arg_texts: Vec<String>,
    /// The whole call, for errors about it.
    pub span: Span,
}

/// One term of a linear combination: `sign * coefficients... * value`.
pub struct Term {
    /// Whether the term is subtracted.
    pub negative: bool,
    /// Scalar factors written before the value, as indices into [`MacroInput::values`].
    pub coefficients: Vec<usize>,
    /// The value.
    pub value: Lazy,
}

impl Parse for MacroInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let options = input.call(syn::Attribute::parse_inner)?;
        let mut reader = Reader::default();
        let (bindings, target, body) = if input.peek(LitStr) && !input.peek2(syn::token::Paren) {
            let subscripts: LitStr = input.parse()?;
            let args: Punctuated<Expr, Token![,]> = if input.is_empty() {
                Punctuated::new()
            } else {
                input.parse::<Token![,]>()?;
                Punctuated::parse_terminated(input)?
            };
            let span = subscripts.span();
            let call = reader.call(subscripts, args.iter(), span, &[]);
            (Vec::new(), None, call)
        } else {
            let statements = syn::Block::parse_within(input)?;
            reader.statements(statements, input.span())
        };
        Ok(MacroInput {
            options,
            bindings,
            target,
            body,
            values: reader.values,
            errors: reader.errors,
        })
    }
}

/// Interprets syn expressions as lazy expressions, numbering Rust values.
#[derive(Default)]
struct Reader {
    values: Vec<Expr>,
    errors: Vec<syn::Error>,
}

impl Reader {
    fn statements(
        &mut self,
        statements: Vec<Stmt>,
        end: Span,
    ) -> (Vec<Binding>, Option<Target>, Lazy) {
        let mut bindings: Vec<Binding> = Vec::new();
        let mut result = None;
        let count = statements.len();
        for (k, statement) in statements.into_iter().enumerate() {
            let names: Vec<Ident> = bindings.iter().map(|b| b.name.clone()).collect();
            match statement {
                Stmt::Local(local) => {
                    match (&local.pat, local.init) {
                        (syn::Pat::Ident(pat), Some(init))
                            if pat.by_ref.is_none()
                                && pat.mutability.is_none()
                                && pat.subpat.is_none()
                                && init.diverge.is_none() =>
                        {
                            if names.contains(&pat.ident) {
                                self.errors.push(syn::Error::new(
                                    pat.ident.span(),
                                    format!(
                                        "einsum: `{}` is bound twice; give each binding its own name",
                                        pat.ident
                                    ),
                                ));
                            }
                            let value = self.lazy(&init.expr, &names);
                            bindings.push(Binding {
                                name: pat.ident.clone(),
                                value,
                            });
                        }
                        _ => self.errors.push(syn::Error::new(
                            local.let_token.span,
                            "einsum: a binding is `let NAME = EXPR;`",
                        )),
                    }
                }
                Stmt::Expr(expr, None) if k + 1 == count => {
                    result = Some(self.result(&expr, &names));
                }
                other => self.errors.push(syn::Error::new(
                    other.span(),
                    if k + 1 == count {
                        "einsum: the input must end with the expression to compute (no `;` after it)"
                    } else {
                        "einsum: only `let NAME = EXPR;` bindings may come before the final expression"
                    },
                )),
            }
        }
        let (target, body) = result.unwrap_or_else(|| {
            if self.errors.is_empty() {
                self.errors.push(syn::Error::new(
                    end,
                    "einsum: nothing to compute: expected `\"subscripts\", operands...` or a call like `\"ij,jk->ik\"(a, b)`",
                ));
            }
            (None, Lazy::Combination(Vec::new()))
        });
        (bindings, target, body)
    }

    fn result(&mut self, expr: &Expr, names: &[Ident]) -> (Option<Target>, Lazy) {
        let (place, kind, value) = match expr {
            Expr::Assign(assign) => (&*assign.left, TargetKind::Assign, &*assign.right),
            Expr::Binary(b) if matches!(b.op, BinOp::AddAssign(_)) => {
                (&*b.left, TargetKind::Add, &*b.right)
            }
            Expr::Binary(b) if matches!(b.op, BinOp::SubAssign(_)) => {
                (&*b.left, TargetKind::Subtract, &*b.right)
            }
            Expr::Binary(b) if is_compound_assignment(&b.op) => {
                self.errors.push(syn::Error::new(
                    b.op.span(),
                    "einsum: an output target takes `=`, `+=` or `-=`",
                ));
                return (None, self.lazy(&b.right, names));
            }
            _ => return (None, self.lazy(expr, names)),
        };
        let target = Target {
            place: place.clone(),
            kind,
        };
        (Some(target), self.lazy(value, names))
    }

    fn lazy(&mut self, expr: &Expr, names: &[Ident]) -> Lazy {
        match expr {
            Expr::Paren(p) => self.lazy(&p.expr, names),
            Expr::Group(g) => self.lazy(&g.expr, names),
            Expr::Call(call) => match subscripts_literal(&call.func) {
                Some(subscripts) => self.call(subscripts, call.args.iter(), call.span(), names),
                None => Lazy::Operand(self.value(expr)),
            },
            Expr::Path(path) if path.qself.is_none() => match path.path.get_ident() {
                Some(ident) if names.contains(ident) => Lazy::Binding(ident.clone()),
                _ => Lazy::Operand(self.value(expr)),
            },
            Expr::Binary(b) if matches!(b.op, BinOp::Add(_) | BinOp::Sub(_)) => {
                let mut terms = self.terms(&b.left, names);
                let mut right = self.terms(&b.right, names);
                if matches!(b.op, BinOp::Sub(_)) {
                    right.iter_mut().for_each(|t| t.negative = !t.negative);
                }
                terms.append(&mut right);
                Lazy::Combination(terms)
            }
            Expr::Binary(b) if matches!(b.op, BinOp::Mul(_)) => {
                Lazy::Combination(self.terms(expr, names))
            }
            Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => {
                Lazy::Combination(self.terms(expr, names))
            }
            _ => Lazy::Operand(self.value(expr)),
        }
    }

    /// The terms of a linear combination: `a + b - 2.0 * c` gives three.
    fn terms(&mut self, expr: &Expr, names: &[Ident]) -> Vec<Term> {
        match expr {
            Expr::Paren(p) => self.terms(&p.expr, names),
            Expr::Group(g) => self.terms(&g.expr, names),
            Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => {
                let mut terms = self.terms(&u.expr, names);
                terms.iter_mut().for_each(|t| t.negative = !t.negative);
                terms
            }
            Expr::Binary(b) if matches!(b.op, BinOp::Mul(_)) => {
                // `coefficient * value`: the coefficient is a Rust scalar expression.
                let coefficient = self.value(&b.left);
                let mut terms = self.terms(&b.right, names);
                terms
                    .iter_mut()
                    .for_each(|t| t.coefficients.insert(0, coefficient));
                terms
            }
            _ => match self.lazy(expr, names) {
                Lazy::Combination(terms) => terms,
                value => vec![Term {
                    negative: false,
                    coefficients: Vec::new(),
                    value,
                }],
            },
        }
    }

    fn call<'a>(
        &mut self,
        subscripts: LitStr,
        args: impl Iterator<Item = &'a Expr>,
        span: Span,
        names: &[Ident],
    ) -> Lazy {
        let mut lazy_args = Vec::new();
        let mut arg_texts = Vec::new();
        for arg in args {
            arg_texts.push(source_text(arg));
            lazy_args.push(self.lazy(arg, names));
        }
        Lazy::Call(Call {
            subscripts,
            args: lazy_args,
            arg_texts,
            span,
        })
    }

    fn value(&mut self, expr: &Expr) -> usize {
        self.values.push(expr.clone());
        self.values.len() - 1
    }
}

fn subscripts_literal(func: &Expr) -> Option<LitStr> {
    match func {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(s), ..
        }) => Some(s.clone()),
        Expr::Paren(p) => subscripts_literal(&p.expr),
        Expr::Group(g) => subscripts_literal(&g.expr),
        _ => None,
    }
}

fn is_compound_assignment(op: &BinOp) -> bool {
    matches!(
        op,
        BinOp::MulAssign(_)
            | BinOp::DivAssign(_)
            | BinOp::RemAssign(_)
            | BinOp::BitXorAssign(_)
            | BinOp::BitAndAssign(_)
            | BinOp::BitOrAssign(_)
            | BinOp::ShlAssign(_)
            | BinOp::ShrAssign(_)
    )
}

/// The source text of an expression, as written when the compiler knows it.
pub fn source_text(tokens: &impl ToTokens) -> String {
    let stream: TokenStream = tokens.to_token_stream();
    let spanned = stream.span();
    spanned.source_text().unwrap_or_else(|| stream.to_string())
}
