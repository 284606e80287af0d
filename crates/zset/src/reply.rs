//! `Reply`: a RESP2 value, as Redis 7.0 would send it.

use crate::score;

/// A reply to one command, mirroring RESP2.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// `+OK`-style status line.
    Status(&'static str),
    /// `-ERR ...`: the full error line without the leading `-`.
    Error(String),
    /// `:n`.
    Integer(i64),
    /// `$n` bulk string.
    Bulk(Vec<u8>),
    /// A double, sent as a bulk string formatted like Redis 7.0 (`%.17g`).
    Double(f64),
    /// `$-1`.
    Nil,
    /// `*-1`.
    NilArray,
    /// `*n` followed by the elements.
    Array(Vec<Reply>),
}

impl Reply {
    /// `-ERR <message>`.
    pub fn err(message: impl Into<String>) -> Reply {
        Reply::Error(format!("ERR {}", message.into()))
    }

    /// A bulk string from bytes.
    pub fn bulk(bytes: &[u8]) -> Reply {
        Reply::Bulk(bytes.to_vec())
    }

    /// An integer from a count.
    pub fn count(n: usize) -> Reply {
        Reply::Integer(i64::try_from(n).unwrap_or(i64::MAX))
    }

    /// `true` for [`Reply::Error`].
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    /// Appends the RESP2 wire form to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Reply::Status(s) => {
                out.push(b'+');
                out.extend_from_slice(s.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            Reply::Error(e) => {
                out.push(b'-');
                out.extend_from_slice(e.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            Reply::Integer(n) => out.extend_from_slice(format!(":{n}\r\n").as_bytes()),
            Reply::Bulk(b) => encode_bulk(out, b),
            Reply::Double(d) => encode_bulk(out, score::format_redis(*d).as_bytes()),
            Reply::Nil => out.extend_from_slice(b"$-1\r\n"),
            Reply::NilArray => out.extend_from_slice(b"*-1\r\n"),
            Reply::Array(items) => {
                out.extend_from_slice(format!("*{}\r\n", items.len()).as_bytes());
                for item in items {
                    item.encode(out);
                }
            }
        }
    }

    /// The RESP2 wire form.
    pub fn to_resp(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

fn encode_bulk(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(format!("${}\r\n", bytes.len()).as_bytes());
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_resp2() {
        let reply = Reply::Array(vec![Reply::bulk(b"a"), Reply::Double(1.5), Reply::Nil, Reply::Integer(-3)]);
        assert_eq!(reply.to_resp(), b"*4\r\n$1\r\na\r\n$3\r\n1.5\r\n$-1\r\n:-3\r\n");
        assert_eq!(Reply::err("syntax error").to_resp(), b"-ERR syntax error\r\n");
    }
}
