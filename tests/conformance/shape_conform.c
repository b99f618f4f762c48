/* Shape conformance over the ONNX backend test suite.
 *
 *   shape_conform [-v] [--filter REGEX] [--expected FILE] [--no-fork] DIR...
 *
 * Each DIR is a backend test folder (model.onnx + test_data_set_0/) or contains
 * such folders. Every test runs in a child process so that one crashing or hanging
 * model is reported as a FAIL instead of ending the whole run. Exit status 1 on a
 * failure not listed in FILE, or on a listed test that now passes; 2 on bad usage. */
#include <dirent.h>
#include <errno.h>
#include <regex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conform_case.h"
#include "conform_expect.h"

/* A backend model infers in milliseconds; far longer means a hang. */
#define CASE_TIMEOUT_S 20

typedef struct options {
    bool verbose, fork_each;
    bool has_filter;
    regex_t filter;
    const char *expected_path;
    char **dirs;
    int n_dirs;
} options;

typedef struct tally {
    int passed, failed, skipped;
    int expected_failed, unexpected_failed, expected_but_passed;
    int passed_with_values; /* passes that needed shape-input values */
} tally;

static void usage(void)
{
    fprintf(stderr, "usage: shape_conform [-v] [--filter REGEX] [--expected FILE] "
                    "[--no-fork] DIR...\n");
}

static bool parse_args(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    o->fork_each = true;
    o->dirs = calloc((size_t)argc, sizeof *o->dirs);
    if (!o->dirs)
        return false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-v") == 0) {
            o->verbose = true;
        } else if (strcmp(a, "--no-fork") == 0) {
            o->fork_each = false;
        } else if (strcmp(a, "--filter") == 0 && i + 1 < argc) {
            if (regcomp(&o->filter, argv[++i], REG_EXTENDED | REG_NOSUB) != 0) {
                fprintf(stderr, "shape_conform: bad --filter regex '%s'\n", argv[i]);
                return false;
            }
            o->has_filter = true;
        } else if (strcmp(a, "--expected") == 0 && i + 1 < argc) {
            o->expected_path = argv[++i];
        } else if (a[0] == '-') {
            return false;
        } else {
            o->dirs[o->n_dirs++] = argv[i];
        }
    }
    return o->n_dirs > 0;
}

/* dir/name into buf; false when it does not fit. */
static bool join_path(char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);
    return n >= 0 && (size_t)n < len;
}

static bool is_test_dir(const char *dir)
{
    char path[4096];
    struct stat sb;
    return join_path(path, sizeof path, dir, "model.onnx") && stat(path, &sb) == 0 &&
           S_ISREG(sb.st_mode);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the entries of dir that are test folders; NULL on error. */
static char **list_tests(const char *dir, int *count)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **names = NULL;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        if (e->d_name[0] == '.' || !join_path(path, sizeof path, dir, e->d_name) ||
            !is_test_dir(path))
            continue;
        char **grown = realloc(names, (size_t)(n + 1) * sizeof *grown);
        if (!grown || !(grown[n] = strdup(e->d_name))) {
            free(grown ? grown : names);
            closedir(d);
            return NULL;
        }
        names = grown;
        n++;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, compare_names);
    *count = n;
    return names;
}

static void run_in_child(const char *dir, int fd)
{
    case_result r;
    memset(&r, 0, sizeof r);
    alarm(CASE_TIMEOUT_S);
    conform_run_case(dir, &r);
    ssize_t wrote = write(fd, &r, sizeof r);
    _exit(wrote == (ssize_t)sizeof r ? 0 : 3);
}

