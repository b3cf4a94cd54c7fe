//! The operation element of a SOAP Body and its arguments, read from the stream into
//! a typed [`Operation`]: ints, shorts, booleans, states, strings, `ArrayOfint`,
//! `StringDictionary` and `BatchTaskInfo`.

use super::ReadError;
use super::cursor::{Cursor, Element, Ns, quote};
use crate::model::{BatchTaskInfoInput, BatchTaskState};
use crate::operation::{Operation, OperationName};

/// The arguments any operation may have, gathered while its children stream by.
#[derive(Default)]
struct Arguments {
    id: Option<i32>,
    ids: Option<Vec<i32>>,
    name: Option<String>,
    state: Option<BatchTaskState>,
    info: Option<BatchTaskInfoInput>,
}

/// Reads the children of the operation element `op` (whose start tag was just read) up
/// to its end tag. Unknown children are passed over, as WCF does.
pub(crate) fn read_operation(
    op: OperationName,
    cursor: &mut Cursor<'_>,
) -> Result<Operation, ReadError> {
    use OperationName as O;
    let mut args = Arguments::default();
    while let Some(child) = cursor.next_child(op.as_str())? {
        if !matches!(child.ns, Ns::Tns | Ns::Unqualified) {
            cursor.skip()?;
            continue;
        }
        match (op, child.local.as_str()) {
            (O::DeleteBatchTask, "BatchTaskId") | (O::GetBatchTaskInfo | O::StopBatchJob, "Id") => {
                args.id = read_int(cursor, &child)?;
            }
            (O::DeleteBatchTasks, "BatchTaskIds")
            | (
                O::GetBatchTaskInfosByAssociates
                | O::GetBatchTaskInfosByAssociatesAndState
                | O::GetBatchTaskInfosByNameAndAssociates,
                "AssociateIds",
            ) => args.ids = Some(read_int_array(cursor, &child)?),
            (
                O::GetBatchTaskInfosByNameAndAssociates | O::GetBatchTaskInfosByNameAndState,
                "Name",
            ) => {
                args.name = read_string(cursor, &child)?;
            }
            (
                O::GetBatchTaskInfosByAssociatesAndState
                | O::GetBatchTaskInfosByNameAndState
                | O::GetBatchTaskInfosByState,
                "State",
            ) => args.state = read_state(cursor, &child)?,
            (O::StartBatchJob | O::UpdateBatchTask, "BatchTaskInfo") => {
                args.info = read_batch_task_info(cursor, &child)?;
            }
            _ => cursor.skip()?,
        }
    }
    let state = args.state.unwrap_or(BatchTaskState::Unknown);
    let ids = args.ids.unwrap_or_default();
    let id = args.id.unwrap_or(0);
    Ok(match op {
        O::DeleteBatchTask => Operation::DeleteBatchTask { id },
        O::DeleteBatchTasks => Operation::DeleteBatchTasks { ids },
        O::GetBatchTaskInfo => Operation::GetBatchTaskInfo { id },
        O::GetBatchTaskInfosByAssociates => {
            Operation::GetBatchTaskInfosByAssociates { associate_ids: ids }
        }
        O::GetBatchTaskInfosByAssociatesAndState => {
            Operation::GetBatchTaskInfosByAssociatesAndState {
                associate_ids: ids,
                state,
            }
        }
        O::GetBatchTaskInfosByNameAndAssociates => {
            Operation::GetBatchTaskInfosByNameAndAssociates {
                name: args.name,
                associate_ids: ids,
            }
        }
        O::GetBatchTaskInfosByNameAndState => Operation::GetBatchTaskInfosByNameAndState {
            name: args.name,
            state,
        },
        O::GetBatchTaskInfosByState => Operation::GetBatchTaskInfosByState { state },
        O::StartBatchJob => Operation::StartBatchJob { info: args.info },
        O::StopBatchJob => Operation::StopBatchJob { id },
        O::UpdateBatchTask => Operation::UpdateBatchTask { info: args.info },
    })
}

/// A `BatchTaskInfo` argument; `None` when it is `xsi:nil`.
fn read_batch_task_info(
    cursor: &mut Cursor<'_>,
    element: &Element,
) -> Result<Option<BatchTaskInfoInput>, ReadError> {
    if element.nil {
        cursor.skip()?;
        return Ok(None);
    }
    let mut info = BatchTaskInfoInput::default();
    while let Some(child) = cursor.next_child(&element.local)? {
        if !matches!(child.ns, Ns::Tns | Ns::Unqualified) {
            cursor.skip()?;
            continue;
        }
        // A nil string means "no value", which the service stores as empty.
        let string = |cursor: &mut Cursor<'_>| {
            read_string(cursor, &child).map(|value| Some(value.unwrap_or_default()))
        };
        match child.local.as_str() {
            "Id" => info.id = read_int(cursor, &child)?,
            "Name" => info.name = string(cursor)?,
            "AssociateId" => info.associate_id = read_int(cursor, &child)?,
            "DetailsTable" => info.details_table = read_short(cursor, &child)?,
            "DetailsRecord" => info.details_record = read_int(cursor, &child)?,
            "IsSystemTask" => info.is_system_task = read_bool(cursor, &child)?,
            "IsInternalTask" => info.is_internal_task = read_bool(cursor, &child)?,
            "ParameterObject" => info.parameters = Some(read_dictionary(cursor, &child)?),
            "DatabaseSerialNumber" => info.database_serial_number = string(cursor)?,
            "Context" => info.context = string(cursor)?,
            "Result" => info.result = string(cursor)?,
            "State" => info.state = read_state(cursor, &child)?,
            "Description" => info.description = string(cursor)?,
            "Response" => info.response = string(cursor)?,
            "Request" => info.request = string(cursor)?,
            "ProgressDescription" => info.progress_description = string(cursor)?,
            "ProgressPercent" => info.progress_percent = read_short(cursor, &child)?,
            // TableRight, FieldProperties, LastStarted, Created, StartCount are
            // read-only; newer fields (FileName) do not exist in Services86.
            _ => cursor.skip()?,
        }
    }
    Ok(Some(info))
}

