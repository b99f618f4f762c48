/* YAML model spec: the bundled models, every kind of weight and attribute, and
 * errors that point at FILE:LINE:COL. Specs are written to a scratch folder. */
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
#include "format/yaml_parse.h"

static char g_dir[64];   /* per-run scratch folder */
static char g_spec[128]; /* the spec each test writes */
static char g_npy[128];  /* a .npy next to it, in a subfolder */
static char g_sub[128];

static int setup_dir(void **state)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/cg_yaml_XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    snprintf(g_spec, sizeof g_spec, "%s/spec.yaml", g_dir);
    snprintf(g_sub, sizeof g_sub, "%s/w", g_dir);
    snprintf(g_npy, sizeof g_npy, "%s/w/k.npy", g_dir);
    return 0;
}

static int remove_dir(void **state)
{
    unlink(g_spec);
    unlink(g_npy);
    rmdir(g_sub);
    return rmdir(g_dir);
}

static void write_file(const char *path, const void *bytes, size_t len)
{
    /* A fresh file each time: ext4 flushes files truncated and rewritten in place
     * (auto_da_alloc), which makes thousands of rewrites slow. */
    unlink(path);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static cg_graph *load_text(const char *text, cg_status *st)
{
    write_file(g_spec, text, strlen(text));
    return cg_yaml_load(g_spec, st);
}

static cg_graph *load_ok(const char *text)
{
    cg_status st = {0};
    cg_graph *g = load_text(text, &st);
    if (!g)
        fail_msg("%s", st.msg);
    return g;
}

/* Expects failure with `code` and exactly "SPEC:<where_what>". */
static void expect_error(const char *text, cg_code code, const char *where_what)
{
    cg_status st = {0};
    cg_graph *g = load_text(text, &st);
    assert_null(g);
    char want[CG_MSG_MAX];
    snprintf(want, sizeof want, "%s:%s", g_spec, where_what);
    assert_string_equal(st.msg, want);
    assert_int_equal(st.code, code);
}

/* Bundled files sit at fixed places relative to this source file. */
static void repo_path(char *buf, size_t len, const char *rel)
{
    const char *unit = strstr(__FILE__, "tests/unit/");
    assert_non_null(unit);
    snprintf(buf, len, "%.*s%s", (int)(unit - __FILE__), __FILE__, rel);
}

static const cg_value *value(const cg_graph *g, const char *name)
{
    int v = cg_graph_find(g, name);
    if (v < 0)
        fail_msg("no value '%s'", name);
    return &g->values[v];
}

static const cg_node *node(const cg_graph *g, const char *name)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i].name, name) == 0)
            return &g->nodes[i];
    fail_msg("no node '%s'", name);
    return NULL;
}

static void assert_shape(const cg_shape *s, const char *want)
{
    char buf[128];
    cg_shape_format(s, buf, sizeof buf);
    assert_string_equal(buf, want);
}

static void assert_ints(const cg_node *n, const char *attr, int count, const int64_t *want)
{
    int got = 0;
    const int64_t *v = cg_attr_ints(n, attr, &got);
    assert_int_equal(got, count);
    for (int i = 0; i < count; i++)
        assert_int_equal(v[i], want[i]);
}

static void assert_pads(const cg_node *n, int axis, int64_t begin, int64_t end)
{
    assert_non_null(n->window);
    assert_int_equal(n->window->axes[axis].pad_begin, begin);
    assert_int_equal(n->window->axes[axis].pad_end, end);
}

static void infer(cg_graph *g)
{
    cg_status st = {0};
    if (cg_graph_infer_shapes(g, NULL, &st) != CG_OK)
        fail_msg("%s", st.msg);
}

/* ---- bundled models ---- */

/* The example from the field: 64x64, kernel 4, stride 2: SAME -> 32 with one pixel
 * each side (DESIGN.md, TensorFlow kernel_shape_util), VALID -> 31. */
