/* ONNX ModelProto -> IR: opsets, initializers, declared types of inputs, outputs and
 * value_info, nodes with their attributes; then a topological sort. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convgraph/format.h"
#include "format/onnx_internal.h"

typedef struct onnx_reader {
    cg_graph *g;
    const char *source;
    const char *base_dir;
    cg_status *st;
    /* The initializers' raw_data, cut out before unpacking (one per initializer);
     * NULL when protobuf-c unpacked the file as it was. */
    const cg_onnx_payload *payloads;
    cg_onnx_weights *weights; /* where those bytes go */
} onnx_reader;

/* ---- nesting guard: walks the wire format with the message descriptors ---- */

static bool nesting_within(const ProtobufCMessageDescriptor *desc, const uint8_t *p,
                           const uint8_t *end, int depth)
{
    if (depth > CG_ONNX_MAX_NESTING)
        return false;
    while (p < end) {
        cg_onnx_field field;
        if (!cg_onnx_next_field(&p, end, &field))
            return true; /* malformed: protobuf-c rejects it itself */
        const ProtobufCFieldDescriptor *f =
            field.wire_type == CG_WIRE_LEN ? protobuf_c_message_descriptor_get_field(desc, (unsigned)field.number)
                                           : NULL;
        if (f && f->type == PROTOBUF_C_TYPE_MESSAGE &&
            !nesting_within(f->descriptor, field.body, field.end, depth + 1))
            return false;
    }
    return true;
}

bool cg_onnx_nesting_ok(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len)
{
    return nesting_within(desc, buf, buf + len, 0);
}

/* ---- opsets ---- */

static cg_code read_opsets(onnx_reader *r, const Onnx__ModelProto *m)
{
    if (m->n_opset_import == 0) {
        /* onnx/checker.cc check_model: below IR version 3 no opset_import means
         * the default domain at version 1; from IR version 3 on it is required */
        if (m->ir_version < 3)
            return cg_graph_add_opset(r->g, "", 1, r->st);
        return cg_fail(r->st, CG_ERR_FORMAT, "%s: model has no opset_import "
                       "(required since IR version 3)", r->source);
    }
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = m->opset_import[i];
        const char *domain = o->domain ? o->domain : "";
        if (!o->has_version || o->version < 1)
            return cg_fail(r->st, CG_ERR_FORMAT, "%s: opset_import for domain '%s' has no "
                           "valid version", r->source, domain);
        cg_code rc = cg_graph_add_opset(r->g, domain, o->version, r->st);
        if (rc)
            return rc;
    }
    return CG_OK;
}

/* ---- initializers ---- */

/* STRING initializers keep their dtype and shape; their contents are not loaded. */
static cg_code read_string_initializer(onnx_reader *r, const Onnx__TensorProto *t,
                                       const char *what, cg_value *v)
{
    cg_onnx_dims d;
    cg_code rc = cg_onnx_tensor_dims(t, r->source, what, &d, r->st);
    if (!rc) {
        v->dtype = d.dtype;
        v->shape = cg_shape_of(d.rank, d.dims);
    }
    return rc;
}

static cg_code read_initializer(onnx_reader *r, Onnx__TensorProto *t, size_t index)
{
    if (!t->name || !t->name[0])
        return cg_fail(r->st, CG_ERR_FORMAT, "%s: initializer #%zu has no name", r->source,
                       index);
    char what[300];
    snprintf(what, sizeof what, "initializer '%s'", t->name);
    int vi = cg_graph_intern(r->g, t->name, r->st);
    if (vi < 0)
        return r->st ? r->st->code : CG_ERR_NOMEM;
    cg_value *v = &r->g->values[vi];
    if (v->is_initializer)
        return cg_fail(r->st, CG_ERR_FORMAT, "%s: %s appears twice", r->source, what);
    v->is_initializer = true;
    if (t->has_data_type && t->data_type == CG_STRING)
        return read_string_initializer(r, t, what, v);
    cg_onnx_raw raw = {r->payloads ? &r->payloads[index] : NULL, r->weights};
    cg_tensor *data = cg_onnx_tensor_decode(t, raw.payload && raw.payload->present ? &raw : NULL,
                                            r->source, r->base_dir, what, r->st);
    if (!data)
        return r->st ? r->st->code : CG_ERR_FORMAT;
    v->data = data;
    v->dtype = data->dtype;
    v->shape = cg_tensor_shape(data);
    return CG_OK;
}

