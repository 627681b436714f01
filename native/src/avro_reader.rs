//! `govbus_native.AvroReader`: an Avro binary body → exactly the Python objects fastavro's
//! `schemaless_reader` returns for the same writer schema (no schema resolution) — or `None`,
//! declining the body.
//!
//! Contract (as for the import path's encoder): this never judges a body. It reads only the
//! plainest encodings (varints of at most ten bytes that fit 64 bits, booleans 0 or 1, union and
//! enum indexes inside the schema, strings that are valid UTF-8, uuids in their canonical
//! 36-character spelling, dates and times inside Python's range, no trailing bytes) and declines
//! everything else, so that fastavro reads — or refuses — every doubtful body with its own
//! values and messages. Python compiles the plan from the schema (`govbus/core/avro_reader.py`)
//! and cross-checks the first records of every run against fastavro.
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

/// How one value of the schema is read.
enum Node {
    Null,
    Boolean,
    /// int and long alike: fastavro reads both as a zig-zag varint into a Python int.
    Long,
    Float,
    Double,
    Bytes,
    Fixed(usize),
    Text,
    /// string with logicalType uuid: `uuid.UUID(text)`.
    Uuid,
    /// long with logicalType timestamp-millis: an aware datetime in `timezone.utc`.
    TimestampMillis,
    /// int with logicalType date: `datetime.date`.
    Date,
    Enum(Vec<Py<PyString>>),
    Array(Box<Node>),
    Map(Box<Node>),
    /// Field names (interned) and their nodes, in the writer schema's order.
    Record(Vec<(Py<PyString>, Node)>),
    Union(Vec<Node>),
}

/// The Python objects the reader builds values with (imported once).
struct Makers {
    datetime: PyObject,
    date: PyObject,
    utc: PyObject,
    object_new: PyObject,
    uuid_class: PyObject,
    uuid_unknown: PyObject,
    int_name: Py<PyString>,
    is_safe_name: Py<PyString>,
}

impl Makers {
    fn import(py: Python<'_>) -> PyResult<Self> {
        let datetime = py.import_bound("datetime")?;
        let uuid = py.import_bound("uuid")?;
        let builtins = py.import_bound("builtins")?;
        Ok(Makers {
            datetime: datetime.getattr("datetime")?.unbind(),
            date: datetime.getattr("date")?.unbind(),
            utc: datetime.getattr("timezone")?.getattr("utc")?.unbind(),
            object_new: builtins.getattr("object")?.getattr("__new__")?.unbind(),
            uuid_class: uuid.getattr("UUID")?.unbind(),
            uuid_unknown: uuid.getattr("SafeUUID")?.getattr("unknown")?.unbind(),
            int_name: PyString::intern_bound(py, "int").unbind(),
            is_safe_name: PyString::intern_bound(py, "is_safe").unbind(),
        })
    }
}

/// The unread rest of a body. Every read returns None past the end.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }

    fn left(&self) -> usize {
        self.data.len() - self.pos
    }

    /// A zig-zag varint of at most ten bytes whose value fits 64 bits (fastavro's C reader
    /// shifts past 64 bits on longer ones: those are declined).
    fn long(&mut self) -> Option<i64> {
        let mut n: u64 = 0;
        for i in 0..10 {
            let b = *self.data.get(self.pos)?;
            self.pos += 1;
            if i == 9 && b > 1 {
                return None;
            }
            n |= u64::from(b & 0x7F) << (7 * i);
            if b & 0x80 == 0 {
                return Some((n >> 1) as i64 ^ -((n & 1) as i64));
            }
        }
        None
    }

    /// A length: not negative and not more than the bytes left.
    fn size(&mut self) -> Option<usize> {
        let n = usize::try_from(self.long()?).ok()?;
        (n <= self.left()).then_some(n)
    }

    /// The bytes of a string or bytes value: a length, then that many bytes.
    fn sized(&mut self) -> Option<&'a [u8]> {
        let n = self.size()?;
        self.take(n)
    }
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar
/// (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days from 0001-01-01 to 1970-01-01 and to 9999-12-31: Python's date range.
const MIN_DAYS: i64 = -719_162;
const MAX_DAYS: i64 = 2_932_896;
const MILLIS_PER_DAY: i64 = 86_400_000;

#[pyclass(module = "govbus_native", frozen)]
pub struct AvroReader {
    root: Node,
    makers: Makers,
}

#[pymethods]
impl AvroReader {
    /// `plan`: the nested tuples `govbus/core/avro_reader.py` compiles from the schema.
    #[new]
    fn new(plan: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(AvroReader { root: node(plan)?, makers: Makers::import(plan.py())? })
    }

