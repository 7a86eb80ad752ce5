//! Properties that hold for every input: the classifier never panics, a
//! parse error never yields a benign classification, and every piece of
//! evidence points at the input text it quotes.

use airlock_model::{EffectKind, Span};
use airlock_shell::{ShellClassifier, ShellConfig};
use proptest::prelude::*;

fn classifier() -> ShellClassifier {
    ShellClassifier::new(ShellConfig::default())
}

const TOKENS: &[&str] = &[
    "rm",
    "-rf",
    "/",
    "~",
    "git",
    "push",
    "-f",
    "origin",
    "main",
    "terraform",
    "apply",
    "destroy",
    "sudo",
    "env",
    "X=1",
    "bash",
    "-c",
    "sh",
    "python3",
    "'",
    "\"",
    "`",
    "$(",
    ")",
    "(",
    "{",
    "}",
    ";",
    "&&",
    "||",
    "|",
    "&",
    ">",
    ">>",
    "<",
    "<<",
    "<<<",
    "EOF",
    "\n",
    "\\",
    "$X",
    "${X}",
    "*",
    "?",
    "[",
    "]",
    "#",
    "!",
    "eval",
    "xargs",
    "find",
    ".",
    "-exec",
    "{}",
    "\\;",
    "-delete",
    "cd",
    "..",
    "curl",
    "https://x",
    "base64",
    "-d",
    "if",
    "then",
    "fi",
    "for",
    "in",
    "do",
    "done",
    "case",
    "esac",
    "=",
    " ",
    "  ",
    "\t",
    "é",
    "日本",
    "$'\\x72'",
    "node",
    "-e",
    "source",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..40).prop_map(|tokens| {
        let mut out = String::new();
        for (i, t) in tokens.iter().enumerate() {
            if i % 3 != 2 {
                out.push(' ');
            }
            out.push_str(t);
        }
        out
    })
}

fn check_evidence(input: &str) {
    let c = classifier().classify(input);
    for effect in &c.effects {
        let Span { start, end } = effect.evidence.span;
        assert!(
            start <= end && end <= input.len(),
            "span {start}..{end} outside {input:?}"
        );
        let spanned = input.get(start..end).expect("span on char boundaries");
        assert_eq!(spanned, effect.evidence.text, "evidence text of {input:?}");
        assert!(!effect.rule.is_empty() && !effect.reason.is_empty());
    }
    for command in &c.commands {
        assert!(input.get(command.span.start..command.span.end).is_some());
    }
}

fn has_parse_error(input: &str) -> bool {
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_bash::LANGUAGE.into())
        .expect("language");
    match parser.parse(input, None) {
        Some(tree) => tree.root_node().has_error(),
        None => true,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn never_panics_on_arbitrary_text(input in any::<String>()) {
        check_evidence(&input);
    }

    #[test]
    fn never_panics_on_lossy_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let input = String::from_utf8_lossy(&bytes).into_owned();
        check_evidence(&input);
    }

    #[test]
    fn evidence_points_into_shellish_input(input in token_soup()) {
        check_evidence(&input);
    }

    #[test]
    fn parse_errors_are_never_benign(input in token_soup()) {
        if has_parse_error(&input) {
            let c = classifier().classify(&input);
            prop_assert!(
                c.effects.iter().any(|e| e.kind == EffectKind::Unknown),
                "no unknown effect for {input:?}: {:?}", c.effects
            );
        }
    }
}

#[test]
fn nested_strings_keep_exact_evidence() {
    let input = "bash -c 'rm -rf ~' && sudo sh -c \"git push -f origin main\"";
    let c = classifier().classify(input);
    let texts: Vec<&str> = c.effects.iter().map(|e| e.evidence.text.as_str()).collect();
    assert!(texts.contains(&"~"), "{texts:?}");
    assert!(texts.contains(&"main"), "{texts:?}");
    check_evidence(input);
}

#[test]
fn very_long_and_deeply_nested_inputs_are_handled() {
    let long = "echo a; ".repeat(5000);
    check_evidence(&long);
    let deep = format!("{}rm -rf ~{}", "bash -c \"".repeat(30), "\"".repeat(30));
    check_evidence(&deep);
    let wrapped = format!("{}rm -rf /", "sudo nice ".repeat(20_000));
    let c = classifier().classify(&wrapped);
    assert!(c.effects.iter().any(|e| e.kind == EffectKind::Unknown));
    check_evidence(&wrapped);
    let substitutions = format!("{}ls{}", "$(".repeat(2000), ")".repeat(2000));
    check_evidence(&substitutions);
    let parens = format!("{}ls{}", "(".repeat(3000), ")".repeat(3000));
    check_evidence(&parens);
}
