//! The judgement of MCP tool calls. Arguments come first: those the
//! project's `[[mcp.tools]]` table names (shell, SQL, a Terraform plan, a
//! written path) and, for every tool, arguments named like a command line
//! go through the matching classifier. Only when no argument says what the
//! call does do the tool's name (its verb) and the server's annotations
//! decide. Annotations are hints: they can make a judgement stricter
//! (`destructiveHint`), and a `readOnlyHint` can only name an otherwise
//! unknown call a read; it never outweighs an argument that classifies as
//! a write or a delete. Anything else cannot be determined and escalates.

use airlock_model::{
    Classification, Effect, EffectKind, Evidence, McpToolHints, Reversibility, Risk, Span, Target,
    TargetKind,
};
use airlock_shell::ShellClassifier;
use airlock_terraform::PlanClassifier;
use serde_json::Value;

use crate::config::{McpArgumentKind, McpConfig, McpToolConfig, SqlDialect};

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

/// The classifiers an MCP call's arguments may be routed to.
pub(crate) struct McpClassifiers<'a> {
    pub shell: &'a ShellClassifier,
    pub plans: &'a PlanClassifier,
    pub config: &'a McpConfig,
}

/// One MCP call to classify.
pub(crate) struct McpCallInput<'a> {
    pub server: &'a str,
    pub tool: &'a str,
    pub arguments: &'a Value,
    pub hints: Option<&'a McpToolHints>,
}

pub(crate) fn classify(
    classifiers: &McpClassifiers<'_>,
    call: &McpCallInput<'_>,
) -> Classification {
    let target_name = format!("{}/{}", call.server, call.tool);
    let mut found = classify_arguments(classifiers, call, &target_name);
    if !found.effects.is_empty() {
        if let Some(effect) = destructive_hint_effect(call, &target_name) {
            found.effects.push(effect);
        }
        return found;
    }
    Classification {
        effects: vec![name_and_hint_effect(call, &target_name)],
        commands: Vec::new(),
    }
}

/// Effects of the arguments that carry something a classifier reads.
fn classify_arguments(
    classifiers: &McpClassifiers<'_>,
    call: &McpCallInput<'_>,
    target_name: &str,
) -> Classification {
    let mut found = Classification::default();
    let Some(object) = call.arguments.as_object() else {
        if !call.arguments.is_null() {
            found.effects.push(unknown(
                target_name,
                "cannot determine effect: the call's arguments are not an object".to_string(),
            ));
        }
        return found;
    };
    let rules: Vec<&McpToolConfig> = classifiers
        .config
        .tools
        .iter()
        .filter(|rule| rule.applies_to(call.server, call.tool))
        .collect();
    for (name, value) in object {
        let configured = rules
            .iter()
            .find_map(|rule| rule.arguments.get(name).map(|kind| (*kind, *rule)));
        let (kind, dialect) = match configured {
            Some((kind, rule)) => (kind, rule.sql_dialect),
            None if SHELL_ARGUMENTS.iter().any(|s| s.eq_ignore_ascii_case(name)) => {
                (McpArgumentKind::Shell, SqlDialect::default())
            }
            None => continue,
        };
        let inner = classify_argument(classifiers, kind, dialect, name, value, target_name);
        found.effects.extend(inner.effects);
        found.commands.extend(inner.commands);
    }
    found
}

fn classify_argument(
    classifiers: &McpClassifiers<'_>,
    kind: McpArgumentKind,
    dialect: SqlDialect,
    name: &str,
    value: &Value,
    target_name: &str,
) -> Classification {
    let not_text = |what: &str| Classification {
        effects: vec![unknown(
            target_name,
            format!(
                "cannot determine effect: argument `{name}` should be {what} but is not a string"
            ),
        )],
        commands: Vec::new(),
    };
    match (kind, value) {
        (McpArgumentKind::Shell, Value::String(command)) => classifiers.shell.classify(command),
        (McpArgumentKind::Shell, _) => not_text("a command line"),
        (McpArgumentKind::Sql, Value::String(sql)) => {
            classifiers.shell.classify(&dialect.client_command(sql))
        }
        (McpArgumentKind::Sql, _) => not_text("SQL"),
        (McpArgumentKind::WrittenPath, Value::String(path)) => {
            airlock_shell::paths::classify_write(path, None, classifiers.shell.config())
        }
        (McpArgumentKind::WrittenPath, _) => not_text("a path"),
        (McpArgumentKind::TerraformPlan, value) => {
            let text = match value {
                Value::String(text) => text.clone(),
                Value::Object(_) => value.to_string(),
                _ => return not_text("a Terraform plan (JSON text or object)"),
            };
            match classifiers.plans.classify(&text, None) {
                Ok(report) => report.classification,
                Err(err) => Classification {
                    effects: vec![unknown(
                        target_name,
                        format!("cannot determine effect: argument `{name}` is not a readable Terraform plan: {err}"),
                    )],
                    commands: Vec::new(),
                },
            }
        }
    }
}

