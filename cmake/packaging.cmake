# The Debian package: `cpack -G DEB` in the build tree makes berth_<version>_<arch>.deb with
# berthd, berthctl, the SDK, the shop plugins, /etc/berth/berth.json, the
# systemd unit and the docs. Laid out for /usr: plugins in /usr/lib/berth/plugins, data in
# /var/lib/berth (the unit's StateDirectory). Included last from the top CMakeLists.txt, once
# every install() rule is known. docs/operations.md (The Debian package) says how to use it.

# The shipped plugins, where the package's config looks for them.
if(BERTH_BUILD_PLUGINS)
  install(TARGETS users categories products payment
          LIBRARY DESTINATION lib/berth/plugins COMPONENT plugins)
endif()
# Absolute destinations, only in a package (or an install that asks for these components): a
# plain `cmake --install --prefix DIR` must not write to /etc.
install(FILES ${PROJECT_SOURCE_DIR}/config/package/berth.json DESTINATION /etc/berth
        COMPONENT config EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/config/berthd.service DESTINATION /lib/systemd/system
        COMPONENT config EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/config/berth.schema.json DESTINATION ${CMAKE_INSTALL_DATADIR}/berth
        COMPONENT config)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT docs)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT docs)

# Everything but the embedding library (berth::host and its headers: an application that embeds
# Berth builds against the source tree or `cmake --install --component host`).
get_cmake_property(berth_components COMPONENTS)
list(REMOVE_ITEM berth_components host)
set(CPACK_COMPONENTS_ALL ${berth_components})
# A component install (a monolithic one would install everything, and nothing EXCLUDE_FROM_ALL),
# grouped into one package.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)

set(CPACK_PACKAGE_NAME berth)
set(CPACK_PACKAGE_VENDOR "Berth")
set(CPACK_PACKAGE_CONTACT "Berth maintainers <berth@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Service modules as hot-swappable C++ plugins, each on its own HTTP port")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # dpkg-shlibdeps works out the libraries' packages
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
# The SDK's headers need nlohmann/json; a plugin build needs a compiler and CMake.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nlohmann-json3-dev (>= 3.11), cmake, g++, binutils, libsoci-dev")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/cmake/packaging/postinst ${PROJECT_SOURCE_DIR}/cmake/packaging/prerm
    ${PROJECT_SOURCE_DIR}/cmake/packaging/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# No cpack runs inside the source tree.
set(CPACK_SOURCE_IGNORE_FILES "/build/;/\\\\.deps/;/\\\\.git/")
include(CPack)
