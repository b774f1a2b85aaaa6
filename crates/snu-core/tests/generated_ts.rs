//! The TypeScript files generated from the engine (`ts/generated/`) must match what the engine
//! says now: a limit changed in Rust and not regenerated fails here (and so in CI).
//! Regenerate with `SNU_WRITE_GENERATED=1 cargo test -p snu-core --test generated_ts`.

use snu_core::limits::*;
use std::path::PathBuf;

fn limits_ts() -> String {
    let consts: [(&str, &str, u64); 6] = [
        ("MAX_VALUES", "Largest number of values one input, target or output array may hold.", MAX_VALUES as u64),
        ("MAX_DIM", "Largest time-step count or batch size of one call.", MAX_DIM as u64),
        ("MAX_WIDTH", "Largest number of units or inputs of one layer.", MAX_WIDTH as u64),
        ("MAX_PARAMS", "Largest number of parameters of one model.", MAX_PARAMS as u64),
        ("MAX_SEED", "Largest seed: every integer a JS number holds exactly.", MAX_SEED),
        ("MAX_THREADS", "Largest thread count of the engine's pool.", MAX_THREADS as u64),
    ];
    let mut out = String::from(
        "// GENERATED from crates/snu-core/src/limits.rs by crates/snu-core/tests/generated_ts.rs; do not edit.\n\
         // Regenerate: SNU_WRITE_GENERATED=1 cargo test -p snu-core --test generated_ts\n",
    );
    for (name, doc, value) in consts {
        out += &format!("\n/** {doc} */\nexport const {name} = {value};\n");
    }
    out
}

#[test]
fn generated_typescript_is_up_to_date() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    for (path, text) in [("ts/generated/limits.ts", limits_ts())] {
        let file = root.join(path);
        if std::env::var_os("SNU_WRITE_GENERATED").is_some() {
            std::fs::write(&file, &text).unwrap();
            continue;
        }
        let on_disk = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            on_disk == text,
            "{path} is stale: regenerate it with SNU_WRITE_GENERATED=1 cargo test -p snu-core --test generated_ts"
        );
    }
}
