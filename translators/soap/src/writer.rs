//! Writing response envelopes the way a Services86 client parses them: the response
//! headers in WSDL order (`ExceptionInfo` only on error, `ExtraInfo` only when there is
//! something to say, `Succeeded` always, `TimeZone`), then `<Op>Response` holding
//! `Response` in Services86's namespace, with `BatchTaskInfo` fields in WSDL order.

use std::io;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::envelope::{SoapVersion, TNS};
use crate::exception::ExceptionInfo;
use crate::model::BatchTaskInfo;
use crate::operation::OperationName;
use crate::xml::XmlWriter;

/// What an operation returns when it succeeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OperationResult {
    /// The void operations (the two deletes): an empty `<Op>Response`.
    Empty,
    /// `GetBatchTaskInfo`, `UpdateBatchTask`.
    Info(Box<BatchTaskInfo>),
    /// The four `GetBatchTaskInfosBy*`: an `ArrayOfBatchTaskInfo`.
    Infos(Vec<BatchTaskInfo>),
    /// `StartBatchJob`: the id of the started task.
    Int(i32),
    /// `StopBatchJob`: whether the task was stopped.
    Bool(bool),
}

/// The outcome of one call, ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub result: Result<OperationResult, ExceptionInfo>,
    /// `ExtraInfo` pairs; the header is left out when there are none.
    pub extra_info: Vec<(String, String)>,
}

impl Reply {
    /// A successful reply without extra information.
    pub(crate) fn ok(result: OperationResult) -> Self {
        Self {
            result: Ok(result),
            extra_info: Vec::new(),
        }
    }

    /// A failed reply.
    pub(crate) fn failed(exception: ExceptionInfo) -> Self {
        Self {
            result: Err(exception),
            extra_info: Vec::new(),
        }
    }
}

// The envelope's elements, in the prefix that `xmlns:s` binds to the version's namespace.
const ENVELOPE: &str = "s:Envelope";
const HEADER: &str = "s:Header";
const BODY: &str = "s:Body";

