//! Fixed cases ported in spirit from Redis's `tests/unit/type/zset.tcl`,
//! focused on the tricky semantics. Every case runs against both storage
//! tiers (packed limit 1024 and 0), like zset.tcl runs each block with the
//! listpack and the skiplist encoding.

use std::sync::Arc;

use zset::{Config, Keyspace, ManualClock, Reply};

fn engines() -> Vec<Keyspace> {
    [1024, 0]
        .into_iter()
        .map(|packed| Keyspace::new(Config { packed_max_entries: packed, ..Config::default() }))
        .collect()
}

fn run(ks: &Keyspace, cmd: &str) -> Reply {
    let args: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
    ks.execute(&args)
}

fn int(n: i64) -> Reply {
    Reply::Integer(n)
}

fn bulk(s: &str) -> Reply {
    Reply::Bulk(s.as_bytes().to_vec())
}

fn err(s: &str) -> Reply {
    Reply::Error(format!("ERR {s}"))
}

fn arr(items: &[&str]) -> Reply {
    Reply::Array(items.iter().map(|s| bulk(s)).collect())
}

/// `[member, score, ...]` with scores as doubles.
fn scored(items: &[(&str, f64)]) -> Reply {
    Reply::Array(items.iter().flat_map(|(m, s)| [bulk(m), Reply::Double(*s)]).collect())
}

#[test]
fn zadd_flags() {
    for ks in engines() {
        // "ZADD XX option without key" / "XX existing key"
        assert_eq!(run(&ks, "ZADD z XX 10 x"), int(0));
        assert_eq!(run(&ks, "EXISTS z"), int(0));
        run(&ks, "ZADD z 10 x");
        assert_eq!(run(&ks, "ZADD z XX 20 y"), int(0));
        assert_eq!(run(&ks, "ZCARD z"), int(1));
        // "ZADD NX only add new elements without updating old ones"
        assert_eq!(run(&ks, "ZADD z NX 11 x 21 y"), int(1));
        assert_eq!(run(&ks, "ZSCORE z x"), Reply::Double(10.0));
        assert_eq!(run(&ks, "ZSCORE z y"), Reply::Double(21.0));
        // "ZADD GT updates existing elements when new scores are greater" (+ adds new)
        assert_eq!(run(&ks, "ZADD z GT CH 5 x 30 y 1 w"), int(2));
        assert_eq!(run(&ks, "ZSCORE z x"), Reply::Double(10.0));
        assert_eq!(run(&ks, "ZSCORE z y"), Reply::Double(30.0));
        // "ZADD LT ..." with XX
        assert_eq!(run(&ks, "ZADD z LT XX CH 5 x 40 y 7 newcomer"), int(1));
        assert_eq!(run(&ks, "ZSCORE z newcomer"), Reply::Nil);
        // "ZADD INCR works like ZINCRBY" and returns nil when blocked.
        assert_eq!(run(&ks, "ZADD z INCR 15 x"), Reply::Double(20.0));
        assert_eq!(run(&ks, "ZADD z NX INCR 1 x"), Reply::Nil);
        assert_eq!(run(&ks, "ZADD z GT INCR -1 x"), Reply::Nil);
        assert_eq!(run(&ks, "ZADD z XX INCR 1 nosuch"), Reply::Nil);
        // "ZADD CH option changes return value to all changed elements"
        assert_eq!(run(&ks, "ZADD z CH 20 x 31 y 2 q"), int(2));
        // Compatibility errors.
        assert_eq!(run(&ks, "ZADD z XX NX 1 a"), err("XX and NX options at the same time are not compatible"));
        for flags in ["GT LT", "GT NX", "LT NX"] {
            assert_eq!(
                run(&ks, &format!("ZADD z {flags} 1 a")),
                err("GT, LT, and/or NX options at the same time are not compatible")
            );
        }
        assert_eq!(run(&ks, "ZADD z INCR 1 a 2 b"), err("INCR option supports a single increment-element pair"));
        assert_eq!(run(&ks, "ZADD z 1 a 2"), err("syntax error"));
        assert_eq!(run(&ks, "ZADD z CH 1"), err("syntax error"));
        assert_eq!(run(&ks, "ZADD z CH"), err("wrong number of arguments for 'zadd' command"));
        assert_eq!(run(&ks, "ZADD z"), err("wrong number of arguments for 'zadd' command"));
    }
}

