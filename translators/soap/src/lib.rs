//! The SOAP door: an HTTP server that accepts the calls SuperOffice `Services86` Batch
//! agent clients make (`/Remote/Services86/Batch.svc`, eleven operations) and turns
//! each into `batch.v1` gRPC calls to `batch-service`. It holds no data.
//!
//! A request flows through [`framing`] (content type and action), the streaming
//! [`envelope::reader`] (a typed [`envelope::SoapRequest`], or a [`fault::Fault`]),
//! [`dispatch`] (the gRPC calls; application errors become an in-band
//! [`exception::ExceptionInfo`]) and [`writer`] (the response envelope).

pub mod config;
pub mod dispatch;
pub mod envelope;
pub mod exception;
pub mod fault;
pub mod framing;
pub mod mapping;
pub mod model;
pub mod operation;
mod routes;
pub mod writer;
pub mod wsdl;
mod xml;

pub use config::{AppConfig, Config, Mode};
pub use routes::app;
