//! Where a fresh process spends its time before the first decision: the
//! cost every hook invocation pays. Run with
//! `cargo run --release -p airlock-engine --example startup`.

use std::time::Instant;

use airlock_engine::{Engine, LoadedConfig};

fn main() {
    let t = Instant::now();
    let config = LoadedConfig::discover(None, std::path::Path::new("/tmp")).expect("config");
    let discovered = t.elapsed();
    let t = Instant::now();
    let policy = airlock_policy::PolicyEngine::default_pack().expect("pack");
    let pack = t.elapsed();
    drop(policy);
    let t = Instant::now();
    let shell = airlock_shell::ShellClassifier::new(Default::default());
    let shell_new = t.elapsed();
    drop(shell);
    let t = Instant::now();
    let engine = Engine::new(config).expect("engine");
    let engine_new = t.elapsed();
    let request = engine.local_shell_request("git status", None);
    let t = Instant::now();
    let first = engine.evaluate(&request);
    let first_decision = t.elapsed();
    let t = Instant::now();
    let _ = engine.evaluate(&request);
    let second_decision = t.elapsed();
    println!("config discovery   {discovered:?}");
    println!("policy pack alone  {pack:?}");
    println!("shell classifier   {shell_new:?}");
    println!("engine (all)       {engine_new:?}");
    println!(
        "first decision     {first_decision:?} ({})",
        first.decision.verdict
    );
    println!("second decision    {second_decision:?}");
}
