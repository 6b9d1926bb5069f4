//! The Iconic tile template of Windows Phone 8 (and 7.8): a white icon on a colour.

use bytes::Bytes;

use super::options::{common_options, Common, MAX_BODY};
use super::props::{count_and_id_methods, prop_methods, Prop, TileBuilder};
use super::{Message, MessageError, MessageKind, OsVersion};

/// Builds an update of an Iconic tile (`Template="IconicTile"`, WP 7.8+).
///
/// The root carries `Version="2.0"` unless [`omit_version`](Self::omit_version) is called.
/// Elements are written in Microsoft's order: SmallIconImage, IconImage, WideContent1,
/// WideContent2, WideContent3, Count, Title, BackgroundColor. At least one property must be set
/// or cleared.
///
/// `IconImage` has no clearing method: Microsoft says it should not be cleared.
/// `BackgroundColor` must be `#AARRGGBB` with alpha `FF`; the phone ignores any other alpha and
/// uses the theme colour, so such a colour is refused at build time.
///
/// ```
/// use mpns::IconicTile;
///
/// let tile = IconicTile::new().icon_image("/Assets/icon.png").background_color("#FF1BA1E2").build()?;
/// assert!(std::str::from_utf8(tile.body())?.contains(
///     "<wp:Tile Template=\"IconicTile\"><wp:IconImage>/Assets/icon.png</wp:IconImage>\
///      <wp:BackgroundColor>#FF1BA1E2</wp:BackgroundColor></wp:Tile>"
/// ));
///
/// let err = IconicTile::new().background_color("#801BA1E2").build().unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "BackgroundColor \"#801BA1E2\" must be #AARRGGBB with alpha FF: alpha is 80, \
///      but the phone only uses an opaque colour (FF) and shows the theme colour otherwise"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a builder does nothing until .build() is called"]
pub struct IconicTile {
    common: Common,
    version: bool,
    id: Option<String>,
    small_icon_image: Option<Prop<String>>,
    icon_image: Option<Prop<String>>,
    wide_content1: Option<Prop<String>>,
    wide_content2: Option<Prop<String>>,
    wide_content3: Option<Prop<String>>,
    count: Option<Prop<i64>>,
    title: Option<Prop<String>>,
    background_color: Option<Prop<String>>,
}

impl Default for IconicTile {
    fn default() -> Self {
        IconicTile {
            common: Common::default(),
            version: true,
            id: None,
            small_icon_image: None,
            icon_image: None,
            wide_content1: None,
            wide_content2: None,
            wide_content3: None,
            count: None,
            title: None,
            background_color: None,
        }
    }
}

/// Checks `#AARRGGBB` with alpha `FF` and says what is wrong otherwise.
fn check_color(value: &str) -> Result<(), MessageError> {
    let bad = |reason: String| MessageError::BadColor {
        value: value.to_owned(),
        reason,
    };
    let Some(digits) = value.strip_prefix('#') else {
        return Err(bad("it does not start with #".to_owned()));
    };
    let count = digits.chars().count();
    if count != 8 {
        return Err(bad(format!(
            "it has {count} characters after #, expected 8 (AARRGGBB)"
        )));
    }
    if let Some((i, c)) = digits
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii_hexdigit())
    {
        return Err(bad(format!(
            "{c:?} at position {} is not a hexadecimal digit",
            i + 1
        )));
    }
    let alpha = &digits[..2];
    if !alpha.eq_ignore_ascii_case("FF") {
        return Err(bad(format!(
            "alpha is {alpha}, but the phone only uses an opaque colour (FF) and shows the theme colour otherwise"
        )));
    }
    Ok(())
}

impl IconicTile {
    /// An Iconic tile update that changes nothing yet.
    pub fn new() -> IconicTile {
        IconicTile::default()
    }

    /// Leaves `Version="2.0"` off `wp:Notification`, as several older senders did.
    pub fn omit_version(mut self) -> Self {
        self.version = false;
        self
    }

    prop_methods! {
        /// The icon of the small tile (110×110).
        small_icon_image, clear_small_icon_image, "SmallIconImage";
        /// The first row of text on the wide tile (larger font).
        wide_content1, clear_wide_content1, "WideContent1";
        /// The second row of text on the wide tile.
        wide_content2, clear_wide_content2, "WideContent2";
        /// The third row of text on the wide tile.
        wide_content3, clear_wide_content3, "WideContent3";
        /// The title of the medium and wide tile.
        title, clear_title, "Title";
        /// The background colour as `#AARRGGBB`; alpha must be `FF` (checked at build time).
        background_color, clear_background_color, "BackgroundColor";
    }

    /// The icon of the medium and wide tile (202×202), written as `<wp:IconImage>`.
    /// There is no way to clear it: Microsoft says it should not be cleared.
    pub fn icon_image(mut self, value: impl Into<String>) -> Self {
        self.icon_image = Some(Prop::Set(value.into()));
        self
    }

    count_and_id_methods!();

    common_options!();

    /// Validates and renders the tile update.
    ///
    /// # Errors
    ///
    /// [`MessageError`] when nothing is set or cleared, `Count` is outside 0..=99,
    /// `BackgroundColor` is not `#AARRGGBB` with alpha `FF`, a value holds a character XML 1.0
    /// forbids, `id` does not start with `/`, the target OS is older than 7.8, or the body exceeds
    /// 3072 bytes.
    pub fn build(self) -> Result<Message, MessageError> {
        let v = OsVersion::V7_8;
        self.common.require("IconicTile", v)?;
        let mut t = TileBuilder::new(&self.common, v);
        t.xml.version = self.version;
        t.xml.template = Some("IconicTile");
        t.id(self.id.as_deref())?;
        t.text("SmallIconImage", &self.small_icon_image, v)?;
        t.text("IconImage", &self.icon_image, v)?;
        t.text("WideContent1", &self.wide_content1, v)?;
        t.text("WideContent2", &self.wide_content2, v)?;
        t.text("WideContent3", &self.wide_content3, v)?;
        t.count(&self.count)?;
        t.text("Title", &self.title, v)?;
        t.text_with("BackgroundColor", &self.background_color, v, check_color)?;
        t.non_empty("IconicTile")?;
        let body = Bytes::from(t.xml.render());
        self.common
            .finish(MessageKind::Tile, body, "payload", MAX_BODY)
    }
}

#[cfg(test)]
mod tests {
    use super::check_color;

    fn reason(value: &str) -> String {
        match check_color(value) {
            Err(crate::MessageError::BadColor { reason, .. }) => reason,
            other => panic!("expected BadColor for {value:?}, got {other:?}"),
        }
    }

    #[test]
    fn colour_errors_say_what_is_wrong() {
        assert_eq!(reason("FF1BA1E2"), "it does not start with #");
        assert_eq!(
            reason("#1BA1E2"),
            "it has 6 characters after #, expected 8 (AARRGGBB)"
        );
        assert_eq!(
            reason("#FF1BA1EG"),
            "'G' at position 8 is not a hexadecimal digit"
        );
        assert!(reason("#001BA1E2").starts_with("alpha is 00,"));
        assert_eq!(check_color("#ff1ba1e2"), Ok(()));
    }
}
