/* fold_batchnorm: in inference mode BatchNormalization is a per-channel affine map,
 * y = (x - mean) * scale / sqrt(var + eps) + beta, so after a Conv it folds into
 * the Conv's weights (ONNX BatchNormalization spec, inference mode):
 *   W'[m] = W[m] * f[m],  B'[m] = (B[m] - mean[m]) * f[m] + beta[m],
 *   f[m] = scale[m] / sqrt(var[m] + eps). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convgraph/graph_edit.h"
#include "graph/pass_internal.h"

enum { BN_X, BN_SCALE, BN_BETA, BN_MEAN, BN_VAR, BN_INPUTS };

static void note(cg_pass_report *rep, const cg_graph *g, const cg_node *n, const char *why)
{
    cg_pass_note(rep, g, n, "not folded: %s", why);
}

/* Input k's contents when it is a float32 initializer of m elements; else NULL. */
static const float *const_vector(const cg_graph *g, const cg_node *n, int k, int64_t m)
{
    if (k >= n->n_inputs || n->inputs[k] < 0)
        return NULL;
    const cg_value *v = &g->values[n->inputs[k]];
    if (!v->is_initializer || !v->data || v->data->dtype != CG_FLOAT || v->data->numel != m)
        return NULL;
    return v->data->data;
}

/* The Conv producing the BN's input, when the BN alone reads that output. */
static cg_node *conv_feeding(cg_graph *g, const cg_node *bn)
{
    int x = bn->n_inputs > BN_X ? bn->inputs[BN_X] : -1;
    if (x < 0 || g->values[x].producer < 0 || g->values[x].is_output ||
        cg_graph_use_count(g, x) != 1)
        return NULL;
    cg_node *conv = &g->nodes[g->values[x].producer];
    bool is_conv = !conv->domain[0] && strcmp(conv->op_type, "Conv") == 0;
    return is_conv && conv->n_outputs == 1 && conv->outputs[0] == x ? conv : NULL;
}

/* Why bn cannot fold (NULL when it can); *conv gets the Conv it folds into. */
static const char *fold_blocker(cg_graph *g, const cg_node *bn, cg_node **conv)
{
    if (cg_attr_int(bn, "training_mode", 0) != 0)
        return "training_mode is set";
    if (cg_attr_int(bn, "spatial", 1) != 1)
        return "spatial=0 (per-activation statistics)";
    for (int k = 1; k < bn->n_outputs; k++)
        if (bn->outputs[k] >= 0)
            return "it produces running statistics (training outputs)";
    if (bn->n_inputs != BN_INPUTS)
        return "it does not have 5 inputs";
    if (!(*conv = conv_feeding(g, bn)))
        return "its input is not a Conv output read by this node alone";
    const cg_node *c = *conv;
    int w = c->n_inputs > 1 ? c->inputs[1] : -1;
    const cg_value *wv = w >= 0 ? &g->values[w] : NULL;
    if (!wv || !wv->is_initializer || !wv->data || wv->data->dtype != CG_FLOAT ||
        wv->data->rank < 1)
        return "the Conv's weights are not a float32 initializer";
    int64_t m = wv->data->dims[0];
    if (c->n_inputs > 2 && c->inputs[2] >= 0 && !const_vector(g, c, 2, m))
        return "the Conv's bias is not a float32 initializer";
    for (int k = BN_SCALE; k <= BN_VAR; k++)
        if (!const_vector(g, bn, k, m))
            return "its scale, B, mean and var are not float32 initializers of one per "
                   "output channel";
    return NULL;
}

