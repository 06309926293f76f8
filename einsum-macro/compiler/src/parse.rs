//! Syntax: the macro input as a syn tree, interpreted as lazy expressions.
//!
//! Both forms are parsed into one [`MacroInput`]: the numpy form
//! `"ij,jk->ik", a, b` becomes the call `"ij,jk->ik"(a, b)`. The call form is
//! a syntactic subset of Rust (a block's statements), so syn parses it as it
//! is and this module only reads the tree, collecting every problem it finds.

use proc_macro2::{Delimiter, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, BinOp, Expr, Ident, Lit, LitStr, Stmt, Token, UnOp};

use crate::program::TargetKind;

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
    /// Where that expression is written.
    pub body_span: SpanRange,
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
    /// The source text of the value assigned, for messages.
    pub value_text: String,
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
    /// Where each argument is written, for errors about it.
    pub arg_spans: Vec<SpanRange>,
    /// The whole call, for errors about it.
    pub span: SpanRange,
}

/// One term of a linear combination: `sign * coefficients... * value`.
pub struct Term {
    /// Whether the term is subtracted.
    pub negative: bool,
    /// Scalar factors, as indices into [`MacroInput::values`].
    pub coefficients: Vec<usize>,
    /// The value.
    pub value: Lazy,
    /// The term as written (sign and coefficients included).
    pub span: SpanRange,
}

/// The first and last token of a piece of syntax: an error made from it
/// underlines everything in between (a single `Span` cannot, on stable Rust).
#[derive(Debug, Clone, Copy)]
pub struct SpanRange {
    /// The first token's span.
    pub first: Span,
    /// The last token's span.
    pub last: Span,
}

impl SpanRange {
    /// The range of `tokens` (the macro's call site if there are none).
    pub fn of(tokens: &impl ToTokens) -> Self {
        let mut iter = tokens.to_token_stream().into_iter();
        let first = iter.next().map_or_else(Span::call_site, |t| t.span());
        let last = iter.last().map_or(first, |t| t.span());
        SpanRange { first, last }
    }

    /// A range of one token.
    pub fn single(span: Span) -> Self {
        SpanRange {
            first: span,
            last: span,
        }
    }

    /// From the start of `self` to the end of `other`.
    pub fn to(self, other: SpanRange) -> Self {
        SpanRange {
            first: self.first,
            last: other.last,
        }
    }

    /// An error underlining the whole range.
    pub fn error(self, message: impl std::fmt::Display) -> syn::Error {
        syn::Error::new_spanned(self, message)
    }
}

impl ToTokens for SpanRange {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        for span in [self.first, self.last] {
            let mut punct = Punct::new('#', Spacing::Alone);
            punct.set_span(span);
            tokens.extend([TokenTree::Punct(punct)]);
        }
    }
}

impl Parse for MacroInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let tokens: TokenStream = input.parse()?;
        let mut misplaced = Vec::new();
        let tokens = strip_misplaced_options(tokens, true, &mut misplaced);
        let parser = |input: ParseStream| parse_input(input, misplaced.clone());
        syn::parse::Parser::parse2(parser, tokens).map_err(|e| {
            // Syntax errors syn reports get the same prefix as the macro's own.
            let mut all = syn::Error::new(e.span(), format!("einsum: {e}"));
            for error in misplaced {
                all.combine(error);
            }
            all
        })
    }
}

