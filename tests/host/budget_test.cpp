// Each module gets its own budget: handler threads and a queue of its own. A module that is
// full answers 503 at once, its health check still answers, the other modules never notice,
// and a request answered at its deadline while it waited never runs afterwards.
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace berth::test {
namespace {

class Budget : public ::testing::Test {
protected:
    void SetUp() override {
        host_ = std::make_unique<test_host>(std::vector<plugin_spec>{
            {"busy", test_plugin("contract_probe"),
             {{"limits", {{"max_in_flight", 1}, {"max_queue", 1}, {"handler_timeout_ms", 400}}}}},
            {"quiet", test_plugin("contract_probe")}});
    }
    nlohmann::json status(const std::string& m) { return host_->admin("GET", "/modules/" + m).json(); }
    // Holds the busy module's only handler thread for `ms`.
    std::thread occupy(int ms) {
        std::thread t([this, ms] {
            http_request(host_->port("busy"), "GET", "/v1/slow?ms=" + std::to_string(ms), {}, {});
        });
        EXPECT_TRUE(eventually([&] { return status("busy")["in_flight"] == 1; }));
        return t;
    }
    std::unique_ptr<test_host> host_;
};

TEST_F(Budget, AFullModuleAnswers503WithRetryAfterAndTheOthersServe) {
    auto busy = occupy(3000);
    // One more fits in the queue; the one after that is refused at once.
    std::thread queued([this] { http_request(host_->port("busy"), "GET", "/v1/items/1"); });
    ASSERT_TRUE(eventually([&] { return status("busy")["queued_or_running"] == 2; }));
    auto refused = http_request(host_->port("busy"), "GET", "/v1/items/2");
    EXPECT_EQ(refused.status, 503);
    EXPECT_EQ(refused.header("Retry-After"), "1");
    EXPECT_EQ(refused.header("Content-Type"), "application/problem+json");
    EXPECT_EQ(http_request(host_->port("busy"), "GET", "/healthz").status, 200);  // not behind the handlers
    EXPECT_EQ(http_request(host_->port("quiet"), "GET", "/v1/items/3").status, 200);
    EXPECT_EQ(status("busy")["counters"]["refused_at_capacity"], 1);
    busy.join();
    queued.join();
}

TEST_F(Budget, ARequestAnsweredAtItsDeadlineWhileQueuedNeverRuns) {
    auto busy = occupy(3000);  // far past the queued request's 400 ms deadline
    auto late = http_request(host_->port("busy"), "POST", "/v1/tally");
    EXPECT_EQ(late.status, 503) << late.body;
    EXPECT_NE(late.json()["detail"].get<std::string>().find("not executed"), std::string::npos) << late.body;
    busy.join();
    ASSERT_TRUE(eventually([&] { return status("busy")["queued_or_running"] == 0; }));
    EXPECT_EQ(http_request(host_->port("busy"), "GET", "/v1/tally").json()["tally"], 0);
}

// A client that waits for each answer before it sends the next request never fills a module
// with room for one: the slot is free by the time the answer reaches it.
TEST(BudgetOfOne, ServesAClientThatWaitsForEachAnswer) {
    test_host host(std::vector<plugin_spec>{
        {"one", test_plugin("contract_probe"), {{"limits", {{"max_in_flight", 1}, {"max_queue", 0}}}}}});
    http_connection c(host.port("one"));
    for (int i = 0; i < 2000; ++i) {
        auto r = c.request("GET", "/v1/items/" + std::to_string(i + 1));
        ASSERT_EQ(r.status, 200) << "request " << i << ": " << r.body;
    }
}

}  // namespace
}  // namespace berth::test
