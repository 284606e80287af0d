//! Feeds arbitrary command sequences to `Keyspace::execute`; no input may
//! panic. Input format: commands separated by `\n`, arguments by `\0`, so
//! the fuzzer can build multi-command scripts that reuse keys.

#![no_main]

use libfuzzer_sys::fuzz_target;
use zset::{Config, Keyspace};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the packed limit so both tiers get fuzzed.
    let Some((&mode, script)) = data.split_first() else { return };
    let packed = [0, 2, 8, 1024][usize::from(mode % 4)];
    let ks = Keyspace::new(Config { packed_max_entries: packed, shards: 4 });
    for line in script.split(|b| *b == b'\n').take(64) {
        let argv: Vec<&[u8]> = line.split(|b| *b == 0).take(32).collect();
        let _ = ks.execute(&argv).to_resp();
    }
});
