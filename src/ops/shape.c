/* Operator family 'shape': tensor-manipulation ops whose outputs are rearranged
 * inputs. Their shape functions also evaluate small int64 "shape subgraphs"
 * (element by element, symbols included) so exported models keep static shapes.
 * This file holds the registry table and the ops that pass a tensor through:
 * Identity, Dropout, Cast, Shape. The others live in shape_*.c. */
#include <math.h>
#include <string.h>

#include "ops/families.h"
#include "ops/shape_internal.h"

/* Passes input 0's int vector (a scalar or 1-D value whose elements are known as
 * dims) to output 0 as dtype dt. */
static cg_code pass_dimvals(cg_infer_ctx *c, const cg_value *in, cg_dtype dt)
{
    cg_dim d[SHAPE_MAX_VALS];
    int n = 0;
    bool vector = in->shape.rank == 0 || in->shape.rank == 1;
    if (vector && cg_ctx_in_dimvals(c, 0, d, &n, SHAPE_MAX_VALS))
        return shape_set_out_vals(c, 0, dt, in->shape.rank == 0, d, n);
    return CG_OK;
}

/* Passes input 0's known contents or int vector through to output 0 unchanged. */
static cg_code pass_through(cg_infer_ctx *c, const cg_value *in)
{
    const cg_tensor *t = cg_ctx_in_data(c, 0);
    if (t && t->numel <= SHAPE_MAX_VALS)
        return shape_fold_reshape(c, 0, t, &in->shape);
    return pass_dimvals(c, in, in->dtype);
}

/* ONNX Identity-1/13/14/16: output = input. */
cg_code shape_infer_identity(cg_infer_ctx *c)
{
    cg_code rc = cg_ctx_require_inputs(c, 1);
    if (rc != CG_OK)
        return rc;
    const cg_value *in = cg_ctx_in(c, 0);
    c->node->macs = 0;
    cg_ctx_set_out(c, 0, in->dtype, &in->shape);
    return pass_through(c, in);
}

/* ONNX Dropout: output like data; the optional mask is T before opset 10 and bool
 * from 10 ("T1: Constrain output mask types to boolean tensors"). From 12 the ratio
 * is an input: "ratio ... It should be in the range of [0, 1)". */
cg_code shape_infer_dropout(cg_infer_ctx *c)
{
    cg_code rc = cg_ctx_require_inputs(c, 1);
    if (rc != CG_OK)
        return rc;
    const cg_value *in = cg_ctx_in(c, 0);
    const cg_tensor *ratio = c->opset >= 12 ? cg_ctx_in_data(c, 1) : NULL;
    if (ratio && ratio->numel == 1) {
        double r = cg_tensor_get_f64(ratio, 0);
        if (!(r >= 0 && r < 1))
            return cg_ctx_fail(c, "ratio %g is outside [0, 1)", r);
    }
    c->node->macs = 0;
    cg_ctx_set_out(c, 0, in->dtype, &in->shape);
    cg_ctx_set_out(c, 1, c->opset >= 10 ? CG_BOOL : in->dtype, &in->shape);
    return CG_OK;
}

/* Cast-1 names the type as a string: a TensorProto.DataType enum name. */
static bool parse_type_name(const char *s, cg_dtype *out)
{
    static const char *const names[CG_DTYPE_COUNT] = {
        "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING",
        "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
    };
    for (int k = 1; k < CG_DTYPE_COUNT; k++)
        if (strcmp(s, names[k]) == 0) {
            *out = (cg_dtype)k;
            return true;
        }
    return false;
}

/* The `to` attribute: a string in Cast-1, an int from Cast-6. Complex types are not
 * in Cast's T2; string joined at 9, bfloat16 at 13 (ONNX Cast version history). */
static cg_code cast_target(cg_infer_ctx *c, cg_dtype *to)
{
    const cg_attr *a = cg_node_attr(c->node, "to");
    if (!a)
        return cg_ctx_fail(c, "missing required attribute 'to'");
    if (c->opset < 6) {
        if (a->type != CG_ATTR_STRING || !a->s || !parse_type_name(a->s, to))
            return cg_ctx_fail(c, "attribute 'to' must name a TensorProto type such as \"FLOAT\"");
    } else {
        if (a->type != CG_ATTR_INT || a->i <= 0 || a->i >= CG_DTYPE_COUNT)
            return cg_ctx_fail(c, "attribute 'to' must be a TensorProto data type code, got %lld",
                               (long long)a->i);
        *to = (cg_dtype)a->i;
    }
    bool ok = *to != CG_COMPLEX64 && *to != CG_COMPLEX128 &&
              (*to != CG_STRING || c->opset >= 9) && (*to != CG_BFLOAT16 || c->opset >= 13);
    if (!ok)
        return cg_ctx_fail(c, "cannot cast to %s at opset %lld", cg_dtype_name(*to),
                           (long long)c->opset);
    return CG_OK;
}

