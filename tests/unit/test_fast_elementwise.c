/* The float32 fast paths of the elementwise kernels (src/ops/fast_elementwise.h)
 * against the reference kernels: random configurations run in a FAST and a
 * REFERENCE session of one graph and must agree within 1e-6 + 1e-5 * |ref|
 * (exp-based ops: 1e-6 + 2e-6 * |ref|); NaN matches NaN, inf the same inf.
 * Covered: every fast unary op and Clip (shapes up to 50000 elements, values up
 * to +-100 with some NaN and inf), Add/Sub/Mul/Div/Max/Min for each broadcast
 * case (equal shapes, scalar, channel vector, and others that fall back) in
 * both operand orders, from a graph input and in place (after a Neg whose
 * output dies there), BatchNormalization, and the channels-last (cg.layout
 * NHWC) binary ops and BatchNormalization through
 *   X -> Relayout(to=NHWC) -> OP(cg.layout=NHWC) -> Relayout(to=NCHW) -> Y
 * in FAST and REFERENCE sessions against the plain NCHW graph. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "convgraph/convgraph.h"
#include "support/graph_build.h"

static uint64_t rng = 20261130;
static int n_passed, n_failed;

static int64_t draw(int64_t lo, int64_t hi) /* uniform in [lo, hi] */
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + (int64_t)((rng >> 33) % (uint64_t)(hi - lo + 1));
}

static float draw_float(float lo, float hi) { return lo + (hi - lo) * (float)draw(0, 1 << 24) / (float)(1 << 24); }

/* Mostly [-4, 4], some up to +-100, about 1 in 200 NaN or +-inf; sometimes 0. */
static float draw_value(void)
{
    int64_t k = draw(0, 999);
    if (k < 2)
        return NAN;
    if (k < 5)
        return k == 3 ? INFINITY : -INFINITY;
    if (k < 20)
        return 0.0f;
    return k < 200 ? draw_float(-100, 100) : draw_float(-4, 4);
}

static cg_tensor *random_tensor(int rank, const int64_t *dims)
{
    cg_tensor *t = gb_tensor(CG_FLOAT, rank, dims, NULL);
    float *f = t->data;
    for (int64_t i = 0; i < t->numel; i++)
        f[i] = draw_value();
    return t;
}

/* rank 1..4 dims with at most max_numel elements (sometimes 0). */
static int random_dims(int64_t *dims, int64_t max_numel)
{
    int rank = (int)draw(1, 4);
    int64_t numel = 1;
    for (int d = 0; d < rank; d++) {
        int64_t limit = max_numel / numel;
        dims[d] = draw(0, 30) == 0 ? 0 : draw(1, limit < 1 ? 1 : (limit > 64 ? 64 : limit));
        numel *= dims[d] > 0 ? dims[d] : 1;
    }
    return rank;
}

/* ---- running and comparing ---- */

/* Output 0 of g (sorted and inferred) run on inputs X0.. in a session of kind
 * k; NULL with the status in st when the run fails. */
static cg_tensor *run_session(cg_graph *g, cg_tensor *const *x, int n_in, cg_kernel_choice k,
                              cg_status *st)
{
    static const char *const names[] = {"X0", "X1"};
    cg_named_tensor in[2], *out = NULL;
    for (int i = 0; i < n_in; i++) {
        in[i].name = (char *)names[i];
        in[i].tensor = x[i];
    }
    cg_run_options o = {k, 2}; /* two threads: the fast loops split their work */
    cg_session *s = cg_session_new(g, &o, st);
    int n_out = 0;
    assert_non_null(s);
    cg_code rc = cg_session_run(s, in, n_in, &out, &n_out, st);
    cg_session_free(s);
    if (rc != CG_OK)
        return NULL;
    cg_tensor *y = out[0].tensor;
    out[0].tensor = NULL;
    cg_named_tensors_free(out, n_out);
    return y;
}

static bool close_enough(float f, float r, double rtol)
{
    if (isnan(f) || isnan(r))
        return isnan(f) && isnan(r);
    return f == r || fabs((double)f - r) <= 1e-6 + rtol * fabs((double)r);
}

static bool tensors_agree(const cg_tensor *f, const cg_tensor *r, double rtol, const char *what)
{
    bool ok = f && r && f->rank == r->rank && f->numel == r->numel;
    for (int d = 0; ok && d < f->rank; d++)
        ok = f->dims[d] == r->dims[d];
    if (!ok) {
        printf("%s: missing output or dims differ\n", what);
        return false;
    }
    for (int64_t i = 0; i < f->numel; i++) {
        float a = ((const float *)f->data)[i], b = ((const float *)r->data)[i];
        if (!close_enough(a, b, rtol)) {
            printf("%s: element %lld: %.9g (fast) vs %.9g (reference)\n", what, (long long)i, a, b);
            return false;
        }
    }
    return true;
}

