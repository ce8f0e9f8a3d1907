//! Photos of a listing: links the marketplace hosts, checked so that a page can put
//! them in an `<img src>` as they are.
//!
//! Stockyard never fetches them. It only guarantees what a front end needs to trust a
//! link it did not write: an absolute `https` URL with a host, no credentials, no
//! spaces or control characters, of a sane length, and no more photos than a listing
//! page shows.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The most photos a listing may carry.
pub const MAX_IMAGES: usize = 20;

/// The longest photo URL accepted, in bytes (what browsers and CDNs handle everywhere).
pub const MAX_URL_LEN: usize = 2048;

/// One photo's URL: absolute, `https`, with a host and without credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ImageUrl(String);

/// Why a photo URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageUrlError {
    /// Longer than [`MAX_URL_LEN`].
    #[error("a photo URL must be at most {MAX_URL_LEN} bytes, got {0}")]
    TooLong(usize),
    /// Not a URL at all.
    #[error("not a URL ({0})")]
    Malformed(url::ParseError),
    /// Another scheme than `https` (pages served over https block mixed content).
    #[error("a photo URL must use https, got {0}:")]
    NotHttps(String),
    /// User name or password in the URL.
    #[error("a photo URL must not carry credentials")]
    Credentials,
    /// Characters the parser would have escaped or dropped: the link must be sent as
    /// the front end will use it.
    #[error("a photo URL must be written as it is used (no spaces, control characters or unescaped non-ASCII)")]
    NotCanonical,
}

impl ImageUrl {
    /// Checks `raw` against the rules above.
    pub fn new(raw: impl Into<String>) -> Result<ImageUrl, ImageUrlError> {
        let raw = raw.into();
        if raw.len() > MAX_URL_LEN {
            return Err(ImageUrlError::TooLong(raw.len()));
        }
        if raw
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || !c.is_ascii())
        {
            return Err(ImageUrlError::NotCanonical);
        }
        let url = url::Url::parse(&raw).map_err(ImageUrlError::Malformed)?;
        if url.scheme() != "https" {
            return Err(ImageUrlError::NotHttps(url.scheme().to_owned()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(ImageUrlError::Credentials);
        }
        Ok(ImageUrl(raw))
    }

    /// The URL as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ImageUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ImageUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        ImageUrl::new(raw.as_str()).map_err(|e| de::Error::custom(format_args!("{raw:?}: {e}")))
    }
}

/// A listing's photos, first shown first; at most [`MAX_IMAGES`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Images(Vec<ImageUrl>);

impl Images {
    /// Photos in the order given, refused past [`MAX_IMAGES`].
    pub fn new(urls: Vec<ImageUrl>) -> Result<Images, usize> {
        if urls.len() > MAX_IMAGES {
            return Err(urls.len());
        }
        Ok(Images(urls))
    }

    /// The photo a hit card shows.
    pub fn first(&self) -> Option<&ImageUrl> {
        self.0.first()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// All of them, in order.
    pub fn iter(&self) -> impl Iterator<Item = &ImageUrl> {
        self.0.iter()
    }
}

impl<'de> Deserialize<'de> for Images {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let urls = Vec::<ImageUrl>::deserialize(d)?;
        Images::new(urls).map_err(|n| {
            de::Error::custom(format_args!(
                "a listing carries at most {MAX_IMAGES} photos, got {n}"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Images, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn https_links_with_a_host_are_kept_in_order() {
        let images = parse(
            r#"["https://cdn.example.com/a/1.jpg","https://cdn.example.com/a/2.webp?w=640"]"#,
        )
        .unwrap();
        let urls: Vec<_> = images.iter().map(ImageUrl::as_str).collect();
        assert_eq!(
            urls,
            [
                "https://cdn.example.com/a/1.jpg",
                "https://cdn.example.com/a/2.webp?w=640"
            ]
        );
        assert_eq!(images.first().unwrap().as_str(), urls[0]);
    }

    #[test]
    fn each_rule_names_what_is_wrong() {
        let cases = [
            (r#"["http://cdn.example.com/1.jpg"]"#, "must use https"),
            (r#"["javascript:alert(1)"]"#, "must use https"),
            (r#"["/photos/1.jpg"]"#, "not a URL"),
            (r#"["https://"]"#, "not a URL"),
            (r#"["https://me:pw@cdn.example.com/1.jpg"]"#, "credentials"),
            (
                r#"["https://cdn.example.com/a b.jpg"]"#,
                "written as it is used",
            ),
            (
                r#"["https://cdn.example.com/写真.jpg"]"#,
                "written as it is used",
            ),
            (r#"[7]"#, "expected a string"),
        ];
        for (json, says) in cases {
            let err = parse(json).unwrap_err();
            assert!(err.contains(says), "{json}: {err}");
        }
        let long = format!(r#"["https://cdn.example.com/{}"]"#, "a".repeat(MAX_URL_LEN));
        assert!(parse(&long).unwrap_err().contains("at most 2048 bytes"));
    }

    #[test]
    fn twenty_photos_are_taken_and_twenty_one_are_not() {
        let list = |n: usize| {
            let urls: Vec<_> = (0..n)
                .map(|i| format!("\"https://cdn.example.com/{i}.jpg\""))
                .collect();
            format!("[{}]", urls.join(","))
        };
        assert_eq!(parse(&list(MAX_IMAGES)).unwrap().iter().count(), MAX_IMAGES);
        let err = parse(&list(MAX_IMAGES + 1)).unwrap_err();
        assert!(err.contains("at most 20 photos, got 21"), "{err}");
    }
}
