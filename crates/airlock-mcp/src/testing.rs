//! Test support shared by this crate's tests and the CLI's: finding node
//! and the reference MCP filesystem server, installing the pinned npm
//! packages (`tests/mcp/package-lock.json`) on a fresh checkout.

use std::path::{Path, PathBuf};
use std::sync::Once;

/// The directory holding the pinned test packages.
pub fn test_packages_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp")
}

/// The reference filesystem server's entry point, installed with `npm ci`
/// when missing. `None` (with a message) when node is absent outside CI;
/// in CI (`CI` set) a missing node or package panics, so the suite cannot
/// pass by skipping.
pub fn filesystem_server_script() -> Option<PathBuf> {
    let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    let node = std::process::Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        assert!(
            !in_ci,
            "node is required for the MCP gateway tests in CI (CI is set) but was not found"
        );
        eprintln!("SKIPPED: node is not installed; the MCP gateway tests against the reference filesystem server need it");
        return None;
    }
    let packages = test_packages_dir();
    let script =
        packages.join("node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");
    if !script.is_file() {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            let _ = std::process::Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&packages)
                .status();
        });
    }
    assert!(
        script.is_file(),
        "{} is missing and `npm ci` did not install it: run `npm ci` in {}",
        script.display(),
        packages.display()
    );
    Some(script)
}
