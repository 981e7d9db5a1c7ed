/**
 * @file Tree-sitter grammar for Bazel's rc files (.bazelrc)
 * @license MIT OR Apache-2.0
 *
 * Bazel reads an rc file like this:
 *
 *   1. every backslash directly followed by a newline (`\` LF or `\` CR LF)
 *      is deleted, anywhere in the file (a line continuation);
 *   2. the text is split into lines and each line is stripped;
 *   3. each line is split into words: `\` escapes the next character, `'`
 *      and `"` quote (also in the middle of a word), and an unquoted `#`
 *      starts a comment that runs to the end of the line;
 *   4. the first word is the command (`build`, `build:config`, `import`,
 *      `try-import`, ...), the other words are its arguments.
 *
 * Regular expressions cannot describe words in which a line continuation may
 * appear between any two characters, so the words are produced by the
 * external scanner in `src/scanner.c`. The scanner uses the set of valid
 * tokens to know where it is: at the start of a line, after a command name,
 * after a flag name, after `--`, ... It leaves the newline and the `:` and
 * `=` that split a word to the internal lexer (whose tokens are cheaper).
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

module.exports = grammar({
  name: 'bazelrc',

  // Used by the internal lexer, which lexes the newline, `:` and `=` tokens
  // when the external scanner leaves them to it. Newlines are significant.
  extras: _ => [/[ \t\r\f\v]/, /\\\r?\n/],

  externals: $ => [
    $.comment,
    $.command_name,
    $.config_name,
    'import',
    'try-import',
    $.flag_name,
    $.flag_value,
    $.value,
    $.target_separator,
    $.target_pattern,
    $.workspace_placeholder,
    $._import_path_text,
    // Never used in a rule: it is only valid while tree-sitter recovers from
    // an error, which tells the scanner that it is in that mode.
    $._error_sentinel,
  ],

  rules: {
    source_file: $ => seq(
      optional($._item),
      repeat(seq($._newline, optional($._item))),
    ),

    _item: $ => choice($.line, $.import, $.comment),

    _newline: _ => /\n/,

    // `build:opt --copt=-O2 -c opt -- //foo/... -//foo/bar  # comment`
    line: $ => seq(
      field('command', $.command),
      repeat(choice($.flag, $.value)),
      optional(seq($.target_separator, repeat($.target_pattern))),
      optional($.comment),
    ),

    // `build` or `build:config`. The name ends at the first `:` that is
    // neither quoted nor escaped.
    command: $ => seq(
      field('name', $.command_name),
      optional(seq(':', optional(field('config', $.config_name)))),
    ),

    // `--name`, `--name=value`, `-c`. The name ends at the first `=` that is
    // neither quoted nor escaped.
    flag: $ => seq(
      field('name', $.flag_name),
      optional(seq('=', optional(field('value', $.flag_value)))),
    ),

    // `import path` / `try-import %workspace%/path`. Bazel wants exactly one
    // word after the keyword; missing or extra words still parse (extra words
    // are `value` nodes) so that a tool can report them.
    import: $ => seq(
      field('keyword', choice('import', 'try-import')),
      optional(field('path', $.import_path)),
      repeat($.value),
      optional($.comment),
    ),

    import_path: $ => choice(
      seq($.workspace_placeholder, optional($._import_path_text)),
      $._import_path_text,
    ),
  },
});
