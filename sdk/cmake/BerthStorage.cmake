# berth::storage: what a plugin using berth/storage.hpp links (SOCI core + its SQLite backend,
# SQLite). Debian's SOCI ships no CMake config and no .pc, so it is found by hand here.
if(NOT TARGET berth::storage)
  find_path(BERTH_SOCI_INCLUDE_DIR soci/soci.h)
  find_library(BERTH_SOCI_CORE_LIBRARY soci_core)
  find_library(BERTH_SOCI_SQLITE3_LIBRARY soci_sqlite3)
  find_package(SQLite3)
  if(BERTH_SOCI_INCLUDE_DIR AND BERTH_SOCI_CORE_LIBRARY AND BERTH_SOCI_SQLITE3_LIBRARY AND SQLite3_FOUND)
    add_library(berth::storage INTERFACE IMPORTED GLOBAL)
    set_target_properties(berth::storage PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${BERTH_SOCI_INCLUDE_DIR}"
      # The backend before the core: soci_sqlite3 needs soci_core's symbols.
      INTERFACE_LINK_LIBRARIES "berth::sdk;${BERTH_SOCI_SQLITE3_LIBRARY};${BERTH_SOCI_CORE_LIBRARY};SQLite::SQLite3")
  else()
    message(STATUS "berth::storage unavailable: SOCI (libsoci-dev) or SQLite3 (libsqlite3-dev) not found")
  endif()
endif()
