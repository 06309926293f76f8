//! The validated macro input as plain data: what distribution, planning,
//! fusion and the plan description work on. No syntax and no spans, so those
//! stages can be run (and tested) on hand-built programs; code generation
//! takes the syntax it still needs separately (see [`crate::validate::Syntax`]).

use crate::options::Options;
use crate::subscripts::Subscripts;

/// A validated macro input.
#[derive(Debug, Clone)]
pub struct Program {
    /// The options.
    pub options: Options,
    /// All sites, calls first in source order.
    pub sites: Vec<Site>,
    /// Binding bodies, by binding index.
    pub bindings: Vec<Node>,
    /// Binding names, by binding index (for the plan printout).
    pub binding_names: Vec<String>,
    /// The expression to compute.
    pub body: Node,
    /// Rank of the result.
    pub rank: usize,
    /// How the result is written, if the input is an assignment to a target.
    pub target: Option<TargetKind>,
    /// The Rust values (operands and coefficients), in source order.
    pub values: Vec<Value>,
}

/// What the middle stages know of one Rust value of the macro input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    /// Its source text: how the plan printout names it, and the order of
    /// the values multiplied in a coefficient.
    pub text: String,
    /// The variable it names (`a`, `&a`, `(a)` and `a` are all `a`; `self.a`
    /// is `self.a`), if it is one: uses of one variable hold the same data.
    pub variable: Option<String>,
    /// Whether it is an operand or a coefficient.
    pub role: Role,
}

/// How a Rust value is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// An array (or view, or number) that is an operand of the network.
    Operand,
    /// A scalar factor of a term of a linear combination.
    Coefficient,
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

/// A call site, for runtime error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// The subscripts as written (or a name for operands outside any call).
    pub subscripts: String,
    /// Source text of each operand.
    pub operands: Vec<String>,
}

/// A lazy expression whose subscripts and ranks are known to be consistent.
#[derive(Debug, Clone)]
pub enum Node {
    /// `"subscripts"(args...)`
    Call {
        /// Index into [`Program::sites`].
        site: usize,
        /// The parsed subscripts.
        subscripts: Subscripts,
        /// The arguments, one per input of the subscripts.
        args: Vec<Node>,
    },
    /// A linear combination.
    Combination(Vec<Term>),
    /// A use of binding number `.0`.
    Binding(usize),
    /// A Rust value used as an operand: index into [`Program::values`], and
    /// its place (site, operand position) for runtime messages.
    Operand {
        /// Index of the value.
        value: usize,
        /// Index into [`Program::sites`].
        site: usize,
        /// Position of the operand in its site.
        position: usize,
        /// The labels written for it at its call, if it is a call's argument.
        chars: Option<Vec<char>>,
    },
}

/// One term of a linear combination.
#[derive(Debug, Clone)]
pub struct Term {
    /// Subtracted?
    pub negative: bool,
    /// Scalar factors: indices into [`Program::values`].
    pub coefficients: Vec<usize>,
    /// The value.
    pub node: Node,
}

impl Program {
    /// The call whose result is the macro's: the whole expression, or its
    /// only term (`2.0 * "...ij->...ji"(a)`). The only call that may have an
    /// ellipsis.
    pub fn outermost_call(&self) -> Option<&Node> {
        match &self.body {
            call @ Node::Call { .. } => Some(call),
            Node::Combination(terms) if terms.len() == 1 => match &terms[0].node {
                call @ Node::Call { .. } => Some(call),
                _ => None,
            },
            _ => None,
        }
    }
}

/// The role of each of `count` values in `body` and `bindings`: a
/// coefficient if some term multiplies by it, an operand otherwise.
pub fn roles(count: usize, body: &Node, bindings: &[Node]) -> Vec<Role> {
    fn mark(node: &Node, roles: &mut [Role]) {
        match node {
            Node::Call { args, .. } => args.iter().for_each(|a| mark(a, roles)),
            Node::Combination(terms) => {
                for term in terms {
                    for &k in &term.coefficients {
                        if let Some(role) = roles.get_mut(k) {
                            *role = Role::Coefficient;
                        }
                    }
                    mark(&term.node, roles);
                }
            }
            Node::Binding(_) | Node::Operand { .. } => {}
        }
    }
    let mut roles = vec![Role::Operand; count];
    for node in std::iter::once(body).chain(bindings) {
        mark(node, &mut roles);
    }
    roles
}
