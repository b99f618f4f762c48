/* ONNX reader: models built in C with the generated protobuf-c structs, packed and
 * loaded from memory; plus one real file from the ONNX backend test data. */
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
#include "format/onnx_internal.h"

/* ---- builders: every allocation is recorded and freed after each test ---- */

#define ARENA_MAX 4096
static void *arena[ARENA_MAX];
static int arena_n;

static void *arena_calloc(size_t n, size_t size)
{
    assert_true(arena_n < ARENA_MAX);
    void *p = calloc(n ? n : 1, size);
    assert_non_null(p);
    return arena[arena_n++] = p;
}

static int arena_teardown(void **state)
{
    (void)state;
    while (arena_n > 0)
        free(arena[--arena_n]);
    return 0;
}

static char *str(const char *s)
{
    char *d = arena_calloc(strlen(s) + 1, 1);
    return strcpy(d, s);
}

static char **strs(int n, const char *const *v)
{
    char **out = arena_calloc((size_t)n, sizeof *out);
    for (int i = 0; i < n; i++)
        out[i] = str(v[i]);
    return out;
}

static Onnx__TensorProto *tensor(const char *name, int dtype, int rank, const int64_t *dims)
{
    Onnx__TensorProto *t = arena_calloc(1, sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = str(name);
    t->has_data_type = 1;
    t->data_type = dtype;
    t->n_dims = (size_t)rank;
    t->dims = arena_calloc((size_t)rank, sizeof *t->dims);
    if (rank > 0)
        memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
    return t;
}

/* dims as text: "N" becomes dim_param, "?" neither, digits dim_value. */
static Onnx__ValueInfoProto *value_info(const char *name, int elem, int rank, const char *const *dims)
{
    Onnx__TensorShapeProto *shape = arena_calloc(1, sizeof *shape);
    onnx__tensor_shape_proto__init(shape);
    rank = rank < 0 ? 0 : rank;
    shape->n_dim = (size_t)rank;
    shape->dim = arena_calloc((size_t)rank, sizeof *shape->dim);
    for (int i = 0; i < rank; i++) {
        Onnx__TensorShapeProto__Dimension *d = arena_calloc(1, sizeof *d);
        onnx__tensor_shape_proto__dimension__init(d);
        if (dims[i][0] == '-' || (dims[i][0] >= '0' && dims[i][0] <= '9')) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = strtoll(dims[i], NULL, 10);
        } else if (strcmp(dims[i], "?") != 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = str(dims[i]);
        }
        shape->dim[i] = d;
    }
    Onnx__TypeProto__Tensor *tt = arena_calloc(1, sizeof *tt);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1;
    tt->elem_type = elem;
    tt->shape = dims ? shape : NULL; /* no dims: a type without shape */
    Onnx__TypeProto *tp = arena_calloc(1, sizeof *tp);
    onnx__type_proto__init(tp);
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    Onnx__ValueInfoProto *vi = arena_calloc(1, sizeof *vi);
    onnx__value_info_proto__init(vi);
    vi->name = str(name);
    vi->type = tp;
    return vi;
}

static Onnx__NodeProto *node(const char *name, const char *op, int n_in, const char *const *in,
                             int n_out, const char *const *out)
{
    Onnx__NodeProto *n = arena_calloc(1, sizeof *n);
    onnx__node_proto__init(n);
    n->name = str(name);
    n->op_type = str(op);
    n->n_input = (size_t)n_in;
    n->input = strs(n_in, in);
    n->n_output = (size_t)n_out;
    n->output = strs(n_out, out);
    return n;
}

