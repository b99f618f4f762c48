/* Output size and padding of every windowed op, per spatial axis: the one place
 * these rules live. Sources, cited rule by rule below:
 *   TF   tensorflow/core/framework/kernel_shape_util.cc GetWindowedOutputSizeVerbose
 *   ONNX operator spec text of Conv, MaxPool/AveragePool/LpPool, ConvTranspose
 *   onnx PR #5741 (ceil_mode drops a last window that starts in the end padding)
 *   onnxruntime core/providers/cpu/nn/conv_transpose_attributes.h */
#include "convgraph/padding.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Bounds that keep every product below 2^61, so no arithmetic here can overflow
 * int64: attributes <= 2^24 give ek <= 2^48; inputs <= 2^36 give n*s <= 2^60. */
#define CG_WINDOW_MAX_ATTR ((int64_t)1 << 24)
#define CG_WINDOW_MAX_INPUT ((int64_t)1 << 36)

typedef long long ll; /* for printf: int64_t is long on some ABIs, long long on others */

/* Everything one axis needs, gathered once so the rules read like the formulas. */
typedef struct axis_geom {
    const char *label;      /* "H" */
    const char *side_begin; /* "top" */
    const char *side_end;   /* "bottom" */
    int64_t k, s, d, ek;    /* kernel, stride, dilation, dilated kernel */
    int64_t pb, pe, op;     /* explicit pads, output_padding */
} axis_geom;

/* ---------------------------------------------------------------- names */

const char *cg_auto_pad_name(cg_auto_pad p)
{
    switch (p) {
    case CG_AUTO_PAD_NOTSET: return "NOTSET";
    case CG_AUTO_PAD_VALID: return "VALID";
    case CG_AUTO_PAD_SAME_UPPER: return "SAME_UPPER";
    case CG_AUTO_PAD_SAME_LOWER: return "SAME_LOWER";
    }
    return "?";
}

bool cg_auto_pad_parse(const char *s, size_t len, cg_auto_pad *out)
{
    static const cg_auto_pad all[] = {CG_AUTO_PAD_NOTSET, CG_AUTO_PAD_VALID,
                                      CG_AUTO_PAD_SAME_UPPER, CG_AUTO_PAD_SAME_LOWER};
    if (s == NULL)
        return false;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const char *name = cg_auto_pad_name(all[i]);
        if (strlen(name) == len && memcmp(name, s, len) == 0) {
            *out = all[i];
            return true;
        }
    }
    return false;
}

const char *cg_axis_label(int spatial, int axis)
{
    static const char *const labels3[] = {"D", "H", "W"};
    if (axis < 0 || axis >= spatial)
        return "?";
    switch (spatial) {
    case 1: return "L";
    case 2: return labels3[axis + 1];
    case 3: return labels3[axis];
    }
    return "?";
}

/* Which sides the begin/end pads are on, in the words of the `shapes` report. */
static void side_names(const char *label, const char **begin, const char **end)
{
    static const char *const sides[][3] = {
        {"D", "front", "back"}, {"H", "top", "bottom"}, {"W", "left", "right"}};
    *begin = "begin";
    *end = "end";
    for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++) {
        if (strcmp(label, sides[i][0]) == 0) {
            *begin = sides[i][1];
            *end = sides[i][2];
        }
    }
}

/* ---------------------------------------------------------------- window */

void cg_window_init(cg_window *w, cg_window_kind kind, int spatial)
{
    memset(w, 0, sizeof *w);
    w->kind = kind;
    w->spatial = spatial;
    w->auto_pad = CG_AUTO_PAD_NOTSET;
    for (int i = 0; i < CG_MAX_SPATIAL; i++) {
        /* kernel stays 0: the caller must fill it (from kernel_shape or W), and
         * validate catches a window whose kernel nobody set. */
        w->strides[i] = 1;
        w->dilations[i] = 1;
    }
}

static cg_code check_range(cg_status *st, const char *attr, int i, int64_t v, int64_t min)
{
    if (v < min)
        return cg_fail(st, CG_ERR_INVALID, "%s[%d] is %lld, must be >= %lld", attr, i, (ll)v,
                       (ll)min);
    if (v > CG_WINDOW_MAX_ATTR)
        return cg_fail(st, CG_ERR_UNSUPPORTED, "%s[%d] is %lld, above the supported %lld", attr,
                       i, (ll)v, (ll)CG_WINDOW_MAX_ATTR);
    return CG_OK;
}

