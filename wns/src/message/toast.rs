//! Toasts in the `ToastGeneric` template of Windows 10 and 11: up to three lines of text,
//! images, up to five buttons and five inputs, audio and a scenario.

use bytes::Bytes;

use super::error::check_text;
use super::xml::{attr, text_element};
use super::{BuildError, Kind, Notification};

/// Most top-level lines of text a `ToastGeneric` binding shows.
const MAX_TEXTS: usize = 3;
/// Most buttons (`<action>`) and most inputs (`<input>`) a toast takes, each.
const MAX_ACTIONS: usize = 5;
const MAX_INPUTS: usize = 5;
/// Most choices in one selection input.
const MAX_CHOICES: usize = 5;

/// How long the banner stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duration {
    /// `duration="short"` (the default, about 7 seconds).
    Short,
    /// `duration="long"` (about 25 seconds); looping audio needs it.
    Long,
}

/// What kind of moment the toast is for; it changes how long it stays and how it sounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// `reminder`: stays on screen until the user acts.
    Reminder,
    /// `alarm`: stays, and loops alarm audio.
    Alarm,
    /// `incomingCall`: stays, call-style buttons, ringtone audio.
    IncomingCall,
    /// `urgent`: may break through focus assist (Windows 11).
    Urgent,
}

impl Scenario {
    fn as_str(self) -> &'static str {
        match self {
            Scenario::Reminder => "reminder",
            Scenario::Alarm => "alarm",
            Scenario::IncomingCall => "incomingCall",
            Scenario::Urgent => "urgent",
        }
    }
}

/// Where an image goes in the toast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImagePlacement {
    /// Below the text, full width.
    Inline,
    /// A wide picture at the top.
    Hero,
    /// In place of the app's logo, on the left.
    AppLogoOverride,
}

/// An image: its source must be a web address (`http://`, `https://`) or one of the app's own
/// (`ms-appx:///`, `ms-appdata:///local/`, or `file:///` for desktop apps). The device drops a
/// toast whose image source it cannot load, so the builder refuses other schemes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    src: String,
    placement: ImagePlacement,
    alt: Option<String>,
    circle: bool,
}

impl Image {
    /// An inline image.
    pub fn inline(src: impl Into<String>) -> Image {
        Image::at(src, ImagePlacement::Inline)
    }

    /// A hero image.
    pub fn hero(src: impl Into<String>) -> Image {
        Image::at(src, ImagePlacement::Hero)
    }

    /// An image in place of the app's logo.
    pub fn app_logo(src: impl Into<String>) -> Image {
        Image::at(src, ImagePlacement::AppLogoOverride)
    }

    fn at(src: impl Into<String>, placement: ImagePlacement) -> Image {
        Image {
            src: src.into(),
            placement,
            alt: None,
            circle: false,
        }
    }

    /// Text for screen readers.
    pub fn alt(mut self, alt: impl Into<String>) -> Image {
        self.alt = Some(alt.into());
        self
    }

    /// Cropped to a circle (`hint-crop="circle"`), as for a person's picture.
    pub fn circle(mut self) -> Image {
        self.circle = true;
        self
    }
}

/// Checks an image source's scheme, naming the field.
pub(crate) fn check_image_src(field: &'static str, src: &str) -> Result<(), BuildError> {
    const SCHEMES: [&str; 5] = [
        "http://",
        "https://",
        "ms-appx:///",
        "ms-appdata:///local/",
        "file:///",
    ];
    if src.is_empty() {
        return Err(BuildError::Missing { field });
    }
    check_text(field, src)?;
    let lower = src.to_ascii_lowercase();
    if !SCHEMES.iter().any(|s| lower.starts_with(s)) {
        return Err(BuildError::invalid(
            field,
            format!(
                "{src:?} is not a source the device loads: use http://, https://, ms-appx:///, ms-appdata:///local/ or file:///"
            ),
        ));
    }
    Ok(())
}

/// How a button starts the app when pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ActivationType {
    /// The app comes to the foreground (the default).
    #[default]
    Foreground,
    /// The app's background task runs; the app stays where it is.
    Background,
    /// The arguments are a URI that Windows opens.
    Protocol,
}

/// A button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToastAction {
    content: String,
    arguments: String,
    activation: ActivationType,
    input_id: Option<String>,
}

