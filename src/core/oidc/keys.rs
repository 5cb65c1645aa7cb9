//! The keys that sign ID tokens (RS256: the algorithm every OpenID Connect client accepts).
//!
//! The first key is made the first time one is needed and kept in the database, its private
//! half encrypted (AES-256-GCM, with a key derived from `JWT_SECRET`): a copy of the database
//! alone signs nothing. Rotating makes a new key sign at once and keeps the old one published
//! for a while, so tokens it signed can still be checked. Every replica reads the same keys; each
//! keeps them in memory for `RELOAD_AFTER`.

use std::{sync::Arc, time::Duration};

use aes_gcm::{
    Aes256Gcm, KeyInit, Nonce,
    aead::{Aead, AeadCore, OsRng as AeadRng},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::Utc;
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey,
    jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse},
};
use rsa::{RsaPrivateKey, pkcs1::EncodeRsaPrivateKey};
use tokio::{sync::RwLock, time::Instant};

use super::Oidc;
use crate::{
    crypto::{derive_key, random_token},
    error::{Error, Result},
    store::sql::signing_keys::{self, KeyRow},
};

/// How long a replica trusts its copy of the keys (a rotation elsewhere is seen after this).
const RELOAD_AFTER: Duration = Duration::from_secs(60);
const RSA_BITS: usize = 2048;

/// The keys as they are now: the one that signs, and every published one.
pub(crate) struct KeySet {
    pub kid: String,
    pub signing: EncodingKey,
    /// `/.well-known/jwks.json`.
    pub jwks: JwkSet,
    verifying: Vec<(String, DecodingKey)>,
}

impl KeySet {
    /// The published key with this id, to check a token otpgram signed.
    pub(crate) fn verifying(&self, kid: &str) -> Option<&DecodingKey> {
        self.verifying
            .iter()
            .find(|(id, _)| id == kid)
            .map(|(_, key)| key)
    }
}

/// The keys, cached.
pub(crate) struct SigningKeys {
    cipher: Aes256Gcm,
    cache: RwLock<Option<(Instant, Arc<KeySet>)>>,
}

impl SigningKeys {
    /// `secret` is the service secret; the key that encrypts private keys is derived from it.
    pub(crate) fn new(secret: &[u8]) -> Self {
        let key = derive_key(secret, "otpgram signing keys v1");
        Self {
            cipher: Aes256Gcm::new(&key.into()),
            cache: RwLock::default(),
        }
    }

    /// The keys, from memory if read recently; makes the first key if there is none.
    pub(crate) async fn current(&self, db: &sea_orm::DatabaseConnection) -> Result<Arc<KeySet>> {
        if let Some((read, keys)) = self.cache.read().await.as_ref()
            && read.elapsed() < RELOAD_AFTER
        {
            return Ok(keys.clone());
        }
        let mut cache = self.cache.write().await;
        if let Some((read, keys)) = cache.as_ref()
            && read.elapsed() < RELOAD_AFTER
        {
            return Ok(keys.clone());
        }
        let mut rows = signing_keys::published(db).await?;
        if !rows.iter().any(|row| row.retired_at.is_none()) {
            rows.push(self.create(db).await?);
        }
        let keys = Arc::new(self.key_set(&rows)?);
        *cache = Some((Instant::now(), keys.clone()));
        Ok(keys)
    }

    /// A new key signs from now on; the ones before stop signing and stay published for
    /// `keep_published`. Returns the new key's id.
    pub(crate) async fn rotate(
        &self,
        db: &sea_orm::DatabaseConnection,
        keep_published: Duration,
    ) -> Result<String> {
        let row = self.create(db).await?;
        let until = Utc::now()
            + chrono::Duration::from_std(keep_published).unwrap_or(chrono::Duration::days(1));
        signing_keys::retire_all_but(db, &row.kid, until).await?;
        *self.cache.write().await = None;
        tracing::info!(kid = %row.kid, "a new ID token signing key signs from now on");
        Ok(row.kid)
    }