/// Removes every `#![...]` that does not stand at the start of the input
/// (`top`), also inside parentheses and brackets, with an error for each
/// (syn's own would only say "expected square brackets"). Braces are left
/// alone: a block in an operand may have inner attributes.
fn strip_misplaced_options(
    tokens: TokenStream,
    top: bool,
    errors: &mut Vec<syn::Error>,
) -> TokenStream {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let option_at = |k: usize| match (tokens.get(k), tokens.get(k + 1), tokens.get(k + 2)) {
        (
            Some(TokenTree::Punct(pound)),
            Some(TokenTree::Punct(bang)),
            Some(TokenTree::Group(g)),
        ) => pound.as_char() == '#' && bang.as_char() == '!' && g.delimiter() == Delimiter::Bracket,
        _ => false,
    };
    let mut kept = TokenStream::new();
    let mut leading = top;
    let mut k = 0;
    while k < tokens.len() {
        if option_at(k) {
            if !leading {
                let option = TokenStream::from_iter(tokens[k..k + 3].iter().cloned());
                let name = match &tokens[k + 2] {
                    TokenTree::Group(g) => g.stream().into_iter().next().map(|t| t.to_string()),
                    _ => None,
                };
                errors.push(SpanRange::of(&option).error(format!(
                    "einsum: options go at the start of the input: move `#![{}(...)]` before everything else",
                    name.unwrap_or_default()
                )));
                k += 3;
                continue;
            }
            kept.extend(tokens[k..k + 3].iter().cloned());
            k += 3;
            continue;
        }
        leading = false;
        let token = match &tokens[k] {
            TokenTree::Group(g)
                if matches!(g.delimiter(), Delimiter::Parenthesis | Delimiter::Bracket) =>
            {
                let before = errors.len();
                let inner = strip_misplaced_options(g.stream(), false, errors);
                if errors.len() == before {
                    TokenTree::Group(g.clone())
                } else {
                    let mut group = proc_macro2::Group::new(g.delimiter(), inner);
                    group.set_span(g.span());
                    TokenTree::Group(group)
                }
            }
            other => other.clone(),
        };
        kept.extend([token]);
        k += 1;
    }
    kept
}

fn parse_input(input: ParseStream, errors: Vec<syn::Error>) -> syn::Result<MacroInput> {
    let options = input.call(Attribute::parse_inner)?;
    let mut reader = Reader {
        errors,
        ..Reader::default()
    };
    for attribute in input.call(Attribute::parse_outer)? {
        reader.reject_attribute(&attribute);
    }
    let (bindings, target, body, body_span) = if input.peek(LitStr)
        && !input.peek2(syn::token::Paren)
    {
        let (call, span) = numpy_form(input, &mut reader)?;
        (Vec::new(), None, call, span)
    } else if let Some(first) = numpy_form_without_literal(input) {
        let expressions = Punctuated::<Expr, Token![,]>::parse_terminated(input)?;
        if subscripts_literal_call(&first) {
            let comma = expressions.pairs().next().and_then(|p| p.punct().copied());
            reader.error(
                    &comma,
                    "einsum: unexpected `,` after a call: the call form is one expression like `\"ij,jk->ik\"(a, b)`, the numpy form `\"ij,jk->ik\", a, b`",
                );
        } else {
            reader.error(
                &first,
                "einsum: the subscripts must be a string literal: `einsum!(\"ij,jk->ik\", a, b)`",
            );
        }
        let span = SpanRange::of(&expressions);
        (Vec::new(), None, Lazy::Combination(Vec::new()), span)
    } else {
        let start = input.span();
        let statements = syn::Block::parse_within(input)?;
        let all = match (statements.first(), statements.last()) {
            (Some(first), Some(last)) => SpanRange::of(first).to(SpanRange::of(last)),
            _ => SpanRange::single(start),
        };
        reader.statements(statements, all)
    };
    Ok(MacroInput {
        options,
        bindings,
        target,
        body,
        body_span,
        values: reader.values,
        errors: reader.errors,
    })
}

/// `"ij,jk->ik", a, b`: the call `"ij,jk->ik"(a, b)`, written over all of it.
fn numpy_form(input: ParseStream, reader: &mut Reader) -> syn::Result<(Lazy, SpanRange)> {
    let subscripts: LitStr = input.parse()?;
    let args: Punctuated<Expr, Token![,]> = if input.is_empty() {
        Punctuated::new()
    } else {
        if !input.peek(Token![,]) {
            return Err(input.error("expected `,` after the subscripts: `einsum!(\"ij->ji\", a)`"));
        }
        input.parse::<Token![,]>()?;
        Punctuated::parse_terminated(input)?
    };
    let mut span = SpanRange::of(&subscripts);
    if let Some(last) = args.last() {
        span = span.to(SpanRange::of(last));
    }
    Ok((reader.call(subscripts, args.iter(), span, &[]), span))
}

