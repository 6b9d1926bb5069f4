//! Reading a WNS payload as the Windows device does: a small element tree from quick-xml, then
//! the toast, tile or badge it describes. Case matters (`<Toast>` is not a toast), the root must
//! match `X-WNS-Type`, and an image source the device cannot load drops the whole notification.

use quick_xml::events::Event;
use quick_xml::Reader;

use super::{DropReason, WnsKind};

/// One element: its name, attributes, text and children, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) attrs: Vec<(String, String)>,
    pub(crate) text: String,
    pub(crate) children: Vec<Element>,
}

impl Element {
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

/// Parses a whole document into its root element.
pub(crate) fn parse(body: &[u8]) -> Result<Element, DropReason> {
    let text = std::str::from_utf8(body)
        .map_err(|e| DropReason::BadXml(format!("not UTF-8 at byte {}", e.valid_up_to())))?;
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let bad = |e: String| DropReason::BadXml(e);
    loop {
        let event = reader.read_event().map_err(|e| bad(e.to_string()))?;
        match event {
            Event::Start(_) | Event::Empty(_) => {
                let (start, empty) = match event {
                    Event::Start(s) => (s, false),
                    Event::Empty(s) => (s, true),
                    _ => unreachable!("matched above"),
                };
                if root.is_some() {
                    return Err(bad("content after the root element".into()));
                }
                let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                let mut attrs = Vec::new();
                for a in start.attributes() {
                    let a = a.map_err(|e| bad(e.to_string()))?;
                    // The body was checked to be UTF-8 above, so the bytes are text already.
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| bad(e.to_string()))?
                        .into_owned();
                    attrs.push((String::from_utf8_lossy(a.key.as_ref()).into_owned(), value));
                }
                let el = Element {
                    name,
                    attrs,
                    text: String::new(),
                    children: Vec::new(),
                };
                if empty {
                    close(&mut stack, &mut root, el);
                } else {
                    stack.push(el);
                }
            }
            Event::End(_) => {
                let el = stack
                    .pop()
                    .ok_or_else(|| bad("an end tag without a start".into()))?;
                close(&mut stack, &mut root, el);
            }
            Event::Text(t) => {
                let s = t.decode().map_err(|e| bad(e.to_string()))?;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&s),
                    None if s.trim().is_empty() => {}
                    None => return Err(bad("text outside the root element".into())),
                }
            }
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| bad(e.to_string()))?;
                let c = match name.as_ref() {
                    "amp" => "&".to_owned(),
                    "lt" => "<".to_owned(),
                    "gt" => ">".to_owned(),
                    "quot" => "\"".to_owned(),
                    "apos" => "'".to_owned(),
                    other => match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => return Err(bad(format!("unknown entity &{other};"))),
                    },
                };
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&c);
                }
            }
            Event::CData(c) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&String::from_utf8_lossy(&c));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(bad(format!(
            "<{}> is never closed",
            stack[stack.len() - 1].name
        )));
    }
    root.ok_or_else(|| bad("no root element".into()))
}

fn close(stack: &mut [Element], root: &mut Option<Element>, el: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => *root = Some(el),
    }
}

/// Checks the root against `X-WNS-Type`: the device drops a notification whose kind and root
/// disagree, and a root in the wrong case.
pub(crate) fn check_root(root: &Element, kind: WnsKind) -> Result<(), DropReason> {
    let expected = match kind {
        WnsKind::Toast => "toast",
        WnsKind::Tile => "tile",
        WnsKind::Badge => "badge",
        WnsKind::Raw => return Ok(()),
    };
    if root.name == expected {
        return Ok(());
    }
    if root.name.eq_ignore_ascii_case(expected) {
        return Err(DropReason::CaseError(format!(
            "the root is <{}>; XML is case-sensitive and the device wants <{expected}>",
            root.name
        )));
    }
    Err(DropReason::TypeMismatch {
        wns_type: kind.wns_type(),
        root: root.name.clone(),
    })
}