static Onnx__AttributeProto *attr(Onnx__NodeProto *n, const char *name, int type)
{
    Onnx__AttributeProto *a = arena_calloc(1, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = str(name);
    a->has_type = 1;
    a->type = type;
    Onnx__AttributeProto **list = arena_calloc(n->n_attribute + 1, sizeof *list);
    if (n->n_attribute)
        memcpy(list, n->attribute, n->n_attribute * sizeof *list);
    list[n->n_attribute++] = a;
    n->attribute = list;
    return a;
}

/* Appends p to a repeated field (array of pointers + count). */
#define APPEND(arr, count, p)                                                    \
    do {                                                                         \
        void **l_ = arena_calloc((count) + 1, sizeof(void *));                   \
        if (count)                                                               \
            memcpy(l_, (arr), (count) * sizeof(void *));                         \
        l_[(count)++] = (p);                                                     \
        (arr) = (void *)l_;                                                      \
    } while (0)

static Onnx__ModelProto *model(int64_t ir_version, const char *domain, int64_t opset)
{
    Onnx__GraphProto *g = arena_calloc(1, sizeof *g);
    onnx__graph_proto__init(g);
    g->name = str("test_graph");
    Onnx__ModelProto *m = arena_calloc(1, sizeof *m);
    onnx__model_proto__init(m);
    m->has_ir_version = 1;
    m->ir_version = ir_version;
    m->graph = g;
    if (domain) {
        Onnx__OperatorSetIdProto *o = arena_calloc(1, sizeof *o);
        onnx__operator_set_id_proto__init(o);
        o->domain = str(domain);
        o->has_version = 1;
        o->version = opset;
        APPEND(m->opset_import, m->n_opset_import, o);
    }
    return m;
}

static uint8_t *pack(const ProtobufCMessage *msg, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = arena_calloc(*len, 1);
    assert_int_equal(protobuf_c_message_pack(msg, buf), *len);
    return buf;
}

static cg_graph *load(const Onnx__ModelProto *m, const char *base_dir, cg_status *st)
{
    size_t len;
    uint8_t *buf = pack(&m->base, &len);
    cg_status_clear(st);
    return cg_onnx_load_buffer(buf, len, "test.onnx", base_dir, st);
}

/* A model whose only content is one initializer; loads it and returns its data. */
static cg_graph *load_initializer(Onnx__TensorProto *t, const char *base_dir, cg_status *st)
{
    Onnx__ModelProto *m = model(8, "", 13);
    APPEND(m->graph->initializer, m->graph->n_initializer, t);
    return load(m, base_dir, st);
}

static const cg_value *value(const cg_graph *g, const char *name)
{
    int i = cg_graph_find(g, name);
    assert_true(i >= 0);
    return &g->values[i];
}

static void assert_msg_has(const cg_status *st, const char *part)
{
    if (!strstr(st->msg, part))
        fail_msg("message '%s' lacks '%s'", st->msg, part);
}

/* Asserts loading fails with code and a message naming the file and `part`. */
static void assert_load_fails(cg_graph *g, const cg_status *st, cg_code code, const char *part)
{
    assert_null(g);
    assert_int_equal(st->code, code);
    assert_msg_has(st, "test.onnx: ");
    assert_msg_has(st, part);
    assert_null(strchr(st->msg, '\n'));
}

/* ---- opsets ---- */

static void test_opsets_map_ai_onnx_to_default_domain(void **state)
{
    (void)state;
    Onnx__ModelProto *m = model(7, "ai.onnx", 11);
    Onnx__OperatorSetIdProto *ms = arena_calloc(1, sizeof *ms);
    onnx__operator_set_id_proto__init(ms);
    ms->domain = str("com.microsoft");
    ms->has_version = 1;
    ms->version = 1;
    APPEND(m->opset_import, m->n_opset_import, ms);
    cg_status st;
    cg_graph *g = load(m, NULL, &st);
    assert_non_null(g);
    assert_int_equal(g->ir_version, 7);
    assert_int_equal(cg_graph_opset(g, ""), 11);
    assert_int_equal(cg_graph_opset(g, "com.microsoft"), 1);
    assert_string_equal(g->name, "test_graph");
    cg_graph_free(g);
}

static void test_missing_opset_import_defaults_before_ir3_only(void **state)
{
    (void)state;
    cg_status st;
    cg_graph *g = load(model(2, NULL, 0), NULL, &st);
    assert_non_null(g);
    assert_int_equal(cg_graph_opset(g, ""), 1); /* onnx checker: default domain v1 */
    cg_graph_free(g);
    g = load(model(3, NULL, 0), NULL, &st);
    assert_load_fails(g, &st, CG_ERR_FORMAT, "no opset_import");
}

/* ---- inputs, initializers, declared types ---- */

static void test_inputs_exclude_initializers_and_keep_symbols(void **state)
{
    (void)state;
    Onnx__ModelProto *m = model(8, "", 13);
    Onnx__GraphProto *gp = m->graph;
    const char *xdims[] = {"N", "3", "?", "4"}, *wdims[] = {"2", "3"};
    APPEND(gp->input, gp->n_input, value_info("X", CG_FLOAT, 4, xdims));
    APPEND(gp->input, gp->n_input, value_info("W", CG_FLOAT, 2, wdims));
    Onnx__TensorProto *w = tensor("W", CG_FLOAT, 2, (int64_t[]){2, 3});
    w->n_float_data = 6;
    w->float_data = (float[]){1, 2, 3, 4, 5, 6};
    APPEND(gp->initializer, gp->n_initializer, w);
    const char *ydims[] = {"N"};
    APPEND(gp->output, gp->n_output, value_info("Y", CG_FLOAT, 1, ydims));
    APPEND(gp->value_info, gp->n_value_info, value_info("T", CG_INT64, -1, NULL));
    APPEND(gp->node, gp->n_node, node("n0", "Identity", 1, (const char *[]){"X"}, 1,
                                      (const char *[]){"T"}));
    APPEND(gp->node, gp->n_node, node("n1", "Foo", 2, (const char *[]){"T", "W"}, 1,
                                      (const char *[]){"Y"}));
    cg_status st;
    cg_graph *g = load(m, NULL, &st);
    assert_non_null(g);
    assert_int_equal(g->n_inputs, 1);
    const cg_value *x = value(g, "X");
    assert_ptr_equal(&g->values[g->inputs[0]], x);
    assert_true(x->is_input && !x->is_initializer && x->has_declared);
    assert_int_equal(x->dtype, CG_FLOAT);
    assert_int_equal(x->shape.rank, 4);
    assert_true(cg_dim_is_symbolic(x->shape.d[0]));
    assert_string_equal(x->shape.d[0].sym, "N");
    assert_int_equal(x->shape.d[1].v, 3);
    assert_true(cg_dim_is_unknown(x->shape.d[2]));
    assert_int_equal(x->declared_dtype, CG_FLOAT);
    assert_int_equal(x->declared_shape.rank, 4);
    assert_ptr_equal(x->declared_shape.d[0].sym, x->shape.d[0].sym);
    const cg_value *w_ = value(g, "W");
    assert_true(w_->is_initializer && !w_->is_input);
    assert_true(w_->has_declared); /* listed as an input too: declared type kept for check */
    assert_non_null(w_->data);
    assert_int_equal(w_->shape.rank, 2);
    assert_int_equal(w_->shape.d[1].v, 3);
    assert_true(cg_tensor_get_f64(w_->data, 5) == 6.0);
    const cg_value *y = value(g, "Y");
    assert_true(y->is_output && y->has_declared && !y->is_input);
    assert_int_equal(g->n_outputs, 1);
    assert_int_equal(y->declared_shape.rank, 1);
    const cg_value *t = value(g, "T");
    assert_true(t->has_declared);
    assert_int_equal(t->declared_dtype, CG_INT64);
    assert_int_equal(t->declared_shape.rank, -1); /* a type without shape: rank unknown */
    assert_int_equal(g->nodes[0].n_inputs, 1);
    assert_int_equal(cg_graph_param_count(g), 6);
    cg_graph_free(g);
}

static void test_declared_shapes_checked(void **state)
{
    (void)state;
    cg_status st;
    Onnx__ModelProto *m = model(8, "", 13);
    const char *neg[] = {"1", "-3"};
    APPEND(m->graph->input, m->graph->n_input, value_info("img", CG_FLOAT, 2, neg));
    assert_load_fails(load(m, NULL, &st), &st, CG_ERR_FORMAT, "input 'img' has negative dim -3");
    m = model(8, "", 13);
    const char *nine[] = {"1", "1", "1", "1", "1", "1", "1", "1", "1"};
    APPEND(m->graph->input, m->graph->n_input, value_info("deep", CG_FLOAT, 9, nine));
    assert_load_fails(load(m, NULL, &st), &st, CG_ERR_UNSUPPORTED, "'deep' has rank 9");
}

/* ---- initializer data ---- */

static void test_typed_fields_decode_every_dtype(void **state)
{
    (void)state;
    cg_status st;
    Onnx__ModelProto *m = model(8, "", 13);
    Onnx__GraphProto *gp = m->graph;
    int64_t three[] = {3};
    Onnx__TensorProto *t;
    t = tensor("f32", CG_FLOAT, 1, three);
    t->n_float_data = 3, t->float_data = (float[]){1.5f, -2.0f, 3.25f};
    APPEND(gp->initializer, gp->n_initializer, t);
    t = tensor("f64", CG_DOUBLE, 1, three);
    t->n_double_data = 3, t->double_data = (double[]){0.125, -1e300, 7};
    APPEND(gp->initializer, gp->n_initializer, t);
    t = tensor("i32", CG_INT32, 1, three);
    t->n_int32_data = 3, t->int32_data = (int32_t[]){-7, 0, 2147483647};
    APPEND(gp->initializer, gp->n_initializer, t);
    t = tensor("i64", CG_INT64, 1, three);
    t->n_int64_data = 3, t->int64_data = (int64_t[]){INT64_MIN, -1, 1LL << 40};
    APPEND(gp->initializer, gp->n_initializer, t);
    t = tensor("i8", CG_INT8, 1, three);
    t->n_int32_data = 3, t->int32_data = (int32_t[]){-128, 5, 127};
    APPEND(gp->initializer, gp->n_initializer, t);
    t = tensor("u8", CG_UINT8, 1, three);
    t->n_int32_data = 3, t->int32_data = (int32_t[]){0, 200, 255};
    APPEND(gp->initializer, gp->n_initializer, t);
    t = tensor("b", CG_BOOL, 1, three);
    t->n_int32_data = 3, t->int32_data = (int32_t[]){1, 0, 1};
    APPEND(gp->initializer, gp->n_initializer, t);
    t = tensor("f16", CG_FLOAT16, 1, three); /* half bits: 1.0, -2.0, 0.5 */
    t->n_int32_data = 3, t->int32_data = (int32_t[]){0x3c00, 0xc000, 0x3800};
    APPEND(gp->initializer, gp->n_initializer, t);
    t = tensor("c64", CG_COMPLEX64, 1, (int64_t[]){2}); /* real, imaginary interleaved */
    t->n_float_data = 4, t->float_data = (float[]){1, -1, 2, -2};
    APPEND(gp->initializer, gp->n_initializer, t);
    t = tensor("u32", CG_UINT32, 1, three);
    t->n_uint64_data = 3, t->uint64_data = (uint64_t[]){0, 7, 4294967295u};
    APPEND(gp->initializer, gp->n_initializer, t);
    t = tensor("u64", CG_UINT64, 1, three);
    t->n_uint64_data = 3, t->uint64_data = (uint64_t[]){1, 2, 3};
    APPEND(gp->initializer, gp->n_initializer, t);
    cg_graph *g = load(m, NULL, &st);
    assert_non_null(g);
    const cg_tensor *d;
    d = value(g, "f32")->data;
    assert_true(((float *)d->data)[0] == 1.5f && ((float *)d->data)[2] == 3.25f);
    d = value(g, "f64")->data;
    assert_true(((double *)d->data)[1] == -1e300);
    d = value(g, "i32")->data;
    assert_int_equal(((int32_t *)d->data)[2], 2147483647);
    d = value(g, "i64")->data;
    assert_true(((int64_t *)d->data)[0] == INT64_MIN && ((int64_t *)d->data)[2] == 1LL << 40);
    d = value(g, "i8")->data;
    assert_int_equal(d->nbytes, 3);
    assert_int_equal(((int8_t *)d->data)[0], -128);
    assert_int_equal(((int8_t *)d->data)[2], 127);
    d = value(g, "u8")->data;
    assert_int_equal(((uint8_t *)d->data)[1], 200);
    d = value(g, "b")->data;
    assert_int_equal(d->dtype, CG_BOOL);
    assert_int_equal(cg_tensor_get_i64(d, 0) + cg_tensor_get_i64(d, 1) * 2 + cg_tensor_get_i64(d, 2) * 4, 5);
    d = value(g, "f16")->data;
    assert_true(cg_tensor_get_f64(d, 0) == 1.0 && cg_tensor_get_f64(d, 1) == -2.0 &&
                cg_tensor_get_f64(d, 2) == 0.5);
    d = value(g, "c64")->data;
    assert_int_equal(d->nbytes, 16);
    assert_true(((float *)d->data)[3] == -2);
    d = value(g, "u32")->data;
    assert_int_equal(d->nbytes, 12);
    assert_true(((uint32_t *)d->data)[2] == 4294967295u);
    d = value(g, "u64")->data;
    assert_true(((uint64_t *)d->data)[2] == 3);
    cg_graph_free(g);
}

static void test_raw_data_is_little_endian_and_exact(void **state)
{
    (void)state;
    cg_status st;
    Onnx__TensorProto *t = tensor("r", CG_INT32, 2, (int64_t[]){1, 2});
    static uint8_t bytes[] = {0x01, 0x02, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff};
    t->has_raw_data = 1;
    t->raw_data.len = 8;
    t->raw_data.data = bytes;
    cg_graph *g = load_initializer(t, NULL, &st);
    assert_non_null(g);
    assert_int_equal(cg_tensor_get_i64(value(g, "r")->data, 0), 0x0201);
    assert_int_equal(cg_tensor_get_i64(value(g, "r")->data, 1), -1);
    cg_graph_free(g);
    t->raw_data.len = 7; /* dims say 2 int32 = 8 bytes */
    assert_load_fails(load_initializer(t, NULL, &st), &st, CG_ERR_FORMAT,
                      "initializer 'r': raw_data has 7 bytes but dims [1,2] of int32 need 8");
    t->name = str("r\nx\x1b[31m"); /* a message stays one printable line */
    assert_load_fails(load_initializer(t, NULL, &st), &st, CG_ERR_FORMAT,
                      "initializer 'r?x?[31m': raw_data has 7 bytes");
}

static void test_typed_count_must_match_dims(void **state)
{
    (void)state;
    cg_status st;
    Onnx__TensorProto *t = tensor("c", CG_FLOAT, 1, (int64_t[]){4});
    t->n_float_data = 3, t->float_data = (float[]){1, 2, 3};
    assert_load_fails(load_initializer(t, NULL, &st), &st, CG_ERR_FORMAT,
                      "float_data has 3 values but dims [4] of float32 need 4");
    t = tensor("both", CG_FLOAT, 1, (int64_t[]){1});
    t->n_float_data = 1, t->float_data = (float[]){1};
    t->has_raw_data = 1, t->raw_data.len = 4, t->raw_data.data = (uint8_t[]){0, 0, 0, 0};
    assert_load_fails(load_initializer(t, NULL, &st), &st, CG_ERR_FORMAT, "both raw_data and typed");
}

static void test_absurd_dims_rejected_before_allocation(void **state)
{
    (void)state;
    cg_status st;
    /* 1e12 floats: 4 TB claimed in a few bytes */
    Onnx__TensorProto *t = tensor("huge", CG_FLOAT, 2, (int64_t[]){1000000, 1000000});
    assert_load_fails(load_initializer(t, NULL, &st), &st, CG_ERR_NOMEM, "initializer 'huge'");
    /* 8 GiB is under the size cap: the missing raw_data must be noticed first */
    t = tensor("big", CG_UINT8, 1, (int64_t[]){(int64_t)1 << 33});
    t->has_raw_data = 1, t->raw_data.len = 4, t->raw_data.data = (uint8_t[]){0, 0, 0, 0};
    assert_load_fails(load_initializer(t, NULL, &st), &st, CG_ERR_FORMAT, "raw_data has 4 bytes");
    t = tensor("neg", CG_FLOAT, 2, (int64_t[]){2, -1});
    assert_load_fails(load_initializer(t, NULL, &st), &st, CG_ERR_FORMAT,
                      "initializer 'neg': negative dim in dims [2,-1]");
    t = tensor("ovf", CG_FLOAT, 3, (int64_t[]){1LL << 40, 1LL << 40, 1LL << 40});
    assert_load_fails(load_initializer(t, NULL, &st), &st, CG_ERR_FORMAT, "element count of dims");
    t = tensor("r9", CG_FLOAT, 9, (int64_t[]){1, 1, 1, 1, 1, 1, 1, 1, 1});
    assert_load_fails(load_initializer(t, NULL, &st), &st, CG_ERR_UNSUPPORTED, "rank 9");
}

static void test_string_and_sparse_initializers(void **state)
{
    (void)state;
    cg_status st;
    Onnx__TensorProto *t = tensor("words", CG_STRING, 1, (int64_t[]){2});
    t->n_string_data = 2;
    t->string_data = (ProtobufCBinaryData[]){{1, (uint8_t *)"a"}, {2, (uint8_t *)"bc"}};
    cg_graph *g = load_initializer(t, NULL, &st);
    assert_non_null(g);
    const cg_value *v = value(g, "words");
    assert_true(v->is_initializer);
    assert_int_equal(v->dtype, CG_STRING);
    assert_int_equal(v->shape.rank, 1);
    assert_int_equal(v->shape.d[0].v, 2);
    assert_null(v->data);
    cg_graph_free(g);

    Onnx__ModelProto *m = model(8, "", 13);
    Onnx__SparseTensorProto *sp = arena_calloc(1, sizeof *sp);
    onnx__sparse_tensor_proto__init(sp);
    sp->values = tensor("sparse_w", CG_FLOAT, 1, (int64_t[]){0});
    APPEND(m->graph->sparse_initializer, m->graph->n_sparse_initializer, sp);
    assert_load_fails(load(m, NULL, &st), &st, CG_ERR_UNSUPPORTED, "'sparse_w' is not supported");
}

static void test_duplicate_initializer_rejected(void **state)
{
    (void)state;
    cg_status st;
    Onnx__ModelProto *m = model(8, "", 13);
    Onnx__TensorProto *t = tensor("w", CG_FLOAT, 0, NULL);
    t->n_float_data = 1, t->float_data = (float[]){1};
    APPEND(m->graph->initializer, m->graph->n_initializer, t);
    APPEND(m->graph->initializer, m->graph->n_initializer, t);
    assert_load_fails(load(m, NULL, &st), &st, CG_ERR_FORMAT, "initializer 'w' appears twice");
}

/* ---- external data ---- */

static char ext_dir[64];

static Onnx__TensorProto *external_tensor(const char *location, const char *offset,
                                          const char *length)
{
    Onnx__TensorProto *t = tensor("ext", CG_FLOAT, 1, (int64_t[]){2});
    t->has_data_location = 1;
    t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    const char *keys[] = {"location", "offset", "length"}, *vals[] = {location, offset, length};
    for (int i = 0; i < 3; i++) {
        if (!vals[i])
            continue;
        Onnx__StringStringEntryProto *e = arena_calloc(1, sizeof *e);
        onnx__string_string_entry_proto__init(e);
        e->key = str(keys[i]);
        e->value = str(vals[i]);
        APPEND(t->external_data, t->n_external_data, e);
    }
    return t;
}

static int external_setup(void **state)
{
    (void)state;
    snprintf(ext_dir, sizeof ext_dir, "/tmp/cg_onnx_ext_XXXXXX");
    if (!mkdtemp(ext_dir))
        return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/weights.bin", ext_dir);
    FILE *f = fopen(path, "wb");
    float v[4] = {10, 20, 30, 40}; /* little-endian host assumed by this fixture */
    if (!f || fwrite(v, sizeof v, 1, f) != 1)
        return -1;
    fclose(f);
    return 0;
}

static const char *const ext_extra_files[] = {"link.bin", "up", "hard.bin", "pipe.bin"};

static void ext_file_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", ext_dir, name);
}

