/* The executor's memory plan: liveness of every intermediate tensor, in-place
 * elementwise nodes, and offsets in one arena by "greedy by size" (largest
 * tensor first, each at the lowest offset that no tensor alive at the same
 * time occupies), as TensorFlow Lite's arena planner does. */
#include "runtime/plan.h"

#include "convgraph/ops.h"

#include <stdlib.h>
#include <string.h>

/* Kernels that read input 0 element e before writing output element e, and
 * write every element (src/ops/activation.c: unary loops o[e] = f(x[e]), Clip
 * v = x[e] ... o[e] = v; src/ops/elementwise.c: the output starts as a copy of
 * input 0, then o[e] = o[e] op in_k[...]), so output 0 may share input 0's bytes.
 * Binary ops only ever overwrite input 0: input 1 is read after input 0 has been
 * copied over the output. */
static const char *const IN_PLACE_OPS[] = {
    "Relu", "LeakyRelu", "Elu", "Selu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Sqrt", "Erf",
    "Exp",  "Log",       "Neg", "Abs",  "Reciprocal", "Clip", "Add", "Sub", "Mul", "Div", "Max", "Min",
};

/* Kernels that write every element of output 0 (no zero fill needed): the
 * in-place ones, Conv (src/ops/conv.c stores each accumulated plane; a fast
 * kernel must do the same), and the rest of the elementwise family. */
static const char *const FULL_WRITE_OPS[] = {"Conv", "Pow", "Sum", "Mean"};

static bool op_in(const cg_node *n, const char *const *list, size_t count)
{
    if (n->domain[0])
        return false;
    for (size_t i = 0; i < count; i++)
        if (strcmp(n->op_type, list[i]) == 0)
            return true;
    return false;
}

static bool op_in_place(const cg_node *n)
{
    return op_in(n, IN_PLACE_OPS, sizeof IN_PLACE_OPS / sizeof IN_PLACE_OPS[0]);
}

/* Also every node of a channels-last region and its Relayouts: Relayout is a
 * transpose, and the NHWC pool, global pool and Concat kernels (src/ops/nhwc.h,
 * shape_concat.c) store every output pixel, empty windows included, or fail. */
bool cg_plan_writes_every_element(const cg_node *n)
{
    return op_in_place(n) || op_in(n, FULL_WRITE_OPS, sizeof FULL_WRITE_OPS / sizeof FULL_WRITE_OPS[0]) ||
           cg_node_is_nhwc(n) || strcmp(n->domain, CG_LAYOUT_DOMAIN) == 0;
}

/* Bytes of value v rounded up to CG_PLAN_ALIGN, or -1 when v is not an
 * intermediate with a static, sane size. */
static int64_t planned_bytes(const cg_graph *g, int v)
{
    const cg_value *val = &g->values[v];
    if (val->producer < 0 || val->is_output || val->is_initializer || val->is_input)
        return -1;
    size_t esize = cg_dtype_size(val->dtype);
    int64_t numel = cg_shape_is_static(&val->shape) ? cg_shape_numel(&val->shape) : -1, bytes;
    if (esize == 0 || numel < 0 || cg_mul_overflows(numel, (int64_t)esize, &bytes) ||
        bytes > CG_TENSOR_MAX_BYTES)
        return -1;
    return (bytes + CG_PLAN_ALIGN - 1) / CG_PLAN_ALIGN * CG_PLAN_ALIGN;
}

typedef struct buffer {
    int64_t size, offset;
    int first, last; /* nodes between which it is alive, inclusive */
} buffer;

typedef struct planner {
    const cg_graph *g;
    int *last_use; /* per value: last node reading it, -1 none */
    int *buf_of;   /* per value: its buffer, -1 not planned */
    buffer *bufs;
    int n_bufs;
} planner;

static void compute_last_use(planner *pl)
{
    const cg_graph *g = pl->g;
    for (int v = 0; v < g->n_values; v++)
        pl->last_use[v] = -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++)
            if (g->nodes[i].inputs[k] >= 0)
                pl->last_use[g->nodes[i].inputs[k]] = i;
}

/* Node i may write output 0 over input 0: an in-place op whose input 0 is a
 * planned intermediate of the output's dtype and shape, read only by this node
 * (once) from here on. */
static bool can_run_in_place(const planner *pl, int i)
{
    const cg_graph *g = pl->g;
    const cg_node *n = &g->nodes[i];
    if (!op_in_place(n) || n->n_outputs != 1 || n->n_inputs < 1 || n->inputs[0] < 0)
        return false;
    int x = n->inputs[0], y = n->outputs[0];
    if (pl->buf_of[x] < 0 || pl->last_use[x] != i)
        return false;
    for (int k = 1; k < n->n_inputs; k++)
        if (n->inputs[k] == x)
            return false;
    const cg_value *xv = &g->values[x], *yv = &g->values[y];
    return xv->dtype == yv->dtype && cg_shape_equal(&xv->shape, &yv->shape);
}

