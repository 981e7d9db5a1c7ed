//! textDocument/semanticTokens/full, /full/delta and /range.
//!
//! The last tokens sent for each document are kept with their result id,
//! so that `/full/delta` answers with one edit (the changed middle of the
//! token array) rather than every token again.

use std::collections::HashMap;
use std::sync::Mutex;

use ropey::Rope;
use tower_lsp::lsp_types as lsp;

use super::workspace::StarlarkRequest;
use crate::analysis::semantic_tokens::{modifiers, rc_tokens, starlark_tokens, Token, TokenKind};
use crate::text::PositionEncoding;

/// The legend the server advertises (the order of [`TokenKind::ALL`] and
/// [`modifiers::NAMES`]).
pub fn legend() -> lsp::SemanticTokensLegend {
    lsp::SemanticTokensLegend {
        token_types: TokenKind::ALL
            .iter()
            .map(|kind| match kind {
                TokenKind::Namespace => lsp::SemanticTokenType::NAMESPACE,
                TokenKind::Function => lsp::SemanticTokenType::FUNCTION,
                TokenKind::Parameter => lsp::SemanticTokenType::PARAMETER,
                TokenKind::Variable => lsp::SemanticTokenType::VARIABLE,
                TokenKind::EnumMember => lsp::SemanticTokenType::ENUM_MEMBER,
                TokenKind::Type => lsp::SemanticTokenType::TYPE,
                TokenKind::Property => lsp::SemanticTokenType::PROPERTY,
                TokenKind::Keyword => lsp::SemanticTokenType::KEYWORD,
            })
            .collect(),
        token_modifiers: modifiers::NAMES
            .iter()
            .map(|name| lsp::SemanticTokenModifier::new(name))
            .collect(),
    }
}

/// The tokens of a Starlark document.
pub fn starlark(
    req: &StarlarkRequest,
    encoding: PositionEncoding,
) -> Option<Vec<lsp::SemanticToken>> {
    let tree = req.snapshot.tree.as_ref()?;
    let text = req.snapshot.rope.to_string();
    let mentions = req
        .is_build
        .then(|| req.analysis.summary.mentions.as_slice());
    let tokens = starlark_tokens(tree, &text, mentions);
    Some(encode(&tokens, &text, encoding))
}

/// The tokens of an rc document.
pub fn rc(rope: &Rope, encoding: PositionEncoding) -> Vec<lsp::SemanticToken> {
    let text = rope.to_string();
    let file = crate::rc::file::parse(&text);
    encode(&rc_tokens(&file, &text), &text, encoding)
}

/// LSP's relative encoding: each token's line and start from the token
/// before, lengths in the position encoding's units. One pass over the
/// text (tokens are sorted and do not overlap).
fn encode(tokens: &[Token], text: &str, encoding: PositionEncoding) -> Vec<lsp::SemanticToken> {
    let mut scan = Scan::new(text, encoding);
    let mut out = Vec::with_capacity(tokens.len());
    let (mut line, mut start) = (0u32, 0u32);
    for token in tokens {
        let from = scan.advance(token.range.start);
        let to = scan.advance(token.range.end);
        if to.0 != from.0 || to.1 <= from.1 {
            continue;
        }
        let delta_line = from.0 - line;
        let delta_start = if delta_line == 0 {
            from.1 - start
        } else {
            from.1
        };
        out.push(lsp::SemanticToken {
            delta_line,
            delta_start,
            length: to.1 - from.1,
            token_type: token.kind.index(),
            token_modifiers_bitset: token.modifiers,
        });
        (line, start) = from;
    }
    out
}

/// A forward-only position in a text: line and column (in the encoding's
/// units), with the line breaks ropey counts (`\n`, `\r\n`, `\r`).
struct Scan<'t> {
    text: &'t str,
    encoding: PositionEncoding,
    byte: usize,
    line: u32,
    col: u32,
}

impl<'t> Scan<'t> {
    fn new(text: &'t str, encoding: PositionEncoding) -> Scan<'t> {
        Scan {
            text,
            encoding,
            byte: 0,
            line: 0,
            col: 0,
        }
    }

    /// Moves to byte `to` (not backwards; clamped to the text, and to a
    /// character boundary); the line and column there.
    fn advance(&mut self, to: usize) -> (u32, u32) {
        let bytes = self.text.as_bytes();
        let to = to.min(bytes.len());
        while self.byte < to {
            let b = bytes[self.byte];
            match b {
                b'\n' => {
                    self.line += 1;
                    self.col = 0;
                    self.byte += 1;
                }
                b'\r' if bytes.get(self.byte + 1) == Some(&b'\n') => {
                    self.col += 1;
                    self.byte += 1;
                }
                b'\r' => {
                    self.line += 1;
                    self.col = 0;
                    self.byte += 1;
                }
                0..=0x7f => {
                    self.col += 1;
                    self.byte += 1;
                }
                _ => {
                    let c = self.text[self.byte..].chars().next().unwrap_or('\0');
                    self.col += match self.encoding {
                        PositionEncoding::Utf8 => c.len_utf8() as u32,
                        PositionEncoding::Utf16 => c.len_utf16() as u32,
                    };
                    self.byte += c.len_utf8().max(1);
                }
            }
        }
        (self.line, self.col)
    }
}

/// The tokens of `tokens` on lines `range.start.line..=range.end.line`,
/// encoded again from the first of them.
pub fn in_range(tokens: &[lsp::SemanticToken], range: lsp::Range) -> Vec<lsp::SemanticToken> {
    let mut out = Vec::new();
    let (mut line, mut start) = (0u32, 0u32);
    let mut kept_line: Option<u32> = None;
    let mut kept_start = 0u32;
    for token in tokens {
        line += token.delta_line;
        start = if token.delta_line == 0 {
            start + token.delta_start
        } else {
            token.delta_start
        };
        if line < range.start.line || line > range.end.line {
            continue;
        }
        let mut relative = *token;
        match kept_line {
            None => {
                relative.delta_line = line;
                relative.delta_start = start;
            }
            Some(previous) => {
                relative.delta_line = line - previous;
                relative.delta_start = if line == previous {
                    start - kept_start
                } else {
                    start
                };
            }
        }
        kept_line = Some(line);
        kept_start = start;
        out.push(relative);
    }
    out
}

/// The last tokens sent per document, for `/full/delta`.
#[derive(Default)]
pub struct TokenCache {
    last: Mutex<HashMap<lsp::Url, (String, Vec<lsp::SemanticToken>)>>,
    next_id: std::sync::atomic::AtomicU64,
}

impl TokenCache {
    /// Keeps `tokens` as the latest of `uri`; their result id.
    pub fn keep(&self, uri: &lsp::Url, tokens: Vec<lsp::SemanticToken>) -> String {
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .to_string();
        self.lock().insert(uri.clone(), (id.clone(), tokens));
        id
    }

