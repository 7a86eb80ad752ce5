//! Prints how airlock's shell classifier reads each command line given as an
//! argument: `cargo run -p airlock-shell --example classify -- 'rm -rf /'`.

use airlock_shell::{ShellClassifier, ShellConfig};

fn main() {
    let classifier = ShellClassifier::new(ShellConfig::default());
    for command in std::env::args().skip(1) {
        let classification = classifier.classify(&command);
        println!("{command}");
        for effect in &classification.effects {
            println!(
                "  {:<10} {:<8} {:<10} {:<11} {:<32} {} [{}]",
                effect.kind.as_str(),
                effect.risk.as_str(),
                effect.target.sensitivity.as_str(),
                effect.target.environment.as_str(),
                effect.rule,
                effect.reason,
                effect.evidence.text.replace('\n', "\\n"),
            );
        }
        for parsed in &classification.commands {
            println!("    argv {:?} via {:?}", parsed.argv, parsed.via);
        }
    }
}
