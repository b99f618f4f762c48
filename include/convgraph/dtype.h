/* Element types, numbered as ONNX TensorProto.DataType so readers map them 1:1. */
#ifndef CONVGRAPH_DTYPE_H
#define CONVGRAPH_DTYPE_H

#include <stdbool.h>
#include <stddef.h>

typedef enum cg_dtype {
    CG_UNDEFINED = 0,
    CG_FLOAT = 1,
    CG_UINT8 = 2,
    CG_INT8 = 3,
    CG_UINT16 = 4,
    CG_INT16 = 5,
    CG_INT32 = 6,
    CG_INT64 = 7,
    CG_STRING = 8,
    CG_BOOL = 9,
    CG_FLOAT16 = 10,
    CG_DOUBLE = 11,
    CG_UINT32 = 12,
    CG_UINT64 = 13,
    CG_COMPLEX64 = 14,
    CG_COMPLEX128 = 15,
    CG_BFLOAT16 = 16,
    CG_DTYPE_COUNT
} cg_dtype;

/* Bytes per element; 0 for UNDEFINED, STRING and unknown codes. */
size_t cg_dtype_size(cg_dtype t);
/* "float32", "int64", ... ; "?" for unknown codes. */
const char *cg_dtype_name(cg_dtype t);
/* Parses "float32"/"float", "int64", ... ; false when unknown. */
bool cg_dtype_parse(const char *s, cg_dtype *out);
bool cg_dtype_is_float(cg_dtype t);
bool cg_dtype_is_int(cg_dtype t);

#endif