static cg_code read_initializers(onnx_reader *r, const Onnx__GraphProto *gp)
{
    if (gp->n_sparse_initializer) {
        const Onnx__SparseTensorProto *sp = gp->sparse_initializer[0];
        const char *name = sp->values && sp->values->name ? sp->values->name : "";
        return cg_fail(r->st, CG_ERR_UNSUPPORTED,
                       "%s: sparse initializer '%s' is not supported", r->source, name);
    }
    if (r->payloads &&
        !cg_onnx_weights_reserve(r->weights, gp->initializer, r->payloads, gp->n_initializer))
        return cg_fail(r->st, CG_ERR_NOMEM, "%s: out of memory for the initializers", r->source);
    for (size_t i = 0; i < gp->n_initializer; i++) {
        cg_code rc = read_initializer(r, gp->initializer[i], i);
        if (rc)
            return rc;
    }
    return CG_OK;
}

/* ---- declared types (graph inputs, outputs, value_info) ---- */

typedef struct declared_type {
    bool present; /* false: no tensor type given */
    cg_dtype dtype;
    cg_shape shape;
} declared_type;

static cg_code read_dim(onnx_reader *r, const Onnx__TensorShapeProto__Dimension *d,
                        const char *role, const char *name, size_t axis, cg_dim *out)
{
    *out = cg_dim_unknown();
    if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
        if (d->dim_value < 0)
            return cg_fail(r->st, CG_ERR_FORMAT, "%s: %s '%s' has negative dim %" PRId64
                           " at axis %zu", r->source, role, name, d->dim_value, axis);
        *out = cg_dim_known(d->dim_value);
    } else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
               d->dim_param && d->dim_param[0]) {
        const char *sym = cg_strpool_add(r->g->pool, d->dim_param, strlen(d->dim_param));
        if (!sym)
            return cg_fail(r->st, CG_ERR_NOMEM, "%s: out of memory", r->source);
        *out = cg_dim_symbol(sym);
    }
    return CG_OK;
}

static cg_code read_shape(onnx_reader *r, const Onnx__TensorShapeProto *sp, const char *role,
                          const char *name, cg_shape *out)
{
    *out = cg_shape_unknown();
    if (!sp)
        return CG_OK; /* a tensor type without shape: rank unknown */
    if (sp->n_dim > CG_MAX_RANK)
        return cg_fail(r->st, CG_ERR_UNSUPPORTED, "%s: %s '%s' has rank %zu, above the "
                       "maximum of %d", r->source, role, name, sp->n_dim, CG_MAX_RANK);
    out->rank = (int)sp->n_dim;
    for (size_t i = 0; i < sp->n_dim; i++) {
        cg_code rc = read_dim(r, sp->dim[i], role, name, i, &out->d[i]);
        if (rc)
            return rc;
    }
    return CG_OK;
}

static const char *type_kind(Onnx__TypeProto__ValueCase c)
{
    switch (c) {
    case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE: return "sequence";
    case ONNX__TYPE_PROTO__VALUE_MAP_TYPE: return "map";
    case ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE: return "optional";
    case ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE: return "sparse tensor";
    default: return "value without type";
    }
}

/* Graph inputs and outputs must be tensors (strict); value_info entries of other
 * kinds are skipped, they only annotate. */
