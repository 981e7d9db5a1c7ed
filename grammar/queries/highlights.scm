; Highlights for Bazel rc files. Capture names are ones that both Neovim and
; Helix know; no two patterns capture the same node.

(comment) @comment

(command_name) @keyword

(command
  ":" @punctuation.delimiter)

(config_name) @label

[
  "import"
  "try-import"
] @keyword.import

(import_path) @string.special

(workspace_placeholder) @constant

(flag_name) @variable.parameter

(flag
  "=" @operator)

(flag_value) @string

(value) @string

(target_separator) @punctuation.delimiter

(target_pattern) @string.special