static bool auto_pad_is_known(cg_auto_pad p)
{
    return p == CG_AUTO_PAD_NOTSET || p == CG_AUTO_PAD_VALID || p == CG_AUTO_PAD_SAME_UPPER ||
           p == CG_AUTO_PAD_SAME_LOWER;
}

static cg_code validate_enums(const cg_window *w, cg_status *st)
{
    if (w->spatial < 1 || w->spatial > CG_MAX_SPATIAL)
        return cg_fail(st, CG_ERR_UNSUPPORTED, "%d spatial axes, supported are 1 to %d",
                       w->spatial, CG_MAX_SPATIAL);
    if (w->kind != CG_WINDOW_CONV && w->kind != CG_WINDOW_POOL &&
        w->kind != CG_WINDOW_CONV_TRANSPOSE)
        return cg_fail(st, CG_ERR_INVALID, "unknown window kind %d", (int)w->kind);
    if (!auto_pad_is_known(w->auto_pad))
        return cg_fail(st, CG_ERR_INVALID,
                       "auto_pad value %d is not NOTSET, VALID, SAME_UPPER or SAME_LOWER",
                       (int)w->auto_pad);
    /* ONNX Conv/MaxPool spec, pads: "This attribute cannot be used simultaneously
     * with auto_pad attribute." */
    if (w->has_pads && w->auto_pad != CG_AUTO_PAD_NOTSET)
        return cg_fail(st, CG_ERR_INVALID, "pads given together with auto_pad=%s (only one is "
                       "allowed)", cg_auto_pad_name(w->auto_pad));
    /* ONNX: only MaxPool/AveragePool/LpPool have ceil_mode. */
    if (w->ceil_mode && w->kind != CG_WINDOW_POOL)
        return cg_fail(st, CG_ERR_INVALID, "ceil_mode is set but only pools have it");
    return CG_OK;
}

/* ONNX ConvTranspose spec: "Each padding value in output_padding must be less than
 * the corresponding stride/dilation dimension" (PyTorch reads it as: smaller than
 * the stride or smaller than the dilation). */
static cg_code validate_transpose_axis(const cg_window *w, int i, cg_status *st)
{
    cg_code c = check_range(st, "output_padding", i, w->output_padding[i], 0);
    if (c != CG_OK)
        return c;
    if (w->output_padding[i] >= w->strides[i] && w->output_padding[i] >= w->dilations[i])
        return cg_fail(st, CG_ERR_INVALID,
                       "output_padding[%d] is %lld, must be smaller than stride %lld or "
                       "dilation %lld", i, (ll)w->output_padding[i], (ll)w->strides[i],
                       (ll)w->dilations[i]);
    if (w->has_output_shape &&
        (w->output_shape[i] < 1 || w->output_shape[i] > CG_WINDOW_MAX_INPUT))
        return cg_fail(st, CG_ERR_INVALID, "output_shape[%d] is %lld, must be 1 to %lld", i,
                       (ll)w->output_shape[i], (ll)CG_WINDOW_MAX_INPUT);
    return CG_OK;
}

static cg_code validate_axis(const cg_window *w, int i, cg_status *st)
{
    cg_code c = check_range(st, "kernel_shape", i, w->kernel[i], 1);
    if (c == CG_OK)
        c = check_range(st, "strides", i, w->strides[i], 1);
    if (c == CG_OK)
        c = check_range(st, "dilations", i, w->dilations[i], 1);
    if (c == CG_OK)
        c = check_range(st, "pads", i, w->pads[i], 0);
    if (c == CG_OK)
        c = check_range(st, "pads", i + w->spatial, w->pads[i + w->spatial], 0);
    if (c == CG_OK && w->kind == CG_WINDOW_CONV_TRANSPOSE)
        c = validate_transpose_axis(w, i, st);
    return c;
}

cg_code cg_window_validate(const cg_window *w, cg_status *st)
{
    cg_code c = validate_enums(w, st);
    for (int i = 0; c == CG_OK && i < w->spatial; i++)
        c = validate_axis(w, i, st);
    return c;
}

/* ---------------------------------------------------------------- arithmetic */