static void test_seed_conv_model(void **state)
{
    char path[512];
    cg_status st = {0};
    repo_path(path, sizeof path, "models/seed_conv.yaml");
    cg_graph *g = cg_yaml_load(path, &st);
    if (!g)
        fail_msg("%s", st.msg);
    assert_string_equal(g->name, "seed_conv");
    assert_int_equal(cg_graph_opset(g, ""), 17);
    assert_int_equal(g->n_inputs, 1);
    const cg_value *x = &g->values[g->inputs[0]];
    assert_string_equal(x->name, "x");
    assert_true(x->has_declared);
    assert_int_equal(x->declared_dtype, CG_FLOAT);
    assert_shape(&x->declared_shape, "[1,3,64,64]");
    assert_int_equal(g->n_outputs, 2);
    const cg_node *same = node(g, "conv_same"), *valid = node(g, "conv_valid");
    assert_string_equal(cg_attr_string(same, "auto_pad", ""), "SAME_UPPER");
    assert_string_equal(cg_attr_string(valid, "auto_pad", ""), "VALID");
    assert_ints(same, "kernel_shape", 2, (const int64_t[]){4, 4});
    assert_ints(same, "strides", 2, (const int64_t[]){2, 2});
    const cg_value *w = value(g, "w_same");
    assert_true(w->is_initializer);
    assert_shape(&w->shape, "[6,3,4,4]");
    float expect[6 * 3 * 4 * 4];
    yd_random_fill(1, expect, 6 * 3 * 4 * 4);
    assert_memory_equal(w->data->data, expect, sizeof expect);
    assert_int_equal(cg_graph_param_count(g), 2 * (6 * 3 * 4 * 4 + 6));

    infer(g);
    assert_shape(&value(g, "y_same")->shape, "[1,6,32,32]");
    assert_shape(&value(g, "y_valid")->shape, "[1,6,31,31]");
    same = node(g, "conv_same");
    assert_pads(same, 0, 1, 1);
    assert_pads(same, 1, 1, 1);
    assert_pads(node(g, "conv_valid"), 0, 0, 0);
    cg_graph_free(g);
}

static void test_small_cnn_model(void **state)
{
    char path[512];
    cg_status st = {0};
    repo_path(path, sizeof path, "models/small_cnn.yaml");
    cg_graph *g = cg_yaml_load(path, &st);
    if (!g)
        fail_msg("%s", st.msg);
    assert_int_equal(g->n_nodes, 15);
    assert_int_equal(cg_graph_param_count(g), 33546);
    const cg_value *image = value(g, "image");
    assert_true(cg_dim_is_symbolic(image->shape.d[0]));
    assert_string_equal(image->shape.d[0].sym, "N");
    assert_true(cg_attr_float(node(g, "bn1"), "epsilon", 0) == 1.0e-5f);
    assert_int_equal(cg_attr_int(node(g, "fc"), "transB", 0), 1);

    infer(g);
    assert_pads(node(g, "conv1"), 0, 1, 1);
    assert_shape(&value(g, "p1")->shape, "[N,16,16,16]");
    /* 16 -> 8 with k3 s2: total pad 1, and TensorFlow puts it at the end. */
    assert_pads(node(g, "conv2"), 0, 0, 1);
    assert_pads(node(g, "conv2"), 1, 0, 1);
    /* k3 d2: effective kernel 5, so SAME pads 2/2 (TensorFlow, ONNX shape inference). */
    assert_pads(node(g, "conv3"), 0, 2, 2);
    assert_shape(&value(g, "c3")->shape, "[N,32,8,8]");
    assert_shape(&value(g, "c4")->shape, "[N,64,6,6]");
    assert_shape(&value(g, "p2")->shape, "[N,64,3,3]");
    assert_shape(&value(g, "probs")->shape, "[N,10]");
    cg_graph_free(g);
}

/* ---- weights ---- */

static const char *const k_random_spec =
    "model: r\n"
    "weights:\n"
    "  a: {shape: [2, 3], init: {random: 7}}\n"
    "  b: {shape: [2, 3], init: {random: 7}}\n"
    "  c: {shape: [2, 3], init: {random: 8}}\n"
    "outputs: [a, b, c]\n"
    "nodes: []\n";

/* SplitMix64, top 24 bits, k / 2^23 - 1 (docs/yaml-spec.md); the k values were
 * computed independently (Python integers). */
