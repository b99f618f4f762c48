/* libconvgraph: load models, infer and validate shapes, explain padding. */
#ifndef CONVGRAPH_H
#define CONVGRAPH_H

#include "convgraph/check.h"
#include "convgraph/conform.h"
#include "convgraph/dim.h"
#include "convgraph/dtype.h"
#include "convgraph/format.h"
#include "convgraph/graph.h"
#include "convgraph/infer.h"
#include "convgraph/ops.h"
#include "convgraph/padding.h"
#include "convgraph/runtime.h"
#include "convgraph/status.h"
#include "convgraph/tensor.h"

#define CONVGRAPH_VERSION "0.1.0"

#endif
