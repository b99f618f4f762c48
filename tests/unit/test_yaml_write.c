/* YAML writer: YAML -> IR -> YAML -> IR is a fixed point (the second text equals
 * the first), attribute types survive (1.0 stays a FLOAT), weights come back byte
 * for byte through the .npy files, and what YAML cannot hold is refused. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "convgraph/convgraph.h"
#include "convgraph/format.h"
#include "convgraph/graph_edit.h"

static char g_dir[64];

static int setup_dir(void **state)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/cg_yaml_write_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

/* Removes a folder and everything under it (the tests make two levels). */
static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char child[512];
        snprintf(child, sizeof child, "%s/%s", path, e->d_name);
        remove_tree(child);
    }
    closedir(d);
    rmdir(path);
}

static int remove_dir(void **state)
{
    remove_tree(g_dir);
    return 0;
}

static void path_in(char *buf, size_t len, const char *rel)
{
    snprintf(buf, len, "%s/%s", g_dir, rel);
}

static void make_sub(const char *rel)
{
    char p[256];
    path_in(p, sizeof p, rel);
    assert_int_equal(mkdir(p, 0777), 0);
}

static void write_text(const char *rel, const char *text)
{
    char p[256];
    path_in(p, sizeof p, rel);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

/* The file's bytes plus a NUL, so texts can be searched with strstr. */
static char *read_text(const char *rel, size_t *len)
{
    char p[256];
    path_in(p, sizeof p, rel);
    cg_status st = {0};
    char *buf = cg_read_file(p, len, 1 << 24, &st);
    assert_non_null(buf);
    char *text = malloc(*len + 1);
    assert_non_null(text);
    memcpy(text, buf, *len);
    text[*len] = '\0';
    free(buf);
    return text;
}

static cg_graph *load(const char *rel)
{
    char p[256];
    path_in(p, sizeof p, rel);
    cg_status st = {0};
    cg_graph *g = cg_yaml_load(p, &st);
    if (!g)
        fail_msg("%s", st.msg);
    return g;
}

static void save(const cg_graph *g, const char *rel)
{
    char p[256];
    path_in(p, sizeof p, rel);
    cg_status st = {0};
    cg_code rc = cg_yaml_save(g, p, &st);
    if (rc != CG_OK)
        fail_msg("%s", st.msg);
}

/* Every kind of attribute, names that need quoting, symbolic and unknown dims,
 * an omitted optional input, another domain, weights of several dtypes. */
static const char k_spec[] =
    "model: \"round trip\"\n"
    "opset: 13\n"
    "opsets: {com.example: 2}\n"
    "inputs:\n"
    "  - {name: x, dtype: float32, shape: [N, 3, '?', 8]}\n"
    "  - {name: '7', dtype: int64, shape: []}\n"
    "outputs:\n"
    "  - y\n"
    "  - {name: 'z:0', dtype: float32, shape: [N, 2]}\n"
    "weights:\n"
    "  w: {shape: [2, 3, 3, 3], init: {random: 5}}\n"
    "  'conv/b:0': {dtype: float64, values: [0.1, -2.5]}\n"
    "  idx: {dtype: int64, values: [1, -1, 9223372036854775807]}\n"
    "  h: {dtype: float16, shape: [2], values: [0.333, 65504]}\n"
    "  flags: {dtype: bool, values: [true, false]}\n"
    "nodes:\n"
    "  - {name: conv1, op: Conv, inputs: [x, w, ''], outputs: [c],\n"
    "     kernel_shape: [3, 3], pads: [1, 1, 1, 1], auto_pad: NOTSET}\n"
    "  - {name: act, op: LeakyRelu, inputs: [c], outputs: [y], alpha: 1.0}\n"
    "  - {op: Custom, domain: com.example, inputs: [y, '7', 'conv/b:0', idx, h, flags],\n"
    "     outputs: ['z:0', ''], scale: 1.0e-5, gains: [1.0, 2, .inf, -.nan],\n"
    "     names: [a, 'b c', 'true', '1', \"q\\\"uote\"], text: \"tab\\there\\N\\L\\P \\x01\",\n"
    "     flag: true, empty: [], mode: '42',\n"
    "     small: {dtype: int32, shape: [2, 2], values: [1, 2, 3, 4]},\n"
    "     big: {shape: [80], init: {random: 3}},\n"
    "     tiny: {dtype: float64, values: [0.1]}}\n";

static const cg_attr *attr_of(const cg_graph *g, const char *op, const char *name)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i].op_type, op) == 0)
            return cg_node_attr(&g->nodes[i], name);
    return NULL;
}

static void assert_same_tensor(const cg_tensor *a, const cg_tensor *b)
{
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->dtype, b->dtype);
    assert_int_equal(a->rank, b->rank);
    for (int i = 0; i < a->rank; i++)
        assert_int_equal(a->dims[i], b->dims[i]);
    assert_int_equal(a->nbytes, b->nbytes);
    assert_memory_equal(a->data, b->data, a->nbytes);
}