static void test_random_init_reproducible(void **state)
{
    cg_graph *g = load_ok(k_random_spec);
    const float *a = value(g, "a")->data->data, *b = value(g, "b")->data->data;
    const float *c = value(g, "c")->data->data;
    assert_memory_equal(a, b, 6 * sizeof(float));
    assert_memory_not_equal(a, c, 6 * sizeof(float));
    static const int64_t k[4] = {6540257, 281660, 15112256, 9779947};
    for (int i = 0; i < 4; i++)
        assert_true(a[i] == (float)((double)k[i] / 8388608.0 - 1.0));
    assert_true(a[0] == -0.22034060955047607f);
    for (int i = 0; i < 6; i++)
        assert_true(a[i] >= -1.0f && a[i] < 1.0f);
    cg_graph_free(g);
    cg_graph *again = load_ok(k_random_spec);
    float fresh[6];
    yd_random_fill(7, fresh, 6);
    assert_memory_equal(value(again, "a")->data->data, fresh, sizeof fresh);
    cg_graph_free(again);
}

/* `scale: S` multiplies the same sequence: S * (k / 2^23 - 1). */
static void test_random_init_scale(void **state)
{
    cg_graph *g = load_ok("model: r\n"
                          "weights:\n"
                          "  a: {shape: [4], init: {random: 7, scale: 0.5}}\n"
                          "outputs: [a]\n"
                          "nodes: []\n");
    const float *a = value(g, "a")->data->data;
    assert_true(a[0] == (float)(-0.22034060955047607f * 0.5));
    assert_true(a[1] == (float)((281660.0 / 8388608.0 - 1.0) * 0.5));
    cg_graph_free(g);
    expect_error("model: r\nweights:\n  a: {shape: [4], init: {random: 7, scale: -1}}\n"
                 "outputs: [a]\nnodes: []\n",
                 CG_ERR_FORMAT, "3:44: weight 'a': random scale must be a positive number");
    expect_error("model: r\nweights:\n  a: {shape: [4], init: {scale: 2}}\n"
                 "outputs: [a]\nnodes: []\n",
                 CG_ERR_FORMAT, "3:25: weight 'a': init must be zeros, ones or {random: SEED}");
}

static void test_weight_kinds(void **state)
{
    cg_graph *g = load_ok("model: w\n"
                          "weights:\n"
                          "  z: {shape: [2], init: zeros}\n"
                          "  o: {shape: [2, 2], init: ones}\n"
                          "  oi: {dtype: int64, shape: [3], init: ones}\n"
                          "  s: {dtype: int64, values: [1, -1]}\n"
                          "  m: {shape: [2, 2], values: [1, 2.5, -3, .inf]}\n"
                          "  h: {dtype: float16, values: [0.5]}\n"
                          "  t: {dtype: bool, values: [true, 0, 1]}\n"
                          "  u: {dtype: uint8, values: [255]}\n"
                          "  k: {dtype: int32, shape: [], values: [5]}\n"
                          "outputs: [z]\n"
                          "nodes: []\n");
    const cg_tensor *z = value(g, "z")->data, *o = value(g, "o")->data;
    assert_int_equal(z->dtype, CG_FLOAT);
    assert_true(cg_tensor_get_f64(z, 0) == 0 && cg_tensor_get_f64(z, 1) == 0);
    for (int i = 0; i < 4; i++)
        assert_true(((const float *)o->data)[i] == 1.0f);
    const cg_tensor *oi = value(g, "oi")->data;
    assert_int_equal(oi->dtype, CG_INT64);
    assert_int_equal(cg_tensor_get_i64(oi, 2), 1);
    const cg_tensor *s = value(g, "s")->data;
    assert_int_equal(s->rank, 1);
    assert_int_equal(s->dims[0], 2);
    assert_int_equal(cg_tensor_get_i64(s, 1), -1);
    const cg_tensor *m = value(g, "m")->data;
    assert_shape(&value(g, "m")->shape, "[2,2]");
    assert_true(cg_tensor_get_f64(m, 1) == 2.5 && cg_tensor_get_f64(m, 2) == -3.0);
    assert_true(cg_tensor_get_f64(m, 3) > 1e300);
    assert_int_equal(value(g, "h")->dtype, CG_FLOAT16);
    assert_true(cg_tensor_get_f64(value(g, "h")->data, 0) == 0.5);
    const cg_tensor *t = value(g, "t")->data;
    assert_int_equal(t->dtype, CG_BOOL);
    assert_int_equal(cg_tensor_get_i64(t, 0), 1);
    assert_int_equal(cg_tensor_get_i64(t, 1), 0);
    assert_int_equal(cg_tensor_get_i64(value(g, "u")->data, 0), 255);
    assert_int_equal(value(g, "k")->data->rank, 0);
    assert_int_equal(cg_tensor_get_i64(value(g, "k")->data, 0), 5);
    assert_int_equal(cg_graph_param_count(g), 2 + 4 + 3 + 2 + 4 + 1 + 3 + 1 + 1);
    cg_graph_free(g);
}

