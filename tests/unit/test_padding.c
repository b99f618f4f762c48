/* padding.c: output sizes, pads, errors, symbolic sizes and explain lines of every
 * windowed op. Each table row names where its expected numbers come from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "convgraph/convgraph.h"

enum { UPPER = CG_AUTO_PAD_SAME_UPPER, LOWER = CG_AUTO_PAD_SAME_LOWER,
       VALID = CG_AUTO_PAD_VALID, NOTSET = CG_AUTO_PAD_NOTSET };
enum { CONV = CG_WINDOW_CONV, POOL = CG_WINDOW_POOL, CONVT = CG_WINDOW_CONV_TRANSPOSE };

/* One window and what it must resolve to. Zero strides/dilations mean 1 so rows
 * stay short; pads are in ONNX order (begins..., ends...). */
typedef struct window_row {
    int kind, spatial, auto_pad;
    bool ceil_mode, has_pads, has_output_shape;
    int64_t in[3], k[3], s[3], d[3], pads[6], op[3], output_shape[3];
    int64_t out[3], begin[3], end[3];
} window_row;

static cg_window window_of(const window_row *r)
{
    cg_window w;
    cg_window_init(&w, (cg_window_kind)r->kind, r->spatial);
    w.auto_pad = (cg_auto_pad)r->auto_pad;
    w.ceil_mode = r->ceil_mode;
    w.has_pads = r->has_pads;
    w.has_output_shape = r->has_output_shape;
    for (int i = 0; r->spatial <= 3 && i < r->spatial; i++) {
        w.kernel[i] = r->k[i];
        w.strides[i] = r->s[i] ? r->s[i] : 1;
        w.dilations[i] = r->d[i] ? r->d[i] : 1;
        w.pads[i] = r->pads[i];
        w.pads[i + r->spatial] = r->pads[i + r->spatial];
        w.output_padding[i] = r->op[i];
        w.output_shape[i] = r->output_shape[i];
    }
    return w;
}

static cg_code resolve_row(const window_row *r, cg_window_axis *axes, cg_status *st)
{
    cg_window w = window_of(r);
    cg_dim in[3];
    for (int i = 0; i < 3; i++)
        in[i] = cg_dim_known(r->in[i]);
    cg_status_clear(st);
    return cg_padding_resolve_all(&w, in, NULL, axes, st);
}

static void check_rows(const window_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cg_window_axis axes[3];
        cg_status st;
        cg_code c = resolve_row(&rows[i], axes, &st);
        if (c != CG_OK)
            fail_msg("row %zu: %s", i, st.msg);
        for (int a = 0; a < rows[i].spatial; a++) {
            if (!cg_dim_is_known(axes[a].out) || axes[a].out.v != rows[i].out[a] ||
                axes[a].pad_begin != rows[i].begin[a] || axes[a].pad_end != rows[i].end[a])
                fail_msg("row %zu axis %d: got out %lld pads %lld/%lld, want %lld pads "
                         "%lld/%lld (%s)", i, a, (long long)axes[a].out.v,
                         (long long)axes[a].pad_begin, (long long)axes[a].pad_end,
                         (long long)rows[i].out[a], (long long)rows[i].begin[a],
                         (long long)rows[i].end[a], axes[a].explain);
            assert_true(strlen(axes[a].explain) > 0);
        }
    }
}

