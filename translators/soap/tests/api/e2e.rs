//! End to end: HTTP → soap-translator → gRPC → batch-service → PostgreSQL, over real
//! sockets, on a fresh seeded database per test (needs `TEST_DATABASE_URL`).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::helpers::*;
use soap_translator::{AppConfig, Mode};
use test_support::TestService;
use test_support::seed::{
    APPLICATION_TOKEN, IDLE_BATCH_ID, RUNNING_BATCH_ID, SUCCEEDED_BATCH_ID, TICKET,
};

const SEED_REQUEST: &str = include_str!("../envelopes/seed_delete_batch_tasks_request.xml");

struct Stack {
    service: TestService,
    door: SocketAddr,
}

impl Stack {
    async fn start() -> Self {
        Self::start_in(Mode::Onsite).await
    }

    async fn start_in(mode: Mode) -> Self {
        let service = TestService::start().await;
        let config = AppConfig {
            mode,
            ..AppConfig::default()
        };
        let door = serve(upstream(&service.url()), config).await;
        Self { service, door }
    }

    /// A SOAP 1.1 call with a proper Header and SOAPAction.
    async fn call(&self, ticket: &str, operation: &str, inner: &str) -> Answer {
        self.call_with(Some(ticket), None, operation, inner).await
    }

    async fn call_with(
        &self,
        ticket: Option<&str>,
        app_token: Option<&str>,
        operation: &str,
        inner: &str,
    ) -> Answer {
        let body = soap11(ticket, app_token, &op(operation, inner));
        let soap_action = format!("\"{}\"", action(operation));
        let answer = http(
            self.door,
            "POST",
            PATH,
            &[
                ("Content-Type", "text/xml; charset=utf-8"),
                ("SOAPAction", &soap_action),
            ],
            body.as_bytes(),
        )
        .await;
        assert_well_formed(&answer.body);
        answer
    }

    async fn exists(&self, id: i64) -> bool {
        self.service
            .query_i64(&format!("SELECT count(*) FROM batches WHERE id = {id}"))
            .await
            == 1
    }

    async fn state_of(&self, id: i64) -> String {
        let answer = self
            .call(TICKET, "GetBatchTaskInfo", &format!("<Id>{id}</Id>"))
            .await;
        answer.assert_succeeded();
        answer.element("State").unwrap()
    }
}

