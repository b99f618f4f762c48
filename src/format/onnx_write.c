/* IR -> ONNX ModelProto: the model as it was read (ir_version, opsets, names, doc
 * strings, metadata, declared types, initializer bytes), nodes in topological
 * order, large initializers optionally in an external data file. The message is
 * built from protobuf-c structs that point into the IR; what must be allocated
 * lives in an arena freed in one go. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convgraph/format.h"
#include "format/onnx_internal.h"

/* Offsets of external tensors are multiples of the page size so readers can
 * mmap them (onnx.proto, TensorProto.external_data: "SHOULD be multiples 4096"). */
#define EXTERNAL_ALIGN 4096

typedef struct arena_block {
    struct arena_block *next;
    max_align_t data[];
} arena_block;

typedef struct onnx_writer {
    const cg_graph *g;
    const char *path;
    cg_status *st;
    cg_onnx_save_options opt;
    arena_block *arena;
    /* external data: opened on the first tensor that goes there */
    char *data_name; /* location written into the model */
    char *data_path;
    char *data_tmp;
    FILE *data;
    uint64_t data_size;
} onnx_writer;

/* ---- arena ---- */

/* Zeroed storage for n elements of size bytes, freed with the writer; NULL when
 * memory runs out (st is filled). */
static void *w_alloc(onnx_writer *w, size_t n, size_t size)
{
    if (n == 0)
        n = 1;
    if (size && n > (SIZE_MAX - sizeof(arena_block)) / size) {
        cg_fail(w->st, CG_ERR_NOMEM, "%s: out of memory", w->path);
        return NULL;
    }
    arena_block *b = calloc(1, sizeof *b + n * size);
    if (!b) {
        cg_fail(w->st, CG_ERR_NOMEM, "%s: out of memory", w->path);
        return NULL;
    }
    b->next = w->arena;
    w->arena = b;
    return b->data;
}

static void arena_free(onnx_writer *w)
{
    while (w->arena) {
        arena_block *next = w->arena->next;
        free(w->arena);
        w->arena = next;
    }
}

