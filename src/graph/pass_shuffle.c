/* fuse_channel_shuffle: Reshape x [N, C, H, W] to [N, G, C/G, H, W], Transpose
 * with perm (0, 2, 1, 3, 4), Reshape back to [N, C, H, W] (how torch.onnx writes
 * ShuffleNet's channel_shuffle) becomes one convgraph.ChannelShuffle(x) with
 * groups G, writing the last Reshape's output (name kept). One node instead of
 * three copies, and one a channels-last region can keep (it has an NHWC
 * kernel). Shapes must have been inferred; the intermediate values must have
 * no other reader and not be graph outputs. */
#include <stdlib.h>
#include <string.h>

#include "convgraph/graph_edit.h"
#include "convgraph/ops.h"
#include "graph/graph_internal.h"
#include "graph/pass_internal.h"

/* Value v's inferred dims when all known; false otherwise. */
static bool static_dims(const cg_graph *g, int v, int rank, int64_t *d)
{
    const cg_shape *s = v >= 0 ? &g->values[v].shape : NULL;
    if (!s || s->rank != rank)
        return false;
    for (int i = 0; i < rank; i++) {
        if (!cg_dim_is_known(s->d[i]))
            return false;
        d[i] = s->d[i].v;
    }
    return true;
}

static bool is_shuffle_perm(const cg_node *t)
{
    static const int64_t want[5] = {0, 2, 1, 3, 4};
    int n = 0;
    const int64_t *perm = cg_attr_ints(t, "perm", &n);
    return perm && n == 5 && memcmp(perm, want, sizeof want) == 0;
}

typedef struct shuffle {
    int first, transpose, last; /* node indices */
    int64_t groups;
} shuffle;

/* Whether Reshape node r starts the pattern; fills s. */
static bool find_shuffle(const cg_graph *g, int r, shuffle *s)
{
    const cg_node *n = &g->nodes[r];
    int64_t x[4], mid[5], back[4];
    if (!cg_pass_is_op(n, "Reshape") || n->n_inputs < 1 || n->n_outputs != 1 || !static_dims(g, n->inputs[0], 4, x) ||
        !static_dims(g, n->outputs[0], 5, mid))
        return false;
    int t = cg_pass_sole_reader(g, n->outputs[0]);
    if (t < 0 || !cg_pass_is_op(&g->nodes[t], "Transpose") || !is_shuffle_perm(&g->nodes[t]) || g->nodes[t].n_outputs != 1)
        return false;
    int last = cg_pass_sole_reader(g, g->nodes[t].outputs[0]);
    if (last < 0 || !cg_pass_is_op(&g->nodes[last], "Reshape") || g->nodes[last].inputs[0] != g->nodes[t].outputs[0] ||
        g->nodes[last].n_outputs != 1 || !static_dims(g, g->nodes[last].outputs[0], 4, back))
        return false;
    bool split = mid[0] == x[0] && mid[1] * mid[2] == x[1] && mid[3] == x[2] && mid[4] == x[3];
    if (!split || memcmp(back, x, sizeof x) != 0)
        return false;
    *s = (shuffle){r, t, last, mid[1]};
    return true;
}

/* The last Reshape becomes the ChannelShuffle (it already writes the right
 * value); the first two nodes go. */
static cg_code apply_shuffle(cg_graph *g, const shuffle *s, bool *remove, cg_status *st)
{
    cg_node *last = &g->nodes[s->last];
    int x = g->nodes[s->first].inputs[0];
    char *op = cg_dup_string("ChannelShuffle"), *domain = cg_dup_string(CG_LAYOUT_DOMAIN);
    if (!op || !domain) {
        free(op);
        free(domain);
        return cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", g->source);
    }
    free(last->op_type);
    free(last->domain);
    last->op_type = op;
    last->domain = domain;
    for (int k = 0; k < last->n_inputs; k++)
        last->inputs[k] = -1;
    last->inputs[0] = x;
    last->n_inputs = 1;
    for (int i = 0; i < last->n_attrs; i++)
        cg_attr_clear(&last->attrs[i]);
    last->n_attrs = 0;
    last->def = NULL; /* the next inference finds the new op's */
    cg_attr *a = cg_node_add_attr(last, "groups", st);
    if (!a)
        return CG_ERR_NOMEM;
    a->type = CG_ATTR_INT;
    a->i = s->groups;
    for (int k = 0; k < 2; k++) {
        cg_node *n = &g->nodes[k ? s->transpose : s->first];
        for (int j = 0; j < n->n_inputs; j++)
            n->inputs[j] = -1;
        remove[k ? s->transpose : s->first] = true;
    }
    return CG_OK;
}

cg_code cg_pass_fuse_channel_shuffle(cg_graph *g, cg_pass_report *rep, cg_status *st)
{
    bool *remove = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof *remove);
    if (!remove)
        return cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", g->source);
    cg_code rc = CG_OK;
    bool any = false;
    for (int r = 0; rc == CG_OK && r < g->n_nodes; r++) {
        shuffle s;
        if (remove[r] || !find_shuffle(g, r, &s))
            continue;
        rc = apply_shuffle(g, &s, remove, st);
        any = true;
        if (rc == CG_OK && rep)
            rep->changed++;
    }
    cg_graph_remove_nodes(g, remove);
    free(remove);
    if (rc == CG_OK && any && cg_graph_opset(g, CG_LAYOUT_DOMAIN) == 0)
        rc = cg_graph_add_opset(g, CG_LAYOUT_DOMAIN, 1, st);
    if (rc == CG_OK)
        rc = cg_graph_compact_values(g, st);
    return rc == CG_OK ? cg_graph_toposort(g, st) : rc;
}
