/* ShuffleNet's pieces in FAST sessions: the fuse_channel_shuffle pass (when it
 * takes Reshape/Transpose/Reshape, and when it must not), the internal op
 * convgraph.ChannelShuffle in both storage orders, and Slice on channels-last
 * tensors (any axes and steps) against the plain NCHW nodes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "convgraph/convgraph.h"
#include "convgraph/ops.h"
#include "convgraph/passes.h"
#include "runtime/fast_conv.h"
#include "support/graph_build.h"

static uint64_t rng = 0x5eed5eedULL;

static int64_t draw(int64_t lo, int64_t hi)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + (int64_t)((rng >> 33) % (uint64_t)(hi - lo + 1));
}

static void int64_input(cg_graph *g, const char *name, int n, const int64_t *v)
{
    int64_t d[1] = {n};
    gb_initializer(g, name, gb_tensor(CG_INT64, 1, d, v));
}

/* x [N,C,H,W] -> Reshape [N,G,C/G,H,W] -> Transpose(perm) -> Reshape [N,C,H,W] -> y */
static cg_graph *shuffle_graph(const int64_t *x, int64_t groups, const int64_t *perm)
{
    cg_graph *g = gb_graph(13);
    gb_float_input(g, "x", 4, x, NULL);
    int64_t mid[5] = {x[0], groups, x[1] / groups, x[2], x[3]};
    int64_input(g, "mid_shape", 5, mid);
    int64_input(g, "back_shape", 4, x);
    gb_node(g, "r1", "Reshape", "x,mid_shape", "m");
    gb_attr_ints(gb_node(g, "t", "Transpose", "m", "tm"), "perm", 5, perm);
    gb_node(g, "r2", "Reshape", "tm,back_shape", "y");
    gb_output(g, "y");
    gb_sort_and_infer(g);
    return g;
}

static const int64_t SHUFFLE_PERM[5] = {0, 2, 1, 3, 4};

static int fuse(cg_graph *g)
{
    cg_pass_report rep = {0};
    cg_status st = {0};
    if (cg_pass_fuse_channel_shuffle(g, &rep, &st) != CG_OK)
        fail_msg("%s", st.msg);
    int changed = rep.changed;
    cg_pass_report_free(&rep);
    return changed;
}

static void test_shuffle_pattern_becomes_one_node(void **state)
{
    (void)state;
    cg_graph *g = shuffle_graph((const int64_t[]){1, 6, 3, 4}, 3, SHUFFLE_PERM);
    assert_int_equal(fuse(g), 1);
    assert_int_equal(g->n_nodes, 1);
    assert_string_equal(g->nodes[0].op_type, "ChannelShuffle");
    assert_int_equal(cg_attr_int(&g->nodes[0], "groups", 0), 3);
    assert_string_equal(g->values[g->nodes[0].outputs[0]].name, "y");
    cg_graph_free(g);
}

static void test_other_transposes_and_readers_stay(void **state)
{
    (void)state;
    static const int64_t other_perm[5] = {0, 1, 2, 4, 3};
    cg_graph *g = shuffle_graph((const int64_t[]){1, 4, 3, 3}, 2, other_perm);
    assert_int_equal(fuse(g), 0);
    assert_int_equal(g->n_nodes, 3);
    cg_graph_free(g);
    g = shuffle_graph((const int64_t[]){1, 4, 3, 3}, 2, SHUFFLE_PERM);
    gb_output(g, "m"); /* the middle value is visible: it must stay */
    assert_int_equal(fuse(g), 0);
    cg_graph_free(g);
}

/* The node running `op` in g, which must be there. */
static const cg_node *node_running(const cg_graph *g, const char *op)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i].op_type, op) == 0)
            return &g->nodes[i];
    fail_msg("no %s node", op);
    return NULL;
}

/* A FAST and a REFERENCE session on two threads agree on every output (within
 * float rounding: the convs run different kernels); in the FAST one, `op` ran
 * channels-last. */
static void fast_matches_reference(cg_graph *(*build)(void), const int64_t *x_dims, const char *op)
{
    cg_graph *gf = gb_fast_vs_reference(build, 4, (const int64_t *const[]){x_dims}, 1, 2, 1e-5, NULL);
    if (cg_fast_conv_available())
        assert_true(cg_node_is_nhwc(node_running(gf, op)));
    cg_graph_free(gf);
}

/* The case drawn for the builders below. */
static int64_t cur_dims[4], cur_groups;
static int64_t cur_starts[4], cur_ends[4], cur_axes[4], cur_steps[4];
static int cur_n_axes;

/* x -> conv 1x1 (channels-last in FAST sessions) -> shuffle pattern -> conv 1x1
 * -> y, and the shuffled tensor as a second output. */