static void count(bool ok)
{
    if (ok)
        n_passed++;
    else
        n_failed++;
}

/* One configuration: g (and, when given, the NCHW graph plain) on x; the
 * reference is plain's REFERENCE run, else g's; g runs FAST (and REFERENCE
 * too when it is channels-last). Frees the graphs. */
static void check_graphs(cg_graph *g, cg_graph *plain, cg_tensor *const *x, int n_in, double rtol,
                         const char *what)
{
    cg_status st = {0};
    gb_sort_and_infer(g);
    if (plain)
        gb_sort_and_infer(plain);
    cg_tensor *ref = run_session(plain ? plain : g, x, n_in, CG_KERNELS_REFERENCE, &st);
    assert_non_null(ref);
    for (int k = 0; k < (plain ? 2 : 1); k++) {
        cg_tensor *y = run_session(g, x, n_in, k ? CG_KERNELS_REFERENCE : CG_KERNELS_FAST, &st);
        if (!y)
            printf("%s: %s\n", what, st.msg);
        count(tensors_agree(y, ref, rtol, what));
        cg_tensor_free(y);
    }
    cg_tensor_free(ref);
    cg_graph_free(g);
    if (plain)
        cg_graph_free(plain);
}

static void report(void)
{
    printf("%d passed, %d failed\n", n_passed, n_failed);
    assert_int_equal(n_failed, 0);
}

/* ---- unary ops and Clip ---- */

static const struct {
    const char *op;
    bool uses_exp;
} UNARY[] = {
    {"Relu", false}, {"LeakyRelu", false}, {"Elu", true},   {"Sigmoid", true},    {"HardSigmoid", false},
    {"HardSwish", false}, {"Tanh", true},  {"Exp", true},   {"Neg", false},       {"Abs", false},
    {"Sqrt", false}, {"Reciprocal", false},
};

/* X0 -> [Neg ->] OP: after Neg the op's input is an intermediate that dies
 * there, which a FAST session overwrites in place. */
static const char *maybe_negate(cg_graph *g, bool in_place)
{
    if (!in_place)
        return "X0";
    gb_node(g, NULL, "Neg", "X0", "T");
    return "T";
}

static cg_graph *unary_graph(const char *op, int rank, const int64_t *dims, bool in_place)
{
    cg_graph *g = gb_graph(14);
    gb_float_input(g, "X0", rank, dims, NULL);
    cg_node *n = gb_node(g, NULL, op, maybe_negate(g, in_place), "Y");
    if (strcmp(op, "LeakyRelu") == 0 || strcmp(op, "Elu") == 0 || strcmp(op, "HardSigmoid") == 0)
        if (draw(0, 2) > 0)
            gb_attr_float(n, "alpha", draw_float(-2, 2));
    if (strcmp(op, "HardSigmoid") == 0 && draw(0, 2) > 0)
        gb_attr_float(n, "beta", draw_float(-1, 1));
    gb_output(g, "Y");
    return g;
}

static void unary_case(size_t op)
{
    int64_t dims[4];
    int rank = random_dims(dims, draw(0, 3) == 0 ? 50000 : 2000);
    cg_tensor *x = random_tensor(rank, dims);
    char what[64];
    bool in_place = draw(0, 1);
    snprintf(what, sizeof what, "%s%s", UNARY[op].op, in_place ? " in place" : "");
    check_graphs(unary_graph(UNARY[op].op, rank, dims, in_place), NULL, &x, 1, UNARY[op].uses_exp ? 2e-6 : 1e-5,
                 what);
    cg_tensor_free(x);
}

static void add_scalar_initializer(cg_graph *g, const char *name, float v)
{
    gb_initializer(g, name, gb_tensor(CG_FLOAT, 0, NULL, &v));
}

/* Clip-13 with each bound present or not (lo > hi sometimes), or Clip-6 with
 * attributes. */
