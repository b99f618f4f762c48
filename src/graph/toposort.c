/* Topological order of nodes (Kahn's algorithm). Among ready nodes the one that
 * came first in the file goes first, so an already sorted file keeps its order. */
#include <stdlib.h>
#include <string.h>

#include "convgraph/graph.h"

typedef struct min_heap {
    int *a;
    int n;
} min_heap;

static void heap_push(min_heap *h, int v)
{
    int i = h->n++;
    for (; i > 0 && h->a[(i - 1) / 2] > v; i = (i - 1) / 2)
        h->a[i] = h->a[(i - 1) / 2];
    h->a[i] = v;
}

static int heap_pop(min_heap *h)
{
    int top = h->a[0], last = h->a[--h->n], i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->a[c + 1] < h->a[c])
            c++;
        if (h->a[c] >= last)
            break;
        h->a[i] = h->a[c];
        i = c;
    }
    if (h->n > 0)
        h->a[i] = last;
    return top;
}

/* Sets producers; fails on values produced twice or overwriting inputs. */
static cg_code assign_producers(cg_graph *g, cg_status *st)
{
    for (int v = 0; v < g->n_values; v++)
        g->values[v].producer = -1;
    for (int i = 0; i < g->n_nodes; i++) {
        cg_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_outputs; k++) {
            int o = n->outputs[k];
            if (o < 0)
                continue;
            cg_value *v = &g->values[o];
            if (v->producer >= 0)
                return cg_fail_node(st, CG_ERR_INVALID, g, n, "output '%s' is also produced by node #%d",
                                    v->name, v->producer);
            if (v->is_input || v->is_initializer)
                return cg_fail_node(st, CG_ERR_INVALID, g, n, "output '%s' overwrites a graph %s",
                                    v->name, v->is_input ? "input" : "initializer");
            v->producer = i;
        }
    }
    return CG_OK;
}

static cg_code check_inputs_defined(const cg_graph *g, cg_status *st)
{
    for (int i = 0; i < g->n_nodes; i++) {
        const cg_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_inputs; k++) {
            const cg_value *v = n->inputs[k] >= 0 ? &g->values[n->inputs[k]] : NULL;
            if (v && v->producer < 0 && !v->is_input && !v->is_initializer)
                return cg_fail_node(st, CG_ERR_INVALID, g, n,
                                    "input '%s' is not a graph input, an initializer or any node's output",
                                    v->name);
        }
    }
    return CG_OK;
}

/* Consumers of each value in CSR form: node indices cons[start[v] .. start[v+1]). */
static bool build_consumers(const cg_graph *g, int **start, int **cons)
{
    *start = calloc((size_t)g->n_values + 1, sizeof **start);
    int total = 0;
    for (int i = 0; i < g->n_nodes; i++)
        total += g->nodes[i].n_inputs;
    *cons = malloc((size_t)(total ? total : 1) * sizeof **cons);
    if (!*start || !*cons)
        return false;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++)
            if (g->nodes[i].inputs[k] >= 0)
                (*start)[g->nodes[i].inputs[k] + 1]++;
    for (int v = 0; v < g->n_values; v++)
        (*start)[v + 1] += (*start)[v];
    int *fill = calloc((size_t)g->n_values + 1, sizeof *fill);
    if (!fill)
        return false;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++) {
            int v = g->nodes[i].inputs[k];
            if (v >= 0)
                (*cons)[(*start)[v] + fill[v]++] = i;
        }
    free(fill);
    return true;
}

static int count_pending(const cg_graph *g, int node)
{
    int pending = 0;
    for (int k = 0; k < g->nodes[node].n_inputs; k++) {
        int v = g->nodes[node].inputs[k];
        pending += v >= 0 && g->values[v].producer >= 0;
    }
    return pending;
}

/* Fills order[] with a topological order; returns how many nodes it placed. */
static int kahn(const cg_graph *g, const int *start, const int *cons, int *pending, int *order,
                min_heap *ready)
{
    for (int i = 0; i < g->n_nodes; i++)
        if ((pending[i] = count_pending(g, i)) == 0)
            heap_push(ready, i);
    int placed = 0;
    while (ready->n > 0) {
        int i = heap_pop(ready);
        order[placed++] = i;
        const cg_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_outputs; k++) {
            int v = n->outputs[k];
            for (int c = v >= 0 ? start[v] : 0; v >= 0 && c < start[v + 1]; c++)
                if (--pending[cons[c]] == 0)
                    heap_push(ready, cons[c]);
        }
    }
    return placed;
}

static cg_code apply_order(cg_graph *g, const int *order, cg_status *st)
{
    cg_node *sorted = malloc((size_t)g->n_nodes * sizeof *sorted);
    if (!sorted)
        return cg_fail(st, CG_ERR_NOMEM, "%s: out of memory sorting nodes", g->source);
    g->file_order_sorted = true;
    for (int i = 0; i < g->n_nodes; i++) {
        sorted[i] = g->nodes[order[i]];
        g->file_order_sorted &= order[i] == i;
    }
    memcpy(g->nodes, sorted, (size_t)g->n_nodes * sizeof *sorted);
    free(sorted);
    return assign_producers(g, st);
}

cg_code cg_graph_toposort(cg_graph *g, cg_status *st)
{
    cg_code rc = assign_producers(g, st);
    if (rc == CG_OK)
        rc = check_inputs_defined(g, st);
    if (rc != CG_OK || g->n_nodes <= 0)
        return rc;
    int *start = NULL, *cons = NULL;
    int *pending = malloc((size_t)g->n_nodes * sizeof *pending);
    int *order = malloc((size_t)g->n_nodes * sizeof *order);
    min_heap ready = {malloc((size_t)g->n_nodes * sizeof(int)), 0};
    if (!build_consumers(g, &start, &cons) || !pending || !order || !ready.a) {
        rc = cg_fail(st, CG_ERR_NOMEM, "%s: out of memory sorting nodes", g->source);
    } else if (kahn(g, start, cons, pending, order, &ready) < g->n_nodes) {
        int stuck = 0;
        while (pending[stuck] == 0)
            stuck++;
        rc = cg_fail_node(st, CG_ERR_INVALID, g, &g->nodes[stuck],
                          "is part of a cycle: its inputs depend on its own outputs");
    } else {
        rc = apply_order(g, order, st);
    }
    free(start);
    free(cons);
    free(pending);
    free(order);
    free(ready.a);
    return rc;
}