/* Assigns every planned value of node i a buffer: input 0's when in place,
 * else a new one alive from i to its last reader. */
static void assign_buffers(planner *pl, int i, bool allow_in_place, cg_plan *p)
{
    const cg_node *n = &pl->g->nodes[i];
    for (int k = 0; k < n->n_outputs; k++) {
        int v = n->outputs[k];
        int64_t bytes = v >= 0 ? planned_bytes(pl->g, v) : -1;
        if (bytes < 0)
            continue;
        p->sum_bytes += (size_t)bytes;
        int last = pl->last_use[v] > i ? pl->last_use[v] : i;
        if (k == 0 && allow_in_place && can_run_in_place(pl, i)) {
            int b = pl->buf_of[n->inputs[0]];
            pl->buf_of[v] = b;
            if (pl->bufs[b].last < last)
                pl->bufs[b].last = last;
            p->in_place[i] = true;
            p->n_in_place++;
            continue;
        }
        pl->bufs[pl->n_bufs] = (buffer){bytes, -1, i, last};
        pl->buf_of[v] = pl->n_bufs++;
    }
}

static int by_size_desc(const void *a, const void *b)
{
    const buffer *x = *(buffer *const *)a, *y = *(buffer *const *)b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return x->first - y->first;
}

static int by_offset(const void *a, const void *b)
{
    int64_t x = (*(buffer *const *)a)->offset, y = (*(buffer *const *)b)->offset;
    return x < y ? -1 : x > y;
}

/* The lowest offset where b fits among the placed buffers alive with it. */
static int64_t lowest_free_offset(const buffer *b, buffer **live, int n_live)
{
    qsort(live, (size_t)n_live, sizeof *live, by_offset);
    int64_t at = 0;
    for (int j = 0; j < n_live; j++) {
        if (at + b->size <= live[j]->offset)
            break;
        if (live[j]->offset + live[j]->size > at)
            at = live[j]->offset + live[j]->size;
    }
    return at;
}

/* Greedy by size; order and live are scratch of n_bufs entries. */
static void place_buffers(planner *pl, buffer **order, buffer **live, cg_plan *p)
{
    for (int b = 0; b < pl->n_bufs; b++)
        order[b] = &pl->bufs[b];
    qsort(order, (size_t)pl->n_bufs, sizeof *order, by_size_desc);
    for (int o = 0; o < pl->n_bufs; o++) {
        buffer *b = order[o];
        int n_live = 0;
        for (int q = 0; q < o; q++)
            if (order[q]->first <= b->last && b->first <= order[q]->last)
                live[n_live++] = order[q];
        b->offset = lowest_free_offset(b, live, n_live);
        if ((size_t)(b->offset + b->size) > p->arena_bytes)
            p->arena_bytes = (size_t)(b->offset + b->size);
    }
}

void cg_plan_free(cg_plan *p)
{
    free(p->offset);
    free(p->in_place);
    memset(p, 0, sizeof *p);
}

cg_code cg_plan_build(const cg_graph *g, bool allow_in_place, cg_plan *p, cg_status *st)
{
    cg_plan_free(p);
    size_t nv = (size_t)(g->n_values > 0 ? g->n_values : 1), nn = (size_t)(g->n_nodes > 0 ? g->n_nodes : 1);
    planner pl = {g, malloc(nv * sizeof(int)), malloc(nv * sizeof(int)), malloc(nv * sizeof(buffer)), 0};
    buffer **order = malloc(nv * sizeof *order);
    buffer **live = malloc(nv * sizeof *live);
    p->offset = malloc(nv * sizeof *p->offset);
    p->in_place = calloc(nn, sizeof *p->in_place);
    cg_code rc = CG_OK;
    if (!pl.last_use || !pl.buf_of || !pl.bufs || !order || !live || !p->offset || !p->in_place) {
        rc = cg_fail(st, CG_ERR_NOMEM, "%s: out of memory planning buffers", g->source);
    } else {
        p->n_values = g->n_values;
        p->n_nodes = g->n_nodes;
        compute_last_use(&pl);
        for (int v = 0; v < g->n_values; v++)
            pl.buf_of[v] = -1;
        for (int i = 0; i < g->n_nodes; i++)
            assign_buffers(&pl, i, allow_in_place, p);
        place_buffers(&pl, order, live, p);
        for (int v = 0; v < g->n_values; v++)
            p->offset[v] = pl.buf_of[v] >= 0 ? pl.bufs[pl.buf_of[v]].offset : -1;
    }
    free(pl.last_use);
    free(pl.buf_of);
    free(pl.bufs);
    free(order);
    free(live);
    if (rc != CG_OK)
        cg_plan_free(p);
    return rc;
}
