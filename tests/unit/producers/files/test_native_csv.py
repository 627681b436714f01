"""The native CSV reader against Python's own: same records, same `reader.line_num`, for
UTF-8 (utf-8-sig) and GB18030, on tricky CSV, chunk boundaries, bad bytes and the field limit.
Python's csv module is the judge throughout: every expectation is computed by it."""
from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from producers.files.fast.gbtable import four_byte, gb18030_tables

govbus_native = pytest.importorskip("govbus_native")

CHUNK = 256 * 1024  # textsource.rs reads the file in chunks of this size
LIMIT = csv.field_size_limit()
ENCODINGS = ["utf-8-sig", "gb18030"]
# A module-wide folder (hypothesis forbids function-scoped fixtures), removed at exit.
_TMPDIR = tempfile.TemporaryDirectory(prefix="native-csv-")
_TMP = Path(_TMPDIR.name)


def write(data: bytes, name: str = "t.csv") -> Path:
    path = _TMP / name
    path.write_bytes(data)
    return path


def python_records(path: Path, encoding: str) -> list[tuple[int, list[str]]]:
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle)
        return [(reader.line_num, row) for row in reader]


def native_records(path: Path, encoding: str) -> list[tuple[int, list[str]]]:
    two, four = gb18030_tables() if encoding == "gb18030" else (None, None)
    return govbus_native.read_csv(str(path), encoding, two, four)


def assert_same(data: bytes, encoding: str) -> None:
    path = write(data)
    assert native_records(path, encoding) == python_records(path, encoding)


TRICKY = [
    'a,"b,c",d\n', '"a""b",c\n', '"x\ny",z\n', '"x\r\ny"\r\nq\r\n', '"x\ry"\rq\r',
    '"ab"c,d\n', 'a"b,c"\n', 'a\n\nb\n\n', '  \n \n', 'a\rb\rc', 'a\r\nb\nc\rd\n\r\n\r',
    'a,b', 'a,\n', ',\n,,', '"",x\n', '""\n""', 'a,"unterminated\nmore', 'a,"', '"', '""',
    '"""', '"a""', '"a"\r', '"a" b\n', 'a,"b"c"d",e\n', 'x\0y,\0\n"\0"\n', '\r', '\n',
    '\r\n', '', '\ufeffh1,h2\n1,2\n', 'a\ufeff,\ufeff\n', '姓名,地址\n张三,"北京市,朝阳区"\n',
    '𠮷,\ue5e5,\ue78d,\uffff,\x80,\U0010ffff\n"𠮷\n野",中\r\n', '中"文,"中""文"\n',
    '"a\n\n\nb"\n\nc', 'a,b\r\n\r\n', '\n"\r"\r\n',
    # Not line breaks to a file opened with newline="" (str.splitlines would split on them).
    'a\x0bb,\x0c\x1c\x1d\x1e\x85\u2028\u2029,c\n',
]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("text", TRICKY)
def test_tricky_cases(text, encoding):
    assert_same(text.encode("utf-8" if encoding == "utf-8-sig" else encoding), encoding)


def test_bom_is_dropped_only_at_the_start():
    assert_same(b"\xef\xbb\xbfh1,h2\n\xef\xbb\xbfx,y\n", "utf-8-sig")
    assert_same(b"\xef\xbb\xbf", "utf-8-sig")
    # Python's utf-8-sig quirk: a file that is only the start of a BOM reads as empty.
    assert_same(b"\xef\xbb", "utf-8-sig")
    assert_same(b"\xef", "utf-8-sig")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=["a", ",", '"', "\r", "\n", " ", "中", "𠮷", "\x00"], max_size=40),
       st.sampled_from(ENCODINGS))
def test_matches_python_on_random_text(text, encoding):
    assert_same(text.encode("utf-8" if encoding == "utf-8-sig" else encoding), encoding)


