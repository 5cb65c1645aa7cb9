//! Bindings in Redis: where a phone's codes go, kept hot beside the database's truth.

use fred::prelude::{Expiration, KeysInterface};

use super::{RedisStore, secs};
use crate::{
    domain::{Phone, TelegramId},
    error::Result,
};

/// Where a phone's codes go: the linked account, and the language it reads (kept beside the
/// binding so that sending a code needs no database query). Stored as `telegram_id[:lang]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Binding {
    pub telegram_id: TelegramId,
    pub language: Option<String>,
}

impl Binding {
    pub(crate) fn new(telegram_id: TelegramId, language: Option<&str>) -> Self {
        Self {
            telegram_id,
            language: language.map(str::to_string),
        }
    }

    pub(super) fn encode(&self) -> String {
        match &self.language {
            Some(lang) => format!("{}:{lang}", self.telegram_id),
            None => self.telegram_id.to_string(),
        }
    }

    pub(super) fn decode(value: &str) -> Option<Self> {
        let (id, lang) = match value.split_once(':') {
            Some((id, lang)) => (id, Some(lang)),
            None => (value, None),
        };
        Some(Self::new(id.parse().ok()?, lang))
    }
}

impl RedisStore {
    /// Where a phone's codes go, as Redis knows it.
    pub(crate) async fn binding(&self, phone: &Phone) -> Result<Option<Binding>> {
        let value: Option<String> = self.pool.next().get(self.keys.binding(phone)).await?;
        Ok(value.as_deref().and_then(Binding::decode))
    }

    /// Links `phone` as `binding` says and unlinks the account's previous phone, if any.
    pub(crate) async fn bind(
        &self,
        phone: &Phone,
        binding: &Binding,
        previous: Option<&Phone>,
    ) -> Result<()> {
        let client = self.pool.next();
        client
            .set::<(), _, _>(
                self.keys.binding(phone),
                binding.encode(),
                Some(Expiration::EX(secs(self.binding_ttl))),
                None,
                false,
            )
            .await?;
        if let Some(previous) = previous {
            client.del::<(), _>(self.keys.binding(previous)).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Binding;
    use crate::domain::TelegramId;

    #[test]
    fn bindings_carry_the_language_when_known() {
        for binding in [
            Binding::new(TelegramId(42), Some("ru")),
            Binding::new(TelegramId(42), None),
        ] {
            assert_eq!(Binding::decode(&binding.encode()), Some(binding.clone()));
        }
        // Bindings written before languages were kept still read.
        assert_eq!(
            Binding::decode("42"),
            Some(Binding::new(TelegramId(42), None))
        );
        assert_eq!(Binding::decode("x"), None);
    }
}
