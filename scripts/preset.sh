# Sourced by scripts/build, scripts/sanitize and scripts/fuzz: the ccache settings every Berth build uses, and
# berth_configure PRESET. That runs `cmake --preset PRESET` every time: on a configured tree it
# costs about 0.15 s, and a changed preset, option or CMakeLists.txt is then never missed.
# Its output is shown on the first configure and on failure only.
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-2G}
# Relative paths in the cache key, so a fresh clone elsewhere (CI) reuses the cache;
# the sloppiness lets ccache cache compilations that use the precompiled header.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
# Debug builds (-g) hash the working directory unless told not to: a clone elsewhere would miss.
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}

# Presets put their binaryDir at build/ (release) or build-<name>/ (the others).
berth_build_dir() { if [[ $1 == release ]]; then echo build; else echo "build-$1"; fi; }

berth_configure() {
  local preset=$1 out
  if [[ ! -f $(berth_build_dir "$preset")/build.ninja ]]; then
    cmake --preset "$preset"
  elif ! out=$(cmake --preset "$preset" 2>&1); then
    echo "$out" >&2
    return 1
  fi
}
