//! Command lines from `process.args` by the rules `CommandLineToArgvW` and the MSVCRT parse
//! them back with, as Go's `syscall.EscapeArg` (which hcsshim uses through
//! `golang.org/x/sys/windows.EscapeArg`) writes them.

/// One argument, quoted and escaped so that `CommandLineToArgvW` reads it back unchanged:
/// `""` for an empty one; unchanged without space, tab, `"` or `\`; otherwise backslashes
/// doubled before a `"` (and before the closing quote), `"` escaped as `\"`, and the whole
/// quoted when it has a space or tab.
///
/// ```
/// use carrack_windows::escape_arg;
/// assert_eq!(escape_arg(""), r#""""#);
/// assert_eq!(escape_arg(r"C:\Program Files\x\"), r#""C:\Program Files\x\\""#);
/// assert_eq!(escape_arg(r#"say "hi""#), r#""say \"hi\"""#);
/// ```
pub fn escape_arg(s: &str) -> String {
    if s.is_empty() {
        return "\"\"".to_owned();
    }
    let needs_backslash = s.contains(['"', '\\']);
    let has_space = s.contains([' ', '\t']);
    if !needs_backslash && !has_space {
        return s.to_owned();
    }
    if !needs_backslash {
        return format!("\"{s}\"");
    }
    let mut out = String::with_capacity(s.len() + 4);
    if has_space {
        out.push('"');
    }
    let mut slashes = 0;
    for c in s.chars() {
        match c {
            '\\' => slashes += 1,
            '"' => {
                out.extend(std::iter::repeat_n('\\', slashes + 1));
                slashes = 0;
            }
            _ => slashes = 0,
        }
        out.push(c);
    }
    if has_space {
        out.extend(std::iter::repeat_n('\\', slashes));
        out.push('"');
    }
    out
}

/// `args` as one command line: each escaped with [`escape_arg`], joined by spaces (hcsshim's
/// `escapeArgs` + `strings.Join`).
///
/// ```
/// use carrack_windows::command_line;
/// let args = ["cmd".to_owned(), "/c".to_owned(), "echo a b".to_owned()];
/// assert_eq!(command_line(&args), r#"cmd /c "echo a b""#);
/// ```
pub fn command_line(args: &[String]) -> String {
    args.iter()
        .map(|a| escape_arg(a))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go's `syscall` TestEscapeArg / x/sys/windows cases (input, escaped).
    const GO_CASES: &[(&str, &str)] = &[
        ("", r#""""#),
        ("a", "a"),
        (" ", r#"" ""#),
        (r"\", r"\"),
        (r#"""#, r#"\""#),
        (r#"\""#, r#"\\\""#),
        (r#"\\""#, r#"\\\\\""#),
        (r"\\ ", r#""\\ ""#),
        (r" \\", r#"" \\\\""#),
        ("a ", r#""a ""#),
        (r"C:\", r"C:\"),
        (
            r"C:\Program Files (x32)\Common\",
            r#""C:\Program Files (x32)\Common\\""#,
        ),
        (r"C:\Users\Gopher\", r"C:\Users\Gopher\"),
        (r"C:\Users\Gopher\go", r"C:\Users\Gopher\go"),
        (r"C:\Users\Gopher\My Go", r#""C:\Users\Gopher\My Go""#),
        (r"C:\Users\Gopher\My Go\", r#""C:\Users\Gopher\My Go\\""#),
        ("a\tb", "\"a\tb\""),
        (r#"a"b"#, r#"a\"b"#),
        (r#"a\"b"#, r#"a\\\"b"#),
        (r"a\\b", r"a\\b"),
    ];

    #[test]
    fn go_escape_arg_cases() {
        for (input, want) in GO_CASES {
            assert_eq!(escape_arg(input), *want, "{input:?}");
        }
    }

    /// `CommandLineToArgvW`'s rules for arguments after the first (2n backslashes + `"` →
    /// n backslashes and a quote toggle; 2n+1 → n and a literal `"`; others literal).
    fn parse(line: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = String::new();
        let (mut quoted, mut any) = (false, false);
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '\\' => {
                    let start = i;
                    while i < chars.len() && chars[i] == '\\' {
                        i += 1;
                    }
                    let n = i - start;
                    if chars.get(i) == Some(&'"') {
                        cur.extend(std::iter::repeat_n('\\', n / 2));
                        if n % 2 == 1 {
                            cur.push('"');
                            i += 1;
                        }
                    } else {
                        cur.extend(std::iter::repeat_n('\\', n));
                    }
                    any = true;
                    continue;
                }
                '"' => {
                    quoted = !quoted;
                    any = true;
                }
                ' ' | '\t' if !quoted => {
                    if any {
                        out.push(std::mem::take(&mut cur));
                        any = false;
                    }
                }
                c => {
                    cur.push(c);
                    any = true;
                }
            }
            i += 1;
        }
        if any {
            out.push(cur);
        }
        out
    }

    #[test]
    fn command_lines_parse_back_to_their_args() {
        let args: Vec<String> = GO_CASES.iter().map(|(a, _)| (*a).to_owned()).collect();
        assert_eq!(parse(&command_line(&args)), args);
        let args: Vec<String> = ["ping", "-n", "3", "", r"x\y z\", r#"q"uo"te"#]
            .map(str::to_owned)
            .to_vec();
        assert_eq!(parse(&command_line(&args)), args);
    }
}
