//! Text made safe inside XML and HTML documents (JUnit XML, SVG, the HTML report): one escape
//! for every markup meshtwin writes.

/// `text` with XML's special characters escaped (`&`, `<`, `>`, `"`, `'`), and characters
/// XML 1.0 cannot carry (control characters other than tab and newlines) replaced by U+FFFD.
/// Valid in element text and attribute values of XML, SVG and HTML alike.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_characters_are_escaped_and_control_characters_replaced() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
        assert_eq!(escape("tab\tnl\n\u{1}"), "tab\tnl\n\u{FFFD}");
    }
}
