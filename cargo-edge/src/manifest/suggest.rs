//! Did-you-mean: the closest known name to what the user typed.

/// The known name closest to `typed`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a>(typed: &str, known: &[&'a str]) -> Option<&'a str> {
    let typed_lower = typed.to_ascii_lowercase();
    known
        .iter()
        .map(|k| {
            (
                strsim::jaro_winkler(&typed_lower, &k.to_ascii_lowercase()),
                *k,
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("idd", &["id", "title"]), Some("id"));
        assert_eq!(did_you_mean("prdo", &["prod", "staging"]), Some("prod"));
        assert_eq!(did_you_mean("zzz", &["prod", "staging"]), None);
    }
}