#[test]
fn zadd_scores_are_all_validated_first() {
    for ks in engines() {
        // "ZADD - Variadic version will raise error on missing arg" /
        // "ZADD - Return value is the number of actually added items":
        // one bad score makes the whole command a no-op.
        assert_eq!(run(&ks, "ZADD z 10 a 20 b abc c"), err("value is not a valid float"));
        assert_eq!(run(&ks, "EXISTS z"), int(0));
        for bad in ["nan", "NaN", " 1", "1e400"] {
            let args: Vec<&[u8]> = vec![b"ZADD", b"z", bad.as_bytes(), b"m"];
            assert_eq!(ks.execute(&args), err("value is not a valid float"), "{bad:?}");
        }
        assert_eq!(ks.execute(&[b"ZADD", b"z", b"", b"m"]), err("value is not a valid float"));
        assert_eq!(run(&ks, "ZADD z inf a -inf b +inf c Infinity d"), int(4));
        assert_eq!(
            run(&ks, "ZRANGE z 0 -1 WITHSCORES"),
            scored(&[("b", f64::NEG_INFINITY), ("a", f64::INFINITY), ("c", f64::INFINITY), ("d", f64::INFINITY)])
        );
    }
}

#[test]
fn incr_to_nan_is_an_error() {
    for ks in engines() {
        // "ZINCRBY calls leading to NaN result in error"
        run(&ks, "ZINCRBY z +inf m");
        assert_eq!(run(&ks, "ZINCRBY z -inf m"), err("resulting score is not a number (NaN)"));
        assert_eq!(run(&ks, "ZADD z INCR -inf m"), err("resulting score is not a number (NaN)"));
        assert_eq!(run(&ks, "ZSCORE z m").to_resp(), b"$3\r\ninf\r\n");
        // "ZADD GT/LT INCR against infinite score replies nil"
        assert_eq!(run(&ks, "ZADD z GT INCR 1 m"), Reply::Nil);
        assert_eq!(run(&ks, "ZINCRBY z 1"), err("wrong number of arguments for 'zincrby' command"));
    }
}

#[test]
fn tie_order_is_member_bytes() {
    for ks in engines() {
        // Integer-only set (stored as u64): still byte order, not numeric.
        run(&ks, "ZADD ints 5 9 5 10 5 1 5 100 5 18446744073709551615 4 99");
        assert_eq!(run(&ks, "ZRANGE ints 0 -1"), arr(&["99", "1", "10", "100", "18446744073709551615", "9"]));
        run(&ks, "ZREM ints 99");
        assert_eq!(run(&ks, "ZRANGEBYLEX ints (10 [9"), arr(&["100", "18446744073709551615", "9"]));
        // Equal scores sort by bytes: "10" < "9" < "a" (anchors §1.5).
        run(&ks, "ZADD z 5 a 5 9 5 10 5 1 5 100 5 18446744073709551615 4 99");
        assert_eq!(run(&ks, "ZRANGE z 0 -1"), arr(&["99", "1", "10", "100", "18446744073709551615", "9", "a"]));
        assert_eq!(run(&ks, "ZRANK z 9"), int(5));
        assert_eq!(run(&ks, "ZREVRANK z 9"), int(1));
        assert_eq!(run(&ks, "ZRANK z 9 WITHSCORE"), Reply::Array(vec![int(5), Reply::Double(5.0)]));
        assert_eq!(run(&ks, "ZRANK z nosuch WITHSCORE"), Reply::NilArray);
        assert_eq!(run(&ks, "ZRANK z 9 bogus"), err("syntax error"));
        // Non-canonical integers stay bytes: "007" is not 7.
        run(&ks, "ZADD z 5 007 5 7");
        assert_eq!(run(&ks, "ZRANGE z 0 1"), arr(&["99", "007"]));
        assert_eq!(run(&ks, "ZSCORE z 7"), Reply::Double(5.0));
    }
}

