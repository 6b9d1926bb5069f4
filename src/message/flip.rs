//! The Flip tile template of Windows Phone 8 (and 7.8): front and back, in three sizes.

use bytes::Bytes;

use super::options::{common_options, Common, MAX_BODY};
use super::props::{count_and_id_methods, prop_methods, Prop, TileBuilder};
use super::{Message, MessageError, MessageKind, OsVersion};

/// Builds an update of a Flip tile (`Template="FlipTile"`, WP 7.8+).
///
/// The root carries `Version="2.0"` unless [`omit_version`](Self::omit_version) is called.
/// Elements are written in Microsoft's order: SmallBackgroundImage, WideBackgroundImage,
/// WideBackBackgroundImage, WideBackContent, BackgroundImage, Count, Title, BackBackgroundImage,
/// BackTitle, BackContent. Since the sender cannot know which size the user pinned, Microsoft
/// advises setting all of them. At least one property must be set or cleared.
///
/// ```
/// use mpns::FlipTile;
///
/// let tile = FlipTile::new().title("Oslo").count(3).build()?;
/// assert_eq!(
///     std::str::from_utf8(tile.body())?,
///     "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
///      <wp:Notification xmlns:wp=\"WPNotification\" Version=\"2.0\">\
///      <wp:Tile Template=\"FlipTile\"><wp:Count>3</wp:Count><wp:Title>Oslo</wp:Title></wp:Tile>\
///      </wp:Notification>"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a builder does nothing until .build() is called"]
pub struct FlipTile {
    common: Common,
    version: bool,
    id: Option<String>,
    small_background_image: Option<Prop<String>>,
    wide_background_image: Option<Prop<String>>,
    wide_back_background_image: Option<Prop<String>>,
    wide_back_content: Option<Prop<String>>,
    background_image: Option<Prop<String>>,
    count: Option<Prop<i64>>,
    title: Option<Prop<String>>,
    back_background_image: Option<Prop<String>>,
    back_title: Option<Prop<String>>,
    back_content: Option<Prop<String>>,
}

impl Default for FlipTile {
    fn default() -> Self {
        FlipTile {
            common: Common::default(),
            version: true,
            id: None,
            small_background_image: None,
            wide_background_image: None,
            wide_back_background_image: None,
            wide_back_content: None,
            background_image: None,
            count: None,
            title: None,
            back_background_image: None,
            back_title: None,
            back_content: None,
        }
    }
}

impl FlipTile {
    /// A Flip tile update that changes nothing yet.
    pub fn new() -> FlipTile {
        FlipTile::default()
    }

    /// Leaves `Version="2.0"` off `wp:Notification`, as several older senders did.
    pub fn omit_version(mut self) -> Self {
        self.version = false;
        self
    }

    prop_methods! {
        /// The front image of the small tile (159×159).
        small_background_image, clear_small_background_image, "SmallBackgroundImage";
        /// The front image of the wide tile (691×336).
        wide_background_image, clear_wide_background_image, "WideBackgroundImage";
        /// The back image of the wide tile.
        wide_back_background_image, clear_wide_back_background_image, "WideBackBackgroundImage";
        /// The back text of the wide tile.
        wide_back_content, clear_wide_back_content, "WideBackContent";
        /// The front image of the medium tile (336×336).
        background_image, clear_background_image, "BackgroundImage";
        /// The front title (medium and wide).
        title, clear_title, "Title";
        /// The back image of the medium tile.
        back_background_image, clear_back_background_image, "BackBackgroundImage";
        /// The back title.
        back_title, clear_back_title, "BackTitle";
        /// The back text of the medium tile.
        back_content, clear_back_content, "BackContent";
    }

    count_and_id_methods!();

    common_options!();

    /// Validates and renders the tile update.
    ///
    /// # Errors
    ///
    /// [`MessageError`] when nothing is set or cleared, `Count` is outside 0..=99, a value holds a
    /// character XML 1.0 forbids, `id` does not start with `/`, the target OS is older than 7.8, or
    /// the body exceeds 3072 bytes.
    pub fn build(self) -> Result<Message, MessageError> {
        let v = OsVersion::V7_8;
        self.common.require("FlipTile", v)?;
        let mut t = TileBuilder::new(&self.common, v);
        t.xml.version = self.version;
        t.xml.template = Some("FlipTile");
        t.id(self.id.as_deref())?;
        t.text("SmallBackgroundImage", &self.small_background_image, v)?;
        t.text("WideBackgroundImage", &self.wide_background_image, v)?;
        t.text(
            "WideBackBackgroundImage",
            &self.wide_back_background_image,
            v,
        )?;
        t.text("WideBackContent", &self.wide_back_content, v)?;
        t.text("BackgroundImage", &self.background_image, v)?;
        t.count(&self.count)?;
        t.text("Title", &self.title, v)?;
        t.text("BackBackgroundImage", &self.back_background_image, v)?;
        t.text("BackTitle", &self.back_title, v)?;
        t.text("BackContent", &self.back_content, v)?;
        t.non_empty("FlipTile")?;
        let body = Bytes::from(t.xml.render());
        self.common
            .finish(MessageKind::Tile, body, "payload", MAX_BODY)
    }
}
