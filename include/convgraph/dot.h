/* Graphviz DOT for a graph: one box per node, top to bottom, edges labelled with
 * tensor shapes. Run cg_graph_infer_shapes first for shapes and resolved pads. */
#ifndef CONVGRAPH_DOT_H
#define CONVGRAPH_DOT_H

#include <stddef.h>

#include "convgraph/graph.h"

/* The DOT text of g, malloc'd and NUL-terminated; *len gets its length (without
 * the NUL). Op nodes show name, op type and an attribute summary (windowed ops:
 * "Conv 3x3 s2 SAME_UPPER pads 0,0,1,1", pads as inferred, in ONNX order); the
 * initializers a node reads are listed in its label, not drawn; graph inputs and
 * outputs are drawn as distinct shapes. Every string is quoted and escaped.
 * NULL with st filled on allocation failure. */
char *cg_dot_text(const cg_graph *g, size_t *len, cg_status *st);

/* Writes the DOT text of g to path through a temporary file and rename(2). */
cg_code cg_dot_save(const cg_graph *g, const char *path, cg_status *st);

#endif