#[test]
fn rank_ranges() {
    for ks in engines() {
        // "ZRANGE basics"
        run(&ks, "ZADD z 1 a 2 b 3 c 4 d");
        assert_eq!(run(&ks, "ZRANGE z 0 -1"), arr(&["a", "b", "c", "d"]));
        assert_eq!(run(&ks, "ZRANGE z 0 -2"), arr(&["a", "b", "c"]));
        assert_eq!(run(&ks, "ZRANGE z -5 2"), arr(&["a", "b", "c"]));
        assert_eq!(run(&ks, "ZRANGE z 5 -1"), arr(&[]));
        assert_eq!(run(&ks, "ZRANGE z 0 -5"), arr(&[]));
        assert_eq!(run(&ks, "ZRANGE z 1 100"), arr(&["b", "c", "d"]));
        assert_eq!(run(&ks, "ZREVRANGE z 0 1 WITHSCORES"), scored(&[("d", 4.0), ("c", 3.0)]));
        assert_eq!(run(&ks, "ZRANGE z 0 1 REV"), arr(&["d", "c"]));
        assert_eq!(run(&ks, "ZRANGE z x 1"), err("value is not an integer or out of range"));
        // LIMIT is only for BYSCORE/BYLEX, except Redis's "no limit" -1.
        assert_eq!(
            run(&ks, "ZRANGE z 0 -1 LIMIT 0 1"),
            err("syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
        );
        assert_eq!(run(&ks, "ZRANGE z 0 -1 LIMIT 1 -1"), arr(&["a", "b", "c", "d"]));
        // "ZREMRANGEBYRANK basics"
        assert_eq!(run(&ks, "ZREMRANGEBYRANK z 1 -2"), int(2));
        assert_eq!(run(&ks, "ZRANGE z 0 -1"), arr(&["a", "d"]));
        assert_eq!(run(&ks, "ZREMRANGEBYRANK z 0 -1"), int(2));
        assert_eq!(run(&ks, "EXISTS z"), int(0));
    }
}

#[test]
fn score_ranges() {
    for ks in engines() {
        // "ZRANGEBYSCORE/ZREVRANGEBYSCORE/ZCOUNT basics"
        run(&ks, "ZADD z -inf a 1 b 2 c 3 d 4 e 5 f +inf g");
        assert_eq!(run(&ks, "ZRANGEBYSCORE z 0 3"), arr(&["b", "c", "d"]));
        assert_eq!(run(&ks, "ZRANGEBYSCORE z (0 (3"), arr(&["b", "c"]));
        assert_eq!(run(&ks, "ZREVRANGEBYSCORE z 6 3"), arr(&["f", "e", "d"]));
        assert_eq!(run(&ks, "ZREVRANGEBYSCORE z (6 (3"), arr(&["f", "e"]));
        assert_eq!(run(&ks, "ZCOUNT z 0 3"), int(3));
        assert_eq!(run(&ks, "ZCOUNT z (0 (3"), int(2));
        assert_eq!(run(&ks, "ZRANGEBYSCORE z -inf +inf"), arr(&["a", "b", "c", "d", "e", "f", "g"]));
        assert_eq!(run(&ks, "ZRANGEBYSCORE z (-inf (+inf"), arr(&["b", "c", "d", "e", "f"]));
        assert_eq!(run(&ks, "ZRANGEBYSCORE z 2 (2"), arr(&[]));
        assert_eq!(run(&ks, "ZRANGEBYSCORE z 4 2"), arr(&[]));
        // "ZRANGEBYSCORE with LIMIT"
        assert_eq!(run(&ks, "ZRANGEBYSCORE z 0 10 LIMIT 0 2"), arr(&["b", "c"]));
        assert_eq!(run(&ks, "ZRANGEBYSCORE z 0 10 LIMIT 2 3"), arr(&["d", "e", "f"]));
        assert_eq!(run(&ks, "ZRANGEBYSCORE z 0 10 LIMIT 2 10"), arr(&["d", "e", "f"]));
        assert_eq!(run(&ks, "ZRANGEBYSCORE z 0 10 LIMIT 20 10"), arr(&[]));
        assert_eq!(run(&ks, "ZRANGEBYSCORE z 0 10 LIMIT 2 -1"), arr(&["d", "e", "f"]));
        assert_eq!(run(&ks, "ZRANGEBYSCORE z 0 10 LIMIT -1 2"), arr(&[]));
        assert_eq!(run(&ks, "ZREVRANGEBYSCORE z 10 0 LIMIT 0 2"), arr(&["f", "e"]));
        assert_eq!(run(&ks, "ZREVRANGEBYSCORE z 10 0 LIMIT 2 10"), arr(&["d", "c", "b"]));
        assert_eq!(run(&ks, "ZRANGE z 10 0 BYSCORE REV LIMIT 1 2 WITHSCORES"), scored(&[("e", 4.0), ("d", 3.0)]));
        // "ZRANGEBYSCORE with non-value min or max"
        for (min, max) in [("str", "1"), ("1", "str"), ("1", "NaN"), ("(nan", "1")] {
            assert_eq!(run(&ks, &format!("ZRANGEBYSCORE z {min} {max}")), err("min or max is not a float"));
        }
        // Syntax errors of mixed forms (zset.tcl:2387-2396).
        assert_eq!(run(&ks, "ZRANGEBYSCORE z 0 1 REV"), err("syntax error"));
        assert_eq!(run(&ks, "ZREVRANGE z 0 1 BYSCORE"), err("syntax error"));
        // "ZREMRANGEBYSCORE basics"
        assert_eq!(run(&ks, "ZREMRANGEBYSCORE z (1 3"), int(2));
        assert_eq!(run(&ks, "ZRANGE z 0 -1"), arr(&["a", "b", "e", "f", "g"]));
        assert_eq!(run(&ks, "ZREMRANGEBYSCORE z x 3"), err("min or max is not a float"));
    }
}

#[test]
fn lex_ranges() {
    for ks in engines() {
        // "ZRANGEBYLEX/ZREVRANGEBYLEX/ZLEXCOUNT basics"
        run(&ks, "ZADD z 0 alpha 0 bar 0 cool 0 down 0 elephant 0 foo 0 great 0 hill 0 omega");
        assert_eq!(run(&ks, "ZRANGEBYLEX z - [cool"), arr(&["alpha", "bar", "cool"]));
        assert_eq!(run(&ks, "ZRANGEBYLEX z - (cool"), arr(&["alpha", "bar"]));
        assert_eq!(run(&ks, "ZRANGEBYLEX z [bar [down"), arr(&["bar", "cool", "down"]));
        assert_eq!(run(&ks, "ZRANGEBYLEX z (bar (down"), arr(&["cool"]));
        assert_eq!(run(&ks, "ZRANGEBYLEX z (great +"), arr(&["hill", "omega"]));
        assert_eq!(run(&ks, "ZREVRANGEBYLEX z [cool -"), arr(&["cool", "bar", "alpha"]));
        assert_eq!(run(&ks, "ZREVRANGEBYLEX z + (great"), arr(&["omega", "hill"]));
        assert_eq!(run(&ks, "ZLEXCOUNT z - +"), int(9));
        assert_eq!(run(&ks, "ZLEXCOUNT z + -"), int(0));
        assert_eq!(run(&ks, "ZLEXCOUNT z [bar [down"), int(3));
        // "ZRANGEBYLEX with LIMIT"
        assert_eq!(run(&ks, "ZRANGEBYLEX z - [cool LIMIT 0 2"), arr(&["alpha", "bar"]));
        assert_eq!(run(&ks, "ZRANGEBYLEX z - [cool LIMIT 1 2"), arr(&["bar", "cool"]));
        assert_eq!(run(&ks, "ZRANGEBYLEX z [bar [down LIMIT 0 0"), arr(&[]));
        assert_eq!(run(&ks, "ZRANGEBYLEX z [bar [down LIMIT 2 0"), arr(&[]));
        assert_eq!(run(&ks, "ZRANGEBYLEX z [bar [down LIMIT 0 -1"), arr(&["bar", "cool", "down"]));
        assert_eq!(run(&ks, "ZREVRANGEBYLEX z [down - LIMIT 0 2"), arr(&["down", "cool"]));
        // "ZRANGEBYLEX with invalid lex range specifiers"
        for (min, max) in [("foo", "bar"), ("[foo", "bar"), ("+x", "[bar"), ("-x", "+")] {
            assert_eq!(run(&ks, &format!("ZRANGEBYLEX z {min} {max}")), err("min or max not valid string range item"));
        }
        assert_eq!(
            run(&ks, "ZRANGE z - + BYLEX WITHSCORES"),
            err("syntax error, WITHSCORES not supported in combination with BYLEX")
        );
        // "ZREMRANGEBYLEX basics"
        assert_eq!(run(&ks, "ZREMRANGEBYLEX z [alpha [cool"), int(3));
        assert_eq!(run(&ks, "ZRANGE z 0 0"), arr(&["down"]));
    }
}

#[test]
fn pops_and_empty_key_deletion() {
    for ks in engines() {
        run(&ks, "ZADD z 1 a 2 b 3 c -1 neg");
        assert_eq!(run(&ks, "ZPOPMIN z"), scored(&[("neg", -1.0)]));
        assert_eq!(run(&ks, "ZPOPMAX z 2"), scored(&[("c", 3.0), ("b", 2.0)]));
        assert_eq!(run(&ks, "ZPOPMIN z 0"), Reply::Array(vec![]));
        assert_eq!(run(&ks, "ZPOPMIN z -1"), err("value is out of range, must be positive"));
        assert_eq!(run(&ks, "ZPOPMIN z 1 2"), err("syntax error"));
        assert_eq!(run(&ks, "ZPOPMIN z 10"), scored(&[("a", 1.0)]));
        // "ZSETs skiplist implementation backlink consistency" aside, an
        // emptied set is gone.
        assert_eq!(run(&ks, "EXISTS z"), int(0));
        assert_eq!(run(&ks, "ZPOPMAX z"), Reply::Array(vec![]));
        run(&ks, "ZADD z 1 a");
        assert_eq!(run(&ks, "ZREM z a nosuch"), int(1));
        assert_eq!(run(&ks, "EXISTS z"), int(0));
    }
}

#[test]
fn set_algebra() {
    for ks in engines() {
        run(&ks, "ZADD a 1 x 2 y 3 z");
        run(&ks, "ZADD b 10 y 20 z 30 w");
        assert_eq!(run(&ks, "ZUNIONSTORE d 2 a b"), int(4));
        assert_eq!(run(&ks, "ZRANGE d 0 -1 WITHSCORES"), scored(&[("x", 1.0), ("y", 12.0), ("z", 23.0), ("w", 30.0)]));
        assert_eq!(run(&ks, "ZINTER 2 a b WEIGHTS 2 -1 WITHSCORES"), scored(&[("z", -14.0), ("y", -6.0)]));
        assert_eq!(run(&ks, "ZINTER 2 a b AGGREGATE MAX WITHSCORES"), scored(&[("y", 10.0), ("z", 20.0)]));
        assert_eq!(run(&ks, "ZUNION 2 a b AGGREGATE MIN"), arr(&["x", "y", "z", "w"]));
        assert_eq!(run(&ks, "ZDIFF 2 a b WITHSCORES"), scored(&[("x", 1.0)]));
        assert_eq!(run(&ks, "ZDIFFSTORE d 2 b a"), int(1));
        assert_eq!(run(&ks, "ZINTERCARD 2 a b"), int(2));
        assert_eq!(run(&ks, "ZINTERCARD 2 a b LIMIT 1"), int(1));
        assert_eq!(run(&ks, "ZINTERCARD 2 a b LIMIT -1"), err("LIMIT can't be negative"));
        // "ZUNIONSTORE with +inf/-inf scores" → SUM of inf and -inf is 0.
        run(&ks, "ZADD i1 +inf m");
        run(&ks, "ZADD i2 -inf m");
        assert_eq!(run(&ks, "ZUNION 2 i1 i2 WITHSCORES"), scored(&[("m", 0.0)]));
        // "ZUNIONSTORE with NaN weights" / 0 * inf → 0.
        assert_eq!(run(&ks, "ZUNION 1 i1 WEIGHTS 0 WITHSCORES"), scored(&[("m", 0.0)]));
        assert_eq!(run(&ks, "ZUNION 1 i1 WEIGHTS nan"), err("weight value is not a float"));
        // Errors and empty results.
        assert_eq!(run(&ks, "ZUNION 0 a"), err("at least 1 input key is needed for 'zunion' command"));
        assert_eq!(run(&ks, "ZUNION 3 a b"), err("syntax error"));
        assert_eq!(run(&ks, "ZDIFF 1 a WEIGHTS 1"), err("syntax error"));
        assert_eq!(run(&ks, "ZUNIONSTORE d 1 b AGGREGATE avg"), err("syntax error"));
        assert_eq!(run(&ks, "ZINTERSTORE d 2 a nosuch"), int(0));
        assert_eq!(run(&ks, "EXISTS d"), int(0));
    }
}

#[test]
fn rangestore_and_randmember() {
    for ks in engines() {
        run(&ks, "ZADD src 1 a 2 b 3 c 4 d");
        assert_eq!(run(&ks, "ZRANGESTORE dst src 1 2"), int(2));
        assert_eq!(run(&ks, "ZRANGE dst 0 -1"), arr(&["b", "c"]));
        assert_eq!(run(&ks, "ZRANGESTORE dst src 4 1 BYSCORE REV LIMIT 0 1"), int(1));
        assert_eq!(run(&ks, "ZRANGE dst 0 -1"), arr(&["d"]));
        // "ZRANGESTORE invalid syntax" and empty result deletes dst.
        assert_eq!(run(&ks, "ZRANGESTORE dst src 0 -1 WITHSCORES"), err("syntax error"));
        assert_eq!(run(&ks, "ZRANGESTORE dst src 5 6"), int(0));
        assert_eq!(run(&ks, "EXISTS dst"), int(0));
        // "ZRANDMEMBER count of 0 is handled correctly" and friends.
        assert_eq!(run(&ks, "ZRANDMEMBER src 0"), Reply::Array(vec![]));
        assert_eq!(run(&ks, "ZRANDMEMBER nosuch 5"), Reply::Array(vec![]));
        assert_eq!(run(&ks, "ZRANDMEMBER nosuch"), Reply::Nil);
        assert_eq!(run(&ks, "ZRANDMEMBER src -9223372036854775807 WITHSCORES"), err("value is out of range"));
        let Reply::Array(all) = run(&ks, "ZRANDMEMBER src 10") else { panic!() };
        assert_eq!(all.len(), 4);
        let Reply::Array(repeated) = run(&ks, "ZRANDMEMBER src -10 WITHSCORES") else { panic!() };
        assert_eq!(repeated.len(), 20);
        let Reply::Array(distinct) = run(&ks, "ZRANDMEMBER src 3") else { panic!() };
        let set: std::collections::HashSet<_> = distinct.iter().map(|r| format!("{r:?}")).collect();
        assert_eq!(set.len(), 3);
    }
}

#[test]
fn zscan_returns_everything_once_done() {
    for ks in engines() {
        for i in 0..500 {
            ks.execute(&[b"ZADD", b"z", i.to_string().as_bytes(), format!("m{i}").as_bytes()]);
        }
        let mut cursor = b"0".to_vec();
        let mut seen = std::collections::HashSet::new();
        loop {
            let Reply::Array(parts) = ks.execute(&[b"ZSCAN", b"z", &cursor, b"COUNT", b"7", b"MATCH", b"m1*"]) else {
                panic!()
            };
            let (Reply::Bulk(next), Reply::Array(items)) = (&parts[0], &parts[1]) else { panic!() };
            for pair in items.chunks(2) {
                let Reply::Bulk(m) = &pair[0] else { panic!() };
                seen.insert(m.clone());
            }
            if next == b"0" {
                break;
            }
            cursor = next.clone();
        }
        let expected: std::collections::HashSet<_> =
            (0..500).map(|i| format!("m{i}")).filter(|m| m.starts_with("m1")).map(String::into_bytes).collect();
        assert_eq!(seen, expected);
        assert_eq!(run(&ks, "ZSCAN z x"), err("invalid cursor"));
        assert_eq!(run(&ks, "ZSCAN z 0 COUNT 0"), err("syntax error"));
        assert_eq!(run(&ks, "ZSCAN nosuch 0 COUNT 0"), Reply::Array(vec![bulk("0"), Reply::Array(vec![])]));
    }
}

#[test]
fn expiry_with_injected_clock() {
    let clock = ManualClock::new(1_000_000);
    let ks = Keyspace::with_clock(Config::default(), Arc::new(clock.clone()));
    run(&ks, "ZADD z 1 a");
    assert_eq!(run(&ks, "TTL z"), int(-1));
    assert_eq!(run(&ks, "TTL nosuch"), int(-2));
    assert_eq!(run(&ks, "EXPIRE z 10 XX"), int(0));
    assert_eq!(run(&ks, "EXPIRE z 10 GT"), int(0));
    assert_eq!(run(&ks, "EXPIRE z 10 NX"), int(1));
    assert_eq!(run(&ks, "EXPIRE z 20 NX"), int(0));
    assert_eq!(run(&ks, "EXPIRE z 5 GT"), int(0));
    assert_eq!(run(&ks, "EXPIRE z 20 GT"), int(1));
    assert_eq!(run(&ks, "EXPIRE z 30 LT"), int(0));
    assert_eq!(run(&ks, "EXPIRE z 10 XX LT"), int(1));
    assert_eq!(run(&ks, "TTL z"), int(10));
    assert_eq!(run(&ks, "EXPIRE z 1 NX XX"), err("NX and XX, GT or LT options at the same time are not compatible"));
    assert_eq!(run(&ks, "EXPIRE z 1 GT LT"), err("GT and LT options at the same time are not compatible"));
    assert_eq!(run(&ks, "EXPIRE z 1 bogus"), err("Unsupported option bogus"));
    assert_eq!(run(&ks, "EXPIRE z 99999999999999999"), err("invalid expire time in 'expire' command"));
    clock.advance(9_400);
    assert_eq!(run(&ks, "TTL z"), int(1));
    clock.advance(600);
    // At the deadline the key still lives (Redis: expired when now > when).
    assert_eq!(run(&ks, "ZCARD z"), int(1));
    clock.advance(1);
    assert_eq!(run(&ks, "ZCARD z"), int(0));
    assert_eq!(run(&ks, "EXISTS z"), int(0));
    assert_eq!(run(&ks, "TTL z"), int(-2));
    // A write after expiry starts a fresh key without the old TTL.
    run(&ks, "ZADD z 2 b");
    assert_eq!(run(&ks, "ZRANGE z 0 -1"), arr(&["b"]));
    assert_eq!(run(&ks, "TTL z"), int(-1));
    // PERSIST, negative EXPIRE deletes, and the active sweep.
    run(&ks, "EXPIRE z 100");
    assert_eq!(run(&ks, "PERSIST z"), int(1));
    assert_eq!(run(&ks, "PERSIST z"), int(0));
    assert_eq!(run(&ks, "EXPIRE z -1"), int(1));
    assert_eq!(run(&ks, "EXISTS z"), int(0));
    for i in 0..10 {
        run(&ks, &format!("ZADD t{i} 1 a"));
        run(&ks, &format!("EXPIRE t{i} 1"));
    }
    clock.advance(1_001);
    assert_eq!(ks.sweep_expired(100), 10);
    assert_eq!(ks.key_count(), 0);
    // STORE commands drop the destination's TTL, like Redis's setKey.
    run(&ks, "ZADD s 1 a");
    run(&ks, "ZADD d 1 b");
    run(&ks, "EXPIRE d 100");
    run(&ks, "ZUNIONSTORE d 1 s");
    assert_eq!(run(&ks, "TTL d"), int(-1));
}

#[test]
fn score_formatting_matches_redis_7_0() {
    for ks in engines() {
        run(&ks, "ZADD z 1.1 a 1800000000000000001 b 1.7976931348623157e308 c -0 d");
        assert_eq!(run(&ks, "ZSCORE z a").to_resp(), b"$18\r\n1.1000000000000001\r\n");
        assert_eq!(run(&ks, "ZSCORE z b").to_resp(), b"$7\r\n1.8e+18\r\n");
        assert_eq!(run(&ks, "ZSCORE z c").to_resp(), b"$23\r\n1.7976931348623157e+308\r\n");
        assert_eq!(run(&ks, "ZSCORE z d").to_resp(), b"$1\r\n0\r\n");
        assert_eq!(run(&ks, "ZMSCORE z a nosuch"), Reply::Array(vec![Reply::Double(1.1), Reply::Nil]));
        assert_eq!(
            run(&ks, "NOSUCH a b"),
            Reply::Error("ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' ".into())
        );
    }
}

#[test]
fn encoding_transitions_keep_content() {
    use zset::Encoding;
    let ks = Keyspace::new(Config { packed_max_entries: 16, ..Config::default() });
    for i in 0..16u64 {
        ks.zadd_ids(b"z", &[(i as f64, i)]);
    }
    assert_eq!(ks.snapshot_of(b"z").unwrap().encoding(), Encoding::IntPacked);
    ks.zadd_ids(b"z", &[(100.0, 100)]);
    assert_eq!(ks.snapshot_of(b"z").unwrap().encoding(), Encoding::IntTree);
    run(&ks, "ZADD z 7 seven");
    assert_eq!(ks.snapshot_of(b"z").unwrap().encoding(), Encoding::BytesTree);
    assert_eq!(run(&ks, "ZRANGEBYSCORE z 7 7"), arr(&["7", "seven"]));
    assert_eq!(run(&ks, "ZCARD z"), int(18));
    run(&ks, "ZADD small 1 x 2 5");
    assert_eq!(ks.snapshot_of(b"small").unwrap().encoding(), Encoding::BytesPacked);
}
