/* fuse_conv_epilogue: a Conv followed by an activation, a residual Add, or an Add
 * then an activation, becomes one Conv that computes y = act(conv(x, W) + B + Z)
 * in its epilogue, so the conv output is written once instead of being read
 * and rewritten by each following elementwise node. Mul(v, Sigmoid(v)) (SiLU)
 * counts as one activation (Swish), Mul(v, HardSigmoid(v)) as HardSwish. The contract with the Conv kernel
 * (src/ops/conv.c): internal attributes cg.activation (STRING: Relu, Clip,
 * LeakyRelu, HardSwish, Sigmoid, HardSigmoid, Swish), cg.alpha (LeakyRelu,
 * HardSigmoid), cg.beta (HardSigmoid), cg.min/cg.max (Clip) and an optional
 * 4th input Z of the output's shape. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "convgraph/graph_edit.h"
#include "graph/pass_internal.h"

/* What gets folded into one Conv. */
typedef struct fusion {
    int add;       /* node index of the residual Add, -1 none */
    int z;         /* the Add's other input, -1 none */
    int act;       /* node index of the activation, -1 none */
    int act_mul;   /* SiLU: the Mul(v, Sigmoid(v)) after act, -1 none */
    const char *act_name;
    float alpha, beta, lo, hi;
    int out;       /* the value the fused Conv writes */
} fusion;

/* A float32 scalar's known contents (an initializer, or a Constant's output once
 * shapes were inferred), or dflt when the input is omitted; false when it is
 * present but not a constant float scalar. */
static bool const_scalar(const cg_graph *g, const cg_node *n, int k, float dflt, float *out)
{
    int v = k < n->n_inputs ? n->inputs[k] : -1;
    *out = dflt;
    if (v < 0)
        return true;
    const cg_value *val = &g->values[v];
    /* Other values may hold contents inferred from one run's inputs: not constants. */
    bool constant = val->is_initializer || (val->producer >= 0 && cg_pass_is_op(&g->nodes[val->producer], "Constant"));
    const cg_tensor *t = constant ? val->data : NULL;
    if (!t || t->dtype != CG_FLOAT || t->numel != 1)
        return false;
    *out = ((const float *)t->data)[0];
    return true;
}

/* Clip's bounds: attributes before opset 11 (Clip-6 defaults: the float range),
 * optional constant inputs from 11 (absent: no bound). */
static bool clip_bounds(const cg_graph *g, const cg_node *n, float *lo, float *hi)
{
    if (cg_graph_opset(g, n->domain) < 11) {
        *lo = cg_attr_float(n, "min", -FLT_MAX);
        *hi = cg_attr_float(n, "max", FLT_MAX);
        return true;
    }
    return const_scalar(g, n, 1, -INFINITY, lo) && const_scalar(g, n, 2, INFINITY, hi);
}

/* Whether node a is an activation the epilogue computes, reading v as its only
 * data input; fills f's activation fields. */
static bool take_activation(const cg_graph *g, int a, int v, fusion *f)
{
    static const char *const ACTS[] = {"Relu", "LeakyRelu", "HardSwish", "Sigmoid", "Clip", "HardSigmoid"};
    const cg_node *n = &g->nodes[a];
    if (n->n_inputs < 1 || n->inputs[0] != v || n->n_outputs != 1 || n->outputs[0] < 0)
        return false;
    for (size_t i = 0; i < sizeof ACTS / sizeof ACTS[0]; i++) {
        if (!cg_pass_is_op(n, ACTS[i]))
            continue;
        bool hard_sigmoid = strcmp(ACTS[i], "HardSigmoid") == 0; /* ONNX defaults differ */
        f->alpha = cg_attr_float(n, "alpha", hard_sigmoid ? 0.2f : 0.01f);
        f->beta = cg_attr_float(n, "beta", 0.5f);
        if (strcmp(ACTS[i], "Clip") == 0 && !clip_bounds(g, n, &f->lo, &f->hi))
            return false;
        if (strcmp(ACTS[i], "Clip") != 0 && n->n_inputs != 1)
            return false;
        f->act = a;
        f->act_name = ACTS[i];
        f->out = n->outputs[0];
        return true;
    }
    return false;
}

/* The node reading v at input k of a node other than `except`, when v has
 * exactly two reads and is no graph output; -1 otherwise. */
static int other_reader(const cg_graph *g, int v, int except)
{
    if (v < 0 || g->values[v].is_output || cg_graph_use_count(g, v) != 2)
        return -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; i != except && k < g->nodes[i].n_inputs; k++)
            if (g->nodes[i].inputs[k] == v)
                return i;
    return -1;
}

