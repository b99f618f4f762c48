/* ONNX writer: graphs built with the IR API are saved, loaded back with the
 * reader and compared field by field; external data and the error paths are
 * checked on the files themselves. */
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
#include "support/graph_build.h"
#include "format/onnx_internal.h"

/* ---- a scratch folder per test ---- */

static char dir[64];

static int make_dir(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/cg_onnx_write_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *in_dir(const char *name)
{
    static char buf[4][256];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

static bool exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static long file_size(const char *path)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    return (long)sb.st_size;
}

/* Number of entries in dir besides . and .. */
static int dir_entries(void)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int n = -1;
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

/* ---- IR builders ---- */

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    assert_non_null(d);
    return d;
}

static void declare(cg_graph *g, int v, cg_dtype dtype, cg_shape shape)
{
    g->values[v].has_declared = true;
    g->values[v].declared_dtype = dtype;
    g->values[v].declared_shape = shape;
}

/* A graph input whose declared type is its type. */
static int graph_input(cg_graph *g, const char *name, cg_dtype dtype, cg_shape shape)
{
    int v = gb_input(g, name, dtype, shape);
    declare(g, v, dtype, shape);
    return v;
}

static const float w_bytes[6] = {1.0f, -0.0f, 3.25f, 1e-38f, -2.5f, 7.0f};

/* X[N,3,?,4] -> custom op (every attribute type, an omitted input) -> Y -> Relu -> Z,
 * with opsets of two domains, producer, metadata and doc strings. */
static cg_graph *rich_graph(void)
{
    cg_graph *g = cg_graph_new("rich");
    assert_non_null(g);
    free(g->name);
    g->name = xstrdup("main graph");
    g->ir_version = 8;
    assert_int_equal(cg_graph_add_opset(g, "", 13, NULL), CG_OK);
    assert_int_equal(cg_graph_add_opset(g, "com.example", 2, NULL), CG_OK);
    g->info.producer_name = xstrdup("convgraph-test");
    g->info.producer_version = xstrdup("0.1");
    g->info.domain = xstrdup("org.example");
    g->info.has_model_version = true;
    g->info.model_version = 42;
    g->info.doc_string = xstrdup("model doc");
    g->info.graph_doc_string = xstrdup("graph doc");
    g->info.props = calloc(2, sizeof *g->info.props);
    assert_non_null(g->info.props);
    g->info.n_props = 2;
    g->info.props[0] = (cg_meta_prop){xstrdup("author"), xstrdup("me")};
    g->info.props[1] = (cg_meta_prop){xstrdup("empty"), xstrdup("")};

    cg_shape xs = {4, {cg_dim_symbol(cg_strpool_add(g->pool, "N", 1)), cg_dim_known(3),
                       cg_dim_unknown(), cg_dim_known(4)}};
    int x = graph_input(g, "X", CG_FLOAT, xs);
    g->values[x].doc_string = xstrdup("input doc");
    gb_initializer(g, "W", gb_tensor(CG_FLOAT, 2, (int64_t[]){2, 3}, w_bytes));
    gb_initializer(g, "E", gb_tensor(CG_INT64, 1, (int64_t[]){0}, NULL));

    cg_node *n = gb_node_in_domain(g, "custom", "Mix", "com.example", 4,
                          (const char *[]){"X", "", "W", "E"}, 2, (const char *[]){"Y", ""});
    n->doc_string = xstrdup("node doc");
    gb_attr(n, "f", CG_ATTR_FLOAT)->f = 1.5f;
    gb_attr(n, "i", CG_ATTR_INT)->i = -7;
    cg_attr *a = gb_attr(n, "s", CG_ATTR_STRING);
    a->s = malloc(4);
    memcpy(a->s, "a\0b", 4);
    a->s_len = 3;
    gb_attr(n, "t", CG_ATTR_TENSOR)->t = gb_tensor(CG_INT32, 1, (int64_t[]){2}, (int32_t[]){5, -6});
    a = gb_attr(n, "fs", CG_ATTR_FLOATS);
    a->n = 2;
    a->floats = malloc(2 * sizeof(float));
    a->floats[0] = 0.5f, a->floats[1] = -1.0f;
    a = gb_attr(n, "is", CG_ATTR_INTS);
    a->n = 3;
    a->ints = malloc(3 * sizeof(int64_t));
    a->ints[0] = 1, a->ints[1] = -2, a->ints[2] = INT64_MAX;
    a = gb_attr(n, "ss", CG_ATTR_STRINGS);
    a->n = 2;
    a->strings = malloc(2 * sizeof(char *));
    a->strings[0] = xstrdup("x"), a->strings[1] = xstrdup("yz");
    gb_attr(n, "none", CG_ATTR_INTS); /* an empty list */

    gb_node_in_domain(g, "", "Relu", "", 1, (const char *[]){"Y"}, 1, (const char *[]){"Z"});
    int y = gb_value(g, "Y");
    declare(g, y, CG_FLOAT, xs);
    g->values[y].doc_string = xstrdup("value_info doc");
    int z = gb_value(g, "Z");
    declare(g, z, CG_UNDEFINED, cg_shape_unknown());
    assert_int_equal(cg_graph_add_output(g, z, NULL), CG_OK);
    assert_int_equal(cg_graph_toposort(g, NULL), CG_OK);
    return g;
}

