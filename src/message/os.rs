//! The Windows Phone OS level a message is meant for. MPNS passes a payload through unchanged,
//! and a phone that does not know an element fails the notification (7.0 errors on `Param`), so
//! a sender that knows the device's OS can refuse such a message before it leaves.

use std::fmt;

/// A Windows Phone OS level that changed what MPNS payloads may contain (docs/mpns-protocol.md §5.9).
///
/// Levels are ordered: a feature available on one level is available on every later one.
/// Give a level to a builder with `.os(...)` and the build fails when the message uses
/// something that level lacks; without a level nothing is version-checked.
///
/// ```
/// use mpns::{OsVersion, Toast};
///
/// assert!(OsVersion::V7_0 < OsVersion::V8_0Gdr3);
/// assert_eq!(OsVersion::V8_0Gdr3.to_string(), "8.0 GDR3 (8.0.10492)");
///
/// let err = Toast::new().text1("Hi").param("/Page2.xaml").os(OsVersion::V7_0).build().unwrap_err();
/// assert_eq!(err.to_string(), "Param needs Windows Phone 7.1 or later, but the target OS is 7.0");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OsVersion {
    /// Windows Phone 7.0: toast Text1/Text2 and the standard tile front only.
    V7_0,
    /// Windows Phone 7.1 ("7.5", Mango): toast `Param`, secondary tiles (`Id`), tile back
    /// properties and `Action="Clear"`.
    V7_1,
    /// Windows Phone 7.8: the WP8 tile templates (Flip, Iconic, Cycle) via light-up.
    V7_8,
    /// Windows Phone 8.0.
    V8_0,
    /// Windows Phone 8.0 GDR3 (OS 8.0.10492, "Update 3"): toast `Sound` and silent toasts.
    V8_0Gdr3,
}

impl fmt::Display for OsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OsVersion::V7_0 => "7.0",
            OsVersion::V7_1 => "7.1",
            OsVersion::V7_8 => "7.8",
            OsVersion::V8_0 => "8.0",
            OsVersion::V8_0Gdr3 => "8.0 GDR3 (8.0.10492)",
        })
    }
}
