/* Operator family 'norm': BatchNormalization and InstanceNormalization (ONNX,
 * channels first). Y has X's shape; per-channel operands must be [C]. */
#include <math.h>
#include <stdlib.h>

#include "ops/elem_convert.h"
#include "ops/families.h"
#include "ops/fast_elementwise.h"
#include "ops/window_attrs.h"

static const char *const bn_inputs[] = {"X", "scale", "B", "mean", "var"};

/* Fails when the node carries an attribute the op dropped at opset `until`. */
static cg_code refuse_attr_from(cg_infer_ctx *c, const char *attr, int64_t until)
{
    if (c->opset < until || !cg_node_attr(c->node, attr))
        return CG_OK;
    return cg_ctx_fail(c, "attribute '%s' is not part of %s from opset %lld on", attr,
                       c->node->op_type, (long long)until);
}

/* The channel dim: X's dim 1 (onnx BatchNormalization-15 shape inference takes 1
 * for a rank-1 X). */
static cg_dim channels_of(const cg_shape *x)
{
    return x->rank > 1 ? x->d[1] : cg_dim_known(1);
}

/* Fails unless `have` (when its rank is known) matches `want` wherever both
 * dims are known. */
static cg_code check_operand_shape(cg_infer_ctx *c, const char *name, const cg_shape *have,
                                   const cg_shape *want)
{
    char hs[128], ws[128], xs[128];
    if (have->rank < 0 || want->rank < 0)
        return CG_OK;
    bool ok = have->rank == want->rank;
    for (int i = 0; ok && i < have->rank; i++)
        ok = !cg_dim_is_known(have->d[i]) || !cg_dim_is_known(want->d[i]) ||
             have->d[i].v == want->d[i].v;
    if (ok)
        return CG_OK;
    cg_shape_format(have, hs, sizeof hs);
    cg_shape_format(want, ws, sizeof ws);
    cg_shape_format(&cg_ctx_in(c, 0)->shape, xs, sizeof xs);
    return cg_ctx_fail(c, "%s has shape %s but X of shape %s needs %s", name, hs, xs, ws);
}

/* The shape of a per-channel operand: [C], or X.shape[1:] when an old
 * BatchNormalization (before 9) says spatial=0 ("per-activation"). */
static cg_shape stats_shape(const cg_shape *x, bool per_activation)
{
    cg_shape s = {.rank = 1};
    if (x->rank < 0)
        return cg_shape_unknown();
    s.d[0] = channels_of(x);
    if (per_activation && x->rank > 1) {
        s.rank = x->rank - 1;
        for (int i = 1; i < x->rank; i++)
            s.d[i - 1] = x->d[i];
    }
    return s;
}

/* Which inputs must share X's dtype. Before 14 all five are T; BN-14 gives mean and
 * var their own type U; BN-15 splits scale/B (T1) from mean/var (T2). */
static cg_code check_bn_dtypes(cg_infer_ctx *c)
{
    cg_dtype t[5];
    for (int i = 0; i < 5; i++)
        t[i] = cg_ctx_in(c, i)->dtype;
    int scale_ref = c->opset >= 15 ? 1 : 0; /* what scale and B must equal */
    int stat_ref = c->opset >= 14 ? 3 : 0;  /* what mean and var must equal */
    cg_code rc = cg_op_require_float(c, "X", t[0]);
    for (int i = 1; i < 5 && rc == CG_OK; i++) {
        int ref = i < 3 ? scale_ref : stat_ref;
        rc = cg_op_require_same_float(c, bn_inputs[ref], t[ref], bn_inputs[i], t[i]);
    }
    return rc;
}

static cg_code check_bn_attrs(cg_infer_ctx *c, bool *per_activation, bool *training)
{
    bool spatial = true;
    cg_code rc = refuse_attr_from(c, "consumed_inputs", 6);
    if (rc == CG_OK)
        rc = refuse_attr_from(c, "is_test", 7);
    if (rc == CG_OK)
        rc = refuse_attr_from(c, "spatial", 9);
    if (rc == CG_OK)
        rc = cg_op_refuse_attr_before(c, "training_mode", 14);
    if (rc == CG_OK)
        rc = cg_op_read_flag(c, "spatial", true, &spatial);
    if (rc == CG_OK)
        rc = cg_op_read_flag(c, "training_mode", false, training);
    *per_activation = !spatial;
    return rc;
}

/* BN-14/15: running_mean and running_var exist in training mode only. Before 14
 * the four optional statistics outputs (mean, var, saved_mean, saved_var) may be
 * asked for in any mode. All have the per-channel shape. */
