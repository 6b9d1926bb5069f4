//! The messages the patterns send, shaped for the subscriber's OS: a Flip tile for 8.0 and later,
//! the standard tile for 7.x, a toast `Param` only from 7.1 on. Every message goes at the
//! recipe's High priority (the immediate class) and is built with `.os(...)`, so nothing the
//! device's OS lacks can leave the service.

use crate::registration::FieldError;
use mpns::{FlipTile, Message, MessageError, OsVersion, Raw, Tile, Toast};

/// The front of a tile, as the patterns set it. `None` leaves a property unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct TileFront {
    pub background_image: Option<String>,
    pub count: Option<u8>,
    pub title: Option<String>,
}

/// The first OS that gets Flip tiles. 7.8 could take them too, but only in apps that "light
/// up" through reflection; a 7.8 registration says nothing about that, so 7.8 gets the
/// standard template, which every level shows.
pub(crate) const FLIP_FROM: OsVersion = OsVersion::V8_0;

/// The tile for a device on `os`.
pub(crate) fn tile(os: OsVersion, front: &TileFront) -> Result<Message, MessageError> {
    /// Sets what `front` sets on a builder of either template (same method names).
    macro_rules! with_front {
        ($builder:expr) => {{
            let mut t = $builder;
            if let Some(b) = &front.background_image {
                t = t.background_image(b.clone());
            }
            if let Some(c) = front.count {
                t = t.count(i64::from(c));
            }
            if let Some(title) = &front.title {
                t = t.title(title.clone());
            }
            t.build()
        }};
    }
    if os >= FLIP_FROM {
        with_front!(FlipTile::new().os(os))
    } else {
        with_front!(Tile::new().os(os))
    }
}

/// Checks a request's tile BackgroundImage and Title as the message builders will, each error
/// naming its field.
pub(crate) fn check_front_fields(background_image: &str, title: &str) -> Result<(), FieldError> {
    Tile::new()
        .background_image(background_image)
        .build()
        .map_err(field_error("background_image"))?;
    Tile::new()
        .title(title)
        .build()
        .map_err(field_error("title"))?;
    Ok(())
}

/// How a toast sounds, where the phone can be told (docs/mpns-protocol.md §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ToastSound<'a> {
    /// No `wp:Sound`: the phone's default sound.
    Default,
    /// `wp:Sound` with a package-relative `.wav` or `.mp3` path.
    Path(&'a str),
    /// `<wp:Sound Silent="true"/>`.
    Silent,
}

/// A toast; `param` is sent to 7.1 and later only (7.0 fails a toast that has one), `sound` to
/// 8.0 GDR3 and later only (earlier phones know no `wp:Sound`: they get the default sound).
pub(crate) fn toast(
    os: OsVersion,
    title: &str,
    subtitle: &str,
    param: Option<&str>,
    sound: ToastSound<'_>,
) -> Result<Message, MessageError> {
    let mut t = Toast::new().os(os).text1(title).text2(subtitle);
    if let Some(p) = param.filter(|_| os >= OsVersion::V7_1) {
        t = t.param(p);
    }
    if os >= OsVersion::V8_0Gdr3 {
        t = match sound {
            ToastSound::Default => t,
            ToastSound::Path(path) => t.sound(path),
            ToastSound::Silent => t.silent(),
        };
    }
    t.build()
}

/// A raw notification carrying `text` as UTF-8 (the recipe's ASCII texts are unchanged by it).
pub(crate) fn raw(text: &str) -> Result<Message, MessageError> {
    Raw::new(text.as_bytes().to_vec()).build()
}

/// Checks a tile count from a request: `0..=99`.
pub(crate) fn check_count(field: &'static str, count: i64) -> Result<u8, FieldError> {
    u8::try_from(count)
        .ok()
        .filter(|&c| c <= crate::registration::MAX_COUNTER)
        .ok_or_else(|| {
            FieldError::new(
                field,
                "out_of_range",
                format!("{field} {count} is out of range 0..=99"),
            )
        })
}

/// Turns a message error found while checking one request field into a field error naming it.
pub(crate) fn field_error(field: &'static str) -> impl Fn(MessageError) -> FieldError {
    move |e| FieldError::new(field, "invalid", format!("{field}: {e}"))
}
