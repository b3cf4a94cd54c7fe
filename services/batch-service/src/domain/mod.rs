//! Values that can only hold what the service accepts. They are built once, at the gRPC
//! edge (see `grpc::parse`), and everything behind that trusts them.

mod batch;
mod ids;
mod refusal;
mod secret;
mod state;
mod text;

pub use batch::{
    BatchField, BatchPatch, DestinationId, ListQuery, NameFilter, NameMatch, NewBatch,
    Notification, NotificationPart, Parameter, Priority, Schedule, ScheduleKind, SchedulePart,
    SortKey, TextLimits,
};
pub use ids::{BatchId, ItemId};
pub use refusal::{Action, Refusal, Resource};
pub use secret::SecretHash;
pub use state::{BatchState, RunOutcome};
pub use text::{BoundedText, LongText, NameText, NonEmptyText, ShortText, TextError};