/* Integer division rounding down / up for b > 0; C's '/' truncates toward zero. */
static int64_t div_floor(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

static int64_t div_ceil(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a > 0) ? q + 1 : q;
}

static int64_t max0(int64_t v)
{
    return v > 0 ? v : 0;
}

/* ONNX SAME_UPPER = TF 'SAME': "the extra padding is added at the end for
 * SAME_UPPER and at the beginning for SAME_LOWER" (Conv and ConvTranspose specs). */
static int64_t split_begin(cg_auto_pad p, int64_t total)
{
    return p == CG_AUTO_PAD_SAME_UPPER ? total / 2 : total - total / 2;
}

/* ---------------------------------------------------------------- explain */

static void explain_add(cg_window_axis *res, const char *fmt, ...) CG_PRINTF(2, 3);
static void explain_add(cg_window_axis *res, const char *fmt, ...)
{
    size_t used = strlen(res->explain);
    if (used + 1 >= sizeof res->explain)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->explain + used, sizeof res->explain - used, fmt, ap);
    va_end(ap);
}

/* "H: " or "H: ek=(3-1)*2+1=5, ": the dilated kernel is shown only when it differs. */
static void explain_start(cg_window_axis *res, const axis_geom *g)
{
    res->explain[0] = '\0';
    explain_add(res, "%s: ", g->label);
    if (g->d > 1)
        explain_add(res, "ek=(%lld-1)*%lld+1=%lld, ", (ll)g->k, (ll)g->d, (ll)g->ek);
}

static void explain_pads(cg_window_axis *res, const axis_geom *g)
{
    explain_add(res, "%lld %s + %lld %s", (ll)res->pad_begin, g->side_begin, (ll)res->pad_end,
                g->side_end);
}

static void set_result(cg_window_axis *res, int64_t out, int64_t begin, int64_t end)
{
    res->out = cg_dim_known(out);
    res->pad_begin = begin;
    res->pad_end = end;
}

/* ---------------------------------------------------------------- Conv / pools, known n */

static cg_code forward_same(const cg_window *w, const axis_geom *g, int64_t n,
                            cg_window_axis *res)
{
    /* TF GetWindowedOutputSizeVerbose SAME: out = ceil(n/s) */
    int64_t out = div_ceil(n, g->s);
    /* TF: padding_needed = max(0, (out-1)*s + ek - n), clamped at 0 when s > ek */
    int64_t total = max0((out - 1) * g->s + g->ek - n);
    int64_t begin = split_begin(w->auto_pad, total);
    set_result(res, out, begin, total - begin);
    explain_start(res, g);
    explain_add(res, "out=ceil(%lld/%lld)=%lld, total=max((%lld-1)*%lld+%lld-%lld,0)=%lld -> ",
                (ll)n, (ll)g->s, (ll)out, (ll)out, (ll)g->s, (ll)g->ek, (ll)n, (ll)total);
    explain_pads(res, g);
    return CG_OK;
}

static cg_code forward_valid(const axis_geom *g, int64_t n, cg_window_axis *res,
                             cg_status *st)
{
    /* TF VALID: out = (n - ek + s) / s, i.e. ceil((n - ek + 1)/s); ONNX auto_pad VALID */
    int64_t out = div_ceil(n - g->ek + 1, g->s);
    if (out < 1)
        return cg_fail(st, CG_ERR_INVALID,
                       "%s: output size ceil((%lld-%lld+1)/%lld) = %lld is below 1 (input %lld, "
                       "dilated kernel %lld)", g->label, (ll)n, (ll)g->ek, (ll)g->s, (ll)out,
                       (ll)n, (ll)g->ek);
    set_result(res, out, 0, 0);
    explain_start(res, g);
    explain_add(res, "out=ceil((%lld-%lld+1)/%lld)=%lld, no padding", (ll)n, (ll)g->ek,
                (ll)g->s, (ll)out);
    return CG_OK;
}

/* ONNX MaxPool spec: "Sliding windows that would start in the right padded region
 * are ignored" (onnx PR #5741, PyTorch): only the begin pad counts. */
static bool last_window_starts_in_end_pad(const axis_geom *g, int64_t n, int64_t out)
{
    return (out - 1) * g->s >= n + g->pb;
}

