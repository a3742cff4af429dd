# ONNX Runtime for native builds: the exact libonnxruntime.so.1 shipped in npm's onnxruntime-node
# (x64 or arm64) and the matching C/C++ headers, both fetched by scripts/setup into .deps/.
# The library exports versioned symbols, so binaries run against the very file they linked:
# its folder goes into their RPATH.
set(_ort "${HEADSTART_DEPS_DIR}/onnxruntime")
if(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(_ort_arch arm64)
else()
  set(_ort_arch x64)
endif()
set(HEADSTART_ORT_LIB_DIR "${_ort}/${_ort_arch}/lib")
if(NOT EXISTS "${HEADSTART_ORT_LIB_DIR}/libonnxruntime.so.1" OR NOT EXISTS "${_ort}/include/onnxruntime_cxx_api.h")
  message(FATAL_ERROR "ONNX Runtime not found in ${_ort}: run scripts/setup first")
endif()
add_library(onnxruntime SHARED IMPORTED GLOBAL)
set_target_properties(onnxruntime PROPERTIES
  IMPORTED_LOCATION "${HEADSTART_ORT_LIB_DIR}/libonnxruntime.so.1"
  IMPORTED_SONAME "libonnxruntime.so.1"
  INTERFACE_INCLUDE_DIRECTORIES "${_ort}/include")
set(CMAKE_BUILD_RPATH "${HEADSTART_ORT_LIB_DIR}")
set(CMAKE_INSTALL_RPATH "$ORIGIN/../lib")