impl ToastAction {
    /// A button labelled `content` that hands `arguments` to the app.
    pub fn new(content: impl Into<String>, arguments: impl Into<String>) -> ToastAction {
        ToastAction {
            content: content.into(),
            arguments: arguments.into(),
            activation: ActivationType::Foreground,
            input_id: None,
        }
    }

    /// How pressing it starts the app.
    pub fn activation(mut self, activation: ActivationType) -> ToastAction {
        self.activation = activation;
        self
    }

    /// Shows the button next to the text input with this id (a quick reply's "Send").
    pub fn next_to_input(mut self, input_id: impl Into<String>) -> ToastAction {
        self.input_id = Some(input_id.into());
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum InputKind {
    Text { placeholder: Option<String> },
    Selection { choices: Vec<(String, String)> },
}

/// A text box or a drop-down list on the toast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    id: String,
    title: Option<String>,
    kind: InputKind,
}

impl Input {
    /// A text box whose value reaches the app under `id`.
    pub fn text(id: impl Into<String>) -> Input {
        Input {
            id: id.into(),
            title: None,
            kind: InputKind::Text { placeholder: None },
        }
    }

    /// A list of choices whose selected id reaches the app under `id`; add choices with
    /// [`Input::choice`] (1 to 5).
    pub fn selection(id: impl Into<String>) -> Input {
        Input {
            id: id.into(),
            title: None,
            kind: InputKind::Selection {
                choices: Vec::new(),
            },
        }
    }

    /// A title above the input.
    pub fn title(mut self, title: impl Into<String>) -> Input {
        self.title = Some(title.into());
        self
    }

    /// The text box's grey hint (ignored on a selection).
    pub fn placeholder(mut self, text: impl Into<String>) -> Input {
        if let InputKind::Text { placeholder } = &mut self.kind {
            *placeholder = Some(text.into());
        }
        self
    }

    /// A choice of a selection (ignored on a text box).
    pub fn choice(mut self, id: impl Into<String>, content: impl Into<String>) -> Input {
        if let InputKind::Selection { choices } = &mut self.kind {
            choices.push((id.into(), content.into()));
        }
        self
    }
}

/// The toast's sound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audio {
    src: Option<String>,
    looping: bool,
    silent: bool,
}

impl Audio {
    /// A system sound (`ms-winsoundevent:Notification.Reminder`) or one of the app's files
    /// (`ms-appx:///`, `ms-appdata:///`).
    pub fn sound(src: impl Into<String>) -> Audio {
        Audio {
            src: Some(src.into()),
            looping: false,
            silent: false,
        }
    }

    /// No sound at all.
    pub fn silent() -> Audio {
        Audio {
            src: None,
            looping: false,
            silent: true,
        }
    }

    /// Repeats while the toast is shown; needs [`Duration::Long`].
    pub fn looping(mut self) -> Audio {
        self.looping = true;
        self
    }
}

/// A `ToastGeneric` toast.
///
/// ```
/// use wns::{Image, Input, Kind, Toast, ToastAction};
///
/// let toast = Toast::new()
///     .launch("conversation?id=42")
///     .text("Ann")
///     .text("Lunch at 1?")
///     .image(Image::app_logo("https://example.com/ann.png").circle())
///     .input(Input::text("reply").placeholder("Type a reply"))
///     .action(ToastAction::new("Send", "reply?id=42").next_to_input("reply"))
///     .build()?;
/// assert_eq!(toast.kind(), Kind::Toast);
/// assert!(toast.body().starts_with(b"<toast launch=\"conversation?id=42\">"));
/// # Ok::<(), wns::BuildError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Toast {
    launch: Option<String>,
    duration: Option<Duration>,
    scenario: Option<Scenario>,
    texts: Vec<String>,
    images: Vec<Image>,
    inputs: Vec<Input>,
    actions: Vec<ToastAction>,
    audio: Option<Audio>,
}

impl Toast {
    /// An empty toast: give it at least one [`Toast::text`].
    pub fn new() -> Toast {
        Toast::default()
    }

    /// What the app receives when the toast itself is clicked.
    pub fn launch(mut self, arguments: impl Into<String>) -> Toast {
        self.launch = Some(arguments.into());
        self
    }