static char *w_printf(onnx_writer *w, const char *fmt, ...) CG_PRINTF(2, 3);
static char *w_printf(onnx_writer *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? w_alloc(w, (size_t)n + 1, 1) : NULL;
    if (s) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

/* protobuf-c writes an optional string only when the pointer is not NULL; the IR
 * keeps "" for names a file may omit, so "" becomes absent. */
static char *optional_string(const char *s)
{
    return s && s[0] ? (char *)s : NULL;
}

/* ---- tensors ---- */

static cg_code start_data_file(onnx_writer *w)
{
    w->data = fopen(w->data_tmp, "wb");
    if (!w->data)
        return cg_fail(w->st, CG_ERR_IO, "%s: cannot write: %s", w->data_path, strerror(errno));
    return CG_OK;
}

static Onnx__StringStringEntryProto *entry(onnx_writer *w, const char *key, char *value)
{
    Onnx__StringStringEntryProto *e = value ? w_alloc(w, 1, sizeof *e) : NULL;
    if (e) {
        onnx__string_string_entry_proto__init(e);
        e->key = (char *)key;
        e->value = value;
    }
    return e;
}

/* Appends the tensor's bytes to the data file at the next aligned offset and
 * points tp at them with location / offset / length. */
static cg_code write_external(onnx_writer *w, const cg_tensor *t, const char *name,
                              Onnx__TensorProto *tp)
{
    if (!w->data && start_data_file(w))
        return w->st->code;
    static const char zeros[EXTERNAL_ALIGN];
    uint64_t pad = (EXTERNAL_ALIGN - w->data_size % EXTERNAL_ALIGN) % EXTERNAL_ALIGN;
    if ((pad && fwrite(zeros, 1, (size_t)pad, w->data) != pad) ||
        fwrite(t->data, 1, t->nbytes, w->data) != t->nbytes)
        return cg_fail(w->st, CG_ERR_IO, "%s: cannot write initializer '%s': %s",
                       w->data_path, name, strerror(errno));
    uint64_t offset = w->data_size + pad;
    w->data_size = offset + t->nbytes;
    Onnx__StringStringEntryProto **kv = w_alloc(w, 3, sizeof *kv);
    if (!kv || !(kv[0] = entry(w, "location", w->data_name)) ||
        !(kv[1] = entry(w, "offset", w_printf(w, "%" PRIu64, offset))) ||
        !(kv[2] = entry(w, "length", w_printf(w, "%zu", t->nbytes))))
        return CG_ERR_NOMEM;
    tp->n_external_data = 3;
    tp->external_data = kv;
    tp->has_data_location = 1;
    tp->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    return CG_OK;
}

static bool goes_external(const onnx_writer *w, const cg_tensor *t)
{
    return w->opt.external_min_bytes >= 0 && t->nbytes > 0 &&
           (uint64_t)t->nbytes >= (uint64_t)w->opt.external_min_bytes;
}

/* A TensorProto whose raw_data points at t->data: cg_tensor keeps ONNX's
 * little-endian, fixed-width layout, so the bytes go out as they came in. */
static Onnx__TensorProto *tensor_proto(onnx_writer *w, const cg_tensor *t, const char *name,
                                       bool may_be_external)
{
    Onnx__TensorProto *tp = w_alloc(w, 1, sizeof *tp);
    int64_t *dims = tp ? w_alloc(w, (size_t)t->rank, sizeof *dims) : NULL;
    if (!dims)
        return NULL;
    onnx__tensor_proto__init(tp);
    memcpy(dims, t->dims, (size_t)t->rank * sizeof *dims);
    tp->n_dims = (size_t)t->rank;
    tp->dims = dims;
    tp->has_data_type = 1;
    tp->data_type = (int32_t)t->dtype; /* cg_dtype uses TensorProto.DataType numbers */
    tp->name = optional_string(name);
    if (may_be_external && goes_external(w, t))
        return write_external(w, t, name, tp) ? NULL : tp;
    tp->has_raw_data = 1;
    tp->raw_data.len = t->nbytes;
    tp->raw_data.data = t->data;
    return tp;
}

static cg_code write_initializers(onnx_writer *w, Onnx__GraphProto *gp)
{
    const cg_graph *g = w->g;
    size_t count = 0;
    for (int i = 0; i < g->n_values; i++)
        count += g->values[i].is_initializer;
    if (!(gp->initializer = w_alloc(w, count, sizeof *gp->initializer)))
        return CG_ERR_NOMEM;
    for (int i = 0; i < g->n_values; i++) {
        const cg_value *v = &g->values[i];
        if (!v->is_initializer)
            continue;
        if (!v->data)
            return cg_fail(w->st, CG_ERR_UNSUPPORTED, "%s: initializer '%s' (%s) cannot be "
                           "written: its contents were not loaded", w->path, v->name,
                           cg_dtype_name(v->dtype));
        Onnx__TensorProto *tp = tensor_proto(w, v->data, v->name, true);
        if (!tp)
            return w->st->code;
        gp->initializer[gp->n_initializer++] = tp;
    }
    return CG_OK;
}

/* ---- declared types ---- */

static Onnx__TensorShapeProto *shape_proto(onnx_writer *w, const cg_shape *s)
{
    Onnx__TensorShapeProto *sp = w_alloc(w, 1, sizeof *sp);
    Onnx__TensorShapeProto__Dimension *dims = sp ? w_alloc(w, (size_t)s->rank, sizeof *dims)
                                                 : NULL;
    Onnx__TensorShapeProto__Dimension **dimp = dims ? w_alloc(w, (size_t)s->rank, sizeof *dimp)
                                                    : NULL;
    if (!dimp)
        return NULL;
    onnx__tensor_shape_proto__init(sp);
    for (int i = 0; i < s->rank; i++) {
        Onnx__TensorShapeProto__Dimension *d = &dims[i];
        onnx__tensor_shape_proto__dimension__init(d);
        if (cg_dim_is_symbolic(s->d[i])) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = (char *)s->d[i].sym;
        } else if (cg_dim_is_known(s->d[i])) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = s->d[i].v;
        } /* unknown: neither field, as ONNX writes a dim nobody named */
        dimp[i] = d;
    }
    sp->n_dim = (size_t)s->rank;
    sp->dim = dimp;
    return sp;
}

