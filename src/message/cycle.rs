//! The Cycle tile template of Windows Phone 8 (and 7.8): up to nine local images in turn.

use bytes::Bytes;

use super::options::{common_options, Common, MAX_BODY};
use super::props::{count_and_id_methods, prop_methods, Prop, TileBuilder};
use super::{Message, MessageError, MessageKind, OsVersion};

const IMAGE_FIELDS: [&str; 9] = [
    "CycleImage1",
    "CycleImage2",
    "CycleImage3",
    "CycleImage4",
    "CycleImage5",
    "CycleImage6",
    "CycleImage7",
    "CycleImage8",
    "CycleImage9",
];

/// Builds an update of a Cycle tile (`Template="CycleTile"`, WP 7.8+).
///
/// The root carries `Version="2.0"` unless [`omit_version`](Self::omit_version) is called.
/// Elements are written in Microsoft's order: SmallBackgroundImage, CycleImage1 to CycleImage9,
/// Count, Title. Cycle images must be local (a package path or `isostore:`); an `http(s)` URI is
/// refused at build time. At least one property must be set or cleared.
///
/// ```
/// use mpns::CycleTile;
///
/// let tile = CycleTile::new().images(["/Assets/a.png", "/Assets/b.png"]).clear_image(3).build()?;
/// assert!(std::str::from_utf8(tile.body())?.contains(
///     "<wp:CycleImage1>/Assets/a.png</wp:CycleImage1><wp:CycleImage2>/Assets/b.png</wp:CycleImage2>\
///      <wp:CycleImage3 Action=\"Clear\"></wp:CycleImage3>"
/// ));
///
/// let err = CycleTile::new().image(2, "http://example.com/b.png").build().unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "CycleImage2 \"http://example.com/b.png\" is remote, but cycle tile images must be \
///      local URIs (not http:// or https://)"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a builder does nothing until .build() is called"]
pub struct CycleTile {
    common: Common,
    version: bool,
    id: Option<String>,
    small_background_image: Option<Prop<String>>,
    cycle_images: [Option<Prop<String>>; 9],
    /// The first image index given outside 1..=9, reported at build time.
    bad_index: Option<usize>,
    count: Option<Prop<i64>>,
    title: Option<Prop<String>>,
}

impl Default for CycleTile {
    fn default() -> Self {
        CycleTile {
            common: Common::default(),
            version: true,
            id: None,
            small_background_image: None,
            cycle_images: Default::default(),
            bad_index: None,
            count: None,
            title: None,
        }
    }
}

impl CycleTile {
    /// A Cycle tile update that changes nothing yet.
    pub fn new() -> CycleTile {
        CycleTile::default()
    }

    /// Leaves `Version="2.0"` off `wp:Notification`, as several older senders did.
    pub fn omit_version(mut self) -> Self {
        self.version = false;
        self
    }

    prop_methods! {
        /// The image of the small tile (159×159).
        small_background_image, clear_small_background_image, "SmallBackgroundImage";
        /// The title of the medium and wide tile.
        title, clear_title, "Title";
    }

    fn put(mut self, index: usize, prop: Prop<String>) -> Self {
        match index
            .checked_sub(1)
            .and_then(|i| self.cycle_images.get_mut(i))
        {
            Some(slot) => *slot = Some(prop),
            None => {
                self.bad_index.get_or_insert(index);
            }
        }
        self
    }

    /// Sets `CycleImage{index}` (index 1 to 9; another index fails at build time) to a local
    /// image URI such as `/Assets/a.png` or `isostore:/Shared/ShellContent/a.png`.
    pub fn image(self, index: usize, uri: impl Into<String>) -> Self {
        self.put(index, Prop::Set(uri.into()))
    }

    /// Clears `CycleImage{index}` (index 1 to 9): `Action="Clear"`.
    pub fn clear_image(self, index: usize) -> Self {
        self.put(index, Prop::Clear)
    }

    /// Sets `CycleImage1`, `CycleImage2`, ... from `uris` in order; more than 9 fails at build
    /// time. Images after the last one given are left unchanged.
    pub fn images<I>(mut self, uris: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        for (i, uri) in uris.into_iter().enumerate() {
            self = self.put(i + 1, Prop::Set(uri.into()));
        }
        self
    }

    count_and_id_methods!();

    common_options!();

    /// Validates and renders the tile update.
    ///
    /// # Errors
    ///
    /// [`MessageError`] when nothing is set or cleared, an image index is outside 1..=9, a cycle
    /// image is an `http(s)` URI, `Count` is outside 0..=99, a value holds a character XML 1.0
    /// forbids, `id` does not start with `/`, the target OS is older than 7.8, or the body exceeds
    /// 3072 bytes.
    pub fn build(self) -> Result<Message, MessageError> {
        let v = OsVersion::V7_8;
        self.common.require("CycleTile", v)?;
        if let Some(index) = self.bad_index {
            return Err(MessageError::CycleImageIndex { index });
        }
        let mut t = TileBuilder::new(&self.common, v);
        t.xml.version = self.version;
        t.xml.template = Some("CycleTile");
        t.id(self.id.as_deref())?;
        t.text("SmallBackgroundImage", &self.small_background_image, v)?;
        for (field, prop) in IMAGE_FIELDS.into_iter().zip(&self.cycle_images) {
            t.text_with(field, prop, v, |uri| {
                let lower = uri.get(..8).unwrap_or(uri).to_ascii_lowercase();
                if lower.starts_with("http://") || lower.starts_with("https://") {
                    return Err(MessageError::RemoteCycleImage {
                        field,
                        value: uri.to_owned(),
                    });
                }
                Ok(())
            })?;
        }
        t.count(&self.count)?;
        t.text("Title", &self.title, v)?;
        t.non_empty("CycleTile")?;
        let body = Bytes::from(t.xml.render());
        self.common
            .finish(MessageKind::Tile, body, "payload", MAX_BODY)
    }
}