/// A `StringDictionary`: `StringKeyValuePair { Key, Value }` items, order kept.
fn read_dictionary(
    cursor: &mut Cursor<'_>,
    element: &Element,
) -> Result<Vec<(String, String)>, ReadError> {
    let mut pairs = Vec::new();
    if element.nil {
        cursor.skip()?;
        return Ok(pairs);
    }
    // Entries are items, like those of an array: hand-written clients leave them (and
    // their Key and Value) unqualified, and a dropped entry would silently lose data.
    let is_item = |element: &Element, local: &str| {
        matches!(element.ns, Ns::Tns | Ns::Unqualified) && element.local == local
    };
    while let Some(item) = cursor.next_child(&element.local)? {
        if !is_item(&item, "StringKeyValuePair") {
            cursor.skip()?;
            continue;
        }
        let (mut key, mut value) = (String::new(), String::new());
        while let Some(field) = cursor.next_child(&item.local)? {
            if is_item(&field, "Key") {
                key = read_string(cursor, &field)?.unwrap_or_default();
            } else if is_item(&field, "Value") {
                value = read_string(cursor, &field)?.unwrap_or_default();
            } else {
                cursor.skip()?;
            }
        }
        pairs.push((key, value));
    }
    Ok(pairs)
}

/// An `ArrayOfint`. Items are `int` in the Arrays namespace as the WSDL says, or in
/// the Services86 namespace or none, as hand-written clients send them. Anything else
/// inside the array is refused rather than skipped: a dropped id would turn into a
/// delete that silently did less than asked.
fn read_int_array(cursor: &mut Cursor<'_>, element: &Element) -> Result<Vec<i32>, ReadError> {
    let mut ids = Vec::new();
    if element.nil {
        cursor.skip()?;
        return Ok(ids);
    }
    let limit = cursor.limits().max_array_items;
    while let Some(item) = cursor.next_child(&element.local)? {
        let is_int =
            matches!(item.ns, Ns::Arrays | Ns::Tns | Ns::Unqualified) && item.local == "int";
        if !is_int {
            return Err(ReadError::UnexpectedElement {
                element: element.local.clone(),
                child: item.local,
            });
        }
        if ids.len() == limit {
            return Err(ReadError::TooManyItems {
                element: element.local.clone(),
                limit,
            });
        }
        // Errors name the array too: "BatchTaskIds/int" says more than "int".
        let item_path = format!("{}/int", element.local);
        let item = Element {
            local: item_path.clone(),
            ..item
        };
        match read_int(cursor, &item)? {
            Some(id) => ids.push(id),
            None => {
                return Err(ReadError::InvalidValue {
                    element: item_path,
                    value: "xsi:nil".into(),
                    expected: "an xs:int",
                });
            }
        }
    }
    Ok(ids)
}

/// A string, `None` when it is `xsi:nil`.
fn read_string(cursor: &mut Cursor<'_>, element: &Element) -> Result<Option<String>, ReadError> {
    if element.nil {
        cursor.skip()?;
        return Ok(None);
    }
    cursor.text(element).map(Some)
}

/// The trimmed text of a simple-typed element, `None` when it is `xsi:nil`.
fn read_simple(cursor: &mut Cursor<'_>, element: &Element) -> Result<Option<String>, ReadError> {
    Ok(read_string(cursor, element)?.map(|text| text.trim().to_owned()))
}

fn invalid(element: &Element, value: &str, expected: &'static str) -> ReadError {
    ReadError::InvalidValue {
        element: element.local.clone(),
        value: quote(value),
        expected,
    }
}

fn read_int(cursor: &mut Cursor<'_>, element: &Element) -> Result<Option<i32>, ReadError> {
    read_simple(cursor, element)?
        .map(|text| {
            text.parse::<i32>()
                .map_err(|_| invalid(element, &text, "an xs:int (-2147483648 to 2147483647)"))
        })
        .transpose()
}

fn read_short(cursor: &mut Cursor<'_>, element: &Element) -> Result<Option<i16>, ReadError> {
    read_simple(cursor, element)?
        .map(|text| {
            text.parse::<i16>()
                .map_err(|_| invalid(element, &text, "an xs:short (-32768 to 32767)"))
        })
        .transpose()
}

fn read_bool(cursor: &mut Cursor<'_>, element: &Element) -> Result<Option<bool>, ReadError> {
    read_simple(cursor, element)?
        .map(|text| match text.as_str() {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(invalid(element, &text, "an xs:boolean")),
        })
        .transpose()
}

fn read_state(
    cursor: &mut Cursor<'_>,
    element: &Element,
) -> Result<Option<BatchTaskState>, ReadError> {
    read_simple(cursor, element)?
        .map(|text| {
            BatchTaskState::from_wire(&text).ok_or_else(|| {
                invalid(
                    element,
                    &text,
                    "a BatchTaskState (Unknown, New, Aquired, Started, Succeeded, Failed, All)",
                )
            })
        })
        .transpose()
}
