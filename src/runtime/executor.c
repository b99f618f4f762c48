/* The executor: binds the caller's inputs, infers shapes and plans every
 * intermediate tensor into one arena when the input shapes change (plan.c),
 * then runs every node's kernel in topological order. Initializers are read in
 * place; graph outputs get their own tensors, handed to the caller. With
 * CG_KERNELS_FAST the graph is rewritten once, when the session is made
 * (rewrite.c), and elementwise nodes may overwrite an input that dies there. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "convgraph/infer.h"
#include "convgraph/ops.h"
#include "convgraph/runtime.h"
#include "runtime/plan.h"
#include "runtime/rewrite.h"

/* Inputs at most this large are handed to shape inference as known contents, so
 * that shape-computing inputs (Reshape's shape, Resize's scales) resolve. */
enum { KNOWN_INPUT_MAX_ELEMENTS = 64, KNOWN_INPUT_MAX_BYTES = KNOWN_INPUT_MAX_ELEMENTS * 16 };

/* A graph input as the current plan saw it: a change of dtype or shape, or of
 * the contents of a small input (shapes may depend on them), means re-planning. */
typedef struct planned_input {
    cg_dtype dtype;
    int rank;
    int64_t dims[CG_MAX_RANK];
    size_t known_bytes; /* contents kept when the input is small, else 0 */
    unsigned char known[KNOWN_INPUT_MAX_BYTES];
} planned_input;

