/* Core rules: dims and expressions, tensors, graph construction, topological
 * sorting, pins and the inference driver. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "convgraph/convgraph.h"

static const char *fmt_dim(cg_dim d)
{
    static char buf[256];
    cg_dim_format(d, buf, sizeof buf);
    return buf;
}

static void test_dim_expressions_read_naturally(void **state)
{
    (void)state;
    cg_strpool *p = cg_strpool_new();
    cg_dim H = cg_dim_symbol("H"), N = cg_dim_symbol("N");
    assert_string_equal(fmt_dim(cg_dim_div_ceil(p, H, cg_dim_known(2))), "ceil(H/2)");
    assert_string_equal(fmt_dim(cg_dim_div_ceil(p, H, cg_dim_known(1))), "H");
    /* constants fold: (H+1+1)-4 -> H-2 */
    cg_dim e = cg_dim_add(p, H, cg_dim_known(2));
    e = cg_dim_sub(p, e, cg_dim_known(4));
    assert_string_equal(fmt_dim(e), "H-2");
    assert_string_equal(fmt_dim(cg_dim_div_floor(p, e, cg_dim_known(2))), "floor((H-2)/2)");
    assert_string_equal(fmt_dim(cg_dim_add(p, cg_dim_div_floor(p, e, cg_dim_known(2)), cg_dim_known(1))),
                        "floor((H-2)/2)+1");
    assert_string_equal(fmt_dim(cg_dim_sub(p, cg_dim_add(p, H, cg_dim_known(3)), cg_dim_known(3))), "H");
    assert_string_equal(fmt_dim(cg_dim_mul(p, cg_dim_known(3), N)), "N*3");
    assert_string_equal(fmt_dim(cg_dim_mul(p, N, cg_dim_known(1))), "N");
    assert_string_equal(fmt_dim(cg_dim_div_floor(p, N, N)), "1");
    assert_string_equal(fmt_dim(cg_dim_sub(p, N, N)), "0");
    assert_string_equal(fmt_dim(cg_dim_add(p, cg_dim_unknown(), cg_dim_known(1))), "?");
    assert_string_equal(fmt_dim(cg_dim_div_ceil(p, cg_dim_known(64), cg_dim_known(2))), "32");
    assert_string_equal(fmt_dim(cg_dim_div_ceil(p, cg_dim_known(65), cg_dim_known(2))), "33");
    /* known arithmetic reads its result only after the overflow check wrote it */
    assert_string_equal(fmt_dim(cg_dim_mul(p, cg_dim_known(2), cg_dim_known(1))), "2");
    assert_string_equal(fmt_dim(cg_dim_add(p, cg_dim_known(2), cg_dim_known(3))), "5");
    /* a known result below 0 is not a dim */
    assert_true(cg_dim_is_unknown(cg_dim_sub(p, cg_dim_known(2), cg_dim_known(4))));
    assert_true(cg_dim_is_unknown(cg_dim_mul(p, cg_dim_known(INT64_MAX), cg_dim_known(2))));
    cg_strpool_free(p);
}

static void test_negative_literals_round_trip(void **state)
{
    (void)state;
    cg_strpool *p = cg_strpool_new();
    int64_t v = 0;
    cg_dim minus1 = cg_dim_of_i64(p, -1);
    assert_true(cg_dim_is_symbolic(minus1)); /* not "unknown": Reshape needs its -1 */
    assert_true(cg_dim_to_i64(minus1, &v));
    assert_int_equal(v, -1);
    assert_true(cg_dim_to_i64(cg_dim_of_i64(p, 7), &v));
    assert_int_equal(v, 7);
    assert_false(cg_dim_to_i64(cg_dim_symbol("N"), &v));
    assert_false(cg_dim_to_i64(cg_dim_symbol("-N"), &v));
    assert_false(cg_dim_to_i64(cg_dim_unknown(), &v));
    cg_strpool_free(p);
}

static void test_shape_format_and_numel(void **state)
{
    (void)state;
    int64_t dims[] = {1, 3, 224, 224};
    cg_shape s = cg_shape_of(4, dims);
    char buf[64];
    cg_shape_format(&s, buf, sizeof buf);
    assert_string_equal(buf, "[1,3,224,224]");
    assert_int_equal(cg_shape_numel(&s), 150528);
    s.d[0] = cg_dim_symbol("N");
    s.d[3] = cg_dim_unknown();
    cg_shape_format(&s, buf, sizeof buf);
    assert_string_equal(buf, "[N,3,224,?]");
    assert_int_equal(cg_shape_numel(&s), -1);
    cg_shape u = cg_shape_unknown();
    cg_shape_format(&u, buf, sizeof buf);
    assert_string_equal(buf, "?");
    cg_shape scalar = cg_shape_of(0, NULL);
    cg_shape_format(&scalar, buf, sizeof buf);
    assert_string_equal(buf, "[]");
    assert_int_equal(cg_shape_numel(&scalar), 1);
    /* a tiny buffer truncates, never overflows */
    cg_shape_format(&s, buf, 5);
    assert_int_equal(strlen(buf), 4);
}

