//! Parsing: turns a command line into a small owned tree of statements and
//! words (quotes removed, spans kept) using tree-sitter-bash. Every parse
//! error and every construct this module does not understand becomes an
//! [`Stmt::Opaque`], so later stages fail closed.

use std::cell::RefCell;

use airlock_model::Span;
use tree_sitter::{Language, Node, Parser, Tree};

/// Inputs longer than this are not parsed at all (they become opaque).
pub const MAX_INPUT_BYTES: usize = 256 * 1024;
/// Statement nesting deeper than this is not followed.
const MAX_NESTING: usize = 200;

/// One word of a command after quote removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The word's value; expansions that cannot be known statically are kept
    /// as their source text (`$HOME`, `$(cmd)`).
    pub text: String,
    pub span: Span,
    /// Contains a parameter expansion or substitution whose value is only
    /// known at run time.
    pub dynamic: bool,
}

impl Word {
    pub fn literal(text: impl Into<String>, span: Span) -> Word {
        Word {
            text: text.into(),
            span,
            dynamic: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectOp {
    /// `<`, `<&`: reads.
    Input,
    /// `>`, `>|`, `&>`: truncates the target.
    Overwrite,
    /// `>>`, `&>>`: appends.
    Append,
    /// `>&N`, `<&N`, `N>&M`: duplicates a descriptor.
    Duplicate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    pub op: RedirectOp,
    pub target: Word,
    pub span: Span,
}

/// Text fed to a command's standard input by a here-document or here-string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HereInput {
    pub text: String,
    pub span: Span,
    /// `<<'EOF'`, quoted delimiter, or here-string without expansions: the
    /// text reaches the command exactly as written.
    pub literal: bool,
}

/// A simple command: assignments, words and redirections.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SimpleCommand {
    pub assignments: Vec<(String, Word)>,
    pub words: Vec<Word>,
    pub redirects: Vec<Redirect>,
    pub here_input: Option<HereInput>,
    /// Commands run by command or process substitutions inside the words.
    pub substitutions: Vec<Stmt>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stmt {
    Simple(SimpleCommand),
    /// `a | b | c`: each element's output feeds the next.
    Pipeline(Vec<Stmt>),
    /// Statements run one after another in the same shell (`;`, `&&`, `||`,
    /// `{ }`, control flow): a `cd` carries over.
    Sequence(Vec<Stmt>),
    /// `( ... )`: a child shell; a `cd` does not leak out.
    Subshell(Vec<Stmt>),
    /// `cmd &`: runs in the background, in a child process.
    Background(Box<Stmt>),
    /// `name() { ... }`, `function name { ... }`: defines a function; the
    /// body runs only when the function is called.
    Function {
        name: Word,
        body: Box<Stmt>,
        /// Where the body is in the source.
        body_span: Span,
    },
    /// Could not be parsed or is not understood.
    Opaque {
        span: Span,
        what: String,
    },
}

thread_local! {
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

fn parse_tree(language: &Language, source: &str) -> Option<Tree> {
    PARSER.with(|cell| {
        let mut slot = cell.try_borrow_mut().ok()?;
        if slot.is_none() {
            let mut parser = Parser::new();
            parser.set_language(language).ok()?;
            *slot = Some(parser);
        }
        slot.as_mut()?.parse(source, None)
    })
}

/// Parses `source` into statements. Never fails: problems become opaque
/// statements.
pub fn parse(language: &Language, source: &str) -> Vec<Stmt> {
    let whole = Span::new(0, source.len());
    if source.len() > MAX_INPUT_BYTES {
        return vec![Stmt::Opaque {
            span: whole,
            what: "the command is too long to analyse".into(),
        }];
    }
    if let Some(stmt) = plain_command(source) {
        return vec![stmt];
    }
    let Some(tree) = parse_tree(language, source) else {
        return vec![Stmt::Opaque {
            span: whole,
            what: "the shell parser gave up".into(),
        }];
    };
    let root = tree.root_node();
    let builder = Builder { source };
    let mut out = Vec::new();
    if root.has_error() {
        builder.collect_errors(root, &mut out, 0);
        if out.is_empty() {
            out.push(Stmt::Opaque {
                span: whole,
                what: "the command has a syntax error".into(),
            });
        }
    }
    builder.statements_of(root, &mut out, 0);
    out
}

/// Words that mean something to bash when they start a command.
const RESERVED: &[&str] = &[
    "if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while", "until", "do",
    "done", "function", "time", "coproc", "in", "{", "}", "!", "[[", "]]",
];

/// The common case without the parser: one simple command whose characters
/// bash gives no special meaning (no quotes, expansions, operators, globs or
/// comments), so splitting on blanks reads it exactly as bash would.
fn plain_command(source: &str) -> Option<Stmt> {
    let plain = source.bytes().all(|b| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b' ' | b'\t'
                    | b'.'
                    | b'_'
                    | b'/'
                    | b'='
                    | b':'
                    | b','
                    | b'+'
                    | b'-'
                    | b'@'
                    | b'%'
                    | b'^'
                    | b'~'
            )
    });
    if !plain {
        return None;
    }
    let mut cmd = SimpleCommand::default();
    let mut offset = 0;
    for token in source.split([' ', '\t']) {
        let start = offset;
        offset += token.len() + 1;
        if token.is_empty() {
            continue;
        }
        let span = Span::new(start, start + token.len());
        let assignment = cmd.words.is_empty()
            && token.split_once('=').is_some_and(|(name, _)| {
                !name.is_empty()
                    && !name.starts_with(|c: char| c.is_ascii_digit())
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
        if assignment {
            let (name, value) = token.split_once('=')?;
            let value_start = span.start + name.len() + 1;
            cmd.assignments.push((
                name.to_string(),
                Word::literal(value, Span::new(value_start, span.end)),
            ));
            continue;
        }
        if cmd.words.is_empty() && RESERVED.contains(&token) {
            return None;
        }
        cmd.words.push(Word::literal(token, span));
    }
    if cmd.words.is_empty() && cmd.assignments.is_empty() {
        return None;
    }
    let first = cmd
        .assignments
        .first()
        .map(|(name, value)| value.span.start - name.len() - 1)
        .or_else(|| cmd.words.first().map(|w| w.span.start))?;
    let last = cmd
        .words
        .last()
        .map(|w| w.span.end)
        .or_else(|| cmd.assignments.last().map(|(_, v)| v.span.end))?;
    cmd.span = Span::new(first, last);
    Some(Stmt::Simple(cmd))
}

struct Builder<'s> {
    source: &'s str,
}

/// The simple command a list or pipeline ends with.
fn last_simple(stmt: &mut Stmt) -> Option<&mut SimpleCommand> {
    match stmt {
        Stmt::Simple(cmd) => Some(cmd),
        Stmt::Sequence(parts) | Stmt::Pipeline(parts) => parts.last_mut().and_then(last_simple),
        _ => None,
    }
}

/// `stmt`, marked as run in the background when `&` follows its node.
fn in_background(node: Node, stmt: Stmt) -> Stmt {
    let backgrounded = node
        .next_sibling()
        .is_some_and(|next| !next.is_named() && next.kind() == "&");
    if backgrounded {
        Stmt::Background(Box::new(stmt))
    } else {
        stmt
    }
}

fn span_of(node: Node) -> Span {
    Span::new(node.start_byte(), node.end_byte())
}

impl<'s> Builder<'s> {
    fn text(&self, node: Node) -> &'s str {
        self.source
            .get(node.start_byte()..node.end_byte())
            .unwrap_or("")
    }

    fn collect_errors(&self, node: Node, out: &mut Vec<Stmt>, depth: usize) {
        if out.len() >= 8 {
            return;
        }
        if node.is_error() || node.is_missing() || depth > MAX_NESTING {
            let mut span = span_of(node);
            if span.start == span.end {
                span = node.parent().map(span_of).unwrap_or(span);
            }
            let what = if node.is_missing() {
                format!("the command is incomplete (missing `{}`)", node.kind())
            } else {
                "the command has a syntax error".to_string()
            };
            out.push(Stmt::Opaque { span, what });
            return;
        }
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if child.has_error() || child.is_missing() {
                self.collect_errors(child, out, depth + 1);
            }
        }
    }

