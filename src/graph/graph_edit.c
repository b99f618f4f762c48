/* In-place IR edits for the converter's passes: rewiring uses, removing nodes,
 * turning values into initializers, renaming and compacting values. */
#include "convgraph/graph_edit.h"
#include "graph/graph_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cg_graph_replace_uses(cg_graph *g, int from, int to)
{
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++)
            if (g->nodes[i].inputs[k] == from)
                g->nodes[i].inputs[k] = to;
}

int cg_graph_use_count(const cg_graph *g, int v)
{
    int count = 0;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++)
            count += g->nodes[i].inputs[k] == v;
    return count;
}

static void recompute_producers(cg_graph *g)
{
    for (int v = 0; v < g->n_values; v++)
        g->values[v].producer = -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_outputs; k++)
            if (g->nodes[i].outputs[k] >= 0)
                g->values[g->nodes[i].outputs[k]].producer = i;
}

void cg_graph_remove_nodes(cg_graph *g, const bool *remove)
{
    int kept = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        if (remove[i])
            cg_node_free_fields(&g->nodes[i]);
        else
            g->nodes[kept++] = g->nodes[i];
    }
    g->n_nodes = kept;
    recompute_producers(g);
}

void cg_graph_make_initializer(cg_graph *g, int v, cg_tensor *t)
{
    cg_value *val = &g->values[v];
    cg_tensor_free(val->data);
    free(val->dimvals);
    val->dimvals = NULL;
    val->n_dimvals = 0;
    val->data = t;
    val->is_initializer = true;
    val->producer = -1;
    val->dtype = t->dtype;
    val->shape = cg_tensor_shape(t);
}

int cg_graph_add_initializer(cg_graph *g, const char *base, cg_tensor *t, cg_status *st)
{
    size_t len = strlen(base) + 24;
    char *name = malloc(len);
    if (!name) {
        cg_tensor_free(t);
        cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", g->source);
        return -1;
    }
    snprintf(name, len, "%s", base);
    for (int k = 1; cg_graph_find(g, name) >= 0; k++)
        snprintf(name, len, "%s_%d", base, k);
    int v = cg_graph_intern(g, name, st);
    free(name);
    if (v < 0) {
        cg_tensor_free(t);
        return -1;
    }
    cg_graph_make_initializer(g, v, t);
    return v;
}

/* Values that something refers to; the rest are dropped by compaction. */
static void mark_referenced(const cg_graph *g, bool *keep)
{
    for (int i = 0; i < g->n_inputs; i++)
        keep[g->inputs[i]] = true;
    for (int i = 0; i < g->n_outputs; i++)
        keep[g->outputs[i]] = true;
    for (int i = 0; i < g->n_nodes; i++) {
        const cg_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_inputs; k++)
            if (n->inputs[k] >= 0)
                keep[n->inputs[k]] = true;
        for (int k = 0; k < n->n_outputs; k++)
            if (n->outputs[k] >= 0)
                keep[n->outputs[k]] = true;
    }
}

static void remap_list(int *list, int n, const int *map)
{
    for (int i = 0; i < n; i++)
        if (list[i] >= 0)
            list[i] = map[list[i]];
}

static void remap_everything(cg_graph *g, const int *map)
{
    for (int i = 0; i < g->n_nodes; i++) {
        remap_list(g->nodes[i].inputs, g->nodes[i].n_inputs, map);
        remap_list(g->nodes[i].outputs, g->nodes[i].n_outputs, map);
    }
    remap_list(g->inputs, g->n_inputs, map);
    remap_list(g->outputs, g->n_outputs, map);
    recompute_producers(g);
}

static void value_free_fields(cg_value *v)
{
    free(v->name);
    cg_tensor_free(v->data);
    free(v->dimvals);
    free(v->doc_string);
}

/* Rebuilds the value table keeping the values with keep[v] (in order), value
 * `rename` taking `new_name`. The name index is private to graph.c, so a fresh
 * graph interns the kept names (building a correct index for the new
 * numbering) and then hands its index and value array over to g. */
static cg_code rebuild_values(cg_graph *g, const bool *keep, int rename, const char *new_name,
                              cg_status *st)
{
    cg_graph *fresh = cg_graph_new(g->source);
    int *map = malloc((size_t)(g->n_values ? g->n_values : 1) * sizeof *map);
    cg_code rc = fresh && map ? CG_OK : cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", g->source);
    for (int v = 0; rc == CG_OK && v < g->n_values; v++) {
        map[v] = -1;
        if (keep[v] && (map[v] = cg_graph_intern(fresh, v == rename ? new_name : g->values[v].name,
                                                 st)) < 0)
            rc = CG_ERR_NOMEM;
    }
    if (rc != CG_OK) {
        cg_graph_free(fresh);
        free(map);
        return rc;
    }
    for (int v = 0; v < g->n_values; v++) {
        if (map[v] < 0) {
            value_free_fields(&g->values[v]);
            continue;
        }
        cg_value *dst = &fresh->values[map[v]];
        char *name = dst->name;
        free(g->values[v].name);
        *dst = g->values[v];
        dst->name = name;
    }
    /* Swap value tables and indexes; `fresh` then frees g's old (emptied) ones. */
    cg_value *old_values = g->values;
    int old_cap = g->cap_values;
    struct cg_name_index *old_index = g->index;
    g->values = fresh->values;
    g->cap_values = fresh->cap_values;
    g->n_values = fresh->n_values;
    g->index = fresh->index;
    fresh->values = old_values;
    fresh->cap_values = old_cap;
    fresh->n_values = 0;
    fresh->index = old_index;
    cg_graph_free(fresh);
    remap_everything(g, map);
    free(map);
    return CG_OK;
}

