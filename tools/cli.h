/* Shared pieces of the `convgraph` command line: argument parsing, model loading,
 * number formatting and the subcommands' entry points. */
#ifndef CG_TOOLS_CLI_H
#define CG_TOOLS_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "convgraph/convgraph.h"

/* Exit codes, the same for every subcommand. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_PROBLEMS = 1, /* inference failed or `check` found problems */
    CLI_EXIT_USAGE = 2,    /* bad arguments, or the model cannot be read */
};

#define CLI_MAX_PINS 64
#define CLI_MAX_INPUTS 64

/* What a model subcommand was asked to do. */
typedef struct cli_args {
    const char *model;
    cg_pin pins[CLI_MAX_PINS];
    int n_pins;
    bool json;
    bool help;
    /* `run` only: the --input values as given (NAME=FILE or NAME:random[:SEED]),
     * checked against the model by the command; --output-dir, --format, --kernels. */
    const char *inputs[CLI_MAX_INPUTS];
    int n_inputs;
    const char *output_dir;
    const char *format;
    bool reference_kernels;
} cli_args;

/* Which options a subcommand accepts beyond MODEL and --input-shape. */
typedef struct cli_command {
    const char *name;
    bool takes_json;
    void (*print_help)(FILE *out);
    bool takes_run_options; /* --input, --output-dir, --format, --kernels */
} cli_command;

/* "convgraph CMD: <message>", a blank line and the command's help on stderr;
 * always false, so callers can return it. */
bool cli_usage_error(const cli_command *cmd, const char *fmt, ...) CG_PRINTF(2, 3);

/* Parses argv (after the subcommand name). On a usage error prints the message and
 * the subcommand's help to stderr and returns false. */
bool cli_parse_args(const cli_command *cmd, int argc, char **argv, cli_args *out);

/* cli_parse_args, then --help: CLI_CONTINUE when the command should go on,
 * else its exit status (a usage error, or 0 once the help is printed). */
enum { CLI_CONTINUE = -1 };
int cli_begin(const cli_command *cmd, int argc, char **argv, cli_args *out);

/* Loads the model and checks the pins against it. On failure prints the one-line
 * reason to stderr and returns NULL. */
cg_graph *cli_load_model(const cli_args *a);
/* The same for commands that need shapes only (shapes, check, dot): large
 * weights that would need copying are left unread (cg_model_load_shapes_only). */
cg_graph *cli_load_model_shapes(const cli_args *a);

/* "1.82 G", "885 K", "42"; "?" for a negative (unknown) count. */
void cli_human_count(int64_t n, char *buf, size_t len);
/* "1,815,609,344"; "?" for a negative (unknown) count. */
void cli_grouped_count(int64_t n, char *buf, size_t len);
/* "float32", or "undefined" for an unknown dtype (the JSON spelling). */
const char *cli_dtype_text(cg_dtype t);
/* "float32[1,3,224,224]"; "float32 ?" when the rank is unknown, "?" when both are. */
void cli_type_text(cg_dtype t, const cg_shape *s, char *buf, size_t len);

/* Subcommands and help. */
int cmd_shapes(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_conform(int argc, char **argv);
int shapes_print_json(const cg_graph *g, FILE *out);
/* Window geometry lines for `shapes`, fitted to `width` columns where they can
 * be, and the narrowest width they can take. */
void shapes_print_window(const cg_window_report *r, int indent, int width);
int shapes_window_width(const cg_window_report *r);
void help_print_main(FILE *out);
void help_print_shapes(FILE *out);
void help_print_check(FILE *out);
void help_print_run(FILE *out);
void help_print_conform(FILE *out);

#endif
