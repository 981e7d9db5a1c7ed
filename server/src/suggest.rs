//! "Did you mean" suggestions, for every kind of name (flags, configs,
//! targets).

/// The closest candidates to `word` by edit distance (adjacent swaps count
/// as one edit), best first: at most `limit`, and only those within a
/// quarter of the word's length (at least one edit, two for words of six
/// characters or more).
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str>,
    limit: usize,
) -> Vec<&'a str> {
    let len = word.chars().count();
    let max = (len / 4).max(if len >= 6 { 2 } else { 1 });
    let mut scored: Vec<(usize, &str)> = candidates
        .filter(|c| c.chars().count().abs_diff(len) <= max && *c != word)
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= max)
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(limit).map(|(_, c)| c).collect()
}

/// Whether `a` and `b` differ by exactly one edit: a character inserted,
/// deleted or substituted, or two adjacent characters swapped.
pub fn one_edit_apart(a: &str, b: &str) -> bool {
    a.len().abs_diff(b.len()) <= 1 && a != b && edit_distance(a, b) == 1
}

/// Optimal string alignment distance: insertions, deletions, substitutions
/// and swaps of adjacent characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        assert_eq!(
            did_you_mean("biuld", ["build", "test"].into_iter(), 3),
            vec!["build"]
        );
        assert_eq!(
            did_you_mean("utill", ["util", "lib"].into_iter(), 3),
            vec!["util"]
        );
        assert!(did_you_mean("x", ["completely_else"].into_iter(), 3).is_empty());
    }
}
