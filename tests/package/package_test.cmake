# CTest `package.InstallAndConsume` (label package): installs the build tree into a fresh prefix, then
# configures, builds and runs tests/package/consumer against that prefix alone (find_package(inr CONFIG),
# inr::inr), and checks what it prints.
# With the Python module built (-DPYTHON=... -DPYTHON_DIR=<its install dir, relative to the prefix>), it also
# imports the installed module and runs the model through it.
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -DDATA_DIR=... -DGENERATOR=... -P package_test.cmake
# $INR_DATA_DIR overrides DATA_DIR, as for the other tests.
foreach(v BUILD_DIR SOURCE_DIR WORK_DIR DATA_DIR GENERATOR)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "package_test.cmake: -D${v}= is required")
  endif()
endforeach()
if(DEFINED ENV{INR_DATA_DIR})
  set(DATA_DIR $ENV{INR_DATA_DIR})
endif()
set(MODEL ${DATA_DIR}/models/mobilenetv2-12-int8-dequant-fp32.onnx)
if(NOT EXISTS ${MODEL})
  message("SKIP: ${MODEL} not found (set INR_DATA_DIR)")
  return()
endif()

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
run("install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

# The installed tree: the public headers and the package files, and nothing of src/.
foreach(f include/inr/session.h include/inr/tensor.h include/inr/status.h include/inr/dtype.h
          lib/cmake/inr/inrConfig.cmake lib/cmake/inr/inrConfigVersion.cmake lib/cmake/inr/inrTargets.cmake
          lib/libinr_core.a lib/libinr_runtime.a bin/inr)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
file(GLOB_RECURSE headers RELATIVE ${prefix}/include ${prefix}/include/*)
foreach(h ${headers})
  file(STRINGS ${prefix}/include/${h} includes REGEX "^#include \"")
  foreach(line ${includes})
    string(REGEX REPLACE "^#include \"([^\"]+)\".*" "\\1" inc "${line}")
    if(NOT EXISTS ${prefix}/include/${inc})
      message(FATAL_ERROR "installed header ${h} includes \"${inc}\", which is not installed")
    endif()
  endforeach()
endforeach()

# The consumer sees only the prefix: the source tree's include/ and src/ are not on any path.
set(consumer_build ${WORK_DIR}/consumer-build)
set(launcher)
find_program(CCACHE ccache)
if(CCACHE)
  set(launcher -DCMAKE_CXX_COMPILER_LAUNCHER=${CCACHE})
endif()
run("configure consumer" ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/consumer -B ${consumer_build}
    -G ${GENERATOR} -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix} ${launcher})
run("build consumer" ${CMAKE_COMMAND} --build ${consumer_build})
run("run consumer" ${consumer_build}/consumer ${MODEL})
message("${out}")
# MobileNetV2 fp32 on zeros: `inr run` on a zeros input gives these top classes (846 table lamp, 619 lampshade,
# 892 wall clock) on both backends; their logits (4.35, 3.96, 3.71) are 0.25 and more apart, far above fp32 noise.
if(NOT out MATCHES "output output f32\\[1,1000\\] top3 846 619 892")
  message(FATAL_ERROR "unexpected consumer output: ${out}")
endif()

if(PYTHON_DIR)
  set(ENV{PYTHONPATH} ${prefix}/${PYTHON_DIR})
  # One statement a line: a ";" would split the CMake argument.
  string(JOIN "\n" code
         "import inr, numpy as np"
         "assert inr.__file__.startswith('${prefix}/'), inr.__file__"
         "s = inr.InferenceSession('${MODEL}', threads=1)"
         "y = s.run(None, {'input': np.zeros((1, 3, 224, 224), np.float32)})[0]"
         "print('python top3', *np.argsort(-y[0])[:3])")
  run("installed Python module" ${PYTHON} -c "${code}")
  message("${out}")
  if(NOT out MATCHES "python top3 846 619 892")
    message(FATAL_ERROR "unexpected output of the installed Python module: ${out}")
  endif()
endif()
file(REMOVE_RECURSE ${WORK_DIR})
