//! `--filter`'s globs: `*` matches any run of characters (slashes too), `?` one character.

/// Whether `name` matches `pattern`.
///
/// ```
/// use carrack_conformance::glob_match;
/// assert!(glob_match("runtime/kill/*", "runtime/kill/stopped"));
/// assert!(glob_match("*signal*", "runtime/kill/sends-the-signal"));
/// assert!(!glob_match("image/*", "runtime/kill/stopped"));
/// ```
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // Iterative matching with one backtrack point: linear in practice, no recursion.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(&c) if c == '?' || c == n[ni] => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "aXXbYc"));
        assert!(!glob_match("a*b*c", "aXXbY"));
        assert!(glob_match("runtime/?ill/*", "runtime/kill/x"));
        assert!(!glob_match("runtime", "runtime/kill"));
    }
}
