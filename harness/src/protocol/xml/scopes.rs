//! Namespace resolution for the reader: one resolver per thread, reused for every body (see
//! `SCOPES`), and the namespace an element resolved to.

use std::cell::RefCell;

use quick_xml::name::{NamespaceResolver, ResolveResult};

/// The namespace URI of every MPNS element.
pub(super) const NS: &[u8] = b"WPNotification";

/// The namespace an element resolved to, owned so the reader can move on.
pub(super) enum Ns {
    Wp,
    Other(String),
    Unbound,
    Undeclared(String),
}

impl From<ResolveResult<'_>> for Ns {
    fn from(r: ResolveResult<'_>) -> Ns {
        match r {
            ResolveResult::Bound(ns) if ns.as_ref() == NS => Ns::Wp,
            ResolveResult::Bound(ns) => Ns::Other(String::from_utf8_lossy(ns.as_ref()).into()),
            ResolveResult::Unbound => Ns::Unbound,
            ResolveResult::Unknown(p) => Ns::Undeclared(String::from_utf8_lossy(&p).into()),
        }
    }
}

thread_local! {
    /// The namespace scopes, one resolver per thread, emptied before each body. quick-xml's
    /// `NsReader` builds a new resolver (buffers grown as declarations come) for every
    /// document; the fake reads one document per request, and that setup showed in profiles.
    pub(super) static SCOPES: RefCell<NamespaceResolver> = RefCell::new(NamespaceResolver::default());
}
