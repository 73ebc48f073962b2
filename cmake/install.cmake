# `cmake --install build --prefix P`: the public headers, the layer libraries, the CLI and the CMake package
#   P/include/inr/*.h                     the public API (the whole include/inr folder: new headers need no edit)
#   P/lib/libinr_<layer>.a                one static library per layer (DESIGN.md), with their link order
#   P/lib/cmake/inr/inrConfig.cmake       find_package(inr CONFIG) -> inr::inr (every layer) and inr::inr_<layer>
#   P/bin/inr                             the command-line tool
# The public headers include nothing from src/ (only inr/*.h, the standard library and fmt), so src/ is not
# installed; tests/package checks that by building a consumer against the installed tree alone.
include(CMakePackageConfigHelpers)

set(INR_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/inr CACHE STRING "Where inrConfig.cmake is installed")

install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/inr DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
install(TARGETS ${INR_LAYERS} inr_lib EXPORT inrTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS inr RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT inrTargets NAMESPACE inr:: DESTINATION ${INR_INSTALL_CMAKEDIR})

configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/inrConfig.cmake.in ${CMAKE_BINARY_DIR}/inrConfig.cmake
                              INSTALL_DESTINATION ${INR_INSTALL_CMAKEDIR})
# 0.x: a minor version may change the API.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/inrConfigVersion.cmake VERSION ${PROJECT_VERSION}
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/inrConfig.cmake ${CMAKE_BINARY_DIR}/inrConfigVersion.cmake
        DESTINATION ${INR_INSTALL_CMAKEDIR})