static cg_graph *clip_graph(int rank, const int64_t *dims, bool in_place)
{
    bool legacy = draw(0, 3) == 0, has_lo = draw(0, 2) > 0, has_hi = draw(0, 2) > 0;
    cg_graph *g = gb_graph(legacy ? 6 : 13);
    gb_float_input(g, "X0", rank, dims, NULL);
    const char *in = maybe_negate(g, in_place);
    float lo = draw_float(-50, 10), hi = draw_float(-10, 50);
    char ins[32];
    snprintf(ins, sizeof ins, "%s,%s,%s", in, has_lo && !legacy ? "lo" : "", has_hi && !legacy ? "hi" : "");
    if (!legacy && has_lo)
        add_scalar_initializer(g, "lo", lo);
    if (!legacy && has_hi)
        add_scalar_initializer(g, "hi", hi);
    cg_node *n = gb_node(g, NULL, "Clip", legacy ? in : ins, "Y");
    if (legacy && has_lo)
        gb_attr_float(n, "min", lo);
    if (legacy && has_hi)
        gb_attr_float(n, "max", hi);
    gb_output(g, "Y");
    return g;
}

static void clip_case(void)
{
    int64_t dims[4];
    int rank = random_dims(dims, 20000);
    cg_tensor *x = random_tensor(rank, dims);
    check_graphs(clip_graph(rank, dims, draw(0, 1)), NULL, &x, 1, 1e-5, "Clip");
    cg_tensor_free(x);
}

static void test_unary(void **state)
{
    for (int i = 0; i < 50; i++)
        for (size_t op = 0; op < sizeof UNARY / sizeof UNARY[0]; op++)
            unary_case(op);
    for (int i = 0; i < 80; i++)
        clip_case();
    report();
}

/* ---- binary ops ---- */

static const char *const BINARY[] = {"Add", "Sub", "Mul", "Div", "Max", "Min"};

typedef enum bcast_case { CASE_FULL, CASE_SCALAR, CASE_CHANNEL, CASE_OTHER, N_CASES } bcast_case;

/* The other operand's dims for output dims out[4] (rank 4): equal, a scalar
 * of rank 0..4, a channel vector [N|1,C,1,1] or [C,1,1], or something else
 * ([1,1,H,W], [W], [N,1,H,W]) the fast path leaves to the reference. */
static int operand_dims(bcast_case k, const int64_t *out, int64_t *d)
{
    int rank;
    switch (k) {
    case CASE_FULL: memcpy(d, out, 4 * sizeof *d); return 4;
    case CASE_SCALAR:
        rank = (int)draw(0, 4);
        for (int i = 0; i < rank; i++)
            d[i] = 1;
        return rank;
    case CASE_CHANNEL:
        rank = (int)draw(3, 4);
        d[0] = out[0];
        d[rank - 3] = out[1];
        d[rank - 2] = d[rank - 1] = 1;
        if (rank == 4 && draw(0, 1))
            d[0] = 1;
        return rank;
    default:
        memcpy(d, out, 4 * sizeof *d);
        d[draw(0, 1) ? 0 : 1] = 1;
        if (draw(0, 1))
            d[1] = 1;
        return draw(0, 3) == 0 ? (d[0] = out[3], 1) : 4;
    }
}

static void random_nchw(int64_t *d, int64_t max_numel)
{
    d[0] = draw(1, 3);
    d[1] = draw(1, 40);
    d[2] = draw(1, 40);
    d[3] = draw(1, 40);
    while (d[0] * d[1] * d[2] * d[3] > max_numel)
        d[draw(1, 3)] = 1;
}

/* Full operand "X0" (through Neg when in place) op other "X1", or the other
 * way round when swapped; the swapped form's input 0 is a graph input. */
static cg_graph *binary_graph(const char *op, const cg_tensor *full, const cg_tensor *other, bool swap,
                              bool in_place)
{
    cg_graph *g = gb_graph(14);
    gb_float_input(g, "X0", full->rank, full->dims, NULL);
    gb_float_input(g, "X1", other->rank, other->dims, NULL);
    const char *a = maybe_negate(g, in_place);
    char ins[16];
    snprintf(ins, sizeof ins, swap ? "X1,%s" : "%s,X1", a);
    gb_node(g, NULL, op, ins, "Y");
    gb_output(g, "Y");
    return g;
}

static void binary_case(const char *op, bcast_case k)
{
    int64_t out[4], od[4];
    random_nchw(out, draw(0, 3) == 0 ? 50000 : 5000);
    int orank = operand_dims(k, out, od);
    cg_tensor *x[2] = {random_tensor(4, out), random_tensor(orank, od)};
    bool swap = draw(0, 1), in_place = draw(0, 1);
    char what[64];
    snprintf(what, sizeof what, "%s case %d%s%s", op, (int)k, swap ? " swapped" : "", in_place ? " in place" : "");
    check_graphs(binary_graph(op, x[0], x[1], swap, in_place), NULL, x, 2, 1e-5, what);
    cg_tensor_free(x[0]);
    cg_tensor_free(x[1]);
}

