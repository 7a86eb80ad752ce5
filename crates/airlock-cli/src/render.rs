//! Human-readable output: a decision in a few lines, and the longer
//! explanation with the parse, evidence spans and policies.

use std::fmt::Write;

use airlock_engine::Evaluation;
use airlock_model::{ActionRequest, Finding, ToolInput, Verdict};
use airlock_policy::PolicyEngine;

fn verdict_label(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Allow => "ALLOW",
        Verdict::Escalate => "ESCALATE",
        Verdict::Deny => "DENY",
    }
}

/// The decision: verdict, reason, required approvals, and each finding.
pub fn decision(evaluation: &Evaluation) -> String {
    let mut out = verdict_block(evaluation);
    let d = &evaluation.decision;
    if !d.findings.is_empty() {
        let _ = writeln!(out, "findings:");
        for f in &d.findings {
            finding_line(&mut out, f);
        }
    }
    plan_line(&mut out, evaluation);
    out
}

/// Verdict, reason and required approvals.
fn verdict_block(evaluation: &Evaluation) -> String {
    let d = &evaluation.decision;
    let mut out = String::new();
    let _ = writeln!(out, "{} (risk {})", verdict_label(d.verdict), d.risk);
    let _ = writeln!(out, "  {}", d.reason);
    if let Some(approvals) = d
        .approvals
        .as_ref()
        .filter(|_| d.verdict == Verdict::Escalate)
    {
        let _ = writeln!(
            out,
            "  needs: {} (never the operator the agent acts for)",
            approvals.describe()
        );
    }
    out
}

/// How many of a plan's resource changes do something.
fn plan_line(out: &mut String, evaluation: &Evaluation) {
    if let Some(plan) = &evaluation.plan {
        let changed = plan
            .changes
            .iter()
            .filter(|c| !c.actions.iter().all(|a| a == "no-op"))
            .count();
        let _ = writeln!(
            out,
            "plan: {} resource changes, {} of them not no-op",
            plan.changes.len(),
            changed
        );
    }
}

fn finding_line(out: &mut String, f: &Finding) {
    let e = &f.effect;
    let _ = writeln!(
        out,
        "  - [{}] {} {} `{}` (env {}, {}, risk {}) rule {}",
        f.verdict,
        e.kind,
        e.target.kind.as_str(),
        e.target.name,
        e.target.environment,
        e.target.sensitivity.as_str(),
        e.risk,
        e.rule
    );
    let _ = writeln!(out, "      {}", e.reason);
    if !f.policies.is_empty() {
        let _ = writeln!(out, "      policy: {}", f.policies.join(", "));
    }
}

/// The full account: how the input was read, where each effect was found,
/// which policies decided, and the decision.
pub fn explanation(
    request: &ActionRequest,
    evaluation: &Evaluation,
    policy: &PolicyEngine,
) -> String {
    let mut out = String::new();
    let input_text = match &request.input {
        ToolInput::Shell { command } => Some(command.as_str()),
        _ => None,
    };
    if let Some(command) = input_text {
        let _ = writeln!(out, "input:\n  {command}");
    }
    let commands = &evaluation.classification.commands;
    if !commands.is_empty() {
        let _ = writeln!(out, "read as {} command(s):", commands.len());
        for c in commands {
            let via = if c.via.is_empty() {
                String::new()
            } else {
                format!("   via {}", c.via.join(" > "))
            };
            let _ = writeln!(out, "  - {:?}{via}", c.argv);
        }
    }
    let findings = &evaluation.decision.findings;
    let _ = writeln!(out, "effects ({}):", findings.len());
    for f in findings {
        finding_line(&mut out, f);
        let span = f.effect.evidence.span;
        match input_text.and_then(|text| underline(text, span.start, span.end)) {
            Some(marked) => {
                let _ = writeln!(out, "      evidence [{}..{}]:", span.start, span.end);
                for line in marked.lines() {
                    let _ = writeln!(out, "        {line}");
                }
            }
            None if !f.effect.evidence.text.is_empty() => {
                let _ = writeln!(out, "      evidence: {}", f.effect.evidence.text);
            }
            None => {}
        }
    }
    let _ = writeln!(out, "policy set {}", policy.version());
    out.push_str(&verdict_block(evaluation));
    plan_line(&mut out, evaluation);
    out
}

/// The line of `text` holding `start..end`, with carets under the span.
fn underline(text: &str, start: usize, end: usize) -> Option<String> {
    if start >= end || text.get(start..end).is_none() {
        return None;
    }
    let line_start = text.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
    let line_end = text
        .get(start..)?
        .find('\n')
        .map_or(text.len(), |i| start + i);
    let line = text.get(line_start..line_end)?;
    let pad = text.get(line_start..start)?.chars().count();
    let width = text.get(start..end.min(line_end))?.chars().count().max(1);
    Some(format!("{line}\n{}{}", " ".repeat(pad), "^".repeat(width)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn underline_marks_the_span_on_its_line() {
        assert_eq!(
            underline("ls && rm -rf /", 6, 14).as_deref(),
            Some("ls && rm -rf /\n      ^^^^^^^^")
        );
        assert_eq!(underline("a\nbb cc", 5, 7).as_deref(), Some("bb cc\n   ^^"));
        assert_eq!(underline("abc", 2, 9), None);
    }
}