    /// How long the banner stays.
    pub fn duration(mut self, duration: Duration) -> Toast {
        self.duration = Some(duration);
        self
    }

    /// The toast's scenario.
    pub fn scenario(mut self, scenario: Scenario) -> Toast {
        self.scenario = Some(scenario);
        self
    }

    /// A line of text: the first is the title; one to three.
    pub fn text(mut self, text: impl Into<String>) -> Toast {
        self.texts.push(text.into());
        self
    }

    /// An image.
    pub fn image(mut self, image: Image) -> Toast {
        self.images.push(image);
        self
    }

    /// An input (up to five).
    pub fn input(mut self, input: Input) -> Toast {
        self.inputs.push(input);
        self
    }

    /// A button (up to five).
    pub fn action(mut self, action: ToastAction) -> Toast {
        self.actions.push(action);
        self
    }

    /// The sound.
    pub fn audio(mut self, audio: Audio) -> Toast {
        self.audio = Some(audio);
        self
    }

    /// Validates and renders the toast.
    pub fn build(&self) -> Result<Notification, BuildError> {
        self.check()?;
        let mut xml = String::with_capacity(256);
        xml.push_str("<toast");
        if let Some(launch) = &self.launch {
            attr(&mut xml, "launch", launch);
        }
        if let Some(d) = self.duration {
            attr(
                &mut xml,
                "duration",
                match d {
                    Duration::Short => "short",
                    Duration::Long => "long",
                },
            );
        }
        if let Some(s) = self.scenario {
            attr(&mut xml, "scenario", s.as_str());
        }
        xml.push_str("><visual><binding template=\"ToastGeneric\">");
        for text in &self.texts {
            text_element(&mut xml, "text", &[], text);
        }
        for image in &self.images {
            xml.push_str("<image");
            match image.placement {
                ImagePlacement::Inline => {}
                ImagePlacement::Hero => attr(&mut xml, "placement", "hero"),
                ImagePlacement::AppLogoOverride => attr(&mut xml, "placement", "appLogoOverride"),
            }
            attr(&mut xml, "src", &image.src);
            if let Some(alt) = &image.alt {
                attr(&mut xml, "alt", alt);
            }
            if image.circle {
                attr(&mut xml, "hint-crop", "circle");
            }
            xml.push_str("/>");
        }
        xml.push_str("</binding></visual>");
        if !self.inputs.is_empty() || !self.actions.is_empty() {
            xml.push_str("<actions>");
            for input in &self.inputs {
                xml.push_str("<input");
                attr(&mut xml, "id", &input.id);
                match &input.kind {
                    InputKind::Text { placeholder } => {
                        attr(&mut xml, "type", "text");
                        if let Some(title) = &input.title {
                            attr(&mut xml, "title", title);
                        }
                        if let Some(p) = placeholder {
                            attr(&mut xml, "placeHolderContent", p);
                        }
                        xml.push_str("/>");
                    }
                    InputKind::Selection { choices } => {
                        attr(&mut xml, "type", "selection");
                        if let Some(title) = &input.title {
                            attr(&mut xml, "title", title);
                        }
                        xml.push('>');
                        for (id, content) in choices {
                            xml.push_str("<selection");
                            attr(&mut xml, "id", id);
                            attr(&mut xml, "content", content);
                            xml.push_str("/>");
                        }
                        xml.push_str("</input>");
                    }
                }
            }
            for action in &self.actions {
                xml.push_str("<action");
                attr(&mut xml, "content", &action.content);
                attr(&mut xml, "arguments", &action.arguments);
                match action.activation {
                    ActivationType::Foreground => {}
                    ActivationType::Background => attr(&mut xml, "activationType", "background"),
                    ActivationType::Protocol => attr(&mut xml, "activationType", "protocol"),
                }
                if let Some(id) = &action.input_id {
                    attr(&mut xml, "hint-inputId", id);
                }
                xml.push_str("/>");
            }
            xml.push_str("</actions>");
        }
        if let Some(audio) = &self.audio {
            xml.push_str("<audio");
            if let Some(src) = &audio.src {
                attr(&mut xml, "src", src);
            }
            if audio.looping {
                attr(&mut xml, "loop", "true");
            }
            if audio.silent {
                attr(&mut xml, "silent", "true");
            }
            xml.push_str("/>");
        }
        xml.push_str("</toast>");
        Notification::new(Kind::Toast, Bytes::from(xml))
    }

