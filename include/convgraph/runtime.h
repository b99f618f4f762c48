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
 * topological order. Initializers are used in place; each intermediate tensor is
 * freed after its last use. On success *outputs holds the graph outputs in graph
 * order (free with cg_named_tensors_free). Errors name the file, node and what is
 * wrong; the graph stays usable for another run. */
cg_code cg_graph_run(cg_graph *g, const cg_named_tensor *inputs, int n_inputs,
                     cg_named_tensor **outputs, int *n_outputs, cg_status *st);

/* The tensor shape a graph input takes when the caller names no data for it:
 * its declared dims, with pins applied; fails naming the input when a dim is
 * still symbolic or unknown. */
cg_code cg_graph_input_dims(const cg_graph *g, int value, const cg_infer_options *opt,
                            int *rank, int64_t *dims, cg_status *st);

#endif