/* The activation a gate node computes as x * gate(x): Sigmoid gives SiLU
 * (Swish); HardSigmoid with alpha 1/6 and beta 1/2 gives HardSwish (how
 * torch.onnx writes nn.Hardswish below opset 14). NULL for anything else. */
static const char *gated_activation(const cg_node *n)
{
    if (cg_pass_is_op(n, "Sigmoid"))
        return "Swish";
    bool hard_swish = cg_pass_is_op(n, "HardSigmoid") && fabsf(cg_attr_float(n, "alpha", 0.2f) - 1.0f / 6) < 1e-7f &&
                      cg_attr_float(n, "beta", 0.5f) == 0.5f;
    return hard_swish ? "HardSwish" : NULL;
}

/* v * gate(v): s = gate(v) and Mul(v, s) (either order), v read by those two
 * only and s by the Mul only; one activation (gated_activation). */
static bool take_gated(const cg_graph *g, int v, fusion *f)
{
    int gate = -1;
    for (int i = 0; i < g->n_nodes && gate < 0; i++)
        if (gated_activation(&g->nodes[i]) && g->nodes[i].n_inputs == 1 && g->nodes[i].inputs[0] == v)
            gate = i;
    int s = gate >= 0 && g->nodes[gate].n_outputs == 1 ? g->nodes[gate].outputs[0] : -1;
    int mul = s >= 0 ? cg_pass_sole_reader(g, s) : -1;
    if (mul < 0 || other_reader(g, v, gate) != mul)
        return false;
    const cg_node *m = &g->nodes[mul];
    bool pair = m->n_inputs == 2 && ((m->inputs[0] == v && m->inputs[1] == s) ||
                                     (m->inputs[0] == s && m->inputs[1] == v));
    if (!cg_pass_is_op(m, "Mul") || !pair || m->n_outputs != 1 || m->outputs[0] < 0)
        return false;
    f->act = gate;
    f->act_mul = mul;
    f->act_name = gated_activation(&g->nodes[gate]);
    f->out = m->outputs[0];
    return true;
}

/* The activation reading v, alone or gated; fills f's activation fields. */
static bool take_any_activation(const cg_graph *g, int v, fusion *f)
{
    int r = cg_pass_sole_reader(g, v);
    return r >= 0 ? take_activation(g, r, v, f) : take_gated(g, v, f);
}

/* Whether node a is Add(v, z) or Add(z, v) with z of v's (provably equal) shape. */
static bool take_add(const cg_graph *g, int a, int v, fusion *f)
{
    const cg_node *n = &g->nodes[a];
    if (!cg_pass_is_op(n, "Add") || n->n_inputs != 2 || n->n_outputs != 1 || n->outputs[0] < 0)
        return false;
    int z = n->inputs[0] == v ? n->inputs[1] : n->inputs[1] == v ? n->inputs[0] : -1;
    if (z < 0 || z == v)
        return false;
    const cg_value *zv = &g->values[z], *vv = &g->values[v];
    if (zv->dtype != CG_FLOAT || vv->dtype != CG_FLOAT || vv->shape.rank < 0 ||
        !cg_shape_equal(&zv->shape, &vv->shape))
        return false;
    f->add = a;
    f->z = z;
    f->out = n->outputs[0];
    return true;
}

/* A float32 Conv with one output, not fused yet. */
static bool fusable_conv(const cg_graph *g, const cg_node *c)
{
    if (!cg_pass_is_op(c, "Conv") || c->n_inputs < 2 || c->n_inputs > 3 || c->n_outputs != 1 || c->outputs[0] < 0)
        return false;
    if (cg_node_attr(c, "cg.activation") || c->inputs[1] < 0)
        return false;
    return g->values[c->inputs[1]].dtype == CG_FLOAT;
}

/* What follows Conv c that can fold into it; false when nothing does. */
static bool find_fusion(const cg_graph *g, int c, fusion *f)
{
    *f = (fusion){.add = -1, .z = -1, .act = -1, .act_mul = -1, .out = -1};
    int y = g->nodes[c].outputs[0];
    if (take_any_activation(g, y, f))
        return true;
    int r = cg_pass_sole_reader(g, y);
    if (r < 0 || !take_add(g, r, y, f))
        return false;
    fusion with_act = *f;
    if (take_any_activation(g, f->out, &with_act))
        *f = with_act;
    return true;
}

static cg_code set_float_attr(cg_node *n, const char *name, float v, cg_status *st)
{
    cg_attr *a = cg_node_add_attr(n, name, st);
    if (!a)
        return CG_ERR_NOMEM;
    a->type = CG_ATTR_FLOAT;
    a->f = v;
    return CG_OK;
}

