//! Two fix-ups of the OpenAPI document utoipa generates for the control API, applied before it
//! is served.

/// utoipa's `non_strict_integers` spells unsigned formats `u-int32`; the usual spelling is
/// `uint32` (a format is a hint to readers and generators; the range is in `minimum`).
pub(super) fn spell_unsigned_formats(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(f)) = map.get_mut("format") {
                if let Some(bits) = f.strip_prefix("u-int") {
                    *f = format!("uint{bits}");
                }
            }
            map.values_mut().for_each(spell_unsigned_formats);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(spell_unsigned_formats),
        _ => {}
    }
}

/// utoipa writes `additionalProperties: false` for a type with `deny_unknown_fields` (right
/// for a request body: unknown fields are refused), but a type that flattens it into a bigger
/// object (`FaultStatus` flattens `FaultRule`) then becomes `allOf: [closed FaultRule, {id,
/// ...}]`, which no answer can match. Such members of an `allOf` are inlined without the
/// `additionalProperties: false`.
pub(super) fn open_closed_parts_of_all_of(doc: &mut serde_json::Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(|s| s.as_object_mut())
    else {
        return;
    };
    let closed: std::collections::BTreeMap<String, serde_json::Value> = schemas
        .iter()
        .filter(|(_, s)| s.get("additionalProperties") == Some(&serde_json::Value::Bool(false)))
        .map(|(name, s)| {
            let mut open = s.clone();
            if let Some(o) = open.as_object_mut() {
                o.remove("additionalProperties");
            }
            (format!("#/components/schemas/{name}"), open)
        })
        .collect();
    for schema in schemas.values_mut() {
        let Some(parts) = schema.get_mut("allOf").and_then(|a| a.as_array_mut()) else {
            continue;
        };
        for part in parts {
            let target = part.get("$ref").and_then(|r| r.as_str()).unwrap_or("");
            if let Some(open) = closed.get(target) {
                *part = open.clone();
            }
        }
    }
}