/* The folded weights and bias, computed in double (W' = W*f, B' = (B-mean)*f + beta). */
static cg_code folded_params(const cg_graph *g, const cg_node *bn, const cg_node *conv,
                             cg_tensor **w_out, cg_tensor **b_out, cg_status *st)
{
    const cg_tensor *w = g->values[conv->inputs[1]].data;
    int64_t m = w->dims[0], per = m ? w->numel / m : 0;
    const float *scale = const_vector(g, bn, BN_SCALE, m), *beta = const_vector(g, bn, BN_BETA, m);
    const float *mean = const_vector(g, bn, BN_MEAN, m), *var = const_vector(g, bn, BN_VAR, m);
    bool has_bias = conv->n_inputs > 2 && conv->inputs[2] >= 0;
    const float *bias = has_bias ? const_vector(g, conv, 2, m) : NULL;
    double eps = cg_attr_float(bn, "epsilon", 1e-5f);
    cg_tensor *nw = cg_tensor_clone(w, st), *nb = cg_tensor_new(CG_FLOAT, 1, &m, st);
    if (!nw || !nb) {
        cg_tensor_free(nw);
        cg_tensor_free(nb);
        return CG_ERR_NOMEM;
    }
    float *wd = nw->data, *bd = nb->data;
    for (int64_t c = 0; c < m; c++) {
        double f = (double)scale[c] / sqrt((double)var[c] + eps);
        for (int64_t j = 0; j < per; j++)
            wd[c * per + j] = (float)((double)wd[c * per + j] * f);
        bd[c] = (float)(((bias ? (double)bias[c] : 0.0) - mean[c]) * f + beta[c]);
    }
    *w_out = nw;
    *b_out = nb;
    return CG_OK;
}

/* New W and B initializers (the old ones may have other readers) wired into the
 * Conv, which then writes the BN's output. */
static cg_code fold_into(cg_graph *g, const cg_node *bn, int conv_i, cg_status *st)
{
    cg_tensor *nw, *nb;
    cg_code rc = folded_params(g, bn, &g->nodes[conv_i], &nw, &nb, st);
    if (rc != CG_OK)
        return rc;
    const cg_node *conv = &g->nodes[conv_i];
    char base[512];
    snprintf(base, sizeof base, "%s_bn", g->values[conv->inputs[1]].name);
    int wi = cg_graph_add_initializer(g, base, nw, st);
    snprintf(base, sizeof base, "%s_bn_bias",
             conv->name[0] ? conv->name : g->values[bn->outputs[0]].name);
    int bi = wi >= 0 ? cg_graph_add_initializer(g, base, nb, st) : (cg_tensor_free(nb), -1);
    if (bi < 0)
        return CG_ERR_NOMEM;
    const char *ins[3] = {g->values[conv->inputs[0]].name, g->values[wi].name,
                          g->values[bi].name};
    const char *outs[1] = {g->values[bn->outputs[0]].name};
    rc = cg_node_set_inputs(g, &g->nodes[conv_i], ins, 3, st);
    return rc ? rc : cg_node_set_outputs(g, &g->nodes[conv_i], outs, 1, st);
}

cg_code cg_pass_fold_batchnorm(cg_graph *g, cg_pass_report *rep, cg_status *st)
{
    bool *remove = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof *remove);
    if (!remove)
        return cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", g->source);
    cg_code rc = CG_OK;
    for (int i = 0; rc == CG_OK && i < g->n_nodes; i++) {
        const cg_node *bn = &g->nodes[i];
        if (bn->domain[0] || strcmp(bn->op_type, "BatchNormalization") != 0)
            continue;
        cg_node *conv = NULL;
        const char *why = fold_blocker(g, bn, &conv);
        if (why) {
            note(rep, g, bn, why);
            continue;
        }
        int conv_i = (int)(conv - g->nodes);
        int old_out = conv->outputs[0];
        if ((rc = fold_into(g, &g->nodes[i], conv_i, st)) != CG_OK)
            break;
        g->values[old_out].producer = -1;
        g->values[g->nodes[i].outputs[0]].producer = conv_i;
        remove[i] = true;
        if (rep)
            rep->changed++;
    }
    cg_graph_remove_nodes(g, remove);
    free(remove);
    return rc == CG_OK ? cg_graph_compact_values(g, st) : rc;
}
