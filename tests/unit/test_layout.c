/* The channels-last layout pass of FAST sessions (src/runtime/layout.c): which
 * nodes go NHWC, where Relayout nodes appear (once per tensor, at region
 * borders, graph outputs keeping their names), what stays NCHW (broadcasting
 * ops, symbolic spatial dims, REFERENCE sessions), and that every such graph
 * computes what a REFERENCE session does. Without oneDNN no Conv goes NHWC:
 * the structural cases are skipped, saying so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "convgraph/convgraph.h"
#include "convgraph/ops.h"
#include "runtime/fast_conv.h"
#include "support/graph_build.h"

static void skip_without_fast_conv(void)
{
    if (!cg_fast_conv_available()) {
        print_message("skipped: built without oneDNN, no Conv runs channels-last\n");
        skip();
    }
}

static int count_op(const cg_graph *g, const char *op)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        n += strcmp(g->nodes[i].op_type, op) == 0;
    return n;
}

static int count_nhwc(const cg_graph *g)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        n += cg_node_is_nhwc(&g->nodes[i]);
    return n;
}

/* The node writing value `name`. */
static const cg_node *producer_of(const cg_graph *g, const char *name)
{
    int p = gb_find(g, name)->producer;
    assert_true(p >= 0);
    return &g->nodes[p];
}

/* A FAST and a REFERENCE session on the same input, twice: every output
 * agrees, the REFERENCE session keeps NCHW; returns the FAST session's graph. */
static cg_graph *fast_matches_reference(cg_graph *(*build)(void), const int64_t *dims)
{
    cg_graph *gr = NULL, *gf = gb_fast_vs_reference(build, 4, (const int64_t *const[]){dims}, 1, 1, 1e-4, &gr);
    assert_int_equal(count_op(gr, "Relayout"), 0); /* REFERENCE sessions keep NCHW */
    cg_graph_free(gr);
    return gf;
}

/* x -> conv1 -> relu -> maxpool -> conv2 -> add(conv2, p) -> gap -> flatten -> y */
static cg_graph *small_net(void)
{
    cg_graph *g = gb_graph(13);
    gb_float_input(g, "x", 4, (const int64_t[]){1, 3, 9, 9}, NULL);
    gb_conv3x3(g, "conv1", "x", "c1", 8, 3, 1);
    gb_node(g, "relu", "Relu", "c1", "r1");
    cg_node *mp = gb_node(g, "pool", "MaxPool", "r1", "p");
    gb_attr_ints_csv(mp, "kernel_shape", "3,3");
    gb_attr_ints_csv(mp, "strides", "2,2");
    gb_attr_int(mp, "ceil_mode", 1);
    gb_conv3x3(g, "conv2", "p", "c2", 8, 8, 3);
    gb_node(g, "add", "Add", "c2,p", "s");
    gb_node(g, "gap", "GlobalAveragePool", "s", "gp");
    gb_node(g, "flat", "Flatten", "gp", "y");
    gb_output(g, "y");
    gb_sort_and_infer(g);
    return g;
}

static void test_conv_region_runs_nhwc_between_two_relayouts(void **state)
{
    (void)state;
    skip_without_fast_conv();
    cg_graph *g = fast_matches_reference(small_net, (const int64_t[]){1, 3, 9, 9});
    /* Relu and the residual Add went into the convs; conv1, pool, conv2, gap remain */
    assert_int_equal(count_nhwc(g), 4);
    assert_int_equal(count_op(g, "Relayout"), 2); /* x in, the pooled vector out */
    const cg_node *flat_in = producer_of(g, g->values[producer_of(g, "y")->inputs[0]].name);
    assert_string_equal(flat_in->op_type, "Relayout");
    assert_string_equal(cg_attr_string(flat_in, "to", ""), "NCHW");
    /* a second session on the same graph does not lay it out twice */
    cg_session *again = gb_session(g, CG_KERNELS_FAST);
    assert_int_equal(count_op(g, "Relayout"), 2);
    int n = 0;
    cg_named_tensor *out = gb_session_run_x(again, 4, (const int64_t[]){1, 3, 9, 9}, 0, &n);
    cg_named_tensors_free(out, n);
    cg_session_free(again);
    cg_graph_free(g);
}

