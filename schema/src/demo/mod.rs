//! A deterministic generator of realistic catalog events.
//!
//! Same seed and size, same bytes: the bundled demo file (`data/demo-catalog.ndjson`) is
//! exactly `stockyard generate --seed 2026 --listings 3000`, and a test keeps it so. The
//! stream starts with the catalog (categories, spec categories, makers, models), then the
//! listings, then what happens to them: updates, a maker renamed, spec changes, sales and
//! withdrawals, so that it exercises every event type. Listings are written in Japanese,
//! English, Chinese, Korean, German, French, Spanish and Russian, some in two languages
//! and some as plain strings whose language is left to detection.
//!
//! The generator is an iterator and keeps 16 bytes per listing, so millions of listings
//! stream to stdout for benchmarks.

mod catalog;
mod listing;
mod rng;

pub use rng::Rng;

use crate::domain::{
    Category, Country, Currency, Hours, Location, Machine, MachineChanges, Maker, Model, Patch,
    Price, Spec, SpecCategory, SpecKind, SpecValue, Year,
};
use crate::event::{CurrencyRates, Event, MachineRef, ModelSpecs, Payload, Timestamp};
use crate::ids::{CategoryId, EventId, MachineId, MakerId, ModelId, SpecCategoryId};
use crate::images::{ImageUrl, Images};
use crate::text::Text;
use crate::Lang;
use catalog::{CategoryDef, Names, CATEGORIES, DOOSAN_RENAMED, MAKERS, MODELS, SPEC_CATEGORIES};
use listing::Subject;
use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Write};

/// The seed of the bundled demo file.
pub const DEMO_SEED: u64 = 2026;
/// The number of listings in the bundled demo file.
pub const DEMO_LISTINGS: usize = 3000;
/// The bundled demo file, relative to the workspace root.
pub const DEMO_FILE: &str = "data/demo-catalog.ndjson";

/// When the generated history starts: 2026-01-05T00:00:00Z.
const START_UNIX: i64 = 1_767_571_200;

/// Where listings come from, and how sellers there write and price them.
struct Market {
    country: &'static str,
    /// Relative share of listings.
    weight: u32,
    lang: listing::Lang,
    currency: &'static str,
    /// Units of the currency per US dollar.
    per_usd: f64,
    regions: &'static [&'static str],
}

const MARKETS: &[Market] = &[
    Market {
        country: "JP",
        weight: 30,
        lang: listing::Lang::Ja,
        currency: "JPY",
        per_usd: 150.0,
        regions: &[
            "Hokkaido", "Aichi", "Osaka", "Chiba", "Fukuoka", "Saitama", "Hyogo",
        ],
    },
    Market {
        country: "US",
        weight: 12,
        lang: listing::Lang::En,
        currency: "USD",
        per_usd: 1.0,
        regions: &["Texas", "California", "Florida", "Ohio"],
    },
    Market {
        country: "CN",
        weight: 10,
        lang: listing::Lang::Zh,
        currency: "CNY",
        per_usd: 7.2,
        regions: &["Shanghai", "Jiangsu", "Guangdong", "Shandong"],
    },
    Market {
        country: "DE",
        weight: 8,
        lang: listing::Lang::De,
        currency: "EUR",
        per_usd: 0.92,
        regions: &["Bayern", "Nordrhein-Westfalen", "Niedersachsen"],
    },
    Market {
        country: "KR",
        weight: 6,
        lang: listing::Lang::Ko,
        currency: "KRW",
        per_usd: 1350.0,
        regions: &["Gyeonggi", "Busan", "Incheon"],
    },
    Market {
        country: "FR",
        weight: 6,
        lang: listing::Lang::Fr,
        currency: "EUR",
        per_usd: 0.92,
        regions: &["Île-de-France", "Auvergne-Rhône-Alpes", "Occitanie"],
    },
    Market {
        country: "ES",
        weight: 5,
        lang: listing::Lang::Es,
        currency: "EUR",
        per_usd: 0.92,
        regions: &["Madrid", "Valencia", "Andalucía"],
    },
    Market {
        country: "RU",
        weight: 5,
        lang: listing::Lang::Ru,
        currency: "RUB",
        per_usd: 90.0,
        regions: &["Moskva", "Sverdlovsk", "Tatarstan"],
    },
    Market {
        country: "GB",
        weight: 5,
        lang: listing::Lang::En,
        currency: "GBP",
        per_usd: 0.79,
        regions: &["Yorkshire", "Kent", "West Midlands"],
    },
    Market {
        country: "AU",
        weight: 4,
        lang: listing::Lang::En,
        currency: "AUD",
        per_usd: 1.5,
        regions: &["Queensland", "Western Australia", "Victoria"],
    },
    Market {
        country: "NL",
        weight: 4,
        lang: listing::Lang::En,
        currency: "EUR",
        per_usd: 0.92,
        regions: &["Noord-Brabant", "Gelderland"],
    },
    Market {
        country: "TH",
        weight: 5,
        lang: listing::Lang::En,
        currency: "THB",
        per_usd: 35.0,
        regions: &["Chonburi", "Bangkok", "Rayong"],
    },
];

