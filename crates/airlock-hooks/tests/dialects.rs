//! Invariants every dialect keeps, whatever its agent's shape: unreadable
//! input is an error (never an allow), and no answer but an allow lets the
//! call through.

use airlock_hooks::{dialect, Dialect, HookResponse, HookVerdict, DIALECTS};

fn all() -> Vec<&'static dyn Dialect> {
    DIALECTS
        .iter()
        .map(|name| dialect(name).expect("registered"))
        .collect()
}

/// Whether `response` lets the tool run in the agent `name`.
fn lets_it_run(name: &str, response: &HookResponse) -> bool {
    let json: Option<serde_json::Value> = serde_json::from_str(&response.stdout).ok();
    let field = |pointer: &str| {
        json.as_ref()
            .and_then(|v| v.pointer(pointer))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    match name {
        // Exit code 2 blocks whatever stdout says.
        "claude" | "codex" | "gemini" | "kiro" if response.exit_code == 2 => false,
        "claude" | "codex" => {
            field("/hookSpecificOutput/permissionDecision").as_deref() != Some("deny")
                && field("/hookSpecificOutput/permissionDecision").as_deref() != Some("ask")
        }
        "gemini" => !matches!(field("/decision").as_deref(), Some("deny" | "ask")),
        "cursor" => {
            response.exit_code != 2
                && !matches!(field("/permission").as_deref(), Some("deny" | "ask"))
        }
        // Exit codes never block in Copilot.
        "copilot" => field("/permissionDecision").as_deref() != Some("deny"),
        "kiro" => true,
        other => panic!("no model of {other}"),
    }
}

#[test]
fn unreadable_payloads_are_errors_in_every_dialect() {
    let garbage: [&[u8]; 7] = [
        b"",
        b"   ",
        b"not json",
        b"\xff\xfe",
        b"[]",
        b"null",
        b"{\"tool_name\": 1}",
    ];
    for dialect in all() {
        for payload in garbage {
            assert!(
                dialect.parse(payload).is_err(),
                "{} accepted {:?}",
                dialect.name(),
                String::from_utf8_lossy(payload)
            );
        }
    }
}

#[test]
fn only_an_allow_lets_the_call_run() {
    for dialect in all() {
        let name = dialect.name();
        assert!(
            lets_it_run(name, &dialect.render(HookVerdict::Allow, "ok")),
            "{name}"
        );
        for verdict in [HookVerdict::Deny, HookVerdict::Escalate] {
            for reason in ["airlock: this needs approval (1 approver): x", ""] {
                let response = dialect.render(verdict, reason);
                assert!(
                    !lets_it_run(name, &response),
                    "{name} {verdict:?} {response:?}"
                );
            }
        }
        for reason in ["bad input", ""] {
            let response = dialect.render_failure(reason);
            assert!(!lets_it_run(name, &response), "{name} failure {response:?}");
            let text = format!("{}{}", response.stdout, response.stderr);
            assert!(
                text.contains("airlock blocked this tool call"),
                "{name}: {text}"
            );
        }
    }
}
