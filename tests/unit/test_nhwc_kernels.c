/* The channels-last kernels (cg.layout = "NHWC", src/ops/nhwc.h) and the internal
 * op convgraph.Relayout against the plain NCHW reference kernels. Each random
 * configuration builds
 *   A: X -> Relayout(to=NHWC) -> OP(cg.layout=NHWC) -> Relayout(to=NCHW) -> Y
 *   B: X -> OP -> Y
 * runs A (FAST and REFERENCE sessions in turn: the storage decides the kernel, not
 * the mode) and B (REFERENCE), and compares Y: exactly for MaxPool, Concat and
 * Relayout, within 1e-5 + 1e-5 * |ref| for the averages. Configurations shape
 * inference refuses are drawn again, not counted. */
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

static int64_t draw(int64_t lo, int64_t hi) /* uniform in [lo, hi] */
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + (int64_t)((rng >> 33) % (uint64_t)(hi - lo + 1));
}

/* Multiples of 1/16 in [-4, 4]: many ties for the max, exact sums. */
static cg_tensor *random_input(int64_t n, int64_t ch, int64_t h, int64_t w)
{
    int64_t dims[4] = {n, ch, h, w};
    cg_tensor *t = gb_tensor(CG_FLOAT, 4, dims, NULL);
    float *f = t->data;
    for (int64_t i = 0; i < t->numel; i++)
        f[i] = (float)draw(-64, 64) / 16.0f;
    return t;
}

/* ---- building the two graphs ---- */

enum { MAX_INPUTS = 4, NAME_LEN = 16 };

/* Adds the op under test reading ins[0..n_in) and writing `out`; the same
 * attributes in both graphs. cfg is the case's own description. */
typedef cg_node *(*op_builder)(cg_graph *g, const char *const *ins, int n_in, const char *out,
                               const void *cfg);

static cg_graph *new_graph(int64_t opset)
{
    cg_status st = {0};
    cg_graph *g = gb_graph(opset);
    assert_int_equal(cg_graph_add_opset(g, "convgraph", 1, &st), CG_OK);
    return g;
}

static void add_relayout(cg_graph *g, const char *in, const char *out, const char *to)
{
    const char *ins[1] = {in}, *outs[1] = {out};
    cg_node *n = gb_node_in_domain(g, NULL, "Relayout", "convgraph", 1, ins, 1, outs);
    gb_attr_str(n, "to", to);
}

static void declare_inputs(cg_graph *g, cg_tensor *const *x, int n_in, char names[][NAME_LEN])
{
    for (int i = 0; i < n_in; i++) {
        snprintf(names[i], NAME_LEN, "X%d", i);
        gb_float_input(g, names[i], x[i]->rank, x[i]->dims, NULL);
    }
}

/* Graph A (nhwc) or B: inputs X0.., output "Y". */
static cg_graph *build(bool nhwc, op_builder op, const void *cfg, int64_t opset,
                       cg_tensor *const *x, int n_in)
{
    cg_graph *g = new_graph(opset);
    char names[MAX_INPUTS][NAME_LEN], moved[MAX_INPUTS][NAME_LEN];
    const char *ins[MAX_INPUTS];
    declare_inputs(g, x, n_in, names);
    for (int i = 0; i < n_in; i++) {
        snprintf(moved[i], NAME_LEN, "R%d", i);
        if (nhwc)
            add_relayout(g, names[i], moved[i], "NHWC");
        ins[i] = nhwc ? moved[i] : names[i];
    }
    cg_node *node = op(g, ins, n_in, nhwc ? "Z" : "Y", cfg);
    if (nhwc) {
        gb_attr_str(node, "cg.layout", "NHWC");
        add_relayout(g, "Z", "Y", "NCHW");
    }
    gb_output(g, "Y");
    return g;
}

/* ---- running and comparing ---- */

/* Output 0 of g on inputs X0.. in a session of this kind; NULL when shape
 * inference refuses the graph (*refused) or the run fails (message printed). */
