//! A delete racing a claim or a start of the same batch: they never both win.

use batch_proto::v1::{self as pb};
use test_support::TestService;
use tonic::Code;

use crate::{authed, seed};

const ROUNDS: usize = 60;

/// Each round queues one batch, then fires a delete, a claim and a start at it
/// together. Invariants: a claimed batch is never deleted (the delete then fails with
/// FAILED_PRECONDITION and the batch still exists, running); a deleted batch is never
/// claimed, and once deleted it cannot be started.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_delete_and_a_claim_or_start_never_both_win() {
    let svc = TestService::start().await;
    let channel = svc.channel().await;
    let client = pb::batch_service_client::BatchServiceClient::new(channel);
    let (mut deletes_won, mut claims_won) = (0, 0);

    for round in 0..ROUNDS {
        let mut c = client.clone();
        let batch = c
            .create_batch(authed(
                pb::CreateBatchRequest {
                    batch: Some(pb::Batch {
                        name: format!("race {round}"),
                        ..Default::default()
                    }),
                    start: true,
                },
                seed::API_KEY,
            ))
            .await
            .expect("create")
            .into_inner();
        let id = batch.id;

        let (mut d, mut cl, mut st) = (client.clone(), client.clone(), client.clone());
        let delete = tokio::spawn(async move {
            d.delete_batches(authed(
                pb::DeleteBatchesRequest {
                    ids: vec![id],
                    allow_missing: false,
                    force: false,
                },
                seed::API_KEY,
            ))
            .await
        });
        let claim = tokio::spawn(async move {
            cl.claim_next_batch(authed(
                pb::ClaimNextBatchRequest {
                    worker: "racer".into(),
                },
                seed::API_KEY,
            ))
            .await
        });
        let start = tokio::spawn(async move {
            st.start_batch(authed(pb::StartBatchRequest { id }, seed::API_KEY))
                .await
        });
        let deleted = delete.await.unwrap();
        let claimed = claim
            .await
            .unwrap()
            .expect("claim never errors")
            .into_inner()
            .batch;
        let started = start.await.unwrap();

        let exists = svc
            .query_i64(&format!("SELECT count(*) FROM batches WHERE id = {id}"))
            .await
            == 1;
        let claimed_it = claimed.as_ref().is_some_and(|b| b.id == id);
        match &deleted {
            Ok(response) => {
                deletes_won += 1;
                assert_eq!(response.get_ref().deleted_ids, vec![id]);
                assert!(
                    !claimed_it,
                    "round {round}: batch {id} was both claimed and deleted"
                );
                assert!(!exists, "round {round}: a successful delete left the row");
                assert_eq!(
                    svc.query_i64(&format!(
                        "SELECT count(*) FROM batch_runs WHERE batch_id = {id}"
                    ))
                    .await,
                    0
                );
            }
            Err(status) => {
                assert_eq!(
                    status.code(),
                    Code::FailedPrecondition,
                    "round {round}: {status:?}"
                );
                assert!(
                    claimed_it,
                    "round {round}: the delete may only lose to the claim"
                );
                assert!(exists);
                claims_won += 1;
            }
        }
        // A start either came before the delete (queued is deletable) or found nothing.
        if let Err(status) = &started {
            assert!(
                matches!(status.code(), Code::NotFound | Code::FailedPrecondition),
                "{status:?}"
            );
        }
        if !exists {
            let late = client
                .clone()
                .start_batch(authed(pb::StartBatchRequest { id }, seed::API_KEY))
                .await;
            assert_eq!(
                late.unwrap_err().code(),
                Code::NotFound,
                "a deleted batch never starts"
            );
        }
        // Leave nothing queued or running for the next round's claim.
        svc.execute("UPDATE batches SET state = 'failed' WHERE state IN ('queued', 'running') AND id <> 123457").await;
    }
    eprintln!("{ROUNDS} rounds: delete won {deletes_won}, claim won {claims_won}");
    assert_eq!(deletes_won + claims_won, ROUNDS);
    // The running seed batch was never touched by the races.
    assert_eq!(
        svc.query_i64(&format!(
            "SELECT count(*) FROM batches WHERE id = {} AND state = 'running'",
            seed::RUNNING_BATCH_ID
        ))
        .await,
        1
    );
}
