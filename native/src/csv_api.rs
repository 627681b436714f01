//! `read_csv`: the native CSV reader exposed whole to Python, so tests can hold it against
//! Python's own `csv.reader` on the same file.
use std::path::PathBuf;
use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::gb18030::Gb18030Table;
use crate::textsource::{Codec, CsvSource, Record, SourceError};

/// The Python exception Python's own reading would raise in its place: ValueError naming the
/// line for undecodable bytes, `csv.Error` for an over-long field, OSError for I/O.
pub fn source_error_to_py(py: Python<'_>, err: SourceError, encoding: &str) -> PyErr {
    match err {
        SourceError::Io(e) => e.into(),
        SourceError::Decode { line, reason } => PyValueError::new_err(format!(
            "cannot decode {encoding} on line {line} ({reason})"
        )),
        SourceError::LineCap { .. } => PyValueError::new_err(err.to_string()),
        SourceError::FieldLimit { .. } => {
            let csv_error = py.import_bound("csv").and_then(|m| m.getattr("Error"));
            match csv_error.and_then(|cls| cls.call1((err.to_string(),))) {
                Ok(exc) => PyErr::from_value_bound(exc),
                Err(e) => e,
            }
        }
    }
}

/// The codec for Python's codec name `encoding` ("utf-8-sig" or "gb18030", the latter with
/// the tables of `producers.files.gbtable.gb18030_tables()`).
pub fn codec_for(encoding: &str, two: Option<&[u8]>, four: Option<&[u8]>) -> PyResult<Codec> {
    match (encoding, two, four) {
        ("utf-8-sig", _, _) => Ok(Codec::Utf8Sig),
        ("gb18030", Some(two), Some(four)) => Gb18030Table::from_tables(two, four)
            .map(|t| Codec::Gb18030(Arc::new(t)))
            .map_err(PyValueError::new_err),
        ("gb18030", _, _) => Err(PyValueError::new_err("gb18030 needs gb_two and gb_four")),
        _ => Err(PyValueError::new_err(format!("unsupported encoding {encoding:?}"))),
    }
}

/// Every record of the file (the header and blank lines included) with Python's
/// `reader.line_num` after it. On an error, the exception's `records` attribute holds the
/// records read before it (what Python would have yielded before raising).
#[pyfunction]
#[pyo3(signature = (path, encoding, gb_two=None, gb_four=None))]
fn read_csv(
    py: Python<'_>,
    path: PathBuf,
    encoding: &str,
    gb_two: Option<&Bound<'_, PyBytes>>,
    gb_four: Option<&Bound<'_, PyBytes>>,
) -> PyResult<Vec<(u64, Vec<String>)>> {
    let codec = codec_for(encoding, gb_two.map(|b| b.as_bytes()), gb_four.map(|b| b.as_bytes()))?;
    let mut out = Vec::new();
    let result = py.allow_threads(|| {
        let (mut source, mut rec) = (CsvSource::open(&path, codec, usize::MAX)?, Record::new());
        while source.next_record(&mut rec)? {
            out.push((rec.line(), rec.to_vec()));
        }
        Ok::<_, SourceError>(())
    });
    match result {
        Ok(()) => Ok(out),
        Err(e) => {
            let err = source_error_to_py(py, e, encoding);
            err.value_bound(py).setattr("records", out)?;
            Err(err)
        }
    }
}

/// (records, cells) of the file, parsed and decoded but never turned into Python objects: the
/// reader's own throughput, for benchmarks.
#[pyfunction]
#[pyo3(signature = (path, encoding, gb_two=None, gb_four=None))]
fn _scan_csv(
    py: Python<'_>,
    path: PathBuf,
    encoding: &str,
    gb_two: Option<&Bound<'_, PyBytes>>,
    gb_four: Option<&Bound<'_, PyBytes>>,
) -> PyResult<(u64, u64)> {
    let codec = codec_for(encoding, gb_two.map(|b| b.as_bytes()), gb_four.map(|b| b.as_bytes()))?;
    let counts = py.allow_threads(|| {
        let mut source = CsvSource::open(&path, codec, usize::MAX)?;
        let (mut rec, mut records, mut cells) = (Record::new(), 0, 0);
        while source.next_record(&mut rec)? {
            records += 1;
            cells += rec.len() as u64;
        }
        Ok::<_, SourceError>((records, cells))
    });
    counts.map_err(|e| source_error_to_py(py, e, encoding))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(read_csv, m)?)?;
    m.add_function(wrap_pyfunction!(_scan_csv, m)?)
}
