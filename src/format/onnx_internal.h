/* Internals shared by the ONNX reader's files (onnx_read.c, onnx_tensor.c). */
#ifndef CG_FORMAT_ONNX_INTERNAL_H
#define CG_FORMAT_ONNX_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "convgraph/status.h"
#include "convgraph/tensor.h"
#include "onnx.pb-c.h"

/* protobuf caps a message at 2 GiB; larger files cannot be valid ONNX. */
#define CG_ONNX_MAX_FILE_BYTES ((size_t)2 << 30)

/* Deepest nesting of messages accepted before unpacking (graphs inside node
 * attributes, sequence types): protobuf-c unpacks recursively and a crafted
 * file only needs two bytes per level to exhaust the stack. */
#define CG_ONNX_MAX_NESTING 64

/* Checked shape of a TensorProto: dims >= 0, rank <= CG_MAX_RANK, element count
 * and byte size without overflow and within CG_TENSOR_MAX_BYTES, data_type known
 * (STRING passes, with no byte-size check). `what` names
 * the tensor in messages ("initializer 'W'"); errors read "SOURCE: WHAT: ...". */
typedef struct cg_onnx_dims {
    cg_dtype dtype;
    int rank;
    int64_t dims[CG_MAX_RANK];
    int64_t numel;
    size_t nbytes; /* 0 for STRING */
} cg_onnx_dims;

cg_code cg_onnx_tensor_dims(const Onnx__TensorProto *t, const char *source,
                            const char *what, cg_onnx_dims *out, cg_status *st);

/* ---- initializer bytes kept out of protobuf-c (onnx_strip.c, onnx_weights.c) ---- */

/* The protobuf wire format, walked by hand where protobuf-c would copy. */
enum { CG_WIRE_VARINT = 0, CG_WIRE_FIXED64 = 1, CG_WIRE_LEN = 2, CG_WIRE_FIXED32 = 5 };

/* One field as it lies in the buffer: key, then (length-delimited) its length,
 * then the payload [body, end). */
typedef struct cg_onnx_field {
    uint64_t number;
    unsigned wire_type;
    const uint8_t *key;  /* first byte of the key */
    const uint8_t *body; /* first byte of the payload (after the length) */
    const uint8_t *end;
    size_t key_len;      /* bytes of the key alone */
} cg_onnx_field;

/* Reads the field at *p and moves past it; false on malformed data (a cut
 * varint, a length past the end, groups or unknown wire types, field 0). */
bool cg_onnx_next_field(const uint8_t **p, const uint8_t *end, cg_onnx_field *f);

/* Where one initializer's raw_data payload lies in the original buffer. */
typedef struct cg_onnx_payload {
    const uint8_t *data;
    size_t len;
    bool present; /* false: the initializer has no raw_data field */
} cg_onnx_payload;

/* A ModelProto with the raw_data payloads of the main graph's initializers cut
 * out (each raw_data field stays, empty), and one payload per initializer in
 * file order. */
typedef struct cg_onnx_stripped {
    uint8_t *msg; /* malloc'd */
    size_t len;
    cg_onnx_payload *payloads;
    size_t n_payloads, cap_payloads;
} cg_onnx_stripped;

/* CG_ERR_FORMAT: malformed wire data, or a layout protobuf-c should see as it
 * is (the graph or a raw_data field given twice): unpack buf itself then.
 * CG_ERR_NOMEM: out of memory. out is empty unless CG_OK. */
cg_code cg_onnx_strip_weights(const uint8_t *buf, size_t len, cg_onnx_stripped *out);
void cg_onnx_stripped_free(cg_onnx_stripped *s);

/* Storage for payloads: borrowed in place from a mapped file when aligned,
 * else copied into one block. Handed to the graph as its backing. */
typedef struct cg_onnx_weights cg_onnx_weights;
/* map: the model file mapped MAP_PRIVATE, readable and writable, and fd the
 * file open for reading, both owned from here on (released even on failure);
 * NULL and -1 when the bytes belong to a caller (every payload is copied). */
cg_onnx_weights *cg_onnx_weights_new(void *map, size_t map_len, int fd);
/* Sizes the copy block for these initializers; false when out of memory. */
bool cg_onnx_weights_reserve(cg_onnx_weights *w, Onnx__TensorProto *const *tensors,
                             const cg_onnx_payload *payloads, size_t n);
/* Bytes for a tensor whose elements need `align`: in the mapping or a copy;
 * NULL when reading the file fails (or the reservation did not count them). */
void *cg_onnx_weights_place(cg_onnx_weights *w, const uint8_t *bytes, size_t len, size_t align);
/* For commands that need shapes, not weights (cg_onnx_load_shapes_only): from
 * here on large payloads that would need a copy are left unread. */
void cg_onnx_weights_shapes_only(cg_onnx_weights *w);
/* Whether this payload is one of those: its tensor gets no data. */
bool cg_onnx_weights_skips(const cg_onnx_weights *w, const uint8_t *bytes, size_t len, size_t align);
/* Loading is over: closes the file, and unmaps it when no tensor points into it. */
void cg_onnx_weights_loaded(cg_onnx_weights *w);
/* Unmaps everything; for cg_graph.release_backing. */
void cg_onnx_weights_release(void *w);

/* raw_data given outside the message: a payload and where to place it. */
typedef struct cg_onnx_raw {
    const cg_onnx_payload *payload;
    cg_onnx_weights *weights;
} cg_onnx_raw;

/* Decodes a TensorProto (raw_data, any typed field, or external data found
 * relative to base_dir; base_dir NULL refuses external data). STRING tensors
 * fail with CG_ERR_UNSUPPORTED. NULL with st filled on error. raw NULL: the
 * tensor takes over t's raw_data buffer (t->raw_data is left empty); else
 * raw_data's bytes are raw->payload's, and the tensor borrows them from
 * raw->weights. */
cg_tensor *cg_onnx_tensor_decode(Onnx__TensorProto *t, const cg_onnx_raw *raw,
                                 const char *source, const char *base_dir, const char *what,
                                 cg_status *st);

/* Bytes of one scalar component: the alignment a dtype's data needs (complex
 * numbers are two components). */
size_t cg_onnx_component_size(cg_dtype dtype);

/* Maps an ONNX elem_type / data_type code to cg_dtype; false if out of range. */
bool cg_onnx_dtype(int32_t code, cg_dtype *out);

/* Checks that buf nests messages of `desc` at most CG_ONNX_MAX_NESTING deep.
 * Malformed wire data is left for protobuf-c to reject; false only on depth. */
bool cg_onnx_nesting_ok(const ProtobufCMessageDescriptor *desc, const uint8_t *buf,
                        size_t len);

/* Reads exactly len bytes at offset (retrying short reads and EINTR); false on
 * an error or an early end of file. */
bool cg_pread_all(int fd, unsigned char *buf, size_t len, int64_t offset);

/* Maps a whole regular file MAP_PRIVATE, readable and writable (pages are
 * copied on write, never written back), with cg_read_file's checks and
 * messages. An empty file gives *map NULL and *len 0. *fd: the file, left open
 * for the caller to close. */
cg_code cg_map_file(const char *path, size_t max_bytes, void **map, size_t *len, int *fd,
                    cg_status *st);

/* Folder part of a path ("." when it has none); malloc'd, NULL on failure. */
char *cg_path_dirname(const char *path);

#endif
