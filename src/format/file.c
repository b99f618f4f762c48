/* Whole-file reads shared by every reader: size-limited, errors name the file. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

/* Opens path for reading; -1 with st filled. */
static int open_input(const char *path, cg_status *st)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK); /* a FIFO must not block us */
    if (fd < 0)
        cg_fail(st, CG_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    return fd;
}

void *cg_read_file(const char *path, size_t *len, size_t max_bytes, cg_status *st)
{
    int fd = open_input(path, st);
    if (fd < 0)
        return NULL;
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

/* Mapping instead of reading: the pages a caller never touches (weights that
 * `shapes` does not need) are never copied, nor even faulted in. */
cg_code cg_map_file(const char *path, size_t max_bytes, void **map, size_t *len, int *fd_out,
                    cg_status *st)
{
    *map = NULL;
    *len = 0;
    *fd_out = -1;
    int fd = open_input(path, st);
    if (fd < 0)
        return CG_ERR_IO;
    long long size = checked_size(fd, path, max_bytes, st);
    cg_code rc = size < 0 ? CG_ERR_IO : CG_OK;
    void *m = NULL;
    if (size > 0 &&
        (m = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0)) == MAP_FAILED)
        rc = cg_fail(st, errno == ENOMEM ? CG_ERR_NOMEM : CG_ERR_IO, "%s: cannot map: %s", path,
                     strerror(errno));
    if (rc) {
        close(fd);
        return rc;
    }
    *map = m;
    *len = (size_t)size;
    *fd_out = fd;
    return CG_OK;
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
