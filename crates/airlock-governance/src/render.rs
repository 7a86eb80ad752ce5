//! Output of the governance commands: text for people, JSON for tools,
//! SARIF 2.1.0 for code-scanning (analysis findings) and JUnit XML for CI
//! test reports.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::analysis::Analysis;
use crate::diff::{ChangeDirection, PolicyDiff};
use crate::findings::FindingKind;
use crate::testing::TestReport;
use crate::validate::ValidationReport;

/// The validation report for people.
pub fn validation_human(report: &ValidationReport) -> String {
    let mut out = String::new();
    for problem in &report.problems {
        let _ = writeln!(out, "error: {}", problem.message);
    }
    if report.is_valid() {
        let _ = writeln!(
            out,
            "ok: {}{} policies valid against the airlock schema, {} test file{} well-formed",
            report
                .config
                .as_ref()
                .map_or(String::new(), |c| format!("{c} valid; ")),
            report.policies,
            report.test_files.len(),
            if report.test_files.len() == 1 {
                ""
            } else {
                "s"
            }
        );
    } else {
        let _ = writeln!(out, "{} problem(s) found", report.problems.len());
    }
    out
}

/// The test report for people: each case, and for failures expected vs
/// got and the decision's reason.
pub fn tests_human(report: &TestReport) -> String {
    let mut out = String::new();
    for file in &report.files {
        let _ = writeln!(out, "{}", file.file);
        if let Some(error) = &file.error {
            let _ = writeln!(out, "  error: {error}");
        }
        for case in &file.cases {
            if case.passed {
                let _ = writeln!(out, "  ok    {} → {}", case.name, case.got);
            } else {
                let _ = writeln!(out, "  FAIL  {}", case.name);
                let _ = writeln!(out, "        expected: {}", case.expected);
                let _ = writeln!(out, "        got:      {}", case.got);
                for failure in &case.failures {
                    let _ = writeln!(out, "        - {failure}");
                }
                let _ = writeln!(out, "        reason:   {}", case.reason);
            }
        }
    }
    let errors = report.files.iter().filter(|f| f.error.is_some()).count();
    let _ = writeln!(
        out,
        "{} passed, {} failed{}",
        report.passed,
        report.failed,
        if errors > 0 {
            format!(", {errors} file(s) could not run")
        } else {
            String::new()
        }
    );
    out
}

/// JUnit XML: one `<testsuite>` per test file, one `<testcase>` per case.
pub fn tests_junit(report: &TestReport) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let errors = report.files.iter().filter(|f| f.error.is_some()).count();
    let _ = writeln!(
        out,
        "<testsuites name=\"airlock policy test\" tests=\"{}\" failures=\"{}\" errors=\"{errors}\">",
        report.passed + report.failed,
        report.failed
    );
    for file in &report.files {
        let failures = file.cases.iter().filter(|c| !c.passed).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{}\">",
            xml(&file.file),
            file.cases.len(),
            usize::from(file.error.is_some())
        );
        if let Some(error) = &file.error {
            let _ = writeln!(
                out,
                "    <testcase name=\"load\" classname=\"{}\"><error message=\"{}\"/></testcase>",
                xml(&file.file),
                xml(error)
            );
        }
        for case in &file.cases {
            if case.passed {
                let _ = writeln!(
                    out,
                    "    <testcase name=\"{}\" classname=\"{}\"/>",
                    xml(&case.name),
                    xml(&file.file)
                );
            } else {
                let detail = format!(
                    "expected: {}\ngot: {}\n{}\nreason: {}",
                    case.expected,
                    case.got,
                    case.failures.join("\n"),
                    case.reason
                );
                let _ = writeln!(
                    out,
                    "    <testcase name=\"{}\" classname=\"{}\"><failure message=\"{}\">{}</failure></testcase>",
                    xml(&case.name),
                    xml(&file.file),
                    xml(case.failures.first().map_or("failed", String::as_str)),
                    xml(&detail)
                );
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn xml(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => escaped.push(c),
        }
    }
    escaped
}

