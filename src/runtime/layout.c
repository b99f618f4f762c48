/* The channels-last layout of a FAST session. oneDNN's convolutions on
 * AVX-512 run on NHWC (or blocked) data; fed NCHW tensors, each Conv reorders
 * its input and output, which on mobilenet_v2 took as long as the convs
 * themselves. This pass stores whole regions of float32 4-D activations
 * channels-last instead: every Conv the fast path takes NHWC, and the ops
 * around them that have NHWC kernels or do not care about the order
 * (elementwise ops on equal shapes or per-channel vectors, pools, channel
 * Concat, BatchNormalization, Slice, ChannelShuffle), get cg.layout NHWC;
 * a convgraph.Relayout node converts where a region begins and ends (graph
 * inputs and outputs, ops without an NHWC kernel), once per tensor. Logical
 * shapes do not change, so shape inference and the memory plan are untouched. */
#include "runtime/layout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convgraph/graph_edit.h"
#include "convgraph/infer.h"
#include "convgraph/ops.h"
#include "runtime/fast_conv.h"

typedef enum role {
    ROLE_NONE,   /* needs NCHW */
    ROLE_CONV,   /* inputs 0 (X) and 3 (Z) */
    ROLE_UNARY,  /* input 0; order-blind */
    ROLE_BINARY, /* every 4-D input: the output's shape, or a channel vector
                    [N or 1, C, 1, 1] (Add Sub Mul Div Max Min of two inputs);
                    other inputs are scalars, left as they are */
    ROLE_POOL,   /* input 0 */
    ROLE_CONCAT, /* every input, along channels */
    ROLE_BATCHNORM, /* input 0; the per-channel vectors stay */
    ROLE_SLICE,     /* input 0; starts, ends, axes and steps stay */
    ROLE_SHUFFLE,   /* convgraph.ChannelShuffle: input 0 */
} role;

/* Elementwise ops whose kernels compute o[e] from x[e] (further inputs being
 * scalars, e.g. Clip's bounds), and those combining equal-shaped inputs. */
static const char *const UNARY_OPS[] = {"Relu", "LeakyRelu", "Elu",  "Selu", "Sigmoid", "HardSigmoid",
                                        "HardSwish", "Tanh", "Sqrt", "Erf", "Exp", "Log",
                                        "Neg", "Abs", "Reciprocal", "Clip"};
static const char *const BINARY_OPS[] = {"Add", "Sub", "Mul", "Div", "Max", "Min", "Sum"};
/* Those whose NHWC kernel also takes a channel vector (src/ops/fast_elementwise.c). */
static const char *const CHANNEL_BROADCAST_OPS[] = {"Add", "Sub", "Mul", "Div", "Max", "Min"};
static const char *const POOL_OPS[] = {"MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool"};

static bool name_in(const char *op, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(op, list[i]) == 0)
            return true;
    return false;
}

static role role_of_op(const cg_node *n)
{
    if (strcmp(n->domain, CG_LAYOUT_DOMAIN) == 0 && strcmp(n->op_type, "ChannelShuffle") == 0)
        return ROLE_SHUFFLE;
    if (n->domain[0])
        return ROLE_NONE;
    if (strcmp(n->op_type, "Slice") == 0)
        return ROLE_SLICE;
    if (strcmp(n->op_type, "Conv") == 0)
        return ROLE_CONV;
    if (strcmp(n->op_type, "Concat") == 0)
        return ROLE_CONCAT;
    if (name_in(n->op_type, UNARY_OPS, sizeof UNARY_OPS / sizeof UNARY_OPS[0]))
        return ROLE_UNARY;
    if (name_in(n->op_type, BINARY_OPS, sizeof BINARY_OPS / sizeof BINARY_OPS[0]))
        return ROLE_BINARY;
    if (name_in(n->op_type, POOL_OPS, sizeof POOL_OPS / sizeof POOL_OPS[0]))
        return ROLE_POOL;
    if (strcmp(n->op_type, "BatchNormalization") == 0)
        return ROLE_BATCHNORM;
    return ROLE_NONE;
}