static cg_tensor *run_graph(cg_graph *g, cg_tensor *const *x, int n_in, cg_kernel_choice k,
                            bool *refused)
{
    cg_status st = {0};
    *refused = cg_graph_toposort(g, &st) != CG_OK || cg_graph_infer_shapes(g, NULL, &st) != CG_OK;
    if (*refused)
        return NULL;
    cg_named_tensor in[MAX_INPUTS], *out = NULL;
    char names[MAX_INPUTS][NAME_LEN];
    for (int i = 0; i < n_in; i++) {
        snprintf(names[i], NAME_LEN, "X%d", i);
        in[i].name = names[i];
        in[i].tensor = x[i];
    }
    cg_run_options o = {k, 2}; /* two threads: the NHWC kernels split their work */
    cg_session *s = cg_session_new(g, &o, &st);
    int n_out = 0;
    if (!s || cg_session_run(s, in, n_in, &out, &n_out, &st) != CG_OK) {
        printf("run failed: %s\n", st.msg);
        cg_session_free(s);
        return NULL;
    }
    cg_session_free(s);
    cg_tensor *y = out[0].tensor;
    out[0].tensor = NULL;
    cg_named_tensors_free(out, n_out);
    return y;
}

/* Same dims and elements: exactly (bits, or both NaN) or within 1e-5 + 1e-5|b|. */
static bool tensors_agree(const cg_tensor *a, const cg_tensor *b, bool exact)
{
    if (a->rank != b->rank || a->numel != b->numel || a->dtype != CG_FLOAT || b->dtype != CG_FLOAT)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i])
            return false;
    const float *fa = a->data, *fb = b->data;
    for (int64_t i = 0; i < a->numel; i++) {
        bool same = exact ? memcmp(&fa[i], &fb[i], sizeof *fa) == 0
                          : fabsf(fa[i] - fb[i]) <= 1e-5f + 1e-5f * fabsf(fb[i]);
        if (!same && !(isnan(fa[i]) && isnan(fb[i]))) {
            printf("element %lld: %.9g (NHWC) vs %.9g (reference)\n", (long long)i, fa[i], fb[i]);
            return false;
        }
    }
    return true;
}

typedef enum outcome { REFUSED, PASSED, FAILED } outcome;

static int g_round; /* alternates graph A's session between FAST and REFERENCE */

static outcome differential(op_builder op, const void *cfg, int64_t opset, cg_tensor *const *x,
                            int n_in, bool exact, const char *what)
{
    bool refused_b = false, refused_a = false;
    cg_graph *b = build(false, op, cfg, opset, x, n_in);
    cg_tensor *want = run_graph(b, x, n_in, CG_KERNELS_REFERENCE, &refused_b);
    cg_graph_free(b);
    if (refused_b)
        return REFUSED;
    cg_graph *a = build(true, op, cfg, opset, x, n_in);
    cg_kernel_choice k = g_round++ % 2 ? CG_KERNELS_FAST : CG_KERNELS_REFERENCE;
    cg_tensor *have = run_graph(a, x, n_in, k, &refused_a);
    cg_graph_free(a);
    bool ok = want && have && tensors_agree(have, want, exact);
    if (!ok)
        printf("%s: mismatch (%s session%s)\n", what, k == CG_KERNELS_FAST ? "FAST" : "REFERENCE",
               refused_a ? ", graph A refused" : "");
    cg_tensor_free(want);
    cg_tensor_free(have);
    return ok ? PASSED : FAILED;
}

/* ---- the cases ---- */

static const char *const k_auto_pads[] = {"NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"};

typedef struct pool_cfg {
    bool is_max;
    int64_t kernel[2], strides[2], dilations[2], pads[4], ceil_mode, count_pad;
    const char *auto_pad;
} pool_cfg;

static cg_node *add_pool(cg_graph *g, const char *const *ins, int n_in, const char *out,
                        const void *cfg)
{
    const pool_cfg *p = cfg;
    const char *outs[1] = {out};
    cg_node *n = gb_node_list(g, "pool", p->is_max ? "MaxPool" : "AveragePool", 1, ins, 1, outs);
    gb_attr_ints(n, "kernel_shape", 2, p->kernel);
    gb_attr_ints(n, "strides", 2, p->strides);
    gb_attr_ints(n, "dilations", 2, p->dilations);
    gb_attr_str(n, "auto_pad", p->auto_pad);
    if (strcmp(p->auto_pad, "NOTSET") == 0)
        gb_attr_ints(n, "pads", 4, p->pads);
    gb_attr_int(n, "ceil_mode", p->ceil_mode);
    if (!p->is_max)
        gb_attr_int(n, "count_include_pad", p->count_pad);
    return n;
}

