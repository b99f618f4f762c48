/* Operator family 'matmul': Gemm and MatMul. */
#include "ops/broadcast.h"
#include "ops/elem_convert.h"
#include "convgraph/runtime.h"
#include "ops/families.h"
#include "runtime/fast_gemm.h"
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


/* ---- kernels ---- */

/* One [M, K] x [K, N] product; the strides express transposition (a[i, k] sits
 * at i*a_row + k*a_col). */
typedef struct mm_geom {
    int64_t m, n, k;
    int64_t a_row, a_col, b_row, b_col;
} mm_geom;

/* Sums are kept in double for float types; integer sums in uint64_t, which wraps
 * like two's-complement hardware instead of overflowing into undefined behaviour.
 * float16 elements are IEEE half bits, widened on load and rounded on store
 * (ops/elem_convert.h). */
#define DEFINE_MATMUL_LOOP(name, T, ACC, load, store)                                         \
    static void name(const mm_geom *g, const void *av, const void *bv, void *yv)             \
    {                                                                                         \
        const T *a = av, *b = bv;                                                             \
        T *y = yv;                                                                            \
        for (int64_t i = 0; i < g->m; i++)                                                    \
            for (int64_t j = 0; j < g->n; j++) {                                              \
                ACC acc = 0;                                                                  \
                for (int64_t k = 0; k < g->k; k++)                                            \
                    acc += (ACC)load(a[i * g->a_row + k * g->a_col]) *                        \
                           (ACC)load(b[k * g->b_row + j * g->b_col]);                         \
                y[i * g->n + j] = store(T, acc);                                              \
            }                                                                                 \
    }
DEFINE_MATMUL_LOOP(matmul_f32, float, double, AS_IS, CAST_TO)
DEFINE_MATMUL_LOOP(matmul_f64, double, double, AS_IS, CAST_TO)
DEFINE_MATMUL_LOOP(matmul_f16, uint16_t, double, cg_half_to_float, HALF_TO)
DEFINE_MATMUL_LOOP(matmul_i32, int32_t, uint64_t, AS_IS, CAST_TO)
DEFINE_MATMUL_LOOP(matmul_i64, int64_t, uint64_t, AS_IS, CAST_TO)
DEFINE_MATMUL_LOOP(matmul_u32, uint32_t, uint64_t, AS_IS, CAST_TO)
DEFINE_MATMUL_LOOP(matmul_u64, uint64_t, uint64_t, AS_IS, CAST_TO)

typedef void (*matmul_loop)(const mm_geom *, const void *, const void *, void *);

static matmul_loop find_matmul_loop(cg_dtype t)
{
    switch (t) {
    case CG_FLOAT: return matmul_f32;
    case CG_DOUBLE: return matmul_f64;
    case CG_INT32: return matmul_i32;
    case CG_INT64: return matmul_i64;
    case CG_UINT32: return matmul_u32;
    case CG_UINT64: return matmul_u64;
    case CG_FLOAT16: return matmul_f16;
    default: return NULL;
    }
}

static cg_code check_operands(cg_run_ctx *c, const cg_tensor *a, const cg_tensor *b, const cg_tensor *y,
                              matmul_loop *loop)
{
    if (!a || !b || !y)
        return cg_run_fail(c, CG_ERR_INVALID, "missing input or output");
    if (a->dtype != b->dtype || y->dtype != a->dtype)
        return cg_run_fail(c, CG_ERR_INVALID, "A, B and Y must share a type");
    *loop = find_matmul_loop(a->dtype);
    if (!*loop)
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "%s inputs are not supported", cg_dtype_name(a->dtype));
    return CG_OK;
}

/* Y = alpha * A' * B' + beta * C, C broadcast to [M, N] (ONNX Gemm). Float types
 * only: alpha and beta are float attributes, which integer Gemm would have to round
 * in a way the spec leaves open. */
static cg_code gemm_add_c(cg_run_ctx *c, cg_tensor *y, double alpha, double beta)
{
    const cg_tensor *ct = cg_run_in(c, 2);
    cg_bcast map;
    if (ct && ct->dtype != y->dtype)
        return cg_run_fail(c, CG_ERR_INVALID, "C must have A's type");
    if (ct && !cg_bcast_init_numpy(&map, y, ct))
        return cg_run_fail(c, CG_ERR_INVALID, "C does not broadcast to [M, N]");
    for (int64_t e = 0; e < y->numel; e++) {
        double v = alpha * cg_tensor_get_f64(y, e);
        if (ct)
            v += beta * cg_tensor_get_f64(ct, cg_bcast_index(&map, e));
        if (y->dtype == CG_FLOAT)
            ((float *)y->data)[e] = (float)v;
        else if (y->dtype == CG_DOUBLE)
            ((double *)y->data)[e] = v;
        else
            ((uint16_t *)y->data)[e] = cg_float_to_half((float)v);
    }
    return CG_OK;
}