static bool float_4d(const cg_graph *g, int v)
{
    return v >= 0 && g->values[v].dtype == CG_FLOAT && g->values[v].shape.rank == 4;
}

/* The inputs a region stores channels-last (and Relayouts feed). */
static bool is_data_slot(const cg_graph *g, const cg_node *n, role r, int k)
{
    switch (r) {
    case ROLE_CONV:
        return k == 0 || k == 3;
    case ROLE_UNARY:
    case ROLE_POOL:
    case ROLE_BATCHNORM:
    case ROLE_SLICE:
    case ROLE_SHUFFLE:
        return k == 0;
    case ROLE_BINARY:
        return float_4d(g, n->inputs[k]);
    case ROLE_CONCAT:
        return true;
    case ROLE_NONE:
        break;
    }
    return false;
}

/* [N or 1, C, 1, 1] against the output [N, C, H, W]. */
static bool channel_vector(const cg_shape *v, const cg_shape *out)
{
    bool batch = cg_dim_equal(v->d[0], out->d[0]) || (cg_dim_is_known(v->d[0]) && v->d[0].v == 1);
    return batch && cg_dim_equal(v->d[1], out->d[1]) && cg_dim_is_known(v->d[2]) && v->d[2].v == 1 &&
           cg_dim_is_known(v->d[3]) && v->d[3].v == 1;
}

static bool is_scalar(const cg_graph *g, int v)
{
    const cg_shape *s = &g->values[v].shape;
    return cg_shape_is_static(s) && cg_shape_numel(s) == 1;
}

/* A binary op's inputs: each the output's shape, a scalar, or (two-input ops
 * with such a kernel) a channel vector; at least one of the output's shape. */
static bool binary_operands_fit(const cg_graph *g, const cg_node *n)
{
    const cg_shape *out = &g->values[n->outputs[0]].shape;
    bool vectors = n->n_inputs == 2 &&
                   name_in(n->op_type, CHANNEL_BROADCAST_OPS, sizeof CHANNEL_BROADCAST_OPS / sizeof CHANNEL_BROADCAST_OPS[0]);
    bool full = false;
    for (int k = 0; k < n->n_inputs; k++) {
        int v = n->inputs[k];
        if (v < 0 || g->values[v].dtype != CG_FLOAT)
            return false;
        const cg_shape *s = &g->values[v].shape;
        bool same = cg_shape_equal(s, out);
        full = full || same;
        if (!same && !is_scalar(g, v) && !(vectors && s->rank == 4 && channel_vector(s, out)))
            return false;
    }
    return full;
}

/* Every data input present, float32 4-D and, for unary ops, of exactly the
 * output's shape (binary ops: binary_operands_fit); one output, float32 4-D. */
static bool operands_fit(const cg_graph *g, const cg_node *n, role r)
{
    if (n->n_outputs < 1 || !float_4d(g, n->outputs[0]))
        return false;
    for (int k = 1; k < n->n_outputs; k++)
        if (n->outputs[k] >= 0)
            return false; /* MaxPool's Indices, BatchNormalization's training outputs */
    if (r == ROLE_BINARY)
        return binary_operands_fit(g, n);
    const cg_shape *out = &g->values[n->outputs[0]].shape;
    for (int k = 0; k < n->n_inputs; k++) {
        int v = n->inputs[k];
        if (!is_data_slot(g, n, r, k) || (v < 0 && k > 0))
            continue;
        if (!float_4d(g, v) || (r == ROLE_UNARY && !cg_shape_equal(&g->values[v].shape, out)))
            return false;
    }
    return true;
}

static bool concat_on_channels(const cg_node *n)
{
    int64_t axis = cg_attr_int(n, "axis", 0);
    return axis == 1 || axis == -3;
}

