//! Small cryptographic helpers: OS randomness, keyed code hashes, constant-time comparison.

use hmac::{Hmac, Mac};
use rand::{
    SeedableRng, TryRngCore,
    distr::{Alphanumeric, SampleString},
    rngs::{OsRng, StdRng},
};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::domain::Phone;

type HmacSha256 = Hmac<Sha256>;

/// `len` random characters from `[A-Za-z0-9]`, uniformly distributed, from a generator seeded
/// by the OS CSPRNG for this token alone: one `getrandom` call per token. (Drawing each
/// character from the OS was a system call per character, 76 per login.)
pub(crate) fn random_token(len: usize) -> String {
    Alphanumeric.sample_string(&mut StdRng::from_os_rng(), len)
}

/// A numeric code of `digits` digits from the OS CSPRNG, uniformly distributed.
pub(crate) fn random_code(digits: u32) -> String {
    let mut rng = OsRng.unwrap_err();
    let n = rand::Rng::random_range(&mut rng, 0..10u32.pow(digits));
    format!("{n:0width$}", width = digits as usize)
}

/// Compares two secrets without leaking where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// A key for one purpose, derived from the service secret with a fixed label (HMAC-SHA256), so
/// no two purposes share key bytes.
pub(crate) fn derive_key(secret: &[u8], label: &str) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

/// Hashes login codes with a server-side key, so Redis never holds a code that could be used.
/// The phone is part of the message, so equal codes of different phones hash differently.
#[derive(Clone)]
pub(crate) struct CodeHasher {
    key: Vec<u8>,
}

impl CodeHasher {
    /// Derives the code key from the service secret with a fixed label, so the JWT signing key
    /// and the code key are never the same bytes.
    pub(crate) fn new(secret: &[u8]) -> Self {
        Self {
            key: derive_key(secret, "otpgram code hash v1").to_vec(),
        }
    }

    /// Lower-case hex of HMAC-SHA256(key, phone ":" code).
    pub(crate) fn hash(&self, phone: &Phone, code: &str) -> String {
        self.secret(phone.as_str(), code)
    }

    /// Lower-case hex of HMAC-SHA256(key, purpose ":" secret): how other short-lived secrets
    /// (a login link's nonce, a browser's poll token) are kept in Redis.
    pub(crate) fn secret(&self, purpose: &str, secret: &str) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(b":");
        mac.update(secret.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_the_requested_length_and_only_digits() {
        for digits in 4..=8 {
            let code = random_code(digits);
            assert_eq!(code.len(), digits as usize);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn code_hashes_depend_on_phone_code_and_key() {
        let a = CodeHasher::new(b"first secret");
        let b = CodeHasher::new(b"second secret");
        let p1 = Phone::parse("+998901234567", None).unwrap();
        let p2 = Phone::parse("+998901234568", None).unwrap();
        assert_eq!(a.hash(&p1, "123456"), a.hash(&p1, "123456"));
        assert_ne!(a.hash(&p1, "123456"), a.hash(&p1, "123457"));
        assert_ne!(a.hash(&p1, "123456"), a.hash(&p2, "123456"));
        assert_ne!(a.hash(&p1, "123456"), b.hash(&p1, "123456"));
        assert!(!a.hash(&p1, "123456").contains("123456"));
    }

    #[test]
    fn tokens_are_random() {
        assert_ne!(random_token(32), random_token(32));
        assert_eq!(random_token(32).len(), 32);
        assert!(random_token(500).bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
