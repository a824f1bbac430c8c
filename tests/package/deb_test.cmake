# The Debian package unpacks and runs: cpack -G DEB from the build tree, dpkg-deb -x into a
# temporary root, then from that root: the files the package promises, its control scripts,
# `berthd --check-config` on the packaged config, berthd serving the packaged plugins and
# stopping on SIGTERM, the systemd unit through systemd-analyze, and the SDK's out-of-tree
# plugin build (tests/out_of_tree) against <root>/usr.
#
# The packaged /etc/berth/berth.json names /usr/lib/berth/plugins and /var/lib/berth, which do
# not exist outside an installed system: the test checks a copy with those paths rewritten
# into the temporary root (and shows that the unrewritten file names exactly those paths).
foreach(v SOURCE_DIR BINARY_DIR WORK_DIR VERSION)
  if(NOT ${v})
    message(FATAL_ERROR "${v} is required")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(root ${WORK_DIR}/root)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(run_output "${out}${err}" PARENT_SCOPE)
endfunction()

find_program(CPACK cpack HINTS ${CMAKE_COMMAND}/.. REQUIRED)
find_program(DPKG dpkg REQUIRED)
run(${DPKG} --print-architecture)
string(STRIP "${run_output}" arch)
run(${CPACK} -G DEB --config ${BINARY_DIR}/CPackConfig.cmake -B ${WORK_DIR})
set(deb ${WORK_DIR}/berth_${VERSION}_${arch}.deb)
if(NOT EXISTS ${deb})
  file(GLOB made ${WORK_DIR}/*.deb)
  message(FATAL_ERROR "cpack made no ${deb} (made: ${made})")
endif()
run(dpkg-deb -x ${deb} ${root})
run(dpkg-deb -e ${deb} ${WORK_DIR}/control)

set(expected
  usr/bin/berthd usr/bin/berthctl etc/berth/berth.json lib/systemd/system/berthd.service
  usr/libexec/berth/berth-worker
  usr/include/berth/plugin.hpp usr/include/berth/version.h
  usr/lib/cmake/berth-sdk/berth-sdk-config.cmake usr/lib/cmake/berth-sdk/berth-check-plugin
  usr/lib/berth/plugins/users.so usr/lib/berth/plugins/categories.so
  usr/lib/berth/plugins/products.so usr/lib/berth/plugins/payment.so
  usr/share/berth/swagger-ui/swagger-ui-bundle.js usr/share/doc/berth/operations.md)
foreach(f IN LISTS expected)
  if(NOT EXISTS ${root}/${f})
    message(FATAL_ERROR "the package has no /${f}")
  endif()
endforeach()
file(READ ${WORK_DIR}/control/conffiles conffiles)
if(NOT conffiles MATCHES "/etc/berth/berth.json")
  message(FATAL_ERROR "/etc/berth/berth.json is not a conffile: ${conffiles}")
endif()
file(READ ${WORK_DIR}/control/postinst postinst)
if(NOT postinst MATCHES "useradd --system")
  message(FATAL_ERROR "the postinst makes no berth user")
endif()

run(${root}/usr/bin/berthd --version)
if(NOT run_output MATCHES "berthd ${VERSION}")
  message(FATAL_ERROR "berthd --version says: ${run_output}")
endif()

# The packaged config as it is: it names the installed paths, absent here.
execute_process(COMMAND ${root}/usr/bin/berthd --check-config ${root}/etc/berth/berth.json
                RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
if(NOT rc EQUAL 2 OR NOT err MATCHES "/usr/lib/berth/plugins/users.so")
  message(FATAL_ERROR "the packaged config should name /usr/lib/berth/plugins (rc ${rc}): ${err}")
endif()
# A copy rewritten into the temporary root.
file(READ ${root}/etc/berth/berth.json config)
string(REPLACE "/usr/lib/berth/plugins" "${root}/usr/lib/berth/plugins" config "${config}")
string(REPLACE "/usr/share/berth" "${root}/usr/share/berth" config "${config}")
string(REPLACE "/var/lib/berth" "${WORK_DIR}/var" config "${config}")
file(WRITE ${WORK_DIR}/berth.json "${config}")
run(${root}/usr/bin/berthd --check-config ${WORK_DIR}/berth.json)
if(NOT run_output MATCHES "valid \\(4 modules\\)")
  message(FATAL_ERROR "berthd --check-config said: ${run_output}")
endif()

# The packaged berthd serves the packaged plugins (ports made ephemeral: the fixed ones may be
# taken here): ready with 4 modules serving, each module's /healthz and the admin's answer, then
# it stops on SIGTERM with exit 0 (tests/package/serve_packaged.sh; curl asks).
string(REGEX REPLACE "\"port\": [0-9]+" "\"port\": 0" served "${config}")
file(WRITE ${WORK_DIR}/serve.json "${served}")
find_program(CURL curl REQUIRED)
run(${SOURCE_DIR}/tests/package/serve_packaged.sh ${root}/usr/bin/berthd ${WORK_DIR}/serve.json ${WORK_DIR})

# The unit, with ExecStart pointing into the root (verify wants the program to exist).
find_program(SYSTEMD_ANALYZE systemd-analyze)
if(SYSTEMD_ANALYZE)
  file(READ ${root}/lib/systemd/system/berthd.service unit)
  string(REPLACE "/usr/bin/berthd" "${root}/usr/bin/berthd" unit "${unit}")
  file(WRITE ${WORK_DIR}/unit/berthd.service "${unit}")
  run(${SYSTEMD_ANALYZE} verify ${WORK_DIR}/unit/berthd.service)
  if(NOT run_output STREQUAL "")
    message(FATAL_ERROR "systemd-analyze verify: ${run_output}")
  endif()
else()
  message(STATUS "systemd-analyze not found: the unit is not verified")
endif()

# The SDK from the package: the out-of-tree plugin builds against <root>/usr.
run(${CMAKE_COMMAND} -DSOURCE_DIR=${SOURCE_DIR} -DPREFIX=${root}/usr -DWORK_DIR=${WORK_DIR}/out_of_tree
    -P ${SOURCE_DIR}/tests/out_of_tree/build_against_installed_sdk.cmake)
message(STATUS "${deb} unpacks, checks its config and builds a plugin against its SDK")