static int external_teardown(void **state)
{
    char path[128];
    ext_file_path(path, sizeof path, "weights.bin");
    unlink(path);
    for (size_t i = 0; i < sizeof ext_extra_files / sizeof *ext_extra_files; i++) {
        ext_file_path(path, sizeof path, ext_extra_files[i]);
        unlink(path);
    }
    rmdir(ext_dir);
    return arena_teardown(state);
}

static void test_external_data_in_bounds(void **state)
{
    (void)state;
    cg_status st;
    cg_graph *g = load_initializer(external_tensor("weights.bin", "8", "8"), ext_dir, &st);
    assert_non_null(g);
    const cg_tensor *d = value(g, "ext")->data;
    assert_true(((float *)d->data)[0] == 30 && ((float *)d->data)[1] == 40);
    cg_graph_free(g);
    /* no length: to the end of the file */
    g = load_initializer(external_tensor("./weights.bin", "8", NULL), ext_dir, &st);
    assert_non_null(g);
    cg_graph_free(g);
}

static void test_external_data_refused(void **state)
{
    (void)state;
    cg_status st;
    assert_load_fails(load_initializer(external_tensor("weights.bin", "12", "8"), ext_dir, &st),
                      &st, CG_ERR_FORMAT, "runs past the end of 'weights.bin' (16 bytes)");
    assert_load_fails(load_initializer(external_tensor("weights.bin", "100", NULL), ext_dir, &st),
                      &st, CG_ERR_FORMAT, "offset 100 is past the end of 'weights.bin'");
    assert_load_fails(load_initializer(external_tensor("weights.bin", "0", "16"), ext_dir, &st),
                      &st, CG_ERR_FORMAT, "length 16 but the tensor needs 8 bytes");
    assert_load_fails(load_initializer(external_tensor("../etc/passwd", NULL, NULL), ext_dir, &st),
                      &st, CG_ERR_FORMAT, "'../etc/passwd' must be a relative path inside");
    assert_load_fails(load_initializer(external_tensor("a/../../x", NULL, NULL), ext_dir, &st),
                      &st, CG_ERR_FORMAT, "must be a relative path inside");
    assert_load_fails(load_initializer(external_tensor("/etc/passwd", NULL, NULL), ext_dir, &st),
                      &st, CG_ERR_FORMAT, "'/etc/passwd' must be a relative path inside");
    assert_load_fails(load_initializer(external_tensor("weights.bin", "-8", NULL), ext_dir, &st),
                      &st, CG_ERR_FORMAT, "offset '-8' is not a non-negative integer");
    assert_load_fails(load_initializer(external_tensor("weights.bin", "8x", NULL), ext_dir, &st),
                      &st, CG_ERR_FORMAT, "offset '8x' is not");
    assert_load_fails(load_initializer(external_tensor("missing.bin", NULL, NULL), ext_dir, &st),
                      &st, CG_ERR_IO, "cannot open external data 'missing.bin'");
    assert_load_fails(load_initializer(external_tensor("weights.bin", NULL, NULL), NULL, &st),
                      &st, CG_ERR_FORMAT, "needs the model's folder");
}

