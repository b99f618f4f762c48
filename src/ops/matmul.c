/* Operator family 'matmul': Gemm and MatMul. */
#include "ops/families.h"
#include "ops/window_attrs.h"

/* Fails unless a and b (when both defined) are the same dtype. Gemm and MatMul
 * take float and, from opset 9, (u)int32/64 for T; A and B must agree. */
static cg_code require_same_dtype(cg_infer_ctx *c, const char *an, cg_dtype a,
                                  const char *bn, cg_dtype b)
{
    if (a == CG_UNDEFINED || b == CG_UNDEFINED || a == b)
        return CG_OK;
    return cg_ctx_fail(c, "%s is %s but %s is %s", an, cg_dtype_name(a), bn, cg_dtype_name(b));
}

static cg_code inner_dims_differ(cg_infer_ctx *c, const cg_shape *a, const cg_shape *b,
                                 cg_dim ka, cg_dim kb, const char *note)
{
    char as[128], bs[128];
    cg_shape_format(a, as, sizeof as);
    cg_shape_format(b, bs, sizeof bs);
    return cg_ctx_fail(c, "A is %s but B is %s%s: inner dims %lld and %lld differ", as, bs,
                       note, (long long)ka.v, (long long)kb.v);
}

static bool dims_conflict(cg_dim a, cg_dim b)
{
    return cg_dim_is_known(a) && cg_dim_is_known(b) && a.v != b.v;
}

/* ---- Gemm ---- */

static cg_code require_matrix(cg_infer_ctx *c, const char *name, const cg_shape *s)
{
    if (s->rank < 0 || s->rank == 2)
        return CG_OK;
    return cg_ctx_fail(c, "input %s has rank %d but Gemm takes matrices (rank 2)", name,
                       s->rank);
}

static cg_dim matrix_dim(const cg_shape *s, int i)
{
    return s->rank == 2 ? s->d[i] : cg_dim_unknown();
}

/* ONNX Gemm-7+: C is "unidirectional broadcastable" to [M, N]; Gemm-1/6 with
 * broadcast=0 wants exactly [M, N]. */
static cg_code check_gemm_c(cg_infer_ctx *c, const cg_shape *y)
{
    const cg_value *cv = cg_ctx_in(c, 2);
    if (!cv || cv->shape.rank < 0)
        return CG_OK;
    bool exact = c->opset < 7 && cg_attr_int(c->node, "broadcast", 0) == 0;
    const cg_shape *cs = &cv->shape;
    bool ok = cs->rank <= 2 && (!exact || cs->rank == 2);
    for (int i = 0; ok && i < cs->rank; i++) {
        cg_dim d = cs->d[i], t = y->d[2 - cs->rank + i];
        ok = !dims_conflict(d, t) || (!exact && d.v == 1);
    }
    if (ok)
        return require_same_dtype(c, "A", cg_ctx_in(c, 0)->dtype, "C", cv->dtype);
    char cstr[128], ystr[128];
    cg_shape_format(cs, cstr, sizeof cstr);
    cg_shape_format(y, ystr, sizeof ystr);
    return cg_ctx_fail(c, "C of shape %s does not %s the output %s", cstr,
                       exact ? "equal (broadcast=0)" : "broadcast to", ystr);
}

static cg_code read_gemm_attrs(cg_infer_ctx *c, bool *trans_a, bool *trans_b)
{
    cg_code rc = CG_OK;
    if (c->opset >= 7 && cg_node_attr(c->node, "broadcast")) /* Gemm-7 dropped it */
        rc = cg_ctx_fail(c, "attribute 'broadcast' is not part of Gemm from opset 7 on");
    if (rc == CG_OK)
        rc = cg_op_read_flag(c, "transA", false, trans_a);
    if (rc == CG_OK)
        rc = cg_op_read_flag(c, "transB", false, trans_b);
    return rc;
}