static cg_code forward_explicit(const cg_window *w, const axis_geom *g, int64_t n,
                                cg_window_axis *res, cg_status *st)
{
    /* ONNX Conv/MaxPool spec: out = floor((n + pb + pe - ek)/s + 1), ceil with ceil_mode */
    int64_t span = n + g->pb + g->pe - g->ek;
    const char *rounding = w->ceil_mode ? "ceil" : "floor";
    int64_t out = (w->ceil_mode ? div_ceil(span, g->s) : div_floor(span, g->s)) + 1;
    if (out < 1)
        return cg_fail(st, CG_ERR_INVALID,
                       "%s: output size %s((%lld+%lld+%lld-%lld)/%lld)+1 = %lld is below 1 "
                       "(input %lld, dilated kernel %lld)", g->label, rounding, (ll)n, (ll)g->pb,
                       (ll)g->pe, (ll)g->ek, (ll)g->s, (ll)out, (ll)n, (ll)g->ek);
    explain_start(res, g);
    explain_add(res, "out=%s((%lld+%lld+%lld-%lld)/%lld)+1=%lld", rounding, (ll)n, (ll)g->pb,
                (ll)g->pe, (ll)g->ek, (ll)g->s, (ll)out);
    if (w->ceil_mode && last_window_starts_in_end_pad(g, n, out)) {
        explain_add(res,
                    ", last window starts in the end padding ((%lld-1)*%lld>=%lld+%lld) -> %lld",
                    (ll)out, (ll)g->s, (ll)n, (ll)g->pb, (ll)(out - 1));
        out--;
    }
    set_result(res, out, g->pb, g->pe);
    explain_add(res, ", pads ");
    explain_pads(res, g);
    explain_add(res, " (explicit)");
    return CG_OK;
}

static cg_code forward_known(const cg_window *w, const axis_geom *g, int64_t n,
                             cg_window_axis *res, cg_status *st)
{
    switch (w->auto_pad) {
    case CG_AUTO_PAD_SAME_UPPER:
    case CG_AUTO_PAD_SAME_LOWER: return forward_same(w, g, n, res);
    case CG_AUTO_PAD_VALID: return forward_valid(g, n, res, st);
    case CG_AUTO_PAD_NOTSET: break;
    }
    return forward_explicit(w, g, n, res, st);
}

/* ---------------------------------------------------------------- ConvTranspose, known n */

/* ONNX ConvTranspose spec: total_padding = s*(n-1) + output_padding + ek - output_shape;
 * "If (auto_pads == SAME_UPPER): pads[start_i] = total_padding[i]/2 ... Else:
 * pads[start_i] = total_padding[i] - (total_padding[i]/2)".
 * A negative total (backend test test_convtranspose_output_shape: n3 k3 s3 asks for
 * 10 where the full output is 9, expects 10) is clamped to 0 as onnxruntime's
 * ComputeTotalPad does: the last -total outputs get no input contribution, the
 * same as output_padding. */
static cg_code transpose_output_shape(const cg_window *w, const axis_geom *g, int axis,
                                      int64_t n, cg_window_axis *res)
{
    int64_t out = w->output_shape[axis];
    int64_t total = g->s * (n - 1) + g->op + g->ek - out;
    int64_t begin = total < 0 ? 0 : split_begin(w->auto_pad, total);
    set_result(res, out, begin, max0(total) - begin);
    explain_start(res, g);
    explain_add(res, "out=%lld (output_shape), total=%lld*(%lld-1)+%lld+%lld-%lld=%lld -> ",
                (ll)out, (ll)g->s, (ll)n, (ll)g->op, (ll)g->ek, (ll)out, (ll)total);
    if (total < 0)
        explain_add(res, "no padding, the last %lld output(s) get no input", (ll)-total);
    else
        explain_pads(res, g);
    return CG_OK;
}

/* ONNX ConvTranspose spec, auto_pad: SAME_* "pad the input so that
 * output_shape[i] = input_shape[i] * strides[i]" (as onnxruntime does); the total
 * is clamped at 0 like TF's SAME. */