/* Two convs concatenated on channels, then scaled per pixel (a broadcast over
 * channels, which has no NHWC kernel) or, with per_channel, per channel (which
 * has), then another conv; also outputs the concat. */
static bool per_channel;

static cg_graph *concat_scale_net(void)
{
    cg_graph *g = gb_graph(13);
    gb_float_input(g, "x", 4, (const int64_t[]){2, 4, 6, 7}, NULL);
    gb_conv3x3(g, "ca", "x", "a", 3, 4, 1);
    gb_conv3x3(g, "cb", "x", "b", 5, 4, 3);
    gb_attr_int(gb_node(g, "cat", "Concat", "a,b", "cat"), "axis", 1);
    gb_seeded_weight(g, "scale", 4, per_channel ? (const int64_t[]){1, 8, 1, 1} : (const int64_t[]){1, 1, 6, 7}, 5);
    gb_node(g, "mul", "Mul", "cat,scale", "m");
    gb_conv3x3(g, "cc", "m", "y", 2, 8, 7);
    gb_outputs(g, "y,cat");
    gb_sort_and_infer(g);
    return g;
}

static void test_broadcast_leaves_the_region_and_outputs_keep_names(void **state)
{
    (void)state;
    skip_without_fast_conv();
    per_channel = false;
    cg_graph *g = fast_matches_reference(concat_scale_net, (const int64_t[]){2, 4, 6, 7});
    assert_int_equal(count_nhwc(g), 4);  /* ca, cb, cat, cc */
    assert_false(cg_node_is_nhwc(producer_of(g, "m")));
    /* x once into NHWC (both convs share it), cat back once (Mul and the output
     * share it), m into NHWC for cc, y back */
    assert_int_equal(count_op(g, "Relayout"), 4);
    assert_string_equal(producer_of(g, "cat")->op_type, "Relayout");
    assert_string_equal(producer_of(g, "y")->op_type, "Relayout");
    cg_graph_free(g);
}

/* A per-channel scale has an NHWC kernel: the region goes on through it. */
static void test_channel_broadcast_stays_in_the_region(void **state)
{
    (void)state;
    skip_without_fast_conv();
    per_channel = true;
    cg_graph *g = fast_matches_reference(concat_scale_net, (const int64_t[]){2, 4, 6, 7});
    assert_int_equal(count_nhwc(g), 5); /* ca, cb, cat, mul, cc */
    /* x and the [1,8,1,1] scale in (the same bytes in either order), cat and y out */
    assert_int_equal(count_op(g, "Relayout"), 4);
    assert_true(cg_node_is_nhwc(producer_of(g, g->values[producer_of(g, "y")->inputs[0]].name)));
    cg_graph_free(g);
}

/* A conv whose H and W are symbols: the layout pass cannot ask oneDNN about a
 * shape it does not know, so the conv stays NCHW (and is timed per shape). */
static cg_graph *symbolic_net(void)
{
    cg_graph *g = gb_graph(13);
    gb_float_input(g, "x", 4, (const int64_t[]){1, 2, -1, -1}, (const char *const[]){"", "", "H", "W"});
    gb_conv3x3(g, "conv", "x", "c", 4, 2, 1);
    gb_node(g, "relu", "Relu", "c", "y");
    gb_output(g, "y");
    gb_sort_and_infer(g);
    return g;
}

static void test_symbolic_spatial_dims_stay_nchw(void **state)
{
    (void)state;
    cg_graph *g = fast_matches_reference(symbolic_net, (const int64_t[]){1, 2, 5, 6});
    assert_int_equal(count_op(g, "Relayout"), 0);
    assert_int_equal(count_nhwc(g), 0);
    cg_graph_free(g);
}

/* A conv plus its own input (the residual Z is the graph input x), whose
 * output is both a graph output and read by a Sigmoid outside any fusion. */