static void test_tensor_limits_and_conversions(void **state)
{
    (void)state;
    cg_status st = {0};
    int64_t neg[] = {2, -1};
    assert_null(cg_tensor_new(CG_FLOAT, 2, neg, &st));
    assert_non_null(strstr(st.msg, "negative"));
    int64_t huge[] = {INT64_MAX / 2, 4};
    assert_null(cg_tensor_new(CG_FLOAT, 2, huge, &st));
    assert_non_null(strstr(st.msg, "overflows"));
    int64_t big[] = {1 << 20, 1 << 20, 64};
    assert_null(cg_tensor_new(CG_FLOAT, 3, big, &st));
    assert_int_equal(st.code, CG_ERR_NOMEM);
    int64_t d[] = {3};
    cg_tensor *t = cg_tensor_new(CG_FLOAT16, 1, d, &st);
    uint16_t *h = t->data;
    h[0] = cg_float_to_half(1.5f);
    h[1] = cg_float_to_half(-65504.0f);
    h[2] = cg_float_to_half(5.96046448e-08f); /* smallest subnormal */
    assert_true(cg_tensor_get_f64(t, 0) == 1.5);
    assert_true(cg_tensor_get_f64(t, 1) == -65504.0);
    assert_true(cg_tensor_get_f64(t, 2) == 5.9604644775390625e-08);
    assert_int_equal(cg_tensor_get_i64(t, 0), 1);
    assert_int_equal(h[0], 0x3e00);
    cg_tensor_free(t);
}

/* x -> A -> a -> B -> b, written in reverse order in the "file". */
static cg_graph *two_node_graph(bool reversed)
{
    cg_status st = {0};
    cg_graph *g = cg_graph_new("mem.onnx");
    cg_graph_add_opset(g, "", 13, &st);
    cg_graph_add_input(g, cg_graph_intern(g, "x", &st), &st);
    const char *in_a[] = {"x"}, *out_a[] = {"a"}, *in_b[] = {"a"}, *out_b[] = {"b"};
    for (int k = 0; k < 2; k++) {
        bool first = (k == 0) != reversed;
        cg_node *n = cg_graph_add_node(g, first ? "A" : "B", "Relu", "", &st);
        cg_node_set_inputs(g, n, first ? in_a : in_b, 1, &st);
        cg_node_set_outputs(g, n, first ? out_a : out_b, 1, &st);
    }
    cg_graph_add_output(g, cg_graph_find(g, "b"), &st);
    return g;
}

static void test_toposort_orders_and_reports_file_order(void **state)
{
    (void)state;
    cg_status st = {0};
    cg_graph *g = two_node_graph(true);
    assert_int_equal(cg_graph_toposort(g, &st), CG_OK);
    assert_string_equal(g->nodes[0].name, "A");
    assert_false(g->file_order_sorted);
    assert_int_equal(g->values[cg_graph_find(g, "b")].producer, 1);
    cg_graph_free(g);
    g = two_node_graph(false);
    assert_int_equal(cg_graph_toposort(g, &st), CG_OK);
    assert_true(g->file_order_sorted);
    cg_graph_free(g);
}

static void test_toposort_errors_name_the_node(void **state)
{
    (void)state;
    cg_status st = {0};
    cg_graph *g = cg_graph_new("cyc.onnx");
    const char *ab[] = {"a"}, *bb[] = {"b"};
    cg_node *n = cg_graph_add_node(g, "first", "Relu", "", &st);
    cg_node_set_inputs(g, n, bb, 1, &st);
    cg_node_set_outputs(g, n, ab, 1, &st);
    n = cg_graph_add_node(g, "second", "Relu", "", &st);
    cg_node_set_inputs(g, n, ab, 1, &st);
    cg_node_set_outputs(g, n, bb, 1, &st);
    assert_int_equal(cg_graph_toposort(g, &st), CG_ERR_INVALID);
    assert_non_null(strstr(st.msg, "cyc.onnx: node 'first' (Relu)"));
    assert_non_null(strstr(st.msg, "cycle"));
    cg_graph_free(g);

    g = cg_graph_new("dangling.onnx");
    const char *in[] = {"nowhere"}, *out[] = {"y"};
    n = cg_graph_add_node(g, "", "Relu", "", &st);
    cg_node_set_inputs(g, n, in, 1, &st);
    cg_node_set_outputs(g, n, out, 1, &st);
    assert_int_equal(cg_graph_toposort(g, &st), CG_ERR_INVALID);
    assert_string_equal(st.msg, "dangling.onnx: node #0 (output 'y') (Relu): input 'nowhere' is not a graph "
                                "input, an initializer or any node's output");
    n = cg_graph_add_node(g, "twice", "Relu", "", &st);
    cg_node_set_inputs(g, n, out, 1, &st);
    cg_node_set_outputs(g, n, out, 1, &st);
    assert_int_equal(cg_graph_toposort(g, &st), CG_ERR_INVALID);
    assert_non_null(strstr(st.msg, "node 'twice' (Relu): output 'y' is also produced"));
    cg_graph_free(g);
}