static void test_binary(void **state)
{
    for (int i = 0; i < 12; i++)
        for (int op = 0; op < 6; op++)
            for (int k = 0; k < N_CASES; k++)
                binary_case(BINARY[op], (bcast_case)k);
    report();
}

/* ---- channels-last ---- */

static void add_relayout(cg_graph *g, const char *in, const char *out, const char *to)
{
    const char *ins[1] = {in}, *outs[1] = {out};
    cg_node *n = gb_node_in_domain(g, NULL, "Relayout", "convgraph", 1, ins, 1, outs);
    gb_attr_str(n, "to", to);
}

/* X0 [and X1] -> OP -> Y, or with nhwc: each rank-4 input through
 * Relayout(to=NHWC), OP with cg.layout NHWC, Relayout(to=NCHW) to Y. Inputs
 * X0, X1 of x; initializers come from add_init. */
static cg_graph *layout_graph(bool nhwc, const char *op, int64_t opset, cg_tensor *const *x, int n_in,
                              void (*add_init)(cg_graph *, const void *), const void *cfg, const char *more)
{
    cg_status st = {0};
    cg_graph *g = gb_graph(opset);
    assert_int_equal(cg_graph_add_opset(g, "convgraph", 1, &st), CG_OK);
    char ins[64] = "";
    for (int i = 0; i < n_in; i++) {
        char name[4], moved[4];
        snprintf(name, sizeof name, "X%d", i);
        snprintf(moved, sizeof moved, "R%d", i);
        gb_float_input(g, name, x[i]->rank, x[i]->dims, NULL);
        bool move = nhwc && x[i]->rank == 4;
        if (move)
            add_relayout(g, name, moved, "NHWC");
        snprintf(ins + strlen(ins), sizeof ins - strlen(ins), "%s%s", i ? "," : "", move ? moved : name);
    }
    if (add_init)
        add_init(g, cfg);
    snprintf(ins + strlen(ins), sizeof ins - strlen(ins), "%s", more ? more : "");
    cg_node *n = gb_node(g, NULL, op, ins, nhwc ? "Z" : "Y");
    if (nhwc) {
        gb_attr_str(n, "cg.layout", "NHWC");
        add_relayout(g, "Z", "Y", "NCHW");
    }
    gb_output(g, "Y");
    return g;
}

static void nhwc_binary_case(const char *op, bcast_case k)
{
    int64_t out[4], od[4];
    random_nchw(out, 20000);
    int orank = operand_dims(k, out, od);
    cg_tensor *full = random_tensor(4, out), *other = random_tensor(orank, od);
    bool swap = draw(0, 1);
    cg_tensor *x[2] = {swap ? other : full, swap ? full : other};
    char what[64];
    snprintf(what, sizeof what, "NHWC %s case %d%s", op, (int)k, swap ? " swapped" : "");
    cg_graph *nhwc = layout_graph(true, op, 14, x, 2, NULL, NULL, NULL);
    check_graphs(nhwc, layout_graph(false, op, 14, x, 2, NULL, NULL, NULL), x, 2, 1e-5, what);
    cg_tensor_free(full);
    cg_tensor_free(other);
}

/* Ops without a channels-last kernel still run on equal shapes and scalars,
 * where the storage order does not matter. */
static const char *const ORDER_BLIND_ONLY[] = {"Sum", "Mean", "Pow"};

static void test_nhwc_binary(void **state)
{
    for (int i = 0; i < 12; i++) {
        for (int op = 0; op < 6; op++)
            for (int k = CASE_FULL; k <= CASE_CHANNEL; k++)
                nhwc_binary_case(BINARY[op], (bcast_case)k);
        for (int op = 0; op < 3; op++)
            for (int k = CASE_FULL; k <= CASE_SCALAR; k++)
                nhwc_binary_case(ORDER_BLIND_ONLY[op], (bcast_case)k);
    }
    report();
}

/* Any other broadcast under cg.layout NHWC fails, naming the layout. */
static void test_nhwc_binary_refusal(void **state)
{
    int64_t out[4] = {1, 3, 4, 5}, od[4] = {1, 1, 4, 5};
    cg_tensor *x[2] = {random_tensor(4, out), random_tensor(4, od)};
    for (int k = 0; k < 2; k++) {
        cg_graph *g = layout_graph(true, "Add", 14, x, 2, NULL, NULL, NULL);
        cg_status st = {0};
        gb_sort_and_infer(g);
        assert_null(run_session(g, x, 2, k ? CG_KERNELS_REFERENCE : CG_KERNELS_FAST, &st));
        assert_int_equal(st.code, CG_ERR_UNSUPPORTED);
        assert_non_null(strstr(st.msg, "NHWC"));
        cg_graph_free(g);
    }
    cg_tensor_free(x[0]);
    cg_tensor_free(x[1]);
}

