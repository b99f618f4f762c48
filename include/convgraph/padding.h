/* Output size and padding of every windowed op: the one source of truth.
 * Shape inference, kernels, the converter and the `shapes` report all call this. */
#ifndef CONVGRAPH_PADDING_H
#define CONVGRAPH_PADDING_H

#include <stdbool.h>
#include <stdint.h>

#include "convgraph/dim.h"
#include "convgraph/status.h"

#define CG_MAX_SPATIAL 3

typedef enum cg_auto_pad {
    CG_AUTO_PAD_NOTSET = 0,
    CG_AUTO_PAD_VALID,
    CG_AUTO_PAD_SAME_UPPER, /* TensorFlow 'SAME': the odd pixel goes to the end */
    CG_AUTO_PAD_SAME_LOWER, /* the odd pixel goes to the begin */
} cg_auto_pad;

typedef enum cg_window_kind {
    CG_WINDOW_CONV = 0,
    CG_WINDOW_POOL,
    CG_WINDOW_CONV_TRANSPOSE,
} cg_window_kind;

typedef enum cg_layout {
    CG_LAYOUT_NCHW = 0, /* ONNX: channels first (N, C, spatial...) */
    CG_LAYOUT_NHWC,     /* TensorFlow: channels last (N, spatial..., C) */
} cg_layout;

/* Everything that decides a windowed op's geometry, per spatial axis. */
typedef struct cg_window {
    cg_window_kind kind;
    cg_layout layout;
    int spatial; /* 1, 2 or 3 */
    cg_auto_pad auto_pad;
    bool ceil_mode;
    bool has_pads; /* explicit pads attribute present */
    int64_t kernel[CG_MAX_SPATIAL];
    int64_t strides[CG_MAX_SPATIAL];
    int64_t dilations[CG_MAX_SPATIAL];
    int64_t pads[2 * CG_MAX_SPATIAL]; /* as the ONNX attribute: pads[i] begin, pads[spatial + i] end */
    int64_t output_padding[CG_MAX_SPATIAL]; /* ConvTranspose only */
    bool has_output_shape;                  /* ConvTranspose only */
    int64_t output_shape[CG_MAX_SPATIAL];   /* spatial dims only */
} cg_window;

/* The resolved geometry of one spatial axis. */
typedef struct cg_window_axis {
    cg_dim in;
    cg_dim out;
    int64_t pad_begin; /* -1 when it depends on a symbolic input size */
    int64_t pad_end;
    char explain[224]; /* e.g. "H: out=ceil(64/2)=32, total=max((32-1)*2+4-64,0)=2 -> 1 top + 1 bottom" */
} cg_window_axis;

/* Default window for kind and spatial rank: strides/dilations 1, pads 0, NOTSET.
 * kernel is left 0 for the caller to set; cg_window_validate rejects it. */
void cg_window_init(cg_window *w, cg_window_kind kind, int spatial);

/* Checks strides/dilations >= 1, kernel >= 1, pads >= 0, pads with SAME/VALID.
 * The message (no node prefix) goes to st; callers prefix the node. */
cg_code cg_window_validate(const cg_window *w, cg_status *st);

/* Resolves one axis for input size `in` (known or symbolic). Output dims below 1
 * are errors. Symbolic inputs give expressions (e.g. ceil(H/2)) and unknown pads. */
cg_code cg_padding_resolve(const cg_window *w, int axis, cg_dim in, cg_strpool *pool,
                           cg_window_axis *res, cg_status *st);

/* Resolves every axis; in[] are the spatial input dims. */
cg_code cg_padding_resolve_all(const cg_window *w, const cg_dim *in, cg_strpool *pool,
                               cg_window_axis *res, cg_status *st);

/* ConvTranspose: the output_padding that makes explicit pads pad_begin/pad_end
 * give output size `out` for input `in` on this axis (ONNX ConvTranspose:
 * out = s*(n-1) + output_padding + ek - pads_begin - pads_end). The converter
 * uses it to write SAME_* as explicit pads; a negative result means no
 * output_padding can. */
int64_t cg_padding_transpose_output_padding(const cg_window *w, int axis, int64_t in, int64_t out,
                                            int64_t pad_begin, int64_t pad_end);

/* "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER". */
const char *cg_auto_pad_name(cg_auto_pad p);
/* Parses the attribute bytes (not NUL-terminated); false when unknown. */
bool cg_auto_pad_parse(const char *s, size_t len, cg_auto_pad *out);
/* Axis label for reports: "H"/"W" for 2-D, "D"/"H"/"W" for 3-D, "L" for 1-D. */
const char *cg_axis_label(int spatial, int axis);

#endif
