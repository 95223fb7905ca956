//! Pins the niche classifier the Worker loads from KV (`models/niche-v2.bin`): its FNV-1a 64 and
//! length become constants (`$OUT_DIR/kv_models.rs`, included by `src/service/models.rs`), so
//! bytes in KV that differ from the repository's file are refused. A native test checks the pin
//! against `crosslearn::hash::fnv1a64` of the file.

use std::path::Path;

/// The model files loaded from KV: (constant prefix, path from the workspace root).
const KV_MODELS: [(&str, &str); 1] = [("NICHE_V2", "models/niche-v2.bin")];

fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = String::new();
    for (name, rel) in KV_MODELS {
        let path = root.join(rel);
        println!("cargo:rerun-if-changed={}", path.display());
        let bytes = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("worker/build.rs: cannot read {}: {e}", path.display()));
        out.push_str(&format!(
            "/// FNV-1a 64 of `{rel}` at build time.\npub const {name}_FNV1A64: u64 = 0x{:016x};\n\
             /// Length in bytes of `{rel}` at build time.\npub const {name}_LEN: usize = {};\n",
            fnv1a64(&bytes),
            bytes.len()
        ));
    }
    println!("cargo:rerun-if-changed=build.rs");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("kv_models.rs");
    std::fs::write(&dest, out).expect("write kv_models.rs");
}
