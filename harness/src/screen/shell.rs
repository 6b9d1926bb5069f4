//! The start screen and the toast tray of one app, driven by parsed notifications.
//!
//! Pure state, no clock and no network: remote tile images come back from [`Shell::apply`] as
//! [`ImageFetch`]es for the push client to download, and it reports each result with
//! [`Shell::image_fetched`] or [`Shell::image_failed`].

use super::image::{check_remote_image, classify_image, ImageError, ImageSource, TileBinding};
use super::tile::{parse_count, role_of, template_name, Role, Tile, TileKey};
use super::toast::{LaunchTarget, Toast};
use crate::protocol::{Content, Template, TileContent, TileValue, ToastContent};
use std::collections::BTreeMap;

/// The error the channel raises for a [`ShellError`], when it raises one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelErrorKind {
    /// `ChannelErrorType.PayloadFormatError` (the channel closes).
    PayloadFormatError,
    /// `ChannelErrorType.MessageBadContent`.
    MessageBadContent,
}

/// A notification or a local call the shell refused. The shell state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShellError {
    /// A push for another template than the tile was pinned with.
    #[error("{} (the {tile} is {}, the push is {}).", TEMPLATE_MISMATCH, template_name(*.pinned), template_name(*.pushed))]
    TemplateMismatch {
        /// The tile.
        tile: TileKey,
        /// Its template.
        pinned: Template,
        /// The push's template.
        pushed: Template,
    },
    /// A `Count` that is not a whole number 0 or more.
    #[error("{message} ({tile})")]
    BadCount {
        /// The tile.
        tile: TileKey,
        /// What the rule says about the value.
        message: String,
    },
    /// An image the shell may not use.
    #[error("{property} of the {tile}: {error}")]
    BadImage {
        /// The tile.
        tile: TileKey,
        /// The property.
        property: String,
        /// Why.
        #[source]
        error: ImageError,
    },
    /// A toast whose `Param` is in neither documented form.
    #[error("{message}")]
    BadParam {
        /// What the rule says about the value.
        message: String,
    },
    /// Local API: a property the template does not have.
    #[error("'{property}' is not a property of {}; it takes {} ({tile}).", template_name(*.template), .template.elements().join(", "))]
    UnknownProperty {
        /// The tile.
        tile: TileKey,
        /// The template.
        template: Template,
        /// The property name given.
        property: String,
    },
    /// Local API: pinning a tile that is already pinned.
    #[error("The {tile} is already pinned; unpin it first.")]
    AlreadyPinned {
        /// The tile.
        tile: TileKey,
    },
    /// Local API: tapping a toast that is not in the tray.
    #[error("Toast {index} is not in the tray, which holds {len} (indices 0..{len}).")]
    NoSuchToast {
        /// The index asked for.
        index: usize,
        /// How many toasts the tray holds.
        len: usize,
    },
}

/// The text the local API threw for a template change.
pub const TEMPLATE_MISMATCH: &str = "Template type mismatch. You can only update the tile using the same template it was created with";

impl ShellError {
    /// The channel error raised for it, if any: `PayloadFormatError` for a bad `Count` or
    /// `Param`, `MessageBadContent` for a bad image; a template mismatch is ignored without a
    /// channel error (what the phone did is unverified), and local API misuse raises none.
    pub fn channel_error(&self) -> Option<ChannelErrorKind> {
        match self {
            ShellError::BadCount { .. } | ShellError::BadParam { .. } => {
                Some(ChannelErrorKind::PayloadFormatError)
            }
            ShellError::BadImage { .. } => Some(ChannelErrorKind::MessageBadContent),
            _ => None,
        }
    }
}

/// Identifies one image download the shell waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FetchId(u64);

/// A remote image to download before a tile update can apply. The push client checks size
/// (80 KB) and time (15 s) and reports back with [`Shell::image_fetched`] or
/// [`Shell::image_failed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFetch {
    /// What to report back.
    pub id: FetchId,
    /// The URL (allowed by the channel's binding).
    pub url: String,
    /// The tile waiting for it.
    pub tile: TileKey,
    /// The property it is for.
    pub property: &'static str,
}

