//! The catalog's entities as the marketplace describes them in events.
//!
//! Field names are the wire names of the event contract (`docs/events.md`); every type
//! validates itself while it is decoded, so a value of one of these types is always
//! within the contract.

use crate::ids::{CategoryId, MachineId, MakerId, ModelId, SpecCategoryId};
use crate::images::Images;
use crate::text::Text;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// A node of the category tree ("mini excavators" under "excavators").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// The category's id.
    #[serde(rename = "category_id")]
    pub id: CategoryId,
    /// The parent category; `None` for a root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<CategoryId>,
    /// Display names.
    pub names: Text,
}

/// Whether a spec category holds numbers (ranges, histograms) or text values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpecKind {
    /// Numbers, in the spec category's unit.
    Number,
    /// Free text values such as a fuel type.
    Text,
}

/// A dimension on which models are described, such as operating weight in tonnes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecCategory {
    /// The spec category's id.
    #[serde(rename = "spec_category_id")]
    pub id: SpecCategoryId,
    /// Display names.
    pub names: Text,
    /// Unit of numeric values, such as `t`, `kW` or `m³`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Number or text.
    pub kind: SpecKind,
}

/// A manufacturer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Maker {
    /// The maker's id.
    #[serde(rename = "maker_id")]
    pub id: MakerId,
    /// Names in the scripts buyers use (コマツ, Komatsu, 小松…).
    pub names: Text,
}

/// A spec value: a number or a text, matching its spec category's kind.
#[derive(Debug, Clone, PartialEq)]
pub enum SpecValue {
    /// A finite number in the spec category's unit.
    Number(f64),
    /// A text value.
    Text(String),
}

impl SpecValue {
    /// The kind of spec category this value fits.
    pub fn kind(&self) -> SpecKind {
        match self {
            SpecValue::Number(_) => SpecKind::Number,
            SpecValue::Text(_) => SpecKind::Text,
        }
    }
}

impl Serialize for SpecValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            SpecValue::Number(n) => s.serialize_f64(*n),
            SpecValue::Text(t) => s.serialize_str(t),
        }
    }
}