static cg_code infer_gemm(cg_infer_ctx *c)
{
    bool ta = false, tb = false;
    /* C became optional in Gemm-11 */
    cg_code rc = cg_ctx_require_inputs(c, c->opset < 11 ? 3 : 2);
    if (rc == CG_OK)
        rc = read_gemm_attrs(c, &ta, &tb);
    const cg_value *a = cg_ctx_in(c, 0), *b = cg_ctx_in(c, 1);
    if (rc == CG_OK)
        rc = require_same_dtype(c, "A", a->dtype, "B", b->dtype);
    if (rc == CG_OK)
        rc = require_matrix(c, "A", &a->shape);
    if (rc == CG_OK)
        rc = require_matrix(c, "B", &b->shape);
    if (rc != CG_OK)
        return rc;
    /* Y = alpha * A' * B' + beta * C with A' [M, K] and B' [K, N] */
    cg_dim m = matrix_dim(&a->shape, ta), ka = matrix_dim(&a->shape, !ta);
    cg_dim kb = matrix_dim(&b->shape, tb), n = matrix_dim(&b->shape, !tb);
    if (dims_conflict(ka, kb))
        return inner_dims_differ(c, &a->shape, &b->shape, ka, kb,
                                 ta || tb ? " (after transA/transB)" : "");
    cg_shape y = {.rank = 2, .d = {m, n}};
    rc = check_gemm_c(c, &y);
    if (rc != CG_OK)
        return rc;
    c->node->macs = cg_macs_mul(cg_macs_mul(cg_macs_mul(1, m), n), cg_dim_is_known(ka) ? ka : kb);
    cg_ctx_set_out(c, 0, a->dtype, &y);
    return CG_OK;
}

/* ---- MatMul: numpy.matmul semantics (ONNX MatMul "behaves like numpy.matmul") ---- */

/* The leading (batch) dims of an operand of rank >= 2; none for 1-D. */
static cg_shape batch_of(const cg_shape *s)
{
    cg_shape b = {.rank = s->rank > 2 ? s->rank - 2 : 0};
    for (int i = 0; i < b.rank; i++)
        b.d[i] = s->d[i];
    return b;
}

static cg_code infer_matmul(cg_infer_ctx *c)
{
    cg_code rc = cg_ctx_require_inputs(c, 2);
    if (rc != CG_OK)
        return rc;
    const cg_value *a = cg_ctx_in(c, 0), *b = cg_ctx_in(c, 1);
    const cg_shape *as = &a->shape, *bs = &b->shape;
    rc = require_same_dtype(c, "A", a->dtype, "B", b->dtype);
    if (rc == CG_OK && (as->rank == 0 || bs->rank == 0))
        rc = cg_ctx_fail(c, "input %s is a scalar; MatMul needs rank 1 or more",
                         as->rank == 0 ? "A" : "B");
    if (rc != CG_OK)
        return rc;
    c->node->macs = -1;
    if (as->rank < 0 || bs->rank < 0) {
        cg_shape unknown = cg_shape_unknown();
        cg_ctx_set_out(c, 0, a->dtype, &unknown);
        return CG_OK;
    }
    /* numpy: a 1-D A is promoted to [1, K] and a 1-D B to [K, 1]; the added dim
     * is removed from the result again. */
    cg_dim m = as->rank >= 2 ? as->d[as->rank - 2] : cg_dim_known(1);
    cg_dim ka = as->d[as->rank - 1];
    cg_dim kb = bs->rank >= 2 ? bs->d[bs->rank - 2] : bs->d[0];
    cg_dim n = bs->rank >= 2 ? bs->d[bs->rank - 1] : cg_dim_known(1);
    if (dims_conflict(ka, kb))
        return inner_dims_differ(c, as, bs, ka, kb, "");
    cg_shape ba = batch_of(as), bb = batch_of(bs), y;
    rc = cg_ctx_broadcast(c, &ba, &bb, &y);
    if (rc != CG_OK)
        return rc;
    int64_t macs = cg_macs_mul(cg_macs_mul(cg_macs_mul(1, m), n), cg_dim_is_known(ka) ? ka : kb);
    for (int i = 0; i < y.rank; i++)
        macs = cg_macs_mul(macs, y.d[i]);
    if (as->rank >= 2)
        y.d[y.rank++] = m;
    if (bs->rank >= 2)
        y.d[y.rank++] = n;
    c->node->macs = macs;
    cg_ctx_set_out(c, 0, a->dtype, &y);
    return CG_OK;
}

/* Versions from the ONNX operator docs: Gemm 1, 6, 7, 9, 11, 13; MatMul 1, 9, 13. */
const cg_op_def cg_ops_matmul[] = {
    {"", "Gemm", 1, infer_gemm},
    {"", "Gemm", 6, infer_gemm},
    {"", "Gemm", 7, infer_gemm},
    {"", "Gemm", 9, infer_gemm},
    {"", "Gemm", 11, infer_gemm},
    {"", "Gemm", 13, infer_gemm},
    {"", "MatMul", 1, infer_matmul},
    {"", "MatMul", 9, infer_matmul},
    {"", "MatMul", 13, infer_matmul},
    {NULL, NULL, 0, NULL},
};
