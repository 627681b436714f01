//! `NameRules`: the person-name finder's rules compiled (`rules.rs`, `cues.rs`), one
//! call a text, for `stream_processors.route.pii_names.name_findings`. Python keeps the word
//! lists (given once), the tagger, and the reference: whatever this declines, Python finds.
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

mod cues;
mod lexicon;
mod rules;

use lexicon::Lexicon;
use rules::{surname_runs, Findings, Kind, Scan};

/// The rules, built from `pii_name_rules.rule_words()`.
#[pyclass(module = "govbus_native", frozen)]
pub struct NameRules {
    lexicon: Lexicon,
    title: Py<PyString>,
    full: Py<PyString>,
    cued: Py<PyString>,
}

/// `text` with the decided spans overwritten by NULs, as `pii_names._blank` does: in order,
/// each span that starts at or after the last one's end. None where `_blank` would not keep
/// the offsets (a span that ends before it starts), or a span is not (int, int, str).
fn blanked(chars: &[char], decided: &Bound<'_, PyAny>) -> Option<Vec<char>> {
    let mut spans = Vec::new();
    for span in decided.iter().ok()? {
        let (start, end, _kind): (isize, isize, Bound<'_, PyString>) = span.ok()?.extract().ok()?;
        spans.push((start, end));
    }
    spans.sort_unstable();
    let mut out = chars.to_vec();
    let mut cursor = 0;
    for (start, end) in spans {
        if start < cursor {
            continue;
        }
        if end < start {
            return None;
        }
        let blank_end = (end as usize).min(out.len());
        out.iter_mut().take(blank_end).skip(start as usize).for_each(|ch| *ch = '\0');
        cursor = end;
    }
    Some(out)
}

impl NameRules {
    fn kind(&self, kind: Kind) -> &Py<PyString> {
        match kind {
            Kind::Title => &self.title,
            Kind::Full => &self.full,
        }
    }

    fn lists<'py>(&self, py: Python<'py>, runs: &[(usize, usize)], found: Findings) -> Bound<'py, PyTuple> {
        let list = |items: Vec<PyObject>| PyList::new_bound(py, items);
        let ruled = found.ruled.iter().map(|&(start, end, kind)| (start, end, self.kind(kind).clone_ref(py)));
        let named = found.named.iter().map(|&(start, end)| (start, end, self.cued.clone_ref(py)));
        PyTuple::new_bound(py, [
            list(runs.iter().map(|&span| span.into_py(py)).collect()),
            list(ruled.map(|span| span.into_py(py)).collect()),
            list(found.cued.iter().map(|&span| span.into_py(py)).collect()),
            list(named.map(|span| span.into_py(py)).collect()),
        ])
    }
}

#[pymethods]
impl NameRules {
    #[new]
    fn new(py: Python<'_>, words: &Bound<'_, PyDict>) -> PyResult<Self> {
        Ok(NameRules {
            lexicon: Lexicon::new(words)?,
            title: PyString::intern_bound(py, "name_title").unbind(),
            full: PyString::intern_bound(py, "name_full").unbind(),
            cued: PyString::intern_bound(py, "name_cued").unbind(),
        })
    }

    /// `(runs, ruled, cued, named)` for a folded text: the Han runs to tag (in the text with
    /// the `decided` spans blanked), the titled, full and familiar names as (start, end, kind),
    /// the cue matches as (start, the rule's end, the surname's end), and the names at a
    /// line's start or after 我 as (start, end, "name_cued"). None for a text that is not
    /// UTF-8 (a lone surrogate) or spans `_blank` would shift: Python's path takes those.
    fn scan<'py>(&self, text: &Bound<'py, PyString>, decided: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let py = text.py();
        let Ok(text) = text.to_str() else { return Ok(None) };
        let chars: Vec<char> = text.chars().collect();
        let Some(blank) = blanked(&chars, decided) else { return Ok(None) };
        let runs = surname_runs(&self.lexicon, &blank);
        let found = Scan::new(&self.lexicon, &chars).findings(py)?;
        Ok(Some(self.lists(py, &runs, found)))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NameRules>()
}
