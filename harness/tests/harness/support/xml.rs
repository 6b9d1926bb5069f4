//! Notification bodies written by hand, as a sender would: toasts and tiles of every template,
//! with each property set or cleared.

/// The XML declaration every body starts with.
const HEAD: &str = r#"<?xml version="1.0" encoding="utf-8"?>"#;

/// Escapes text for XML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A toast body.
pub(crate) fn toast_xml(text1: &str, text2: &str, param: Option<&str>) -> String {
    let param = param
        .map(|p| format!("<wp:Param>{}</wp:Param>", esc(p)))
        .unwrap_or_default();
    format!(
        r#"{HEAD}<wp:Notification xmlns:wp="WPNotification"><wp:Toast><wp:Text1>{}</wp:Text1><wp:Text2>{}</wp:Text2>{param}</wp:Toast></wp:Notification>"#,
        esc(text1),
        esc(text2)
    )
}

/// A tile body: `template` None for the standard tile; each property set (`Some`) or cleared
/// (`None`).
pub(crate) fn tile_xml(
    template: Option<&str>,
    id: Option<&str>,
    props: &[(&str, Option<&str>)],
) -> String {
    let version = if template.is_some() {
        r#" Version="2.0""#
    } else {
        ""
    };
    let mut attrs = String::new();
    if let Some(id) = id {
        attrs.push_str(&format!(r#" Id="{}""#, esc(id)));
    }
    if let Some(t) = template {
        attrs.push_str(&format!(r#" Template="{t}""#));
    }
    let mut inner = String::new();
    for (k, v) in props {
        match v {
            Some(v) => inner.push_str(&format!("<wp:{k}>{}</wp:{k}>", esc(v))),
            None => inner.push_str(&format!(r#"<wp:{k} Action="Clear"></wp:{k}>"#)),
        }
    }
    format!(
        r#"{HEAD}<wp:Notification xmlns:wp="WPNotification"{version}><wp:Tile{attrs}>{inner}</wp:Tile></wp:Notification>"#
    )
}

/// A flip tile body for the primary tile.
pub(crate) fn flip_xml(props: &[(&str, Option<&str>)]) -> String {
    tile_xml(Some("FlipTile"), None, props)
}