#define CONV_DIR "/usr/share/libonnx-testdata/data/node/test_conv_with_strides_padding"

/* Links and special files must not lead the reader out of the folder or hang it. */
static void test_external_data_links_refused(void **state)
{
    (void)state;
    char weights[128], path[128];
    ext_file_path(weights, sizeof weights, "weights.bin");
    ext_file_path(path, sizeof path, "link.bin");
    assert_int_equal(symlink(weights, path), 0);
    ext_file_path(path, sizeof path, "up");
    assert_int_equal(symlink(CONV_DIR "/test_data_set_0", path), 0);
    ext_file_path(path, sizeof path, "hard.bin");
    assert_int_equal(link(weights, path), 0);
    ext_file_path(path, sizeof path, "pipe.bin");
    assert_int_equal(mkfifo(path, 0600), 0);
    cg_status st;
    assert_load_fails(load_initializer(external_tensor("link.bin", NULL, NULL), ext_dir, &st),
                      &st, CG_ERR_IO, "external data 'link.bin': it is a symbolic link");
    assert_load_fails(load_initializer(external_tensor("up/input_0.pb", NULL, NULL), ext_dir, &st),
                      &st, CG_ERR_FORMAT, "'up/input_0.pb' resolves outside the model's folder");
    assert_load_fails(load_initializer(external_tensor("hard.bin", NULL, NULL), ext_dir, &st),
                      &st, CG_ERR_FORMAT, "'hard.bin' has several hard links");
    assert_load_fails(load_initializer(external_tensor("pipe.bin", NULL, NULL), ext_dir, &st),
                      &st, CG_ERR_FORMAT, "'pipe.bin' is not a regular file");
}

/* ---- nodes and attributes ---- */

