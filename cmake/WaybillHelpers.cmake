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

# waybill_add_daemon(NAME LIBRARY LIB [EXCLUDE FILES...]): a daemon folder's usual shape. Every
# *.cpp but main.cpp (and EXCLUDE) is the static library LIB, so tests and benchmarks link the same
# code; the program NAME is main.cpp on it.
function(waybill_add_daemon name)
  cmake_parse_arguments(ARG "" "LIBRARY" "EXCLUDE" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  foreach(excluded IN ITEMS main.cpp LISTS ARG_EXCLUDE)
    list(REMOVE_ITEM sources ${CMAKE_CURRENT_SOURCE_DIR}/${excluded})
  endforeach()
  add_library(${ARG_LIBRARY} STATIC ${sources})
  target_include_directories(${ARG_LIBRARY} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${ARG_LIBRARY} PUBLIC waybill_core waybill_store waybill_runtime)
  waybill_target_defaults(${ARG_LIBRARY})
  waybill_add_executable(${name} SOURCES main.cpp LIBS ${ARG_LIBRARY} waybill_runtime)
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
