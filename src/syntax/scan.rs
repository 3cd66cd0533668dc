//! A lexical scan for profile names in a file that failed to parse.
//!
//! When a file has a syntax error, its profiles are unknown to the resolver;
//! children in other files would then report their parents as unknown,
//! burying the one real error. The scan finds `profile NAME` and
//! `profile "NAME"` declarations well enough to suppress those follow-on
//! errors.

/// Names declared with `profile NAME` or `profile "NAME"` (without
/// interpolation) in `text`, ignoring comments.
#[must_use]
pub fn declared_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut words = code.split_whitespace().peekable();
        while let Some(word) = words.next() {
            if word != "profile" {
                continue;
            }
            let Some(next) = words.peek() else { break };
            let name = if let Some(rest) = next.strip_prefix('"') {
                match rest.find('"') {
                    Some(end) if !rest[..end].contains("${") => &rest[..end],
                    _ => continue,
                }
            } else {
                let end = next
                    .find(|c: char| {
                        !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
                    })
                    .unwrap_or(next.len());
                &next[..end]
            };
            if !name.is_empty() {
                names.push(name.to_string());
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::declared_names;

    #[test]
    fn finds_names() {
        let text = "abstract profile base {\n// profile commented\nprofile \"eu-eng\" extends base {}\nprofile \"${x}\" {}\nprofile us{";
        assert_eq!(declared_names(text), ["base", "eu-eng", "us"]);
    }
}