/* The role node n takes in an NHWC region, or ROLE_NONE when it stays NCHW. */
static role capable(const cg_graph *g, const cg_node *n)
{
    role r = role_of_op(n);
    if (r == ROLE_NONE || n->n_inputs < 1 || !operands_fit(g, n, r))
        return ROLE_NONE;
    if (r == ROLE_CONCAT && !concat_on_channels(n))
        return ROLE_NONE;
    if (r == ROLE_BATCHNORM && cg_attr_int(n, "training_mode", 0) != 0)
        return ROLE_NONE; /* batch statistics: the reference kernel's alone */
    if (r == ROLE_CONV && !cg_fast_conv_nhwc_ok(g, n))
        return ROLE_NONE;
    return r;
}

/* Convs seed the regions; another capable node joins when one of its data
 * inputs comes from a node already in (nodes are in topological order). */
static void choose_nodes(const cg_graph *g, role *roles)
{
    bool *nhwc_value = calloc((size_t)(g->n_values ? g->n_values : 1), sizeof *nhwc_value);
    for (int i = 0; nhwc_value && i < g->n_nodes; i++) {
        const cg_node *n = &g->nodes[i];
        role r = capable(g, n);
        bool joins = r == ROLE_CONV;
        for (int k = 0; !joins && r != ROLE_NONE && k < n->n_inputs; k++)
            joins = n->inputs[k] >= 0 && is_data_slot(g, n, r, k) && nhwc_value[n->inputs[k]];
        roles[i] = joins ? r : ROLE_NONE;
        if (joins)
            nhwc_value[n->outputs[0]] = true;
    }
    if (!nhwc_value)
        memset(roles, 0, (size_t)g->n_nodes * sizeof *roles);
    free(nhwc_value);
}

/* A new value like v (dtype, shape), named after it and free. */
static int twin_value(cg_graph *g, int v, const char *suffix, cg_status *st)
{
    char name[512];
    snprintf(name, sizeof name - 24, "%s/%s", g->values[v].name, suffix); /* room for "_N" */
    size_t len = strlen(name);
    for (int i = 1; cg_graph_find(g, name) >= 0; i++)
        snprintf(name + len, sizeof name - len, "_%d", i);
    int t = cg_graph_intern(g, name, st);
    if (t >= 0) {
        g->values[t].dtype = g->values[v].dtype;
        g->values[t].shape = g->values[v].shape;
    }
    return t;
}

/* Appends Relayout(from) -> to, converting to layout `to_layout`. */
static cg_code add_relayout(cg_graph *g, int from, int to, const char *to_layout, cg_status *st)
{
    char name[512];
    snprintf(name, sizeof name, "%s/to_%s", g->values[from].name, to_layout);
    cg_node *n = cg_graph_add_node(g, name, "Relayout", CG_LAYOUT_DOMAIN, st);
    const char *in[] = {g->values[from].name}, *out[] = {g->values[to].name};
    if (!n || cg_node_set_inputs(g, n, in, 1, st) != CG_OK || cg_node_set_outputs(g, n, out, 1, st) != CG_OK)
        return st->code ? st->code : CG_ERR_NOMEM;
    return cg_node_set_string(n, "to", to_layout, st);
}

/* The NHWC twin of v for a reader inside a region: the chosen producer's
 * output, or a Relayout of v made on first need. */
static int nhwc_input(cg_graph *g, int v, int *twin, cg_status *st)
{
    if (twin[v] >= 0)
        return twin[v];
    int t = twin_value(g, v, "nhwc", st);
    if (t >= 0 && add_relayout(g, v, t, "NHWC", st) != CG_OK)
        return -1;
    return twin[v] = t;
}

/* Node i writes an NHWC twin of its output; its data inputs read NHWC twins. */
static cg_code convert_node(cg_graph *g, int i, role r, int *twin, cg_status *st)
{
    int v = g->nodes[i].outputs[0];
    int t = twin_value(g, v, "nhwc", st);
    if (t < 0)
        return st->code;
    g->nodes[i].outputs[0] = t;
    twin[v] = t;
    for (int k = 0; k < g->nodes[i].n_inputs; k++) {
        int in = g->nodes[i].inputs[k];
        if (in < 0 || !is_data_slot(g, &g->nodes[i], r, k))
            continue;
        int tin = nhwc_input(g, in, twin, st); /* may append nodes: index, not pointer */
        if (tin < 0)
            return st->code;
        g->nodes[i].inputs[k] = tin;
    }
    return cg_node_set_string(&g->nodes[i], "cg.layout", "NHWC", st);
}

