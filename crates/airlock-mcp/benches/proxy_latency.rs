//! Latency the gateway adds to an allowed `tools/call`, two ways, each
//! timing the same call made alternately to a server directly and through
//! the proxy (local judge, default policy, pins on) in the same run, and
//! printing p50, p90, p99 of both and their differences:
//!
//! 1. the reference filesystem server (`read_text_file` of a small file),
//!    one node process for each side, over stdio;
//! 2. a minimal server inside this process, answering from memory over
//!    in-memory pipes, so that the server's own variance (node's garbage
//!    collector) does not hide the proxy's.
//!
//! `cargo bench -p airlock-mcp --bench proxy_latency` (the first needs
//! `npm ci` in `tests/mcp/`). `AIRLOCK_BENCH_CALLS` sets the number of
//! calls (default 3000 each, after a tenth as many of warm-up).

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
    let calls: usize = std::env::var("AIRLOCK_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    // As `airlock mcp proxy` runs a stdio session: on one thread.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    if script.is_file() {
        runtime.block_on(run_filesystem(&script, calls));
    } else {
        eprintln!(
            "SKIPPED the filesystem server: run `npm ci` in tests/mcp/ first ({} is missing)",
            script.display()
        );
    }
    runtime.block_on(run_in_memory(calls));
}

/// A server that answers the handshake, lists one read-only tool and
/// answers every call to it with the same text, from memory.
async fn serve_from_memory(stream: tokio::io::DuplexStream) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let (read, mut write) = tokio::io::split(stream);
    let mut lines = BufReader::new(read).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        let id = message["id"].clone();
        let result = match message["method"].as_str() {
            Some("initialize") => json!({
                "protocolVersion": message["params"]["protocolVersion"],
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "in-memory", "version": "1"}}),
            Some("tools/list") => json!({"tools": [{
                "name": "get_status", "description": "Reports the status.",
                "inputSchema": {"type": "object", "properties": {"verbose": {"type": "boolean"}}},
                "annotations": {"readOnlyHint": true}}]}),
            Some("tools/call") => {
                json!({"content": [{"type": "text", "text": "all systems nominal"}]})
            }
            _ if id.is_null() => continue,
            _ => json!({}),
        };
        let reply = json!({"jsonrpc": "2.0", "id": id, "result": result});
        let mut bytes = reply.to_string().into_bytes();
        bytes.push(b'\n');
        if write.write_all(&bytes).await.is_err() {
            return;
        }
    }
}

fn in_memory_server() -> impl rmcp::transport::Transport<rmcp::service::RoleClient> {
    let (ours, theirs) = tokio::io::duplex(1 << 20);
    tokio::spawn(serve_from_memory(theirs));
    let (read, write) = tokio::io::split(ours);
    rmcp::transport::async_rw::AsyncRwTransport::new_client(read, write)
}

async fn run_in_memory(calls: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let direct = ().serve(in_memory_server()).await.expect("direct client");
    let gateway = gateway(dir.path());
    let (client_end, proxy_end) = tokio::io::duplex(1 << 20);
    let (read, write) = tokio::io::split(proxy_end);
    tokio::spawn(async move {
        gateway
            .run(client_over(read, write, 4 << 20), in_memory_server())
            .await
    });
    let (read, write) = tokio::io::split(client_end);
    let proxied = ().serve((read, write)).await.expect("proxied client");
    let params = CallToolRequestParams::new("get_status").with_arguments(
        json!({"verbose": true})
            .as_object()
            .cloned()
            .expect("object"),
    );
    measure(
        "in-memory server, tools/call get_status",
        &direct,
        &proxied,
        params,
        calls,
    )
    .await;
    direct.cancel().await.expect("close");
    proxied.cancel().await.expect("close");
}

fn gateway(dir: &Path) -> Arc<Gateway> {
    let judge: Arc<dyn Judge> = Arc::new(LocalJudge::new(
        Arc::new(Engine::with_defaults().expect("engine")),
        None,
    ));
    Gateway::new(
        judge,
        Some(PinStore::open(dir.join(".airlock/mcp-pins.json")).expect("pins")),
        GatewayOptions {
            server_name: "bench".into(),
            escalation: EscalationMode::ReturnPending,
        },
    )
}

