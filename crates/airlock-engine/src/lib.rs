//! The decision pipeline: an [`ActionRequest`] goes to the classifier for its
//! tool (shell, file write, Terraform plan, MCP call), the effects found are
//! judged by the policy engine, and the result is an [`Evaluation`]: the
//! effects, the plan's resource changes where there was a plan, and the
//! [`Decision`].
//!
//! Everything that can fail on input turns into an `unknown` effect
//! ("cannot determine effect: …"), which policy never treats as harmless.

pub mod config;
pub mod eval;
mod mcp_call;

use std::path::PathBuf;

use airlock_model::{
    ActionRequest, Classification, Decision, Effect, EffectKind, EnvTier, Evidence, McpToolHints,
    Reversibility, Risk, Span, Target, TargetKind, ToolInput,
};
use airlock_policy::{PolicyEngine, PolicyError, Principal};
use airlock_shell::ShellClassifier;
use airlock_terraform::{PlanClassifier, PlanReport};
use serde::Serialize;

pub use config::{Config, LoadedConfig, McpArgumentKind, McpConfig, McpToolConfig, SqlDialect};

/// Why an engine could not be built.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot read config {}: {source}", path.display())]
    ConfigIo {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config {}: {message}", path.display())]
    ConfigSyntax { path: PathBuf, message: String },
    #[error(transparent)]
    Policy(#[from] PolicyError),
}

/// What airlock found and decided for one request.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub classification: Classification,
    /// The plan's resource changes, for Terraform plan requests that parsed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanReport>,
    /// Set when the input itself could not be read (a malformed plan). The
    /// decision then rests on an `unknown` effect, never on an allow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_error: Option<String>,
    pub decision: Decision,
}

/// Classifiers and policy, built once and reused for every request.
pub struct Engine {
    config: LoadedConfig,
    shell: ShellClassifier,
    plans: PlanClassifier,
    policy: PolicyEngine,
}

impl Engine {
    /// Builds the pipeline a configuration describes: its classifier settings
    /// and its policies (strictly validated).
    ///
    /// The classifiers are built on a second thread while the policies load:
    /// a hook pays this start-up on every tool call, and most of it is Cedar
    /// reading policies.
    pub fn new(config: LoadedConfig) -> Result<Self, EngineError> {
        let sources = config.policy_sources();
        let (policy, (shell, plans)) = std::thread::scope(|scope| {
            let classifiers = scope.spawn(|| {
                (
                    ShellClassifier::new(config.config.shell.clone()),
                    PlanClassifier::new(config.config.terraform.clone()),
                )
            });
            let policy = match policy_cache_dir() {
                Some(dir) if !sources.dirs.is_empty() => PolicyEngine::load_cached(&sources, &dir),
                _ => PolicyEngine::load(&sources),
            };
            let classifiers = classifiers.join().unwrap_or_else(|_| {
                (
                    ShellClassifier::new(config.config.shell.clone()),
                    PlanClassifier::new(config.config.terraform.clone()),
                )
            });
            (policy, classifiers)
        });
        Ok(Engine {
            shell,
            plans,
            policy: policy?,
            config,
        })
    }

    /// The pipeline with built-in defaults only.
    pub fn with_defaults() -> Result<Self, EngineError> {
        Self::new(LoadedConfig::default())
    }

    pub fn config(&self) -> &LoadedConfig {
        &self.config
    }

    pub fn policy(&self) -> &PolicyEngine {
        &self.policy
    }

    /// The principal of local use (hooks, CLI): the configured agent, its
    /// roles, and the operator it acts for.
    pub fn local_principal(&self) -> Principal {
        let agent = &self.config.config.agent;
        Principal {
            agent: agent.id.clone(),
            roles: agent.roles.clone(),
            operator: agent
                .operator
                .clone()
                .or_else(|| std::env::var("USER").ok()),
            tenant: agent.tenant.clone(),
        }
    }

    /// A shell request from the local agent.
    pub fn local_shell_request(&self, command: &str, cwd: Option<String>) -> ActionRequest {
        let agent = &self.config.config.agent;
        let mut request = ActionRequest::new(
            agent.id.clone(),
            agent.tenant.clone(),
            ToolInput::Shell {
                command: command.to_string(),
            },
        );
        request.cwd = cwd;
        request
    }

    /// Classifies a request's effects, without judging them.
    pub fn classify(
        &self,
        request: &ActionRequest,
    ) -> (Classification, Option<PlanReport>, Option<String>) {
        let (mut classification, plan, input_error) = match &request.input {
            ToolInput::Shell { command } => (self.shell.classify(command), None, None),
            ToolInput::FileWrite { path, .. } => (
                airlock_shell::paths::classify_write(
                    path,
                    request.cwd.as_deref(),
                    &self.config.config.shell,
                ),
                None,
                None,
            ),
            ToolInput::TerraformPlan { plan_json, .. } => {
                match self.plans.classify(plan_json, None) {
                    Ok(report) => (report.classification.clone(), Some(report), None),
                    Err(err) => {
                        let message = err.to_string();
                        (unreadable_plan(&message), None, Some(message))
                    }
                }
            }
            ToolInput::McpCall {
                server,
                tool,
                arguments,
                annotations,
            } => (
                mcp_call::classify(
                    &mcp_call::McpClassifiers {
                        shell: &self.shell,
                        plans: &self.plans,
                        config: &self.config.config.mcp,
                    },
                    &mcp_call::McpCallInput {
                        server,
                        tool,
                        arguments,
                        hints: annotations.as_ref(),
                    },
                ),
                None,
                None,
            ),
        };
        if let Some(tier) = request.environment.as_deref().and_then(EnvTier::parse) {
            apply_environment_hint(&mut classification, tier);
        }
        (classification, plan, input_error)
    }