/* A tensor TypeProto; dtype UNDEFINED leaves elem_type out, rank < 0 the shape. */
static Onnx__TypeProto *type_proto(onnx_writer *w, cg_dtype dtype, const cg_shape *s)
{
    Onnx__TypeProto *tp = w_alloc(w, 1, sizeof *tp);
    Onnx__TypeProto__Tensor *tt = tp ? w_alloc(w, 1, sizeof *tt) : NULL;
    if (!tt)
        return NULL;
    onnx__type_proto__init(tp);
    onnx__type_proto__tensor__init(tt);
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    tt->has_elem_type = dtype != CG_UNDEFINED;
    tt->elem_type = (int32_t)dtype;
    if (s->rank >= 0 && !(tt->shape = shape_proto(w, s)))
        return NULL;
    return tp;
}

typedef enum type_source {
    TYPE_NONE,     /* name only */
    TYPE_DECLARED, /* what the source file declared */
    TYPE_INFERRED, /* the value's dtype and shape as inference left them */
} type_source;

static Onnx__ValueInfoProto *value_info(onnx_writer *w, const cg_value *v, type_source src)
{
    Onnx__ValueInfoProto *vi = w_alloc(w, 1, sizeof *vi);
    if (!vi)
        return NULL;
    onnx__value_info_proto__init(vi);
    vi->name = v->name;
    vi->doc_string = v->doc_string;
    if (src == TYPE_DECLARED)
        vi->type = type_proto(w, v->declared_dtype, &v->declared_shape);
    else if (src == TYPE_INFERRED)
        vi->type = type_proto(w, v->dtype, &v->shape);
    return src == TYPE_NONE || vi->type ? vi : NULL;
}

/* ONNX requires elem_type in a declared tensor type; a shape alone cannot be said. */
static bool has_inferred_type(const cg_value *v)
{
    return v->dtype != CG_UNDEFINED;
}

/* Declared if the file declared it; else inferred when asked and known. */
static type_source type_for(const onnx_writer *w, const cg_value *v)
{
    if (v->has_declared)
        return TYPE_DECLARED;
    if (w->opt.write_inferred_value_info && has_inferred_type(v))
        return TYPE_INFERRED;
    return TYPE_NONE;
}

/* Graph inputs and outputs must be typed in ONNX: what inference found stands
 * in for a declaration the source (a YAML spec) did not make. */
static type_source io_type(const cg_value *v)
{
    if (v->has_declared)
        return TYPE_DECLARED;
    return has_inferred_type(v) ? TYPE_INFERRED : TYPE_NONE;
}

static cg_code append_value_info(onnx_writer *w, Onnx__ValueInfoProto **list, size_t *n,
                                 const cg_value *v, type_source src)
{
    if (!(list[*n] = value_info(w, v, src)))
        return CG_ERR_NOMEM;
    (*n)++;
    return CG_OK;
}

/* Graph inputs, then initializers the file also listed as inputs (IR < 4
 * requires that; onnx checker: "initializer not in graph input"). */
static int64_t ir_version_for(const cg_graph *g);

static cg_code write_inputs(onnx_writer *w, Onnx__GraphProto *gp)
{
    const cg_graph *g = w->g;
    if (!(gp->input = w_alloc(w, (size_t)g->n_inputs + (size_t)g->n_values, sizeof *gp->input)))
        return CG_ERR_NOMEM;
    cg_code rc = CG_OK;
    for (int i = 0; !rc && i < g->n_inputs; i++) {
        const cg_value *v = &g->values[g->inputs[i]];
        rc = append_value_info(w, gp->input, &gp->n_input, v, io_type(v));
    }
    for (int i = 0; !rc && i < g->n_values; i++) {
        const cg_value *v = &g->values[i];
        /* IR < 4: every initializer must also be a graph input (onnx checker) */
        if (v->is_initializer && (v->listed_as_input || ir_version_for(g) < 4))
            rc = append_value_info(w, gp->input, &gp->n_input, v, io_type(v));
    }
    return rc;
}

