//! Escaping for the XML the builders write: text content and attribute values, both written
//! with `&`, `<`, `>`, `"` and `'` escaped, so one function serves both.

/// Appends `text` to `out` with the five XML special characters escaped.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

/// Appends ` name="value"` to `out`, the value escaped.
pub(crate) fn attr(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    escape_into(out, value);
    out.push('"');
}

/// Appends `<name>text</name>` to `out`, the text escaped.
pub(crate) fn text_element(out: &mut String, name: &str, attrs: &[(&str, &str)], text: &str) {
    out.push('<');
    out.push_str(name);
    for (n, v) in attrs {
        attr(out, n, v);
    }
    out.push('>');
    escape_into(out, text);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Whether `c` may appear in an XML 1.0 document at all (control characters other than tab,
/// line feed and carriage return may not, not even escaped).
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_five_special_characters_are_escaped_once() {
        let mut out = String::new();
        escape_into(&mut out, "a&b<c>d\"e'f&amp;");
        assert_eq!(out, "a&amp;b&lt;c&gt;d&quot;e&apos;f&amp;amp;");
    }

    #[test]
    fn control_characters_are_not_xml() {
        assert!(!is_xml_char('\u{1}'));
        assert!(!is_xml_char('\u{FFFE}'));
        assert!(is_xml_char('\n'));
        assert!(is_xml_char('é'));
    }
}
