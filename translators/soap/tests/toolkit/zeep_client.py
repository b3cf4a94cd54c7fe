"""Drives the SOAP door with zeep, the way a client generated from the WSDL would.

Usage: zeep_client.py WSDL_URL TICKET IDLE_ID MISSING_ID

The client is built from the served WSDL alone (its soap:address says where to post).
Each step prints one JSON object on its own line; the Rust test asserts on them.
"""

import json
import sys

from zeep import Client, Settings


def emit(**fields):
    print(json.dumps(fields, default=str), flush=True)


def exception_type(header):
    info = header.ExceptionInfo
    return None if info is None else info.ExceptionType


def main():
    wsdl, ticket, idle_id, missing_id = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    client = Client(wsdl, settings=Settings(strict=True))
    service = client.service
    emit(step="address", address=service._binding_options["address"])
    headers = {"Credentials": {"Ticket": ticket}}

    result = service.GetBatchTaskInfo(Id=idle_id, _soapheaders=headers)
    info = result.body.Response
    emit(
        step="get",
        succeeded=result.header.Succeeded,
        id=info.Id,
        name=info.Name,
        state=info.State,
        associate_id=info.AssociateId,
        created=info.Created,
    )

    result = service.GetBatchTaskInfo(Id=missing_id, _soapheaders=headers)
    emit(
        step="get_missing",
        succeeded=result.header.Succeeded,
        exception_type=exception_type(result.header),
        response=result.body.Response,
    )

    result = service.DeleteBatchTasks(BatchTaskIds={"int": [idle_id, 0]}, _soapheaders=headers)
    emit(step="delete", succeeded=result.header.Succeeded, exception_type=exception_type(result.header))

    result = service.GetBatchTaskInfo(Id=idle_id, _soapheaders=headers)
    emit(
        step="get_deleted",
        succeeded=result.header.Succeeded,
        exception_type=exception_type(result.header),
    )

    result = service.GetBatchTaskInfosByState(State="All", _soapheaders=headers)
    tasks = result.body.Response
    emit(
        step="list",
        succeeded=result.header.Succeeded,
        ids=[task.Id for task in (tasks.BatchTaskInfo if tasks is not None else [])],
    )

    result = service.DeleteBatchTasks(
        BatchTaskIds={"int": [idle_id]}, _soapheaders={"Credentials": {"Ticket": "7T:wrong"}}
    )
    emit(step="bad_ticket", succeeded=result.header.Succeeded, exception_type=exception_type(result.header))


if __name__ == "__main__":
    main()