static cg_graph *save_and_load(const cg_graph *g, const char *path, const cg_onnx_save_options *o)
{
    cg_status st = {0};
    assert_int_equal(cg_onnx_save(g, path, o, &st), CG_OK);
    cg_graph *back = cg_onnx_load(path, &st);
    if (!back)
        fail_msg("%s", st.msg);
    return back;
}

/* ---- round trip of every field ---- */

static void assert_model_info(const cg_graph *b)
{
    assert_string_equal(b->name, "main graph");
    assert_int_equal(b->ir_version, 8);
    assert_int_equal(b->n_opsets, 2);
    assert_int_equal(cg_graph_opset(b, ""), 13);
    assert_int_equal(cg_graph_opset(b, "com.example"), 2);
    assert_string_equal(b->info.producer_name, "convgraph-test");
    assert_string_equal(b->info.producer_version, "0.1");
    assert_string_equal(b->info.domain, "org.example");
    assert_true(b->info.has_model_version);
    assert_int_equal(b->info.model_version, 42);
    assert_string_equal(b->info.doc_string, "model doc");
    assert_string_equal(b->info.graph_doc_string, "graph doc");
    assert_int_equal(b->info.n_props, 2);
    assert_string_equal(b->info.props[0].key, "author");
    assert_string_equal(b->info.props[0].value, "me");
    assert_string_equal(b->info.props[1].key, "empty");
    assert_string_equal(b->info.props[1].value, "");
}

static void assert_values(const cg_graph *b)
{
    assert_int_equal(b->n_inputs, 1);
    const cg_value *x = &b->values[b->inputs[0]];
    assert_string_equal(x->name, "X");
    assert_string_equal(x->doc_string, "input doc");
    assert_int_equal(x->declared_dtype, CG_FLOAT);
    assert_int_equal(x->declared_shape.rank, 4);
    assert_string_equal(x->declared_shape.d[0].sym, "N");
    assert_true(cg_dim_is_known(x->declared_shape.d[1]) && x->declared_shape.d[1].v == 3);
    assert_true(cg_dim_is_unknown(x->declared_shape.d[2]));
    assert_int_equal(x->declared_shape.d[3].v, 4);
    const cg_value *w = gb_find(b, "W");
    assert_true(w->is_initializer && !w->listed_as_input);
    assert_int_equal(w->data->rank, 2);
    assert_int_equal(w->data->nbytes, sizeof w_bytes);
    assert_memory_equal(w->data->data, w_bytes, sizeof w_bytes); /* -0.0 and denormals too */
    const cg_value *e = gb_find(b, "E");
    assert_true(e->is_initializer);
    assert_int_equal(e->data->numel, 0);
    assert_int_equal(e->data->dtype, CG_INT64);
    const cg_value *y = gb_find(b, "Y");
    assert_true(y->has_declared);
    assert_string_equal(y->doc_string, "value_info doc");
    assert_string_equal(y->declared_shape.d[0].sym, "N");
    assert_int_equal(b->n_outputs, 1);
    const cg_value *z = &b->values[b->outputs[0]];
    assert_string_equal(z->name, "Z");
    assert_true(z->has_declared);
    assert_int_equal(z->declared_dtype, CG_UNDEFINED);
    assert_int_equal(z->declared_shape.rank, -1);
}