/* Shape and Size read only the logical dims, which the NHWC twin shares:
 * they read the twin of a region's value, and need no conversion back. */
static void move_dims_readers(cg_graph *g, const int *produced_by_region, int n_values, const int *twin)
{
    for (int i = 0; i < g->n_nodes; i++) {
        cg_node *n = &g->nodes[i];
        bool dims_only = !n->domain[0] && (strcmp(n->op_type, "Shape") == 0 || strcmp(n->op_type, "Size") == 0);
        int v = n->n_inputs > 0 ? n->inputs[0] : -1;
        if (dims_only && v >= 0 && v < n_values && produced_by_region[v])
            n->inputs[0] = twin[v];
    }
}

/* Values the converted nodes no longer write in NCHW, but something still
 * reads (or the caller gets as an output): converted back once. */
static cg_code restore_nchw(cg_graph *g, const int *produced_by_region, int n_values, const int *twin,
                            cg_status *st)
{
    move_dims_readers(g, produced_by_region, n_values, twin);
    for (int v = 0; v < n_values; v++) {
        if (!produced_by_region[v] || (cg_graph_use_count(g, v) == 0 && !g->values[v].is_output))
            continue;
        cg_code rc = add_relayout(g, twin[v], v, "NCHW", st);
        if (rc != CG_OK)
            return rc;
    }
    return CG_OK;
}

static cg_code convert_regions(cg_graph *g, const role *roles, int *n_converted, cg_status *st)
{
    int n_nodes = g->n_nodes, n_values = g->n_values;
    int *twin = malloc((size_t)(n_values ? n_values : 1) * 2 * sizeof *twin);
    if (!twin)
        return cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", g->source);
    int *produced = twin + n_values;
    for (int v = 0; v < n_values; v++) {
        twin[v] = -1;
        produced[v] = 0;
    }
    cg_code rc = CG_OK;
    for (int i = 0; rc == CG_OK && i < n_nodes; i++) {
        if (roles[i] == ROLE_NONE)
            continue;
        produced[g->nodes[i].outputs[0]] = 1;
        rc = convert_node(g, i, roles[i], twin, st);
        ++*n_converted;
    }
    if (rc == CG_OK)
        rc = restore_nchw(g, produced, n_values, twin, st);
    free(twin);
    return rc;
}

/* A graph a session already laid out (a second session on it), or one built
 * with layouts by hand: converting it again would convert twice. */
static bool laid_out(const cg_graph *g)
{
    for (int i = 0; i < g->n_nodes; i++) {
        const cg_node *n = &g->nodes[i];
        if (cg_node_is_nhwc(n) || (strcmp(n->domain, CG_LAYOUT_DOMAIN) == 0 && strcmp(n->op_type, "Relayout") == 0))
            return true;
    }
    return false;
}

cg_code cg_session_layout_nhwc(cg_graph *g, int *n_converted, cg_status *st)
{
    *n_converted = 0;
    if (!cg_fast_conv_available() || g->n_nodes == 0 || laid_out(g))
        return CG_OK;
    role *roles = calloc((size_t)g->n_nodes, sizeof *roles);
    if (!roles)
        return cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", g->source);
    choose_nodes(g, roles);
    bool any = false;
    for (int i = 0; i < g->n_nodes; i++)
        any = any || roles[i] != ROLE_NONE;
    cg_code rc = CG_OK;
    if (any && cg_graph_opset(g, CG_LAYOUT_DOMAIN) == 0)
        rc = cg_graph_add_opset(g, CG_LAYOUT_DOMAIN, 1, st);
    if (rc == CG_OK && any)
        rc = convert_regions(g, roles, n_converted, st);
    free(roles);
    return rc == CG_OK && any ? cg_graph_toposort(g, st) : rc;
}
