/* fold_constants: a node that reads only initializers computes the same thing on
 * every run, so it is run once (by the reference executor, on a one-node graph)
 * and its outputs become initializers. Nodes are visited in topological order,
 * so whole constant chains fold in one pass. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convgraph/graph_edit.h"
#include "graph/pass_internal.h"
#include "convgraph/runtime.h"

/* Ops whose result differs between runs even on constant inputs. */
static const char *const k_random_ops[] = {"RandomNormal", "RandomUniform", "RandomNormalLike",
                                           "RandomUniformLike", "Multinomial", "Bernoulli",
                                           NULL};

static bool is_random(const cg_node *n)
{
    for (const char *const *op = k_random_ops; *op; op++)
        if (strcmp(n->op_type, *op) == 0)
            return true;
    return false;
}

/* Every present input is an initializer; a node without inputs only when it is
 * a Constant (other input-less ops generate data: random, or ops we do not know). */
static bool reads_only_constants(const cg_graph *g, const cg_node *n)
{
    int present = 0;
    for (int k = 0; k < n->n_inputs; k++) {
        int v = n->inputs[k];
        if (v < 0)
            continue;
        if (!g->values[v].is_initializer || !g->values[v].data)
            return false;
        present++;
    }
    return present > 0 || strcmp(n->op_type, "Constant") == 0;
}

static void note(cg_pass_report *rep, const cg_graph *g, const cg_node *n, const char *why)
{
    cg_pass_note(rep, g, n, "not folded: %s", why);
}

/* The executor's message less its "SOURCE: node LABEL (OP): " head, which the
 * note already starts with. */
static const char *without_node_prefix(const cg_graph *g, const cg_node *n, const char *msg)
{
    char label[160], head[CG_MSG_MAX];
    int len = snprintf(head, sizeof head, "%s: node %s (%s): ", g->source,
                       cg_node_label(g, n, label, sizeof label), n->op_type);
    return len > 0 && strncmp(msg, head, (size_t)len) == 0 ? msg + len : msg;
}

/* The initializers n reads, copied into `one`. */
static cg_code copy_inputs(cg_graph *one, const cg_graph *g, const cg_node *n, cg_status *st)
{
    for (int k = 0; k < n->n_inputs; k++) {
        if (n->inputs[k] < 0)
            continue;
        const cg_value *src = &g->values[n->inputs[k]];
        int v = cg_graph_intern(one, src->name, st);
        cg_tensor *t = v >= 0 ? cg_tensor_clone(src->data, st) : NULL;
        if (!t)
            return CG_ERR_NOMEM;
        cg_graph_make_initializer(one, v, t);
    }
    return CG_OK;
}

/* n itself (wiring by value name, attributes deep-copied), its outputs made
 * the graph outputs of `one`. */
static cg_code copy_node(cg_graph *one, const cg_graph *g, const cg_node *n, cg_status *st)
{
    if (n->n_inputs > 64 || n->n_outputs > 64)
        return cg_fail_node(st, CG_ERR_UNSUPPORTED, g, n, "more than 64 inputs or outputs");
    cg_node *copy = cg_graph_add_node(one, n->name, n->op_type, n->domain, st);
    if (!copy)
        return CG_ERR_NOMEM;
    const char *names[64];
    cg_code rc = CG_OK;
    for (int pass = 0; rc == CG_OK && pass < 2; pass++) {
        int count = pass ? n->n_outputs : n->n_inputs;
        const int *list = pass ? n->outputs : n->inputs;
        for (int k = 0; k < count; k++)
            names[k] = list[k] >= 0 ? g->values[list[k]].name : "";
        rc = pass ? cg_node_set_outputs(one, copy, names, count, st)
                  : cg_node_set_inputs(one, copy, names, count, st);
    }
    for (int a = 0; rc == CG_OK && a < n->n_attrs; a++)
        rc = cg_node_append_attr_copy(copy, &n->attrs[a], st);
    for (int k = 0; rc == CG_OK && k < copy->n_outputs; k++)
        if (copy->outputs[k] >= 0)
            rc = cg_graph_add_output(one, copy->outputs[k], st);
    return rc;
}