static void assert_custom_node(const cg_graph *b)
{
    assert_int_equal(b->n_nodes, 2);
    const cg_node *n = &b->nodes[0];
    assert_string_equal(n->name, "custom");
    assert_string_equal(n->op_type, "Mix");
    assert_string_equal(n->domain, "com.example");
    assert_string_equal(n->doc_string, "node doc");
    assert_int_equal(n->n_inputs, 4);
    assert_int_equal(n->inputs[1], -1); /* written as "" */
    assert_int_equal(n->n_outputs, 2);
    assert_int_equal(n->outputs[1], -1);
    assert_int_equal(n->n_attrs, 8);
    assert_true(cg_attr_float(n, "f", 0) == 1.5f);
    assert_int_equal(cg_attr_int(n, "i", 0), -7);
    const cg_attr *s = cg_node_attr(n, "s");
    assert_int_equal(s->type, CG_ATTR_STRING);
    assert_int_equal(s->s_len, 3);
    assert_memory_equal(s->s, "a\0b", 4);
    const cg_attr *t = cg_node_attr(n, "t");
    assert_int_equal(t->type, CG_ATTR_TENSOR);
    assert_int_equal(t->t->dtype, CG_INT32);
    assert_memory_equal(t->t->data, ((int32_t[]){5, -6}), 8);
    int count;
    const float *fs = cg_attr_floats(n, "fs", &count);
    assert_int_equal(count, 2);
    assert_true(fs[0] == 0.5f && fs[1] == -1.0f);
    const int64_t *is = cg_attr_ints(n, "is", &count);
    assert_int_equal(count, 3);
    assert_true(is[0] == 1 && is[1] == -2 && is[2] == INT64_MAX);
    const cg_attr *ss = cg_node_attr(n, "ss");
    assert_int_equal(ss->type, CG_ATTR_STRINGS);
    assert_int_equal(ss->n, 2);
    assert_string_equal(ss->strings[0], "x");
    assert_string_equal(ss->strings[1], "yz");
    const cg_attr *none = cg_node_attr(n, "none");
    assert_int_equal(none->type, CG_ATTR_INTS);
    assert_int_equal(none->n, 0);
    assert_string_equal(b->nodes[1].name, "");
    assert_string_equal(b->nodes[1].op_type, "Relu");
    assert_null(b->nodes[1].doc_string);
}

static void test_round_trip_keeps_every_field(void **state)
{
    (void)state;
    cg_graph *g = rich_graph();
    cg_graph *b = save_and_load(g, in_dir("rich.onnx"), NULL);
    assert_model_info(b);
    assert_values(b);
    assert_custom_node(b);
    assert_int_equal(dir_entries(), 1); /* no temp file, no data file */
    cg_graph_free(b);
    cg_graph_free(g);
}

/* A second save of the re-read graph gives the same bytes: nothing drifts. */
static void test_save_is_stable(void **state)
{
    (void)state;
    cg_graph *g = rich_graph();
    cg_graph *b = save_and_load(g, in_dir("a.onnx"), NULL);
    cg_status st;
    assert_int_equal(cg_onnx_save(b, in_dir("b.onnx"), NULL, &st), CG_OK);
    size_t la, lb;
    void *a_bytes = cg_read_file(in_dir("a.onnx"), &la, 1 << 20, &st);
    void *b_bytes = cg_read_file(in_dir("b.onnx"), &lb, 1 << 20, &st);
    assert_non_null(a_bytes);
    assert_non_null(b_bytes);
    assert_int_equal(la, lb);
    assert_memory_equal(a_bytes, b_bytes, la);
    free(a_bytes);
    free(b_bytes);
    cg_graph_free(b);
    cg_graph_free(g);
}

