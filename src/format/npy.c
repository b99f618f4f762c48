/* NumPy .npy reader, format versions 1.0, 2.0 and 3.0.
 * Layout (numpy/lib/format.py, "NPY format"): the magic "\x93NUMPY", major and
 * minor version bytes, a little-endian header length (u16 for 1.0, u32 for 2.0
 * and 3.0), then a Python dict literal
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 * padded with spaces and ended by '\n', then the raw elements in C order. */
#include "convgraph/format.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
/* numpy itself refuses headers above 10000 bytes unless told otherwise
 * (format.py _MAX_HEADER_SIZE); 1 MiB leaves room and bounds what we read. */
#define NPY_MAX_HEADER ((uint32_t)1 << 20)

/* The dtypes we map; numpy writes '|' for one-byte types and '<' otherwise on
 * little-endian machines. */
static const struct {
    const char *descr;
    cg_dtype dtype;
} k_npy_dtypes[] = {
    {"<f4", CG_FLOAT}, {"<f8", CG_DOUBLE}, {"<f2", CG_FLOAT16}, {"<i8", CG_INT64},
    {"<i4", CG_INT32}, {"<i2", CG_INT16},  {"|i1", CG_INT8},    {"|u1", CG_UINT8},
    {"<u2", CG_UINT16}, {"<u4", CG_UINT32}, {"<u8", CG_UINT64}, {"|b1", CG_BOOL},
};

/* What the header dict says. */
typedef struct npy_header {
    char descr[16];
    bool has_descr, has_fortran, has_shape;
    bool fortran_order;
    int rank;
    int64_t dims[CG_MAX_RANK];
} npy_header;

/* A cursor over the header text; errors are reported through st naming path. */
typedef struct npy_cursor {
    const char *p, *end;
    const char *path;
    cg_status *st;
} npy_cursor;

static cg_code npy_bad(npy_cursor *c, const char *what)
{
    return cg_fail(c->st, CG_ERR_FORMAT, "%s: bad .npy header: %s", c->path, what);
}

