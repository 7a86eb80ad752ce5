//! `airlock keys`: create the Ed25519 key pairs that sign receipts and
//! audit checkpoints.

use std::path::PathBuf;

use airlock_keys::{write_keypair, KeyPaths, SigningKeyPair};
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use serde_json::json;

use super::EXIT_ALLOW;
use crate::Format;

/// Manage signing keys.
#[derive(Debug, Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    Generate(GenerateArgs),
}

/// Generate an Ed25519 key pair: NAME.key (mode 0600) and NAME.pub.
///
/// The private key never leaves the file; give pipelines only the .pub file
/// (`airlock verify --trusted-key NAME.pub`).
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  airlock keys generate                       # ./airlock-signing.key and .pub
  airlock keys generate --dir /etc/airlock --name receipts-2026")]
struct GenerateArgs {
    /// Directory to write the two files into (created if missing).
    #[arg(long, default_value = ".", value_name = "DIR")]
    dir: PathBuf,
    /// Base name of the files.
    #[arg(long, default_value = "airlock-signing", value_name = "NAME")]
    name: String,
    /// Replace existing files of the same name.
    #[arg(long)]
    force: bool,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

pub fn run(args: KeysArgs) -> Result<u8> {
    match args.command {
        KeysCommand::Generate(args) => generate(args),
    }
}

fn generate(args: GenerateArgs) -> Result<u8> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    let pair = SigningKeyPair::generate()?;
    let paths = KeyPaths::in_dir(&args.dir, &args.name);
    write_keypair(&pair, &paths, args.force)?;
    match args.format {
        Format::Json => println!(
            "{}",
            json!({
                "key_id": pair.key_id().as_str(),
                "private_key": paths.secret.display().to_string(),
                "public_key": paths.public.display().to_string(),
            })
        ),
        Format::Human => {
            println!("key id      {}", pair.key_id().as_str());
            println!(
                "private key {} (mode 0600: keep it on the airlock server)",
                paths.secret.display()
            );
            println!(
                "public key  {} (give this to pipelines)",
                paths.public.display()
            );
        }
    }
    Ok(EXIT_ALLOW)
}
