/* Graph construction, ownership and attribute look-up. */
#include "convgraph/graph.h"
#include "graph/graph_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Open-addressing hash from value name to value index; slots hold index+1. */
struct cg_name_index {
    size_t cap;
    int *slots;
};

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static size_t index_slot(const cg_graph *g, const char *name)
{
    const struct cg_name_index *ix = g->index;
    size_t i = hash_name(name) & (ix->cap - 1);
    while (ix->slots[i] && strcmp(g->values[ix->slots[i] - 1].name, name) != 0)
        i = (i + 1) & (ix->cap - 1);
    return i;
}

static bool index_grow(cg_graph *g)
{
    struct cg_name_index *ix = g->index;
    size_t cap = ix->cap ? ix->cap * 2 : 64;
    int *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    free(ix->slots);
    ix->slots = slots;
    ix->cap = cap;
    for (int v = 0; v < g->n_values; v++)
        ix->slots[index_slot(g, g->values[v].name)] = v + 1;
    return true;
}

void *cg_dup_bytes(const void *src, size_t len)
{
    void *d = malloc(len ? len : 1);
    if (d && len)
        memcpy(d, src, len);
    return d;
}

char *cg_dup_string(const char *s) { return cg_dup_bytes(s, strlen(s) + 1); }

/* Grows *arr (of *cap elements of size esize) to hold need elements. */
static bool grow_array(void **arr, int *cap, int need, size_t esize)
{
    if (need <= *cap)
        return true;
    int ncap = *cap ? *cap * 2 : 16;
    while (ncap < need)
        ncap *= 2;
    void *p = realloc(*arr, (size_t)ncap * esize);
    if (!p)
        return false;
    memset((char *)p + (size_t)*cap * esize, 0, (size_t)(ncap - *cap) * esize);
    *arr = p;
    *cap = ncap;
    return true;
}

cg_graph *cg_graph_new(const char *source)
{
    cg_graph *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->source = cg_dup_string(source ? source : "<memory>");
    g->name = cg_dup_string("");
    g->pool = cg_strpool_new();
    g->index = calloc(1, sizeof *g->index);
    g->file_order_sorted = true;
    if (!g->source || !g->name || !g->pool || !g->index || !index_grow(g)) {
        cg_graph_free(g);
        return NULL;
    }
    return g;
}

void cg_attr_clear(cg_attr *a)
{
    free(a->name);
    free(a->s);
    free(a->floats);
    free(a->ints);
    for (int i = 0; a->strings && i < a->n; i++)
        free(a->strings[i]);
    free(a->strings);
    free(a->string_lens);
    cg_tensor_free(a->t);
    memset(a, 0, sizeof *a);
}

void cg_node_free_fields(cg_node *n)
{
    free(n->name);
    free(n->op_type);
    free(n->domain);
    free(n->inputs);
    free(n->outputs);
    for (int i = 0; i < n->n_attrs; i++)
        cg_attr_clear(&n->attrs[i]);
    free(n->attrs);
    free(n->window);
    free(n->doc_string);
}

static void model_info_clear(cg_model_info *m)
{
    free(m->producer_name);
    free(m->producer_version);
    free(m->domain);
    free(m->doc_string);
    free(m->graph_doc_string);
    for (int i = 0; i < m->n_props; i++) {
        free(m->props[i].key);
        free(m->props[i].value);
    }
    free(m->props);
}

void cg_graph_free(cg_graph *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->n_nodes; i++)
        cg_node_free_fields(&g->nodes[i]);
    for (int i = 0; i < g->n_values; i++) {
        free(g->values[i].name);
        cg_tensor_free(g->values[i].data);
        free(g->values[i].dimvals);
        free(g->values[i].doc_string);
    }
    model_info_clear(&g->info);
    for (int i = 0; i < g->n_opsets; i++)
        free(g->opsets[i].domain);
    free(g->opsets);
    free(g->nodes);
    free(g->values);
    free(g->inputs);
    free(g->outputs);
    if (g->index)
        free(g->index->slots);
    free(g->index);
    cg_strpool_free(g->pool);
    free(g->source);
    free(g->name);
    if (g->release_backing)
        g->release_backing(g->backing);
    free(g);
}