/* `file:` is relative to the spec's folder; declared dtype/shape must match. */
static void test_npy_weight(void **state)
{
    static const unsigned char npy[] =
        "\x93NUMPY\x01\x00\x3a\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n"
        "\x00\x00\xc0\x3f\x00\x00\x20\xc0"; /* 1.5, -2.5 */
    assert_int_equal(mkdir(g_sub, 0700), 0);
    write_file(g_npy, npy, sizeof npy - 1);
    cg_graph *g = load_ok("model: n\n"
                          "weights:\n"
                          "  k: {file: w/k.npy, dtype: float32, shape: [2]}\n"
                          "outputs: [k]\n"
                          "nodes: []\n");
    const cg_tensor *k = value(g, "k")->data;
    assert_int_equal(k->dtype, CG_FLOAT);
    assert_true(cg_tensor_get_f64(k, 0) == 1.5 && cg_tensor_get_f64(k, 1) == -2.5);
    cg_graph_free(g);
    expect_error("model: n\nweights:\n  k: {file: w/k.npy, shape: [1, 2]}\n"
                 "outputs: [k]\nnodes: []\n",
                 CG_ERR_FORMAT, "3:13: weight 'k': the file's shape differs from the declared one");
    expect_error("model: n\nweights:\n  k: {file: w/k.npy, dtype: int64}\n"
                 "outputs: [k]\nnodes: []\n",
                 CG_ERR_FORMAT, "3:13: weight 'k': the file's dtype differs from the declared one");
    unlink(g_npy);
    rmdir(g_sub);
}

/* ---- nodes and attributes ---- */

static void test_attribute_types(void **state)
{
    cg_graph *g = load_ok("model: a\n"
                          "inputs: [{name: x, shape: [1]}]\n"
                          "outputs: [y]\n"
                          "nodes:\n"
                          "  - name: n\n"
                          "    op: Foo\n"
                          "    domain: com.example\n"
                          "    inputs: [x, '', ~]\n"
                          "    outputs: [y]\n"
                          "    i: -3\n"
                          "    f: 0.25\n"
                          "    s: hello\n"
                          "    q: '7'\n"
                          "    b: true\n"
                          "    ints: [1, 2, -5]\n"
                          "    floats: [1, 2.5]\n"
                          "    strings: [a, 'b c']\n"
                          "    none: []\n"
                          "    value: {dtype: int64, values: [4, 5]}\n");
    const cg_node *n = node(g, "n");
    assert_string_equal(n->domain, "com.example");
    assert_int_equal(n->n_inputs, 3);
    assert_int_equal(n->inputs[1], -1);
    assert_int_equal(n->inputs[2], -1);
    assert_int_equal(cg_node_attr(n, "i")->type, CG_ATTR_INT);
    assert_int_equal(cg_attr_int(n, "i", 0), -3);
    assert_int_equal(cg_node_attr(n, "f")->type, CG_ATTR_FLOAT);
    assert_true(cg_attr_float(n, "f", 0) == 0.25f);
    assert_string_equal(cg_attr_string(n, "s", ""), "hello");
    assert_int_equal(cg_node_attr(n, "s")->s_len, 5);
    assert_int_equal(cg_node_attr(n, "q")->type, CG_ATTR_STRING);
    assert_string_equal(cg_attr_string(n, "q", ""), "7");
    assert_int_equal(cg_attr_int(n, "b", 0), 1);
    assert_ints(n, "ints", 3, (const int64_t[]){1, 2, -5});
    int count = 0;
    const float *fl = cg_attr_floats(n, "floats", &count);
    assert_int_equal(count, 2);
    assert_true(fl[0] == 1.0f && fl[1] == 2.5f);
    const cg_attr *strs = cg_node_attr(n, "strings");
    assert_int_equal(strs->type, CG_ATTR_STRINGS);
    assert_int_equal(strs->n, 2);
    assert_string_equal(strs->strings[1], "b c");
    assert_int_equal(cg_node_attr(n, "none")->type, CG_ATTR_INTS);
    assert_int_equal(cg_node_attr(n, "none")->n, 0);
    const cg_attr *v = cg_node_attr(n, "value");
    assert_int_equal(v->type, CG_ATTR_TENSOR);
    assert_int_equal(v->t->dtype, CG_INT64);
    assert_int_equal(cg_tensor_get_i64(v->t, 1), 5);
    cg_graph_free(g);
}

