/* Shape inference driver: pins inputs, then runs each node's shape function in
 * topological order. */
#include "convgraph/infer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convgraph/ops.h"
#include "convgraph/runtime.h"

cg_code cg_pin_parse(const char *arg, cg_pin *out, cg_status *st)
{
    const char *colon = strrchr(arg, ':');
    memset(out, 0, sizeof *out);
    if (!colon || colon == arg || (size_t)(colon - arg) >= sizeof out->name)
        return cg_fail(st, CG_ERR_INVALID, "--input-shape '%s': expected NAME:D1,D2,... e.g. x:1,3,224,224", arg);
    memcpy(out->name, arg, (size_t)(colon - arg));
    const char *p = colon + 1;
    while (*p) {
        if (out->rank == CG_MAX_RANK)
            return cg_fail(st, CG_ERR_UNSUPPORTED, "--input-shape '%s': more than %d dims", arg, CG_MAX_RANK);
        char *end;
        errno = 0;
        long long d = strtoll(p, &end, 10);
        if (end == p || errno || d < 0 || (*end && *end != ','))
            return cg_fail(st, CG_ERR_INVALID, "--input-shape '%s': '%s' is not a non-negative integer list", arg, p);
        out->dims[out->rank++] = d;
        p = *end ? end + 1 : end;
    }
    return CG_OK;
}

void cg_diag_add(cg_diag_list *d, const char *line)
{
    if (d->n == d->cap) {
        int cap = d->cap ? d->cap * 2 : 16;
        char **l = realloc(d->lines, (size_t)cap * sizeof *l);
        if (!l)
            return; /* out of memory: the problem is still reflected in the return code */
        d->lines = l;
        d->cap = cap;
    }
    size_t n = strlen(line) + 1;
    if ((d->lines[d->n] = malloc(n)))
        memcpy(d->lines[d->n++], line, n);
}

void cg_diag_free(cg_diag_list *d)
{
    for (int i = 0; i < d->n; i++)
        free(d->lines[i]);
    free(d->lines);
    memset(d, 0, sizeof *d);
}

static int find_graph_input(const cg_graph *g, const char *name)
{
    for (int i = 0; i < g->n_inputs; i++)
        if (strcmp(g->values[g->inputs[i]].name, name) == 0)
            return g->inputs[i];
    return -1;
}

/* First axis where the file fixes a dim the pin contradicts; -1 if none. */
static int pin_conflict_axis(const cg_shape *declared, const cg_pin *pin)
{
    for (int i = 0; i < declared->rank && i < pin->rank; i++)
        if (cg_dim_is_known(declared->d[i]) && declared->d[i].v != pin->dims[i])
            return i;
    return -1;
}

cg_code cg_pins_validate(const cg_graph *g, const cg_pin *pins, int n_pins, cg_status *st)
{
    for (int i = 0; i < n_pins; i++) {
        int v = find_graph_input(g, pins[i].name);
        if (v < 0)
            return cg_fail(st, CG_ERR_INVALID, "%s: --input-shape %s: the graph has no input of that name",
                           g->source, pins[i].name);
        const cg_shape *declared = &g->values[v].shape;
        if (declared->rank >= 0 && declared->rank != pins[i].rank)
            return cg_fail(st, CG_ERR_INVALID, "%s: --input-shape %s: gives %d dims but the input has rank %d",
                           g->source, pins[i].name, pins[i].rank, declared->rank);
        int axis = pin_conflict_axis(declared, &pins[i]);
        if (axis >= 0)
            return cg_fail(st, CG_ERR_INVALID,
                           "%s: --input-shape %s: gives dim %d = %lld but the model fixes it at %lld",
                           g->source, pins[i].name, axis, (long long)pins[i].dims[axis],
                           (long long)declared->d[axis].v);
    }
    return CG_OK;
}

