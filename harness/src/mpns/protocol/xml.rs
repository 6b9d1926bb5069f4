//! The toast and tile XML, read with quick-xml's borrowing reader and namespace resolver and
//! checked against Microsoft's templates (reference §5). quick-xml tokenizes; the
//! character-level rules it leaves out (allowed characters, references, attribute
//! normalization) live in `text`.

use std::cell::RefCell;

use quick_xml::errors::{Error, IllFormedError, SyntaxError};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{NamespaceResolver, ResolveResult};
use quick_xml::Reader;

use super::headers::target_words;
use super::text::{self, is_blank, shorten, show_char, AttrProblem, Reference};
use super::{Content, Findings, Sound, Target, Template, TileContent, TileValue, ToastContent};

/// The namespace URI of every MPNS element.
const NS: &[u8] = b"WPNotification";

/// Why a DOCTYPE is refused.
const DOCTYPE: &str = "The body declares a DOCTYPE: MPNS payloads may carry no DTD and no entity declarations, so it is refused unread.";

/// `wp:Toast` children in Microsoft's order (§5.2).
const TOAST: &[&str] = &["Text1", "Text2", "Param", "Sound"];
/// WP7 standard tile (§5.3).
const STANDARD: &[&str] = &[
    "BackgroundImage",
    "Count",
    "Title",
    "BackBackgroundImage",
    "BackTitle",
    "BackContent",
];
/// Flip tile (§5.4).
const FLIP: &[&str] = &[
    "SmallBackgroundImage",
    "WideBackgroundImage",
    "WideBackBackgroundImage",
    "WideBackContent",
    "BackgroundImage",
    "Count",
    "Title",
    "BackBackgroundImage",
    "BackTitle",
    "BackContent",
];
/// Iconic tile (§5.5).
const ICONIC: &[&str] = &[
    "SmallIconImage",
    "IconImage",
    "WideContent1",
    "WideContent2",
    "WideContent3",
    "Count",
    "Title",
    "BackgroundColor",
];
/// Cycle tile (§5.6).
const CYCLE: &[&str] = &[
    "SmallBackgroundImage",
    "CycleImage1",
    "CycleImage2",
    "CycleImage3",
    "CycleImage4",
    "CycleImage5",
    "CycleImage6",
    "CycleImage7",
    "CycleImage8",
    "CycleImage9",
    "Count",
    "Title",
];

impl Template {
    /// The property elements this template takes, in Microsoft's order.
    pub fn elements(self) -> &'static [&'static str] {
        match self {
            Template::Standard => STANDARD,
            Template::FlipTile => FLIP,
            Template::IconicTile => ICONIC,
            Template::CycleTile => CYCLE,
        }
    }

    fn words(self) -> &'static str {
        match self {
            Template::Standard => "the standard tile (no Template)",
            Template::FlipTile => "the FlipTile template",
            Template::IconicTile => "the IconicTile template",
            Template::CycleTile => "the CycleTile template",
        }
    }
}

/// Where the reader is in the document.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    /// Before the root element.
    Prolog,
    /// Inside `wp:Notification`.
    Root,
    /// Inside `wp:Toast` or `wp:Tile`.
    Kind,
    /// Inside a property element (text only).
    Leaf,
    /// After the root element.
    Epilog,
}

/// The namespace an element resolved to, owned so the reader can move on.
enum Ns {
    Wp,
    Other(String),
    Unbound,
    Undeclared(String),
}

impl From<ResolveResult<'_>> for Ns {
    fn from(r: ResolveResult<'_>) -> Ns {
        match r {
            ResolveResult::Bound(ns) if ns.as_ref() == NS => Ns::Wp,
            ResolveResult::Bound(ns) => Ns::Other(String::from_utf8_lossy(ns.as_ref()).into()),
            ResolveResult::Unbound => Ns::Unbound,
            ResolveResult::Unknown(p) => Ns::Undeclared(String::from_utf8_lossy(&p).into()),
        }
    }
}

