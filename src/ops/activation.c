/* Operator family 'activation': ops whose output has the input's shape and type.
 * One shape function checks the type and copies the shape; Clip and Softmax add
 * their own attribute/input checks in front of it. */
#include <stdbool.h>
#include <string.h>

#include "ops/families.h"

typedef enum dtype_class {
    DTYPES_FLOAT,             /* float16, float, double, bfloat16 */
    DTYPES_FLOAT_AND_SIGNED,  /* ... plus int8, int16, int32, int64 */
    DTYPES_NUMERIC,           /* ... plus every integer type */
} dtype_class;

/* Ops whose type constraint is wider than float types, from the opset that widened it
 * (ONNX operator docs: Relu-14, Clip-12, Erf-9). */
static const struct {
    const char *op_type;
    int since;
    dtype_class accepts;
} WIDER_TYPES[] = {
    {"Relu", 14, DTYPES_FLOAT_AND_SIGNED},
    {"Clip", 12, DTYPES_NUMERIC},
    {"Erf", 9, DTYPES_NUMERIC},
};

static dtype_class accepted_types(const cg_infer_ctx *c)
{
    for (size_t i = 0; i < sizeof WIDER_TYPES / sizeof WIDER_TYPES[0]; i++)
        if (strcmp(WIDER_TYPES[i].op_type, c->node->op_type) == 0 && c->opset >= WIDER_TYPES[i].since)
            return WIDER_TYPES[i].accepts;
    return DTYPES_FLOAT;
}

static bool dtype_in_class(cg_dtype t, dtype_class cls)
{
    bool is_signed = t == CG_INT8 || t == CG_INT16 || t == CG_INT32 || t == CG_INT64;
    switch (cls) {
    case DTYPES_FLOAT_AND_SIGNED: return cg_dtype_is_float(t) || is_signed;
    case DTYPES_NUMERIC: return cg_dtype_is_float(t) || cg_dtype_is_int(t);
    default: return cg_dtype_is_float(t);
    }
}

/* The shared shape function: Y has X's shape and type. */
static cg_code infer_unary(cg_infer_ctx *c)
{
    cg_code rc = cg_ctx_require_inputs(c, 1);
    if (rc != CG_OK)
        return rc;
    const cg_value *x = cg_ctx_in(c, 0);
    dtype_class cls = accepted_types(c);
    static const char *const class_names[] = {"float", "float or signed integer", "numeric"};
    if (x->dtype != CG_UNDEFINED && !dtype_in_class(x->dtype, cls))
        return cg_ctx_fail(c, "input '%s' has type %s; opset %lld accepts %s types", x->name,
                           cg_dtype_name(x->dtype), (long long)c->opset, class_names[cls]);
    c->node->macs = 0;
    cg_ctx_set_out(c, 0, x->dtype, &x->shape);
    return CG_OK;
}

/* Clip-11+ bounds are optional inputs: scalars ("tensor of empty shape") of X's type. */
static cg_code check_clip_bound(cg_infer_ctx *c, int i, const char *what)
{
    const cg_value *x = cg_ctx_in(c, 0), *b = cg_ctx_in(c, i);
    if (!b)
        return CG_OK;
    if (b->shape.rank > 0) {
        char s[128];
        cg_shape_format(&b->shape, s, sizeof s);
        return cg_ctx_fail(c, "%s '%s' must be a scalar, got shape %s", what, b->name, s);
    }
    if (x->dtype != CG_UNDEFINED && b->dtype != CG_UNDEFINED && b->dtype != x->dtype)
        return cg_ctx_fail(c, "%s '%s' (%s) must have the input's type %s", what, b->name,
                           cg_dtype_name(b->dtype), cg_dtype_name(x->dtype));
    return CG_OK;
}

/* Clip-1/6 take min/max as attributes, Clip-11+ as optional inputs (ONNX Clip docs). */
static cg_code infer_clip(cg_infer_ctx *c)
{
    cg_code rc = cg_ctx_require_inputs(c, 1);
    if (rc != CG_OK)
        return rc;
    if (c->opset < 11 && c->node->n_inputs > 1)
        return cg_ctx_fail(c, "takes min/max as attributes before opset 11, got %d inputs", c->node->n_inputs);
    if (c->opset >= 11 && c->node->n_inputs > 3)
        return cg_ctx_fail(c, "takes at most 3 inputs (input, min, max), got %d", c->node->n_inputs);
    rc = check_clip_bound(c, 1, "min");
    if (rc == CG_OK)
        rc = check_clip_bound(c, 2, "max");
    return rc == CG_OK ? infer_unary(c) : rc;
}

/* Softmax/LogSoftmax axis: default 1 before opset 13, -1 from 13; range [-r, r-1]
 * (ONNX Softmax-11/13 docs). */
static cg_code infer_softmax(cg_infer_ctx *c)
{
    cg_code rc = cg_ctx_require_inputs(c, 1);
    if (rc != CG_OK)
        return rc;
    int rank = cg_ctx_in(c, 0)->shape.rank, axis;
    if (rank >= 0) {
        rc = cg_ctx_axis(c, cg_attr_int(c->node, "axis", c->opset >= 13 ? -1 : 1), rank, &axis);
        if (rc != CG_OK)
            return rc;
    }
    return infer_unary(c);
}

/* One entry per since-version (ONNX operator docs, opsets up to 17). */
const cg_op_def cg_ops_activation[] = {
    {"", "Relu", 1, infer_unary},          {"", "Relu", 6, infer_unary},
    {"", "Relu", 13, infer_unary},         {"", "Relu", 14, infer_unary},
    {"", "LeakyRelu", 1, infer_unary},     {"", "LeakyRelu", 6, infer_unary},
    {"", "LeakyRelu", 16, infer_unary},    {"", "Elu", 1, infer_unary},
    {"", "Elu", 6, infer_unary},           {"", "Selu", 1, infer_unary},
    {"", "Selu", 6, infer_unary},          {"", "Sigmoid", 1, infer_unary},
    {"", "Sigmoid", 6, infer_unary},       {"", "Sigmoid", 13, infer_unary},
    {"", "HardSigmoid", 1, infer_unary},   {"", "HardSigmoid", 6, infer_unary},
    {"", "HardSwish", 14, infer_unary},    {"", "Tanh", 1, infer_unary},
    {"", "Tanh", 6, infer_unary},          {"", "Tanh", 13, infer_unary},
    {"", "Clip", 1, infer_clip},           {"", "Clip", 6, infer_clip},
    {"", "Clip", 11, infer_clip},          {"", "Clip", 12, infer_clip},
    {"", "Clip", 13, infer_clip},          {"", "Sqrt", 1, infer_unary},
    {"", "Sqrt", 6, infer_unary},          {"", "Sqrt", 13, infer_unary},
    {"", "Erf", 9, infer_unary},           {"", "Erf", 13, infer_unary},
    {"", "Softmax", 1, infer_softmax},     {"", "Softmax", 11, infer_softmax},
    {"", "Softmax", 13, infer_softmax},    {"", "LogSoftmax", 1, infer_softmax},
    {"", "LogSoftmax", 11, infer_softmax}, {"", "LogSoftmax", 13, infer_softmax},
    {NULL, NULL, 0, NULL},
};