/// What [`Shell::apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The toast went to the tray at this index.
    ToastShown {
        /// Its index in [`Shell::toasts`].
        index: usize,
    },
    /// The tile update is accepted. With no fetches it has been applied; otherwise it waits,
    /// as a whole, until every image has been fetched (and is dropped if one fails).
    TileUpdated {
        /// The tile.
        tile: TileKey,
        /// Downloads to make first (empty: already applied).
        fetches: Vec<ImageFetch>,
    },
    /// No such tile is pinned: nothing changed (MPNS would have answered Suppressed).
    TileNotPinned {
        /// The tile targeted.
        tile: TileKey,
    },
    /// A raw notification: it is for the app, not the shell; nothing changed.
    NotForShell,
}

/// What a fetch report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchProgress {
    /// The update still waits for other images.
    Waiting {
        /// The tile.
        tile: TileKey,
        /// How many images it still waits for.
        remaining: usize,
    },
    /// The last image arrived: the whole update applied.
    Applied {
        /// The tile.
        tile: TileKey,
    },
    /// An image failed: the whole update was dropped and the tile left as it was.
    Dropped {
        /// The tile.
        tile: TileKey,
    },
    /// The id is not awaited (already reported, dropped, or the tile was pinned anew or
    /// unpinned meanwhile).
    Unknown,
}