/// `s, a, b` (or `"ij->ji"(a), b`): the numpy form with something other than
/// a string literal first. Returns that first expression, leaving `input`
/// untouched.
fn numpy_form_without_literal(input: ParseStream) -> Option<Expr> {
    let fork = input.fork();
    let first: Expr = fork.parse().ok()?;
    fork.peek(Token![,]).then_some(first)
}

fn subscripts_literal_call(expr: &Expr) -> bool {
    match expr {
        Expr::Call(call) => subscripts_literal(&call.func).is_some(),
        Expr::Paren(p) => subscripts_literal_call(&p.expr),
        Expr::Group(g) => subscripts_literal_call(&g.expr),
        _ => false,
    }
}

/// Interprets syn expressions as lazy expressions, numbering Rust values.
#[derive(Default)]
struct Reader {
    values: Vec<Expr>,
    errors: Vec<syn::Error>,
}

impl Reader {
    fn error(&mut self, tokens: &impl ToTokens, message: impl std::fmt::Display) {
        self.errors.push(SpanRange::of(tokens).error(message));
    }

    /// The statements of the call form; `all` is where they are written.
    fn statements(
        &mut self,
        statements: Vec<Stmt>,
        all: SpanRange,
    ) -> (Vec<Binding>, Option<Target>, Lazy, SpanRange) {
        let mut bindings: Vec<Binding> = Vec::new();
        let mut result = None;
        let count = statements.len();
        for (k, statement) in statements.into_iter().enumerate() {
            let names: Vec<Ident> = bindings.iter().map(|b| b.name.clone()).collect();
            match statement {
                Stmt::Local(local) => {
                    if let Some(binding) = self.binding(&local, &names) {
                        bindings.push(binding);
                    }
                }
                Stmt::Expr(expr, None) if k + 1 == count => {
                    result = Some(self.result(&expr, &names));
                }
                other => self.error(
                    &other,
                    if k + 1 == count {
                        "einsum: the input must end with the expression to compute (no `;` after it)"
                    } else {
                        "einsum: only `let NAME = EXPR;` bindings may come before the final expression"
                    },
                ),
            }
        }
        let (target, body, body_span) = result.unwrap_or_else(|| {
            if self.errors.is_empty() {
                self.errors.push(all.error(
                    "einsum: nothing to compute: expected `\"subscripts\", operands...` or a call like `\"ij,jk->ik\"(a, b)`",
                ));
            }
            (None, Lazy::Combination(Vec::new()), all)
        });
        (bindings, target, body, body_span)
    }

    /// `let NAME = EXPR;`, reporting every way `local` differs from it.
    fn binding(&mut self, local: &syn::Local, names: &[Ident]) -> Option<Binding> {
        for attribute in &local.attrs {
            self.reject_attribute(attribute);
        }
        let (pat, ty) = match &local.pat {
            syn::Pat::Type(typed) => (&*typed.pat, Some(&typed.ty)),
            pat => (pat, None),
        };
        let ident = match pat {
            syn::Pat::Ident(ident) if ident.by_ref.is_none() && ident.subpat.is_none() => ident,
            _ => {
                self.error(pat, "einsum: a binding is `let NAME = EXPR;`");
                return None;
            }
        };
        let name = &ident.ident;
        if let Some(mutability) = &ident.mutability {
            self.error(mutability, "einsum: bindings are immutable: remove `mut`");
        }
        if let Some(ty) = ty {
            self.error(
                ty,
                format!("einsum: a binding has no type: write `let {name} = EXPR;`"),
            );
        }
        let Some(init) = &local.init else {
            self.error(
                local,
                format!("einsum: `let {name};` needs a value: write `let {name} = EXPR;`"),
            );
            return None;
        };
        if let Some((else_token, _)) = &init.diverge {
            self.error(else_token, "einsum: a binding has no `else`");
        }
        if names.contains(name) {
            self.error(
                name,
                format!("einsum: `{name}` is bound twice; give each binding its own name"),
            );
        }
        let value = self.lazy(&init.expr, names);
        Some(Binding {
            name: name.clone(),
            value,
        })
    }

