# Smoke test of `convgraph bench`: it runs models/small_cnn.yaml a few times and
# prints every field (latency statistics, throughput, peak RSS, the --profile
# table, --times); bad arguments exit 2 with the reason on stderr. No timing is
# asserted (speed is measured by bench/run.sh, never tested).
#
# One file, two roles: included from tests/CMakeLists.txt it registers the test;
# run as `cmake -DCONVGRAPH=... -DSOURCE_DIR=... -P bench_smoke.cmake` it is the test.
if(NOT CMAKE_SCRIPT_MODE_FILE)
  add_test(NAME bench/smoke
           COMMAND ${CMAKE_COMMAND} -DCONVGRAPH=$<TARGET_FILE:convgraph>
                   -DSOURCE_DIR=${CMAKE_SOURCE_DIR} -P ${CMAKE_CURRENT_LIST_FILE})
  set_tests_properties(bench/smoke PROPERTIES TIMEOUT 120)
  return()
endif()

set(model ${SOURCE_DIR}/models/small_cnn.yaml)
set(pin --input-shape image:1,3,32,32)

# Runs convgraph with ARGN; fails unless it exits with `want`.
function(bench_run want)
  execute_process(COMMAND ${CONVGRAPH} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc STREQUAL want)
    message(FATAL_ERROR "convgraph ${ARGN}: exit ${rc}, wanted ${want}\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
  set(err "${err}" PARENT_SCOPE)
endfunction()

function(expect_match text regex what)
  if(NOT text MATCHES "${regex}")
    message(FATAL_ERROR "${what}: no match for '${regex}' in:\n${text}")
  endif()
endfunction()

set(num "[0-9]+\\.[0-9]+")

# Every field, with the profile table and each run's time.
bench_run(0 bench ${model} ${pin} --iters 2 --warmup 1 --threads 1 --profile --times)
expect_match("${out}" "model +[^\n]*small_cnn.yaml\n" "model line")
expect_match("${out}" "kernels +fast\n" "kernels line")
expect_match("${out}" "threads +1\n" "threads line")
expect_match("${out}" "input +image +float32\\[1,3,32,32\\] +random, seed 0\n" "input line")
expect_match("${out}" "runs +1 warm-up \\(untimed\\), 2 timed\n" "runs line")
expect_match("${out}"
             "latency ms +min ${num} +median ${num} +mean ${num} +p90 ${num} +max ${num}\n"
             "latency line")
expect_match("${out}" "throughput +${num} inferences/s" "throughput line")
expect_match("${out}" "times ms +${num} ${num}\n" "--times line (two runs)")
expect_match("${out}" "peak RSS +${num} MiB \\(the whole process's peak" "peak RSS line")
expect_match("${out}" "op type +nodes +total ms +ms/run +%time +GFLOP/s\n" "profile header")
expect_match("${out}" "\nConv +4 +${num} +${num} +${num}% +${num}\n" "profile Conv row")
expect_match("${out}" "\nall ops +${num} +${num}" "profile total")

# Reference kernels, two threads, the defaults for warm-up and runs.
bench_run(0 bench ${model} ${pin} --kernels reference --threads=2 --iters=3)
expect_match("${out}" "kernels +reference\n" "--kernels reference")
expect_match("${out}" "runs +5 warm-up \\(untimed\\), 3 timed\n" "default warm-up")
if(out MATCHES "op type|times ms")
  message(FATAL_ERROR "profile or times printed without being asked for:\n${out}")
endif()

# One timed run: every statistic is that run.
bench_run(0 bench ${model} ${pin} --iters 1 --warmup 0 --threads 1 --times)
if(NOT out MATCHES "min (${num}) +median (${num}) +mean (${num}) +p90 (${num}) +max (${num})\n")
  message(FATAL_ERROR "no latency line in:\n${out}")
endif()
foreach(i 2 3 4 5)
  if(NOT CMAKE_MATCH_${i} STREQUAL CMAKE_MATCH_1)
    message(FATAL_ERROR "one run, yet the statistics differ:\n${out}")
  endif()
endforeach()
expect_match("${out}" "times ms +${num}\n" "--times line (one run)")

# Usage errors: exit 2, the reason on stderr, nothing on stdout.
foreach(bad "--iters;0" "--iters;x" "--threads;-1" "--warmup" "--kernels;slow" "--bogus"
            "--input-shape;nope:1,2" "--input-shape;image:1,3,32,32")
  bench_run(2 bench ${model} ${pin} ${bad})
  expect_match("${err}" "^convgraph bench: |input-shape" "usage error for '${bad}'")
  if(NOT out STREQUAL "")
    message(FATAL_ERROR "'${bad}' printed on stdout:\n${out}")
  endif()
endforeach()
bench_run(2 bench)
expect_match("${err}" "missing MODEL" "no MODEL")
bench_run(2 bench ${model})
expect_match("${err}" "input-shape" "symbolic dim without a pin")
bench_run(2 bench ${SOURCE_DIR}/models/no_such_model.yaml)
bench_run(0 bench --help)
expect_match("${out}" "usage: convgraph bench MODEL" "--help")
bench_run(0 help bench)
expect_match("${out}" "usage: convgraph bench MODEL" "help bench")
