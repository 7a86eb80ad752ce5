//! Which environment a planned resource lives in, and the evidence that says
//! so. The most specific evidence wins: an environment attribute of the
//! resource itself, then one in a nested map such as `tags` or `input`, then
//! an organisation's production patterns (regions, projects, address globs),
//! then the words of the resource address, then its name attributes, then
//! the Terraform workspace. Within one kind of evidence the most critical
//! tier found wins.

use airlock_model::{EnvTier, EnvironmentPatterns};
use serde_json::value::RawValue;

use crate::config::{PlanConfig, ProductionPattern};
use crate::raw::{array_elements, object_members, raw_kind, string_value, RawKind};

/// How deep into nested maps and blocks environment attributes are sought
/// (1 is the top level of a resource's values).
const MAX_SCAN_DEPTH: usize = 4;

/// Evidence values longer than this are shortened in evidence text.
const MAX_EVIDENCE_VALUE_CHARS: usize = 80;

/// Kinds of evidence, most specific first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum EvidenceLevel {
    Attribute = 0,
    NestedAttribute = 1,
    ProductionPattern = 2,
    Address = 3,
    NameAttribute = 4,
    Workspace = 5,
}

const LEVEL_COUNT: usize = 6;

/// The environment inferred for one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InferredEnvironment {
    pub tier: EnvTier,
    /// What decided it, in words; `None` when nothing did.
    pub evidence: Option<String>,
}

/// The strongest finding of each evidence level for one resource.
#[derive(Default)]
struct Findings {
    by_level: [Option<(EnvTier, String)>; LEVEL_COUNT],
}

impl Findings {
    fn record(&mut self, level: EvidenceLevel, tier: EnvTier, evidence: impl FnOnce() -> String) {
        let Some(slot) = self.by_level.get_mut(level as usize) else {
            return;
        };
        let stronger = slot.as_ref().is_none_or(|(existing, _)| tier > *existing);
        if stronger {
            *slot = Some((tier, evidence()));
        }
    }

    /// Whether evidence more specific than `level` was already found, so
    /// that `level` cannot decide.
    fn decided_before(&self, level: EvidenceLevel) -> bool {
        self.by_level
            .iter()
            .take(level as usize)
            .any(Option::is_some)
    }

    fn decide(self) -> InferredEnvironment {
        self.by_level.into_iter().flatten().next().map_or(
            InferredEnvironment {
                tier: EnvTier::Unknown,
                evidence: None,
            },
            |(tier, evidence)| InferredEnvironment {
                tier,
                evidence: Some(evidence),
            },
        )
    }
}

/// The parts of a resource change environment inference looks at.
pub(crate) struct ResourceFacts<'a> {
    pub address: &'a str,
    pub resource_type: &'a str,
    /// `change.after`, then `change.before` when the old object matters.
    pub values: [Option<(&'static str, &'a RawValue)>; 2],
}

/// Environment inference compiled from a [`PlanConfig`].
#[derive(Debug, Clone)]
pub(crate) struct EnvironmentInference {
    environments: EnvironmentPatterns,
    environment_attributes: Vec<String>,
    name_attributes: Vec<String>,
    attribute_patterns: Vec<ProductionPattern>,
    address_patterns: Vec<ProductionPattern>,
}

impl EnvironmentInference {
    pub fn new(config: &PlanConfig) -> Self {
        let (attribute_patterns, address_patterns) = config
            .production_patterns
            .iter()
            .map(|p| ProductionPattern::parse(p))
            .partition(|p| p.attribute.is_some());
        EnvironmentInference {
            environments: config.environments.clone(),
            environment_attributes: config.environment_attributes.clone(),
            name_attributes: config.name_attributes.clone(),
            attribute_patterns,
            address_patterns,
        }
    }