    /// Classifies and judges one request on behalf of `principal`.
    pub fn evaluate_as(&self, principal: &Principal, request: &ActionRequest) -> Evaluation {
        let (classification, plan, input_error) = self.classify(request);
        let decision = self
            .policy
            .decide(principal, request.tool_kind(), &classification);
        Evaluation {
            classification,
            plan,
            input_error,
            decision,
        }
    }

    /// Classifies and judges one request on behalf of the local agent.
    pub fn evaluate(&self, request: &ActionRequest) -> Evaluation {
        self.evaluate_as(&self.local_principal(), request)
    }

    /// The verdict a call to an MCP tool gets from its name and annotations
    /// alone, before any argument is seen. A tool whose verdict is deny is
    /// one the local agent may never call: the MCP gateway leaves it out of
    /// `tools/list`.
    pub fn mcp_tool_listing_verdict(
        &self,
        server: &str,
        tool: &str,
        annotations: Option<McpToolHints>,
    ) -> Decision {
        let agent = &self.config.config.agent;
        let request = ActionRequest::new(
            agent.id.clone(),
            agent.tenant.clone(),
            ToolInput::McpCall {
                server: server.to_string(),
                tool: tool.to_string(),
                arguments: serde_json::Value::Object(Default::default()),
                annotations,
            },
        );
        self.evaluate(&request).decision
    }
}

/// Where compiled policy sets are kept, so that a hook process parses and
/// validates a project's policies once per change rather than on every
/// call: `$XDG_CACHE_HOME/airlock/policies` or `~/.cache/airlock/policies`.
/// The policy files are still read and hashed on every load and an entry is
/// used only for the exact same sources; see
/// [`PolicyEngine::load_cached`].
fn policy_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("airlock").join("policies"))
}

/// Fills the caller's environment hint into targets whose environment no
/// classifier recognised.
fn apply_environment_hint(classification: &mut Classification, tier: EnvTier) {
    for effect in &mut classification.effects {
        if effect.target.environment == EnvTier::Unknown {
            effect.target.environment = tier;
        }
    }
}

fn unreadable_plan(message: &str) -> Classification {
    Classification {
        effects: vec![Effect {
            kind: EffectKind::Unknown,
            target: Target::new(TargetKind::Resource, "terraform plan"),
            reversibility: Reversibility::Unknown,
            risk: Risk::High,
            rule: "terraform.plan.unreadable".to_string(),
            reason: format!("cannot determine effect: the plan could not be read: {message}"),
            evidence: Evidence {
                span: Span::new(0, 0),
                text: String::new(),
            },
        }],
        commands: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use airlock_model::Verdict;

    fn engine() -> Engine {
        Engine::with_defaults().expect("default engine")
    }

    #[test]
    fn a_harmless_command_is_allowed() {
        let e = engine();
        let ev = e.evaluate(&ActionRequest::shell("a", "git status"));
        assert_eq!(ev.decision.verdict, Verdict::Allow, "{:?}", ev.decision);
    }

    #[test]
    fn a_malformed_plan_is_never_allowed_and_reports_the_error() {
        let e = engine();
        let req = ActionRequest::new(
            "a",
            "default",
            ToolInput::TerraformPlan {
                plan_json: "{not json".to_string(),
                path: None,
            },
        );
        let ev = e.evaluate(&req);
        assert_ne!(ev.decision.verdict, Verdict::Allow);
        assert!(ev.input_error.is_some());
        assert!(
            ev.decision.reason.contains("cannot determine effect"),
            "{}",
            ev.decision.reason
        );
    }

    #[test]
    fn the_environment_hint_fills_unknown_targets_only() {
        let mut c = Classification {
            effects: vec![
                Effect {
                    kind: EffectKind::Write,
                    target: Target::new(TargetKind::Path, "a"),
                    reversibility: Reversibility::Reversible,
                    risk: Risk::Low,
                    rule: "r".into(),
                    reason: "r".into(),
                    evidence: Evidence::default(),
                },
                Effect {
                    kind: EffectKind::Write,
                    target: Target::new(TargetKind::Path, "b").with_environment(EnvTier::Staging),
                    reversibility: Reversibility::Reversible,
                    risk: Risk::Low,
                    rule: "r".into(),
                    reason: "r".into(),
                    evidence: Evidence::default(),
                },
            ],
            commands: vec![],
        };
        apply_environment_hint(&mut c, EnvTier::Production);
        assert_eq!(c.effects[0].target.environment, EnvTier::Production);
        assert_eq!(c.effects[1].target.environment, EnvTier::Staging);
    }
}