async fn run_filesystem(script: &Path, calls: usize) {
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

    let gateway = gateway(&files);
    let (client_end, proxy_end) = tokio::io::duplex(1 << 20);
    let (read, write) = tokio::io::split(proxy_end);
    let server = server_process(&command).expect("server");
    tokio::spawn(async move { gateway.run(client_over(read, write, 4 << 20), server).await });
    let (read, write) = tokio::io::split(client_end);
    let proxied = ().serve((read, write)).await.expect("proxied client");

    let params = CallToolRequestParams::new("read_text_file")
        .with_arguments(json!({"path": notes}).as_object().cloned().expect("object"));
    measure(
        "filesystem server (node), tools/call read_text_file",
        &direct,
        &proxied,
        params,
        calls,
    )
    .await;
    direct.cancel().await.expect("close");
    proxied.cancel().await.expect("close");
}

/// CPU time this thread has used. The session, the client and (in the
/// in-memory case) the server all run on this one thread, so the CPU time
/// of a call is the work it took, without the time the thread waited for
/// a processor on a busy machine.
fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec for clock_gettime to write, and
    // CLOCK_THREAD_CPUTIME_ID is a clock every Linux kernel provides.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(status, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

async fn measure(
    title: &str,
    direct: &rmcp::service::RunningService<rmcp::service::RoleClient, ()>,
    proxied: &rmcp::service::RunningService<rmcp::service::RoleClient, ()>,
    params: CallToolRequestParams,
    calls: usize,
) {
    let mut wall = (Vec::with_capacity(calls), Vec::with_capacity(calls));
    let mut cpu = (Vec::with_capacity(calls), Vec::with_capacity(calls));
    let warm_up = calls / 10;
    for i in 0..warm_up + calls {
        let (started, cpu_before) = (Instant::now(), thread_cpu_time());
        let a = direct.call_tool(params.clone()).await.expect("direct call");
        let direct_call = (started.elapsed(), thread_cpu_time() - cpu_before);
        let (started, cpu_before) = (Instant::now(), thread_cpu_time());
        let b = proxied
            .call_tool(params.clone())
            .await
            .expect("proxied call");
        let proxied_call = (started.elapsed(), thread_cpu_time() - cpu_before);
        assert_eq!(a, b, "the proxy changed the answer");
        if i >= warm_up {
            wall.0.push(direct_call.0);
            wall.1.push(proxied_call.0);
            cpu.0.push(direct_call.1);
            cpu.1.push(proxied_call.1);
        }
    }
    println!("{title}: {calls} calls each (after {warm_up} warm-up), alternating");
    println!("{:<22} {:>9} {:>9} {:>9}", "", "p50 ms", "p90 ms", "p99 ms");
    for (what, (mut direct_times, mut proxied_times)) in
        [("wall", wall), ("this thread's CPU", cpu)]
    {
        direct_times.sort();
        proxied_times.sort();
        let row = |name: String, p50: f64, p90: f64, p99: f64| {
            println!("{name:<22} {p50:>9.3} {p90:>9.3} {p99:>9.3}");
        };
        let at = |times: &[Duration], p| ms(percentile(times, p));
        row(
            format!("{what}: direct"),
            at(&direct_times, 0.5),
            at(&direct_times, 0.9),
            at(&direct_times, 0.99),
        );
        row(
            format!("{what}: proxied"),
            at(&proxied_times, 0.5),
            at(&proxied_times, 0.9),
            at(&proxied_times, 0.99),
        );
        row(
            format!("{what}: added"),
            at(&proxied_times, 0.5) - at(&direct_times, 0.5),
            at(&proxied_times, 0.9) - at(&direct_times, 0.9),
            at(&proxied_times, 0.99) - at(&direct_times, 0.99),
        );
    }
}
