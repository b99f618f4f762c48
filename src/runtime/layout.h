/* Internal: the channels-last layout pass of a FAST session (layout.c). */
#ifndef CG_RUNTIME_LAYOUT_H
#define CG_RUNTIME_LAYOUT_H

#include "convgraph/graph.h"

/* Puts every Conv the fast path runs channels-last, with the capable ops
 * around it, and inserts convgraph.Relayout nodes where NCHW and NHWC meet.
 * g must be sorted with shapes inferred; it is sorted again on return.
 * *n_converted gets how many nodes were put in NHWC. */
cg_code cg_session_layout_nhwc(cg_graph *g, int *n_converted, cg_status *st);

#endif