PIECES = ["中", "𠮷", "\r\n", '"q\r\nq"', '"中𠮷"', "\r\r\n"]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("piece", PIECES)
def test_chunk_boundary_inside_a_character_or_line_break(piece, encoding):
    """The piece starts a few bytes either side of the first chunk's end, so each of its
    bytes in turn is the last one of the chunk."""
    for offset in range(-6, 2):
        size = CHUNK + offset
        line = "ab," + "c" * 1020 + "\n"  # long lines: few records, a fast test
        head = (line * (size // len(line)) + "d" * (size % len(line))).encode()
        data = head + f"{piece},tail\r{piece}\n".encode(encoding.replace("-sig", ""))
        assert_same(data, encoding)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_large_file_of_long_multiline_records(encoding):
    row = '"多行\r\n字段,含""引号""",𠮷野家,' + "x" * 300 + "\r\n"
    assert_same((row * 3000).encode(encoding.replace("-sig", "")), encoding)


def complete_records(prefix: bytes, encoding: str) -> list[tuple[int, list[str]]]:
    """Python's records of `prefix` that cannot change whatever follows it: those it yields
    alike for `prefix` and for `prefix` plus one more character."""
    whole, extended = python_records(write(prefix, "p.csv"), encoding), \
        python_records(write(prefix + b"Z", "p.csv"), encoding)
    same = 0
    while same < len(whole) and whole[same] == extended[same]:
        same += 1
    return whole[:same]


def bad_line(prefix: bytes, encoding: str) -> int:
    """The physical line (1-based) the byte after `prefix` is on."""
    with write(prefix, "p.csv").open(encoding=encoding, newline="") as handle:
        return sum(line.endswith(("\r", "\n")) for line in handle) + 1


def assert_decode_error(prefix: bytes, bad: bytes, encoding: str) -> None:
    path = write(prefix + bad + b"\nafter,x\n")
    python_yields = []
    with pytest.raises(UnicodeDecodeError):  # Python refuses these bytes too ...
        with path.open(encoding=encoding, newline="") as handle:
            reader = csv.reader(handle)
            python_yields.extend((reader.line_num, row) for row in reader)
    with pytest.raises(ValueError, match=rf"\bline {bad_line(prefix, encoding)}\b") as error:
        native_records(path, encoding)
    assert error.value.records == complete_records(prefix, encoding)
    # ... having yielded fewer records, if any: it decodes 8 KiB ahead of the parser.
    assert error.value.records[:len(python_yields)] == python_yields


BAD_UTF8 = [b"\xff", b"\x80", b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe4\xb8x"]
PREFIXES = [b"", b"h1,h2\r\n1,2\n", b"a,b\r", b"a,b\r\n\"q\nq", b'x,"y"\n"open\r\n', b"a,bc",
            (b"p,q" + b"r" * 1020 + b"\n") * (CHUNK // 1024) + b"abc"]


@pytest.mark.parametrize("bad", BAD_UTF8)
@pytest.mark.parametrize("prefix", PREFIXES, ids=range(len(PREFIXES)))
def test_invalid_utf8_names_its_line(prefix, bad):
    assert_decode_error(prefix, bad, "utf-8-sig")


BAD_GB = [b"\x80a", b"\xffa", b"\x81\x7f", b"\x81\x0a", b"\x85\x30\x81\x30", b"\x84\x31\xa5\x30",
          b"\xe3\x32\x9a\x36", b"\xfe\x39\xfe\x39", b"\x81\x30\x20\x30"]


@pytest.mark.parametrize("bad", BAD_GB)
@pytest.mark.parametrize("prefix", PREFIXES, ids=range(len(PREFIXES)))
def test_invalid_gb18030_names_its_line(prefix, bad):
    assert_decode_error(prefix.replace(b"q", "中".encode("gb18030")), bad, "gb18030")


@pytest.mark.parametrize(("data", "encoding", "line"), [
    (b"a,b\n\xe4\xb8", "utf-8-sig", 2), (b"a,b\n\xef\xbb", "utf-8-sig", 2),
    (b"\xe4", "utf-8-sig", 1), (b"a,b\n\x81", "gb18030", 2), (b"a\r\x81\x30\x81", "gb18030", 2),
    (b"a,b\n\xff", "gb18030", 2), (b"\x80", "gb18030", 1),
])
def test_sequence_cut_by_the_end_of_file(data, encoding, line):
    path = write(data)
    with pytest.raises(UnicodeDecodeError):
        python_records(path, encoding)
    with pytest.raises(ValueError, match=rf"\bline {line}\b"):
        native_records(path, encoding)


def test_supplementary_planes_decode_linearly_as_python_does():
    """0x90308130..0xE3329A35 are U+10000..U+10FFFF in order, by Python's codec and ours."""
    first = (0x90 - 0x81) * 10 * 1260  # linear index of 0x90308130
    data = b"".join(four_byte(first + i) for i in range(0x100000))
    assert data.decode("gb18030") == "".join(map(chr, range(0x10000, 0x110000)))
    lines = [data[i:i + 4096] for i in range(0, len(data), 4096)]  # 1024 chars a line
    assert_same(b"\n".join(lines), "gb18030")


def test_every_two_byte_and_bmp_four_byte_sequence_matches_python():
    """Each valid unit on its own line; the invalid ones are covered by the table's zeros."""
    two, four = gb18030_tables()
    units = [bytes((lead, trail)) for lead in range(0x81, 0xFF) for trail in range(0x40, 0xFF)]
    units += [four_byte(i) for i in range(39420)]
    codes = [int.from_bytes(two[i:i + 4], "little") for i in range(0, len(two), 4)]
    codes += [int.from_bytes(four[i:i + 4], "little") for i in range(0, len(four), 4)]
    valid = [unit for unit, code in zip(units, codes) if code]
    assert_same(b"\n".join(b"x" + unit for unit in valid), "gb18030")


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("quoted", [False, True])
def test_field_limit(encoding, quoted):
    """A field of LIMIT characters passes, one more fails as Python's does (in characters,
    not bytes: each 中 is 3 bytes of UTF-8)."""
    raw = encoding.replace("-sig", "")
    cell = ("中\n" if quoted else "中 ") * (LIMIT // 2)
    ok = f'a,b\n"{cell}"\n' if quoted else f"a,b\n{cell}\n"
    assert_same(ok.encode(raw), encoding)
    over = ok.replace("中", "中中", 1) + "c,d\n"
    path = write(over.encode(raw))
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle)
        assert next(reader) == ["a", "b"]
        with pytest.raises(csv.Error, match="field larger than field limit"):
            next(reader)
        line = reader.line_num
    message = rf"field larger than field limit \({LIMIT}\).*line {line}\b"
    with pytest.raises(csv.Error, match=message) as error:
        native_records(path, encoding)
    assert error.value.records == [(1, ["a", "b"])]