/* ---- BatchNormalization ---- */

typedef struct bn_cfg {
    int64_t channels;
    float epsilon;
} bn_cfg;

/* Moderate statistics, as trained networks have: |t| stays small, so the
 * float rounding of s and t stays within the tolerance. */
static void add_bn_operands(cg_graph *g, const void *p)
{
    const bn_cfg *cfg = p;
    static const char *const names[] = {"scale", "B", "mean", "var"};
    static const float lo[] = {-2, -1, -1, 0.05f}, hi[] = {2, 1, 1, 2};
    for (int i = 0; i < 4; i++) {
        cg_tensor *t = gb_tensor(CG_FLOAT, 1, &cfg->channels, NULL);
        for (int64_t c = 0; c < cfg->channels; c++)
            ((float *)t->data)[c] = draw_float(lo[i], hi[i]);
        gb_initializer(g, names[i], t);
    }
}

static cg_tensor *bn_input(int rank, const int64_t *dims)
{
    cg_tensor *x = gb_tensor(CG_FLOAT, rank, dims, NULL);
    for (int64_t i = 0; i < x->numel; i++)
        ((float *)x->data)[i] = draw(0, 500) == 0 ? NAN : draw_float(-4, 4);
    return x;
}

static cg_graph *bn_graph(bool nhwc, int64_t opset, cg_tensor *x, const bn_cfg *cfg)
{
    cg_graph *g =
        layout_graph(nhwc, "BatchNormalization", opset, &x, 1, add_bn_operands, cfg, ",scale,B,mean,var");
    gb_attr_float((cg_node *)gb_node_named(g, nhwc ? "Z" : "Y"), "epsilon", cfg->epsilon);
    return g;
}

static void bn_case(bool nhwc)
{
    int64_t dims[5], opset = (int64_t[]){9, 14, 15}[draw(0, 2)];
    int rank = nhwc ? 4 : (int)draw(2, 5);
    random_nchw(dims, 20000);
    if (rank == 5)
        dims[4] = draw(1, 3);
    if (rank == 2)
        dims[1] = draw(1, 64);
    bn_cfg cfg = {dims[1], draw(0, 1) ? 1e-5f : draw_float(1e-6f, 1e-2f)};
    cg_tensor *x = bn_input(rank, dims);
    uint64_t seed = rng; /* both graphs draw the same operands */
    cg_graph *g = bn_graph(nhwc, opset, x, &cfg);
    rng = seed;
    cg_graph *plain = bn_graph(false, opset, x, &cfg);
    char what[64];
    snprintf(what, sizeof what, "%sBatchNormalization-%lld rank %d", nhwc ? "NHWC " : "", (long long)opset, rank);
    if (nhwc) {
        check_graphs(g, plain, &x, 1, 1e-5, what);
    } else { /* the NCHW graph against itself: FAST vs REFERENCE */
        cg_graph_free(plain);
        check_graphs(g, NULL, &x, 1, 1e-5, what);
    }
    cg_tensor_free(x);
}

static void test_batch_norm(void **state)
{
    for (int i = 0; i < 100; i++)
        bn_case(false);
    for (int i = 0; i < 60; i++)
        bn_case(true);
    report();
}

/* Training mode has no channels-last kernel: the run fails, naming it. */
static void test_nhwc_batch_norm_refusal(void **state)
{
    int64_t dims[4] = {1, 3, 4, 5};
    bn_cfg cfg = {3, 1e-5f};
    cg_tensor *x = bn_input(4, dims);
    for (int k = 0; k < 2; k++) {
        cg_graph *g = bn_graph(true, 15, x, &cfg);
        gb_attr_int((cg_node *)gb_node_named(g, "Z"), "training_mode", 1);
        cg_status st = {0};
        gb_sort_and_infer(g);
        assert_null(run_session(g, &x, 1, k ? CG_KERNELS_REFERENCE : CG_KERNELS_FAST, &st));
        assert_int_equal(st.code, CG_ERR_UNSUPPORTED);
        assert_non_null(strstr(st.msg, "training_mode"));
        cg_graph_free(g);
    }
    cg_tensor_free(x);
}

int main(void)
{
    cg_run_parallel_cap_grain(7); /* even small cases run split across the two threads */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unary),       cmocka_unit_test(test_binary),
        cmocka_unit_test(test_nhwc_binary), cmocka_unit_test(test_nhwc_binary_refusal),
        cmocka_unit_test(test_batch_norm),  cmocka_unit_test(test_nhwc_batch_norm_refusal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