static void test_conv_same_and_valid(void **state)
{
    (void)state;
    static const window_row rows[] = {
        /* DESIGN.md field example: Conv2D kernel 4 strides 2 'same' on 64x64 -> 32x32,
         * one pixel each side (TF kernel_shape_util SAME) */
        {.kind = CONV, .spatial = 2, .auto_pad = UPPER, .in = {64, 64}, .k = {4, 4},
         .s = {2, 2}, .out = {32, 32}, .begin = {1, 1}, .end = {1, 1}},
        /* same layer with 'valid' -> 31x31 (TF VALID: ceil((64-4+1)/2)) */
        {.kind = CONV, .spatial = 2, .auto_pad = VALID, .in = {64, 64}, .k = {4, 4},
         .s = {2, 2}, .out = {31, 31}},
        /* TF SAME: total = max((3-1)*2+1-6, 0) = 0, nothing to split */
        {.kind = CONV, .spatial = 1, .auto_pad = LOWER, .in = {6}, .k = {1}, .s = {2},
         .out = {3}},
        /* onnxruntime#10086: stride > kernel; TF and ONNX shape inference clamp at 0 */
        {.kind = CONV, .spatial = 1, .auto_pad = UPPER, .in = {500}, .k = {5}, .s = {10},
         .out = {50}},
        /* onnxruntime#20582: TF computes SAME with the dilated kernel: ek 5, total 4 */
        {.kind = CONV, .spatial = 1, .auto_pad = UPPER, .in = {22}, .k = {3}, .d = {2},
         .out = {22}, .begin = {2}, .end = {2}},
        /* TF SAME, ek = (4-1)*3+1 = 10, total 9: the odd pixel at the end ... */
        {.kind = CONV, .spatial = 1, .auto_pad = UPPER, .in = {10}, .k = {4}, .d = {3},
         .out = {10}, .begin = {4}, .end = {5}},
        /* ... and at the begin for ONNX SAME_LOWER */
        {.kind = CONV, .spatial = 1, .auto_pad = LOWER, .in = {10}, .k = {4}, .d = {3},
         .out = {10}, .begin = {5}, .end = {4}},
        /* ONNX Conv spec SAME_LOWER/UPPER with odd total 3 (n7 k4 s1) */
        {.kind = CONV, .spatial = 1, .auto_pad = LOWER, .in = {7}, .k = {4}, .out = {7},
         .begin = {2}, .end = {1}},
        {.kind = CONV, .spatial = 1, .auto_pad = UPPER, .in = {7}, .k = {4}, .out = {7},
         .begin = {1}, .end = {2}},
        /* ONNX backend test_maxpool_2d_same_lower: 5x5 k2 -> 5x5, pads 1/0 */
        {.kind = POOL, .spatial = 2, .auto_pad = LOWER, .in = {5, 5}, .k = {2, 2},
         .out = {5, 5}, .begin = {1, 1}, .end = {0, 0}},
        /* ONNX backend test_maxpool_2d_precomputed_same_upper: 5x5 k3 s2 -> 3x3 */
        {.kind = POOL, .spatial = 2, .auto_pad = UPPER, .in = {5, 5}, .k = {3, 3},
         .s = {2, 2}, .out = {3, 3}, .begin = {1, 1}, .end = {1, 1}},
        /* DESIGN.md: MaxPool 5x7 k3 s2 d2 SAME_UPPER -> 3x4, pads 2,2/2,2 (TF, ONNX
         * shape inference; onnxruntime ignores pool dilations here) */
        {.kind = POOL, .spatial = 2, .auto_pad = UPPER, .in = {5, 7}, .k = {3, 3},
         .s = {2, 2}, .d = {2, 2}, .out = {3, 4}, .begin = {2, 2}, .end = {2, 2}},
        /* TF VALID with the dilated kernel: ek 7 on 7 -> 1 */
        {.kind = CONV, .spatial = 1, .auto_pad = VALID, .in = {7}, .k = {3}, .d = {3},
         .out = {1}},
        /* TF SAME, 3-D: D ceil(5/2)=3 total 2; H 3 total 1; W 4 total 2 */
        {.kind = CONV, .spatial = 3, .auto_pad = UPPER, .in = {5, 6, 7}, .k = {3, 3, 3},
         .s = {2, 2, 2}, .out = {3, 3, 4}, .begin = {1, 0, 1}, .end = {1, 1, 1}},
        /* TF VALID, 3-D with per-axis strides: ceil((9-3+1)/1), ceil((8-2+1)/3), ceil((4-4+1)/2) */
        {.kind = POOL, .spatial = 3, .auto_pad = VALID, .in = {9, 8, 4}, .k = {3, 2, 4},
         .s = {1, 3, 2}, .out = {7, 3, 1}},
    };
    check_rows(rows, sizeof rows / sizeof rows[0]);
}

static void test_explicit_pads_and_ceil_mode(void **state)
{
    (void)state;
    static const window_row rows[] = {
        /* ONNX Conv spec: floor((64+1+1-4)/2)+1 = 32 */
        {.kind = CONV, .spatial = 2, .has_pads = true, .in = {64, 64}, .k = {4, 4},
         .s = {2, 2}, .pads = {1, 1, 1, 1}, .out = {32, 32}, .begin = {1, 1}, .end = {1, 1}},
        /* ONNX backend test_maxpool_2d_pads: 5x5 k3 pads 2 -> 7x7 */
        {.kind = POOL, .spatial = 2, .has_pads = true, .in = {5, 5}, .k = {3, 3},
         .pads = {2, 2, 2, 2}, .out = {7, 7}, .begin = {2, 2}, .end = {2, 2}},
        /* ONNX backend test_maxpool_2d_dilations: 4x4 k2 d2 -> 2x2 */
        {.kind = POOL, .spatial = 2, .in = {4, 4}, .k = {2, 2}, .d = {2, 2}, .out = {2, 2}},
        /* ONNX backend test_maxpool_2d_ceil: 4x4 k3 s2 ceil_mode -> 2x2 */
        {.kind = POOL, .spatial = 2, .ceil_mode = true, .in = {4, 4}, .k = {3, 3},
         .s = {2, 2}, .out = {2, 2}},
        /* onnx PR #5741 / PyTorch: n5 k3 s3 pads 0/2 -> ceil(4/3)+1 = 3, but the last
         * window starts at 6 >= 5+0, in the end padding: dropped -> 2 */
        {.kind = POOL, .spatial = 1, .ceil_mode = true, .has_pads = true, .in = {5}, .k = {3},
         .s = {3}, .pads = {0, 2}, .out = {2}, .begin = {0}, .end = {2}},
        /* same sizes with pads 2/0: the last window starts at 6 < 5+2 -> 3 is kept */
        {.kind = POOL, .spatial = 1, .ceil_mode = true, .has_pads = true, .in = {5}, .k = {3},
         .s = {3}, .pads = {2, 0}, .out = {3}, .begin = {2}, .end = {0}},
        /* PyTorch max_pool1d(9, k4, s4, p2, ceil_mode) -> 3 (ceil gives 4, 12 >= 11 drops) */
        {.kind = POOL, .spatial = 1, .ceil_mode = true, .has_pads = true, .in = {9}, .k = {4},
         .s = {4}, .pads = {2, 2}, .out = {3}, .begin = {2}, .end = {2}},
        /* PyTorch max_pool1d(2, k3, s2, ceil_mode) -> 1: ceil((2-3)/2)+1 = 1, a window may
         * overhang the end as long as it starts inside */
        {.kind = POOL, .spatial = 1, .ceil_mode = true, .in = {2}, .k = {3}, .s = {2},
         .out = {1}},
        /* ceil_mode does not change SAME (ONNX MaxPool spec gives SAME its own formula) */
        {.kind = POOL, .spatial = 1, .ceil_mode = true, .auto_pad = UPPER, .in = {5}, .k = {3},
         .s = {3}, .out = {2}, .begin = {0}, .end = {1}},
        /* ONNX Conv spec, 3-D explicit: floor((6+1+0-3)/2)+1, floor((5+0+2-2)/1)+1,
         * floor((4+1+1-3)/3)+1 */
        {.kind = CONV, .spatial = 3, .has_pads = true, .in = {6, 5, 4}, .k = {3, 2, 3},
         .s = {2, 1, 3}, .pads = {1, 0, 1, 0, 2, 1}, .out = {3, 6, 2}, .begin = {1, 0, 1},
         .end = {0, 2, 1}},
    };
    check_rows(rows, sizeof rows / sizeof rows[0]);
}

