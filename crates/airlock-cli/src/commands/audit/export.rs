//! `airlock audit export` (the log as JSON lines for a SIEM, streamed page
//! by page) and `airlock audit tail` (the last entries, optionally
//! following new ones as they are appended).

use std::io::{BufWriter, ErrorKind, Write};
use std::time::Duration;

use airlock_audit::{StoredEntry, Timestamp};
use airlock_store::{SqlTenantStore, Store, TenantStore};
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{entry_line, PAGE_ROWS};
use crate::commands::state::StateArgs;
use crate::Format;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
enum ExportFormat {
    /// One JSON object per line: `{"index":N,"leaf_hash":"…","entry":{…}}`,
    /// `entry` being the entry's exact canonical leaf bytes.
    #[default]
    Jsonl,
}

/// Export the log as JSON lines (one entry per line) for a SIEM.
///
/// Each line is `{"index":N,"leaf_hash":"<hex>","entry":{…}}` where `entry`
/// is written exactly as its canonical leaf bytes, so
/// `SHA-256(0x00 ‖ entry) = leaf_hash`. Entries come in index order. The
/// export does not verify the log: run `airlock audit verify` for that.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  airlock audit export --format jsonl > audit.jsonl
  airlock audit export --format jsonl --from-index 120000     # continue where the last export ended
  airlock audit export --format jsonl --since 2025-06-01T00:00:00Z

EXIT CODES:
  0 exported, 1 error (for example an entry that does not decode)")]
pub struct ExportArgs {
    #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
    format: ExportFormat,

    /// Only entries timestamped at or after this RFC 3339 instant.
    #[arg(long, value_name = "RFC3339", conflicts_with = "from_index")]
    since: Option<String>,

    /// Only entries from this index on.
    #[arg(long, value_name = "N")]
    from_index: Option<u64>,
}

/// Show the last entries of the log, and optionally follow new ones.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  airlock audit tail
  airlock audit tail -n 50 --format json
  airlock audit tail --follow --tenant acme

EXIT CODES:
  0 shown, 1 error")]
pub struct TailArgs {
    /// How many of the last entries to show.
    #[arg(short = 'n', long = "lines", value_name = "N", default_value_t = 10)]
    lines: u64,

    /// Keep running and print entries as they are appended.
    #[arg(short = 'f', long)]
    follow: bool,

    /// With --follow: how often to look for new entries.
    #[arg(
        long,
        value_name = "MILLISECONDS",
        default_value_t = 1000,
        requires = "follow"
    )]
    poll_ms: u64,

    /// human: one aligned line per entry; json: the export's JSON lines.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

pub async fn run_export(state: &StateArgs, args: ExportArgs) -> Result<u8> {
    let ExportFormat::Jsonl = args.format;
    let since = match &args.since {
        Some(text) => Some(parse_since(text)?),
        None => None,
    };
    let tenant = state.tenant_id()?;
    let store = state.open_existing_store().await?;
    let log = store.tenant_store(&tenant);
    log.audit_head()
        .await
        .with_context(|| format!("cannot read the log of tenant {tenant}"))?;
    let mut out = Output::stdout();
    let mut line = Vec::with_capacity(512);
    let mut from = args.from_index.unwrap_or(0);
    loop {
        let rows = page(&log, from).await?;
        let Some(last) = rows.last() else { break };
        from = last.entry.index.saturating_add(1);
        for row in &rows {
            if since.is_some_and(|since| row.entry.timestamp < since) {
                continue;
            }
            line.clear();
            entry_line(&row.entry, &row.leaf_hash, &mut line);
            if !out.write(&line)? {
                return Ok(0);
            }
        }
    }
    out.flush()?;
    store.close().await;
    Ok(0)
}

pub async fn run_tail(state: &StateArgs, args: TailArgs) -> Result<u8> {
    let tenant = state.tenant_id()?;
    let store = state.open_existing_store().await?;
    let log = store.tenant_store(&tenant);
    let head = log
        .audit_head()
        .await
        .with_context(|| format!("cannot read the log of tenant {tenant}"))?;
    let mut out = Output::stdout();
    let mut from = head.size.saturating_sub(args.lines);
    loop {
        let rows = page(&log, from).await?;
        for row in &rows {
            let line = match args.format {
                Format::Human => human_line(row).into_bytes(),
                Format::Json => {
                    let mut line = Vec::with_capacity(512);
                    entry_line(&row.entry, &row.leaf_hash, &mut line);
                    line
                }
            };
            if !out.write(&line)? {
                return Ok(0);
            }
        }
        if let Some(last) = rows.last() {
            from = last.entry.index.saturating_add(1);
            if rows.len() == PAGE_ROWS as usize {
                continue;
            }
        }
        if !args.follow {
            break;
        }
        if !out.flush()? {
            return Ok(0);
        }
        tokio::time::sleep(Duration::from_millis(args.poll_ms.max(10))).await;
    }
    out.flush()?;
    store.close().await;
    Ok(0)
}

/// The rows from index `from` on, one page, each decoded; a row that does
/// not decode stops the command (run `airlock audit verify`).
async fn page(log: &SqlTenantStore, from: u64) -> Result<Vec<StoredEntry>> {
    let rows = log
        .audit_page(from, PAGE_ROWS)
        .await
        .context("cannot read the log")?;
    rows.into_iter()
        .map(|row| {
            let position = row.position;
            row.decoded.with_context(|| {
                format!("entry {position} does not decode; run `airlock audit verify`")
            })
        })
        .collect()
}

fn parse_since(text: &str) -> Result<Timestamp> {
    let instant = OffsetDateTime::parse(text, &Rfc3339)
        .with_context(|| format!("--since {text:?} is not an RFC 3339 date and time"))?;
    Timestamp::from_datetime(instant).with_context(|| format!("--since {text:?} is out of range"))
}

/// `  index  timestamp  kind  actor  subject  data`.
fn human_line(row: &StoredEntry) -> String {
    let entry = &row.entry;
    format!(
        "{:>8}  {}  {:<18} {:<20} {}  {}\n",
        entry.index,
        entry.timestamp,
        entry.kind.as_str(),
        entry.actor,
        entry.subject,
        entry.data
    )
}

/// Buffered stdout where a closed pipe (`| head`) ends the command quietly.
struct Output {
    out: BufWriter<std::io::Stdout>,
}

impl Output {
    fn stdout() -> Self {
        Output {
            out: BufWriter::with_capacity(1 << 16, std::io::stdout()),
        }
    }

    /// `false` when the reader went away.
    fn write(&mut self, bytes: &[u8]) -> Result<bool> {
        match self.out.write_all(bytes) {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == ErrorKind::BrokenPipe => Ok(false),
            Err(error) => Err(error).context("cannot write to stdout"),
        }
    }

    fn flush(&mut self) -> Result<bool> {
        match self.out.flush() {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == ErrorKind::BrokenPipe => Ok(false),
            Err(error) => Err(error).context("cannot write to stdout"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_accepts_rfc3339_with_any_offset() {
        assert_eq!(
            parse_since("2025-06-01T02:00:00+02:00")
                .unwrap()
                .to_string(),
            "2025-06-01T00:00:00.000000Z"
        );
        assert!(parse_since("2025-06-01").is_err());
        assert!(parse_since("yesterday").is_err());
    }
}