int cg_graph_find(const cg_graph *g, const char *name)
{
    return g->index->slots[index_slot(g, name)] - 1;
}

int cg_graph_intern(cg_graph *g, const char *name, cg_status *st)
{
    int found = cg_graph_find(g, name);
    if (found >= 0)
        return found;
    if ((size_t)(g->n_values + 1) * 2 > g->index->cap && !index_grow(g))
        goto nomem;
    if (!grow_array((void **)&g->values, &g->cap_values, g->n_values + 1, sizeof *g->values))
        goto nomem;
    cg_value *v = &g->values[g->n_values];
    memset(v, 0, sizeof *v);
    if (!(v->name = cg_dup_string(name)))
        goto nomem;
    v->shape = cg_shape_unknown();
    v->declared_shape = cg_shape_unknown();
    v->producer = -1;
    g->index->slots[index_slot(g, name)] = g->n_values + 1;
    return g->n_values++;
nomem:
    cg_fail(st, CG_ERR_NOMEM, "%s: out of memory adding value '%s'", g->source, name);
    return -1;
}

cg_node *cg_graph_add_node(cg_graph *g, const char *name, const char *op_type,
                           const char *domain, cg_status *st)
{
    if (!grow_array((void **)&g->nodes, &g->cap_nodes, g->n_nodes + 1, sizeof *g->nodes))
        goto nomem;
    cg_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->name = cg_dup_string(name ? name : "");
    n->op_type = cg_dup_string(op_type);
    n->domain = cg_dup_string(domain && strcmp(domain, "ai.onnx") != 0 ? domain : "");
    n->macs = -1;
    g->n_nodes++;
    if (!n->name || !n->op_type || !n->domain)
        goto nomem;
    return n;
nomem:
    cg_fail(st, CG_ERR_NOMEM, "%s: out of memory adding node '%s'", g->source, name ? name : "");
    return NULL;
}

static cg_code set_value_list(cg_graph *g, int **list, int *n_list, const char *const *names,
                              int count, cg_status *st)
{
    free(*list);
    *list = NULL;
    *n_list = 0;
    if (count <= 0)
        return CG_OK;
    if (!(*list = malloc((size_t)count * sizeof **list)))
        return cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", g->source);
    for (int i = 0; i < count; i++) {
        (*list)[i] = names[i] && names[i][0] ? cg_graph_intern(g, names[i], st) : -1;
        if (names[i] && names[i][0] && (*list)[i] < 0)
            return CG_ERR_NOMEM;
    }
    *n_list = count;
    return CG_OK;
}

cg_code cg_node_set_inputs(cg_graph *g, cg_node *n, const char *const *names, int count,
                           cg_status *st)
{
    return set_value_list(g, &n->inputs, &n->n_inputs, names, count, st);
}

cg_code cg_node_set_outputs(cg_graph *g, cg_node *n, const char *const *names, int count,
                            cg_status *st)
{
    return set_value_list(g, &n->outputs, &n->n_outputs, names, count, st);
}

cg_attr *cg_node_add_attr(cg_node *n, const char *name, cg_status *st)
{
    cg_attr *attrs = realloc(n->attrs, (size_t)(n->n_attrs + 1) * sizeof *attrs);
    if (!attrs) {
        cg_fail(st, CG_ERR_NOMEM, "out of memory adding attribute '%s'", name);
        return NULL;
    }
    n->attrs = attrs;
    cg_attr *a = &attrs[n->n_attrs];
    memset(a, 0, sizeof *a);
    if (!(a->name = cg_dup_string(name))) {
        cg_fail(st, CG_ERR_NOMEM, "out of memory adding attribute '%s'", name);
        return NULL;
    }
    n->n_attrs++;
    return a;
}

