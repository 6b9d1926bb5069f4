//! Properties of every built payload: well-formed XML that says what was given, within 5,000
//! bytes, or a refusal that names the field.

use proptest::prelude::*;
use quick_xml::events::Event;
use quick_xml::Reader;
use wns::{BuildError, Image, Input, Toast, ToastAction, MAX_PAYLOAD};

/// Every text node of a document, unescaped, or the parser's complaint.
fn texts(xml: &[u8]) -> Result<Vec<String>, String> {
    let mut reader = Reader::from_reader(xml);
    let mut out = Vec::new();
    // A text node arrives in pieces: text, then an entity, then text again.
    let mut current: Option<String> = None;
    let mut depth = 0i32;
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        match event {
            Event::Text(t) => current
                .get_or_insert_with(String::new)
                .push_str(&t.decode().map_err(|e| e.to_string())?),
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| e.to_string())?;
                let c = match name.as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => return Err(format!("unknown entity {other}")),
                };
                current.get_or_insert_with(String::new).push_str(c);
            }
            other => {
                out.extend(current.take());
                match other {
                    Event::Start(_) => depth += 1,
                    Event::End(_) => depth -= 1,
                    Event::Eof => break,
                    _ => {}
                }
            }
        }
    }
    if depth != 0 {
        return Err(format!("unbalanced document (depth {depth})"));
    }
    Ok(out)
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 &<>\"'é€😀]{0,40}",
        "[\\x00-\\x7f]{0,20}",
        "[a-z]{1000,2000}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn a_toast_is_well_formed_xml_within_the_limit_or_refused_with_the_field_named(
        lines in prop::collection::vec(any_text(), 0..5),
        image in prop::option::of("(https://|ms-appx:///|ftp://)[a-z/.]{0,20}"),
        actions in prop::collection::vec((any_text(), any_text()), 0..7),
        inputs in prop::collection::vec("[a-z]{0,3}", 0..7),
    ) {
        let mut toast = Toast::new();
        for l in &lines { toast = toast.text(l.clone()); }
        if let Some(src) = &image { toast = toast.image(Image::hero(src.clone())); }
        for (c, a) in &actions { toast = toast.action(ToastAction::new(c.clone(), a.clone())); }
        for id in &inputs { toast = toast.input(Input::text(id.clone())); }
        match toast.build() {
            Ok(n) => {
                prop_assert!(n.body().len() <= MAX_PAYLOAD);
                let found = texts(n.body()).map_err(|e| TestCaseError::fail(format!("{e}: {}", String::from_utf8_lossy(n.body()))))?;
                let given: Vec<String> = lines.iter().filter(|l| !l.is_empty()).cloned().collect();
                prop_assert_eq!(found, given);
            }
            Err(BuildError::TooLarge { bytes, max }) => {
                prop_assert_eq!(max, MAX_PAYLOAD);
                prop_assert!(bytes > MAX_PAYLOAD);
            }
            Err(e) => {
                let named = ["text", "image.src", "action", "input", "launch"].iter().any(|f| e.to_string().starts_with(f));
                prop_assert!(named, "{} names no field", e);
            }
        }
    }
}
