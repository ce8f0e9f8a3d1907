//! What the alerts keep of each listing's text: its words as vocabulary ids and its
//! titles, packed.

use crate::search::analysis::word_terms;
use foldhash::HashMap;
use stockyard_schema::{Lang, Text};

/// What the alerts keep of a listing besides the graph: its words and its title,
/// packed, since a large catalog holds a million of them (one allocation for the
/// words, a small one per title language; a `Text` map would cost several times
/// more).
#[derive(Default, Clone)]
pub(super) struct Listing {
    /// Vocabulary ids of the words of its title, then of its description, each part
    /// sorted.
    pub(super) words: Box<[u32]>,
    /// Where the description's words start in `words`.
    pub(super) title_len: u32,
    /// Its title in each language given (`None`: a language not known).
    pub(super) title: Box<[(Option<Lang>, Box<str>)]>,
}

impl Listing {
    pub(super) fn title_words(&self) -> &[u32] {
        &self.words[..self.title_len as usize]
    }

    pub(super) fn description_words(&self) -> &[u32] {
        &self.words[self.title_len as usize..]
    }

    pub(super) fn has(&self, word: u32) -> bool {
        self.title_words().binary_search(&word).is_ok()
            || self.description_words().binary_search(&word).is_ok()
    }

    pub(super) fn words(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().copied()
    }

    /// Replaces the title's words, the description's, or both.
    pub(super) fn set_words(&mut self, title: Option<Vec<u32>>, description: Option<Vec<u32>>) {
        let mut words = title.unwrap_or_else(|| self.title_words().to_vec());
        let title_len = words.len() as u32;
        match description {
            Some(d) => words.extend(d),
            None => words.extend_from_slice(self.description_words()),
        }
        self.words = words.into_boxed_slice();
        self.title_len = title_len;
    }

    /// The title for a reader of `lang`, chosen as [`Text::best`] chooses.
    pub(super) fn title(&self, lang: Lang) -> &str {
        let find = |l: Lang| self.title.iter().find(|(x, _)| *x == Some(l));
        find(lang)
            .or_else(|| find(Lang::EN))
            .or_else(|| self.title.first())
            .map_or("", |(_, t)| t)
    }
}

/// Words to dense ids and back.
#[derive(Default)]
pub(super) struct Vocabulary {
    ids: HashMap<Box<str>, u32>,
    spelled: Vec<Box<str>>,
}

impl Vocabulary {
    pub(super) fn get(&self, w: &str) -> Option<u32> {
        self.ids.get(w).copied()
    }

    pub(super) fn spell(&self, id: u32) -> &str {
        &self.spelled[id as usize]
    }

    /// The sorted, distinct ids of the words of `text`, adding new words.
    pub(super) fn ids_of(&mut self, text: &Text) -> Vec<u32> {
        let mut ids: Vec<u32> = Vec::new();
        for (_, t) in text.iter() {
            for w in word_terms(t) {
                let id = match self.ids.get(w.as_str()) {
                    Some(&id) => id,
                    None => {
                        let id = self.spelled.len() as u32;
                        let w: Box<str> = w.into();
                        self.spelled.push(w.clone());
                        self.ids.insert(w, id);
                        id
                    }
                };
                ids.push(id);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}
