//! Toasts: the banner at the top of the phone's screen.

use bytes::Bytes;

use super::options::{common_options, Common, MAX_BODY};
use super::xml::{check_chars, XmlWriter};
use super::{Message, MessageError, MessageKind, OsVersion};

/// What a toast plays when it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sound {
    Path(String),
    Silent,
}

/// Builds a toast notification (`X-WindowsPhone-Target: toast`).
///
/// Elements are written in the order Text1, Text2, Param, Sound; unset ones are left out.
/// A toast needs a non-empty `Text1` or `Text2` (a toast without text shows nothing, so the
/// build fails with [`MessageError::Empty`]).
///
/// ```
/// use mpns::{MessageKind, NotificationClass, Toast};
///
/// let toast = Toast::new()
///     .text1("Hi")
///     .text2("There")
///     .param("/Page2.xaml?a=1&b=2")
///     .class(NotificationClass::Within450s)
///     .build()?;
/// assert_eq!(toast.kind(), MessageKind::Toast);
/// assert_eq!(
///     std::str::from_utf8(toast.body())?,
///     "<?xml version=\"1.0\" encoding=\"utf-8\"?><wp:Notification xmlns:wp=\"WPNotification\">\
///      <wp:Toast><wp:Text1>Hi</wp:Text1><wp:Text2>There</wp:Text2>\
///      <wp:Param>/Page2.xaml?a=1&amp;b=2</wp:Param></wp:Toast></wp:Notification>"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use = "a builder does nothing until .build() is called"]
pub struct Toast {
    common: Common,
    text1: Option<String>,
    text2: Option<String>,
    param: Option<String>,
    sound: Option<Sound>,
}

impl Toast {
    /// An empty toast; set `text1` and/or `text2`.
    pub fn new() -> Toast {
        Toast::default()
    }

    /// The bold title next to the app icon (`wp:Text1`).
    pub fn text1(mut self, text: impl Into<String>) -> Self {
        self.text1 = Some(text.into());
        self
    }

    /// The normal-weight text after the title (`wp:Text2`).
    pub fn text2(mut self, text: impl Into<String>) -> Self {
        self.text2 = Some(text.into());
        self
    }

    /// Where a tap leads (`wp:Param`, WP 7.1+): a page such as `/Page2.xaml?a=1&b=2`, or a query
    /// string `?a=1` for the default page. Give it unescaped; it is escaped once when rendered.
    pub fn param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// Plays a sound from the app package (`wp:Sound`, WP 8.0 GDR3+): an app-relative path of
    /// a `.wav` or `.mp3` file such as `Audio/ding.wav`. Replaces an earlier [`silent`](Self::silent).
    pub fn sound(mut self, path: impl Into<String>) -> Self {
        self.sound = Some(Sound::Path(path.into()));
        self
    }

    /// Shows the toast without a sound (`<wp:Sound Silent="true"/>`, WP 8.0 GDR3+). Replaces an
    /// earlier [`sound`](Self::sound).
    pub fn silent(mut self) -> Self {
        self.sound = Some(Sound::Silent);
        self
    }

    common_options!();

    /// Validates and renders the toast.
    ///
    /// # Errors
    ///
    /// [`MessageError`] when neither text is set (or both are empty), a value holds a character
    /// XML 1.0 forbids, `Param` starts with neither `/` nor `?`, the sound path is empty or a URL,
    /// the target OS lacks `Param` (7.0) or `Sound` (before 8.0 GDR3), or the body exceeds 3072
    /// bytes.
    pub fn build(self) -> Result<Message, MessageError> {
        let common = self.common;
        let mut w = XmlWriter::new();
        w.start_root(false);
        w.start("Toast", &[]);
        for (name, text) in [("Text1", &self.text1), ("Text2", &self.text2)] {
            if let Some(text) = text {
                check_chars(name, text)?;
                w.element(name, &[], text);
            }
        }
        let has_text = |t: &Option<String>| t.as_deref().is_some_and(|t| !t.is_empty());
        if !has_text(&self.text1) && !has_text(&self.text2) {
            return Err(MessageError::Empty {
                what: "Toast",
                rule: "it needs a non-empty Text1 or Text2",
            });
        }
        if let Some(param) = &self.param {
            check_chars("Param", param)?;
            if !(param.starts_with('/') || param.starts_with('?')) {
                return Err(MessageError::BadParam {
                    value: param.clone(),
                });
            }
            common.require("Param", OsVersion::V7_1)?;
            w.element("Param", &[], param);
        }
        match &self.sound {
            None => {}
            Some(Sound::Path(path)) => {
                check_chars("Sound", path)?;
                let reason = if path.is_empty() {
                    Some("it is empty (use silent() for a silent toast)")
                } else if path.contains("://") {
                    Some("it is a URL")
                } else {
                    None
                };
                if let Some(reason) = reason {
                    return Err(MessageError::BadSound {
                        value: path.clone(),
                        reason,
                    });
                }
                common.require("Sound", OsVersion::V8_0Gdr3)?;
                w.element("Sound", &[], path);
            }
            Some(Sound::Silent) => {
                common.require("Silent sound", OsVersion::V8_0Gdr3)?;
                w.empty("Sound", &[("Silent", "true")]);
            }
        }
        w.end("Toast");
        w.end("Notification");
        common.finish(
            MessageKind::Toast,
            Bytes::from(w.finish()),
            "payload",
            MAX_BODY,
        )
    }
}