/// A model as the generator needs it.
struct ModelInfo {
    id: ModelId,
    maker: usize,
    category: usize,
    name: &'static str,
    /// Position from the smallest (0) to the largest (1) model of its maker and category.
    size: f64,
}

/// What the tail of the stream needs to know about a listing.
#[derive(Clone, Copy)]
struct Listed {
    country: u8,
    hours: Option<u32>,
    price: Option<f32>,
}

/// The event stream of a generated catalog; see the [module docs](self).
pub struct Generator {
    rng: Rng,
    listings: usize,
    models: Vec<ModelInfo>,
    country_weights: Vec<(usize, u32)>,
    listed: Vec<Listed>,
    queue: VecDeque<Event>,
    next_listing: usize,
    next_tail: usize,
    seq: u64,
    clock: i64,
}

/// The events of a generated catalog.
pub fn generate(seed: u64, listings: usize) -> Generator {
    let mut g = Generator {
        rng: Rng::new(seed),
        listings,
        models: Vec::with_capacity(MODELS.len()),
        country_weights: MARKETS
            .iter()
            .enumerate()
            .map(|(i, m)| (i, m.weight))
            .collect(),
        listed: Vec::with_capacity(listings),
        queue: VecDeque::new(),
        next_listing: 0,
        next_tail: 0,
        seq: 0,
        clock: START_UNIX,
    };
    g.catalog();
    g
}

/// Writes a generated catalog as NDJSON; returns the number of events written.
pub fn write_ndjson(seed: u64, listings: usize, out: impl Write) -> io::Result<u64> {
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    let mut count = 0;
    for event in generate(seed, listings) {
        serde_json::to_writer(&mut out, &event)?;
        out.write_all(b"\n")?;
        count += 1;
    }
    out.flush()?;
    Ok(count)
}

/// Photo links of listing `n`: none for one listing in five, else one to four, under a
/// reserved `.example` host (nothing is fetched). Drawn from `n`, not the random
/// stream, so every other field of a seed's catalog stays what it was before photos.
fn photos(n: usize) -> Images {
    let count = (n * 7 + 3) % 5;
    let urls = (1..=count)
        .map(|i| {
            ImageUrl::new(format!(
                "https://photos.stockyard.example/M-{:07}/{i}.jpg",
                n + 1
            ))
            .expect("a valid photo URL")
        })
        .collect();
    Images::new(urls).expect("at most four photos")
}

fn text(names: Names) -> Text {
    Text::Langs(
        names
            .iter()
            .map(|(l, t)| {
                (
                    l.parse::<Lang>().expect("demo languages are valid"),
                    (*t).to_owned(),
                )
            })
            .collect(),
    )
}