static void test_pins_parse_and_apply(void **state)
{
    (void)state;
    cg_status st = {0};
    cg_pin pin;
    assert_int_equal(cg_pin_parse("in:put:1,3,224,224", &pin, &st), CG_OK);
    assert_string_equal(pin.name, "in:put");
    assert_int_equal(pin.rank, 4);
    assert_int_equal(pin.dims[3], 224);
    assert_int_not_equal(cg_pin_parse("x:1,-3", &pin, &st), CG_OK);
    assert_int_not_equal(cg_pin_parse("x", &pin, &st), CG_OK);
    assert_int_not_equal(cg_pin_parse("x:1,,2", &pin, &st), CG_OK);
    assert_int_equal(cg_pin_parse("scalar:", &pin, &st), CG_OK);
    assert_int_equal(pin.rank, 0);

    cg_graph *g = two_node_graph(false);
    cg_graph_toposort(g, &st);
    cg_value *x = &g->values[cg_graph_find(g, "x")];
    x->shape.rank = 2;
    x->shape.d[0] = cg_dim_symbol("N");
    x->shape.d[1] = cg_dim_known(8);
    cg_pin_parse("x:4,9", &pin, &st);
    cg_infer_options opt = {&pin, 1, NULL};
    assert_int_equal(cg_graph_infer_shapes(g, &opt, &st), CG_ERR_INVALID);
    assert_non_null(strstr(st.msg, "fixes it at 8"));
    cg_pin_parse("y:4,8", &pin, &st);
    assert_int_equal(cg_graph_infer_shapes(g, &opt, &st), CG_ERR_INVALID);
    assert_non_null(strstr(st.msg, "has no input of that name"));
    cg_pin_parse("x:4,8", &pin, &st);
    cg_graph_infer_shapes(g, &opt, &st);
    assert_true(cg_dim_equal(x->shape.d[0], cg_dim_known(4)));
    cg_graph_free(g);
}

static void test_unsupported_ops_are_listed_with_counts(void **state)
{
    (void)state;
    cg_status st = {0};
    cg_graph *g = cg_graph_new("u.onnx");
    cg_graph_add_opset(g, "", 13, &st);
    cg_graph_add_input(g, cg_graph_intern(g, "x", &st), &st);
    const char *names[] = {"x", "a", "b", "c"};
    const char *ops[] = {"NoSuchOp", "Other", "NoSuchOp"};
    for (int i = 0; i < 3; i++) {
        cg_node *n = cg_graph_add_node(g, "", ops[i], "", &st);
        cg_node_set_inputs(g, n, &names[i], 1, &st);
        cg_node_set_outputs(g, n, &names[i + 1], 1, &st);
    }
    cg_graph_toposort(g, &st);
    char buf[128];
    assert_int_equal(cg_graph_unsupported_ops(g, buf, sizeof buf), 2);
    assert_string_equal(buf, "NoSuchOp:2, Other:1");
    /* unsupported ops leave outputs unknown but are not inference errors */
    assert_int_equal(cg_graph_infer_shapes(g, NULL, &st), CG_OK);
    assert_int_equal(g->values[cg_graph_find(g, "c")].shape.rank, -1);
    assert_int_equal(cg_graph_total_macs(g), -1);
    cg_graph_free(g);
}

static void test_messages_stay_one_line(void **state)
{
    (void)state;
    cg_status st = {0};
    /* a name read from a file may hold a newline or an escape */
    cg_fail(&st, CG_ERR_INVALID, "m.yaml: node '%s' (Relu): bad", "r\nq\x1b[2J");
    assert_string_equal(st.msg, "m.yaml: node 'r?q?[2J' (Relu): bad");
}

static void test_attribute_lookup_defaults(void **state)
{
    (void)state;
    cg_status st = {0};
    cg_graph *g = cg_graph_new(NULL);
    cg_node *n = cg_graph_add_node(g, "n", "Conv", "ai.onnx", &st);
    assert_string_equal(n->domain, "");
    cg_attr *a = cg_node_add_attr(n, "group", &st);
    a->type = CG_ATTR_INT;
    a->i = 4;
    assert_int_equal(cg_attr_int(n, "group", 1), 4);
    assert_int_equal(cg_attr_int(n, "missing", 7), 7);
    assert_string_equal(cg_attr_string(n, "auto_pad", "NOTSET"), "NOTSET");
    int count = -1;
    assert_null(cg_attr_ints(n, "pads", &count));
    assert_int_equal(count, 0);
    cg_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dim_expressions_read_naturally),
        cmocka_unit_test(test_negative_literals_round_trip),
        cmocka_unit_test(test_shape_format_and_numel),
        cmocka_unit_test(test_tensor_limits_and_conversions),
        cmocka_unit_test(test_toposort_orders_and_reports_file_order),
        cmocka_unit_test(test_toposort_errors_name_the_node),
        cmocka_unit_test(test_pins_parse_and_apply),
        cmocka_unit_test(test_unsupported_ops_are_listed_with_counts),
        cmocka_unit_test(test_messages_stay_one_line),
        cmocka_unit_test(test_attribute_lookup_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