    fn result(&mut self, expr: &Expr, names: &[Ident]) -> (Option<Target>, Lazy, SpanRange) {
        let (place, kind, value) = match expr {
            Expr::Assign(assign) => (&*assign.left, TargetKind::Assign, &*assign.right),
            Expr::Binary(b) if matches!(b.op, BinOp::AddAssign(_)) => {
                (&*b.left, TargetKind::Add, &*b.right)
            }
            Expr::Binary(b) if matches!(b.op, BinOp::SubAssign(_)) => {
                (&*b.left, TargetKind::Subtract, &*b.right)
            }
            Expr::Binary(b) if is_compound_assignment(&b.op) => {
                self.reject_attributes(expr);
                self.error(&b.op, "einsum: an output target takes `=`, `+=` or `-=`");
                return (None, self.lazy(&b.right, names), SpanRange::of(&b.right));
            }
            _ => return (None, self.lazy(expr, names), SpanRange::of(expr)),
        };
        self.reject_attributes(expr);
        self.reject_attributes(place);
        let target = Target {
            place: place.clone(),
            kind,
            value_text: source_text(value),
        };
        (Some(target), self.lazy(value, names), SpanRange::of(value))
    }

    /// `expr` as a lazy expression.
    fn lazy(&mut self, expr: &Expr, names: &[Ident]) -> Lazy {
        self.reject_attributes(expr);
        self.lazy_inner(expr, names)
    }

    fn lazy_inner(&mut self, expr: &Expr, names: &[Ident]) -> Lazy {
        match expr {
            Expr::Paren(p) => self.lazy(&p.expr, names),
            Expr::Group(g) => self.lazy(&g.expr, names),
            Expr::Call(call) => match subscripts_literal(&call.func) {
                Some(subscripts) => {
                    self.call(subscripts, call.args.iter(), SpanRange::of(call), names)
                }
                None => Lazy::Operand(self.value(expr)),
            },
            Expr::Path(path) if path.qself.is_none() => match path.path.get_ident() {
                Some(ident) if names.contains(ident) => Lazy::Binding(ident.clone()),
                _ => Lazy::Operand(self.value(expr)),
            },
            _ if is_combination(expr, names) => Lazy::Combination(self.terms_inner(expr, names)),
            _ => Lazy::Operand(self.value(expr)),
        }
    }

    /// The terms of a linear combination: `a + b - 2.0 * c` gives three.
    fn terms(&mut self, expr: &Expr, names: &[Ident]) -> Vec<Term> {
        self.reject_attributes(expr);
        self.terms_inner(expr, names)
    }

    fn terms_inner(&mut self, expr: &Expr, names: &[Ident]) -> Vec<Term> {
        let mut terms = match expr {
            Expr::Paren(p) => self.terms(&p.expr, names),
            Expr::Group(g) => self.terms(&g.expr, names),
            Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => {
                let mut terms = self.terms(&u.expr, names);
                terms.iter_mut().for_each(|t| t.negative = !t.negative);
                terms
            }
            Expr::Binary(b) if matches!(b.op, BinOp::Add(_) | BinOp::Sub(_)) => {
                let mut terms = self.terms(&b.left, names);
                let mut right = self.terms(&b.right, names);
                if matches!(b.op, BinOp::Sub(_)) {
                    right.iter_mut().for_each(|t| t.negative = !t.negative);
                }
                terms.append(&mut right);
                return terms;
            }
            Expr::Binary(b) if matches!(b.op, BinOp::Mul(_)) => self.product(b, names),
            Expr::Binary(b) if is_lazy(&b.left, names) || is_lazy(&b.right, names) => {
                self.unsupported_operator(b, names)
            }
            _ => {
                let value = self.lazy_inner(expr, names);
                match value {
                    Lazy::Combination(terms) => terms,
                    value => vec![Term {
                        negative: false,
                        coefficients: Vec::new(),
                        value,
                        span: SpanRange::of(expr),
                    }],
                }
            }
        };
        // A term built from `expr` alone is written as all of `expr`.
        if let [term] = terms.as_mut_slice() {
            term.span = SpanRange::of(expr);
        }
        terms
    }

