/* The reference executor: infers shapes for the given inputs, then runs every
 * node's kernel in topological order, freeing each intermediate after its last
 * use. Initializers are read in place. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "convgraph/infer.h"
#include "convgraph/ops.h"
#include "convgraph/runtime.h"

/* Inputs at most this large are handed to shape inference as known contents, so
 * that shape-computing inputs (Reshape's shape, Resize's scales) resolve. */
enum { KNOWN_INPUT_MAX_ELEMENTS = 64 };

struct cg_session {
    cg_graph *g;
    cg_run_options opts;
    int n_values, n_nodes;  /* the graph's size when the session was made */
    /* per run */
    cg_tensor **vals;       /* per value: the tensor computed or bound this run */
    bool *owned;            /* per value: vals[v] was allocated by this run */
    int *last_use;          /* per value: index of the last node reading it, -1 none */
    cg_shape *saved_shapes; /* graph inputs' declared shapes, restored after */
    /* per node, across runs */
    void **state;
    void (**state_free)(void *);
    cg_node_time *times;
};

typedef struct cg_session run_state;

void cg_named_tensors_free(cg_named_tensor *list, int n)
{
    for (int i = 0; list && i < n; i++) {
        free(list[i].name);
        cg_tensor_free(list[i].tensor);
    }
    free(list);
}

static cg_code check_input_matches(const cg_graph *g, const cg_value *v, const cg_tensor *t,
                                   cg_status *st)
{
    cg_shape got = cg_tensor_shape(t);
    bool ok = v->dtype == CG_UNDEFINED || v->dtype == t->dtype;
    ok = ok && (v->shape.rank < 0 || v->shape.rank == t->rank);
    for (int i = 0; ok && v->shape.rank >= 0 && i < t->rank; i++)
        ok = !cg_dim_is_known(v->shape.d[i]) || v->shape.d[i].v == t->dims[i];
    if (ok)
        return CG_OK;
    char want_s[256], got_s[256];
    cg_shape_format(&v->shape, want_s, sizeof want_s);
    cg_shape_format(&got, got_s, sizeof got_s);
    return cg_fail(st, CG_ERR_INVALID, "%s: input '%s' expects %s %s but got %s %s", g->source, v->name,
                   cg_dtype_name(v->dtype), want_s, cg_dtype_name(t->dtype), got_s);
}

/* Binds each named tensor to its graph input; every graph input must be given. */
static cg_code bind_inputs(run_state *rs, const cg_named_tensor *inputs, int n, cg_status *st)
{
    cg_graph *g = rs->g;
    for (int i = 0; i < n; i++) {
        int v = cg_graph_find(g, inputs[i].name);
        if (v < 0 || !g->values[v].is_input)
            return cg_fail(st, CG_ERR_INVALID, "%s: '%s' is not an input of the model", g->source,
                           inputs[i].name);
        if (rs->vals[v])
            return cg_fail(st, CG_ERR_INVALID, "%s: input '%s' is given twice", g->source, inputs[i].name);
        cg_code rc = check_input_matches(g, &g->values[v], inputs[i].tensor, st);
        if (rc != CG_OK)
            return rc;
        rs->vals[v] = inputs[i].tensor;
    }
    for (int i = 0; i < g->n_inputs; i++) {
        const cg_value *v = &g->values[g->inputs[i]];
        if (!rs->vals[g->inputs[i]]) {
            char shape_s[256];
            cg_shape_format(&v->shape, shape_s, sizeof shape_s);
            return cg_fail(st, CG_ERR_INVALID, "%s: missing input '%s' (%s %s)", g->source, v->name,
                           cg_dtype_name(v->dtype), shape_s);
        }
    }
    return CG_OK;
}

/* Shapes of this run's inputs (and contents of the small ones) for inference. */
static void expose_inputs(run_state *rs)
{
    cg_graph *g = rs->g;
    for (int i = 0; i < g->n_inputs; i++) {
        cg_value *v = &g->values[g->inputs[i]];
        const cg_tensor *t = rs->vals[g->inputs[i]];
        rs->saved_shapes[i] = v->shape;
        v->shape = cg_tensor_shape(t);
        v->dtype = t->dtype;
        if (t->numel <= KNOWN_INPUT_MAX_ELEMENTS)
            v->data = (cg_tensor *)t; /* borrowed; detached again in restore_inputs */
    }
}

static void restore_inputs(run_state *rs)
{
    cg_graph *g = rs->g;
    for (int i = 0; i < g->n_inputs; i++) {
        cg_value *v = &g->values[g->inputs[i]];
        if (v->data == rs->vals[g->inputs[i]])
            v->data = NULL;
        v->shape = rs->saved_shapes[i];
    }
}

static void compute_last_use(run_state *rs)
{
    const cg_graph *g = rs->g;
    for (int v = 0; v < g->n_values; v++)
        rs->last_use[v] = -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++)
            if (g->nodes[i].inputs[k] >= 0)
                rs->last_use[g->nodes[i].inputs[k]] = i;
}

