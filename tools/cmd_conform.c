/* `convgraph conform DIR...`: runs ONNX backend test folders (model.onnx +
 * test_data_set_N/) through cg_conform_test and prints one verdict per test and a
 * summary. Each test runs in a child process, so a kernel that crashes fails its
 * own test instead of ending the whole run. */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "convgraph/conform.h"

enum { MAX_DIRS = 256, PATH_CAP = 4096 };

typedef struct conform_args {
    const char *dirs[MAX_DIRS];
    int n_dirs;
    double atol, rtol;
    unsigned timeout_s; /* per test; 0: none */
    const char *filter_text;
    regex_t filter;
    bool verbose, help;
} conform_args;

typedef struct conform_counts {
    int passed, failed, skipped;
} conform_counts;

static const cli_command conform_command = {.name = "conform", .print_help = help_print_conform};

/* ---- arguments ---- */

static bool parse_tolerance(const char *option, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno || !isfinite(v) || v < 0)
        return cli_usage_error(&conform_command, "%s wants a number >= 0, not '%s'", option, text);
    *out = v;
    return true;
}

static bool parse_timeout(const char *text, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno || v > 86400)
        return cli_usage_error(&conform_command, "--timeout wants whole seconds 0..86400, not '%s'", text);
    *out = (unsigned)v;
    return true;
}

/* "--opt V" or "--opt=V"; NULL when arg is another option. */
static const char *option_value(const char *option, int argc, char **argv, int *i, bool *missing)
{
    size_t len = strlen(option);
    const char *arg = argv[*i];
    *missing = false;
    if (strncmp(arg, option, len) != 0 || (arg[len] != '=' && arg[len] != '\0'))
        return NULL;
    if (arg[len] == '=')
        return arg + len + 1;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

static bool parse_option(int argc, char **argv, int *i, conform_args *a)
{
    const char *arg = argv[*i], *v;
    bool missing;
    if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) {
        a->verbose = true;
        return true;
    }
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
        a->help = true;
        return true;
    }
    if ((v = option_value("--atol", argc, argv, i, &missing)))
        return parse_tolerance("--atol", v, &a->atol);
    if (!missing && (v = option_value("--rtol", argc, argv, i, &missing)))
        return parse_tolerance("--rtol", v, &a->rtol);
    if (!missing && (v = option_value("--timeout", argc, argv, i, &missing)))
        return parse_timeout(v, &a->timeout_s);
    if (!missing && (v = option_value("--filter", argc, argv, i, &missing))) {
        a->filter_text = v; /* compiled once all options are read */
        return true;
    }
    if (missing)
        return cli_usage_error(&conform_command, "%s needs a value", arg);
    return cli_usage_error(&conform_command, "unknown option '%s'", arg);
}

static bool parse_args(int argc, char **argv, conform_args *a)
{
    bool options_done = false;
    a->atol = 1e-4;
    a->rtol = 1e-3;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_done && strcmp(arg, "--") == 0)
            options_done = true;
        else if (!options_done && arg[0] == '-' && arg[1] != '\0') {
            if (!parse_option(argc, argv, &i, a))
                return false;
        } else if (a->n_dirs == MAX_DIRS)
            return cli_usage_error(&conform_command, "at most %d folders", MAX_DIRS);
        else
            a->dirs[a->n_dirs++] = arg;
    }
    if (a->help)
        return true;
    if (a->n_dirs == 0)
        return cli_usage_error(&conform_command, "missing DIR");
    int rc = a->filter_text ? regcomp(&a->filter, a->filter_text, REG_EXTENDED | REG_NOSUB) : 0;
    if (rc != 0) {
        char why[256];
        const char *text = a->filter_text;
        regerror(rc, &a->filter, why, sizeof why);
        a->filter_text = NULL; /* nothing compiled to free */
        return cli_usage_error(&conform_command, "--filter '%s': %s", text, why);
    }
    return true;
}

/* ---- one test, in a child process ---- */

static void fail_crashed(cg_conform_result *res, int status, unsigned timeout_s)
{
    memset(res, 0, sizeof *res);
    res->verdict = CG_VERDICT_FAIL;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM && timeout_s > 0)
        snprintf(res->detail, sizeof res->detail, "timed out after %u s", timeout_s);
    else if (WIFSIGNALED(status))
        snprintf(res->detail, sizeof res->detail, "crashed: signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(res->detail, sizeof res->detail, "crashed: exit status %d without a verdict",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static size_t read_all(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return got;
}

