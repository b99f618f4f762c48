/* cg_graph_check: each kind of problem `convgraph check` reports, on graphs built
 * through graph.h, and a clean graph that reports none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "convgraph/check.h"
#include "convgraph/convgraph.h"
#include "support/graph_build.h"

static const int64_t nchw_1388[] = {1, 3, 8, 8};

static void add_graph_input(cg_graph *g, const char *name, int rank, const int64_t *dims)
{
    gb_input(g, name, CG_FLOAT, cg_shape_of(rank, dims));
}

/* A zero-filled float initializer. */
static void add_initializer(cg_graph *g, const char *name, int rank, const int64_t *dims)
{
    gb_initializer(g, name, gb_tensor(CG_FLOAT, rank, dims, NULL));
}

static void add_node(cg_graph *g, const char *name, const char *op, const char *const *inputs,
                     int n_inputs, const char *output)
{
    gb_node_list(g, name, op, n_inputs, inputs, 1, &output);
}

static void add_unary(cg_graph *g, const char *name, const char *op, const char *in,
                      const char *out)
{
    add_node(g, name, op, &in, 1, out);
}

/* What a file's graph output or value_info entry says about a value. */
static void declare(cg_graph *g, const char *name, cg_dtype dtype, int rank,
                    const int64_t *dims)
{
    int v = gb_value(g, name);
    g->values[v].has_declared = true;
    g->values[v].declared_dtype = dtype;
    g->values[v].declared_shape = cg_shape_of(rank, dims);
}

/* x[1,3,8,8] -> Relu 'r1' -> h -> Relu 'r2' -> y, y a graph output. */
static cg_graph *relu_chain(void)
{
    cg_graph *g = gb_graph(13);
    add_graph_input(g, "x", 4, nchw_1388);
    add_unary(g, "r1", "Relu", "x", "h");
    add_unary(g, "r2", "Relu", "h", "y");
    gb_outputs(g, "y");
    assert_int_equal(cg_graph_toposort(g, NULL), CG_OK);
    return g;
}

/* Runs the checks, which must run to the end; returns the problem count. */
static int run_check(cg_graph *g, cg_diag_list *problems)
{
    cg_status st = {0};
    memset(problems, 0, sizeof *problems);
    assert_int_equal(cg_graph_check(g, NULL, problems, &st), CG_OK);
    return problems->n;
}

static void assert_line_has(const cg_diag_list *d, int i, const char *a, const char *b)
{
    assert_true(i < d->n);
    if (!strstr(d->lines[i], a) || (b && !strstr(d->lines[i], b)))
        fail_msg("line %d '%s' lacks '%s' or '%s'", i, d->lines[i], a, b ? b : "");
}

static void test_clean_graph_has_no_problems(void **state)
{
    (void)state;
    cg_graph *g = relu_chain();
    declare(g, "y", CG_FLOAT, 4, nchw_1388);
    declare(g, "h", CG_FLOAT, 4, nchw_1388);
    cg_diag_list d;
    assert_int_equal(run_check(g, &d), 0);
    cg_diag_free(&d);
    cg_graph_free(g);
}

static void test_value_info_with_other_dim_is_reported(void **state)
{
    (void)state;
    static const int64_t wrong[] = {1, 3, 8, 9};
    cg_graph *g = relu_chain();
    declare(g, "h", CG_FLOAT, 4, wrong);
    cg_diag_list d;
    assert_int_equal(run_check(g, &d), 1);
    assert_string_equal(d.lines[0], "test.onnx: node 'r1' (Relu): 'h' is declared "
                                    "float32[1,3,8,9] but inferred float32[1,3,8,8] (dim 3 differs)");
    cg_diag_free(&d);
    cg_graph_free(g);
}

static void test_declared_rank_and_dtype_conflicts_are_reported(void **state)
{
    (void)state;
    static const int64_t rank3[] = {3, 8, 8};
    cg_graph *g = relu_chain();
    declare(g, "h", CG_FLOAT, 3, rank3);
    declare(g, "y", CG_INT64, 4, nchw_1388);
    cg_diag_list d;
    assert_int_equal(run_check(g, &d), 2);
    assert_line_has(&d, 0, "'h' is declared float32[3,8,8]", "(rank differs)");
    assert_line_has(&d, 1, "node 'r2' (Relu): 'y' is declared int64", "(dtype differs)");
    cg_diag_free(&d);
    cg_graph_free(g);
}