static void test_symbolic_dims_and_declared_outputs(void **state)
{
    cg_graph *g = load_ok("model: s\n"
                          "opsets: {com.example: 2}\n"
                          "opset: 13\n"
                          "inputs:\n"
                          "  - {name: x, dtype: int64, shape: [N, 3, H, '?']}\n"
                          "  - {name: 1, shape: []}\n"
                          "outputs:\n"
                          "  - {name: y, dtype: int64, shape: [N, 3, H, W]}\n"
                          "  - '1'\n"
                          "nodes:\n"
                          "  - {op: Relu, inputs: [x], outputs: [y]}\n");
    assert_int_equal(cg_graph_opset(g, ""), 13);
    assert_int_equal(cg_graph_opset(g, "com.example"), 2);
    const cg_value *x = value(g, "x");
    assert_int_equal(x->dtype, CG_INT64);
    assert_shape(&x->shape, "[N,3,H,?]");
    assert_true(cg_dim_is_symbolic(x->shape.d[2]));
    assert_true(cg_dim_is_unknown(x->shape.d[3]));
    const cg_value *y = value(g, "y");
    assert_true(y->has_declared && y->is_output);
    assert_shape(&y->declared_shape, "[N,3,H,W]");
    assert_int_equal(value(g, "1")->shape.rank, 0); /* names may look like numbers */
    assert_true(value(g, "1")->is_input && value(g, "1")->is_output);
    cg_graph_free(g);
}

static void test_padding_maps_to_auto_pad(void **state)
{
    cg_graph *g = load_ok("model: p\n"
                          "inputs: [{name: x, shape: [1, 1, 5, 7]}]\n"
                          "outputs: [y, z]\n"
                          "nodes:\n"
                          "  - {name: a, op: MaxPool, inputs: [x], outputs: [y],\n"
                          "     kernel_shape: [3, 3], strides: [2, 2], padding: SAME}\n"
                          "  - {name: b, op: AveragePool, inputs: [x], outputs: [z],\n"
                          "     kernel_shape: [3, 3], padding: valid}\n");
    const cg_attr *a = cg_node_attr(node(g, "a"), "auto_pad");
    assert_int_equal(a->type, CG_ATTR_STRING);
    assert_string_equal(a->s, "SAME_UPPER");
    assert_int_equal(a->s_len, 10);
    assert_string_equal(cg_attr_string(node(g, "b"), "auto_pad", ""), "VALID");
    infer(g);
    assert_shape(&value(g, "y")->shape, "[1,1,3,4]");
    assert_shape(&value(g, "z")->shape, "[1,1,3,5]");
    cg_graph_free(g);
}

/* Nodes may come in any order; the graph is sorted. */
static void test_nodes_are_sorted(void **state)
{
    cg_graph *g = load_ok("model: o\n"
                          "inputs: [{name: x, shape: [2]}]\n"
                          "outputs: [z]\n"
                          "nodes:\n"
                          "  - {name: second, op: Relu, inputs: [y], outputs: [z]}\n"
                          "  - {name: first, op: Relu, inputs: [x], outputs: [y]}\n");
    assert_string_equal(g->nodes[0].name, "first");
    assert_int_equal(value(g, "z")->producer, 1);
    cg_graph_free(g);
}