    /// `left * right`: a scalar coefficient (a Rust expression) times a lazy
    /// value, on either side.
    fn product(&mut self, b: &syn::ExprBinary, names: &[Ident]) -> Vec<Term> {
        let (left_lazy, right_lazy) = (is_lazy(&b.left, names), is_lazy(&b.right, names));
        if left_lazy && right_lazy {
            self.error(
                b,
                "einsum: a product of two einsum expressions is written as a call, e.g. `\"i,i->i\"(x, y)`",
            );
            let mut terms = self.terms(&b.left, names);
            terms.append(&mut self.terms(&b.right, names));
            return terms;
        }
        let coefficient_on_right =
            left_lazy || (!right_lazy && is_number(&b.right) && !is_number(&b.left));
        if coefficient_on_right {
            let mut terms = self.terms(&b.left, names);
            let coefficient = self.coefficient(&b.right);
            terms
                .iter_mut()
                .for_each(|t| t.coefficients.push(coefficient));
            terms
        } else {
            let coefficient = self.coefficient(&b.left);
            let mut terms = self.terms(&b.right, names);
            terms
                .iter_mut()
                .for_each(|t| t.coefficients.insert(0, coefficient));
            terms
        }
    }

    /// `left OP right` with a lazy side and an operator lazy values do not have.
    fn unsupported_operator(&mut self, b: &syn::ExprBinary, names: &[Ident]) -> Vec<Term> {
        let (left_lazy, right_lazy) = (is_lazy(&b.left, names), is_lazy(&b.right, names));
        let op = b.op.to_token_stream().to_string();
        let message = match b.op {
            BinOp::Div(_) if left_lazy && !right_lazy => format!(
                "einsum: divide by multiplying: write `(1.0 / {}) * {}`",
                source_text(&b.right),
                source_text(&b.left)
            ),
            BinOp::Div(_) => "einsum: an einsum expression cannot be a divisor".to_string(),
            _ => format!(
                "einsum: `{op}` does not apply to einsum expressions: they combine with `+`, `-` and scalar `*`"
            ),
        };
        self.error(b, message);
        let mut terms = Vec::new();
        for (side, lazy) in [(&b.left, left_lazy), (&b.right, right_lazy)] {
            if lazy {
                terms.append(&mut self.terms(side, names));
            }
        }
        terms
    }

    fn coefficient(&mut self, expr: &Expr) -> usize {
        self.reject_attributes(expr);
        self.value(expr)
    }

