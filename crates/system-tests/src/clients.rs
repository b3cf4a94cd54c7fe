//! Clients that loop creating and deleting batches through gRPC or REST, recording
//! every request, and the check that nothing was half-applied afterwards.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use batch_proto::v1::batch_service_client::BatchServiceClient;
use batch_proto::v1::{
    AddBatchItemsRequest, Batch, BatchItem, CreateBatchRequest, DeleteBatchesRequest,
};
use tonic::transport::{Channel, Endpoint};

use crate::load::Recorder;

/// The development seed's API key and ticket (`batch-service seed-dev`).
pub const API_KEY: &str = "demo";
/// Items each created batch gets.
pub const ITEMS_PER_BATCH: usize = 2;

/// Stops the loops: a deadline and a count, whichever comes first.
#[derive(Debug, Clone)]
pub struct Bounds {
    pub until: Arc<Mutex<Option<Instant>>>,
    pub max_cycles: usize,
}

impl Bounds {
    /// Loops run until `stop` is called, at most `max_cycles` per client and at most
    /// `hard_limit` from now.
    pub fn new(max_cycles: usize, hard_limit: Duration) -> Self {
        Self {
            until: Arc::new(Mutex::new(Some(Instant::now() + hard_limit))),
            max_cycles,
        }
    }

    /// Ends every loop after `after`.
    pub fn stop_after(&self, after: Duration) {
        let mut until = self.until.lock().unwrap_or_else(|e| e.into_inner());
        let at = Instant::now() + after;
        *until = Some(until.map_or(at, |u| u.min(at)));
    }

    /// Whether a loop on its `cycle`-th round (from 0) should go on.
    pub fn running(&self, cycle: usize) -> bool {
        cycle < self.max_cycles
            && self
                .until
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_none_or(|u| Instant::now() < u)
    }
}

/// What the clients did to which ids, for the consistency check.
#[derive(Debug, Default, Clone)]
pub struct Ledger {
    inner: Arc<Mutex<LedgerInner>>,
}

#[derive(Debug, Default)]
struct LedgerInner {
    created: BTreeSet<i64>,
    deleted_ok: BTreeSet<i64>,
    delete_failed: BTreeSet<i64>,
}

impl Ledger {
    fn with<T>(&self, f: impl FnOnce(&mut LedgerInner) -> T) -> T {
        f(&mut self.inner.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn created(&self) -> BTreeSet<i64> {
        self.with(|l| l.created.clone())
    }

    pub fn deleted_ok(&self) -> BTreeSet<i64> {
        self.with(|l| l.deleted_ok.clone())
    }

    pub fn delete_failed(&self) -> BTreeSet<i64> {
        self.with(|l| l.delete_failed.clone())
    }
}

/// A channel to the service at `addr` (connected lazily, reconnecting by itself).
pub fn grpc_channel(addr: &str) -> Channel {
    Endpoint::from_shared(format!("http://{addr}"))
        .expect("a valid address")
        .connect_timeout(Duration::from_millis(500))
        .timeout(Duration::from_secs(10))
        .connect_lazy()
}

/// `message` with the demo credential.
pub fn authed<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {API_KEY}").parse().expect("ASCII"),
    );
    request
}

fn grpc_error(status: &tonic::Status) -> String {
    format!("grpc {:?}", status.code())
}

