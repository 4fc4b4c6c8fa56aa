//! ES256 JSON Web Tokens: the signing key, the claims Tandem issues, signing and signature checks.
//!
//! Tokens look like the v2.0 access tokens of Microsoft's identity platform (same claim names, a `kid`
//! header, ES256 over a P-256 key) so that clients and JWT libraries treat them the same way. The key is
//! generated with `ring` on first start and kept in the data dir as PKCS#8.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{self, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::ServerError;

/// The claims of a Tandem access token (a client-credentials, app-only token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Audience: the resource the token is for, e.g. `https://graph.microsoft.com`.
    pub aud: String,
    /// Issuer: `{base}/{tid}/v2.0`.
    pub iss: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Not before (Unix seconds).
    pub nbf: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
    /// The client id of the app the token was issued to.
    pub azp: String,
    /// The client id again, under its v1.0 name (many clients read this one).
    pub appid: String,
    /// How the client authenticated: `1`, a client secret (as the identity platform writes it).
    #[serde(default)]
    pub azpacr: String,
    /// Object id of the app's service principal.
    pub oid: String,
    /// Subject: the same as `oid` for app-only tokens.
    pub sub: String,
    /// Tenant id.
    pub tid: String,
    /// App roles granted to the app.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Identity type: `app`.
    pub idtyp: String,
    /// Token version: `2.0`.
    pub ver: String,
}

/// Why a token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not three base64url parts with JSON inside.
    #[error("the token is not a well-formed JWT: {0}")]
    Malformed(String),
    /// Signed with another algorithm or key.
    #[error("the token was signed with algorithm {alg:?} and key {kid:?}, not this server's key")]
    UnknownKey {
        /// The `alg` header.
        alg: String,
        /// The `kid` header.
        kid: String,
    },
    /// The signature does not match.
    #[error("the token signature is invalid")]
    BadSignature,
    /// Past `exp`.
    #[error("the token expired at {exp} (Unix seconds)")]
    Expired {
        /// The `exp` claim.
        exp: i64,
    },
    /// Before `nbf`.
    #[error("the token is not valid before {nbf} (Unix seconds)")]
    NotYetValid {
        /// The `nbf` claim.
        nbf: i64,
    },
    /// Issued for another tenant.
    #[error("the token was issued for tenant {tid:?}, not this one")]
    WrongTenant {
        /// The `tid` claim.
        tid: String,
    },
    /// Issued for another resource.
    #[error("the token audience {aud:?} is not accepted here")]
    WrongAudience {
        /// The `aud` claim.
        aud: String,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    typ: String,
    #[serde(default)]
    kid: String,
}

