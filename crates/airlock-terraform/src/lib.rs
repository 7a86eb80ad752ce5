//! airlock's Terraform plan classifier. It reads the JSON form of a plan
//! (`terraform show -json tfplan`), reports per resource change what applying
//! it would do and in which environment, and names the [`Effect`]s policy
//! judges: replacements and destroys are irreversible and high risk
//! (critical in production), creates and updates low, forgets medium.
//!
//! ```
//! use airlock_terraform::{PlanClassifier, PlanConfig};
//!
//! let plan = r#"{"format_version":"1.2","resource_changes":[{
//!     "address":"aws_db_instance.prod_orders","mode":"managed","type":"aws_db_instance",
//!     "name":"prod_orders","change":{"actions":["delete"],"before":{},"after":null}}]}"#;
//! let report = PlanClassifier::new(PlanConfig::default()).classify(plan, None).unwrap();
//! let effect = &report.classification.effects[0];
//! assert_eq!(effect.rule, "terraform.plan.destroy");
//! assert_eq!(effect.target.environment, airlock_model::EnvTier::Production);
//! ```
//!
//! [`Effect`]: airlock_model::Effect

mod change;
mod classifier;
mod config;
mod environment;
mod error;
mod raw;

use sha2::{Digest, Sha256};

pub use change::{ChangeAction, ReplaceOrder, ResourceChange};
pub use classifier::{ChangeCounts, PlanClassifier, PlanReport};
pub use config::PlanConfig;
pub use error::{PlanError, HOW_TO_PRODUCE_A_PLAN};

/// The digest of a plan's exact bytes, `sha256:<hex>`: what approvals and
/// receipts bind to, so that an approved plan cannot be swapped for another.
pub fn plan_digest(plan_json: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(plan_json)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_sha256_of_the_exact_bytes() {
        assert_eq!(
            plan_digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_ne!(plan_digest(b"{}"), plan_digest(b"{ }"));
    }
}
