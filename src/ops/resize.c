/* Operator family 'resize': Resize (10, 11, 13) and Upsample (7, 9; deprecated in 10).
 * Output dims come from known `sizes`, or floor(in * scale) with known `scales`;
 * otherwise the rank is kept and the dims are unknown. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ops/families.h"

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

/* One entry per since-version (ONNX operator docs). Resize-18 (axes,
 * keep_aspect_ratio_policy) is not implemented, so opset 18+ models use Resize-13 rules. */
const cg_op_def cg_ops_resize[] = {
    {"", "Resize", 10, infer_resize},
    {"", "Resize", 11, infer_resize},
    {"", "Resize", 13, infer_resize},
    {"", "Upsample", 7, infer_resize},
    {"", "Upsample", 9, infer_resize},
    {"", "Upsample", 10, infer_upsample_deprecated},
    {NULL, NULL, 0, NULL},
};
