//! The SOAP door: an HTTP server that accepts the calls SuperOffice `Services86` Batch
//! agent clients make (`/Remote/Services86/Batch.svc`, eleven operations) and turns
//! each into `batch.v1` gRPC calls to `batch-service`. It holds no data.
//!
//! A request flows through `framing` (content type and action), the streaming
//! `envelope::reader` (a typed `SoapRequest`, or a `Fault`), `dispatch` (the gRPC
//! calls; application errors become an in-band `ExceptionInfo`) and `writer` (the
//! response envelope).
//!
//! [`app`] builds the router (used by `main` and by the tests); [`Config`] is the
//! command line.

#![cfg_attr(
    test,
    expect(
        unused_crate_dependencies,
        reason = "the unit tests see the dev-dependencies of the integration tests"
    )
)]

// Used by the binary (src/main.rs) only, but a package's dependencies are its library's
// too, and the library is where unused_crate_dependencies looks.
use anyhow as _;
use mimalloc as _;

mod config;
mod dispatch;
mod envelope;
mod exception;
mod fault;
mod framing;
mod mapping;
mod model;
mod operation;
mod routes;
mod writer;
mod wsdl;
mod xml;

pub use config::{AppConfig, Config, Mode};
pub use routes::app;

/// Entry points for the fuzz targets in `fuzz/` (not part of the API): the framing and
/// envelope readers a request passes through before any call to the service, and the
/// Fault a refusal becomes.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::envelope::{Charset, Limits, SoapVersion, read_request};
    pub use crate::fault::Fault;
    pub use crate::framing::Framing;
    pub use crate::operation::OperationName;
}