static cg_graph *residual_input_net(void)
{
    cg_graph *g = gb_graph(13);
    gb_float_input(g, "x", 4, (const int64_t[]){1, 4, 5, 5}, NULL);
    gb_conv3x3(g, "conv", "x", "c", 4, 4, 1);
    gb_node(g, "add", "Add", "c,x", "s");
    gb_node(g, "sig", "Sigmoid", "s", "t");
    gb_node(g, "flat", "Flatten", "t", "f");
    gb_outputs(g, "s,f");
    gb_sort_and_infer(g);
    return g;
}

static void test_shared_input_is_converted_once(void **state)
{
    (void)state;
    skip_without_fast_conv();
    cg_graph *g = fast_matches_reference(residual_input_net, (const int64_t[]){1, 4, 5, 5});
    /* x once to NHWC (the conv's X and its residual Z), s back for the output */
    const cg_node *conv = NULL;
    for (int i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i].op_type, "Conv") == 0)
            conv = &g->nodes[i];
    assert_non_null(conv);
    assert_true(cg_node_is_nhwc(conv));
    int relayout_to_nhwc = 0;
    for (int i = 0; i < g->n_nodes; i++)
        relayout_to_nhwc += strcmp(g->nodes[i].op_type, "Relayout") == 0 &&
                            strcmp(cg_attr_string(&g->nodes[i], "to", ""), "NHWC") == 0;
    assert_int_equal(relayout_to_nhwc, 1);
    assert_string_equal(producer_of(g, "s")->op_type, "Relayout");
    cg_graph_free(g);
}

/* x -> conv -> c -> Relu -> y, and Shape(c) -> s: Shape reads only dims. */
static cg_graph *shape_reader_net(void)
{
    cg_graph *g = gb_graph(13);
    gb_float_input(g, "x", 4, (const int64_t[]){1, 2, 5, 6}, NULL);
    gb_conv3x3(g, "conv", "x", "c", 4, 2, 1);
    gb_node(g, "relu", "Relu", "c", "y");
    gb_node(g, "shape", "Shape", "c", "s");
    gb_outputs(g, "y,s");
    gb_sort_and_infer(g);
    return g;
}

static void test_shape_reads_the_channels_last_tensor_directly(void **state)
{
    (void)state;
    skip_without_fast_conv();
    cg_graph *g = fast_matches_reference(shape_reader_net, (const int64_t[]){1, 2, 5, 6});
    assert_int_equal(count_op(g, "Relayout"), 2); /* x in, y out: none for Shape */
    const cg_node *shape = producer_of(g, "s");
    assert_true(cg_node_is_nhwc(&g->nodes[g->values[shape->inputs[0]].producer]));
    cg_graph_free(g);
}

/* Two convs whose outputs' names share their first 600 characters: the NHWC
 * twins' names, cut to fit, collide and must still come out distinct. */
static char long_name[2][640];

static cg_graph *long_names_net(void)
{
    cg_graph *g = gb_graph(13);
    for (int k = 0; k < 2; k++) {
        memset(long_name[k], 'v', 600);
        snprintf(long_name[k] + 600, 40, "_%d", k);
    }
    gb_float_input(g, "x", 4, (const int64_t[]){1, 2, 4, 4}, NULL);
    gb_conv3x3(g, "c0", "x", long_name[0], 3, 2, 1);
    gb_conv3x3(g, "c1", "x", long_name[1], 3, 2, 5);
    gb_node_list(g, "add", "Add", 2, (const char *[]){long_name[0], long_name[1]}, 1, (const char *[]){"s"});
    gb_node(g, "flat", "Flatten", "s", "y");
    gb_output(g, "y");
    gb_output(g, long_name[0]);
    gb_output(g, long_name[1]); /* visible: neither conv fuses the Add */
    gb_sort_and_infer(g);
    return g;
}

static void test_long_value_names_get_distinct_twins(void **state)
{
    (void)state;
    skip_without_fast_conv();
    cg_graph *g = fast_matches_reference(long_names_net, (const int64_t[]){1, 2, 4, 4});
    assert_true(count_nhwc(g) >= 2);
    cg_graph_free(g);
}

/* x -> conv -> BatchNormalization(training_mode=1) -> y: batch statistics,
 * which only the reference kernel computes: the BatchNorm stays NCHW. */
