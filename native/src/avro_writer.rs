//! Python values → Avro record bodies, exactly as `govbus/core/avro_writer.py`'s compiled
//! writers write them — or `Declined`, handing the record to fastavro (the reference).
//!
//! Contract (the Python module's, type check for type check): only the plainest value of each
//! type is written (an exact `str`, an exact `int` inside the type's range, `True`/`False`, an
//! exact `float`, an aware `datetime` or an `int` for timestamp-millis, an exact `date`, a
//! `uuid.UUID` as its text, exact `list`/`dict`); anything else declines. Python compiles the
//! plan (`avro_writer._plan`) from the schema, so both writers resolve names the same way.
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyList, PyLong, PyString, PyType};
use std::collections::HashMap;

/// How one value is written.
pub enum Node {
    Str,
    /// A `uuid.UUID` is written as `str(value)`; anything else as a string.
    Uuid,
    Boolean,
    Null,
    /// int or long: an exact `int` inside [low, high).
    Integer { low: i128, high: i128 },
    /// float (`single`, narrowed as `struct.pack("<f")` does) or double.
    Floating { single: bool },
    TimestampMillis,
    Date,
    Enum(HashMap<String, Vec<u8>>),
    /// ["null", X] or [X, "null"].
    Nullable { null: u8, value: u8, inner: Box<Node> },
    Array(Box<Node>),
    Map(Box<Node>),
    Record(Vec<(Py<PyString>, Node)>),
}

/// Why a value was not written: declined (the reference writes it), or Python's own error
/// (a lone surrogate in a string, as `str.encode` raises it).
pub enum Refusal {
    Declined,
    Raised(PyErr),
}

impl From<PyErr> for Refusal {
    fn from(err: PyErr) -> Self {
        Refusal::Raised(err)
    }
}

pub type Written = Result<(), Refusal>;

/// The Python types the writer compares values' types with, and the epoch to subtract.
pub struct Types {
    pub datetime: Py<PyType>,
    pub date: Py<PyType>,
    pub uuid: Py<PyType>,
    pub epoch: PyObject,
}

impl Types {
    pub fn load(py: Python<'_>) -> PyResult<Self> {
        let datetime = py.import_bound("datetime")?;
        let epoch = datetime.getattr("datetime")?.call1((1970, 1, 1, 0, 0, 0, 0,
                                                         datetime.getattr("timezone")?.getattr("utc")?))?;
        Ok(Types {
            datetime: datetime.getattr("datetime")?.downcast_into::<PyType>()?.unbind(),
            date: datetime.getattr("date")?.downcast_into::<PyType>()?.unbind(),
            uuid: py.import_bound("uuid")?.getattr("UUID")?.downcast_into::<PyType>()?.unbind(),
            epoch: epoch.unbind(),
        })
    }
}

