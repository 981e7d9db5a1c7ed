/*
 * External scanner for the bazelrc grammar.
 *
 * The scanner produces the words and comments; the internal lexer only
 * produces the newline and the `:` and `=` that split a command or a flag
 * (its tokens are cheaper), when the scanner leaves them to it.
 *
 * Bazel's client reads an rc file in these steps, which the scanner follows
 * in a single pass:
 *
 *   1. Delete every `\` CR LF, then (in the result) every `\` LF: line
 *      continuations. They may be anywhere: inside a word, a quote or a
 *      comment. The deletion is naive: in `\\` LF the second backslash and
 *      the LF go away and the first backslash escapes what follows; and a
 *      backslash followed by `\` CR LF continuations and then an LF is
 *      deleted with that LF by the second pass.
 *   2. Split on LF and strip each line of ASCII whitespace.
 *   3. Split each line into words, separated by space, tab or CR. Inside a
 *      word, `\` escapes the next character (inside quotes too), `'` and `"`
 *      open a quote that runs to the same quote character or to the end of
 *      the line, and an unquoted, unescaped `#` starts a comment that runs
 *      to the end of the line.
 *
 * Token ranges: a word token covers the whole raw text of the word (quotes,
 * escapes and line continuations inside it included). It does not end with
 * raw whitespace or with a line continuation, which are left to the padding
 * of the next token, with one exception (see keep_blank_if_line_goes_on).
 * `command_name`, `flag_name` and `workspace_placeholder` end inside a word,
 * right before the `:`, `=` or rest of the path that follow them.
 *
 * The scanner knows where it is from the set of valid tokens: at the start
 * of a line `command_name` is valid, after `--` `target_pattern` is, and so
 * on. Its only state is about the previous token: whether it took the
 * separators that follow its word (then a `:` or `=` right after it is a new
 * word), whether its word went to the end of the line (then \v and \f that
 * follow are whitespace), and whether it ended at a `:` or `=` that splits
 * its word.
 */

#include "tree_sitter/alloc.h"
#include "tree_sitter/parser.h"

#include <stdbool.h>
#include <stdint.h>

enum TokenType {
  COMMENT,
  COMMAND_NAME,
  CONFIG_NAME,
  IMPORT_KEYWORD,
  TRY_IMPORT_KEYWORD,
  FLAG_NAME,
  FLAG_VALUE,
  VALUE,
  TARGET_SEPARATOR,
  TARGET_PATTERN,
  WORKSPACE_PLACEHOLDER,
  IMPORT_PATH_TEXT,
  ERROR_SENTINEL,
};

/* How many logical characters of a word are remembered: enough to recognize
 * `try-import`, `import` and `--`. */
#define WORD_PREFIX 16

typedef struct {
  /* The quote character of the open quote, or 0. */
  int32_t quote;
  /* The previous logical character was an escaping backslash. */
  bool escape;
  /* Split the word at the first unquoted, unescaped `split` character that
   * follows at least one logical character (0: never split). */
  int32_t split;
  /* Decide `split` from the first logical character: `=` if it is `-`. */
  bool split_if_flag;
  /* The word ended at its `split` character. */
  bool was_split;
  /* The last thing read was a backslash that counted as a character (an
   * escape, or an escaped backslash), maybe followed by `\` CR LF
   * continuations. If an LF comes now, Bazel deletes that backslash and the
   * LF. `backslash_escaped` says which of the two it was. */
  bool backslash_last;
  bool backslash_escaped;
  /* Logical whitespace (escaped, quoted, or \v \f) was read after the last
   * mark_end. It belongs to the word only if the line goes on after it. */
  bool pending_blank;
  /* The token has an end: mark_end was called, or is due (`dirty`). */
  bool marked;
  /* The current position is the token's end, but mark_end was not called
   * yet (it is called before the lexer moves on, see flush). */
  bool dirty;
  /* The token took the separators after the word (see
   * keep_blank_if_line_goes_on). */
  bool ate_separators;
  /* The word went to the end of the line: what follows the token up to the
   * newline is whitespace that Bazel strips. */
  bool line_ended;
  /* Number of logical characters (the word's characters once unquoted and
   * unescaped) and the first ones. */
  uint32_t length;
  int32_t prefix[WORD_PREFIX];
} Word;