static outcome pool_case(bool is_max)
{
    pool_cfg p = {.is_max = is_max, .auto_pad = k_auto_pads[draw(0, 3)]};
    for (int i = 0; i < 2; i++) {
        p.kernel[i] = draw(1, 5);
        p.strides[i] = draw(1, 3);
        p.dilations[i] = is_max ? draw(1, 2) : 1;
        p.pads[i] = draw(0, p.kernel[i] - 1);
        p.pads[2 + i] = draw(0, p.kernel[i] - 1);
    }
    p.ceil_mode = draw(0, 1);
    p.count_pad = draw(0, 1);
    cg_tensor *x = random_input(draw(1, 2), draw(1, 40), draw(1, 20), draw(1, 20));
    outcome r = differential(add_pool, &p, 19, &x, 1, is_max, is_max ? "MaxPool" : "AveragePool");
    cg_tensor_free(x);
    return r;
}

static outcome max_pool_case(void) { return pool_case(true); }
static outcome average_pool_case(void) { return pool_case(false); }

static cg_node *add_global_pool(cg_graph *g, const char *const *ins, int n_in, const char *out,
                        const void *cfg)
{
    const char *outs[1] = {out};
    return gb_node_list(g, "pool", *(const bool *)cfg ? "GlobalMaxPool" : "GlobalAveragePool", 1,
                        ins, 1, outs);
}

/* Channels up to 80 cover several whole 16-channel blocks plus a remainder. */
static outcome global_pool_case(void)
{
    bool is_max = draw(0, 1);
    cg_tensor *x = random_input(draw(1, 2), draw(1, 80), draw(1, 20), draw(1, 20));
    outcome r = differential(add_global_pool, &is_max, 22, &x, 1, is_max,
                             is_max ? "GlobalMaxPool" : "GlobalAveragePool");
    cg_tensor_free(x);
    return r;
}

static cg_node *add_concat(cg_graph *g, const char *const *ins, int n_in, const char *out,
                        const void *cfg)
{
    const char *outs[1] = {out};
    cg_node *n = gb_node_list(g, "concat", "Concat", n_in, ins, 1, outs);
    gb_attr_int(n, "axis", *(const int64_t *)cfg);
    return n;
}

static outcome concat_case(void)
{
    int n_in = (int)draw(2, 4);
    int64_t axis = draw(0, 1) ? 1 : -3, n = draw(1, 2), h = draw(1, 12), w = draw(1, 12);
    cg_tensor *x[MAX_INPUTS];
    for (int i = 0; i < n_in; i++)
        x[i] = random_input(n, draw(1, 40), h, w);
    outcome r = differential(add_concat, &axis, 13, x, n_in, true, "Concat");
    for (int i = 0; i < n_in; i++)
        cg_tensor_free(x[i]);
    return r;
}

/* No op between the two Relayouts: graph A is a round trip. The NHWC tensor in
 * the middle is checked against the formula separately (relayout_case). */
static cg_node *add_identity(cg_graph *g, const char *const *ins, int n_in, const char *out,
                        const void *cfg)
{
    const char *outs[1] = {out};
    return gb_node_list(g, "id", "Identity", 1, ins, 1, outs);
}

/* X -> Relayout(NHWC) -> T: T must hold element (n,c,h,w) at ((n*H+h)*W+w)*C+c. */
static bool nhwc_order_holds(const cg_tensor *x)
{
    cg_graph *g = new_graph(13);
    gb_float_input(g, "X0", 4, x->dims, NULL);
    add_relayout(g, "X0", "T", "NHWC");
    gb_output(g, "T");
    bool refused;
    cg_tensor *const in[1] = {(cg_tensor *)x};
    cg_tensor *t = run_graph(g, in, 1, CG_KERNELS_FAST, &refused);
    cg_graph_free(g);
    bool ok = t && t->numel == x->numel;
    int64_t ch = x->dims[1], h = x->dims[2], w = x->dims[3];
    const float *src = x->data, *dst = t ? t->data : NULL;
    for (int64_t i = 0; ok && i < x->numel; i++) {
        int64_t n = i / (ch * h * w), c = i / (h * w) % ch, hw = i % (h * w);
        ok = dst[(n * h * w + hw) * ch + c] == src[i];
    }
    cg_tensor_free(t);
    return ok;
}

