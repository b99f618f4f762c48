/* Operator family 'norm': BatchNormalization and InstanceNormalization (ONNX,
 * channels first). Y has X's shape; per-channel operands must be [C]. */
#include "ops/families.h"
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

/* Versions from the ONNX operator docs: BatchNormalization 1, 6, 7, 9, 14, 15;
 * InstanceNormalization 1, 6, 22. */
const cg_op_def cg_ops_norm[] = {
    {"", "BatchNormalization", 1, infer_batch_norm},
    {"", "BatchNormalization", 6, infer_batch_norm},
    {"", "BatchNormalization", 7, infer_batch_norm},
    {"", "BatchNormalization", 9, infer_batch_norm},
    {"", "BatchNormalization", 14, infer_batch_norm},
    {"", "BatchNormalization", 15, infer_batch_norm},
    {"", "InstanceNormalization", 1, infer_instance_norm},
    {"", "InstanceNormalization", 6, infer_instance_norm},
    {"", "InstanceNormalization", 22, infer_instance_norm},
    {NULL, NULL, 0, NULL},
};
