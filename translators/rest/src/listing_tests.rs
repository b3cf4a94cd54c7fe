//! List Batches query parsing.

use super::*;
use crate::coerce::form_fields;

fn states(list: &ListQuery) -> Vec<BatchState> {
    list.request.states().collect()
}

fn parse(query: &str) -> Result<ListQuery, CoerceError> {
    ListParams::from_query(&form_fields(query.as_bytes()))?.into_query()
}

#[test]
fn defaults_are_serpwows() {
    let list = parse("api_key=demo&source=nodejs&app_name=serpwow").unwrap();
    assert_eq!(list.page, PageNumber::FIRST);
    assert_eq!(list.page_size, 25);
    assert_eq!(list.request.page_size, 25);
    assert_eq!(list.request.skip, 0);
    assert!(list.request.states.is_empty());
    assert_eq!(list.request.order_by(), BatchOrder::Name);
    assert!(!list.request.descending);
    assert_eq!(list.request.has_results, None);
}

#[test]
fn paging_becomes_skip() {
    let list = parse("page=3&page_size=1000").unwrap();
    assert_eq!(list.request.skip, 2000);
    assert_eq!(list.request.page_size, 1000);
    assert!(parse("page_size=1001").is_err());
    assert!(parse("page_size=0").is_err());
    assert!(parse("page=0").is_err());
    assert!(parse("page=x").is_err());
    // Empty values are absent.
    assert_eq!(parse("page=&status=").unwrap().page, PageNumber::FIRST);
}

#[test]
fn idle_means_new_succeeded_and_failed() {
    let list = parse("status=idle").unwrap();
    assert_eq!(
        states(&list),
        [BatchState::New, BatchState::Succeeded, BatchState::Failed]
    );
    assert_eq!(
        states(&parse("status=running").unwrap()),
        [BatchState::Running]
    );
    assert_eq!(
        states(&parse("status=QUEUED").unwrap()),
        [BatchState::Queued]
    );
    let err = parse("status=done").unwrap_err();
    assert_eq!(
        err.to_string(),
        "status must be one of all, idle, queued, running"
    );
}

#[test]
fn name_search_and_sorting() {
    let list = parse("search_term=my-first+batch").unwrap();
    assert_eq!(list.request.name, "my first batch");
    assert_eq!(list.request.name_match(), NameMatch::Contains);
    let list = parse(
        "search_term=My&search_type=starts_with&sort_by=created_at&sort_direction=descending",
    )
    .unwrap();
    assert_eq!(list.request.name, "My");
    assert_eq!(list.request.name_match(), NameMatch::Prefix);
    assert_eq!(list.request.order_by(), BatchOrder::CreateTime);
    assert!(list.request.descending);
    assert_eq!(
        parse("sort_by=last_run").unwrap().request.order_by(),
        BatchOrder::LastStartTime
    );
    assert!(parse("sort_by=size").is_err());
}

#[test]
fn result_filters_and_times() {
    assert_eq!(
        parse("only_with_results=true").unwrap().request.has_results,
        Some(true)
    );
    assert_eq!(
        parse("only_without_results=1").unwrap().request.has_results,
        Some(false)
    );
    assert!(parse("only_with_results=true&only_without_results=true").is_err());
    let list = parse("created_after=2020-09-01T00:00:00.000Z&last_run_before=2020-09-02").unwrap();
    assert_eq!(list.request.created_after.unwrap().seconds, 1_598_918_400);
    assert_eq!(
        list.request.last_started_before.unwrap().seconds,
        1_599_004_800
    );
    assert!(parse("created_before=yesterday").is_err());
    assert_eq!(
        parse("destination_id=ABC").unwrap().request.destination_id,
        "ABC"
    );
}
