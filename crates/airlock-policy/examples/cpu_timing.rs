//! Temporary: CPU time per operation.
use airlock_model::*;
use airlock_policy::*;
fn main() {
    let what = std::env::args().nth(1).unwrap_or_default();
    let n: usize = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(10000);
    let engine = PolicyEngine::default_pack().unwrap();
    let p = Principal::new("agent-1", "default");
    let c = Classification { effects: vec![Effect { kind: EffectKind::Delete, target: Target::new(TargetKind::Path, "notes.txt"), reversibility: Reversibility::Reversible, risk: Risk::Low, rule: "r".into(), reason: "x".into(), evidence: Evidence::default() }], commands: vec![] };
    let mut acc = 0usize;
    for _ in 0..n {
        match what.as_str() {
            "pack" => acc += PolicyEngine::default_pack().unwrap().policies().len(),
            _ => acc += engine.decide(&p, ToolKind::Shell, &c).reason.len(),
        }
    }
    println!("{acc}");
}