/// A server that declares a tool destructive is taken at its word, on top
/// of whatever the arguments showed.
fn destructive_hint_effect(call: &McpCallInput<'_>, target_name: &str) -> Option<Effect> {
    let hints = call.hints?;
    if hints.destructive_hint == Some(true) && hints.read_only_hint != Some(true) {
        Some(hint_effect(
            EffectKind::Delete,
            Risk::High,
            target_name,
            "mcp.hint.destructive",
            format!(
                "MCP server `{}` declares tool `{}` destructive (destructiveHint)",
                call.server, call.tool
            ),
        ))
    } else {
        None
    }
}

/// The effect the tool's name and annotations suggest when no argument
/// says more: the stricter of the two, a read-only claim only ever turning
/// an unknown into a read.
fn name_and_hint_effect(call: &McpCallInput<'_>, target_name: &str) -> Effect {
    let verb_effect = call
        .tool
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .find_map(|word| {
            VERB_TABLE
                .iter()
                .find(|(verbs, _, _)| verbs.iter().any(|v| v.eq_ignore_ascii_case(word)))
                .map(|(_, kind, risk)| (word, *kind, *risk))
        })
        .map(|(verb, kind, risk)| Effect {
            kind,
            target: Target::new(TargetKind::Resource, target_name),
            reversibility: if kind == EffectKind::Delete {
                Reversibility::Irreversible
            } else {
                Reversibility::Unknown
            },
            risk,
            rule: format!("mcp.verb.{}", kind.as_str()),
            reason: format!(
                "MCP tool `{}` on server `{}` is named as a {verb} operation",
                call.tool, call.server
            ),
            evidence: Evidence {
                span: Span::new(0, 0),
                text: target_name.to_string(),
            },
        });
    let hints = call.hints.copied().unwrap_or_default();
    let declared_destructive = destructive_hint_effect(call, target_name);
    match (verb_effect, declared_destructive) {
        (Some(verb), _) if verb.kind == EffectKind::Delete => verb,
        (_, Some(declared)) => declared,
        (Some(verb), None) => verb,
        (None, None) if hints.read_only_hint == Some(true) => hint_effect(
            EffectKind::Read,
            Risk::Low,
            target_name,
            "mcp.hint.read_only",
            format!(
                "MCP server `{}` declares tool `{}` read-only (readOnlyHint); its arguments show nothing else",
                call.server, call.tool
            ),
        ),
        (None, None) if hints.destructive_hint == Some(false) => hint_effect(
            EffectKind::Write,
            Risk::Medium,
            target_name,
            "mcp.hint.additive",
            format!(
                "MCP server `{}` declares tool `{}` not destructive (destructiveHint: false): an additive change",
                call.server, call.tool
            ),
        ),
        (None, None) => unknown(
            target_name,
            format!(
                "cannot determine effect: MCP tool `{}` on server `{}` has no recognised verb",
                call.tool, call.server
            ),
        ),
    }
}