static cg_code transpose_same(const cg_window *w, const axis_geom *g, int64_t n,
                              cg_window_axis *res)
{
    int64_t out = n * g->s;
    int64_t total = max0(g->s * (n - 1) + g->op + g->ek - out);
    int64_t begin = split_begin(w->auto_pad, total);
    set_result(res, out, begin, total - begin);
    explain_start(res, g);
    explain_add(res, "out=%lld*%lld=%lld, total=max(%lld*(%lld-1)+%lld+%lld-%lld,0)=%lld -> ",
                (ll)n, (ll)g->s, (ll)out, (ll)g->s, (ll)n, (ll)g->op, (ll)g->ek, (ll)out,
                (ll)total);
    explain_pads(res, g);
    return CG_OK;
}

/* ONNX ConvTranspose spec: output_shape[i] = stride[i] * (input_size[i] - 1) +
 * output_padding[i] + ((kernel_shape[i] - 1) * dilations[i] + 1) - pads[start_i] -
 * pads[end_i]; VALID means no pads. */
static cg_code transpose_explicit(const cg_window *w, const axis_geom *g, int64_t n,
                                  cg_window_axis *res, cg_status *st)
{
    int64_t out = g->s * (n - 1) + g->op + g->ek - g->pb - g->pe;
    if (out < 1)
        return cg_fail(st, CG_ERR_INVALID,
                       "%s: output size %lld*(%lld-1)+%lld+%lld-%lld-%lld = %lld is below 1 "
                       "(input %lld, dilated kernel %lld)", g->label, (ll)g->s, (ll)n, (ll)g->op,
                       (ll)g->ek, (ll)g->pb, (ll)g->pe, (ll)out, (ll)n, (ll)g->ek);
    set_result(res, out, g->pb, g->pe);
    explain_start(res, g);
    if (w->auto_pad == CG_AUTO_PAD_VALID) {
        explain_add(res, "out=%lld*(%lld-1)+%lld+%lld=%lld, no padding", (ll)g->s, (ll)n,
                    (ll)g->op, (ll)g->ek, (ll)out);
        return CG_OK;
    }
    explain_add(res, "out=%lld*(%lld-1)+%lld+%lld-%lld-%lld=%lld, pads ", (ll)g->s, (ll)n,
                (ll)g->op, (ll)g->ek, (ll)g->pb, (ll)g->pe, (ll)out);
    explain_pads(res, g);
    explain_add(res, " (explicit)");
    return CG_OK;
}

static cg_code transpose_known(const cg_window *w, const axis_geom *g, int axis, int64_t n,
                               cg_window_axis *res, cg_status *st)
{
    /* ONNX ConvTranspose spec: a given output_shape decides the pads, whatever pads say. */
    if (w->has_output_shape)
        return transpose_output_shape(w, g, axis, n, res);
    if (w->auto_pad == CG_AUTO_PAD_SAME_UPPER || w->auto_pad == CG_AUTO_PAD_SAME_LOWER)
        return transpose_same(w, g, n, res);
    return transpose_explicit(w, g, n, res, st);
}

static cg_code resolve_known(const cg_window *w, const axis_geom *g, int axis, int64_t n,
                             cg_window_axis *res, cg_status *st)
{
    if (n < 1)
        return cg_fail(st, CG_ERR_INVALID, "%s: input size %lld is below 1", g->label, (ll)n);
    if (n > CG_WINDOW_MAX_INPUT)
        return cg_fail(st, CG_ERR_UNSUPPORTED, "%s: input size %lld is above the supported %lld",
                       g->label, (ll)n, (ll)CG_WINDOW_MAX_INPUT);
    if (w->kind == CG_WINDOW_CONV_TRANSPOSE)
        return transpose_known(w, g, axis, n, res, st);
    return forward_known(w, g, n, res, st);
}

/* ---------------------------------------------------------------- symbolic or unknown n */

/* in + c for any sign of c: a cg_dim cannot hold a negative constant (a negative
 * known value means "unknown"), so a negative c is subtracted as |c|. */
static cg_dim add_const(cg_strpool *p, cg_dim in, int64_t c)
{
    return c < 0 ? cg_dim_sub(p, in, cg_dim_known(-c)) : cg_dim_add(p, in, cg_dim_known(c));
}

/* Pads that do not depend on the input size, or -1 each when they do. Explicit pads
 * are given; forward SAME with s == 1 has total ek-1 and with ek == 1 total 0 (TF
 * formula with (out-1)*s - n in [-s, -1]); ConvTranspose SAME has total
 * max(op+ek-s, 0) for any n. ConvTranspose with output_shape depends on n. */
