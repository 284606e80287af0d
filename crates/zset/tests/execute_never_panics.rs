//! Random argument vectors fed to `execute` must never panic (the cheap,
//! always-on sibling of the cargo-fuzz target in `fuzz/`).

use proptest::prelude::*;
use zset::{Config, Keyspace, Reply};

fn arg() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "k", "k2", "0", "1", "-1", "inf", "-inf", "(1", "[a", "(a", "-", "+", "nan", "LIMIT", "WITHSCORES",
            "WITHSCORE", "REV", "BYSCORE", "BYLEX", "NX", "XX", "GT", "LT", "CH", "INCR", "WEIGHTS", "AGGREGATE",
            "MAX", "MIN", "SUM", "MATCH", "COUNT", "*", "2", "3", "9223372036854775807", "-9223372036854775808",
            "18446744073709551615", "1e308", "",
        ]).prop_map(|s| s.as_bytes().to_vec()),
        1 => prop::collection::vec(any::<u8>(), 0..12),
        1 => any::<i64>().prop_map(|n| n.to_string().into_bytes()),
    ]
}

fn command() -> impl Strategy<Value = Vec<u8>> {
    prop::sample::select(vec![
        "ZADD",
        "ZINCRBY",
        "ZREM",
        "ZSCORE",
        "ZMSCORE",
        "ZCARD",
        "ZCOUNT",
        "ZLEXCOUNT",
        "ZRANK",
        "ZREVRANK",
        "ZRANGE",
        "ZRANGESTORE",
        "ZREVRANGE",
        "ZRANGEBYSCORE",
        "ZREVRANGEBYSCORE",
        "ZRANGEBYLEX",
        "ZREVRANGEBYLEX",
        "ZREMRANGEBYRANK",
        "ZREMRANGEBYSCORE",
        "ZREMRANGEBYLEX",
        "ZPOPMIN",
        "ZPOPMAX",
        "ZRANDMEMBER",
        "ZUNION",
        "ZINTER",
        "ZDIFF",
        "ZUNIONSTORE",
        "ZINTERSTORE",
        "ZDIFFSTORE",
        "ZINTERCARD",
        "ZSCAN",
        "DEL",
        "EXISTS",
        "EXPIRE",
        "TTL",
        "PERSIST",
        "BOGUS",
    ])
    .prop_map(|s| s.as_bytes().to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_argv_never_panics(
        packed in prop::sample::select(vec![0usize, 2, 1024]),
        script in prop::collection::vec((command(), prop::collection::vec(arg(), 0..9)), 1..120),
    ) {
        let ks = Keyspace::new(Config { packed_max_entries: packed, ..Config::default() });
        // Seed keys so commands hit real data.
        ks.execute(&[b"ZADD", b"k", b"1", b"a", b"2", b"b", b"2", b"10", b"3", b"9"]);
        ks.execute(&[b"ZADD", b"k2", b"0", b"a", b"0", b"b", b"0", b"c"]);
        for (name, args) in &script {
            let mut argv: Vec<&[u8]> = vec![name];
            argv.extend(args.iter().map(Vec::as_slice));
            let reply = ks.execute(&argv);
            // Replies are always well-formed RESP.
            prop_assert!(!reply.to_resp().is_empty());
            if let Reply::Error(e) = &reply {
                prop_assert!(e.starts_with("ERR "), "{}", e);
            }
        }
    }
}
