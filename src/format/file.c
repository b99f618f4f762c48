/* Whole-file reads shared by every reader: size-limited, errors name the file. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "convgraph/format.h"
#include "format/onnx_internal.h"

bool cg_pread_all(int fd, unsigned char *buf, size_t len, int64_t offset)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, buf + got, len - got, (off_t)(offset + (int64_t)got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        got += (size_t)n;
    }
    return true;
}

/* Size of the open file, checked against max_bytes; -1 with st filled. */
static long long checked_size(int fd, const char *path, size_t max_bytes, cg_status *st)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        cg_fail(st, CG_ERR_IO, "%s: not a regular file", path);
        return -1;
    }
    if (sb.st_size < 0 || (unsigned long long)sb.st_size > max_bytes) {
        cg_fail(st, CG_ERR_IO, "%s: file is %lld bytes, more than the limit of %zu", path,
                (long long)sb.st_size, max_bytes);
        return -1;
    }
    return (long long)sb.st_size;
}

void *cg_read_file(const char *path, size_t *len, size_t max_bytes, cg_status *st)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK); /* a FIFO must not block us */
    if (fd < 0) {
        cg_fail(st, CG_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    long long size = checked_size(fd, path, max_bytes, st);
    unsigned char *buf = size < 0 ? NULL : malloc(size ? (size_t)size : 1);
    if (size >= 0 && !buf)
        cg_fail(st, CG_ERR_NOMEM, "%s: out of memory reading %lld bytes", path, size);
    if (buf) {
        errno = 0;
        if (!cg_pread_all(fd, buf, (size_t)size, 0)) {
            cg_fail(st, CG_ERR_IO, "%s: read failed: %s", path,
                    errno ? strerror(errno) : "file shrank while reading");
            free(buf);
            buf = NULL;
        }
    }
    close(fd);
    if (buf)
        *len = (size_t)size;
    return buf;
}

char *cg_path_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    size_t n = slash == path ? 1 : (size_t)(slash - path); /* "/m.onnx" -> "/" */
    char *dir = malloc(n + 1);
    if (dir) {
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    return dir;
}
