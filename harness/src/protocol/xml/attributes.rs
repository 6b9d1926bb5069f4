//! Attribute rules (`Version`, `Template`, `Id`, `Action`, `Silent`, ...) and finishing a
//! property element's value.

use quick_xml::events::BytesStart;

use crate::protocol::text::{self, is_blank, shorten, show_char, AttrProblem};
use crate::protocol::{Sound, Target, Template, TileValue};

use super::{Reading, Stop};

impl Reading<'_> {
    /// Reads the attributes of `element` (a local name), keeping the ones it takes.
    pub(super) fn attributes(
        &mut self,
        e: &BytesStart<'_>,
        element: &'static str,
    ) -> Result<(), Stop> {
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
    pub(super) fn lint_twice(&mut self, value: &str, place: impl FnOnce() -> String) {
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

    pub(super) fn finish_leaf(&mut self) -> Result<(), Stop> {
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
