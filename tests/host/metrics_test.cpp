// GET /metrics on the admin listener, as an operator's Prometheus scrapes it: each family moves
// when what it counts happens, label values stay bounded (route templates, never raw paths),
// the admin token is required, and Debian's promtool accepts the text.
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/latch.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

namespace berth::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The value of one series (its name and labels exactly as exposed), or -1 when absent.
double value_of(const std::string& text, const std::string& series) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    return -1;
}

// The lines of a family's samples whose labels contain `fragment`.
std::vector<std::string> lines_with(const std::string& text, const std::string& family, const std::string& fragment) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(family + "{", 0) == 0 && line.find(fragment) != std::string::npos) out.push_back(line);
    return out;
}

class Metrics : public ::testing::Test {
protected:
    void SetUp() override {
        json top = {{"deploy", {{"allowed_dirs", {test_plugin("x").parent_path().string()}}}}};
        host_ = std::make_unique<test_host>(
            std::vector<plugin_spec>{
                {"items", test_plugin("contract_versions_base")},
                {"probe", test_plugin("contract_probe"),
                 {{"settings", latches_.setting()}, {"limits", {{"max_in_flight", 1}, {"max_queue", 0}}}}},
                // One database session and a short lease timeout: a second lease times out.
                {"ledger", test_plugin("ledger_v1"),
                 {{"settings", {{"pool_size", 1}, {"lease_timeout_ms", 20}, {"latch_dir", latches_.dir().string()}}},
                  {"limits", {{"max_in_flight", 4}}}}}},
            top);
    }
    std::string scrape() {
        auto r = host_->admin("GET", "/metrics");
        EXPECT_EQ(r.status, 200) << r.body;
        return r.body;
    }
    reply get(const std::string& module, const std::string& target, const header_list& headers = {}) {
        return http_request(host_->port(module), "GET", target, {}, headers);
    }
    std::string token(const std::string& scope) {
        auto r = host_->admin("POST", "/tokens", json{{"subject", "ann"}, {"scope", scope}}.dump());
        EXPECT_EQ(r.status, 201) << r.body;
        return r.json()["token"];
    }
    latches latches_;  // before the host: its directory is in the host's config
    std::unique_ptr<test_host> host_;
};

TEST_F(Metrics, NeedTheAdminToken) {
    auto r = http_request(host_->admin_port(), "GET", "/metrics");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.body.find("berth_"), std::string::npos);
}

TEST_F(Metrics, AreServedInThePrometheusTextFormat) {
    auto r = host_->admin("GET", "/metrics");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_NE(r.body.find("# TYPE berth_requests_total counter\n"), std::string::npos);
    EXPECT_NE(r.body.find("# TYPE berth_request_duration_seconds histogram\n"), std::string::npos);
}

TEST_F(Metrics, CountRequestsByModuleMajorRouteTemplateAndStatusClass) {
    ASSERT_EQ(get("items", "/v1/items/1").status, 200);
    ASSERT_EQ(get("items", "/v1/items/2").status, 200);
    ASSERT_EQ(get("items", "/v1/items/x").status, 404);  // the handler has no such item
    auto text = scrape();
    EXPECT_EQ(value_of(text, R"(berth_requests_total{module="items",major="1",route="/v1/items/{id}",status_class="2xx"})"), 2);
    EXPECT_EQ(value_of(text, R"(berth_requests_total{module="items",major="1",route="/v1/items/{id}",status_class="4xx"})"), 1);
}

TEST_F(Metrics, NameUnmatchedAndHostRoutesWithoutTheirPaths) {
    ASSERT_EQ(get("items", "/v1/nothing/here").status, 404);
    ASSERT_EQ(get("items", "/healthz").status, 200);
    auto text = scrape();
    EXPECT_EQ(value_of(text, R"(berth_requests_total{module="items",major="0",route="unmatched",status_class="4xx"})"), 1);
    EXPECT_EQ(value_of(text, R"(berth_requests_total{module="items",major="0",route="host",status_class="2xx"})"), 1);
    EXPECT_EQ(text.find("/v1/nothing"), std::string::npos);
}

TEST_F(Metrics, KeepOneRouteLabelForAThousandRawPaths) {
    http_connection c(host_->port("items"));
    for (int i = 0; i < 1000; ++i) {
        ASSERT_EQ(c.request("GET", "/v1/items/" + std::to_string(i + 1)).status, 200);
        ASSERT_EQ(c.request("GET", "/nope/" + std::to_string(i)).status, 404);
    }
    auto text = scrape();
    auto items = lines_with(text, "berth_requests_total", R"(module="items")");
    ASSERT_EQ(items.size(), 2u) << text;
    EXPECT_EQ(value_of(text, R"(berth_requests_total{module="items",major="1",route="/v1/items/{id}",status_class="2xx"})"), 1000);
    EXPECT_EQ(value_of(text, R"(berth_requests_total{module="items",major="0",route="unmatched",status_class="4xx"})"), 1000);
    EXPECT_EQ(lines_with(text, "berth_request_duration_seconds_count", R"(module="items")").size(), 2u);
}