/// Formats an `xs:dateTime` in UTC with a `Z`, with fractional seconds only when there
/// are any (`2021-11-30T13:22:47Z`, as the published examples show).
pub(crate) fn date_time(value: &DateTime<Utc>) -> String {
    value.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The response envelope of `op` for `reply`, in `version`.
pub(crate) fn write_response(
    version: SoapVersion,
    op: OperationName,
    reply: &Reply,
) -> io::Result<Vec<u8>> {
    let mut xml = XmlWriter::new(1024)?;
    xml.start(ENVELOPE, &[("xmlns:s", version.namespace())])?;

    xml.start(HEADER, &[])?;
    if let Err(exception) = &reply.result {
        write_exception(&mut xml, exception)?;
    }
    if !reply.extra_info.is_empty() {
        xml.start("ExtraInfo", &[("xmlns", TNS)])?;
        write_pairs(&mut xml, "ExtraInfoNameValuePair", &reply.extra_info)?;
        xml.end("ExtraInfo")?;
    }
    let succeeded = if reply.result.is_ok() {
        "true"
    } else {
        "false"
    };
    xml.element("Succeeded", &[("xmlns", TNS)], succeeded)?;
    // Every dateTime is written in UTC, which this time zone header says.
    xml.start("TimeZone", &[("xmlns", TNS)])?;
    xml.text_element("SoTimeZoneId", "0")?;
    xml.end("TimeZone")?;
    xml.end(HEADER)?;

    xml.start(BODY, &[])?;
    let response = [op.as_str(), "Response"].concat();
    match &reply.result {
        // On error the body is the bare response element: clients read the headers.
        Err(_) | Ok(OperationResult::Empty) => xml.empty(&response, &[("xmlns", TNS)])?,
        Ok(result) => {
            xml.start(&response, &[("xmlns", TNS)])?;
            write_result(&mut xml, result)?;
            xml.end(&response)?;
        }
    }
    xml.end(BODY)?;
    xml.end(ENVELOPE)?;
    Ok(xml.finish())
}

fn write_exception(xml: &mut XmlWriter, exception: &ExceptionInfo) -> io::Result<()> {
    xml.start("ExceptionInfo", &[("xmlns", TNS)])?;
    xml.text_element("Message", &exception.message)?;
    xml.text_element("FriendlyText", &exception.friendly_text)?;
    xml.text_element("ExceptionType", exception.exception_type)?;
    xml.text_element("Source", exception.source)?;
    if !exception.parameters.is_empty() {
        xml.start("Parameters", &[])?;
        write_pairs(
            xml,
            "SoExceptionInfoParametersKeyValuePair",
            &exception.parameters,
        )?;
        xml.end("Parameters")?;
    }
    xml.end("ExceptionInfo")
}

fn write_pairs(xml: &mut XmlWriter, item: &str, pairs: &[(String, String)]) -> io::Result<()> {
    for (key, value) in pairs {
        xml.start(item, &[])?;
        xml.text_element("Key", key)?;
        xml.text_element("Value", value)?;
        xml.end(item)?;
    }
    Ok(())
}

fn write_result(xml: &mut XmlWriter, result: &OperationResult) -> io::Result<()> {
    match result {
        OperationResult::Empty => Ok(()),
        OperationResult::Info(info) => write_info(xml, "Response", info),
        OperationResult::Infos(infos) if infos.is_empty() => xml.empty("Response", &[]),
        OperationResult::Infos(infos) => {
            xml.start("Response", &[])?;
            for info in infos {
                write_info(xml, "BatchTaskInfo", info)?;
            }
            xml.end("Response")
        }
        OperationResult::Int(value) => xml.text_element("Response", &value.to_string()),
        OperationResult::Bool(value) => {
            xml.text_element("Response", if *value { "true" } else { "false" })
        }
    }
}

/// One `BatchTaskInfo` under the element `name`, fields in WSDL order. `TableRight` and
/// `FieldProperties` are optional and not modelled, `LastStarted` is left out for a
/// task that never ran.
fn write_info(xml: &mut XmlWriter, name: &str, info: &BatchTaskInfo) -> io::Result<()> {
    let bool_text = |value: bool| if value { "true" } else { "false" };
    xml.start(name, &[])?;
    xml.text_element("Id", &info.id.to_string())?;
    xml.text_element("Name", &info.name)?;
    xml.text_element("AssociateId", &info.associate_id.to_string())?;
    xml.text_element("DetailsTable", &info.details_table.to_string())?;
    xml.text_element("DetailsRecord", &info.details_record.to_string())?;
    xml.text_element("IsSystemTask", bool_text(info.is_system_task))?;
    xml.text_element("IsInternalTask", bool_text(info.is_internal_task))?;
    if info.parameters.is_empty() {
        xml.empty("ParameterObject", &[])?;
    } else {
        xml.start("ParameterObject", &[])?;
        write_pairs(xml, "StringKeyValuePair", &info.parameters)?;
        xml.end("ParameterObject")?;
    }
    if let Some(last_started) = &info.last_started {
        xml.text_element("LastStarted", &date_time(last_started))?;
    }
    if let Some(created) = &info.created {
        xml.text_element("Created", &date_time(created))?;
    }
    xml.text_element("StartCount", &info.start_count.to_string())?;
    xml.text_element("DatabaseSerialNumber", &info.database_serial_number)?;
    xml.text_element("Context", &info.context)?;
    xml.text_element("Result", &info.result)?;
    xml.text_element("State", info.state.as_str())?;
    xml.text_element("Description", &info.description)?;
    xml.text_element("Response", &info.response)?;
    xml.text_element("Request", &info.request)?;
    xml.text_element("ProgressDescription", &info.progress_description)?;
    xml.text_element("ProgressPercent", &info.progress_percent.to_string())?;
    xml.end(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BatchTaskState;

    fn text(version: SoapVersion, op: OperationName, reply: &Reply) -> String {
        String::from_utf8(write_response(version, op, reply).unwrap()).unwrap()
    }

    fn info() -> BatchTaskInfo {
        BatchTaskInfo {
            id: 123456,
            name: "My First Batch".into(),
            associate_id: 1,
            details_table: 0,
            details_record: 0,
            is_system_task: false,
            is_internal_task: true,
            parameters: vec![("k".into(), "v&<".into())],
            last_started: None,
            created: DateTime::from_timestamp(1_638_278_567, 0),
            start_count: 0,
            database_serial_number: String::new(),
            context: String::new(),
            result: String::new(),
            state: BatchTaskState::Aquired,
            description: String::new(),
            response: String::new(),
            request: String::new(),
            progress_description: String::new(),
            progress_percent: 0,
        }
    }

    #[test]
    fn delete_response_is_the_seeds_with_headers() {
        let out = text(
            SoapVersion::Soap12,
            OperationName::DeleteBatchTasks,
            &Reply::ok(OperationResult::Empty),
        );
        assert_eq!(
            out,
            concat!(
                r#"<?xml version="1.0" encoding="utf-8"?>"#,
                r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header>"#,
                r#"<Succeeded xmlns="http://www.superoffice.net/ws/crm/NetServer/Services86">true</Succeeded>"#,
                r#"<TimeZone xmlns="http://www.superoffice.net/ws/crm/NetServer/Services86"><SoTimeZoneId>0</SoTimeZoneId></TimeZone>"#,
                r#"</s:Header><s:Body>"#,
                r#"<DeleteBatchTasksResponse xmlns="http://www.superoffice.net/ws/crm/NetServer/Services86"/>"#,
                r#"</s:Body></s:Envelope>"#
            )
        );
    }

    #[test]
    fn batch_task_info_fields_are_in_wsdl_order() {
        let out = text(
            SoapVersion::Soap11,
            OperationName::GetBatchTaskInfo,
            &Reply::ok(OperationResult::Info(Box::new(info()))),
        );
        let order = [
            "<Id>123456</Id>",
            "<Name>My First Batch</Name>",
            "<AssociateId>1</AssociateId>",
            "<DetailsTable>0</DetailsTable>",
            "<DetailsRecord>0</DetailsRecord>",
            "<IsSystemTask>false</IsSystemTask>",
            "<IsInternalTask>true</IsInternalTask>",
            "<ParameterObject><StringKeyValuePair><Key>k</Key><Value>v&amp;&lt;</Value></StringKeyValuePair></ParameterObject>",
            "<Created>2021-11-30T13:22:47Z</Created>",
            "<StartCount>0</StartCount>",
            "<DatabaseSerialNumber></DatabaseSerialNumber>",
            "<Context></Context>",
            "<Result></Result>",
            "<State>Aquired</State>",
            "<Description></Description>",
            "<Response></Response>",
            "<Request></Request>",
            "<ProgressDescription></ProgressDescription>",
            "<ProgressPercent>0</ProgressPercent>",
        ];
        let mut at = out.find("<Response><Id>").expect("outer Response");
        for field in order {
            let found = out[at..]
                .find(field)
                .unwrap_or_else(|| panic!("{field} missing or out of order"));
            at += found + field.len();
        }
        assert!(!out.contains("LastStarted"));
        assert!(
            out.contains(r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">"#)
        );
    }

    #[test]
    fn errors_put_exception_info_first_and_succeeded_false() {
        let exception = ExceptionInfo {
            message: "batch 123457 is running".into(),
            friendly_text: "busy".into(),
            exception_type: "InvalidOperationException",
            source: "batch-service",
            parameters: vec![("123457".into(), "running".into())],
            server_fault: false,
        };
        let mut reply = Reply::failed(exception);
        reply.extra_info.push(("a".into(), "b".into()));
        let out = text(SoapVersion::Soap11, OperationName::DeleteBatchTask, &reply);
        let exception_at = out.find("<ExceptionInfo").unwrap();
        let extra_at = out.find("<ExtraInfo").unwrap();
        let succeeded_at = out.find(">false</Succeeded>").unwrap();
        let time_zone_at = out.find("<TimeZone").unwrap();
        assert!(exception_at < extra_at && extra_at < succeeded_at && succeeded_at < time_zone_at);
        assert!(out.contains(concat!(
            "<Message>batch 123457 is running</Message><FriendlyText>busy</FriendlyText>",
            "<ExceptionType>InvalidOperationException</ExceptionType><Source>batch-service</Source>",
            "<Parameters><SoExceptionInfoParametersKeyValuePair><Key>123457</Key><Value>running</Value>",
            "</SoExceptionInfoParametersKeyValuePair></Parameters>"
        )));
        assert!(out.contains(r#"<DeleteBatchTaskResponse xmlns="http://www.superoffice.net/ws/crm/NetServer/Services86"/>"#));
    }

    #[test]
    fn scalar_and_list_results() {
        let start = text(
            SoapVersion::Soap11,
            OperationName::StartBatchJob,
            &Reply::ok(OperationResult::Int(42)),
        );
        assert!(start.contains("<StartBatchJobResponse xmlns=\"http://www.superoffice.net/ws/crm/NetServer/Services86\"><Response>42</Response></StartBatchJobResponse>"));
        let stop = text(
            SoapVersion::Soap11,
            OperationName::StopBatchJob,
            &Reply::ok(OperationResult::Bool(false)),
        );
        assert!(stop.contains("<Response>false</Response>"));
        let empty = text(
            SoapVersion::Soap11,
            OperationName::GetBatchTaskInfosByState,
            &Reply::ok(OperationResult::Infos(vec![])),
        );
        assert!(empty.contains("<Response/>"));
        let two = text(
            SoapVersion::Soap11,
            OperationName::GetBatchTaskInfosByState,
            &Reply::ok(OperationResult::Infos(vec![info(), info()])),
        );
        assert_eq!(two.matches("<BatchTaskInfo><Id>123456</Id>").count(), 2);
    }

    #[test]
    fn fractional_seconds_are_kept() {
        let value = DateTime::from_timestamp(1_638_278_567, 250_000_000).unwrap();
        assert_eq!(date_time(&value), "2021-11-30T13:22:47.250Z");
    }
}