/* Forgets what an earlier inference run derived for a node's outputs. */
static void reset_outputs(cg_graph *g, cg_node *n)
{
    for (int k = 0; k < n->n_outputs; k++) {
        if (n->outputs[k] < 0)
            continue;
        cg_value *v = &g->values[n->outputs[k]];
        v->dtype = CG_UNDEFINED;
        v->shape = cg_shape_unknown();
        cg_tensor_free(v->data);
        v->data = NULL;
        free(v->dimvals);
        v->dimvals = NULL;
        v->n_dimvals = 0;
    }
    free(n->window);
    n->window = NULL;
    n->macs = -1;
}

static cg_code infer_node(cg_graph *g, cg_node *n, cg_status *st)
{
    int64_t opset = cg_graph_opset(g, n->domain);
    n->def = cg_op_find(n->domain, n->op_type, opset);
    if (!n->def)
        return cg_fail_node(st, CG_ERR_UNSUPPORTED, g, n, "no shape function for %s%s%s at opset %lld",
                            n->domain, n->domain[0] ? "." : "", n->op_type, (long long)opset);
    cg_infer_ctx ctx = {g, n, opset, st};
    return n->def->infer(&ctx);
}

cg_code cg_graph_infer_shapes(cg_graph *g, const cg_infer_options *opt, cg_status *st)
{
    static const cg_infer_options none = {0};
    if (!opt)
        opt = &none;
    cg_code rc = cg_pins_validate(g, opt->pins, opt->n_pins, st);
    if (rc != CG_OK)
        return rc;
    for (int i = 0; i < opt->n_pins; i++) {
        cg_value *v = &g->values[find_graph_input(g, opt->pins[i].name)];
        v->shape = cg_shape_of(opt->pins[i].rank, opt->pins[i].dims);
    }
    cg_code first = CG_OK;
    for (int i = 0; i < g->n_nodes; i++) {
        cg_node *n = &g->nodes[i];
        cg_status node_st = {0};
        reset_outputs(g, n);
        rc = infer_node(g, n, &node_st);
        if (rc == CG_OK || (rc == CG_ERR_UNSUPPORTED && !n->def))
            continue;
        reset_outputs(g, n);
        if (first == CG_OK && st)
            *st = node_st;
        if (first == CG_OK)
            first = rc;
        if (!opt->diags)
            return rc;
        cg_diag_add(opt->diags, node_st.msg);
    }
    return first;
}

static bool has_shape_function(const cg_op_def *def) { return def != NULL; }
static bool has_kernel(const cg_op_def *def) { return def && def->run; }

/* Lists op types whose registry entry fails `usable`, with counts, in order of
 * first appearance. */
static int list_ops_lacking(const cg_graph *g, bool (*usable)(const cg_op_def *), char *buf, size_t len)
{
    int distinct = 0;
    size_t used = 0;
    if (len)
        buf[0] = '\0';
    for (int i = 0; i < g->n_nodes; i++) {
        const cg_node *n = &g->nodes[i];
        if (usable(cg_op_find(n->domain, n->op_type, cg_graph_opset(g, n->domain))))
            continue;
        bool seen = false;
        int count = 0;
        for (int j = 0; j < g->n_nodes; j++) {
            const cg_node *m = &g->nodes[j];
            bool same = strcmp(m->op_type, n->op_type) == 0 && strcmp(m->domain, n->domain) == 0;
            seen |= same && j < i;
            count += same;
        }
        if (seen)
            continue;
        distinct++;
        int w = snprintf(used < len ? buf + used : NULL, used < len ? len - used : 0, "%s%s%s%s:%d",
                         distinct > 1 ? ", " : "", n->domain, n->domain[0] ? "." : "", n->op_type, count);
        used += w > 0 ? (size_t)w : 0;
    }
    return distinct;
}

int cg_graph_unsupported_ops(const cg_graph *g, char *buf, size_t len)
{
    return list_ops_lacking(g, has_shape_function, buf, len);
}

int cg_graph_unrunnable_ops(const cg_graph *g, char *buf, size_t len)
{
    return list_ops_lacking(g, has_kernel, buf, len);
}

int64_t cg_graph_total_macs(const cg_graph *g)
{
    int64_t total = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        if (g->nodes[i].macs < 0 || cg_add_overflows(total, g->nodes[i].macs, &total))
            return -1;
    }
    return total;
}