static void test_constant_attributes_are_node_attributes(void **state)
{
    (void)state;
    Onnx__ModelProto *m = model(8, "", 13);
    const char *names[] = {"value", "value_float", "value_floats", "value_int", "value_ints"};
    static int64_t value[] = {4, -5}, ints[] = {1, 2, 3};
    static float floats[] = {1.5f, 2.5f};
    for (int i = 0; i < 5; i++) {
        char out[16];
        snprintf(out, sizeof out, "c%d", i);
        const char *outs[] = {out};
        Onnx__NodeProto *n = node(out, "Constant", 0, NULL, 1, outs);
        APPEND(m->graph->node, m->graph->n_node, n);
        Onnx__AttributeProto *a;
        switch (i) {
        case 0:
            a = attr(n, names[i], ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
            a->t = tensor("", CG_INT64, 1, (int64_t[]){2});
            a->t->n_int64_data = 2, a->t->int64_data = value;
            break;
        case 1:
            a = attr(n, names[i], ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
            a->has_f = 1, a->f = 0.25f;
            break;
        case 2:
            a = attr(n, names[i], ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
            a->n_floats = 2, a->floats = floats;
            break;
        case 3:
            a = attr(n, names[i], ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
            a->has_i = 1, a->i = -42;
            break;
        default:
            a = attr(n, names[i], ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
            a->n_ints = 3, a->ints = ints;
        }
    }
    cg_status st;
    cg_graph *g = load(m, NULL, &st);
    assert_non_null(g);
    assert_int_equal(g->n_nodes, 5);
    const cg_attr *a = cg_node_attr(&g->nodes[0], "value");
    assert_int_equal(a->type, CG_ATTR_TENSOR);
    assert_int_equal(a->t->dtype, CG_INT64);
    assert_int_equal(cg_tensor_get_i64(a->t, 1), -5);
    assert_true(cg_attr_float(&g->nodes[1], "value_float", 0) == 0.25f);
    int n;
    const float *fl = cg_attr_floats(&g->nodes[2], "value_floats", &n);
    assert_int_equal(n, 2);
    assert_true(fl[1] == 2.5f);
    assert_int_equal(cg_attr_int(&g->nodes[3], "value_int", 0), -42);
    const int64_t *in = cg_attr_ints(&g->nodes[4], "value_ints", &n);
    assert_int_equal(n, 3);
    assert_int_equal(in[2], 3);
    cg_graph_free(g);
}

static void test_strings_keep_their_length(void **state)
{
    (void)state;
    Onnx__ModelProto *m = model(8, "", 13);
    Onnx__NodeProto *n = node("s", "Foo", 0, NULL, 1, (const char *[]){"y"});
    APPEND(m->graph->node, m->graph->n_node, n);
    Onnx__AttributeProto *a = attr(n, "mode", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1, a->s.len = 5, a->s.data = (uint8_t *)"ab\0cdEXTRA"; /* embedded NUL */
    a = attr(n, "list", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
    a->n_strings = 2;
    a->strings = (ProtobufCBinaryData[]){{3, (uint8_t *)"xyzzy"}, {0, NULL}};
    a = attr(n, "old", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED);
    a->has_type = 0, a->has_i = 1, a->i = 9; /* IR v1: the type follows from the field */
    a = attr(n, "body", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH);
    a->g = arena_calloc(1, sizeof *a->g);
    onnx__graph_proto__init(a->g);
    cg_status st;
    cg_graph *g = load(m, NULL, &st);
    assert_non_null(g);
    const cg_attr *s = cg_node_attr(&g->nodes[0], "mode");
    assert_int_equal(s->type, CG_ATTR_STRING);
    assert_int_equal(s->s_len, 5);
    assert_memory_equal(s->s, "ab\0cd", 6); /* the copy is NUL-terminated at s_len */
    const cg_attr *l = cg_node_attr(&g->nodes[0], "list");
    assert_int_equal(l->n, 2);
    assert_string_equal(l->strings[0], "xyz");
    assert_string_equal(l->strings[1], "");
    assert_int_equal(cg_node_attr(&g->nodes[0], "body")->type, CG_ATTR_GRAPH);
    assert_int_equal(cg_attr_int(&g->nodes[0], "old", 0), 9);
    cg_graph_free(g);
}

static void test_empty_input_names_are_omitted(void **state)
{
    (void)state;
    Onnx__ModelProto *m = model(8, "", 13);
    const char *xd[] = {"1", "3"};
    APPEND(m->graph->input, m->graph->n_input, value_info("x", CG_FLOAT, 2, xd));
    APPEND(m->graph->node, m->graph->n_node,
           node("clip", "Clip", 3, (const char *[]){"x", "", "hi"}, 1, (const char *[]){"y"}));
    Onnx__TensorProto *hi = tensor("hi", CG_FLOAT, 0, NULL);
    hi->n_float_data = 1, hi->float_data = (float[]){6};
    APPEND(m->graph->initializer, m->graph->n_initializer, hi);
    cg_status st;
    cg_graph *g = load(m, NULL, &st);
    assert_non_null(g);
    assert_int_equal(g->nodes[0].n_inputs, 3);
    assert_int_equal(g->nodes[0].inputs[1], -1);
    assert_int_equal(g->nodes[0].inputs[2], cg_graph_find(g, "hi"));
    cg_graph_free(g);
}

static void test_graph_structure_errors_name_the_node(void **state)
{
    (void)state;
    cg_status st;
    Onnx__ModelProto *m = model(8, "", 13);
    APPEND(m->graph->node, m->graph->n_node,
           node("relu", "Relu", 1, (const char *[]){"nowhere"}, 1, (const char *[]){"y"}));
    assert_load_fails(load(m, NULL, &st), &st, CG_ERR_INVALID, "'relu'");
    m = model(8, "", 13);
    APPEND(m->graph->node, m->graph->n_node,
           node("a", "Relu", 1, (const char *[]){"q"}, 1, (const char *[]){"p"}));
    APPEND(m->graph->node, m->graph->n_node,
           node("b", "Relu", 1, (const char *[]){"p"}, 1, (const char *[]){"q"}));
    assert_load_fails(load(m, NULL, &st), &st, CG_ERR_INVALID, "node");
    m = model(8, "", 13);
    APPEND(m->graph->node, m->graph->n_node, node("", "", 0, NULL, 0, NULL));
    assert_load_fails(load(m, NULL, &st), &st, CG_ERR_FORMAT, "node #0 has no op_type");
}

/* ---- bytes that are not a model ---- */

/* Prepends a length-delimited field header for `number` to buf[*start..end). */
static void wrap_field(uint8_t *buf, size_t *start, size_t end, unsigned number)
{
    uint8_t hdr[12];
    size_t h = 0;
    hdr[h++] = (uint8_t)(number << 3 | 2);
    for (size_t v = end - *start;; v >>= 7) {
        hdr[h++] = (uint8_t)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
        if (v < 0x80)
            break;
    }
    *start -= h;
    memcpy(buf + *start, hdr, h);
}

static void test_bad_bytes(void **state)
{
    (void)state;
    cg_status st;
    assert_load_fails(cg_onnx_load_buffer("", 0, "test.onnx", NULL, &st), &st, CG_ERR_FORMAT,
                      "empty file");
    size_t len;
    Onnx__ModelProto *m = model(8, "", 13);
    const char *xd[] = {"1", "3"};
    APPEND(m->graph->input, m->graph->n_input, value_info("x", CG_FLOAT, 2, xd));
    uint8_t *buf = pack(&m->base, &len);
    assert_load_fails(cg_onnx_load_buffer(buf, len - 3, "test.onnx", NULL, &st), &st,
                      CG_ERR_FORMAT, "not a valid ONNX model (protobuf parse failed)");
    /* AttributeProto.s claiming 50 MB (varint 0x3200000) followed by two bytes */
    static const uint8_t s_claim[] = {0x22, 0x80, 0x80, 0x80, 0x19, 'a', 'b'};
    uint8_t claim[32];
    size_t start = sizeof claim - sizeof s_claim;
    memcpy(claim + start, s_claim, sizeof s_claim);
    wrap_field(claim, &start, sizeof claim, 5); /* NodeProto.attribute */
    wrap_field(claim, &start, sizeof claim, 1); /* GraphProto.node */
    wrap_field(claim, &start, sizeof claim, 7); /* ModelProto.graph */
    assert_load_fails(cg_onnx_load_buffer(claim + start, sizeof claim - start, "test.onnx", NULL,
                                          &st), &st, CG_ERR_FORMAT, "protobuf parse failed");
    /* random bytes (fixed seed) are not a model */
    uint8_t noise[4096];
    srand(7);
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (uint8_t)(rand() & 0xff);
    assert_load_fails(cg_onnx_load_buffer(noise, sizeof noise, "test.onnx", NULL, &st), &st,
                      CG_ERR_FORMAT, "not a valid ONNX model");
}

/* protobuf-c unpacks recursively: without the guard this input overflows the stack. */
static void test_deep_nesting_refused(void **state)
{
    (void)state;
    enum { LEVELS = 100000 };
    size_t cap = (size_t)LEVELS * 8 + 64, start = cap;
    uint8_t *buf = arena_calloc(cap, 1);
    /* TypeProto.sequence_type (4) > Sequence.elem_type (1) > TypeProto ... */
    for (int depth = LEVELS - 1; depth >= 0; depth--)
        wrap_field(buf, &start, cap, depth % 2 == 0 ? 4 : 1);
    wrap_field(buf, &start, cap, 2);  /* ValueInfoProto.type */
    wrap_field(buf, &start, cap, 11); /* GraphProto.input */
    wrap_field(buf, &start, cap, 7);  /* ModelProto.graph */
    cg_status st;
    assert_load_fails(cg_onnx_load_buffer(buf + start, cap - start, "test.onnx", NULL, &st), &st,
                      CG_ERR_FORMAT, "not a valid ONNX model (messages nested more than 64 deep)");
    /* 60 levels are fine: a sequence input is refused by kind, not by depth */
    start = cap;
    for (int depth = 59; depth >= 0; depth--)
        wrap_field(buf, &start, cap, depth % 2 == 0 ? 4 : 1);
    wrap_field(buf, &start, cap, 2);
    size_t named = start - 3; /* ValueInfoProto.name = "s" */
    memcpy(buf + named, "\x0a\x01s", 3);
    start = named;
    wrap_field(buf, &start, cap, 11);
    wrap_field(buf, &start, cap, 7);
    assert_load_fails(cg_onnx_load_buffer(buf + start, cap - start, "test.onnx", NULL, &st), &st,
                      CG_ERR_UNSUPPORTED, "input 's' is of type sequence");
}

/* ---- real files ---- */

static void test_real_backend_model_and_tensor(void **state)
{
    (void)state;
    cg_status st;
    cg_graph *g = cg_onnx_load(CONV_DIR "/model.onnx", &st);
    if (!g)
        fail_msg("%s", st.msg);
    assert_int_equal(g->n_nodes, 1);
    assert_string_equal(g->nodes[0].op_type, "Conv");
    assert_int_equal(g->n_inputs, 2);
    const cg_value *x = &g->values[g->inputs[0]];
    assert_int_equal(x->shape.rank, 4);
    assert_int_equal(x->shape.d[2].v, 7);
    int n;
    const int64_t *strides = cg_attr_ints(&g->nodes[0], "strides", &n);
    assert_int_equal(n, 2);
    assert_int_equal(strides[0], 2);
    cg_graph_free(g);

    cg_tensor *t = cg_onnx_read_tensor(CONV_DIR "/test_data_set_0/input_0.pb", &st);
    if (!t)
        fail_msg("%s", st.msg);
    assert_int_equal(t->dtype, CG_FLOAT);
    assert_int_equal(t->rank, 4);
    int64_t want[] = {1, 1, 7, 5};
    assert_memory_equal(t->dims, want, sizeof want);
    assert_true(cg_tensor_get_f64(t, 34) == 34.0); /* the test input counts 0..34 */
    cg_tensor_free(t);

    g = cg_model_load("/nonexistent/dir/model.onnx", &st);
    assert_null(g);
    assert_int_equal(st.code, CG_ERR_IO);
    assert_msg_has(&st, "/nonexistent/dir/model.onnx: cannot open");
    t = cg_onnx_read_tensor(CONV_DIR "/model.onnx", &st);
    if (t) { /* a ModelProto may parse as a TensorProto; then its fields are checked */
        cg_tensor_free(t);
        fail_msg("model.onnx decoded as a tensor");
    }
    assert_msg_has(&st, CONV_DIR "/model.onnx: ");
}

/* ---- files ---- */

static char tmp_path[64];

static void write_temp(const void *data, size_t len)
{
    snprintf(tmp_path, sizeof tmp_path, "/tmp/cg_onnx_file_XXXXXX");
    int fd = mkstemp(tmp_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static void test_read_file_limits(void **state)
{
    (void)state;
    cg_status st;
    size_t len = 0;
    write_temp("0123456789", 10);
    void *buf = cg_read_file(tmp_path, &len, 10, &st);
    assert_non_null(buf);
    assert_int_equal(len, 10);
    assert_memory_equal(buf, "0123456789", 10);
    free(buf);
    assert_null(cg_read_file(tmp_path, &len, 9, &st));
    assert_int_equal(st.code, CG_ERR_IO);
    assert_msg_has(&st, tmp_path);
    assert_msg_has(&st, "file is 10 bytes, more than the limit of 9");
    unlink(tmp_path);
    assert_null(cg_read_file("/tmp", &len, 10, &st));
    assert_string_equal(st.msg, "/tmp: not a regular file");
}

static void test_tensor_file_refuses_strings(void **state)
{
    (void)state;
    Onnx__TensorProto *t = tensor("s", CG_STRING, 1, (int64_t[]){1});
    t->n_string_data = 1;
    t->string_data = (ProtobufCBinaryData[]){{2, (uint8_t *)"hi"}};
    size_t len;
    uint8_t *buf = pack(&t->base, &len);
    write_temp(buf, len);
    cg_status st;
    cg_tensor *out = cg_onnx_read_tensor(tmp_path, &st);
    unlink(tmp_path);
    assert_null(out);
    assert_int_equal(st.code, CG_ERR_UNSUPPORTED);
    assert_msg_has(&st, tmp_path);
    assert_msg_has(&st, "tensor 's': string tensors are not supported");
}

/* ---- initializer bytes cut out before unpacking (onnx_strip.c, onnx_weights.c) ---- */

/* A float initializer of n raw values base, base + 1, ... (little-endian host,
 * like the external data fixture). */
static Onnx__TensorProto *raw_floats(const char *name, int64_t n, float base)
{
    Onnx__TensorProto *t = tensor(name, CG_FLOAT, 1, (int64_t[]){n});
    float *v = arena_calloc((size_t)n, sizeof *v);
    for (int64_t i = 0; i < n; i++)
        v[i] = base + (float)i;
    t->has_raw_data = 1;
    t->raw_data.len = (size_t)n * sizeof *v;
    t->raw_data.data = (uint8_t *)v;
    return t;
}

/* Payload lengths of 1-, 2- and 3-byte varints, a Constant whose tensor has
 * raw_data of its own, and a doc string after the graph. */
static Onnx__ModelProto *model_with_weights(void)
{
    Onnx__ModelProto *m = model(8, "", 13);
    APPEND(m->graph->initializer, m->graph->n_initializer, raw_floats("a", 1, 1));
    APPEND(m->graph->initializer, m->graph->n_initializer, raw_floats("b", 40, 2));
    APPEND(m->graph->initializer, m->graph->n_initializer, raw_floats("c", 5000, 3));
    const char *outs[] = {"k"};
    Onnx__NodeProto *n = node("k", "Constant", 0, NULL, 1, outs);
    attr(n, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR)->t = raw_floats("", 3, 7);
    APPEND(m->graph->node, m->graph->n_node, n);
    m->doc_string = str("after the graph");
    return m;
}

/* data may be a payload at any offset: read through memcpy, not a float *. */
static void assert_floats_from(const void *data, int64_t n, float base)
{
    for (int64_t i = 0; i < n; i++) {
        float v;
        memcpy(&v, (const uint8_t *)data + i * 4, sizeof v);
        if (v != base + (float)i)
            fail_msg("value %lld is %g, not %g", (long long)i, v, base + (float)i);
    }
}

static void test_strip_recomputes_nested_lengths(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = pack(&model_with_weights()->base, &len);
    cg_onnx_stripped s;
    assert_int_equal(cg_onnx_strip_weights(buf, len, &s), CG_OK);
    assert_int_equal(s.n_payloads, 3);
    const int64_t counts[] = {1, 40, 5000};
    for (int i = 0; i < 3; i++) {
        assert_true(s.payloads[i].present);
        assert_int_equal(s.payloads[i].len, counts[i] * 4);
        assert_true(s.payloads[i].data > buf && s.payloads[i].data < buf + len);
        assert_floats_from(s.payloads[i].data, counts[i], (float)(i + 1));
    }
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, s.len, s.msg);
    assert_non_null(m);
    /* every enclosing length is right: protobuf-c packs the result to the same bytes */
    uint8_t *again = pack(&m->base, &len);
    assert_int_equal(len, s.len);
    assert_memory_equal(again, s.msg, len);
    assert_int_equal(m->graph->n_initializer, 3);
    for (int i = 0; i < 3; i++) {
        const Onnx__TensorProto *t = m->graph->initializer[i];
        assert_true(t->has_raw_data && t->raw_data.len == 0); /* the field stays, empty */
        assert_int_equal(t->dims[0], counts[i]);
    }
    assert_string_equal(m->graph->initializer[2]->name, "c");
    /* raw_data outside the initializers is left where it is */
    const Onnx__TensorProto *k = m->graph->node[0]->attribute[0]->t;
    assert_int_equal(k->raw_data.len, 12);
    assert_floats_from(k->raw_data.data, 3, 7);
    assert_string_equal(m->doc_string, "after the graph");
    onnx__model_proto__free_unpacked(m, NULL);
    cg_onnx_stripped_free(&s);
}

/* Length-delimited field `number` holding the n bytes of body, at out. */
static size_t put_field(uint8_t *out, unsigned number, const uint8_t *body, size_t n)
{
    out[0] = (uint8_t)(number << 3 | 2);
    out[1] = (uint8_t)n; /* n < 128 here */
    memcpy(out + 2, body, n);
    return n + 2;
}

static void assert_declined(const uint8_t *buf, size_t len)
{
    cg_onnx_stripped s;
    assert_int_equal(cg_onnx_strip_weights(buf, len, &s), CG_ERR_FORMAT);
    assert_null(s.msg);
    cg_status st;
    assert_load_fails(cg_onnx_load_buffer(buf, len, "test.onnx", NULL, &st), &st, CG_ERR_FORMAT,
                      "not a valid ONNX model");
}

static void test_strip_declines_malformed_bytes(void **state)
{
    (void)state;
    assert_declined((const uint8_t[]){0x80}, 1);             /* key varint cut */
    assert_declined((const uint8_t[]){0x3a, 0x80}, 2);       /* graph length cut */
    assert_declined((const uint8_t[]){0x3a, 0x05, 0x00}, 3); /* graph past the end */
    assert_declined((const uint8_t[]){0x3b, 0x3c}, 2);       /* graph as a group */
    /* graph > initializer > raw_data claiming 10 bytes of 2: the outer lengths agree */
    uint8_t tensor_bytes[] = {0x4a, 0x0a, 'x', 'y'}, graph[16], buf[32];
    size_t n = put_field(graph, 5, tensor_bytes, sizeof tensor_bytes);
    assert_declined(buf, put_field(buf, 7, graph, n));
    /* every cut of a real model is either declined or still well-formed */
    size_t len;
    uint8_t *model_bytes = pack(&model_with_weights()->base, &len);
    for (size_t cut = 0; cut < len; cut++) {
        cg_onnx_stripped s;
        cg_code rc = cg_onnx_strip_weights(model_bytes, cut, &s);
        assert_true(rc == CG_OK || rc == CG_ERR_FORMAT);
        assert_true(s.n_payloads <= 3);
        cg_onnx_stripped_free(&s);
    }
}

/* protobuf merges a graph given twice; the cut declines and protobuf-c reads it. */
static void test_graph_given_twice_still_loads(void **state)
{
    (void)state;
    Onnx__ModelProto *m = model(8, "", 13);
    APPEND(m->graph->initializer, m->graph->n_initializer, raw_floats("a", 4, 1));
    size_t len, extra_len;
    uint8_t *first = pack(&m->base, &len);
    Onnx__GraphProto *g2 = arena_calloc(1, sizeof *g2);
    onnx__graph_proto__init(g2);
    APPEND(g2->initializer, g2->n_initializer, raw_floats("b", 2, 5));
    Onnx__ModelProto *only_graph = arena_calloc(1, sizeof *only_graph);
    onnx__model_proto__init(only_graph);
    only_graph->graph = g2;
    uint8_t *second = pack(&only_graph->base, &extra_len);
    uint8_t *both = arena_calloc(len + extra_len, 1);
    memcpy(both, first, len);
    memcpy(both + len, second, extra_len);
    cg_onnx_stripped s;
    assert_int_equal(cg_onnx_strip_weights(both, len + extra_len, &s), CG_ERR_FORMAT);
    cg_status st;
    cg_graph *g = cg_onnx_load_buffer(both, len + extra_len, "test.onnx", NULL, &st);
    if (!g)
        fail_msg("%s", st.msg);
    assert_floats_from(value(g, "a")->data->data, 4, 1);
    assert_floats_from(value(g, "b")->data->data, 2, 5);
    cg_graph_free(g);
}

/* Initializers of several dtypes at assorted offsets, loaded from a file: each
 * one aligned for its dtype in the mapping is used in place, every other one is
 * copied to a 64-byte boundary; from memory, everything is copied. */
static void test_weights_aligned_in_place_or_copied(void **state)
{
    (void)state;
    enum { N = 9 };
    Onnx__ModelProto *m = model(8, "", 13);
    const char *names[N] = {"w", "w1", "w12", "w123", "w1234", "w12345", "i64", "i64b", "u8"};
    for (int i = 0; i < 6; i++)
        APPEND(m->graph->initializer, m->graph->n_initializer,
               raw_floats(names[i], 3 + i, (float)(10 * i)));
    static int64_t longs[] = {-1, 1LL << 40, 3};
    static uint8_t bytes[] = {1, 2, 3};
    for (int i = 6; i < N; i++) {
        Onnx__TensorProto *t = tensor(names[i], i < 8 ? CG_INT64 : CG_UINT8, 1, (int64_t[]){3});
        t->has_raw_data = 1;
        t->raw_data.len = i < 8 ? sizeof longs : sizeof bytes;
        t->raw_data.data = i < 8 ? (uint8_t *)longs : bytes;
        APPEND(m->graph->initializer, m->graph->n_initializer, t);
    }
    size_t len;
    uint8_t *buf = pack(&m->base, &len);
    cg_onnx_stripped s;
    assert_int_equal(cg_onnx_strip_weights(buf, len, &s), CG_OK);
    write_temp(buf, len);
    cg_status st;
    cg_graph *from_file = cg_onnx_load(tmp_path, &st);
    unlink(tmp_path);
    if (!from_file)
        fail_msg("%s", st.msg);
    cg_graph *from_memory = cg_onnx_load_buffer(buf, len, "test.onnx", NULL, &st);
    assert_non_null(from_memory);
    int in_place = 0, copied = 0;
    for (int i = 0; i < N; i++) {
        const cg_tensor *f = value(from_file, names[i])->data,
                        *c = value(from_memory, names[i])->data;
        size_t align = cg_dtype_size(f->dtype), offset = (size_t)(s.payloads[i].data - buf);
        uintptr_t at = (uintptr_t)f->data;
        assert_true(f->borrowed && c->borrowed); /* both live in the graph's backing */
        assert_int_equal(at % align, 0);
        if (offset % align == 0) {
            assert_int_equal(at % 4096, offset % 4096); /* the mapping starts on a page */
            in_place += align > 1;
        } else {
            assert_int_equal(at % 64, 0);
            copied++;
        }
        assert_int_equal((uintptr_t)c->data % 64, 0);
        assert_memory_equal(f->data, s.payloads[i].data, s.payloads[i].len);
        assert_memory_equal(c->data, s.payloads[i].data, s.payloads[i].len);
    }
    assert_true(in_place > 0 && copied > 0); /* the names above give both kinds */
    assert_int_equal(cg_tensor_get_i64(value(from_file, "i64b")->data, 1), 1LL << 40);
    cg_graph_free(from_file);
    cg_graph_free(from_memory);
    cg_onnx_stripped_free(&s);
}

/* A shape-only load (shapes, check, dot) leaves large weights that would need a
 * copy unread: dims kept, no data, unknown contents to shape functions; aligned
 * ones are in place as in a full load, small ones are read (a Reshape's shape
 * here), and inference gets the same shapes. */
static void test_shapes_only_load_leaves_large_copies_unread(void **state)
{
    (void)state;
    enum { N = 4, BIG = 20000 }; /* 80 KB each, over the 64 KiB line */
    Onnx__ModelProto *m = model(8, "", 13);
    const char *names[N] = {"w", "w1", "w12", "w123"}; /* name lengths shift the offsets */
    for (int i = 0; i < N; i++)
        APPEND(m->graph->initializer, m->graph->n_initializer, raw_floats(names[i], BIG, (float)i));
    static int64_t shape[] = {100, 200};
    Onnx__TensorProto *sh = tensor("shape", CG_INT64, 1, (int64_t[]){2});
    sh->has_raw_data = 1;
    sh->raw_data.len = sizeof shape;
    sh->raw_data.data = (uint8_t *)shape;
    APPEND(m->graph->initializer, m->graph->n_initializer, sh);
    APPEND(m->graph->node, m->graph->n_node, node("r", "Reshape", 2, (const char *[]){"w", "shape"}, 1,
                                                 (const char *[]){"y"}));
    APPEND(m->graph->output, m->graph->n_output, value_info("y", CG_FLOAT, -1, NULL));
    size_t len;
    uint8_t *buf = pack(&m->base, &len);
    write_temp(buf, len);
    cg_status st;
    cg_graph *full = cg_onnx_load(tmp_path, &st), *lean = cg_onnx_load_shapes_only(tmp_path, &st);
    unlink(tmp_path);
    assert_non_null(full);
    assert_non_null(lean);
    int unread = 0, in_place = 0;
    for (int i = 0; i < N; i++) {
        const cg_tensor *f = value(full, names[i])->data, *l = value(lean, names[i])->data;
        assert_int_equal(l->numel, BIG);
        assert_non_null(f->data);
        if (cg_tensor_unloaded(l))
            unread++;
        else
            in_place += l->data == f->data || memcmp(l->data, f->data, f->nbytes) == 0;
    }
    assert_true(unread > 0 && in_place > 0); /* the names above give both kinds */
    assert_false(cg_tensor_unloaded(value(lean, "shape")->data));
    for (int k = 0; k < 2; k++) {
        cg_graph *g = k ? lean : full;
        assert_int_equal(cg_graph_infer_shapes(g, NULL, &st), CG_OK);
        char shape_text[64];
        cg_shape_format(&value(g, "y")->shape, shape_text, sizeof shape_text);
        assert_string_equal(shape_text, "[100,200]");
    }
    cg_graph_free(full);
    cg_graph_free(lean);
}

/* A file's raw_data is checked against dims as a buffer's is. */
static void test_file_raw_data_must_match_dims(void **state)
{
    (void)state;
    Onnx__ModelProto *m = model(8, "", 13);
    Onnx__TensorProto *t = tensor("r", CG_INT32, 2, (int64_t[]){1, 2});
    t->has_raw_data = 1;
    t->raw_data.len = 7;
    t->raw_data.data = (uint8_t *)"1234567";
    APPEND(m->graph->initializer, m->graph->n_initializer, t);
    size_t len;
    uint8_t *buf = pack(&m->base, &len);
    write_temp(buf, len);
    cg_status st;
    cg_graph *g = cg_onnx_load(tmp_path, &st);
    unlink(tmp_path);
    assert_null(g);
    assert_int_equal(st.code, CG_ERR_FORMAT);
    assert_msg_has(&st, tmp_path);
    assert_msg_has(&st, "initializer 'r': raw_data has 7 bytes but dims [1,2] of int32 need 8");
    write_temp(buf, len - 3); /* cut short: the same message as a buffer gets */
    g = cg_onnx_load(tmp_path, &st);
    unlink(tmp_path);
    assert_null(g);
    assert_msg_has(&st, "not a valid ONNX model (protobuf parse failed)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_opsets_map_ai_onnx_to_default_domain, arena_teardown),
        cmocka_unit_test_teardown(test_missing_opset_import_defaults_before_ir3_only, arena_teardown),
        cmocka_unit_test_teardown(test_inputs_exclude_initializers_and_keep_symbols, arena_teardown),
        cmocka_unit_test_teardown(test_declared_shapes_checked, arena_teardown),
        cmocka_unit_test_teardown(test_typed_fields_decode_every_dtype, arena_teardown),
        cmocka_unit_test_teardown(test_raw_data_is_little_endian_and_exact, arena_teardown),
        cmocka_unit_test_teardown(test_typed_count_must_match_dims, arena_teardown),
        cmocka_unit_test_teardown(test_absurd_dims_rejected_before_allocation, arena_teardown),
        cmocka_unit_test_teardown(test_string_and_sparse_initializers, arena_teardown),
        cmocka_unit_test_teardown(test_duplicate_initializer_rejected, arena_teardown),
        cmocka_unit_test_setup_teardown(test_external_data_in_bounds, external_setup, external_teardown),
        cmocka_unit_test_setup_teardown(test_external_data_refused, external_setup, external_teardown),
        cmocka_unit_test_setup_teardown(test_external_data_links_refused, external_setup,
                                        external_teardown),
        cmocka_unit_test_teardown(test_constant_attributes_are_node_attributes, arena_teardown),
        cmocka_unit_test_teardown(test_strings_keep_their_length, arena_teardown),
        cmocka_unit_test_teardown(test_empty_input_names_are_omitted, arena_teardown),
        cmocka_unit_test_teardown(test_graph_structure_errors_name_the_node, arena_teardown),
        cmocka_unit_test_teardown(test_bad_bytes, arena_teardown),
        cmocka_unit_test_teardown(test_deep_nesting_refused, arena_teardown),
        cmocka_unit_test_teardown(test_real_backend_model_and_tensor, arena_teardown),
        cmocka_unit_test_teardown(test_read_file_limits, arena_teardown),
        cmocka_unit_test_teardown(test_tensor_file_refuses_strings, arena_teardown),
        cmocka_unit_test_teardown(test_strip_recomputes_nested_lengths, arena_teardown),
        cmocka_unit_test_teardown(test_strip_declines_malformed_bytes, arena_teardown),
        cmocka_unit_test_teardown(test_graph_given_twice_still_loads, arena_teardown),
        cmocka_unit_test_teardown(test_weights_aligned_in_place_or_copied, arena_teardown),
        cmocka_unit_test_teardown(test_shapes_only_load_leaves_large_copies_unread, arena_teardown),
        cmocka_unit_test_teardown(test_file_raw_data_must_match_dims, arena_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
