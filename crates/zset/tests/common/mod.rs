//! Shared test helpers: a minimal blocking RESP2 client for the real Redis
//! and reply comparison that treats scores as numbers.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

use zset::Reply;

/// A blocking RESP2 connection.
pub struct Resp {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Resp {
    /// Connects to `redis://host:port/db` and selects `db`.
    pub fn connect(url: &str) -> Resp {
        let rest = url.strip_prefix("redis://").expect("URL must start with redis://");
        let (addr, db) = match rest.split_once('/') {
            Some((addr, db)) if !db.is_empty() => (addr, db),
            Some((addr, _)) => (addr, "0"),
            None => (rest, "0"),
        };
        let stream = TcpStream::connect(addr).expect("connect to Redis");
        stream.set_nodelay(true).ok();
        let mut conn = Resp { reader: BufReader::new(stream.try_clone().expect("clone")), writer: stream };
        let reply = conn.call(&[b"SELECT", db.as_bytes()]);
        assert_eq!(reply, Reply::Status("OK"), "SELECT {db}");
        conn
    }

    /// Sends one command and reads its reply.
    pub fn call(&mut self, argv: &[&[u8]]) -> Reply {
        let mut out = format!("*{}\r\n", argv.len()).into_bytes();
        for arg in argv {
            out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            out.extend_from_slice(arg);
            out.extend_from_slice(b"\r\n");
        }
        self.writer.write_all(&out).expect("write to Redis");
        self.read_reply()
    }

    fn line(&mut self) -> Vec<u8> {
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line).expect("read from Redis");
        assert!(line.ends_with(b"\r\n"), "bad RESP line {line:?}");
        line.truncate(line.len() - 2);
        line
    }

    fn read_reply(&mut self) -> Reply {
        let line = self.line();
        let (kind, rest) = line.split_first().expect("empty RESP line");
        let text = String::from_utf8_lossy(rest).into_owned();
        match kind {
            b'+' => Reply::Status(if text == "OK" { "OK" } else { Box::leak(text.into_boxed_str()) }),
            b'-' => Reply::Error(text),
            b':' => Reply::Integer(text.parse().expect("integer")),
            b'$' => {
                let n: i64 = text.parse().expect("bulk length");
                if n < 0 {
                    return Reply::Nil;
                }
                let mut buf = vec![0; n as usize + 2];
                self.reader.read_exact(&mut buf).expect("bulk body");
                buf.truncate(n as usize);
                Reply::Bulk(buf)
            }
            b'*' => {
                let n: i64 = text.parse().expect("array length");
                if n < 0 {
                    return Reply::NilArray;
                }
                Reply::Array((0..n).map(|_| self.read_reply()).collect())
            }
            other => panic!("unexpected RESP type {other}"),
        }
    }
}

/// Parses a Redis-formatted double.
pub fn parse_score(bytes: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(bytes).ok()?;
    match text {
        "inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        _ => text.parse().ok(),
    }
}

/// Numbers compare as numbers (-0 == 0), exactly otherwise.
fn same_score(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// Compares an engine reply with a Redis reply. Doubles (which the engine
/// types and Redis sends as bulk strings) compare as numbers.
pub fn replies_match(engine: &Reply, redis: &Reply) -> bool {
    match (engine, redis) {
        (Reply::Double(a), Reply::Bulk(b)) => parse_score(b).is_some_and(|b| same_score(*a, b)),
        (Reply::Array(a), Reply::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| replies_match(x, y)),
        (a, b) => a == b,
    }
}