cg_code cg_graph_add_opset(cg_graph *g, const char *domain, int64_t version, cg_status *st)
{
    const char *d = domain && strcmp(domain, "ai.onnx") != 0 ? domain : "";
    for (int i = 0; i < g->n_opsets; i++)
        if (strcmp(g->opsets[i].domain, d) == 0) {
            g->opsets[i].version = version;
            return CG_OK;
        }
    cg_opset *o = realloc(g->opsets, (size_t)(g->n_opsets + 1) * sizeof *o);
    if (!o)
        return cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", g->source);
    g->opsets = o;
    if (!(o[g->n_opsets].domain = cg_dup_string(d)))
        return cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", g->source);
    o[g->n_opsets++].version = version;
    return CG_OK;
}

static cg_code append_index(cg_graph *g, int **list, int *n, int value, cg_status *st)
{
    int *l = realloc(*list, (size_t)(*n + 1) * sizeof *l);
    if (!l)
        return cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", g->source);
    l[(*n)++] = value;
    *list = l;
    return CG_OK;
}

cg_code cg_graph_add_input(cg_graph *g, int value, cg_status *st)
{
    g->values[value].is_input = true;
    return append_index(g, &g->inputs, &g->n_inputs, value, st);
}

cg_code cg_graph_add_output(cg_graph *g, int value, cg_status *st)
{
    g->values[value].is_output = true;
    return append_index(g, &g->outputs, &g->n_outputs, value, st);
}

int64_t cg_graph_opset(const cg_graph *g, const char *domain)
{
    const char *d = domain && strcmp(domain, "ai.onnx") != 0 ? domain : "";
    for (int i = 0; i < g->n_opsets; i++)
        if (strcmp(g->opsets[i].domain, d) == 0)
            return g->opsets[i].version;
    return 0;
}

const char *cg_node_label(const cg_graph *g, const cg_node *n, char *buf, size_t len)
{
    if (n->name[0])
        snprintf(buf, len, "'%s'", n->name);
    else if (n->n_outputs > 0 && n->outputs[0] >= 0)
        snprintf(buf, len, "#%d (output '%s')", (int)(n - g->nodes), g->values[n->outputs[0]].name);
    else
        snprintf(buf, len, "#%d", (int)(n - g->nodes));
    return buf;
}

cg_code cg_fail_node(cg_status *st, cg_code code, const cg_graph *g, const cg_node *n,
                     const char *fmt, ...)
{
    if (!st)
        return code;
    char what[CG_MSG_MAX], label[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return cg_fail(st, code, "%s: node %s (%s): %s", g->source, cg_node_label(g, n, label, sizeof label),
                   n->op_type, what);
}

const cg_attr *cg_node_attr(const cg_node *n, const char *name)
{
    for (int i = 0; i < n->n_attrs; i++)
        if (strcmp(n->attrs[i].name, name) == 0)
            return &n->attrs[i];
    return NULL;
}

int64_t cg_attr_int(const cg_node *n, const char *name, int64_t dflt)
{
    const cg_attr *a = cg_node_attr(n, name);
    return a && a->type == CG_ATTR_INT ? a->i : dflt;
}

float cg_attr_float(const cg_node *n, const char *name, float dflt)
{
    const cg_attr *a = cg_node_attr(n, name);
    if (a && a->type == CG_ATTR_FLOAT)
        return a->f;
    return a && a->type == CG_ATTR_INT ? (float)a->i : dflt;
}

const char *cg_attr_string(const cg_node *n, const char *name, const char *dflt)
{
    const cg_attr *a = cg_node_attr(n, name);
    return a && a->type == CG_ATTR_STRING && a->s ? a->s : dflt;
}

const int64_t *cg_attr_ints(const cg_node *n, const char *name, int *count)
{
    const cg_attr *a = cg_node_attr(n, name);
    *count = a && a->type == CG_ATTR_INTS ? a->n : 0;
    return *count ? a->ints : NULL;
}

const float *cg_attr_floats(const cg_node *n, const char *name, int *count)
{
    const cg_attr *a = cg_node_attr(n, name);
    *count = a && a->type == CG_ATTR_FLOATS ? a->n : 0;
    return *count ? a->floats : NULL;
}

int64_t cg_graph_param_count(const cg_graph *g)
{
    int64_t total = 0;
    for (int i = 0; i < g->n_values; i++)
        if (g->values[i].is_initializer && g->values[i].data)
            total += g->values[i].data->numel;
    return total;
}
