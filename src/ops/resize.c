/* Operator family 'resize': Resize (10, 11, 13) and Upsample (7, 9; deprecated in 10).
 * Output dims come from known `sizes`, or floor(in * scale) with known `scales`;
 * otherwise the rank is kept and the dims are unknown. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/families.h"
#include "ops/shape_internal.h"

/* Where each optional input sits, by op and opset; -1 when the version lacks it. */
typedef struct resize_inputs {
    int roi, scales, sizes;
} resize_inputs;

/* Per-axis output rule: sizes (possibly symbolic) win, then scale (times the roi
 * span for tf_crop_and_resize). */
typedef struct resize_plan {
    int rank;                  /* -1 when neither X's rank nor the scales/sizes count is known */
    bool have_sizes, have_scales;
    cg_dim sizes[CG_MAX_RANK];
    float factor[CG_MAX_RANK]; /* scale, times (roi_end - roi_start) for tf_crop_and_resize */
} resize_plan;

static const char *const RESIZE10_MODES[] = {"nearest", "linear", NULL};
static const char *const RESIZE11_MODES[] = {"nearest", "linear", "cubic", NULL};
static const char *const RESIZE11_COORD_MODES[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                                                   "tf_half_pixel_for_nn", "tf_crop_and_resize", NULL};
/* Resize-13 drops tf_half_pixel_for_nn from the list. */
static const char *const RESIZE13_COORD_MODES[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                                                   "tf_crop_and_resize", NULL};
static const char *const NEAREST_MODES[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil", NULL};

/* Resize-11 passes an unused scales or roi as an empty tensor ("the user must set
 * 'scales' to an empty tensor"), Resize-13 may also omit it. */
typedef enum given { INPUT_ABSENT, INPUT_PRESENT, INPUT_MAYBE } given;

static given given_state(const cg_infer_ctx *c, int i)
{
    const cg_value *v = i >= 0 ? cg_ctx_in(c, i) : NULL;
    if (!v)
        return INPUT_ABSENT;
    int64_t numel = v->data ? v->data->numel : cg_shape_numel(&v->shape);
    return numel == 0 ? INPUT_ABSENT : numel > 0 ? INPUT_PRESENT : INPUT_MAYBE;
}

static cg_code check_input_dtype(cg_infer_ctx *c, int i, const char *what, cg_dtype want)
{
    const cg_value *v = i >= 0 ? cg_ctx_in(c, i) : NULL;
    if (!v || v->dtype == CG_UNDEFINED || v->dtype == want)
        return CG_OK;
    return cg_ctx_fail(c, "%s '%s' must be %s, got %s", what, v->name, cg_dtype_name(want), cg_dtype_name(v->dtype));
}

/* Fails unless string attribute `name` (default dflt) is one of `allowed`. */
static cg_code check_choice(cg_infer_ctx *c, const char *name, const char *dflt, const char *const *allowed,
                            const char **out)
{
    const char *s = cg_attr_string(c->node, name, dflt);
    for (int i = 0; allowed[i]; i++) {
        if (strcmp(s, allowed[i]) == 0) {
            *out = s;
            return CG_OK;
        }
    }
    char list[256];
    size_t used = 0;
    list[0] = '\0';
    for (int i = 0; allowed[i] && used < sizeof list; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", allowed[i]);
        used += w > 0 ? (size_t)w : 0;
    }
    return cg_ctx_fail(c, "%s '%s' is not one of: %s", name, s, list);
}

/* Validates the string attributes for this op and opset; *crop is set for
 * coordinate_transformation_mode tf_crop_and_resize. (ONNX Resize-10/11/13, Upsample-7/9 docs) */
static cg_code check_modes(cg_infer_ctx *c, bool *crop)
{
    const char *mode, *coord = "", *nearest;
    bool resize11 = strcmp(c->node->op_type, "Resize") == 0 && c->opset >= 11;
    cg_code rc = check_choice(c, "mode", "nearest", resize11 ? RESIZE11_MODES : RESIZE10_MODES, &mode);
    if (rc == CG_OK && resize11)
        rc = check_choice(c, "coordinate_transformation_mode", "half_pixel",
                          c->opset >= 13 ? RESIZE13_COORD_MODES : RESIZE11_COORD_MODES, &coord);
    if (rc == CG_OK && resize11)
        rc = check_choice(c, "nearest_mode", "round_prefer_floor", NEAREST_MODES, &nearest);
    *crop = strcmp(coord, "tf_crop_and_resize") == 0;
    return rc;
}

/* Fails when a count given by scales/sizes/roi disagrees with X's rank. */
static cg_code check_count(cg_infer_ctx *c, const char *what, int64_t count, int per_axis, int *rank)
{
    if (*rank >= 0 && count == (int64_t)per_axis * *rank)
        return CG_OK;
    if (*rank >= 0)
        return cg_ctx_fail(c, "%s has %lld values but X has rank %d%s", what, (long long)count, *rank,
                           per_axis == 2 ? " (needs 2 per axis)" : "");
    if (count % per_axis != 0 || count / per_axis > CG_MAX_RANK)
        return cg_ctx_fail(c, "%s has %lld values; expected %d per axis of X, at most rank %d", what,
                           (long long)count, per_axis, CG_MAX_RANK);
    *rank = (int)(count / per_axis); /* X's rank was unknown: the count tells it */
    return CG_OK;
}

/* Scales from the Upsample-7 attribute or a known input; ONNX Resize scales are > 0,
 * Upsample's >= 1 (ONNX Upsample-7/9 docs). */
static cg_code read_scales(cg_infer_ctx *c, int input, resize_plan *p)
{
    float vals[CG_MAX_RANK];
    int64_t n;
    bool upsample = strcmp(c->node->op_type, "Upsample") == 0;
    if (input < 0) {
        int count;
        const float *f = cg_attr_floats(c->node, "scales", &count);
        if (!f)
            return cg_ctx_fail(c, "needs the 'scales' attribute at opset %lld", (long long)c->opset);
        n = count;
        for (int i = 0; i < count && i < CG_MAX_RANK; i++)
            vals[i] = f[i];
    } else {
        const cg_tensor *t = cg_ctx_in_data(c, input);
        if (!t)
            return CG_OK; /* not known at inference time: dims stay unknown */
        n = t->numel;
        for (int64_t i = 0; i < n && i < CG_MAX_RANK; i++)
            vals[i] = (float)cg_tensor_get_f64(t, i);
    }
    cg_code rc = check_count(c, "scales", n, 1, &p->rank);
    if (rc != CG_OK)
        return rc;
    for (int i = 0; i < p->rank; i++) {
        bool ok = isfinite(vals[i]) && (upsample ? vals[i] >= 1.0f : vals[i] > 0.0f);
        if (!ok)
            return cg_ctx_fail(c, "scales[%d] = %g must be %s", i, (double)vals[i], upsample ? ">= 1" : "> 0");
        p->factor[i] = vals[i];
    }
    p->have_scales = true;
    return CG_OK;
}

/* Sizes from a known input, possibly symbolic (e.g. computed from Shape). */
static cg_code read_sizes(cg_infer_ctx *c, int input, resize_plan *p)
{
    int n;
    if (!cg_ctx_in_dimvals(c, input, p->sizes, &n, CG_MAX_RANK)) {
        const cg_tensor *t = cg_ctx_in_data(c, input);
        return t ? check_count(c, "sizes", t->numel, 1, &p->rank) : CG_OK;
    }
    cg_code rc = check_count(c, "sizes", n, 1, &p->rank);
    if (rc != CG_OK)
        return rc;
    /* A negative dimval is an unknown dim unless the contents themselves say so. */
    const cg_tensor *t = cg_ctx_in_data(c, input);
    for (int i = 0; t && i < n; i++)
        if (cg_tensor_get_i64(t, i) < 0)
            return cg_ctx_fail(c, "sizes[%d] = %lld is negative", i, (long long)cg_tensor_get_i64(t, i));
    p->have_sizes = true;
    return CG_OK;
}

/* tf_crop_and_resize scales each axis by the roi span (ONNX Resize-11 docs:
 * floor(input_dimension * (roi_end - roi_start) * scale)). Without a roi the whole
 * input is the region; an roi not known at inference time leaves the dims unknown. */
static cg_code apply_roi(cg_infer_ctx *c, int input, resize_plan *p)
{
    if (given_state(c, input) == INPUT_ABSENT)
        return CG_OK;
    const cg_tensor *t = cg_ctx_in_data(c, input);
    if (!t) {
        p->have_scales = false;
        return CG_OK;
    }
    cg_code rc = check_count(c, "roi", t->numel, 2, &p->rank);
    for (int i = 0; rc == CG_OK && i < p->rank; i++)
        p->factor[i] = (float)(cg_tensor_get_f64(t, p->rank + i) - cg_tensor_get_f64(t, i)) * p->factor[i];
    return rc;
}

static resize_inputs input_layout(const cg_infer_ctx *c)
{
    if (strcmp(c->node->op_type, "Upsample") == 0)
        return (resize_inputs){-1, c->opset >= 9 ? 1 : -1, -1};
    if (c->opset < 11)
        return (resize_inputs){-1, 1, -1};
    return (resize_inputs){1, 2, 3};
}

/* Exactly one of scales and sizes (ONNX Resize-13 docs), then reads the known one.
 * When both might be empty at run time, the dims stay unknown. */
static cg_code make_plan(cg_infer_ctx *c, const resize_inputs *in, bool crop, resize_plan *p)
{
    given scales = in->scales < 0 ? INPUT_PRESENT : given_state(c, in->scales);
    given sizes = given_state(c, in->sizes);
    if (scales == INPUT_PRESENT && sizes == INPUT_PRESENT)
        return cg_ctx_fail(c, "scales and sizes are both given; exactly one is allowed");
    if (scales == INPUT_ABSENT && sizes == INPUT_ABSENT)
        return cg_ctx_fail(c, "needs scales or sizes");
    cg_code rc = check_input_dtype(c, in->scales, "scales", CG_FLOAT);
    if (rc == CG_OK)
        rc = check_input_dtype(c, in->sizes, "sizes", CG_INT64);
    if (rc != CG_OK)
        return rc;
    if (sizes == INPUT_PRESENT || (sizes == INPUT_MAYBE && scales == INPUT_ABSENT))
        return read_sizes(c, in->sizes, p);
    if (scales == INPUT_MAYBE && sizes == INPUT_MAYBE)
        return CG_OK;
    rc = read_scales(c, in->scales, p);
    if (rc == CG_OK && crop && p->have_scales)
        rc = apply_roi(c, in->roi, p);
    return rc;
}

/* floor(in * factor), computed in float as ONNX shape inference does; a symbolic dim
 * survives an integral factor as an expression. */
static cg_code scaled_dim(cg_infer_ctx *c, int axis, cg_dim in, float factor, cg_dim *out)
{
    if (cg_dim_is_symbolic(in)) {
        bool integral = factor == floorf(factor) && factor <= 1e6f;
        *out = integral ? cg_dim_mul(c->g->pool, in, cg_dim_known((int64_t)factor)) : cg_dim_unknown();
        return CG_OK;
    }
    if (!cg_dim_is_known(in)) {
        *out = in;
        return CG_OK;
    }
    float v = floorf((float)in.v * factor);
    if (!(v >= 0.0f) || v >= 9.2e18f)
        return cg_ctx_fail(c, "output dim %d = %lld * %g is out of range", axis, (long long)in.v, (double)factor);
    *out = cg_dim_known((int64_t)v);
    return CG_OK;
}

static cg_code plan_shape(cg_infer_ctx *c, const cg_shape *x, const resize_plan *p, cg_shape *out)
{
    *out = cg_shape_unknown();
    if (p->rank < 0)
        return CG_OK;
    out->rank = p->rank;
    for (int i = 0; i < p->rank; i++) {
        cg_dim in = x->rank >= 0 ? x->d[i] : cg_dim_unknown();
        out->d[i] = cg_dim_unknown();
        if (p->have_sizes)
            out->d[i] = p->sizes[i];
        else if (p->have_scales) {
            cg_code rc = scaled_dim(c, i, in, p->factor[i], &out->d[i]);
            if (rc != CG_OK)
                return rc;
        }
    }
    return CG_OK;
}

/* Resize-13 makes roi and scales optional; earlier versions require every input
 * up to scales (ONNX Resize-10/11, Upsample-9 docs). */
static int required_inputs(const cg_infer_ctx *c, const resize_inputs *in)
{
    bool resize13 = strcmp(c->node->op_type, "Resize") == 0 && c->opset >= 13;
    return in->scales < 0 || resize13 ? 1 : in->scales + 1;
}

static cg_code infer_resize(cg_infer_ctx *c)
{
    resize_inputs in = input_layout(c);
    cg_code rc = cg_ctx_require_inputs(c, required_inputs(c, &in));
    bool crop = false;
    if (rc == CG_OK && c->opset >= 18 &&
        (cg_node_attr(c->node, "axes") || cg_node_attr(c->node, "keep_aspect_ratio_policy")))
        rc = cg_ctx_fail_code(c, CG_ERR_UNSUPPORTED,
                              "Resize-18 attributes axes/keep_aspect_ratio_policy are not supported");
    if (rc == CG_OK)
        rc = check_modes(c, &crop);
    const cg_value *x = cg_ctx_in(c, 0);
    resize_plan p = {.rank = x ? x->shape.rank : -1};
    if (rc == CG_OK)
        rc = make_plan(c, &in, crop, &p);
    cg_shape out;
    if (rc == CG_OK)
        rc = plan_shape(c, &x->shape, &p, &out);
    if (rc != CG_OK)
        return rc;
    c->node->macs = 0;
    cg_ctx_set_out(c, 0, x->dtype, &out);
    return CG_OK;
}

/* Upsample-10 is deprecated in favour of Resize (ONNX Upsample-10 docs). */
static cg_code infer_upsample_deprecated(cg_infer_ctx *c)
{
    return cg_ctx_fail(c, "Upsample is deprecated from opset 10 (model imports opset %lld); use Resize",
                       (long long)c->opset);
}

/* ---- kernel ----
 * Follows the ONNX Resize spec and its reference implementation (onnx
 * backend/test/case/node/resize.py, interpolate_nd): each output axis is resized
 * on its own; an output element is the sum over every axis's taps of the product
 * of tap weights times the input element they point at. */

typedef enum interp { INTERP_NEAREST, INTERP_LINEAR, INTERP_CUBIC } interp;
typedef enum coord {
    COORD_HALF_PIXEL, COORD_PYTORCH_HALF_PIXEL, COORD_ALIGN_CORNERS, COORD_ASYMMETRIC,
    COORD_TF_HALF_PIXEL_FOR_NN, COORD_TF_CROP_AND_RESIZE,
} coord;
/* In NEAREST_MODES order; NEAREST_LEGACY is Resize-10/Upsample's rule (read_opts). */
typedef enum nearest { ROUND_PREFER_FLOOR, ROUND_PREFER_CEIL, NEAREST_FLOOR, NEAREST_CEIL, NEAREST_LEGACY } nearest;

typedef struct resize_opts {
    interp mode;
    coord coord;
    nearest nearest;
    double cubic_a;
    bool exclude_outside;
    double extrapolation;
} resize_opts;

/* Index of s in the NULL-terminated list, or 0 (shape inference already checked). */
static int choice_index(const char *s, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return i;
    return 0;
}

/* Resize-10 and Upsample have no coordinate or rounding attributes: their nearest
 * is output[i] = input[floor(i / scale)] (ONNX Upsample docs), i.e. asymmetric +
 * floor, and their linear is asymmetric too. Resize-10 may also shrink: an axis
 * with scale < 1 rounds up instead (onnxruntime's opset-10 "SIMPLE" nearest mode,
 * which the Resize-10 downsample example [[1,2,3,4],[5,6,7,8]] x0.6 -> [[1,3]]
 * follows). */
static resize_opts read_opts(const cg_run_ctx *c)
{
    static const char *const coords[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                                         "tf_half_pixel_for_nn", "tf_crop_and_resize", NULL};
    const cg_node *n = c->node;
    bool resize11 = strcmp(n->op_type, "Resize") == 0 && c->opset >= 11;
    resize_opts o = {INTERP_NEAREST, COORD_ASYMMETRIC, NEAREST_LEGACY, -0.75, false, 0.0};
    o.mode = (interp)choice_index(cg_attr_string(n, "mode", "nearest"), RESIZE11_MODES);
    if (!resize11)
        return o;
    o.coord = (coord)choice_index(cg_attr_string(n, "coordinate_transformation_mode", "half_pixel"), coords);
    o.nearest = (nearest)choice_index(cg_attr_string(n, "nearest_mode", "round_prefer_floor"), NEAREST_MODES);
    o.cubic_a = cg_attr_float(n, "cubic_coeff_a", -0.75f);
    o.exclude_outside = cg_attr_int(n, "exclude_outside", 0) != 0;
    o.extrapolation = cg_attr_float(n, "extrapolation_value", 0.0f);
    return o;
}

/* One axis: the original coordinate of each output index. */
typedef struct axis_geom {
    int64_t in, out;
    double scale;       /* the given scale, or out/in when sizes were given */
    double len_resized; /* scale * in, as the reference's output_width */
    double roi_start, roi_end;
} axis_geom;

/* x_original = f(x_resized) per coordinate_transformation_mode (ONNX Resize-13).
 * *outside: tf_crop_and_resize fell outside the input ("extrapolation_value"). */
static double original_coord(const axis_geom *g, coord m, int64_t x, bool *outside)
{
    double xr = (double)x, in = (double)g->in;
    *outside = false;
    switch (m) {
    case COORD_PYTORCH_HALF_PIXEL:
        return g->len_resized > 1 ? (xr + 0.5) / g->scale - 0.5 : 0.0;
    case COORD_ALIGN_CORNERS:
        return g->len_resized == 1 ? 0.0 : xr * (in - 1) / (g->len_resized - 1);
    case COORD_ASYMMETRIC:
        return xr / g->scale;
    case COORD_TF_HALF_PIXEL_FOR_NN:
        return (xr + 0.5) / g->scale;
    case COORD_TF_CROP_AND_RESIZE: {
        double span = g->roi_end - g->roi_start;
        double v = g->len_resized > 1 ? xr * span * (in - 1) / (g->len_resized - 1) : span * (in - 1) / 2;
        v += g->roi_start * (in - 1);
        *outside = v < 0 || v > in - 1;
        return v;
    }
    default: /* half_pixel */
        return (xr + 0.5) / g->scale - 0.5;
    }
}

/* Up to 4 taps per output index: input index (clamped, as the reference's edge
 * padding) and weight; n == 0 marks an extrapolated index. */
typedef struct axis_taps {
    int64_t *idx; /* out * 4 */
    double *w;    /* out * 4 */
    int *n;       /* out */
} axis_taps;

/* ONNX Resize nearest_mode on a non-integral x; integral x is itself. */
static int64_t nearest_index(double x, nearest m)
{
    double f = floor(x), r = x - f;
    if (r == 0)
        return (int64_t)f;
    switch (m) {
    case ROUND_PREFER_CEIL: return (int64_t)f + (r >= 0.5);
    case NEAREST_FLOOR: return (int64_t)f;
    case NEAREST_CEIL: return (int64_t)f + 1;
    default: return (int64_t)f + (r > 0.5);
    }
}

/* Cubic convolution weights for the taps at x0-1, x0, x0+1, x0+2 with r = x - x0
 * in (0, 1] (Keys' kernel with coefficient A, as the reference's cubic_coeffs). */
static void cubic_weights(double r, double a, double *w)
{
    double s = 1 - r;
    w[0] = ((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a;
    w[1] = ((a + 2) * r - (a + 3)) * r * r + 1;
    w[2] = ((a + 2) * s - (a + 3)) * s * s + 1;
    w[3] = ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a;
}

/* Taps for one output index at original coordinate x. The reference takes the
 * neighbours left of x with ratio in (0, 1], so x0 = ceil(x) - 1. exclude_outside
 * zeroes taps outside the input and renormalizes; zero-weight taps are dropped. */
static int make_taps(double x, int64_t in, const resize_opts *o, int64_t *idx, double *w)
{
    if (o->mode == INTERP_NEAREST) {
        int64_t i = nearest_index(x, o->nearest);
        idx[0] = i < 0 ? 0 : i >= in ? in - 1 : i;
        w[0] = 1;
        return 1;
    }
    double x0 = ceil(x) - 1, r = x - x0, raw[4], sum = 0;
    int n = o->mode == INTERP_LINEAR ? 2 : 4, first = o->mode == INTERP_LINEAR ? 0 : -1, kept = 0;
    if (o->mode == INTERP_LINEAR) {
        raw[0] = 1 - r;
        raw[1] = r;
    } else {
        cubic_weights(r, o->cubic_a, raw);
    }
    for (int k = 0; k < n; k++) {
        double i = x0 + first + k;
        if (o->exclude_outside && (i < 0 || i >= (double)in))
            raw[k] = 0;
        sum += raw[k];
    }
    for (int k = 0; k < n; k++) {
        double i = x0 + first + k;
        if (raw[k] == 0)
            continue;
        idx[kept] = i < 0 ? 0 : i >= (double)in ? in - 1 : (int64_t)i;
        w[kept++] = o->exclude_outside && sum != 0 ? raw[k] / sum : raw[k];
    }
    return kept;
}

static void build_axis(const axis_geom *g, const resize_opts *opts, axis_taps *t)
{
    resize_opts axis_opts = *opts, *o = &axis_opts;
    if (o->nearest == NEAREST_LEGACY)
        o->nearest = g->scale < 1 ? NEAREST_CEIL : NEAREST_FLOOR;
    for (int64_t x = 0; x < g->out; x++) {
        bool outside;
        double xo = original_coord(g, o->coord, x, &outside);
        outside |= isnan(xo); /* only a NaN roi gets here */
        /* far outside, every tap clamps to the edge anyway; keeps the casts defined */
        xo = xo < -4 ? -4 : xo > (double)g->in + 4 ? (double)g->in + 4 : xo;
        t->n[x] = outside ? 0 : make_taps(xo, g->in, o, t->idx + 4 * x, t->w + 4 * x);
    }
}

/* Where the scales are: Upsample-7's attribute, input 1 in Upsample-9 and
 * Resize-10, input 2 in Resize-11+ (empty or omitted when sizes are given). */
static cg_code read_run_scales(cg_run_ctx *c, int rank, double *scales, bool *have)
{
    bool upsample = strcmp(c->node->op_type, "Upsample") == 0;
    int count = 0;
    *have = false;
    if (upsample && c->opset < 9) {
        const float *f = cg_attr_floats(c->node, "scales", &count);
        for (int i = 0; f && i < count && i < rank; i++)
            scales[i] = f[i];
        *have = f != NULL;
    } else {
        const cg_tensor *t = cg_run_in(c, upsample || c->opset < 11 ? 1 : 2);
        *have = t && t->numel > 0;
        count = *have ? (int)(t->numel < 64 ? t->numel : 64) : 0;
        for (int i = 0; *have && i < count && i < rank; i++)
            scales[i] = cg_tensor_get_f64(t, i);
    }
    if (*have && count != rank)
        return cg_run_fail(c, CG_ERR_INVALID, "scales has %d values for rank %d", count, rank);
    for (int i = 0; *have && i < rank; i++)
        if (!(scales[i] > 0) || !isfinite(scales[i]))
            return cg_run_fail(c, CG_ERR_INVALID, "scales[%d] = %g must be > 0", i, scales[i]);
    return CG_OK;
}

/* Per axis geometry; the roi (input 1 of Resize-11+) only matters for
 * tf_crop_and_resize: [start_1..start_r, end_1..end_r] in normalized coordinates. */
static cg_code axis_geometry(cg_run_ctx *c, const cg_tensor *x, const cg_tensor *y,
                             const resize_opts *o, axis_geom *g)
{
    double scales[CG_MAX_RANK];
    bool have;
    cg_code rc = read_run_scales(c, x->rank, scales, &have);
    const cg_tensor *roi = o->coord == COORD_TF_CROP_AND_RESIZE ? cg_run_in(c, 1) : NULL;
    if (rc == CG_OK && roi && roi->numel > 0 && roi->numel != 2 * x->rank)
        rc = cg_run_fail(c, CG_ERR_INVALID, "roi has %lld values for rank %d", (long long)roi->numel,
                         x->rank);
    for (int a = 0; rc == CG_OK && a < x->rank; a++) {
        g[a].in = x->dims[a];
        g[a].out = y->dims[a];
        if (g[a].out > 0 && g[a].in == 0)
            return cg_run_fail(c, CG_ERR_INVALID, "cannot resize empty axis %d to %lld", a,
                               (long long)g[a].out);
        g[a].scale = have ? scales[a] : g[a].in > 0 ? (double)g[a].out / (double)g[a].in : 1;
        g[a].len_resized = have ? g[a].scale * (double)g[a].in : (double)g[a].out;
        bool has_roi = roi && roi->numel > 0;
        g[a].roi_start = has_roi ? shape_tensor_get_f64(roi, a) : 0;
        g[a].roi_end = has_roi ? shape_tensor_get_f64(roi, a + x->rank) : 1;
    }
    return rc;
}

/* Output element = sum over the taps of every axis of the weight product times
 * the input element; any extrapolated axis gives extrapolation_value. */
static void resize_element(const cg_tensor *x, cg_tensor *y, int64_t k, const int64_t *o,
                           const axis_taps *t, const int64_t *stride, const resize_opts *opt)
{
    int r = x->rank, tap[CG_MAX_RANK] = {0};
    for (int a = 0; a < r; a++)
        if (t[a].n[o[a]] == 0) {
            cg_tensor_set_f64(y, k, opt->extrapolation);
            return;
        }
    if (opt->mode == INTERP_NEAREST) { /* one tap per axis: copy the bytes, any dtype */
        int64_t src = 0;
        size_t es = cg_dtype_size(x->dtype);
        for (int a = 0; a < r; a++)
            src += t[a].idx[4 * o[a]] * stride[a];
        memcpy((uint8_t *)y->data + (size_t)k * es, (const uint8_t *)x->data + (size_t)src * es, es);
        return;
    }
    double sum = 0;
    for (;;) {
        double w = 1;
        int64_t src = 0;
        for (int a = 0; a < r; a++) {
            w *= t[a].w[4 * o[a] + tap[a]];
            src += t[a].idx[4 * o[a] + tap[a]] * stride[a];
        }
        sum += w * shape_tensor_get_f64(x, src);
        int a = r - 1;
        while (a >= 0 && ++tap[a] == t[a].n[o[a]])
            tap[a--] = 0;
        if (a < 0)
            break;
    }
    cg_tensor_set_f64(y, k, sum);
}

static cg_code resize_run(cg_run_ctx *c)
{
    const cg_tensor *x = cg_run_in(c, 0);
    cg_tensor *y = cg_run_out(c, 0);
    resize_opts opt = read_opts(c);
    axis_geom g[CG_MAX_RANK];
    axis_taps t[CG_MAX_RANK];
    int64_t total = 0, stride[CG_MAX_RANK], o[CG_MAX_RANK] = {0};
    if (!x || !y || x->dtype != y->dtype || x->rank != y->rank || cg_dtype_size(x->dtype) == 0)
        return cg_run_fail(c, CG_ERR_INVALID, "output does not match input X");
    if (opt.mode != INTERP_NEAREST && !cg_dtype_is_float(x->dtype))
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "%s inputs are not supported by %s mode",
                           cg_dtype_name(x->dtype), opt.mode == INTERP_LINEAR ? "linear" : "cubic");
    cg_code rc = axis_geometry(c, x, y, &opt, g);
    if (rc != CG_OK || y->numel == 0)
        return rc;
    for (int a = 0; a < x->rank; a++)
        total += y->dims[a];
    total += 1; /* never malloc(0) */
    int64_t *idx = malloc((size_t)total * 4 * sizeof *idx);
    double *w = malloc((size_t)total * 4 * sizeof *w);
    int *n = malloc((size_t)total * sizeof *n);
    if (!idx || !w || !n)
        rc = cg_run_fail(c, CG_ERR_NOMEM, "out of memory");
    int64_t at = 0;
    for (int a = 0; rc == CG_OK && a < x->rank; at += y->dims[a], a++) {
        t[a] = (axis_taps){idx + 4 * at, w + 4 * at, n + at};
        build_axis(&g[a], &opt, &t[a]);
    }
    shape_strides(x->dims, x->rank, stride);
    for (int64_t k = 0; rc == CG_OK && k < y->numel; k++) {
        resize_element(x, y, k, o, t, stride, &opt);
        for (int a = x->rank - 1; a >= 0 && ++o[a] == y->dims[a]; a--)
            o[a] = 0;
    }
    free(idx);
    free(w);
    free(n);
    return rc;
}

/* One entry per since-version (ONNX operator docs). Resize-18 (axes,
 * keep_aspect_ratio_policy) is not implemented, so opset 18+ models use Resize-13 rules. */
const cg_op_def cg_ops_resize[] = {
    {"", "Resize", 10, infer_resize, resize_run},
    {"", "Resize", 11, infer_resize, resize_run},
    {"", "Resize", 13, infer_resize, resize_run},
    {"", "Upsample", 7, infer_resize, resize_run},
    {"", "Upsample", 9, infer_resize, resize_run},
    {"", "Upsample", 10, infer_upsample_deprecated, NULL},
    {NULL, NULL, 0, NULL, NULL},
};
