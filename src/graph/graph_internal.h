/* Internal: what graph.c and graph_edit.c share (building and editing the IR
 * both copy names and attribute payloads and release nodes). */
#ifndef CG_GRAPH_GRAPH_INTERNAL_H
#define CG_GRAPH_GRAPH_INTERNAL_H

#include <stddef.h>

#include "convgraph/graph.h"

/* A heap copy of len bytes (a 1-byte block for len 0, so an empty list is
 * still "present"); NULL when out of memory. */
void *cg_dup_bytes(const void *src, size_t len);

/* A heap copy of the NUL-terminated s; NULL when out of memory. */
char *cg_dup_string(const char *s);

/* Frees everything a node owns (names, edges, attributes, window); the node
 * struct itself stays, since it lives inside g->nodes. */
void cg_node_free_fields(cg_node *n);

#endif
