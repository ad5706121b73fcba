//! Ed25519 keys for signing checkpoints, as standard PEM files.
//!
//! The private key is PKCS#8 (`-----BEGIN PRIVATE KEY-----`), the public
//! key SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`): the formats
//! OpenSSL reads, so a third party can check a checkpoint's signature
//! without Bazaar (see `docs/audit.md`). Keys are generated from the
//! operating system's random source; the private key is wiped from memory
//! when dropped.

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::spki::der::zeroize::Zeroizing;
use ed25519_dalek::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, KeypairBytes,
};
use ed25519_dalek::{SigningKey, VerifyingKey};

use super::error::{AuditError, Result};

/// A new signing key from the operating system's random source.
pub fn generate() -> Result<SigningKey> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::getrandom(seed.as_mut()).map_err(|e| AuditError::InvalidFile {
        what: "random source",
        reason: e.to_string(),
    })?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The private key as a PKCS#8 v1 PEM document (RFC 8410, without the
/// optional public key, which OpenSSL 3.0 cannot read).
pub fn private_key_pem(key: &SigningKey) -> Result<Zeroizing<String>> {
    let bytes = KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    };
    bytes
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| bad("private key", e))
}

/// The public key as a SubjectPublicKeyInfo PEM document.
pub fn public_key_pem(key: &VerifyingKey) -> Result<String> {
    key.to_public_key_pem(LineEnding::LF)
        .map_err(|e| bad("public key", e))
}

/// Reads a PKCS#8 PEM private key.
pub fn read_private_key(pem: &str) -> Result<SigningKey> {
    SigningKey::from_pkcs8_pem(pem.trim()).map_err(|e| bad("private key", e))
}

/// Reads a SubjectPublicKeyInfo PEM public key.
pub fn read_public_key(pem: &str) -> Result<VerifyingKey> {
    VerifyingKey::from_public_key_pem(pem.trim()).map_err(|e| bad("public key", e))
}

fn bad(what: &'static str, error: impl std::fmt::Display) -> AuditError {
    AuditError::InvalidFile {
        what,
        reason: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_pem() {
        let key = generate().unwrap();
        let private = private_key_pem(&key).unwrap();
        assert!(private.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert_eq!(
            read_private_key(&private).unwrap().to_bytes(),
            key.to_bytes()
        );
        let public = public_key_pem(&key.verifying_key()).unwrap();
        assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
        assert_eq!(read_public_key(&public).unwrap(), key.verifying_key());
        assert_ne!(generate().unwrap().to_bytes(), key.to_bytes());
    }

    #[test]
    fn an_openssl_key_is_read() {
        // `openssl genpkey -algorithm ed25519` (PKCS#8 v1), and its public key
        let private = "-----BEGIN PRIVATE KEY-----\n\
            MC4CAQAwBQYDK2VwBCIEIGVZtEnr8OcXHbOHHx+G8qJJyaJQblRCo897QcWjNWNr\n\
            -----END PRIVATE KEY-----\n";
        let key = read_private_key(private).unwrap();
        assert_eq!(&*private_key_pem(&key).unwrap(), private);
        assert_eq!(
            public_key_pem(&key.verifying_key()).unwrap(),
            "-----BEGIN PUBLIC KEY-----\n\
             MCowBQYDK2VwAyEAPqrtrm+So/4nWICZopcnBzJSrjwoJFYb1hlBrBOHRdg=\n\
             -----END PUBLIC KEY-----\n"
        );
    }

    #[test]
    fn a_public_key_is_not_a_private_key() {
        let key = generate().unwrap();
        let public = public_key_pem(&key.verifying_key()).unwrap();
        assert!(read_private_key(&public).is_err());
        assert!(read_public_key("not a key").is_err());
    }
}