/// Creates a batch with items and deletes it, over and over, through gRPC.
pub async fn grpc_loop(
    channel: Channel,
    client_no: usize,
    bounds: Bounds,
    recorder: Recorder,
    ledger: Ledger,
) {
    let mut client = BatchServiceClient::new(channel);
    let mut cycle = 0;
    while bounds.running(cycle) {
        cycle += 1;
        let started = Instant::now();
        let created = client
            .create_batch(authed(CreateBatchRequest {
                batch: Some(Batch {
                    name: format!("grpc fault load {client_no}/{cycle}"),
                    ..Batch::default()
                }),
                start: false,
            }))
            .await;
        let id = match created {
            Ok(batch) => {
                recorder.record("grpc CreateBatch", started, None);
                batch.into_inner().id
            }
            Err(status) => {
                recorder.record("grpc CreateBatch", started, Some(grpc_error(&status)));
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        ledger.with(|l| l.created.insert(id));
        let started = Instant::now();
        let items = (0..ITEMS_PER_BATCH)
            .map(|i| BatchItem {
                custom_id: format!("item {i}"),
                ..BatchItem::default()
            })
            .collect();
        let added = client
            .add_batch_items(authed(AddBatchItemsRequest {
                batch_id: id,
                items,
            }))
            .await;
        recorder.record(
            "grpc AddBatchItems",
            started,
            added.err().map(|s| grpc_error(&s)),
        );
        let started = Instant::now();
        let deleted = client
            .delete_batches(authed(DeleteBatchesRequest {
                ids: vec![id],
                allow_missing: false,
                force: false,
            }))
            .await;
        match deleted {
            Ok(response) => {
                recorder.record("grpc DeleteBatches", started, None);
                let ids = response.into_inner().deleted_ids;
                assert_eq!(ids, vec![id], "the OK delete names its id");
                ledger.with(|l| l.deleted_ok.insert(id));
            }
            Err(status) => {
                recorder.record("grpc DeleteBatches", started, Some(grpc_error(&status)));
                ledger.with(|l| l.delete_failed.insert(id));
            }
        }
    }
}

/// The same loop through the REST door at `base` (`http://127.0.0.1:<port>`).
pub async fn rest_loop(
    base: String,
    client_no: usize,
    bounds: Bounds,
    recorder: Recorder,
    ledger: Ledger,
) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client");
    let rest_error = |status: u16| Some(format!("rest {status}"));
    let mut cycle = 0;
    while bounds.running(cycle) {
        cycle += 1;
        let started = Instant::now();
        let created = http
            .post(format!("{base}/live/batches?api_key={API_KEY}"))
            .json(&serde_json::json!({"name": format!("rest fault load {client_no}/{cycle}")}))
            .send()
            .await;
        let id = match created {
            Ok(response) if response.status().is_success() => {
                let body: serde_json::Value = response.json().await.unwrap_or_default();
                recorder.record("rest POST /live/batches", started, None);
                body["batch"]["id"]
                    .as_str()
                    .and_then(|id| id.parse::<i64>().ok())
                    .expect("the created batch's id")
            }
            Ok(response) => {
                recorder.record(
                    "rest POST /live/batches",
                    started,
                    rest_error(response.status().as_u16()),
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            Err(error) => {
                recorder.record(
                    "rest POST /live/batches",
                    started,
                    Some(format!("rest transport {error}")),
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        ledger.with(|l| l.created.insert(id));
        let searches: Vec<serde_json::Value> = (0..ITEMS_PER_BATCH)
            .map(|i| serde_json::json!({"q": format!("query {i}")}))
            .collect();
        let started = Instant::now();
        let added = http
            .put(format!("{base}/live/batches/{id}?api_key={API_KEY}"))
            .json(&serde_json::json!({"searches": searches}))
            .send()
            .await;
        let error = match added {
            Ok(response) if response.status().is_success() => None,
            Ok(response) => rest_error(response.status().as_u16()),
            Err(error) => Some(format!("rest transport {error}")),
        };
        recorder.record("rest PUT /live/batches/{id}", started, error);
        let started = Instant::now();
        let deleted = http
            .delete(format!("{base}/live/batches/{id}?api_key={API_KEY}"))
            .send()
            .await;
        let error = match deleted {
            Ok(response) if response.status().is_success() => None,
            Ok(response) => rest_error(response.status().as_u16()),
            Err(error) => Some(format!("rest transport {error}")),
        };
        ledger.with(|l| {
            if error.is_none() {
                l.deleted_ok.insert(id);
            } else {
                l.delete_failed.insert(id);
            }
        });
        recorder.record("rest DELETE /live/batches/{id}", started, error);
    }
}

/// A session on `url`.
pub async fn connect_db(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// Checks that nothing the ledger touched was half-applied; returns what is wrong.
///
/// - an OK delete: the batch and its items are gone, and exactly one audit row names
///   it, and names exactly it;
/// - a failed delete: either not applied at all (batch and items there, no audit row)
///   or applied completely (as an OK delete) — never in between;
/// - every batch that still exists has all its items or none (adding is atomic too).
pub async fn half_applied(db: &tokio_postgres::Client, ledger: &Ledger) -> Vec<String> {
    let mut problems = Vec::new();
    let created: Vec<i64> = ledger.created().into_iter().collect();
    let present: BTreeMap<i64, i64> = db
        .query(
            "SELECT b.id, (SELECT count(*) FROM batch_items i WHERE i.batch_id = b.id) \
             FROM batches b WHERE b.id = ANY($1)",
            &[&created],
        )
        .await
        .expect("batches")
        .iter()
        .map(|row| (row.get::<_, i64>(0), row.get::<_, i64>(1)))
        .collect();
    let orphans: i64 = db
        .query_one(
            "SELECT count(*) FROM batch_items i WHERE i.batch_id = ANY($1) \
             AND NOT EXISTS (SELECT 1 FROM batches b WHERE b.id = i.batch_id)",
            &[&created],
        )
        .await
        .expect("orphans")
        .get(0);
    if orphans != 0 {
        problems.push(format!("{orphans} items outlived their batch"));
    }
    let mut audits: BTreeMap<i64, Vec<Vec<i64>>> = BTreeMap::new();
    for row in db
        .query(
            "SELECT batch_ids FROM batch_deletions WHERE batch_ids && $1",
            &[&created],
        )
        .await
        .expect("audit rows")
    {
        let ids: Vec<i64> = row.get(0);
        for id in &ids {
            audits.entry(*id).or_default().push(ids.clone());
        }
    }
    let fully_deleted = |id: i64| -> Result<(), String> {
        if present.contains_key(&id) {
            return Err(format!("batch {id} still exists"));
        }
        match audits.get(&id).map(Vec::as_slice) {
            Some([only]) if only == &vec![id] => Ok(()),
            other => Err(format!(
                "batch {id} has audit rows {other:?}, not exactly [[{id}]]"
            )),
        }
    };
    for id in ledger.deleted_ok() {
        if let Err(problem) = fully_deleted(id) {
            problems.push(format!("OK delete: {problem}"));
        }
    }
    for id in ledger.delete_failed() {
        let untouched = present.contains_key(&id) && !audits.contains_key(&id);
        if !untouched && let Err(problem) = fully_deleted(id) {
            problems.push(format!("failed delete half-applied: {problem}"));
        }
    }
    for (id, items) in &present {
        if *items != 0 && *items != ITEMS_PER_BATCH as i64 {
            problems.push(format!(
                "batch {id} has {items} of its {ITEMS_PER_BATCH} items"
            ));
        }
    }
    problems
}