/* C = 1 and H*W = 1 (plain copies) come up often on purpose. */
static outcome relayout_case(void)
{
    int64_t kind = draw(0, 3);
    int64_t ch = kind == 0 ? 1 : draw(1, 70), h = kind == 1 ? 1 : draw(1, 40);
    int64_t w = kind == 1 ? 1 : draw(1, 40);
    cg_tensor *x = random_input(draw(1, 2), ch, h, w);
    outcome r = differential(add_identity, NULL, 13, &x, 1, true, "Relayout round trip");
    if (r == PASSED && !nhwc_order_holds(x)) {
        printf("Relayout: the NHWC order is wrong for [%lld,%lld,%lld,%lld]\n",
               (long long)x->dims[0], (long long)ch, (long long)h, (long long)w);
        r = FAILED;
    }
    cg_tensor_free(x);
    return r;
}

/* ---- the random runs ---- */

static int g_passed, g_failed;

static void run_cases(const char *what, outcome (*one)(void), int count)
{
    int passed = 0, failed = 0, refused = 0;
    while (passed + failed < count) {
        outcome o = one();
        refused += o == REFUSED;
        passed += o == PASSED;
        failed += o == FAILED;
        assert_true(refused < 100 * count); /* the drawing must mostly be valid */
    }
    printf("%s: %d passed, %d failed (%d redrawn)\n", what, passed, failed, refused);
    g_passed += passed;
    g_failed += failed;
    assert_int_equal(failed, 0);
}

static void test_max_pool_nhwc(void **state) { run_cases("MaxPool", max_pool_case, 350); }
static void test_average_pool_nhwc(void **state)
{
    run_cases("AveragePool", average_pool_case, 350);
}
static void test_global_pools_nhwc(void **state)
{
    run_cases("Global pools", global_pool_case, 150);
}
static void test_concat_nhwc(void **state) { run_cases("Concat", concat_case, 150); }
static void test_relayout_round_trip(void **state) { run_cases("Relayout", relayout_case, 150); }

/* ---- refusals ---- */

static cg_graph *relayout_graph(int rank, const char *to)
{
    int64_t dims[5] = {1, 2, 3, 4, 5};
    cg_graph *g = new_graph(13);
    gb_float_input(g, "X", rank, dims, NULL);
    const char *ins[1] = {"X"}, *outs[1] = {"Y"};
    cg_node *n = gb_node_in_domain(g, "r", "Relayout", "convgraph", 1, ins, 1, outs);
    if (to)
        gb_attr_str(n, "to", to);
    gb_output(g, "Y");
    return g;
}

static void test_relayout_refusals(void **state)
{
    cg_graph *g = relayout_graph(3, "NHWC");
    gb_infer_fails(g, CG_ERR_INVALID, "rank 3", "rank 4");
    cg_graph_free(g);
    g = relayout_graph(5, "NCHW");
    gb_infer_fails(g, CG_ERR_INVALID, "rank 5", "rank 4");
    cg_graph_free(g);
    g = relayout_graph(4, "NWHC");
    gb_infer_fails(g, CG_ERR_INVALID, "'to' is \"NWHC\"", "\"NHWC\" or \"NCHW\"");
    cg_graph_free(g);
    g = relayout_graph(4, NULL);
    gb_infer_fails(g, CG_ERR_INVALID, "'to' is required", NULL);
    cg_graph_free(g);
    g = relayout_graph(4, NULL);
    gb_attr_int(&g->nodes[0], "to", 1);
    gb_infer_fails(g, CG_ERR_INVALID, "'to' is not a string", NULL);
    cg_graph_free(g);
}

static void test_relayout_infers_same_dtype_and_shape(void **state)
{
    cg_graph *g = relayout_graph(4, "NHWC");
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[1,2,3,4]");
    assert_int_equal(gb_find(g, "Y")->dtype, CG_FLOAT);
    cg_graph_free(g);
    g = new_graph(13);
    gb_input(g, "X", CG_INT64, gb_parse_shape(g, "N,3,5,7"));
    const char *ins[1] = {"X"}, *outs[1] = {"Y"};
    gb_attr_str(gb_node_in_domain(g, "r", "Relayout", "convgraph", 1, ins, 1, outs), "to", "NCHW");
    gb_output(g, "Y");
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[N,3,5,7]");
    assert_int_equal(gb_find(g, "Y")->dtype, CG_INT64);
    cg_graph_free(g);
}

/* Relayout moves any element size: int16 and int64 round trips, and the NHWC
 * order in between, element by element. */
