/* Internal: the graph rewrites a CG_KERNELS_FAST session makes before its first run. */
#ifndef CG_RUNTIME_REWRITE_H
#define CG_RUNTIME_REWRITE_H

#include "convgraph/graph.h"

/* Sorts g, folds BatchNormalization into Conv, drops Identity/Dropout, and
 * fuses activations and residual Adds into the Conv epilogue when the Conv
 * kernel computes it (asked of the kernel itself on a two-pixel case, so a
 * kernel without the epilogue never sees a fused node). *fused gets how many
 * Convs were fused. */
cg_code cg_session_rewrite(cg_graph *g, int *fused, cg_status *st);

#endif
