# Bad input corpus: tests/bad_input/make_corpus.py writes broken ONNX files and YAML
# specs into the build tree, run_corpus.py runs `convgraph shapes` and `check` on
# each and wants exit status 2 and one line on stderr naming the file, never a crash.
set(CG_BAD_INPUT_DIR ${CMAKE_BINARY_DIR}/bad_input)
add_test(NAME bad_input/generate
         COMMAND ${CG_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/bad_input/make_corpus.py
                 ${CG_BAD_INPUT_DIR})
set_tests_properties(bad_input/generate PROPERTIES FIXTURES_SETUP cg_bad_input)
add_test(NAME bad_input/corpus
         COMMAND ${CG_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/bad_input/run_corpus.py
                 $<TARGET_FILE:convgraph> ${CG_BAD_INPUT_DIR})
set_tests_properties(bad_input/corpus PROPERTIES FIXTURES_REQUIRED cg_bad_input TIMEOUT 300)
