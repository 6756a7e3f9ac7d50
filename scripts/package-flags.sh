# Sourced (bash), from the top of the work tree: the compiler flags and CMake options of the
# Debian package's build (packaging/debian/rules: dpkg-buildflags with hardening=+all, debhelper's
# /usr prefix, CPPFLAGS folded into CFLAGS/CXXFLAGS as debhelper does for CMake), and ccache set to
# rewrite paths relative to this tree. A build configured with these compiles each file exactly
# as scripts/build-deb.sh's build of the same commit does, so that build takes every object from
# the cache (DEB_BUILD_OPTIONS=werror makes the package build pass -DWAYBILL_WERROR=ON too).
#
#   source scripts/package-flags.sh
#   cmake -S . -B build -G Ninja "${WAYBILL_PACKAGE_CMAKE_OPTIONS[@]}" && cmake --build build
eval "$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --export=sh)"
export CFLAGS="$CFLAGS $CPPFLAGS" CXXFLAGS="$CXXFLAGS $CPPFLAGS"
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1 DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:+$DEB_BUILD_OPTIONS }werror"
WAYBILL_PACKAGE_CMAKE_OPTIONS=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr -DWAYBILL_WERROR=ON
                               -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