fn ids_of(answer: &Answer) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut rest = answer.body.as_str();
    while let Some(at) = rest.find("<BatchTaskInfo><Id>") {
        rest = &rest[at + "<BatchTaskInfo><Id>".len()..];
        let end = rest.find('<').unwrap();
        ids.push(rest[..end].parse().unwrap());
    }
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn the_seed_request_verbatim_succeeds_like_the_seed() {
    let stack = Stack::start().await;
    let before = stack
        .service
        .query_i64("SELECT count(*) FROM batches")
        .await;
    // As the published example's HTTP headers show it (SOAP 1.1 framing) ...
    let soap_action = format!("\"{}\"", action("DeleteBatchTasks"));
    let framed = http(
        stack.door,
        "POST",
        PATH,
        &[
            ("Content-Type", "text/xml;charset=UTF-8"),
            ("SOAPAction", &soap_action),
        ],
        SEED_REQUEST.as_bytes(),
    )
    .await;
    // ... and bare, dispatched on the body element.
    let bare = http(stack.door, "POST", PATH, &[], SEED_REQUEST.as_bytes()).await;
    for answer in [framed, bare] {
        answer.assert_succeeded();
        assert_eq!(answer.content_type, "application/soap+xml; charset=utf-8");
        assert!(
            answer
                .body
                .contains(r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">"#)
        );
        assert!(answer.body.contains(
            r#"<s:Body><DeleteBatchTasksResponse xmlns="http://www.superoffice.net/ws/crm/NetServer/Services86"/></s:Body>"#
        ));
    }
    // Id 0 names no batch: nothing is deleted.
    assert_eq!(
        stack
            .service
            .query_i64("SELECT count(*) FROM batches")
            .await,
        before
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_batch_task_removes_the_idle_batch_and_records_the_door() {
    let stack = Stack::start().await;
    assert!(stack.exists(IDLE_BATCH_ID).await);
    let answer = stack
        .call(
            TICKET,
            "DeleteBatchTask",
            &format!("<BatchTaskId>{IDLE_BATCH_ID}</BatchTaskId>"),
        )
        .await;
    answer.assert_succeeded();
    assert!(answer.body.contains("<DeleteBatchTaskResponse xmlns="));
    assert!(!stack.exists(IDLE_BATCH_ID).await);
    let audited = stack
        .service
        .query_i64("SELECT count(*) FROM batch_deletions WHERE door = 'soap'")
        .await;
    assert!(audited >= 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_batch_tasks_deletes_several_and_ignores_missing_ones() {
    let stack = Stack::start().await;
    let ids = int_array(
        "BatchTaskIds",
        &[IDLE_BATCH_ID, SUCCEEDED_BATCH_ID, 999_999, -3, 0],
    );
    stack
        .call(TICKET, "DeleteBatchTasks", &ids)
        .await
        .assert_succeeded();
    assert!(!stack.exists(IDLE_BATCH_ID).await);
    assert!(!stack.exists(SUCCEEDED_BATCH_ID).await);
    assert!(stack.exists(RUNNING_BATCH_ID).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_the_running_batch_fails_in_band_and_deletes_nothing() {
    let stack = Stack::start().await;
    let ids = int_array("BatchTaskIds", &[IDLE_BATCH_ID, RUNNING_BATCH_ID]);
    let answer = stack.call(TICKET, "DeleteBatchTasks", &ids).await;
    answer.assert_exception("InvalidOperationException");
    assert!(
        answer.body.contains(&RUNNING_BATCH_ID.to_string()),
        "{}",
        answer.body
    );
    assert!(stack.exists(IDLE_BATCH_ID).await);
    assert!(stack.exists(RUNNING_BATCH_ID).await);
    let single = stack
        .call(
            TICKET,
            "DeleteBatchTask",
            &format!("<BatchTaskId>{RUNNING_BATCH_ID}</BatchTaskId>"),
        )
        .await;
    single.assert_exception("InvalidOperationException");
    assert!(stack.exists(RUNNING_BATCH_ID).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_id_list_is_refused_in_band() {
    let stack = Stack::start().await;
    let answer = stack
        .call(TICKET, "DeleteBatchTasks", "<BatchTaskIds/>")
        .await;
    answer.assert_exception("ArgumentException");
}

#[tokio::test(flavor = "multi_thread")]
async fn get_batch_task_info_shows_the_batch_or_says_not_found() {
    let stack = Stack::start().await;
    let answer = stack
        .call(
            TICKET,
            "GetBatchTaskInfo",
            &format!("<Id>{IDLE_BATCH_ID}</Id>"),
        )
        .await;
    answer.assert_succeeded();
    assert_eq!(answer.element("Id").as_deref(), Some("123456"));
    assert_eq!(answer.element("Name").as_deref(), Some("My First Batch"));
    assert_eq!(answer.element("AssociateId").as_deref(), Some("1"));
    assert_eq!(answer.element("State").as_deref(), Some("New"));
    assert!(answer.element("Created").unwrap().ends_with('Z'));
    assert_eq!(stack.state_of(RUNNING_BATCH_ID).await, "Started");
    assert_eq!(stack.state_of(SUCCEEDED_BATCH_ID).await, "Succeeded");
    for id in ["999999", "0", "-5"] {
        let answer = stack
            .call(TICKET, "GetBatchTaskInfo", &format!("<Id>{id}</Id>"))
            .await;
        answer.assert_exception("NotFoundException");
        assert!(answer.body.contains("<GetBatchTaskInfoResponse xmlns="));
        assert!(!answer.body.contains("<Response>"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_list_operations_filter_as_named() {
    let stack = Stack::start().await;
    let by_associates = stack
        .call(
            TICKET,
            "GetBatchTaskInfosByAssociates",
            &int_array("AssociateIds", &[1, 1, -1]),
        )
        .await;
    by_associates.assert_succeeded();
    assert_eq!(ids_of(&by_associates), [IDLE_BATCH_ID, RUNNING_BATCH_ID]);

    let and_state = stack
        .call(
            TICKET,
            "GetBatchTaskInfosByAssociatesAndState",
            &format!(
                "{}<State>Started</State>",
                int_array("AssociateIds", &[1, 2])
            ),
        )
        .await;
    assert_eq!(ids_of(and_state.assert_succeeded()), [RUNNING_BATCH_ID]);

    let name_and_associates = stack
        .call(
            TICKET,
            "GetBatchTaskInfosByNameAndAssociates",
            &format!(
                "<Name>My First Batch</Name>{}",
                int_array("AssociateIds", &[1, 2])
            ),
        )
        .await;
    assert_eq!(
        ids_of(name_and_associates.assert_succeeded()),
        [IDLE_BATCH_ID]
    );

    let name_and_state = stack
        .call(
            TICKET,
            "GetBatchTaskInfosByNameAndState",
            "<Name>My Second Batch</Name><State>Succeeded</State>",
        )
        .await;
    assert_eq!(
        ids_of(name_and_state.assert_succeeded()),
        [SUCCEEDED_BATCH_ID]
    );

    let all = stack
        .call(TICKET, "GetBatchTaskInfosByState", "<State>All</State>")
        .await;
    assert_eq!(
        ids_of(all.assert_succeeded()),
        [IDLE_BATCH_ID, RUNNING_BATCH_ID, SUCCEEDED_BATCH_ID]
    );
    let queued = stack
        .call(TICKET, "GetBatchTaskInfosByState", "<State>Aquired</State>")
        .await;
    queued.assert_succeeded();
    assert!(queued.body.contains("<Response/>"), "{}", queued.body);
    let unknown = stack
        .call(TICKET, "GetBatchTaskInfosByState", "<State>Unknown</State>")
        .await;
    assert!(ids_of(unknown.assert_succeeded()).is_empty());
    let nobody = stack
        .call(
            TICKET,
            "GetBatchTaskInfosByAssociates",
            &int_array("AssociateIds", &[]),
        )
        .await;
    assert!(ids_of(nobody.assert_succeeded()).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn list_operations_fail_in_band_for_a_bad_ticket() {
    let stack = Stack::start().await;
    for (operation, inner) in [
        ("GetBatchTaskInfosByState", "<State>All</State>".to_owned()),
        (
            "GetBatchTaskInfosByAssociates",
            int_array("AssociateIds", &[1]),
        ),
        (
            "GetBatchTaskInfosByAssociatesAndState",
            format!("{}<State>New</State>", int_array("AssociateIds", &[1])),
        ),
        (
            "GetBatchTaskInfosByNameAndAssociates",
            format!("<Name>x</Name>{}", int_array("AssociateIds", &[1])),
        ),
        (
            "GetBatchTaskInfosByNameAndState",
            "<Name>x</Name><State>New</State>".to_owned(),
        ),
        // Calls answered without touching a batch still check the credential.
        (
            "GetBatchTaskInfosByState",
            "<State>Unknown</State>".to_owned(),
        ),
        ("DeleteBatchTasks", int_array("BatchTaskIds", &[0])),
    ] {
        let answer = stack.call("7T:not-a-real-ticket", operation, &inner).await;
        answer.assert_exception("AuthenticationException");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn start_batch_job_queues_existing_and_new_tasks() {
    let stack = Stack::start().await;
    let started = stack
        .call(
            TICKET,
            "StartBatchJob",
            &format!("<BatchTaskInfo><Id>{IDLE_BATCH_ID}</Id></BatchTaskInfo>"),
        )
        .await;
    started.assert_succeeded();
    assert_eq!(started.element("Response").as_deref(), Some("123456"));
    assert_eq!(stack.state_of(IDLE_BATCH_ID).await, "Aquired");
    // Already queued: refused in band.
    let again = stack
        .call(
            TICKET,
            "StartBatchJob",
            &format!("<BatchTaskInfo><Id>{IDLE_BATCH_ID}</Id></BatchTaskInfo>"),
        )
        .await;
    again.assert_exception("InvalidOperationException");

    let created = stack
        .call(
            TICKET,
            "StartBatchJob",
            "<BatchTaskInfo><Id>0</Id><Name>Export contacts</Name><AssociateId>7</AssociateId>\
             <ParameterObject><StringKeyValuePair><Key>format</Key><Value>csv</Value></StringKeyValuePair></ParameterObject>\
             <Description>from SOAP</Description></BatchTaskInfo>",
        )
        .await;
    created.assert_succeeded();
    let new_id: i64 = created.element("Response").unwrap().parse().unwrap();
    assert!(new_id > 0);
    let info = stack
        .call(TICKET, "GetBatchTaskInfo", &format!("<Id>{new_id}</Id>"))
        .await;
    info.assert_succeeded();
    assert_eq!(info.element("Name").as_deref(), Some("Export contacts"));
    assert_eq!(info.element("AssociateId").as_deref(), Some("7"));
    assert_eq!(info.element("State").as_deref(), Some("Aquired"));
    assert_eq!(info.element("Key").as_deref(), Some("format"));
    assert_eq!(info.element("Description").as_deref(), Some("from SOAP"));

    let missing = stack
        .call(
            TICKET,
            "StartBatchJob",
            "<BatchTaskInfo><Id>999999</Id></BatchTaskInfo>",
        )
        .await;
    missing.assert_exception("NotFoundException");
}

#[tokio::test(flavor = "multi_thread")]
async fn stop_batch_job_stops_running_tasks_and_says_false_otherwise() {
    let stack = Stack::start().await;
    let stopped = stack
        .call(
            TICKET,
            "StopBatchJob",
            &format!("<Id>{RUNNING_BATCH_ID}</Id>"),
        )
        .await;
    stopped.assert_succeeded();
    assert_eq!(stopped.element("Response").as_deref(), Some("true"));
    assert_eq!(stack.state_of(RUNNING_BATCH_ID).await, "Failed");
    let idle = stack
        .call(TICKET, "StopBatchJob", &format!("<Id>{IDLE_BATCH_ID}</Id>"))
        .await;
    idle.assert_succeeded();
    assert_eq!(idle.element("Response").as_deref(), Some("false"));
    let missing = stack.call(TICKET, "StopBatchJob", "<Id>999999</Id>").await;
    missing.assert_exception("NotFoundException");
}

#[tokio::test(flavor = "multi_thread")]
async fn update_batch_task_changes_only_the_updatable_fields() {
    let stack = Stack::start().await;
    let answer = stack
        .call(
            TICKET,
            "UpdateBatchTask",
            &format!(
                "<BatchTaskInfo><Id>{IDLE_BATCH_ID}</Id><Name>ignored</Name><AssociateId>99</AssociateId>\
                 <State>Aquired</State><Description>ready &amp; waiting</Description>\
                 <Response>r</Response><Request>q</Request></BatchTaskInfo>"
            ),
        )
        .await;
    answer.assert_succeeded();
    assert_eq!(answer.element("Name").as_deref(), Some("My First Batch"));
    assert_eq!(answer.element("AssociateId").as_deref(), Some("1"));
    assert_eq!(answer.element("State").as_deref(), Some("Aquired"));
    assert_eq!(
        answer.element("Description").as_deref(),
        Some("ready & waiting")
    );
    assert_eq!(answer.element("Request").as_deref(), Some("q"));

    // Nothing updatable sent: the task comes back unchanged.
    let unchanged = stack
        .call(
            TICKET,
            "UpdateBatchTask",
            &format!(
                "<BatchTaskInfo><Id>{SUCCEEDED_BATCH_ID}</Id><State>Unknown</State></BatchTaskInfo>"
            ),
        )
        .await;
    unchanged.assert_succeeded();
    assert_eq!(unchanged.element("State").as_deref(), Some("Succeeded"));

    // An illegal transition is refused in band.
    let illegal = stack
        .call(
            TICKET,
            "UpdateBatchTask",
            &format!(
                "<BatchTaskInfo><Id>{SUCCEEDED_BATCH_ID}</Id><State>Started</State></BatchTaskInfo>"
            ),
        )
        .await;
    assert_eq!(
        illegal.element("Succeeded").as_deref(),
        Some("false"),
        "{}",
        illegal.body
    );
    assert_eq!(stack.state_of(SUCCEEDED_BATCH_ID).await, "Succeeded");

    let missing = stack
        .call(
            TICKET,
            "UpdateBatchTask",
            "<BatchTaskInfo><Id>999999</Id><Description>x</Description></BatchTaskInfo>",
        )
        .await;
    missing.assert_exception("NotFoundException");
    let all = stack
        .call(
            TICKET,
            "UpdateBatchTask",
            &format!("<BatchTaskInfo><Id>{IDLE_BATCH_ID}</Id><State>All</State></BatchTaskInfo>"),
        )
        .await;
    all.assert_exception("ArgumentException");
}

#[tokio::test(flavor = "multi_thread")]
async fn soap12_calls_are_answered_in_soap12() {
    let stack = Stack::start().await;
    let body = soap12(
        TICKET,
        &op("GetBatchTaskInfo", &format!("<Id>{IDLE_BATCH_ID}</Id>")),
    );
    let content_type = format!(
        "application/soap+xml; charset=utf-8; action=\"{}\"",
        action("GetBatchTaskInfo")
    );
    let answer = http(
        stack.door,
        "POST",
        "/Cust12345/remote/services86/batch.svc",
        &[("Content-Type", &content_type)],
        body.as_bytes(),
    )
    .await;
    answer.assert_succeeded();
    assert_eq!(answer.content_type, "application/soap+xml; charset=utf-8");
    assert_eq!(answer.element("Name").as_deref(), Some("My First Batch"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_or_missing_ticket_is_refused_in_band() {
    let stack = Stack::start().await;
    let inner = format!("<BatchTaskId>{IDLE_BATCH_ID}</BatchTaskId>");
    let bad = stack.call("7T:wrong==", "DeleteBatchTask", &inner).await;
    bad.assert_exception("AuthenticationException");
    assert_eq!(bad.element("Source").as_deref(), Some("batch-service"));
    let missing = stack.call_with(None, None, "DeleteBatchTask", &inner).await;
    missing.assert_exception("AuthenticationException");
    assert!(stack.exists(IDLE_BATCH_ID).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn another_tenant_sees_nothing_and_deletes_nothing() {
    let stack = Stack::start().await;
    let other = stack.service.new_tenant("other").await;
    let answer = stack
        .call(
            &other.ticket,
            "GetBatchTaskInfo",
            &format!("<Id>{IDLE_BATCH_ID}</Id>"),
        )
        .await;
    answer.assert_exception("NotFoundException");
    let delete = stack
        .call(
            &other.ticket,
            "DeleteBatchTasks",
            &int_array("BatchTaskIds", &[IDLE_BATCH_ID]),
        )
        .await;
    delete.assert_succeeded();
    assert!(stack.exists(IDLE_BATCH_ID).await);
    let all = stack
        .call(
            &other.ticket,
            "GetBatchTaskInfosByState",
            "<State>All</State>",
        )
        .await;
    assert!(ids_of(all.assert_succeeded()).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn online_mode_needs_a_registered_application_token() {
    let stack = Stack::start_in(Mode::Online).await;
    let inner = format!("<Id>{IDLE_BATCH_ID}</Id>");
    let without = stack
        .call_with(Some(TICKET), None, "GetBatchTaskInfo", &inner)
        .await;
    without.assert_exception("AuthenticationException");
    assert_eq!(
        without.element("Source").as_deref(),
        Some("soap-translator")
    );
    let wrong = stack
        .call_with(
            Some(TICKET),
            Some("0000000-0000-0000"),
            "GetBatchTaskInfo",
            &inner,
        )
        .await;
    wrong.assert_exception("AuthenticationException");
    assert_eq!(wrong.element("Source").as_deref(), Some("batch-service"));
    // Another tenant's token does not fit this tenant's ticket.
    let other = stack.service.new_tenant("other").await;
    let foreign = stack
        .call_with(
            Some(TICKET),
            Some(&other.application_token),
            "GetBatchTaskInfo",
            &inner,
        )
        .await;
    foreign.assert_exception("AuthenticationException");
    let right = stack
        .call_with(
            Some(TICKET),
            Some(APPLICATION_TOKEN),
            "GetBatchTaskInfo",
            &inner,
        )
        .await;
    right.assert_succeeded();
    // The seed's own envelope carries the right token: it works online too.
    let seed = http(
        stack.door,
        "POST",
        PATH,
        &[("Content-Type", "text/xml")],
        SEED_REQUEST.as_bytes(),
    )
    .await;
    seed.assert_succeeded();
}

#[tokio::test(flavor = "multi_thread")]
async fn onsite_mode_ignores_the_application_token() {
    let stack = Stack::start().await;
    let answer = stack
        .call_with(
            Some(TICKET),
            Some("anything at all"),
            "GetBatchTaskInfo",
            &format!("<Id>{IDLE_BATCH_ID}</Id>"),
        )
        .await;
    answer.assert_succeeded();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_service_is_unavailable_in_band_quickly_then_recovers() {
    let mut stack = Stack::start().await;
    let inner = format!("<Id>{IDLE_BATCH_ID}</Id>");
    stack
        .call(TICKET, "GetBatchTaskInfo", &inner)
        .await
        .assert_succeeded();
    stack.service.stop().await;
    let started = Instant::now();
    let answer = stack.call(TICKET, "GetBatchTaskInfo", &inner).await;
    answer.assert_exception("ServiceUnavailableException");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    stack.service.restart().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let answer = stack.call(TICKET, "GetBatchTaskInfo", &inner).await;
        if answer.element("Succeeded").as_deref() == Some("true") {
            break;
        }
        assert!(Instant::now() < deadline, "no recovery: {}", answer.body);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
