/* Cuts the initializers' raw_data bytes out of a serialized ModelProto before
 * protobuf-c sees it: protobuf-c copies every bytes field, and weights are
 * nearly the whole file. Only ModelProto.graph (7) > GraphProto.initializer (5)
 * > TensorProto.raw_data (9) is touched; every other byte is copied as it is,
 * and the lengths of the two enclosing messages are recomputed. */
#include <stdlib.h>
#include <string.h>

#include "format/onnx_internal.h"

enum { LEVEL_MODEL, LEVEL_GRAPH, LEVEL_TENSOR };
enum { MODEL_GRAPH = 7, GRAPH_INITIALIZER = 5, TENSOR_RAW_DATA = 9 };


static bool get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return true;
        }
    }
    return false;
}

static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    for (; v >= 0x80; v >>= 7)
        n++;
    return n;
}

static uint8_t *put_varint(uint8_t *out, uint64_t v)
{
    for (; v >= 0x80; v >>= 7)
        *out++ = (uint8_t)(v | 0x80);
    *out++ = (uint8_t)v;
    return out;
}

bool cg_onnx_next_field(const uint8_t **p, const uint8_t *end, cg_onnx_field *f)
{
    uint64_t key, n;
    f->key = *p;
    if (!get_varint(p, end, &key) || (key >> 3) == 0 || (key >> 3) > 0x1fffffff)
        return false;
    f->number = key >> 3;
    f->wire_type = (unsigned)(key & 7);
    f->key_len = (size_t)(*p - f->key);
    switch (f->wire_type) {
    case CG_WIRE_VARINT:
        f->body = *p;
        if (!get_varint(p, end, &n))
            return false;
        f->end = *p;
        return true;
    case CG_WIRE_FIXED64: n = 8; break;
    case CG_WIRE_FIXED32: n = 4; break;
    case CG_WIRE_LEN:
        if (!get_varint(p, end, &n))
            return false;
        break;
    default: return false;
    }
    if (n > (uint64_t)(end - *p))
        return false;
    f->body = *p;
    f->end = *p + n;
    *p = f->end;
    return true;
}

/* The field number a level descends into, or cuts out at the tensor level. */
static uint64_t special_field(int level)
{
    static const uint64_t numbers[] = {MODEL_GRAPH, GRAPH_INITIALIZER, TENSOR_RAW_DATA};
    return numbers[level];
}

/* Size of the message [p, end) at `level` once stripped; false where the
 * layout is malformed or one we leave to protobuf-c as it is: a special field
 * with the wrong wire type, the graph or a raw_data given twice (protobuf
 * merges those, and the payload table would no longer match). */
static bool stripped_size(int level, const uint8_t *p, const uint8_t *end, size_t *size)
{
    size_t total = 0;
    int seen = 0;
    cg_onnx_field f;
    while (p < end) {
        if (!cg_onnx_next_field(&p, end, &f))
            return false;
        if (f.number != special_field(level)) {
            total += (size_t)(f.end - f.key);
            continue;
        }
        if (f.wire_type != CG_WIRE_LEN || (level != LEVEL_GRAPH && ++seen > 1))
            return false;
        size_t inner = 0; /* raw_data keeps its key, with an empty payload */
        if (level != LEVEL_TENSOR && !stripped_size(level + 1, f.body, f.end, &inner))
            return false;
        total += f.key_len + varint_size(inner) + inner;
    }
    *size = total;
    return true;
}

static bool add_payload(cg_onnx_stripped *s)
{
    if (s->n_payloads == s->cap_payloads) {
        size_t cap = s->cap_payloads ? s->cap_payloads * 2 : 64;
        cg_onnx_payload *grown = realloc(s->payloads, cap * sizeof *grown);
        if (!grown)
            return false;
        s->payloads = grown;
        s->cap_payloads = cap;
    }
    s->payloads[s->n_payloads++] = (cg_onnx_payload){NULL, 0, false};
    return true;
}

/* Writes the stripped message (stripped_size accepted it) at *out. Each
 * initializer gets a payload slot, in file order; false only on memory. */
static bool write_stripped(cg_onnx_stripped *s, int level, const uint8_t *p, const uint8_t *end,
                           uint8_t **out)
{
    cg_onnx_field f;
    while (p < end) {
        cg_onnx_next_field(&p, end, &f);
        if (f.number != special_field(level)) {
            memcpy(*out, f.key, (size_t)(f.end - f.key));
            *out += f.end - f.key;
            continue;
        }
        memcpy(*out, f.key, f.key_len);
        *out += f.key_len;
        if (level == LEVEL_TENSOR) {
            s->payloads[s->n_payloads - 1] = (cg_onnx_payload){f.body, (size_t)(f.end - f.body),
                                                               true};
            *out = put_varint(*out, 0);
            continue;
        }
        size_t inner = 0;
        stripped_size(level + 1, f.body, f.end, &inner);
        *out = put_varint(*out, inner);
        if ((level == LEVEL_GRAPH && !add_payload(s)) ||
            !write_stripped(s, level + 1, f.body, f.end, out))
            return false;
    }
    return true;
}

cg_code cg_onnx_strip_weights(const uint8_t *buf, size_t len, cg_onnx_stripped *out)
{
    memset(out, 0, sizeof *out);
    size_t size;
    if (!stripped_size(LEVEL_MODEL, buf, buf + len, &size))
        return CG_ERR_FORMAT;
    uint8_t *at = out->msg = malloc(size ? size : 1);
    if (!out->msg || !write_stripped(out, LEVEL_MODEL, buf, buf + len, &at)) {
        cg_onnx_stripped_free(out);
        return CG_ERR_NOMEM;
    }
    out->len = size;
    return CG_OK;
}

void cg_onnx_stripped_free(cg_onnx_stripped *s)
{
    free(s->msg);
    free(s->payloads);
    memset(s, 0, sizeof *s);
}
