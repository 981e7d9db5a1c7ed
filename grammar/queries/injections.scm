; Comments are highlighted by the `comment` grammar where the editor has it
; (TODO, FIXME, URLs): Neovim with nvim-treesitter's `comment` parser, Helix
; out of the box.
((comment) @injection.content
  (#set! injection.language "comment"))
