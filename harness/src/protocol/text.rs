//! Character-level XML rules that the tokenizer leaves to us: which characters XML allows,
//! what a reference resolves to, how attribute values are normalized, and how to spot text
//! that a sender escaped twice.

use std::borrow::Cow;

/// XML 1.0 `Char`: tab, LF, CR, and everything from U+0020 except surrogates, U+FFFE, U+FFFF.
pub(super) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// XML white space: space, tab, CR, LF.
pub(super) fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Whether `s` is entirely XML white space (the empty string is).
pub(super) fn is_blank(s: &[u8]) -> bool {
    s.iter().all(|&b| is_xml_space(b))
}

/// A loose XML `Name` check: good enough to tell a real tag from a stray `<` in text.
pub(super) fn is_name(s: &[u8]) -> bool {
    let start = |b: u8| b.is_ascii_alphabetic() || b == b'_' || b == b':' || b >= 0x80;
    match s.split_first() {
        Some((&first, rest)) => {
            start(first)
                && rest
                    .iter()
                    .all(|&b| start(b) || b.is_ascii_digit() || b == b'-' || b == b'.')
        }
        None => false,
    }
}

/// What `&name;` stands for.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Reference {
    /// One of the five predefined entities, or a character reference to an XML character.
    Char(char),
    /// A character reference to a code point that XML does not allow (or no code point at all).
    BadChar,
    /// A well-formed name that is not one of the five predefined entities.
    UnknownEntity,
    /// Not a reference at all: a stray `&` followed by something that is not a name.
    Stray,
}

/// Resolves the text between `&` and `;`.
pub(super) fn resolve(name: &[u8]) -> Reference {
    match name {
        b"amp" => Reference::Char('&'),
        b"lt" => Reference::Char('<'),
        b"gt" => Reference::Char('>'),
        b"quot" => Reference::Char('"'),
        b"apos" => Reference::Char('\''),
        [b'#', b'x', hex @ ..] => char_ref(hex, 16),
        [b'#', dec @ ..] => char_ref(dec, 10),
        _ if is_name(name) => Reference::UnknownEntity,
        _ => Reference::Stray,
    }
}

fn char_ref(digits: &[u8], radix: u32) -> Reference {
    if digits.is_empty() {
        return Reference::BadChar;
    }
    let mut value: u32 = 0;
    for &b in digits {
        let Some(d) = (b as char).to_digit(radix) else {
            return Reference::BadChar;
        };
        value = match value.checked_mul(radix).and_then(|v| v.checked_add(d)) {
            Some(v) if v <= 0x10FFFF => v,
            _ => return Reference::BadChar,
        };
    }
    match char::from_u32(value) {
        Some(c) if is_xml_char(c) => Reference::Char(c),
        _ => Reference::BadChar,
    }
}

/// Appends literal character data to `out`, normalizing line ends as XML requires (CR LF and
/// lone CR become LF). Returns the first character XML does not allow, if any.
///
/// `pending_cr` carries a CR at the end of one chunk over to the next, so that a CR LF split
/// across two chunks still collapses to one LF.
pub(super) fn push_text(out: &mut String, s: &str, pending_cr: &mut bool) -> Result<(), char> {
    // Printable ASCII, tab and line ends are XML characters: most text is only these.
    let plain = s
        .bytes()
        .all(|b| (0x20..0x80).contains(&b) || matches!(b, b'\t' | b'\n' | b'\r'));
    if !plain {
        if let Some(bad) = s.chars().find(|&c| !is_xml_char(c)) {
            return Err(bad);
        }
    }
    let mut rest = s;
    if *pending_cr {
        *pending_cr = false;
        if let Some(r) = rest.strip_prefix('\n') {
            rest = r;
        }
    }
    while let Some(i) = rest.find('\r') {
        out.push_str(&rest[..i]);
        out.push('\n');
        rest = &rest[i + 1..];
        if rest.is_empty() {
            *pending_cr = true;
        } else if let Some(r) = rest.strip_prefix('\n') {
            rest = r;
        }
    }
    out.push_str(rest);
    Ok(())
}

/// Why an attribute value is not well-formed.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum AttrProblem {
    /// A literal `<`.
    Lt,
    /// A character XML does not allow.
    BadChar(char),
    /// A `&` that starts no reference.
    StrayAmp,
    /// `&name;` for an entity that is not predefined.
    UnknownEntity(String),
    /// A character reference to a character XML does not allow.
    BadCharRef(String),
}

