//! The tantivy schema, shared by the listing index and the catalog vocabulary (which
//! sets the text fields and `entity` only).

use super::analysis::tokenizer;
use stockyard_schema::Lang;
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, FAST, STORED,
    STRING,
};

/// Text fields, one per language group: each group has its own analyser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// English, stemmed.
    En,
    /// German, stemmed.
    De,
    /// French, stemmed.
    Fr,
    /// Spanish, stemmed.
    Es,
    /// Russian, stemmed.
    Ru,
    /// Japanese, Chinese and Korean: bigrams.
    Cjk,
    /// Any other or unknown language: words, no stemming.
    Other,
}

impl Group {
    /// Every group, in field order.
    pub const ALL: [Group; 7] = [
        Group::En,
        Group::De,
        Group::Fr,
        Group::Es,
        Group::Ru,
        Group::Cjk,
        Group::Other,
    ];

    /// The group text of a language is indexed in.
    pub fn of(lang: Option<Lang>) -> Group {
        match lang {
            Some(Lang::EN) => Group::En,
            Some(Lang::DE) => Group::De,
            Some(Lang::FR) => Group::Fr,
            Some(Lang::ES) => Group::Es,
            Some(Lang::RU) => Group::Ru,
            Some(Lang::JA) | Some(Lang::ZH) | Some(Lang::KO) => Group::Cjk,
            _ => Group::Other,
        }
    }

    fn field_name(self) -> &'static str {
        match self {
            Group::En => "text_en",
            Group::De => "text_de",
            Group::Fr => "text_fr",
            Group::Es => "text_es",
            Group::Ru => "text_ru",
            Group::Cjk => "text_cjk",
            Group::Other => "text_other",
        }
    }

    fn index(self) -> usize {
        Group::ALL
            .iter()
            .position(|x| *x == self)
            .expect("every group is listed")
    }

    fn title_field_name(self) -> &'static str {
        match self {
            Group::En => "title_en",
            Group::De => "title_de",
            Group::Fr => "title_fr",
            Group::Es => "title_es",
            Group::Ru => "title_ru",
            Group::Cjk => "title_cjk",
            Group::Other => "title_other",
        }
    }

    fn tokenizer(self) -> &'static str {
        match self {
            Group::En => tokenizer::EN,
            Group::De => tokenizer::DE,
            Group::Fr => tokenizer::FR,
            Group::Es => tokenizer::ES,
            Group::Ru => tokenizer::RU,
            Group::Cjk | Group::Other => tokenizer::WORDS,
        }
    }
}

/// The fields of the index.
#[derive(Debug, Clone)]
pub struct Fields {
    /// The marketplace's machine id: indexed (for deletes), stored, fast.
    pub machine_id: Field,
    /// The caller's dense numeric id of the machine, for handing hit sets onward.
    pub key: Field,
    /// Model, maker and category ids (indexed for catalog matches, fast for the graph
    /// side); `category_id` holds the listing's category and all its ancestors.
    pub model_id: Field,
    /// See `model_id`.
    pub maker_id: Field,
    /// See `model_id`.
    pub category_id: Field,
    /// Model year.
    pub year: Field,
    /// Hour meter reading.
    pub hours: Field,
    /// Asking price as listed, in `currency`: sorting converts it with the rates of
    /// the search, so a new rate set reindexes nothing.
    pub price: Field,
    /// The price's currency as [`stockyard_schema::domain::Currency::dense`].
    pub currency: Field,
    /// Listing time, seconds since the Unix epoch.
    pub listed_at: Field,
    /// Bit set of the languages the listing is written in ([`super::LangSet`]).
    pub langs: Field,
    /// The listing as it was indexed ([`super::StoredListing`] as JSON): shown with
    /// hits, and the source a listing is rebuilt from when its catalog changes.
    pub source: Field,
    /// Text fields by language group, in [`Group::ALL`] order.
    pub text: [Field; 7],
    /// The title's words again, by language group (documents only: no frequencies or
    /// positions, as only whether a title holds a word counts): a word found in the
    /// title ranks above one found only in the description (`docs/ranking.md`).
    pub title: [Field; 7],
    /// Character n-grams of all text.
    pub ngram: Field,
    /// Normalised model numbers and maker names, for prefix matching (catalog).
    pub code: Field,
    /// `maker:ID`, `model:ID` or `category:ID` of a catalog vocabulary document.
    pub entity: Field,
}

impl Fields {
    /// Builds the schema and its field handles.
    pub fn schema() -> (Schema, Fields) {
        let mut b = Schema::builder();
        let fast_u64 = || NumericOptions::default().set_fast();
        let positions = |tokenizer| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tokenizer)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
        };
        let freqs = |tokenizer| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tokenizer)
                    .set_index_option(IndexRecordOption::WithFreqs),
            )
        };
        let fields = Fields {
            machine_id: b.add_text_field("machine_id", STRING | STORED | FAST),
            key: b.add_u64_field("key", fast_u64()),
            model_id: b.add_text_field("model_id", STRING | FAST),
            maker_id: b.add_text_field("maker_id", STRING | FAST),
            category_id: b.add_text_field("category_id", STRING | FAST),
            year: b.add_u64_field("year", fast_u64()),
            hours: b.add_u64_field("hours", fast_u64()),
            price: b.add_f64_field("price", NumericOptions::default().set_fast()),
            currency: b.add_u64_field("currency", fast_u64()),
            listed_at: b.add_i64_field("listed_at", NumericOptions::default().set_fast()),
            langs: b.add_u64_field("langs", fast_u64()),
            source: b.add_text_field("source", STORED),
            text: Group::ALL.map(|g| b.add_text_field(g.field_name(), positions(g.tokenizer()))),
            title: Group::ALL.map(|g| {
                let basic = TextFieldIndexing::default()
                    .set_tokenizer(g.tokenizer())
                    .set_index_option(IndexRecordOption::Basic);
                b.add_text_field(
                    g.title_field_name(),
                    TextOptions::default().set_indexing_options(basic),
                )
            }),
            ngram: b.add_text_field("text__ngram", freqs(tokenizer::NGRAM)),
            code: b.add_text_field("code", freqs(tokenizer::CODE)),
            entity: b.add_text_field("entity", STRING | STORED),
        };
        (b.build(), fields)
    }

    /// The text field of a group.
    pub fn text(&self, g: Group) -> Field {
        self.text[g.index()]
    }

    /// The title field of a group.
    pub fn title(&self, g: Group) -> Field {
        self.title[g.index()]
    }
}