    fn call<'a>(
        &mut self,
        subscripts: LitStr,
        args: impl Iterator<Item = &'a Expr>,
        span: SpanRange,
        names: &[Ident],
    ) -> Lazy {
        let mut lazy_args = Vec::new();
        let mut arg_texts = Vec::new();
        let mut arg_spans = Vec::new();
        let (keywords, args): (Vec<&Expr>, Vec<&Expr>) =
            args.partition(|arg| matches!(arg, Expr::Assign(_)));
        let operands: Vec<String> = args.iter().map(source_text).collect();
        for keyword in keywords {
            let message = keyword_argument(keyword, &subscripts.value(), &operands);
            self.error(keyword, message);
        }
        for arg in args {
            arg_texts.push(source_text(arg));
            arg_spans.push(SpanRange::of(arg));
            lazy_args.push(self.lazy(arg, names));
        }
        Lazy::Call(Call {
            subscripts,
            args: lazy_args,
            arg_texts,
            arg_spans,
            span,
        })
    }

    fn value(&mut self, expr: &Expr) -> usize {
        self.reject_nested_calls(expr.to_token_stream());
        self.values.push(expr.clone());
        self.values.len() - 1
    }

    /// Einsum calls inside a Rust value (`"ij->ji"(a).sum()`) are not lazy
    /// expressions the macro can see: each is an error.
    fn reject_nested_calls(&mut self, tokens: TokenStream) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        for (k, token) in tokens.iter().enumerate() {
            match token {
                TokenTree::Literal(literal) => {
                    let is_string = matches!(Lit::new(literal.clone()), Lit::Str(_));
                    if let (true, Some(TokenTree::Group(args))) = (is_string, tokens.get(k + 1)) {
                        if args.delimiter() == Delimiter::Parenthesis {
                            let span = SpanRange::single(literal.span())
                                .to(SpanRange::single(args.span()));
                            self.errors.push(span.error(
                                "einsum: an einsum call here is not a lazy expression: einsum expressions can only be added, subtracted, multiplied by a scalar or passed to another call",
                            ));
                        }
                    }
                }
                TokenTree::Group(group) => self.reject_nested_calls(group.stream()),
                _ => {}
            }
        }
    }

    /// Attributes on the lazy parts of the input have no meaning: each is an error.
    fn reject_attributes(&mut self, expr: &Expr) {
        for attribute in expression_attributes(expr) {
            self.reject_attribute(attribute);
        }
    }

    fn reject_attribute(&mut self, attribute: &Attribute) {
        let name = attribute
            .path()
            .get_ident()
            .map(|i| i.to_string())
            .unwrap_or_default();
        let message = if matches!(name.as_str(), "sizes" | "max_intermediate") {
            format!("einsum: options are inner attributes: write `#![{name}(...)]` at the start")
        } else {
            format!(
                "einsum: attributes are not allowed inside `einsum!`: remove `{}`",
                source_text(attribute)
            )
        };
        self.error(attribute, message);
    }
}

/// The error for `name = value` among a call's operands: numpy's keyword
/// arguments (`optimize=True`, `out=out`, ...) with what to write instead,
/// any other as not an operand. The call has `subscripts` and `operands`.
fn keyword_argument(assign: &Expr, subscripts: &str, operands: &[String]) -> String {
    let Expr::Assign(assign) = assign else {
        return "einsum: expected an operand".to_string();
    };
    let name = match &*assign.left {
        Expr::Path(path) => path.path.get_ident().map(|i| i.to_string()),
        _ => None,
    };
    let value = source_text(&assign.right);
    let call = format!("{subscripts:?}({})", operands.join(", "));
    match name.as_deref() {
        Some("optimize") => format!(
            "einsum: `optimize={value}` is numpy's; einsum! always optimizes, at compile time: remove it (`#![sizes(i = 1000)]` tells the planner sizes it should plan for)"
        ),
        Some("out") => format!(
            "einsum: `out={value}` is numpy's; write the output target as an assignment: `einsum! {{ {value} = {call} }}` (or `+=`, `-=` to accumulate)"
        ),
        Some("dtype") => {
            let ty = match &*assign.right {
                Expr::Path(path) if path.path.get_ident().is_some() => value.clone(),
                _ => "f64".to_string(),
            };
            format!(
                "einsum: `dtype={value}` is numpy's; the result has the operands' element type: convert the operands first, e.g. `a.mapv(|x| x as {ty})`"
            )
        }
        Some("order") => format!(
            "einsum: `order={value}` is numpy's; the result is a new array in standard (C) order: for another layout, write into an existing array of that layout with `einsum! {{ out = {call} }}`"
        ),
        Some("casting") => format!(
            "einsum: `casting={value}` is numpy's; einsum! never casts: all operands have one element type"
        ),
        Some(name) => format!(
            "einsum: `{name} = {value}` is not an operand: einsum! takes no keyword arguments"
        ),
        None => format!(
            "einsum: `{}` is not an operand: an assignment has no value to contract",
            source_text(assign)
        ),
    }
}

