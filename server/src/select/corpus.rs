//! Generated corpora for benchmarks of select() previews (the criterion
//! bench `select` and the protocol bench `bench-select`): a BUILD file shaped
//! like a TensorFlow platform package and an rc file with nested configs.
//! Deterministic: the same text every time.

/// A 3,567-line BUILD file: 100 config settings, 10 aliases, 2 flags, 100
/// targets × 5 selects. Its package is `pkg` (flag labels are `//pkg:…`).
pub fn build_file() -> String {
    let mut out = String::new();
    out.push_str("load(\"@bazel_skylib//rules:common_settings.bzl\", \"string_flag\")\n\n");
    out.push_str("string_flag(name = \"backend\", build_setting_default = \"cpu\")\n");
    out.push_str("string_flag(name = \"level\", build_setting_default = \"1\")\n\n");
    for i in 0..100 {
        let body = match i % 5 {
            0 => format!("    values = {{\"compilation_mode\": \"{}\"}},\n", ["opt", "dbg", "fastbuild"][i % 3]),
            1 => format!("    define_values = {{\"feature_{}\": \"true\"}},\n", i % 17),
            2 => format!(
                "    values = {{\n        \"compilation_mode\": \"opt\",\n        \"define\": \"feature_{}=true\",\n    }},\n",
                i % 17
            ),
            3 => format!("    values = {{\"cpu\": \"{}\"}},\n", ["k8", "arm", "ppc", "darwin"][i % 4]),
            _ => format!(
                "    flag_values = {{\n        \":backend\": \"{}\",\n        \":level\": \"{}\",\n    }},\n",
                ["cpu", "gpu", "tpu"][i % 3],
                i % 4
            ),
        };
        out.push_str(&format!(
            "config_setting(\n    name = \"cond_{i}\",\n{body})\n\n"
        ));
    }
    for i in 0..10 {
        out.push_str(&format!(
            "alias(name = \"alias_{i}\", actual = \":cond_{}\")\n",
            i * 7
        ));
    }
    out.push_str("\ncc_library(name = \"base\", hdrs = [\"base.h\"])\n\n");
    for t in 0..100 {
        out.push_str(&format!(
            "# Library {t}, configured per platform.\ncc_library(\n    name = \"lib_{t}\",\n    hdrs = [\"lib_{t}.h\"],\n    copts = [\"-DLIB_{t}\"],\n    visibility = [\"//visibility:public\"],\n    srcs = [\"lib_{t}.cc\"]"
        ));
        for s in 0..5 {
            let a = (t * 5 + s) % 100;
            let b = (t * 3 + s * 11) % 100;
            let key_a = if s == 4 {
                format!(":alias_{}", a % 10)
            } else {
                format!(":cond_{a}")
            };
            out.push_str(&format!(
                " + select({{\n        \"{key_a}\": [\"a_{t}_{s}.cc\"],\n        \":cond_{b}\": [\"b_{t}_{s}.cc\"],\n"
            ));
            if (t + s) % 7 != 0 {
                out.push_str("        \"//conditions:default\": [],\n");
            }
            out.push_str("    })");
        }
        out.push_str(",\n    deps = [\":base\"],\n)\n\n");
    }
    out
}

pub fn rc_file() -> String {
    let mut out = String::new();
    for i in 0..20 {
        out.push_str(&format!("# Config {i}.\n"));
        out.push_str(&format!("build:c{i} --define=feature_{}=true\n", i % 17));
        if i % 3 == 0 {
            out.push_str(&format!("build:c{i} -c opt --config=c{}\n", (i + 1) % 20));
        }
        if i % 4 == 0 {
            out.push_str(&format!("build:c{i} --//pkg:backend=gpu\n"));
        }
    }
    out
}
