# Sourced (bash), from the top of the work tree: the compiler flags and CMake options of the
# Debian package's build (packaging/debian/rules: dpkg-buildflags with hardening=+all, debhelper's
# /usr prefix, CPPFLAGS folded into the compiler flags as debhelper does for CMake), and ccache set
# to rewrite paths relative to this tree. A build configured with these compiles each file exactly
# as scripts/build-deb.sh's build of the same commit does, so that build takes every object from
# the cache (DEB_BUILD_OPTIONS=werror makes the package build pass -DWAYBILL_WERROR=ON too). The
# flags go to CMake as options, not as exported CFLAGS/CXXFLAGS, which dpkg-buildflags would take
# into the package build.
#
# Build with LC_ALL=C.UTF-8, as debhelper does: ccache hashes the locale.
#
#   source scripts/package-flags.sh
#   cmake -S . -B build -G Ninja "${WAYBILL_PACKAGE_CMAKE_OPTIONS[@]}" && LC_ALL=C.UTF-8 cmake --build build
waybill_package_flag() { DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get "$1"; }
WAYBILL_PACKAGE_CMAKE_OPTIONS=(
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr -DWAYBILL_WERROR=ON
  -DCMAKE_C_FLAGS="$(waybill_package_flag CFLAGS) $(waybill_package_flag CPPFLAGS)"
  -DCMAKE_CXX_FLAGS="$(waybill_package_flag CXXFLAGS) $(waybill_package_flag CPPFLAGS)"
  -DCMAKE_EXE_LINKER_FLAGS="$(waybill_package_flag LDFLAGS)"
  -DCMAKE_SHARED_LINKER_FLAGS="$(waybill_package_flag LDFLAGS)"
  -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
unset -f waybill_package_flag
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1 DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:+$DEB_BUILD_OPTIONS }werror"