static cg_code write_outputs(onnx_writer *w, Onnx__GraphProto *gp)
{
    const cg_graph *g = w->g;
    if (!(gp->output = w_alloc(w, (size_t)g->n_outputs, sizeof *gp->output)))
        return CG_ERR_NOMEM;
    cg_code rc = CG_OK;
    for (int i = 0; !rc && i < g->n_outputs; i++) {
        const cg_value *v = &g->values[g->outputs[i]];
        rc = append_value_info(w, gp->output, &gp->n_output, v, io_type(v));
    }
    return rc;
}

/* Every other value with a type to declare: value_info of the source file, and
 * with write_inferred_value_info what inference found. */
static cg_code write_value_infos(onnx_writer *w, Onnx__GraphProto *gp)
{
    const cg_graph *g = w->g;
    if (!(gp->value_info = w_alloc(w, (size_t)g->n_values, sizeof *gp->value_info)))
        return CG_ERR_NOMEM;
    cg_code rc = CG_OK;
    for (int i = 0; !rc && i < g->n_values; i++) {
        const cg_value *v = &g->values[i];
        if (v->is_input || v->is_output || (v->is_initializer && v->listed_as_input))
            continue;
        /* initializers carry their own type; only a declaration of the file's is kept */
        type_source src = v->is_initializer ? (v->has_declared ? TYPE_DECLARED : TYPE_NONE)
                                            : type_for(w, v);
        if (src != TYPE_NONE)
            rc = append_value_info(w, gp->value_info, &gp->n_value_info, v, src);
    }
    return rc;
}

/* ---- nodes ---- */

static cg_code fill_strings_attr(onnx_writer *w, const cg_attr *a, Onnx__AttributeProto *ap)
{
    ProtobufCBinaryData *s = w_alloc(w, (size_t)a->n, sizeof *s);
    if (!s)
        return CG_ERR_NOMEM;
    for (int i = 0; i < a->n; i++) {
        s[i].data = (uint8_t *)a->strings[i];
        s[i].len = a->string_lens ? a->string_lens[i] : strlen(a->strings[i]);
    }
    ap->n_strings = (size_t)a->n;
    ap->strings = s;
    return CG_OK;
}

static cg_code fill_attr_value(onnx_writer *w, const cg_node *n, const cg_attr *a,
                               Onnx__AttributeProto *ap)
{
    switch (a->type) {
    case CG_ATTR_FLOAT: ap->has_f = 1; ap->f = a->f; return CG_OK;
    case CG_ATTR_INT: ap->has_i = 1; ap->i = a->i; return CG_OK;
    case CG_ATTR_STRING:
        ap->has_s = 1;
        ap->s.len = a->s_len;
        ap->s.data = (uint8_t *)a->s;
        return CG_OK;
    case CG_ATTR_TENSOR:
        if (!a->t)
            return cg_fail_node(w->st, CG_ERR_INVALID, w->g, n, "attribute '%s' has no tensor",
                                a->name);
        ap->t = tensor_proto(w, a->t, NULL, false);
        return ap->t ? CG_OK : w->st->code;
    case CG_ATTR_FLOATS: ap->n_floats = (size_t)a->n; ap->floats = a->floats; return CG_OK;
    case CG_ATTR_INTS: ap->n_ints = (size_t)a->n; ap->ints = a->ints; return CG_OK;
    case CG_ATTR_STRINGS: return fill_strings_attr(w, a, ap);
    case CG_ATTR_GRAPH:
        return cg_fail_node(w->st, CG_ERR_UNSUPPORTED, w->g, n, "attribute '%s' is a graph; "
                            "subgraphs are not kept in the IR, so the model cannot be written",
                            a->name);
    default:
        return cg_fail_node(w->st, CG_ERR_UNSUPPORTED, w->g, n, "attribute '%s' has a type the "
                            "IR does not keep (tensors, sparse tensors or types), so the model "
                            "cannot be written", a->name);
    }
}