    /// Appends the statements found among `node`'s children.
    fn statements_of(&self, node: Node, out: &mut Vec<Stmt>, depth: usize) {
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            if let Some(stmt) = self.statement(child, depth + 1) {
                out.push(in_background(child, stmt));
            }
        }
    }

    fn function_definition(&self, node: Node, depth: usize) -> Stmt {
        let (Some(name), Some(body)) = (
            node.child_by_field_name("name"),
            node.child_by_field_name("body"),
        ) else {
            return Stmt::Opaque {
                span: span_of(node),
                what: "a function definition without a name or body".into(),
            };
        };
        let mut subs = Vec::new();
        let name = self.word(name, &mut subs, depth);
        let body_stmt = self
            .statement(body, depth + 1)
            .unwrap_or(Stmt::Sequence(Vec::new()));
        Stmt::Function {
            name,
            body: Box::new(body_stmt),
            body_span: span_of(body),
        }
    }

    fn statement(&self, node: Node, depth: usize) -> Option<Stmt> {
        if depth > MAX_NESTING {
            return Some(Stmt::Opaque {
                span: span_of(node),
                what: "the command nests too deeply".into(),
            });
        }
        let stmt = match node.kind() {
            "comment" | "heredoc_body" | "heredoc_start" | "heredoc_end" => return None,
            "ERROR" => return None, // reported by collect_errors
            "command" => Stmt::Simple(self.simple_command(node, depth)),
            "pipeline" => {
                let mut parts = Vec::new();
                self.statements_of(node, &mut parts, depth);
                Stmt::Pipeline(parts)
            }
            "subshell" => {
                let mut parts = Vec::new();
                self.statements_of(node, &mut parts, depth);
                Stmt::Subshell(parts)
            }
            "redirected_statement" => self.redirected(node, depth),
            "function_definition" => self.function_definition(node, depth),
            "variable_assignment" | "variable_assignments" => {
                let mut cmd = SimpleCommand {
                    span: span_of(node),
                    ..SimpleCommand::default()
                };
                if node.kind() == "variable_assignment" {
                    self.assignment(node, &mut cmd, depth);
                } else {
                    let mut cursor = node.walk();
                    for child in node.named_children(&mut cursor) {
                        self.assignment(child, &mut cmd, depth);
                    }
                }
                Stmt::Simple(cmd)
            }
            "declaration_command" | "unset_command" => {
                let mut cmd = SimpleCommand {
                    span: span_of(node),
                    ..SimpleCommand::default()
                };
                let mut cursor = node.walk();
                for child in node.children(&mut cursor) {
                    if !child.is_named() {
                        let keyword = self.text(child);
                        if cmd.words.is_empty() && !keyword.is_empty() {
                            cmd.words.push(Word::literal(keyword, span_of(child)));
                        }
                        continue;
                    }
                    if child.kind() == "variable_assignment" {
                        self.assignment(child, &mut cmd, depth);
                    } else {
                        let word = self.word(child, &mut cmd.substitutions, depth);
                        cmd.words.push(word);
                    }
                }
                Stmt::Simple(cmd)
            }
            "list"
            | "program"
            | "compound_statement"
            | "negated_command"
            | "if_statement"
            | "elif_clause"
            | "else_clause"
            | "while_statement"
            | "for_statement"
            | "c_style_for_statement"
            | "case_statement"
            | "case_item"
            | "do_group"
            | "test_command"
            | "arithmetic_expansion"
            | "binary_expression"
            | "unary_expression"
            | "parenthesized_expression" => {
                let mut parts = Vec::new();
                self.control_parts(node, &mut parts, depth);
                Stmt::Sequence(parts)
            }
            kind if is_word_kind(kind) => {
                // A bare word in statement position (a `for` value, a `case`
                // subject): only its substitutions run.
                let mut subs = Vec::new();
                self.word(node, &mut subs, depth);
                Stmt::Sequence(subs)
            }
            other => Stmt::Opaque {
                span: span_of(node),
                what: format!("unsupported shell construct `{other}`"),
            },
        };
        Some(stmt)
    }

    /// Children of control-flow nodes: statements, plus substitutions in
    /// words (conditions, `for` lists, `case` subjects).
    fn control_parts(&self, node: Node, out: &mut Vec<Stmt>, depth: usize) {
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            match child.kind() {
                "variable_name" | "test_operator" | "number" | "regex" | "extglob_pattern"
                | "comment" => {}
                _ => {
                    if let Some(stmt) = self.statement(child, depth + 1) {
                        out.push(in_background(child, stmt));
                    }
                }
            }
        }
    }

    fn redirected(&self, node: Node, depth: usize) -> Stmt {
        let mut redirects = Vec::new();
        let mut here_input = None;
        let mut subs = Vec::new();
        let mut trailing: Vec<Stmt> = Vec::new();
        let mut body: Option<Stmt> = None;
        let mut body_is_list = false;
        let mut cursor = node.walk();
        for (index, child) in node.children(&mut cursor).enumerate() {
            if node.field_name_for_child(index as u32) == Some("body") {
                body = self.statement(child, depth + 1);
                body_is_list = matches!(child.kind(), "list" | "pipeline");
                continue;
            }
            if !child.is_named() {
                continue;
            }
            self.redirect(
                child,
                &mut redirects,
                &mut here_input,
                &mut subs,
                &mut trailing,
                depth,
            );
        }
        let body_span = span_of(node);
        // `a && b < f`, `a | b < f`: tree-sitter hangs the redirection on
        // the whole list, but bash applies it to the last command only.
        let mut moved = false;
        if body_is_list {
            if let Some(last) = body.as_mut().and_then(last_simple) {
                last.redirects.append(&mut redirects);
                if here_input.is_some() {
                    last.here_input = here_input.take();
                }
                last.substitutions.append(&mut subs);
                moved = true;
            }
        }
        let mut head = match body {
            Some(list) if moved => list,
            Some(Stmt::Simple(mut cmd)) => {
                cmd.redirects.extend(redirects);
                if here_input.is_some() {
                    cmd.here_input = here_input;
                }
                cmd.substitutions.extend(subs);
                Stmt::Simple(cmd)
            }
            other => {
                let carrier = SimpleCommand {
                    redirects,
                    substitutions: subs,
                    span: body_span,
                    ..SimpleCommand::default()
                };
                let mut parts: Vec<Stmt> = other.into_iter().collect();
                parts.push(Stmt::Simple(carrier));
                Stmt::Sequence(parts)
            }
        };
        if trailing.is_empty() {
            return head;
        }
        // `cat <<EOF | sh`: tree-sitter hangs the rest of the pipeline (or
        // list) off the here-document.
        let mut parts = vec![std::mem::replace(&mut head, Stmt::Sequence(Vec::new()))];
        let mut rest = Vec::new();
        for stmt in trailing {
            match stmt {
                Stmt::Pipeline(more) => parts.extend(more),
                other => rest.push(other),
            }
        }
        let piped = if parts.len() > 1 {
            Stmt::Pipeline(parts)
        } else {
            parts.pop().unwrap_or(Stmt::Sequence(Vec::new()))
        };
        if rest.is_empty() {
            piped
        } else {
            let mut seq = vec![piped];
            seq.extend(rest);
            Stmt::Sequence(seq)
        }
    }

    fn redirect(
        &self,
        node: Node,
        redirects: &mut Vec<Redirect>,
        here_input: &mut Option<HereInput>,
        subs: &mut Vec<Stmt>,
        trailing: &mut Vec<Stmt>,
        depth: usize,
    ) {
        match node.kind() {
            "file_redirect" => {
                let mut op = RedirectOp::Overwrite;
                let mut target = None;
                let mut cursor = node.walk();
                for (index, child) in node.children(&mut cursor).enumerate() {
                    let field = node.field_name_for_child(index as u32);
                    if field == Some("descriptor") {
                        continue;
                    }
                    if !child.is_named() {
                        op = match self.text(child) {
                            "<" | "<&" | "<&-" => RedirectOp::Input,
                            ">>" | "&>>" => RedirectOp::Append,
                            ">&" | ">&-" => RedirectOp::Duplicate,
                            _ => RedirectOp::Overwrite,
                        };
                        continue;
                    }
                    target = Some(self.word(child, subs, depth));
                }
                if let Some(target) = target {
                    // `>&file` with a non-number target is `&>file`.
                    let op = if op == RedirectOp::Duplicate
                        && !target.text.chars().all(|c| c.is_ascii_digit() || c == '-')
                    {
                        RedirectOp::Overwrite
                    } else {
                        op
                    };
                    redirects.push(Redirect {
                        op,
                        target,
                        span: span_of(node),
                    });
                }
            }
            "heredoc_redirect" => {
                let mut literal = true;
                let mut body_text = String::new();
                let mut body_span = span_of(node);
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    match child.kind() {
                        "heredoc_start" => {
                            let delim = self.text(child);
                            literal =
                                delim.contains('\'') || delim.contains('"') || delim.contains('\\');
                        }
                        "heredoc_body" => {
                            body_text = self.text(child).to_string();
                            body_span = span_of(child);
                            let mut inner = child.walk();
                            for part in child.named_children(&mut inner) {
                                if !literal
                                    && matches!(
                                        part.kind(),
                                        "command_substitution" | "expansion" | "simple_expansion"
                                    )
                                {
                                    self.word(part, subs, depth);
                                }
                            }
                        }
                        "heredoc_end" | "heredoc_content" => {}
                        "file_redirect" | "herestring_redirect" => {
                            self.redirect(child, redirects, here_input, subs, trailing, depth)
                        }
                        _ => {
                            if let Some(stmt) = self.statement(child, depth + 1) {
                                trailing.push(stmt);
                            }
                        }
                    }
                }
                *here_input = Some(HereInput {
                    text: body_text,
                    span: body_span,
                    literal,
                });
            }
            "herestring_redirect" => {
                let mut cursor = node.walk();
                if let Some(child) = node.named_children(&mut cursor).last() {
                    let word = self.word(child, subs, depth);
                    *here_input = Some(HereInput {
                        literal: !word.dynamic,
                        text: word.text,
                        span: word.span,
                    });
                }
            }
            _ => {
                if let Some(stmt) = self.statement(node, depth + 1) {
                    trailing.push(stmt);
                }
            }
        }
    }

    fn assignment(&self, node: Node, cmd: &mut SimpleCommand, depth: usize) {
        let name = node
            .child_by_field_name("name")
            .map(|n| self.text(n).to_string())
            .unwrap_or_default();
        let value = match node.child_by_field_name("value") {
            Some(v) => self.word(v, &mut cmd.substitutions, depth),
            None => Word::literal("", Span::new(node.end_byte(), node.end_byte())),
        };
        cmd.assignments.push((name, value));
    }

    fn simple_command(&self, node: Node, depth: usize) -> SimpleCommand {
        let mut cmd = SimpleCommand {
            span: span_of(node),
            ..SimpleCommand::default()
        };
        let mut trailing = Vec::new();
        let mut cursor = node.walk();
        for (index, child) in node.children(&mut cursor).enumerate() {
            if !child.is_named() {
                continue;
            }
            let field = node.field_name_for_child(index as u32);
            match child.kind() {
                "variable_assignment" if cmd.words.is_empty() => {
                    self.assignment(child, &mut cmd, depth)
                }
                "command_name" => {
                    let inner = child.named_child(0).unwrap_or(child);
                    let word = self.word(inner, &mut cmd.substitutions, depth);
                    cmd.words.push(word);
                }
                "file_redirect" | "heredoc_redirect" | "herestring_redirect" => {
                    let mut here = cmd.here_input.take();
                    self.redirect(
                        child,
                        &mut cmd.redirects,
                        &mut here,
                        &mut cmd.substitutions,
                        &mut trailing,
                        depth,
                    );
                    cmd.here_input = here;
                }
                "comment" => {}
                _ if field == Some("argument") || is_word_kind(child.kind()) => {
                    let word = self.word(child, &mut cmd.substitutions, depth);
                    cmd.words.push(word);
                }
                _ => {
                    let word = self.word(child, &mut cmd.substitutions, depth);
                    cmd.words.push(word);
                }
            }
        }
        cmd.substitutions.extend(trailing);
        cmd
    }

    /// The value of a word node; substitutions it runs are appended to `subs`.
    fn word(&self, node: Node, subs: &mut Vec<Stmt>, depth: usize) -> Word {
        let mut text = String::new();
        let dynamic = self.word_into(node, &mut text, subs, depth);
        Word {
            text,
            span: span_of(node),
            dynamic,
        }
    }

    /// Appends the value of `node` to `text`; returns whether it is dynamic.
    fn word_into(&self, node: Node, text: &mut String, subs: &mut Vec<Stmt>, depth: usize) -> bool {
        let raw = self.text(node);
        if depth > MAX_NESTING {
            text.push_str(raw);
            return true;
        }
        match node.kind() {
            "word" | "number" | "extglob_pattern" | "file_descriptor" | "variable_name" => {
                unescape_unquoted(raw, text);
                false
            }
            "raw_string" => {
                text.push_str(strip_quotes(raw, "'", "'"));
                false
            }
            "ansi_c_string" => {
                decode_ansi_c(strip_quotes(raw, "$'", "'"), text);
                false
            }
            "string" | "translated_string" => {
                let mut dynamic = false;
                let mut cursor = node.walk();
                let mut last_end = None;
                for child in node.children(&mut cursor) {
                    if !child.is_named() {
                        continue;
                    }
                    // Keep whitespace the grammar leaves between parts.
                    if let Some(end) = last_end {
                        if let Some(gap) = self.source.get(end..child.start_byte()) {
                            text.push_str(gap);
                        }
                    }
                    last_end = Some(child.end_byte());
                    if child.kind() == "string_content" {
                        unescape_double_quoted(self.text(child), text);
                    } else {
                        dynamic |= self.word_into(child, text, subs, depth + 1);
                    }
                }
                dynamic
            }
            "concatenation" => {
                let mut dynamic = false;
                let mut cursor = node.walk();
                for child in node.children(&mut cursor) {
                    dynamic |= self.word_into(child, text, subs, depth + 1);
                }
                dynamic
            }
            "command_substitution" | "process_substitution" => {
                let mut parts = Vec::new();
                self.statements_of(node, &mut parts, depth + 1);
                subs.push(Stmt::Sequence(parts));
                text.push_str(raw);
                true
            }
            "simple_expansion" | "expansion" => {
                // `${x:-$(cmd)}` runs cmd.
                self.substitutions_in(node, subs, depth + 1);
                text.push_str(raw);
                true
            }
            "arithmetic_expansion" => {
                text.push_str(raw);
                true
            }
            "brace_expression" => {
                text.push_str(raw);
                false
            }
            _ if !node.is_named() => {
                unescape_unquoted(raw, text);
                false
            }
            _ => {
                self.substitutions_in(node, subs, depth + 1);
                text.push_str(raw);
                true
            }
        }
    }

    fn substitutions_in(&self, node: Node, subs: &mut Vec<Stmt>, depth: usize) {
        if depth > MAX_NESTING {
            return;
        }
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            if matches!(
                child.kind(),
                "command_substitution" | "process_substitution"
            ) {
                let mut scratch = String::new();
                self.word_into(child, &mut scratch, subs, depth + 1);
            } else {
                self.substitutions_in(child, subs, depth + 1);
            }
        }
    }
}

