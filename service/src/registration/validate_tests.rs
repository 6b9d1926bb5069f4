//! The unit tests of `validate.rs` (in a file of their own to keep that file to its rules).
use super::*;

#[test]
fn wns_channels_are_https_on_notify_windows_com_or_an_allowed_host_with_a_token_query() {
    let hosts = AllowedHosts::default().with_host("127.0.0.1:8090").unwrap();
    for ok in [
        "https://db5.notify.windows.com/?token=AwYAAAB%2bQAhY",
        "https://wns2-by3p.notify.windows.com/?token=a-b_c.d~e",
        "https://127.0.0.1:8090/?token=abc",
    ] {
        assert!(hosts.check_wns(ok).is_ok(), "{ok}");
    }
    for (bad, code) in [
        (
            "http://db5.notify.windows.com/?token=a",
            "scheme_not_allowed",
        ),
        ("https://notify.windows.com/?token=a", "host_not_allowed"),
        (
            "https://db5.notify.windows.com.evil.example/?token=a",
            "host_not_allowed",
        ),
        (
            "https://db5.notify.windows.com:8443/?token=a",
            "host_not_allowed",
        ),
        ("https://127.0.0.1:8091/?token=a", "host_not_allowed"),
        (
            "https://db5.notify.windows.com/?token=",
            "not_a_channel_path",
        ),
        (
            "https://db5.notify.windows.com/x?token=a",
            "not_a_channel_path",
        ),
        (
            "https://db5.notify.windows.com/?token=a&b=c",
            "not_a_channel_path",
        ),
        ("https://db5.notify.windows.com", "not_a_channel_path"),
        (
            "https://u@db5.notify.windows.com/?token=a",
            "userinfo_not_allowed",
        ),
        (
            "https://db5.notify.windows.com/?token=\u{e9}",
            "not_a_channel_path",
        ),
    ] {
        let e = hosts.check_wns(bad).unwrap_err();
        assert_eq!(e.code, code, "{bad}: {}", e.message);
    }
    assert!(AllowedHosts::none()
        .check_wns("https://db5.notify.windows.com/?token=a")
        .is_err());
}

#[test]
fn ip_literal_forms_are_recognised() {
    for host in [
        "127.0.0.1",
        "127.1",
        "2130706433",
        "0x7f.1",
        "[::1]",
        "0177.0.0.1",
    ] {
        assert!(is_ip_literal(host), "{host}");
    }
    for host in ["db3.notify.live.net", "localhost", "a1.b2"] {
        assert!(!is_ip_literal(host), "{host}");
    }
}

#[test]
fn loose_ipv4_forms_read_like_inet_aton() {
    assert_eq!(loose_ipv4("127.1"), Some(Ipv4Addr::new(127, 0, 0, 1)));
    assert_eq!(loose_ipv4("2130706433"), Some(Ipv4Addr::new(127, 0, 0, 1)));
    assert_eq!(loose_ipv4("0x7f.1"), Some(Ipv4Addr::new(127, 0, 0, 1)));
    assert_eq!(loose_ipv4("0177.0.0.1"), Some(Ipv4Addr::new(127, 0, 0, 1)));
    assert_eq!(loose_ipv4("10.65535"), Some(Ipv4Addr::new(10, 0, 255, 255)));
    assert_eq!(loose_ipv4("8.8.8.8"), Some(Ipv4Addr::new(8, 8, 8, 8)));
    for bad in [
        "256.1.1.1",
        "1.2.3.256",
        "1.2.3.4.5",
        "4294967296",
        "09",
        "0x",
        "",
    ] {
        assert_eq!(loose_ipv4(bad), None, "{bad}");
    }
}

#[test]
fn hosts_and_ports_http_cannot_send_to_are_bad_hosts() {
    let hosts = AllowedHosts::default();
    for uri in [
        "http://d\u{f6}.notify.live.net/x",
        "http://[::1/x",
        "http://[::1]x/x",
        "http://db3.notify.live.net:+80/x",
        "http://db3.notify.live.net:80:80/x",
    ] {
        assert_eq!(hosts.check(uri).unwrap_err().code, "bad_host", "{uri}");
    }
}

#[test]
fn live_hosts_need_a_label_before_the_suffix() {
    assert!(is_live_host("db3.notify.live.net"));
    assert!(is_live_host("a.b.notify.live.net"));
    assert!(!is_live_host("notify.live.net"));
    assert!(!is_live_host(".notify.live.net"));
    assert!(!is_live_host("evilnotify.live.net"));
    assert!(!is_live_host("db3.notify.live.net.evil.com"));
    assert!(!is_live_host("db3.notify.live.net."));
    assert!(!is_live_host("a..notify.live.net"));
}

#[test]
fn os_versions_map_to_levels() {
    assert_eq!(parse_os_version("7.0.7004"), Some(OsVersion::V7_0));
    assert_eq!(parse_os_version("7.10.7720.68"), Some(OsVersion::V7_1));
    assert_eq!(parse_os_version("7.5"), Some(OsVersion::V7_1));
    assert_eq!(parse_os_version("7.10.8858.136"), Some(OsVersion::V7_8));
    assert_eq!(parse_os_version("8.0"), Some(OsVersion::V8_0));
    assert_eq!(parse_os_version("8.0.10492.0"), Some(OsVersion::V8_0Gdr3));
    assert_eq!(parse_os_version("8.1"), Some(OsVersion::V8_0Gdr3));
    for bad in ["", "7", "6.5", "seven", "7.x", "7.0.1.2.3", "-7.0", "7..0"] {
        assert_eq!(parse_os_version(bad), None, "{bad}");
    }
}
