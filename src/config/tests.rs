//! The configuration as a deployer meets it: defaults, refusals that name their variable.

use std::time::Duration;

use super::*;

fn base() -> Vec<(&'static str, &'static str)> {
    vec![("JWT_SECRET", "0123456789abcdef0123456789abcdef")]
}

#[test]
fn defaults_follow_the_documented_values() {
    let c = Config::from_vars(base()).unwrap();
    assert_eq!(c.http.bind_addr.port(), 8080);
    assert_eq!(c.otp.ttl, Duration::from_secs(600));
    assert_eq!(c.otp.length, 6);
    assert_eq!(c.http.rate_limit_per_ip_per_minute, 60);
    assert!(c.http.cookie_secure);
    assert!(c.telegram.bot_token.is_none());
}

#[test]
fn port_is_used_when_bind_addr_is_absent() {
    let mut vars = base();
    vars.push(("PORT", "3000"));
    assert_eq!(Config::from_vars(vars).unwrap().http.bind_addr.port(), 3000);
}

#[test]
fn a_bad_number_names_its_variable() {
    let mut vars = base();
    vars.push(("OTP_TTL_SECONDS", "ten"));
    let err = Config::from_vars(vars).unwrap_err().to_string();
    assert!(err.contains("OTP_TTL_SECONDS"), "{err}");
}

