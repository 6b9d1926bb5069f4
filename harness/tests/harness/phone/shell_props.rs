//! Property: any sequence of tile pushes for one template (sets, clears, empty values,
//! omissions, and pushes the shell must refuse) leaves the tile equal to a small reference model
//! — a map from property to value — and renders as a tile pinned fresh with the model's values.

use mpns_harness::phone::{render_tile_text, Shell, ShellError, TileBinding, TileKey};
use mpns_harness::protocol::{Content, Template, TileContent, TileValue};
use proptest::prelude::*;
use std::collections::BTreeMap;

const TEMPLATES: [Template; 4] = [
    Template::Standard,
    Template::FlipTile,
    Template::IconicTile,
    Template::CycleTile,
];

/// A generated property change.
#[derive(Debug, Clone)]
enum Change {
    Set(String),
    Clear,
}

#[derive(Debug, Clone)]
enum Op {
    /// A valid push: each named property changed once, the others omitted.
    Push(Vec<(&'static str, Change)>),
    /// The same, plus a Count the shell refuses: nothing may change.
    BadCount(Vec<(&'static str, Change)>, String),
    /// A push for another template: nothing may change.
    OtherTemplate(Template),
}

/// The test's own idea of what a property holds, from its name alone.
fn value_for(property: &'static str) -> BoxedStrategy<String> {
    if property.contains("Image") {
        prop_oneof![
            "/Images/[a-z]{1,4}\\.png",
            "Assets/[a-z]{1,3}/[a-z]{1,3}\\.png",
            "isostore:/Shared/ShellContent/[a-z]{1,4}\\.jpg",
        ]
        .boxed()
    } else if property == "Count" {
        prop_oneof![
            (0u64..=120).prop_map(|n| n.to_string()),
            Just("18446744073709551616".to_owned()),
        ]
        .boxed()
    } else if property == "BackgroundColor" {
        prop_oneof!["#FF[0-9A-F]{6}", "#80[0-9A-F]{6}", Just("blue".to_owned())].boxed()
    } else {
        "[a-zA-Z0-9 <>&\"'é]{0,12}".boxed()
    }
}

fn changes(template: Template) -> impl Strategy<Value = Vec<(&'static str, Change)>> {
    let props = template.elements().to_vec();
    let n = props.len();
    proptest::sample::subsequence(props, 0..=n).prop_flat_map(|chosen| {
        chosen
            .into_iter()
            .map(|p| {
                prop_oneof![
                    3 => value_for(p).prop_map(Change::Set),
                    1 => Just(Change::Set(String::new())),
                    2 => Just(Change::Clear),
                ]
                .prop_map(move |c| (p, c))
            })
            .collect::<Vec<_>>()
    })
}

fn op(template: Template) -> impl Strategy<Value = Op> {
    let others: Vec<Template> = TEMPLATES.into_iter().filter(|t| *t != template).collect();
    prop_oneof![
        8 => changes(template).prop_map(Op::Push),
        1 => (
            changes(template),
            prop_oneof![Just("-1"), Just("1.5"), Just("ten"), Just("+2"), Just(" ")]
        )
            .prop_map(|(mut c, bad)| {
                c.retain(|(p, _)| *p != "Count");
                Op::BadCount(c, bad.to_owned())
            }),
        1 => proptest::sample::select(others).prop_map(Op::OtherTemplate),
    ]
}

fn scenario() -> impl Strategy<Value = (Template, Vec<Op>)> {
    proptest::sample::select(TEMPLATES.to_vec())
        .prop_flat_map(|t| (Just(t), proptest::collection::vec(op(t), 0..24)))
}

fn push(template: Template, changes: &[(&'static str, Change)]) -> Content {
    Content::Tile(TileContent {
        id: None,
        template,
        version2: true,
        properties: changes
            .iter()
            .map(|(p, c)| {
                let v = match c {
                    Change::Set(v) => TileValue::Set(v.clone()),
                    Change::Clear => TileValue::Clear,
                };
                ((*p).to_owned(), v)
            })
            .collect(),
    })
}

/// The reference model: a set stores the value, a clear or an empty value removes it.
fn model_apply(model: &mut BTreeMap<String, String>, changes: &[(&'static str, Change)]) {
    for (p, c) in changes {
        match c {
            Change::Set(v) if !v.is_empty() => {
                model.insert((*p).to_owned(), v.clone());
            }
            _ => {
                model.remove(*p);
            }
        }
    }
}

/// The badge the model's Count should show, by the documented rule.
fn model_badge(model: &BTreeMap<String, String>) -> Option<u8> {
    let n: u128 = model.get("Count").map_or(0, |c| c.parse().unwrap());
    if n == 0 {
        None
    } else if n <= 99 {
        Some(n as u8)
    } else {
        Some(99)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_tile_pushes_leave_the_tile_equal_to_the_reference_model((template, ops) in scenario()) {
        let mut shell = Shell::new("App", "/MainPage.xaml");
        shell.pin(TileKey::Primary, template, &[]).unwrap();
        let mut model = BTreeMap::new();
        let binding = TileBinding::LocalImagesOnly;
        for op in &ops {
            match op {
                Op::Push(c) => {
                    shell.apply(&push(template, c), &binding).unwrap();
                    model_apply(&mut model, c);
                }
                Op::BadCount(c, bad) => {
                    let mut c = c.clone();
                    c.push(("Count", Change::Set(bad.clone())));
                    let err = shell.apply(&push(template, &c), &binding).unwrap_err();
                    prop_assert!(matches!(err, ShellError::BadCount { .. }), "{err:?}");
                }
                Op::OtherTemplate(other) => {
                    let err = shell
                        .apply(&push(*other, &[("Title", Change::Set("x".into()))]), &binding)
                        .unwrap_err();
                    prop_assert!(matches!(err, ShellError::TemplateMismatch { .. }), "{err:?}");
                }
            }
            let tile = shell.tile(&TileKey::Primary).unwrap();
            let got: BTreeMap<String, String> =
                tile.values().iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
            prop_assert_eq!(&got, &model);
            prop_assert_eq!(tile.badge(), model_badge(&model));
            prop_assert_eq!(tile.template(), template);
        }

        // The rendering depends on the final values only, not on the history.
        let tile = shell.tile(&TileKey::Primary).unwrap();
        let rendered = render_tile_text(&TileKey::Primary, tile);
        let mut fresh = Shell::new("App", "/MainPage.xaml");
        let initial: Vec<(&str, &str)> =
            model.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        fresh.pin(TileKey::Primary, template, &initial).unwrap();
        let expected = render_tile_text(&TileKey::Primary, fresh.tile(&TileKey::Primary).unwrap());
        prop_assert_eq!(&rendered, &expected);

        // And it shows every value the model holds.
        for (p, v) in &model {
            let shown = if p.contains("Image") {
                v.clone()
            } else if p == "Count" {
                match model_badge(&model) {
                    None => "badge: none".to_owned(),
                    Some(b) => format!("badge: {b}"),
                }
            } else if p == "BackgroundColor" {
                if v.starts_with("#FF") { v.replacen("#FF", "#", 1) } else { "theme".to_owned() }
            } else {
                format!("{v:?}")
            };
            prop_assert!(rendered.contains(&shown), "{p}={v:?} not shown as {shown:?} in\n{rendered}");
        }
    }
}
