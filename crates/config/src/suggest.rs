//! "Did you mean …?": the known word nearest a misspelt one.

/// The candidate nearest `word` by edit distance (ignoring case), if it is near enough to be
/// a misspelling: at most 1 + len/6 edits (`DestinatonRule` → `DestinationRule`,
/// `networking.istio.io/v1beta` → `networking.istio.io/v1beta1`). Ties go to the earlier
/// candidate.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    let limit = 1 + word.chars().count() / 6;
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = distance(&word, &c.to_ascii_lowercase());
        if d <= limit && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Levenshtein distance (insertions, deletions, substitutions), by characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_near_word_is_suggested_and_a_far_one_is_not() {
        let kinds = ["DestinationRule", "VirtualService", "Service"];
        assert_eq!(nearest("DestinatonRule", kinds), Some("DestinationRule"));
        assert_eq!(nearest("destinationrule", kinds), Some("DestinationRule"));
        assert_eq!(nearest("Servce", kinds), Some("Service"));
        assert_eq!(nearest("Certificate", kinds), None);
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("abc", "abc"), 0);
    }
}