fn is_word_kind(kind: &str) -> bool {
    matches!(
        kind,
        "word"
            | "string"
            | "raw_string"
            | "ansi_c_string"
            | "translated_string"
            | "concatenation"
            | "number"
            | "simple_expansion"
            | "expansion"
            | "command_substitution"
            | "process_substitution"
            | "brace_expression"
            | "extglob_pattern"
    )
}

fn strip_quotes<'a>(raw: &'a str, open: &str, close: &str) -> &'a str {
    let inner = raw.strip_prefix(open).unwrap_or(raw);
    inner.strip_suffix(close).unwrap_or(inner)
}

/// Removes backslash escapes from an unquoted word (`\rm` is `rm`).
fn unescape_unquoted(raw: &str, out: &mut String) {
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('\n') | None => {}
                Some(next) => out.push(next),
            }
        } else {
            out.push(c);
        }
    }
}

/// Inside double quotes a backslash escapes only `$`, `` ` ``, `"`, `\` and newline.
fn unescape_double_quoted(raw: &str, out: &mut String) {
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some('$') | Some('`') | Some('"') | Some('\\') => {
                    if let Some(next) = chars.next() {
                        out.push(next);
                    }
                }
                Some('\n') => {
                    chars.next();
                }
                _ => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
}

/// Decodes the common escapes of `$'...'` strings (`\x72`, `\n`, `\0NN`, `\uNNNN`).
fn decode_ansi_c(raw: &str, out: &mut String) {
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            out.push('\\');
            break;
        };
        let simple = match e {
            'n' => Some('\n'),
            't' => Some('\t'),
            'r' => Some('\r'),
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            'e' | 'E' => Some('\u{1b}'),
            'f' => Some('\u{c}'),
            'v' => Some('\u{b}'),
            '\\' => Some('\\'),
            '\'' => Some('\''),
            '"' => Some('"'),
            '?' => Some('?'),
            _ => None,
        };
        if let Some(s) = simple {
            out.push(s);
            continue;
        }
        let (radix, max_len) = match e {
            'x' => (16, 2),
            'u' => (16, 4),
            'U' => (16, 8),
            '0'..='7' => (8, 3),
            _ => {
                out.push('\\');
                out.push(e);
                continue;
            }
        };
        let mut digits = String::new();
        if radix == 8 {
            digits.push(e);
        }
        while digits.len() < max_len {
            match chars.peek() {
                Some(d) if d.is_digit(radix) => {
                    digits.push(*d);
                    chars.next();
                }
                _ => break,
            }
        }
        match u32::from_str_radix(&digits, radix)
            .ok()
            .and_then(char::from_u32)
        {
            Some(decoded) => out.push(decoded),
            None => {
                out.push('\\');
                out.push(e);
                out.push_str(&digits);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang() -> Language {
        tree_sitter_bash::LANGUAGE.into()
    }

    fn first_words(src: &str) -> Vec<String> {
        match parse(&lang(), src).into_iter().next() {
            Some(Stmt::Simple(cmd)) => cmd.words.into_iter().map(|w| w.text).collect(),
            other => panic!("not a simple command: {other:?}"),
        }
    }

    #[test]
    fn quotes_and_escapes_are_removed() {
        assert_eq!(
            first_words(r#"r''m -rf "a b" \rm 'r'm $'\x72\x6d'"#),
            ["rm", "-rf", "a b", "rm", "rm", "rm"]
        );
    }

    #[test]
    fn plain_commands_read_the_same_without_the_parser() {
        let builder_only = |src: &str| {
            let tree = parse_tree(&lang(), src).expect("tree");
            let mut out = Vec::new();
            Builder { source: src }.statements_of(tree.root_node(), &mut out, 0);
            out
        };
        for src in [
            "git status",
            "  cargo   test --workspace ",
            "RUST_LOG=debug cargo run -- --port=8080",
            "rm -rf build/ ~/x a,b user@host:path 50%",
            "X=1",
            "A=1 B=2",
        ] {
            let fast = plain_command(src).map(|s| vec![s]);
            assert_eq!(fast, Some(builder_only(src)), "{src:?}");
        }
        for src in [
            "if true",
            "ls # note",
            "echo $X",
            "a;b",
            "{ ls",
            "time ls",
            "rm *",
        ] {
            assert_eq!(plain_command(src), None, "{src:?}");
        }
    }

    #[test]
    fn parse_errors_become_opaque() {
        let stmts = parse(&lang(), "echo \"unterminated");
        assert!(stmts.iter().any(|s| matches!(s, Stmt::Opaque { .. })));
    }

    #[test]
    fn heredoc_piped_into_a_shell_becomes_a_pipeline() {
        let stmts = parse(&lang(), "cat <<EOF | bash\nrm -rf /\nEOF\n");
        match stmts.first() {
            Some(Stmt::Pipeline(parts)) => assert_eq!(parts.len(), 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn function_definitions_keep_their_name_and_body() {
        for (src, name) in [
            (":(){ :|:& };:", ":"),
            ("function deploy { make; }", "deploy"),
            ("f() ( cd /tmp )", "f"),
        ] {
            let stmts = parse(&lang(), src);
            let Some(Stmt::Function {
                name: got,
                body,
                body_span,
            }) = stmts.first()
            else {
                panic!("{src}: {stmts:?}");
            };
            assert_eq!(got.text, name);
            let body_text = src.get(body_span.start..body_span.end).unwrap();
            assert!(body_text.starts_with(['{', '(']), "{src}: {body_text}");
            assert!(!matches!(**body, Stmt::Opaque { .. }), "{src}: {body:?}");
        }
    }

    #[test]
    fn background_commands_are_marked() {
        let stmts = parse(&lang(), "make & sleep 1");
        assert!(
            matches!(stmts.first(), Some(Stmt::Background(_))),
            "{stmts:?}"
        );
        assert!(matches!(stmts.get(1), Some(Stmt::Simple(_))), "{stmts:?}");
        let inner = parse(&lang(), "{ a | b & }");
        let Some(Stmt::Sequence(parts)) = inner.first() else {
            panic!("{inner:?}");
        };
        assert!(
            matches!(parts.first(), Some(Stmt::Background(p)) if matches!(**p, Stmt::Pipeline(_)))
        );
    }

    #[test]
    fn a_redirection_after_a_list_belongs_to_its_last_command() {
        let stmts = parse(&lang(), "cd db && psql app < dump.sql");
        let Some(Stmt::Sequence(parts)) = stmts.first() else {
            panic!("{stmts:?}");
        };
        let Some(Stmt::Simple(last)) = parts.last() else {
            panic!("{parts:?}");
        };
        assert_eq!(last.words.first().map(|w| w.text.as_str()), Some("psql"));
        assert_eq!(last.redirects.len(), 1, "{last:?}");
        let Some(Stmt::Simple(first)) = parts.first() else {
            panic!("{parts:?}");
        };
        assert!(first.redirects.is_empty(), "{first:?}");
    }
}