static cg_code alloc_outputs(run_state *rs, const cg_node *n, cg_tensor **outs, cg_status *st)
{
    for (int k = 0; k < n->n_outputs; k++) {
        int v = n->outputs[k];
        outs[k] = NULL;
        if (v < 0)
            continue;
        const cg_value *val = &rs->g->values[v];
        if (!cg_shape_is_static(&val->shape)) {
            char s[256];
            cg_shape_format(&val->shape, s, sizeof s);
            return cg_fail_node(st, CG_ERR_UNSUPPORTED, rs->g, n, "output '%s' has no concrete shape (%s)",
                                val->name, s);
        }
        int64_t dims[CG_MAX_RANK];
        for (int d = 0; d < val->shape.rank; d++)
            dims[d] = val->shape.d[d].v;
        cg_status tst = {0};
        if (!(outs[k] = cg_tensor_new(val->dtype, val->shape.rank, dims, &tst)))
            return cg_fail_node(st, tst.code, rs->g, n, "output '%s': %s", val->name, tst.msg);
        rs->vals[v] = outs[k];
        rs->owned[v] = true;
    }
    return CG_OK;
}

static const cg_tensor *value_tensor(const run_state *rs, int v)
{
    if (v < 0)
        return NULL;
    return rs->vals[v] ? rs->vals[v] : rs->g->values[v].is_initializer ? rs->g->values[v].data : NULL;
}

static void release_after(run_state *rs, int node)
{
    const cg_node *n = &rs->g->nodes[node];
    for (int pass = 0; pass < 2; pass++) {
        int count = pass ? n->n_outputs : n->n_inputs;
        const int *list = pass ? n->outputs : n->inputs;
        for (int k = 0; k < count; k++) {
            int v = list[k];
            if (v < 0 || !rs->owned[v] || rs->g->values[v].is_output || rs->last_use[v] > node)
                continue;
            cg_tensor_free(rs->vals[v]);
            rs->vals[v] = NULL;
            rs->owned[v] = false;
        }
    }
}

