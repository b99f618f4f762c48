# End-to-end tests of `convgraph dot`: one ctest per case in tests/dot/dot_tests.py.
# Graphviz's `dot` judges the syntax; testdata_parses renders the DOT of every
# ONNX test-data model that loads and prints "N passed, M failed".
# cg_dot_text itself (quoting of every kind of byte, Graphviz's length limit).
add_executable(test_dot_text ${CMAKE_CURRENT_SOURCE_DIR}/dot/test_dot_text.c)
target_include_directories(test_dot_text PRIVATE ${CMAKE_SOURCE_DIR}/src)
target_compile_options(test_dot_text PRIVATE ${CG_WARNINGS})
target_link_libraries(test_dot_text PRIVATE convgraph_lib PkgConfig::CMOCKA)
add_test(NAME dot/library COMMAND test_dot_text)

find_program(CG_GRAPHVIZ_DOT dot)
if(NOT CG_GRAPHVIZ_DOT)
  message(STATUS "Graphviz `dot` not found: convgraph dot tests disabled")
  return()
endif()
set(CG_DOT_CASES seed_labels pins_change_pads inference_problem_still_drawn
                 nasty_names_quoted output_files errors testdata_parses)
foreach(case ${CG_DOT_CASES})
  add_test(NAME dot/${case}
           COMMAND ${CG_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/dot/dot_tests.py
                   $<TARGET_FILE:convgraph> ${CMAKE_SOURCE_DIR} ${case})
  set_tests_properties(dot/${case} PROPERTIES TIMEOUT 120)
endforeach()