    fn check(&self) -> Result<(), BuildError> {
        if self.texts.is_empty() || self.texts[0].is_empty() {
            return Err(BuildError::Missing { field: "text" });
        }
        if self.texts.len() > MAX_TEXTS {
            return Err(BuildError::TooMany {
                field: "text",
                max: MAX_TEXTS,
                given: self.texts.len(),
            });
        }
        for t in &self.texts {
            check_text("text", t)?;
        }
        if let Some(l) = &self.launch {
            check_text("launch", l)?;
        }
        for image in &self.images {
            check_image_src("image.src", &image.src)?;
            if let Some(alt) = &image.alt {
                check_text("image.alt", alt)?;
            }
        }
        if self
            .images
            .iter()
            .filter(|i| i.placement == ImagePlacement::Hero)
            .count()
            > 1
        {
            return Err(BuildError::TooMany {
                field: "image (hero)",
                max: 1,
                given: self
                    .images
                    .iter()
                    .filter(|i| i.placement == ImagePlacement::Hero)
                    .count(),
            });
        }
        if self.inputs.len() > MAX_INPUTS {
            return Err(BuildError::TooMany {
                field: "input",
                max: MAX_INPUTS,
                given: self.inputs.len(),
            });
        }
        if self.actions.len() > MAX_ACTIONS {
            return Err(BuildError::TooMany {
                field: "action",
                max: MAX_ACTIONS,
                given: self.actions.len(),
            });
        }
        let mut ids: Vec<&str> = Vec::new();
        for input in &self.inputs {
            if input.id.is_empty() {
                return Err(BuildError::Missing { field: "input.id" });
            }
            check_text("input.id", &input.id)?;
            if ids.contains(&input.id.as_str()) {
                return Err(BuildError::invalid(
                    "input.id",
                    format!("{:?} is used by two inputs", input.id),
                ));
            }
            ids.push(&input.id);
            if let Some(t) = &input.title {
                check_text("input.title", t)?;
            }
            match &input.kind {
                InputKind::Text { placeholder } => {
                    if let Some(p) = placeholder {
                        check_text("input.placeholder", p)?;
                    }
                }
                InputKind::Selection { choices } => {
                    if choices.is_empty() {
                        return Err(BuildError::Missing {
                            field: "input.choice",
                        });
                    }
                    if choices.len() > MAX_CHOICES {
                        return Err(BuildError::TooMany {
                            field: "input.choice",
                            max: MAX_CHOICES,
                            given: choices.len(),
                        });
                    }
                    for (id, content) in choices {
                        if id.is_empty() {
                            return Err(BuildError::Missing {
                                field: "input.choice.id",
                            });
                        }
                        check_text("input.choice.id", id)?;
                        check_text("input.choice.content", content)?;
                    }
                }
            }
        }
        for action in &self.actions {
            if action.content.is_empty() {
                return Err(BuildError::Missing {
                    field: "action.content",
                });
            }
            check_text("action.content", &action.content)?;
            check_text("action.arguments", &action.arguments)?;
            if let Some(id) = &action.input_id {
                if !ids.contains(&id.as_str()) {
                    return Err(BuildError::invalid(
                        "action.next_to_input",
                        format!("no input has the id {id:?}"),
                    ));
                }
            }
        }
        if let Some(audio) = &self.audio {
            if let Some(src) = &audio.src {
                let lower = src.to_ascii_lowercase();
                if !["ms-winsoundevent:", "ms-appx:///", "ms-appdata:///"]
                    .iter()
                    .any(|s| lower.starts_with(s))
                {
                    return Err(BuildError::invalid(
                        "audio.src",
                        format!("{src:?}: use ms-winsoundevent:, ms-appx:/// or ms-appdata:///"),
                    ));
                }
                check_text("audio.src", src)?;
            }
            if audio.looping && self.duration != Some(Duration::Long) {
                return Err(BuildError::invalid(
                    "audio.looping",
                    "looping audio needs duration long",
                ));
            }
        }
        Ok(())
    }
}
