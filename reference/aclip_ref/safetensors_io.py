"""Safetensors read/write by hand (no safetensors package): an 8-byte little-endian header length, a JSON header
mapping each tensor name to {dtype, shape, data_offsets} plus a `__metadata__` object of strings, then raw
little-endian data. The header is padded with spaces so the data section starts 8-byte aligned."""
import json
import struct

import numpy as np

# safetensors dtype name <-> little-endian numpy dtype
DTYPES = {
    "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
    "I32": np.dtype("<i4"),
    "U8": np.dtype("u1"),
}


def dtype_name(arr):
    """The safetensors dtype of a numpy array, or ValueError."""
    for name, dt in DTYPES.items():
        if arr.dtype.kind == dt.kind and arr.dtype.itemsize == dt.itemsize:
            return name
    raise ValueError("dtype %s is not one of F32, F64, I32, U8" % arr.dtype)


def encode(tensors, metadata):
    """tensors: name -> numpy array (F32/F64/I32/U8), written in dict order; metadata: str -> str."""
    header = {}
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise ValueError("metadata %r: %r is not a string pair" % (k, v))
        header["__metadata__"] = dict(metadata)
    blobs = []
    offset = 0
    for name, arr in tensors.items():
        arr = np.asarray(arr)
        dname = dtype_name(arr)
        raw = np.ascontiguousarray(arr, dtype=DTYPES[dname]).tobytes()
        header[name] = {"dtype": dname, "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    js = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    js += b" " * ((8 - len(js) % 8) % 8)
    return struct.pack("<Q", len(js)) + js + b"".join(blobs)


def write(path, tensors, metadata):
    with open(path, "wb") as f:
        f.write(encode(tensors, metadata))


def decode(data, where="<bytes>"):
    """Returns (tensors: name -> numpy array in header order, metadata dict)."""
    if len(data) < 8:
        raise ValueError("%s: truncated, %d bytes" % (where, len(data)))
    (n,) = struct.unpack("<Q", data[:8])
    if n < 2 or 8 + n > len(data):
        raise ValueError("%s: header length %d is not plausible for %d bytes" % (where, n, len(data)))
    header = json.loads(data[8:8 + n].decode("utf-8"))
    body = memoryview(data)[8 + n:]
    metadata = header.pop("__metadata__", {}) or {}
    tensors = {}
    for name, e in header.items():
        dt = DTYPES[e["dtype"]]
        begin, end = e["data_offsets"]
        shape = tuple(e["shape"])
        count = int(np.prod(shape, dtype=np.int64))
        if end - begin != count * dt.itemsize or end > len(body):
            raise ValueError("%s: tensor %r has bad data_offsets %r for shape %r" % (where, name, e["data_offsets"], shape))
        tensors[name] = np.frombuffer(bytes(body[begin:end]), dtype=dt).reshape(shape).copy()
    return tensors, metadata


def read(path):
    with open(path, "rb") as f:
        return decode(f.read(), str(path))