static cg_graph *conv_shuffle_conv(void)
{
    cg_graph *g = gb_graph(13);
    int64_t c = cur_dims[1];
    gb_float_input(g, "x", 4, cur_dims, NULL);
    gb_seeded_weight(g, "w1", 4, (const int64_t[]){c, c, 1, 1}, 3);
    gb_seeded_weight(g, "w2", 4, (const int64_t[]){c, c, 1, 1}, 5);
    int64_t mid[5] = {cur_dims[0], cur_groups, c / cur_groups, cur_dims[2], cur_dims[3]};
    int64_input(g, "mid_shape", 5, mid);
    int64_input(g, "back_shape", 4, cur_dims);
    gb_node(g, "c1", "Conv", "x,w1", "a");
    gb_node(g, "r1", "Reshape", "a,mid_shape", "m");
    gb_attr_ints(gb_node(g, "t", "Transpose", "m", "tm"), "perm", 5, SHUFFLE_PERM);
    gb_node(g, "r2", "Reshape", "tm,back_shape", "s");
    gb_node(g, "c2", "Conv", "s,w2", "y");
    gb_outputs(g, "y,s");
    gb_sort_and_infer(g);
    return g;
}

static void test_channel_shuffle_in_both_orders(void **state)
{
    (void)state;
    for (int i = 0; i < 200; i++) {
        cur_groups = draw(1, 4);
        int64_t d[4] = {draw(1, 2), cur_groups * draw(1, 5), draw(1, 6), draw(1, 6)};
        memcpy(cur_dims, d, sizeof d);
        fast_matches_reference(conv_shuffle_conv, cur_dims, "ChannelShuffle");
    }
}

/* The shuffle alone, reading the graph input: it stays NCHW (no region to join). */
static cg_graph *bare_shuffle(void) { return shuffle_graph(cur_dims, cur_groups, SHUFFLE_PERM); }

static void test_channel_shuffle_nchw(void **state)
{
    (void)state;
    for (int i = 0; i < 50; i++) {
        cur_groups = draw(1, 4);
        int64_t d[4] = {draw(1, 2), cur_groups * draw(1, 5), draw(1, 6), draw(1, 6)};
        memcpy(cur_dims, d, sizeof d);
        cg_graph *g = bare_shuffle(), *r = bare_shuffle();
        cg_session *s = gb_session(g, CG_KERNELS_FAST), *sr = gb_session(r, CG_KERNELS_REFERENCE);
        assert_false(cg_node_is_nhwc(node_running(g, "ChannelShuffle")));
        int n, nr;
        cg_named_tensor *out = gb_session_run_x(s, 4, cur_dims, i, &n), *want = gb_session_run_x(sr, 4, cur_dims, i, &nr);
        gb_expect_close(want[0].tensor, out[0].tensor, 0); /* a permutation: exact */
        cg_named_tensors_free(out, n);
        cg_named_tensors_free(want, nr);
        cg_session_free(s);
        cg_session_free(sr);
        cg_graph_free(g);
        cg_graph_free(r);
    }
}

/* x -> conv 1x1 -> Slice(starts, ends, axes, steps) -> conv 1x1 -> y, and the
 * slice as a second output. */
static cg_graph *conv_slice_conv(void)
{
    cg_graph *g = gb_graph(13);
    gb_float_input(g, "x", 4, cur_dims, NULL);
    gb_seeded_weight(g, "w1", 4, (const int64_t[]){cur_dims[1], cur_dims[1], 1, 1}, 3);
    int64_input(g, "starts", cur_n_axes, cur_starts);
    int64_input(g, "ends", cur_n_axes, cur_ends);
    int64_input(g, "axes", cur_n_axes, cur_axes);
    int64_input(g, "steps", cur_n_axes, cur_steps);
    gb_node(g, "c1", "Conv", "x,w1", "a");
    gb_node(g, "slice", "Slice", "a,starts,ends,axes,steps", "s");
    gb_sort_and_infer(g);
    int64_t sc = gb_find(g, "s")->shape.d[1].v;
    gb_seeded_weight(g, "w2", 4, (const int64_t[]){2, sc, 1, 1}, 5);
    gb_node(g, "c2", "Conv", "s,w2", "y");
    gb_outputs(g, "y,s");
    gb_sort_and_infer(g);
    return g;
}

/* One random axis spec: a non-empty range with step +-1..2. */
static void draw_slice_axis(int k, int axis, int64_t dim)
{
    int64_t step = draw(0, 1) ? draw(1, 2) : -draw(1, 2);
    int64_t a = draw(0, dim - 1), b = draw(0, dim - 1);
    int64_t lo = a < b ? a : b, hi = a < b ? b : a;
    cur_axes[k] = draw(0, 1) ? axis : axis - 4;
    cur_steps[k] = step;
    cur_starts[k] = step > 0 ? lo : hi;
    cur_ends[k] = step > 0 ? hi + 1 : lo - 1 < 0 ? -dim - 1 : lo - 1;
}

static void test_slice_on_channels_last_tensors(void **state)
{
    (void)state;
    for (int i = 0; i < 300; i++) {
        int64_t d[4] = {draw(1, 2), draw(1, 8), draw(1, 7), draw(1, 7)};
        memcpy(cur_dims, d, sizeof d);
        cur_n_axes = 0;
        for (int axis = 0; axis < 4; axis++)
            if (draw(0, 2) == 0 || (axis == 3 && cur_n_axes == 0))
                draw_slice_axis(cur_n_axes++, axis, d[axis]);
        fast_matches_reference(conv_slice_conv, cur_dims, "Slice");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shuffle_pattern_becomes_one_node),
        cmocka_unit_test(test_other_transposes_and_readers_stay),
        cmocka_unit_test(test_channel_shuffle_in_both_orders),
        cmocka_unit_test(test_channel_shuffle_nchw),
        cmocka_unit_test(test_slice_on_channels_last_tensors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
