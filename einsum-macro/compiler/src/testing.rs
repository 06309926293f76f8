//! Hand-built [`Program`]s for the stages' unit tests: a few-line expression
//! language over named operands, numbered into a program the way validation
//! numbers a macro input (sites in the order their calls are met, values in
//! source order, each use of a name its own value).

use crate::options::{Options, SizeExpr};
use crate::program::{Node, Program, Role, Site, Term, Value};
use crate::subscripts;

/// An expression of a test program.
pub enum Expr {
    /// A use of the named variable as an operand.
    Var(&'static str),
    /// `"subscripts"(args...)`
    Call(&'static str, Vec<Expr>),
    /// A linear combination of `(subtracted, coefficient names, value)` terms.
    Sum(Vec<(bool, Vec<&'static str>, Expr)>),
    /// A use of binding number `.0`.
    Binding(usize),
}

/// A use of variable `name`.
pub fn var(name: &'static str) -> Expr {
    Expr::Var(name)
}

/// `"subscripts"(args...)`
pub fn call<const N: usize>(subscripts: &'static str, args: [Expr; N]) -> Expr {
    Expr::Call(subscripts, args.into())
}

/// `a + b` (a sum on the left is extended, as the parser reads `a + b + c`).
pub fn plus(a: Expr, b: Expr) -> Expr {
    append(a, (false, Vec::new(), b))
}

/// `a - b`
pub fn minus(a: Expr, b: Expr) -> Expr {
    append(a, (true, Vec::new(), b))
}

/// `coefficient * value`
pub fn times(coefficient: &'static str, value: Expr) -> Expr {
    Expr::Sum(vec![(false, vec![coefficient], value)])
}

fn append(a: Expr, term: (bool, Vec<&'static str>, Expr)) -> Expr {
    match a {
        Expr::Sum(mut terms) => {
            terms.push(term);
            Expr::Sum(terms)
        }
        other => Expr::Sum(vec![(false, Vec::new(), other), term]),
    }
}

/// The program computing `body` with `let` bindings `bindings` (binding
/// `k` is [`Expr::Binding`]`(k)`), without options.
pub fn program(bindings: Vec<Expr>, body: Expr) -> Program {
    program_with(Options::default(), bindings, body)
}

/// [`program`] with options.
pub fn program_with(options: Options, bindings: Vec<Expr>, body: Expr) -> Program {
    let mut builder = Builder::default();
    let bindings: Vec<Node> = bindings.iter().map(|b| builder.node(b, None)).collect();
    let body = builder.node(&body, None);
    let rank = first_call_rank(&body, &bindings).expect("a test program has a call");
    Program {
        options,
        sites: builder.sites,
        binding_names: (0..bindings.len()).map(|b| format!("b{b}")).collect(),
        bindings,
        body,
        rank,
        target: None,
        values: builder.values,
    }
}

/// `N^degree` as a size (for `max_intermediate`).
pub fn n_to_the(degree: u32) -> SizeExpr {
    SizeExpr {
        coefficient: 1.0,
        degree,
    }
}

/// The names of `values` (materialized sums as `#k`).
pub fn names(program: &Program, values: &[usize]) -> Vec<String> {
    values
        .iter()
        .map(|&v| match program.values.get(v) {
            Some(value) => value.text.clone(),
            None => format!("#{}", v - program.values.len()),
        })
        .collect()
}

#[derive(Default)]
struct Builder {
    sites: Vec<Site>,
    values: Vec<Value>,
}

impl Builder {
    /// `expr` as a node, at argument `place` = (site, position, labels) of a call.
    fn node(&mut self, expr: &Expr, place: Option<(usize, usize, &[char])>) -> Node {
        match expr {
            Expr::Var(name) => {
                let value = self.value(name, Role::Operand);
                let (site, position) = match place {
                    Some((site, position, _)) => (site, position),
                    None => self.outside(name),
                };
                Node::Operand {
                    value,
                    site,
                    position,
                    chars: place.map(|(_, _, chars)| chars.to_vec()),
                }
            }
            Expr::Call(text, args) => {
                let site = self.sites.len();
                self.sites.push(Site {
                    subscripts: text.to_string(),
                    operands: args.iter().map(source).collect(),
                });
                let subscripts = subscripts::parse(text).expect("test subscripts are valid");
                let args = args
                    .iter()
                    .zip(&subscripts.inputs)
                    .enumerate()
                    .map(|(position, (arg, chars))| self.node(arg, Some((site, position, chars))))
                    .collect();
                Node::Call {
                    site,
                    subscripts,
                    args,
                }
            }
            Expr::Sum(terms) => Node::Combination(
                terms
                    .iter()
                    .map(|(negative, coefficients, value)| Term {
                        negative: *negative,
                        coefficients: coefficients
                            .iter()
                            .map(|c| self.value(c, Role::Coefficient))
                            .collect(),
                        node: self.node(value, place),
                    })
                    .collect(),
            ),
            Expr::Binding(b) => Node::Binding(*b),
        }
    }

    fn value(&mut self, name: &str, role: Role) -> usize {
        let is_variable = name.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        self.values.push(Value {
            text: name.to_string(),
            variable: is_variable.then(|| name.to_string()),
            role,
        });
        self.values.len() - 1
    }

    /// The place of an operand outside any call, on the site `result`.
    fn outside(&mut self, name: &str) -> (usize, usize) {
        let site = match self.sites.iter().position(|s| s.subscripts == "result") {
            Some(site) => site,
            None => {
                self.sites.push(Site {
                    subscripts: "result".to_string(),
                    operands: Vec::new(),
                });
                self.sites.len() - 1
            }
        };
        self.sites[site].operands.push(name.to_string());
        (site, self.sites[site].operands.len() - 1)
    }
}

/// Roughly how `expr` is written, for the sites' operand texts.
fn source(expr: &Expr) -> String {
    match expr {
        Expr::Var(name) => name.to_string(),
        Expr::Call(text, args) => {
            let args: Vec<String> = args.iter().map(source).collect();
            format!("{text:?}({})", args.join(", "))
        }
        Expr::Sum(terms) => terms
            .iter()
            .map(|(negative, coefficients, value)| {
                let mut factors: Vec<String> = coefficients.iter().map(|c| c.to_string()).collect();
                factors.push(source(value));
                format!(
                    "{} {}",
                    if *negative { "-" } else { "+" },
                    factors.join(" * ")
                )
            })
            .collect::<Vec<_>>()
            .join(" "),
        Expr::Binding(b) => format!("binding{b}"),
    }
}

fn first_call_rank(node: &Node, bindings: &[Node]) -> Option<usize> {
    match node {
        Node::Call { subscripts, .. } => Some(subscripts.output.len()),
        Node::Binding(b) => first_call_rank(&bindings[*b], bindings),
        Node::Combination(terms) => terms
            .iter()
            .find_map(|t| first_call_rank(&t.node, bindings)),
        Node::Operand { .. } => None,
    }
}