static void test_conv_transpose(void **state)
{
    (void)state;
    static const window_row rows[] = {
        /* ONNX ConvTranspose spec auto_pad: out = n*s = 6; total = max(2*2+0+3-6,0) = 1,
         * the odd pixel at the end for SAME_UPPER ... */
        {.kind = CONVT, .spatial = 1, .auto_pad = UPPER, .in = {3}, .k = {3}, .s = {2},
         .out = {6}, .begin = {0}, .end = {1}},
        /* ... and at the begin for SAME_LOWER */
        {.kind = CONVT, .spatial = 1, .auto_pad = LOWER, .in = {3}, .k = {3}, .s = {2},
         .out = {6}, .begin = {1}, .end = {0}},
        /* ONNX ConvTranspose spec output_shape: total 1, NOTSET puts the odd pixel first */
        {.kind = CONVT, .spatial = 1, .has_output_shape = true, .in = {3}, .k = {3},
         .s = {2}, .output_shape = {6}, .out = {6}, .begin = {1}, .end = {0}},
        /* same with SAME_UPPER: the odd pixel goes to the end */
        {.kind = CONVT, .spatial = 1, .auto_pad = UPPER, .has_output_shape = true, .in = {3},
         .k = {3}, .s = {2}, .output_shape = {6}, .out = {6}, .begin = {0}, .end = {1}},
        /* DESIGN.md: output_padding with SAME follows the auto_pad text: n*s = 6,
         * total = max(2*2+1+3-6,0) = 2 */
        {.kind = CONVT, .spatial = 1, .auto_pad = UPPER, .in = {3}, .k = {3}, .s = {2},
         .op = {1}, .out = {6}, .begin = {1}, .end = {1}},
        /* ONNX backend test_convtranspose_output_shape: X 3x3 k3 strides 3,2 output_shape
         * 10,8 -> 10x8; totals 3*2+3-10 = -1 and 2*2+3-8 = -1 clamp to 0 (onnxruntime) */
        {.kind = CONVT, .spatial = 2, .has_output_shape = true, .in = {3, 3}, .k = {3, 3},
         .s = {3, 2}, .output_shape = {10, 8}, .out = {10, 8}},
        /* ONNX backend test_convtranspose_pads: pads 1,2,1,2 strides 3,2 -> 7x3 */
        {.kind = CONVT, .spatial = 2, .has_pads = true, .in = {3, 3}, .k = {3, 3},
         .s = {3, 2}, .pads = {1, 2, 1, 2}, .out = {7, 3}, .begin = {1, 2}, .end = {1, 2}},
        /* ONNX backend test_convtranspose_dilations: 3x3 k2 d2 -> 5x5 */
        {.kind = CONVT, .spatial = 2, .in = {3, 3}, .k = {2, 2}, .d = {2, 2}, .out = {5, 5}},
        /* ONNX backend test_convtranspose_1d: 3 k3 -> 5 */
        {.kind = CONVT, .spatial = 1, .in = {3}, .k = {3}, .out = {5}},
        /* ONNX ConvTranspose spec, output_padding adds at the end: 3*(3-1)+1+3 = 10 */
        {.kind = CONVT, .spatial = 1, .in = {3}, .k = {3}, .s = {3}, .op = {1}, .out = {10}},
        /* VALID = no pads: 2*(4-1)+0+3 = 9; 3-D per axis */
        {.kind = CONVT, .spatial = 3, .auto_pad = VALID, .in = {4, 2, 1}, .k = {3, 1, 2},
         .s = {2, 1, 1}, .out = {9, 2, 2}},
        /* ONNX backend test_convtranspose_3d: 3x4x5 k3 -> 5x6x7 */
        {.kind = CONVT, .spatial = 3, .in = {3, 4, 5}, .k = {3, 3, 3}, .out = {5, 6, 7}},
    };
    check_rows(rows, sizeof rows / sizeof rows[0]);
}

