/* Constant and ConstantOfShape: outputs made from attributes, not from data. */
#include <string.h>

#include "ops/shape_internal.h"

static cg_code nomem(cg_infer_ctx *c) { return c->st ? c->st->code : CG_ERR_NOMEM; }

/* A float32 or int64 tensor of rank 0 (scalar) or 1 from attribute values. */
static cg_tensor *list_tensor(cg_infer_ctx *c, cg_dtype dt, int rank, int n, const float *f,
                              const int64_t *i)
{
    int64_t len = n;
    cg_tensor *t = cg_tensor_new(dt, rank, &len, c->st);
    if (t && n > 0)
        memcpy(t->data, dt == CG_FLOAT ? (const void *)f : (const void *)i, t->nbytes);
    return t;
}

static cg_tensor *clone_value(cg_infer_ctx *c, const cg_attr *a)
{
    if (a->type != CG_ATTR_TENSOR || !a->t) {
        cg_ctx_fail(c, "attribute 'value' is not a tensor");
        return NULL;
    }
    if (cg_dtype_size(a->t->dtype) == 0) {
        cg_ctx_fail_code(c, CG_ERR_UNSUPPORTED, "a %s constant is not supported",
                         cg_dtype_name(a->t->dtype));
        return NULL;
    }
    cg_tensor *t = cg_tensor_clone(a->t, c->st);
    return t;
}

/* ONNX Constant: "Exactly one of the provided attributes, either value,
 * sparse_value, or value_* must be specified" (value_* from opset 12). */
static cg_tensor *constant_tensor(cg_infer_ctx *c, const cg_attr *a)
{
    const char *nm = a->name;
    bool v12 = strncmp(nm, "value_", 6) == 0;
    if (v12 && c->opset < 12) {
        cg_ctx_fail(c, "attribute '%s' needs opset 12, the model imports %lld", nm,
                    (long long)c->opset);
        return NULL;
    }
    if (strcmp(nm, "value") == 0)
        return clone_value(c, a);
    if (strcmp(nm, "value_float") == 0 && a->type == CG_ATTR_FLOAT)
        return list_tensor(c, CG_FLOAT, 0, 1, &a->f, NULL);
    if (strcmp(nm, "value_floats") == 0 && a->type == CG_ATTR_FLOATS)
        return list_tensor(c, CG_FLOAT, 1, a->n, a->floats, NULL);
    if (strcmp(nm, "value_int") == 0 && a->type == CG_ATTR_INT)
        return list_tensor(c, CG_INT64, 0, 1, NULL, &a->i);
    if (strcmp(nm, "value_ints") == 0 && a->type == CG_ATTR_INTS)
        return list_tensor(c, CG_INT64, 1, a->n, NULL, a->ints);
    if (strcmp(nm, "sparse_value") == 0 || strcmp(nm, "value_string") == 0 ||
        strcmp(nm, "value_strings") == 0) {
        cg_ctx_fail_code(c, CG_ERR_UNSUPPORTED, "attribute '%s' is not supported", nm);
        return NULL;
    }
    cg_ctx_fail(c, "attribute '%s' has the wrong type", nm);
    return NULL;
}

static bool is_value_attr(const char *nm)
{
    return strcmp(nm, "value") == 0 || strcmp(nm, "sparse_value") == 0 ||
           strncmp(nm, "value_", 6) == 0;
}

cg_code shape_infer_constant(cg_infer_ctx *c)
{
    const cg_attr *found = NULL;
    int count = 0;
    for (int k = 0; k < c->node->n_attrs; k++)
        if (is_value_attr(c->node->attrs[k].name)) {
            found = &c->node->attrs[k];
            count++;
        }
    if (count != 1)
        return cg_ctx_fail(c, "needs exactly one of value, sparse_value or value_*, found %d",
                           count);
    cg_tensor *t = constant_tensor(c, found);
    if (!t)
        return c->st && c->st->code != CG_OK ? c->st->code : CG_ERR_NOMEM;
    c->node->macs = 0;
    cg_ctx_set_out_data(c, 0, t);
    return CG_OK;
}

/* ConstantOfShape's `value`: "(Optional) The value of the output elements. Should be
 * a one-element tensor. If not specified, it defaults to a tensor of value 0 and
 * datatype float32". */
static cg_code fill_value(cg_infer_ctx *c, const cg_tensor **v)
{
    const cg_attr *a = cg_node_attr(c->node, "value");
    *v = NULL;
    if (!a)
        return CG_OK;
    if (a->type != CG_ATTR_TENSOR || !a->t)
        return cg_ctx_fail(c, "attribute 'value' is not a tensor");
    if (a->t->numel != 1)
        return cg_ctx_fail(c, "attribute 'value' must have one element, it has %lld",
                           (long long)a->t->numel);
    if (cg_dtype_size(a->t->dtype) == 0)
        return cg_ctx_fail_code(c, CG_ERR_UNSUPPORTED, "a %s value is not supported",
                                cg_dtype_name(a->t->dtype));
    *v = a->t;
    return CG_OK;
}

/* The output shape from input 0: dims known element by element, else only the rank
 * (from the input's own length), else nothing. */
