//! airlock's policy engine: turns the effects a classifier found, plus who is
//! asking, into a [`Decision`](airlock_model::Decision) using Cedar.
//!
//! Each effect is one Cedar request (principal `Airlock::Agent` in its
//! `Airlock::Role`s, action = the tool's capability, resource
//! `Airlock::Target`, context `effect`). A satisfied `permit` allows; a
//! satisfied `forbid` denies, unless every satisfied `forbid` carries
//! `@approvals`, in which case the effect escalates with their merged
//! requirement. Nothing permitting, or any evaluation error, denies. The
//! strictest verdict over all effects decides.
//!
//! The Cedar schema is [`PolicyEngine::schema_text`]; the built-in pack and
//! what it decides are described in `docs/default-policy.md`.

mod annotations;
mod compiled;
mod decide;
mod engine;
mod error;
mod est;
mod load;
mod pack;
mod slice;

pub use annotations::{
    PolicyEffect, PolicyInfo, PolicyOrigin, APPROVALS_ANNOTATION, APPROVER_ROLES_ANNOTATION,
    ID_ANNOTATION, MAX_APPROVERS, REASON_ANNOTATION,
};
pub use engine::{PolicyEngine, PolicyMode, PolicySources, Principal};
pub use error::PolicyError;
pub use pack::{DEFAULT_PACK, SCHEMA_TEXT};