static void test_unknown_declared_dims_do_not_conflict(void **state)
{
    (void)state;
    cg_graph *g = relu_chain();
    declare(g, "y", CG_UNDEFINED, 4, nchw_1388);
    int v = cg_graph_find(g, "y");
    g->values[v].declared_shape.d[0] = cg_dim_symbol("N");
    g->values[v].declared_shape.d[2] = cg_dim_unknown();
    cg_diag_list d;
    assert_int_equal(run_check(g, &d), 0);
    cg_diag_free(&d);
    cg_graph_free(g);
}

static void test_duplicate_node_names_reported_once(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    add_graph_input(g, "x", 4, nchw_1388);
    add_unary(g, "zed", "Relu", "x", "a");
    add_unary(g, "act", "Sigmoid", "a", "b");
    add_unary(g, "zed", "Relu", "b", "c");
    add_unary(g, "", "Relu", "c", "d");
    add_unary(g, "", "Relu", "d", "e");
    add_unary(g, "zed", "Tanh", "e", "f");
    add_unary(g, "act", "Relu", "f", "y");
    gb_outputs(g, "y");
    assert_int_equal(cg_graph_toposort(g, NULL), CG_OK);
    cg_diag_list d;
    /* one line per name, in file order; unnamed nodes are not duplicates */
    assert_int_equal(run_check(g, &d), 2);
    assert_string_equal(d.lines[0], "test.onnx: node 'zed' (Relu): 3 nodes share this name");
    assert_string_equal(d.lines[1], "test.onnx: node 'act' (Sigmoid): 2 nodes share this name");
    cg_diag_free(&d);
    cg_graph_free(g);
}

static void test_unsupported_ops_listed_once_with_counts(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    add_graph_input(g, "x", 4, nchw_1388);
    add_unary(g, "f1", "FancyOp", "x", "a");
    add_unary(g, "r", "Relu", "a", "b");
    add_unary(g, "f2", "FancyOp", "b", "c");
    add_unary(g, "o", "OtherOp", "c", "y");
    gb_outputs(g, "y");
    assert_int_equal(cg_graph_toposort(g, NULL), CG_OK);
    cg_diag_list d;
    assert_int_equal(run_check(g, &d), 1);
    assert_string_equal(d.lines[0], "test.onnx: 2 unsupported op types (outputs left unknown): "
                                    "FancyOp:2, OtherOp:1");
    cg_diag_free(&d);
    cg_graph_free(g);
}

static void test_nodes_out_of_file_order_reported(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    add_graph_input(g, "x", 4, nchw_1388);
    add_unary(g, "second", "Relu", "h", "y");
    add_unary(g, "first", "Relu", "x", "h");
    gb_outputs(g, "y");
    assert_int_equal(cg_graph_toposort(g, NULL), CG_OK);
    cg_diag_list d;
    assert_int_equal(run_check(g, &d), 1);
    assert_line_has(&d, 0, "test.onnx: nodes are not in topological order in the file", NULL);
    /* the sorted graph still infers: the output is known */
    assert_int_equal(g->values[cg_graph_find(g, "y")].shape.rank, 4);
    cg_diag_free(&d);
    cg_graph_free(g);
}

static void test_graph_output_nothing_produces(void **state)
{
    (void)state;
    cg_graph *g = relu_chain();
    gb_outputs(g, "ghost");
    cg_diag_list d;
    assert_int_equal(run_check(g, &d), 1);
    assert_string_equal(d.lines[0], "test.onnx: graph output 'ghost' is not produced by any node");
    cg_diag_free(&d);
    cg_graph_free(g);
}

/* Two Conv nodes whose weights expect 2 input channels where x has 3: inference
 * goes on past the first, so both are reported, each naming its node. */
static void test_every_shape_function_problem_is_collected(void **state)
{
    (void)state;
    static const int64_t w_dims[] = {4, 2, 3, 3};
    cg_graph *g = gb_graph(13);
    add_graph_input(g, "x", 4, nchw_1388);
    add_initializer(g, "w", 4, w_dims);
    const char *in1[] = {"x", "w"}, *in2[] = {"x", "w"};
    add_node(g, "conv_a", "Conv", in1, 2, "a");
    add_node(g, "conv_b", "Conv", in2, 2, "b");
    gb_outputs(g, "a");
    gb_outputs(g, "b");
    assert_int_equal(cg_graph_toposort(g, NULL), CG_OK);
    cg_diag_list d;
    assert_int_equal(run_check(g, &d), 2);
    assert_line_has(&d, 0, "test.onnx: node 'conv_a' (Conv)", "3");
    assert_line_has(&d, 1, "test.onnx: node 'conv_b' (Conv)", "3");
    cg_diag_free(&d);
    cg_graph_free(g);
}

