//! `govbus_native.sign_deliveries`: the batched signing of `govbus/core/signing.py`, compiled.
//!
//! The same bytes as the Python reference (`signing.sign_deliveries_python`): one Merkle tree
//! (SHA-256; leaves, nodes and padding hashed after the prefixes 0, 1 and 2) a topic, in the
//! order topics first appear; each delivery's leaf is its `signed_bytes`. The Ed25519 signature
//! stays in Python (`sign`, called once a tree with the batch domain + root): the key never
//! crosses into this module. The domain tags and header names are passed in, so that
//! `signing.py` stays their one definition.
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

type Hash = [u8; 32];

fn part(hasher: &mut Sha256, data: &[u8]) {
    hasher.update((data.len() as u32).to_be_bytes());
    hasher.update(data);
}

fn node(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([1u8]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// Every level of the tree over `leaves` (padded to a power of two), leaves first, root last.
fn levels(leaves: Vec<Hash>) -> Vec<Vec<Hash>> {
    let size = leaves.len().next_power_of_two();
    let empty: Hash = Sha256::digest([2u8]).into();
    let mut level = leaves;
    level.resize(size, empty);
    let mut all = vec![level];
    while all.last().map_or(0, Vec::len) > 1 {
        let below = all.last().expect("a level");
        all.push(below.chunks(2).map(|pair| node(&pair[0], &pair[1])).collect());
    }
    all
}

/// The sibling hashes of leaf `index`, leaf level first (none for a tree of one).
fn proof(all: &[Vec<Hash>], index: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 * (all.len() - 1));
    for (depth, level) in all[..all.len() - 1].iter().enumerate() {
        out.extend_from_slice(&level[(index >> depth) ^ 1]);
    }
    out
}

/// One delivery's parts as `signed_bytes` reads them: a null key or value signs as empty.
struct Parts<'py> {
    topic: Bound<'py, PyString>,
    key: Option<Bound<'py, PyBytes>>,
    value: Option<Bound<'py, PyBytes>>,
    agreement: (Bound<'py, PyString>, Bound<'py, PyString>),
}

fn parts<'py>(item: &Bound<'py, PyAny>) -> PyResult<Parts<'py>> {
    let item = item.downcast::<PyTuple>()?;
    if item.len() != 5 {
        return Err(PyValueError::new_err("a delivery is (topic, key, value, agreement id, version)"));
    }
    let bytes = |n: usize| -> PyResult<Option<Bound<'py, PyBytes>>> {
        let obj = item.get_item(n)?;
        Ok(if obj.is_none() { None } else { Some(obj.downcast_into::<PyBytes>()?) })
    };
    // str(version): the reference's ``str(agreement_version)`` (an int or a str).
    let agreement = (item.get_item(3)?.downcast_into::<PyString>()?, item.get_item(4)?.str()?);
    Ok(Parts { topic: item.get_item(0)?.downcast_into::<PyString>()?, key: bytes(1)?, value: bytes(2)?, agreement })
}

fn leaf(domain: &[u8], parts: &Parts<'_>, version: &str) -> PyResult<Hash> {
    let mut hasher = Sha256::new();
    hasher.update([0u8]);
    hasher.update(domain);
    part(&mut hasher, parts.topic.to_str()?.as_bytes());
    part(&mut hasher, parts.key.as_ref().map_or(&[][..], |k| k.as_bytes()));
    part(&mut hasher, parts.value.as_ref().map_or(&[][..], |v| v.as_bytes()));
    part(&mut hasher, parts.agreement.0.to_str()?.as_bytes());
    part(&mut hasher, version.as_bytes());
    Ok(hasher.finalize().into())
}

/// The header names, in the order of a delivery's headers: signature, key id, agreement id,
/// agreement version, leaf index, proof.
type Names<'py> = [Bound<'py, PyString>; 6];

fn header<'py>(py: Python<'py>, name: &Bound<'py, PyString>, value: &[u8]) -> Bound<'py, PyTuple> {
    PyTuple::new_bound(py, [name.as_any(), PyBytes::new_bound(py, value).as_any()])
}

/// The signature headers of each of `items`, in order (see the module's comment).
#[pyfunction]
fn sign_deliveries<'py>(py: Python<'py>, items: &Bound<'py, PyAny>, sign: &Bound<'py, PyAny>, key_id: &[u8],
                        domain: &[u8], batch_domain: &[u8], names: Names<'py>) -> PyResult<Bound<'py, PyList>> {
    let items: Vec<Parts<'py>> = items.iter()?.map(|item| parts(&item?)).collect::<PyResult<_>>()?;
    let mut by_topic: HashMap<String, Vec<usize>> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut leaves = Vec::with_capacity(items.len());
    for (n, item) in items.iter().enumerate() {
        let topic = item.topic.to_str()?;
        leaves.push(leaf(domain, item, item.agreement.1.to_str()?)?);
        if let Some(positions) = by_topic.get_mut(topic) {
            positions.push(n);
        } else {
            order.push(topic.to_owned());
            by_topic.insert(topic.to_owned(), vec![n]);
        }
    }
    let kid = header(py, &names[1], key_id);
    let mut headers: Vec<Option<Bound<'py, PyList>>> = vec![None; items.len()];
    let mut agreement_headers: HashMap<(String, String), [Bound<'py, PyTuple>; 2]> = HashMap::new();
    for topic in order {
        let positions = &by_topic[&topic];
        let all = levels(positions.iter().map(|&n| leaves[n]).collect());
        let root = [batch_domain, &all[all.len() - 1][0]].concat();
        let signature = sign.call1((PyBytes::new_bound(py, &root),))?;
        let signature = PyTuple::new_bound(py, [names[0].as_any(), &signature]);
        for (index, &n) in positions.iter().enumerate() {
            let (aid, version) = (items[n].agreement.0.to_str()?, items[n].agreement.1.to_str()?);
            let pair = agreement_headers.entry((aid.to_owned(), version.to_owned())).or_insert_with(|| {
                [header(py, &names[2], aid.as_bytes()), header(py, &names[3], version.as_bytes())]
            });
            let leaf_header = header(py, &names[4], index.to_string().as_bytes());
            let proof_header = header(py, &names[5], &proof(&all, index));
            headers[n] = Some(PyList::new_bound(py, [&signature, &kid, &pair[0], &pair[1], &leaf_header, &proof_header]));
        }
    }
    Ok(PyList::new_bound(py, headers.into_iter().map(|h| h.expect("every item is on a topic"))))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sign_deliveries, m)?)
}
