"""The fast paths of file import, and the one contract they share.

The reference path (``producers.sdk.rows.RowEncoder``: ``coerce_record``, the envelope, the
serde's Avro writer) is the judge. A fast path writes exactly the bytes the reference path
would write for a row, or declines it and the reference path decides; it never judges a row
itself, so every fault is the reference path's. Each also declines whole datasets it cannot
write exactly (``cells.Unsupported``, raised at construction), and the first rows of every
import are written both ways and compared (``producers.files.pipeline``): any difference turns
the fast path off for the rest of the import. A fast-path bug costs speed, never correctness.

- ``cells``: cell text → Avro bytes, one compiled closure per field;
- ``envelope``: the envelope's bytes, spliced from parts prepared once per import;
- ``text``: a text row (CSV, spreadsheet) → the reference record, or straight to framed bytes;
- ``native`` / ``nativerun``: the compiled CSV reader (``native/``), which decodes, parses and
  encodes in Rust from a plan compiled from ``cells``' decisions; at the first line or cell over
  its limits it declines the rest of the file, which the Python reader reads from that line;
- ``gbtable``: the GB18030 tables that reader decodes with.
"""
