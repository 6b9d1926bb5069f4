//! Toasts the shell has shown, and where tapping one takes the user (docs/mpns-protocol.md §5.2).

use crate::protocol::{Sound, ToastContent};

/// How a toast sounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToastSound {
    /// No `wp:Sound`: the phone's default toast sound.
    Default,
    /// `wp:Sound` with an app-relative `.wav`/`.mp3` path.
    Custom(String),
    /// `<wp:Sound Silent="true"/>`.
    Silent,
}

/// A toast in the tray.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    /// Bold title (`wp:Text1`; empty when absent).
    pub text1: String,
    /// Normal text (`wp:Text2`; empty when absent).
    pub text2: String,
    /// Where tapping leads (`wp:Param`), if sent.
    pub param: Option<String>,
    /// The sound.
    pub sound: ToastSound,
}

impl Toast {
    /// Reads a parsed toast.
    ///
    /// # Errors
    ///
    /// A message when `Param` starts with neither `/` (a page) nor `?` (a query for the start
    /// page), the two forms Microsoft documents.
    pub(crate) fn from_content(c: &ToastContent) -> Result<Toast, String> {
        if let Some(p) = &c.param {
            if !(p.starts_with('/') || p.starts_with('?')) {
                return Err(format!(
                    "Param '{p}' must start with '/' (a page such as /Page.xaml?k=v) or '?' (a query for the start page)."
                ));
            }
        }
        Ok(Toast {
            text1: c.text1.clone().unwrap_or_default(),
            text2: c.text2.clone().unwrap_or_default(),
            param: c.param.clone(),
            sound: match &c.sound {
                None => ToastSound::Default,
                Some(Sound::Silent) => ToastSound::Silent,
                Some(Sound::Path(p)) if p.is_empty() => ToastSound::Silent,
                Some(Sound::Path(p)) => ToastSound::Custom(p.clone()),
            },
        })
    }

    /// Where tapping this toast launches the app whose start page is `start_page`.
    pub fn launch_target(&self, start_page: &str) -> LaunchTarget {
        LaunchTarget::from_param(self.param.as_deref(), start_page)
    }
}

/// The page an app is launched at, with its query string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchTarget {
    /// The page, e.g. `/Page2.xaml`.
    pub page: String,
    /// The query without `?` (empty when none), e.g. `a=1&b=2`.
    pub query: String,
}

impl LaunchTarget {
    /// `/Page.xaml` → that page; `/Page.xaml?q` → page and query; `?q` → the start page with
    /// that query; no Param → the start page.
    ///
    /// ```
    /// use mpns_harness::phone::LaunchTarget;
    ///
    /// let t = LaunchTarget::from_param(Some("?id=7&x=1"), "/MainPage.xaml");
    /// assert_eq!(t.page, "/MainPage.xaml");
    /// assert_eq!(t.get("id"), Some("7"));
    /// ```
    pub fn from_param(param: Option<&str>, start_page: &str) -> LaunchTarget {
        let param = param.unwrap_or("");
        let (page, query) = param.split_once('?').unwrap_or((param, ""));
        LaunchTarget {
            page: if page.is_empty() { start_page } else { page }.to_owned(),
            query: query.to_owned(),
        }
    }

    /// The value of a query key, as written (first occurrence).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.query
            .split('&')
            .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    /// `page` followed by `?query` when there is one.
    pub fn uri(&self) -> String {
        if self.query.is_empty() {
            self.page.clone()
        } else {
            format!("{}?{}", self.page, self.query)
        }
    }
}