    /// The value of the body `data[start:]`, or None where this reader declines it.
    fn read(&self, py: Python<'_>, data: &[u8], start: usize) -> Option<PyObject> {
        let mut cursor = Cursor { data, pos: start };
        if start > data.len() {
            return None;
        }
        let value = self.value(py, &self.root, &mut cursor)?;
        (cursor.pos == data.len()).then_some(value)
    }
}

impl AvroReader {
    fn value(&self, py: Python<'_>, node: &Node, cur: &mut Cursor<'_>) -> Option<PyObject> {
        Some(match node {
            Node::Null => py.None(),
            Node::Boolean => match cur.take(1)?[0] {
                0 => false.into_py(py),
                1 => true.into_py(py),
                _ => return None,
            },
            Node::Long => cur.long()?.into_py(py),
            Node::Float => {
                let raw: [u8; 4] = cur.take(4)?.try_into().ok()?;
                f64::from(f32::from_le_bytes(raw)).into_py(py)
            }
            Node::Double => f64::from_le_bytes(cur.take(8)?.try_into().ok()?).into_py(py),
            Node::Bytes => PyBytes::new_bound(py, cur.sized()?).into_any().unbind(),
            Node::Fixed(n) => PyBytes::new_bound(py, cur.take(*n)?).into_any().unbind(),
            Node::Text => text(py, cur.sized()?)?,
            Node::Uuid => self.uuid(py, cur.sized()?)?,
            Node::TimestampMillis => self.timestamp(py, cur.long()?)?,
            Node::Date => self.date(py, cur.long()?)?,
            Node::Enum(symbols) => {
                let index = usize::try_from(cur.long()?).ok()?;
                symbols.get(index)?.clone_ref(py).into_any()
            }
            Node::Array(items) => self.array(py, items, cur)?,
            Node::Map(values) => self.map(py, values, cur)?,
            Node::Record(fields) => self.record(py, fields, cur)?,
            Node::Union(branches) => {
                let index = usize::try_from(cur.long()?).ok()?;
                self.value(py, branches.get(index)?, cur)?
            }
        })
    }

    /// A dict of the fields in the schema's order.
    fn record(&self, py: Python<'_>, fields: &[(Py<PyString>, Node)], cur: &mut Cursor<'_>) -> Option<PyObject> {
        let dict = PyDict::new_bound(py);
        for (name, field) in fields {
            let value = self.value(py, field, cur)?;
            dict.set_item(name.bind(py), value).ok()?;
        }
        Some(dict.into_any().unbind())
    }

    /// Blocks of items; a negative count is followed by the block's size in bytes (unused, as
    /// fastavro leaves it). A count larger than the bytes left declines: only zero-byte items
    /// could fill it, and fastavro may read those.
    fn block(cur: &mut Cursor<'_>) -> Option<usize> {
        let count = cur.long()?;
        if count < 0 {
            cur.long()?;
        }
        let n = usize::try_from(count.checked_abs()?).ok()?;
        (n <= cur.left()).then_some(n)
    }

    fn array(&self, py: Python<'_>, items: &Node, cur: &mut Cursor<'_>) -> Option<PyObject> {
        let list = PyList::empty_bound(py);
        loop {
            let n = Self::block(cur)?;
            if n == 0 {
                return Some(list.into_any().unbind());
            }
            for _ in 0..n {
                list.append(self.value(py, items, cur)?).ok()?;
            }
        }
    }

    fn map(&self, py: Python<'_>, values: &Node, cur: &mut Cursor<'_>) -> Option<PyObject> {
        let dict = PyDict::new_bound(py);
        loop {
            let n = Self::block(cur)?;
            if n == 0 {
                return Some(dict.into_any().unbind());
            }
            for _ in 0..n {
                let key = text(py, cur.sized()?)?;
                dict.set_item(key, self.value(py, values, cur)?).ok()?;
            }
        }
    }

    /// `epoch + timedelta(microseconds=millis * 1000)` with `epoch` in `timezone.utc`.
    fn timestamp(&self, py: Python<'_>, millis: i64) -> Option<PyObject> {
        let days = millis.div_euclid(MILLIS_PER_DAY);
        if !(MIN_DAYS..=MAX_DAYS).contains(&days) {
            return None; // fastavro raises OverflowError: its message is its own
        }
        let (year, month, day) = civil_from_days(days);
        let ms = millis.rem_euclid(MILLIS_PER_DAY);
        let (hour, minute) = (ms / 3_600_000, ms / 60_000 % 60);
        let (second, micro) = (ms / 1000 % 60, ms % 1000 * 1000);
        let args = (year, month, day, hour, minute, second, micro, self.makers.utc.bind(py));
        self.makers.datetime.call1(py, args).ok()
    }

