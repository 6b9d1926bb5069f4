//! The reader's loop over quick-xml's events, and the character-level events (declaration,
//! text, references, syntax errors) whose rules quick-xml leaves to us.

use quick_xml::errors::{Error, IllFormedError, SyntaxError};
use quick_xml::events::Event;
use quick_xml::name::NamespaceResolver;
use quick_xml::Reader;

use crate::protocol::text::{self, is_blank, shorten, show_char, Reference};

use super::scopes::Ns;
use super::scopes::SCOPES;
use super::{Level, Reading, Stop, DOCTYPE};
use crate::protocol::{Content, Findings, Target, Template, TileContent, ToastContent};

/// Reads a toast or tile body. Records every problem in `f`; `None` when the body is refused.
pub(in crate::protocol) fn read(body: &[u8], target: Target, f: &mut Findings) -> Option<Content> {
    if let Err(e) = std::str::from_utf8(body) {
        f.error(format!(
            "The body is not UTF-8: the bytes at offset {} form no character; MPNS payloads are UTF-8.",
            e.valid_up_to()
        ));
        return None;
    }
    if is_blank(body) {
        f.error(format!(
            "The body is empty; {} needs a wp:Notification document.",
            crate::protocol::headers::kind_words(target)
        ));
        return None;
    }
    let mut r = Reading {
        f,
        target,
        saw_decl: false,
        version2: false,
        prefix_noted: false,
        kind: None,
        template: Template::Standard,
        id: None,
        toast: ToastContent::default(),
        properties: Vec::new(),
        allowed: &[],
        seen: 0,
        furthest: None,
        order_noted: false,
        leaf: None,
        room: 0,
    };
    SCOPES
        .with_borrow_mut(|scopes| {
            // Only the reserved `xml` and `xmlns` prefixes stay bound.
            scopes.set_level(0);
            r.run(body, scopes)
        })
        .ok()?;
    Some(match r.kind? {
        Target::Toast => Content::Toast(r.toast),
        _ => Content::Tile(TileContent {
            id: r.id,
            template: r.template,
            version2: r.version2,
            properties: r.properties,
        }),
    })
}