static cg_code target_shape(cg_infer_ctx *c, cg_shape *s)
{
    const cg_value *in = cg_ctx_in(c, 0);
    cg_dim d[SHAPE_MAX_VALS];
    int n = 0;
    *s = cg_shape_unknown();
    if (in->shape.rank >= 0 && in->shape.rank != 1)
        return cg_ctx_fail(c, "input must be 1-D, got rank %d", in->shape.rank);
    if (!shape_in_vals(c, 0, d, &n, SHAPE_MAX_VALS)) {
        if (in->shape.rank != 1 || !cg_dim_is_known(in->shape.d[0]))
            return CG_OK;
        int64_t len = in->shape.d[0].v;
        if (len > CG_MAX_RANK)
            return shape_check_rank(c, CG_MAX_RANK + 1);
        n = (int)len;
        for (int k = 0; k < n; k++)
            d[k] = cg_dim_unknown();
    }
    return shape_from_dims(c, d, n, s);
}

static cg_code fill_fold(cg_infer_ctx *c, const cg_shape *s, const cg_tensor *v)
{
    int64_t idx[SHAPE_MAX_VALS] = {0};
    cg_tensor *one = NULL;
    if (!v) { /* default float32 0 */
        one = cg_tensor_new(CG_FLOAT, 0, NULL, c->st);
        if (!one)
            return nomem(c);
        v = one;
    }
    const cg_tensor *srcs[1] = {v};
    cg_code rc = shape_fold_gather(c, 0, s, srcs, NULL, idx);
    cg_tensor_free(one);
    return rc;
}

/* ONNX ConstantOfShape-9: "Generate a tensor with given value and shape". */
cg_code shape_infer_constant_of_shape(cg_infer_ctx *c)
{
    const cg_tensor *v = NULL;
    cg_shape s;
    cg_code rc = cg_ctx_require_inputs(c, 1);
    if (rc == CG_OK)
        rc = fill_value(c, &v);
    if (rc == CG_OK)
        rc = target_shape(c, &s);
    if (rc != CG_OK)
        return rc;
    c->node->macs = 0;
    cg_ctx_set_out(c, 0, v ? v->dtype : CG_FLOAT, &s);
    return fill_fold(c, &s, v);
}

/* ---- kernels ---- */

/* Copies n elements of es bytes from src into out, which must hold exactly them. */
static cg_code copy_exact(cg_run_ctx *c, cg_tensor *out, cg_dtype dt, const void *src, int64_t n)
{
    if (!out || out->dtype != dt || out->numel != n)
        return cg_run_fail(c, CG_ERR_INVALID, "output does not match the constant (%s, %lld elements)",
                           cg_dtype_name(dt), (long long)n);
    if (out->nbytes)
        memcpy(out->data, src, out->nbytes);
    return CG_OK;
}

/* Constant: the one value attribute shape_infer_constant accepted, copied. */
cg_code shape_run_constant(cg_run_ctx *c)
{
    cg_tensor *out = cg_run_out(c, 0);
    for (int k = 0; k < c->node->n_attrs; k++) {
        const cg_attr *a = &c->node->attrs[k];
        if (!is_value_attr(a->name))
            continue;
        if (a->type == CG_ATTR_TENSOR && a->t && cg_dtype_size(a->t->dtype) > 0)
            return copy_exact(c, out, a->t->dtype, a->t->data, a->t->numel);
        if (a->type == CG_ATTR_FLOAT)
            return copy_exact(c, out, CG_FLOAT, &a->f, 1);
        if (a->type == CG_ATTR_FLOATS)
            return copy_exact(c, out, CG_FLOAT, a->floats, a->n);
        if (a->type == CG_ATTR_INT)
            return copy_exact(c, out, CG_INT64, &a->i, 1);
        if (a->type == CG_ATTR_INTS)
            return copy_exact(c, out, CG_INT64, a->ints, a->n);
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "attribute '%s' is not supported", a->name);
    }
    return cg_run_fail(c, CG_ERR_INVALID, "no value attribute");
}

/* ConstantOfShape: every element is the `value` attribute's one element; without it
 * the output stays the zero-filled float32 the executor allocated. */
cg_code shape_run_constant_of_shape(cg_run_ctx *c)
{
    cg_tensor *out = cg_run_out(c, 0);
    const cg_attr *a = cg_node_attr(c->node, "value");
    const cg_tensor *v = a && a->type == CG_ATTR_TENSOR ? a->t : NULL;
    if (!out)
        return cg_run_fail(c, CG_ERR_INVALID, "output is missing");
    if (!v)
        return out->dtype == CG_FLOAT ? CG_OK
                                      : cg_run_fail(c, CG_ERR_INVALID, "output is not float32");
    size_t es = cg_dtype_size(v->dtype);
    if (v->numel != 1 || es == 0 || out->dtype != v->dtype)
        return cg_run_fail(c, CG_ERR_INVALID, "value must be one %s element",
                           cg_dtype_name(out->dtype));
    for (int64_t k = 0; k < out->numel; k++)
        memcpy((uint8_t *)out->data + (size_t)k * es, v->data, es);
    return CG_OK;
}