    /// `date.fromordinal(days + 719163)`.
    fn date(&self, py: Python<'_>, days: i64) -> Option<PyObject> {
        if !(MIN_DAYS..=MAX_DAYS).contains(&days) {
            return None;
        }
        let (year, month, day) = civil_from_days(days);
        self.makers.date.call1(py, (year, month, day)).ok()
    }

    /// `uuid.UUID(text)` for the canonical spelling (8-4-4-4-12 hex digits, either case):
    /// a UUID whose `int` is the hex digits' value and `is_safe` is `SafeUUID.unknown`, as
    /// `UUID.__init__` leaves it. Other spellings UUID accepts (braces, `urn:uuid:`, no
    /// dashes) or refuses are declined.
    fn uuid(&self, py: Python<'_>, raw: &[u8]) -> Option<PyObject> {
        if raw.len() != 36 {
            return None;
        }
        let mut hex = [0u8; 33]; // 32 digits and the NUL PyLong_FromString reads to
        let mut n = 0;
        for (i, &b) in raw.iter().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                if b != b'-' {
                    return None;
                }
            } else if b.is_ascii_hexdigit() {
                hex[n] = b;
                n += 1;
            } else {
                return None;
            }
        }
        let m = &self.makers;
        let uuid = m.object_new.call1(py, (m.uuid_class.bind(py),)).ok()?;
        // SAFETY: `hex` is NUL-terminated; the returned reference is owned (or NULL on error);
        // the attributes are UUID's slots, set as `UUID.__setstate__` sets them (object's
        // setattr, past UUID's own that refuses).
        unsafe {
            let int = ffi::PyLong_FromString(hex.as_ptr().cast(), std::ptr::null_mut(), 16);
            let int = Bound::from_owned_ptr_or_err(py, int).ok()?;
            for (name, value) in [(&m.int_name, int.as_ptr()), (&m.is_safe_name, m.uuid_unknown.as_ptr())] {
                if ffi::PyObject_GenericSetAttr(uuid.as_ptr(), name.as_ptr(), value) != 0 {
                    PyErr::take(py);
                    return None;
                }
            }
        }
        Some(uuid)
    }
}

/// `bytes.decode()`: Python's own strict UTF-8 decoder, so that what it accepts is exactly
/// what fastavro's read accepts without error handling. Invalid UTF-8 declines (the reference
/// reads it with the caller's error handler).
fn text(py: Python<'_>, raw: &[u8]) -> Option<PyObject> {
    let n = ffi::Py_ssize_t::try_from(raw.len()).ok()?;
    // SAFETY: pointer and length describe `raw`; the result is an owned reference or NULL.
    unsafe {
        let s = ffi::PyUnicode_DecodeUTF8(raw.as_ptr().cast(), n, b"strict\0".as_ptr().cast());
        match Bound::from_owned_ptr_or_err(py, s) {
            Ok(s) => Some(s.unbind()),
            Err(_) => None,
        }
    }
}

/// A plan node: ("null",), ("enum", [symbols]), ("array", node), ("map", node),
/// ("record", [(name, node), ...]), ("union", [node, ...]), ("fixed", size), or a primitive
/// or logical kind's name alone.
fn node(plan: &Bound<'_, PyAny>) -> PyResult<Node> {
    let plan = plan.downcast::<PyTuple>()?;
    let kind: String = plan.get_item(0)?.extract()?;
    let arg = || plan.get_item(1);
    Ok(match kind.as_str() {
        "null" => Node::Null,
        "boolean" => Node::Boolean,
        "int" | "long" => Node::Long,
        "float" => Node::Float,
        "double" => Node::Double,
        "bytes" => Node::Bytes,
        "string" => Node::Text,
        "uuid" => Node::Uuid,
        "timestamp-millis" => Node::TimestampMillis,
        "date" => Node::Date,
        "fixed" => Node::Fixed(arg()?.extract()?),
        "enum" => Node::Enum(arg()?.extract::<Vec<String>>()?.iter()
            .map(|s| PyString::new_bound(plan.py(), s).unbind()).collect()),
        "array" => Node::Array(Box::new(node(&arg()?)?)),
        "map" => Node::Map(Box::new(node(&arg()?)?)),
        "record" => Node::Record(arg()?.iter()?.map(|field| {
            let field = field?;
            let name: String = field.get_item(0)?.extract()?;
            Ok((PyString::intern_bound(plan.py(), &name).unbind(), node(&field.get_item(1)?)?))
        }).collect::<PyResult<_>>()?),
        "union" => Node::Union(arg()?.iter()?.map(|b| node(&b?)).collect::<PyResult<_>>()?),
        other => return Err(pyo3::exceptions::PyValueError::new_err(format!("unknown kind {other}"))),
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<AvroReader>()
}
