//! Saving the embedded graph to the data directory and loading it back, so that a
//! restart does not replay the whole event log.
//!
//! Format (little-endian): the magic `SYGRAPH2`; a length-prefixed JSON document with
//! the catalog (categories, makers, models, spec categories: a few thousand entries at
//! most), the latest rate set and the caller's checkpoint; then the machines as
//! fixed-size records after their ids, prices as listed. Bitmaps and US-dollar prices
//! are not stored: they are derived again on load, which is cheaper than reading them. Files are written to a temporary name, synced and
//! renamed, so a crash leaves the previous snapshot intact.

use super::{CategoryNode, EmbeddedGraph, MachineNode, ModelNode};
use crate::currency::Rates;
use serde::{Deserialize, Serialize};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;
use stockyard_schema::domain::{Currency, Price, SpecCategory, SpecValue};
use stockyard_schema::event::CurrencyRates;
use stockyard_schema::Text;

const MAGIC: &[u8; 8] = b"SYGRAPH2";

/// Why a snapshot could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The file system failed.
    #[error("graph snapshot: {0}")]
    Io(#[from] io::Error),
    /// The file is not a snapshot of this version, or is damaged.
    #[error("graph snapshot is damaged or of another version: {0}")]
    Format(String),
}

#[derive(Serialize, Deserialize)]
struct Catalog {
    checkpoint: Option<String>,
    categories: Vec<(String, Option<Text>, Option<u32>)>,
    makers: Vec<(String, Option<Text>)>,
    models: Vec<ModelRecord>,
    specs: Vec<(String, Option<SpecCategory>)>,
    rates: Option<CurrencyRates>,
    /// The marketplace's synonym sets (absent from snapshots written before them).
    #[serde(default)]
    synonyms: Vec<stockyard_schema::synonyms::SynonymSet>,
}

#[derive(Serialize, Deserialize)]
struct ModelRecord {
    id: String,
    name: Option<String>,
    maker: Option<u32>,
    category: Option<u32>,
    specs: Vec<(u32, SpecValue)>,
}

const NONE_U32: u32 = u32::MAX;

