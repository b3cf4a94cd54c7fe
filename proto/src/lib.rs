//! The `batch.v1` gRPC contract: generated messages, client and server, the encoded
//! descriptor set for server reflection, and the metadata keys every caller uses.
//!
//! The `.proto` sources live beside this crate in `proto/batch/v1/`.

pub use prost;
pub use prost_types;
pub use tonic;

/// `batch.v1`: the batch service and its messages.
pub mod v1 {
    #![expect(clippy::derive_partial_eq_without_eq, reason = "generated code")]
    #![allow(unreachable_pub, reason = "generated code")]
    tonic::include_proto!("batch.v1");
}

/// The encoded `FileDescriptorSet` of every `.proto` in this crate, for reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("batch_descriptor");

/// gRPC metadata keys shared by the service and its callers.
pub mod metadata {
    /// `Bearer <secret>`: an API key or a ticket. Required on every batch RPC.
    pub const AUTHORIZATION: &str = "authorization";
    /// Which door a call came through (`grpc`, `rest`, `soap`), recorded in the
    /// delete audit. Absent means a direct gRPC caller.
    pub const DOOR: &str = "x-batch-door";
    /// A SuperOffice application token. When present, the service checks that it is
    /// registered (and not revoked) for the caller's tenant; the SOAP door sends it only
    /// in `online` mode.
    pub const APPLICATION_TOKEN: &str = "x-application-token";
}
