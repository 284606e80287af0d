//! Key commands: DEL, EXISTS, EXPIRE, TTL, PERSIST.

use super::parse;
use crate::error::ZError;
use crate::keyspace::{ExpireCondition, Keyspace, Ttl};
use crate::reply::Reply;

pub(super) fn del(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    Ok(Reply::count(ks.del(&argv[1..])))
}

pub(super) fn exists(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    Ok(Reply::count(ks.exists(&argv[1..])))
}

/// `EXPIRE key seconds [NX|XX|GT|LT ...]`: flags are checked before the
/// number, as in Redis's `parseExtendedExpireArgumentsOrReply`.
pub(super) fn expire(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in &argv[3..] {
        match () {
            _ if parse::is(opt, "nx") => nx = true,
            _ if parse::is(opt, "xx") => xx = true,
            _ if parse::is(opt, "gt") => gt = true,
            _ if parse::is(opt, "lt") => lt = true,
            _ => {
                return Err(ZError::err(format_args!("Unsupported option {}", String::from_utf8_lossy(opt))));
            }
        }
    }
    if nx && (xx || gt || lt) {
        return Err(ZError::err("NX and XX, GT or LT options at the same time are not compatible"));
    }
    if gt && lt {
        return Err(ZError::err("GT and LT options at the same time are not compatible"));
    }
    // XX combines with GT or LT; GT already implies an existing expiry.
    let seconds = parse::integer(argv[2])?;
    let condition = match (nx, xx, gt, lt) {
        (true, ..) => ExpireCondition::Nx,
        (_, _, true, _) => ExpireCondition::Gt,
        (_, true, _, true) => ExpireCondition::XxLt,
        (_, _, _, true) => ExpireCondition::Lt,
        (_, true, ..) => ExpireCondition::Xx,
        _ => ExpireCondition::Always,
    };
    Ok(Reply::Integer(i64::from(ks.expire(argv[1], seconds, condition)?)))
}

pub(super) fn ttl(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    Ok(Reply::Integer(match ks.ttl(argv[1]) {
        Ttl::Missing => -2,
        Ttl::Persistent => -1,
        Ttl::Millis(ms) => ((ms + 500) / 1000) as i64,
    }))
}

pub(super) fn persist(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    Ok(Reply::Integer(i64::from(ks.persist(argv[1]))))
}
