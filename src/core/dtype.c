#include "convgraph/dtype.h"

#include <string.h>

typedef struct dtype_info {
    const char *name;
    const char *alias; /* accepted by cg_dtype_parse too */
    size_t size;
} dtype_info;

/* Indexed by cg_dtype (ONNX TensorProto.DataType numbers). */
static const dtype_info k_dtypes[CG_DTYPE_COUNT] = {
    [CG_UNDEFINED] = {"undefined", NULL, 0},
    [CG_FLOAT] = {"float32", "float", 4},
    [CG_UINT8] = {"uint8", NULL, 1},
    [CG_INT8] = {"int8", NULL, 1},
    [CG_UINT16] = {"uint16", NULL, 2},
    [CG_INT16] = {"int16", NULL, 2},
    [CG_INT32] = {"int32", NULL, 4},
    [CG_INT64] = {"int64", NULL, 8},
    [CG_STRING] = {"string", NULL, 0},
    [CG_BOOL] = {"bool", NULL, 1},
    [CG_FLOAT16] = {"float16", "half", 2},
    [CG_DOUBLE] = {"float64", "double", 8},
    [CG_UINT32] = {"uint32", NULL, 4},
    [CG_UINT64] = {"uint64", NULL, 8},
    [CG_COMPLEX64] = {"complex64", NULL, 8},
    [CG_COMPLEX128] = {"complex128", NULL, 16},
    [CG_BFLOAT16] = {"bfloat16", NULL, 2},
};

static bool dtype_valid(cg_dtype t) { return (int)t >= 0 && t < CG_DTYPE_COUNT; }

size_t cg_dtype_size(cg_dtype t) { return dtype_valid(t) ? k_dtypes[t].size : 0; }

const char *cg_dtype_name(cg_dtype t) { return dtype_valid(t) ? k_dtypes[t].name : "?"; }

bool cg_dtype_parse(const char *s, cg_dtype *out)
{
    for (int t = 1; t < CG_DTYPE_COUNT; t++) {
        const dtype_info *d = &k_dtypes[t];
        if (strcmp(s, d->name) == 0 || (d->alias && strcmp(s, d->alias) == 0)) {
            *out = (cg_dtype)t;
            return true;
        }
    }
    return false;
}

bool cg_dtype_is_float(cg_dtype t)
{
    return t == CG_FLOAT || t == CG_DOUBLE || t == CG_FLOAT16 || t == CG_BFLOAT16;
}

bool cg_dtype_is_int(cg_dtype t)
{
    switch (t) {
    case CG_UINT8: case CG_INT8: case CG_UINT16: case CG_INT16:
    case CG_INT32: case CG_INT64: case CG_UINT32: case CG_UINT64:
        return true;
    default:
        return false;
    }
}
