//! What a careful sender would fix, whatever the answer: read as the device would read the
//! payload.

use super::Incoming;
use crate::windows::payload::{check_image, check_root, parse};
use crate::windows::WnsKind;

/// What a careful sender would fix, whatever the answer.
pub(super) fn lint(req: &Incoming<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let kind = req.header("X-WNS-Type").and_then(WnsKind::parse);
    if req
        .header("Expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        out.push("Expect: 100-continue costs a round trip; WNS advises against it".into());
    }
    match kind {
        Some(WnsKind::Raw) if req.body.is_empty() => {
            out.push("an empty raw body: WNS accepts it, the device never delivers it".into())
        }
        Some(WnsKind::Raw) | None => {}
        Some(kind) => match parse(req.body).and_then(|root| check_root(&root, kind).map(|()| root))
        {
            Err(reason) => out.push(format!("the device will drop this payload: {reason:?}")),
            Ok(root) => {
                let mut stack = vec![&root];
                while let Some(el) = stack.pop() {
                    if el.name == "image" {
                        if let Err(reason) = check_image(el.attr("src").unwrap_or_default()) {
                            out.push(format!("the device will drop this payload: {reason:?}"));
                        }
                    }
                    stack.extend(el.children.iter());
                }
            }
        },
    }
    out
}
