#!/usr/bin/python3
"""Writes the bad-input corpus into OUT_DIR: ONNX files and YAML specs that must
be refused with one clear line (never a crash), and a MANIFEST listing them.

usage: make_corpus.py OUT_DIR
Every case is generated (seeded where random), nothing binary is committed."""
import os
import random
import shutil
import sys

from onnx import TensorProto, helper

OPSET = [helper.make_opsetid("", 13)]


def model(nodes=(), inputs=(), outputs=(), initializers=(), ir_version=8, opsets=OPSET):
    graph = helper.make_graph(list(nodes), "bad", list(inputs), list(outputs), list(initializers))
    m = helper.make_model(graph, opset_imports=list(opsets))
    m.ir_version = ir_version
    return m.SerializeToString()


def float_input(name, dims):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


def initializer(name, dims, raw=None, data_type=TensorProto.FLOAT):
    t = TensorProto()
    t.name = name
    t.data_type = data_type
    t.dims.extend(dims)
    if raw is not None:
        t.raw_data = raw
    return t


def typed_int64(name, dims, values):
    t = initializer(name, dims, data_type=TensorProto.INT64)
    t.int64_data.extend(values)
    return t


def external(name, dims, location, offset=None, length=None):
    t = initializer(name, dims)
    t.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", offset), ("length", length)):
        if value is not None:
            entry = t.external_data.add()
            entry.key, entry.value = key, str(value)
    return t


