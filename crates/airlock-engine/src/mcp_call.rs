//! A first judgement of MCP tool calls: arguments that carry a shell command
//! go through the shell classifier; otherwise the verb in the tool's name
//! says whether it reads, writes or deletes; anything else cannot be
//! determined and escalates.

use airlock_model::{
    Classification, Effect, EffectKind, Evidence, Reversibility, Risk, Span, Target, TargetKind,
};
use airlock_shell::ShellClassifier;
use serde_json::Value;

/// Argument names whose string value is a shell command line.
const SHELL_ARGUMENTS: &[&str] = &["command", "cmd", "shell", "script", "bash"];

/// The verbs a tool name may start or end with, and what they do.
const VERB_TABLE: &[(&[&str], EffectKind, Risk)] = &[
    (
        &[
            "get", "list", "read", "search", "find", "describe", "show", "fetch", "view", "lookup",
            "status", "count", "query", "inspect", "diff",
        ],
        EffectKind::Read,
        Risk::None,
    ),
    (
        &[
            "delete",
            "drop",
            "remove",
            "destroy",
            "purge",
            "truncate",
            "terminate",
            "kill",
            "wipe",
            "erase",
            "revoke",
            "uninstall",
        ],
        EffectKind::Delete,
        Risk::High,
    ),
    (
        &[
            "create", "write", "update", "put", "set", "add", "insert", "edit", "move", "rename",
            "upload", "post", "send", "patch", "comment", "append",
        ],
        EffectKind::Write,
        Risk::Medium,
    ),
];

pub(crate) fn classify(
    shell: &ShellClassifier,
    server: &str,
    tool: &str,
    arguments: &Value,
) -> Classification {
    let target_name = format!("{server}/{tool}");
    if let Some(object) = arguments.as_object() {
        let mut found = Classification::default();
        for (name, value) in object {
            let is_shell = SHELL_ARGUMENTS.iter().any(|s| s.eq_ignore_ascii_case(name));
            match (is_shell, value) {
                (true, Value::String(command)) => {
                    let inner = shell.classify(command);
                    found.effects.extend(inner.effects);
                    found.commands.extend(inner.commands);
                }
                (true, _) => found.effects.push(unknown(
                    &target_name,
                    format!("argument `{name}` should be a command line but is not a string"),
                )),
                (false, _) => {}
            }
        }
        if !found.effects.is_empty() {
            return found;
        }
    }
    let verb_effect = tool
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .find_map(|word| {
            VERB_TABLE
                .iter()
                .find(|(verbs, _, _)| verbs.iter().any(|v| v.eq_ignore_ascii_case(word)))
                .map(|(_, kind, risk)| (word, *kind, *risk))
        });
    let effect = match verb_effect {
        Some((verb, kind, risk)) => Effect {
            kind,
            target: Target::new(TargetKind::Resource, target_name.clone()),
            reversibility: if kind == EffectKind::Delete {
                Reversibility::Irreversible
            } else {
                Reversibility::Unknown
            },
            risk,
            rule: format!("mcp.verb.{}", kind.as_str()),
            reason: format!("MCP tool `{tool}` on server `{server}` is named as a {verb} operation"),
            evidence: Evidence {
                span: Span::new(0, 0),
                text: target_name,
            },
        },
        None => unknown(
            &target_name,
            format!("cannot determine effect: MCP tool `{tool}` on server `{server}` has no recognised verb"),
        ),
    };
    Classification {
        effects: vec![effect],
        commands: Vec::new(),
    }
}

fn unknown(target: &str, reason: String) -> Effect {
    Effect {
        kind: EffectKind::Unknown,
        target: Target::new(TargetKind::Resource, target),
        reversibility: Reversibility::Unknown,
        risk: Risk::Medium,
        rule: "mcp.unknown".to_string(),
        reason,
        evidence: Evidence {
            span: Span::new(0, 0),
            text: target.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kinds(c: &Classification) -> Vec<EffectKind> {
        c.effects.iter().map(|e| e.kind).collect()
    }

    #[test]
    fn a_command_argument_is_judged_as_shell() {
        let shell = ShellClassifier::new(Default::default());
        let c = classify(&shell, "ops", "run", &json!({"command": "rm -rf /"}));
        assert!(c.effects.iter().any(|e| e.kind == EffectKind::Delete));
    }

    #[test]
    fn verbs_in_tool_names_decide_otherwise() {
        let shell = ShellClassifier::new(Default::default());
        assert_eq!(
            kinds(&classify(&shell, "fs", "read_file", &json!({}))),
            [EffectKind::Read]
        );
        assert_eq!(
            kinds(&classify(
                &shell,
                "db",
                "drop_table",
                &json!({"name": "users"})
            )),
            [EffectKind::Delete]
        );
        assert_eq!(
            kinds(&classify(&shell, "x", "frobnicate", &json!({}))),
            [EffectKind::Unknown]
        );
    }
}
