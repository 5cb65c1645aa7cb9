//! The languages otpgram speaks (the bot, the hosted page, order messages).

use serde::{Deserialize, Serialize};

/// A language otpgram speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Uz,
    Ru,
    #[default]
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Uz, Lang::Ru, Lang::En];

    /// Telegram's `language_code` (`ru`, `uz`, `en-US`, …), else `fallback`.
    pub fn from_code(code: Option<&str>, fallback: Lang) -> Lang {
        code.and_then(Lang::parse).unwrap_or(fallback)
    }

    /// A language code (`ru`, `uz`, `en-US`, …) the bot speaks, if it does.
    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.split(['-', '_']).next().unwrap_or(code);
        Lang::ALL
            .into_iter()
            .find(|lang| primary.eq_ignore_ascii_case(lang.code()))
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Uz => "uz",
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }
}
