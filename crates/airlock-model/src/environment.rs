//! Environment tiers and the configurable name patterns that recognise them
//! in resource names, tags, namespaces, profiles and hosts.

use serde::{Deserialize, Serialize};

/// Which environment a target lives in. Ordered by how much care it needs.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum EnvTier {
    /// Throw-away: local scratch, sandboxes, ephemeral preview environments.
    Scratch,
    Development,
    /// Nothing says which environment it is.
    #[default]
    Unknown,
    Staging,
    Production,
}

impl EnvTier {
    pub const ALL: [EnvTier; 5] = [
        EnvTier::Scratch,
        EnvTier::Development,
        EnvTier::Unknown,
        EnvTier::Staging,
        EnvTier::Production,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EnvTier::Scratch => "scratch",
            EnvTier::Development => "development",
            EnvTier::Unknown => "unknown",
            EnvTier::Staging => "staging",
            EnvTier::Production => "production",
        }
    }

    /// Parses a tier name as written in config, flags and hints
    /// (`prod` and `production` both mean production).
    pub fn parse(name: &str) -> Option<EnvTier> {
        EnvironmentPatterns::default().tier_of_word(&name.to_ascii_lowercase())
    }
}

impl std::fmt::Display for EnvTier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Words that name each tier. A name matches a tier when one of its
/// alphanumeric tokens equals one of the tier's words, so `prod-db` and
/// `eks_production` are production but `product-catalog` is not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnvironmentPatterns {
    pub production: Vec<String>,
    pub staging: Vec<String>,
    pub development: Vec<String>,
    pub scratch: Vec<String>,
}

impl Default for EnvironmentPatterns {
    fn default() -> Self {
        let words = |ws: &[&str]| ws.iter().map(|w| w.to_string()).collect();
        EnvironmentPatterns {
            production: words(&["prod", "production", "prd", "live"]),
            staging: words(&["staging", "stage", "stg", "preprod", "uat"]),
            development: words(&["dev", "development", "test", "testing", "qa"]),
            scratch: words(&[
                "scratch",
                "sandbox",
                "tmp",
                "temp",
                "ephemeral",
                "local",
                "preview",
            ]),
        }
    }
}

impl EnvironmentPatterns {
    /// The most critical tier any token of `name` names, or `None`.
    pub fn tier_of(&self, name: &str) -> Option<EnvTier> {
        let lower = name.to_ascii_lowercase();
        lower
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|t| !t.is_empty())
            .filter_map(|t| self.tier_of_word(t))
            .max()
    }

    fn tier_of_word(&self, word: &str) -> Option<EnvTier> {
        let tiers = [
            (EnvTier::Production, &self.production),
            (EnvTier::Staging, &self.staging),
            (EnvTier::Development, &self.development),
            (EnvTier::Scratch, &self.scratch),
        ];
        tiers
            .into_iter()
            .find(|(_, words)| words.iter().any(|w| w.eq_ignore_ascii_case(word)))
            .map(|(tier, _)| tier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_tiers_by_whole_token() {
        let p = EnvironmentPatterns::default();
        assert_eq!(p.tier_of("prod-db-1"), Some(EnvTier::Production));
        assert_eq!(p.tier_of("eks_production"), Some(EnvTier::Production));
        assert_eq!(p.tier_of("cost_explorer_staging"), Some(EnvTier::Staging));
        assert_eq!(p.tier_of("product-catalog"), None);
        assert_eq!(p.tier_of("reproduce"), None);
    }

    #[test]
    fn the_most_critical_token_wins() {
        let p = EnvironmentPatterns::default();
        assert_eq!(p.tier_of("dev-to-prod-sync"), Some(EnvTier::Production));
    }

    #[test]
    fn parse_accepts_aliases() {
        assert_eq!(EnvTier::parse("PROD"), Some(EnvTier::Production));
        assert_eq!(EnvTier::parse("stg"), Some(EnvTier::Staging));
        assert_eq!(EnvTier::parse("nowhere"), None);
    }
}
