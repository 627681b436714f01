"""File import: CSV (UTF-8 or GBK/GB18030), JSON lines and Excel .xlsx into ``raw.<dataset>``.

``main.import_file`` is what ``govbus import`` calls: it checks the department against the
catalogue, then ``formats`` streams the file (``readers``: physical lines in chunks under a
length cap, ``lines``, with ``encoding`` detection; a damaged file is ``DamagedFile``) through
the kit's batch loop (``producers.sdk.bulk``), which turns each row into framed Avro bytes
(``pipeline``: the fast paths of ``fast`` for text cells, cross-checked against the kit's
reference path) and sends refused rows to a ``<file>.rejects.jsonl`` beside the input and to
``dlq.<dataset>``. An import that stops part-way raises ``ImportStopped`` with what was
published and the line to resume from (``ImportRequest.from_line``). Mappings from a
department's (Chinese) column headers to schema fields are read by ``producers.sdk.mapping``;
examples are in ``mappings/``.
"""