impl<'de> Deserialize<'de> for SpecValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = SpecValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a spec value: a number or a non-empty string")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<SpecValue, E> {
                Ok(SpecValue::Number(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<SpecValue, E> {
                Ok(SpecValue::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<SpecValue, E> {
                Ok(SpecValue::Number(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SpecValue, E> {
                if v.trim().is_empty() {
                    return Err(E::custom("a text spec value must not be empty"));
                }
                Ok(SpecValue::Text(v.to_owned()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A model's value for one spec category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Which dimension this value is for.
    pub spec_category_id: SpecCategoryId,
    /// The value.
    pub value: SpecValue,
}

/// A model number made by one maker, in one category ("PC200-8" by Komatsu).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// The model's id.
    #[serde(rename = "model_id")]
    pub id: ModelId,
    /// Who makes it.
    pub maker_id: MakerId,
    /// The category its machines belong to unless a listing says otherwise.
    pub category_id: CategoryId,
    /// The model number as the maker writes it.
    pub name: String,
    /// Its specs; at most one per spec category.
    #[serde(default)]
    pub specs: Vec<Spec>,
}

/// A model year: 1900 to 2100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Year(u16);

impl Year {
    /// Earliest year accepted.
    pub const MIN: u16 = 1900;
    /// Latest year accepted.
    pub const MAX: u16 = 2100;

    /// A year, if within range.
    pub fn new(y: i64) -> Option<Year> {
        (i64::from(Self::MIN)..=i64::from(Self::MAX))
            .contains(&y)
            .then_some(Year(y as u16))
    }

    /// The year as a number.
    pub fn get(self) -> u16 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Year {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let y = i64::deserialize(d)?;
        Year::new(y).ok_or_else(|| {
            de::Error::custom(format_args!(
                "expected a year from {} to {}, got {y}",
                Year::MIN,
                Year::MAX
            ))
        })
    }
}

/// Operating hours on the machine's hour meter: a whole number, never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Hours(u32);

impl Hours {
    /// Hours, if not negative and below a million.
    pub fn new(h: i64) -> Option<Hours> {
        (0..1_000_000).contains(&h).then_some(Hours(h as u32))
    }

    /// The hours as a number.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Hours {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let h = i64::deserialize(d)?;
        if h < 0 {
            return Err(de::Error::custom(format_args!(
                "hours must not be negative, got {h}"
            )));
        }
        Hours::new(h)
            .ok_or_else(|| de::Error::custom(format_args!("expected hours below 1000000, got {h}")))
    }
}

/// Declares a code of uppercase ASCII letters with a fixed length (currency, country).
macro_rules! upper_code {
    ($(#[$meta:meta])* $name:ident, $len:literal, $what:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name([u8; $len]);

        impl $name {
            /// Parses a code of uppercase ASCII letters.
            pub fn new(s: &str) -> Option<$name> {
                let b: [u8; $len] = s.as_bytes().try_into().ok()?;
                b.iter().all(u8::is_ascii_uppercase).then_some($name(b))
            }

            /// The code as a string slice.
            pub fn as_str(&self) -> &str {
                std::str::from_utf8(&self.0).expect("codes are ASCII")
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> {
                        $name::new(v).ok_or_else(|| {
                            E::custom(format_args!("expected {}, got `{v}`", $what))
                        })
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

upper_code!(
    /// An ISO 4217 currency code such as `JPY`, `USD` or `EUR`.
    Currency,
    3,
    "a currency code of three uppercase letters (ISO 4217, such as JPY)"
);
upper_code!(
    /// An ISO 3166-1 alpha-2 country code such as `JP` or `DE`.
    Country,
    2,
    "a country code of two uppercase letters (ISO 3166-1, such as JP)"
);

impl Currency {
    /// The US dollar, the unit prices are compared in.
    pub const USD: Currency = Currency(*b"USD");

    /// Number of distinct codes: the bound of [`Currency::dense`].
    pub const DENSE_CODES: usize = 26 * 26 * 26;

    /// The code as a number below [`Currency::DENSE_CODES`] (its letters in base 26): a
    /// small array indexed by it is the fastest rate table, and it fits a fast field.
    pub fn dense(self) -> u16 {
        self.0
            .iter()
            .fold(0u16, |n, b| n * 26 + u16::from(b - b'A'))
    }

    /// The code of a number from [`Currency::dense`].
    pub fn from_dense(n: u16) -> Option<Currency> {
        if usize::from(n) >= Self::DENSE_CODES {
            return None;
        }
        let letter = |k: u16| b'A' + (k % 26) as u8;
        Some(Currency([letter(n / 676), letter(n / 26), letter(n)]))
    }
}

/// An asking price.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Amount in the currency's main unit; finite, never negative.
    #[serde(deserialize_with = "non_negative_amount")]
    pub amount: f64,
    /// The currency.
    pub currency: Currency,
}

fn non_negative_amount<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let a = f64::deserialize(d)?;
    if a < 0.0 {
        return Err(de::Error::custom(format_args!(
            "a price must not be negative, got {a}"
        )));
    }
    Ok(a)
}

/// Where a machine stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// The country.
    pub country: Country,
    /// Region, state or city, as the seller writes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// One listed machine: a unit of a model, for sale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Machine {
    /// The machine's id.
    #[serde(rename = "machine_id")]
    pub id: MachineId,
    /// Its model.
    pub model_id: ModelId,
    /// Its category; `None` means the model's category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_id: Option<CategoryId>,
    /// The listing's title.
    pub title: Text,
    /// The listing's description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    /// Model year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<Year>,
    /// Hour meter reading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<Hours>,
    /// Asking price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Price>,
    /// Where it stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Photos, the first shown on hit cards; links only, never fetched.
    #[serde(default, skip_serializing_if = "Images::is_empty")]
    pub images: Images,
}

/// A change to one optional field: keep it, clear it (`null`), or set it.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Patch<T> {
    /// The field was not mentioned: keep the current value.
    #[default]
    Keep,
    /// The field was `null`: remove the current value.
    Clear,
    /// The field was given: replace the current value.
    Set(T),
}

impl<T> Patch<T> {
    /// Whether the field was not mentioned.
    pub fn is_keep(&self) -> bool {
        matches!(self, Patch::Keep)
    }

    /// The same change of a converted value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Patch::Keep => Patch::Keep,
            Patch::Clear => Patch::Clear,
            Patch::Set(v) => Patch::Set(f(v)),
        }
    }

    /// Applies the change to a current value.
    pub fn apply_to(self, current: &mut Option<T>) {
        match self {
            Patch::Keep => {}
            Patch::Clear => *current = None,
            Patch::Set(v) => *current = Some(v),
        }
    }
}

impl<T: Serialize> Serialize for Patch<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Patch::Set(v) => v.serialize(s),
            Patch::Keep | Patch::Clear => s.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            Some(v) => Patch::Set(v),
            None => Patch::Clear,
        })
    }
}

/// The fields of a listing that a `MachineUpdated` event changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MachineChanges {
    /// The machine changed.
    pub machine_id: MachineId,
    /// A new model.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub model_id: Option<ModelId>,
    /// A new category; `null` returns to the model's category.
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub category_id: Patch<CategoryId>,
    /// A new title.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub title: Option<Text>,
    /// A new description, or `null` to remove it.
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub description: Patch<Text>,
    /// A new year, or `null` to remove it.
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub year: Patch<Year>,
    /// New hours, or `null` to remove them.
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub hours: Patch<Hours>,
    /// A new price, or `null` to remove it.
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub price: Patch<Price>,
    /// A new location, or `null` to remove it.
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub location: Patch<Location>,
    /// New photos (replacing all of them), or `null` or `[]` to remove them.
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub images: Patch<Images>,
}

/// A field that may be left out but, when given, must not be `null`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

impl MachineChanges {
    /// Whether the event changes nothing (no field besides the id).
    pub fn is_empty(&self) -> bool {
        self.model_id.is_none()
            && self.category_id.is_keep()
            && self.title.is_none()
            && self.description.is_keep()
            && self.year.is_keep()
            && self.hours.is_keep()
            && self.price.is_keep()
            && self.location.is_keep()
            && self.images.is_keep()
    }

    /// Applies the changes to a listing.
    pub fn apply_to(self, m: &mut Machine) {
        if let Some(model) = self.model_id {
            m.model_id = model;
        }
        if let Some(title) = self.title {
            m.title = title;
        }
        self.category_id.apply_to(&mut m.category_id);
        self.description.apply_to(&mut m.description);
        self.year.apply_to(&mut m.year);
        self.hours.apply_to(&mut m.hours);
        self.price.apply_to(&mut m.price);
        self.location.apply_to(&mut m.location);
        match self.images {
            Patch::Keep => {}
            Patch::Clear => m.images = Images::default(),
            Patch::Set(images) => m.images = images,
        }
    }
}
