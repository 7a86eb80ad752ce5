//! Latency the gateway adds to an allowed `tools/call`: the same call
//! (`read_text_file` of a small file) made alternately to the reference
//! filesystem server directly and through the proxy (local judge, default
//! policy, pins on), each over stdio to its own server process, in the
//! same run. Prints p50, p90, p99 of both and their differences.
//!
//! `cargo bench -p airlock-mcp --bench proxy_latency` (needs `npm ci` in
//! `tests/mcp/`). `AIRLOCK_BENCH_CALLS` sets the number of calls (default
//! 3000 each, after 300 of warm-up).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use airlock_engine::Engine;
use airlock_mcp::transports::{client_over, server_process};
use airlock_mcp::{EscalationMode, Gateway, GatewayOptions, Judge, LocalJudge, PinStore};
use rmcp::model::CallToolRequestParams;
use rmcp::ServiceExt;
use serde_json::json;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/mcp/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");
    if !script.is_file() {
        eprintln!(
            "SKIPPED: run `npm ci` in tests/mcp/ first ({} is missing)",
            script.display()
        );
        return;
    }
    let calls: usize = std::env::var("AIRLOCK_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(&script, calls));
}

async fn run(script: &Path, calls: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = std::fs::canonicalize(dir.path()).expect("dir");
    let notes = files.join("notes.txt");
    std::fs::write(&notes, "first line\nsecond line\n").expect("file");
    let command = vec![
        "node".to_string(),
        script.display().to_string(),
        files.display().to_string(),
    ];

    let direct = ().serve(server_process(&command).expect("server")).await.expect("direct client");

    let judge: Arc<dyn Judge> = Arc::new(LocalJudge::new(
        Arc::new(Engine::with_defaults().expect("engine")),
        None,
    ));
    let gateway = Gateway::new(
        judge,
        Some(PinStore::open(files.join(".airlock/mcp-pins.json")).expect("pins")),
        GatewayOptions {
            server_name: "filesystem".into(),
            escalation: EscalationMode::ReturnPending,
        },
    );
    let (client_end, proxy_end) = tokio::io::duplex(1 << 20);
    let (read, write) = tokio::io::split(proxy_end);
    let server = server_process(&command).expect("server");
    tokio::spawn(async move { gateway.run(client_over(read, write, 4 << 20), server).await });
    let (read, write) = tokio::io::split(client_end);
    let proxied = ().serve((read, write)).await.expect("proxied client");

    let params = CallToolRequestParams::new("read_text_file")
        .with_arguments(json!({"path": notes}).as_object().cloned().expect("object"));
    let mut direct_times = Vec::with_capacity(calls);
    let mut proxied_times = Vec::with_capacity(calls);
    let warm_up = calls / 10;
    for i in 0..warm_up + calls {
        let started = Instant::now();
        let a = direct.call_tool(params.clone()).await.expect("direct call");
        let direct_time = started.elapsed();
        let started = Instant::now();
        let b = proxied
            .call_tool(params.clone())
            .await
            .expect("proxied call");
        let proxied_time = started.elapsed();
        assert_eq!(a, b, "the proxy changed the answer");
        if i >= warm_up {
            direct_times.push(direct_time);
            proxied_times.push(proxied_time);
        }
    }
    direct_times.sort();
    proxied_times.sort();
    println!(
        "tools/call read_text_file, {calls} calls each (after {warm_up} warm-up), alternating"
    );
    println!("{:<10} {:>9} {:>9} {:>9}", "", "p50 ms", "p90 ms", "p99 ms");
    for (name, times) in [("direct", &direct_times), ("proxied", &proxied_times)] {
        println!(
            "{name:<10} {:>9.3} {:>9.3} {:>9.3}",
            ms(percentile(times, 0.5)),
            ms(percentile(times, 0.9)),
            ms(percentile(times, 0.99))
        );
    }
    println!(
        "{:<10} {:>9.3} {:>9.3} {:>9.3}",
        "added",
        ms(percentile(&proxied_times, 0.5)) - ms(percentile(&direct_times, 0.5)),
        ms(percentile(&proxied_times, 0.9)) - ms(percentile(&direct_times, 0.9)),
        ms(percentile(&proxied_times, 0.99)) - ms(percentile(&direct_times, 0.99))
    );
    direct.cancel().await.expect("close");
    proxied.cancel().await.expect("close");
}