/// Avro's zig-zag varint of a long.
pub fn varint(n: i64, out: &mut Vec<u8>) {
    let mut z = ((n << 1) ^ (n >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8 & 0x7F) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

fn string(text: &str, out: &mut Vec<u8>) {
    varint(text.len() as i64, out);
    out.extend_from_slice(text.as_bytes());
}

/// An exact `str`, written; a lone surrogate raises UnicodeEncodeError, as `str.encode` does.
fn exact_string(v: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> Written {
    let text = v.downcast_exact::<PyString>().map_err(|_| Refusal::Declined)?;
    string(text.to_str()?, out);
    Ok(())
}

/// `str(v)` of an exact `uuid.UUID`: its 128-bit `int` as 32 hex digits in groups 8-4-4-4-12
/// (`UUID.__str__`), written without Python's formatting; `str(v)` itself if `int` is odd.
fn uuid_text(v: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> Written {
    // No `let ... else`: Debian's rustc 1.63 (.ci/run's fallback) builds this crate too.
    let n: u128 = match v.getattr(intern!(v.py(), "int"))?.extract() {
        Ok(n) => n,
        Err(_) => return exact_string(v.str()?.as_any(), out),
    };
    let hex = format!("{n:032x}");
    let text = format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..]);
    string(&text, out);
    Ok(())
}

fn exact_int(v: &Bound<'_, PyAny>, low: i128, high: i128) -> Result<i64, Refusal> {
    if !v.is_exact_instance_of::<PyLong>() {
        return Err(Refusal::Declined);
    }
    let n: i64 = v.extract().map_err(|_| Refusal::Declined)?; // outside i64: outside every range
    if (low..high).contains(&(n as i128)) { Ok(n) } else { Err(Refusal::Declined) }
}

fn floating(v: &Bound<'_, PyAny>, single: bool, out: &mut Vec<u8>) -> Written {
    let x = v.downcast_exact::<PyFloat>().map_err(|_| Refusal::Declined)?.value();
    if !single {
        out.extend_from_slice(&x.to_le_bytes());
        return Ok(());
    }
    let y = x as f32; // round to nearest, as C's cast in PyFloat_Pack4
    if y.is_infinite() && !x.is_infinite() {
        return Err(Refusal::Declined); // struct.pack("<f") refuses it: the reference decides
    }
    out.extend_from_slice(&y.to_le_bytes());
    Ok(())
}

impl Node {
    pub fn write(&self, v: &Bound<'_, PyAny>, types: &Types, out: &mut Vec<u8>) -> Written {
        match self {
            Node::Str => exact_string(v, out),
            Node::Uuid if v.get_type().is(types.uuid.bind(v.py())) => uuid_text(v, out),
            Node::Uuid => exact_string(v, out),
            Node::Boolean => boolean(v, out),
            Node::Null if v.is_none() => Ok(()),
            Node::Null => Err(Refusal::Declined),
            Node::Integer { low, high } => {
                varint(exact_int(v, *low, *high)?, out);
                Ok(())
            }
            Node::Floating { single } => floating(v, *single, out),
            Node::TimestampMillis => timestamp_millis(v, types, out),
            Node::Date => date(v, types, out),
            Node::Enum(table) => {
                let text = v.downcast_exact::<PyString>().map_err(|_| Refusal::Declined)?;
                // A lone surrogate is no symbol: declined, as Python's `v not in table`.
                let bytes = text.to_str().ok().and_then(|t| table.get(t)).ok_or(Refusal::Declined)?;
                out.extend_from_slice(bytes);
                Ok(())
            }
            Node::Nullable { null, value, inner } => {
                if v.is_none() {
                    out.push(*null);
                    return Ok(());
                }
                out.push(*value);
                inner.write(v, types, out)
            }
            Node::Array(items) => array(v, items, types, out),
            Node::Map(values) => map(v, values, types, out),
            Node::Record(fields) => record(v, fields, types, out),
        }
    }
}

fn boolean(v: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> Written {
    // Exactly `bool`: only True and False are of it.
    let flag = v.downcast_exact::<PyBool>().map_err(|_| Refusal::Declined)?;
    out.push(flag.is_true() as u8);
    Ok(())
}

/// An `int` (a long in range), or an aware `datetime` with fastavro's arithmetic: `v - epoch`,
/// whole seconds to milliseconds, microseconds floored to milliseconds.
fn timestamp_millis(v: &Bound<'_, PyAny>, types: &Types, out: &mut Vec<u8>) -> Written {
    let py = v.py();
    if v.is_exact_instance_of::<PyLong>() {
        varint(exact_int(v, i64::MIN as i128, i64::MAX as i128 + 1)?, out);
        return Ok(());
    }
    if !v.get_type().is(types.datetime.bind(py)) || v.getattr(intern!(py, "tzinfo"))?.is_none() {
        return Err(Refusal::Declined);
    }
    let delta = v.sub(types.epoch.bind(py))?; // TypeError where utcoffset() is None, as in Python
    let days: i64 = delta.getattr(intern!(py, "days"))?.extract()?;
    let seconds: i64 = delta.getattr(intern!(py, "seconds"))?.extract()?;
    let micros: i64 = delta.getattr(intern!(py, "microseconds"))?.extract()?;
    varint((days * 86400 + seconds) * 1000 + micros.div_euclid(1000), out);
    Ok(())
}

fn date(v: &Bound<'_, PyAny>, types: &Types, out: &mut Vec<u8>) -> Written {
    let py = v.py();
    if !v.get_type().is(types.date.bind(py)) {
        return Err(Refusal::Declined);
    }
    let ordinal: i64 = v.call_method0(intern!(py, "toordinal"))?.extract()?;
    varint(ordinal - 719_163, out); // date(1970, 1, 1).toordinal()
    Ok(())
}

fn array(v: &Bound<'_, PyAny>, items: &Node, types: &Types, out: &mut Vec<u8>) -> Written {
    let list = v.downcast_exact::<PyList>().map_err(|_| Refusal::Declined)?;
    if !list.is_empty() {
        varint(list.len() as i64, out);
        for item in list.iter() {
            items.write(&item, types, out)?;
        }
    }
    out.push(0);
    Ok(())
}

fn map(v: &Bound<'_, PyAny>, values: &Node, types: &Types, out: &mut Vec<u8>) -> Written {
    let dict = v.downcast_exact::<PyDict>().map_err(|_| Refusal::Declined)?;
    if !dict.is_empty() {
        varint(dict.len() as i64, out);
        for (key, value) in dict.iter() {
            exact_string(&key, out)?;
            values.write(&value, types, out)?;
        }
    }
    out.push(0);
    Ok(())
}

fn record(v: &Bound<'_, PyAny>, fields: &[(Py<PyString>, Node)], types: &Types, out: &mut Vec<u8>) -> Written {
    let dict = v.downcast_exact::<PyDict>().map_err(|_| Refusal::Declined)?;
    for (name, node) in fields {
        // A missing field: fastavro writes its default, or refuses.
        let value = dict.get_item(name.bind(v.py()))?.ok_or(Refusal::Declined)?;
        node.write(&value, types, out)?;
    }
    Ok(())
}
