//! Element rules: namespaces, the document's shape (`wp:Notification`, then `wp:Toast` or
//! `wp:Tile`, then properties in Microsoft's order) and the kind the headers promised.

use quick_xml::events::BytesStart;

use crate::protocol::headers::target_words;
use crate::protocol::text::{self, shorten};
use crate::protocol::{Target, Template};

use super::scopes::Ns;
use super::templates::TOAST;
use super::{qname, Leaf, Level, Reading, Stop};

impl Reading<'_> {
    /// Checks that an element is in the WPNotification namespace (and notes a prefix other
    /// than `wp:` once).
    pub(super) fn namespace(&mut self, e: &BytesStart<'_>, ns: Ns) -> Result<(), Stop> {
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

    pub(super) fn start(
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

    pub(super) fn require_kind(&mut self) -> Result<(), Stop> {
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
}