/* Float to integer is only folded when every value converts exactly enough to
 * be meaningful: finite and inside int64 (ONNX leaves overflow undefined). */
static bool cast_foldable(const cg_tensor *t, cg_dtype to)
{
    if (cg_dtype_size(t->dtype) == 0 || cg_dtype_size(to) == 0 || t->dtype == CG_BFLOAT16)
        return false;
    if (!cg_dtype_is_float(t->dtype) || cg_dtype_is_float(to) || to == CG_BOOL)
        return true;
    for (int64_t k = 0; k < t->numel; k++) {
        double v = cg_tensor_get_f64(t, k);
        if (!isfinite(v) || fabs(v) >= 9.2e18)
            return false;
    }
    return true;
}

static cg_code cast_fold(cg_infer_ctx *c, const cg_tensor *t, cg_dtype to)
{
    cg_tensor *out = cg_tensor_new(to, t->rank, t->dims, c->st);
    if (!out)
        return c->st ? c->st->code : CG_ERR_NOMEM;
    bool ints = !cg_dtype_is_float(t->dtype) && !cg_dtype_is_float(to);
    for (int64_t k = 0; k < t->numel; k++) {
        if (ints)
            cg_tensor_set_i64(out, k, cg_tensor_get_i64(t, k));
        else
            cg_tensor_set_f64(out, k, cg_tensor_get_f64(t, k));
    }
    cg_ctx_set_out_data(c, 0, out);
    return CG_OK;
}

/* ONNX Cast-1/6/9/13: same shape, dtype from `to`. Integer to integer keeps an
 * int vector's elements (shape subgraphs cast int64 <-> int32). */
cg_code shape_infer_cast(cg_infer_ctx *c)
{
    cg_dtype to = CG_UNDEFINED;
    cg_code rc = cg_ctx_require_inputs(c, 1);
    if (rc == CG_OK)
        rc = cast_target(c, &to);
    if (rc != CG_OK)
        return rc;
    const cg_value *in = cg_ctx_in(c, 0);
    c->node->macs = 0;
    cg_ctx_set_out(c, 0, to, &in->shape);
    const cg_tensor *t = cg_ctx_in_data(c, 0);
    if (t && t->numel <= SHAPE_MAX_VALS && cast_foldable(t, to))
        return cast_fold(c, t, to);
    bool int_to_int = cg_dtype_is_int(in->dtype) && cg_dtype_is_int(to);
    return int_to_int && !t ? pass_dimvals(c, in, to) : CG_OK;
}

/* The dims Shape returns, [*start, *end) of a rank-r input: from Shape-15 the
 * start/end attributes, negative ones counting from the back, both clamped to
 * [0, r]; the whole shape before. Shared by inference and the kernel. */
static void shape_slice_range(const cg_node *n, int64_t opset, int64_t r, int64_t *start,
                              int64_t *end)
{
    int64_t s = 0, e = r;
    if (opset >= 15) {
        s = cg_attr_int(n, "start", 0);
        e = cg_attr_int(n, "end", r);
    }
    s = s < 0 ? s + r : s;
    e = e < 0 ? e + r : e;
    *start = s < 0 ? 0 : s > r ? r : s;
    *end = e < *start ? *start : e > r ? r : e;
}

/* ONNX Shape-15: "Optional attributes start and end can be used to compute a slice
 * of the input tensor's shape"; negative values count from the back and both are
 * clamped to [0, r]. Shape-1/13 return the whole shape. */
cg_code shape_infer_shape(cg_infer_ctx *c)
{
    cg_code rc = cg_ctx_require_inputs(c, 1);
    if (rc != CG_OK)
        return rc;
    const cg_value *in = cg_ctx_in(c, 0);
    int r = in->shape.rank;
    c->node->macs = 0;
    if (r < 0) {
        cg_shape s = cg_shape_unknown();
        s.rank = 1;
        s.d[0] = cg_dim_unknown();
        cg_ctx_set_out(c, 0, CG_INT64, &s);
        return CG_OK;
    }
    int64_t start, end;
    shape_slice_range(c->node, c->opset, r, &start, &end);
    return shape_set_out_vals(c, 0, CG_INT64, false, in->shape.d + start, (int)(end - start));
}

