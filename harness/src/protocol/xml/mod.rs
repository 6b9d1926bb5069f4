//! The toast and tile XML, read with quick-xml's borrowing reader and namespace resolver and
//! checked against Microsoft's templates (docs/mpns-protocol.md §5). quick-xml tokenizes; the
//! character-level rules it leaves out (allowed characters, references, attribute
//! normalization) live in `text`.

mod attributes;
mod elements;
mod events;
mod scopes;
mod templates;

use quick_xml::events::BytesStart;

use crate::protocol::text::shorten;
use crate::protocol::{Findings, Target, Template, TileValue, ToastContent};

pub(super) use events::read;

/// Why a DOCTYPE is refused.
const DOCTYPE: &str = "The body declares a DOCTYPE: MPNS payloads may carry no DTD and no entity declarations, so it is refused unread.";

/// Where the reader is in the document.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    /// Before the root element.
    Prolog,
    /// Inside `wp:Notification`.
    Root,
    /// Inside `wp:Toast` or `wp:Tile`.
    Kind,
    /// Inside a property element (text only).
    Leaf,
    /// After the root element.
    Epilog,
}

/// The property element being read.
struct Leaf {
    name: &'static str,
    value: String,
    pending_cr: bool,
    /// `Action="Clear"` (tile).
    clear: bool,
    /// `Silent="true"` (toast sound).
    silent: bool,
}

/// An element's name as written, shortened, for messages.
fn qname(e: &BytesStart<'_>) -> String {
    shorten(&String::from_utf8_lossy(e.name().as_ref())).into_owned()
}

/// Marks a problem already recorded in the findings; reading stops.
struct Stop;

struct Reading<'f> {
    f: &'f mut Findings,
    target: Target,
    saw_decl: bool,
    version2: bool,
    prefix_noted: bool,
    /// `Some(Target::Toast | Target::Tile)` once the notification element is open or read.
    kind: Option<Target>,
    template: Template,
    id: Option<String>,
    toast: ToastContent,
    properties: Vec<(String, TileValue)>,
    /// Allowed property elements of the current kind, in Microsoft's order.
    allowed: &'static [&'static str],
    /// Bit i set: `allowed[i]` was seen.
    seen: u32,
    /// Highest index in `allowed` seen so far.
    furthest: Option<usize>,
    order_noted: bool,
    leaf: Option<Leaf>,
    /// Bytes from the end of the current start tag to the next '<'.
    room: usize,
}

impl Reading<'_> {
    fn error(&mut self, msg: impl Into<String>) -> Stop {
        self.f.error(msg);
        Stop
    }

    /// The innermost open element, for messages.
    fn open_element(&self, level: Level) -> String {
        match (level, &self.leaf) {
            (Level::Leaf, Some(leaf)) => format!("wp:{}", leaf.name),
            (Level::Kind, _) if self.kind == Some(Target::Toast) => "wp:Toast".into(),
            (Level::Kind, _) => "wp:Tile".into(),
            _ => "wp:Notification".into(),
        }
    }
}