/// Whether `expr` is a lazy expression: it contains an einsum call or a
/// binding outside any Rust value (`"i->i"(a)`, `c`, `(2.0 * c)`, `-x + c`).
fn is_lazy(expr: &Expr, names: &[Ident]) -> bool {
    match expr {
        Expr::Paren(p) => is_lazy(&p.expr, names),
        Expr::Group(g) => is_lazy(&g.expr, names),
        Expr::Call(call) => subscripts_literal(&call.func).is_some(),
        Expr::Path(path) => {
            path.qself.is_none() && path.path.get_ident().is_some_and(|i| names.contains(i))
        }
        Expr::Binary(b) => is_lazy(&b.left, names) || is_lazy(&b.right, names),
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => is_lazy(&u.expr, names),
        _ => false,
    }
}

/// Whether `expr` is read as a linear combination rather than a Rust value.
fn is_combination(expr: &Expr, names: &[Ident]) -> bool {
    match expr {
        Expr::Unary(u) => matches!(u.op, UnOp::Neg(_)),
        Expr::Binary(b) => {
            matches!(b.op, BinOp::Add(_) | BinOp::Sub(_) | BinOp::Mul(_))
                || is_lazy(&b.left, names)
                || is_lazy(&b.right, names)
        }
        _ => false,
    }
}