/* IR 3 files list initializers among the inputs; the checker requires it there. */
static void test_initializers_listed_as_inputs_stay_listed(void **state)
{
    (void)state;
    cg_graph *g = rich_graph();
    g->ir_version = 3;
    g->values[cg_graph_find(g, "W")].listed_as_input = true;
    cg_graph *b = save_and_load(g, in_dir("ir3.onnx"), NULL);
    const cg_value *w = gb_find(b, "W");
    assert_true(w->listed_as_input && w->is_initializer && !w->is_input);
    assert_true(w->has_declared); /* typed from its data */
    assert_int_equal(w->declared_dtype, CG_FLOAT);
    assert_int_equal(w->declared_shape.rank, 2);
    /* IR < 4: every initializer is listed, even one the IR had not marked
     * (e.g. made by constant folding), or onnx.checker refuses the file */
    assert_true(gb_find(b, "E")->listed_as_input);
    assert_int_equal(b->n_inputs, 1);
    cg_graph_free(b);
    cg_graph_free(g);
}

/* ---- inferred value_info ---- */

/* x[B,5] -> Relu -> h -> Relu -> y, shapes inferred; y declared or not. */
static cg_graph *relu_chain(int64_t ir_version, int64_t opset, bool declare_output)
{
    cg_graph *g = cg_graph_new("relu");
    g->ir_version = ir_version;
    cg_graph_add_opset(g, "", opset, NULL);
    cg_shape xs = {2, {cg_dim_symbol(cg_strpool_add(g->pool, "B", 1)), cg_dim_known(5)}};
    graph_input(g, "x", CG_FLOAT, xs);
    gb_node_in_domain(g, "r1", "Relu", "", 1, (const char *[]){"x"}, 1, (const char *[]){"h"});
    gb_node_in_domain(g, "r2", "Relu", "", 1, (const char *[]){"h"}, 1, (const char *[]){"y"});
    int y = gb_value(g, "y");
    if (declare_output)
        declare(g, y, CG_FLOAT, xs);
    cg_graph_add_output(g, y, NULL);
    cg_status st;
    assert_int_equal(cg_graph_toposort(g, &st), CG_OK);
    assert_int_equal(cg_graph_infer_shapes(g, NULL, &st), CG_OK);
    return g;
}

static void assert_declared_b5(const cg_value *v)
{
    assert_true(v->has_declared);
    assert_int_equal(v->declared_dtype, CG_FLOAT);
    assert_int_equal(v->declared_shape.rank, 2);
    assert_string_equal(v->declared_shape.d[0].sym, "B");
    assert_int_equal(v->declared_shape.d[1].v, 5);
}

static void test_inferred_value_info_on_request(void **state)
{
    (void)state;
    cg_graph *g = relu_chain(8, 13, true);

    cg_graph *plain = save_and_load(g, in_dir("plain.onnx"), NULL);
    assert_false(gb_find(plain, "h")->has_declared);
    cg_onnx_save_options o = {.external_min_bytes = -1, .write_inferred_value_info = true};
    cg_graph *typed = save_and_load(g, in_dir("typed.onnx"), &o);
    assert_declared_b5(gb_find(typed, "h"));
    cg_graph_free(typed);
    cg_graph_free(plain);
    cg_graph_free(g);
}

/* ONNX requires typed graph outputs; a YAML spec may leave them to inference. */
static void test_untyped_output_gets_inferred_type(void **state)
{
    (void)state;
    cg_graph *g = relu_chain(8, 13, false);
    cg_graph *b = save_and_load(g, in_dir("out.onnx"), NULL);
    assert_declared_b5(gb_find(b, "y"));
    assert_false(gb_find(b, "h")->has_declared);
    cg_graph_free(b);
    cg_graph_free(g);
}

