//! `govbus_native.CsvImport`: a CSV file read in batches of (key, framed value) pairs, with the
//! rows the compiled path declines handed back as cells for Python to judge.
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};
use std::collections::HashMap;
use std::path::Path;

use crate::encoder::{BatchBytes, FieldPlan, Kind, RowPlan};
use crate::csv_api::codec_for;
use crate::textsource::{CsvSource, Record, SourceError};

create_exception!(govbus_native, DecodeError, PyException, "args: (line, reason)");
create_exception!(govbus_native, FieldLimitError, PyException, "args: (line,)");
create_exception!(govbus_native, LineCapError, PyException, "args: (line,)");

fn raise(err: SourceError) -> PyErr {
    match err {
        SourceError::Io(e) => PyErr::from(e),
        SourceError::Decode { line, reason } => DecodeError::new_err((line, reason)),
        SourceError::FieldLimit { line } => FieldLimitError::new_err((line,)),
        SourceError::LineCap { line } => LineCapError::new_err((line,)),
    }
}

#[pyclass(module = "govbus_native")]
pub struct CsvImport {
    source: CsvSource,
    record: Record,
    pending: Option<SourceError>,
    plan: Option<RowPlan>,
    headers: Vec<String>,
    last_line: u64,
    body: Vec<u8>,
    value: Vec<u8>,
}

/// One batch's lists: pairs (None where declined), declined and cross-check rows.
struct Batch<'py> {
    pairs: Bound<'py, PyList>,
    declined: Bound<'py, PyList>,
    checks: Bound<'py, PyList>,
}

impl<'py> Batch<'py> {
    fn row(py: Python<'py>, pos: usize, record: &Record) -> PyResult<Bound<'py, PyTuple>> {
        Ok(PyTuple::new_bound(py, [pos.into_py(py), record.line().into_py(py),
                                   record.to_vec().into_py(py)]))
    }
}

#[pymethods]
impl CsvImport {
    /// Opens the file and reads its header record (DecodeError / FieldLimitError / LineCapError
    /// as for rows). Lines longer than `max_line` bytes are declined with LineCapError.
    #[new]
    #[pyo3(signature = (path, encoding, gb_two=None, gb_four=None, max_line=usize::MAX))]
    fn new(path: &str, encoding: &str, gb_two: Option<&[u8]>, gb_four: Option<&[u8]>,
           max_line: usize) -> PyResult<Self> {
        let codec = codec_for(encoding, gb_two, gb_four)?;
        let mut source = CsvSource::open(Path::new(path), codec, max_line).map_err(raise)?;
        let mut record = Record::new();
        let headers = if source.next_record(&mut record).map_err(raise)? {
            record.to_vec()
        } else {
            Vec::new()
        };
        let last_line = record.line();
        Ok(CsvImport { source, record, pending: None, plan: None, headers, last_line,
                       body: Vec::with_capacity(1024), value: Vec::with_capacity(1024) })
    }

    #[getter]
    fn headers(&self) -> Vec<String> {
        self.headers.clone()
    }

    /// Python's `reader.line_num` after the last record handed over (blank lines included):
    /// a reader that takes over goes on from the line after it.
    #[getter]
    fn last_line(&self) -> u64 {
        self.last_line
    }

    /// Compile rows to bytes from now on (see `producers/files/native.py` for the plan's parts).
    fn set_plan(&mut self, plan: &Bound<'_, PyDict>) -> PyResult<()> {
        self.plan = Some(row_plan(plan)?);
        Ok(())
    }

    /// Hand every row back as cells from now on (the compiled path was found to differ).
    fn clear_plan(&mut self) {
        self.plan = None;
    }

    /// Up to `n` non-blank records: (pairs, declined, checks), or None at the end of the file.
    /// A read error after some rows returns those rows first and is raised on the next call.
    fn next_batch<'py>(&mut self, py: Python<'py>, n: usize, lineage: &[u8], now: &[u8],
                       check: usize) -> PyResult<Option<Bound<'py, PyTuple>>> {
        if let Some(err) = self.pending.take() {
            return Err(raise(err));
        }
        let batch = Batch { pairs: PyList::empty_bound(py), declined: PyList::empty_bound(py),
                            checks: PyList::empty_bound(py) };
        let times = BatchBytes { lineage, now };
        let mut pos = 0;
        while pos < n {
            match self.source.next_record(&mut self.record) {
                Ok(true) if self.record.is_empty() => {
                    self.last_line = self.record.line();
                    continue; // a blank line is not a row
                }
                Ok(true) => self.last_line = self.record.line(),
                Ok(false) => break,
                Err(err) if pos == 0 => return Err(raise(err)),
                Err(err) => {
                    self.pending = Some(err);
                    break;
                }
            }
            self.take_row(py, &batch, pos, pos < check, &times)?;
            pos += 1;
        }
        if pos == 0 {
            return Ok(None);
        }
        Ok(Some(PyTuple::new_bound(py, [batch.pairs.into_any(), batch.declined.into_any(),
                                        batch.checks.into_any()])))
    }
}

