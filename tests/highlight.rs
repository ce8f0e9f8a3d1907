//! Highlights over HTTP: GIVEN the demo catalog and a listing whose title holds HTML,
//! WHEN buyers search in Japanese, Chinese, Korean, English and German (and with a
//! typo), THEN each hit carries its title (and description snippet) as escaped HTML
//! with what matched in `<mark>`.

#[path = "common/server.rs"]
mod server;

use server::TestServer;

/// The text of highlighted HTML without its marks, unescaped.
fn plain(html: &str) -> String {
    html.replace("<mark>", "")
        .replace("</mark>", "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[test]
fn hits_carry_marked_titles_and_snippets() {
    let s = TestServer::start(true, |_| {});
    let event = r#"{"id":"ev-html","type":"MachineListed","at":"2026-11-01T00:00:00Z","data":{"machine_id":"HTML-1","model_id":"komatsu-pc200-10","title":{"en":"<b>Excavator</b> & \"bucket\""},"description":{"en":"Clean machine with a <script>alert(1)</script> excavator bucket."},"year":2020}}"#;
    let (status, answer) = s.ingest(event);
    assert_eq!(status, 202, "{answer}");
    for (q, lang, marked) in [
        (
            "%E6%B2%B9%E5%9C%A7%E3%82%B7%E3%83%A7%E3%83%99%E3%83%AB",
            "ja",
            &["油圧ショベル"][..],
        ),
        ("%E6%8C%96%E6%8E%98%E6%9C%BA", "zh", &["挖掘机"]),
        ("%EA%B5%B4%EC%B0%A9%EA%B8%B0", "ko", &["굴착기"]),
        ("excavator", "en", &["excavator"]),
        ("Bagger", "de", &["bagger"]),
    ] {
        let v = s.json(&format!("/search?q={q}&lang={lang}&limit=20"), 200);
        let hits = v["hits"].as_array().unwrap();
        assert!(!hits.is_empty(), "{q}");
        let mut marks = 0;
        for h in hits {
            let hl = &h["highlight"];
            let title = hl["title"].as_str().unwrap();
            assert_eq!(plain(title), h["title"].as_str().unwrap(), "{q}");
            let texts = std::iter::once(title).chain(hl["description"].as_str());
            for t in texts {
                assert!(!t.contains("<b>") && !t.contains("<script"), "escaped: {t}");
                for m in t.split("<mark>").skip(1) {
                    let inside = m.split("</mark>").next().unwrap();
                    let inside = plain(inside).to_lowercase();
                    assert!(
                        marked
                            .iter()
                            .any(|m| inside.contains(m) || m.contains(inside.as_str())),
                        "{q}: marked {inside:?}"
                    );
                    marks += 1;
                }
            }
            if let Some(d) = hl["description"].as_str() {
                assert!(plain(d).trim_matches('…').chars().count() <= 160, "{d}");
            }
        }
        assert!(marks > 0, "{q}: something marked");
    }
    // The HTML title is escaped, its word marked.
    let v = s.json("/search?q=excavator%20bucket&lang=en&limit=100", 200);
    let hit = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["machine_id"] == "HTML-1")
        .expect("the listing with HTML");
    assert_eq!(
        hit["highlight"]["title"],
        "&lt;b&gt;<mark>Excavator</mark>&lt;/b&gt; &amp; &quot;<mark>bucket</mark>&quot;"
    );
    let d = hit["highlight"]["description"].as_str().unwrap();
    assert!(d.contains("&lt;script&gt;"), "{d}");
    // A typo in a word: the word the listing spells is marked, whole.
    let v = s.json("/search?q=komatsu%20excavater&lang=en&limit=100", 200);
    let typo = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["highlight"]["title"].as_str())
        .filter(|t| t.to_lowercase().contains("excavator"))
        .collect::<Vec<_>>();
    assert!(!typo.is_empty(), "some Komatsu excavators are found");
    for t in typo {
        assert!(
            t.to_lowercase().contains("<mark>excavator</mark>"),
            "typo marked whole: {t}"
        );
    }
    // Browsing has nothing to mark.
    let v = s.json("/search?category=excavators&limit=3", 200);
    assert!(v["hits"][0].get("highlight").is_none());
}