static cg_code set_bn_extra_outputs(cg_infer_ctx *c, bool training, const cg_shape *stats)
{
    int n_extra = c->opset >= 14 ? 2 : 4;
    for (int i = 1; i <= n_extra; i++) {
        if (!cg_ctx_out(c, i))
            continue;
        if (c->opset >= 14 && !training)
            return cg_ctx_fail(c, "output %d (%s) exists only with training_mode=1", i,
                               i == 1 ? "running_mean" : "running_var");
        cg_ctx_set_out(c, i, cg_ctx_in(c, c->opset >= 14 ? 3 : 0)->dtype, stats);
    }
    if (c->node->n_outputs > 1 + n_extra)
        return cg_ctx_fail(c, "has %d outputs but at most %d at opset %lld",
                           c->node->n_outputs, 1 + n_extra, (long long)c->opset);
    return CG_OK;
}

static cg_code infer_batch_norm(cg_infer_ctx *c)
{
    bool per_activation = false, training = false;
    cg_code rc = cg_ctx_require_inputs(c, 5);
    if (rc == CG_OK)
        rc = check_bn_attrs(c, &per_activation, &training);
    if (rc == CG_OK)
        rc = check_bn_dtypes(c);
    if (rc != CG_OK)
        return rc;
    const cg_value *x = cg_ctx_in(c, 0);
    if (x->shape.rank == 0)
        return cg_ctx_fail(c, "input X is a scalar but needs at least rank 1");
    cg_shape stats = stats_shape(&x->shape, per_activation);
    for (int i = 1; i < 5 && rc == CG_OK; i++)
        rc = check_operand_shape(c, bn_inputs[i], &cg_ctx_in(c, i)->shape, &stats);
    if (rc == CG_OK)
        rc = set_bn_extra_outputs(c, training, &stats);
    if (rc != CG_OK)
        return rc;
    c->node->macs = 0;
    cg_ctx_set_out(c, 0, x->dtype, &x->shape);
    return CG_OK;
}

/* ONNX InstanceNormalization: input "N x C x D1 x ... x Dn", scale and B of size C. */
static cg_code infer_instance_norm(cg_infer_ctx *c)
{
    cg_code rc = cg_ctx_require_inputs(c, 3);
    if (rc == CG_OK)
        rc = refuse_attr_from(c, "consumed_inputs", 6);
    const cg_value *x = cg_ctx_in(c, 0);
    for (int i = 1; i < 3 && rc == CG_OK; i++)
        rc = cg_op_require_same_float(c, "X", x->dtype, bn_inputs[i], cg_ctx_in(c, i)->dtype);
    if (rc != CG_OK)
        return rc;
    if (x->shape.rank >= 0 && x->shape.rank < 2)
        return cg_ctx_fail(c, "input X has rank %d but needs at least 2 (N, C, ...)",
                           x->shape.rank);
    cg_shape stats = stats_shape(&x->shape, false);
    for (int i = 1; i < 3 && rc == CG_OK; i++)
        rc = check_operand_shape(c, bn_inputs[i], &cg_ctx_in(c, i)->shape, &stats);
    if (rc != CG_OK)
        return rc;
    c->node->macs = 0;
    cg_ctx_set_out(c, 0, x->dtype, &x->shape);
    return CG_OK;
}


/* ---- kernels ---- */

/* X viewed as [N, C, inner]: both ops normalize y = x * a + b with one (a, b) pair
 * per (n, c), where a = scale / sqrt(var + epsilon) and b = B - mean * a. */
typedef struct norm_geom {
    int64_t n, c, inner;
} norm_geom;

/* float16 elements are IEEE half bits: widened to float, rounded back on store. */

#define DEFINE_AFFINE_LOOP(name, T, load, store)                                              \
    static void name(const norm_geom *g, const double *a, const double *b, cg_tensor *out,    \
                     const cg_tensor *in)                                                     \
    {                                                                                         \
        T *o = out->data;                                                                     \
        const T *x = in->data;                                                                \
        for (int64_t nc = 0; nc < g->n * g->c; nc++)                                          \
            for (int64_t i = nc * g->inner; i < (nc + 1) * g->inner; i++)                     \
                o[i] = store(T, load(x[i]) * a[nc] + b[nc]);                                  \
    }
DEFINE_AFFINE_LOOP(affine_f32, float, AS_IS, CAST_TO)
DEFINE_AFFINE_LOOP(affine_f64, double, AS_IS, CAST_TO)
DEFINE_AFFINE_LOOP(affine_f16, uint16_t, cg_half_to_float, HALF_TO)

static cg_code apply_affine(cg_run_ctx *c, const norm_geom *g, const double *a, const double *b)
{
    const cg_tensor *x = cg_run_in(c, 0);
    cg_tensor *y = cg_run_out(c, 0);
    if (y->dtype != x->dtype || y->numel != x->numel)
        return cg_run_fail(c, CG_ERR_INVALID, "output does not match X's type and size");
    if (x->dtype == CG_FLOAT)
        affine_f32(g, a, b, y, x);
    else if (x->dtype == CG_DOUBLE)
        affine_f64(g, a, b, y, x);
    else
        affine_f16(g, a, b, y, x);
    return CG_OK;
}