static cg_code read_declared(onnx_reader *r, const Onnx__ValueInfoProto *vi, const char *role,
                             bool strict, declared_type *out)
{
    out->present = false;
    const Onnx__TypeProto *tp = vi->type;
    if (!tp)
        return CG_OK;
    if (tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return strict && tp->value_case != ONNX__TYPE_PROTO__VALUE__NOT_SET
                   ? cg_fail(r->st, CG_ERR_UNSUPPORTED, "%s: %s '%s' is of type %s; only tensors "
                             "are supported", r->source, role, vi->name,
                             type_kind(tp->value_case))
                   : CG_OK;
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    out->dtype = CG_UNDEFINED;
    if (tt->has_elem_type && tt->elem_type != CG_UNDEFINED &&
        !cg_onnx_dtype(tt->elem_type, &out->dtype))
        return cg_fail(r->st, CG_ERR_UNSUPPORTED, "%s: %s '%s' has unsupported elem_type %"
                       PRId32, r->source, role, vi->name, tt->elem_type);
    out->present = true;
    return read_shape(r, tt->shape, role, vi->name, &out->shape);
}

/* Interns a graph input / output / value_info and reads its declared type. */
static cg_code read_value_info(onnx_reader *r, const Onnx__ValueInfoProto *vi, const char *role,
                               bool strict, int *index, declared_type *dt)
{
    if (!vi->name || !vi->name[0])
        return cg_fail(r->st, CG_ERR_FORMAT, "%s: a graph %s has no name", r->source, role);
    cg_code rc = read_declared(r, vi, role, strict, dt);
    if (rc)
        return rc;
    *index = cg_graph_intern(r->g, vi->name, r->st);
    if (*index < 0)
        return r->st ? r->st->code : CG_ERR_NOMEM;
    cg_value *v = &r->g->values[*index];
    if (dt->present && !v->has_declared) {
        v->has_declared = true;
        v->declared_dtype = dt->dtype;
        v->declared_shape = dt->shape;
    }
    if (vi->doc_string && !v->doc_string && !(v->doc_string = strdup(vi->doc_string)))
        return cg_fail(r->st, CG_ERR_NOMEM, "%s: out of memory", r->source);
    return CG_OK;
}

static cg_code read_input(onnx_reader *r, const Onnx__ValueInfoProto *vi)
{
    int index;
    declared_type dt;
    cg_code rc = read_value_info(r, vi, "input", true, &index, &dt);
    if (rc)
        return rc;
    cg_value *v = &r->g->values[index];
    if (v->is_input)
        return cg_fail(r->st, CG_ERR_FORMAT, "%s: input '%s' is listed twice", r->source,
                       vi->name);
    if (v->is_initializer) {
        v->listed_as_input = true; /* older exporters list initializers as inputs too */
        return CG_OK;
    }
    if (dt.present) {
        v->dtype = dt.dtype;
        v->shape = dt.shape;
    }
    return cg_graph_add_input(r->g, index, r->st);
}

static cg_code read_declarations(onnx_reader *r, const Onnx__GraphProto *gp)
{
    cg_code rc = CG_OK;
    for (size_t i = 0; !rc && i < gp->n_input; i++)
        rc = read_input(r, gp->input[i]);
    for (size_t i = 0; !rc && i < gp->n_output; i++) {
        int index;
        declared_type dt;
        rc = read_value_info(r, gp->output[i], "output", true, &index, &dt);
        if (!rc)
            rc = cg_graph_add_output(r->g, index, r->st);
    }
    for (size_t i = 0; !rc && i < gp->n_value_info; i++) {
        int index;
        declared_type dt;
        rc = read_value_info(r, gp->value_info[i], "value_info", false, &index, &dt);
    }
    return rc;
}

/* ---- node attributes ---- */

/* IR version 1 attributes carry no type; it follows from the field that is set. */
static Onnx__AttributeProto__AttributeType attr_proto_type(const Onnx__AttributeProto *a)
{
    if (a->has_type)
        return a->type;
    if (a->has_f)
        return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    if (a->has_i)
        return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    if (a->has_s)
        return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    if (a->t)
        return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    if (a->g)
        return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
    if (a->n_floats)
        return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
    if (a->n_ints)
        return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    if (a->n_strings)
        return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
    return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
}

/* Copies len bytes and adds a NUL: ONNX strings are bytes with a length. */
static char *copy_bytes(const ProtobufCBinaryData *b)
{
    char *s = malloc(b->len + 1);
    if (s) {
        if (b->len)
            memcpy(s, b->data, b->len);
        s[b->len] = '\0';
    }
    return s;
}

static bool copy_array(void **dst, const void *src, size_t n, size_t esize)
{
    *dst = NULL;
    if (n == 0)
        return true;
    if (!(*dst = malloc(n * esize)))
        return false;
    memcpy(*dst, src, n * esize);
    return true;
}

static bool copy_strings(cg_attr *a, const Onnx__AttributeProto *ap)
{
    if (ap->n_strings == 0)
        return true;
    if (!(a->strings = calloc(ap->n_strings, sizeof *a->strings)) ||
        !(a->string_lens = calloc(ap->n_strings, sizeof *a->string_lens)))
        return false;
    a->n = (int)ap->n_strings; /* set first so cg_attr_clear frees what was copied */
    for (size_t i = 0; i < ap->n_strings; i++) {
        if (!(a->strings[i] = copy_bytes(&ap->strings[i])))
            return false;
        a->string_lens[i] = ap->strings[i].len;
    }
    return true;
}

static cg_code read_tensor_attr(onnx_reader *r, cg_node *n, cg_attr *a,
                                const Onnx__AttributeProto *ap)
{
    if (!ap->t)
        return cg_fail_node(r->st, CG_ERR_FORMAT, r->g, n, "attribute '%s' has no tensor",
                            ap->name);
    char what[400], label[200];
    snprintf(what, sizeof what, "node %s (%s): attribute '%s'",
             cg_node_label(r->g, n, label, sizeof label), n->op_type, ap->name);
    a->t = cg_onnx_tensor_decode(ap->t, NULL, r->source, r->base_dir, what, r->st);
    return a->t ? CG_OK : (r->st ? r->st->code : CG_ERR_FORMAT);
}

/* Fills a from ap; false only when memory runs out. */
static bool copy_attr_value(cg_attr *a, const Onnx__AttributeProto *ap,
                            Onnx__AttributeProto__AttributeType type)
{
    switch (type) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: a->f = ap->f; return true;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: a->i = ap->i; return true;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
        a->s_len = ap->s.len;
        return (a->s = copy_bytes(&ap->s)) != NULL;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
        a->n = (int)ap->n_floats;
        return copy_array((void **)&a->floats, ap->floats, ap->n_floats, sizeof(float));
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
        a->n = (int)ap->n_ints;
        return copy_array((void **)&a->ints, ap->ints, ap->n_ints, sizeof(int64_t));
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: return copy_strings(a, ap);
    default: return true; /* graphs and the rest: name and type only */
    }
}

