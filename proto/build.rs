//! Compiles `batch/v1/*.proto` with protox, a pure-Rust proto compiler, so that a fresh
//! machine builds with Rust crates alone (prost-build would need a system `protoc`).

use prost::Message;

const PROTOS: &[&str] = &["batch/v1/batch_service.proto"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    let descriptors = protox::compile(PROTOS, ["."])?;
    // tonic-reflection serves this set; `compile_fds` does not write it for us.
    std::fs::write(
        out_dir.join("batch_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;
    tonic_prost_build::configure().compile_fds(descriptors)?;
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    Ok(())
}
