/* cg_dot_text / cg_dot_save on graphs built through graph.h: what the Python
 * tests cannot build through onnx.helper (invalid UTF-8 names) and the exact
 * quoting of each kind of byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "convgraph/convgraph.h"
#include "convgraph/dot.h"
#include "convgraph/graph_edit.h"

static const int64_t nchw_1144[] = {1, 1, 4, 4};
static const int64_t two_by_two[] = {2, 2};

/* x[1,1,4,4] -> MaxPool k2 s2 SAME_UPPER (named node_name) -> y, inferred. */
static cg_graph *pool_graph(const char *input_name, const char *node_name)
{
    cg_graph *g = cg_graph_new("test.onnx");
    assert_non_null(g);
    assert_int_equal(cg_graph_add_opset(g, "", 13, NULL), CG_OK);
    int x = cg_graph_intern(g, input_name, NULL);
    assert_true(x >= 0);
    g->values[x].dtype = CG_FLOAT;
    g->values[x].shape = cg_shape_of(4, nchw_1144);
    assert_int_equal(cg_graph_add_input(g, x, NULL), CG_OK);
    cg_node *n = cg_graph_add_node(g, node_name, "MaxPool", "", NULL);
    assert_non_null(n);
    const char *out = "y";
    assert_int_equal(cg_node_set_inputs(g, n, &input_name, 1, NULL), CG_OK);
    assert_int_equal(cg_node_set_outputs(g, n, &out, 1, NULL), CG_OK);
    assert_int_equal(cg_node_set_ints(n, "kernel_shape", two_by_two, 2, NULL), CG_OK);
    assert_int_equal(cg_node_set_ints(n, "strides", two_by_two, 2, NULL), CG_OK);
    cg_attr *a = cg_node_add_attr(n, "auto_pad", NULL);
    assert_non_null(a);
    a->type = CG_ATTR_STRING;
    a->s = strdup("SAME_UPPER");
    a->s_len = strlen(a->s);
    assert_int_equal(cg_graph_add_output(g, cg_graph_find(g, "y"), NULL), CG_OK);
    assert_int_equal(cg_graph_toposort(g, NULL), CG_OK);
    assert_int_equal(cg_graph_infer_shapes(g, NULL, NULL), CG_OK);
    return g;
}

static char *dot_of(const cg_graph *g)
{
    size_t len = 0;
    cg_status st = {0};
    char *text = cg_dot_text(g, &len, &st);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    return text;
}

static void test_labels_and_pads(void **state)
{
    (void)state;
    cg_graph *g = pool_graph("x", "pool");
    char *text = dot_of(g);
    assert_non_null(strstr(text, "rankdir=TB;"));
    assert_non_null(strstr(text, "\"i0\" [shape=invhouse"));
    assert_non_null(strstr(text, "label=\"x\\nfloat32[1,1,4,4]\"];"));
    assert_non_null(strstr(text, "label=\"pool\\nMaxPool 2x2 s2 SAME_UPPER pads 0,0,0,0\"];"));
    assert_non_null(strstr(text, "\"i0\" -> \"n0\" [label=\"[1,1,4,4]\"];"));
    assert_non_null(strstr(text, "\"n0\" -> \"o1\" [label=\"[1,1,2,2]\"];"));
    free(text);
    cg_graph_free(g);
}

static void test_quoting_of_every_kind_of_byte(void **state)
{
    (void)state;
    /* quote, backslash, newline, tab, invalid UTF-8, a truncated sequence, then
     * valid two- and three-byte UTF-8 that must survive */
    cg_graph *g = pool_graph("a\"b\\c\nd\te\xff\xc3", "caf\xc3\xa9 \xe2\x86\x92");
    char *text = dot_of(g);
    assert_non_null(strstr(text, "label=\"a\\\"b\\\\c\\nd?e??\\nfloat32[1,1,4,4]\""));
    assert_non_null(strstr(text, "label=\"caf\xc3\xa9 \xe2\x86\x92\\nMaxPool"));
    for (const char *p = text; *p; p++)
        assert_true(*p == '\n' || (unsigned char)*p >= 0x20);
    free(text);
    cg_graph_free(g);
}

static void test_long_names_are_cut_for_graphviz(void **state)
{
    (void)state;
    char *name = malloc(20001);
    assert_non_null(name);
    memset(name, '"', 20000); /* each escapes to two bytes */
    name[20000] = '\0';
    cg_graph *g = pool_graph(name, "pool");
    char *text = dot_of(g);
    const char *label = strstr(text, "\"i0\" [");
    assert_non_null(label);
    label = strstr(label, "label=\"") + strlen("label=\"");
    const char *end = strstr(label, "...\"];");
    assert_non_null(end);
    assert_true(end - label + 3 < 16384); /* Graphviz's limit on a quoted string */
    free(text);
    cg_graph_free(g);
    free(name);
}

static void test_save_writes_the_text_or_fails_cleanly(void **state)
{
    (void)state;
    cg_graph *g = pool_graph("x", "pool");
    char path[] = "/tmp/cg-dot-test-XXXXXX";
    assert_non_null(mkdtemp(path));
    char file[64];
    snprintf(file, sizeof file, "%s/g.dot", path);
    cg_status st = {0};
    assert_int_equal(cg_dot_save(g, file, &st), CG_OK);
    size_t len;
    char *saved = cg_read_file(file, &len, 1 << 20, &st), *text = dot_of(g);
    assert_non_null(saved);
    assert_memory_equal(saved, text, len);
    remove(file);
    snprintf(file, sizeof file, "%s/missing/g.dot", path);
    assert_int_equal(cg_dot_save(g, file, &st), CG_ERR_IO);
    assert_non_null(strstr(st.msg, file));
    rmdir(path);
    free(saved);
    free(text);
    cg_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels_and_pads),
        cmocka_unit_test(test_quoting_of_every_kind_of_byte),
        cmocka_unit_test(test_long_names_are_cut_for_graphviz),
        cmocka_unit_test(test_save_writes_the_text_or_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