static cg_attr_type cg_type_of(Onnx__AttributeProto__AttributeType type)
{
    if (type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS)
        return CG_ATTR_GRAPH;
    /* ONNX numbers 1..8 match cg_attr_type; tensors lists, sparse tensors and
     * type protos have no IR form and stay UNDEFINED (present by name only) */
    if (type >= ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT &&
        type <= ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS)
        return (cg_attr_type)type;
    return CG_ATTR_UNDEFINED;
}

static cg_code read_attr(onnx_reader *r, cg_node *n, const Onnx__AttributeProto *ap, size_t index)
{
    if (!ap->name || !ap->name[0])
        return cg_fail_node(r->st, CG_ERR_FORMAT, r->g, n, "attribute #%zu has no name", index);
    if (ap->n_floats > INT_MAX || ap->n_ints > INT_MAX || ap->n_strings > INT_MAX)
        return cg_fail_node(r->st, CG_ERR_UNSUPPORTED, r->g, n, "attribute '%s' has too many "
                            "values", ap->name);
    cg_attr *a = cg_node_add_attr(n, ap->name, r->st);
    if (!a)
        return cg_fail_node(r->st, CG_ERR_NOMEM, r->g, n, "out of memory");
    Onnx__AttributeProto__AttributeType type = attr_proto_type(ap);
    a->type = cg_type_of(type);
    if (type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR)
        return read_tensor_attr(r, n, a, ap);
    if (!copy_attr_value(a, ap, type))
        return cg_fail_node(r->st, CG_ERR_NOMEM, r->g, n, "out of memory copying attribute "
                            "'%s'", ap->name);
    return CG_OK;
}

/* ---- nodes ---- */

static cg_code read_node(onnx_reader *r, const Onnx__NodeProto *np, size_t index)
{
    if (!np->op_type || !np->op_type[0])
        return cg_fail(r->st, CG_ERR_FORMAT, "%s: node #%zu has no op_type", r->source, index);
    if (np->n_input > INT_MAX || np->n_output > INT_MAX)
        return cg_fail(r->st, CG_ERR_UNSUPPORTED, "%s: node #%zu has too many inputs or "
                       "outputs", r->source, index);
    cg_node *n = cg_graph_add_node(r->g, np->name, np->op_type, np->domain, r->st);
    if (!n)
        return r->st ? r->st->code : CG_ERR_NOMEM;
    cg_code rc = cg_node_set_inputs(r->g, n, (const char *const *)np->input, (int)np->n_input,
                                    r->st);
    if (!rc)
        rc = cg_node_set_outputs(r->g, n, (const char *const *)np->output, (int)np->n_output,
                                 r->st);
    for (size_t i = 0; !rc && i < np->n_attribute; i++)
        rc = read_attr(r, n, np->attribute[i], i);
    if (!rc && np->doc_string && !(n->doc_string = strdup(np->doc_string)))
        rc = cg_fail(r->st, CG_ERR_NOMEM, "%s: out of memory", r->source);
    return rc;
}

