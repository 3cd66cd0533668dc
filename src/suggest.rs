//! "Did you mean" suggestions.

/// The candidate closest to `name`, if one is close enough to be a likely
/// misspelling. Case-insensitive equality wins; otherwise the smallest
/// edit distance within a third of the name's length (at least 1, at most 4).
/// Ties go to the alphabetically first candidate, so the answer does not
/// depend on the order of `candidates`.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let limit = (name.chars().count() / 3).clamp(1, 4);
    let mut best: Option<(usize, &'a str)> = None;
    for cand in candidates {
        if cand == name {
            continue;
        }
        let d = if cand.to_lowercase() == lower {
            0
        } else {
            levenshtein(&lower, &cand.to_lowercase())
        };
        if d > limit {
            continue;
        }
        best = match best {
            Some((bd, bc)) if bd < d || (bd == d && bc <= cand) => Some((bd, bc)),
            _ => Some((d, cand)),
        };
    }
    best.map(|(_, c)| c)
}

/// Edit distance (insertions, deletions, substitutions and adjacent
/// transpositions), counted in characters.
#[must_use]
pub fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let keys = [
            "inferenceGatewayBaseUrl",
            "inferenceGatewayApiKey",
            "inferenceProvider",
        ];
        assert_eq!(
            did_you_mean("inferenceGatewayBaseURL", keys),
            Some("inferenceGatewayBaseUrl")
        );
        assert_eq!(
            did_you_mean("inferenceProvidr", keys),
            Some("inferenceProvider")
        );
        assert_eq!(did_you_mean("banner", keys), None);
        assert_eq!(did_you_mean("vertx", ["vertex", "gateway"]), Some("vertex"));
        assert_eq!(levenshtein("ab", "ba"), 1);
    }
}
