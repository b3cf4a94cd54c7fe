//! `embed_migrations!` reads `migrations/` at compile time, but cargo does not know
//! that: without this, a new migration would be missing from the binary until some
//! other change rebuilt it.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
