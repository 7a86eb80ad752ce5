//! One planned resource change: what Terraform's action list means, and the
//! effect applying it would have (kind, risk, reversibility, reason).

use airlock_model::{
    Effect, EffectKind, EnvTier, Evidence, Reversibility, Risk, Span, Target, TargetKind,
};
use serde::Serialize;

/// The order of a replacement's two halves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplaceOrder {
    /// `["delete","create"]`: the old object goes first, so there is downtime.
    DeleteThenCreate,
    /// `["create","delete"]` (`create_before_destroy`): the new object comes
    /// first, but the old object is still destroyed.
    CreateThenDelete,
}

/// What Terraform will do to one resource instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangeAction {
    NoOp,
    Create,
    Read,
    Update,
    Delete,
    Replace {
        order: ReplaceOrder,
    },
    /// `["forget"]` (a `removed` block with `destroy = false`): dropped from
    /// state, the real object left alone.
    Forget,
    /// `["create","forget"]`: a new object is created and the old one is
    /// dropped from state without being destroyed.
    CreateThenForget,
    /// An action list airlock does not know.
    Unrecognized,
}

impl ChangeAction {
    /// Reads Terraform's `actions` list.
    pub fn from_actions<S: AsRef<str>>(actions: &[S]) -> ChangeAction {
        let words: Vec<&str> = actions.iter().map(AsRef::as_ref).collect();
        match words.as_slice() {
            ["no-op"] => ChangeAction::NoOp,
            ["create"] => ChangeAction::Create,
            ["read"] => ChangeAction::Read,
            ["update"] => ChangeAction::Update,
            ["delete"] => ChangeAction::Delete,
            ["delete", "create"] => ChangeAction::Replace {
                order: ReplaceOrder::DeleteThenCreate,
            },
            ["create", "delete"] => ChangeAction::Replace {
                order: ReplaceOrder::CreateThenDelete,
            },
            ["forget"] => ChangeAction::Forget,
            ["create", "forget"] => ChangeAction::CreateThenForget,
            _ => ChangeAction::Unrecognized,
        }
    }

    /// The action in words, as approvers read it.
    pub fn describe(&self) -> &'static str {
        match self {
            ChangeAction::NoOp => "leave unchanged",
            ChangeAction::Create => "create",
            ChangeAction::Read => "read",
            ChangeAction::Update => "update in place",
            ChangeAction::Delete => "destroy",
            ChangeAction::Replace {
                order: ReplaceOrder::DeleteThenCreate,
            } => "replace (delete then create)",
            ChangeAction::Replace {
                order: ReplaceOrder::CreateThenDelete,
            } => "replace (create before destroy; the old object is still destroyed)",
            ChangeAction::Forget => "forget (remove from state without destroying)",
            ChangeAction::CreateThenForget => {
                "replace without destroying (create, then forget the old object)"
            }
            ChangeAction::Unrecognized => "apply an unrecognised action to",
        }
    }

    /// Whether the old object's values matter for environment inference.
    pub(crate) fn touches_existing_object(&self) -> bool {
        !matches!(
            self,
            ChangeAction::NoOp | ChangeAction::Create | ChangeAction::Read
        )
    }
}

/// What `terraform show -json` says about one resource instance, and what
/// airlock makes of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceChange {
    pub address: String,
    /// The address in the previous run, when a `moved` block renamed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module_address: Option<String>,
    /// `managed` or `data`.
    pub mode: String,
    pub resource_type: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_name: Option<String>,
    /// Set when the change is to a deposed object (left over from a failed
    /// create-before-destroy replacement) rather than the current one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deposed: Option<String>,
    /// Terraform's action list, verbatim.
    pub actions: Vec<String>,
    pub action: ChangeAction,
    /// The action in words ("replace (delete then create)").
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_reason: Option<String>,
    /// Attributes that force replacement, as paths (`triggers_replace`,
    /// `network[0].cidr`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replace_paths: Vec<String>,
    /// Set when an `import` block brings an existing object under
    /// management: the import id, or `""` if the plan does not show it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub importing: Option<String>,
    pub environment: EnvTier,
    /// What decided `environment`; `None` when nothing did (the caller's
    /// environment hint then applies).
    pub environment_evidence: Option<String>,
    /// Byte range of this change's object in the plan text.
    pub span: Span,
}