/// Whether the device can load an image from `src`.
pub(crate) fn check_image(src: &str) -> Result<(), DropReason> {
    let lower = src.to_ascii_lowercase();
    let ok = ["http://", "https://", "ms-appx:///", "ms-appdata:///local/"]
        .iter()
        .any(|s| lower.starts_with(s) && lower.len() > s.len());
    if ok {
        Ok(())
    } else {
        Err(DropReason::BadImage(src.to_owned()))
    }
}

/// A toast as the notification center shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToastView {
    /// The texts, title first.
    pub texts: Vec<String>,
    /// Image sources, in order.
    pub images: Vec<String>,
    /// Button labels.
    pub buttons: Vec<String>,
    /// The `launch` arguments.
    pub launch: Option<String>,
}

pub(crate) fn read_toast(root: &Element) -> Result<ToastView, DropReason> {
    let visual = root
        .children_named("visual")
        .next()
        .ok_or_else(|| DropReason::BadXml("a toast without <visual>".into()))?;
    let binding = visual
        .children_named("binding")
        .next()
        .ok_or_else(|| DropReason::BadXml("a toast without <binding>".into()))?;
    let mut view = ToastView {
        texts: binding
            .children_named("text")
            .map(|t| t.text.clone())
            .collect(),
        images: Vec::new(),
        buttons: Vec::new(),
        launch: root.attr("launch").map(str::to_owned),
    };
    for img in binding.children_named("image") {
        let src = img.attr("src").unwrap_or_default();
        check_image(src)?;
        view.images.push(src.to_owned());
    }
    if let Some(actions) = root.children_named("actions").next() {
        view.buttons = actions
            .children_named("action")
            .map(|a| a.attr("content").unwrap_or_default().to_owned())
            .collect();
    }
    if view.texts.is_empty() {
        return Err(DropReason::BadXml("a toast without text".into()));
    }
    Ok(view)
}

/// A tile's content for one size, as the Start menu shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileView {
    /// The binding's template (`TileMedium`, `TileWide310x150Text01`, ...).
    pub template: String,
    /// Its texts.
    pub texts: Vec<String>,
    /// Its image sources.
    pub images: Vec<String>,
}

pub(crate) fn read_tile(root: &Element) -> Result<Vec<TileView>, DropReason> {
    let visual = root
        .children_named("visual")
        .next()
        .ok_or_else(|| DropReason::BadXml("a tile without <visual>".into()))?;
    let mut views = Vec::new();
    for b in visual.children_named("binding") {
        let mut images = Vec::new();
        for img in b.children_named("image") {
            let src = img.attr("src").unwrap_or_default();
            check_image(src)?;
            images.push(src.to_owned());
        }
        views.push(TileView {
            template: b.attr("template").unwrap_or_default().to_owned(),
            texts: b.children_named("text").map(|t| t.text.clone()).collect(),
            images,
        });
    }
    if views.is_empty() {
        return Err(DropReason::BadXml("a tile without <binding>".into()));
    }
    Ok(views)
}

/// The thirteen glyphs a badge can show.
pub(crate) const GLYPHS: [&str; 13] = [
    "none",
    "activity",
    "alarm",
    "alert",
    "attention",
    "available",
    "away",
    "busy",
    "error",
    "newMessage",
    "paused",
    "playing",
    "unavailable",
];

/// A badge's value: `None` when it clears the badge (0 or `none`).
pub(crate) fn read_badge(root: &Element) -> Result<Option<String>, DropReason> {
    let value = root
        .attr("value")
        .ok_or_else(|| DropReason::BadXml("a badge without value".into()))?;
    if let Ok(n) = value.parse::<u64>() {
        return Ok(match n {
            0 => None,
            1..=99 => Some(n.to_string()),
            _ => Some("99+".to_owned()),
        });
    }
    if GLYPHS.contains(&value) {
        return Ok((value != "none").then(|| value.to_owned()));
    }
    Err(DropReason::BadXml(format!(
        "the badge value {value:?} is neither a number nor a glyph"
    )))
}