/// Decodes a raw (escaped) attribute value: resolves references and turns literal tab, CR and
/// LF into spaces (XML attribute-value normalization). Borrows when nothing needs changing.
pub(super) fn decode_attr(raw: &str) -> Result<Cow<'_, str>, AttrProblem> {
    if let Some(bad) = raw.chars().find(|&c| !is_xml_char(c)) {
        return Err(AttrProblem::BadChar(bad));
    }
    if raw.contains('<') {
        return Err(AttrProblem::Lt);
    }
    if !raw
        .bytes()
        .any(|b| matches!(b, b'&' | b'\t' | b'\r' | b'\n'))
    {
        return Ok(Cow::Borrowed(raw));
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find(['&', '\t', '\r', '\n']) {
        out.push_str(&rest[..i]);
        let b = rest.as_bytes()[i];
        if b == b'&' {
            let after = &rest[i + 1..];
            let Some(end) = after.find(';') else {
                return Err(AttrProblem::StrayAmp);
            };
            let name = &after[..end];
            match resolve(name.as_bytes()) {
                Reference::Char(c) => out.push(c),
                Reference::BadChar => return Err(AttrProblem::BadCharRef(name.to_owned())),
                Reference::UnknownEntity => {
                    return Err(AttrProblem::UnknownEntity(name.to_owned()))
                }
                Reference::Stray => return Err(AttrProblem::StrayAmp),
            }
            rest = &after[end + 1..];
        } else {
            // CR LF counts as one line end, hence one space.
            out.push(' ');
            rest = if b == b'\r' && rest.as_bytes().get(i + 1) == Some(&b'\n') {
                &rest[i + 2..]
            } else {
                &rest[i + 1..]
            };
        }
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

/// If unescaped text still contains an escape sequence, the sender escaped it twice: returns
/// the character that was meant (`'&'`, `'<'`, ...) or `None` for a character reference.
pub(super) fn escaped_twice(value: &str) -> Option<Option<char>> {
    let mut rest = value;
    while let Some(i) = rest.find('&') {
        rest = &rest[i + 1..];
        let end = rest.find(';')?;
        if end > 0 {
            match resolve(&rest.as_bytes()[..end]) {
                Reference::Char(c) if !rest.starts_with('#') => return Some(Some(c)),
                Reference::Char(_) => return Some(None),
                _ => {}
            }
        }
    }
    None
}

/// At most 40 characters of `s` for a message, with an ellipsis when cut, and control
/// characters written as U+XXXX so a message never carries them raw.
pub(super) fn shorten(s: &str) -> Cow<'_, str> {
    let cut = s.char_indices().nth(40).map(|(i, _)| i);
    let head = &s[..cut.unwrap_or(s.len())];
    if cut.is_none() && !head.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(head.len() + 3);
    for c in head.chars() {
        if c.is_control() {
            out.push_str(&format!("U+{:04X}", c as u32));
        } else {
            out.push(c);
        }
    }
    if cut.is_some() {
        out.push_str("...");
    }
    Cow::Owned(out)
}

/// Shows a character in a message: printable ones as themselves, others as U+XXXX.
pub(super) fn show_char(c: char) -> String {
    if c.is_control() || !is_xml_char(c) {
        format!("U+{:04X}", c as u32)
    } else {
        format!("'{c}'")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predefined_entities_and_char_refs_resolve() {
        assert_eq!(resolve(b"amp"), Reference::Char('&'));
        assert_eq!(resolve(b"#x41"), Reference::Char('A'));
        assert_eq!(resolve(b"#65"), Reference::Char('A'));
        assert_eq!(resolve(b"#x0"), Reference::BadChar);
        assert_eq!(resolve(b"#1"), Reference::BadChar);
        assert_eq!(resolve(b"#xD800"), Reference::BadChar);
        assert_eq!(resolve(b"#xFFFE"), Reference::BadChar);
        assert_eq!(resolve(b"#x110000"), Reference::BadChar);
        assert_eq!(resolve(b"#99999999999999999999"), Reference::BadChar);
        assert_eq!(resolve(b"#"), Reference::BadChar);
        assert_eq!(resolve(b"nbsp"), Reference::UnknownEntity);
        assert_eq!(resolve(b"b=2"), Reference::Stray);
    }

    #[test]
    fn line_ends_are_normalized_across_chunks() {
        let mut out = String::new();
        let mut cr = false;
        push_text(&mut out, "a\r", &mut cr).unwrap();
        push_text(&mut out, "\nb\rc\r\nd", &mut cr).unwrap();
        assert_eq!(out, "a\nb\nc\nd");
        assert_eq!(push_text(&mut out, "x\u{1}", &mut cr), Err('\u{1}'));
    }

    #[test]
    fn attribute_values_are_unescaped_and_normalized() {
        assert!(matches!(decode_attr("plain"), Ok(Cow::Borrowed("plain"))));
        assert_eq!(decode_attr("a&amp;b\r\nc\td").unwrap(), "a&b c d");
        assert_eq!(decode_attr("a&#10;b").unwrap(), "a\nb");
        assert_eq!(decode_attr("a&b=2"), Err(AttrProblem::StrayAmp));
        assert_eq!(decode_attr("a<b"), Err(AttrProblem::Lt));
        assert_eq!(
            decode_attr("&nbsp;"),
            Err(AttrProblem::UnknownEntity("nbsp".into()))
        );
    }

    #[test]
    fn shortened_text_is_cut_and_shows_control_characters() {
        assert!(matches!(shorten("short"), Cow::Borrowed("short")));
        assert_eq!(shorten("a\u{1}b\nc"), "aU+0001bU+000Ac");
        assert_eq!(shorten(&"x".repeat(41)), format!("{}...", "x".repeat(40)));
        assert_eq!(shorten(&"x".repeat(40)), "x".repeat(40));
    }

    #[test]
    fn double_escaping_is_spotted() {
        assert_eq!(escaped_twice("a &amp; b"), Some(Some('&')));
        assert_eq!(escaped_twice("&lt;b&gt;"), Some(Some('<')));
        assert_eq!(escaped_twice("it&#39;s"), Some(None));
        assert_eq!(escaped_twice("a & b; c"), None);
        assert_eq!(escaped_twice("AT&T; &;"), None);
    }
}