/* ---- errors: one line, FILE:LINE:COL ---- */

/* Completes a spec whose error is on line 2, so only that error remains. */
#define NO_NODES "nodes: []\noutputs: [w]\n"

static const char k_ok_head[] = "model: m\n"
                                "inputs: [{name: x, shape: [1, 3, 8, 8]}]\n"
                                "weights: {w: {shape: [2, 3, 3, 3], init: ones}}\n"
                                "outputs: [y]\n"
                                "nodes:\n";

static void expect_node_error(const char *node_text, cg_code code, const char *where_what)
{
    char text[1024];
    snprintf(text, sizeof text, "%s%s", k_ok_head, node_text);
    expect_error(text, code, where_what);
}

static void test_syntax_errors(void **state)
{
    expect_error("model: m\nnodes:\n  - {op: Relu, inputs: [x] outputs: [y]}\n", CG_ERR_FORMAT,
                 "3:28: YAML syntax error: did not find expected ',' or '}' "
                 "(while parsing a flow mapping at line 3, column 5)");
    expect_error("model: m\nx: \xff\n", CG_ERR_FORMAT,
                 "2:4: YAML syntax error: invalid leading UTF-8 octet");
    expect_error("model: m\n---\nmodel: n\n", CG_ERR_FORMAT,
                 "2:1: a second YAML document; a spec is one document");
    expect_error("- model\n", CG_ERR_FORMAT, "1:1: the model spec must be a mapping, not a list");
    expect_error("model: m\nmodel: n\n", CG_ERR_FORMAT,
                 "2:1: the model spec: key 'model' appears twice");
    /* libyaml's scanner is quadratic in flow depth, so depth is capped early. */
    char deep[256] = "model: m\nnodes: ";
    size_t at = strlen(deep);
    memset(deep + at, '[', 70);
    memset(deep + at + 70, ']', 70);
    strcpy(deep + at + 140, "\n");
    expect_error(deep, CG_ERR_FORMAT, "2:71: nested deeper than 64 levels");
    cg_status st = {0};
    assert_null(load_text("", &st));
    char want[256];
    snprintf(want, sizeof want, "%s: the model spec is empty", g_spec);
    assert_string_equal(st.msg, want);
}

static void test_unknown_keys_and_types(void **state)
{
    expect_error("model: m\nmodle: n\n", CG_ERR_FORMAT,
                 "2:1: unknown key 'modle' in the model spec (expected model, opset, opsets, "
                 "inputs, weights, nodes, outputs)");
    expect_error("model: m\nweights: {w: {shape: [1], init: zeros, seed: 3}}\n" NO_NODES,
                 CG_ERR_FORMAT,
                 "2:40: unknown key 'seed' in weight 'w' (expected dtype, shape, init, file, "
                 "values)");
    /* Names are quoted in messages with control characters made harmless. */
    expect_error("model: m\nweights: {\"a\\nb\": {bad: 1}}\n" NO_NODES, CG_ERR_FORMAT,
                 "2:20: unknown key 'bad' in weight 'a?b' (expected dtype, shape, init, file, "
                 "values)");
    expect_error("model: m\nnodes: []\noutputs: [y]\ninputs:\n  - {name: x, dtype: flaot32}\n",
                 CG_ERR_FORMAT,
                 "5:22: input 'x': unknown dtype 'flaot32' (use float32, float16, float64, int8, "
                 "uint8, int16, int32, int64, bool, ...)");
    expect_error("model: m\nopset: seventeen\nnodes: []\noutputs: [y]\n", CG_ERR_FORMAT,
                 "2:8: opset must be an integer, not a string");
    expect_error("model: m\noutputs: [y]\n", CG_ERR_FORMAT, "1:1: the model spec needs 'nodes'");
    expect_error("model: m\nnodes: []\noutputs: [y]\ninputs: [{name: x, shape: [1, -3]}]\n",
                 CG_ERR_FORMAT, "4:31: input 'x': dim -3 is negative");
    expect_error("model: m\nnodes: []\noutputs: [y]\ninputs: [{name: x, shape: [1, '']}]\n",
                 CG_ERR_FORMAT, "4:31: input 'x': a symbolic dim needs a name");
    expect_error("model: m\nnodes: []\noutputs: [w]\nweights: {w: {init: ones}, w: {init: ones}}\n",
                 CG_ERR_FORMAT, "4:28: weights: key 'w' appears twice");
}

