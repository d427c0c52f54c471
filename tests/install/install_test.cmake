# Run by ctest as `cmake -P install_test.cmake` with -D variables (see CMakeLists.txt here):
#   SOCKETIO_BUILD_DIR   the build tree to install (must be built)
#   WORK_DIR             scratch directory, wiped first: prefix/ and consumer-build/ go there
#   CONSUMER_SOURCE_DIR  tests/install/consumer
#   EXPECTED_VERSION     what the consumer must print
#   GENERATOR, CXX_COMPILER, BUILD_TYPE   to build the consumer like the main tree
#   SANITIZE             ON when the main tree uses ASan/UBSan: the consumer must link the runtimes too
#                        (and skips the per-header compile check, which the main build does)
cmake_minimum_required(VERSION 3.25)

foreach(var SOCKETIO_BUILD_DIR WORK_DIR CONSUMER_SOURCE_DIR EXPECTED_VERSION GENERATOR CXX_COMPILER)
    if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
        message(FATAL_ERROR "install test: ${var} not set")
    endif()
endforeach()

set(prefix ${WORK_DIR}/prefix)
set(consumer_build ${WORK_DIR}/consumer-build)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run step)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "install test: ${step} failed (${rc}):\n${out}")
    endif()
    set(step_output "${out}" PARENT_SCOPE)
endfunction()

# 1. install the build tree into the temporary prefix
set(config_args)
if(BUILD_TYPE)
    set(config_args --config ${BUILD_TYPE})
endif()
run("cmake --install" ${CMAKE_COMMAND} --install ${SOCKETIO_BUILD_DIR} --prefix ${prefix} ${config_args})
message(STATUS "installed into ${prefix}")

# 2. configure the consumer against it
set(consumer_args
    -S ${CONSUMER_SOURCE_DIR} -B ${consumer_build} -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
    -DCMAKE_PREFIX_PATH=${prefix}
    # never pick up a SocketIo installed elsewhere on the machine
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
if(BUILD_TYPE)
    list(APPEND consumer_args -DCMAKE_BUILD_TYPE=${BUILD_TYPE})
endif()
if(SANITIZE)
    # the header check adds nothing under the sanitizers; the main build runs it
    list(APPEND consumer_args -DCHECK_HEADERS=OFF
        "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-omit-frame-pointer"
        "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined")
endif()
run("configuring the consumer" ${CMAKE_COMMAND} ${consumer_args})

file(STRINGS ${consumer_build}/CMakeCache.txt socketio_dir REGEX "^SocketIo_DIR:")
string(REGEX REPLACE "^SocketIo_DIR:[A-Z]+=" "" socketio_dir "${socketio_dir}")
string(FIND "${socketio_dir}" "${prefix}/" at)
if(NOT at EQUAL 0)
    message(FATAL_ERROR "install test: the consumer found SocketIo in '${socketio_dir}', not under ${prefix}")
endif()
message(STATUS "consumer found ${socketio_dir}")

# 3. build and run it
run("building the consumer" ${CMAKE_COMMAND} --build ${consumer_build} ${config_args})
run("running the consumer" ${consumer_build}/socketio-consumer)
string(STRIP "${step_output}" printed)
message(STATUS "consumer output: ${printed}")
string(FIND "${printed}" "${EXPECTED_VERSION}" at)
if(at EQUAL -1)
    message(FATAL_ERROR "install test: expected version ${EXPECTED_VERSION} in the consumer's output")
endif()
message(STATUS "consumer printed version ${EXPECTED_VERSION}")
