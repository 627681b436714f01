"""Encoding detection: a BOM wins, else strict UTF-8 on the first 64 KiB, else GB18030."""
from __future__ import annotations

import codecs

import pytest

from producers.files.encoding import (SNIFF_BYTES, EncodingError, detect_encoding,
                                      normalise_encoding, sniff_encoding)

TEXT = "工单编号,诉求内容\nGD1,楼下噪音扰民\n"


@pytest.mark.parametrize(("head", "complete", "expected"), [
    (codecs.BOM_UTF8 + TEXT.encode(), True, "utf-8-sig"),
    (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), True, "utf-16"),
    (TEXT.encode("utf-8"), True, "utf-8-sig"),
    (TEXT.encode("gbk"), True, "gb18030"),
    ("姓名\n𠮷野\n".encode("gb18030"), True, "gb18030"),
    (b"order_no,content\nGD1,noise\n", True, "utf-8-sig"),
    # A multi-byte character cut by the 64 KiB mark is still UTF-8 ...
    (("a" * (SNIFF_BYTES - 1) + "噪").encode()[:SNIFF_BYTES], False, "utf-8-sig"),
    # ... but not when the file really ends there.
    (("a" * (SNIFF_BYTES - 1) + "噪").encode()[:SNIFF_BYTES], True, "gb18030"),
    (b"", True, "utf-8-sig"),
])
def test_sniff_encoding(head, complete, expected):
    assert sniff_encoding(head, complete) == expected


@pytest.mark.parametrize(("given", "expected"), [
    ("gbk", "gb18030"), ("GBK", "gb18030"), ("gb2312", "gb18030"), ("cp936", "gb18030"),
    ("GB18030", "gb18030"), ("utf-8", "utf-8-sig"), ("UTF8", "utf-8-sig"),
    ("utf-8-sig", "utf-8-sig"), ("latin-1", "iso8859-1"),
])
def test_given_encodings_are_normalised(given, expected):
    assert normalise_encoding(given) == expected


def test_unknown_encoding_is_refused():
    with pytest.raises(EncodingError, match="unknown encoding"):
        normalise_encoding("klingon")


def test_detect_reads_only_the_head_of_a_file(tmp_path):
    path = tmp_path / "orders.csv"
    # GBK bytes after the first 64 KiB do not change the verdict on a UTF-8 head.
    path.write_bytes(("a" * SNIFF_BYTES).encode() + "噪音".encode("gbk"))
    assert detect_encoding(path) == "utf-8-sig"
    path.write_bytes(TEXT.encode("gbk"))
    assert detect_encoding(path) == "gb18030"
    assert detect_encoding(path, "utf-8") == "utf-8-sig"  # given wins