impl EmbeddedGraph {
    /// Writes the graph and `checkpoint` to `path`, atomically.
    pub fn save(&self, path: &Path, checkpoint: Option<&str>) -> Result<(), SnapshotError> {
        let tmp = path.with_extension("tmp");
        {
            let mut w = BufWriter::new(std::fs::File::create(&tmp)?);
            w.write_all(MAGIC)?;
            let catalog = Catalog {
                checkpoint: checkpoint.map(str::to_owned),
                categories: self
                    .categories
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        (
                            self.category_ids.key(i as u32).to_owned(),
                            c.names.clone(),
                            c.parent,
                        )
                    })
                    .collect(),
                makers: self
                    .makers
                    .iter()
                    .enumerate()
                    .map(|(i, m)| (self.maker_ids.key(i as u32).to_owned(), m.clone()))
                    .collect(),
                models: self
                    .models
                    .iter()
                    .enumerate()
                    .map(|(i, m)| ModelRecord {
                        id: self.model_ids.key(i as u32).to_owned(),
                        name: m.name.clone(),
                        maker: m.maker,
                        category: m.category,
                        specs: m.specs.clone(),
                    })
                    .collect(),
                specs: self
                    .specs
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (self.spec_ids.key(i as u32).to_owned(), s.clone()))
                    .collect(),
                rates: self.rates.set().cloned(),
                synonyms: self.synonyms.values().cloned().collect(),
            };
            let json =
                serde_json::to_vec(&catalog).map_err(|e| SnapshotError::Format(e.to_string()))?;
            w.write_all(&(json.len() as u64).to_le_bytes())?;
            w.write_all(&json)?;
            w.write_all(&(self.machines.len() as u64).to_le_bytes())?;
            for (i, m) in self.machines.iter().enumerate() {
                let id = self.machine_ids.key(i as u32).as_bytes();
                w.write_all(&(id.len() as u16).to_le_bytes())?;
                w.write_all(id)?;
                w.write_all(&m.model.to_le_bytes())?;
                w.write_all(&m.category.unwrap_or(NONE_U32).to_le_bytes())?;
                w.write_all(&[u8::from(m.live)])?;
                w.write_all(&m.year.unwrap_or(0).to_le_bytes())?;
                w.write_all(&m.hours.unwrap_or(NONE_U32).to_le_bytes())?;
                let (amount, currency) = m
                    .price
                    .map_or((f64::NAN, 0), |p| (p.amount, p.currency.dense()));
                w.write_all(&amount.to_le_bytes())?;
                w.write_all(&currency.to_le_bytes())?;
            }
            w.flush()?;
            w.get_ref().sync_all()?;
        }
        std::fs::rename(&tmp, path)?;
        Ok(())
    }

    /// Reads a graph written by [`EmbeddedGraph::save`], with its checkpoint.
    pub fn load(path: &Path) -> Result<(EmbeddedGraph, Option<String>), SnapshotError> {
        let mut r = BufReader::new(std::fs::File::open(path)?);
        let mut magic = [0u8; 8];
        r.read_exact(&mut magic)?;
        if &magic != MAGIC {
            return Err(SnapshotError::Format("not a graph snapshot".into()));
        }
        let len = read_u64(&mut r)? as usize;
        let mut json = vec![0u8; len];
        r.read_exact(&mut json)?;
        let catalog: Catalog =
            serde_json::from_slice(&json).map_err(|e| SnapshotError::Format(e.to_string()))?;
        let mut g = EmbeddedGraph::new();
        g.synonyms = catalog
            .synonyms
            .iter()
            .map(|s| (s.synonym_set_id.as_str().to_owned(), s.clone()))
            .collect();
        g.rates = catalog
            .rates
            .as_ref()
            .map(Rates::published)
            .unwrap_or_default();
        let bound = |i: Option<u32>, n: usize| match i {
            Some(x) if x as usize >= n => {
                Err(SnapshotError::Format(format!("reference {x} out of range")))
            }
            _ => Ok(i),
        };
        let (nc, nk, nm, ns) = (
            catalog.categories.len(),
            catalog.makers.len(),
            catalog.models.len(),
            catalog.specs.len(),
        );
        for (id, names, parent) in catalog.categories {
            g.category_ids.intern(&id);
            g.categories.push(CategoryNode {
                names,
                parent: bound(parent, nc)?,
            });
            g.by_category.push(Default::default());
        }
        for (id, names) in catalog.makers {
            g.maker_ids.intern(&id);
            g.makers.push(names);
        }
        for (id, spec) in catalog.specs {
            g.spec_ids.intern(&id);
            g.specs.push(spec);
        }
        for m in catalog.models {
            if m.specs.iter().any(|(s, _)| *s as usize >= ns) {
                return Err(SnapshotError::Format("spec reference out of range".into()));
            }
            g.model_ids.intern(&m.id);
            g.models.push(ModelNode {
                name: m.name,
                maker: bound(m.maker, nk)?,
                category: bound(m.category, nc)?,
                specs: m.specs,
            });
            g.by_model.push(Default::default());
        }
        let machines = read_u64(&mut r)? as usize;
        g.machine_ids.reserve(machines.min(1 << 26));
        g.machines.reserve(machines.min(1 << 26));
        for _ in 0..machines {
            let mut len = [0u8; 2];
            r.read_exact(&mut len)?;
            let mut id = vec![0u8; u16::from_le_bytes(len) as usize];
            r.read_exact(&mut id)?;
            let id = String::from_utf8(id).map_err(|e| SnapshotError::Format(e.to_string()))?;
            let model = read_u32(&mut r)?;
            let category = Some(read_u32(&mut r)?).filter(|&c| c != NONE_U32);
            let mut live = [0u8; 1];
            r.read_exact(&mut live)?;
            let mut year = [0u8; 2];
            r.read_exact(&mut year)?;
            let hours = Some(read_u32(&mut r)?).filter(|&h| h != NONE_U32);
            let mut amount = [0u8; 8];
            r.read_exact(&mut amount)?;
            let amount = f64::from_le_bytes(amount);
            let mut currency = [0u8; 2];
            r.read_exact(&mut currency)?;
            let price = match Currency::from_dense(u16::from_le_bytes(currency)) {
                _ if amount.is_nan() => None,
                Some(currency) => Some(Price { amount, currency }),
                None => return Err(SnapshotError::Format("bad currency code".into())),
            };
            if model as usize >= nm || bound(category, nc).is_err() {
                return Err(SnapshotError::Format(
                    "machine reference out of range".into(),
                ));
            }
            let key = g.machine_ids.intern(&id);
            g.machines.push(MachineNode {
                model,
                category,
                live: live[0] == 1,
                year: Some(u16::from_le_bytes(year)).filter(|&y| y != 0),
                hours,
                price,
                price_usd: price.and_then(|p| g.rates.to_usd(&p)),
            });
            g.index_machine(key);
        }
        Ok((g, catalog.checkpoint))
    }
}

fn read_u64(r: &mut impl Read) -> io::Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

fn read_u32(r: &mut impl Read) -> io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}
