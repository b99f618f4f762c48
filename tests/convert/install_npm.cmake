# Installs the reference runtimes of tests/convert/ (onnxruntime-node, tfjs-core,
# tfjs-backend-cpu) under PREFIX with npm, skipping packages already there at the
# wanted version. Run with cmake -P, passing -DNPM=... -DPREFIX=...
set(packages onnxruntime-node@1.30.0 @tensorflow/tfjs-core@4.22.0
             @tensorflow/tfjs-backend-cpu@4.22.0)
set(missing)
foreach(spec ${packages})
  string(FIND ${spec} "@" at REVERSE)
  string(SUBSTRING ${spec} 0 ${at} name)
  math(EXPR after "${at} + 1")
  string(SUBSTRING ${spec} ${after} -1 version)
  set(manifest ${PREFIX}/node_modules/${name}/package.json)
  set(installed "")
  if(EXISTS ${manifest})
    file(READ ${manifest} text)
    string(JSON installed ERROR_VARIABLE json_error GET "${text}" version)
  endif()
  if(NOT installed STREQUAL version)
    list(APPEND missing ${spec})
  endif()
endforeach()
if(NOT missing)
  message(STATUS "convert oracles already installed in ${PREFIX}")
  return()
endif()
file(MAKE_DIRECTORY ${PREFIX})
execute_process(
  COMMAND ${NPM} install --prefix ${PREFIX} --no-audit --no-fund --ignore-scripts ${missing}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "npm install ${missing} failed (${rc})")
endif()
