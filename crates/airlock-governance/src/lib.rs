//! Governance as code for airlock: policy sets are reviewed, tested and
//! analysed like code, in the same change that edits them.
//!
//! - [`validate`]: the project configuration and its policies against the
//!   schema, with every problem at `file:line:column`;
//! - [`testing`]: `*.test.toml` cases (a request and its expected verdict)
//!   run against the policy engine;
//! - [`analysis`]: the authority matrix and findings, by exhaustive
//!   enumeration of a finite abstraction of requests ([`space`]);
//! - [`diff`]: the authority two policy sets grant, compared;
//! - [`render`]: human, JSON, SARIF 2.1.0 and JUnit output.

pub mod analysis;
pub mod compile;
pub mod diff;
pub mod error;
pub mod findings;
pub mod model;
pub mod project;
pub mod render;
pub mod space;
pub mod testing;
pub mod validate;

pub use analysis::{analyze, analyze_model, Analysis, MatrixEntry};
pub use diff::{diff, diff_projects, AuthorityChange, ChangeDirection, PolicyDiff};
pub use error::GovernanceError;
pub use findings::{Finding, FindingKind, Location, Severity};
pub use model::{Outcome, PolicySetModel, Verdict};
pub use project::{open_source, GovernanceFloor, OpenedProject, Project};
pub use testing::{run_tests, CaseResult, TestReport};
pub use validate::{validate, ValidationReport};