static cg_code set_activation_attrs(cg_node *c, const fusion *f, cg_status *st)
{
    if (f->act < 0)
        return CG_OK;
    cg_code rc = cg_node_set_string(c, "cg.activation", f->act_name, st);
    bool hard_sigmoid = strcmp(f->act_name, "HardSigmoid") == 0;
    if (rc == CG_OK && (strcmp(f->act_name, "LeakyRelu") == 0 || hard_sigmoid))
        rc = set_float_attr(c, "cg.alpha", f->alpha, st);
    if (rc == CG_OK && hard_sigmoid)
        rc = set_float_attr(c, "cg.beta", f->beta, st);
    if (rc == CG_OK && strcmp(f->act_name, "Clip") == 0)
        rc = set_float_attr(c, "cg.min", f->lo, st);
    if (rc == CG_OK && strcmp(f->act_name, "Clip") == 0)
        rc = set_float_attr(c, "cg.max", f->hi, st);
    return rc;
}

/* Marks node i (if any) for removal and clears its inputs and outputs, so use
 * counts seen by the Convs still to come are those of the rewritten graph. */
static void cut_loose(cg_graph *g, int i, bool *remove)
{
    if (i < 0)
        return;
    cg_node *n = &g->nodes[i];
    remove[i] = true;
    for (int k = 0; k < n->n_inputs; k++)
        n->inputs[k] = -1;
    for (int k = 0; k < n->n_outputs; k++)
        n->outputs[k] = -1;
}

/* Rewires Conv c to read Z (if any) and write f->out; the fused nodes are marked. */
static cg_code apply_fusion(cg_graph *g, int c, const fusion *f, bool *remove, cg_status *st)
{
    cg_node *conv = &g->nodes[c];
    int old_out = conv->outputs[0];
    if (f->z >= 0) {
        const char *ins[4] = {g->values[conv->inputs[0]].name, g->values[conv->inputs[1]].name, "",
                              g->values[f->z].name};
        if (conv->n_inputs > 2 && conv->inputs[2] >= 0)
            ins[2] = g->values[conv->inputs[2]].name;
        cg_code rc = cg_node_set_inputs(g, conv, ins, 4, st);
        if (rc != CG_OK)
            return rc;
    }
    cg_code rc = set_activation_attrs(conv, f, st);
    if (rc != CG_OK)
        return rc;
    conv->outputs[0] = f->out;
    g->values[old_out].producer = -1;
    g->values[f->out].producer = c;
    cut_loose(g, f->add, remove);
    cut_loose(g, f->act, remove);
    cut_loose(g, f->act_mul, remove);
    return CG_OK;
}

/* A note for a Conv whose output reaches an op the epilogue could compute, but
 * that must stay visible: other readers, or a graph output. */
static void note_blocked(const cg_graph *g, int c, cg_pass_report *rep)
{
    static const char *const OPS[] = {"Relu", "LeakyRelu", "HardSwish", "Sigmoid", "Clip", "HardSigmoid", "Add"};
    int y = g->nodes[c].outputs[0], readers = cg_graph_use_count(g, y);
    bool fusable_reader = false;
    for (int i = 0; i < g->n_nodes && !fusable_reader; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++)
            for (size_t o = 0; o < sizeof OPS / sizeof OPS[0]; o++)
                fusable_reader |= g->nodes[i].inputs[k] == y && cg_pass_is_op(&g->nodes[i], OPS[o]);
    if (fusable_reader && g->values[y].is_output)
        cg_pass_note(rep, g, &g->nodes[c], "not fused: its output is a graph output");
    else if (fusable_reader && readers > 1)
        cg_pass_note(rep, g, &g->nodes[c], "not fused: its output has %d readers", readers);
}

cg_code cg_pass_fuse_conv_epilogue(cg_graph *g, cg_pass_report *rep, cg_status *st)
{
    bool *remove = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof *remove);
    if (!remove)
        return cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", g->source);
    cg_code rc = CG_OK;
    for (int c = 0; rc == CG_OK && c < g->n_nodes; c++) {
        fusion f;
        if (remove[c] || !fusable_conv(g, &g->nodes[c]))
            continue;
        if (!find_fusion(g, c, &f)) {
            note_blocked(g, c, rep);
            continue;
        }
        rc = apply_fusion(g, c, &f, remove, st);
        if (rc == CG_OK && rep)
            rep->changed++;
    }
    cg_graph_remove_nodes(g, remove);
    free(remove);
    if (rc != CG_OK)
        return rc;
    rc = cg_graph_compact_values(g, st);
    return rc == CG_OK ? cg_graph_toposort(g, st) : rc;
}
