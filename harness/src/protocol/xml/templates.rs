//! Microsoft's element lists per template, in their documented order: what the reader allows
//! under `wp:Toast` and `wp:Tile`, and what the shell lists when a property is unknown.

use crate::protocol::Template;

/// `wp:Toast` children in Microsoft's order (docs/mpns-protocol.md §5.2).
pub(super) const TOAST: &[&str] = &["Text1", "Text2", "Param", "Sound"];
/// WP7 standard tile (docs/mpns-protocol.md §5.3).
const STANDARD: &[&str] = &[
    "BackgroundImage",
    "Count",
    "Title",
    "BackBackgroundImage",
    "BackTitle",
    "BackContent",
];
/// Flip tile (docs/mpns-protocol.md §5.4).
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
/// Iconic tile (docs/mpns-protocol.md §5.5).
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
/// Cycle tile (docs/mpns-protocol.md §5.6).
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

    pub(super) fn words(self) -> &'static str {
        match self {
            Template::Standard => "the standard tile (no Template)",
            Template::FlipTile => "the FlipTile template",
            Template::IconicTile => "the IconicTile template",
            Template::CycleTile => "the CycleTile template",
        }
    }
}
