/* Op inputs whose VALUES (not shapes) determine an output's shape, per the ONNX
 * operator specs: Reshape's `shape`, Slice's `starts`, Resize's `scales`, ... */
#ifndef CONFORM_SHAPE_INPUTS_H
#define CONFORM_SHAPE_INPUTS_H

#include <stdbool.h>

/* True when input `index` of ai.onnx op `op_type` is such an input. */
bool is_shape_determining_input(const char *op_type, int index);

#endif
