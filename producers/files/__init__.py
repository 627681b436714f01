"""File import: CSV (UTF-8 or GBK/GB18030), JSON lines and Excel .xlsx into ``raw.<dataset>``.

``main.import_file`` is what ``govbus import`` calls: it checks the department against the
catalogue, then ``formats`` streams the file through the shared loop (``importer``), which turns
each row into framed Avro bytes (``pipeline``: the fast path ``textpath``/``fastpath`` for text
cells, cross-checked against the reference ``coerce_record`` path) and sends refused rows to a
``<file>.rejects.jsonl`` beside the input and to ``dlq.<dataset>``. Mappings from a department's
(Chinese) column headers to schema fields live in ``mappings/``.
"""