/* ---- kernels ---- */

/* Dropout at inference: "the output Y will be equal to the input data" and the
 * mask is all ones. From Dropout-12, training_mode=true with a ratio above 0 is a
 * random op no reference can reproduce. */
cg_code shape_run_dropout(cg_run_ctx *c)
{
    const cg_tensor *ratio = c->opset >= 12 ? cg_run_in(c, 1) : NULL;
    const cg_tensor *train = c->opset >= 12 ? cg_run_in(c, 2) : NULL;
    double r = ratio && ratio->numel > 0 ? shape_tensor_get_f64(ratio, 0) : 0.5;
    if (train && train->numel > 0 && shape_tensor_get_i64(train, 0) != 0 && r != 0)
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "training-mode dropout (ratio %g) is random", r);
    cg_code rc = shape_run_copy(c);
    cg_tensor *mask = cg_run_out(c, 1);
    for (int64_t k = 0; rc == CG_OK && mask && k < mask->numel; k++)
        cg_tensor_set_i64(mask, k, 1);
    return rc;
}

/* Integer/bool to integer/bool goes through int64 (wrapping like a C cast); any
 * float side goes through double. Float to integer for NaN, inf or out-of-range
 * values is undefined in the ONNX Cast spec: cg_tensor_set_f64 clamps (NaN to 0)
 * so it never crashes. Float to bool is v != 0 (NaN is true, as numpy). */
cg_code shape_run_cast(cg_run_ctx *c)
{
    const cg_tensor *in = cg_run_in(c, 0);
    cg_tensor *out = cg_run_out(c, 0);
    if (!in || !out || out->numel != in->numel)
        return cg_run_fail(c, CG_ERR_INVALID, "output does not match the input's shape");
    bool bad = cg_dtype_size(in->dtype) == 0 || cg_dtype_size(out->dtype) == 0 ||
               in->dtype == CG_COMPLEX64 || in->dtype == CG_COMPLEX128;
    if (bad)
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "casting %s to %s is not supported",
                           cg_dtype_name(in->dtype), cg_dtype_name(out->dtype));
    bool ints = !cg_dtype_is_float(in->dtype) && !cg_dtype_is_float(out->dtype);
    for (int64_t k = 0; k < in->numel; k++) {
        if (ints)
            cg_tensor_set_i64(out, k, shape_tensor_get_i64(in, k));
        else
            cg_tensor_set_f64(out, k, shape_tensor_get_f64(in, k));
    }
    return CG_OK;
}

/* Shape: the input's dims as int64, sliced by start/end from Shape-15 (clamped to
 * [0, r] as in shape_infer_shape). */
cg_code shape_run_shape(cg_run_ctx *c)
{
    const cg_tensor *in = cg_run_in(c, 0);
    cg_tensor *out = cg_run_out(c, 0);
    if (!in || !out || out->dtype != CG_INT64)
        return cg_run_fail(c, CG_ERR_INVALID, "needs an input and an int64 output");
    int64_t start, end;
    shape_slice_range(c->node, c->opset, in->rank, &start, &end);
    if (out->numel != end - start)
        return cg_run_fail(c, CG_ERR_INVALID, "output has %lld elements, expected %lld",
                           (long long)out->numel, (long long)(end - start));
    for (int64_t k = start; k < end; k++)
        ((int64_t *)out->data)[k - start] = in->dims[k];
    return CG_OK;
}

/* One entry per ONNX since-version up to opset 17 (onnx 1.12 operator history); one
 * function per op reads ctx->opset where attributes moved to inputs. */
