//! `mpns::ChannelUri` parsing on arbitrary text: it must parse or refuse, never panic, and a
//! parsed URI must keep its text and read back the same way.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mpns::ChannelUri;

fuzz_target!(|text: &str| {
    let Ok(uri) = text.parse::<ChannelUri>() else {
        return;
    };
    assert_eq!(uri.as_str(), text);
    assert!(text.len() >= uri.authority().len());
    let _ = (uri.host(), uri.port(), uri.is_https());
    if let Some(port) = uri.port() {
        assert_ne!(port, 0);
    }
    let again: ChannelUri = uri.to_string().parse().expect("a parsed URI parses again");
    assert_eq!(again, uri);
    assert_eq!(again.host(), uri.host());
    assert_eq!(again.authority(), uri.authority());
});