#[test]
fn a_short_jwt_secret_is_refused() {
    let err = Config::from_vars([("JWT_SECRET", "short")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("JWT_SECRET"), "{err}");
}

#[test]
fn numeric_secrets_stay_strings() {
    let secret = "12345678901234567890123456789012";
    let c = Config::from_vars([("JWT_SECRET", secret), ("DEFAULT_COUNTRY_CODE", "998")]).unwrap();
    assert_eq!(c.auth.jwt_secret.expose(), secret);
    assert_eq!(c.otp.default_country_code.as_deref(), Some("998"));
}

#[test]
fn production_requires_token_and_secret() {
    let err = Config::from_vars([("APP_ENV", "production")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("TELEGRAM_BOT_TOKEN"), "{err}");
    let err = Config::from_vars([("APP_ENV", "production"), ("TELEGRAM_BOT_TOKEN", "1:x")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("JWT_SECRET"), "{err}");
}

fn production() -> Vec<(&'static str, String)> {
    [
        ("APP_ENV", "production"),
        ("TELEGRAM_BOT_TOKEN", "1:x"),
        ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ("METRICS_TOKEN", "metrics-token-0123456789"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect()
}

#[test]
fn production_refuses_each_unsafe_setting_by_name() {
    assert!(Config::from_vars(production()).is_ok());
    let in_a_year = (chrono::Utc::now() + chrono::TimeDelta::days(365))
        .format("%Y-%m-%d")
        .to_string();
    let in_a_month = (chrono::Utc::now() + chrono::TimeDelta::days(30))
        .format("%Y-%m-%d")
        .to_string();
    for (var, value, named) in [
        ("COOKIE_SECURE", "false", "COOKIE_SECURE"),
        (
            "RATE_LIMIT_PER_IP_PER_MINUTE",
            "0",
            "RATE_LIMIT_PER_IP_PER_MINUTE",
        ),
        ("OTP_LENGTH", "5", "OTP_LENGTH"),
        ("REDIS_KEY_PREFIX", "shop{1}:", "REDIS_KEY_PREFIX"),
        ("METRICS_TOKEN", "", "METRICS_TOKEN"),
        (
            "NOTIFY_SEND_LEASE_SECONDS",
            "29",
            "NOTIFY_SEND_LEASE_SECONDS",
        ),
        ("LOGIN_LINK_TTL_SECONDS", "29", "LOGIN_LINK_TTL_SECONDS"),
    ] {
        let mut vars = production();
        vars.retain(|(k, _)| *k != var);
        vars.push((var, value.to_string()));
        let err = Config::from_vars(vars).unwrap_err().to_string();
        assert!(err.contains(named), "{var}={value}: {err}");
    }
    let mut review = production();
    review.push(("TEST_PHONES", "+998900000001=123456".into()));
    review.push(("TEST_PHONES_VALID_UNTIL", in_a_year));
    let err = Config::from_vars(review.clone()).unwrap_err().to_string();
    assert!(err.contains("TEST_PHONES_VALID_UNTIL"), "{err}");
    review.pop();
    review.push(("TEST_PHONES_VALID_UNTIL", in_a_month));
    assert!(Config::from_vars(review).is_ok());
    // Development allows what a laptop needs.
    let c = Config::from_vars([
        ("COOKIE_SECURE", "false"),
        ("RATE_LIMIT_PER_IP_PER_MINUTE", "0"),
        ("OTP_LENGTH", "4"),
    ])
    .unwrap();
    assert!(!c.http.cookie_secure);
}

#[test]
fn login_links_live_between_their_bounds_and_name_the_site() {
    let login = |vars: &[(&str, &str)]| Config::from_vars(vars.to_vec()).map(|c| c.login);
    let defaults = login(&[]).unwrap();
    assert_eq!(defaults.link_ttl, std::time::Duration::from_secs(120));
    assert_eq!(defaults.site_name, None);
    for (ttl, named) in [("1", true), ("901", true), ("2", false), ("900", false)] {
        let read = login(&[("LOGIN_LINK_TTL_SECONDS", ttl)]);
        assert_eq!(read.is_err(), named, "LOGIN_LINK_TTL_SECONDS={ttl}");
    }
    let named = login(&[("SITE_NAME", "  Bozor.uz ")]).unwrap();
    assert_eq!(named.site_name.as_deref(), Some("Bozor.uz"));
    assert_eq!(login(&[("SITE_NAME", " ")]).unwrap().site_name, None);
    let err = login(&[("SITE_NAME", "Shop\nSpoof")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("SITE_NAME"), "{err}");
}

#[test]
fn the_older_proxy_switch_means_one_hop() {
    let hops = |vars: &[(&str, &str)]| {
        Config::from_vars(vars.to_vec())
            .unwrap()
            .http
            .trusted_proxy_hops
    };
    assert_eq!(hops(&[]), 0);
    assert_eq!(hops(&[("TRUST_PROXY_HEADERS", "true")]), 1);
    assert_eq!(hops(&[("TRUSTED_PROXY_HOPS", "2")]), 2);
    assert_eq!(
        hops(&[("TRUST_PROXY_HEADERS", "true"), ("TRUSTED_PROXY_HOPS", "0")]),
        0
    );
}

#[test]
fn sessions_live_thirty_days_at_most_by_default() {
    let c = Config::from_vars(base()).unwrap();
    assert_eq!(c.auth.session_max_age, Duration::from_secs(30 * 24 * 3600));
    let mut short = base();
    short.push(("SESSION_MAX_AGE_SECONDS", "59"));
    assert!(
        Config::from_vars(short)
            .unwrap_err()
            .to_string()
            .contains("SESSION_MAX_AGE_SECONDS")
    );
}

#[test]
fn service_keys_come_from_either_variable() {
    let mut vars = base();
    vars.push(("SERVICE_API_KEY", "first-key-0123456789"));
    vars.push((
        "SERVICE_API_KEYS",
        "second-key-0123456789, third-key-0123456789",
    ));
    let keys = Config::from_vars(vars).unwrap().http.service_api_keys;
    assert_eq!(keys.len(), 3);
    assert_eq!(keys[2].expose(), "third-key-0123456789");
    let mut short = base();
    short.push(("SERVICE_API_KEYS", "short"));
    assert!(
        Config::from_vars(short)
            .unwrap_err()
            .to_string()
            .contains("SERVICE_API_KEYS")
    );
}

#[test]
fn test_phones_need_a_date_and_well_formed_codes() {
    let mut vars = base();
    vars.push(("TEST_PHONES", "+998900000001=123456"));
    let err = Config::from_vars(vars.clone()).unwrap_err().to_string();
    assert!(err.contains("TEST_PHONES_VALID_UNTIL"), "{err}");
    vars.push(("TEST_PHONES_VALID_UNTIL", "2099-12-31"));
    let config = Config::from_vars(vars.clone()).unwrap();
    let phones = config.otp.test_phones.unwrap();
    assert_eq!(phones.codes["+998900000001"].expose(), "123456");
    assert!(!format!("{phones:?}").contains("123456"));
    vars.push(("TEST_PHONES", "+998900000001=12"));
    let mut bad = base();
    bad.push(("TEST_PHONES", "+998900000001=12"));
    bad.push(("TEST_PHONES_VALID_UNTIL", "2099-12-31"));
    assert!(
        Config::from_vars(bad)
            .unwrap_err()
            .to_string()
            .contains("digits")
    );
}

#[test]
fn webhook_mode_needs_an_https_url_and_a_proper_secret() {
    let mut vars = base();
    vars.push(("TELEGRAM_MODE", "webhook"));
    assert!(
        Config::from_vars(vars.clone())
            .unwrap_err()
            .to_string()
            .contains("TELEGRAM_WEBHOOK_URL")
    );
    vars.push((
        "TELEGRAM_WEBHOOK_URL",
        "http://shop.example/telegram/webhook",
    ));
    vars.push(("TELEGRAM_WEBHOOK_SECRET", "s3cret_value-1"));
    assert!(
        Config::from_vars(vars.clone())
            .unwrap_err()
            .to_string()
            .contains("https")
    );
    vars.push((
        "TELEGRAM_WEBHOOK_URL",
        "https://shop.example/telegram/webhook",
    ));
    assert!(matches!(
        Config::from_vars(vars.clone()).unwrap().telegram.mode,
        TelegramMode::Webhook { .. }
    ));
    vars.push(("TELEGRAM_WEBHOOK_SECRET", "no spaces allowed"));
    assert!(
        Config::from_vars(vars)
            .unwrap_err()
            .to_string()
            .contains("TELEGRAM_WEBHOOK_SECRET")
    );
}

#[test]
fn otp_length_is_bounded() {
    let mut vars = base();
    vars.push(("OTP_LENGTH", "3"));
    assert!(
        Config::from_vars(vars)
            .unwrap_err()
            .to_string()
            .contains("OTP_LENGTH")
    );
}

#[test]
fn secrets_do_not_print() {
    let c = Config::from_vars(base()).unwrap();
    assert!(!format!("{c:?}").contains("0123456789abcdef"));
}

#[test]
fn production_sends_hsts_unless_a_proxy_does() {
    let config = Config::from_vars(production()).unwrap();
    assert_eq!(config.http.hsts_max_age, Some(365 * 24 * 3600));
    let mut behind_proxy = production();
    behind_proxy.push(("HSTS_MAX_AGE_SECONDS", "0".into()));
    assert_eq!(
        Config::from_vars(behind_proxy).unwrap().http.hsts_max_age,
        None
    );
    let development = Config::from_vars([("JWT_SECRET", "0123456789abcdef0123456789abcdef")]);
    assert_eq!(development.unwrap().http.hsts_max_age, None);
}

#[test]
fn the_gateway_is_off_without_a_token_and_lists_its_countries() {
    assert!(Config::from_vars(base()).unwrap().gateway.is_none());
    let mut vars = base();
    vars.push(("TELEGRAM_GATEWAY_TOKEN", "gw"));
    let err = Config::from_vars(vars.clone()).unwrap_err().to_string();
    assert!(err.contains("GATEWAY_COUNTRY_CODES"), "{err}");
    vars.push(("DEFAULT_COUNTRY_CODE", "998"));
    let gateway = Config::from_vars(vars.clone()).unwrap().gateway.unwrap();
    assert_eq!(gateway.country_codes, ["998"]);
    assert!(gateway.allows("+998901234567") && !gateway.allows("+79161234567"));
    assert_eq!(gateway.url.as_str(), "https://gatewayapi.telegram.org/");
    assert!(gateway.callback_url.is_none());
    vars.push(("GATEWAY_COUNTRY_CODES", "+998, 7"));
    vars.push(("OIDC_ISSUER", "https://id.shop.example/"));
    let gateway = Config::from_vars(vars.clone()).unwrap().gateway.unwrap();
    assert_eq!(gateway.country_codes, ["998", "7"]);
    assert_eq!(
        gateway.callback_url.as_deref(),
        Some("https://id.shop.example/telegram/gateway/reports")
    );
    vars.push(("GATEWAY_COUNTRY_CODES", "uz"));
    let err = Config::from_vars(vars).unwrap_err().to_string();
    assert!(err.contains("GATEWAY_COUNTRY_CODES"), "{err}");
}

#[test]
fn production_sends_the_gateway_token_only_over_https() {
    let mut vars = production();
    vars.push(("TELEGRAM_GATEWAY_TOKEN", "gw".into()));
    vars.push(("GATEWAY_COUNTRY_CODES", "998".into()));
    assert!(Config::from_vars(vars.clone()).is_ok());
    vars.push(("TELEGRAM_GATEWAY_URL", "http://gateway.internal".into()));
    let err = Config::from_vars(vars).unwrap_err().to_string();
    assert!(err.contains("TELEGRAM_GATEWAY_URL"), "{err}");
}
