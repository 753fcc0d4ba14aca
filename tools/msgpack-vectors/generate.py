#!/usr/bin/python3
"""Writes Liaa.Tests/TestData/msgpack/vectors.json: MessagePack test vectors from Debian's python3-msgpack.

Run with Debian's interpreter (the python3 first on PATH may lack the package):

    /usr/bin/python3 tools/msgpack-vectors/generate.py

Every vector is a typed value (a small JSON tree the C# tests can both encode and compare against)
and the bytes `msgpack.packb(value, use_bin_type=True)` made of it (`use_single_float=True` for the
float32 vectors). Python is an independent oracle: the tests check Liaa's writer produces exactly
these bytes and Liaa's reader decodes them to exactly the typed value. The tests need no Python.

Typed tree (one key names the family):
  {"nil": null}   {"bool": true}   {"int": "-129"} (decimal text: uint64 does not fit a double)
  {"float64": "7ff8000000000000"} / {"float32": "7fc00000"} (IEEE bits, so nan, inf and -0.0 are exact)
  {"str": "text"}   {"bin": "00ff"}   {"array": [tree, ...]}   {"map": [[key tree, value tree], ...]}
  Large values say how to build them instead of spelling them out: "repeat": n on str/bin/array
  repeats the single given element n times; {"map_range": n} is {0: None, 1: None, ..., n-1: None}.

Bytes are "hex", or for encodings over 1 KiB "gzip" (base64 of a gzip stream, mtime 0) plus "length",
which keeps the file small while still holding Python's exact bytes. Where even that stays large (the
65535- and 65536-entry maps of counting keys do not compress), "sha256" of the bytes plus "length":
the tests then check the writer's output has that digest, which makes it Python's bytes, and decode it.
"""

import base64
import gzip
import hashlib
import json
import math
import os
import struct
import sys

import msgpack

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Liaa.Tests", "TestData", "msgpack", "vectors.json")
INLINE_LIMIT = 1024
HASH_LIMIT = 4096


def tree(value):
    """The typed tree of a (small) Python value."""
    if value is None:
        return {"nil": None}
    if isinstance(value, bool):
        return {"bool": value}
    if isinstance(value, int):
        return {"int": str(value)}
    if isinstance(value, float):
        return {"float64": struct.pack(">d", value).hex()}
    if isinstance(value, str):
        return {"str": value}
    if isinstance(value, bytes):
        return {"bin": value.hex()}
    if isinstance(value, (list, tuple)):
        return {"array": [tree(v) for v in value]}
    if isinstance(value, dict):
        return {"map": [[tree(k), tree(v)] for k, v in value.items()]}
    raise TypeError(type(value))


vectors = []


def add(name, value, typed=None, single_float=False):
    packed = msgpack.packb(value, use_bin_type=True, use_single_float=single_float)
    entry = {"name": name, "value": typed if typed is not None else tree(value)}
    if len(packed) <= INLINE_LIMIT:
        entry["hex"] = packed.hex()
    else:
        compressed = gzip.compress(packed, compresslevel=9, mtime=0)
        if len(compressed) <= HASH_LIMIT:
            entry["gzip"] = base64.b64encode(compressed).decode("ascii")
        else:
            entry["sha256"] = hashlib.sha256(packed).hexdigest()
        entry["length"] = len(packed)
    vectors.append(entry)


# nil and bool
add("nil", None)
add("false", False)
add("true", True)

# Integers at every boundary between encodings, and one step either side.
for n in [0, 1, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1,
          -1, -31, -32, -33, -127, -128, -129, -32767, -32768, -32769,
          -(2**31) + 1, -(2**31), -(2**31) - 1, -(2**63) + 1, -(2**63),
          42, 1234567, 18002, -1234567]:
    add(f"int {n}", n)

# float64: what Python sends for every float.
for name, f in [("0.0", 0.0), ("-0.0", -0.0), ("1.0", 1.0), ("3.25", 3.25), ("-1.5", -1.5), ("0.1", 0.1),
                ("1e300", 1e300), ("max", sys.float_info.max), ("min normal", sys.float_info.min),
                ("min subnormal", 5e-324), ("nan", float("nan")), ("inf", math.inf), ("-inf", -math.inf),
                ("2^53+2", float(2**53 + 2))]:
    add(f"float64 {name}", f)

