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

/* Decodes a TensorProto (raw_data, any typed field, or external data found
 * relative to base_dir; base_dir NULL refuses external data). STRING tensors
 * fail with CG_ERR_UNSUPPORTED. NULL with st filled on error. The tensor takes
 * over t's raw_data buffer (t->raw_data is left empty). */
cg_tensor *cg_onnx_tensor_decode(Onnx__TensorProto *t, const char *source,
                                 const char *base_dir, const char *what, cg_status *st);

/* Maps an ONNX elem_type / data_type code to cg_dtype; false if out of range. */
bool cg_onnx_dtype(int32_t code, cg_dtype *out);

/* Checks that buf nests messages of `desc` at most CG_ONNX_MAX_NESTING deep.
 * Malformed wire data is left for protobuf-c to reject; false only on depth. */
bool cg_onnx_nesting_ok(const ProtobufCMessageDescriptor *desc, const uint8_t *buf,
                        size_t len);

/* Reads exactly len bytes at offset (retrying short reads and EINTR); false on
 * an error or an early end of file. */
bool cg_pread_all(int fd, unsigned char *buf, size_t len, int64_t offset);

/* Folder part of a path ("." when it has none); malloc'd, NULL on failure. */
char *cg_path_dirname(const char *path);

#endif
