//! The graph model the tests use.

use query_dsl::types::{Float, Int, Str};
use query_dsl::{label, relationship};

label! {
    pub Person = "Person" {
        pub const NAME: Str = "name";
        pub const AGE: Int = "age";
    }
}
label! {
    pub Movie = "Movie" {
        pub const TITLE: Str = "title";
        pub const RELEASED: Int = "released";
        pub const RATING: Float = "rating";
    }
}
relationship! {
    pub ActedIn = "ACTED_IN" (Person -> Movie) {}
}
relationship! {
    pub Knows = "KNOWS" (Person -> Person) {
        pub const SINCE: Int = "since";
    }
}
