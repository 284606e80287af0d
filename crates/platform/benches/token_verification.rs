//! Access-token verification cost: the cached hot path every authenticated request takes, and
//! the full EdDSA check a token pays the first time it is seen.
//!
//! Run: `cargo bench -p platform --bench token_verification`

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{
    Algorithm, EncodingKey, Header,
    jwk::{
        AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, JwkSet, OctetKeyPairParameters, OctetKeyPairType,
    },
};
use platform::http::{
    Role, TokenVerifier,
    auth::{ACCESS_TOKEN_TYPE, Claims},
};
use ring::{
    rand::SystemRandom,
    signature::{Ed25519KeyPair, KeyPair},
};

fn setup() -> (TokenVerifier, Vec<String>) {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let jwks = JwkSet {
        keys: vec![Jwk {
            common: CommonParameters { key_id: Some("k1".into()), ..Default::default() },
            algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                key_type: OctetKeyPairType::OctetKeyPair,
                curve: EllipticCurve::Ed25519,
                x: URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()),
            }),
        }],
    };
    let verifier = TokenVerifier::new("riffle", "riffle", 100_000, None);
    verifier.set_keys(&jwks);
    let key = EncodingKey::from_ed_der(pkcs8.as_ref());
    let header =
        Header { typ: Some(ACCESS_TOKEN_TYPE.into()), kid: Some("k1".into()), ..Header::new(Algorithm::EdDSA) };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    // Many distinct tokens, as from many users, so the cache is exercised beyond one hot entry.
    let tokens = (0..10_000)
        .map(|i| {
            let claims = Claims {
                iss: "riffle".into(),
                sub: uuid::Uuid::new_v4().to_string(),
                aud: "riffle".into(),
                exp: now + 900,
                iat: now,
                sid: uuid::Uuid::new_v4().to_string(),
                role: Role::User,
                jti: format!("{i}"),
            };
            jsonwebtoken::encode(&header, &claims, &key).unwrap()
        })
        .collect();
    (verifier, tokens)
}

fn bench(c: &mut Criterion) {
    let (verifier, tokens) = setup();
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    for token in &tokens {
        runtime.block_on(verifier.verify(token)).unwrap();
    }
    let mut group = c.benchmark_group("token_verification");
    let mut i = 0;
    group.bench_function("cached", |b| {
        b.iter(|| {
            i = (i + 1) % tokens.len();
            verifier.verify_cached(&tokens[i]).unwrap().unwrap()
        })
    });
    group.bench_function("first_time", |b| {
        b.iter(|| {
            i = (i + 1) % tokens.len();
            runtime.block_on(verifier.verify_uncached(&tokens[i])).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
