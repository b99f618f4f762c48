/* drop_identity: Identity, Dropout in inference mode (ONNX Dropout spec: "in
 * test mode ... the output Y will simply be equal to the input X") and Pad by
 * zero everywhere (torch.onnx puts one before some AveragePools) pass their
 * input through, so their consumers can read the input directly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convgraph/graph_edit.h"
#include "graph/pass_internal.h"

static void note(cg_pass_report *rep, const cg_graph *g, const cg_node *n, const char *why)
{
    cg_pass_note(rep, g, n, "kept: %s", why);
}

static bool value_used(const cg_graph *g, int v)
{
    return v >= 0 && (g->values[v].is_output || cg_graph_use_count(g, v) > 0);
}

/* Dropout's training_mode input (opset 12+) absent or a constant false. */
static bool dropout_in_inference(const cg_graph *g, const cg_node *n)
{
    int t = n->n_inputs > 2 ? n->inputs[2] : -1;
    if (t < 0)
        return true;
    const cg_tensor *d = g->values[t].is_initializer ? g->values[t].data : NULL;
    return d && d->numel == 1 && cg_tensor_get_i64(d, 0) == 0;
}

/* Why the node cannot go (NULL when it can), for the nodes this pass looks at. */
static const char *drop_blocker(const cg_graph *g, const cg_node *n)
{
    if (n->n_inputs < 1 || n->inputs[0] < 0 || n->n_outputs < 1 || n->outputs[0] < 0)
        return "it has no input or no output";
    if (strcmp(n->op_type, "Dropout") == 0) {
        if (!dropout_in_inference(g, n))
            return "training_mode is not a constant false";
        if (n->n_outputs > 1 && value_used(g, n->outputs[1]))
            return "its mask output is used";
    }
    int x = n->inputs[0], y = n->outputs[0];
    if (!g->values[y].is_output)
        return NULL;
    /* y must keep its name, so x's producer would have to produce y instead. */
    const cg_value *xv = &g->values[x];
    if (xv->producer < 0 || xv->is_output)
        return "it connects a graph input, an initializer or another graph output to a "
               "graph output";
    return NULL;
}

/* The contents of v when they are known before shape inference: an
 * initializer, or a Constant node's `value`. */
static const cg_tensor *known_before_inference(const cg_graph *g, int v)
{
    if (v < 0)
        return NULL;
    const cg_value *val = &g->values[v];
    if (val->is_initializer || val->data)
        return val->data;
    const cg_node *p = val->producer >= 0 ? &g->nodes[val->producer] : NULL;
    const cg_attr *a = p && !p->domain[0] && strcmp(p->op_type, "Constant") == 0 ? cg_node_attr(p, "value") : NULL;
    return a && a->type == CG_ATTR_TENSOR ? a->t : NULL;
}

/* Pad whose pads are all zero: an attribute before opset 11, input 1 after. */
static bool pad_by_zero(const cg_graph *g, const cg_node *n)
{
    if (cg_graph_opset(g, n->domain) < 11) {
        int count = 0;
        const int64_t *pads = cg_attr_ints(n, "pads", &count);
        for (int i = 0; pads && i < count; i++)
            if (pads[i] != 0)
                return false;
        return pads != NULL;
    }
    const cg_tensor *pads = known_before_inference(g, n->n_inputs > 1 ? n->inputs[1] : -1);
    if (!pads || (pads->dtype != CG_INT64 && pads->dtype != CG_INT32))
        return false;
    for (int64_t i = 0; i < pads->numel; i++)
        if (cg_tensor_get_i64(pads, i) != 0)
            return false;
    return true;
}

static bool is_pass_through(const cg_graph *g, const cg_node *n)
{
    if (n->domain[0])
        return false;
    return strcmp(n->op_type, "Identity") == 0 || strcmp(n->op_type, "Dropout") == 0 ||
           (strcmp(n->op_type, "Pad") == 0 && n->n_outputs == 1 && pad_by_zero(g, n));
}

/* Rewires around node i (which drop_blocker cleared). */
static void bypass(cg_graph *g, int i)
{
    const cg_node *n = &g->nodes[i];
    int x = n->inputs[0], y = n->outputs[0];
    if (!g->values[y].is_output) {
        cg_graph_replace_uses(g, y, x);
        return;
    }
    /* The graph output keeps its name: x's producer writes y, x's readers read y. */
    cg_node *p = &g->nodes[g->values[x].producer];
    for (int k = 0; k < p->n_outputs; k++)
        if (p->outputs[k] == x)
            p->outputs[k] = y;
    cg_graph_replace_uses(g, x, y);
    g->values[y].producer = g->values[x].producer;
    g->values[x].producer = -1;
}

cg_code cg_pass_drop_identity(cg_graph *g, cg_pass_report *rep, cg_status *st)
{
    bool *remove = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof *remove);
    if (!remove)
        return cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", g->source);
    for (int i = 0; i < g->n_nodes; i++) {
        if (!is_pass_through(g, &g->nodes[i]))
            continue;
        const char *why = drop_blocker(g, &g->nodes[i]);
        if (why) {
            note(rep, g, &g->nodes[i], why);
            continue;
        }
        bypass(g, i);
        /* The node now reads what it writes (or reads nothing that matters): cut it loose. */
        for (int k = 0; k < g->nodes[i].n_inputs; k++)
            g->nodes[i].inputs[k] = -1;
        remove[i] = true;
        if (rep)
            rep->changed++;
    }
    cg_graph_remove_nodes(g, remove);
    free(remove);
    return cg_graph_compact_values(g, st);
}