/* A graph holding copies of the node and of the initializers it reads. */
static cg_graph *single_node_graph(const cg_graph *g, const cg_node *n, cg_status *st)
{
    cg_graph *one = cg_graph_new(g->source);
    if (!one) {
        cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", g->source);
        return NULL;
    }
    cg_code rc = CG_OK;
    for (int i = 0; rc == CG_OK && i < g->n_opsets; i++)
        rc = cg_graph_add_opset(one, g->opsets[i].domain, g->opsets[i].version, st);
    if (rc == CG_OK)
        rc = copy_inputs(one, g, n, st);
    if (rc == CG_OK)
        rc = copy_node(one, g, n, st);
    if (rc == CG_OK)
        rc = cg_graph_toposort(one, st);
    if (rc != CG_OK) {
        cg_graph_free(one);
        return NULL;
    }
    return one;
}

/* Outputs whose inferred size is already known to be too big are not computed
 * at all (ConstantOfShape can ask for gigabytes). */
static bool known_too_big(const cg_graph *g, const cg_node *n, int64_t max_elements)
{
    for (int k = 0; k < n->n_outputs; k++)
        if (n->outputs[k] >= 0 && cg_shape_numel(&g->values[n->outputs[k]].shape) > max_elements)
            return true;
    return false;
}

static bool small_enough(const cg_named_tensor *outs, int n_outs, int64_t max_elements)
{
    for (int i = 0; i < n_outs; i++)
        if (outs[i].tensor->numel > max_elements)
            return false;
    return true;
}

/* Runs node i once; on success its outputs are initializers and *folded is set.
 * Problems running it are notes (the node stays); only running out of memory
 * is an error. */
static cg_code fold_node(cg_graph *g, int i, int64_t max_elements, bool *folded,
                         cg_pass_report *rep, cg_status *st)
{
    char why[96];
    snprintf(why, sizeof why, "an output has more than %lld elements", (long long)max_elements);
    if (known_too_big(g, &g->nodes[i], max_elements)) {
        note(rep, g, &g->nodes[i], why);
        return CG_OK;
    }
    cg_status inner = {0};
    cg_graph *one = single_node_graph(g, &g->nodes[i], &inner);
    cg_named_tensor *outs = NULL;
    int n_outs = 0;
    cg_code rc = one ? cg_graph_run(one, NULL, 0, &outs, &n_outs, &inner) : inner.code;
    cg_graph_free(one);
    if (rc == CG_ERR_NOMEM) {
        if (st)
            *st = inner;
        return rc;
    }
    if (rc != CG_OK) {
        note(rep, g, &g->nodes[i], without_node_prefix(g, &g->nodes[i], inner.msg));
        return CG_OK;
    }
    if (!small_enough(outs, n_outs, max_elements)) {
        note(rep, g, &g->nodes[i], why);
        cg_named_tensors_free(outs, n_outs);
        return CG_OK;
    }
    for (int k = 0; k < n_outs; k++) {
        cg_graph_make_initializer(g, cg_graph_find(g, outs[k].name), outs[k].tensor);
        outs[k].tensor = NULL;
    }
    cg_named_tensors_free(outs, n_outs);
    *folded = true;
    return CG_OK;
}

cg_code cg_pass_fold_constants(cg_graph *g, int64_t max_elements, cg_pass_report *rep,
                               cg_status *st)
{
    bool *remove = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof *remove);
    if (!remove)
        return cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", g->source);
    cg_code rc = CG_OK;
    for (int i = 0; rc == CG_OK && i < g->n_nodes; i++) {
        if (is_random(&g->nodes[i]) || !reads_only_constants(g, &g->nodes[i]))
            continue;
        rc = fold_node(g, i, max_elements, &remove[i], rep, st);
        if (remove[i] && rep)
            rep->changed++;
    }
    /* Folded nodes go even after an error: their outputs are initializers now. */
    cg_graph_remove_nodes(g, remove);
    if (rc == CG_OK)
        rc = cg_graph_compact_values(g, st);
    free(remove);
    return rc;
}