struct cg_session {
    cg_graph *g;
    cg_run_options opts;
    int n_values, n_nodes;  /* the graph's size once the session rewrote it */
    int n_fused;            /* Convs that took an activation or Add into their epilogue */
    /* per run */
    cg_tensor **vals;       /* per value: the tensor computed or bound this run */
    bool *owned;            /* per value: vals[v] was allocated by this run */
    int *last_use;          /* per value: index of the last node reading it, -1 none */
    cg_shape *saved_shapes; /* graph inputs' declared shapes, restored after inference */
    /* the memory plan, kept while the inputs keep their shapes */
    bool planned;
    planned_input *plan_inputs; /* per graph input */
    cg_plan plan;
    cg_tensor *views;       /* per value: its view into the arena (plan.offset >= 0) */
    void *arena;
    size_t arena_cap;
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

/* Output k of node i: its arena view (zeroed unless the kernel writes every
 * element, as ops.h promises zero-filled outputs), or a new tensor for graph
 * outputs and anything the plan left out. */
static cg_code alloc_output(run_state *rs, int i, int k, cg_tensor **out, cg_status *st)
{
    const cg_node *n = &rs->g->nodes[i];
    int v = n->outputs[k];
    *out = NULL;
    if (v < 0)
        return CG_OK;
    if (rs->plan.offset[v] >= 0) {
        *out = rs->vals[v] = &rs->views[v];
        bool in_place = k == 0 && rs->plan.in_place[i];
        if (!in_place && !cg_plan_writes_every_element(n) && (*out)->nbytes)
            memset((*out)->data, 0, (*out)->nbytes);
        return CG_OK;
    }
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
    if (!(*out = cg_tensor_new(val->dtype, val->shape.rank, dims, &tst)))
        return cg_fail_node(st, tst.code, rs->g, n, "output '%s': %s", val->name, tst.msg);
    rs->vals[v] = *out;
    rs->owned[v] = true;
    return CG_OK;
}

static cg_code alloc_outputs(run_state *rs, int i, cg_tensor **outs, cg_status *st)
{
    cg_code rc = CG_OK;
    for (int k = 0; rc == CG_OK && k < rs->g->nodes[i].n_outputs; k++)
        rc = alloc_output(rs, i, k, &outs[k], st);
    return rc;
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
    cg_code rc = alloc_outputs(rs, i, outs, st);
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

/* Bytes of t kept to compare runs by: all of a small input, none of another. */
static size_t known_bytes(const cg_tensor *t)
{
    return t->numel <= KNOWN_INPUT_MAX_ELEMENTS && t->nbytes <= KNOWN_INPUT_MAX_BYTES ? t->nbytes : 0;
}

/* True when this run's inputs differ from those the plan was made for. */
static bool inputs_changed(const run_state *rs)
{
    const cg_graph *g = rs->g;
    for (int i = 0; i < g->n_inputs; i++) {
        const cg_tensor *t = rs->vals[g->inputs[i]];
        const planned_input *p = &rs->plan_inputs[i];
        if (t->dtype != p->dtype || t->rank != p->rank ||
            memcmp(t->dims, p->dims, (size_t)t->rank * sizeof t->dims[0]) != 0)
            return true;
        size_t known = known_bytes(t);
        if (known != p->known_bytes || (known && memcmp(t->data, p->known, known) != 0))
            return true;
    }
    return false;
}

static void remember_inputs(run_state *rs)
{
    const cg_graph *g = rs->g;
    for (int i = 0; i < g->n_inputs; i++) {
        const cg_tensor *t = rs->vals[g->inputs[i]];
        planned_input *p = &rs->plan_inputs[i];
        p->dtype = t->dtype;
        p->rank = t->rank;
        memcpy(p->dims, t->dims, sizeof p->dims);
        p->known_bytes = known_bytes(t);
        if (p->known_bytes)
            memcpy(p->known, t->data, p->known_bytes);
    }
}

/* Grows the arena to the plan's size (it never shrinks: a session that saw a
 * big input keeps room for it). */
static cg_code reserve_arena(run_state *rs, cg_status *st)
{
    size_t need = (rs->plan.arena_bytes + CG_PLAN_ALIGN - 1) / CG_PLAN_ALIGN * CG_PLAN_ALIGN;
    if (need <= rs->arena_cap)
        return CG_OK;
    free(rs->arena);
    rs->arena_cap = 0;
    if (!(rs->arena = aligned_alloc(CG_PLAN_ALIGN, need)))
        return cg_fail(st, CG_ERR_NOMEM, "%s: out of memory for %zu bytes of intermediate tensors",
                       rs->g->source, need);
    rs->arena_cap = need;
    return CG_OK;
}

/* Every planned value's tensor: a view at its offset in the arena. */
static cg_code make_views(run_state *rs, cg_status *st)
{
    const cg_graph *g = rs->g;
    for (int v = 0; v < g->n_values; v++) {
        if (rs->plan.offset[v] < 0)
            continue;
        const cg_value *val = &g->values[v];
        int64_t dims[CG_MAX_RANK];
        for (int d = 0; d < val->shape.rank; d++)
            dims[d] = val->shape.d[d].v;
        void *at = rs->arena ? (char *)rs->arena + rs->plan.offset[v] : NULL; /* NULL: nothing to hold */
        cg_code rc = cg_tensor_view_init(&rs->views[v], val->dtype, val->shape.rank, dims, at, st);
        if (rc != CG_OK)
            return rc;
    }
    return CG_OK;
}

/* Infers shapes and plans memory for this run's inputs, unless the plan made
 * for the previous run still holds (then nothing is allocated). */
static cg_code prepare(run_state *rs, cg_status *st)
{
    if (rs->planned && !inputs_changed(rs))
        return CG_OK;
    rs->planned = false;
    expose_inputs(rs);
    cg_code rc = cg_graph_infer_shapes(rs->g, NULL, st);
    restore_inputs(rs);
    if (rc == CG_OK)
        rc = cg_plan_build(rs->g, rs->opts.kernels == CG_KERNELS_FAST, &rs->plan, st);
    if (rc == CG_OK)
        rc = reserve_arena(rs, st);
    if (rc == CG_OK)
        rc = make_views(rs, st);
    if (rc != CG_OK)
        return rc;
    compute_last_use(rs);
    remember_inputs(rs);
    rs->planned = true;
    return CG_OK;
}

static cg_code run_all(run_state *rs, const cg_named_tensor *inputs, int n_inputs,
                       cg_named_tensor **outputs, int *n_outputs, cg_status *st)
{
    cg_code rc = bind_inputs(rs, inputs, n_inputs, st);
    if (rc == CG_OK)
        rc = prepare(rs, st);
    for (int i = 0; rc == CG_OK && i < rs->g->n_nodes; i++)
        rc = run_node(rs, i, st);
    if (rc == CG_OK)
        rc = collect_outputs(rs, outputs, n_outputs, st);
    return rc;
}

static cg_session *session_alloc(cg_graph *g, const cg_run_options *opt)
{
    cg_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->g = g;
    if (opt)
        s->opts = *opt;
    s->n_values = g->n_values;
    s->n_nodes = g->n_nodes;
    size_t nv = (size_t)(g->n_values > 0 ? g->n_values : 1), nn = (size_t)(g->n_nodes > 0 ? g->n_nodes : 1);
    size_t ni = (size_t)(g->n_inputs > 0 ? g->n_inputs : 1);
    s->vals = calloc(nv, sizeof *s->vals);
    s->owned = calloc(nv, sizeof *s->owned);
    s->last_use = calloc(nv, sizeof *s->last_use);
    s->views = calloc(nv, sizeof *s->views);
    s->saved_shapes = calloc(ni, sizeof *s->saved_shapes);
    s->plan_inputs = calloc(ni, sizeof *s->plan_inputs);
    s->state = calloc(nn, sizeof *s->state);
    s->state_free = calloc(nn, sizeof *s->state_free);
    s->times = calloc(nn, sizeof *s->times);
    if (!s->vals || !s->owned || !s->last_use || !s->views || !s->saved_shapes || !s->plan_inputs ||
        !s->state || !s->state_free || !s->times) {
        cg_session_free(s);
        return NULL;
    }
    return s;
}

/* cg_graph_run is the one-shot case: FAST kernels, but the caller's graph is
 * left as it is (a rewrite pays off over many runs, and a caller asking for one
 * run does not expect its graph to change). */
static cg_session *session_new(cg_graph *g, const cg_run_options *opt, bool rewrite, cg_status *st)
{
    int fused = 0;
    bool fast = !opt || opt->kernels == CG_KERNELS_FAST;
    if (rewrite && fast && cg_session_rewrite(g, &fused, st) != CG_OK)
        return NULL;
    cg_session *s = session_alloc(g, opt);
    if (!s) {
        cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", g->source);
        return NULL;
    }
    s->n_fused = fused;
    return s;
}

cg_session *cg_session_new(cg_graph *g, const cg_run_options *opt, cg_status *st)
{
    return session_new(g, opt, true, st);
}

void cg_session_free(cg_session *s)
{
    if (!s)
        return;
    for (int i = 0; s->state && i < s->n_nodes; i++)
        if (s->state[i] && s->state_free[i])
            s->state_free[i](s->state[i]);
    cg_plan_free(&s->plan);
    free(s->arena);
    free(s->vals);
    free(s->owned);
    free(s->last_use);
    free(s->views);
    free(s->saved_shapes);
    free(s->plan_inputs);
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

void cg_session_memory(const cg_session *s, cg_session_memory_info *info)
{
    memset(info, 0, sizeof *info);
    info->arena_bytes = s->planned ? s->plan.arena_bytes : 0;
    info->arena_reserved = s->arena_cap;
    info->intermediate_bytes = s->planned ? s->plan.sum_bytes : 0;
    info->in_place_nodes = s->planned ? s->plan.n_in_place : 0;
    info->fused_convs = s->n_fused;
    for (int v = 0; v < s->g->n_values; v++)
        if (s->g->values[v].is_initializer && s->g->values[v].data)
            info->weight_bytes += s->g->values[v].data->nbytes;
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
    cg_session *s = session_new(g, NULL, false, st);
    if (!s)
        return st && st->code != CG_OK ? st->code : CG_ERR_NOMEM;
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
