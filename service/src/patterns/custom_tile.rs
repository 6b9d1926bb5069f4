//! Custom Tile: a tile whose BackgroundImage is this service's image endpoint, with the
//! operator's text, size, colour and background in the query; the phone (or MPNS) fetches the
//! 173×173 PNG, drawn on request. Count and Title are optional, as in the recipe; each
//! subscriber's send has its own message id (the recipe shared one object, and so one id).

use serde::Deserialize;

use super::tiles::{check_count, field_error, TileFront};
use crate::registration::{CustomImage, FieldError, ServiceState};
use mpns::Tile;

/// What the operator sends with Custom Tile.
///
/// `size` is the text size in pixels per character (8..=48, default 20), `color` a name or
/// `#rrggbb` (default white), `background` `tile1`, `tile2`, `tile3`, a name or `#rrggbb`
/// (default `tile1`); the image endpoint's rules, checked before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CustomTile {
    /// The text drawn on the image (at most 60 characters the tile font can draw).
    pub text: String,
    /// The text size.
    pub size: u32,
    /// The text colour.
    pub color: String,
    /// The background.
    pub background: String,
    /// The tile's Count, `0..=99`; `None` leaves it unchanged.
    pub count: Option<i64>,
    /// The tile's Title; `None` leaves it unchanged.
    pub title: Option<String>,
}

impl Default for CustomTile {
    fn default() -> Self {
        CustomTile {
            text: "Hello".into(),
            size: 20,
            color: "white".into(),
            background: "tile1".into(),
            count: None,
            title: None,
        }
    }
}

impl CustomTile {
    pub(crate) fn check(&self, state: &ServiceState) -> Result<TileFront, FieldError> {
        let size = self.size.to_string();
        CustomImage::from_params(
            Some(&self.text),
            Some(&size),
            Some(&self.color),
            Some(&self.background),
        )?;
        let count = self.count.map(|c| check_count("count", c)).transpose()?;
        if let Some(title) = &self.title {
            Tile::new()
                .title(title.clone())
                .build()
                .map_err(field_error("title"))?;
        }
        let uri = state.custom_image_uri(&self.text, self.size, &self.color, &self.background);
        Tile::new()
            .background_image(uri.clone())
            .build()
            .map_err(field_error("text"))?;
        Ok(TileFront {
            background_image: Some(uri),
            count,
            title: self.title.clone(),
        })
    }
}
