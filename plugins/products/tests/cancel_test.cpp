// products: an operator's cancel of a held reservation, against payment's calls (here a stand-in
// that forwards what it is sent, as the module "payment"): a cancel that lands while a checkout
// runs leaves that checkout nothing to commit; a cancel that changes nothing logs nothing.
#include "support/test_host.hpp"
#include "support/http_client.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

namespace berth::test {
namespace {

class Cancel {
public:
    Cancel()
        : host_({{"categories", shipped_plugin("categories")},
                 {"products", shipped_plugin("products")},
                 {"payment", test_plugin("products_payment_stand_in")}},
                {{"auth", {{"issuer", "berth-test"}, {"token_ttl_s", 600}}}}) {
        token_ = host_.admin("POST", "/tokens",
                             nlohmann::json{{"subject", "cancel-admin"}, {"scope", "catalog:write"}, {"ttl_s", 3600}}.dump())
                     .json()["token"];
    }
    reply post(std::uint16_t port, const std::string& target, const nlohmann::json& body) {
        return http_request(port, "POST", target, body.is_null() ? "" : body.dump(),
                            {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token_}});
    }
    long long product(const std::string& sku, long long stock) {
        auto cat = post(host_.port("categories"), "/v1/categories", {{"name", "Cancel " + sku}}).json()["id"];
        auto p = post(host_.port("products"), "/v1/products",
                      {{"sku", sku}, {"name", sku}, {"price_cents", 100}, {"currency", "EUR"}, {"category_id", cat}});
        if (p.status != 201) throw std::runtime_error("product failed: " + p.body);
        const long long id = p.json()["id"];
        post(host_.port("products"), "/v1/products/" + std::to_string(id) + "/restock", {{"quantity", stock}});
        return id;
    }
    long long stock(long long id) {
        return http_request(host_.port("products"), "GET", "/v1/products/" + std::to_string(id)).json()["stock"];
    }
    // What payment asks of products, as payment.
    reply as_payment(const std::string& target, const nlohmann::json& body = nullptr) {
        nlohmann::json call = {{"method", "POST"}, {"target", target}};
        if (!body.is_null()) call["body"] = body;
        return post(host_.port("payment"), "/v1/call", call);
    }
    std::string reserve(long long product, long long quantity) {
        auto r = as_payment("/v1/reservations", {{"items", {{{"product_id", product}, {"quantity", quantity}}}}});
        if (r.status != 201) throw std::runtime_error("reserve failed: " + r.body);
        return r.json()["reservation_id"];
    }
    reply cancel(const std::string& reservation) {
        return post(host_.port("products"), "/v1/reservations/" + reservation + "/cancel", nullptr);
    }

private:
    test_host host_;
    std::string token_;
};

TEST(ReservationCancel, ACancelWhileACheckoutRunsLeavesItNothingToCommit) {
    Cancel c;
    const long long id = c.product("CXL-1", 5);
    const std::string held = c.reserve(id, 2);  // the checkout has reserved, and not yet committed
    ASSERT_EQ(c.stock(id), 3);
    ASSERT_EQ(c.cancel(held).status, 200);
    auto commit = c.as_payment("/v1/reservations/" + held + "/commit");
    EXPECT_EQ(commit.status, 409) << commit.body;  // payment answers its checkout 409 Checkout expired, charging nothing
    EXPECT_EQ(commit.json()["title"], "Reservation settled");
    EXPECT_EQ(c.stock(id), 5);  // given back once, not sold
}

// The host's log (plugins' lines included) into a file for one test; the binary's logger after.
class log_to_file {
public:
    explicit log_to_file(const std::filesystem::path& file) {
        auto logger = spdlog::basic_logger_mt("cancel-test", file.string());
        logger->set_level(spdlog::level::info);
        logger->flush_on(spdlog::level::info);
        spdlog::set_default_logger(logger);
    }
    ~log_to_file() {
        spdlog::default_logger()->flush();
        spdlog::drop("cancel-test");
        spdlog::set_default_logger(saved_);
    }
    log_to_file(const log_to_file&) = delete;
    log_to_file& operator=(const log_to_file&) = delete;

private:
    std::shared_ptr<spdlog::logger> saved_ = spdlog::default_logger();
};

std::size_t lines_with(const std::filesystem::path& file, const std::string& text) {
    std::ifstream in(file);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) n += line.find(text) != std::string::npos;
    return n;
}

TEST(ReservationCancel, CancellingAReleasedReservationAgainLogsNothing) {
    temp_dir logs;
    const auto file = logs.path() / "berthd.log";
    std::string held;
    {
        log_to_file to(file);
        Cancel c;
        const long long id = c.product("CXL-2", 5);
        held = c.reserve(id, 1);
        ASSERT_EQ(c.cancel(held).status, 200);
        ASSERT_EQ(c.cancel(held).status, 200);
        ASSERT_EQ(c.as_payment("/v1/reservations/" + held + "/release").status, 200);  // payment releases it too
        ASSERT_EQ(c.cancel(held).status, 200);
    }
    EXPECT_EQ(lines_with(file, "reservation " + held + " released by hand"), 1u);
}

}  // namespace
}  // namespace berth::test
