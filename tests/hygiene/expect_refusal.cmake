# cmake -DCHECK=<berth-check-plugin> -DFILE=<lib.so> -DSAYS=<text> -P expect_refusal.cmake
# Passes only when the gate exits non-zero AND says SAYS about FILE: a gate that cannot run
# (no readelf, no bash, a typo) fails differently and must not count as a refusal.
foreach(var CHECK FILE SAYS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "expect_refusal.cmake: -D${var}=... is required")
  endif()
endforeach()
execute_process(COMMAND "${CHECK}" "${FILE}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "the gate accepted ${FILE}:\n${out}${err}")
endif()
string(FIND "${err}" "berth-check-plugin: ${FILE}: ${SAYS}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "the gate refused ${FILE} (exit ${rc}) but not for the expected reason \"${SAYS}\":\n${out}${err}")
endif()
message(STATUS "refused as expected: ${SAYS}")