def relu(name, x, y):
    return helper.make_node("Relu", [x], [y], name=name)


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, payload):
    """A length-delimited protobuf field."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def string_claim():
    """ModelProto.graph > node > attribute > s claiming 50 MB, cut after 2 bytes."""
    s_claim = varint(4 << 3 | 2) + varint(50 * 1024 * 1024) + b"ab"
    attribute = field(1, b"big") + s_claim  # AttributeProto.name, .s
    node = field(5, attribute)  # NodeProto.attribute = 5
    graph = field(1, node)  # GraphProto.node = 1
    return field(7, graph)  # ModelProto.graph = 7


def deep_nesting(levels=100000):
    """graph > input > type > sequence_type > elem_type > ... nested 100000 deep."""
    headers, size = [], 0
    for depth in range(levels - 1, -1, -1):  # innermost first
        number = 4 if depth % 2 == 0 else 1  # TypeProto.sequence_type / Sequence.elem_type
        header = varint(number << 3 | 2) + varint(size)
        headers.append(header)
        size += len(header)
    type_proto = b"".join(reversed(headers))
    value_info = field(1, b"x") + field(2, type_proto)  # ValueInfoProto.name, .type
    return field(7, field(11, value_info))  # ModelProto.graph > GraphProto.input


def truncated_valid():
    w = helper.make_tensor("w", TensorProto.FLOAT, [8, 8], [0.5] * 64)
    matmul = helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")
    data = model([matmul], [float_input("x", [1, 8])], [float_input("y", [1, 8])], [w])
    return data[: len(data) // 2]


def onnx_cases():
    rng = random.Random(20240229)
    x = [float_input("x", [1, 4])]
    y = [float_input("y", [1, 4])]
    return {
        "empty.onnx": b"",
        "random_bytes.onnx": bytes(rng.randrange(256) for _ in range(4096)),
        "truncated.onnx": truncated_valid(),
        "no_graph.onnx": varint(1 << 3) + varint(8),  # ModelProto with ir_version only
        "huge_dims.onnx": model(initializers=[initializer("w", [1000000, 1000000])]),
        "negative_dims.onnx": model(initializers=[initializer("w", [2, -3], raw=b"")]),
        "overflowing_count.onnx": model(initializers=[initializer("w", [1 << 40] * 3)]),
        "raw_data_short.onnx": model(initializers=[initializer("w", [4, 4], raw=b"\0" * 60)]),
        "control_chars_in_name.onnx": model(
            initializers=[initializer("w\nx\r\x1b[31m", [4], raw=b"\0" * 3)]),
        "typed_count_short.onnx": model(initializers=[typed_int64("w", [3], [1, 2])]),
        "external_out_of_bounds.onnx": model(
            initializers=[external("w", [4], "weights.bin", offset=8, length=16)]),
        "external_past_end.onnx": model(
            initializers=[external("w", [4], "weights.bin", offset=1 << 40)]),
        "external_escapes_folder.onnx": model(
            initializers=[external("w", [4], "../bad_input_outside.bin")]),
        "external_absolute_path.onnx": model(initializers=[external("w", [4], "/etc/passwd")]),
        "external_symlink.onnx": model(initializers=[external("w", [4], "link_to_passwd.bin")]),
        "external_fifo.onnx": model(initializers=[external("w", [4], "pipe.bin")]),
        "external_bad_offset.onnx": model(
            initializers=[external("w", [4], "weights.bin", offset="-16")]),
        "cycle.onnx": model([relu("a", "q", "p"), relu("b", "p", "q")], x, y),
        "dangling_input.onnx": model([relu("r", "nowhere", "y")], x, y),
        "produced_twice.onnx": model([relu("a", "x", "y"), relu("b", "x", "y")], x, y),
        "string_claim_50mb.onnx": string_claim(),
        "deep_nesting.onnx": deep_nesting(),
        "negative_input_dim.onnx": model([relu("r", "x", "y")], [float_input("x", [1, -4])], y),
        "rank9_input.onnx": model([relu("r", "x", "y")], [float_input("x", [1] * 9)], y),
        "no_opset_import.onnx": model([relu("r", "x", "y")], x, y, opsets=[]),
        "sequence_input.onnx": model(
            [], [helper.make_tensor_sequence_value_info("s", TensorProto.FLOAT, [2])], []),
    }


YAML_CASES = {
    "unclosed_list.yaml": "x: [1, 2\n",
    "unclosed_quote.yaml": 'model: "seed\nopset: 17\n',
    "bad_indent.yaml": "model: m\n  opset: 17\n inputs: []\n",
    "tab_indent.yaml": "model: m\ninputs:\n\t- {name: x}\n",
    "not_a_mapping.yaml": "- just\n- a list\n",
    "empty.yaml": "",
    "unknown_key.yaml": (
        "model: m\nopset: 17\n"
        "inputs:\n  - {name: x, dtype: float32, shape: [1, 4]}\n"
        "outputs: [y]\n"
        "nodes:\n  - {name: r, op: Relu, inputs: [x], outputs: [y]}\n"
        "colour: blue\n"),
}


def main():
    out = sys.argv[1]
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    with open(os.path.join(out, "weights.bin"), "wb") as f:
        f.write(b"\0" * 16)  # the external-data cases point into (or past) this file
    names = []
    for name, data in list(onnx_cases().items()) + list(YAML_CASES.items()):
        mode = "wb" if isinstance(data, bytes) else "w"
        with open(os.path.join(out, name), mode) as f:
            f.write(data)
        names.append(name)
    # links and special files: the reader must refuse them, and never block on a FIFO
    os.symlink("/etc/passwd", os.path.join(out, "link_to_passwd.bin"))
    os.mkfifo(os.path.join(out, "pipe.bin"))
    os.mkfifo(os.path.join(out, "fifo.onnx"))
    os.mkfifo(os.path.join(out, "fifo.yaml"))
    os.makedirs(os.path.join(out, "directory.onnx"))
    names += ["fifo.onnx", "fifo.yaml", "directory.onnx", "missing.onnx", "missing.yaml"]  # last two: absent
    with open(os.path.join(out, "MANIFEST"), "w") as f:
        f.write("".join(n + "\n" for n in names))
    print("%d bad inputs written to %s" % (len(names), out))


if __name__ == "__main__":
    main()
