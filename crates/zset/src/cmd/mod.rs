//! The command interface: Redis argument vectors in, RESP2 replies out.
//!
//! Each family of commands lives in its own file with three steps, as in
//! mini-redis: *parse* the argument vector (with Redis's exact order of
//! checks, since that decides which error wins), *apply* it through the
//! typed [`Keyspace`] API, and *encode* the result as a [`Reply`]. This
//! module only checks arity and dispatches.

mod keys;
mod parse;
mod random;
mod range;
mod read;
mod remove;
mod scan;
mod setops;
mod zadd;

pub use range::{Limit, Order, RangeSpec, ScoredMember};
pub use setops::{Aggregate, SetOp};
pub use zadd::{ZAddOptions, ZAddResult};

use crate::error::ZError;
use crate::keyspace::Keyspace;
use crate::reply::Reply;

type Handler = fn(&Keyspace, &[&[u8]]) -> Result<Reply, ZError>;

/// Command table: lower-case name, Redis arity (negative = at least), handler.
const COMMANDS: &[(&str, i32, Handler)] = &[
    ("zadd", -4, zadd::zadd),
    ("zincrby", 4, zadd::zincrby),
    ("zrem", -3, remove::zrem),
    ("zcard", 2, read::zcard),
    ("zscore", 3, read::zscore),
    ("zmscore", -3, read::zmscore),
    ("zcount", 4, read::zcount),
    ("zlexcount", 4, read::zlexcount),
    ("zrank", -3, read::zrank),
    ("zrevrank", -3, read::zrevrank),
    ("zrange", -4, range::zrange),
    ("zrangestore", -5, range::zrangestore),
    ("zrevrange", -4, range::zrevrange),
    ("zrangebyscore", -4, range::zrangebyscore),
    ("zrevrangebyscore", -4, range::zrevrangebyscore),
    ("zrangebylex", -4, range::zrangebylex),
    ("zrevrangebylex", -4, range::zrevrangebylex),
    ("zremrangebyrank", 4, remove::zremrangebyrank),
    ("zremrangebyscore", 4, remove::zremrangebyscore),
    ("zremrangebylex", 4, remove::zremrangebylex),
    ("zpopmin", -2, remove::zpopmin),
    ("zpopmax", -2, remove::zpopmax),
    ("zrandmember", -2, random::zrandmember),
    ("zunion", -3, setops::zunion),
    ("zinter", -3, setops::zinter),
    ("zdiff", -3, setops::zdiff),
    ("zunionstore", -4, setops::zunionstore),
    ("zinterstore", -4, setops::zinterstore),
    ("zdiffstore", -4, setops::zdiffstore),
    ("zintercard", -3, setops::zintercard),
    ("zscan", -3, scan::zscan),
    ("del", -2, keys::del),
    ("exists", -2, keys::exists),
    ("expire", -3, keys::expire),
    ("ttl", 2, keys::ttl),
    ("persist", 2, keys::persist),
];

impl Keyspace {
    /// Executes one Redis command given as an argument vector
    /// (`argv[0]` is the command name, case-insensitive) and returns the
    /// reply Redis 7.0 would send (RESP2). Never panics on any input.
    pub fn execute(&self, argv: &[&[u8]]) -> Reply {
        let Some(name) = argv.first() else {
            return Reply::err("empty command");
        };
        let Some((full_name, arity, handler)) =
            COMMANDS.iter().find(|(n, _, _)| n.as_bytes().eq_ignore_ascii_case(name))
        else {
            return Reply::Error(unknown_command(argv));
        };
        let argc = argv.len() as i32;
        if (*arity > 0 && argc != *arity) || argc < -*arity {
            return Reply::Error(ZError::arity(full_name).to_string());
        }
        match handler(self, argv) {
            Ok(reply) => reply,
            Err(e) => Reply::Error(e.to_string()),
        }
    }
}

/// Redis 7.0's message, including its quirky trailing space.
fn unknown_command(argv: &[&[u8]]) -> String {
    let name = String::from_utf8_lossy(&argv[0][..argv[0].len().min(128)]);
    let mut args = String::new();
    for arg in &argv[1..] {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        let text = String::from_utf8_lossy(&arg[..arg.len().min(room)]);
        args.push_str(&format!("'{text}' "));
    }
    format!("ERR unknown command '{name}', with args beginning with: {args}")
}