static void test_padding_errors(void **state)
{
    expect_node_error("  - {op: Relu, inputs: [x], outputs: [y], padding: same}\n", CG_ERR_FORMAT,
                      "6:43: node #0 (output 'y') (Relu): padding applies to Conv, ConvTranspose, "
                      "MaxPool, AveragePool and LpPool only");
    expect_node_error("  - name: c\n"
                      "    op: Conv\n"
                      "    inputs: [x, w]\n"
                      "    outputs: [y]\n"
                      "    pads: [1, 1, 1, 1]\n"
                      "    padding: valid\n",
                      CG_ERR_FORMAT, "11:5: node 'c' (Conv): padding cannot be combined with pads");
    expect_node_error("  - {name: c, op: Conv, inputs: [x, w], outputs: [y], auto_pad: VALID,\n"
                      "     padding: same}\n",
                      CG_ERR_FORMAT,
                      "7:6: node 'c' (Conv): padding cannot be combined with auto_pad");
    expect_node_error("  - {name: c, op: Conv, inputs: [x, w], outputs: [y], padding: full}\n",
                      CG_ERR_FORMAT, "6:64: node 'c' (Conv): padding must be same or valid");
}

static void test_reference_errors(void **state)
{
    expect_node_error("  - {op: Add, inputs: [x, q], outputs: [y]}\n", CG_ERR_FORMAT,
                      "6:27: node #0 (output 'y') (Add): input 'q' is not a graph input, a "
                      "weight or any node's output");
    expect_node_error("  - {op: Relu, inputs: [x], outputs: [y]}\n"
                      "  - {op: Relu, inputs: [x], outputs: [y]}\n",
                      CG_ERR_FORMAT, "7:39: node #1 (output 'y') (Relu): output 'y' is already "
                                     "defined");
    expect_node_error("  - {op: Relu, inputs: [x], outputs: [w]}\n", CG_ERR_FORMAT,
                      "6:39: node #0 (output 'w') (Relu): output 'w' is already defined");
    expect_error("model: m\ninputs: [{name: x, shape: [1]}]\noutputs: [y, z]\nnodes:\n"
                 "  - {op: Relu, inputs: [x], outputs: [y]}\n",
                 CG_ERR_FORMAT,
                 "3:14: output 'z' is not a graph input, a weight or any node's output");
    expect_node_error("  - {inputs: [x], outputs: [y]}\n", CG_ERR_FORMAT,
                      "6:5: node #0 needs an op");
    expect_node_error("  - {name: r, op: Relu, inputs: [x]}\n", CG_ERR_FORMAT,
                      "6:5: node 'r' needs outputs");
    /* A cycle is found by the sort, which names the node rather than a line. */
    cg_status st = {0};
    assert_null(load_text("model: m\ninputs: [{name: x, shape: [1]}]\noutputs: [y]\nnodes:\n"
                          "  - {name: a, op: Relu, inputs: [y], outputs: [z]}\n"
                          "  - {name: b, op: Relu, inputs: [z], outputs: [y]}\n",
                          &st));
    assert_non_null(strstr(st.msg, "cycle"));
    assert_int_equal(strncmp(st.msg, g_spec, strlen(g_spec)), 0);
}

static void test_missing_npy(void **state)
{
    char want[512];
    snprintf(want, sizeof want,
             "3:13: weight 'k': %s/nothere.npy: cannot open: No such file or directory", g_dir);
    expect_error("model: m\nweights:\n  k: {file: nothere.npy}\noutputs: [k]\nnodes: []\n",
                 CG_ERR_IO, want);
    cg_status st = {0};
    assert_null(cg_yaml_load("/nonexistent/spec.yaml", &st));
    assert_int_equal(st.code, CG_ERR_IO);
    assert_string_equal(st.msg, "/nonexistent/spec.yaml: cannot open: No such file or directory");
}