    /// Makes, encrypts and stores a new key. Several replicas starting at once may each make
    /// one: all are published, and the newest signs.
    async fn create(&self, db: &sea_orm::DatabaseConnection) -> Result<KeyRow> {
        let private = tokio::task::spawn_blocking(|| {
            RsaPrivateKey::new(&mut rsa::rand_core::OsRng, RSA_BITS)
        })
        .await
        .map_err(|e| Error::Internal(e.into()))?
        .map_err(|e| Error::Internal(anyhow::anyhow!("making an RSA key: {e}")))?;
        let der = private
            .to_pkcs1_der()
            .map_err(|e| Error::Internal(anyhow::anyhow!("encoding an RSA key: {e}")))?;
        let kid = random_token(16);
        let jwk = public_jwk(&kid, &EncodingKey::from_rsa_der(der.as_bytes()))?;
        let row = KeyRow {
            kid,
            algorithm: "RS256".into(),
            private_key: self.seal(der.as_bytes())?,
            public_jwk: serde_json::to_string(&jwk).map_err(|e| Error::Internal(e.into()))?,
            created_at: Utc::now(),
            retired_at: None,
            unpublish_at: None,
        };
        signing_keys::insert(db, row.clone()).await?;
        tracing::info!(kid = %row.kid, "made an ID token signing key");
        Ok(row)
    }

    fn key_set(&self, rows: &[KeyRow]) -> Result<KeySet> {
        let signer = rows
            .iter()
            .filter(|row| row.retired_at.is_none())
            .max_by_key(|row| (row.created_at, row.kid.clone()))
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("no signing key")))?;
        let der = self.open(&signer.private_key)?;
        let mut jwks = JwkSet { keys: Vec::new() };
        let mut verifying = Vec::new();
        for row in rows {
            let jwk: Jwk =
                serde_json::from_str(&row.public_jwk).map_err(|e| Error::Internal(e.into()))?;
            let key = DecodingKey::from_jwk(&jwk).map_err(|e| Error::Internal(e.into()))?;
            verifying.push((row.kid.clone(), key));
            jwks.keys.push(jwk);
        }
        Ok(KeySet {
            kid: signer.kid.clone(),
            signing: EncodingKey::from_rsa_der(&der),
            jwks,
            verifying,
        })
    }

    /// base64(nonce ‖ AES-256-GCM ciphertext).
    fn seal(&self, plain: &[u8]) -> Result<String> {
        let nonce = Aes256Gcm::generate_nonce(&mut AeadRng);
        let sealed = self
            .cipher
            .encrypt(&nonce, plain)
            .map_err(|_| Error::Internal(anyhow::anyhow!("encrypting a signing key")))?;
        Ok(STANDARD.encode([&nonce[..], &sealed].concat()))
    }

    fn open(&self, stored: &str) -> Result<Vec<u8>> {
        let bytes = STANDARD
            .decode(stored)
            .map_err(|e| Error::Internal(e.into()))?;
        if bytes.len() < 12 {
            return Err(Error::Internal(anyhow::anyhow!(
                "a stored signing key is cut short"
            )));
        }
        let (nonce, sealed) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce
            .try_into()
            .map_err(|_| Error::Internal(anyhow::anyhow!("nonce")))?;
        self.cipher
            .decrypt(&Nonce::from(nonce), sealed)
            .map_err(|_| {
                Error::Internal(anyhow::anyhow!(
                    "a signing key does not decrypt: was JWT_SECRET changed?"
                ))
            })
    }
}

fn public_jwk(kid: &str, key: &EncodingKey) -> Result<Jwk> {
    let mut jwk =
        Jwk::from_encoding_key(key, Algorithm::RS256).map_err(|e| Error::Internal(e.into()))?;
    jwk.common.key_id = Some(kid.to_string());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    jwk.common.key_algorithm = Some(KeyAlgorithm::RS256);
    Ok(jwk)
}

/// A new ID token signing key signs from now on; the old ones stay in the JWKS for
/// `keep_published`. Returns the new key's id.
pub(crate) async fn rotate_signing_key(oidc: &Oidc, keep_published: Duration) -> Result<String> {
    oidc.keys.rotate(&oidc.db, keep_published).await
}

/// The keys in use: the one that signs, and every one published.
pub(crate) async fn in_use(oidc: &Oidc) -> Result<Arc<KeySet>> {
    oidc.keys.current(&oidc.db).await
}

/// The id (`kid`) of the key that signs ID tokens now.
pub(crate) async fn signing_key_id(oidc: &Oidc) -> Result<String> {
    Ok(in_use(oidc).await?.kid.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_keys_are_sealed_with_the_service_secret() {
        let keys = SigningKeys::new(b"first secret");
        let sealed = keys.seal(b"private key bytes").unwrap();
        assert!(!sealed.contains("private"));
        assert_eq!(keys.open(&sealed).unwrap(), b"private key bytes");
        let other = SigningKeys::new(b"second secret");
        assert!(other.open(&sealed).is_err());
    }
}