static cg_code write_attrs(onnx_writer *w, const cg_node *n, Onnx__NodeProto *np)
{
    Onnx__AttributeProto *attrs = w_alloc(w, (size_t)n->n_attrs, sizeof *attrs);
    Onnx__AttributeProto **ptrs = attrs ? w_alloc(w, (size_t)n->n_attrs, sizeof *ptrs) : NULL;
    if (!ptrs)
        return CG_ERR_NOMEM;
    for (int i = 0; i < n->n_attrs; i++) {
        const cg_attr *a = &n->attrs[i];
        Onnx__AttributeProto *ap = &attrs[i];
        onnx__attribute_proto__init(ap);
        ap->name = a->name;
        ap->has_type = 1;
        ap->type = (Onnx__AttributeProto__AttributeType)a->type; /* same numbering */
        cg_code rc = fill_attr_value(w, n, a, ap);
        if (rc)
            return rc;
        ptrs[i] = ap;
    }
    np->n_attribute = (size_t)n->n_attrs;
    np->attribute = ptrs;
    return CG_OK;
}

/* Value names for a node's inputs or outputs; "" for an omitted optional one. */
static char **value_names(onnx_writer *w, const int *values, int count)
{
    char **names = w_alloc(w, (size_t)count, sizeof *names);
    for (int i = 0; names && i < count; i++)
        names[i] = values[i] >= 0 ? w->g->values[values[i]].name : "";
    return names;
}

/* The IR keeps nodes sorted (readers call cg_graph_toposort); a graph edited
 * since is checked here, since ONNX requires the order. `defined` marks values
 * available so far. */
static cg_code check_inputs_defined(onnx_writer *w, const cg_node *n, const bool *defined)
{
    for (int i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] >= 0 && !defined[n->inputs[i]])
            return cg_fail_node(w->st, CG_ERR_INVALID, w->g, n, "input '%s' is not produced "
                                "by an earlier node, a graph input or an initializer (the "
                                "nodes are not in topological order)",
                                w->g->values[n->inputs[i]].name);
    return CG_OK;
}

static Onnx__NodeProto *node_proto(onnx_writer *w, const cg_node *n)
{
    Onnx__NodeProto *np = w_alloc(w, 1, sizeof *np);
    if (!np)
        return NULL;
    onnx__node_proto__init(np);
    np->name = optional_string(n->name);
    np->op_type = n->op_type;
    np->domain = optional_string(n->domain);
    np->doc_string = n->doc_string;
    np->n_input = (size_t)n->n_inputs;
    np->n_output = (size_t)n->n_outputs;
    if (!(np->input = value_names(w, n->inputs, n->n_inputs)) ||
        !(np->output = value_names(w, n->outputs, n->n_outputs)) || write_attrs(w, n, np))
        return NULL;
    return np;
}

static cg_code write_nodes(onnx_writer *w, Onnx__GraphProto *gp)
{
    const cg_graph *g = w->g;
    bool *defined = w_alloc(w, (size_t)g->n_values, sizeof *defined);
    if (!defined || !(gp->node = w_alloc(w, (size_t)g->n_nodes, sizeof *gp->node)))
        return CG_ERR_NOMEM;
    for (int i = 0; i < g->n_values; i++)
        defined[i] = g->values[i].is_input || g->values[i].is_initializer;
    for (int i = 0; i < g->n_nodes; i++) {
        const cg_node *n = &g->nodes[i];
        cg_code rc = check_inputs_defined(w, n, defined);
        if (rc)
            return rc;
        if (!(gp->node[i] = node_proto(w, n)))
            return w->st->code;
        for (int k = 0; k < n->n_outputs; k++)
            if (n->outputs[k] >= 0)
                defined[n->outputs[k]] = true;
    }
    gp->n_node = (size_t)g->n_nodes;
    return CG_OK;
}

/* ---- model ---- */

