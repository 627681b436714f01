//! `govbus_native.AvroWriter` and `AvroTemplate`: callables writing a record body (bytes) from
//! a plan compiled in Python (`govbus/core/avro_writer.py`), raising the `decline` exception
//! class they were given where the value is not the plainest form of its type.
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple, PyType};
use std::collections::HashMap;

use crate::avro_writer::{varint, Node, Refusal, Types};

fn node(plan: &Bound<'_, PyAny>) -> PyResult<Node> {
    let plan = plan.downcast::<PyTuple>()?;
    let tag: String = plan.get_item(0)?.extract()?;
    let arg = |n: usize| plan.get_item(n);
    Ok(match tag.as_str() {
        "string" => Node::Str,
        "uuid" => Node::Uuid,
        "boolean" => Node::Boolean,
        "null" => Node::Null,
        "integer" => Node::Integer { low: arg(1)?.extract()?, high: arg(2)?.extract()? },
        "float" => Node::Floating { single: true },
        "double" => Node::Floating { single: false },
        "timestamp-millis" => Node::TimestampMillis,
        "date" => Node::Date,
        "enum" => {
            let symbols: Vec<String> = arg(1)?.extract()?;
            let mut table = HashMap::new();
            for (n, symbol) in symbols.into_iter().enumerate() {
                let mut bytes = Vec::new();
                varint(n as i64, &mut bytes);
                table.insert(symbol, bytes); // a repeated symbol: the last index, as Python's dict
            }
            Node::Enum(table)
        }
        "nullable" => {
            let null: u8 = arg(1)?.extract()?;
            if null > 1 {
                return Err(PyValueError::new_err("nullable: the null branch is 0 or 1"));
            }
            // varint(0) is 0x00, varint(1) is 0x02.
            Node::Nullable { null: null * 2, value: (1 - null) * 2, inner: Box::new(node(&arg(2)?)?) }
        }
        "array" => Node::Array(Box::new(node(&arg(1)?)?)),
        "map" => Node::Map(Box::new(node(&arg(1)?)?)),
        "record" => Node::Record(fields(&arg(1)?)?),
        other => return Err(PyValueError::new_err(format!("unknown plan node {other}"))),
    })
}

fn fields(plan: &Bound<'_, PyAny>) -> PyResult<Vec<(Py<PyString>, Node)>> {
    plan.iter()?
        .map(|field| {
            let (name, inner): (Bound<'_, PyString>, Bound<'_, PyAny>) = field?.extract()?;
            Ok((PyString::intern_bound(plan.py(), name.to_str()?).unbind(), node(&inner)?))
        })
        .collect()
}

fn refused(decline: &Py<PyType>, py: Python<'_>, refusal: Refusal) -> PyErr {
    match refusal {
        Refusal::Declined => PyErr::from_type_bound(decline.bind(py).clone(), ()),
        Refusal::Raised(err) => err,
    }
}

/// The body writer of one record schema: `writer(record) -> bytes`.
#[pyclass(module = "govbus_native", frozen)]
pub struct AvroWriter {
    root: Node,
    types: Types,
    decline: Py<PyType>,
}

#[pymethods]
impl AvroWriter {
    #[new]
    fn new(plan: &Bound<'_, PyAny>, decline: Bound<'_, PyType>) -> PyResult<Self> {
        Ok(AvroWriter { root: node(plan)?, types: Types::load(plan.py())?, decline: decline.unbind() })
    }

    fn __call__<'py>(&self, record: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
        let py = record.py();
        let mut out = Vec::with_capacity(512);
        self.root.write(record, &self.types, &mut out).map_err(|r| refused(&self.decline, py, r))?;
        Ok(PyBytes::new_bound(py, &out))
    }
}

enum Segment {
    Constant(Vec<u8>),
    Varying(Py<PyString>, Node),
}

/// A record whose constant fields were written once (`segments`: bytes, or (name, plan) for a
/// varying field): `template(varying) -> bytes`, a missing varying field declining.
#[pyclass(module = "govbus_native", frozen)]
pub struct AvroTemplate {
    segments: Vec<Segment>,
    types: Types,
    decline: Py<PyType>,
}

#[pymethods]
impl AvroTemplate {
    #[new]
    fn new(segments: &Bound<'_, PyAny>, decline: Bound<'_, PyType>) -> PyResult<Self> {
        let py = segments.py();
        let segments = segments.iter()?
            .map(|segment| {
                let segment = segment?;
                if let Ok(bytes) = segment.downcast::<PyBytes>() {
                    return Ok(Segment::Constant(bytes.as_bytes().to_vec()));
                }
                let (name, inner): (Bound<'_, PyString>, Bound<'_, PyAny>) = segment.extract()?;
                Ok(Segment::Varying(PyString::intern_bound(py, name.to_str()?).unbind(), node(&inner)?))
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok(AvroTemplate { segments, types: Types::load(py)?, decline: decline.unbind() })
    }

    fn __call__<'py>(&self, varying: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
        let py = varying.py();
        let exact = varying.downcast_exact::<PyDict>().ok();
        let mut out = Vec::with_capacity(512);
        for segment in &self.segments {
            match segment {
                Segment::Constant(bytes) => out.extend_from_slice(bytes),
                Segment::Varying(name, node) => {
                    let value = field(varying, exact, name.bind(py))?
                        .ok_or_else(|| refused(&self.decline, py, Refusal::Declined))?;
                    node.write(&value, &self.types, &mut out).map_err(|r| refused(&self.decline, py, r))?;
                }
            }
        }
        Ok(PyBytes::new_bound(py, &out))
    }
}

/// `varying[name]` where `name in varying` (Python's `_fill`), a dict's item straight away.
fn field<'py>(varying: &Bound<'py, PyAny>, exact: Option<&Bound<'py, PyDict>>,
              name: &Bound<'py, PyString>) -> PyResult<Option<Bound<'py, PyAny>>> {
    if let Some(dict) = exact {
        return dict.get_item(name);
    }
    if !varying.contains(name)? {
        return Ok(None);
    }
    varying.get_item(name).map(Some)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<AvroWriter>()?;
    m.add_class::<AvroTemplate>()?;
    Ok(())
}
