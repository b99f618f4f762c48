/* The table behind is_shape_determining_input. Input names and positions are the
 * ONNX operator specs' (docs/Operators.md); a position is listed when the spec
 * computes the output shape from that input's contents. */
#include "shape_inputs.h"

#include <string.h>

typedef struct shape_input {
    const char *op_type;
    int index;
} shape_input;

static const shape_input shape_inputs[] = {
    {"Reshape", 1},         /* shape */
    {"Expand", 1},          /* shape */
    {"ConstantOfShape", 0}, /* input: "1D tensor. The shape of the expected output" */
    {"Slice", 1},           /* starts (opset 10+) */
    {"Slice", 2},           /* ends */
    {"Slice", 3},           /* axes */
    {"Slice", 4},           /* steps */
    {"Pad", 1},             /* pads (opset 11+) */
    {"Pad", 3},             /* axes (opset 18+) */
    {"Resize", 2},          /* scales: output_dimension = floor(input_dimension * scale) */
    {"Resize", 3},          /* sizes */
    {"Upsample", 1},        /* scales (opset 9+) */
    {"Split", 1},           /* split (opset 13+) */
    {"Squeeze", 1},         /* axes (opset 13+) */
    {"Unsqueeze", 1},       /* axes (opset 13+) */
    {"Tile", 1},            /* repeats */
    {"TopK", 1},            /* K (opset 10+) */
    {"Range", 0},           /* start: number_of_elements = ceil((limit - start) / delta) */
    {"Range", 1},           /* limit */
    {"Range", 2},           /* delta */
    {"OneHot", 1},          /* depth */
    {"ReduceSum", 1},       /* axes (opset 13+; the other reductions from opset 18) */
    {"ReduceMean", 1},      /* axes (opset 18+) */
    {"ReduceMax", 1},       /* axes (opset 18+) */
    {"ReduceMin", 1},       /* axes (opset 18+) */
    {"ReduceProd", 1},      /* axes (opset 18+) */
    {"CenterCropPad", 1},   /* shape */
};

bool is_shape_determining_input(const char *op_type, int index)
{
    for (size_t i = 0; i < sizeof shape_inputs / sizeof shape_inputs[0]; i++) {
        if (shape_inputs[i].index == index && strcmp(shape_inputs[i].op_type, op_type) == 0)
            return true;
    }
    return false;
}
