//! The dialect rules over starlark_syntax's AST, for `bzls check`.
//!
//! When Starlark's own parser accepts a file, the server shows no `syntax`
//! or `unsupported-syntax` diagnostics for it (Starlark's parser rejects
//! every Python-only construct, so tree-sitter's are artifacts), so its
//! diagnostics are exactly the dialect rules. `bzls check` then applies them to the AST and skips the
//! tree-sitter parse, which costs several times more. The rule table is
//! shared with the tree walk ([`super::dialect::rule`]); a differential test
//! checks that both walks agree.

use starlark_syntax::codemap::Span;
use starlark_syntax::syntax::ast::{ArgumentP, AstStmt, ExprP, StmtP};
use starlark_syntax::syntax::uniplate::Visit;
use starlark_syntax::syntax::AstModule;

use super::dialect::{rule, Construct};
use super::{module_order, Directive, MODULE_DIRECTIVES};
use crate::analysis::Diagnostic;
use crate::syntax::FileKind;
use crate::text::TextRange;

fn range(span: Span) -> TextRange {
    TextRange::new(span.begin().get() as usize, span.end().get() as usize)
}

/// `len` bytes from the start of `span`: a statement's keyword.
fn keyword(span: Span, len: usize) -> TextRange {
    let start = span.begin().get() as usize;
    TextRange::new(start, start + len)
}

fn top_level(statement: &AstStmt) -> Vec<&AstStmt> {
    match &statement.node {
        StmtP::Statements(list) => list.iter().collect(),
        _ => vec![statement],
    }
}

/// The dialect diagnostics of a parsed module, sorted like
/// [`crate::analysis::Document::diagnostics`].
pub fn ast_rules(kind: FileKind, ast: &AstModule) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut push = |construct: Construct, range: TextRange| {
        if let Some((code, message)) = rule(kind, construct) {
            out.push(Diagnostic::error(code, range, message));
        }
    };
    for stmt in top_level(ast.statement()) {
        match &stmt.node {
            StmtP::Def(def) => push(
                Construct::Def,
                TextRange::new(
                    stmt.span.begin().get() as usize,
                    def.name.span.end().get() as usize,
                ),
            ),
            StmtP::For(_) => push(Construct::For, keyword(stmt.span, "for".len())),
            StmtP::If(..) | StmtP::IfElse(..) => {
                push(Construct::If, keyword(stmt.span, "if".len()))
            }
            StmtP::Load(_) => push(Construct::Load, keyword(stmt.span, "load".len())),
            _ => {}
        }
    }
    // `*args` and `**kwargs` in calls, and lambdas, anywhere; an explicit stack keeps
    // deep expressions off the call stack.
    let mut stack = vec![Visit::Stmt(ast.statement())];
    while let Some(visit) = stack.pop() {
        if let Visit::Expr(expr) = &visit {
            if let ExprP::Lambda(_) = &expr.node {
                push(Construct::Lambda, keyword(expr.span, "lambda".len()));
            }
            if let ExprP::Call(_, args) = &expr.node {
                for arg in &args.args {
                    match &arg.node {
                        ArgumentP::Args(_) => push(Construct::StarArgs, range(arg.span)),
                        ArgumentP::KwArgs(_) => push(Construct::StarStarKwargs, range(arg.span)),
                        _ => {}
                    }
                }
            }
        }
        visit.visit_children(|child| stack.push(child));
    }
    out.extend(module_order(
        kind,
        top_level(ast.statement()).into_iter().map(first_directive),
    ));
    out.sort_by_key(|d| (d.range.start, d.range.end));
    out
}

/// The first call of a MODULE.bazel directive in a statement, in document
/// order, as the tree walk finds it.
fn first_directive(stmt: &AstStmt) -> Option<Directive> {
    let mut stack = vec![Visit::Stmt(stmt)];
    while let Some(visit) = stack.pop() {
        if let Visit::Expr(expr) = &visit {
            if let ExprP::Call(callee, _) = &expr.node {
                if let ExprP::Identifier(ident) = &callee.node {
                    let name = ident.node.ident.as_str();
                    if name == "module" {
                        return Some(Directive::Module(range(callee.span)));
                    }
                    if MODULE_DIRECTIVES.contains(&name) {
                        return Some(Directive::Other);
                    }
                }
            }
        }
        let mut children = Vec::new();
        visit.visit_children(|child| children.push(child));
        stack.extend(children.into_iter().rev());
    }
    None
}
