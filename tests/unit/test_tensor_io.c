/* Tensor writers (.npy, .pb) round-trip through the readers; comparison rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "convgraph/conform.h"
#include "convgraph/format.h"

static cg_tensor *ramp(cg_dtype dt, int rank, const int64_t *dims)
{
    cg_tensor *t = cg_tensor_new(dt, rank, dims, NULL);
    for (int64_t i = 0; i < t->numel; i++) {
        if (dt == CG_FLOAT)
            ((float *)t->data)[i] = (float)i * 0.5f - 3.0f;
        else if (dt == CG_INT64)
            ((int64_t *)t->data)[i] = i * 1000000007LL - 5;
        else if (dt == CG_BOOL || dt == CG_UINT8)
            ((uint8_t *)t->data)[i] = (uint8_t)(i % 2);
    }
    return t;
}

static void assert_same(const cg_tensor *a, const cg_tensor *b)
{
    assert_int_equal(a->dtype, b->dtype);
    assert_int_equal(a->rank, b->rank);
    for (int i = 0; i < a->rank; i++)
        assert_int_equal(a->dims[i], b->dims[i]);
    assert_int_equal(a->nbytes, b->nbytes);
    if (a->nbytes)
        assert_memory_equal(a->data, b->data, a->nbytes);
}

static void round_trip(cg_dtype dt, int rank, const int64_t *dims)
{
    char npy[] = "/tmp/cg_io_XXXXXX";
    int fd = mkstemp(npy);
    close(fd);
    cg_status st = {0};
    cg_tensor *t = ramp(dt, rank, dims);
    assert_int_equal(cg_npy_write(npy, t, &st), CG_OK);
    cg_tensor *back = cg_npy_read(npy, &st);
    assert_non_null(back);
    assert_same(t, back);
    cg_tensor_free(back);
    assert_int_equal(cg_onnx_write_tensor(npy, t, "x", &st), CG_OK);
    back = cg_onnx_read_tensor(npy, &st);
    assert_non_null(back);
    assert_same(t, back);
    cg_tensor_free(back);
    cg_tensor_free(t);
    remove(npy);
}

static void test_writers_round_trip(void **state)
{
    (void)state;
    int64_t d4[] = {1, 3, 4, 5}, d1[] = {7}, d2[] = {2, 3};
    round_trip(CG_FLOAT, 4, d4);
    round_trip(CG_FLOAT, 0, NULL);
    round_trip(CG_INT64, 1, d1);
    round_trip(CG_BOOL, 2, d2);
    round_trip(CG_UINT8, 1, d1);
    int64_t empty[] = {0, 3};
    round_trip(CG_FLOAT, 2, empty);
}

static void test_npy_header_is_aligned_and_python_readable(void **state)
{
    (void)state;
    char path[] = "/tmp/cg_io_XXXXXX";
    close(mkstemp(path));
    int64_t d2[] = {2, 3};
    cg_tensor *t = ramp(CG_FLOAT, 2, d2);
    assert_int_equal(cg_npy_write(path, t, NULL), CG_OK);
    FILE *f = fopen(path, "rb");
    unsigned char head[128];
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    assert_true(n >= 64);
    assert_memory_equal(head, "\x93NUMPY\x01\x00", 8);
    size_t hlen = head[8] | (size_t)head[9] << 8;
    assert_int_equal((10 + hlen) % 64, 0);
    assert_int_equal(head[10 + hlen - 1], '\n');
    assert_non_null(strstr((char *)head + 10, "'shape': (2, 3)"));
    cg_tensor_free(t);
    remove(path);
}

static void test_write_failure_leaves_no_file(void **state)
{
    (void)state;
    cg_status st = {0};
    int64_t d1[] = {3};
    cg_tensor *t = ramp(CG_FLOAT, 1, d1);
    assert_int_equal(cg_npy_write("/nonexistent-dir/x.npy", t, &st), CG_ERR_IO);
    assert_non_null(strstr(st.msg, "/nonexistent-dir/x.npy: cannot write"));
    cg_tensor_free(t);
}

static void test_compare_tolerances_and_nan(void **state)
{
    (void)state;
    int64_t d1[] = {3};
    cg_tensor *a = cg_tensor_new(CG_FLOAT, 1, d1, NULL), *b = cg_tensor_new(CG_FLOAT, 1, d1, NULL);
    float *x = a->data, *y = b->data;
    x[0] = 1.0f, y[0] = 1.0005f; /* within 1e-4 + 1e-3 * 1.0005 */
    x[1] = NAN, y[1] = NAN;
    x[2] = -INFINITY, y[2] = -INFINITY;
    cg_compare_result r;
    assert_true(cg_tensor_compare(a, b, 1e-4, 1e-3, &r));
    x[0] = 1.01f;
    assert_false(cg_tensor_compare(a, b, 1e-4, 1e-3, &r));
    assert_int_equal(r.worst_index, 0);
    assert_non_null(strstr(r.msg, "element 0"));
    x[0] = 1.0f;
    x[1] = 0.0f; /* a number where the reference has NaN */
    assert_false(cg_tensor_compare(a, b, 1e-4, 1e-3, &r));
    int64_t d2[] = {1, 3};
    cg_tensor *c = cg_tensor_new(CG_FLOAT, 2, d2, NULL);
    assert_false(cg_tensor_compare(a, c, 1, 1, &r));
    assert_string_equal(r.msg, "got float32 [3], expected float32 [1,3]");
    cg_tensor_free(a);
    cg_tensor_free(b);
    cg_tensor_free(c);
}

static void test_compare_integers_exactly(void **state)
{
    (void)state;
    int64_t d1[] = {1};
    cg_tensor *a = cg_tensor_new(CG_INT64, 1, d1, NULL), *b = cg_tensor_new(CG_INT64, 1, d1, NULL);
    ((int64_t *)a->data)[0] = (1LL << 60) + 1;
    ((int64_t *)b->data)[0] = 1LL << 60; /* equal as doubles, different as integers */
    cg_compare_result r;
    assert_false(cg_tensor_compare(a, b, 1e-4, 1e-3, &r));
    cg_tensor_free(a);
    cg_tensor_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writers_round_trip),
        cmocka_unit_test(test_npy_header_is_aligned_and_python_readable),
        cmocka_unit_test(test_write_failure_leaves_no_file),
        cmocka_unit_test(test_compare_tolerances_and_nan),
        cmocka_unit_test(test_compare_integers_exactly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