static Onnx__GraphProto *graph_proto(onnx_writer *w)
{
    Onnx__GraphProto *gp = w_alloc(w, 1, sizeof *gp);
    if (!gp)
        return NULL;
    onnx__graph_proto__init(gp);
    gp->name = w->g->name;
    gp->doc_string = w->g->info.graph_doc_string;
    if (write_nodes(w, gp) || write_initializers(w, gp) || write_inputs(w, gp) ||
        write_outputs(w, gp) || write_value_infos(w, gp))
        return NULL;
    return gp;
}

static cg_code write_opsets(onnx_writer *w, Onnx__ModelProto *m)
{
    const cg_graph *g = w->g;
    Onnx__OperatorSetIdProto *ops = w_alloc(w, (size_t)g->n_opsets, sizeof *ops);
    m->opset_import = ops ? w_alloc(w, (size_t)g->n_opsets, sizeof *m->opset_import) : NULL;
    if (!m->opset_import)
        return CG_ERR_NOMEM;
    for (int i = 0; i < g->n_opsets; i++) {
        onnx__operator_set_id_proto__init(&ops[i]);
        ops[i].domain = g->opsets[i].domain;
        ops[i].has_version = 1;
        ops[i].version = g->opsets[i].version;
        m->opset_import[i] = &ops[i];
    }
    m->n_opset_import = (size_t)g->n_opsets;
    return CG_OK;
}

static cg_code write_metadata(onnx_writer *w, Onnx__ModelProto *m)
{
    const cg_model_info *info = &w->g->info;
    if (!(m->metadata_props = w_alloc(w, (size_t)info->n_props, sizeof *m->metadata_props)))
        return CG_ERR_NOMEM;
    for (int i = 0; i < info->n_props; i++)
        if (!(m->metadata_props[i] = entry(w, info->props[i].key, info->props[i].value)))
            return CG_ERR_NOMEM;
    m->n_metadata_props = (size_t)info->n_props;
    return CG_OK;
}

/* Graphs not read from ONNX (the YAML spec) have no IR version: the lowest one
 * released with the graph's default-domain opset (onnx/helper.py VERSION_TABLE),
 * at least 4 so that initializers need not be listed as graph inputs. */
static int64_t ir_version_for(const cg_graph *g)
{
    static const struct { int64_t first_opset, ir; } table[] = {
        {21, 10}, {19, 9}, {15, 8}, {12, 7}, {11, 6}, {10, 5},
    };
    if (g->ir_version > 0)
        return g->ir_version;
    int64_t opset = cg_graph_opset(g, "");
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (opset >= table[i].first_opset)
            return table[i].ir;
    return 4;
}

static cg_code model_proto(onnx_writer *w, Onnx__ModelProto *m)
{
    const cg_graph *g = w->g;
    onnx__model_proto__init(m);
    m->has_ir_version = 1;
    m->ir_version = ir_version_for(g);
    m->producer_name = g->info.producer_name;
    m->producer_version = g->info.producer_version;
    m->domain = g->info.domain;
    m->has_model_version = g->info.has_model_version;
    m->model_version = g->info.model_version;
    m->doc_string = g->info.doc_string;
    if (write_opsets(w, m) || write_metadata(w, m) || !(m->graph = graph_proto(w)))
        return w->st->code;
    return CG_OK;
}

/* ---- files ---- */

