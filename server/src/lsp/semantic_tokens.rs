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
use crate::analysis::semantic_tokens::{
    encode, encode_starlark, modifiers, rc_tokens, EncodedToken, TokenKind,
};
use crate::db::AnalysisHost;
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

/// The tokens of a Starlark document: an open document's from the
/// analysis host (which reuses the last version's unchanged statements),
/// a closed file's computed afresh.
pub fn starlark(
    req: &StarlarkRequest,
    host: &AnalysisHost,
    encoding: PositionEncoding,
) -> Option<Vec<lsp::SemanticToken>> {
    let mentions = req
        .is_build
        .then(|| req.analysis.summary.mentions.as_slice());
    let tokens = if req.open {
        host.semantic_tokens(&req.path, &req.snapshot, mentions, encoding)?
    } else {
        let tree = req.snapshot.tree.as_ref()?;
        let text: std::sync::Arc<str> = std::sync::Arc::from(req.snapshot.rope.to_string());
        encode_starlark(tree, text, mentions, encoding, None).0
    };
    Some(to_lsp(tokens))
}

/// The tokens of an rc document.
pub fn rc(rope: &Rope, encoding: PositionEncoding) -> Vec<lsp::SemanticToken> {
    let text = rope.to_string();
    let file = crate::rc::file::parse(&text);
    to_lsp(encode(&rc_tokens(&file, &text), &text, encoding))
}

fn to_lsp(tokens: Vec<EncodedToken>) -> Vec<lsp::SemanticToken> {
    tokens
        .into_iter()
        .map(|t| lsp::SemanticToken {
            delta_line: t.delta_line,
            delta_start: t.delta_start,
            length: t.length,
            token_type: t.kind,
            token_modifiers_bitset: t.modifiers,
        })
        .collect()
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