/* Mean and population variance of channel ch over the n range [n0, n1) and all of
 * inner (numpy x.mean / x.var, as the ONNX reference implementations use). */
static void channel_stats(const cg_tensor *x, const norm_geom *g, int64_t ch, int64_t n0, int64_t n1,
                          double *mean, double *var)
{
    double sum = 0, sq = 0;
    int64_t count = (n1 - n0) * g->inner;
    for (int64_t n = n0; n < n1; n++)
        for (int64_t i = 0; i < g->inner; i++)
            sum += cg_tensor_get_f64(x, (n * g->c + ch) * g->inner + i);
    *mean = count > 0 ? sum / (double)count : 0;
    for (int64_t n = n0; n < n1; n++)
        for (int64_t i = 0; i < g->inner; i++) {
            double d = cg_tensor_get_f64(x, (n * g->c + ch) * g->inner + i) - *mean;
            sq += d * d;
        }
    *var = count > 0 ? sq / (double)count : 0;
}

/* Checks X's dtype, splits it into [N, C, inner] with C = the per-channel operands'
 * size (BatchNormalization with spatial=0 before opset 9 normalizes per activation:
 * its C covers every dim after N), and allocates the coefficient arrays. */
static cg_code norm_setup(cg_run_ctx *c, int n_operands, norm_geom *g, double **a, double **b)
{
    const cg_tensor *x = cg_run_in(c, 0);
    *a = *b = NULL;
    if (!x || !cg_run_out(c, 0))
        return cg_run_fail(c, CG_ERR_INVALID, "missing input or output");
    if (x->dtype != CG_FLOAT && x->dtype != CG_DOUBLE && x->dtype != CG_FLOAT16)
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "%s inputs are not supported", cg_dtype_name(x->dtype));
    g->n = x->rank > 0 ? x->dims[0] : 1;
    g->c = cg_run_in(c, 1) ? cg_run_in(c, 1)->numel : 0;
    for (int i = 1; i < n_operands; i++)
        if (!cg_run_in(c, i) || cg_run_in(c, i)->numel != g->c)
            return cg_run_fail(c, CG_ERR_INVALID, "operand %d does not have %lld elements", i, (long long)g->c);
    if (x->numel == 0)
        return CG_OK;
    if (g->n <= 0 || g->c <= 0 || x->numel % (g->n * g->c) != 0)
        return cg_run_fail(c, CG_ERR_INVALID, "X's size does not split into N x %lld channels", (long long)g->c);
    g->inner = x->numel / (g->n * g->c);
    *a = malloc((size_t)(g->n * g->c) * sizeof **a);
    *b = malloc((size_t)(g->n * g->c) * sizeof **b);
    if (!*a || !*b)
        return cg_run_fail(c, CG_ERR_NOMEM, "out of memory for %lld coefficients", (long long)(g->n * g->c));
    return CG_OK;
}

/* BatchNormalization-14/15 training_mode=1: normalize with the batch statistics and
 * output running_mean = mean * momentum + batch_mean * (1 - momentum), likewise var
 * (ONNX BatchNormalization-15 docs and its reference implementation). */
static cg_code bn_training_stats(cg_run_ctx *c, const norm_geom *g, double *mean, double *var)
{
    double momentum = cg_attr_float(c->node, "momentum", 0.9f);
    const cg_tensor *in_mean = cg_run_in(c, 3), *in_var = cg_run_in(c, 4);
    cg_tensor *run_mean = cg_run_out(c, 1), *run_var = cg_run_out(c, 2);
    for (int64_t ch = 0; ch < g->c; ch++) {
        channel_stats(cg_run_in(c, 0), g, ch, 0, g->n, &mean[ch], &var[ch]);
        double m = cg_tensor_get_f64(in_mean, ch) * momentum + mean[ch] * (1 - momentum);
        double v = cg_tensor_get_f64(in_var, ch) * momentum + var[ch] * (1 - momentum);
        for (int k = 0; k < 2; k++) {
            cg_tensor *t = k == 0 ? run_mean : run_var;
            double val = k == 0 ? m : v;
            if (!t || t->numel != g->c)
                continue;
            if (t->dtype == CG_FLOAT)
                ((float *)t->data)[ch] = (float)val;
            else if (t->dtype == CG_DOUBLE)
                ((double *)t->data)[ch] = val;
            else
                return cg_run_fail(c, CG_ERR_UNSUPPORTED, "%s statistics are not supported", cg_dtype_name(t->dtype));
        }
    }
    return CG_OK;
}