/* ---- model ---- */

/* strdup that keeps NULL (field absent) apart from a failed copy. */
static bool copy_optional(char **dst, const char *src)
{
    *dst = src ? strdup(src) : NULL;
    return !src || *dst;
}

/* Producer, doc strings and metadata: not needed to compute, kept for cg_onnx_save. */
static cg_code read_model_info(onnx_reader *r, const Onnx__ModelProto *m)
{
    cg_model_info *info = &r->g->info;
    info->has_model_version = m->has_model_version;
    info->n_functions = m->n_functions > INT_MAX ? INT_MAX : (int)m->n_functions;
    info->model_version = m->model_version;
    bool ok = copy_optional(&info->producer_name, m->producer_name) &&
              copy_optional(&info->producer_version, m->producer_version) &&
              copy_optional(&info->domain, m->domain) &&
              copy_optional(&info->doc_string, m->doc_string) &&
              copy_optional(&info->graph_doc_string, m->graph->doc_string);
    if (ok && m->n_metadata_props > 0 && m->n_metadata_props <= INT_MAX) {
        ok = (info->props = calloc(m->n_metadata_props, sizeof *info->props)) != NULL;
        for (size_t i = 0; ok && i < m->n_metadata_props; i++) {
            const Onnx__StringStringEntryProto *e = m->metadata_props[i];
            info->n_props++; /* counted first so cg_graph_free frees a partial copy */
            ok = copy_optional(&info->props[i].key, e->key ? e->key : "") &&
                 copy_optional(&info->props[i].value, e->value ? e->value : "");
        }
    }
    return ok ? CG_OK : cg_fail(r->st, CG_ERR_NOMEM, "%s: out of memory", r->source);
}

static cg_code read_graph(onnx_reader *r, const Onnx__ModelProto *m)
{
    const Onnx__GraphProto *gp = m->graph;
    r->g->ir_version = m->has_ir_version ? m->ir_version : 0;
    if (gp->name) {
        char *name = strdup(gp->name);
        if (!name)
            return cg_fail(r->st, CG_ERR_NOMEM, "%s: out of memory", r->source);
        free(r->g->name);
        r->g->name = name;
    }
    cg_code rc = read_opsets(r, m);
    if (!rc)
        rc = read_model_info(r, m);
    if (!rc)
        rc = read_initializers(r, gp);
    if (!rc)
        rc = read_declarations(r, gp);
    for (size_t i = 0; !rc && i < gp->n_node; i++)
        rc = read_node(r, gp->node[i], i);
    if (!rc)
        rc = cg_graph_toposort(r->g, r->st);
    return rc;
}

/* Unpacks buf with the initializers' raw_data cut out (into *stripped), or buf
 * itself where cutting declines: malformed data then gets protobuf-c's verdict
 * and message, as every other file does. */
static Onnx__ModelProto *unpack_model(const uint8_t *buf, size_t len, const char *source,
                                      cg_onnx_stripped *stripped, cg_status *st)
{
    if (len == 0) {
        cg_fail(st, CG_ERR_FORMAT, "%s: empty file, not an ONNX model", source);
        return NULL;
    }
    cg_code cut = cg_onnx_strip_weights(buf, len, stripped);
    if (cut == CG_ERR_NOMEM) {
        cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", source);
        return NULL;
    }
    if (cut == CG_OK) {
        buf = stripped->msg;
        len = stripped->len;
    }
    if (!cg_onnx_nesting_ok(&onnx__model_proto__descriptor, buf, len)) {
        cg_fail(st, CG_ERR_FORMAT, "%s: not a valid ONNX model (messages nested more than %d "
                "deep)", source, CG_ONNX_MAX_NESTING);
        return NULL;
    }
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
    /* one payload per initializer follows from the wire format; checked anyway,
     * as read_initializer indexes the payloads by initializer */
    bool miscounted = m && m->graph && cut == CG_OK &&
                      m->graph->n_initializer != stripped->n_payloads;
    if (!m || miscounted)
        cg_fail(st, CG_ERR_FORMAT, "%s: not a valid ONNX model (protobuf parse failed)", source);
    else if (!m->graph)
        cg_fail(st, CG_ERR_FORMAT, "%s: not a valid ONNX model (no graph)", source);
    if (m && (!m->graph || miscounted)) {
        onnx__model_proto__free_unpacked(m, NULL);
        m = NULL;
    }
    return m;
}

