// The SDK's small HTTP helpers a handler uses (issue 12): the bearer token of a request,
// 201 with Location, ETag, and If-Match checked with strong comparison (RFC 9110 13.1.1).
#include <berth/plugin.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <string>
#include <vector>

namespace berth::test {
namespace {

// A request with the given headers and nothing else.
struct fake_request {
    std::vector<std::pair<std::string, std::string>> text;
    std::vector<berth_pair> pairs;
    berth_request raw{};
    fake_request(std::initializer_list<std::pair<std::string, std::string>> headers) : text(headers) {
        for (auto& [n, v] : text) pairs.push_back({{n.data(), n.size()}, {v.data(), v.size()}});
        raw.struct_size = sizeof(berth_request);
        raw.headers = pairs.data();
        raw.header_count = pairs.size();
    }
    fake_request(const fake_request&) = delete;  // raw points into this object
    berth::request get() const { return berth::request(raw); }
};

int if_match_status(const std::string& header, const std::string& current = "v7") {
    fake_request r({{"If-Match", header}});
    try {
        require_if_match(r.get(), current);
        return 0;
    } catch (const http_error& e) {
        return e.status();
    }
}

TEST(SdkHelpers, BearerTokenIsTheAuthorizationValueAfterTheSchemeInAnyCase) {
    EXPECT_EQ(fake_request({{"authorization", "bearer abc.def.ghi"}}).get().bearer_token(), "abc.def.ghi");
    EXPECT_EQ(fake_request({{"Authorization", "Bearer  tok "}}).get().bearer_token(), "tok");
    EXPECT_FALSE(fake_request({{"Authorization", "Basic dXNlcg=="}}).get().bearer_token());
    EXPECT_FALSE(fake_request({{"Authorization", "Bearer "}}).get().bearer_token());
    EXPECT_FALSE(fake_request({}).get().bearer_token());
}

TEST(SdkHelpers, CreatedIs201WithLocationAndJson) {
    auto r = response::created("/v1/things/4", {{"id", 4}});
    EXPECT_EQ(r.status, 201);
    EXPECT_EQ(r.body, R"({"id":4})");
    EXPECT_NE(std::find(r.headers.begin(), r.headers.end(), std::pair<std::string, std::string>{"Location", "/v1/things/4"}),
              r.headers.end());
}

TEST(SdkHelpers, EtagIsQuoted) {
    auto r = response::json(200, nullptr);
    r.etag("v7");
    EXPECT_EQ(r.headers.back(), (std::pair<std::string, std::string>{"ETag", "\"v7\""}));
}

TEST(SdkHelpers, IfMatchPassesForTheCurrentTagAStarOrNoHeader) {
    EXPECT_EQ(if_match_status("\"v7\""), 0);
    EXPECT_EQ(if_match_status("*"), 0);
    EXPECT_EQ(if_match_status("\"v6\", \"v7\""), 0);
    fake_request none({});
    EXPECT_NO_THROW(require_if_match(none.get(), "v7"));
}

TEST(SdkHelpers, IfMatchRefusesAnotherTagAWeakOneOrAnUnquotedOneWith412) {
    EXPECT_EQ(if_match_status("\"v6\""), 412);
    EXPECT_EQ(if_match_status("W/\"v7\""), 412) << "If-Match compares strongly";
    EXPECT_EQ(if_match_status("v7"), 412);
    EXPECT_EQ(if_match_status(""), 412);
}

}  // namespace
}  // namespace berth::test
