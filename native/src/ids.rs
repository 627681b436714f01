//! Name-based UUIDs (RFC 4122 version 5: SHA-1 of namespace + name) in their text form, as
//! Python's `str(uuid.uuid5(namespace, name))` writes them: the event ids of the import path
//! (`encoder.rs`) and `govbus_native.uuid5`, the processor's audit ids
//! (`stream_processors/route/logic.py:audit_id`).
use pyo3::prelude::*;
use sha1::{Digest, Sha1};

const HEX: &[u8; 16] = b"0123456789abcdef";

pub fn hex_into(out: &mut Vec<u8>, bytes: &[u8]) {
    for b in bytes {
        out.push(HEX[(b >> 4) as usize]);
        out.push(HEX[(b & 15) as usize]);
    }
}

/// The text of the UUID of a SHA-1 `hasher` fed with the namespace's 16 bytes and the name.
pub fn uuid5_text_into(out: &mut Vec<u8>, hasher: Sha1) {
    let mut d: [u8; 16] = hasher.finalize()[..16].try_into().expect("sha1 is 20 bytes");
    d[6] = (d[6] & 0x0F) | 0x50; // version 5
    d[8] = (d[8] & 0x3F) | 0x80; // the RFC 4122 variant
    for (i, group) in [&d[0..4], &d[4..6], &d[6..8], &d[8..10], &d[10..16]].iter().enumerate() {
        if i > 0 {
            out.push(b'-');
        }
        hex_into(out, group);
    }
}

/// `str(uuid.uuid5(UUID(bytes=namespace), name))`.
#[pyfunction]
fn uuid5(namespace: &[u8], name: &str) -> String {
    let mut hasher = Sha1::new();
    hasher.update(namespace);
    hasher.update(name.as_bytes());
    let mut out = Vec::with_capacity(36);
    uuid5_text_into(&mut out, hasher);
    String::from_utf8(out).expect("hex digits and dashes")
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(uuid5, m)?)
}