/// The analysis for people: findings, then (with `matrix`) the authority
/// matrix in compact form.
pub fn analysis_human(analysis: &Analysis, matrix: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "authority analysis: {} rows ({}), {}",
        analysis.rows.len(),
        analysis.rows.join("; "),
        analysis.method
    );
    if analysis.findings.is_empty() {
        let _ = writeln!(out, "no findings");
    }
    for finding in &analysis.findings {
        let _ = writeln!(
            out,
            "\n{} {} [{}]: {}",
            finding.id,
            finding.severity.as_str(),
            finding.kind.name(),
            finding.message
        );
        for location in &finding.locations {
            let _ = writeln!(
                out,
                "    at {}:{}:{} ({})",
                location.file, location.line, location.column, location.policy
            );
        }
        let _ = writeln!(out, "    method: {}", finding.method);
        let _ = writeln!(out, "    fix: {}", finding.kind.help());
    }
    if matrix {
        let _ = writeln!(
            out,
            "\nauthority matrix (verdict for each risk level: none low medium high critical)"
        );
        let mut current = String::new();
        for entry in &analysis.matrix {
            let header = format!(
                "{} / {} / {}",
                entry.row, entry.capability, entry.environment
            );
            if header != current {
                let _ = writeln!(out, "{header}");
                current = header;
            }
            let approvals = entry
                .approvals
                .as_ref()
                .map_or(String::new(), |a| format!(" ({})", a.describe()));
            let when = if entry.when.is_empty() {
                String::new()
            } else {
                format!(
                    " when {}",
                    entry
                        .when
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let _ = writeln!(
                out,
                "    {:<10} {:<9} risk {:<28} {}{approvals}{when}",
                entry.effect,
                entry.sensitivity,
                entry.risks.join(","),
                entry.verdict.as_str()
            );
        }
    }
    let high = analysis
        .findings
        .iter()
        .filter(|f| f.severity == crate::findings::Severity::High)
        .count();
    let _ = writeln!(out, "\n{} finding(s), {high} high", analysis.findings.len());
    out
}

/// The analysis as JSON (`matrix` includes the full matrix).
pub fn analysis_json(analysis: &Analysis, matrix: bool) -> Value {
    let mut value = json!({
        "rows": analysis.rows,
        "requests": analysis.requests,
        "method": analysis.method,
        "findings": analysis.findings,
    });
    if matrix {
        if let Some(object) = value.as_object_mut() {
            object.insert("matrix".to_string(), json!(analysis.matrix));
        }
    }
    value
}

/// The analysis findings as a SARIF 2.1.0 log.
pub fn analysis_sarif(analysis: &Analysis) -> Value {
    let rules: Vec<Value> = FindingKind::ALL
        .iter()
        .map(|kind| {
            json!({
                "id": kind.id(),
                "name": kind.name(),
                "shortDescription": { "text": kind.summary() },
                "fullDescription": { "text": kind.summary() },
                "help": { "text": kind.help() },
                "defaultConfiguration": { "level": kind.default_severity().sarif_level() },
            })
        })
        .collect();
    let results: Vec<Value> = analysis
        .findings
        .iter()
        .map(|finding| {
            let rule_index = FindingKind::ALL
                .iter()
                .position(|k| *k == finding.kind)
                .unwrap_or(0);
            let locations: Vec<Value> = finding
                .locations
                .iter()
                .map(|location| {
                    json!({
                        "physicalLocation": {
                            "artifactLocation": { "uri": uri(&location.file) },
                            "region": {
                                "startLine": location.line.max(1),
                                "startColumn": location.column.max(1),
                            },
                        },
                        "logicalLocations": [{ "name": location.policy, "kind": "object" }],
                    })
                })
                .collect();
            json!({
                "ruleId": finding.id,
                "ruleIndex": rule_index,
                "level": finding.severity.sarif_level(),
                "message": { "text": finding.message },
                "locations": locations,
                "properties": {
                    "severity": finding.severity.as_str(),
                    "method": finding.method,
                },
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "airlock",
                    "informationUri": "https://example.invalid/airlock",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "results": results,
            "properties": { "method": analysis.method, "requests": analysis.requests },
        }],
    })
}

/// A file path as a relative URI reference (forward slashes, spaces and
/// other reserved characters percent-encoded).
fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path);
    let mut encoded = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                encoded.push(byte as char)
            }
            other => {
                let _ = write!(encoded, "%{other:02X}");
            }
        }
    }
    encoded
}

/// The diff for people.
pub fn diff_human(diff: &PolicyDiff) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "authority diff {} → {} (exhaustive enumeration over {} abstract requests)",
        diff.old, diff.new, diff.requests
    );
    if diff.changes.is_empty() {
        let _ = writeln!(out, "no change in authority");
    }
    for change in &diff.changes {
        let sign = match change.direction {
            ChangeDirection::Added => "+",
            ChangeDirection::Removed => "-",
            ChangeDirection::Changed => "~",
        };
        let _ = writeln!(out, "{sign} {}", change.message);
    }
    let _ = writeln!(
        out,
        "{} added, {} removed, {} changed",
        diff.added(),
        diff.removed(),
        diff.changes.len() - diff.added() - diff.removed()
    );
    out
}
