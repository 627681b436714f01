//! govbus's compiled import path: a department's CSV (UTF-8 or GB18030) read and written as
//! the raw topic's framed Avro bytes, exactly as the Python paths in `producers/files` do.
//! Python stays the judge: every row this module is not sure of is handed back as cells.
//! Also the processor's Avro writers (`AvroWriter`, `AvroTemplate`): record bodies written as
//! `govbus/core/avro_writer.py`'s compiled writers write them, or declined; and its reader
//! (`AvroReader`): a raw record's body read into fastavro's objects, or declined.
//! And the free-text detector's folding of full-width characters (`fold`, textfold.rs) and its
//! address finder (`AddressFinder`, address.rs), masks (`SpanMasker`, textmask.rs) and the test
//! that spares its identifier finders most texts (`may_hold_identifier`, texthint.rs); its
//! person-name finder's rules (`NameRules`, names/: cue words, titles, dotted names), and its
//! IDs, mobiles, bank cards and landlines written as digit groups (`NumberFinder`, numbers.rs),
//! plates, passports and e-mail addresses (`FormatFinder`, formats.rs).
//! The processor's checks of canonical resident IDs (`resident_id_valid`, resident_id.rs) and its
//! pseudonyms' HMAC (`KeyedSha256`, keyed_hash.rs).
use pyo3::prelude::*;

mod address;
mod address_parts;
mod csv_api;
mod csvparse;
mod encoder;
mod formats;
mod gb18030;
mod ids;
mod import_api;
mod keyed_hash;
mod names;
mod numbers;
mod resident_id;
mod textfold;
mod texthint;
mod textmask;
mod textsource;
mod timetext;

// The processor's Avro reader and writers.
mod avro_reader;
mod avro_writer;
mod merkle;
mod writer_api;

#[pymodule]
fn govbus_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    address::register(m)?;
    avro_reader::register(m)?;
    csv_api::register(m)?;
    formats::register(m)?;
    ids::register(m)?;
    import_api::register(m)?;
    keyed_hash::register(m)?;
    merkle::register(m)?;
    names::register(m)?;
    numbers::register(m)?;
    resident_id::register(m)?;
    textfold::register(m)?;
    texthint::register(m)?;
    textmask::register(m)?;
    writer_api::register(m)?;
    Ok(())
}
