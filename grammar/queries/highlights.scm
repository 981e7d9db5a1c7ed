; Highlights for Bazel rc files. Every capture name is one of Neovim's
; standard captures (:help treesitter-highlight-groups) and one of Helix's
; theme scopes, or (`keyword.import`, Helix's is `keyword.control.import`)
; falls back in Helix to its first part (`keyword`). No two patterns
; capture the same node.

(comment) @comment

(command_name) @keyword

(command
  ":" @punctuation.delimiter)

(config_name) @label

[
  "import"
  "try-import"
] @keyword.import

(import_path) @string.special.path

(workspace_placeholder) @constant

(flag_name) @variable.parameter

(flag
  "=" @operator)

(flag_value) @string

(value) @string

(target_separator) @punctuation.delimiter

(target_pattern) @string.special
