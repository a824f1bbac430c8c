// MessagePack round trips with the real host and the shop, driven by an independent client
// (tests/contracts/msgpack_client.py: Debian's python3-msgpack over http.client).
#include "contracts/python_tool.hpp"
#include "support/shop.hpp"

#include <gtest/gtest.h>

#include <iostream>
#include <regex>

namespace berth::test {
namespace {

TEST(ShopMessagePack, AnIndependentClientRoundTripsShopCallsAndIsRefusedOtherMediaTypes) {
    shop s;
    auto run = run_python_tool("msgpack_client.py", {"--users", std::to_string(s.users()),                //
                                                     "--categories", std::to_string(s.categories()),      //
                                                     "--products", std::to_string(s.products()),          //
                                                     "--payment", std::to_string(s.payment()),            //
                                                     "--operator-token", s.admin_token()});
    std::cout << run.output;
    EXPECT_EQ(run.exit_code, 0) << run.output;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(run.output, m, std::regex("(\\d+) checks, (\\d+) failed"))) << run.output;
    EXPECT_EQ(std::stoi(m[1]), 32);  // every check ran (the client stops early only when calls cannot be made)
    EXPECT_EQ(std::stoi(m[2]), 0);
}

}  // namespace
}  // namespace berth::test
