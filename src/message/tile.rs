//! The standard tile template of Windows Phone 7.0 and 7.1 (`X-WindowsPhone-Target: token`).

use bytes::Bytes;

use super::options::{common_options, Common, MAX_BODY};
use super::props::{count_and_id_methods, prop_methods, Prop, TileBuilder};
use super::{Message, MessageError, MessageKind, OsVersion};

/// Builds an update of a standard tile (the WP 7.0/7.1 template).
///
/// Each property is set, cleared (`Action="Clear"`, WP 7.1+) or left out, which leaves it
/// unchanged on the phone. Elements are written in Microsoft's order: BackgroundImage, Count,
/// Title, BackBackgroundImage, BackTitle, BackContent. `id` targets a secondary tile (WP 7.1+).
/// At least one property must be set or cleared. An empty value is written as an empty element;
/// to reset a property, use its `clear_*` method, which is what `Action="Clear"` is for.
///
/// ```
/// use mpns::{OsVersion, Tile};
///
/// let tile = Tile::new()
///     .count(5)
///     .title("Oslo")
///     .clear_back_title()
///     .id("/Sec.xaml?c=1&d=2")
///     .os(OsVersion::V7_1)
///     .build()?;
/// assert_eq!(
///     std::str::from_utf8(tile.body())?,
///     "<?xml version=\"1.0\" encoding=\"utf-8\"?><wp:Notification xmlns:wp=\"WPNotification\">\
///      <wp:Tile Id=\"/Sec.xaml?c=1&amp;d=2\"><wp:Count>5</wp:Count><wp:Title>Oslo</wp:Title>\
///      <wp:BackTitle Action=\"Clear\"></wp:BackTitle></wp:Tile></wp:Notification>"
/// );
///
/// // The back of a tile arrived with 7.1:
/// let err = Tile::new().back_title("Back").os(OsVersion::V7_0).build().unwrap_err();
/// assert_eq!(err.to_string(), "BackTitle needs Windows Phone 7.1 or later, but the target OS is 7.0");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use = "a builder does nothing until .build() is called"]
pub struct Tile {
    common: Common,
    id: Option<String>,
    background_image: Option<Prop<String>>,
    count: Option<Prop<i64>>,
    title: Option<Prop<String>>,
    back_background_image: Option<Prop<String>>,
    back_title: Option<Prop<String>>,
    back_content: Option<Prop<String>>,
}

impl Tile {
    /// A tile update that changes nothing yet.
    pub fn new() -> Tile {
        Tile::default()
    }

    prop_methods! {
        /// The front image: a package path (`/Images/a.png`), `isostore:/Shared/ShellContent/...`,
        /// or an `http(s)` URL from a domain the channel was bound to.
        background_image, clear_background_image, "BackgroundImage";
        /// The text under the front of the tile.
        title, clear_title, "Title";
        /// The back image (WP 7.1+).
        back_background_image, clear_back_background_image, "BackBackgroundImage";
        /// The title on the back (WP 7.1+).
        back_title, clear_back_title, "BackTitle";
        /// The larger text on the back, above the back title (WP 7.1+).
        back_content, clear_back_content, "BackContent";
    }

    count_and_id_methods!();

    common_options!();

    /// Validates and renders the tile update.
    ///
    /// # Errors
    ///
    /// [`MessageError`] when nothing is set or cleared, `Count` is outside 0..=99, a value holds a
    /// character XML 1.0 forbids, `id` does not start with `/`, the target OS is 7.0 and a 7.1
    /// feature (Id, Back*, clear) is used, or the body exceeds 3072 bytes.
    pub fn build(self) -> Result<Message, MessageError> {
        let v70 = OsVersion::V7_0;
        let v71 = OsVersion::V7_1;
        let mut t = TileBuilder::new(&self.common, v71);
        t.id(self.id.as_deref())?;
        t.text("BackgroundImage", &self.background_image, v70)?;
        t.count(&self.count)?;
        t.text("Title", &self.title, v70)?;
        t.text("BackBackgroundImage", &self.back_background_image, v71)?;
        t.text("BackTitle", &self.back_title, v71)?;
        t.text("BackContent", &self.back_content, v71)?;
        t.non_empty("Tile")?;
        let body = Bytes::from(t.xml.render());
        self.common
            .finish(MessageKind::Tile, body, "payload", MAX_BODY)
    }
}