static cg_code run_node(run_state *rs, int i, cg_status *st)
{
    cg_graph *g = rs->g;
    const cg_node *n = &g->nodes[i];
    if (!n->def || !n->def->run)
        return cg_fail_node(st, CG_ERR_UNSUPPORTED, g, n, "no kernel for %s", n->op_type);
    const cg_tensor *ins[64];
    cg_tensor *outs[64];
    if (n->n_inputs > 64 || n->n_outputs > 64)
        return cg_fail_node(st, CG_ERR_UNSUPPORTED, g, n, "more than 64 inputs or outputs");
    for (int k = 0; k < n->n_inputs; k++)
        ins[k] = value_tensor(rs, n->inputs[k]);
    cg_code rc = alloc_outputs(rs, n, outs, st);
    if (rc != CG_OK)
        return rc;
    cg_run_ctx ctx = {g,     n,       cg_graph_opset(g, n->domain), n->n_inputs, ins, n->n_outputs, outs, st,
                      &rs->opts, &rs->state[i], &rs->state_free[i]};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = n->def->run(&ctx);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    rs->times[i].node = n;
    rs->times[i].total_ms += (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    rs->times[i].calls++;
    rs->times[i].flops = n->macs > 0 ? 2 * n->macs : 0;
    release_after(rs, i);
    return rc;
}

static cg_code collect_outputs(run_state *rs, cg_named_tensor **outputs, int *n_outputs, cg_status *st)
{
    cg_graph *g = rs->g;
    cg_named_tensor *list = calloc((size_t)(g->n_outputs ? g->n_outputs : 1), sizeof *list);
    if (!list)
        return cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", g->source);
    for (int i = 0; i < g->n_outputs; i++) {
        int v = g->outputs[i];
        const cg_tensor *t = value_tensor(rs, v);
        size_t len = strlen(g->values[v].name) + 1;
        list[i].name = malloc(len);
        if (list[i].name)
            memcpy(list[i].name, g->values[v].name, len);
        if (rs->owned[v]) { /* hand the computed tensor over */
            list[i].tensor = rs->vals[v];
            rs->vals[v] = NULL;
            rs->owned[v] = false;
        } else if (t) {
            list[i].tensor = cg_tensor_clone(t, NULL);
        }
        if (!list[i].name || !list[i].tensor) {
            cg_named_tensors_free(list, i + 1);
            return cg_fail(st, CG_ERR_NOMEM, "%s: output '%s' was not produced", g->source, g->values[v].name);
        }
    }
    *outputs = list;
    *n_outputs = g->n_outputs;
    return CG_OK;
}

static cg_code run_all(run_state *rs, const cg_named_tensor *inputs, int n_inputs,
                       cg_named_tensor **outputs, int *n_outputs, cg_status *st)
{
    cg_code rc = bind_inputs(rs, inputs, n_inputs, st);
    if (rc != CG_OK)
        return rc;
    expose_inputs(rs);
    rc = cg_graph_infer_shapes(rs->g, NULL, st);
    compute_last_use(rs);
    for (int i = 0; rc == CG_OK && i < rs->g->n_nodes; i++)
        rc = run_node(rs, i, st);
    if (rc == CG_OK)
        rc = collect_outputs(rs, outputs, n_outputs, st);
    restore_inputs(rs);
    return rc;
}

cg_session *cg_session_new(cg_graph *g, const cg_run_options *opt, cg_status *st)
{
    cg_session *s = calloc(1, sizeof *s);
    if (!s) {
        cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", g->source);
        return NULL;
    }
    s->g = g;
    if (opt)
        s->opts = *opt;
    s->n_values = g->n_values;
    s->n_nodes = g->n_nodes;
    size_t nv = (size_t)(g->n_values > 0 ? g->n_values : 1), nn = (size_t)(g->n_nodes > 0 ? g->n_nodes : 1);
    s->vals = calloc(nv, sizeof *s->vals);
    s->owned = calloc(nv, sizeof *s->owned);
    s->last_use = calloc(nv, sizeof *s->last_use);
    s->saved_shapes = calloc((size_t)(g->n_inputs > 0 ? g->n_inputs : 1), sizeof *s->saved_shapes);
    s->state = calloc(nn, sizeof *s->state);
    s->state_free = calloc(nn, sizeof *s->state_free);
    s->times = calloc(nn, sizeof *s->times);
    if (!s->vals || !s->owned || !s->last_use || !s->saved_shapes || !s->state || !s->state_free || !s->times) {
        cg_session_free(s);
        cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", g->source);
        return NULL;
    }
    return s;
}

void cg_session_free(cg_session *s)
{
    if (!s)
        return;
    for (int i = 0; s->state && i < s->n_nodes; i++)
        if (s->state[i] && s->state_free[i])
            s->state_free[i](s->state[i]);
    free(s->vals);
    free(s->owned);
    free(s->last_use);
    free(s->saved_shapes);
    free(s->state);
    free(s->state_free);
    free(s->times);
    free(s);
}

cg_code cg_session_run(cg_session *s, const cg_named_tensor *inputs, int n_inputs,
                       cg_named_tensor **outputs, int *n_outputs, cg_status *st)
{
    *outputs = NULL;
    *n_outputs = 0;
    if (s->g->n_values != s->n_values || s->g->n_nodes != s->n_nodes)
        return cg_fail(st, CG_ERR_INVALID, "%s: the graph changed after its session was made", s->g->source);
    memset(s->vals, 0, (size_t)s->n_values * sizeof *s->vals);
    memset(s->owned, 0, (size_t)s->n_values * sizeof *s->owned);
    cg_code rc = run_all(s, inputs, n_inputs, outputs, n_outputs, st);
    for (int v = 0; v < s->n_values; v++)
        if (s->owned[v]) {
            cg_tensor_free(s->vals[v]);
            s->owned[v] = false;
        }
    return rc;
}

int cg_session_profile(const cg_session *s, cg_node_time *out, int max)
{
    for (int i = 0; i < s->n_nodes && i < max; i++) {
        out[i] = s->times[i];
        out[i].node = &s->g->nodes[i];
    }
    return s->n_nodes;
}

cg_code cg_graph_run(cg_graph *g, const cg_named_tensor *inputs, int n_inputs,
                     cg_named_tensor **outputs, int *n_outputs, cg_status *st)
{
    *outputs = NULL;
    *n_outputs = 0;
    cg_session *s = cg_session_new(g, NULL, st);
    if (!s)
        return CG_ERR_NOMEM;
    cg_code rc = cg_session_run(s, inputs, n_inputs, outputs, n_outputs, st);
    cg_session_free(s);
    return rc;
}

cg_code cg_graph_input_dims(const cg_graph *g, int value, const cg_infer_options *opt, int *rank,
                            int64_t *dims, cg_status *st)
{
    const cg_value *v = &g->values[value];
    cg_shape s = v->shape;
    for (int i = 0; opt && i < opt->n_pins; i++)
        if (strcmp(opt->pins[i].name, v->name) == 0)
            s = cg_shape_of(opt->pins[i].rank, opt->pins[i].dims);
    if (!cg_shape_is_static(&s)) {
        char shape_s[256];
        cg_shape_format(&s, shape_s, sizeof shape_s);
        return cg_fail(st, CG_ERR_INVALID, "%s: input '%s' has shape %s; give it with --input-shape %s:D1,D2,...",
                       g->source, v->name, shape_s, v->name);
    }
    *rank = s.rank;
    for (int i = 0; i < s.rank; i++)
        dims[i] = s.d[i].v;
    return CG_OK;
}
