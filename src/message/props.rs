//! Tile properties, shared by the four tile templates: each one is set, cleared with
//! `Action="Clear"`, or left out (which leaves the phone's value unchanged).

use super::options::Common;
use super::xml::{check_chars, XmlWriter};
use super::{MessageError, OsVersion};

/// One tile property in a builder: a value, or a request to clear it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Prop<T> {
    Set(T),
    Clear,
}

/// A validated tile, ready to render.
#[derive(Debug, Default)]
pub(crate) struct TileXml<'a> {
    /// Write `Version="2.0"` on the root.
    pub(crate) version: bool,
    /// `Template="..."` on `wp:Tile`, absent for the standard template.
    pub(crate) template: Option<&'static str>,
    pub(crate) id: Option<&'a str>,
    /// In element order; absent properties are not listed.
    pub(crate) props: Vec<(&'static str, Prop<String>)>,
}

impl TileXml<'_> {
    pub(crate) fn render(&self) -> String {
        let mut w = XmlWriter::new();
        w.start_root(self.version);
        let mut attributes = Vec::with_capacity(2);
        if let Some(id) = self.id {
            attributes.push(("Id", id));
        }
        if let Some(template) = self.template {
            attributes.push(("Template", template));
        }
        w.start("Tile", &attributes);
        for (name, prop) in &self.props {
            match prop {
                Prop::Set(value) => w.element(name, &[], value),
                Prop::Clear => w.element(name, &[("Action", "Clear")], ""),
            }
        }
        w.end("Tile");
        w.end("Notification");
        w.finish()
    }
}

/// Collects a tile's properties in element order while validating them.
pub(crate) struct TileBuilder<'a> {
    pub(crate) xml: TileXml<'a>,
    common: &'a Common,
    /// The OS level that introduced `Action="Clear"` for this template.
    clear_needs: OsVersion,
}

impl<'a> TileBuilder<'a> {
    pub(crate) fn new(common: &'a Common, clear_needs: OsVersion) -> TileBuilder<'a> {
        TileBuilder {
            xml: TileXml::default(),
            common,
            clear_needs,
        }
    }

    /// Sets the secondary tile `Id` after checking it.
    pub(crate) fn id(&mut self, id: Option<&'a str>) -> Result<(), MessageError> {
        if let Some(id) = id {
            check_chars("Id", id)?;
            if !id.starts_with('/') {
                return Err(MessageError::BadTileId {
                    value: id.to_owned(),
                });
            }
            self.common.require("Id", OsVersion::V7_1)?;
            self.xml.id = Some(id);
        }
        Ok(())
    }

    /// Adds a text or image property, checking its characters and, with `extra`, any other rule.
    pub(crate) fn text(
        &mut self,
        name: &'static str,
        prop: &Option<Prop<String>>,
        needs: OsVersion,
    ) -> Result<(), MessageError> {
        self.text_with(name, prop, needs, |_| Ok(()))
    }

    pub(crate) fn text_with(
        &mut self,
        name: &'static str,
        prop: &Option<Prop<String>>,
        needs: OsVersion,
        extra: impl FnOnce(&str) -> Result<(), MessageError>,
    ) -> Result<(), MessageError> {
        match prop {
            None => return Ok(()),
            Some(Prop::Set(value)) => {
                check_chars(name, value)?;
                extra(value)?;
                self.common.require(name, needs)?;
            }
            Some(Prop::Clear) => {
                self.common.require(name, needs)?;
                self.common.require("Action=\"Clear\"", self.clear_needs)?;
            }
        }
        self.xml
            .props
            .push((name, prop.clone().expect("checked above")));
        Ok(())
    }

    /// Adds `Count` after checking its range.
    pub(crate) fn count(&mut self, prop: &Option<Prop<i64>>) -> Result<(), MessageError> {
        let prop = match prop {
            None => return Ok(()),
            Some(Prop::Set(value)) => {
                if !(0..=99).contains(value) {
                    return Err(MessageError::CountOutOfRange {
                        field: "Count",
                        value: *value,
                    });
                }
                Prop::Set(value.to_string())
            }
            Some(Prop::Clear) => {
                self.common.require("Action=\"Clear\"", self.clear_needs)?;
                Prop::Clear
            }
        };
        self.xml.props.push(("Count", prop));
        Ok(())
    }

    /// Fails with [`MessageError::Empty`] when no property was set or cleared.
    pub(crate) fn non_empty(&self, what: &'static str) -> Result<(), MessageError> {
        if self.xml.props.is_empty() {
            return Err(MessageError::Empty {
                what,
                rule: "set or clear at least one property",
            });
        }
        Ok(())
    }
}

/// The setter and clearer of a string tile property.
macro_rules! prop_methods {
    ($( $(#[$doc:meta])* $field:ident, $clear:ident, $element:literal; )*) => {
        $(
            $(#[$doc])*
            #[doc = concat!("\n\nWritten as `<wp:", $element, ">`.")]
            pub fn $field(mut self, value: impl Into<String>) -> Self {
                self.$field = Some(crate::message::props::Prop::Set(value.into()));
                self
            }

            #[doc = concat!("Clears `", $element, "` on the phone: `<wp:", $element, " Action=\"Clear\"></wp:", $element, ">`.")]
            pub fn $clear(mut self) -> Self {
                self.$field = Some(crate::message::props::Prop::Clear);
                self
            }
        )*
    };
}

/// `count`, `clear_count` and `id`, identical on every template.
macro_rules! count_and_id_methods {
    () => {
        /// Sets the badge `Count`: 1 to 99 is shown, 0 hides the badge. Anything outside
        /// 0..=99 fails at build time.
        pub fn count(mut self, count: i64) -> Self {
            self.count = Some(crate::message::props::Prop::Set(count));
            self
        }

        /// Clears the badge: `<wp:Count Action="Clear"></wp:Count>`.
        pub fn clear_count(mut self) -> Self {
            self.count = Some(crate::message::props::Prop::Clear);
            self
        }

        /// Targets a secondary tile: its navigation URI (starting with `/`, query allowed),
        /// written as the `Id` attribute of `wp:Tile`. Without it the application tile is updated.
        pub fn id(mut self, id: impl Into<String>) -> Self {
            self.id = Some(id.into());
            self
        }
    };
}

pub(crate) use count_and_id_methods;
pub(crate) use prop_methods;