/* Graphs from YAML have no IR version: the one released with their opset. */
static void test_ir_version_follows_opset_when_unset(void **state)
{
    (void)state;
    const int64_t cases[][2] = {{7, 4}, {9, 4}, {10, 5}, {11, 6}, {13, 7}, {17, 8}, {19, 9},
                                {21, 10}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cg_graph *g = relu_chain(0, cases[i][0], true);
        cg_graph *b = save_and_load(g, in_dir("ir.onnx"), NULL);
        assert_int_equal(b->ir_version, cases[i][1]);
        cg_graph_free(b);
        cg_graph_free(g);
    }
    cg_graph *g = relu_chain(5, 13, true); /* a version the file had is kept */
    cg_graph *b = save_and_load(g, in_dir("ir.onnx"), NULL);
    assert_int_equal(b->ir_version, 5);
    cg_graph_free(b);
    cg_graph_free(g);
}

/* ---- external data ---- */

/* The TensorProto of initializer `name` in the saved file, unpacked. */
static Onnx__ModelProto *unpack(const char *path)
{
    size_t len;
    cg_status st;
    void *buf = cg_read_file(path, &len, 1 << 24, &st);
    assert_non_null(buf);
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
    free(buf);
    assert_non_null(m);
    return m;
}

static const char *ext_value(const Onnx__TensorProto *t, const char *key)
{
    for (size_t i = 0; i < t->n_external_data; i++)
        if (!strcmp(t->external_data[i]->key, key))
            return t->external_data[i]->value;
    return NULL;
}

static cg_graph *weights_graph(void)
{
    cg_graph *g = cg_graph_new("weights");
    g->ir_version = 8;
    cg_graph_add_opset(g, "", 13, NULL);
    float big[1000], mid[300];
    for (int i = 0; i < 1000; i++)
        big[i] = (float)i * 0.25f - 7.0f;
    for (int i = 0; i < 300; i++)
        mid[i] = (float)-i;
    gb_initializer(g, "big", gb_tensor(CG_FLOAT, 1, (int64_t[]){1000}, big));
    gb_initializer(g, "small", gb_tensor(CG_FLOAT, 1, (int64_t[]){2}, big));
    gb_initializer(g, "mid", gb_tensor(CG_FLOAT, 2, (int64_t[]){30, 10}, mid));
    gb_node_in_domain(g, "a", "Add", "", 2, (const char *[]){"big", "big"}, 1, (const char *[]){"y"});
    cg_graph_add_output(g, gb_value(g, "y"), NULL);
    assert_int_equal(cg_graph_toposort(g, NULL), CG_OK);
    return g;
}

static void assert_same_initializers(const cg_graph *a, const cg_graph *b)
{
    const char *names[] = {"big", "small", "mid"};
    for (int i = 0; i < 3; i++) {
        const cg_tensor *ta = gb_find(a, names[i])->data, *tb = gb_find(b, names[i])->data;
        assert_int_equal(ta->nbytes, tb->nbytes);
        assert_memory_equal(ta->data, tb->data, ta->nbytes);
    }
}

static void test_external_data_threshold(void **state)
{
    (void)state;
    cg_graph *g = weights_graph();
    cg_onnx_save_options o = {.external_min_bytes = 1200};
    cg_graph *b = save_and_load(g, in_dir("m.onnx"), &o);
    assert_same_initializers(g, b);
    Onnx__ModelProto *m = unpack(in_dir("m.onnx"));
    Onnx__TensorProto **t = m->graph->initializer;
    assert_int_equal(m->graph->n_initializer, 3);
    /* big (4000 bytes) and mid (1200) go out, small (8) stays in */
    assert_int_equal(t[0]->data_location, ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL);
    assert_string_equal(ext_value(t[0], "location"), "m.onnx.data");
    assert_string_equal(ext_value(t[0], "offset"), "0");
    assert_string_equal(ext_value(t[0], "length"), "4000");
    assert_true(t[1]->has_raw_data && t[1]->n_external_data == 0);
    assert_string_equal(ext_value(t[2], "offset"), "4096"); /* page aligned */
    assert_string_equal(ext_value(t[2], "length"), "1200");
    assert_int_equal(file_size(in_dir("m.onnx.data")), 4096 + 1200);
    assert_int_equal(dir_entries(), 2);
    onnx__model_proto__free_unpacked(m, NULL);
    cg_graph_free(b);
    cg_graph_free(g);
}