impl CsvImport {
    fn take_row(&mut self, py: Python<'_>, batch: &Batch<'_>, pos: usize, checked: bool,
                times: &BatchBytes) -> PyResult<()> {
        let record = &self.record;
        let cells: Vec<&str> = (0..record.len()).map(|i| record.cell(i)).collect();
        let encoded = self.plan.as_ref().and_then(|plan| {
            plan.encode(&cells, times, &mut self.body, &mut self.value)
                .map(|()| plan.key(&cells).as_bytes())
        });
        match encoded {
            Some(key) => batch.pairs.append((PyBytes::new_bound(py, key),
                                             PyBytes::new_bound(py, &self.value)))?,
            None => {
                batch.pairs.append(py.None())?;
                batch.declined.append(Batch::row(py, pos, record)?)?;
            }
        }
        if checked {
            batch.checks.append(Batch::row(py, pos, record)?)?;
        }
        Ok(())
    }
}

fn get<'py, T: FromPyObject<'py>>(plan: &Bound<'py, PyDict>, name: &str) -> PyResult<T> {
    plan.get_item(name)?
        .ok_or_else(|| PyValueError::new_err(format!("plan has no {name}")))?
        .extract()
}

type FieldTuple = (usize, String, PyObject, Vec<u8>, Option<Vec<u8>>, Option<HashMap<String, String>>);

fn kind(py: Python<'_>, name: &str, arg: &PyObject) -> PyResult<Kind> {
    Ok(match name {
        "text" => Kind::Text,
        "table" => Kind::Table(arg.extract(py)?),
        "integer" => {
            let (low, high): (i128, i128) = arg.extract(py)?;
            Kind::Integer { low, high }
        }
        "timestamp-millis" => Kind::TimestampMillis { naive_offset_seconds: arg.extract(py)? },
        "date" => Kind::Date,
        "text-list" => Kind::TextList,
        "float" => Kind::Floating { single: true },
        "double" => Kind::Floating { single: false },
        "decline" => Kind::Decline,
        other => return Err(PyValueError::new_err(format!("unknown field kind {other}"))),
    })
}

fn row_plan(plan: &Bound<'_, PyDict>) -> PyResult<RowPlan> {
    let py = plan.py();
    let fields = get::<Vec<FieldTuple>>(plan, "fields")?
        .into_iter()
        .map(|(source, name, arg, prefix, absent, labels)| {
            Ok(FieldPlan { source, kind: kind(py, &name, &arg)?, prefix, absent, labels })
        })
        .collect::<PyResult<Vec<_>>>()?;
    Ok(RowPlan {
        fields,
        tail: get(plan, "tail")?,
        width: get(plan, "width")?,
        key_at: get(plan, "key_at")?,
        region_at: get(plan, "region_at")?,
        default_region: get(plan, "default_region")?,
        time_at: get(plan, "time_at")?,
        time_nullable: get(plan, "time_nullable")?,
        base_level: get(plan, "base_level")?,
        raisers: get(plan, "raisers")?,
        id_prefix: get(plan, "id_prefix")?,
        frame: get(plan, "frame")?,
        constant: get(plan, "constant")?,
    })
}

/// The time-stamp reader on its own, for tests against Python's `fromisoformat`.
#[pyfunction]
fn timestamp_millis(text: &str, naive_offset_seconds: i64) -> Option<i64> {
    crate::timetext::parse_timestamp_millis(text, naive_offset_seconds)
}

/// The date reader on its own, for tests against Python's `date.fromisoformat`.
#[pyfunction]
fn date_days(text: &str) -> Option<i64> {
    crate::timetext::parse_date_days(text)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CsvImport>()?;
    m.add_function(wrap_pyfunction!(timestamp_millis, m)?)?;
    m.add_function(wrap_pyfunction!(date_days, m)?)?;
    m.add("DecodeError", m.py().get_type_bound::<DecodeError>())?;
    m.add("FieldLimitError", m.py().get_type_bound::<FieldLimitError>())?;
    m.add("LineCapError", m.py().get_type_bound::<LineCapError>())?;
    Ok(())
}
