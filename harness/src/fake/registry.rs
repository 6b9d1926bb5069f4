//! The token registry: every channel by id, and the index the request path resolves a channel
//! URI's token through. Tokens are kept inline and indexed by position, so a million channels
//! cost a million small slots and no second copy of each token.

use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;

use hashbrown::HashTable;

use crate::fake::device::Device;
use crate::fake::model::ChannelId;

/// Characters in a generated channel token: `AAF` and 61 random base64url characters; also the
/// most a fixed token (from a scenario or `POST /_fake/channels`) may have.
pub(crate) const TOKEN_LEN: usize = 64;

/// A channel URI's token, kept inline (a million channels make a million of them).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Token {
    bytes: [u8; TOKEN_LEN],
    len: u8,
}

impl Token {
    /// A generated token of the full length.
    pub(super) fn generated(bytes: [u8; TOKEN_LEN]) -> Self {
        Self {
            bytes,
            len: TOKEN_LEN as u8,
        }
    }

    /// A fixed token: 1..=64 characters of `A-Z a-z 0-9 - _`, so that the URI is a valid
    /// channel URI; the error names the rule.
    pub(super) fn fixed(token: &str) -> Result<Self, String> {
        let ok_chars = token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
        if token.is_empty() || token.len() > TOKEN_LEN || !ok_chars {
            return Err(format!(
                "token {token:?} is not 1..={TOKEN_LEN} characters of A-Z, a-z, 0-9, '-' and '_'"
            ));
        }
        let mut bytes = [0; TOKEN_LEN];
        bytes[..token.len()].copy_from_slice(token.as_bytes());
        Ok(Self {
            bytes,
            len: token.len() as u8,
        })
    }

    pub(super) fn as_str(&self) -> &str {
        // Tokens are made of ASCII characters only (`generated` and `fixed`).
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

/// A channel as the request path finds it.
pub(super) struct Slot {
    pub(super) token: Token,
    pub(super) authenticated: bool,
    pub(super) device: Arc<Device>,
}

impl Slot {
    /// The channel `id` held in this slot, as handlers use it.
    pub(super) fn to_ref(&self, id: ChannelId) -> ChannelRef {
        ChannelRef {
            id,
            authenticated: self.authenticated,
            device: self.device.clone(),
        }
    }
}

/// The token of the slot at `i` in a registry's table, if a channel is there.
pub(super) fn token_at(slots: &[Option<Slot>], i: usize) -> Option<&str> {
    slots.get(i)?.as_ref().map(|s| s.token.as_str())
}

/// Every channel by id, and an index from token to channel.
///
/// The index holds positions in `slots` rather than tokens, so each token is stored once.
pub(super) struct Registry {
    /// The id of `slots[0]`: a reset starts the table afresh at the next id.
    pub(super) base: u64,
    /// By id; `None` for an id whose creation failed.
    pub(super) slots: Vec<Option<Slot>>,
    pub(super) by_token: HashTable<usize>,
    pub(super) hasher: RandomState,
    /// How many slots hold a channel.
    pub(super) count: usize,
}

impl Registry {
    pub(super) fn new(base: u64) -> Self {
        Registry {
            base,
            slots: Vec::new(),
            by_token: HashTable::new(),
            hasher: RandomState::new(),
            count: 0,
        }
    }

    pub(super) fn index(&self, id: ChannelId) -> Option<usize> {
        usize::try_from(id.0.checked_sub(self.base)?).ok()
    }

    pub(super) fn slot(&self, id: ChannelId) -> Option<&Slot> {
        self.slots.get(self.index(id)?)?.as_ref()
    }

    pub(super) fn find(&self, token: &str) -> Option<(ChannelId, &Slot)> {
        let hash = self.hasher.hash_one(token);
        let &i = self
            .by_token
            .find(hash, |&i| token_at(&self.slots, i) == Some(token))?;
        let slot = self.slots.get(i)?.as_ref()?;
        Some((ChannelId(self.base + i as u64), slot))
    }

    /// Indexes the token of the slot at `i`.
    pub(super) fn index_token(&mut self, i: usize) {
        let Some(token) = token_at(&self.slots, i) else {
            return;
        };
        let hash = self.hasher.hash_one(token);
        let (slots, hasher) = (&self.slots, &self.hasher);
        let rehash = |&j: &usize| hasher.hash_one(token_at(slots, j).unwrap_or_default());
        self.by_token.insert_unique(hash, i, rehash);
    }

    pub(super) fn unindex_token(&mut self, i: usize) {
        let Some(token) = token_at(&self.slots, i) else {
            return;
        };
        if let Ok(entry) = self
            .by_token
            .find_entry(self.hasher.hash_one(token), |&j| j == i)
        {
            entry.remove();
        }
    }

    /// Adds a channel; `false` if its id belongs before the last reset.
    pub(super) fn insert(&mut self, id: ChannelId, slot: Slot) -> bool {
        let Some(i) = self.index(id) else {
            return false;
        };
        if self.slots.len() <= i {
            self.slots.resize_with(i + 1, || None);
        }
        if self.slots[i].is_none() {
            self.count += 1;
        }
        self.slots[i] = Some(slot);
        self.index_token(i);
        true
    }

    /// Gives a channel a new token, returning the old one.
    pub(super) fn retoken(&mut self, id: ChannelId, token: Token) -> Option<Token> {
        let i = self.index(id)?;
        self.unindex_token(i);
        let slot = self.slots.get_mut(i)?.as_mut()?;
        let old = std::mem::replace(&mut slot.token, token);
        self.index_token(i);
        Some(old)
    }

    pub(super) fn channels(&self) -> impl Iterator<Item = (ChannelId, &Slot)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((ChannelId(self.base + i as u64), s.as_ref()?)))
    }
}

/// A resolved channel URI.
#[derive(Clone)]
pub(crate) struct ChannelRef {
    pub id: ChannelId,
    pub(super) authenticated: bool,
    pub(super) device: Arc<Device>,
}