static void npy_skip_space(npy_cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

/* Consumes ch (after blanks) when it is next; false otherwise. */
static bool npy_accept(npy_cursor *c, char ch)
{
    npy_skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A Python string literal in single or double quotes, no escapes (numpy never
 * writes any in descr or the keys). */
static cg_code npy_string(npy_cursor *c, char *out, size_t cap)
{
    npy_skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return npy_bad(c, "expected a quoted string");
    char quote = *c->p++;
    const char *start = c->p;
    while (c->p < c->end && *c->p != quote && *c->p != '\\' && *c->p >= 0x20 && *c->p < 0x7f)
        c->p++;
    if (c->p >= c->end || *c->p != quote)
        return npy_bad(c, "unterminated string, or one with escapes or control characters");
    size_t len = (size_t)(c->p - start);
    c->p++;
    if (len >= cap)
        return npy_bad(c, "string too long");
    memcpy(out, start, len);
    out[len] = '\0';
    return CG_OK;
}

static bool npy_word(npy_cursor *c, const char *word)
{
    size_t n = strlen(word);
    npy_skip_space(c);
    if ((size_t)(c->end - c->p) >= n && memcmp(c->p, word, n) == 0) {
        c->p += n;
        return true;
    }
    return false;
}

/* A non-negative decimal integer; Python 2 era files append 'L' ("(2L, 3L)"). */
static cg_code npy_dim(npy_cursor *c, int64_t *out)
{
    npy_skip_space(c);
    if (c->p >= c->end || *c->p < '0' || *c->p > '9')
        return npy_bad(c, "shape entries must be non-negative integers");
    int64_t v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        if (cg_mul_overflows(v, 10, &v) || cg_add_overflows(v, *c->p - '0', &v))
            return npy_bad(c, "shape entry overflows 64 bits");
        c->p++;
    }
    if (c->p < c->end && *c->p == 'L')
        c->p++;
    *out = v;
    return CG_OK;
}

/* "()" "(5,)" "(2, 3)": Python tuple syntax, so one entry needs its comma. */
static cg_code npy_shape(npy_cursor *c, npy_header *h)
{
    if (!npy_accept(c, '('))
        return npy_bad(c, "'shape' must be a tuple");
    h->rank = 0;
    while (!npy_accept(c, ')')) {
        if (h->rank == CG_MAX_RANK)
            return cg_fail(c->st, CG_ERR_UNSUPPORTED, "%s: .npy rank above %d is not supported",
                           c->path, CG_MAX_RANK);
        cg_code rc = npy_dim(c, &h->dims[h->rank++]);
        if (rc)
            return rc;
        if (!npy_accept(c, ',')) {
            if (!npy_accept(c, ')'))
                return npy_bad(c, "expected ',' or ')' in 'shape'");
            if (h->rank == 1)
                return npy_bad(c, "one-entry 'shape' tuple lacks its comma");
            break;
        }
    }
    return CG_OK;
}

static cg_code npy_value(npy_cursor *c, const char *key, npy_header *h)
{
    if (strcmp(key, "descr") == 0 && !h->has_descr) {
        h->has_descr = true;
        npy_skip_space(c);
        if (c->p < c->end && *c->p == '[')
            return cg_fail(c->st, CG_ERR_UNSUPPORTED,
                           "%s: structured .npy dtypes are not supported", c->path);
        return npy_string(c, h->descr, sizeof h->descr);
    }
    if (strcmp(key, "fortran_order") == 0 && !h->has_fortran) {
        h->has_fortran = true;
        h->fortran_order = npy_word(c, "True");
        if (!h->fortran_order && !npy_word(c, "False"))
            return npy_bad(c, "'fortran_order' must be True or False");
        return CG_OK;
    }
    if (strcmp(key, "shape") == 0 && !h->has_shape) {
        h->has_shape = true;
        return npy_shape(c, h);
    }
    return cg_fail(c->st, CG_ERR_FORMAT, "%s: bad .npy header: unknown or repeated key '%s'",
                   c->path, key);
}

static cg_code npy_parse_dict(npy_cursor *c, npy_header *h)
{
    if (!npy_accept(c, '{'))
        return npy_bad(c, "expected '{'");
    while (!npy_accept(c, '}')) {
        char key[32];
        cg_code rc = npy_string(c, key, sizeof key);
        if (rc)
            return rc;
        if (!npy_accept(c, ':'))
            return npy_bad(c, "expected ':' after a key");
        if ((rc = npy_value(c, key, h)))
            return rc;
        if (!npy_accept(c, ',')) {
            if (!npy_accept(c, '}'))
                return npy_bad(c, "expected ',' or '}'");
            break;
        }
    }
    npy_skip_space(c);
    if (c->p != c->end)
        return npy_bad(c, "text after the closing '}'");
    if (!h->has_descr || !h->has_fortran || !h->has_shape)
        return npy_bad(c, "needs 'descr', 'fortran_order' and 'shape'");
    return CG_OK;
}

static cg_code npy_dtype(const char *path, const npy_header *h, cg_dtype *out, cg_status *st)
{
    for (size_t i = 0; i < sizeof k_npy_dtypes / sizeof k_npy_dtypes[0]; i++) {
        if (strcmp(h->descr, k_npy_dtypes[i].descr) == 0) {
            *out = k_npy_dtypes[i].dtype;
            return CG_OK;
        }
    }
    if (h->descr[0] == '>')
        return cg_fail(st, CG_ERR_UNSUPPORTED, "%s: big-endian .npy dtype '%s' is not supported",
                       path, h->descr);
    return cg_fail(st, CG_ERR_UNSUPPORTED,
                   "%s: .npy dtype '%s' is not supported (use <f4 <f8 <f2 <i8 <i4 <i2 |i1 "
                   "|u1 <u2 <u4 <u8 |b1)",
                   path, h->descr);
}

static uint32_t npy_le32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Reads magic, version and header length; *data_off is where the dict starts. */
static cg_code npy_read_prefix(FILE *f, const char *path, int64_t file_size, uint32_t *hlen,
                               int64_t *dict_off, cg_status *st)
{
    unsigned char pre[12];
    size_t got = fread(pre, 1, 10, f);
    if (got < 10 || memcmp(pre, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
        return cg_fail(st, CG_ERR_FORMAT, "%s: not a .npy file (bad magic)", path);
    int major = pre[6], minor = pre[7];
    if (major < 1 || major > 3 || minor != 0)
        return cg_fail(st, CG_ERR_UNSUPPORTED, "%s: .npy format version %d.%d is not supported",
                       path, major, minor);
    if (major == 1) {
        *hlen = (uint32_t)pre[8] | (uint32_t)pre[9] << 8;
        *dict_off = 10;
    } else {
        if (fread(pre + 10, 1, 2, f) != 2)
            return cg_fail(st, CG_ERR_FORMAT, "%s: truncated .npy header length", path);
        *hlen = npy_le32(pre + 8);
        *dict_off = 12;
    }
    if ((int64_t)*hlen > file_size - *dict_off)
        return cg_fail(st, CG_ERR_FORMAT, "%s: .npy header length %u runs past the end of the file",
                       path, (unsigned)*hlen);
    if (*hlen > NPY_MAX_HEADER)
        return cg_fail(st, CG_ERR_FORMAT, "%s: .npy header length %u is absurd", path,
                       (unsigned)*hlen);
    return CG_OK;
}

static cg_code npy_read_header(FILE *f, const char *path, int64_t file_size, npy_header *h,
                               int64_t *data_off, cg_status *st)
{
    uint32_t hlen = 0;
    int64_t dict_off = 0;
    cg_code rc = npy_read_prefix(f, path, file_size, &hlen, &dict_off, st);
    if (rc)
        return rc;
    char *text = malloc(hlen ? hlen : 1);
    if (!text)
        return cg_fail(st, CG_ERR_NOMEM, "%s: out of memory reading the .npy header", path);
    if (fread(text, 1, hlen, f) != hlen) {
        free(text);
        return cg_fail(st, CG_ERR_IO, "%s: read error in the .npy header", path);
    }
    memset(h, 0, sizeof *h);
    npy_cursor c = {text, text + hlen, path, st};
    if (hlen == 0 || text[hlen - 1] != '\n')
        rc = npy_bad(&c, "does not end with a newline");
    else
        rc = npy_parse_dict(&c, h);
    free(text);
    *data_off = dict_off + hlen;
    return rc;
}

static bool host_is_little_endian(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

/* The file is little-endian; flip each element on a big-endian host. */
static void npy_to_host_order(cg_tensor *t)
{
    size_t es = cg_dtype_size(t->dtype);
    if (es < 2 || host_is_little_endian())
        return;
    unsigned char *b = t->data;
    for (size_t i = 0; i < t->nbytes; i += es)
        for (size_t j = 0; j < es / 2; j++) {
            unsigned char tmp = b[i + j];
            b[i + j] = b[i + es - 1 - j];
            b[i + es - 1 - j] = tmp;
        }
}

/* Allocates the tensor the header describes and reads exactly its bytes. */
static cg_tensor *npy_read_data(FILE *f, const char *path, const npy_header *h, int64_t data_len,
                                cg_status *st)
{
    cg_dtype dtype = CG_UNDEFINED;
    if (npy_dtype(path, h, &dtype, st))
        return NULL;
    if (h->fortran_order) {
        cg_fail(st, CG_ERR_UNSUPPORTED,
                "%s: Fortran-order .npy arrays are not supported (save a C-order array)", path);
        return NULL;
    }
    cg_status tst;
    cg_tensor *t = cg_tensor_new(dtype, h->rank, h->dims, &tst);
    if (!t) {
        cg_fail(st, tst.code, "%s: %s", path, tst.msg);
        return NULL;
    }
    const char *problem = NULL;
    if (data_len < (int64_t)t->nbytes)
        problem = "truncated";
    else if (data_len > (int64_t)t->nbytes)
        problem = "has trailing bytes";
    else if (t->nbytes && fread(t->data, 1, t->nbytes, f) != t->nbytes)
        problem = "truncated";
    if (problem) {
        cg_fail(st, CG_ERR_FORMAT, "%s: .npy data %s: shape needs %zu bytes, file holds %lld",
                path, problem, t->nbytes, (long long)data_len);
        cg_tensor_free(t);
        return NULL;
    }
    npy_to_host_order(t);
    return t;
}

cg_tensor *cg_npy_read(const char *path, cg_status *st)
{
    /* O_NONBLOCK: a FIFO given as the file must not hang the open */
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        cg_fail(st, CG_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    cg_tensor *t = NULL;
    npy_header h;
    int64_t data_off = 0;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode))
        cg_fail(st, CG_ERR_IO, "%s: not a regular file", path);
    else if (npy_read_header(f, path, (int64_t)sb.st_size, &h, &data_off, st) == CG_OK)
        t = npy_read_data(f, path, &h, (int64_t)sb.st_size - data_off, st);
    fclose(f);
    return t;
}

/* Header dict padded with spaces so data starts at a multiple of 64 bytes, as
 * numpy's own writer aligns it (format.py ARRAY_ALIGN). */
static int npy_format_header(char *out, size_t cap, const char *descr, const cg_tensor *t)
{
    char shape[CG_MAX_RANK * 24 + 8];
    size_t used = 0;
    shape[0] = '\0';
    for (int i = 0; i < t->rank; i++)
        used += (size_t)snprintf(shape + used, sizeof shape - used, "%lld,%s", (long long)t->dims[i],
                                 i + 1 < t->rank ? " " : "");
    if (t->rank > 1) /* "(2, 3)" not "(2, 3,)"; a 1-tuple keeps its comma: "(5,)" */
        shape[used - 1] = '\0';
    int n = snprintf(out, cap, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, shape);
    if (n < 0 || (size_t)n + 1 >= cap)
        return -1;
    size_t total = NPY_MAGIC_LEN + 4 + (size_t)n + 1;
    size_t padded = (total + 63) / 64 * 64;
    memset(out + n, ' ', padded - total);
    out[padded - NPY_MAGIC_LEN - 4 - 1] = '\n';
    return (int)(padded - NPY_MAGIC_LEN - 4);
}

cg_code cg_npy_write(const char *path, const cg_tensor *t, cg_status *st)
{
    const char *descr = NULL;
    for (size_t i = 0; i < sizeof k_npy_dtypes / sizeof k_npy_dtypes[0]; i++)
        if (k_npy_dtypes[i].dtype == t->dtype)
            descr = k_npy_dtypes[i].descr;
    if (!descr || !host_is_little_endian())
        return cg_fail(st, CG_ERR_UNSUPPORTED, "%s: cannot write %s tensors as .npy", path,
                       cg_dtype_name(t->dtype));
    char header[512];
    int hlen = npy_format_header(header, sizeof header, descr, t);
    size_t len = NPY_MAGIC_LEN + 4 + (size_t)hlen + t->nbytes;
    unsigned char *buf = hlen > 0 ? malloc(len) : NULL;
    if (!buf)
        return cg_fail(st, CG_ERR_NOMEM, "%s: cannot format a .npy header", path);
    memcpy(buf, NPY_MAGIC, NPY_MAGIC_LEN);
    buf[6] = 1; /* version 1.0: u16 header length */
    buf[7] = 0;
    buf[8] = (unsigned char)(hlen & 0xff);
    buf[9] = (unsigned char)(hlen >> 8);
    memcpy(buf + 10, header, (size_t)hlen);
    if (t->nbytes)
        memcpy(buf + 10 + hlen, t->data, t->nbytes);
    cg_code rc = cg_write_file_atomic(path, buf, len, st);
    free(buf);
    return rc;
}
