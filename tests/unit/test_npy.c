/* .npy reader: versions 1-3, every supported dtype, numpy's own output, and each
 * way a file can be malformed. Files are written byte by byte here (no Python). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "convgraph/format.h"

static char g_dir[64];  /* per-run scratch folder */
static char g_path[128]; /* the file each test writes */

static int setup_dir(void **state)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/cg_npy_XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    snprintf(g_path, sizeof g_path, "%s/t.npy", g_dir);
    return 0;
}

static int remove_dir(void **state)
{
    unlink(g_path);
    return rmdir(g_dir);
}

static void write_bytes(const void *bytes, size_t len)
{
    /* A fresh file each time: ext4 flushes files truncated and rewritten in place
     * (auto_da_alloc), which makes many rewrites slow. */
    unlink(g_path);
    FILE *f = fopen(g_path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* A .npy file as numpy writes it: magic, version, header length (u16 for 1.x,
 * u32 after), the dict padded with spaces to a 64-byte boundary plus '\n', then
 * data_len bytes of data. Returns the total length written to g_path. */
static size_t write_npy(int major, const char *dict, const void *data, size_t data_len)
{
    unsigned char buf[4096];
    size_t prefix = major == 1 ? 10 : 12, dict_len = strlen(dict);
    size_t hlen = dict_len + 1;
    hlen += (64 - (prefix + hlen) % 64) % 64;
    assert_true(prefix + hlen + data_len <= sizeof buf);
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    for (size_t i = 0; i < prefix - 8; i++)
        buf[8 + i] = (unsigned char)(hlen >> (8 * i));
    memcpy(buf + prefix, dict, dict_len);
    memset(buf + prefix + dict_len, ' ', hlen - dict_len - 1);
    buf[prefix + hlen - 1] = '\n';
    if (data_len)
        memcpy(buf + prefix + hlen, data, data_len);
    write_bytes(buf, prefix + hlen + data_len);
    return prefix + hlen + data_len;
}

/* Reads g_path expecting failure with `code` and exactly "PATH: <msg>". */
static void expect_error(cg_code code, const char *msg)
{
    cg_status st = {0};
    cg_tensor *t = cg_npy_read(g_path, &st);
    assert_null(t);
    char want[CG_MSG_MAX];
    snprintf(want, sizeof want, "%s: %s", g_path, msg);
    assert_string_equal(st.msg, want);
    assert_int_equal(st.code, code);
}

static cg_tensor *read_ok(void)
{
    cg_status st = {0};
    cg_tensor *t = cg_npy_read(g_path, &st);
    if (!t)
        fail_msg("%s", st.msg);
    return t;
}

static void test_v1_float32_matrix(void **state)
{
    const float data[6] = {-0.5f, -0.25f, 0.0f, 0.25f, 0.5f, 0.75f};
    write_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data, sizeof data);
    cg_tensor *t = read_ok();
    assert_int_equal(t->dtype, CG_FLOAT);
    assert_int_equal(t->rank, 2);
    assert_int_equal(t->dims[0], 2);
    assert_int_equal(t->dims[1], 3);
    assert_int_equal(t->numel, 6);
    assert_memory_equal(t->data, data, sizeof data);
    cg_tensor_free(t);
}

static void test_v2_int64_vector(void **state)
{
    const int64_t data[3] = {7, -1, (int64_t)1 << 40};
    write_npy(2, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", data, sizeof data);
    cg_tensor *t = read_ok();
    assert_int_equal(t->dtype, CG_INT64);
    assert_int_equal(t->rank, 1);
    assert_int_equal(t->dims[0], 3);
    assert_int_equal(cg_tensor_get_i64(t, 2), (int64_t)1 << 40);
    assert_int_equal(cg_tensor_get_i64(t, 1), -1);
    cg_tensor_free(t);
}

static void test_v3_float64_scalar(void **state)
{
    const double data = 2.5;
    write_npy(3, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", &data, sizeof data);
    cg_tensor *t = read_ok();
    assert_int_equal(t->dtype, CG_DOUBLE);
    assert_int_equal(t->rank, 0);
    assert_int_equal(t->numel, 1);
    assert_true(cg_tensor_get_f64(t, 0) == 2.5);
    cg_tensor_free(t);
}

/* Every descr maps to its dtype; the bytes land unchanged (little-endian host). */
static void test_each_dtype(void **state)
{
    static const struct {
        const char *descr;
        cg_dtype dtype;
        size_t size;
        double second; /* element 1 of the bytes below, as a number */
    } cases[] = {
        {"<f4", CG_FLOAT, 4, 0x1.000002p0},  {"<f8", CG_DOUBLE, 8, 0x1.0000000000001p0},
        {"<f2", CG_FLOAT16, 2, 0x1.004p0},   {"<i8", CG_INT64, 8, 258},
        {"<i4", CG_INT32, 4, 258},           {"<i2", CG_INT16, 2, 258},
        {"|i1", CG_INT8, 1, -2},             {"|u1", CG_UINT8, 1, 254},
        {"<u2", CG_UINT16, 2, 258},          {"<u4", CG_UINT32, 4, 258},
        {"<u8", CG_UINT64, 8, 258},          {"|b1", CG_BOOL, 1, 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        unsigned char data[16] = {0};
        size_t es = cases[c].size;
        /* element 0: zero; element 1: low bytes 02 01 (or one byte fe / 01), high byte
         * chosen so the float types read 1.0 plus one unit in the last place. */
        if (es == 1) {
            data[1] = cases[c].dtype == CG_BOOL ? 1 : 0xfe;
        } else {
            data[es] = 2, data[es + 1] = 1;
            if (cases[c].dtype == CG_FLOAT16)
                data[es] = 1, data[es + 1] = 0x3c;
            if (cases[c].dtype == CG_FLOAT)
                data[es] = 1, data[es + 1] = 0, data[es + 2] = 0x80, data[es + 3] = 0x3f;
            if (cases[c].dtype == CG_DOUBLE)
                data[es] = 1, data[es + 1] = 0, data[es + 6] = 0xf0, data[es + 7] = 0x3f;
        }
        char dict[96];
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (2,), }",
                 cases[c].descr);
        write_npy(1, dict, data, 2 * es);
        cg_tensor *t = read_ok();
        assert_int_equal(t->dtype, cases[c].dtype);
        assert_int_equal(t->nbytes, 2 * es);
        assert_memory_equal(t->data, data, 2 * es);
        assert_true(cg_tensor_get_f64(t, 0) == 0.0);
        if (cg_tensor_get_f64(t, 1) != cases[c].second)
            fail_msg("%s: element 1 reads %.17g", cases[c].descr, cg_tensor_get_f64(t, 1));
        cg_tensor_free(t);
    }
}

/* The dict is Python syntax: any key order, double quotes, Python 2's 'L'. */
static void test_header_variants(void **state)
{
    const uint8_t data[6] = {1, 2, 3, 4, 5, 6};
    write_npy(1, "{\"shape\": (3L, 2L), \"fortran_order\": False, \"descr\": \"|u1\"}", data, 6);
    cg_tensor *t = read_ok();
    assert_int_equal(t->rank, 2);
    assert_int_equal(t->dims[0], 3);
    assert_int_equal(t->dims[1], 2);
    cg_tensor_free(t);
}

static void test_empty_array(void **state)
{
    write_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", NULL, 0);
    cg_tensor *t = read_ok();
    assert_int_equal(t->numel, 0);
    assert_int_equal(t->dims[1], 3);
    cg_tensor_free(t);
}

/* Files written by numpy.save itself (tests/data, made with numpy 1.24). */
static void fixture_path(char *buf, size_t len, const char *name)
{
    const char *unit = strstr(__FILE__, "tests/unit/");
    assert_non_null(unit);
    snprintf(buf, len, "%.*stests/data/%s", (int)(unit - __FILE__), __FILE__, name);
}

static void test_numpy_written_files(void **state)
{
    char path[512];
    cg_status st = {0};
    fixture_path(path, sizeof path, "npy_f4_2x3.npy"); /* np.arange(6).reshape(2,3)/4 - 0.5 */
    cg_tensor *t = cg_npy_read(path, &st);
    assert_non_null(t);
    assert_int_equal(t->dtype, CG_FLOAT);
    assert_int_equal(t->dims[0], 2);
    assert_int_equal(t->dims[1], 3);
    for (int i = 0; i < 6; i++)
        assert_true(((const float *)t->data)[i] == i / 4.0f - 0.5f);
    cg_tensor_free(t);
    fixture_path(path, sizeof path, "npy_i8_3.npy"); /* [7, -1, 1 << 40] */
    t = cg_npy_read(path, &st);
    assert_non_null(t);
    assert_int_equal(t->dtype, CG_INT64);
    assert_int_equal(cg_tensor_get_i64(t, 0), 7);
    assert_int_equal(cg_tensor_get_i64(t, 1), -1);
    assert_int_equal(cg_tensor_get_i64(t, 2), (int64_t)1 << 40);
    cg_tensor_free(t);
}

static void test_fortran_order(void **state)
{
    const float data[4] = {0};
    write_npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", data, sizeof data);
    expect_error(CG_ERR_UNSUPPORTED,
                 "Fortran-order .npy arrays are not supported (save a C-order array)");
}

static void test_unknown_dtype(void **state)
{
    const float data[4] = {0};
    write_npy(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", data, 16);
    expect_error(CG_ERR_UNSUPPORTED, ".npy dtype '<c8' is not supported (use <f4 <f8 <f2 <i8 "
                                     "<i4 <i2 |i1 |u1 <u2 <u4 <u8 |b1)");
    write_npy(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", data, 8);
    expect_error(CG_ERR_UNSUPPORTED, "big-endian .npy dtype '>f4' is not supported");
    write_npy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", data, 8);
    expect_error(CG_ERR_UNSUPPORTED, "structured .npy dtypes are not supported");
}

static void test_truncated_and_trailing_data(void **state)
{
    const float data[7] = {0};
    write_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data, 20);
    expect_error(CG_ERR_FORMAT, ".npy data truncated: shape needs 24 bytes, file holds 20");
    write_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data, 28);
    expect_error(CG_ERR_FORMAT,
                 ".npy data has trailing bytes: shape needs 24 bytes, file holds 28");
}

static void test_bad_magic_and_version(void **state)
{
    write_bytes("\x93NUMPZ\x01\x00\x00\x00", 10);
    expect_error(CG_ERR_FORMAT, "not a .npy file (bad magic)");
    write_bytes("\x93NU", 3);
    expect_error(CG_ERR_FORMAT, "not a .npy file (bad magic)");
    write_bytes("\x93NUMPY\x04\x00\x00\x00", 10);
    expect_error(CG_ERR_UNSUPPORTED, ".npy format version 4.0 is not supported");
}

static void test_header_length_beyond_file(void **state)
{
    write_bytes("\x93NUMPY\x01\x00\x00\x01{'descr'", 18); /* claims 256 header bytes */
    expect_error(CG_ERR_FORMAT, ".npy header length 256 runs past the end of the file");
    write_bytes("\x93NUMPY\x02\x00\xff\xff\xff\xff{", 13); /* u32 length */
    expect_error(CG_ERR_FORMAT, ".npy header length 4294967295 runs past the end of the file");
    write_bytes("\x93NUMPY\x02\x00\x01\x00\x00", 11);
    expect_error(CG_ERR_FORMAT, "truncated .npy header length");
}

static void test_malformed_header(void **state)
{
    static const struct {
        const char *dict;
        const char *msg;
    } cases[] = {
        {"{'descr': '<f4', 'shape': (2,), }",
         "bad .npy header: needs 'descr', 'fortran_order' and 'shape'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }",
         "bad .npy header: shape entries must be non-negative integers"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2), }",
         "bad .npy header: one-entry 'shape' tuple lacks its comma"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }",
         "bad .npy header: shape entry overflows 64 bits"},
        {"{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }",
         "bad .npy header: 'fortran_order' must be True or False"},
        {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
         "bad .npy header: unknown or repeated key 'descr'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}",
         "bad .npy header: unknown or repeated key 'extra'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x",
         "bad .npy header: text after the closing '}'"},
        {"{'descr: '<f4'}", "bad .npy header: expected ':' after a key"},
        {"['descr']", "bad .npy header: expected '{'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }",
         ".npy rank above 8 is not supported"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_npy(1, cases[i].dict, "\0\0\0\0\0\0\0\0", 8);
        expect_error(strstr(cases[i].msg, "rank") ? CG_ERR_UNSUPPORTED : CG_ERR_FORMAT,
                     cases[i].msg);
    }
    /* A header that does not end in '\n' (numpy always writes one). */
    write_bytes("\x93NUMPY\x01\x00\x02\x00{}", 12);
    expect_error(CG_ERR_FORMAT, "bad .npy header: does not end with a newline");
}

