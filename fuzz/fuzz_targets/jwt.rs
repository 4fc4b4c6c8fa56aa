//! Bearer tokens as any client may send them: verification must refuse every forgery without a
//! panic, and accept nothing it did not sign.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use tandem_server::{SigningKey, TokenVerifier};

fn verifier() -> &'static TokenVerifier {
    static VERIFIER: OnceLock<TokenVerifier> = OnceLock::new();
    VERIFIER.get_or_init(|| {
        let key = Arc::new(SigningKey::generate().expect("key"));
        TokenVerifier::new(key, "tenant", &["https://graph.microsoft.com".to_owned()])
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    assert!(
        verifier().verify(token, 1_700_000_000).is_err(),
        "a token this key never signed was accepted: {token}"
    );
});
