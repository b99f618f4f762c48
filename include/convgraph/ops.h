/* The operator registry and the context a shape function works in. */
#ifndef CONVGRAPH_OPS_H
#define CONVGRAPH_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "convgraph/graph.h"

typedef struct cg_infer_ctx {
    cg_graph *g;
    cg_node *node;
    int64_t opset; /* the model's opset for the node's domain */
    cg_status *st;
} cg_infer_ctx;

/* A shape function: reads input dtypes/shapes (and known contents), validates
 * attributes, sets every output's dtype and shape, node->macs and, for windowed
 * ops, node->window. Returns CG_OK or fails through cg_ctx_fail. */
typedef cg_code (*cg_infer_fn)(cg_infer_ctx *ctx);

/* What a kernel sees: the node (attributes; node->window holds the geometry
 * padding.c resolved for these very shapes), its input tensors and its output
 * tensors, already allocated with the inferred dtype and shape. Outputs are
 * zero-filled, except for the ops src/runtime/plan.c lists as writing every
 * element (Conv and the elementwise/activation family), whose outputs may hold
 * leftover arena bytes or alias input 0 (in-place): such kernels must write every
 * output element and read element e of input 0 before writing element e. */
typedef struct cg_run_ctx {
    const cg_graph *g;
    const cg_node *node;
    int64_t opset;
    int n_in;
    const cg_tensor *const *in; /* NULL entries for omitted optional inputs */
    int n_out;
    cg_tensor *const *out;      /* NULL entries for omitted optional outputs */
    cg_status *st;
    /* Session-level choices (kernels: FAST or REFERENCE; threads). Never NULL. */
    const struct cg_run_options *opts;
    /* Per-node state a kernel may cache across runs of one session (prepared
     * primitives, packed weights): *state starts NULL; a kernel that sets it also
     * sets *state_free, which the session calls when it ends. A kernel must check
     * that cached state still fits the current shapes. */
    void **state;
    void (**state_free)(void *);
} cg_run_ctx;

/* A reference kernel: computes every present output from the inputs. */
typedef cg_code (*cg_run_fn)(cg_run_ctx *ctx);

typedef struct cg_op_def {
    const char *domain;  /* "" for ai.onnx */
    const char *op_type;
    int since_version;   /* the ONNX opset in which this version of the op appeared */
    cg_infer_fn infer;
    cg_run_fn run;       /* NULL: shapes only, the op cannot be executed yet */
} cg_op_def;

/* The version of op_type that a model importing `opset` uses: the entry with the
 * highest since_version <= opset; NULL when not supported. */
const cg_op_def *cg_op_find(const char *domain, const char *op_type, int64_t opset);
/* Registry walk, for --help and README: entries sorted by op type, then version. */
size_t cg_op_count(void);
const cg_op_def *cg_op_at(size_t i);
/* True when any version of op_type is registered for the domain. */
bool cg_op_known(const char *domain, const char *op_type);

/* ---- helpers for shape functions ---- */
/* Inputs that are absent or given as "" count as missing. */
bool cg_ctx_has_input(const cg_infer_ctx *c, int i);
cg_value *cg_ctx_in(const cg_infer_ctx *c, int i);  /* NULL when missing */
cg_value *cg_ctx_out(const cg_infer_ctx *c, int i); /* NULL when missing */
/* Contents of input i when known (initializer, Constant, folded); NULL otherwise. */
const cg_tensor *cg_ctx_in_data(const cg_infer_ctx *c, int i);
/* Input i as a vector of dims: known integer contents (negative numbers as
 * cg_dim_of_i64 literals), else dimvals; false when unknown or longer than max. */
bool cg_ctx_in_dimvals(const cg_infer_ctx *c, int i, cg_dim *out, int *n, int max);
/* Sets output i's dtype and shape (no-op for a missing output). */
void cg_ctx_set_out(cg_infer_ctx *c, int i, cg_dtype dtype, const cg_shape *shape);
/* Records output i's contents as dims (for shape subgraphs); copies. */
cg_code cg_ctx_set_out_dimvals(cg_infer_ctx *c, int i, const cg_dim *d, int n);
/* Gives output i known contents (takes ownership of t) and sets its dtype/shape. */
void cg_ctx_set_out_data(cg_infer_ctx *c, int i, cg_tensor *t);
/* Fails with CG_ERR_INVALID: "SOURCE: node LABEL (OP): <message>". */
cg_code cg_ctx_fail(cg_infer_ctx *c, const char *fmt, ...) CG_PRINTF(2, 3);
cg_code cg_ctx_fail_code(cg_infer_ctx *c, cg_code code, const char *fmt, ...) CG_PRINTF(3, 4);
/* Requires at least `min` present inputs; fails naming the op otherwise. */
cg_code cg_ctx_require_inputs(cg_infer_ctx *c, int min);
/* Normalizes a possibly negative axis against rank; fails when out of range. */
cg_code cg_ctx_axis(cg_infer_ctx *c, int64_t axis, int rank, int *out);
/* Numpy broadcasting of two shapes; fails naming both shapes when incompatible. */
cg_code cg_ctx_broadcast(cg_infer_ctx *c, const cg_shape *a, const cg_shape *b, cg_shape *out);

/* ---- helpers for kernels ---- */
const cg_tensor *cg_run_in(const cg_run_ctx *c, int i); /* NULL when omitted */
cg_tensor *cg_run_out(const cg_run_ctx *c, int i);      /* NULL when omitted */
/* Storage layouts of a FAST session (src/runtime/layout.c): a node carrying
 * the internal STRING attribute cg.layout = "NHWC" reads its rank-4 data inputs
 * and writes its rank-4 outputs channels-last: logical dims stay [N,C,H,W],
 * element (n,c,h,w) is stored at ((n*H + h)*W + w)*C + c. The internal op
 * convgraph.Relayout (attribute `to`: "NHWC" or "NCHW") converts between the two. */
#define CG_LAYOUT_DOMAIN "convgraph"
bool cg_node_is_nhwc(const cg_node *n);

/* Scratch memory kept in the node's state across runs: grown when a run needs
 * more, freed with the session, so a kernel allocates nothing once its shapes
 * stop changing. For kernels with no other per-node state. NULL when out of
 * memory. */
void *cg_run_scratch(cg_run_ctx *c, size_t bytes);

/* Work split across the session's threads: the OpenMP pool oneDNN runs on
 * (when built with it), so kernels and convolutions share one pool.
 * cg_run_parallel calls fn(arg, chunk, lo, hi) for contiguous chunks of
 * [0, n), chunk numbered from 0 and below cg_run_parallel_chunks(c, n, grain)
 * (at most the thread count, and at least `grain` items each: smaller work
 * runs as one chunk on the calling thread). fn must only write what its range
 * owns; per-chunk scratch is indexed by `chunk`. */
typedef void (*cg_range_fn)(void *arg, int chunk, int64_t lo, int64_t hi);
int cg_run_parallel_chunks(const cg_run_ctx *c, int64_t n, int64_t grain);
void cg_run_parallel(const cg_run_ctx *c, int64_t n, int64_t grain, cg_range_fn fn, void *arg);
/* For tests: no grain above `items` from now on (0: the kernels' own), so
 * small cases split across threads too. */
void cg_run_parallel_cap_grain(int64_t items);

/* Threads a kernel may use: opts->threads, or the online cores when that is 0. */
int cg_run_thread_count(const cg_run_ctx *c);
/* Fails with "SOURCE: node LABEL (OP): <message>". */
cg_code cg_run_fail(cg_run_ctx *c, cg_code code, const char *fmt, ...) CG_PRINTF(3, 4);

#endif