static char *concat(const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *s = malloc(la + lb + lc + 1);
    if (s) {
        memcpy(s, a, la);
        memcpy(s + la, b, lb);
        memcpy(s + la + lb, c, lc + 1);
    }
    return s;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The data file sits in the model's folder; a location with a folder part or
 * ".." could point elsewhere, which readers refuse (ours and onnx's checker). */
static cg_code plan_data_file(onnx_writer *w)
{
    const char *name = w->opt.external_file;
    if (name && (!name[0] || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")))
        return cg_fail(w->st, CG_ERR_INVALID, "%s: external data file '%s' must be a plain "
                       "file name (it is written next to the model)", w->path, name);
    char *dir = cg_path_dirname(w->path);
    w->data_name = name ? concat(name, "", "") : concat(base_name(w->path), ".data", "");
    w->data_path = dir && w->data_name ? concat(dir, "/", w->data_name) : NULL;
    w->data_tmp = w->data_path ? concat(w->data_path, ".tmp", "") : NULL;
    free(dir);
    if (!w->data_tmp)
        return cg_fail(w->st, CG_ERR_NOMEM, "%s: out of memory", w->path);
    if (!strcmp(w->data_path, w->path) || !strcmp(w->data_name, base_name(w->path)))
        return cg_fail(w->st, CG_ERR_INVALID, "%s: external data file would overwrite the "
                       "model itself", w->path);
    return CG_OK;
}

static cg_code write_temp(const char *tmp, const char *path, const void *buf, size_t len,
                          cg_status *st)
{
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return cg_fail(st, CG_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    bool ok = (len == 0 || fwrite(buf, 1, len, f) == len);
    ok = (fclose(f) == 0) && ok;
    if (!ok) {
        remove(tmp);
        return cg_fail(st, CG_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    }
    return CG_OK;
}

/* Both files are complete as temp files before either is renamed into place;
 * the data file goes first so the new model never points at missing bytes. */
static cg_code commit_files(onnx_writer *w, const char *model_tmp)
{
    if (w->data) {
        bool ok = fclose(w->data) == 0;
        w->data = NULL;
        if (!ok || rename(w->data_tmp, w->data_path) != 0) {
            cg_code rc = cg_fail(w->st, CG_ERR_IO, "%s: cannot write: %s", w->data_path,
                                 strerror(errno));
            remove(w->data_tmp);
            return rc;
        }
    }
    if (rename(model_tmp, w->path) != 0)
        return cg_fail(w->st, CG_ERR_IO, "%s: cannot write: %s", w->path, strerror(errno));
    return CG_OK;
}

static cg_code pack_and_commit(onnx_writer *w, const Onnx__ModelProto *m)
{
    size_t len = protobuf_c_message_get_packed_size(&m->base);
    if (len > INT32_MAX)
        return cg_fail(w->st, CG_ERR_UNSUPPORTED, "%s: the model needs %zu bytes, above "
                       "protobuf's 2 GiB limit; save large initializers as external data",
                       w->path, len);
    uint8_t *buf = malloc(len ? len : 1);
    char *tmp = concat(w->path, ".tmp", "");
    cg_code rc = CG_OK;
    if (!buf || !tmp) {
        rc = cg_fail(w->st, CG_ERR_NOMEM, "%s: out of memory", w->path);
    } else {
        protobuf_c_message_pack(&m->base, buf);
        rc = write_temp(tmp, w->path, buf, len, w->st);
        if (!rc && (rc = commit_files(w, tmp)))
            remove(tmp);
    }
    free(buf);
    free(tmp);
    return rc;
}

static void writer_free(onnx_writer *w)
{
    if (w->data) {
        fclose(w->data);
        remove(w->data_tmp);
    }
    arena_free(w);
    free(w->data_name);
    free(w->data_path);
    free(w->data_tmp);
}

cg_code cg_onnx_save(const cg_graph *g, const char *path, const cg_onnx_save_options *opt,
                     cg_status *st)
{
    cg_status local;
    onnx_writer w = {.g = g, .path = path, .st = st ? st : &local};
    w.opt.external_min_bytes = -1;
    if (opt)
        w.opt = *opt;
    Onnx__ModelProto m;
    if (g->info.n_functions > 0)
        return cg_fail(w.st, CG_ERR_UNSUPPORTED, "%s: the model defines %d local function(s), "
                       "which the IR does not keep, so it cannot be written", g->source,
                       g->info.n_functions);
    cg_code rc = w.opt.external_min_bytes >= 0 ? plan_data_file(&w) : CG_OK;
    if (!rc)
        rc = model_proto(&w, &m);
    if (!rc)
        rc = pack_and_commit(&w, &m);
    writer_free(&w);
    return rc;
}