static void describe_abnormal_end(int status, case_result *r)
{
    r->verdict = CASE_FAIL;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        snprintf(r->why, sizeof r->why, "timed out after %d s", CASE_TIMEOUT_S);
    else if (WIFSIGNALED(status))
        snprintf(r->why, sizeof r->why, "crashed: %s", strsignal(WTERMSIG(status)));
    else
        snprintf(r->why, sizeof r->why, "child exited with status %d (details on stderr)",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* Runs one case in a child process; a crash or hang becomes a FAIL. */
static void run_isolated(const char *dir, case_result *r)
{
    int fds[2];
    if (pipe(fds) != 0) {
        r->verdict = CASE_FAIL;
        snprintf(r->why, sizeof r->why, "pipe: %s", strerror(errno));
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        r->verdict = CASE_FAIL;
        snprintf(r->why, sizeof r->why, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        run_in_child(dir, fds[1]);
    }
    close(fds[1]);
    size_t got = 0;
    ssize_t n;
    while (got < sizeof *r && (n = read(fds[0], (char *)r + got, sizeof *r - got)) > 0)
        got += (size_t)n;
    close(fds[0]);
    int status = 0;
    if (waitpid(pid, &status, 0) < 0 || got != sizeof *r || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        describe_abnormal_end(status, r);
    r->why[sizeof r->why - 1] = '\0';
}

static void record(const char *name, const case_result *r, const expect_list *xfail,
                   const options *o, tally *t)
{
    bool listed = expect_contains(xfail, name);
    const char *values_note = r->used_input_values ? " (given the shape inputs' values)" : "";
    switch (r->verdict) {
    case CASE_PASS:
        t->passed++;
        t->passed_with_values += r->used_input_values;
        if (listed) {
            t->expected_but_passed++;
            printf("XPASS %s: listed in expected_failures.txt but passes now\n", name);
        } else if (o->verbose) {
            printf("PASS %s%s\n", name, values_note);
        }
        break;
    case CASE_FAIL:
        t->failed++;
        if (listed)
            t->expected_failed++;
        else
            t->unexpected_failed++;
        printf("FAIL %s: %s%s%s\n", name, r->why, values_note, listed ? " (expected)" : "");
        break;
    case CASE_SKIP:
        t->skipped++;
        printf("SKIP %s: %s\n", name, r->why);
        break;
    }
}

static void run_one(const char *dir, const char *name, const expect_list *xfail,
                    const options *o, tally *t)
{
    if (o->has_filter && regexec(&o->filter, name, 0, NULL, 0) != 0)
        return;
    case_result r;
    memset(&r, 0, sizeof r);
    if (o->fork_each)
        run_isolated(dir, &r);
    else
        conform_run_case(dir, &r);
    record(name, &r, xfail, o, t);
}

/* A folder that is itself a test, or a folder of tests. */
static bool run_dir(const char *dir, const expect_list *xfail, const options *o, tally *t)
{
    if (is_test_dir(dir)) {
        const char *slash = strrchr(dir, '/');
        run_one(dir, slash ? slash + 1 : dir, xfail, o, t);
        return true;
    }
    int n = 0;
    char **names = list_tests(dir, &n);
    if (!names && n == 0) {
        fprintf(stderr, "shape_conform: %s: no backend tests found\n", dir);
        return false;
    }
    for (int i = 0; i < n; i++) {
        char path[4096];
        if (join_path(path, sizeof path, dir, names[i]))
            run_one(path, names[i], xfail, o, t);
        free(names[i]);
    }
    free(names);
    return true;
}

static int summarize(const tally *t)
{
    if (t->passed_with_values)
        printf("%d of the passes needed the values of shape-determining inputs\n",
               t->passed_with_values);
    if (t->expected_failed || t->expected_but_passed)
        printf("%d failures expected, %d unexpected; %d expected failures now pass\n",
               t->expected_failed, t->unexpected_failed, t->expected_but_passed);
    printf("%d passed, %d failed, %d skipped\n", t->passed, t->failed, t->skipped);
    return (t->unexpected_failed || t->expected_but_passed) ? 1 : 0;
}

int main(int argc, char **argv)
{
    options o;
    if (!parse_args(argc, argv, &o)) {
        usage();
        return 2;
    }
    expect_list xfail = {0, NULL};
    char err[512];
    if (o.expected_path && !expect_load(o.expected_path, &xfail, err, sizeof err)) {
        fprintf(stderr, "shape_conform: %s\n", err);
        return 2;
    }
    tally t;
    memset(&t, 0, sizeof t);
    bool dirs_ok = true;
    for (int i = 0; i < o.n_dirs; i++)
        dirs_ok &= run_dir(o.dirs[i], &xfail, &o, &t);
    int rc = summarize(&t);
    expect_free(&xfail);
    free(o.dirs);
    if (o.has_filter)
        regfree(&o.filter);
    return dirs_ok ? rc : 2;
}
