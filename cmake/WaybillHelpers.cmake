# Small helpers shared by every part of the tree: one place for warnings and sanitizer flags.

set(WAYBILL_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wimplicit-fallthrough)
if(WAYBILL_WERROR)
  list(APPEND WAYBILL_WARNINGS -Werror)
endif()

if(WAYBILL_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# waybill_target_defaults(TARGET): warnings for our own code only (not for third-party headers).
function(waybill_target_defaults target)
  target_compile_options(${target} PRIVATE ${WAYBILL_WARNINGS})
endfunction()

# waybill_add_executable(NAME SOURCES... LIBS ...)
function(waybill_add_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS})
  waybill_target_defaults(${name})
  install(TARGETS ${name} RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
endfunction()

# waybill_add_test(NAME SOURCES... [LIBS ...]): one GoogleTest binary registered with CTest.
function(waybill_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE waybill_core GTest::gtest_main ${ARG_LIBS})
  waybill_target_defaults(${name})
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 30
    PROPERTIES LABELS unit ENVIRONMENT "WAYBILL_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endfunction()