thread_local! {
    /// The namespace scopes, one resolver per thread, emptied before each body. quick-xml's
    /// `NsReader` builds a new resolver (buffers grown as declarations come) for every
    /// document; the fake reads one document per request, and that setup showed in profiles.
    static SCOPES: RefCell<NamespaceResolver> = RefCell::new(NamespaceResolver::default());
}

/// The property element being read.
struct Leaf {
    name: &'static str,
    value: String,
    pending_cr: bool,
    /// `Action="Clear"` (tile).
    clear: bool,
    /// `Silent="true"` (toast sound).
    silent: bool,
}

/// An element's name as written, shortened, for messages.
fn qname(e: &BytesStart<'_>) -> String {
    shorten(&String::from_utf8_lossy(e.name().as_ref())).into_owned()
}

/// Marks a problem already recorded in the findings; reading stops.
struct Stop;

struct Reading<'f> {
    f: &'f mut Findings,
    target: Target,
    saw_decl: bool,
    version2: bool,
    prefix_noted: bool,
    /// `Some(Target::Toast | Target::Tile)` once the notification element is open or read.
    kind: Option<Target>,
    template: Template,
    id: Option<String>,
    toast: ToastContent,
    properties: Vec<(String, TileValue)>,
    /// Allowed property elements of the current kind, in Microsoft's order.
    allowed: &'static [&'static str],
    /// Bit i set: `allowed[i]` was seen.
    seen: u32,
    /// Highest index in `allowed` seen so far.
    furthest: Option<usize>,
    order_noted: bool,
    leaf: Option<Leaf>,
    /// Bytes from the end of the current start tag to the next '<'.
    room: usize,
}