const cg_op_def cg_ops_shape[] = {
    {"", "Cast", 1, shape_infer_cast, shape_run_cast},
    {"", "Cast", 6, shape_infer_cast, shape_run_cast},
    {"", "Cast", 9, shape_infer_cast, shape_run_cast},
    {"", "Cast", 13, shape_infer_cast, shape_run_cast},
    {"", "Concat", 1, shape_infer_concat, shape_run_concat},
    {"", "Concat", 4, shape_infer_concat, shape_run_concat},
    {"", "Concat", 11, shape_infer_concat, shape_run_concat},
    {"", "Concat", 13, shape_infer_concat, shape_run_concat},
    {"", "Constant", 1, shape_infer_constant, shape_run_constant},
    {"", "Constant", 9, shape_infer_constant, shape_run_constant},
    {"", "Constant", 11, shape_infer_constant, shape_run_constant},
    {"", "Constant", 12, shape_infer_constant, shape_run_constant},
    {"", "Constant", 13, shape_infer_constant, shape_run_constant},
    {"", "ConstantOfShape", 9, shape_infer_constant_of_shape, shape_run_constant_of_shape},
    {"", "Dropout", 1, shape_infer_dropout, shape_run_dropout},
    {"", "Dropout", 6, shape_infer_dropout, shape_run_dropout},
    {"", "Dropout", 7, shape_infer_dropout, shape_run_dropout},
    {"", "Dropout", 10, shape_infer_dropout, shape_run_dropout},
    {"", "Dropout", 12, shape_infer_dropout, shape_run_dropout},
    {"", "Dropout", 13, shape_infer_dropout, shape_run_dropout},
    {"", "Expand", 8, shape_infer_expand, shape_run_expand},
    {"", "Expand", 13, shape_infer_expand, shape_run_expand},
    {"", "Flatten", 1, shape_infer_flatten, shape_run_copy},
    {"", "Flatten", 9, shape_infer_flatten, shape_run_copy},
    {"", "Flatten", 11, shape_infer_flatten, shape_run_copy},
    {"", "Flatten", 13, shape_infer_flatten, shape_run_copy},
    {"", "Gather", 1, shape_infer_gather, shape_run_gather},
    {"", "Gather", 11, shape_infer_gather, shape_run_gather},
    {"", "Gather", 13, shape_infer_gather, shape_run_gather},
    {"", "Identity", 1, shape_infer_identity, shape_run_copy},
    {"", "Identity", 13, shape_infer_identity, shape_run_copy},
    {"", "Identity", 14, shape_infer_identity, shape_run_copy},
    {"", "Identity", 16, shape_infer_identity, shape_run_copy},
    {"", "Pad", 1, shape_infer_pad, shape_run_pad},
    {"", "Pad", 2, shape_infer_pad, shape_run_pad},
    {"", "Pad", 11, shape_infer_pad, shape_run_pad},
    {"", "Pad", 13, shape_infer_pad, shape_run_pad},
    {"", "Reshape", 1, shape_infer_reshape, shape_run_copy},
    {"", "Reshape", 5, shape_infer_reshape, shape_run_copy},
    {"", "Reshape", 13, shape_infer_reshape, shape_run_copy},
    {"", "Reshape", 14, shape_infer_reshape, shape_run_copy},
    {"", "Shape", 1, shape_infer_shape, shape_run_shape},
    {"", "Shape", 13, shape_infer_shape, shape_run_shape},
    {"", "Shape", 15, shape_infer_shape, shape_run_shape},
    {"", "Slice", 1, shape_infer_slice, shape_run_slice},
    {"", "Slice", 10, shape_infer_slice, shape_run_slice},
    {"", "Slice", 11, shape_infer_slice, shape_run_slice},
    {"", "Slice", 13, shape_infer_slice, shape_run_slice},
    {"", "Split", 1, shape_infer_split, shape_run_split},
    {"", "Split", 2, shape_infer_split, shape_run_split},
    {"", "Split", 11, shape_infer_split, shape_run_split},
    {"", "Split", 13, shape_infer_split, shape_run_split},
    {"", "Squeeze", 1, shape_infer_squeeze, shape_run_copy},
    {"", "Squeeze", 11, shape_infer_squeeze, shape_run_copy},
    {"", "Squeeze", 13, shape_infer_squeeze, shape_run_copy},
    {"", "Transpose", 1, shape_infer_transpose, shape_run_transpose},
    {"", "Transpose", 13, shape_infer_transpose, shape_run_transpose},
    {"", "Unsqueeze", 1, shape_infer_unsqueeze, shape_run_copy},
    {"", "Unsqueeze", 11, shape_infer_unsqueeze, shape_run_copy},
    {"", "Unsqueeze", 13, shape_infer_unsqueeze, shape_run_copy},
    {NULL, NULL, 0, NULL, NULL},
};