TEST_F(Metrics, MeasureLatencyByModuleAndRouteTemplate) {
    ASSERT_EQ(get("probe", "/v1/items/7").status, 200);
    ASSERT_EQ(get("probe", "/v1/items/8").status, 200);
    auto text = scrape();
    const std::string labels = R"({module="probe",route="/v1/items/{id}")";
    EXPECT_EQ(value_of(text, "berth_request_duration_seconds_count" + labels + "}"), 2);
    EXPECT_EQ(value_of(text, "berth_request_duration_seconds_bucket" + labels + R"(,le="+Inf"})"), 2);
    EXPECT_GT(value_of(text, "berth_request_duration_seconds_sum" + labels + "}"), 0);
    // Buckets are cumulative: none holds more than the next wider one.
    auto buckets = lines_with(text, "berth_request_duration_seconds_bucket", labels.substr(1));
    ASSERT_GT(buckets.size(), 2u) << text;
    for (std::size_t i = 1; i < buckets.size(); ++i)
        EXPECT_LE(std::stod(buckets[i - 1].substr(buckets[i - 1].rfind(' '))),
                  std::stod(buckets[i].substr(buckets[i].rfind(' '))))
            << buckets[i - 1] << " then " << buckets[i];
}

TEST_F(Metrics, ShowARequestInFlightOnItsGeneration) {
    reply held;
    const auto target = latches_.hold("in-flight");
    std::thread holder([&] { held = get("probe", target); });
    const std::string series = R"(berth_in_flight_requests{module="probe",generation="1"})";
    EXPECT_TRUE(eventually([&] { return value_of(scrape(), series) == 1; }));
    latches_.release("in-flight");
    holder.join();
    EXPECT_EQ(held.status, 200) << held.body;
    // The slot is given back when the worker lets go of the request, just after its answer left.
    EXPECT_TRUE(eventually([&] { return value_of(scrape(), series) == 0; }));
}

TEST_F(Metrics, CountRefusalsAtCapacity) {
    reply held;
    const auto target = latches_.hold("capacity");
    std::thread holder([&] { held = get("probe", target); });
    ASSERT_TRUE(eventually([&] { return value_of(scrape(), R"(berth_in_flight_requests{module="probe",generation="1"})") == 1; }));
    EXPECT_EQ(get("probe", "/v1/items/1").status, 503);
    latches_.release("capacity");  // not by a request: the module has no room for one
    holder.join();
    EXPECT_EQ(held.status, 200) << held.body;
    auto text = scrape();
    EXPECT_EQ(value_of(text, R"(berth_capacity_refusals_total{module="probe"})"), 1);
    EXPECT_EQ(value_of(text, R"(berth_requests_total{module="probe",major="0",route="unmatched",status_class="5xx"})"), 1);
    // The slot is given back when the worker lets go of the request, just after its answer left.
    EXPECT_TRUE(eventually([&] { return value_of(scrape(), R"(berth_queued_requests{module="probe"})") == 0; }));
}

TEST_F(Metrics, CountASwapRefusedForABreakingChange) {
    auto r = host_->admin("POST", "/modules/items/reload",
                          json{{"library", test_plugin("contract_versions_removed").string()}}.dump());
    ASSERT_EQ(r.status, 422) << r.body;
    auto text = scrape();
    EXPECT_EQ(value_of(text, R"(berth_swaps_total{module="items",outcome="refused",reason="breaking_change"})"), 1) << text;
}

TEST_F(Metrics, CountAFailedSwapByItsStep) {
    auto r = host_->admin("POST", "/modules/items/reload", json{{"library", test_plugin("failing_start").string()}}.dump());
    ASSERT_EQ(r.status, 422) << r.body;
    const std::string step = r.json()["step"];
    EXPECT_EQ(value_of(scrape(), R"(berth_swaps_total{module="items",outcome="failed",reason=")" + step + R"("})"), 1);
}

