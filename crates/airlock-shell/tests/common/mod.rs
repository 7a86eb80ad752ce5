//! The verdicts of airlock's default policy pack for the integration tests:
//! the real Cedar pack decides, so tests judge exactly as a deployment does.
#![allow(dead_code)]

use std::sync::OnceLock;

use airlock_model::{Classification, Decision, ToolKind, Verdict};
use airlock_policy::{PolicyEngine, Principal};

fn engine() -> &'static PolicyEngine {
    static ENGINE: OnceLock<PolicyEngine> = OnceLock::new();
    ENGINE.get_or_init(|| PolicyEngine::default_pack().expect("the default pack loads"))
}

/// The default pack's decision on a shell command with these effects.
pub fn decide(classification: &Classification) -> Decision {
    let principal = Principal::new("test-agent", "test-tenant");
    engine().decide(&principal, ToolKind::Shell, classification)
}

/// The default pack's verdict (the strictest over all effects).
pub fn verdict(classification: &Classification) -> Verdict {
    decide(classification).verdict
}

/// Whether the default pack denies or escalates the command.
pub fn classification_blocked(classification: &Classification) -> bool {
    verdict(classification) != Verdict::Allow
}