static void pads_without_input(const cg_window *w, const axis_geom *g, int64_t *begin,
                               int64_t *end)
{
    bool same = w->auto_pad == CG_AUTO_PAD_SAME_UPPER || w->auto_pad == CG_AUTO_PAD_SAME_LOWER;
    int64_t total = -1;
    *begin = *end = -1;
    if (w->kind == CG_WINDOW_CONV_TRANSPOSE && w->has_output_shape)
        return;
    if (w->auto_pad == CG_AUTO_PAD_NOTSET) {
        *begin = g->pb;
        *end = g->pe;
        return;
    }
    if (w->auto_pad == CG_AUTO_PAD_VALID)
        total = 0;
    else if (same && w->kind == CG_WINDOW_CONV_TRANSPOSE)
        total = max0(g->op + g->ek - g->s);
    else if (same && (g->s == 1 || g->ek == 1))
        total = g->ek - 1;
    if (total < 0)
        return;
    *begin = split_begin(w->auto_pad, total);
    *end = total - *begin;
}

/* Pool ceil_mode with a symbolic input: the drop rule (onnx PR #5741) keeps
 * min(ceil(span/s)+1, ceil((n+pb)/s)) windows. It never fires when ek-pe >= s and
 * always decides the result when pe >= ek; in between both terms are kept. */
static cg_dim forward_ceil_symbolic(cg_strpool *p, const axis_geom *g, cg_dim in)
{
    cg_dim ceil_out = cg_dim_add(p, cg_dim_div_ceil(p, add_const(p, in, g->pb + g->pe - g->ek),
                                                    cg_dim_known(g->s)),
                                 cg_dim_known(1));
    cg_dim starts_inside = cg_dim_div_ceil(p, add_const(p, in, g->pb), cg_dim_known(g->s));
    if (g->ek - g->pe >= g->s)
        return ceil_out;
    if (g->pe >= g->ek)
        return starts_inside;
    char a[256], b[256];
    if (!cg_dim_is_symbolic(ceil_out) || !cg_dim_is_symbolic(starts_inside) ||
        cg_dim_format(ceil_out, a, sizeof a) >= (int)sizeof a ||
        cg_dim_format(starts_inside, b, sizeof b) >= (int)sizeof b)
        return cg_dim_unknown();
    const char *expr = cg_strpool_printf(p, "min(%s,%s)", a, b);
    return expr ? cg_dim_symbol(expr) : cg_dim_unknown();
}

static cg_dim forward_out_symbolic(const cg_window *w, cg_strpool *p, const axis_geom *g,
                                   cg_dim in)
{
    cg_dim s = cg_dim_known(g->s);
    switch (w->auto_pad) {
    case CG_AUTO_PAD_SAME_UPPER:
    case CG_AUTO_PAD_SAME_LOWER: return cg_dim_div_ceil(p, in, s);
    case CG_AUTO_PAD_VALID: return cg_dim_div_ceil(p, add_const(p, in, 1 - g->ek), s);
    case CG_AUTO_PAD_NOTSET: break;
    }
    if (w->ceil_mode)
        return forward_ceil_symbolic(p, g, in);
    return cg_dim_add(p, cg_dim_div_floor(p, add_const(p, in, g->pb + g->pe - g->ek), s),
                      cg_dim_known(1));
}

static cg_dim transpose_out_symbolic(const cg_window *w, cg_strpool *p, const axis_geom *g,
                                     int axis, cg_dim in)
{
    if (w->has_output_shape)
        return cg_dim_known(w->output_shape[axis]);
    cg_dim scaled = cg_dim_mul(p, in, cg_dim_known(g->s));
    if (w->auto_pad == CG_AUTO_PAD_SAME_UPPER || w->auto_pad == CG_AUTO_PAD_SAME_LOWER)
        return scaled;
    /* s*(n-1) + op + ek - pb - pe, regrouped as n*s + (op + ek - pb - pe - s) */
    return add_const(p, scaled, g->op + g->ek - g->pb - g->pe - g->s);
}

/* "H: input H, out=ceil(H/2), pads depend on H (SAME_UPPER)"; an unknown input
 * reads "input size unknown". */