TEST_F(Metrics, CountASwapDone) {
    auto r = host_->admin("POST", "/modules/items/reload",
                          json{{"library", test_plugin("contract_versions_additive_fields").string()}}.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(value_of(scrape(), R"(berth_swaps_total{module="items",outcome="swapped",reason="none"})"), 1);
}

TEST_F(Metrics, CountTokensIssuedAndRefusedByReason) {
    const auto reader = token("items:read");
    const auto other = token("other");
    EXPECT_EQ(get("items", "/v1/items/1/history").status, 401);
    EXPECT_EQ(get("items", "/v1/items/1/history", {{"Authorization", "Basic abc"}}).status, 401);
    EXPECT_EQ(get("items", "/v1/items/1/history", {{"Authorization", "Bearer " + reader + "x"}}).status, 401);
    EXPECT_EQ(get("items", "/v1/items/1/history", {{"Authorization", "Bearer " + other}}).status, 403);
    EXPECT_EQ(get("items", "/v1/items/1/history", {{"Authorization", "Bearer " + reader}}).status, 200);
    auto text = scrape();
    EXPECT_EQ(value_of(text, "berth_tokens_issued_total"), 2);
    EXPECT_EQ(value_of(text, R"(berth_tokens_refused_total{reason="missing"})"), 1);
    EXPECT_EQ(value_of(text, R"(berth_tokens_refused_total{reason="malformed"})"), 1);
    EXPECT_EQ(value_of(text, R"(berth_tokens_refused_total{reason="invalid"})"), 1);
    EXPECT_EQ(value_of(text, R"(berth_tokens_refused_total{reason="insufficient_scope"})"), 1);
    EXPECT_EQ(value_of(text, R"(berth_tokens_refused_total{reason="expired"})"), 0);
}

TEST_F(Metrics, ReportTheProcess) {
    auto text = scrape();
    EXPECT_GT(value_of(text, "berth_process_resident_memory_bytes"), 1 << 20);
    EXPECT_GT(value_of(text, "berth_process_open_fds"), 3);
    EXPECT_GT(value_of(text, "berth_process_threads"), 1);
}

TEST_F(Metrics, MeasureDatabaseLeaseWaitsByModule) {
    const std::string count = R"(berth_db_lease_wait_seconds_count{module="ledger"})";
    const double before = value_of(scrape(), count);  // start() leased once for its migrations
    ASSERT_GE(before, 1);
    ASSERT_EQ(http_request(host_->port("ledger"), "POST", "/v1/entries", R"({"text": "one"})",
                           {{"Content-Type", "application/json"}}).status, 201);
    ASSERT_EQ(get("ledger", "/v1/entries").status, 200);
    auto text = scrape();
    EXPECT_EQ(value_of(text, count), before + 2);
    EXPECT_EQ(value_of(text, R"(berth_db_lease_wait_seconds_bucket{module="ledger",le="+Inf"})"), before + 2);
    EXPECT_EQ(value_of(text, R"(berth_db_lease_timeouts_total{module="ledger"})"), 0);
    // Modules without a database report no leases: one label set, the ledger's.
    EXPECT_EQ(lines_with(text, "berth_db_lease_wait_seconds_count", "module=").size(), 1u) << text;
}

TEST_F(Metrics, CountADatabaseLeaseThatTimedOut) {
    const std::string count = R"(berth_db_lease_wait_seconds_count{module="ledger"})";
    const double before = value_of(scrape(), count);
    reply held;
    latches_.hold("lease");
    std::thread holder([&] { held = get("ledger", "/v1/hold/lease"); });
    // The holder's lease is reported once granted: from then on the only session is taken.
    ASSERT_TRUE(eventually([&] { return value_of(scrape(), count) == before + 1; }));
    auto busy = get("ledger", "/v1/entries");
    ASSERT_EQ(http_request(host_->port("ledger"), "POST", "/v1/latch/lease/release").status, 200);
    holder.join();
    EXPECT_EQ(held.status, 200) << held.body;
    EXPECT_EQ(busy.status, 503) << busy.body;
    auto text = scrape();
    EXPECT_EQ(value_of(text, R"(berth_db_lease_timeouts_total{module="ledger"})"), 1);
    EXPECT_EQ(value_of(text, count), before + 2);  // the wait that timed out is measured too
    EXPECT_GT(value_of(text, R"(berth_db_lease_wait_seconds_sum{module="ledger"})"), 0);
}

TEST_F(Metrics, PassPromtoolCheckMetricsAfterTraffic) {
    const fs::path promtool = BERTH_PROMTOOL;  // required at configure time (tests/CMakeLists.txt)
    ASSERT_EQ(get("items", "/v1/items/1").status, 200);
    ASSERT_EQ(get("items", "/v1/nope").status, 404);
    ASSERT_EQ(get("items", "/v1/items/1/history").status, 401);
    ASSERT_EQ(get("probe", "/healthz").status, 200);
    ASSERT_EQ(get("ledger", "/v1/entries").status, 200);
    ASSERT_EQ(host_->admin("POST", "/modules/items/reload",
                           json{{"library", test_plugin("contract_versions_removed").string()}}.dump())
                  .status,
              422);
    temp_dir dir;
    const auto file = dir.path() / "metrics.txt";
    std::ofstream(file) << scrape();
    const std::string command = promtool.string() + " check metrics < " + file.string() + " 2>&1";
    FILE* p = ::popen(command.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string said;
    char buf[512];
    while (auto n = std::fread(buf, 1, sizeof buf, p)) said.append(buf, n);
    const int status = ::pclose(p);
    EXPECT_EQ(status, 0) << said;
    EXPECT_EQ(said, "");
}

}  // namespace
}  // namespace berth::test