impl ResourceChange {
    /// Whether this change moves the resource to a new address.
    pub fn is_move(&self) -> bool {
        self.previous_address
            .as_deref()
            .is_some_and(|previous| previous != self.address)
    }

    /// The effect applying this change would have, or `None` for a change
    /// that does nothing (no-op without import or move).
    pub fn effect(&self) -> Option<Effect> {
        let in_production = self.environment == EnvTier::Production;
        let destructive_risk = if in_production {
            Risk::Critical
        } else {
            Risk::High
        };
        let (kind, risk, reversibility, rule) = if self.mode == "data" {
            match self.action {
                ChangeAction::NoOp => return self.state_only_effect(),
                _ => (
                    EffectKind::Read,
                    Risk::None,
                    Reversibility::Reversible,
                    "terraform.plan.data_read",
                ),
            }
        } else {
            match self.action {
                ChangeAction::NoOp => return self.state_only_effect(),
                ChangeAction::Create => (
                    EffectKind::Write,
                    Risk::Low,
                    Reversibility::Reversible,
                    "terraform.plan.create",
                ),
                ChangeAction::Read => (
                    EffectKind::Read,
                    Risk::None,
                    Reversibility::Reversible,
                    "terraform.plan.read",
                ),
                ChangeAction::Update => (
                    EffectKind::Write,
                    Risk::Low,
                    Reversibility::Reversible,
                    "terraform.plan.update",
                ),
                ChangeAction::Delete => (
                    EffectKind::Destroy,
                    destructive_risk,
                    Reversibility::Irreversible,
                    "terraform.plan.destroy",
                ),
                ChangeAction::Replace { .. } => (
                    EffectKind::Replace,
                    destructive_risk,
                    Reversibility::Irreversible,
                    "terraform.plan.replace",
                ),
                ChangeAction::Forget => (
                    EffectKind::Overwrite,
                    Risk::Medium,
                    Reversibility::Reversible,
                    "terraform.plan.forget",
                ),
                ChangeAction::CreateThenForget => (
                    EffectKind::Overwrite,
                    Risk::Medium,
                    Reversibility::Reversible,
                    "terraform.plan.create_then_forget",
                ),
                ChangeAction::Unrecognized => (
                    EffectKind::Unknown,
                    Risk::High,
                    Reversibility::Unknown,
                    "terraform.plan.unrecognized_action",
                ),
            }
        };
        Some(self.build_effect(kind, risk, reversibility, rule, self.describe_action()))
    }

    /// A no-op that still changes state: an import or a move.
    fn state_only_effect(&self) -> Option<Effect> {
        let words = if let Some(id) = &self.importing {
            if id.is_empty() {
                "import an existing object into state as".to_owned()
            } else {
                format!("import existing object `{id}` into state as")
            }
        } else if self.is_move() {
            "move in state (no change to the object)".to_owned()
        } else {
            return None;
        };
        let rule = if self.importing.is_some() {
            "terraform.plan.import"
        } else {
            "terraform.plan.move"
        };
        Some(self.build_effect(
            EffectKind::Write,
            Risk::Low,
            Reversibility::Reversible,
            rule,
            words,
        ))
    }

    fn describe_action(&self) -> String {
        match (&self.action, &self.deposed) {
            (ChangeAction::Unrecognized, _) => {
                format!("apply unrecognised actions {:?} to", self.actions)
            }
            (action, Some(key)) => format!("{} deposed object `{key}` of", action.describe()),
            (action, None) => action.describe().to_owned(),
        }
    }