impl Reading<'_> {
    pub(super) fn run(&mut self, body: &[u8], scopes: &mut NamespaceResolver) -> Result<(), Stop> {
        let mut reader = Reader::from_reader(body);
        let config = reader.config_mut();
        config.check_comments = true;
        config.check_end_names = true;
        let mut level = Level::Prolog;
        let mut first = true;
        // As in quick-xml's `NsReader`: an element's scope closes when the event after its end
        // tag (or its empty tag) is read.
        let mut pending_pop = false;
        loop {
            if std::mem::take(&mut pending_pop) {
                scopes.pop();
            }
            let event = match reader.read_event() {
                Ok(event) => event,
                Err(e) => {
                    let at = reader.error_position();
                    return Err(self.syntax(&e, at, level));
                }
            };
            let ns = match &event {
                Event::Start(e) | Event::Empty(e) => {
                    if let Err(e) = scopes.push(e) {
                        let at = reader.error_position();
                        return Err(self.syntax(&Error::from(e), at, level));
                    }
                    Ns::from(scopes.resolve_element(e.name()).0)
                }
                _ => Ns::Unbound,
            };
            pending_pop = matches!(event, Event::Empty(_) | Event::End(_));
            let was_first = std::mem::replace(&mut first, false);
            match event {
                Event::Decl(decl) => {
                    if !was_first {
                        return Err(self.error(
                            "An XML declaration may only stand at the very start of the body.",
                        ));
                    }
                    self.decl(&decl)?;
                }
                Event::DocType(_) => return Err(self.error(DOCTYPE)),
                Event::PI(pi) => {
                    if pi.target().eq_ignore_ascii_case(b"xml") {
                        return Err(self.error(
                            "An XML declaration may only stand at the very start of the body.",
                        ));
                    }
                }
                Event::Comment(_) => {}
                Event::Text(t) => self.text(&t, level)?,
                Event::CData(c) => self.text(&c, level)?,
                Event::GeneralRef(name) => self.reference(&name, level)?,
                Event::Start(e) => {
                    // The text of a leaf runs to the next '<' (bar CDATA): room for its value.
                    let after = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
                    let rest = body.get(after..).unwrap_or_default();
                    self.room = rest.iter().position(|&b| b == b'<').unwrap_or(rest.len());
                    level = self.start(&e, ns, false, level)?;
                }
                Event::Empty(e) => level = self.start(&e, ns, true, level)?,
                Event::End(_) => {
                    level = match level {
                        Level::Leaf => {
                            self.finish_leaf()?;
                            Level::Kind
                        }
                        Level::Kind => Level::Root,
                        Level::Root => {
                            self.require_kind()?;
                            Level::Epilog
                        }
                        // quick-xml reports unmatched end tags before we get here.
                        Level::Prolog | Level::Epilog => {
                            return Err(self.error("An end tag closes no open element."))
                        }
                    }
                }
                Event::Eof => {
                    return match level {
                        Level::Epilog => Ok(()),
                        Level::Prolog => Err(self.error(
                            "The body has no root element; it must be a wp:Notification document.",
                        )),
                        _ => Err(self.error(format!(
                            "The body ends before {} is closed.",
                            self.open_element(level)
                        ))),
                    };
                }
            }
        }
    }

    pub(super) fn decl(&mut self, decl: &quick_xml::events::BytesDecl<'_>) -> Result<(), Stop> {
        self.saw_decl = true;
        match decl.version() {
            Ok(v) if v.as_ref() == b"1.0" => {}
            Ok(v) => {
                let v = String::from_utf8_lossy(&v).into_owned();
                return Err(self.error(format!(
                    "The XML declaration says version '{}'; MPNS payloads are XML 1.0.",
                    shorten(&v)
                )));
            }
            Err(_) => {
                return Err(self.error("The XML declaration must begin with version=\"1.0\"."))
            }
        }
        match decl.encoding() {
            None => Ok(()),
            Some(Ok(enc)) if enc.eq_ignore_ascii_case(b"utf-8") => Ok(()),
            Some(Ok(enc)) => {
                let enc = String::from_utf8_lossy(&enc).into_owned();
                Err(self.error(format!(
                    "The XML declaration says encoding '{}'; MPNS payloads are UTF-8 and declare encoding=\"utf-8\".",
                    shorten(&enc)
                )))
            }
            Some(Err(e)) => {
                Err(self.error(format!("The XML declaration is not well-formed: {e}.")))
            }
        }
    }

    /// Literal character data (text or CDATA).
    pub(super) fn text(&mut self, raw: &[u8], level: Level) -> Result<(), Stop> {
        // The whole body was checked to be UTF-8, and quick-xml splits only at ASCII bytes.
        let Ok(s) = std::str::from_utf8(raw) else {
            return Err(self.error("The body is not UTF-8."));
        };
        if level != Level::Leaf {
            if is_blank(raw) {
                return Ok(());
            }
            return Err(self.stray_text(s, level));
        }
        let Some(leaf) = self.leaf.as_mut() else {
            return Err(self.error("Text was found outside any element."));
        };
        let name = leaf.name;
        if let Err(bad) = text::push_text(&mut leaf.value, s, &mut leaf.pending_cr) {
            return Err(self.error(format!(
                "wp:{name} contains the character {}, which XML does not allow.",
                show_char(bad)
            )));
        }
        if s.contains("]]>") {
            return Err(self.error(format!(
                "wp:{name} contains ']]>', which XML does not allow in text: write ]]&gt;."
            )));
        }
        Ok(())
    }

    pub(super) fn stray_text(&mut self, s: &str, level: Level) -> Stop {
        let s = s.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
        let msg = match level {
            Level::Prolog | Level::Epilog => format!(
                "Text '{}' is not allowed outside the root element.",
                shorten(s)
            ),
            _ => format!(
                "Text '{}' is not allowed directly inside {}; only elements go there.",
                shorten(s),
                self.open_element(level)
            ),
        };
        self.error(msg)
    }

    /// `&name;` in text.
    pub(super) fn reference(&mut self, name: &[u8], level: Level) -> Result<(), Stop> {
        let shown = String::from_utf8_lossy(name);
        if level != Level::Leaf {
            let msg = format!("&{};", shorten(&shown));
            return Err(self.stray_text(&msg, level));
        }
        let Some(leaf) = self.leaf.as_mut() else {
            return Err(self.error("Text was found outside any element."));
        };
        let element = leaf.name;
        match text::resolve(name) {
            Reference::Char(c) => {
                leaf.pending_cr = false;
                leaf.value.push(c);
                Ok(())
            }
            Reference::BadChar => {
                let msg = format!(
                    "&{}; in wp:{element} is not a character reference to a character XML allows.",
                    shorten(&shown)
                );
                Err(self.error(msg))
            }
            Reference::UnknownEntity => {
                let msg = format!(
                    "&{}; in wp:{element} is not an XML entity: only &amp; &lt; &gt; &quot; &apos; and character references are allowed.",
                    shorten(&shown)
                );
                Err(self.error(msg))
            }
            Reference::Stray => Err(self.error(format!(
                "'&' not escaped in wp:{element}: write it as &amp;."
            ))),
        }
    }

    /// Maps a quick-xml error to a message, naming the element where it happened.
    pub(super) fn syntax(&mut self, e: &Error, at: u64, level: Level) -> Stop {
        let inside = match level {
            Level::Prolog | Level::Epilog => String::new(),
            _ => format!(" inside {}", self.open_element(level)),
        };
        let msg = match e {
            Error::IllFormed(IllFormedError::UnclosedReference) => match (&self.leaf, level) {
                (Some(leaf), Level::Leaf) => {
                    format!("'&' not escaped in wp:{}: write it as &amp;.", leaf.name)
                }
                _ => format!("'&' not escaped at byte {at}{inside}: write it as &amp;."),
            },
            Error::IllFormed(IllFormedError::MismatchedEndTag { expected, found }) => format!(
                "The end tag </{}> at byte {at} does not close <{}>.",
                shorten(found),
                shorten(expected)
            ),
            Error::IllFormed(IllFormedError::UnmatchedEndTag(name)) => format!(
                "The end tag </{}> at byte {at} closes no open element.",
                shorten(name)
            ),
            Error::IllFormed(IllFormedError::DoubleHyphenInComment) => format!(
                "The comment at byte {at} contains '--', which XML does not allow in comments."
            ),
            Error::IllFormed(
                IllFormedError::MissingDeclVersion(_) | IllFormedError::UnknownVersion,
            ) => "The XML declaration must begin with version=\"1.0\".".to_owned(),
            Error::Syntax(SyntaxError::UnclosedDoctype) => DOCTYPE.to_owned(),
            Error::Syntax(SyntaxError::InvalidBangMarkup) => format!(
                "'<!' at byte {at}{inside} starts no comment, CDATA section or DOCTYPE."
            ),
            Error::Syntax(SyntaxError::UnclosedPI | SyntaxError::UnclosedXmlDecl) => format!(
                "The processing instruction or XML declaration at byte {at} is not closed with '?>'."
            ),
            Error::Syntax(SyntaxError::UnclosedComment) => {
                format!("The comment at byte {at} is not closed with '-->'.")
            }
            Error::Syntax(SyntaxError::UnclosedCData) => {
                format!("The CDATA section at byte {at} is not closed with ']]>'.")
            }
            Error::Syntax(SyntaxError::UnclosedTag) => {
                format!("The tag at byte {at}{inside} is not closed with '>'.")
            }
            Error::Syntax(
                SyntaxError::UnclosedSingleQuotedAttributeValue
                | SyntaxError::UnclosedDoubleQuotedAttributeValue,
            ) => format!("An attribute value at byte {at}{inside} is not closed with its quote."),
            Error::InvalidAttr(a) => {
                format!("An attribute at byte {at}{inside} is not well-formed: {a}.")
            }
            other => format!("The body is not well-formed XML at byte {at}{inside}: {other}."),
        };
        self.error(msg)
    }
}
