//! Bindings in Redis: where a phone's codes go, kept hot beside the database's truth.

use fred::prelude::{Expiration, KeysInterface};

use super::{RedisStore, secs};
use crate::{
    domain::{Binding, Lang, Phone},
    error::Result,
};

/// A binding as Redis stores it: `telegram_id[:lang]`.
pub(super) fn encode(binding: &Binding) -> String {
    match &binding.language {
        Some(lang) => format!("{}:{}", binding.telegram_id, lang.code()),
        None => binding.telegram_id.to_string(),
    }
}

/// The binding in a stored value (one written before languages were kept has none).
pub(super) fn decode(value: &str) -> Option<Binding> {
    let (id, lang) = match value.split_once(':') {
        Some((id, lang)) => (id, Some(lang)),
        None => (value, None),
    };
    Some(Binding::new(id.parse().ok()?, lang.and_then(Lang::parse)))
}

impl RedisStore {
    /// Where a phone's codes go, as Redis knows it.
    pub(crate) async fn binding(&self, phone: &Phone) -> Result<Option<Binding>> {
        let value: Option<String> = self.pool.next().get(self.keys.binding(phone)).await?;
        Ok(value.as_deref().and_then(decode))
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
                encode(binding),
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
    use super::{decode, encode};
    use crate::domain::{Binding, Lang, TelegramId};

    #[test]
    fn bindings_carry_the_language_when_known() {
        for binding in [
            Binding::new(TelegramId(42), Some(Lang::Ru)),
            Binding::new(TelegramId(42), None),
        ] {
            assert_eq!(decode(&encode(&binding)), Some(binding.clone()));
        }
        // Bindings written before languages were kept still read.
        assert_eq!(decode("42"), Some(Binding::new(TelegramId(42), None)));
        assert_eq!(decode("x"), None);
    }
}
