//! govbus's compiled import path: a department's CSV (UTF-8 or GB18030) read and written as
//! the raw topic's framed Avro bytes, exactly as the Python paths in `producers/files` do.
//! Python stays the judge: every row this module is not sure of is handed back as cells.
use pyo3::prelude::*;

mod csv_api;
mod csvparse;
mod encoder;
mod gb18030;
mod import_api;
mod textsource;
mod timetext;

#[pymodule]
fn govbus_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    csv_api::register(m)?;
    import_api::register(m)?;
    Ok(())
}
