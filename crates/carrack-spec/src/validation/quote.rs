//! Whether a [`Rule`]'s quote is what its chapter says: the markdown of a chapter rendered as
//! the plain text rules quote, its sections found by heading, and the quote looked for there.

use super::Rule;

impl Rule {
    /// Whether the markdown text of the rule's chapter says what the rule quotes, in a section
    /// headed [`Rule::section`] (its subsections included), after [`normalize_prose`] of both.
    /// The parts of a quote around `…` must appear in order.
    ///
    /// ```
    /// use carrack_spec::Rule;
    /// let chapter = "# Config\n\n## <a name=\"configRoot\" />Root\n\n* **`path`** MUST be\n  *absolute*.\n";
    /// assert!(Rule::runtime("config.md", "Root", "path MUST be absolute.").check_quote(chapter).is_ok());
    /// assert!(Rule::runtime("config.md", "Root", "path … absolute").check_quote(chapter).is_ok());
    /// assert!(Rule::runtime("config.md", "Root", "path MUST be relative.").check_quote(chapter).is_err());
    /// assert!(Rule::runtime("config.md", "Mounts", "path MUST be absolute.").check_quote(chapter).is_err());
    /// ```
    pub fn check_quote(&self, chapter_markdown: &str) -> Result<(), QuoteError> {
        let texts = section_texts(chapter_markdown, self.section);
        if texts.is_empty() {
            return Err(QuoteError::NoSection {
                chapter: self.chapter,
                section: self.section,
            });
        }
        let quote = normalize_prose(self.quote);
        let parts: Vec<&str> = quote
            .split('…')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        let mut missing = parts.first().copied().unwrap_or("");
        for text in &texts {
            match parts_in_order(text, &parts) {
                None => return Ok(()),
                Some(part) => missing = part,
            }
        }
        Err(QuoteError::NotFound {
            chapter: self.chapter,
            section: self.section,
            part: missing.to_owned(),
        })
    }
}

/// `None` when every part is in `text` in order, else the first part that is not.
fn parts_in_order<'a>(text: &str, parts: &[&'a str]) -> Option<&'a str> {
    let mut from = 0;
    for part in parts {
        match text.get(from..).and_then(|rest| rest.find(part)) {
            Some(at) => from += at + part.len(),
            None => return Some(part),
        }
    }
    None
}

/// A quote of a [`Rule`] is not in its chapter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QuoteError {
    /// The chapter has no heading of that name.
    #[error("{chapter} has no section headed {section:?}")]
    NoSection {
        /// The chapter.
        chapter: &'static str,
        /// The heading looked for.
        section: &'static str,
    },
    /// The section does not say it.
    #[error("{chapter} § {section} does not say {part:?}")]
    NotFound {
        /// The chapter.
        chapter: &'static str,
        /// The section.
        section: &'static str,
        /// The (first) part of the quote that is not there, normalised.
        part: String,
    },
}

/// Renders markdown as the plain text rules quote: HTML anchors (`<a name="…" />`), emphasis
/// (`**MUST**`, `*(string, REQUIRED)*`, `_Image Manifest_`), backticks, link targets
/// (`[text](url)`, `[text][ref]`) and backslash escapes are dropped, and every run of
/// whitespace becomes one space.
///
/// ```
/// use carrack_spec::normalize_prose;
/// assert_eq!(
///     normalize_prose("* **`cwd`** (string, REQUIRED) is the\n    working [directory][dir]. This value **MUST** be `x_y`."),
///     "cwd (string, REQUIRED) is the working directory. This value MUST be x_y."
/// );
/// assert_eq!(normalize_prose("## _Image Manifest_ Property Descriptions"), "## Image Manifest Property Descriptions");
/// ```
pub fn normalize_prose(markdown: &str) -> String {
    let text = strip_links(&strip_anchors(markdown));
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '*' | '`' => {}
            '_' => {
                let prev = i.checked_sub(1).and_then(|j| chars.get(j));
                let next = chars.get(i + 1);
                if prev.is_some_and(|p| p.is_alphanumeric())
                    && next.is_some_and(|n| n.is_alphanumeric())
                {
                    out.push('_');
                }
            }
            '\\' if chars.get(i + 1).is_some_and(char::is_ascii_punctuation) => {
                out.push(chars[i + 1]);
                i += 1;
            }
            c if c.is_whitespace() => {
                if !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    let len = out.trim_end().len();
    out.truncate(len);
    out
}

/// Drops `<a name="…">`, `<a name="…" />` and `</a>`.
fn strip_anchors(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    loop {
        let open = rest.find("<a name=");
        let close = rest.find("</a>");
        match (open, close) {
            (Some(o), c) if c.is_none_or(|c| o < c) => {
                out.push_str(&rest[..o]);
                match rest[o..].find('>') {
                    Some(end) => rest = &rest[o + end + 1..],
                    None => return out,
                }
            }
            (_, Some(c)) => {
                out.push_str(&rest[..c]);
                rest = &rest[c + 4..];
            }
            (_, None) => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

/// Keeps the text of `[text](target)`, `[text][ref]` and `[text][]`.
fn strip_links(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '['
            && let Some(close) = matching(&chars, i, '[', ']')
        {
            let target_end = match chars.get(close + 1) {
                Some('(') => matching(&chars, close + 1, '(', ')'),
                Some('[') => matching(&chars, close + 1, '[', ']'),
                _ => None,
            };
            if let Some(end) = target_end {
                out.extend(&chars[i + 1..close]);
                i = end + 1;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// The index of the bracket closing the one at `open`, on the same paragraph.
fn matching(chars: &[char], open: usize, left: char, right: char) -> Option<usize> {
    let mut depth = 0usize;
    for (j, &c) in chars.iter().enumerate().skip(open) {
        if c == left {
            depth += 1;
        } else if c == right {
            depth -= 1;
            if depth == 0 {
                return Some(j);
            }
        } else if c == '\n' && chars.get(j + 1) == Some(&'\n') {
            return None;
        }
    }
    None
}

/// The normalised text of every section of `markdown` headed `name` (subsections included,
/// fenced code left out).
fn section_texts(markdown: &str, name: &str) -> Vec<String> {
    let mut fenced = false;
    // (line index, heading level, whether it is a section looked for)
    let mut headings = Vec::new();
    let lines: Vec<&str> = markdown.lines().collect();
    let mut in_fence = vec![false; lines.len()];
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fenced = !fenced;
            in_fence[i] = true;
            continue;
        }
        in_fence[i] = fenced;
        if fenced {
            continue;
        }
        let level = line.bytes().take_while(|b| *b == b'#').count();
        if (1..=6).contains(&level) && line[level..].starts_with(' ') {
            let title = normalize_prose(&line[level..]);
            headings.push((i, level, title == name));
        }
    }
    let mut out = Vec::new();
    for (k, &(start, level, wanted)) in headings.iter().enumerate() {
        if !wanted {
            continue;
        }
        let end = headings[k + 1..]
            .iter()
            .find(|(_, l, _)| *l <= level)
            .map_or(lines.len(), |(i, _, _)| *i);
        let body: Vec<&str> = (start + 1..end)
            .filter(|i| !in_fence[*i])
            .map(|i| lines[i])
            .collect();
        out.push(normalize_prose(&body.join("\n")));
    }
    out
}