static cg_graph *training_bn_net(void)
{
    cg_graph *g = gb_graph(15);
    gb_float_input(g, "x", 4, (const int64_t[]){2, 2, 4, 4}, NULL);
    gb_conv3x3(g, "conv", "x", "c", 3, 2, 1);
    static const int64_t cd[] = {3};
    gb_seeded_weight(g, "scale", 1, cd, 2);
    gb_seeded_weight(g, "bias", 1, cd, 3);
    gb_seeded_weight(g, "mean", 1, cd, 4);
    cg_tensor *var = gb_tensor(CG_FLOAT, 1, cd, (const float[]){0.5f, 1.0f, 1.5f});
    gb_initializer(g, "var", var);
    gb_attr_int(gb_node(g, "bn", "BatchNormalization", "c,scale,bias,mean,var", "y"), "training_mode", 1);
    gb_output(g, "y");
    gb_sort_and_infer(g);
    return g;
}

static void test_training_batchnorm_stays_nchw(void **state)
{
    (void)state;
    cg_graph *g = fast_matches_reference(training_bn_net, (const int64_t[]){2, 2, 4, 4});
    assert_false(cg_node_is_nhwc(producer_of(g, "y")));
    cg_graph_free(g);
}

/* small_net with a symbolic batch: the region is planned once (the probe takes
 * N as 1) and must hold for every batch a session then runs, empty included. */
static cg_graph *batch_net(void)
{
    cg_graph *g = gb_graph(13);
    gb_float_input(g, "x", 4, (const int64_t[]){-1, 3, 9, 9}, (const char *const[]){"N", "", "", ""});
    gb_conv3x3(g, "conv1", "x", "c1", 8, 3, 1);
    gb_node(g, "relu", "Relu", "c1", "r1");
    cg_node *mp = gb_node(g, "pool", "MaxPool", "r1", "p");
    gb_attr_ints_csv(mp, "kernel_shape", "3,3");
    gb_attr_ints_csv(mp, "strides", "2,2");
    gb_conv3x3(g, "conv2", "p", "c2", 8, 8, 3);
    gb_node(g, "add", "Add", "c2,p", "s");
    gb_node(g, "gap", "GlobalAveragePool", "s", "gp");
    gb_node(g, "flat", "Flatten", "gp", "y");
    gb_output(g, "y");
    gb_sort_and_infer(g);
    return g;
}

static void test_symbolic_batch_runs_every_batch(void **state)
{
    (void)state;
    skip_without_fast_conv();
    cg_graph *gf = batch_net(), *gr = batch_net();
    cg_session *f = gb_session(gf, CG_KERNELS_FAST), *r = gb_session(gr, CG_KERNELS_REFERENCE);
    assert_true(count_nhwc(gf) >= 3);
    static const int64_t batches[] = {1, 3, 0, 2, 1};
    for (size_t i = 0; i < sizeof batches / sizeof batches[0]; i++) {
        int64_t dims[4] = {batches[i], 3, 9, 9};
        int nf, nr;
        cg_named_tensor *of = gb_session_run_x(f, 4, dims, (int)i, &nf), *or = gb_session_run_x(r, 4, dims, (int)i, &nr);
        assert_int_equal(of[0].tensor->dims[0], batches[i]);
        gb_expect_close(or[0].tensor, of[0].tensor, 1e-4);
        cg_named_tensors_free(of, nf);
        cg_named_tensors_free(or, nr);
    }
    cg_session_free(f);
    cg_session_free(r);
    cg_graph_free(gf);
    cg_graph_free(gr);
}

/* x -> conv(+ z, Relu) -> y, plain or (nhwc) with the conv stored
 * channels-last between two Relayouts, as the layout pass would leave it. */
