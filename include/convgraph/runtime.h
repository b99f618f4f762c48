/* Running a graph: named input tensors in, named output tensors out. */
#ifndef CONVGRAPH_RUNTIME_H
#define CONVGRAPH_RUNTIME_H

#include "convgraph/graph.h"
#include "convgraph/infer.h"
#include "convgraph/tensor.h"

typedef struct cg_named_tensor {
    char *name;        /* owned */
    cg_tensor *tensor; /* owned */
} cg_named_tensor;

void cg_named_tensors_free(cg_named_tensor *list, int n);

/* Op types the graph uses that have no kernel, "Op:count" comma-separated into buf
 * (as cg_graph_unsupported_ops); returns how many distinct ones. */
int cg_graph_unrunnable_ops(const cg_graph *g, char *buf, size_t len);

/* Runs the graph once. inputs are borrowed and must name every graph input (not
 * initializers) with the declared dtype and a shape matching the declared dims
 * (symbolic dims take any size). Shapes are inferred for these inputs (small
 * integer inputs are passed to inference as known contents, so shape-computing
 * subgraphs and data-dependent shapes resolve), then every node's kernel runs in
 * topological order. Initializers are used in place; intermediate tensors share
 * one arena, planned by their lifetimes. On success *outputs holds the graph outputs in graph
 * order (free with cg_named_tensors_free). Errors name the file, node and what is
 * wrong. A one-shot cg_session with default options (so fast kernels apply),
 * except that g is not rewritten. */
cg_code cg_graph_run(cg_graph *g, const cg_named_tensor *inputs, int n_inputs,
                     cg_named_tensor **outputs, int *n_outputs, cg_status *st);

/* ---- sessions: prepared once, run many times (benchmarks, servers) ---- */

typedef enum cg_kernel_choice {
    CG_KERNELS_FAST = 0,  /* fast paths and graph rewrites where available (default) */
    CG_KERNELS_REFERENCE, /* only the plain reference kernels, graph untouched */
} cg_kernel_choice;

typedef struct cg_run_options {
    cg_kernel_choice kernels;
    int threads; /* 0: one per online core */
} cg_run_options;

typedef struct cg_session cg_session;

/* Prepares g for repeated runs. With CG_KERNELS_FAST the session may rewrite g
 * (fold BatchNormalization into Conv, fuse activations and residual Add into the
 * conv epilogue, drop Identity/Dropout) without changing what it computes;
 * fails when g does not sort. g is borrowed and must outlive the session.
 * opt may be NULL (defaults). Each run plans the intermediate tensors into one
 * arena when the input shapes differ from the previous run's (the first run
 * always); a run with unchanged shapes allocates only the outputs it hands over
 * (and whatever a kernel caches in its state). */
cg_session *cg_session_new(cg_graph *g, const cg_run_options *opt, cg_status *st);
/* As cg_graph_run, reusing the session's prepared kernels and buffers. */
cg_code cg_session_run(cg_session *s, const cg_named_tensor *inputs, int n_inputs,
                       cg_named_tensor **outputs, int *n_outputs, cg_status *st);
void cg_session_free(cg_session *s);

/* Memory of a session as its last plan laid it out (for `bench`). */
typedef struct cg_session_memory_info {
    size_t arena_bytes;        /* intermediate tensors, sharing memory by liveness */
    size_t arena_reserved;     /* the arena as allocated (the largest plan so far) */
    size_t intermediate_bytes; /* the same tensors if each had its own memory */
    size_t weight_bytes;       /* initializers, used in place */
    int in_place_nodes;        /* elementwise nodes writing over a dying input */
    int fused_convs;           /* Convs computing an activation or Add in their epilogue */
} cg_session_memory_info;
/* The plan's fields (arena, intermediates, in place) are 0 before the first
 * successful run. */
void cg_session_memory(const cg_session *s, cg_session_memory_info *info);

/* Time spent per node over all runs so far (for `bench --profile`). */
typedef struct cg_node_time {
    const cg_node *node;
    double total_ms;
    int64_t calls;
    int64_t flops; /* per call: 2 * MACs where known, else 0 */
} cg_node_time;
/* Fills up to max entries in node order; returns how many nodes there are. */
int cg_session_profile(const cg_session *s, cg_node_time *out, int max);

/* The tensor shape a graph input takes when the caller names no data for it:
 * its declared dims, with pins applied; fails naming the input when a dim is
 * still symbolic or unknown. */
cg_code cg_graph_input_dims(const cg_graph *g, int value, const cg_infer_options *opt,
                            int *rank, int64_t *dims, cg_status *st);

#endif