static void test_external_data_named_file_and_never(void **state)
{
    (void)state;
    cg_graph *g = weights_graph();
    cg_onnx_save_options o = {.external_min_bytes = 0, .external_file = "weights.bin"};
    cg_graph *b = save_and_load(g, in_dir("n.onnx"), &o);
    assert_same_initializers(g, b);
    assert_int_equal(file_size(in_dir("weights.bin")), 2 * 4096 + 1200);
    cg_graph_free(b);

    o.external_min_bytes = -1; /* never: one self-contained file */
    b = save_and_load(g, in_dir("inline.onnx"), &o);
    assert_same_initializers(g, b);
    assert_false(exists(in_dir("inline.onnx.data")));
    assert_int_equal(dir_entries(), 3);
    cg_graph_free(b);
    cg_graph_free(g);
}

/* ---- errors leave no file behind ---- */

static void assert_refused(const cg_graph *g, const char *name, const cg_onnx_save_options *o,
                           cg_code code, const char *needle)
{
    cg_status st = {0};
    assert_int_equal(cg_onnx_save(g, in_dir(name), o, &st), code);
    if (!strstr(st.msg, needle))
        fail_msg("message '%s' lacks '%s'", st.msg, needle);
    assert_int_equal(dir_entries(), 0);
}

static void test_unwritable_paths(void **state)
{
    (void)state;
    cg_graph *g = weights_graph();
    assert_refused(g, "missing/m.onnx", NULL, CG_ERR_IO, "missing/m.onnx: cannot write");
    cg_onnx_save_options o = {.external_min_bytes = 0};
    assert_refused(g, "missing/m.onnx", &o, CG_ERR_IO, "m.onnx.data: cannot write");
    /* the model path is a folder: both temp files are written, then the rename
     * fails and both are removed */
    assert_int_equal(mkdir(in_dir("taken"), 0700), 0);
    cg_status st;
    assert_int_equal(cg_onnx_save(g, in_dir("taken"), NULL, &st), CG_ERR_IO);
    assert_non_null(strstr(st.msg, "taken: cannot write"));
    assert_int_equal(dir_entries(), 1);
    o.external_file = "../escape.bin";
    assert_int_equal(cg_onnx_save(g, in_dir("m.onnx"), &o, &st), CG_ERR_INVALID);
    assert_non_null(strstr(st.msg, "must be a plain file name"));
    o.external_file = "m.onnx";
    assert_int_equal(cg_onnx_save(g, in_dir("m.onnx"), &o, &st), CG_ERR_INVALID);
    assert_int_equal(dir_entries(), 1);
    cg_graph_free(g);
}

static void test_graph_attribute_refused(void **state)
{
    (void)state;
    cg_graph *g = rich_graph();
    gb_attr(&g->nodes[1], "body", CG_ATTR_GRAPH);
    assert_refused(g, "g.onnx", NULL, CG_ERR_UNSUPPORTED,
                   "node #1 (output 'Z') (Relu): attribute 'body' is a graph");
    gb_attr(&g->nodes[0], "sparse", CG_ATTR_UNDEFINED);
    assert_refused(g, "g.onnx", NULL, CG_ERR_UNSUPPORTED, "'custom' (Mix): attribute 'sparse'");
    cg_graph_free(g);
}

static void test_string_initializer_refused(void **state)
{
    (void)state;
    cg_graph *g = rich_graph();
    int v = gb_value(g, "labels");
    g->values[v].is_initializer = true;
    g->values[v].dtype = CG_STRING;
    cg_onnx_save_options o = {.external_min_bytes = 0};
    assert_refused(g, "s.onnx", &o, CG_ERR_UNSUPPORTED,
                   "s.onnx: initializer 'labels' (string) cannot be written");
    cg_graph_free(g);
}