/* Reads the model in buf into a new graph that keeps `weights` (released here
 * on failure) as its backing. */
static cg_graph *load_model(const uint8_t *buf, size_t len, const char *source,
                            const char *base_dir, cg_onnx_weights *weights, cg_status *st)
{
    cg_onnx_stripped stripped = {0};
    Onnx__ModelProto *m = unpack_model(buf, len, source, &stripped, st);
    cg_graph *g = m ? cg_graph_new(source) : NULL;
    if (g) {
        g->backing = weights;
        g->release_backing = cg_onnx_weights_release;
        onnx_reader r = {g, source, base_dir, st, stripped.msg ? stripped.payloads : NULL,
                         weights};
        if (read_graph(&r, m)) {
            cg_graph_free(g);
            g = NULL;
        } else {
            cg_onnx_weights_loaded(weights);
        }
    } else {
        if (m)
            cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", source);
        cg_onnx_weights_release(weights);
    }
    if (m)
        onnx__model_proto__free_unpacked(m, NULL);
    cg_onnx_stripped_free(&stripped);
    return g;
}

cg_graph *cg_onnx_load_buffer(const void *buf, size_t len, const char *source,
                              const char *base_dir, cg_status *st)
{
    source = source ? source : "<memory>";
    cg_onnx_weights *w = cg_onnx_weights_new(NULL, 0, -1); /* buf is the caller's: copy */
    if (!w) {
        cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", source);
        return NULL;
    }
    return load_model(buf, len, source, base_dir, w, st);
}

/* The file is mapped, not read: weights stay in the page cache until something
 * reads them, and aligned ones are never copied at all. */
static cg_graph *load_file(const char *path, bool shapes_only, cg_status *st)
{
    void *map;
    size_t len;
    int fd;
    if (cg_map_file(path, CG_ONNX_MAX_FILE_BYTES, &map, &len, &fd, st))
        return NULL;
    cg_onnx_weights *w = cg_onnx_weights_new(map, len, fd);
    if (w && shapes_only)
        cg_onnx_weights_shapes_only(w);
    char *dir = w ? cg_path_dirname(path) : NULL;
    cg_graph *g = dir ? load_model(map, len, path, dir, w, st) : NULL;
    if (!dir) {
        cg_onnx_weights_release(w);
        cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", path);
    }
    free(dir);
    return g;
}

cg_graph *cg_onnx_load(const char *path, cg_status *st) { return load_file(path, false, st); }

cg_graph *cg_onnx_load_shapes_only(const char *path, cg_status *st) { return load_file(path, true, st); }

/* ---- a TensorProto file on its own ---- */

cg_tensor *cg_onnx_read_tensor(const char *path, cg_status *st)
{
    size_t len;
    void *buf = cg_read_file(path, &len, CG_ONNX_MAX_FILE_BYTES, st);
    if (!buf)
        return NULL;
    Onnx__TensorProto *t = NULL;
    if (!cg_onnx_nesting_ok(&onnx__tensor_proto__descriptor, buf, len) ||
        !(t = onnx__tensor_proto__unpack(NULL, len, buf)))
        cg_fail(st, CG_ERR_FORMAT, "%s: not a valid ONNX TensorProto (protobuf parse failed)",
                path);
    free(buf);
    char *dir = t ? cg_path_dirname(path) : NULL;
    cg_tensor *out = NULL;
    if (dir) {
        char what[300];
        snprintf(what, sizeof what, "tensor '%s'", t->name ? t->name : "");
        out = cg_onnx_tensor_decode(t, NULL, path, dir, what, st);
    } else if (t) {
        cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", path);
    }
    free(dir);
    if (t)
        onnx__tensor_proto__free_unpacked(t, NULL);
    return out;
}
