/* `convgraph dot MODEL [-o FILE]`: the graph as Graphviz DOT, on stdout or in a
 * .dot file, or rendered to .svg/.png by Graphviz's `dot` program. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "cli_convert.h"
#include "convgraph/dot.h"

#define DOT_STDERR_MAX 4096 /* what we keep of dot's complaints for the message */

static const cli_command dot_command = {.name = "dot", .print_help = help_print_dot};

typedef enum dot_output { DOT_STDOUT, DOT_FILE, DOT_SVG, DOT_PNG } dot_output;

void help_print_dot(FILE *out)
{
    fputs("usage: convgraph dot MODEL [--input-shape NAME:D1,D2,...]... [-o FILE]\n\n"
          "Draws the model as a Graphviz graph, top to bottom. Each op is a box with\n"
          "its name, op type and an attribute summary; convolutions and pools show\n"
          "kernel, strides (s), dilations (d), group (g), auto_pad and the pads shape\n"
          "inference resolved, in ONNX order (begins, then ends), e.g.\n"
          "'Conv 3x3 s2 SAME_UPPER pads 0,0,1,1'. The initializers an op reads are\n"
          "listed in its box with their shapes. Graph inputs and outputs are drawn as\n"
          "blue and green house shapes; edges carry tensor shapes ('?' where unknown).\n\n"
          "options:\n"
          "  --input-shape NAME:D1,D2,...  pin graph input NAME to a concrete shape\n"
          "                                (repeatable)\n"
          "  -o, --output FILE             FILE.dot or FILE.gv: the DOT text;\n"
          "                                FILE.svg or FILE.png: rendered by Graphviz's\n"
          "                                `dot` (Debian package graphviz). Without -o\n"
          "                                the DOT text goes to stdout.\n"
          "  -h, --help                    this help\n\n"
          "exit status: 0 success, 2 usage error, an unreadable model, a missing or\n"
          "failing `dot` program (the reason is one line on stderr; no file is left\n"
          "behind then).\n",
          out);
}


static bool output_kind(const char *path, dot_output *kind)
{
    if (!path)
        *kind = DOT_STDOUT;
    else if (cg_path_has_suffix(path, ".dot") || cg_path_has_suffix(path, ".gv"))
        *kind = DOT_FILE;
    else if (cg_path_has_suffix(path, ".svg"))
        *kind = DOT_SVG;
    else if (cg_path_has_suffix(path, ".png"))
        *kind = DOT_PNG;
    else
        return false;
    return true;
}

static int usage_error(const char *msg, const char *arg)
{
    cli_usage_error(&dot_command, msg, arg);
    return CLI_EXIT_USAGE;
}

/* Takes -o/--output out of argv (compacting it in place) so the shared parser
 * sees only MODEL, --input-shape and -h. Returns -1 after a usage error. */
static int take_output_option(int argc, char **argv, const char **output)
{
    int kept = 0;
    bool options_done = false;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *value = NULL;
        options_done = options_done || strcmp(arg, "--") == 0;
        bool is_o = !options_done && (strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0);
        if (!options_done && strncmp(arg, "--output=", 9) == 0) {
            value = arg + 9;
        } else if (is_o && i + 1 >= argc) {
            usage_error("%s needs a FILE", arg);
            return -1;
        } else if (is_o) {
            value = argv[++i];
        } else {
            argv[kept++] = argv[i];
            continue;
        }
        if (*output) {
            usage_error("one output only (%s given twice)", "-o");
            return -1;
        }
        *output = value;
    }
    return kept;
}

/* Full path of an executable `name` found on $PATH into buf; false when none. */
static bool find_program(const char *name, char *buf, size_t len)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/bin:/bin";
    while (*path) {
        size_t dir_len = strcspn(path, ":");
        if ((size_t)snprintf(buf, len, "%.*s/%s", (int)dir_len, path, name) < len &&
            access(buf, X_OK) == 0)
            return true;
        path += dir_len + (path[dir_len] == ':');
    }
    return false;
}

/* Writes all of text to the fd; false on a write error. */
static bool write_all(int fd, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, text, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        text += n;
        len -= (size_t)n;
    }
    return true;
}

