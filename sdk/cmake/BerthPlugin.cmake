# berth_add_plugin(NAME <name> SOURCES <src>... [OUTPUT_DIRECTORY <dir>] [NO_HYGIENE_CHECK])
#
# Builds <name>.so as a Berth plugin: a MODULE library with the compile and link flags
# hot swapping needs on Linux (see docs/plugin-authoring.md, "Why these flags"), and a
# post-build hygiene check that fails the build for a library that could never unload.
function(berth_add_plugin)
  cmake_parse_arguments(ARG "NO_HYGIENE_CHECK" "NAME;OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  if(NOT ARG_NAME OR NOT ARG_SOURCES)
    message(FATAL_ERROR "berth_add_plugin needs NAME and SOURCES")
  endif()
  add_library(${ARG_NAME} MODULE ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE berth::sdk)
  set_target_properties(${ARG_NAME} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    POSITION_INDEPENDENT_CODE ON)
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${ARG_NAME} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  endif()
  # -fno-gnu-unique: without it GCC makes inline statics STB_GNU_UNIQUE and glibc never unloads.
  # Clang never emits STB_GNU_UNIQUE and has no such flag; the hygiene check below still runs.
  target_compile_options(${ARG_NAME} PRIVATE $<$<CXX_COMPILER_ID:GNU>:-fno-gnu-unique>)
  target_link_options(${ARG_NAME} PRIVATE -Wl,--no-undefined -Wl,-z,now)
  if(NOT ARG_NO_HYGIENE_CHECK)
    add_custom_command(TARGET ${ARG_NAME} POST_BUILD
      COMMAND ${BERTH_CHECK_PLUGIN} $<TARGET_FILE:${ARG_NAME}>
      COMMENT "Checking that ${ARG_NAME}.so can be unloaded"
      VERBATIM)
  endif()
endfunction()