static void write_all(int fd, const void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, (const char *)buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        done += (size_t)n;
    }
}

static void run_isolated(const char *dir, const conform_args *a, cg_conform_result *res)
{
    int fds[2];
    fflush(stdout);
    fflush(stderr);
    pid_t pid = pipe(fds) == 0 ? fork() : -1;
    if (pid == 0) {
        close(fds[0]);
        alarm(a->timeout_s); /* SIGALRM ends a test that hangs */
        cg_conform_test(dir, a->atol, a->rtol, res);
        write_all(fds[1], res, sizeof *res);
        _exit(0);
    }
    if (pid < 0) { /* no process to spare: run it here */
        cg_conform_test(dir, a->atol, a->rtol, res);
        return;
    }
    close(fds[1]);
    size_t got = read_all(fds[0], res, sizeof *res);
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (got != sizeof *res)
        fail_crashed(res, status, a->timeout_s);
    res->detail[sizeof res->detail - 1] = '\0';
}

/* Messages are one line; keep it so even if a reason holds a newline. */
static void one_line(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r')
            *s = ' ';
}

static void run_test(const char *dir, const char *name, const conform_args *a, conform_counts *c)
{
    cg_conform_result res;
    if (a->filter_text && regexec(&a->filter, name, 0, NULL, 0) != 0)
        return;
    run_isolated(dir, a, &res);
    one_line(res.detail);
    if (res.verdict == CG_VERDICT_PASS) {
        c->passed++;
        if (a->verbose)
            printf("PASS %s (%d data set%s)\n", name, res.data_sets, res.data_sets == 1 ? "" : "s");
    } else if (res.verdict == CG_VERDICT_SKIP) {
        c->skipped++;
        printf("SKIP %s: %s\n", name, res.detail);
    } else {
        c->failed++;
        printf("FAIL %s: %s\n", name, res.detail);
    }
    fflush(stdout);
}

/* ---- folders ---- */

static int compare_names(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The last path component, without trailing slashes, into buf. */
static const char *base_name(const char *path, char *buf, size_t cap)
{
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    size_t start = len;
    while (start > 0 && path[start - 1] != '/')
        start--;
    snprintf(buf, cap, "%.*s", (int)(len - start), path + start);
    return buf;
}

/* dir's subfolders that are test folders, sorted, each run. */
static void run_children(const char *dir, const conform_args *a, conform_counts *c)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **grown = realloc(names, cap * sizeof *names);
            if (!grown)
                break;
            names = grown;
        }
        if ((names[n] = strdup(e->d_name)))
            n++;
    }
    if (d)
        closedir(d);
    qsort(names, n, sizeof *names, compare_names);
    for (size_t i = 0; i < n; i++) {
        char path[PATH_CAP];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (cg_conform_is_test_dir(path))
            run_test(path, names[i], a, c);
        free(names[i]);
    }
    free(names);
}

static bool check_dirs(const conform_args *a)
{
    for (int i = 0; i < a->n_dirs; i++) {
        struct stat sb;
        if (stat(a->dirs[i], &sb) != 0) {
            fprintf(stderr, "%s: cannot open: %s\n", a->dirs[i], strerror(errno));
            return false;
        }
        if (!S_ISDIR(sb.st_mode)) {
            fprintf(stderr, "%s: not a folder\n", a->dirs[i]);
            return false;
        }
    }
    return true;
}

int cmd_conform(int argc, char **argv)
{
    static conform_args args;
    memset(&args, 0, sizeof args);
    if (!parse_args(argc, argv, &args))
        return CLI_EXIT_USAGE;
    if (args.help) {
        help_print_conform(stdout);
        return CLI_EXIT_OK;
    }
    int rc = CLI_EXIT_USAGE;
    if (check_dirs(&args)) {
        conform_counts c = {0, 0, 0};
        for (int i = 0; i < args.n_dirs; i++) {
            char name[256];
            if (cg_conform_is_test_dir(args.dirs[i]))
                run_test(args.dirs[i], base_name(args.dirs[i], name, sizeof name), &args, &c);
            else
                run_children(args.dirs[i], &args, &c);
        }
        printf("%d passed, %d failed, %d skipped\n", c.passed, c.failed, c.skipped);
        rc = c.failed > 0 ? CLI_EXIT_PROBLEMS : CLI_EXIT_OK;
    }
    if (args.filter_text)
        regfree(&args.filter);
    return rc;
}