/// A P-256 key pair that signs tokens, with its key id.
pub struct SigningKey {
    pkcs8: Vec<u8>,
    pair: EcdsaKeyPair,
    kid: String,
    rng: SystemRandom,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Generates a new key.
    pub fn generate() -> Result<SigningKey, ServerError> {
        let rng = SystemRandom::new();
        let document = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| ServerError::Key("cannot generate a P-256 key".into()))?;
        SigningKey::from_pkcs8(document.as_ref())
    }

    /// Reads a key from its PKCS#8 document.
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<SigningKey, ServerError> {
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
            .map_err(|e| ServerError::Key(format!("not a P-256 PKCS#8 key: {e}")))?;
        let digest = ring::digest::digest(&ring::digest::SHA256, pair.public_key().as_ref());
        let kid = URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16]);
        Ok(SigningKey {
            pkcs8: pkcs8.to_vec(),
            pair,
            kid,
            rng,
        })
    }

    /// The PKCS#8 document, for keeping the key in the data dir.
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The key id written into every token's `kid` header and the JWKS.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK (`kty` EC, `crv` P-256).
    pub fn jwk(&self) -> Value {
        // An uncompressed point: 0x04, then 32 bytes of x and 32 bytes of y.
        let point = self.pair.public_key().as_ref();
        json!({
            "kty": "EC",
            "use": "sig",
            "alg": "ES256",
            "crv": "P-256",
            "kid": self.kid,
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        })
    }

    /// Signs `claims` into a compact JWT.
    pub fn sign(&self, claims: &Claims) -> Result<String, ServerError> {
        let header = Header {
            alg: "ES256".into(),
            typ: "JWT".into(),
            kid: self.kid.clone(),
        };
        let signing_input = format!("{}.{}", encode_json(&header)?, encode_json(claims)?);
        let signature = self
            .pair
            .sign(&self.rng, signing_input.as_bytes())
            .map_err(|_| ServerError::Key("signing failed".into()))?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        ))
    }

    /// Checks the token's header and signature and returns its claims. Times, tenant and audience are
    /// the caller's to check (see [`crate::auth::TokenVerifier`]).
    pub fn verify_signature(&self, token: &str) -> Result<Claims, TokenError> {
        let malformed = || TokenError::Malformed("expected three dot-separated parts".into());
        let (signing_input, sig) = token.rsplit_once('.').ok_or_else(malformed)?;
        let (header, payload) = signing_input.split_once('.').ok_or_else(malformed)?;
        if payload.contains('.') {
            return Err(malformed());
        }
        let header: Header = decode_json(header, "header")?;
        if header.alg != "ES256" || header.kid != self.kid {
            return Err(TokenError::UnknownKey {
                alg: header.alg,
                kid: header.kid,
            });
        }
        let sig_bytes = decode(sig, "signature")?;
        let public = signature::UnparsedPublicKey::new(
            &signature::ECDSA_P256_SHA256_FIXED,
            self.pair.public_key().as_ref(),
        );
        public
            .verify(signing_input.as_bytes(), &sig_bytes)
            .map_err(|_| TokenError::BadSignature)?;
        decode_json(payload, "payload")
    }
}

fn decode(part: &str, what: &str) -> Result<Vec<u8>, TokenError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|e| TokenError::Malformed(format!("{what} is not base64url: {e}")))
}

fn decode_json<T: serde::de::DeserializeOwned>(part: &str, what: &str) -> Result<T, TokenError> {
    serde_json::from_slice(&decode(part, what)?)
        .map_err(|e| TokenError::Malformed(format!("{what}: {e}")))
}

fn encode_json<T: Serialize>(value: &T) -> Result<String, ServerError> {
    let bytes = serde_json::to_vec(value).map_err(|e| ServerError::Key(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Claims of a valid app token, for this module's and the verifier's tests.
    pub(crate) fn claims() -> Claims {
        Claims {
            aud: "https://graph.microsoft.com".into(),
            iss: "http://127.0.0.1/t/v2.0".into(),
            iat: 100,
            nbf: 100,
            exp: 200,
            azp: "app".into(),
            appid: "app".into(),
            azpacr: "1".into(),
            oid: "o".into(),
            sub: "o".into(),
            tid: "t".into(),
            roles: vec!["R".into()],
            idtyp: "app".into(),
            ver: "2.0".into(),
        }
    }

    #[test]
    fn signed_token_verifies_and_survives_a_pkcs8_round_trip() {
        let key = SigningKey::generate().unwrap();
        let token = key.sign(&claims()).unwrap();
        let reloaded = SigningKey::from_pkcs8(key.pkcs8()).unwrap();
        assert_eq!(reloaded.kid(), key.kid());
        assert_eq!(reloaded.verify_signature(&token).unwrap(), claims());
    }

    #[test]
    fn tampered_payload_and_foreign_key_are_rejected() {
        let key = SigningKey::generate().unwrap();
        let token = key.sign(&claims()).unwrap();
        let mut forged = claims();
        forged.roles.push("Admin".into());
        let forged_payload = encode_json(&forged).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let tampered = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
        assert_eq!(
            key.verify_signature(&tampered),
            Err(TokenError::BadSignature)
        );

        let other = SigningKey::generate().unwrap();
        let foreign = other.sign(&claims()).unwrap();
        assert!(matches!(
            key.verify_signature(&foreign),
            Err(TokenError::UnknownKey { .. })
        ));
        assert!(matches!(
            key.verify_signature("a.b"),
            Err(TokenError::Malformed(_))
        ));
    }
}
