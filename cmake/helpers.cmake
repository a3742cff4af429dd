# Small helpers shared by every target.

# headstart_system_headers(<target> [PUBLIC] <subdir>...): make the header-only packages installed by apt
# under /usr/include/<subdir> (catch2, nlohmann) visible to <target>. Cross and Emscripten builds
# must not see /usr/include as a whole (it holds the host's libc headers), so each package is
# exposed through its own symlink in the build tree.
function(headstart_system_headers target)
  set(dir "${CMAKE_BINARY_DIR}/system_headers")
  set(scope PRIVATE)
  set(subs ${ARGN})
  if(subs AND "${ARGV1}" STREQUAL "PUBLIC")
    set(scope PUBLIC)
    list(REMOVE_AT subs 0)
  endif()
  foreach(sub IN LISTS subs)
    find_path(_hs_${sub}_root NAMES ${sub} PATHS /usr/include NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH)
    if(NOT _hs_${sub}_root)
      message(FATAL_ERROR "/usr/include/${sub} not found: run scripts/setup first")
    endif()
    file(MAKE_DIRECTORY "${dir}")
    file(CREATE_LINK "${_hs_${sub}_root}/${sub}" "${dir}/${sub}" SYMBOLIC)
  endforeach()
  target_include_directories(${target} SYSTEM ${scope} "${dir}")
endfunction()

# headstart_embed_text(<out_header> <namespace> <file>...): turn text files (shaders) into a header
# of `constexpr const char* <name>` raw string literals, regenerated when a file changes.
function(headstart_embed_text out_header ns)
  set(body "// generated from ${ARGN} by cmake/helpers.cmake — do not edit\n#pragma once\nnamespace ${ns} {\n")
  foreach(f IN LISTS ARGN)
    file(READ "${f}" text)
    get_filename_component(name "${f}" NAME)
    string(MAKE_C_IDENTIFIER "${name}" id)
    string(APPEND body "inline constexpr const char* ${id} = R\"HEADSTART_EMBED(${text})HEADSTART_EMBED\";\n")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${f}")
  endforeach()
  string(APPEND body "}  // namespace ${ns}\n")
  file(CONFIGURE OUTPUT "${out_header}" CONTENT "${body}" @ONLY)
endfunction()