static void test_typed_initializer_with_other_shape_is_reported(void **state)
{
    (void)state;
    static const int64_t w_dims[] = {4, 3, 3, 3}, w_declared[] = {4, 3, 5, 5};
    cg_graph *g = gb_graph(13);
    add_graph_input(g, "x", 4, nchw_1388);
    add_initializer(g, "w", 4, w_dims);
    declare(g, "w", CG_FLOAT, 4, w_declared);
    const char *in[] = {"x", "w"};
    add_node(g, "conv", "Conv", in, 2, "y");
    gb_outputs(g, "y");
    assert_int_equal(cg_graph_toposort(g, NULL), CG_OK);
    cg_diag_list d;
    assert_int_equal(run_check(g, &d), 1);
    assert_string_equal(d.lines[0], "test.onnx: initializer: 'w' is declared float32[4,3,5,5] "
                                    "but inferred float32[4,3,3,3] (dim 2 differs)");
    cg_diag_free(&d);
    cg_graph_free(g);
}

static void test_bad_pins_stop_the_check(void **state)
{
    (void)state;
    static const cg_pin no_such_input = {"nope", 4, {1, 3, 8, 8}};
    static const cg_pin wrong_rank = {"x", 3, {3, 8, 8}};
    static const cg_pin fixed_dim = {"x", 4, {1, 3, 8, 16}};
    cg_graph *g = relu_chain();
    cg_status st = {0};
    cg_diag_list d = {0};
    cg_infer_options opt = {&no_such_input, 1, NULL};
    assert_int_equal(cg_graph_check(g, &opt, &d, &st), CG_ERR_INVALID);
    assert_string_equal(st.msg, "test.onnx: --input-shape nope: the graph has no input of that name");
    opt.pins = &wrong_rank;
    assert_int_equal(cg_graph_check(g, &opt, &d, &st), CG_ERR_INVALID);
    assert_string_equal(st.msg, "test.onnx: --input-shape x: gives 3 dims but the input has rank 4");
    opt.pins = &fixed_dim;
    assert_int_equal(cg_graph_check(g, &opt, &d, &st), CG_ERR_INVALID);
    assert_string_equal(st.msg, "test.onnx: --input-shape x: gives dim 3 = 16 but the model fixes it at 8");
    assert_int_equal(d.n, 0);
    cg_diag_free(&d);
    cg_graph_free(g);
}

static void test_pins_flow_into_inference(void **state)
{
    (void)state;
    static const int64_t declared_y[] = {2, 3, 8, 8};
    cg_graph *g = gb_graph(13);
    add_graph_input(g, "x", 4, nchw_1388);
    g->values[cg_graph_find(g, "x")].shape.d[0] = cg_dim_symbol("N");
    add_unary(g, "r", "Relu", "x", "y");
    gb_outputs(g, "y");
    declare(g, "y", CG_FLOAT, 4, declared_y);
    assert_int_equal(cg_graph_toposort(g, NULL), CG_OK);
    cg_diag_list d;
    /* unpinned, y is [N,3,8,8]: a symbol never contradicts a declared 2 */
    assert_int_equal(run_check(g, &d), 0);
    cg_diag_free(&d);
    cg_pin one = {"x", 4, {1, 3, 8, 8}};
    cg_infer_options opt = {&one, 1, NULL};
    cg_status st = {0};
    assert_int_equal(cg_graph_check(g, &opt, &d, &st), CG_OK);
    assert_int_equal(d.n, 1);
    assert_line_has(&d, 0, "(dim 0 differs)", NULL);
    cg_diag_free(&d);
    cg_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_graph_has_no_problems),
        cmocka_unit_test(test_value_info_with_other_dim_is_reported),
        cmocka_unit_test(test_declared_rank_and_dtype_conflicts_are_reported),
        cmocka_unit_test(test_unknown_declared_dims_do_not_conflict),
        cmocka_unit_test(test_duplicate_node_names_reported_once),
        cmocka_unit_test(test_unsupported_ops_listed_once_with_counts),
        cmocka_unit_test(test_nodes_out_of_file_order_reported),
        cmocka_unit_test(test_graph_output_nothing_produces),
        cmocka_unit_test(test_every_shape_function_problem_is_collected),
        cmocka_unit_test(test_typed_initializer_with_other_shape_is_reported),
        cmocka_unit_test(test_bad_pins_stop_the_check),
        cmocka_unit_test(test_pins_flow_into_inference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
