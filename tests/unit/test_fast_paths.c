/* The fast paths behind the Gemm, pool and reduction reference kernels against those
 * kernels: random configurations run in a REFERENCE and a FAST session, outputs
 * within 1e-4 + 1e-4 * |ref|. (Conv's fast path has its own differential test,
 * tests/fast_conv; pools are also checked against a naive implementation in
 * tests/window_diff.) */
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

/* Runs g once per kernel choice on the same input; true when they agree. A
 * configuration inference refuses (e.g. an output below 1) returns false with
 * *valid unset, so the caller draws another. */
static bool sessions_agree(cg_graph *g, cg_tensor *x, bool *valid)
{
    cg_named_tensor in = {"X", x};
    cg_named_tensor *out[2] = {NULL, NULL};
    int n_out[2] = {0, 0};
    cg_status st = {0};
    *valid = cg_graph_toposort(g, &st) == CG_OK && cg_graph_infer_shapes(g, NULL, &st) == CG_OK;
    for (int k = 0; *valid && k < 2; k++) {
        cg_run_options o = {k ? CG_KERNELS_FAST : CG_KERNELS_REFERENCE, 2};
        cg_session *s = cg_session_new(g, &o, &st);
        assert_non_null(s);
        if (cg_session_run(s, &in, 1, &out[k], &n_out[k], &st) != CG_OK)
            fail_msg("%s", st.msg);
        cg_session_free(s);
    }
    bool same = *valid;
    for (int64_t i = 0; same && i < out[0][0].tensor->numel; i++) {
        float r = ((float *)out[0][0].tensor->data)[i], f = ((float *)out[1][0].tensor->data)[i];
        same = (isnan(r) && isnan(f)) || r == f || fabsf(r - f) <= 1e-4f + 1e-4f * fabsf(r);
    }
    cg_named_tensors_free(out[0], n_out[0]);
    cg_named_tensors_free(out[1], n_out[1]);
    return same;
}

static cg_tensor *random_input(int rank, const int64_t *dims)
{
    cg_tensor *t = gb_tensor(CG_FLOAT, rank, dims, NULL);
    gb_fill_seeded(t, (int)draw(1, 1000));
    return t;
}

/* Gemm with random sizes, transposes, alpha, beta and C broadcast shapes. */
static bool gemm_case(bool *valid)
{
    int64_t m = draw(1, 40), n = draw(1, 40), k = draw(1, 40);
    bool ta = draw(0, 1), tb = draw(0, 1);
    cg_graph *g = gb_graph(13);
    int64_t a_dims[2] = {ta ? k : m, ta ? m : k}, b_dims[2] = {tb ? n : k, tb ? k : n};
    gb_float_input(g, "X", 2, a_dims, NULL);
    gb_seeded_weight(g, "B", 2, b_dims, (int)draw(1, 99));
    static const int64_t c_shapes[4][2] = {{1, 1}, {1, 0}, {0, 1}, {0, 0}};
    const int64_t *pick = c_shapes[draw(0, 3)];
    int64_t c_dims[2] = {pick[0] ? 1 : m, pick[1] ? 1 : n};
    gb_seeded_weight(g, "C", 2, c_dims, (int)draw(1, 99));
    cg_node *node = gb_node(g, "gemm", "Gemm", "X,B,C", "Y");
    gb_attr_int(node, "transA", ta);
    gb_attr_int(node, "transB", tb);
    gb_attr_float(node, "alpha", (float)draw(-20, 20) / 8.0f);
    gb_attr_float(node, "beta", (float)draw(-20, 20) / 8.0f);
    gb_output(g, "Y");
    cg_tensor *x = random_input(2, a_dims);
    bool ok = sessions_agree(g, x, valid);
    cg_tensor_free(x);
    cg_graph_free(g);
    return ok;
}

static const char *const k_auto_pads[] = {"NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"};

/* MaxPool / AveragePool, 1-D to 3-D, every padding mode, dilations, ceil_mode,
 * count_include_pad. */
