# Installs @tensorflow/tfjs-core (the differential oracle of tests/tfjs/) under PREFIX
# with npm, unless that exact version is already there. Run with cmake -P, passing
# -DNPM=... -DPREFIX=... -DVERSION=...
set(manifest ${PREFIX}/node_modules/@tensorflow/tfjs-core/package.json)
if(EXISTS ${manifest})
  file(READ ${manifest} text)
  string(JSON installed ERROR_VARIABLE json_error GET "${text}" version)
  if(installed STREQUAL VERSION)
    message(STATUS "tfjs-core ${VERSION} already installed in ${PREFIX}")
    return()
  endif()
endif()
file(MAKE_DIRECTORY ${PREFIX})
execute_process(
  COMMAND ${NPM} install --prefix ${PREFIX} --no-audit --no-fund --ignore-scripts
          @tensorflow/tfjs-core@${VERSION}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "npm install @tensorflow/tfjs-core@${VERSION} failed (${rc})")
endif()