static void test_value_errors(void **state)
{
    expect_error("model: m\nweights: {w: {values: [1, 2, 300], dtype: int8}}\n" NO_NODES,
                 CG_ERR_FORMAT,
                 "2:30: weight 'w': values: 300 is out of int8 range");
    expect_error("model: m\nweights: {w: {values: [1, 2, 3], shape: [2, 2]}}\n" NO_NODES,
                 CG_ERR_FORMAT,
                 "2:23: weight 'w': values has 3 entries but the shape needs 4");
    expect_error("model: m\nweights: {w: {values: [1, x]}}\n" NO_NODES, CG_ERR_FORMAT,
                 "2:27: weight 'w': values must be a number, not a string");
    expect_error("model: m\nweights: {w: {dtype: int64, shape: [2], init: {random: 1}}}\n" NO_NODES,
                 CG_ERR_FORMAT, "2:47: weight 'w': random init makes float32 values, not int64");
    expect_error("model: m\nweights: {w: {shape: [2], init: zeros, values: [1, 2]}}\n" NO_NODES,
                 CG_ERR_FORMAT, "2:14: weight 'w' needs exactly one of init, file, values");
    expect_error("model: m\nweights: {w: {shape: [65536, 65536, 4], init: zeros}}\n" NO_NODES,
                 CG_ERR_NOMEM,
                 "2:22: weight 'w': tensor of 17179869184 elements of float32 is too large");
    expect_node_error("  - {op: Foo, inputs: [x], outputs: [y], bad: [1, a]}\n", CG_ERR_FORMAT,
                      "6:47: node #0 (output 'y') (Foo): attribute 'bad' mixes strings and "
                      "numbers");
    expect_node_error("  - {op: Foo, inputs: [x], outputs: [y], f: 1.0e39}\n", CG_ERR_FORMAT,
                      "6:45: node #0 (output 'y') (Foo): attribute 'f': 1.0e39 is out of "
                      "float32 range");
}

/* Every prefix of a real spec, and each byte replaced by YAML punctuation, loads
 * or fails with a message naming the file: never a crash or a leak. */
static void test_mangled_specs_never_crash(void **state)
{
    char path[512];
    size_t len = 0;
    repo_path(path, sizeof path, "models/seed_conv.yaml");
    char *text = cg_read_file(path, &len, 1 << 20, NULL);
    assert_non_null(text);
    static const char subst[] = {':', '[', '&', '\0'};
    int failures = 0;
    for (size_t cut = 0; cut <= len; cut++) {
        for (size_t k = 0; k <= sizeof subst; k++) {
            char saved = cut < len ? text[cut] : 0;
            size_t n = k == sizeof subst ? cut : len; /* last round: truncate at cut */
            if (k < sizeof subst && cut < len)
                text[cut] = subst[k];
            else if (k < sizeof subst)
                continue;
            write_file(g_spec, text, n);
            cg_status st = {0};
            cg_graph *g = cg_yaml_load(g_spec, &st);
            if (!g) {
                failures++;
                assert_int_equal(strncmp(st.msg, g_spec, strlen(g_spec)), 0);
                assert_null(strchr(st.msg, '\n'));
            }
            cg_graph_free(g);
            if (cut < len)
                text[cut] = saved;
        }
    }
    assert_true(failures > 0);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_conv_model),
        cmocka_unit_test(test_small_cnn_model),
        cmocka_unit_test(test_random_init_reproducible),
        cmocka_unit_test(test_random_init_scale),
        cmocka_unit_test(test_weight_kinds),
        cmocka_unit_test(test_npy_weight),
        cmocka_unit_test(test_attribute_types),
        cmocka_unit_test(test_symbolic_dims_and_declared_outputs),
        cmocka_unit_test(test_padding_maps_to_auto_pad),
        cmocka_unit_test(test_nodes_are_sorted),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_unknown_keys_and_types),
        cmocka_unit_test(test_padding_errors),
        cmocka_unit_test(test_reference_errors),
        cmocka_unit_test(test_missing_npy),
        cmocka_unit_test(test_value_errors),
        cmocka_unit_test(test_mangled_specs_never_crash),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