/// Reads a toast or tile body. Records every problem in `f`; `None` when the body is refused.
pub(super) fn read(body: &[u8], target: Target, f: &mut Findings) -> Option<Content> {
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
            super::headers::kind_words(target)
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
    fn run(&mut self, body: &[u8], scopes: &mut NamespaceResolver) -> Result<(), Stop> {
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

    fn error(&mut self, msg: impl Into<String>) -> Stop {
        self.f.error(msg);
        Stop
    }

    /// The innermost open element, for messages.
    fn open_element(&self, level: Level) -> String {
        match (level, &self.leaf) {
            (Level::Leaf, Some(leaf)) => format!("wp:{}", leaf.name),
            (Level::Kind, _) if self.kind == Some(Target::Toast) => "wp:Toast".into(),
            (Level::Kind, _) => "wp:Tile".into(),
            _ => "wp:Notification".into(),
        }
    }

    fn decl(&mut self, decl: &quick_xml::events::BytesDecl<'_>) -> Result<(), Stop> {
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
    fn text(&mut self, raw: &[u8], level: Level) -> Result<(), Stop> {
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

    fn stray_text(&mut self, s: &str, level: Level) -> Stop {
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
    fn reference(&mut self, name: &[u8], level: Level) -> Result<(), Stop> {
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
    fn syntax(&mut self, e: &Error, at: u64, level: Level) -> Stop {
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

    /// Checks that an element is in the WPNotification namespace (and notes a prefix other
    /// than `wp:` once).
    fn namespace(&mut self, e: &BytesStart<'_>, ns: Ns) -> Result<(), Stop> {
        let msg = match ns {
            Ns::Wp => {
                let prefix = e.name().prefix();
                let wp = prefix.is_some_and(|p| p.as_ref() == b"wp");
                if !wp && !self.prefix_noted {
                    self.prefix_noted = true;
                    self.f.deviation(format!(
                        "<{}> is in the WPNotification namespace but lacks the wp: prefix that Microsoft's payloads use.",
                        qname(e)
                    ));
                }
                return Ok(());
            }
            Ns::Undeclared(prefix) => format!(
                "The prefix '{}' of <{}> is not declared: add xmlns:{}=\"WPNotification\" to the root element.",
                shorten(&prefix),
                qname(e),
                shorten(&prefix)
            ),
            Ns::Unbound => format!(
                "<{}> is in no namespace; MPNS elements are in the namespace WPNotification (xmlns:wp=\"WPNotification\").",
                qname(e)
            ),
            Ns::Other(uri) => format!(
                "<{}> is in the namespace '{}'; MPNS elements are in the namespace WPNotification.",
                qname(e),
                shorten(&uri)
            ),
        };
        Err(self.error(msg))
    }

    fn start(
        &mut self,
        e: &BytesStart<'_>,
        ns: Ns,
        empty: bool,
        level: Level,
    ) -> Result<Level, Stop> {
        let local = e.local_name();
        let local = local.as_ref();
        match level {
            Level::Prolog => {
                if local != b"Notification" {
                    let q = qname(e);
                    return Err(self.error(format!(
                        "The root element is <{}>; MPNS expects wp:Notification.",
                        q
                    )));
                }
                self.namespace(e, ns)?;
                if !self.saw_decl {
                    self.f.deviation(
                        "No XML declaration: Microsoft's payloads begin with <?xml version=\"1.0\" encoding=\"utf-8\"?>.",
                    );
                }
                self.attributes(e, "Notification")?;
                if empty {
                    self.require_kind()?;
                    return Ok(Level::Epilog);
                }
                Ok(Level::Root)
            }
            Level::Root => {
                if self.kind.is_some() {
                    let q = qname(e);
                    return Err(self.error(format!(
                        "wp:Notification holds a second element <{}>; one POST carries one notification.",
                        q
                    )));
                }
                let kind = match local {
                    b"Toast" => Target::Toast,
                    b"Tile" => Target::Tile,
                    _ => {
                        let q = qname(e);
                        return Err(self.error(format!(
                            "<{}> is not a notification: wp:Notification holds wp:Toast or wp:Tile.",
                            q
                        )));
                    }
                };
                self.namespace(e, ns)?;
                if kind != self.target {
                    let found = if kind == Target::Toast {
                        "wp:Toast"
                    } else {
                        "wp:Tile"
                    };
                    return Err(self.error(format!(
                        "The body holds {found} but the headers say {}: one POST carries one notification, of the type its X-WindowsPhone-Target names.",
                        target_words(self.target)
                    )));
                }
                self.kind = Some(kind);
                if kind == Target::Toast {
                    self.allowed = TOAST;
                    self.attributes(e, "Toast")?;
                } else {
                    self.attributes(e, "Tile")?;
                    self.allowed = self.template.elements();
                    if !empty {
                        self.properties = Vec::with_capacity(self.allowed.len());
                    }
                    if self.template != Template::Standard && !self.version2 {
                        let name = match self.template {
                            Template::FlipTile => "FlipTile",
                            Template::IconicTile => "IconicTile",
                            _ => "CycleTile",
                        };
                        self.f.deviation(format!(
                            "{name} without Version=\"2.0\" on wp:Notification: Microsoft's WP8 templates declare it."
                        ));
                    }
                }
                Ok(if empty { Level::Root } else { Level::Kind })
            }
            Level::Kind => {
                self.namespace(e, ns)?;
                let Some(index) = self.allowed.iter().position(|n| n.as_bytes() == local) else {
                    let q = qname(e);
                    let msg = if self.kind == Some(Target::Toast) {
                        format!(
                            "<{}> is not a toast element: wp:Toast holds Text1, Text2, Param and Sound.",
                            q
                        )
                    } else {
                        format!(
                            "<{}> is not an element of {}: it takes {}.",
                            q,
                            self.template.words(),
                            self.allowed.join(", ")
                        )
                    };
                    return Err(self.error(msg));
                };
                let name = self.allowed[index];
                let parent = if self.kind == Some(Target::Toast) {
                    "wp:Toast"
                } else {
                    "wp:Tile"
                };
                if self.seen & (1 << index) != 0 {
                    return Err(self.error(format!(
                        "wp:{name} appears twice in {parent}; each element may appear once."
                    )));
                }
                self.seen |= 1 << index;
                match self.furthest {
                    Some(furthest) if index < furthest => {
                        if !self.order_noted {
                            self.order_noted = true;
                            let before = self.allowed[furthest];
                            let list = self.allowed.join(", ");
                            self.f.deviation(format!(
                                "wp:{name} comes after wp:{before} in {parent}, out of Microsoft's order: {list}."
                            ));
                        }
                    }
                    _ => self.furthest = Some(index),
                }
                self.leaf = Some(Leaf {
                    name,
                    value: String::with_capacity(if empty { 0 } else { self.room }),
                    pending_cr: false,
                    clear: false,
                    silent: false,
                });
                self.attributes(e, name)?;
                if empty {
                    self.finish_leaf()?;
                    return Ok(Level::Kind);
                }
                Ok(Level::Leaf)
            }
            Level::Leaf => {
                let element = self.leaf.as_ref().map_or("", |l| l.name);
                if text::is_name(e.name().as_ref()) && !e.attributes_raw().contains(&b'<') {
                    let q = qname(e);
                    Err(self.error(format!(
                        "<{}> is not allowed inside wp:{element}, which holds only text.",
                        q
                    )))
                } else {
                    Err(self.error(format!(
                        "'<' not escaped in wp:{element}: write it as &lt;."
                    )))
                }
            }
            Level::Epilog => {
                let q = qname(e);
                Err(self.error(format!(
                    "A second root element <{}> follows wp:Notification; the body holds one document.",
                    q
                )))
            }
        }
    }

    fn require_kind(&mut self) -> Result<(), Stop> {
        if self.kind.is_none() {
            return Err(self.error(format!(
                "wp:Notification is empty: it must hold {}.",
                if self.target == Target::Toast {
                    "a wp:Toast"
                } else {
                    "a wp:Tile"
                }
            )));
        }
        Ok(())
    }

    /// Reads the attributes of `element` (a local name), keeping the ones it takes.
    fn attributes(&mut self, e: &BytesStart<'_>, element: &'static str) -> Result<(), Stop> {
        let mut id_spelling: Option<&'static str> = None;
        for attr in e.attributes() {
            let attr = match attr {
                Ok(a) => a,
                Err(err) => {
                    return Err(self.error(format!(
                        "The attributes of wp:{element} are not well-formed: {err}."
                    )))
                }
            };
            if attr.key.as_namespace_binding().is_some() {
                continue;
            }
            let key = attr.key.as_ref();
            let Ok(raw) = std::str::from_utf8(&attr.value) else {
                return Err(self.error("The body is not UTF-8."));
            };
            let shown_key = String::from_utf8_lossy(key);
            let value = match text::decode_attr(raw) {
                Ok(v) => v,
                Err(problem) => {
                    let msg = match problem {
                        AttrProblem::Lt => format!(
                            "'<' not escaped in the {shown_key} attribute of wp:{element}: write it as &lt;."
                        ),
                        AttrProblem::StrayAmp => format!(
                            "'&' not escaped in the {shown_key} attribute of wp:{element}: write it as &amp;."
                        ),
                        AttrProblem::BadChar(c) => format!(
                            "The {shown_key} attribute of wp:{element} contains the character {}, which XML does not allow.",
                            show_char(c)
                        ),
                        AttrProblem::UnknownEntity(name) => format!(
                            "&{}; in the {shown_key} attribute of wp:{element} is not an XML entity: only &amp; &lt; &gt; &quot; &apos; and character references are allowed.",
                            shorten(&name)
                        ),
                        AttrProblem::BadCharRef(name) => format!(
                            "&{}; in the {shown_key} attribute of wp:{element} is not a character reference to a character XML allows.",
                            shorten(&name)
                        ),
                    };
                    return Err(self.error(msg));
                }
            };
            match (element, key) {
                ("Notification", b"Version") => {
                    if value != "2.0" {
                        return Err(self.error(format!(
                            "Version '{}' on wp:Notification is not 2.0, the only version MPNS templates declare.",
                            shorten(&value)
                        )));
                    }
                    self.version2 = true;
                }
                ("Tile", b"Id" | b"ID") => {
                    let spelling = if key == b"Id" { "Id" } else { "ID" };
                    if let Some(other) = id_spelling {
                        return Err(self.error(format!(
                            "wp:Tile has both {other} and {spelling}; send one."
                        )));
                    }
                    id_spelling = Some(spelling);
                    self.lint_twice(&value, || format!("the {spelling} attribute of wp:Tile"));
                    self.id = Some(value.into_owned());
                }
                ("Tile", b"Template") => {
                    self.template = match value.as_ref() {
                        "FlipTile" => Template::FlipTile,
                        "IconicTile" => Template::IconicTile,
                        "CycleTile" => Template::CycleTile,
                        other => {
                            return Err(self.error(format!(
                                "Template '{}' on wp:Tile is not FlipTile, IconicTile or CycleTile (leave it out for the standard tile).",
                                shorten(other)
                            )))
                        }
                    };
                }
                ("Sound", b"Silent") if self.kind == Some(Target::Toast) => {
                    let silent = match value.as_ref() {
                        "true" => true,
                        "false" => false,
                        other => {
                            return Err(self.error(format!(
                                "Silent '{}' on wp:Sound is not true or false.",
                                shorten(other)
                            )))
                        }
                    };
                    if let Some(leaf) = self.leaf.as_mut() {
                        leaf.silent = silent;
                    }
                }
                (_, b"Action") if self.kind == Some(Target::Tile) && element != "Tile" => {
                    if value != "Clear" {
                        return Err(self.error(format!(
                            "Action '{}' on wp:{element} is not Clear, the only action.",
                            shorten(&value)
                        )));
                    }
                    if let Some(leaf) = self.leaf.as_mut() {
                        leaf.clear = true;
                    }
                }
                _ => {
                    return Err(self.error(format!(
                        "wp:{element} takes no attribute {}.",
                        shorten(&shown_key)
                    )))
                }
            }
        }
        Ok(())
    }

    /// Notes text that still holds an escape after unescaping.
    fn lint_twice(&mut self, value: &str, place: impl FnOnce() -> String) {
        if !value.contains('&') {
            return;
        }
        if let Some(meant) = text::escaped_twice(value) {
            let what = match meant {
                Some(c) => format!("'{c}'"),
                None => "A character reference".to_owned(),
            };
            self.f.note(format!(
                "{what} escaped twice in {}: the phone would show '{}'.",
                place(),
                shorten(value)
            ));
        }
    }

    fn finish_leaf(&mut self) -> Result<(), Stop> {
        let Some(leaf) = self.leaf.take() else {
            return Ok(());
        };
        let name = leaf.name;
        self.lint_twice(&leaf.value, || format!("wp:{name}"));
        if self.kind == Some(Target::Toast) {
            let slot = match name {
                "Text1" => &mut self.toast.text1,
                "Text2" => &mut self.toast.text2,
                "Param" => &mut self.toast.param,
                _ => {
                    self.toast.sound = Some(if leaf.silent {
                        if !leaf.value.is_empty() {
                            return Err(self.error(format!(
                                "wp:Sound has Silent=\"true\" and also the path '{}'; send one or the other.",
                                shorten(&leaf.value)
                            )));
                        }
                        Sound::Silent
                    } else {
                        Sound::Path(leaf.value)
                    });
                    return Ok(());
                }
            };
            *slot = Some(leaf.value);
        } else {
            let value = if leaf.clear {
                if !is_blank(leaf.value.as_bytes()) {
                    self.f.deviation(format!(
                        "wp:{name} has Action=\"Clear\" and also the value '{}'; a cleared property takes no value.",
                        shorten(&leaf.value)
                    ));
                }
                TileValue::Clear
            } else {
                TileValue::Set(leaf.value)
            };
            self.properties.push((name.to_owned(), value));
        }
        Ok(())
    }
}
