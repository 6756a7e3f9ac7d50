// The parameterized test that each table of configuration files which must be refused
// instantiates (GoogleTest's abstract-test pattern). Include it once per test binary, then:
//
//   INSTANTIATE_TEST_SUITE_P(Webhooks, RefusedConfigTest,
//                            ::testing::Values(RefusedConfig{"[webhooks]\nbatch_size = 0\n", "webhooks.batch_size"}));
#pragma once

#include <gtest/gtest.h>

#include "config_test_support.h"

namespace waybill::test_support {

class RefusedConfigTest : public ::testing::TestWithParam<RefusedConfig> {};

TEST_P(RefusedConfigTest, NamesTheOptionAndTheProblemInOneLine) { expectRefused(GetParam()); }

}  // namespace waybill::test_support
