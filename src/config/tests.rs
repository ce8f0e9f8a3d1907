use super::*;

#[test]
fn file_then_environment() {
    let mut c: Config = toml::from_str(
        "listen = \"0.0.0.0:8000\"\napi_keys = [\"from-file-key\"]\n[indexer]\nbatch = 500\n",
    )
    .unwrap();
    assert_eq!(c.indexer.batch, 500);
    assert_eq!(c.indexer.max_delay_ms, 200, "defaults fill the rest");
    c.apply_env(|k| match k {
        "STOCKYARD_API_KEYS" => Some("key-one-1, key-two-2".into()),
        "STOCKYARD_DATA_DIR" => Some("/srv/stockyard".into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(c.api_keys, ["key-one-1".into(), "key-two-2".into()]);
    assert_eq!(c.data_dir, PathBuf::from("/srv/stockyard"));
    assert_eq!(c.listen.port(), 8000);
    assert!(c.check().is_ok());
}

#[test]
fn mistakes_are_named() {
    assert!(toml::from_str::<Config>("lisen = \"x\"").is_err());
    let mut c = Config::default();
    let err = c
        .apply_env(|k| (k == "STOCKYARD_LISTEN").then(|| "nowhere".into()))
        .unwrap_err();
    assert!(err.to_string().starts_with("STOCKYARD_LISTEN"));
    c.api_keys = vec!["short".into()];
    assert!(c.check().unwrap_err().to_string().contains("api_keys"));
}

#[test]
fn scoped_keys_and_origins_from_the_environment() {
    let mut c = Config::default();
    c.apply_env(|k| match k {
        "STOCKYARD_SEARCH_KEYS" => Some("front-end-1,front-end-2".into()),
        "STOCKYARD_SEARCH_KEY_RATE" => Some("50".into()),
        "STOCKYARD_ADMIN_KEYS" => Some("operator-key".into()),
        "STOCKYARD_CORS_ORIGINS" => Some("https://shop.example, http://localhost:3000".into()),
        _ => None,
    })
    .unwrap();
    assert!(c.check().is_ok());
    let keys = c.api().keys;
    assert_eq!(keys.len(), 3);
    assert_eq!(keys[0].search_per_second.map(|n| n.get()), Some(50));
    assert_eq!(keys[2].scopes, [crate::api::auth::Scope::Admin]);
    assert_eq!(keys[2].search_per_second, None, "rates are for search keys");
    assert_eq!(c.api().cors_origins.len(), 2);
    assert!(
        !format!("{c:?}").contains("front-end-1"),
        "keys stay out of logs"
    );
}

#[test]
fn tls_needs_both_files_or_neither() {
    let c: Config = toml::from_str("[tls]\ncert = \"/etc/stockyard/cert.pem\"\n").unwrap();
    let err = c.check().unwrap_err().to_string();
    assert!(
        err.starts_with("tls.key: not set, but tls.cert is"),
        "{err}"
    );
    let mut c = Config::default();
    c.apply_env(|k| (k == "STOCKYARD_TLS_KEY").then(|| "/k.pem".into()))
        .unwrap();
    let err = c.check().unwrap_err().to_string();
    assert!(
        err.starts_with("tls.cert: not set, but tls.key is"),
        "{err}"
    );
    assert_eq!(
        Config::default().tls_files().unwrap(),
        None,
        "plain by default"
    );
    // The environment completes or overrides the file.
    let mut c: Config = toml::from_str("[tls]\ncert = \"/from/file.pem\"\n").unwrap();
    c.apply_env(|k| (k == "STOCKYARD_TLS_KEY").then(|| "/from/env.pem".into()))
        .unwrap();
    assert_eq!(
        c.tls_files().unwrap(),
        Some(TlsFiles {
            cert: "/from/file.pem".into(),
            key: "/from/env.pem".into(),
        })
    );
    assert!(toml::from_str::<Config>("[tls]\ncertificate = \"x\"\n").is_err());
}

#[test]
fn a_token_secret_comes_from_the_file_or_the_environment_and_must_be_long() {
    let c: Config = toml::from_str("[alerts]\ntoken_secret = \"short\"\n").unwrap();
    let err = c.check().unwrap_err().to_string();
    assert!(err.starts_with("alerts.token_secret"), "{err}");
    let mut c = Config::default();
    c.apply_env(|k| (k == "STOCKYARD_TOKEN_SECRET").then(|| "s".repeat(32)))
        .unwrap();
    c.check().unwrap();
    assert_eq!(
        c.alerts.token_secret.as_ref().map(Secret::expose),
        Some("s".repeat(32).as_str())
    );
    assert_eq!(format!("{:?}", c.alerts.token_secret), "Some(<hidden>)");
}

#[test]
fn origins_must_be_origins() {
    for bad in [
        &["https://shop.example/search"][..],
        &["shop.example"],
        &["*", "https://a.example"],
    ] {
        let mut c = Config::default();
        c.cors.allowed_origins = bad.iter().map(|s| s.to_string()).collect();
        let err = c.check().unwrap_err().to_string();
        assert!(err.starts_with("cors.allowed_origins"), "{bad:?}: {err}");
    }
    let c = Config {
        keys: vec![KeyConfig {
            key: "long-enough".into(),
            scopes: vec![],
            search_per_second: None,
        }],
        ..Config::default()
    };
    assert!(c.check().unwrap_err().to_string().contains("scope"));
}

#[test]
fn the_cache_of_answers_in_megabytes() {
    assert_eq!(Config::default().engine().search_cache_bytes, 64 << 20);
    let c: Config = toml::from_str("[search]\ncache_mb = 8\n").unwrap();
    assert_eq!(c.engine().search_cache_bytes, 8 << 20);
    let mut c = Config::default();
    c.apply_env(|k| (k == "STOCKYARD_SEARCH_CACHE_MB").then(|| "0".into()))
        .unwrap();
    assert_eq!(c.engine().search_cache_bytes, 0, "off");
    let err = c
        .apply_env(|k| (k == "STOCKYARD_SEARCH_CACHE_MB").then(|| "lots".into()))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "STOCKYARD_SEARCH_CACHE_MB: not a number of megabytes: \"lots\""
    );
}

#[test]
fn searches_split_unless_told_not_to() {
    assert!(Config::default().search_pool().splits());
    let c: Config = toml::from_str("[search]\nsplit = false\n").unwrap();
    assert!(!c.search_pool().splits());
    let mut c = Config::default();
    c.apply_env(|k| (k == "STOCKYARD_SEARCH_SPLIT").then(|| "off".into()))
        .unwrap();
    assert!(!c.search_pool().splits());
}