static void test_round_trip_is_a_fixed_point(void **state)
{
    write_text("spec.yaml", k_spec);
    make_sub("a");
    make_sub("b");
    cg_graph *g0 = load("spec.yaml");
    save(g0, "a/model.yaml");
    cg_graph *g1 = load("a/model.yaml");
    save(g1, "b/model.yaml");
    size_t la, lb;
    char *ta = read_text("a/model.yaml", &la), *tb = read_text("b/model.yaml", &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(ta, tb, la);
    /* Byte-exact weights: every .npy the two writes made is the same file. */
    static const char *const npys[] = {"w.npy", "conv_b_0.npy", "idx.npy", "h.npy",
                                       "flags.npy", "Custom_big.npy"};
    for (size_t i = 0; i < sizeof npys / sizeof npys[0]; i++) {
        char ra[128], rb[128];
        snprintf(ra, sizeof ra, "a/model_weights/%s", npys[i]);
        snprintf(rb, sizeof rb, "b/model_weights/%s", npys[i]);
        size_t na, nb;
        char *fa = read_text(ra, &na), *fb = read_text(rb, &nb);
        assert_int_equal(na, nb);
        assert_memory_equal(fa, fb, na);
        free(fa);
        free(fb);
    }
    free(ta);
    free(tb);
    cg_graph_free(g0);
    cg_graph_free(g1);
}

static void test_graph_survives_the_trip(void **state)
{
    write_text("spec.yaml", k_spec);
    make_sub("a");
    cg_graph *g0 = load("spec.yaml");
    save(g0, "a/model.yaml");
    cg_graph *g1 = load("a/model.yaml");
    assert_string_equal(g1->name, "round trip");
    assert_int_equal(cg_graph_opset(g1, ""), 13);
    assert_int_equal(cg_graph_opset(g1, "com.example"), 2);
    for (int v = 0; v < g0->n_values; v++) {
        const cg_value *a = &g0->values[v];
        int w = cg_graph_find(g1, a->name);
        assert_true(w >= 0);
        const cg_value *b = &g1->values[w];
        assert_int_equal(a->is_input, b->is_input);
        assert_int_equal(a->is_output, b->is_output);
        assert_int_equal(a->is_initializer, b->is_initializer);
        if (a->is_initializer)
            assert_same_tensor(a->data, b->data);
        assert_int_equal(a->has_declared, b->has_declared);
        assert_int_equal(a->declared_dtype, b->declared_dtype);
        assert_int_equal(a->declared_shape.rank, b->declared_shape.rank);
    }
    /* The unknown dim stays unknown, the symbol a symbol. */
    const cg_value *x = &g1->values[cg_graph_find(g1, "x")];
    assert_string_equal(x->declared_shape.d[0].sym, "N");
    assert_true(cg_dim_is_unknown(x->declared_shape.d[2]));
    /* 1.0 stays a FLOAT, true an INT, '42' a STRING; values exact. */
    const cg_attr *alpha = attr_of(g1, "LeakyRelu", "alpha");
    assert_int_equal(alpha->type, CG_ATTR_FLOAT);
    assert_true(alpha->f == 1.0f);
    const cg_attr *scale = attr_of(g1, "Custom", "scale");
    assert_int_equal(scale->type, CG_ATTR_FLOAT);
    assert_true(scale->f == attr_of(g0, "Custom", "scale")->f);
    assert_int_equal(attr_of(g1, "Custom", "flag")->type, CG_ATTR_INT);
    assert_int_equal(attr_of(g1, "Custom", "mode")->type, CG_ATTR_STRING);
    assert_string_equal(attr_of(g1, "Custom", "mode")->s, "42");
    assert_string_equal(attr_of(g1, "Custom", "text")->s, "tab\there\xc2\x85\xe2\x80\xa8\xe2\x80\xa9 \x01");
    const cg_attr *gains = attr_of(g1, "Custom", "gains");
    assert_int_equal(gains->type, CG_ATTR_FLOATS);
    assert_memory_equal(gains->floats, attr_of(g0, "Custom", "gains")->floats, 3 * sizeof(float));
    const cg_attr *names = attr_of(g1, "Custom", "names");
    assert_int_equal(names->type, CG_ATTR_STRINGS);
    assert_int_equal(names->n, 5);
    assert_string_equal(names->strings[2], "true");
    assert_string_equal(names->strings[3], "1");
    assert_string_equal(names->strings[4], "q\"uote");
    for (int i = 0; i < 3; i++) { /* small (inline), big (.npy) and tiny tensors */
        static const char *const which[] = {"small", "big", "tiny"};
        const cg_attr *a = attr_of(g1, "Custom", which[i]);
        assert_int_equal(a->type, CG_ATTR_TENSOR);
        assert_same_tensor(a->t, attr_of(g0, "Custom", which[i])->t);
    }
    /* The omitted optional input and output stay omitted. */
    assert_int_equal(g1->nodes[0].inputs[2], -1);
    assert_int_equal(g1->nodes[2].outputs[1], -1);
    cg_graph_free(g0);
    cg_graph_free(g1);
}

/* Weights of a graph with a declared output and an initializer that is also an
 * output: outputs can be weights. */
static void test_weight_as_output_and_float_text(void **state)
{
    write_text("spec.yaml",
               "model: m\n"
               "outputs: [{name: k, dtype: float32, shape: [3]}]\n"
               "weights:\n"
               "  k: {values: [0.1, 3, 1.0e+20]}\n"
               "nodes: []\n");
    cg_graph *g = load("spec.yaml");
    save(g, "out.yaml");
    size_t len;
    char *text = read_text("out.yaml", &len);
    assert_non_null(strstr(text, "outputs:\n  - {name: k, dtype: float32, shape: [3]}\n"));
    assert_non_null(strstr(text, "weights:\n  k: {file: out_weights/k.npy}\n"));
    cg_graph *back = load("out.yaml");
    assert_same_tensor(g->values[cg_graph_find(g, "k")].data,
                       back->values[cg_graph_find(back, "k")].data);
    free(text);
    cg_graph_free(g);
    cg_graph_free(back);
}

/* YAML -> ONNX -> YAML: the ONNX form carries everything the spec does, so the
 * YAML written back from the ONNX file is the YAML written directly. */
static void test_onnx_in_between_changes_nothing(void **state)
{
    write_text("spec.yaml", k_spec);
    make_sub("a");
    make_sub("b");
    cg_graph *g0 = load("spec.yaml");
    save(g0, "a/model.yaml");
    char onnx[256];
    path_in(onnx, sizeof onnx, "model.onnx");
    cg_status st = {0};
    if (cg_onnx_save(g0, onnx, NULL, &st) != CG_OK)
        fail_msg("%s", st.msg);
    cg_graph *g1 = cg_onnx_load(onnx, &st);
    if (!g1)
        fail_msg("%s", st.msg);
    save(g1, "b/model.yaml");
    size_t la, lb;
    char *ta = read_text("a/model.yaml", &la), *tb = read_text("b/model.yaml", &lb);
    assert_string_equal(ta, tb);
    free(ta);
    free(tb);
    cg_graph_free(g0);
    cg_graph_free(g1);
}

static void expect_refused(cg_graph *g, const char *what)
{
    char p[256];
    path_in(p, sizeof p, "refused.yaml");
    cg_status st = {0};
    assert_int_equal(cg_yaml_save(g, p, &st), CG_ERR_UNSUPPORTED);
    if (!strstr(st.msg, what))
        fail_msg("message '%s' lacks '%s'", st.msg, what);
    assert_int_equal(access(p, F_OK), -1); /* nothing half-written */
}

static void test_what_yaml_cannot_hold_is_refused(void **state)
{
    write_text("spec.yaml",
               "model: m\n"
               "inputs: [{name: x, shape: [2]}]\n"
               "outputs: [y]\n"
               "nodes:\n"
               "  - {name: r, op: Relu, inputs: [x], outputs: [y]}\n");
    cg_graph *g = load("spec.yaml");
    cg_status st = {0};
    cg_attr *a = cg_node_add_attr(&g->nodes[0], "padding", &st);
    a->type = CG_ATTR_INT;
    expect_refused(g, "attribute 'padding' has the name of a node key");
    cg_node_remove_attr(&g->nodes[0], "padding");
    a = cg_node_add_attr(&g->nodes[0], "body", &st);
    a->type = CG_ATTR_GRAPH;
    expect_refused(g, "attribute 'body' (type 5) cannot be written");
    cg_node_remove_attr(&g->nodes[0], "body");
    a = cg_node_add_attr(&g->nodes[0], "bytes", &st);
    a->type = CG_ATTR_STRING;
    a->s = malloc(3);
    memcpy(a->s, "\xff\xfe", 3);
    a->s_len = 2;
    expect_refused(g, "not valid UTF-8");
    cg_graph_free(g);
}

static void test_weights_folder_problems(void **state)
{
    write_text("spec.yaml", "model: m\noutputs: [k]\nweights:\n  k: {values: [1.5]}\nnodes: []\n");
    cg_graph *g = load("spec.yaml");
    save(g, "twice.yaml");
    save(g, "twice.yaml"); /* the folder exists already: fine */
    write_text("blocked_weights", "a file where the folder should go");
    char p[256];
    path_in(p, sizeof p, "blocked.yaml");
    cg_status st = {0};
    assert_int_equal(cg_yaml_save(g, p, &st), CG_ERR_IO);
    assert_non_null(strstr(st.msg, "cannot create the weights folder"));
    assert_int_equal(access(p, F_OK), -1);
    cg_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip_is_a_fixed_point, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_graph_survives_the_trip, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_weight_as_output_and_float_text, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_onnx_in_between_changes_nothing, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_what_yaml_cannot_hold_is_refused, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_weights_folder_problems, setup_dir, remove_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
