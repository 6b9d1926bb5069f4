//! One Time: the simplest pattern, any mix of a tile, a toast and a raw message to every
//! subscriber, once. No state, no reaction to registrations.

use serde::{Deserialize, Serialize};

use super::tiles::{self, check_count, field_error, TileFront, ToastSound};
use crate::registration::FieldError;
use mpns::{Message, OsVersion, Toast};

/// What the operator sends with One Time. The defaults are the recipe's.
///
/// ```
/// let one = mpns_service::patterns::OneTime::default();
/// assert_eq!(one.title, "Game Update");
/// assert!(one.tile && one.toast && one.raw);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OneTime {
    /// Send the tile.
    pub tile: bool,
    /// Send the toast.
    pub toast: bool,
    /// Send the raw message.
    pub raw: bool,
    /// The tile's BackgroundImage (a path in the phone app's package, or a URL of an allowed
    /// domain).
    pub background_image: String,
    /// The tile's Count, `0..=99`.
    pub count: i64,
    /// The tile's Title.
    pub title: String,
    /// The toast's bold text (Text1).
    pub toast_title: String,
    /// The toast's second text (Text2).
    pub toast_subtitle: String,
    /// The page the toast opens (Param); sent to 7.1 and later only.
    pub toast_param: Option<String>,
    /// The sound the toast plays (`wp:Sound`): a package-relative `.wav` or `.mp3` path such as
    /// `Audio/ding.wav`; sent to 8.0 GDR3 and later only (earlier phones play their default).
    pub toast_sound: Option<String>,
    /// A silent toast (`<wp:Sound Silent="true"/>`); sent to 8.0 GDR3 and later only. Not with
    /// `toast_sound`.
    pub toast_silent: bool,
    /// The raw message's text.
    pub raw_message: String,
}

impl Default for OneTime {
    fn default() -> Self {
        OneTime {
            tile: true,
            toast: true,
            raw: true,
            background_image: super::TILE_BACKGROUNDS[0].to_owned(),
            count: 1,
            title: "Game Update".into(),
            toast_title: "Game Update".into(),
            toast_subtitle: "Game has been released".into(),
            toast_param: None,
            toast_sound: None,
            toast_silent: false,
            raw_message: "Game has been released".into(),
        }
    }
}

/// The checked request: what every subscriber gets, before its OS shapes it.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    request: OneTime,
    front: TileFront,
}

impl OneTime {
    pub(crate) fn check(self) -> Result<Checked, FieldError> {
        if !(self.tile || self.toast || self.raw) {
            return Err(FieldError::new(
                "tile",
                "nothing_to_send",
                "tile, toast and raw are all false; choose at least one to send".into(),
            ));
        }
        let count = check_count("count", self.count)?;
        if self.tile {
            tiles::check_front_fields(&self.background_image, &self.title)?;
        }
        if self.toast {
            Toast::new()
                .text1(self.toast_title.clone())
                .text2(self.toast_subtitle.clone())
                .build()
                .map_err(field_error("toast_title"))?;
            if let Some(p) = &self.toast_param {
                Toast::new()
                    .text1("x")
                    .param(p.clone())
                    .build()
                    .map_err(field_error("toast_param"))?;
            }
            if let Some(sound) = &self.toast_sound {
                if self.toast_silent {
                    return Err(FieldError::new(
                        "toast_silent",
                        "conflict",
                        "toast_silent and toast_sound exclude each other; choose one".into(),
                    ));
                }
                Toast::new()
                    .text1("x")
                    .sound(sound.clone())
                    .build()
                    .map_err(field_error("toast_sound"))?;
            }
        }
        if self.raw {
            tiles::raw(&self.raw_message).map_err(field_error("raw_message"))?;
        }
        let front = TileFront {
            background_image: Some(self.background_image.clone()),
            count: Some(count),
            title: Some(self.title.clone()),
        };
        Ok(Checked {
            request: self,
            front,
        })
    }
}

impl Checked {
    /// The request as stored with its batch.
    pub(crate) fn request(&self) -> &OneTime {
        &self.request
    }

    /// Each subscriber's jobs, in the recipe's order: tile, toast, raw (those chosen).
    pub(crate) fn steps(&self) -> Vec<&'static str> {
        let r = &self.request;
        [(r.tile, "tile"), (r.toast, "toast"), (r.raw, "raw")]
            .into_iter()
            .filter_map(|(on, step)| on.then_some(step))
            .collect()
    }

    /// The message of one step for one OS level, or `None` for an unknown step.
    pub(crate) fn message(
        &self,
        step: &str,
        os: OsVersion,
    ) -> Option<Result<Message, mpns::MessageError>> {
        let r = &self.request;
        Some(match step {
            "tile" => tiles::tile(os, &self.front),
            "toast" => {
                let sound = match (&r.toast_sound, r.toast_silent) {
                    (Some(path), _) => ToastSound::Path(path),
                    (None, true) => ToastSound::Silent,
                    (None, false) => ToastSound::Default,
                };
                tiles::toast(
                    os,
                    &r.toast_title,
                    &r.toast_subtitle,
                    r.toast_param.as_deref(),
                    sound,
                )
            }
            "raw" => tiles::raw(&r.raw_message),
            _ => return None,
        })
    }

    /// A step's WNS equivalent for a Windows 10/11 device, and its status-log message type:
    /// the toast as a ToastGeneric toast (title, subtitle, the page as its launch arguments;
    /// the sound choices are MPNS's), the tile's count as a badge number (the tile's image and
    /// title have no equivalent: Windows 11 has no live tiles), the raw as raw.
    pub(crate) fn wns_notification(
        &self,
        step: &str,
    ) -> Option<(Result<wns::Notification, wns::BuildError>, &'static str)> {
        let r = &self.request;
        Some(match step {
            "tile" => {
                let count = u32::try_from(r.count).unwrap_or(0);
                (wns::Badge::number(count).build(), "Badge")
            }
            "toast" => {
                let mut t = wns::Toast::new().text(r.toast_title.clone());
                if !r.toast_subtitle.is_empty() {
                    t = t.text(r.toast_subtitle.clone());
                }
                if let Some(page) = &r.toast_param {
                    t = t.launch(page.clone());
                }
                (t.build(), "Toast")
            }
            "raw" => (
                wns::Raw::new(r.raw_message.clone().into_bytes()).build(),
                "Raw",
            ),
            _ => return None,
        })
    }
}