/* Before opset 14 BatchNormalization may also name the training statistics outputs
 * (mean, var, saved_mean, saved_var); their training semantics are not implemented. */
static cg_code refuse_legacy_stat_outputs(cg_run_ctx *c)
{
    for (int i = 1; c->opset < 14 && i < c->n_out; i++)
        if (cg_run_out(c, i))
            return cg_run_fail(c, CG_ERR_UNSUPPORTED,
                               "the training statistics outputs before opset 14 are not supported");
    return CG_OK;
}

/* Per channel: a = scale / sqrt(var + epsilon), b = B - mean * a, copied to every n.
 * On entry, with training set, a and b hold the batch mean and var. */
static void bn_coefficients(cg_run_ctx *c, const norm_geom *g, bool training, double *a, double *b)
{
    double eps = cg_attr_float(c->node, "epsilon", 1e-5f);
    for (int64_t ch = 0; ch < g->c; ch++) {
        double mean = training ? a[ch] : cg_tensor_get_f64(cg_run_in(c, 3), ch);
        double var = training ? b[ch] : cg_tensor_get_f64(cg_run_in(c, 4), ch);
        double k = cg_tensor_get_f64(cg_run_in(c, 1), ch) / sqrt(var + eps);
        double shift = cg_tensor_get_f64(cg_run_in(c, 2), ch) - mean * k;
        for (int64_t n = 0; n < g->n; n++) {
            a[n * g->c + ch] = k;
            b[n * g->c + ch] = shift;
        }
    }
}

/* y = scale * (x - mean) / sqrt(var + epsilon) + B per channel (ONNX BatchNormalization).
 * scale/B and mean/var may have their own float types from opset 14/15: read as double. */
static cg_code run_batch_norm(cg_run_ctx *c)
{
    norm_geom g;
    double *a = NULL, *b = NULL;
    bool training = c->opset >= 14 && cg_attr_int(c->node, "training_mode", 0) != 0;
    if (cg_node_is_nhwc(c->node)) /* channels-last storage: no NCHW kernel to fall back on */
        return cg_nhwc_batch_norm(c);
    if (cg_fast_batch_norm_applies(c))
        return cg_fast_batch_norm(c);
    cg_code rc = refuse_legacy_stat_outputs(c);
    if (rc == CG_OK)
        rc = norm_setup(c, 5, &g, &a, &b);
    if (rc == CG_OK && a && training)
        rc = bn_training_stats(c, &g, a, b);
    if (rc == CG_OK && a) {
        bn_coefficients(c, &g, training, a, b);
        rc = apply_affine(c, &g, a, b);
    }
    free(a);
    free(b);
    return rc;
}

/* y = scale * (x - mean) / sqrt(var + epsilon) + B with mean and (population) var
 * of each instance and channel over the spatial dims (ONNX InstanceNormalization). */
static cg_code run_instance_norm(cg_run_ctx *c)
{
    norm_geom g;
    double *a = NULL, *b = NULL;
    cg_code rc = norm_setup(c, 3, &g, &a, &b);
    if (rc == CG_OK && a) {
        double eps = cg_attr_float(c->node, "epsilon", 1e-5f);
        const cg_tensor *x = cg_run_in(c, 0);
        for (int64_t n = 0; n < g.n; n++)
            for (int64_t ch = 0; ch < g.c; ch++) {
                double mean, var;
                channel_stats(x, &g, ch, n, n + 1, &mean, &var);
                double k = cg_tensor_get_f64(cg_run_in(c, 1), ch) / sqrt(var + eps);
                a[n * g.c + ch] = k;
                b[n * g.c + ch] = cg_tensor_get_f64(cg_run_in(c, 2), ch) - mean * k;
            }
        rc = apply_affine(c, &g, a, b);
    }
    free(a);
    free(b);
    return rc;
}

/* Versions from the ONNX operator docs: BatchNormalization 1, 6, 7, 9, 14, 15;
 * InstanceNormalization 1, 6, 22. */
const cg_op_def cg_ops_norm[] = {
    {"", "BatchNormalization", 1, infer_batch_norm, run_batch_norm},
    {"", "BatchNormalization", 6, infer_batch_norm, run_batch_norm},
    {"", "BatchNormalization", 7, infer_batch_norm, run_batch_norm},
    {"", "BatchNormalization", 9, infer_batch_norm, run_batch_norm},
    {"", "BatchNormalization", 14, infer_batch_norm, run_batch_norm},
    {"", "BatchNormalization", 15, infer_batch_norm, run_batch_norm},
    {"", "InstanceNormalization", 1, infer_instance_norm, run_instance_norm},
    {"", "InstanceNormalization", 6, infer_instance_norm, run_instance_norm},
    {"", "InstanceNormalization", 22, infer_instance_norm, run_instance_norm},
    {NULL, NULL, 0, NULL, NULL},
};
