//! The layer order ARCHITECTURE.md writes down, checked: a module of one
//! layer names (`crate::...`) only modules of the layers above it. Test
//! files (`tests.rs`) and the test helpers (`fixture.rs`) may use anything.

use std::path::Path;

/// From the bottom of the stack up; each may use the ones before it.
const LAYERS: &[&[&str]] = &[
    &["text", "hash", "suggest"],
    &["syntax"],
    &["diagnostic"],
    &["flags"],
    &["rc"],
    &["workspace"],
    &["select"],
    &["analysis"],
    &["host"],
    &["db"],
    &["lsp"],
    &["cli"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn each_layer_uses_only_the_layers_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).expect("under src");
        let top = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .map(|name| name.trim_end_matches(".rs").to_owned())
            .unwrap_or_default();
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name == "tests.rs" || top == "fixture" {
            continue;
        }
        let Some(own) = layer_of(&top) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("read");
        for (number, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for (at, _) in code.match_indices("crate::") {
                let rest = &code[at + 7..];
                // `crate::{a::x, b}` names several modules.
                let names: Vec<String> = match rest.strip_prefix('{') {
                    Some(list) => list
                        .split(['}', ','])
                        .map(|n| n.trim().split("::").next().unwrap_or("").to_owned())
                        .collect(),
                    None => vec![rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect()],
                };
                for used in names {
                    let Some(layer) = layer_of(&used) else {
                        continue;
                    };
                    if layer > own {
                        violations.push(format!(
                            "{}:{}: {top} uses {used}",
                            rel.display(),
                            number + 1
                        ));
                    }
                }
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}
