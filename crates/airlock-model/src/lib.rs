//! The vocabulary every airlock crate speaks: what an agent asks to do
//! ([`ActionRequest`]), what that would do to the world ([`Effect`]), and what
//! airlock answers ([`Decision`]).
//!
//! This crate holds data types and the small amount of logic that belongs to
//! them (ordering of risks and verdicts, merging approval requirements,
//! recognising environment names). It depends on nothing else in the
//! workspace, so every other crate may depend on it.

pub mod action;
pub mod decision;
pub mod effect;
pub mod environment;

pub use action::{ActionRequest, AgentIdentity, McpToolHints, ToolInput, ToolKind};
pub use decision::{ApprovalRequirement, Decision, Finding, RoleRequirement, Verdict};
pub use effect::{
    Classification, Effect, EffectKind, Evidence, ParsedCommand, Reversibility, Risk, Sensitivity,
    Span, Target, TargetKind,
};
pub use environment::{EnvTier, EnvironmentPatterns};
