//! The gateway in front of the reference MCP filesystem server, driven by
//! rmcp's client: allowed calls answer exactly as the server does, denied
//! calls come back as tool errors and never reach the server, `tools/list`
//! is filtered by policy, and a tool whose description changed since it
//! was pinned is withheld until a person accepts it.

mod common;

use std::time::Duration;

use common::*;
use rmcp::model::{CallToolRequestParams, JsonObject};
use serde_json::json;

fn wait() -> airlock_mcp::EscalationMode {
    airlock_mcp::EscalationMode::Wait {
        timeout: Duration::from_secs(5),
        poll_interval: Duration::from_millis(50),
    }
}

fn arguments(value: serde_json::Value) -> JsonObject {
    value.as_object().cloned().expect("object")
}

fn call(tool: &'static str, args: serde_json::Value) -> CallToolRequestParams {
    CallToolRequestParams::new(tool).with_arguments(arguments(args))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_calls_answer_exactly_as_the_server_does() {
    let Some(script) = filesystem_server_script() else {
        return;
    };
    let project = Project::new(WRITE_FILE_RULE, None);
    let command = project.filesystem_command(&script);
    let notes = project.files().join("notes.txt").display().to_string();

    let direct = client_directly(&command).await;
    let (proxied, session) =
        client_through_proxy((), project.local_gateway(wait()), &command).await;

    assert_eq!(
        serde_json::to_value(direct.peer_info()).unwrap(),
        serde_json::to_value(proxied.peer_info()).unwrap(),
        "the server's initialize result passes through whole"
    );
    let direct_tools = direct.list_all_tools().await.expect("direct tools");
    let proxied_tools = proxied.list_all_tools().await.expect("proxied tools");
    assert_eq!(
        serde_json::to_value(&direct_tools).unwrap(),
        serde_json::to_value(&proxied_tools).unwrap(),
        "with the default policy every tool of this server is listed unchanged"
    );

    for (tool, args) in [
        ("read_text_file", json!({"path": notes})),
        ("read_text_file", json!({"path": notes, "head": 1})),
        ("list_directory", json!({"path": project.files()})),
        ("get_file_info", json!({"path": notes})),
        ("list_allowed_directories", json!({})),
    ] {
        let expected = direct
            .call_tool(call(tool, args.clone()))
            .await
            .expect("direct call");
        let got = proxied
            .call_tool(call(tool, args.clone()))
            .await
            .expect("proxied call");
        let mut expected = serde_json::to_value(&expected).unwrap();
        let mut got = serde_json::to_value(&got).unwrap();
        if tool == "get_file_info" {
            // Access times move when the file is read.
            for v in [&mut expected, &mut got] {
                *v = json!(text_lines_without(v, "accessed"));
            }
        }
        assert_eq!(expected, got, "{tool} {args}");
    }

    let new_file = project.files().join("new.txt");
    let written = proxied
        .call_tool(call(
            "create_directory",
            json!({"path": project.files().join("sub")}),
        ))
        .await
        .expect("create_directory");
    assert_ne!(written.is_error, Some(true), "{}", text_of(&written));
    assert!(project.files().join("sub").is_dir());
    assert!(!new_file.exists());

    direct.cancel().await.expect("close direct");
    proxied.cancel().await.expect("close proxied");
    let end = session.await.expect("session task");
    assert!(
        matches!(end, Ok(airlock_mcp::SessionEnd::ClientClosed)),
        "{end:?}"
    );
}

fn text_lines_without(result: &serde_json::Value, word: &str) -> Vec<String> {
    result["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["text"].as_str())
        .flat_map(|t| t.lines().map(str::to_string).collect::<Vec<_>>())
        .filter(|line| !line.contains(word))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_to_a_system_location_is_denied_with_a_tool_error() {
    let Some(script) = filesystem_server_script() else {
        return;
    };
    let project = Project::new(WRITE_FILE_RULE, None);
    let command = project.filesystem_command(&script);
    let (client, _session) =
        client_through_proxy((), project.local_gateway(wait()), &command).await;

    let result = client
        .call_tool(call(
            "write_file",
            json!({"path": "/etc/cron.d/airlock-test", "content": "* * * * * root true\n"}),
        ))
        .await
        .expect("a tool result, not a protocol error");
    assert_eq!(result.is_error, Some(true));
    let text = text_of(&result);
    assert!(text.contains("airlock denied this call"), "{text}");
    assert!(text.contains("/etc/cron.d/airlock-test"), "{text}");
    client.cancel().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tools_policy_never_allows_are_not_listed_and_their_calls_never_reach_the_server() {
    let Some(script) = filesystem_server_script() else {
        return;
    };
    let project = Project::new(WRITE_FILE_RULE, Some(DENY_DESTRUCTIVE_POLICY));
    let command = project.filesystem_command(&script);
    let (client, _session) =
        client_through_proxy((), project.local_gateway(wait()), &command).await;

    let names: Vec<String> = client
        .list_all_tools()
        .await
        .expect("tools")
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    for hidden in ["write_file", "edit_file", "move_file"] {
        assert!(
            !names.contains(&hidden.to_string()),
            "{hidden} listed: {names:?}"
        );
    }
    for shown in ["read_text_file", "list_directory", "create_directory"] {
        assert!(
            names.contains(&shown.to_string()),
            "{shown} missing: {names:?}"
        );
    }

    let notes = project.files().join("notes.txt");
    let result = client
        .call_tool(call(
            "write_file",
            json!({"path": notes, "content": "overwritten"}),
        ))
        .await
        .expect("a tool result");
    assert_eq!(result.is_error, Some(true));
    assert!(
        text_of(&result).contains("policy never allows"),
        "{}",
        text_of(&result)
    );
    assert_eq!(
        std::fs::read_to_string(&notes).unwrap(),
        "first line\nsecond line\n",
        "the server never saw the call"
    );
    client.cancel().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_whose_description_changed_is_withheld_until_a_person_accepts_it() {
    let Some(script) = filesystem_server_script() else {
        return;
    };
    let project = Project::new(WRITE_FILE_RULE, None);
    let command = project.filesystem_command(&script);
    let notes = project.files().join("notes.txt").display().to_string();

    // First session: every tool is pinned as first seen.
    let (client, _session) =
        client_through_proxy((), project.local_gateway(wait()), &command).await;
    let first = client.list_all_tools().await.expect("tools");
    client.cancel().await.expect("close");
    let pins = airlock_mcp::PinStore::open(project.pins_path()).expect("pins");
    assert_eq!(pins.rows().len(), first.len());

    // The pin of read_text_file now says something else was approved: to
    // this gateway, the server changed the tool afterwards.
    let text = std::fs::read_to_string(project.pins_path()).unwrap();
    let mut file: serde_json::Value = serde_json::from_str(&text).unwrap();
    file["servers"]["filesystem"]["read_text_file"]["fingerprint"] = json!("sha256:earlier");
    std::fs::write(project.pins_path(), file.to_string()).unwrap();

    let (client, _session) =
        client_through_proxy((), project.local_gateway(wait()), &command).await;
    let names: Vec<String> = client
        .list_all_tools()
        .await
        .expect("tools")
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    assert!(!names.contains(&"read_text_file".to_string()), "{names:?}");
    assert_eq!(names.len(), first.len() - 1);
    let refused = client
        .call_tool(call("read_text_file", json!({"path": notes})))
        .await
        .expect("a tool result");
    assert_eq!(refused.is_error, Some(true));
    assert!(
        text_of(&refused).contains("airlock mcp pins accept filesystem read_text_file"),
        "{}",
        text_of(&refused)
    );

    let mut pins = airlock_mcp::PinStore::open(project.pins_path()).expect("pins");
    assert_eq!(
        pins.accept("filesystem", Some("read_text_file")).unwrap(),
        ["read_text_file"]
    );
    let accepted = client
        .call_tool(call("read_text_file", json!({"path": notes})))
        .await
        .expect("a tool result");
    assert_ne!(accepted.is_error, Some(true), "{}", text_of(&accepted));
    assert_eq!(text_of(&accepted), "first line\nsecond line\n");
    client.cancel().await.expect("close");
}