/* Whitespace as C's isspace() sees it, minus LF. Words never end with it. */
static inline bool is_blank(int32_t c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* What separates two words on a line (LF ends the line). */
static inline bool is_separator(int32_t c) {
  return c == ' ' || c == '\t' || c == '\r';
}

/* Not special anywhere in a word: the fast path of scan_word. */
static inline bool is_plain(int32_t c) {
  switch (c) {
    case 0: /* maybe the end of the file */
    case '\n':
    case ' ':
    case '\t':
    case '\r':
    case '\v':
    case '\f':
    case '\\':
    case '#':
    case '"':
    case '\'':
      return false;
    default:
      return true;
  }
}

/* The lookahead is 0 at the end of the file (and for a NUL character). */
static inline bool at_eof(TSLexer *lexer) {
  return lexer->lookahead == 0 && lexer->eof(lexer);
}

/* Only for c != 0. */
static inline bool next_is(TSLexer *lexer, int32_t c) {
  return lexer->lookahead == c;
}

static inline void consume(TSLexer *lexer) { lexer->advance(lexer, false); }

/* The word's token ends here (unless a later mark moves the end further). */
static void mark(TSLexer *lexer, Word *word) {
  lexer->mark_end(lexer);
  word->marked = true;
  word->dirty = false;
  word->pending_blank = false;
}

/* Calls the mark_end that is due, before the lexer moves on. */
static inline void flush(TSLexer *lexer, Word *word) {
  if (word->dirty) {
    lexer->mark_end(lexer);
    word->dirty = false;
  }
}

static void push(Word *word, int32_t c) {
  if (word->length < WORD_PREFIX) word->prefix[word->length] = c;
  word->length++;
  if (word->length == 1 && word->split_if_flag) {
    word->split = c == '-' ? '=' : 0;
  }
}

/* Bazel deleted the last backslash, which we took for a character. */
static void forget_backslash(Word *word) {
  if (word->backslash_escaped) {
    word->length--;
    word->escape = true;
  } else {
    word->escape = false;
  }
  word->backslash_last = false;
}

static bool word_is(const Word *word, const char *text) {
  uint32_t i = 0;
  for (; text[i] != '\0'; i++) {
    if (i >= word->length || i >= WORD_PREFIX) return false;
    if (word->prefix[i] != (unsigned char)text[i]) return false;
  }
  return i == word->length;
}

/*
 * The word ended at a separator right after logical whitespace (`a\ ` or
 * `a\f`). Bazel strips that whitespace if only whitespace follows on the
 * line, and keeps it otherwise. We cannot go back to mark the end of the
 * word, so if the line goes on, the token takes the separators up to the next
 * word too: Bazel's tokenizer, run on the token's text, still stops at the
 * first separator. A backslash, \v or \f is taken to mean that the line
 * goes on; that is wrong only for a line continuation followed by an empty
 * line, or for \v or \f followed by nothing but whitespace.
 */
static void keep_blank_if_line_goes_on(TSLexer *lexer, Word *word) {
  word->line_ended = true;
  while (!at_eof(lexer)) {
    int32_t c = lexer->lookahead;
    if (c == '\n') return;
    if (c == '\\' || !is_separator(c)) { /* \v and \f start a word */
      mark(lexer, word);
      word->ate_separators = true;
      if (c != '\\') {
        word->line_ended = false;
        return;
      }
      consume(lexer);
      if (next_is(lexer, '\r')) consume(lexer);
      if (!next_is(lexer, '\n')) { /* the next word starts with it */
        word->line_ended = false;
        return;
      }
      consume(lexer);                    /* a continuation */
      continue;
    }
    consume(lexer);
  }
}

/*
 * Consumes the rest of a word. The word may already have started with a
 * backslash (`word->escape`) or an escaped CR.
 */
static void scan_word(TSLexer *lexer, Word *word) {
  for (;;) {
    int32_t c = lexer->lookahead;
    if (!word->escape && is_plain(c) && (word->quote || c != word->split)) {
      /* A plain character of the word: the token goes at least to here. */
      consume(lexer);
      push(word, c);
      word->backslash_last = false;
      word->marked = true;
      word->dirty = true;
      word->pending_blank = false;
      continue;
    }
    flush(lexer, word);

    if (at_eof(lexer) || c == '\n') {
      /* The end of the line: a dangling escape or an open quote ends here. */
      word->line_ended = true;
      break;
    }

    if (c == '\\') {
      /* A backslash is not whitespace for Bazel's line stripping, so the
       * word reaches at least here, unless the backslash starts a line
       * continuation. */
      bool may_mark = !word->pending_blank;
      consume(lexer);
      if (next_is(lexer, '\n')) {
        consume(lexer); /* a continuation */
        word->backslash_last = false;
        continue;
      }
      if (next_is(lexer, '\r')) {
        /* Mark before the CR in case it stands alone (then it is
         * whitespace). */
        if (may_mark) mark(lexer, word);
        consume(lexer);
        if (next_is(lexer, '\n')) {
          consume(lexer); /* a CR LF continuation */
          if (word->backslash_last && next_is(lexer, '\n')) {
            consume(lexer);
            forget_backslash(word);
            mark(lexer, word);
          } else if (may_mark) {
            mark(lexer, word); /* not in the middle of the continuation */
          }
          continue;
        }
        word->backslash_last = false;
        if (word->escape) {
          /* The backslash was the escaped character; the CR stands alone:
           * literal inside a quote, a separator outside. */
          word->escape = false;
          push(word, '\\');
          if (!word->quote) {
            if (!may_mark) {
              mark(lexer, word); /* after the CR: the token eats it */
              word->ate_separators = true;
            }
            break;
          }
        }
        push(word, '\r'); /* an escaped CR, or a CR inside quotes */
        word->pending_blank = true;
        continue;
      }
      mark(lexer, word);
      word->backslash_last = true;
      word->backslash_escaped = word->escape;
      if (word->escape) {
        word->escape = false;
        push(word, '\\');
      } else {
        word->escape = true;
      }
      continue;
    }

    word->backslash_last = false;

    if (word->escape || (word->quote && c != word->quote)) {
      word->escape = false;
      consume(lexer);
      push(word, c);
      if (is_blank(c)) {
        word->pending_blank = true;
      } else {
        mark(lexer, word);
      }
      continue;
    }

    if (word->quote) { /* the closing quote */
      word->quote = 0;
      consume(lexer);
      mark(lexer, word);
      continue;
    }

    if (is_separator(c)) {
      if (word->pending_blank) keep_blank_if_line_goes_on(lexer, word);
      break;
    }

    if (c == '#' || (c == word->split && word->split && word->length > 0)) {
      /* The line goes on, so logical whitespace before this point stays in
       * the word. */
      if (word->pending_blank) mark(lexer, word);
      word->was_split = c != '#';
      break;
    }

    consume(lexer);
    if (c == '"' || c == '\'') {
      word->quote = c;
      mark(lexer, word);
    } else {
      push(word, c);
      if (is_blank(c)) { /* \v or \f */
        word->pending_blank = true;
      } else {
        mark(lexer, word);
      }
    }
  }
}

/* A comment: from `#` to the end of the line, continuations included. */
static void scan_comment(TSLexer *lexer) {
  consume(lexer);
  bool dirty = true; /* the current position ends the comment */
  bool backslash_last = false;
  for (;;) {
    int32_t c = lexer->lookahead;
    if (c != '\\' && c != '\n' && c != 0 && !is_blank(c)) {
      consume(lexer);
      dirty = true;
      backslash_last = false;
      continue;
    }
    if (dirty) {
      lexer->mark_end(lexer);
      dirty = false;
    }
    if (at_eof(lexer) || c == '\n') break;
    consume(lexer);
    if (c != '\\') {
      backslash_last = false;
      dirty = !is_blank(c); /* a NUL character, or whitespace */
      continue;
    }
    if (next_is(lexer, '\n')) {
      consume(lexer);
      backslash_last = false;
    } else if (next_is(lexer, '\r')) {
      consume(lexer);
      if (next_is(lexer, '\n')) {
        consume(lexer);
        if (backslash_last && next_is(lexer, '\n')) {
          consume(lexer);
          backslash_last = false;
        }
      } else {
        backslash_last = false;
      }
    } else {
      backslash_last = true;
    }
    /* A continuation extends the comment even if nothing follows it. */
    dirty = true;
  }
  if (dirty) lexer->mark_end(lexer);
}

typedef struct {
  /* The previous token took the separators after its word. */
  bool ate_separators;
  /* The previous token's word went to the end of its line. */
  bool line_ended;
  /* The previous token ended at this `:` or `=`, which splits its word
   * (0: it did not). */
  int32_t split;
} Scanner;

static bool finish(TSLexer *lexer, enum TokenType type) {
  lexer->result_symbol = type;
  return true;
}

static bool scan(Scanner *scanner, TSLexer *lexer, const bool *valid) {
  bool recovering = valid[ERROR_SENTINEL];
  bool spaced = scanner->ate_separators;
  bool line_ended = scanner->line_ended;
  int32_t split = scanner->split;
  scanner->ate_separators = false;
  scanner->line_ended = false;
  scanner->split = 0;

  /* \v and \f start a word, except where Bazel strips them: at the start
   * and at the end of a line. */
  bool blank_words = !recovering && !valid[COMMAND_NAME] && !line_ended;

  /* Padding: blanks and line continuations. `spaced` tells whether a blank
   * separates this token from the previous one (a continuation does not).
   * A backslash that does not start a continuation starts a word. */
  bool started = false;
  Word word = {0};
  while (!at_eof(lexer)) {
    int32_t c = lexer->lookahead;
    if (is_blank(c)) {
      if (blank_words && !is_separator(c)) break;
      lexer->advance(lexer, true);
      spaced = true;
      continue;
    }
    if (c != '\\') break;
    consume(lexer);
    if (next_is(lexer, '\n')) {
      lexer->advance(lexer, true); /* moves the token start past it */
      continue;
    }
    word.marked = true;
    lexer->mark_end(lexer);
    if (next_is(lexer, '\r')) {
      consume(lexer);
      if (next_is(lexer, '\n')) {
        lexer->advance(lexer, true);
        continue;
      }
      push(&word, '\r'); /* an escaped CR starts the word */
      word.pending_blank = true;
    } else {
      word.escape = true;
      word.backslash_last = true;
    }
    started = true;
    break;
  }

  if (!started) {
    /* The end of the file, or a newline: the internal lexer's job. */
    if (at_eof(lexer) || lexer->lookahead == '\n') return false;
    int32_t c = lexer->lookahead;
    if (c == '#') {
      if (!valid[COMMENT]) return false;
      scan_comment(lexer);
      return finish(lexer, COMMENT);
    }
    /* The `:` or `=` at which the previous token split its word: the
     * internal lexer's job too. (The state is stale after the internal
     * lexer's tokens: after the `:` or `=` itself, or after a newline.) */
    if (!recovering && !spaced && split != 0 && c == split &&
        !valid[COMMAND_NAME] && !valid[CONFIG_NAME] && !valid[FLAG_VALUE]) {
      return false;
    }
  }

  enum TokenType type;
  if (recovering) {
    /* Give tree-sitter whole words so that it can resynchronize on the next
     * newline. */
    scan_word(lexer, &word);
    type = VALUE;
  } else if (!spaced && valid[CONFIG_NAME]) {
    /* The rest of a word whose first part was the previous token. */
    scan_word(lexer, &word);
    type = CONFIG_NAME;
  } else if (!spaced && valid[FLAG_VALUE]) {
    scan_word(lexer, &word);
    type = FLAG_VALUE;
  } else if (!spaced && valid[IMPORT_PATH_TEXT] &&
             !valid[WORKSPACE_PLACEHOLDER]) {
    scan_word(lexer, &word);
    type = IMPORT_PATH_TEXT;
  } else if (valid[COMMAND_NAME]) {
    /* A new word from here on. */
    word.split = ':';
    scan_word(lexer, &word);
    type = COMMAND_NAME;
    if (!word.was_split) {
      if (valid[IMPORT_KEYWORD] && word_is(&word, "import")) {
        type = IMPORT_KEYWORD;
      } else if (valid[TRY_IMPORT_KEYWORD] && word_is(&word, "try-import")) {
        type = TRY_IMPORT_KEYWORD;
      }
    }
  } else if (valid[WORKSPACE_PLACEHOLDER]) {
    static const char placeholder[] = "%workspace%";
    if (!started) {
      uint32_t i = 0;
      while (placeholder[i] != '\0' && next_is(lexer, placeholder[i])) {
        consume(lexer);
        mark(lexer, &word);
        push(&word, placeholder[i]);
        i++;
      }
      if (placeholder[i] == '\0') return finish(lexer, WORKSPACE_PLACEHOLDER);
    }
    /* Not the placeholder. The characters matched so far are plain ones; the
     * word goes on from them. */
    scan_word(lexer, &word);
    type = IMPORT_PATH_TEXT;
  } else if (valid[TARGET_PATTERN]) {
    scan_word(lexer, &word);
    type = TARGET_PATTERN;
  } else if (valid[FLAG_NAME]) {
    /* A flag if the first logical character is `-`. */
    if (word.length > 0) {
      word.split = word.prefix[0] == '-' ? '=' : 0;
    } else {
      word.split_if_flag = true;
    }
    scan_word(lexer, &word);
    if (word.split == 0) {
      type = VALUE;
    } else if (!word.was_split && valid[TARGET_SEPARATOR] &&
               word_is(&word, "--")) {
      type = TARGET_SEPARATOR;
    } else {
      type = FLAG_NAME;
    }
  } else if (valid[VALUE]) {
    scan_word(lexer, &word);
    type = VALUE;
  } else {
    return false;
  }

  /* A word that is only whitespace (\v or \f outside quotes) at the end of a
   * line: Bazel strips it. The internal lexer skips it as whitespace. */
  if (!word.marked) return false;
  scanner->ate_separators = word.ate_separators;
  scanner->line_ended = word.line_ended;
  if (word.was_split) scanner->split = word.split;
  return finish(lexer, type);
}

void *tree_sitter_bazelrc_external_scanner_create(void) {
  return ts_calloc(1, sizeof(Scanner));
}

void tree_sitter_bazelrc_external_scanner_destroy(void *payload) {
  ts_free(payload);
}

unsigned tree_sitter_bazelrc_external_scanner_serialize(void *payload,
                                                        char *buffer) {
  const Scanner *scanner = payload;
  char flags = (char)((scanner->ate_separators ? 1 : 0) |
                      (scanner->line_ended ? 2 : 0) |
                      (scanner->split == ':' ? 4 : 0) |
                      (scanner->split == '=' ? 8 : 0));
  if (flags == 0) return 0;
  buffer[0] = flags;
  return 1;
}

void tree_sitter_bazelrc_external_scanner_deserialize(void *payload,
                                                      const char *buffer,
                                                      unsigned length) {
  Scanner *scanner = payload;
  char flags = length > 0 ? buffer[0] : 0;
  scanner->ate_separators = (flags & 1) != 0;
  scanner->line_ended = (flags & 2) != 0;
  scanner->split = (flags & 4) ? ':' : (flags & 8) ? '=' : 0;
}

bool tree_sitter_bazelrc_external_scanner_scan(void *payload, TSLexer *lexer,
                                               const bool *valid_symbols) {
  return scan(payload, lexer, valid_symbols);
}
