//! The catalog's graph model, as typed items for the `query-dsl` crate.
//!
//! ```text
//! (Machine)-[:BELONGS_TO_CATEGORY]->(Category)-[:SUBCATEGORY_OF]->(Category)
//! (Machine)-[:IS_OF_MODEL]->(Model)<-[:MADE_MODEL]-(Maker)
//! (Model)-[:HAS_SPEC]->(Spec)-[:BELONGS_TO_SPEC_CATEGORY]->(SpecCategory)
//! ```
//!
//! Every node has a string `id` property holding the marketplace's id (for `Spec`, the
//! model id and spec category id joined by `/`). Because labels and relationship types
//! are types, a pattern such as `(:Maker)-[:IS_OF_MODEL]->(:Model)` or a comparison of
//! `Machine.year` with a string does not compile.

use query_dsl::types::{Float, Int, Str};
use query_dsl::{label, relationship};

label! {
    /// One listed unit of a model.
    pub Machine = "Machine" {
        /// The marketplace's machine id.
        pub const ID: Str = "id";
        /// Model year.
        pub const YEAR: Int = "year";
        /// Hour meter reading.
        pub const HOURS: Int = "hours";
        /// Asking price in the listing's currency (converted when a search runs, at the
        /// latest published rates).
        pub const PRICE: Float = "price";
        /// ISO 4217 code of `PRICE`.
        pub const CURRENCY: Str = "currency";
        /// ISO 3166-1 country where the machine stands.
        pub const COUNTRY: Str = "country";
        /// `live`, `sold` or `withdrawn`.
        pub const STATUS: Str = "status";
        /// When it was listed, in seconds since the Unix epoch.
        pub const LISTED_AT: Int = "listed_at";
        /// The dense numeric key shared with the text index.
        pub const KEY: Int = "key";
        /// The listing's own category id, when it overrides the model's.
        pub const OWN_CATEGORY: Str = "own_category";
    }
}

label! {
    /// A model number made by one maker.
    pub Model = "Model" {
        /// The marketplace's model id.
        pub const ID: Str = "id";
        /// The model number as the maker writes it.
        pub const NAME: Str = "name";
        /// The id of the category its machines belong to by default.
        pub const CATEGORY: Str = "category";
    }
}

label! {
    /// A manufacturer.
    pub Maker = "Maker" {
        /// The marketplace's maker id.
        pub const ID: Str = "id";
        /// Names per language, as the JSON of the event (a graph property holds no map).
        pub const NAMES: Str = "names";
    }
}

label! {
    /// A node of the category tree.
    pub Category = "Category" {
        /// The marketplace's category id.
        pub const ID: Str = "id";
        /// Names per language, as JSON.
        pub const NAMES: Str = "names";
    }
}

label! {
    /// A model's value in one spec category.
    pub Spec = "Spec" {
        /// `model_id/spec_category_id`.
        pub const ID: Str = "id";
        /// The value, when the spec category holds numbers.
        pub const NUMBER: Float = "number";
        /// The value, when the spec category holds texts.
        pub const TEXT: Str = "text";
    }
}

label! {
    /// A dimension on which models are described (operating weight, engine power…).
    pub SpecCategory = "SpecCategory" {
        /// The marketplace's spec category id.
        pub const ID: Str = "id";
        /// Unit of numeric values.
        pub const UNIT: Str = "unit";
        /// `number` or `text`.
        pub const KIND: Str = "kind";
        /// Names per language, as JSON.
        pub const NAMES: Str = "names";
    }
}

relationship! {
    /// A machine's category (its model's, unless the listing says otherwise).
    pub BelongsToCategory = "BELONGS_TO_CATEGORY" (Machine -> Category) {}
}

relationship! {
    /// A machine's model.
    pub IsOfModel = "IS_OF_MODEL" (Machine -> Model) {}
}

relationship! {
    /// The maker of a model.
    pub MadeModel = "MADE_MODEL" (Maker -> Model) {}
}

relationship! {
    /// A model's spec values.
    pub HasSpec = "HAS_SPEC" (Model -> Spec) {}
}

relationship! {
    /// The dimension a spec value belongs to.
    pub BelongsToSpecCategory = "BELONGS_TO_SPEC_CATEGORY" (Spec -> SpecCategory) {}
}

relationship! {
    /// The category tree: a category points to its parent.
    pub SubcategoryOf = "SUBCATEGORY_OF" (Category -> Category) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use query_dsl::schema::{Label, RelType};

    #[test]
    fn names_are_the_marketplace_s() {
        assert_eq!(Machine::NAME, "Machine");
        assert_eq!(SpecCategory::NAME, "SpecCategory");
        assert_eq!(IsOfModel::NAME, "IS_OF_MODEL");
        assert_eq!(
            <BelongsToSpecCategory as RelType>::NAME,
            "BELONGS_TO_SPEC_CATEGORY"
        );
        assert_eq!(Machine::YEAR.key(), "year");
    }
}

label! {
    /// Where a projection stands in the event log, stored with the graph it describes.
    pub IndexerOffset = "IndexerOffset" {
        /// The projection's name.
        pub const NAME: Str = "name";
        /// The position after the last event applied.
        pub const POSITION: Int = "position";
    }
}
