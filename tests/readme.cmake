# README.md's supported-ops block must equal the registry's list (convgraph --help).
add_test(NAME readme/ops
         COMMAND bash ${CMAKE_SOURCE_DIR}/tools/sh/readme-ops.sh $<TARGET_FILE:convgraph>
                 ${CMAKE_SOURCE_DIR}/README.md)