    /// Infers the environment of one resource; `workspace` is the Terraform
    /// workspace the plan was made in, if the caller knows it.
    pub fn infer(&self, facts: &ResourceFacts<'_>, workspace: Option<&str>) -> InferredEnvironment {
        let mut findings = Findings::default();
        for (label, raw) in facts.values.iter().flatten() {
            if let Some(members) = object_members(raw) {
                let mut path = String::from(*label);
                self.scan_object(&members.0, &mut path, 1, &mut findings);
            }
        }
        if findings.decided_before(EvidenceLevel::ProductionPattern) {
            return findings.decide();
        }
        for pattern in &self.address_patterns {
            if pattern.glob.matches(facts.address) {
                findings.record(
                    EvidenceLevel::ProductionPattern,
                    EnvTier::Production,
                    || {
                        format!(
                            "resource address matches production pattern `{}`",
                            pattern.source
                        )
                    },
                );
            }
        }
        if findings.decided_before(EvidenceLevel::Address) {
            return findings.decide();
        }
        let address_words = address_without_type(facts.address, facts.resource_type);
        if let Some(tier) = self.environments.tier_of(&address_words) {
            findings.record(EvidenceLevel::Address, tier, || {
                format!("resource address `{}` names {tier}", facts.address)
            });
        }
        if findings.decided_before(EvidenceLevel::Workspace) {
            return findings.decide();
        }
        if let Some(workspace) = workspace {
            if let Some(tier) = self.environments.tier_of(workspace) {
                findings.record(EvidenceLevel::Workspace, tier, || {
                    format!("Terraform workspace `{}` names {tier}", shorten(workspace))
                });
            }
        }
        findings.decide()
    }

