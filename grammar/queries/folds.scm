; Folds (Neovim: foldmethod=expr, foldexpr=v:lua.vim.treesitter.foldexpr()).
; A line continued with `\` over several physical lines folds to its first;
; so does a comment continued that way. Helix does not fold with queries.
(line) @fold

(comment) @fold
