//! Reading domain values out of columns strictly, and writing state and priority
//! through the same mapping they are read with. The database's CHECK constraints allow
//! only what the service writes, so a value that does not decode means the schema and
//! the code have drifted apart: the read fails (a storage error, INTERNAL to the
//! caller, logged) instead of turning into a default.

use diesel::deserialize::{self, FromSql, Queryable};
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{Jsonb, SmallInt, Text};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::results::{WebhookLogEntry, WebhookStatus};
use crate::domain::{BatchState, Notification, Parameter, Priority, Schedule};

/// A column type read through `FromSql`: diesel then reads it as a row of one value,
/// alone, in a tuple, or as `Option<T>` from a nullable column.
macro_rules! single_column {
    ($($domain:ty: $sql:ty),* $(,)?) => {$(
        impl Queryable<$sql, Pg> for $domain {
            type Row = Self;

            fn build(value: Self) -> deserialize::Result<Self> {
                Ok(value)
            }
        }
    )*};
}

single_column!(BatchState: Text, Priority: SmallInt, WebhookStatus: Text);

impl FromSql<Text, Pg> for BatchState {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        let raw = <String as FromSql<Text, Pg>>::from_sql(bytes)?;
        BatchState::from_db_str(&raw).ok_or_else(|| format!("unknown batch state `{raw}`").into())
    }
}

impl FromSql<SmallInt, Pg> for Priority {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        let rank = <i16 as FromSql<SmallInt, Pg>>::from_sql(bytes)?;
        Priority::from_rank(rank).ok_or_else(|| format!("unknown priority {rank}").into())
    }
}

impl ToSql<Text, Pg> for BatchState {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <str as ToSql<Text, Pg>>::to_sql(self.as_db_str(), out)
    }
}

impl ToSql<SmallInt, Pg> for Priority {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <i16 as ToSql<SmallInt, Pg>>::to_sql(&self.rank(), &mut out.reborrow())
    }
}

impl FromSql<Text, Pg> for WebhookStatus {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        let raw = <String as FromSql<Text, Pg>>::from_sql(bytes)?;
        WebhookStatus::from_db_str(&raw)
            .ok_or_else(|| format!("unknown webhook status `{raw}`").into())
    }
}

/// A JSON column decoded into `T` (with `#[diesel(deserialize_as = Json<T>)]` on a
/// field of type `T`, or selected as it is).
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> Queryable<Jsonb, Pg> for Json<T> {
    type Row = Value;

    fn build(value: Value) -> deserialize::Result<Self> {
        serde_json::from_value(value).map(Json).map_err(|e| {
            format!(
                "a JSON column does not hold a {}: {e}",
                std::any::type_name::<T>()
            )
            .into()
        })
    }
}

/// `Json<T>` into `T`, for each `T` a record reads (a blanket impl is not allowed).
macro_rules! json_column {
    ($($domain:ty),* $(,)?) => {$(
        impl From<Json<$domain>> for $domain {
            fn from(json: Json<$domain>) -> Self {
                json.0
            }
        }
    )*};
}

json_column!(
    Vec<Parameter>,
    Schedule,
    Notification,
    Vec<WebhookLogEntry>,
    Map<String, Value>,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_that_does_not_fit_fails_the_read() {
        let wrong_kind = serde_json::json!({"kind": "fortnightly"});
        assert!(<Json<Schedule> as Queryable<Jsonb, Pg>>::build(wrong_kind).is_err());
        // Text inside JSON carries its bound, and is checked again on the way in.
        let too_long = serde_json::json!({"minutes": "m".repeat(2_000)});
        assert!(<Json<Schedule> as Queryable<Jsonb, Pg>>::build(too_long).is_err());
        let not_an_object = serde_json::json!([1, 2]);
        assert!(<Json<Map<String, Value>> as Queryable<Jsonb, Pg>>::build(not_an_object).is_err());
        // The column default `{}` is a schedule with every part at its default.
        let empty = <Json<Schedule> as Queryable<Jsonb, Pg>>::build(serde_json::json!({}));
        assert_eq!(empty.unwrap().0, Schedule::default());
    }
}