/// A number literal, possibly negated or parenthesized: certainly a scalar.
pub fn is_number(expr: &Expr) -> bool {
    match expr {
        Expr::Lit(lit) => matches!(lit.lit, Lit::Int(_) | Lit::Float(_)),
        Expr::Paren(p) => is_number(&p.expr),
        Expr::Group(g) => is_number(&g.expr),
        Expr::Unary(u) => matches!(u.op, UnOp::Neg(_)) && is_number(&u.expr),
        _ => false,
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

/// The outer attributes written on `expr` itself.
fn expression_attributes(expr: &Expr) -> &[Attribute] {
    match expr {
        Expr::Array(e) => &e.attrs,
        Expr::Assign(e) => &e.attrs,
        Expr::Async(e) => &e.attrs,
        Expr::Await(e) => &e.attrs,
        Expr::Binary(e) => &e.attrs,
        Expr::Block(e) => &e.attrs,
        Expr::Break(e) => &e.attrs,
        Expr::Call(e) => &e.attrs,
        Expr::Cast(e) => &e.attrs,
        Expr::Closure(e) => &e.attrs,
        Expr::Const(e) => &e.attrs,
        Expr::Continue(e) => &e.attrs,
        Expr::Field(e) => &e.attrs,
        Expr::ForLoop(e) => &e.attrs,
        Expr::Group(e) => &e.attrs,
        Expr::If(e) => &e.attrs,
        Expr::Index(e) => &e.attrs,
        Expr::Infer(e) => &e.attrs,
        Expr::Let(e) => &e.attrs,
        Expr::Lit(e) => &e.attrs,
        Expr::Loop(e) => &e.attrs,
        Expr::Macro(e) => &e.attrs,
        Expr::Match(e) => &e.attrs,
        Expr::MethodCall(e) => &e.attrs,
        Expr::Paren(e) => &e.attrs,
        Expr::Path(e) => &e.attrs,
        Expr::Range(e) => &e.attrs,
        Expr::RawAddr(e) => &e.attrs,
        Expr::Reference(e) => &e.attrs,
        Expr::Repeat(e) => &e.attrs,
        Expr::Return(e) => &e.attrs,
        Expr::Struct(e) => &e.attrs,
        Expr::Try(e) => &e.attrs,
        Expr::TryBlock(e) => &e.attrs,
        Expr::Tuple(e) => &e.attrs,
        Expr::Unary(e) => &e.attrs,
        Expr::Unsafe(e) => &e.attrs,
        Expr::While(e) => &e.attrs,
        Expr::Yield(e) => &e.attrs,
        _ => &[],
    }
}

/// The source text of an expression, as written (up to whitespace).
///
/// On stable Rust a span cannot be joined, so the text is rebuilt from the
/// source text of each token (a delimited group's covers all of it) and the
/// usual spacing between tokens: `a.view()`, `&b.t()`, `2.0 * x`, `-1`.
pub fn source_text(tokens: &impl ToTokens) -> String {
    let mut out = String::new();
    write_tokens(tokens.to_token_stream(), &mut out);
    out
}

fn write_tokens(stream: TokenStream, out: &mut String) {
    let tokens: Vec<TokenTree> = stream.into_iter().collect();
    for (k, token) in tokens.iter().enumerate() {
        let before = k.checked_sub(1).map(|p| &tokens[p]);
        let unary_before = k
            .checked_sub(1)
            .is_some_and(|p| is_unary(&tokens[p], p.checked_sub(1).map(|q| &tokens[q])));
        if let Some(before) = before {
            if !unary_before && spaced(before, token) {
                out.push(' ');
            }
        }
        match token {
            TokenTree::Group(group) if group.delimiter() != Delimiter::None => {
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    _ => ("{", "}"),
                };
                // The group's own text keeps the spacing inside it, when the
                // span really covers the group.
                let text = group
                    .span()
                    .source_text()
                    .filter(|t| t.starts_with(open) && t.ends_with(close) && t.len() >= 2);
                match text {
                    Some(text) => {
                        out.push_str(&text.split_whitespace().collect::<Vec<_>>().join(" "))
                    }
                    None => {
                        out.push_str(open);
                        write_tokens(group.stream(), out);
                        out.push_str(close);
                    }
                }
            }
            TokenTree::Group(group) => write_tokens(group.stream(), out),
            other => out.push_str(&other.to_string()),
        }
    }
}

/// Whether a space separates `before` and `token` (when `before` is not a
/// unary operator).
fn spaced(before: &TokenTree, token: &TokenTree) -> bool {
    let punct = |t: &TokenTree| match t {
        TokenTree::Punct(p) => Some((p.as_char(), p.spacing())),
        _ => None,
    };
    if let Some((c, spacing)) = punct(before) {
        // `::`, `->`, `..`: no space inside; none after `.`, `::` and `'`.
        if spacing == Spacing::Joint || matches!(c, '.' | ':' | '\'' | '#') {
            return false;
        }
    }
    match token {
        TokenTree::Punct(p) => match p.as_char() {
            '.' | ',' | ';' | '?' | ':' => false,
            // `m!(..)`, but `a != b`.
            '!' => !(p.spacing() == Spacing::Alone && matches!(before, TokenTree::Ident(_))),
            _ => true,
        },
        // `f(x)`, `x[0]`, `m!(..)`.
        TokenTree::Group(g)
            if matches!(g.delimiter(), Delimiter::Parenthesis | Delimiter::Bracket) =>
        {
            !(matches!(
                before,
                TokenTree::Ident(_) | TokenTree::Literal(_) | TokenTree::Group(_)
            ) || punct(before).is_some_and(|(c, _)| c == '!'))
        }
        _ => true,
    }
}

/// Whether `token` is a prefix operator (`&`, `-`, `!`, `*`): one at the
/// start or after another operator.
fn is_unary(token: &TokenTree, before: Option<&TokenTree>) -> bool {
    let TokenTree::Punct(p) = token else {
        return false;
    };
    if !matches!(p.as_char(), '&' | '-' | '!' | '*') || p.spacing() == Spacing::Joint {
        return false;
    }
    match before {
        None => true,
        Some(TokenTree::Punct(b)) => !matches!(b.as_char(), '?'),
        Some(TokenTree::Ident(i)) => matches!(i.to_string().as_str(), "return" | "in" | "as"),
        Some(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(src: &str) -> String {
        source_text(&syn::parse_str::<Expr>(src).unwrap())
    }

    #[test]
    fn source_text_keeps_the_usual_spacing() {
        for src in [
            "a.view()",
            "&b.t()",
            "&mut a",
            "-1",
            "2.0 * -x",
            "a - 1",
            "x[0]",
            "self.a.view()",
            "vec![1, 2]",
            "a != b",
            "Array2::zeros((2, 3))",
            "a.slice(s![.., 0])",
            "(1.0 / alpha.sqrt())",
            "\"ij->ij\"(a)",
            "x? + y",
        ] {
            assert_eq!(text(src), src);
        }
    }
}
