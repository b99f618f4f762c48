/* Each operator family file (src/ops/<family>.c) exports its registry entries;
 * registry.c gathers them. Adding an op = functions in its family's file plus
 * one entry in that family's table. */
#ifndef CG_OPS_FAMILIES_H
#define CG_OPS_FAMILIES_H

#include <stddef.h>

#include "convgraph/ops.h"

/* Tables end with a sentinel entry whose op_type is NULL. */
#define CG_DECLARE_FAMILY(fam) extern const cg_op_def cg_ops_##fam[]

CG_DECLARE_FAMILY(conv);       /* Conv, ConvTranspose */
CG_DECLARE_FAMILY(pool);       /* MaxPool, AveragePool, LpPool, Global{Average,Max}Pool */
CG_DECLARE_FAMILY(norm);       /* BatchNormalization, InstanceNormalization */
CG_DECLARE_FAMILY(matmul);     /* Gemm, MatMul */
CG_DECLARE_FAMILY(activation); /* Relu, LeakyRelu, Elu, Selu, Sigmoid, HardSigmoid, HardSwish,
                                  Tanh, Clip, Sqrt, Erf, Softmax, LogSoftmax, Exp, Log, Neg,
                                  Abs, Reciprocal */
CG_DECLARE_FAMILY(elementwise);/* Add, Sub, Mul, Div, Pow, Max, Min, Sum, Mean, PRelu */
CG_DECLARE_FAMILY(shape);      /* Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Concat,
                                  Split, Shape, Gather, Slice, Expand, Pad, Identity, Dropout,
                                  Constant, ConstantOfShape, Cast */
CG_DECLARE_FAMILY(resize);     /* Resize, Upsample */
CG_DECLARE_FAMILY(reduce);     /* ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceProd, ReduceL1,
                                  ReduceL2, ReduceLogSum, ReduceLogSumExp, ReduceSumSquare */
CG_DECLARE_FAMILY(layout);     /* convgraph.Relayout (internal: NCHW <-> NHWC storage) */
CG_DECLARE_FAMILY(channel_shuffle); /* convgraph.ChannelShuffle (internal: ShuffleNet's shuffle) */

#endif
