//! Configuration of the plan classifier: which words, attributes and value
//! patterns name an environment for this organisation.

use airlock_model::EnvironmentPatterns;
use serde::{Deserialize, Serialize};

/// How the plan classifier recognises the environment of a resource.
///
/// Deserialisable from a configuration table (such as a `[terraform]` table
/// of `airlock.toml`); every field is optional and unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlanConfig {
    /// Words that name each environment tier (`prod`, `staging`, ...), used on
    /// attribute values, resource addresses, names and the workspace.
    pub environments: EnvironmentPatterns,
    /// Attribute keys whose string value names an environment, matched
    /// without regard to case at the top level of a resource's values and
    /// inside nested maps (`tags`, `tags_all`, `labels`, `input`, ...).
    pub environment_attributes: Vec<String>,
    /// Patterns that mean production for this organisation. `KEY=GLOB`
    /// matches the string value of attribute `KEY` anywhere in a resource's
    /// values (`region=cn-north-1`, `project=acme-prd-*`); a bare `GLOB`
    /// matches the resource address (`module.billing_core.*`). Globs use `*`
    /// and `?` and ignore case.
    pub production_patterns: Vec<String>,
    /// Top-level attributes that hold the real-world name of a resource
    /// (`name`, `identifier`, `bucket`): their words are weaker evidence of
    /// the environment than the resource address.
    pub name_attributes: Vec<String>,
}

impl Default for PlanConfig {
    fn default() -> Self {
        let words = |ws: &[&str]| ws.iter().map(|w| (*w).to_owned()).collect();
        PlanConfig {
            environments: EnvironmentPatterns::default(),
            environment_attributes: words(&[
                "environment",
                "env",
                "environment_name",
                "env_name",
                "deployment_environment",
                "tier",
                "stage",
                "stage_name",
            ]),
            production_patterns: Vec::new(),
            name_attributes: words(&["name", "identifier", "bucket"]),
        }
    }
}

/// One entry of [`PlanConfig::production_patterns`], parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProductionPattern {
    /// The pattern as configured, for evidence text.
    pub source: String,
    /// Lower-case attribute key, or `None` for an address pattern.
    pub attribute: Option<String>,
    pub glob: Glob,
}

impl ProductionPattern {
    pub fn parse(source: &str) -> ProductionPattern {
        let (attribute, glob) = match source.split_once('=') {
            Some((key, glob)) if !key.trim().is_empty() => {
                (Some(key.trim().to_ascii_lowercase()), glob.trim())
            }
            _ => (None, source.trim()),
        };
        ProductionPattern {
            source: source.to_owned(),
            attribute,
            glob: Glob::new(glob),
        }
    }
}

/// A case-insensitive glob with `*` (any run of characters) and `?` (one
/// character).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Glob {
    pattern: Vec<char>,
}

impl Glob {
    pub fn new(pattern: &str) -> Glob {
        Glob {
            pattern: pattern.chars().map(|c| c.to_ascii_lowercase()).collect(),
        }
    }

    /// Whether `text` matches the whole pattern. Linear backtracking on the
    /// last `*`, so no input makes it slow.
    pub fn matches(&self, text: &str) -> bool {
        let text: Vec<char> = text.chars().map(|c| c.to_ascii_lowercase()).collect();
        let pattern = &self.pattern;
        let (mut p, mut t) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            match pattern.get(p) {
                Some('*') => {
                    star = Some((p, t));
                    p += 1;
                }
                Some(&c) if c == '?' || Some(&c) == text.get(t) => {
                    p += 1;
                    t += 1;
                }
                _ => match star {
                    Some((star_p, star_t)) => {
                        p = star_p + 1;
                        t = star_t + 1;
                        star = Some((star_p, star_t + 1));
                    }
                    None => return false,
                },
            }
        }
        pattern
            .get(p..)
            .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_whole_text_ignoring_case() {
        let g = Glob::new("cn-north-*");
        assert!(g.matches("CN-NORTH-1"));
        assert!(!g.matches("xcn-north-1"));
        assert!(Glob::new("a?c").matches("abc"));
        assert!(!Glob::new("a?c").matches("ac"));
        assert!(Glob::new("*prd*").matches("acme-prd-1"));
        assert!(Glob::new("*").matches(""));
        assert!(!Glob::new("").matches("x"));
        assert!(Glob::new("a*b*c").matches("aXbYbZc"));
    }

    #[test]
    fn patterns_with_a_key_match_that_attribute() {
        let p = ProductionPattern::parse("Region=cn-north-1");
        assert_eq!(p.attribute.as_deref(), Some("region"));
        assert!(p.glob.matches("cn-north-1"));
        let bare = ProductionPattern::parse("module.billing.*");
        assert_eq!(bare.attribute, None);
    }

    #[test]
    fn config_deserialises_and_refuses_unknown_fields() {
        let cfg: PlanConfig = config_from_json(r#"{"production_patterns":["region=cn-north-1"]}"#);
        assert_eq!(cfg.production_patterns, ["region=cn-north-1"]);
        assert!(cfg
            .environment_attributes
            .iter()
            .any(|a| a == "environment"));
        assert!(serde_json::from_str::<PlanConfig>(r#"{"bogus":1}"#).is_err());
    }

    fn config_from_json(json: &str) -> PlanConfig {
        serde_json::from_str(json).unwrap()
    }
}