fn id<T>(r: Result<T, crate::ids::IdError>) -> T {
    r.expect("demo ids are valid")
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// Rounds to about three significant digits, as spec sheets print values.
fn spec_round(v: f64) -> f64 {
    let step = if v < 1.0 {
        0.01
    } else if v < 10.0 {
        0.1
    } else {
        1.0
    };
    ((v / step).round() * step * 100.0).round() / 100.0
}

impl Generator {
    fn event(&mut self, payload: Payload) -> Event {
        self.seq += 1;
        self.clock += self.rng.range(1, 240);
        let at = time::OffsetDateTime::from_unix_timestamp(self.clock)
            .expect("demo clock stays in range");
        Event {
            id: id(EventId::new(format!("e-{:08}", self.seq))),
            at: Timestamp::from(at),
            key: None,
            payload,
        }
    }

    fn push(&mut self, payload: Payload) {
        let e = self.event(payload);
        self.queue.push_back(e);
    }

    /// The exchange rates the markets price in, as one published set: the first event
    /// of the stream, so every price converts from the start. It takes nothing from the
    /// random stream or the event sequence, so the events after it are the same with or
    /// without it.
    fn rates(&mut self) {
        let rates = MARKETS
            .iter()
            .filter(|m| m.currency != "USD")
            .map(|m| (Currency::new(m.currency).expect("valid"), m.per_usd))
            .collect();
        let at = Timestamp::from(
            time::OffsetDateTime::from_unix_timestamp(START_UNIX).expect("in range"),
        );
        self.queue.push_back(Event {
            id: id(EventId::new("rates-0001")),
            at,
            key: None,
            payload: Payload::CurrencyRatesPublished(CurrencyRates {
                base: Currency::USD,
                rates,
                as_of: at,
            }),
        });
    }

    /// Queues the catalog events and prepares the model table.
    fn catalog(&mut self) {
        self.rates();
        for c in CATEGORIES {
            self.push(Payload::CategoryDefined(Category {
                id: id(CategoryId::new(c.id)),
                parent_id: c.parent.map(|p| id(CategoryId::new(p))),
                names: text(c.names),
            }));
        }
        for s in SPEC_CATEGORIES {
            self.push(Payload::SpecCategoryDefined(SpecCategory {
                id: id(SpecCategoryId::new(s.id)),
                names: text(s.names),
                unit: s.unit.map(str::to_owned),
                kind: if s.text_values.is_empty() {
                    SpecKind::Number
                } else {
                    SpecKind::Text
                },
            }));
        }
        for m in MAKERS {
            self.push(Payload::MakerRegistered(Maker {
                id: id(MakerId::new(m.id)),
                names: text(m.names),
            }));
        }
        for (i, (maker, category, name)) in MODELS.iter().enumerate() {
            let group: Vec<usize> = (0..MODELS.len())
                .filter(|&j| MODELS[j].0 == *maker && MODELS[j].1 == *category)
                .collect();
            let pos = group
                .iter()
                .position(|&j| j == i)
                .expect("model is in its group");
            let info = ModelInfo {
                id: id(ModelId::new(format!("{maker}-{}", slug(name)))),
                maker: MAKERS
                    .iter()
                    .position(|m| m.id == *maker)
                    .expect("known maker"),
                category: CATEGORIES
                    .iter()
                    .position(|c| c.id == *category)
                    .expect("known category"),
                name,
                size: (pos as f64 + 0.5) / group.len() as f64,
            };
            let specs = self.specs(info.category, info.size, name, 1.0);
            self.push(Payload::ModelRegistered(Model {
                id: info.id.clone(),
                maker_id: id(MakerId::new(*maker)),
                category_id: id(CategoryId::new(*category)),
                name: (*name).to_owned(),
                specs,
            }));
            self.models.push(info);
        }
    }

    /// A model's specs: numeric ones grow with its size, with some noise; `scale`
    /// shifts them (for spec corrections).
    fn specs(&mut self, category: usize, size: f64, name: &str, scale: f64) -> Vec<Spec> {
        let cat = &CATEGORIES[category];
        let mut specs: Vec<Spec> = cat
            .specs
            .iter()
            .map(|s| {
                let x = (size + self.rng.between(-0.08, 0.08)).clamp(0.0, 1.0);
                Spec {
                    spec_category_id: id(SpecCategoryId::new(s.id)),
                    value: SpecValue::Number(spec_round((s.lo + x * (s.hi - s.lo)) * scale)),
                }
            })
            .collect();
        let fuel = if name.contains("FBE") || (cat.id == "mini_excavators" && self.rng.chance(0.1))
        {
            "electric"
        } else if cat.id == "forklifts" && self.rng.chance(0.3) {
            "lpg"
        } else {
            "diesel"
        };
        specs.push(Spec {
            spec_category_id: id(SpecCategoryId::new("fuel_type")),
            value: SpecValue::Text(fuel.to_owned()),
        });
        specs
    }

    fn listing(&mut self, n: usize) -> Payload {
        let model_idx = self.rng.below(self.models.len());
        let country_idx = *self.rng.weighted(&self.country_weights);
        let Market {
            country,
            lang,
            currency,
            per_usd,
            regions,
            ..
        } = MARKETS[country_idx];
        let m = &self.models[model_idx];
        let cat: &CategoryDef = &CATEGORIES[m.category];
        let age = self
            .rng
            .weighted(&[(1, 6), (3, 10), (6, 12), (10, 9), (15, 5), (22, 2)])
            + self.rng.range(0, 2);
        let year = (!self.rng.chance(0.04)).then_some(2026 - age as u16);
        let per_year = if cat.id == "forklifts" { 900 } else { 650 };
        let hours = (!self.rng.chance(0.05))
            .then(|| (age.max(1) * self.rng.range(per_year / 2, per_year * 3 / 2)) as u32);
        let new_usd = cat.new_price_usd.0 + m.size * (cat.new_price_usd.1 - cat.new_price_usd.0);
        let wear = 1.0 - (f64::from(hours.unwrap_or(5000)) / 40_000.0).min(0.5);
        let usd = new_usd * 0.9f64.powi(age as i32) * wear * self.rng.between(0.85, 1.15);
        let step = if per_usd >= 100.0 { 10_000.0 } else { 100.0 };
        let amount = ((usd * per_usd / step).round() * step).max(step);
        let price = (!self.rng.chance(0.03)).then_some(amount);

        let subject = Subject {
            maker: &MAKERS[m.maker],
            category: cat,
            model: m.name,
            year,
            hours,
        };
        let second = if lang == listing::Lang::En {
            listing::Lang::Ja
        } else {
            listing::Lang::En
        };
        let mode = self.rng.weighted(&[(0u8, 70), (1, 18), (2, 12)]);
        let make = |rng: &mut Rng, f: &dyn Fn(&mut Rng, listing::Lang) -> String| -> Text {
            let mut langs = BTreeMap::new();
            match mode {
                2 => return Text::Unknown(f(rng, lang)),
                1 => {
                    langs.insert(second.code().parse().expect("valid"), f(rng, second));
                }
                _ => {}
            }
            langs.insert(lang.code().parse().expect("valid"), f(rng, lang));
            Text::Langs(langs)
        };
        let title = make(&mut self.rng, &|_, l| listing::title(&subject, l));
        let description = self
            .rng
            .chance(0.7)
            .then(|| make(&mut self.rng, &|rng, l| listing::description(rng, l)));
        let category_id = self.rng.chance(0.03).then(|| id(CategoryId::new(cat.id)));
        let region = (*self.rng.pick(regions)).to_owned();
        let machine = Machine {
            id: id(MachineId::new(format!("M-{:07}", n + 1))),
            model_id: m.id.clone(),
            category_id,
            title,
            description,
            year: year.map(|y| Year::new(i64::from(y)).expect("plausible year")),
            hours: hours.map(|h| Hours::new(i64::from(h)).expect("plausible hours")),
            price: price.map(|amount| Price {
                amount,
                currency: Currency::new(currency).expect("valid currency"),
            }),
            location: Some(Location {
                country: Country::new(country).expect("valid country"),
                region: Some(region),
            }),
            images: photos(n),
        };
        self.listed.push(Listed {
            country: country_idx as u8,
            hours,
            price: price.map(|p| p as f32),
        });
        Payload::MachineListed(machine)
    }

    /// Queues what happens to listing `i` after all listings are out.
    fn tail(&mut self, i: usize) {
        if i == 0 {
            self.push(Payload::MakerRenamed(Maker {
                id: id(MakerId::new("doosan")),
                names: text(DOOSAN_RENAMED),
            }));
        }
        if i.is_multiple_of(self.listings / self.models.len().min(40) + 1) {
            let m = self.rng.below(self.models.len());
            let scale = self.rng.between(0.97, 1.03);
            let (model_id, category, size, name) = {
                let info = &self.models[m];
                (info.id.clone(), info.category, info.size, info.name)
            };
            let specs = self.specs(category, size, name, scale);
            self.push(Payload::ModelSpecsChanged(ModelSpecs { model_id, specs }));
        }
        let l = self.listed[i];
        let machine_id = id(MachineId::new(format!("M-{:07}", i + 1)));
        if self.rng.chance(0.06) {
            let mut changes = MachineChanges {
                machine_id: machine_id.clone(),
                model_id: None,
                category_id: Patch::Keep,
                title: None,
                description: Patch::Keep,
                year: Patch::Keep,
                hours: Patch::Keep,
                price: Patch::Keep,
                location: Patch::Keep,
                images: Patch::Keep,
            };
            if let Some(p) = l.price {
                let market = &MARKETS[usize::from(l.country)];
                let step = if market.per_usd >= 100.0 {
                    10_000.0
                } else {
                    100.0
                };
                let dropped = (f64::from(p) * self.rng.between(0.85, 0.95) / step).round() * step;
                changes.price = Patch::Set(Price {
                    amount: dropped.max(step),
                    currency: Currency::new(market.currency).expect("valid"),
                });
            }
            if changes.price.is_keep() || self.rng.chance(0.3) {
                let more = l.hours.unwrap_or(0) + self.rng.range(20, 400) as u32;
                changes.hours = Patch::Set(Hours::new(i64::from(more)).expect("plausible hours"));
            }
            if self.rng.chance(0.1) {
                changes.description = Patch::Clear;
            }
            self.push(Payload::MachineUpdated(changes));
        }
        let fate = self.rng.unit();
        if fate < 0.08 {
            self.push(Payload::MachineSold(MachineRef { machine_id }));
        } else if fate < 0.11 {
            self.push(Payload::MachineWithdrawn(MachineRef { machine_id }));
        }
    }
}

impl Iterator for Generator {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(e) = self.queue.pop_front() {
                return Some(e);
            }
            if self.next_listing < self.listings {
                let n = self.next_listing;
                self.next_listing += 1;
                let payload = self.listing(n);
                return Some(self.event(payload));
            }
            if self.next_tail < self.listings {
                let i = self.next_tail;
                self.next_tail += 1;
                self.tail(i);
                continue;
            }
            return None;
        }
    }
}