/* Dims that multiply past cg_tensor_new's limits are refused before any read. */
static void test_absurd_size(void **state)
{
    write_npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
              NULL, 0);
    expect_error(CG_ERR_FORMAT, "tensor element count overflows 64 bits");
    write_npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (65536, 65536), }", NULL, 0);
    expect_error(CG_ERR_NOMEM, "tensor of 4294967296 elements of float64 is too large");
}

static void test_missing_file(void **state)
{
    cg_status st = {0};
    assert_null(cg_npy_read("/nonexistent/dir/x.npy", &st));
    assert_int_equal(st.code, CG_ERR_IO);
    assert_string_equal(st.msg, "/nonexistent/dir/x.npy: cannot open: No such file or directory");
    assert_null(cg_npy_read(g_dir, &st)); /* a folder */
    assert_int_equal(st.code, CG_ERR_IO);
    /* a FIFO with no writer: refused at once, never a hang in open */
    char fifo[512];
    snprintf(fifo, sizeof fifo, "%s/pipe.npy", g_dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_null(cg_npy_read(fifo, &st));
    assert_non_null(strstr(st.msg, "not a regular file"));
    remove(fifo);
}

/* Every prefix of numpy's file, and each byte replaced, reads or fails with one
 * line naming the file: never a crash, an over-read or a leak. */
static void test_mangled_files_never_crash(void **state)
{
    char path[512];
    fixture_path(path, sizeof path, "npy_f4_2x3.npy");
    size_t len = 0;
    unsigned char *bytes = cg_read_file(path, &len, 4096, NULL);
    assert_non_null(bytes);
    static const unsigned char subst[] = {0xff, '(', ')', '\n', '9', ',', '\'', 0};
    int failures = 0;
    for (size_t at = 0; at < len; at++) {
        for (size_t k = 0; k <= sizeof subst; k++) {
            unsigned char saved = bytes[at];
            if (k < sizeof subst)
                bytes[at] = subst[k];
            write_bytes(bytes, k < sizeof subst ? len : at); /* last round: truncate */
            bytes[at] = saved;
            cg_status st = {0};
            cg_tensor *t = cg_npy_read(g_path, &st);
            if (!t) {
                failures++;
                assert_int_equal(strncmp(st.msg, g_path, strlen(g_path)), 0);
                assert_null(strchr(st.msg, '\n'));
            }
            cg_tensor_free(t);
        }
    }
    assert_true(failures > (int)len);
    free(bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1_float32_matrix),
        cmocka_unit_test(test_v2_int64_vector),
        cmocka_unit_test(test_v3_float64_scalar),
        cmocka_unit_test(test_each_dtype),
        cmocka_unit_test(test_header_variants),
        cmocka_unit_test(test_empty_array),
        cmocka_unit_test(test_numpy_written_files),
        cmocka_unit_test(test_fortran_order),
        cmocka_unit_test(test_unknown_dtype),
        cmocka_unit_test(test_truncated_and_trailing_data),
        cmocka_unit_test(test_bad_magic_and_version),
        cmocka_unit_test(test_header_length_beyond_file),
        cmocka_unit_test(test_malformed_header),
        cmocka_unit_test(test_absurd_size),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_mangled_files_never_crash),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
