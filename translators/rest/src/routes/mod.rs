//! The `/live/batches` endpoints, and the router that serves them with the OpenAPI
//! document generated from the same handler list.
//!
//! Literal segments (`stopall`, `start`, `stop`, `clear`, `searches`, `results`) are
//! static routes, which axum's router always prefers over `{batch_id}` and
//! `{search_id}`; the end-to-end tests check it.

mod batches;
mod results;
mod runs;
mod searches;

use batch_proto::v1::GetBatchRequest;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{Action, ApiError};
use crate::extract::Caller;
use crate::ids::BatchId;
use crate::openapi::{self, ApiDoc};
use crate::state::AppState;

/// Every endpoint, registered once for both the router and the OpenAPI document.
pub(crate) fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(batches::create_batch, batches::list_batches))
        .routes(routes!(runs::stop_all_batches))
        .routes(routes!(
            batches::get_batch,
            batches::update_batch,
            batches::delete_batch
        ))
        .routes(routes!(runs::start_batch))
        .routes(routes!(runs::stop_batch))
        .routes(routes!(searches::clear_searches))
        .routes(routes!(searches::delete_searches))
        .routes(routes!(searches::list_searches))
        .routes(routes!(searches::download_searches_json))
        .routes(routes!(searches::download_searches_csv))
        .routes(routes!(searches::delete_search, searches::update_search))
        .routes(routes!(results::list_results))
        .routes(routes!(results::get_result_set))
        .routes(routes!(results::get_result_set_jsonlines))
        .routes(routes!(results::get_result_set_csv))
        .routes(routes!(results::resend_webhook))
        .routes(routes!(results::result_file))
        .routes(routes!(searches::search_file))
        .routes(routes!(openapi::openapi_json))
}

/// Unknown paths and wrong verbs: SerpWow answers both with 404.
pub(crate) async fn no_route() -> ApiError {
    ApiError::NoRoute
}

/// Parses the batch id of the URL. An id that cannot exist is answered like a missing
/// one, after checking the credential, so that a bad key still gets 401.
pub(crate) async fn batch_id(caller: &Caller, raw: &str) -> Result<BatchId, ApiError> {
    match BatchId::parse(raw) {
        Some(id) => Ok(id),
        None => Err(missing_batch(caller, raw).await),
    }
}

/// 404 for `raw`, or the error that checking the credential ran into.
async fn missing_batch(caller: &Caller, raw: &str) -> ApiError {
    match caller.check_credential().await {
        Ok(()) => ApiError::BatchNotFound(raw.to_owned()),
        Err(status) => ApiError::upstream(status, Action::ListBatches),
    }
}

/// Checks that the batch exists for the caller (for answers that do not otherwise
/// touch the service: a search id that cannot exist, the result-set endpoints).
pub(crate) async fn require_batch(caller: &Caller, raw: &str) -> Result<(), ApiError> {
    let id = batch_id(caller, raw).await?;
    caller
        .client()
        .get_batch(GetBatchRequest { id: id.get() })
        .await
        .map_err(|status| ApiError::for_batch(status, Action::GetBatch, raw))?;
    Ok(())
}