# float32: Python sends these only with use_single_float, but other encoders do; Liaa must read them.
for name, f in [("0.0", 0.0), ("-0.0", -0.0), ("1.0", 1.0), ("3.25", 3.25), ("-1.5", -1.5),
                ("max", struct.unpack(">f", bytes.fromhex("7f7fffff"))[0]),
                ("min subnormal", struct.unpack(">f", bytes.fromhex("00000001"))[0]),
                ("nan", float("nan")), ("inf", math.inf), ("-inf", -math.inf)]:
    bits = struct.pack(">f", f).hex()
    add(f"float32 {name}", f, typed={"float32": bits}, single_float=True)

# Strings: lengths in UTF-8 bytes decide the header (fixstr to 31, str8 to 255, str16 to 65535).
for n in [0, 1, 31, 32, 255, 256, 65535, 65536]:
    typed = {"str": "a", "repeat": n} if n > 64 else {"str": "a" * n}
    add(f"str ascii {n}", "a" * n, typed=typed)
for name, s in [("two-byte", "héllo wörld"), ("cjk", "日本語のテキスト"), ("emoji", "😀 🎉"),
                ("mixed", "Grüße, Καλημέρα, Здравствуйте, مرحبا, שלום, 你好"),
                ("nul and controls", "a\x00b\x01\x7f"), ("my awesome value", "my awesome value")]:
    add(f"str {name}", s)
# Non-ASCII strings whose byte length crosses a header boundary while the character count does not.
add("str 16 x e-acute (32 bytes, str8)", "é" * 16)
add("str 15 x e-acute + a (31 bytes, fixstr)", "é" * 15 + "a")
add("str 128 x e-acute (256 bytes, str16)", "é" * 128, typed={"str": "é", "repeat": 128})

# Binary.
for n in [0, 1, 20, 255, 256, 65535, 65536]:
    data = bytes([0xAB]) * n
    typed = {"bin": "ab", "repeat": n} if n > 64 else {"bin": data.hex()}
    add(f"bin {n}", data, typed=typed)
add("bin 00ff10", bytes.fromhex("00ff10"))

# Arrays and maps: fix forms to 15, 16-bit counts to 65535, 32-bit from 65536.
for n in [0, 1, 15, 16, 65535, 65536]:
    typed = {"array": [{"int": "1"}], "repeat": n} if n > 64 else None
    add(f"array {n}", [1] * n, typed=typed)
for n in [0, 1, 15, 16, 65535, 65536]:
    value = {i: None for i in range(n)}
    typed = {"map_range": n} if n > 64 else None
    add(f"map {n}", value, typed=typed)

# Nested structures like the wire's.
add("nested rpc request", ["find_node", [bytes([0x22]) * 20, bytes([0x33]) * 20]])
add("nested contact list", [[bytes([0x11]) * 20, "127.0.0.1", 18001], [bytes([0x22]) * 20, "::1", 65535]])
add("nested find_value hit", {"value": "my awesome value"})
add("nested mixed", {"a": [1, -1, 2.5, None, True, False, b"\x00", {"b": []}], "": {}, "ü": [[[[]]]]})
add("nested map with int, bin and array keys", [{1: "one", -200: "minus"}, {b"k": 1}])
add("nested 16 deep", [[[[[[[[[[[[[[[[0]]]]]]]]]]]]]]]])

with open(OUT, "w", encoding="utf-8", newline="\n") as f:
    f.write("{\n")
    f.write(f'  "generator": "tools/msgpack-vectors/generate.py",\n')
    f.write(f'  "msgpack": "python3-msgpack {".".join(map(str, msgpack.version))}",\n')
    f.write('  "vectors": [\n')
    f.write(",\n".join("    " + json.dumps(v, ensure_ascii=True) for v in vectors))
    f.write("\n  ]\n}\n")
print(f"{len(vectors)} vectors written to {os.path.relpath(OUT, ROOT)}")