cg_code cg_graph_rename_value(cg_graph *g, int v, const char *name, cg_status *st)
{
    if (strcmp(g->values[v].name, name) == 0)
        return CG_OK;
    if (cg_graph_find(g, name) >= 0)
        return cg_fail(st, CG_ERR_INVALID, "%s: cannot rename '%s' to '%s': the name is taken",
                       g->source, g->values[v].name, name);
    bool *keep = malloc((size_t)g->n_values * sizeof *keep);
    if (!keep)
        return cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", g->source);
    for (int i = 0; i < g->n_values; i++)
        keep[i] = true;
    cg_code rc = rebuild_values(g, keep, v, name, st);
    free(keep);
    return rc;
}

cg_code cg_graph_compact_values(cg_graph *g, cg_status *st)
{
    bool *keep = calloc((size_t)(g->n_values ? g->n_values : 1), sizeof *keep);
    if (!keep)
        return cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", g->source);
    mark_referenced(g, keep);
    bool all = true;
    for (int v = 0; v < g->n_values; v++)
        all = all && keep[v];
    cg_code rc = all ? CG_OK : rebuild_values(g, keep, -1, NULL, st);
    free(keep);
    return rc;
}

/* ---------------------------------------------------------------- attributes */

bool cg_node_remove_attr(cg_node *n, const char *name)
{
    for (int i = 0; i < n->n_attrs; i++) {
        if (strcmp(n->attrs[i].name, name) != 0)
            continue;
        cg_attr_clear(&n->attrs[i]);
        memmove(&n->attrs[i], &n->attrs[i + 1], (size_t)(n->n_attrs - i - 1) * sizeof *n->attrs);
        n->n_attrs--;
        return true;
    }
    return false;
}

cg_code cg_node_set_ints(cg_node *n, const char *name, const int64_t *v, int count,
                         cg_status *st)
{
    int64_t *copy = malloc((size_t)(count ? count : 1) * sizeof *copy);
    if (!copy)
        return cg_fail(st, CG_ERR_NOMEM, "out of memory setting attribute '%s'", name);
    if (count)
        memcpy(copy, v, (size_t)count * sizeof *copy);
    cg_node_remove_attr(n, name);
    cg_attr *a = cg_node_add_attr(n, name, st);
    if (!a) {
        free(copy);
        return CG_ERR_NOMEM;
    }
    a->type = CG_ATTR_INTS;
    a->ints = copy;
    a->n = count;
    return CG_OK;
}

cg_code cg_node_set_string(cg_node *n, const char *name, const char *s, cg_status *st)
{
    size_t len = strlen(s);
    char *copy = malloc(len + 1);
    if (!copy)
        return cg_fail(st, CG_ERR_NOMEM, "out of memory setting attribute '%s'", name);
    memcpy(copy, s, len + 1);
    cg_node_remove_attr(n, name);
    cg_attr *a = cg_node_add_attr(n, name, st);
    if (!a) {
        free(copy);
        return CG_ERR_NOMEM;
    }
    a->type = CG_ATTR_STRING;
    a->s = copy;
    a->s_len = len;
    return CG_OK;
}

cg_code cg_attr_copy(cg_attr *dst, const cg_attr *src, cg_status *st)
{
    memset(dst, 0, sizeof *dst);
    dst->type = src->type;
    dst->f = src->f;
    dst->i = src->i;
    dst->n = src->n;
    dst->s_len = src->s_len;
    bool ok = (dst->name = cg_dup_string(src->name)) != NULL;
    if (ok && src->s)
        ok = (dst->s = cg_dup_bytes(src->s, src->s_len + 1)) != NULL;
    if (ok && src->floats)
        ok = (dst->floats = cg_dup_bytes(src->floats, (size_t)src->n * sizeof(float))) != NULL;
    if (ok && src->ints)
        ok = (dst->ints = cg_dup_bytes(src->ints, (size_t)src->n * sizeof *src->ints)) != NULL;
    if (ok && src->string_lens)
        ok = (dst->string_lens = cg_dup_bytes(src->string_lens,
                                              (size_t)src->n * sizeof *src->string_lens)) != NULL;
    if (ok && src->strings && (ok = (dst->strings = calloc((size_t)(src->n ? src->n : 1),
                                                           sizeof *dst->strings)) != NULL))
        for (int i = 0; ok && i < src->n; i++) {
            size_t len = src->string_lens ? src->string_lens[i] : strlen(src->strings[i]);
            ok = (dst->strings[i] = cg_dup_bytes(src->strings[i], len + 1)) != NULL;
        }
    if (ok && src->t)
        ok = (dst->t = cg_tensor_clone(src->t, st)) != NULL;
    if (ok)
        return CG_OK;
    cg_attr_clear(dst);
    return cg_fail(st, CG_ERR_NOMEM, "out of memory copying attribute '%s'", src->name);
}

cg_code cg_node_append_attr_copy(cg_node *n, const cg_attr *src, cg_status *st)
{
    cg_attr *attrs = realloc(n->attrs, (size_t)(n->n_attrs + 1) * sizeof *attrs);
    if (!attrs)
        return cg_fail(st, CG_ERR_NOMEM, "out of memory copying attribute '%s'", src->name);
    n->attrs = attrs;
    cg_code rc = cg_attr_copy(&attrs[n->n_attrs], src, st);
    if (rc == CG_OK)
        n->n_attrs++;
    return rc;
}