fn hint_effect(
    kind: EffectKind,
    risk: Risk,
    target_name: &str,
    rule: &str,
    reason: String,
) -> Effect {
    Effect {
        kind,
        target: Target::new(TargetKind::Resource, target_name),
        reversibility: if kind == EffectKind::Delete {
            Reversibility::Irreversible
        } else {
            Reversibility::Unknown
        },
        risk,
        rule: rule.to_string(),
        reason,
        evidence: Evidence {
            span: Span::new(0, 0),
            text: target_name.to_string(),
        },
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
    use std::collections::BTreeMap;

    struct Fixture {
        shell: ShellClassifier,
        plans: PlanClassifier,
        config: McpConfig,
    }

    impl Fixture {
        fn new(config: McpConfig) -> Self {
            Fixture {
                shell: ShellClassifier::new(Default::default()),
                plans: PlanClassifier::new(Default::default()),
                config,
            }
        }

        fn classify(
            &self,
            server: &str,
            tool: &str,
            arguments: Value,
            hints: Option<McpToolHints>,
        ) -> Classification {
            classify(
                &McpClassifiers {
                    shell: &self.shell,
                    plans: &self.plans,
                    config: &self.config,
                },
                &McpCallInput {
                    server,
                    tool,
                    arguments: &arguments,
                    hints: hints.as_ref(),
                },
            )
        }
    }

    fn kinds(c: &Classification) -> Vec<EffectKind> {
        c.effects.iter().map(|e| e.kind).collect()
    }

    fn sql_tool() -> McpConfig {
        McpConfig {
            tools: vec![McpToolConfig {
                server: Some("warehouse".into()),
                tool: "run_sql".into(),
                sql_dialect: SqlDialect::Postgres,
                arguments: BTreeMap::from([("query".to_string(), McpArgumentKind::Sql)]),
            }],
        }
    }

    fn read_only() -> Option<McpToolHints> {
        Some(McpToolHints {
            read_only_hint: Some(true),
            ..Default::default()
        })
    }

    #[test]
    fn a_command_argument_is_judged_as_shell() {
        let f = Fixture::new(McpConfig::default());
        let c = f.classify("ops", "run", json!({"command": "rm -rf /"}), None);
        assert!(c.effects.iter().any(|e| e.kind == EffectKind::Delete));
    }

    #[test]
    fn verbs_in_tool_names_decide_otherwise() {
        let f = Fixture::new(McpConfig::default());
        assert_eq!(
            kinds(&f.classify("fs", "read_file", json!({}), None)),
            [EffectKind::Read]
        );
        assert_eq!(
            kinds(&f.classify("db", "drop_table", json!({"name": "users"}), None)),
            [EffectKind::Delete]
        );
        assert_eq!(
            kinds(&f.classify("x", "frobnicate", json!({}), None)),
            [EffectKind::Unknown]
        );
    }

    #[test]
    fn a_configured_sql_argument_is_parsed_as_sql() {
        let f = Fixture::new(sql_tool());
        let drop = f.classify(
            "warehouse",
            "run_sql",
            json!({"query": "DROP TABLE users"}),
            None,
        );
        assert!(
            drop.effects.iter().any(|e| e.kind == EffectKind::Delete),
            "{drop:?}"
        );
        let select = f.classify("warehouse", "run_sql", json!({"query": "SELECT 1"}), None);
        assert_eq!(kinds(&select), [EffectKind::Read], "{select:?}");
    }

    #[test]
    fn a_rule_for_one_server_does_not_apply_to_another() {
        let f = Fixture::new(sql_tool());
        let other = f.classify(
            "elsewhere",
            "run_sql",
            json!({"query": "DROP TABLE users"}),
            None,
        );
        assert_eq!(kinds(&other), [EffectKind::Unknown], "{other:?}");
    }

    #[test]
    fn a_read_only_claim_never_outweighs_destructive_arguments() {
        let f = Fixture::new(sql_tool());
        let c = f.classify(
            "warehouse",
            "run_sql",
            json!({"query": "DELETE FROM users"}),
            read_only(),
        );
        assert!(
            c.effects.iter().any(|e| e.kind == EffectKind::Delete),
            "{c:?}"
        );
        let shell = f.classify(
            "ops",
            "inspect",
            json!({"command": "rm -rf /srv"}),
            read_only(),
        );
        assert!(shell.effects.iter().any(|e| e.kind == EffectKind::Delete));
    }

    #[test]
    fn a_read_only_claim_names_an_unknown_tool_a_read_but_never_lowers_a_verb() {
        let f = Fixture::new(McpConfig::default());
        let c = f.classify("x", "frobnicate", json!({}), read_only());
        assert_eq!(kinds(&c), [EffectKind::Read]);
        assert_eq!(c.effects[0].rule, "mcp.hint.read_only");
        let c = f.classify("x", "delete_everything", json!({}), read_only());
        assert_eq!(kinds(&c), [EffectKind::Delete]);
    }

    #[test]
    fn a_destructive_claim_makes_the_judgement_stricter() {
        let f = Fixture::new(McpConfig::default());
        let hints = Some(McpToolHints {
            destructive_hint: Some(true),
            ..Default::default()
        });
        let c = f.classify("x", "get_thing", json!({}), hints);
        assert_eq!(kinds(&c), [EffectKind::Delete]);
        assert_eq!(c.effects[0].rule, "mcp.hint.destructive");
        let c = f.classify("ops", "run", json!({"command": "ls"}), hints);
        assert!(c.effects.iter().any(|e| e.rule == "mcp.hint.destructive"));
    }

    #[test]
    fn written_paths_and_plans_go_to_their_classifiers() {
        let config = McpConfig {
            tools: vec![McpToolConfig {
                server: None,
                tool: "write_file".into(),
                sql_dialect: SqlDialect::default(),
                arguments: BTreeMap::from([
                    ("path".to_string(), McpArgumentKind::WrittenPath),
                    ("plan".to_string(), McpArgumentKind::TerraformPlan),
                ]),
            }],
        };
        let f = Fixture::new(config);
        let c = f.classify("fs", "write_file", json!({"path": "/etc/passwd"}), None);
        assert!(
            c.effects
                .iter()
                .any(|e| e.target.sensitivity == airlock_model::Sensitivity::Critical),
            "{c:?}"
        );
        let c = f.classify("fs", "write_file", json!({"plan": "{not json"}), None);
        assert_eq!(kinds(&c), [EffectKind::Unknown]);
        let c = f.classify("fs", "write_file", json!({"path": 7}), None);
        assert_eq!(kinds(&c), [EffectKind::Unknown]);
    }

    #[test]
    fn arguments_that_are_not_an_object_cannot_be_judged() {
        let f = Fixture::new(McpConfig::default());
        let c = f.classify("fs", "read_file", json!(["x"]), None);
        assert_eq!(kinds(&c), [EffectKind::Unknown]);
    }
}