static cg_code run_gemm(cg_run_ctx *c)
{
    const cg_tensor *a = cg_run_in(c, 0), *b = cg_run_in(c, 1);
    cg_tensor *y = cg_run_out(c, 0);
    matmul_loop loop;
    cg_code rc = check_operands(c, a, b, y, &loop);
    if (rc != CG_OK)
        return rc;
    if (!cg_dtype_is_float(a->dtype) || a->dtype == CG_BFLOAT16) /* alpha, beta are floats */
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "%s inputs are not supported", cg_dtype_name(a->dtype));
    if (a->rank != 2 || b->rank != 2 || y->rank != 2)
        return cg_run_fail(c, CG_ERR_INVALID, "A, B and Y must be matrices");
    bool ta = cg_attr_int(c->node, "transA", 0) != 0, tb = cg_attr_int(c->node, "transB", 0) != 0;
    mm_geom g = {.m = y->dims[0], .n = y->dims[1], .k = a->dims[ta ? 0 : 1]};
    if (a->dims[ta ? 1 : 0] != g.m || b->dims[tb ? 0 : 1] != g.n || b->dims[tb ? 1 : 0] != g.k)
        return cg_run_fail(c, CG_ERR_INVALID, "A, B and Y sizes do not agree");
    g.a_row = ta ? 1 : g.k;
    g.a_col = ta ? g.m : 1;
    g.b_row = tb ? 1 : g.n;
    g.b_col = tb ? g.k : 1;
    bool fast = c->opts && c->opts->kernels == CG_KERNELS_FAST && a->dtype == CG_FLOAT &&
                cg_fast_sgemm(c, ta, tb, g.m, g.n, g.k, a->data, b->data, y->data);
    if (!fast)
        loop(&g, a->data, b->data, y->data);
    return gemm_add_c(c, y, cg_attr_float(c->node, "alpha", 1.0f), cg_attr_float(c->node, "beta", 1.0f));
}

/* numpy.matmul: a 1-D A is [1, K], a 1-D B is [K, 1] (the added dim is not in Y);
 * the batch dims (all but the last two) broadcast. */
typedef struct matmul_plan {
    mm_geom g;
    int batch_rank;
    cg_bcast a_batch, b_batch;
    int64_t batches;
} matmul_plan;

static bool plan_matmul(const cg_tensor *a, const cg_tensor *b, const cg_tensor *y, matmul_plan *p)
{
    if (a->rank < 1 || b->rank < 1)
        return false;
    int ra = a->rank >= 2 ? a->rank - 2 : 0, rb = b->rank >= 2 ? b->rank - 2 : 0;
    p->g.m = a->rank >= 2 ? a->dims[a->rank - 2] : 1;
    p->g.k = a->dims[a->rank - 1];
    p->g.n = b->rank >= 2 ? b->dims[b->rank - 1] : 1;
    int64_t kb = b->rank >= 2 ? b->dims[b->rank - 2] : b->dims[0];
    p->batch_rank = y->rank - (a->rank >= 2) - (b->rank >= 2);
    if (kb != p->g.k || p->batch_rank < 0 || p->batch_rank < ra || p->batch_rank < rb)
        return false;
    p->g.a_row = p->g.k;
    p->g.a_col = 1;
    p->g.b_row = p->g.n;
    p->g.b_col = 1;
    p->batches = 1;
    for (int d = 0; d < p->batch_rank; d++)
        p->batches *= y->dims[d];
    return cg_bcast_init(&p->a_batch, p->batch_rank, y->dims, ra, a->dims, p->batch_rank - ra) &&
           cg_bcast_init(&p->b_batch, p->batch_rank, y->dims, rb, b->dims, p->batch_rank - rb) &&
           p->batches * p->g.m * p->g.n == y->numel;
}

static cg_code run_matmul(cg_run_ctx *c)
{
    const cg_tensor *a = cg_run_in(c, 0), *b = cg_run_in(c, 1);
    cg_tensor *y = cg_run_out(c, 0);
    matmul_loop loop;
    matmul_plan p;
    cg_code rc = check_operands(c, a, b, y, &loop);
    if (rc != CG_OK)
        return rc;
    if (!plan_matmul(a, b, y, &p))
        return cg_run_fail(c, CG_ERR_INVALID, "A, B and Y shapes do not agree");
    if (y->numel == 0)
        return CG_OK;
    size_t size = cg_dtype_size(a->dtype);
    const char *ad = a->data, *bd = b->data;
    char *yd = y->data;
    for (int64_t bi = 0; bi < p.batches; bi++) {
        int64_t ia = cg_bcast_index(&p.a_batch, bi), ib = cg_bcast_index(&p.b_batch, bi);
        loop(&p.g, ad + (size_t)(ia * p.g.m * p.g.k) * size, bd + (size_t)(ib * p.g.k * p.g.n) * size,
             yd + (size_t)(bi * p.g.m * p.g.n) * size);
    }
    return CG_OK;
}

/* Versions from the ONNX operator docs: Gemm 1, 6, 7, 9, 11, 13; MatMul 1, 9, 13. */
const cg_op_def cg_ops_matmul[] = {
    {"", "Gemm", 1, infer_gemm, run_gemm},
    {"", "Gemm", 6, infer_gemm, run_gemm},
    {"", "Gemm", 7, infer_gemm, run_gemm},
    {"", "Gemm", 9, infer_gemm, run_gemm},
    {"", "Gemm", 11, infer_gemm, run_gemm},
    {"", "Gemm", 13, infer_gemm, run_gemm},
    {"", "MatMul", 1, infer_matmul, run_matmul},
    {"", "MatMul", 9, infer_matmul, run_matmul},
    {"", "MatMul", 13, infer_matmul, run_matmul},
    {NULL, NULL, 0, NULL, NULL},
};
