"""Drives the official SerpWow Python client against the REST door, one step per call.

    python serpwow_client.py BASE_URL API_KEY STEP [ARGS...]

The client's only base-URL knob is its public ENDPOINT_BATCHES attribute, set here on
the instance (the package itself is not modified). Each step prints one JSON object.
The client has no method for the JSON Lines and CSV variants of Get Result Set (the
Node client has), nor for the files behind download links: those are fetched with
`requests`, the HTTP library the client itself uses, adding the api_key as every
route of the door requires.
"""

import json
import sys

import requests
from serpwow.google_search_results import GoogleSearchResults


def client(base, key):
    serpwow = GoogleSearchResults(key)
    serpwow.ENDPOINT_BATCHES = base + "/live/batches"
    return serpwow


def create(serpwow, webhook):
    created = serpwow.create_batch({
        "name": "Python client batch",
        "enabled": True,
        "schedule_type": "manual",
        "priority": "normal",
        "notification_webhook": webhook,
        "notification_as_json": True,
        "notification_as_csv": True,
    })
    batch_id = created["batch"]["id"]
    added = serpwow.update_batch(batch_id, {"searches": [
        {"q": "pizza", "location": "New York,New York,United States", "custom_id": "p1"},
        {"q": "burger", "custom_id": "b1"},
    ]})
    listed = serpwow.list_batch_searches(batch_id, 1)
    first = listed["searches"][0]["id"]
    updated = serpwow.update_batch_search(batch_id, first, {"q": "pizza near me"})
    found = serpwow.find_batch_searches(batch_id, 1, "near me")
    as_json = serpwow.list_batch_searches_as_json(batch_id)
    as_csv = serpwow.list_batch_searches_as_csv(batch_id)
    started = serpwow.start_batch(batch_id)
    got = serpwow.get_batch(batch_id)
    return {
        "batch_id": batch_id,
        "searches_total_count": added["batch"]["searches_total_count"],
        "search_ids": [s["id"] for s in listed["searches"]],
        "updated": updated,
        "found": [s["q"] for s in found["searches"]],
        "searches_json_pages": as_json["download_links"]["pages"],
        "searches_csv_pages": as_csv["download_links"]["pages"],
        "started": started["request_info"],
        "status": got["batch"]["status"],
        "in_list": any(b["id"] == batch_id for b in serpwow.list_batches()["batches"]),
    }


def download(link, key):
    response = requests.get(link, params={"api_key": key}, timeout=30)
    return {"status": response.status_code,
            "content_type": response.headers.get("content-type"),
            "text": response.text}


def results(serpwow, base, key, batch_id):
    listed = serpwow.list_batch_result_sets(batch_id)
    set_id = listed["results"][0]["id"]
    as_json = serpwow.get_batch_result_set(batch_id, set_id)
    variants = {"json": as_json}
    for variant in ("jsonlines", "csv"):
        url = f"{base}/live/batches/{batch_id}/results/{set_id}/{variant}"
        variants[variant] = requests.get(url, params={"api_key": key}, timeout=30).json()
    files = {}
    for name, answer in variants.items():
        links = answer["result"]["download_links"]
        files[name] = {"page_1": download(links["pages"][0], key),
                       "all_pages": download(links["all_pages"], key)}
    return {"listed": listed, "result": as_json["result"], "files": files}


def main():
    base, key, step = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    serpwow = client(base, key)
    if step == "create":
        out = create(serpwow, sys.argv[4])
    elif step == "results":
        out = results(serpwow, base, key, sys.argv[4])
    elif step == "delete":
        out = serpwow.delete_batch(sys.argv[4])
    elif step == "get":
        out = serpwow.get_batch(sys.argv[4])
    else:
        raise SystemExit(f"unknown step {step}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
