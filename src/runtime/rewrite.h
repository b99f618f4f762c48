/* Internal: the graph rewrites a CG_KERNELS_FAST session makes before its first run. */
#ifndef CG_RUNTIME_REWRITE_H
#define CG_RUNTIME_REWRITE_H

#include "convgraph/graph.h"

/* Sorts g, folds BatchNormalization into Conv, drops Identity/Dropout,
 * fuses activations and residual Adds into the Conv epilogue when the Conv
 * kernel computes it (asked of the kernel itself on a two-pixel case, so a
 * kernel without the epilogue never sees a fused node), puts one
 * convgraph.ChannelShuffle where a Reshape/Transpose/Reshape shuffles channels, then stores the
 * regions around fast Convs channels-last (layout.h). *fused gets how many
 * Convs were fused. Running it again on its own result changes nothing. */
cg_code cg_session_rewrite(cg_graph *g, int *fused, cg_status *st);

#endif