static cg_graph *conv_z_graph(bool nhwc)
{
    cg_graph *g = gb_graph(13);
    cg_status st = {0};
    assert_int_equal(cg_graph_add_opset(g, CG_LAYOUT_DOMAIN, 1, &st), CG_OK);
    gb_float_input(g, "x", 4, (const int64_t[]){2, 3, 5, 4}, NULL);
    gb_float_input(g, "z", 4, (const int64_t[]){2, 6, 5, 4}, NULL);
    if (nhwc) {
        gb_attr_str(gb_node_in_domain(g, "xin", "Relayout", CG_LAYOUT_DOMAIN, 1, (const char *[]){"x"}, 1,
                                      (const char *[]){"xn"}), "to", "NHWC");
        gb_attr_str(gb_node_in_domain(g, "zin", "Relayout", CG_LAYOUT_DOMAIN, 1, (const char *[]){"z"}, 1,
                                      (const char *[]){"zn"}), "to", "NHWC");
    }
    gb_seeded_weight(g, "w", 4, (const int64_t[]){6, 3, 3, 3}, 1);
    cg_node *c = gb_node_list(g, "conv", "Conv", 4, (const char *[]){nhwc ? "xn" : "x", "w", "", nhwc ? "zn" : "z"},
                              1, (const char *[]){nhwc ? "yn" : "y"});
    gb_attr_ints_csv(c, "kernel_shape", "3,3");
    gb_attr_ints_csv(c, "pads", "1,0,1,2");
    gb_attr_str(c, "cg.activation", "Relu");
    if (nhwc) {
        gb_attr_str(c, "cg.layout", "NHWC");
        gb_attr_str(gb_node_in_domain(g, "yout", "Relayout", CG_LAYOUT_DOMAIN, 1, (const char *[]){"yn"}, 1,
                                      (const char *[]){"y"}), "to", "NCHW");
    }
    gb_output(g, "y");
    gb_sort_and_infer(g);
    return g;
}

static cg_tensor *seeded(const int64_t *dims, int seed)
{
    cg_tensor *t = cg_tensor_new(CG_FLOAT, 4, dims, NULL);
    assert_non_null(t);
    gb_fill_seeded(t, seed);
    return t;
}

static cg_tensor *run_with(cg_graph *g, cg_kernel_choice k, cg_tensor *x, cg_tensor *z)
{
    cg_session *s = gb_session(g, k);
    cg_named_tensor in[] = {{"x", x}, {"z", z}}, *out = NULL;
    int n = 0;
    cg_status st = {0};
    if (cg_session_run(s, in, 2, &out, &n, &st) != CG_OK)
        fail_msg("%s", st.msg);
    assert_int_equal(n, 1);
    cg_tensor *y = out[0].tensor;
    out[0].tensor = NULL;
    cg_named_tensors_free(out, n);
    cg_session_free(s);
    return y;
}

/* A Conv stored channels-last computes the NCHW node's numbers with the
 * reference kernel (what runs when the fast path turns one down) and with the
 * fast one. */
static void test_channels_last_conv_matches_nchw(void **state)
{
    (void)state;
    cg_tensor *x = seeded((const int64_t[]){2, 3, 5, 4}, 1), *z = seeded((const int64_t[]){2, 6, 5, 4}, 2);
    cg_graph *plain = conv_z_graph(false), *nhwc = conv_z_graph(true);
    cg_tensor *want = run_with(plain, CG_KERNELS_REFERENCE, x, z);
    for (int k = 0; k < 2; k++) {
        cg_tensor *got = run_with(nhwc, k ? CG_KERNELS_FAST : CG_KERNELS_REFERENCE, x, z);
        gb_expect_close(want, got, 1e-5);
        cg_tensor_free(got);
    }
    cg_tensor_free(want);
    cg_graph_free(plain);
    cg_graph_free(nhwc);
    cg_tensor_free(x);
    cg_tensor_free(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_region_runs_nhwc_between_two_relayouts),
        cmocka_unit_test(test_broadcast_leaves_the_region_and_outputs_keep_names),
        cmocka_unit_test(test_channel_broadcast_stays_in_the_region),
        cmocka_unit_test(test_symbolic_spatial_dims_stay_nchw),
        cmocka_unit_test(test_shared_input_is_converted_once),
        cmocka_unit_test(test_shape_reads_the_channels_last_tensor_directly),
        cmocka_unit_test(test_long_value_names_get_distinct_twins),
        cmocka_unit_test(test_training_batchnorm_stays_nchw),
        cmocka_unit_test(test_symbolic_batch_runs_every_batch),
        cmocka_unit_test(test_channels_last_conv_matches_nchw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