#[derive(Debug, Clone)]
struct Pending {
    tile: TileKey,
    changes: Vec<(&'static str, Option<String>)>,
    waiting: BTreeMap<FetchId, (&'static str, String)>,
}

/// The shell of one app: its pinned tiles and the toast tray.
///
/// ```
/// use mpns_harness::protocol::{Content, Template, TileContent, TileValue};
/// use mpns_harness::phone::{Applied, Shell, TileBinding, TileKey};
///
/// let mut shell = Shell::new("Weather", "/MainPage.xaml");
/// shell.pin(TileKey::Primary, Template::FlipTile, &[("Title", "Weather")]).unwrap();
/// let push = Content::Tile(TileContent {
///     id: None,
///     template: Template::FlipTile,
///     version2: true,
///     properties: vec![
///         ("Count".into(), TileValue::Set("5".into())),
///         ("Title".into(), TileValue::Clear),
///     ],
/// });
/// let done = shell.apply(&push, &TileBinding::LocalImagesOnly).unwrap();
/// assert!(matches!(done, Applied::TileUpdated { fetches, .. } if fetches.is_empty()));
/// let tile = shell.tile(&TileKey::Primary).unwrap();
/// assert_eq!(tile.badge(), Some(5));
/// assert_eq!(tile.title(), None);
/// ```
#[derive(Debug, Clone)]
pub struct Shell {
    app_name: String,
    start_page: String,
    tiles: BTreeMap<TileKey, Tile>,
    toasts: Vec<Toast>,
    pending: BTreeMap<u64, Pending>,
    fetches: BTreeMap<FetchId, u64>,
    next_id: u64,
}

impl Shell {
    /// An app with nothing pinned and an empty tray. `start_page` is where a launch without a
    /// page goes (e.g. `/MainPage.xaml`).
    pub fn new(app_name: impl Into<String>, start_page: impl Into<String>) -> Shell {
        Shell {
            app_name: app_name.into(),
            start_page: start_page.into(),
            tiles: BTreeMap::new(),
            toasts: Vec::new(),
            pending: BTreeMap::new(),
            fetches: BTreeMap::new(),
            next_id: 0,
        }
    }

    /// The app's name.
    pub fn app_name(&self) -> &str {
        &self.app_name
    }

    /// The app's start page.
    pub fn start_page(&self) -> &str {
        &self.start_page
    }

    /// Pins a tile with a template and initial values (property name, value), as
    /// `ShellTile.Create` (secondary) or the user pinning the app (primary) did. Initial images
    /// must be local: tiles were created only with local images.
    ///
    /// # Errors
    ///
    /// [`ShellError::AlreadyPinned`], [`ShellError::UnknownProperty`], or the errors of a push
    /// with these values.
    pub fn pin(
        &mut self,
        tile: TileKey,
        template: Template,
        initial: &[(&str, &str)],
    ) -> Result<(), ShellError> {
        if self.tiles.contains_key(&tile) {
            return Err(ShellError::AlreadyPinned { tile });
        }
        let properties: Vec<(String, TileValue)> = initial
            .iter()
            .map(|(k, v)| ((*k).to_owned(), TileValue::Set((*v).to_owned())))
            .collect();
        let checked = check(&tile, template, &properties, None)?;
        let mut t = Tile::new(template);
        for (p, v) in checked.changes {
            t.put(p, v);
        }
        self.tiles.insert(tile, t);
        Ok(())
    }

    /// Unpins a tile (its pending updates are dropped). Returns whether it was pinned.
    pub fn unpin(&mut self, tile: &TileKey) -> bool {
        self.drop_pending_of(tile);
        self.tiles.remove(tile).is_some()
    }

    /// The pinned tile with this key.
    pub fn tile(&self, tile: &TileKey) -> Option<&Tile> {
        self.tiles.get(tile)
    }

    /// Every pinned tile, primary first, then secondaries by navigation URI.
    pub fn tiles(&self) -> impl Iterator<Item = (&TileKey, &Tile)> {
        self.tiles.iter()
    }

    /// Whether the tile a push with this `Id` targets is pinned.
    pub fn is_pinned(&self, tile: &TileKey) -> bool {
        self.tiles.contains_key(tile)
    }

    /// The toasts shown, in arrival order.
    pub fn toasts(&self) -> &[Toast] {
        &self.toasts
    }

    /// Empties the tray.
    pub fn clear_toasts(&mut self) {
        self.toasts.clear();
    }

    /// Where tapping the toast at `index` launches the app: the page and query of its
    /// `Param`, or the start page. The toast stays in the tray.
    ///
    /// # Errors
    ///
    /// [`ShellError::NoSuchToast`].
    pub fn tap(&self, index: usize) -> Result<LaunchTarget, ShellError> {
        self.toasts
            .get(index)
            .map(|t| t.launch_target(&self.start_page))
            .ok_or(ShellError::NoSuchToast {
                index,
                len: self.toasts.len(),
            })
    }

    /// Applies a notification the push client decided the shell should handle (see
    /// [`decide`](crate::phone::decide)): a toast goes to the tray, a tile update to its tile. `binding`
    /// is how the channel is bound to the shell tile, which decides whether remote images are
    /// allowed.
    ///
    /// A tile update is all or nothing: it is checked whole first (template, each `Count`,
    /// each image), and any error leaves the tile unchanged. `Action="Clear"` and an empty
    /// value both clear a property; an omitted element leaves it.
    ///
    /// # Errors
    ///
    /// A [`ShellError`]; its [`channel_error`](ShellError::channel_error) says which
    /// `ErrorOccurred` the channel raises.
    pub fn apply(
        &mut self,
        content: &Content,
        binding: &TileBinding,
    ) -> Result<Applied, ShellError> {
        match content {
            Content::Toast(t) => self.show_toast(t),
            Content::Tile(t) => self.update_tile(t, binding),
            Content::Raw { .. } => Ok(Applied::NotForShell),
        }
    }

    fn show_toast(&mut self, t: &ToastContent) -> Result<Applied, ShellError> {
        let toast = Toast::from_content(t).map_err(|message| ShellError::BadParam { message })?;
        self.toasts.push(toast);
        Ok(Applied::ToastShown {
            index: self.toasts.len() - 1,
        })
    }

    fn update_tile(
        &mut self,
        push: &TileContent,
        binding: &TileBinding,
    ) -> Result<Applied, ShellError> {
        let key = TileKey::from_id(push.id.as_deref());
        let Some(tile) = self.tiles.get_mut(&key) else {
            return Ok(Applied::TileNotPinned { tile: key });
        };
        if tile.template() != push.template {
            return Err(ShellError::TemplateMismatch {
                tile: key,
                pinned: tile.template(),
                pushed: push.template,
            });
        }
        let checked = check(&key, push.template, &push.properties, Some(binding))?;
        if checked.remote.is_empty() {
            for (p, v) in checked.changes {
                tile.put(p, v);
            }
            return Ok(Applied::TileUpdated {
                tile: key,
                fetches: Vec::new(),
            });
        }
        let update = self.next_id;
        self.next_id += 1;
        let mut fetches = Vec::new();
        for (property, url) in checked.remote {
            let id = FetchId(self.next_id);
            self.next_id += 1;
            self.fetches.insert(id, update);
            fetches.push(ImageFetch {
                id,
                url,
                tile: key.clone(),
                property,
            });
        }
        self.pending.insert(
            update,
            Pending {
                tile: key.clone(),
                changes: checked.changes,
                waiting: fetches
                    .iter()
                    .map(|f| (f.id, (f.property, f.url.clone())))
                    .collect(),
            },
        );
        Ok(Applied::TileUpdated { tile: key, fetches })
    }

    /// Reports that a remote image arrived in time and within size. When it was the last one
    /// its update waited for, the whole update applies.
    pub fn image_fetched(&mut self, id: FetchId) -> FetchProgress {
        let Some(update) = self.fetches.remove(&id) else {
            return FetchProgress::Unknown;
        };
        let Some(p) = self.pending.get_mut(&update) else {
            return FetchProgress::Unknown;
        };
        p.waiting.remove(&id);
        if !p.waiting.is_empty() {
            return FetchProgress::Waiting {
                tile: p.tile.clone(),
                remaining: p.waiting.len(),
            };
        }
        let Some(p) = self.pending.remove(&update) else {
            return FetchProgress::Unknown;
        };
        match self.tiles.get_mut(&p.tile) {
            Some(tile) => {
                for (prop, v) in p.changes {
                    tile.put(prop, v);
                }
                FetchProgress::Applied { tile: p.tile }
            }
            None => FetchProgress::Unknown,
        }
    }

    /// Reports that a remote image could not be used (refused, too large, too slow). The
    /// update that waited for it is dropped whole; the tile stays as it was.
    pub fn image_failed(&mut self, id: FetchId) -> FetchProgress {
        let Some(update) = self.fetches.remove(&id) else {
            return FetchProgress::Unknown;
        };
        let Some(p) = self.pending.remove(&update) else {
            return FetchProgress::Unknown;
        };
        for other in p.waiting.keys() {
            self.fetches.remove(other);
        }
        FetchProgress::Dropped { tile: p.tile }
    }

    /// Remote images still awaited, in the order they were asked for.
    pub fn pending_fetches(&self) -> Vec<ImageFetch> {
        self.pending
            .values()
            .flat_map(|p| {
                p.waiting.iter().map(|(id, (property, url))| ImageFetch {
                    id: *id,
                    url: url.clone(),
                    tile: p.tile.clone(),
                    property,
                })
            })
            .collect()
    }

    fn drop_pending_of(&mut self, tile: &TileKey) {
        let gone: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| &p.tile == tile)
            .map(|(u, _)| *u)
            .collect();
        for u in gone {
            if let Some(p) = self.pending.remove(&u) {
                for id in p.waiting.keys() {
                    self.fetches.remove(id);
                }
            }
        }
    }
}

/// A tile push, checked.
struct Checked {
    /// Each property to set (`Some`) or clear (`None`), in document order.
    changes: Vec<(&'static str, Option<String>)>,
    /// Remote images to fetch first: property, URL.
    remote: Vec<(&'static str, String)>,
}

/// Checks every property of a push (or of initial pin data when `binding` is `None`: remote
/// images refused).
fn check(
    tile: &TileKey,
    template: Template,
    properties: &[(String, TileValue)],
    binding: Option<&TileBinding>,
) -> Result<Checked, ShellError> {
    let mut changes = Vec::new();
    let mut remote = Vec::new();
    for (name, value) in properties {
        let Some(&property) = template.elements().iter().find(|p| **p == name.as_str()) else {
            return Err(ShellError::UnknownProperty {
                tile: tile.clone(),
                template,
                property: name.clone(),
            });
        };
        let value = match value {
            TileValue::Set(v) if !v.is_empty() => v,
            _ => {
                changes.push((property, None));
                continue;
            }
        };
        match role_of(template, property) {
            Some(Role::Count) => {
                parse_count(value).map_err(|message| ShellError::BadCount {
                    tile: tile.clone(),
                    message,
                })?;
            }
            Some(Role::Image) => {
                let bad = |error| ShellError::BadImage {
                    tile: tile.clone(),
                    property: property.to_owned(),
                    error,
                };
                if let ImageSource::Remote(_) = classify_image(value).map_err(bad)? {
                    if template == Template::CycleTile && property.starts_with("CycleImage") {
                        return Err(bad(ImageError::RemoteNotSupported { uri: value.clone() }));
                    }
                    match binding {
                        Some(b) => check_remote_image(value, b).map_err(bad)?,
                        None => {
                            return Err(bad(ImageError::Invalid {
                                uri: value.clone(),
                                reason: "a tile is pinned with local images only".to_owned(),
                            }))
                        }
                    }
                    remote.push((property, value.clone()));
                }
            }
            _ => {}
        }
        changes.push((property, Some(value.clone())));
    }
    Ok(Checked { changes, remote })
}