static void test_relayout_other_dtypes(void **state)
{
    static const cg_dtype types[] = {CG_UINT8, CG_INT16, CG_INT64, CG_DOUBLE};
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        int64_t dims[4] = {2, 37, 5, 9};
        cg_tensor *x = gb_tensor(types[k], 4, dims, NULL);
        size_t es = cg_dtype_size(types[k]);
        for (size_t i = 0; i < x->nbytes; i++)
            ((unsigned char *)x->data)[i] = (unsigned char)draw(0, 255);
        cg_graph *g = new_graph(13);
        gb_input(g, "X", types[k], cg_tensor_shape(x));
        add_relayout(g, "X", "T", "NHWC");
        add_relayout(g, "T", "Y", "NCHW");
        gb_outputs(g, "T,Y");
        const char *names[1] = {"X"};
        int n_out = 0;
        cg_named_tensor *out = gb_run(g, 1, names, &x, &n_out);
        assert_int_equal(n_out, 2);
        const unsigned char *src = x->data, *t = out[0].tensor->data;
        assert_memory_equal(out[1].tensor->data, src, x->nbytes);
        for (int64_t i = 0; i < x->numel; i++) {
            int64_t n = i / (37 * 45), c = i / 45 % 37, hw = i % 45;
            size_t at = (size_t)((n * 45 + hw) * 37 + c);
            assert_memory_equal(t + at * es, src + (size_t)i * es, es);
        }
        cg_named_tensors_free(out, n_out);
        cg_graph_free(g);
        cg_tensor_free(x);
    }
}

/* Runs g (one input "X" of dtype t, dims [1,3,4,4]) and expects a failure whose
 * message holds frag. */
static void expect_run_fails(cg_graph *g, cg_dtype t, const char *frag)
{
    int64_t dims[4] = {1, 3, 4, 4};
    cg_tensor *x = gb_tensor(t, 4, dims, NULL);
    const char *names[1] = {"X"};
    cg_named_tensor *out = NULL;
    int n_out = 0;
    cg_status st = {0};
    assert_int_not_equal(gb_try_run(g, 1, names, &x, &out, &n_out, &st), CG_OK);
    if (!strstr(st.msg, frag))
        fail_msg("message '%s' lacks '%s'", st.msg, frag);
    cg_named_tensors_free(out, n_out);
    cg_tensor_free(x);
    cg_graph_free(g);
}

static cg_graph *nhwc_node_graph(cg_dtype t, const char *op, const char *outs)
{
    cg_graph *g = new_graph(19);
    gb_input(g, "X", t, gb_parse_shape(g, "1,3,4,4"));
    cg_node *n = gb_node(g, "op", op, strcmp(op, "Concat") == 0 ? "X,X" : "X", outs);
    gb_attr_str(n, "cg.layout", "NHWC");
    if (strcmp(op, "MaxPool") == 0)
        gb_attr_ints_csv(n, "kernel_shape", "2,2");
    gb_outputs(g, outs);
    return g;
}

static void test_nhwc_refusals(void **state)
{
    expect_run_fails(nhwc_node_graph(CG_FLOAT, "MaxPool", "Y,I"), CG_FLOAT, "Indices");
    expect_run_fails(nhwc_node_graph(CG_DOUBLE, "MaxPool", "Y"), CG_DOUBLE, "float32 rank-4 X");
    expect_run_fails(nhwc_node_graph(CG_DOUBLE, "GlobalAveragePool", "Y"), CG_DOUBLE,
                     "float32 rank-4 X");
    cg_graph *g = nhwc_node_graph(CG_FLOAT, "Concat", "Y");
    gb_attr_int(&g->nodes[0], "axis", 2);
    expect_run_fails(g, CG_FLOAT, "axis 2");
}

static int print_totals(void **state)
{
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return 0;
}

int main(void)
{
    cg_run_parallel_cap_grain(7); /* even small cases run split across the two threads */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_max_pool_nhwc),
        cmocka_unit_test(test_average_pool_nhwc),
        cmocka_unit_test(test_global_pools_nhwc),
        cmocka_unit_test(test_concat_nhwc),
        cmocka_unit_test(test_relayout_round_trip),
        cmocka_unit_test(test_relayout_refusals),
        cmocka_unit_test(test_relayout_infers_same_dtype_and_shape),
        cmocka_unit_test(test_relayout_other_dtypes),
        cmocka_unit_test(test_nhwc_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, print_totals);
}