static void test_local_functions_refused(void **state)
{
    (void)state;
    cg_graph *g = rich_graph();
    g->info.n_functions = 2;
    assert_refused(g, "f.onnx", NULL, CG_ERR_UNSUPPORTED,
                   "rich: the model defines 2 local function(s)");
    cg_graph_free(g);
}

/* The reader side of the fields added for the writer, from a packed ModelProto. */
static void test_reader_keeps_info_and_counts_functions(void **state)
{
    (void)state;
    Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    opset.has_version = 1, opset.version = 13;
    Onnx__OperatorSetIdProto *opsets[] = {&opset};
    Onnx__StringStringEntryProto prop = ONNX__STRING_STRING_ENTRY_PROTO__INIT;
    prop.key = "k", prop.value = "v";
    Onnx__StringStringEntryProto *props[] = {&prop};
    Onnx__FunctionProto fn = ONNX__FUNCTION_PROTO__INIT;
    fn.name = "f", fn.domain = "local";
    Onnx__FunctionProto *fns[] = {&fn};
    Onnx__GraphProto graph = ONNX__GRAPH_PROTO__INIT;
    graph.name = "g", graph.doc_string = "gdoc";
    Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
    m.has_ir_version = 1, m.ir_version = 8;
    m.n_opset_import = 1, m.opset_import = opsets;
    m.producer_name = "pn", m.doc_string = "mdoc";
    m.n_metadata_props = 1, m.metadata_props = props;
    m.n_functions = 1, m.functions = fns;
    m.graph = &graph;
    uint8_t buf[256];
    assert_true(protobuf_c_message_get_packed_size(&m.base) <= sizeof buf);
    size_t len = protobuf_c_message_pack(&m.base, buf);
    cg_status st;
    cg_graph *g = cg_onnx_load_buffer(buf, len, "packed", NULL, &st);
    assert_non_null(g);
    assert_string_equal(g->info.producer_name, "pn");
    assert_null(g->info.producer_version); /* absent stays absent */
    assert_false(g->info.has_model_version);
    assert_string_equal(g->info.doc_string, "mdoc");
    assert_string_equal(g->info.graph_doc_string, "gdoc");
    assert_int_equal(g->info.n_props, 1);
    assert_string_equal(g->info.props[0].value, "v");
    assert_int_equal(g->info.n_functions, 1);
    assert_refused(g, "fn.onnx", NULL, CG_ERR_UNSUPPORTED, "1 local function(s)");
    cg_graph_free(g);
}

static void test_unsorted_nodes_refused(void **state)
{
    (void)state;
    cg_graph *g = rich_graph();
    cg_node tmp = g->nodes[0];
    g->nodes[0] = g->nodes[1];
    g->nodes[1] = tmp;
    assert_refused(g, "u.onnx", NULL, CG_ERR_INVALID, "input 'Y' is not produced by an earlier");
    cg_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip_keeps_every_field, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_save_is_stable, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_initializers_listed_as_inputs_stay_listed, make_dir,
                                        remove_dir),
        cmocka_unit_test_setup_teardown(test_inferred_value_info_on_request, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_untyped_output_gets_inferred_type, make_dir,
                                        remove_dir),
        cmocka_unit_test_setup_teardown(test_ir_version_follows_opset_when_unset, make_dir,
                                        remove_dir),
        cmocka_unit_test_setup_teardown(test_external_data_threshold, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_external_data_named_file_and_never, make_dir,
                                        remove_dir),
        cmocka_unit_test_setup_teardown(test_unwritable_paths, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_graph_attribute_refused, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_string_initializer_refused, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_local_functions_refused, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_reader_keeps_info_and_counts_functions, make_dir,
                                        remove_dir),
        cmocka_unit_test_setup_teardown(test_unsorted_nodes_refused, make_dir, remove_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