/* Reads the pipe until EOF, keeping the first line (at most len-1 bytes). */
static void read_first_line(int fd, char *buf, size_t len)
{
    char chunk[512];
    size_t used = 0;
    ssize_t n;
    buf[0] = '\0';
    while ((n = read(fd, chunk, sizeof chunk)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        for (ssize_t i = 0; i < n && used + 1 < len; i++)
            buf[used++] = chunk[i];
        buf[used] = '\0';
    }
    buf[strcspn(buf, "\r\n")] = '\0';
}

/* Runs `dot -Tfmt -o out_tmp dot_file` without a shell; its stderr's first line
 * goes to complaint. Returns dot's exit status, 127 when it could not start, -1
 * when it could not be run at all. */
static int run_dot(const char *program, const char *fmt, const char *dot_file,
                   const char *out_tmp, char *complaint, size_t len)
{
    int err[2];
    char format_option[16];
    snprintf(format_option, sizeof format_option, "-T%s", fmt);
    if (pipe(err) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(err[0]);
        close(err[1]);
        return -1;
    }
    if (pid == 0) {
        char *argv[] = {(char *)"dot", format_option, (char *)"-o", (char *)out_tmp,
                        (char *)dot_file, NULL};
        dup2(err[1], STDERR_FILENO);
        close(err[0]);
        close(err[1]);
        execv(program, argv);
        _exit(127);
    }
    close(err[1]);
    read_first_line(err[0], complaint, len);
    close(err[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A temporary file next to path ("PATH.XXXXXX"), created empty with the
 * permissions a new file gets (mkstemp makes it 0600); its name goes to buf.
 * False when it cannot be created. */
static bool make_temp_next_to(const char *path, char *buf, size_t len)
{
    if ((size_t)snprintf(buf, len, "%s.XXXXXX", path) >= len)
        return false;
    int fd = mkstemp(buf);
    if (fd < 0)
        return false;
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    close(fd);
    return true;
}

/* Renders the DOT text to out_path with Graphviz through temporary files, so a
 * failure leaves nothing at out_path. Errors are one line on stderr. */
static int render(const char *text, size_t len, const char *fmt, const char *out_path)
{
    char program[4096], out_tmp[4096], dot_file[sizeof out_tmp + 8], complaint[DOT_STDERR_MAX];
    if (!find_program("dot", program, sizeof program)) {
        fprintf(stderr, "convgraph dot: cannot write %s: Graphviz's `dot` program is not "
                        "installed (Debian package graphviz)\n", out_path);
        return CLI_EXIT_USAGE;
    }
    if (!make_temp_next_to(out_path, out_tmp, sizeof out_tmp)) {
        fprintf(stderr, "%s: cannot write: %s\n", out_path, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    int rc = -1;
    snprintf(dot_file, sizeof dot_file, "%s.dot", out_tmp);
    int fd = open(dot_file, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd >= 0) {
        bool written = write_all(fd, text, len);
        written = close(fd) == 0 && written;
        rc = written ? run_dot(program, fmt, dot_file, out_tmp, complaint, sizeof complaint) : -1;
        remove(dot_file);
    }
    if (rc == 0 && rename(out_tmp, out_path) == 0)
        return CLI_EXIT_OK;
    int saved = errno;
    remove(out_tmp);
    if (rc > 0)
        fprintf(stderr, "convgraph dot: `dot -T%s` failed (exit %d)%s%s\n", fmt, rc,
                complaint[0] ? ": " : "", complaint);
    else
        fprintf(stderr, "%s: cannot write: %s\n", out_path, strerror(saved));
    return CLI_EXIT_USAGE;
}

/* Shapes and pads for the labels. A model whose inference stops somewhere is
 * still drawn: the values past the problem show '?', and a note says why. */
static void infer_for_labels(cg_graph *g, const cli_args *a)
{
    cg_diag_list problems = {0};
    cg_infer_options opt = {a->pins, a->n_pins, &problems};
    cg_status st = {0};
    cg_graph_infer_shapes(g, &opt, &st);
    if (problems.n > 0)
        fprintf(stderr, "convgraph dot: note: shapes past %d inference %s show '?' (first: %s)\n",
                problems.n, problems.n == 1 ? "problem" : "problems", problems.lines[0]);
    cg_diag_free(&problems);
}

static int write_output(const char *text, size_t len, dot_output kind, const char *path)
{
    cg_status st = {0};
    switch (kind) {
    case DOT_STDOUT:
        if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
            fprintf(stderr, "convgraph dot: cannot write to stdout: %s\n", strerror(errno));
            return CLI_EXIT_USAGE;
        }
        return CLI_EXIT_OK;
    case DOT_FILE:
        if (cg_write_file_atomic(path, text, len, &st) != CG_OK) {
            fprintf(stderr, "%s\n", st.msg);
            return CLI_EXIT_USAGE;
        }
        return CLI_EXIT_OK;
    case DOT_SVG: return render(text, len, "svg", path);
    case DOT_PNG: return render(text, len, "png", path);
    }
    return CLI_EXIT_USAGE;
}

int cmd_dot(int argc, char **argv)
{
    const char *output = NULL;
    dot_output kind;
    cli_args args;
    argc = take_output_option(argc, argv, &output);
    if (argc < 0)
        return CLI_EXIT_USAGE;
    int begun = cli_begin(&dot_command, argc, argv, &args);
    if (begun != CLI_CONTINUE)
        return begun;
    if (!output_kind(output, &kind))
        return usage_error("-o FILE must end in .dot, .gv, .svg or .png, not '%s'", output);
    cg_graph *g = cli_load_model_shapes(&args);
    if (!g)
        return CLI_EXIT_USAGE;
    infer_for_labels(g, &args);
    cg_status st = {0};
    size_t len;
    char *text = cg_dot_text(g, &len, &st);
    int rc = CLI_EXIT_USAGE;
    if (text)
        rc = write_output(text, len, kind, output);
    else
        fprintf(stderr, "%s\n", st.msg);
    free(text);
    cg_graph_free(g);
    return rc;
}
