//! The active configuration over stdio: `bzls/listConfigs` lists the
//! configs of the workspace's rc files for an editor's picker, and
//! `workspace/executeCommand` `bzls.setActiveConfig` switches it. Both
//! shapes are public (README).

use bzls_e2e::{uri, TempDir, TestServer};
use serde_json::{json, Value};

fn fixture() -> TempDir {
    let ws = TempDir::new("configs-lsp");
    ws.write("MODULE.bazel", "module(name = \"ws\")\n");
    ws.write(
        ".bazelrc",
        "build --jobs=4\n\
         # Build with CUDA.\n\
         build:cuda --define=using_cuda=true\n\
         test:cuda --test_tag_filters=gpu\n\
         \n\
         build:opt -c opt\n\
         try-import %workspace%/user.bazelrc\n",
    );
    ws.write("user.bazelrc", "# Mine.\ncommon:mine --config=opt\n");
    ws.write("pkg/BUILD", "");
    ws
}

fn start(ws: &TempDir, options: Value) -> TestServer {
    let mut server = TestServer::spawn();
    let result = server.initialize_workspace(Some(ws.path()), json!({}), options);
    assert_eq!(
        result["capabilities"]["executeCommandProvider"]["commands"],
        json!(["bzls.setActiveConfig"]),
        "{result}"
    );
    server
}

fn result(response: Value) -> Value {
    assert!(response.get("error").is_none(), "{response}");
    response["result"].clone()
}

#[test]
fn list_configs_gives_names_descriptions_commands_locations_and_active() {
    let ws = fixture();
    // Home and system rc files are not read, so the test sees only its own.
    let options = json!({"bzls": {"configs": ["opt"], "rc": {"homeRc": false, "systemRc": false}}});
    let mut server = start(&ws, options);
    let listed = result(server.request("bzls/listConfigs", json!({})));
    assert_eq!(listed["workspace"], json!(ws.path().display().to_string()));
    assert_eq!(
        listed["active"],
        json!({"command": "build", "configs": ["opt"], "flags": []})
    );
    let configs = listed["configs"].as_array().expect("configs");
    let names: Vec<&str> = configs
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cuda", "opt", "mine"]);
    assert_eq!(configs[0]["description"], "Build with CUDA.");
    assert_eq!(configs[0]["commands"], json!(["build", "test"]));
    assert_eq!(configs[1]["description"], Value::Null);
    assert_eq!(configs[2]["description"], "Mine.");
    assert_eq!(configs[2]["commands"], json!(["common"]));
    let rc_uri = uri(&ws.path().join(".bazelrc"));
    assert_eq!(
        configs[0]["locations"],
        json!([
            {"uri": rc_uri, "range": {"start": {"line": 2, "character": 0}, "end": {"line": 2, "character": 10}}},
            {"uri": rc_uri, "range": {"start": {"line": 3, "character": 0}, "end": {"line": 3, "character": 9}}},
        ])
    );
    assert_eq!(
        configs[2]["locations"][0]["uri"],
        json!(uri(&ws.path().join("user.bazelrc")))
    );

    // From a file deep inside the workspace: the same workspace.
    let from_file = result(server.request(
        "bzls/listConfigs",
        json!({"uri": uri(&ws.path().join("pkg/BUILD"))}),
    ));
    assert_eq!(from_file["configs"], listed["configs"]);

    // An unsaved edit of an open rc file counts.
    let rc_text = "build:fresh --jobs=1\n";
    server.open(&rc_uri, "bazelrc", 1, rc_text);
    let edited = result(server.request("bzls/listConfigs", json!({})));
    let names: Vec<&str> = edited["configs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    // The open buffer replaced the file, its try-import included.
    assert_eq!(names, ["fresh"]);
}

#[test]
fn set_active_config_changes_what_is_active() {
    let ws = fixture();
    let mut server = start(
        &ws,
        json!({"bzls.rc.homeRc": false, "bzls.rc.systemRc": false}),
    );
    let set = |server: &mut TestServer, args: Value| {
        server.request(
            "workspace/executeCommand",
            json!({"command": "bzls.setActiveConfig", "arguments": [args]}),
        )
    };
    let active = result(set(&mut server, json!({"configs": ["cuda", "opt"]})));
    assert_eq!(
        active,
        json!({"command": "build", "configs": ["cuda", "opt"], "flags": []})
    );
    let active = result(set(
        &mut server,
        json!({"command": "test", "flags": ["--define=x=1"]}),
    ));
    assert_eq!(
        active,
        json!({"command": "test", "configs": ["cuda", "opt"], "flags": ["--define=x=1"]})
    );
    let listed = result(server.request("bzls/listConfigs", json!(null)));
    assert_eq!(listed["active"], active);

    // didChangeConfiguration (an editor persisting its choice) overrides it.
    server.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"bzls": {"configs": ["mine"]}}}),
    );
    let listed = result(server.request("bzls/listConfigs", json!({})));
    assert_eq!(listed["active"]["configs"], json!(["mine"]));
}

#[test]
fn bad_arguments_are_errors_and_change_nothing() {
    let ws = fixture();
    let mut server = start(&ws, json!({"bzls": {"configs": ["opt"]}}));
    for args in [
        json!([]),
        json!([1]),
        json!([{"configs": "opt"}]),
        json!([{"configs": [1]}]),
        json!([{"configs": [""]}]),
        json!([{"command": ""}]),
        json!([{"flags": [null]}]),
        json!([{"configs": ["a"]}, {"configs": ["b"]}]),
    ] {
        let response = server.request(
            "workspace/executeCommand",
            json!({"command": "bzls.setActiveConfig", "arguments": args}),
        );
        assert_eq!(response["error"]["code"], -32602, "{args}: {response}");
    }
    let response = server.request(
        "workspace/executeCommand",
        json!({"command": "bzls.noSuchCommand", "arguments": []}),
    );
    assert_eq!(response["error"]["code"], -32602, "{response}");
    for params in [
        json!({"uri": 7}),
        json!({"uri": "not a uri"}),
        json!({"uri": "untitled:Untitled-1"}),
        json!([1, 2]),
    ] {
        let response = server.request("bzls/listConfigs", params.clone());
        assert_eq!(response["error"]["code"], -32602, "{params}: {response}");
    }
    let response = server.request("bzls/listConfigs", json!("x"));
    assert_eq!(response["error"]["code"], -32600, "{response}");
    // A folder with no workspace and no rc files: an empty list.
    let elsewhere = TempDir::new("configs-nowhere");
    let listed = result(server.request(
        "bzls/listConfigs",
        json!({"uri": uri(&elsewhere.path().join("missing/dir"))}),
    ));
    assert!(listed["configs"].as_array().is_some(), "{listed}");
    assert_eq!(listed["active"]["configs"], json!(["opt"]));
}