static bool pool_case(bool *valid)
{
    int spatial = (int)draw(1, 3);
    bool is_max = draw(0, 1);
    int64_t dims[5] = {draw(1, 2), draw(1, 3)}, k[3], s[3], d[3], pads[6];
    for (int i = 0; i < spatial; i++) {
        dims[2 + i] = draw(1, spatial == 3 ? 7 : 12);
        k[i] = draw(1, 4);
        s[i] = draw(1, 3);
        d[i] = is_max ? draw(1, 2) : 1;
        pads[i] = draw(0, k[i] - 1);
        pads[spatial + i] = draw(0, k[i] - 1);
    }
    const char *auto_pad = k_auto_pads[draw(0, 3)];
    cg_graph *g = gb_graph(19);
    gb_float_input(g, "X", 2 + spatial, dims, NULL);
    cg_node *node = gb_node(g, "pool", is_max ? "MaxPool" : "AveragePool", "X", "Y");
    gb_attr_ints(node, "kernel_shape", spatial, k);
    gb_attr_ints(node, "strides", spatial, s);
    gb_attr_ints(node, "dilations", spatial, d);
    gb_attr_str(node, "auto_pad", auto_pad);
    if (strcmp(auto_pad, "NOTSET") == 0) {
        gb_attr_ints(node, "pads", 2 * spatial, pads);
        gb_attr_int(node, "ceil_mode", draw(0, 1));
    }
    if (!is_max)
        gb_attr_int(node, "count_include_pad", draw(0, 1));
    gb_output(g, "Y");
    cg_tensor *x = random_input(2 + spatial, dims);
    bool ok = sessions_agree(g, x, valid);
    cg_tensor_free(x);
    cg_graph_free(g);
    return ok;
}

/* ReduceSum/Mean/Max/Min, rank 1 to 4, over random axes (trailing ones, the
 * fast path's case, most of the time), keepdims either way, axes as an
 * attribute (opset 13) or an input (opset 18). */
static bool reduce_case(bool *valid)
{
    static const char *const ops[] = {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin"};
    const char *op = ops[draw(0, 3)];
    int rank = (int)draw(1, 4);
    int64_t dims[4], axes[4];
    int n_axes = 0;
    bool trailing = draw(0, 3) > 0;
    int first = (int)draw(0, rank - 1);
    for (int d = 0; d < rank; d++) {
        dims[d] = draw(1, 9);
        if (trailing ? d >= first : draw(0, 1))
            axes[n_axes++] = draw(0, 1) ? d : d - rank; /* negative axes too */
    }
    bool as_input = draw(0, 1) && strcmp(op, "ReduceSum") != 0;
    cg_graph *g = gb_graph(as_input ? 18 : 13);
    gb_float_input(g, "X", rank, dims, NULL);
    if (as_input || strcmp(op, "ReduceSum") == 0) { /* ReduceSum-13 takes axes as input */
        static const int64_t one[1] = {0};
        int64_t ad[1] = {n_axes};
        gb_initializer(g, "axes", gb_tensor(CG_INT64, 1, n_axes ? ad : one, axes));
    }
    cg_node *node = gb_node(g, "reduce", op, as_input || strcmp(op, "ReduceSum") == 0 ? "X,axes" : "X", "Y");
    if (!as_input && strcmp(op, "ReduceSum") != 0 && n_axes)
        gb_attr_ints(node, "axes", n_axes, axes);
    gb_attr_int(node, "keepdims", draw(0, 1));
    gb_output(g, "Y");
    cg_tensor *x = random_input(rank, dims);
    bool ok = sessions_agree(g, x, valid);
    cg_tensor_free(x);
    cg_graph_free(g);
    return ok;
}

static void run_cases(const char *what, bool (*one)(bool *), int count)
{
    int passed = 0, failed = 0;
    while (passed + failed < count) {
        bool valid = false;
        bool ok = one(&valid);
        if (!valid)
            continue;
        ok ? passed++ : failed++;
    }
    printf("%s: %d passed, %d failed\n", what, passed, failed);
    assert_int_equal(failed, 0);
}

static void test_gemm_fast_matches_reference(void **state)
{
    (void)state;
    run_cases("Gemm", gemm_case, 500);
}

static void test_pools_fast_match_reference(void **state)
{
    (void)state;
    run_cases("MaxPool/AveragePool", pool_case, 1000);
}

static void test_reductions_fast_match_reference(void **state)
{
    (void)state;
    run_cases("ReduceSum/Mean/Max/Min", reduce_case, 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemm_fast_matches_reference),
        cmocka_unit_test(test_pools_fast_match_reference),
        cmocka_unit_test(test_reductions_fast_match_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