static void explain_symbolic(const cg_window *w, const axis_geom *g, cg_window_axis *res)
{
    char in_text[96], out_text[96];
    bool known_in = !cg_dim_is_unknown(res->in);
    cg_dim_format(res->in, in_text, sizeof in_text);
    cg_dim_format(res->out, out_text, sizeof out_text);
    explain_start(res, g);
    explain_add(res, known_in ? "input %s, " : "input size unknown, ", in_text);
    explain_add(res, cg_dim_is_unknown(res->out) ? "out unknown, " : "out=%s, ", out_text);
    if (res->pad_begin >= 0) {
        explain_add(res, "pads ");
        explain_pads(res, g);
    } else {
        explain_add(res, "pads depend on %s (%s)", known_in ? in_text : "it",
                    cg_auto_pad_name(w->auto_pad));
    }
}

static cg_code resolve_symbolic(const cg_window *w, const axis_geom *g, int axis, cg_dim in,
                                cg_strpool *pool, cg_window_axis *res, cg_status *st)
{
    if (cg_dim_is_symbolic(in) && pool == NULL)
        return cg_fail(st, CG_ERR_INVALID, "%s: symbolic input size needs a string pool",
                       g->label);
    res->out = cg_dim_unknown();
    if (cg_dim_is_symbolic(in))
        res->out = w->kind == CG_WINDOW_CONV_TRANSPOSE
                       ? transpose_out_symbolic(w, pool, g, axis, in)
                       : forward_out_symbolic(w, pool, g, in);
    else if (w->kind == CG_WINDOW_CONV_TRANSPOSE && w->has_output_shape)
        res->out = cg_dim_known(w->output_shape[axis]);
    pads_without_input(w, g, &res->pad_begin, &res->pad_end);
    explain_symbolic(w, g, res);
    return CG_OK;
}

/* ---------------------------------------------------------------- entry points */

static axis_geom geom_of(const cg_window *w, int axis)
{
    axis_geom g;
    g.label = cg_axis_label(w->spatial, axis);
    side_names(g.label, &g.side_begin, &g.side_end);
    g.k = w->kernel[axis];
    g.s = w->strides[axis];
    g.d = w->dilations[axis];
    /* ONNX Conv spec / TF: effective kernel (k-1)*d + 1, used by every rule, SAME included */
    g.ek = (g.k - 1) * g.d + 1;
    g.pb = w->auto_pad == CG_AUTO_PAD_NOTSET ? w->pads[axis] : 0;
    g.pe = w->auto_pad == CG_AUTO_PAD_NOTSET ? w->pads[axis + w->spatial] : 0;
    g.op = w->kind == CG_WINDOW_CONV_TRANSPOSE ? w->output_padding[axis] : 0;
    return g;
}

cg_code cg_padding_resolve(const cg_window *w, int axis, cg_dim in, cg_strpool *pool,
                           cg_window_axis *res, cg_status *st)
{
    memset(res, 0, sizeof *res);
    res->in = in;
    res->out = cg_dim_unknown();
    res->pad_begin = res->pad_end = -1;
    cg_code c = cg_window_validate(w, st);
    if (c != CG_OK)
        return c;
    if (axis < 0 || axis >= w->spatial)
        return cg_fail(st, CG_ERR_INVALID, "axis %d is outside the %d spatial axes", axis,
                       w->spatial);
    axis_geom g = geom_of(w, axis);
    if (cg_dim_is_known(in))
        return resolve_known(w, &g, axis, in.v, res, st);
    return resolve_symbolic(w, &g, axis, in, pool, res, st);
}

int64_t cg_padding_transpose_output_padding(const cg_window *w, int axis, int64_t in, int64_t out,
                                            int64_t pad_begin, int64_t pad_end)
{
    axis_geom g = geom_of(w, axis);
    /* ONNX ConvTranspose: out = s*(n-1) + output_padding + ek - pads_begin - pads_end */
    return out - (g.s * (in - 1) + g.ek - pad_begin - pad_end);
}

cg_code cg_padding_resolve_all(const cg_window *w, const cg_dim *in, cg_strpool *pool,
                               cg_window_axis *res, cg_status *st)
{
    cg_code c = cg_window_validate(w, st);
    for (int i = 0; c == CG_OK && i < w->spatial; i++)
        c = cg_padding_resolve(w, i, in[i], pool, &res[i], st);
    return c;
}
