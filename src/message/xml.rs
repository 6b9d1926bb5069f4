//! A tiny XML writer for MPNS payloads. The payloads are small, flat and fixed in shape, so a
//! string builder with one escaping function is easier to audit than a general XML library, and
//! it makes "escaped exactly once" a property of one function instead of every call site.

use super::MessageError;

/// The declaration every MPNS payload starts with.
pub(crate) const DECLARATION: &str = r#"<?xml version="1.0" encoding="utf-8"?>"#;

/// The namespace URI bound to the `wp` prefix (the literal string, not a URL).
pub(crate) const NAMESPACE: &str = "WPNotification";

/// Whether XML 1.0 allows `c` in a document (production `Char` of the XML 1.0 spec).
/// Surrogates cannot occur in a Rust `char`, so only controls, U+FFFE and U+FFFF are left out.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Checks that `value` only holds characters XML 1.0 allows; the error names `field`, the code
/// point and its position (counted in characters from 0).
pub(crate) fn check_chars(field: &'static str, value: &str) -> Result<(), MessageError> {
    match value.chars().enumerate().find(|(_, c)| !is_xml_char(*c)) {
        None => Ok(()),
        Some((index, ch)) => Err(MessageError::InvalidXmlChar { field, ch, index }),
    }
}

/// Appends `value` escaped for element content or a double-quoted attribute value.
///
/// The five predefined entities cover `& < > " '`. A carriage return is written as `&#xD;` so
/// that a parser's end-of-line normalisation does not turn it into a line feed; in attribute
/// values tab and line feed are written as character references too, because attribute value
/// normalisation would otherwise turn them into spaces. Values are checked with
/// [`check_chars`] before they get here.
fn escape_into(out: &mut String, value: &str, in_attribute: bool) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            '\t' if in_attribute => out.push_str("&#x9;"),
            '\n' if in_attribute => out.push_str("&#xA;"),
            c => out.push(c),
        }
    }
}

/// Builds one payload: declaration, then elements with the `wp` prefix and no whitespace
/// between them.
#[derive(Debug)]
pub(crate) struct XmlWriter {
    out: String,
}

impl XmlWriter {
    /// A writer that has already written the XML declaration.
    pub(crate) fn new() -> XmlWriter {
        XmlWriter {
            out: String::from(DECLARATION),
        }
    }

    fn open_tag(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.out.push_str("<wp:");
        self.out.push_str(name);
        for (key, value) in attributes {
            self.out.push(' ');
            self.out.push_str(key);
            self.out.push_str("=\"");
            escape_into(&mut self.out, value, true);
            self.out.push('"');
        }
    }

    /// Writes `<wp:name a="v" ...>`.
    pub(crate) fn start(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.open_tag(name, attributes);
        self.out.push('>');
    }

    /// Writes `</wp:name>`.
    pub(crate) fn end(&mut self, name: &str) {
        self.out.push_str("</wp:");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// Writes `<wp:name a="v" .../>`.
    pub(crate) fn empty(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.open_tag(name, attributes);
        self.out.push_str("/>");
    }

    /// Writes `<wp:name a="v" ...>text</wp:name>` (an explicit end tag even when `text` is empty).
    pub(crate) fn element(&mut self, name: &str, attributes: &[(&str, &str)], text: &str) {
        self.start(name, attributes);
        escape_into(&mut self.out, text, false);
        self.end(name);
    }

    /// Writes the root start tag `<wp:Notification xmlns:wp="WPNotification"[ Version="2.0"]>`.
    pub(crate) fn start_root(&mut self, version_2: bool) {
        if version_2 {
            self.start(
                "Notification",
                &[("xmlns:wp", NAMESPACE), ("Version", "2.0")],
            );
        } else {
            self.start("Notification", &[("xmlns:wp", NAMESPACE)]);
        }
    }

    /// The finished document.
    pub(crate) fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_five_special_characters_are_escaped_once() {
        let mut w = XmlWriter::new();
        w.element("T", &[("a", "&<>\"'")], "&amp;<>\"'");
        assert_eq!(
            w.finish(),
            format!(
                "{DECLARATION}<wp:T a=\"&amp;&lt;&gt;&quot;&apos;\">&amp;amp;&lt;&gt;&quot;&apos;</wp:T>"
            )
        );
    }

    #[test]
    fn whitespace_that_parsers_normalise_is_written_as_character_references() {
        let mut w = XmlWriter::new();
        w.element("T", &[("a", "1\t2\n3\r4")], "1\t2\n3\r4");
        assert!(w
            .finish()
            .ends_with("<wp:T a=\"1&#x9;2&#xA;3&#xD;4\">1\t2\n3&#xD;4</wp:T>"));
    }

    #[test]
    fn control_characters_and_nonchars_are_rejected_with_their_position() {
        assert_eq!(
            check_chars("Text1", "ab\u{1}"),
            Err(MessageError::InvalidXmlChar {
                field: "Text1",
                ch: '\u{1}',
                index: 2
            })
        );
        assert!(check_chars("Text1", "\u{FFFE}").is_err());
        assert!(check_chars("Text1", "\u{FFFF}").is_err());
        assert!(check_chars("Text1", "tab\tlf\ncr\r \u{D7FF}\u{E000}\u{FFFD}\u{10FFFF}").is_ok());
    }
}