/* ---------------------------------------------------------------- errors */

typedef struct error_row {
    window_row w;
    cg_code code;
    const char *msg; /* the whole message */
} error_row;

static void test_errors(void **state)
{
    (void)state;
    static const error_row rows[] = {
        /* brief example: VALID output below 1 */
        {{.kind = CONV, .spatial = 2, .auto_pad = VALID, .in = {2, 9}, .k = {4, 4}},
         CG_ERR_INVALID,
         "H: output size ceil((2-4+1)/1) = -1 is below 1 (input 2, dilated kernel 4)"},
        /* ONNX Conv spec explicit formula, dilated kernel 7 on 3+1+1 */
        {{.kind = CONV, .spatial = 1, .has_pads = true, .in = {3}, .k = {4}, .d = {2},
          .pads = {1, 1}},
         CG_ERR_INVALID,
         "L: output size floor((3+1+1-7)/1)+1 = -1 is below 1 (input 3, dilated kernel 7)"},
        /* ONNX ConvTranspose spec formula: pads eat the whole output */
        {{.kind = CONVT, .spatial = 1, .has_pads = true, .in = {1}, .k = {2}, .pads = {1, 1}},
         CG_ERR_INVALID,
         "L: output size 1*(1-1)+0+2-1-1 = 0 is below 1 (input 1, dilated kernel 2)"},
        /* an empty spatial axis has no window to place (PyTorch refuses it too) */
        {{.kind = CONV, .spatial = 2, .in = {3, 0}, .k = {1, 1}}, CG_ERR_INVALID,
         "W: input size 0 is below 1"},
        /* TF GetWindowedOutputSizeVerbose: "Stride must be > 0", "Dilation rate must
         * be >= 1"; ONNX pads "can take any value greater than or equal to 0" */
        {{.kind = CONV, .spatial = 2, .in = {3, 3}, .k = {1, 0}}, CG_ERR_INVALID,
         "kernel_shape[1] is 0, must be >= 1"},
        {{.kind = CONV, .spatial = 1, .in = {3}, .k = {1}, .s = {-2}}, CG_ERR_INVALID,
         "strides[0] is -2, must be >= 1"},
        {{.kind = POOL, .spatial = 1, .in = {3}, .k = {1}, .d = {-1}}, CG_ERR_INVALID,
         "dilations[0] is -1, must be >= 1"},
        {{.kind = CONV, .spatial = 2, .has_pads = true, .in = {3, 3}, .k = {1, 1},
          .pads = {0, 0, 0, -1}},
         CG_ERR_INVALID, "pads[3] is -1, must be >= 0"},
        /* ONNX Conv spec: pads "cannot be used simultaneously with auto_pad", even all 0 */
        {{.kind = CONV, .spatial = 1, .auto_pad = UPPER, .has_pads = true, .in = {3},
          .k = {1}},
         CG_ERR_INVALID, "pads given together with auto_pad=SAME_UPPER (only one is allowed)"},
        {{.kind = POOL, .spatial = 1, .auto_pad = VALID, .has_pads = true, .in = {3},
          .k = {1}},
         CG_ERR_INVALID, "pads given together with auto_pad=VALID (only one is allowed)"},
        /* ONNX ConvTranspose spec: output_padding must be less than stride/dilation */
        {{.kind = CONVT, .spatial = 1, .in = {3}, .k = {3}, .s = {2}, .op = {2}},
         CG_ERR_INVALID, "output_padding[0] is 2, must be smaller than stride 2 or dilation 1"},
        {{.kind = CONVT, .spatial = 1, .in = {3}, .k = {3}, .op = {-1}}, CG_ERR_INVALID,
         "output_padding[0] is -1, must be >= 0"},
        {{.kind = CONVT, .spatial = 1, .has_output_shape = true, .in = {3}, .k = {3}},
         CG_ERR_INVALID, "output_shape[0] is 0, must be 1 to 68719476736"},
        /* only pools have ceil_mode (ONNX MaxPool/AveragePool) */
        {{.kind = CONV, .spatial = 1, .ceil_mode = true, .in = {3}, .k = {1}}, CG_ERR_INVALID,
         "ceil_mode is set but only pools have it"},
        /* enum values and ranks outside the header's contract */
        {{.kind = CONV, .spatial = 4, .in = {3}, .k = {1}}, CG_ERR_UNSUPPORTED,
         "4 spatial axes, supported are 1 to 3"},
        {{.kind = CONV, .spatial = 0}, CG_ERR_UNSUPPORTED, "0 spatial axes, supported are 1 to 3"},
        {{.kind = CONV, .spatial = 1, .auto_pad = 7, .in = {3}, .k = {1}}, CG_ERR_INVALID,
         "auto_pad value 7 is not NOTSET, VALID, SAME_UPPER or SAME_LOWER"},
        {{.kind = 9, .spatial = 1, .in = {3}, .k = {1}}, CG_ERR_INVALID,
         "unknown window kind 9"},
        /* sizes that would overflow int64 arithmetic are refused, not wrapped */
        {{.kind = CONV, .spatial = 1, .in = {3}, .k = {(int64_t)1 << 40}}, CG_ERR_UNSUPPORTED,
         "kernel_shape[0] is 1099511627776, above the supported 16777216"},
        {{.kind = CONV, .spatial = 1, .in = {INT64_MAX}, .k = {1}}, CG_ERR_UNSUPPORTED,
         "L: input size 9223372036854775807 is above the supported 68719476736"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        cg_window_axis axes[3];
        cg_status st;
        cg_code c = resolve_row(&rows[i].w, axes, &st);
        if (c != rows[i].code || strcmp(st.msg, rows[i].msg) != 0)
            fail_msg("row %zu: got %d '%s', want %d '%s'", i, (int)c, st.msg,
                     (int)rows[i].code, rows[i].msg);
    }
}

static void test_validate_accepts_defaults_and_pytorch_output_padding(void **state)
{
    (void)state;
    cg_status st;
    cg_window w;
    cg_window_init(&w, CG_WINDOW_CONV_TRANSPOSE, 2);
    assert_int_equal(w.strides[0], 1);
    assert_int_equal(w.dilations[1], 1);
    assert_int_equal(w.auto_pad, CG_AUTO_PAD_NOTSET);
    assert_false(w.has_pads);
    /* cg_window_init leaves the kernel for the caller: an unset one is caught */
    assert_int_equal(cg_window_validate(&w, &st), CG_ERR_INVALID);
    assert_string_equal(st.msg, "kernel_shape[0] is 0, must be >= 1");
    w.kernel[0] = w.kernel[1] = 3;
    assert_int_equal(cg_window_validate(&w, &st), CG_OK);
    /* PyTorch ConvTranspose: output_padding below the stride OR below the dilation */
    w.dilations[0] = 2;
    w.output_padding[0] = 1;
    assert_int_equal(cg_window_validate(&w, &st), CG_OK);
    cg_window_axis res;
    assert_int_equal(cg_padding_resolve(&w, 2, cg_dim_known(4), NULL, &res, &st), CG_ERR_INVALID);
    assert_string_equal(st.msg, "axis 2 is outside the 2 spatial axes");
}

/* ---------------------------------------------------------------- names */

static void test_auto_pad_names_and_axis_labels(void **state)
{
    (void)state;
    static const char *const names[] = {"NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"};
    for (int p = 0; p < 4; p++) {
        cg_auto_pad parsed = CG_AUTO_PAD_NOTSET;
        assert_string_equal(cg_auto_pad_name((cg_auto_pad)p), names[p]);
        assert_true(cg_auto_pad_parse(names[p], strlen(names[p]), &parsed));
        assert_int_equal(parsed, p);
    }
    cg_auto_pad out = CG_AUTO_PAD_VALID;
    /* attribute bytes are length-delimited: only the first 5 bytes count */
    assert_true(cg_auto_pad_parse("VALIDxyz", 5, &out));
    assert_int_equal(out, CG_AUTO_PAD_VALID);
    static const char *const bad[] = {"SAME", "same_upper", "SAME_UPPERX", "", "VALI", "NOTSET "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(cg_auto_pad_parse(bad[i], strlen(bad[i]), &out));
    assert_false(cg_auto_pad_parse("SAME_UPPER", 4, &out));
    assert_false(cg_auto_pad_parse(NULL, 0, &out));
    assert_string_equal(cg_auto_pad_name((cg_auto_pad)42), "?");

    assert_string_equal(cg_axis_label(1, 0), "L");
    assert_string_equal(cg_axis_label(2, 0), "H");
    assert_string_equal(cg_axis_label(2, 1), "W");
    assert_string_equal(cg_axis_label(3, 0), "D");
    assert_string_equal(cg_axis_label(3, 2), "W");
    assert_string_equal(cg_axis_label(2, 2), "?");
    assert_string_equal(cg_axis_label(4, 0), "?");
    assert_string_equal(cg_axis_label(2, -1), "?");
}

/* ---------------------------------------------------------------- explain */

typedef struct explain_row {
    window_row w;
    const char *explain[3];
} explain_row;

static void test_explain_lines(void **state)
{
    (void)state;
    static const explain_row rows[] = {
        /* the field example, SAME / VALID / explicit */
        {{.kind = CONV, .spatial = 2, .auto_pad = UPPER, .in = {64, 64}, .k = {4, 4},
          .s = {2, 2}},
         {"H: out=ceil(64/2)=32, total=max((32-1)*2+4-64,0)=2 -> 1 top + 1 bottom",
          "W: out=ceil(64/2)=32, total=max((32-1)*2+4-64,0)=2 -> 1 left + 1 right"}},
        {{.kind = CONV, .spatial = 2, .auto_pad = VALID, .in = {64, 64}, .k = {4, 4},
          .s = {2, 2}},
         {"H: out=ceil((64-4+1)/2)=31, no padding", "W: out=ceil((64-4+1)/2)=31, no padding"}},
        {{.kind = CONV, .spatial = 2, .has_pads = true, .in = {64, 64}, .k = {4, 4},
          .s = {2, 2}, .pads = {1, 1, 1, 1}},
         {"H: out=floor((64+1+1-4)/2)+1=32, pads 1 top + 1 bottom (explicit)",
          "W: out=floor((64+1+1-4)/2)+1=32, pads 1 left + 1 right (explicit)"}},
        /* the dilated kernel is shown first */
        {{.kind = CONV, .spatial = 1, .auto_pad = UPPER, .in = {22}, .k = {3}, .d = {2}},
         {"L: ek=(3-1)*2+1=5, out=ceil(22/1)=22, total=max((22-1)*1+5-22,0)=4 -> 2 begin + 2 end"}},
        /* 3-D sides */
        {{.kind = POOL, .spatial = 3, .auto_pad = LOWER, .in = {4, 4, 4}, .k = {2, 2, 2}},
         {"D: out=ceil(4/1)=4, total=max((4-1)*1+2-4,0)=1 -> 1 front + 0 back",
          "H: out=ceil(4/1)=4, total=max((4-1)*1+2-4,0)=1 -> 1 top + 0 bottom",
          "W: out=ceil(4/1)=4, total=max((4-1)*1+2-4,0)=1 -> 1 left + 0 right"}},
        /* ceil_mode, with and without the dropped window */
        {{.kind = POOL, .spatial = 1, .ceil_mode = true, .has_pads = true, .in = {5}, .k = {3},
          .s = {3}, .pads = {0, 2}},
         {"L: out=ceil((5+0+2-3)/3)+1=3, last window starts in the end padding "
          "((3-1)*3>=5+0) -> 2, pads 0 begin + 2 end (explicit)"}},
        {{.kind = POOL, .spatial = 1, .ceil_mode = true, .has_pads = true, .in = {5}, .k = {3},
          .s = {3}, .pads = {2, 0}},
         {"L: out=ceil((5+2+0-3)/3)+1=3, pads 2 begin + 0 end (explicit)"}},
        /* ConvTranspose formulas */
        {{.kind = CONVT, .spatial = 1, .auto_pad = UPPER, .in = {3}, .k = {3}, .s = {2}},
         {"L: out=3*2=6, total=max(2*(3-1)+0+3-6,0)=1 -> 0 begin + 1 end"}},
        {{.kind = CONVT, .spatial = 2, .has_output_shape = true, .in = {3, 3}, .k = {3, 3},
          .s = {3, 2}, .output_shape = {10, 6}},
         {"H: out=10 (output_shape), total=3*(3-1)+0+3-10=-1 -> no padding, the last 1 "
          "output(s) get no input",
          "W: out=6 (output_shape), total=2*(3-1)+0+3-6=1 -> 1 left + 0 right"}},
        {{.kind = CONVT, .spatial = 1, .has_pads = true, .in = {3}, .k = {3}, .s = {3},
          .pads = {1, 2}, .op = {1}},
         {"L: out=3*(3-1)+1+3-1-2=7, pads 1 begin + 2 end (explicit)"}},
        {{.kind = CONVT, .spatial = 1, .auto_pad = VALID, .in = {3}, .k = {3}, .s = {2}},
         {"L: out=2*(3-1)+0+3=7, no padding"}},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        cg_window_axis axes[3];
        cg_status st;
        if (resolve_row(&rows[i].w, axes, &st) != CG_OK)
            fail_msg("row %zu: %s", i, st.msg);
        for (int a = 0; a < rows[i].w.spatial; a++)
            assert_string_equal(axes[a].explain, rows[i].explain[a]);
    }
}

/* The largest accepted numbers still give a NUL-terminated line within the buffer. */
static void test_explain_never_overflows(void **state)
{
    (void)state;
    static const window_row rows[] = {
        {.kind = POOL, .spatial = 1, .ceil_mode = true, .has_pads = true,
         .in = {(int64_t)1 << 36}, .k = {4096}, .s = {(1 << 24) - 1}, .d = {1 << 24},
         .pads = {1 << 24, 1 << 24}},
        {.kind = CONVT, .spatial = 1, .auto_pad = LOWER, .in = {(int64_t)1 << 36},
         .k = {1 << 24}, .s = {1 << 24}, .d = {1 << 24}, .op = {(1 << 24) - 1}},
        {.kind = CONVT, .spatial = 1, .has_output_shape = true, .in = {(int64_t)1 << 36},
         .k = {1 << 24}, .s = {1 << 24}, .d = {1 << 24}, .op = {(1 << 24) - 1},
         .output_shape = {1}},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        cg_window_axis axes[3];
        cg_status st;
        memset(axes, 'x', sizeof axes);
        if (resolve_row(&rows[i], axes, &st) != CG_OK)
            fail_msg("row %zu: %s", i, st.msg);
        assert_non_null(memchr(axes[0].explain, '\0', sizeof axes[0].explain));
        assert_true(strncmp(axes[0].explain, "L: ek=(", 7) == 0);
        assert_true(strlen(axes[0].explain) < sizeof axes[0].explain);
    }
}

/* ---------------------------------------------------------------- symbolic */

typedef struct symbolic_row {
    window_row w; /* in[] unused: the input is the symbol H */
    const char *out;
    int64_t begin, end; /* -1: depends on H */
} symbolic_row;

static void test_symbolic_inputs(void **state)
{
    (void)state;
    static const symbolic_row rows[] = {
        /* TF SAME: out = ceil(n/s); the total depends on n mod s */
        {{.kind = CONV, .spatial = 1, .auto_pad = UPPER, .k = {4}, .s = {2}}, "ceil(H/2)", -1, -1},
        /* stride 1: total = ek-1 for every n (TF formula), so the pads are known */
        {{.kind = CONV, .spatial = 1, .auto_pad = LOWER, .k = {4}}, "H", 2, 1},
        /* kernel 1: total 0 for every n */
        {{.kind = CONV, .spatial = 1, .auto_pad = UPPER, .k = {1}, .s = {3}}, "ceil(H/3)", 0, 0},
        /* ONNX Conv spec explicit: floor((H+0+0-4)/2)+1 */
        {{.kind = CONV, .spatial = 1, .k = {4}, .s = {2}}, "floor((H-4)/2)+1", 0, 0},
        {{.kind = CONV, .spatial = 1, .has_pads = true, .k = {3}, .pads = {1, 1}}, "H", 1, 1},
        /* TF VALID: ceil((H-ek+1)/s) */
        {{.kind = POOL, .spatial = 1, .auto_pad = VALID, .k = {3}}, "H-2", 0, 0},
        {{.kind = POOL, .spatial = 1, .auto_pad = VALID, .k = {4}, .s = {2}}, "ceil((H-3)/2)",
         0, 0},
        /* ceil_mode where the drop rule never fires (ek - pe >= s) */
        {{.kind = POOL, .spatial = 1, .ceil_mode = true, .k = {2}, .s = {2}}, "ceil((H-2)/2)+1",
         0, 0},
        /* ceil_mode where it decides alone (pe >= ek): windows starting inside H+pb */
        {{.kind = POOL, .spatial = 1, .ceil_mode = true, .has_pads = true, .k = {2}, .s = {2},
          .pads = {1, 2}},
         "ceil((H+1)/2)", 1, 2},
        /* ceil_mode where it depends on H: both terms kept */
        {{.kind = POOL, .spatial = 1, .ceil_mode = true, .has_pads = true, .k = {3}, .s = {3},
          .pads = {0, 2}},
         "min(ceil((H-1)/3)+1,ceil(H/3))", 0, 2},
        /* ConvTranspose SAME: out = H*s; total max(op+ek-s, 0) = 1 for every H */
        {{.kind = CONVT, .spatial = 1, .auto_pad = UPPER, .k = {3}, .s = {2}}, "H*2", 0, 1},
        /* ConvTranspose explicit: 2*(H-1)+0+3-1-1 = H*2-1 */
        {{.kind = CONVT, .spatial = 1, .has_pads = true, .k = {3}, .s = {2}, .pads = {1, 1}},
         "H*2-1", 1, 1},
        /* ConvTranspose output_shape: the size is given, the pads depend on H */
        {{.kind = CONVT, .spatial = 1, .has_output_shape = true, .k = {3}, .s = {2},
          .output_shape = {8}},
         "8", -1, -1},
    };
    cg_strpool *pool = cg_strpool_new();
    assert_non_null(pool);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        cg_window w = window_of(&rows[i].w);
        cg_window_axis res;
        cg_status st;
        char out[128];
        if (cg_padding_resolve(&w, 0, cg_dim_symbol("H"), pool, &res, &st) != CG_OK)
            fail_msg("row %zu: %s", i, st.msg);
        cg_dim_format(res.out, out, sizeof out);
        if (strcmp(out, rows[i].out) != 0 || res.pad_begin != rows[i].begin ||
            res.pad_end != rows[i].end)
            fail_msg("row %zu: got %s pads %lld/%lld, want %s pads %lld/%lld", i, out,
                     (long long)res.pad_begin, (long long)res.pad_end, rows[i].out,
                     (long long)rows[i].begin, (long long)rows[i].end);
        if (rows[i].begin < 0)
            assert_non_null(strstr(res.explain, "pads depend on H"));
    }
    cg_strpool_free(pool);
}

static void test_symbolic_explain_and_unknown(void **state)
{
    (void)state;
    cg_strpool *pool = cg_strpool_new();
    cg_window w;
    cg_window_axis res;
    cg_status st;
    cg_window_init(&w, CG_WINDOW_CONV, 2);
    w.auto_pad = CG_AUTO_PAD_SAME_UPPER;
    w.kernel[0] = w.kernel[1] = 4;
    w.strides[0] = w.strides[1] = 2;
    assert_int_equal(cg_padding_resolve(&w, 0, cg_dim_symbol("H"), pool, &res, &st), CG_OK);
    assert_string_equal(res.explain, "H: input H, out=ceil(H/2), pads depend on H (SAME_UPPER)");
    /* unknown in, unknown out; SAME pads unknown too */
    assert_int_equal(cg_padding_resolve(&w, 1, cg_dim_unknown(), pool, &res, &st), CG_OK);
    assert_true(cg_dim_is_unknown(res.out));
    assert_int_equal(res.pad_begin, -1);
    assert_string_equal(res.explain,
                        "W: input size unknown, out unknown, pads depend on it (SAME_UPPER)");
    /* explicit pads are known whatever the input */
    w.auto_pad = CG_AUTO_PAD_NOTSET;
    w.has_pads = true;
    w.pads[1] = 2;
    w.pads[3] = 1;
    assert_int_equal(cg_padding_resolve(&w, 1, cg_dim_unknown(), pool, &res, &st), CG_OK);
    assert_true(cg_dim_is_unknown(res.out));
    assert_int_equal(res.pad_begin, 2);
    assert_int_equal(res.pad_end, 1);
    assert_string_equal(res.explain, "W: input size unknown, out unknown, pads 2 left + 1 right");
    /* a symbol needs somewhere to build its expression */
    assert_int_equal(cg_padding_resolve(&w, 0, cg_dim_symbol("H"), NULL, &res, &st),
                     CG_ERR_INVALID);
    assert_string_equal(st.msg, "H: symbolic input size needs a string pool");
    /* ConvTranspose with output_shape: the size is known even when the input is not */
    cg_window_init(&w, CG_WINDOW_CONV_TRANSPOSE, 1);
    w.kernel[0] = 3;
    w.has_output_shape = true;
    w.output_shape[0] = 12;
    assert_int_equal(cg_padding_resolve(&w, 0, cg_dim_unknown(), pool, &res, &st), CG_OK);
    assert_int_equal(res.out.v, 12);
    assert_string_equal(res.explain, "L: input size unknown, out=12, pads depend on it (NOTSET)");
    cg_strpool_free(pool);
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

/* The symbolic ceil_mode output min(ceil((n+pb+pe-ek)/s)+1, ceil((n+pb)/s)) is the
 * same number the known-size rule gives, for every n and a spread of windows. */
/* ONNX ConvTranspose: out = s*(n-1) + output_padding + ek - pb - pe, solved for
 * output_padding (what the converter writes for SAME_* as explicit pads). */
static void test_transpose_output_padding_for_explicit_pads(void **state)
{
    (void)state;
    cg_window w;
    cg_window_init(&w, CG_WINDOW_CONV_TRANSPOSE, 1);
    w.kernel[0] = 3;
    w.strides[0] = 2;
    /* n3 k3 s2 SAME_UPPER -> 6 with pads 0/1: 2*2 + 3 - 0 - 1 = 6, nothing extra */
    assert_int_equal(cg_padding_transpose_output_padding(&w, 0, 3, 6, 0, 1), 0);
    /* n3 k1 s3 SAME -> 9, total clamped at 0: 3*2 + 1 = 7, two more outputs */
    w.kernel[0] = 1;
    w.strides[0] = 3;
    assert_int_equal(cg_padding_transpose_output_padding(&w, 0, 3, 9, 0, 0), 2);
    /* dilation counts: k3 d2 s1 n4 -> ek 5, out 8 with pads 0/0 */
    w.kernel[0] = 3;
    w.strides[0] = 1;
    w.dilations[0] = 2;
    assert_int_equal(cg_padding_transpose_output_padding(&w, 0, 4, 8, 0, 0), 0);
}

static void test_ceil_mode_closed_form_matches_known_rule(void **state)
{
    (void)state;
    for (int64_t k = 1; k <= 5; k++)
        for (int64_t s = 1; s <= 4; s++)
            for (int64_t pb = 0; pb < k; pb++)
                for (int64_t pe = 0; pe <= k; pe++)
                    for (int64_t n = 1; n <= 24; n++) {
                        window_row r = {.kind = POOL, .spatial = 1, .ceil_mode = true,
                                        .has_pads = true, .in = {n}, .k = {k}, .s = {s},
                                        .pads = {pb, pe}};
                        cg_window_axis axes[3];
                        cg_status st;
                        int64_t a = ceil_div(n + pb + pe - k, s) + 1;
                        int64_t b = ceil_div(n + pb, s);
                        cg_code c = resolve_row(&r, axes, &st);
                        if (a < 1) {
                            assert_int_equal(c, CG_ERR_INVALID);
                            continue;
                        }
                        assert_int_equal(c, CG_OK);
                        assert_int_equal(axes[0].out.v, a < b ? a : b);
                    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_same_and_valid),
        cmocka_unit_test(test_explicit_pads_and_ceil_mode),
        cmocka_unit_test(test_conv_transpose),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_validate_accepts_defaults_and_pytorch_output_padding),
        cmocka_unit_test(test_auto_pad_names_and_axis_labels),
        cmocka_unit_test(test_explain_lines),
        cmocka_unit_test(test_explain_never_overflows),
        cmocka_unit_test(test_symbolic_inputs),
        cmocka_unit_test(test_symbolic_explain_and_unknown),
        cmocka_unit_test(test_ceil_mode_closed_form_matches_known_rule),
        cmocka_unit_test(test_transpose_output_padding_for_explicit_pads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