    /// The full answer for `uri`.
    pub fn full(&self, uri: &lsp::Url, tokens: Vec<lsp::SemanticToken>) -> lsp::SemanticTokens {
        let result_id = self.keep(uri, tokens.clone());
        lsp::SemanticTokens {
            result_id: Some(result_id),
            data: tokens,
        }
    }

    /// The answer to `/full/delta` from `previous`: one edit when the
    /// client has those tokens, else all of them.
    pub fn delta(
        &self,
        uri: &lsp::Url,
        previous: &str,
        tokens: Vec<lsp::SemanticToken>,
    ) -> lsp::SemanticTokensFullDeltaResult {
        let old = self
            .lock()
            .get(uri)
            .filter(|(id, _)| id == previous)
            .map(|(_, old)| old.clone());
        let Some(old) = old else {
            return lsp::SemanticTokensFullDeltaResult::Tokens(self.full(uri, tokens));
        };
        let prefix = old.iter().zip(&tokens).take_while(|(a, b)| a == b).count();
        let suffix = old[prefix..]
            .iter()
            .rev()
            .zip(tokens[prefix..].iter().rev())
            .take_while(|(a, b)| a == b)
            .count();
        let inserted = tokens[prefix..tokens.len() - suffix].to_vec();
        let deleted = old.len() - prefix - suffix;
        let edits = if inserted.is_empty() && deleted == 0 {
            Vec::new()
        } else {
            vec![lsp::SemanticTokensEdit {
                start: (prefix * 5) as u32,
                delete_count: (deleted * 5) as u32,
                data: Some(inserted),
            }]
        };
        let result_id = self.keep(uri, tokens);
        lsp::SemanticTokensFullDeltaResult::TokensDelta(lsp::SemanticTokensDelta {
            result_id: Some(result_id),
            edits,
        })
    }

    /// Forgets a closed document.
    pub fn forget(&self, uri: &lsp::Url) {
        self.lock().remove(uri);
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<lsp::Url, (String, Vec<lsp::SemanticToken>)>> {
        self.last.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(delta_line: u32, delta_start: u32, length: u32) -> lsp::SemanticToken {
        lsp::SemanticToken {
            delta_line,
            delta_start,
            length,
            token_type: 0,
            token_modifiers_bitset: 0,
        }
    }

    #[test]
    fn the_scan_agrees_with_the_line_index() {
        let text = "a\r\nbé🎉c\rd\n\n  x🎉y\r\n";
        let rope = Rope::from_str(text);
        let index = crate::text::LineIndex::new(&rope);
        for encoding in [PositionEncoding::Utf8, PositionEncoding::Utf16] {
            let mut scan = Scan::new(text, encoding);
            for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
                let at = index.line_col(offset, encoding);
                assert_eq!(
                    scan.advance(offset),
                    (at.line, at.col),
                    "{offset} {encoding:?}"
                );
            }
        }
    }

    #[test]
    fn a_delta_is_the_changed_middle() {
        let cache = TokenCache::default();
        let uri = lsp::Url::parse("file:///ws/BUILD").expect("uri");
        let first = vec![token(0, 0, 3), token(1, 2, 4), token(1, 0, 5)];
        let id = cache.keep(&uri, first);
        let second = vec![
            token(0, 0, 3),
            token(1, 2, 7),
            token(0, 9, 1),
            token(1, 0, 5),
        ];
        match cache.delta(&uri, &id, second) {
            lsp::SemanticTokensFullDeltaResult::TokensDelta(delta) => {
                assert_eq!(delta.edits.len(), 1);
                assert_eq!(delta.edits[0].start, 5);
                assert_eq!(delta.edits[0].delete_count, 5);
                assert_eq!(
                    delta.edits[0].data,
                    Some(vec![token(1, 2, 7), token(0, 9, 1)])
                );
            }
            other => panic!("not a delta: {other:?}"),
        }
        // An unknown previous id: everything.
        assert!(matches!(
            cache.delta(&uri, "nope", vec![token(0, 0, 1)]),
            lsp::SemanticTokensFullDeltaResult::Tokens(_)
        ));
    }

    #[test]
    fn a_range_keeps_its_lines_encoded_from_the_first() {
        let all = vec![
            token(0, 0, 3),
            token(2, 4, 4),
            token(0, 6, 2),
            token(3, 1, 5),
        ];
        let range = lsp::Range::new(lsp::Position::new(1, 0), lsp::Position::new(2, 99));
        assert_eq!(in_range(&all, range), vec![token(2, 4, 4), token(0, 6, 2)]);
    }
}