    fn build_effect(
        &self,
        kind: EffectKind,
        risk: Risk,
        reversibility: Reversibility,
        rule: &str,
        words: String,
    ) -> Effect {
        Effect {
            kind,
            target: Target::new(TargetKind::Resource, self.address.clone())
                .with_environment(self.environment),
            reversibility,
            risk,
            rule: rule.to_owned(),
            reason: self.reason(&words),
            evidence: Evidence {
                span: self.span,
                text: self.address.clone(),
            },
        }
    }

    /// "Applying this plan would replace (delete then create)
    /// `terraform_data.x` in production, because …".
    fn reason(&self, words: &str) -> String {
        let mut reason = format!("Applying this plan would {words} `{}`", self.address);
        match self.environment {
            EnvTier::Unknown => {}
            EnvTier::Scratch => reason.push_str(" in a scratch environment"),
            tier => {
                reason.push_str(" in ");
                reason.push_str(tier.as_str());
            }
        }
        if let Some(action_reason) = &self.action_reason {
            reason.push_str(", because ");
            if let Some(explained) = explain_action_reason(action_reason) {
                reason.push_str(explained);
                reason.push_str(" (");
                reason.push_str(action_reason);
                reason.push(')');
            } else {
                reason.push_str(action_reason);
            }
        }
        if !self.replace_paths.is_empty() {
            reason.push_str("; replacement forced by ");
            let paths: Vec<String> = self
                .replace_paths
                .iter()
                .map(|p| format!("`{p}`"))
                .collect();
            reason.push_str(&paths.join(", "));
        }
        if self.is_move() {
            if let Some(previous) = &self.previous_address {
                reason.push_str(&format!("; moved from `{previous}`"));
            }
        }
        if let (Some(id), false) = (&self.importing, self.action == ChangeAction::NoOp) {
            if id.is_empty() {
                reason.push_str("; imported");
            } else {
                reason.push_str(&format!("; imported from `{id}`"));
            }
        }
        reason.push('.');
        reason
    }
}

/// Terraform's `action_reason` values in words.
fn explain_action_reason(reason: &str) -> Option<&'static str> {
    Some(match reason {
        "replace_because_tainted" => "the object is tainted",
        "replace_because_cannot_update" => "a changed attribute cannot be updated in place",
        "replace_by_request" => "replacement was requested with -replace",
        "replace_by_triggers" => "an object named in replace_triggered_by changed",
        "delete_because_no_resource_config" => {
            "its resource block is no longer in the configuration"
        }
        "delete_because_no_module" => "its module is no longer in the configuration",
        "delete_because_wrong_repetition" => "the resource switched between count and for_each",
        "delete_because_count_index" => "its count index is beyond the new count",
        "delete_because_each_key" => "its for_each key is no longer in the map",
        "delete_because_no_move_target" => "the target of its moved block does not exist",
        "read_because_config_unknown" => "its configuration depends on values known only at apply",
        "read_because_dependency_pending" => "it depends on a change still pending",
        "read_because_check_nested" => "a check block reads it",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_lists_map_to_actions() {
        assert_eq!(
            ChangeAction::from_actions(&["delete", "create"]),
            ChangeAction::Replace {
                order: ReplaceOrder::DeleteThenCreate
            }
        );
        assert_eq!(
            ChangeAction::from_actions(&["create", "delete"]),
            ChangeAction::Replace {
                order: ReplaceOrder::CreateThenDelete
            }
        );
        assert_eq!(
            ChangeAction::from_actions(&["forget"]),
            ChangeAction::Forget
        );
        assert_eq!(ChangeAction::from_actions(&["no-op"]), ChangeAction::NoOp);
        assert_eq!(
            ChangeAction::from_actions(&["delete", "delete"]),
            ChangeAction::Unrecognized
        );
    }

    #[test]
    fn change_action_serialises_with_its_order() {
        let json = serde_json::to_value(ChangeAction::Replace {
            order: ReplaceOrder::CreateThenDelete,
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "replace", "order": "create_then_delete"})
        );
    }
}
