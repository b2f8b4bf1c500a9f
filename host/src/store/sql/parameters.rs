//! The named parameters of a statement, for the canned queries' forms and documentation.

/// The `:name` parameters of a statement, in order of first appearance, skipping string
/// literals and quoted identifiers.
pub fn parameter_names(sql: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut chars = sql.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        match c {
            '\'' | '"' | '`' => {
                for (_, inner) in chars.by_ref() {
                    if inner == c {
                        break;
                    }
                }
            }
            ':' | '@' | '$' => {
                let mut name = String::new();
                while let Some(&(_, n)) = chars.peek() {
                    if n.is_ascii_alphanumeric() || n == '_' {
                        name.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if !name.is_empty() && !names.contains(&name) {
                    names.push(name);
                }
            }
            _ => {}
        }
    }
    names
}
