//! How the demo's sellers write titles and descriptions, per language.

use super::catalog::{CategoryDef, MakerDef, Names};
use super::rng::Rng;

/// The languages listings are written in, with what a title needs from each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
    Zh,
    Ko,
    De,
    Fr,
    Es,
    Ru,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
            Lang::Zh => "zh",
            Lang::Ko => "ko",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::Es => "es",
            Lang::Ru => "ru",
        }
    }

    /// Index into [`CategoryDef::item`] for the European languages.
    fn item_index(self) -> Option<usize> {
        match self {
            Lang::En => Some(0),
            Lang::De => Some(1),
            Lang::Fr => Some(2),
            Lang::Es => Some(3),
            Lang::Ru => Some(4),
            Lang::Ja | Lang::Zh | Lang::Ko => None,
        }
    }
}

/// What a listing's text is about.
pub struct Subject<'a> {
    pub maker: &'a MakerDef,
    pub category: &'a CategoryDef,
    pub model: &'a str,
    pub year: Option<u16>,
    pub hours: Option<u32>,
}

fn name_in(names: Names, lang: &str) -> &'static str {
    names
        .iter()
        .find(|(l, _)| *l == lang)
        .or_else(|| names.iter().find(|(l, _)| *l == "en"))
        .map(|(_, t)| *t)
        .unwrap_or(names[0].1)
}

/// Hours with the thousands separator the language uses.
fn grouped(n: u32, lang: Lang) -> String {
    let sep = match lang {
        Lang::De | Lang::Es => ".",
        Lang::Fr | Lang::Ru => " ",
        Lang::Ja | Lang::En | Lang::Zh | Lang::Ko => ",",
    };
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + 4);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

/// A listing title in `lang`.
pub fn title(s: &Subject<'_>, lang: Lang) -> String {
    let maker = name_in(s.maker.names, lang.code());
    let maker_en = name_in(s.maker.names, "en");
    let cat = name_in(s.category.names, lang.code());
    let item = lang.item_index().map(|i| s.category.item[i]).unwrap_or(cat);
    let model = s.model;
    let mut t = match (lang, s.year) {
        (Lang::Ja, Some(y)) => format!("{maker} {model} {cat} {y}年式"),
        (Lang::Ja, None) => format!("{maker} {model} {cat}"),
        (Lang::Zh, Some(y)) => format!("{y}年 {maker} {model} 二手{cat}"),
        (Lang::Zh, None) => format!("{maker} {model} 二手{cat}"),
        (Lang::Ko, Some(y)) => format!("{maker} {model} 중고 {cat} {y}년식"),
        (Lang::Ko, None) => format!("{maker} {model} 중고 {cat}"),
        (Lang::En, Some(y)) => format!("{y} {maker_en} {model} {item}"),
        (Lang::En, None) => format!("{maker_en} {model} {item}"),
        (Lang::De, Some(y)) => format!("{maker_en} {model} {item}, Baujahr {y}"),
        (Lang::Fr, Some(y)) => format!("{} {maker_en} {model} de {y}", capital(item)),
        (Lang::Es, Some(y)) => format!("{} {maker_en} {model} del año {y}", capital(item)),
        (Lang::Ru, Some(y)) => format!("{} {maker_en} {model}, {y} г.", capital(item)),
        (Lang::De, None) => format!("{maker_en} {model} {item}"),
        (Lang::Fr | Lang::Es | Lang::Ru, None) => format!("{} {maker_en} {model}", capital(item)),
    };
    if let Some(h) = s.hours {
        let h = grouped(h, lang);
        let suffix = match lang {
            Lang::Ja => format!(" 稼働{h}時間"),
            Lang::Zh => format!(" {h}小时"),
            Lang::Ko => format!(" {h}시간"),
            Lang::En => format!(", {h} hrs"),
            Lang::De => format!(", {h} Bh"),
            Lang::Fr => format!(", {h} h"),
            Lang::Es => format!(", {h} horas"),
            Lang::Ru => format!(", наработка {h} моточасов"),
        };
        t.push_str(&suffix);
    }
    t
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

const FEATURES: [[&str; 8]; 8] = [
    [
        "エアコン付き",
        "クイックカプラー装備",
        "足回り良好",
        "ワンオーナー",
        "整備記録あり",
        "塗装済み",
        "即納可能",
        "輸出可能",
    ],
    [
        "air conditioning",
        "quick coupler",
        "undercarriage in good condition",
        "one owner",
        "full service history",
        "repainted",
        "ready to work",
        "export documents available",
    ],
    [
        "带空调",
        "快换接头",
        "底盘状况良好",
        "一手车主",
        "保养记录齐全",
        "重新喷漆",
        "随时可用",
        "可出口",
    ],
    [
        "에어컨 장착",
        "퀵커플러",
        "하부 상태 양호",
        "1인 소유",
        "정비 이력 있음",
        "도색 완료",
        "즉시 작업 가능",
        "수출 가능",
    ],
    [
        "Klimaanlage",
        "Schnellwechsler",
        "Fahrwerk in gutem Zustand",
        "aus erster Hand",
        "scheckheftgepflegt",
        "neu lackiert",
        "sofort einsatzbereit",
        "Exportpapiere vorhanden",
    ],
    [
        "climatisation",
        "attache rapide",
        "train de roulement en bon état",
        "première main",
        "carnet d'entretien complet",
        "repeinte",
        "prête à travailler",
        "documents d'export disponibles",
    ],
    [
        "aire acondicionado",
        "enganche rápido",
        "tren de rodaje en buen estado",
        "un solo dueño",
        "historial de mantenimiento completo",
        "repintada",
        "lista para trabajar",
        "documentos de exportación disponibles",
    ],
    [
        "кондиционер",
        "быстросъёмное соединение",
        "ходовая в хорошем состоянии",
        "один владелец",
        "полная сервисная история",
        "перекрашен",
        "готов к работе",
        "экспортные документы в наличии",
    ],
];

/// Descriptions written in kanji only: as likely Japanese as Chinese to a detector.
const KANJI_ONLY: [&str; 4] = [
    "中古建機 整備済",
    "中古重機 現状渡",
    "国内使用 整備記録有",
    "油圧良好 即納",
];

/// A description in `lang`: two to four selling points.
pub fn description(rng: &mut Rng, lang: Lang) -> String {
    if matches!(lang, Lang::Ja | Lang::Zh) && rng.chance(0.1) {
        return (*rng.pick(&KANJI_ONLY)).to_owned();
    }
    let row = &FEATURES[lang as usize];
    let count = rng.range(2, 4) as usize;
    let start = rng.below(row.len());
    let points: Vec<&str> = (0..count)
        .map(|k| row[(start + k * 3) % row.len()])
        .collect();
    match lang {
        Lang::Ja => format!("{}。", points.join("、")),
        Lang::Zh => format!("{}。", points.join("，")),
        _ => format!("{}.", capital(&points.join(", "))),
    }
}