    fn scan_object(
        &self,
        members: &[(std::borrow::Cow<'_, str>, &RawValue)],
        path: &mut String,
        depth: usize,
        findings: &mut Findings,
    ) {
        for (key, value) in members {
            let key: &str = key;
            match raw_kind(value) {
                RawKind::String => self.judge_string(key, value, path, depth, findings),
                RawKind::Object if depth < MAX_SCAN_DEPTH => {
                    if let Some(nested) = object_members(value) {
                        let len = path.len();
                        path.push('.');
                        path.push_str(key);
                        self.scan_object(&nested.0, path, depth + 1, findings);
                        path.truncate(len);
                    }
                }
                RawKind::Array if depth < MAX_SCAN_DEPTH => {
                    if let Some(elements) = array_elements(value) {
                        let len = path.len();
                        for (index, element) in elements.0.iter().enumerate() {
                            if let Some(nested) = object_members(element) {
                                path.push('.');
                                path.push_str(key);
                                path.push_str(&format!("[{index}]"));
                                self.scan_object(&nested.0, path, depth + 1, findings);
                                path.truncate(len);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn judge_string(
        &self,
        key: &str,
        value: &RawValue,
        path: &str,
        depth: usize,
        findings: &mut Findings,
    ) {
        let is_environment_attribute = self
            .environment_attributes
            .iter()
            .any(|a| a.eq_ignore_ascii_case(key));
        let is_name_attribute = depth == 1
            && self
                .name_attributes
                .iter()
                .any(|a| a.eq_ignore_ascii_case(key));
        let mut patterns = self
            .attribute_patterns
            .iter()
            .filter(|p| {
                p.attribute
                    .as_deref()
                    .is_some_and(|a| a.eq_ignore_ascii_case(key))
            })
            .peekable();
        if !is_environment_attribute && !is_name_attribute && patterns.peek().is_none() {
            return;
        }
        let Some(text) = string_value(value) else {
            return;
        };
        let describe = || format!("{path}.{key} = \"{}\"", shorten(&text));
        if is_environment_attribute {
            if let Some(tier) = self.environments.tier_of(&text) {
                let level = if depth == 1 {
                    EvidenceLevel::Attribute
                } else {
                    EvidenceLevel::NestedAttribute
                };
                findings.record(level, tier, describe);
            }
        }
        for pattern in patterns {
            if pattern.glob.matches(&text) {
                findings.record(
                    EvidenceLevel::ProductionPattern,
                    EnvTier::Production,
                    || {
                        format!(
                            "{} matches production pattern `{}`",
                            describe(),
                            pattern.source
                        )
                    },
                );
            }
        }
        if is_name_attribute {
            if let Some(tier) = self.environments.tier_of(&text) {
                findings.record(EvidenceLevel::NameAttribute, tier, || {
                    format!("name attribute {}", describe())
                });
            }
        }
    }
}

/// The address without its resource type, so that a type's own words
/// (`local_file`, `aws_devicefarm_test_grid_project`) do not count as
/// environment names: `module.prod.aws_instance.web` → `module.prod.web`.
fn address_without_type(address: &str, resource_type: &str) -> String {
    if resource_type.is_empty() {
        return address.to_owned();
    }
    let needle = format!("{resource_type}.");
    match address.find(&needle) {
        Some(start) => {
            let mut out = String::with_capacity(address.len());
            out.push_str(address.get(..start).unwrap_or_default());
            out.push_str(address.get(start + needle.len()..).unwrap_or_default());
            out
        }
        None => address.to_owned(),
    }
}

/// `text`, cut to a readable length on a character boundary.
pub(crate) fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_EVIDENCE_VALUE_CHARS) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or_default()),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> &RawValue {
        serde_json::from_str(json).unwrap()
    }

    fn infer(
        config: &PlanConfig,
        address: &str,
        after: &str,
        workspace: Option<&str>,
    ) -> InferredEnvironment {
        let inference = EnvironmentInference::new(config);
        let facts = ResourceFacts {
            address,
            resource_type: address.split('.').next().unwrap_or_default(),
            values: [Some(("after", raw(after))), None],
        };
        inference.infer(&facts, workspace)
    }

    #[test]
    fn a_top_level_attribute_beats_a_nested_tag() {
        let env = infer(
            &PlanConfig::default(),
            "aws_instance.web",
            r#"{"tags":{"Environment":"staging"},"environment":"production"}"#,
            None,
        );
        assert_eq!(env.tier, EnvTier::Production);
        assert_eq!(
            env.evidence.as_deref(),
            Some("after.environment = \"production\"")
        );
    }

    #[test]
    fn nested_tags_and_input_maps_are_read() {
        let env = infer(
            &PlanConfig::default(),
            "aws_instance.web",
            r#"{"tags_all":{"Env":"stg"}}"#,
            None,
        );
        assert_eq!(env.tier, EnvTier::Staging);
        let env = infer(
            &PlanConfig::default(),
            "google_compute_instance.web",
            r#"{"metadata":[{"labels":{"environment":"dev"}}]}"#,
            None,
        );
        assert_eq!(env.tier, EnvTier::Development);
        assert_eq!(
            env.evidence.as_deref(),
            Some("after.metadata[0].labels.environment = \"dev\"")
        );
    }

    #[test]
    fn attribute_values_that_name_no_tier_are_not_evidence() {
        let env = infer(
            &PlanConfig::default(),
            "terraform_data.billing",
            r#"{"input":{"tier":"database"}}"#,
            Some("prod"),
        );
        assert_eq!(env.tier, EnvTier::Production);
        assert_eq!(
            env.evidence.as_deref(),
            Some("Terraform workspace `prod` names production")
        );
    }

    #[test]
    fn production_patterns_come_from_config() {
        let after = r#"{"input":{"region":"cn-north-1"}}"#;
        let default = infer(
            &PlanConfig::default(),
            "terraform_data.billing",
            after,
            None,
        );
        assert_eq!(default.tier, EnvTier::Unknown);
        let config = PlanConfig {
            production_patterns: vec!["region=cn-north-*".into(), "module.core.*".into()],
            ..PlanConfig::default()
        };
        let by_region = infer(&config, "terraform_data.billing", after, None);
        assert_eq!(by_region.tier, EnvTier::Production);
        assert!(by_region
            .evidence
            .as_deref()
            .unwrap()
            .contains("after.input.region = \"cn-north-1\" matches production pattern"));
        let by_address = infer(&config, "module.core.terraform_data.billing", "{}", None);
        assert_eq!(by_address.tier, EnvTier::Production);
    }

    #[test]
    fn address_words_beat_the_workspace_but_not_attributes() {
        let config = PlanConfig::default();
        let env = infer(
            &config,
            "terraform_data.prod_database",
            "{}",
            Some("staging"),
        );
        assert_eq!(env.tier, EnvTier::Production);
        let env = infer(
            &config,
            "terraform_data.prod_database",
            r#"{"env":"staging"}"#,
            None,
        );
        assert_eq!(env.tier, EnvTier::Staging);
    }

    #[test]
    fn resource_type_words_are_not_environment_names() {
        let env = infer(
            &PlanConfig::default(),
            "local_file.config",
            "{}",
            Some("production"),
        );
        assert_eq!(env.tier, EnvTier::Production);
    }

    #[test]
    fn name_attributes_are_weak_evidence() {
        let env = infer(
            &PlanConfig::default(),
            "aws_db_instance.main",
            r#"{"identifier":"orders-prd"}"#,
            None,
        );
        assert_eq!(env.tier, EnvTier::Production);
        assert!(env.evidence.unwrap().starts_with("name attribute"));
    }

    #[test]
    fn nothing_found_is_unknown() {
        let env = infer(
            &PlanConfig::default(),
            "aws_s3_bucket.logs",
            r#"{"acl":"private"}"#,
            None,
        );
        assert_eq!(
            env,
            InferredEnvironment {
                tier: EnvTier::Unknown,
                evidence: None
            }
        );
    }

    #[test]
    fn long_values_are_shortened() {
        let long = "x".repeat(500);
        assert!(shorten(&long).chars().count() <= MAX_EVIDENCE_VALUE_CHARS + 1);
    }
}
