// berth-worker's protocol: load, the lifecycle, requests, and the host services a plugin asks
// for, over its raw channel (isolate/protocol.hpp).
#include "host/worker_child.hpp"

#include <gtest/gtest.h>

namespace {

using namespace berth::test::worker;

TEST(WorkerProtocol, LoadReportsThePluginsNameVersionAndFingerprint) {
    worker_child w(probe_image());
    auto r = w.load();
    ASSERT_TRUE(r.value("ok", false)) << r.dump();
    EXPECT_EQ(r.value("name", ""), "contract_probe");
    EXPECT_EQ(r.value("version", ""), "2.3.4");
    EXPECT_NE(r.value("fingerprint", "").find("arch="), std::string::npos);
}

TEST(WorkerProtocol, ServesAGetThroughTheWholeLifecycle) {
    worker_child w(probe_image());
    auto manifest = bring_up(w);
    EXPECT_GT(manifest.at("routes").size(), 5u);
    auto r = get(w, manifest, "/v1/items/{id}", "/v1/items/42", json::array({json::array({"id", "42"})}));
    ASSERT_TRUE(r.value("ok", false)) << r.dump();
    EXPECT_EQ(r.value("status", 0), 200);
    EXPECT_EQ(json::parse(body_text(r)), (json{{"route", "item"}, {"id", "42"}}));
}

TEST(WorkerProtocol, ABinaryBodyAndHeadersCrossBothWaysUnchanged) {
    worker_child w(probe_image());
    auto manifest = bring_up(w);
    const std::vector<std::uint8_t> bytes{0x00, 0xff, 0x80, '\r', '\n', 'b', 'e', 'r', 't', 'h', 0x00};
    auto r = w.ask({{"t", msg::handle},
                    {"route", route_index(manifest, "POST", "/v1/echo")},
                    {"method", "POST"},
                    {"target", "/v1/echo"},
                    {"path", "/v1/echo"},
                    {"headers", json::array({json::array({"x-probe", "seen"}),
                                             json::array({"content-type", "application/octet-stream"})})},
                    {"body", json::binary(bytes)},
                    {"request_id", "req-echo"}});
    ASSERT_TRUE(r.value("ok", false)) << r.dump();
    EXPECT_EQ(r.value("status", 0), 200);
    EXPECT_EQ(static_cast<const std::vector<std::uint8_t>&>(r.at("body").get_binary()), bytes);
    const auto& headers = r.at("headers");
    EXPECT_NE(std::find(headers.begin(), headers.end(), json::array({"X-Echo-Request-Id", "req-echo"})), headers.end())
        << headers.dump();
    EXPECT_NE(std::find(headers.begin(), headers.end(), json::array({"X-Probe-Seen", "seen"})), headers.end())
        << headers.dump();
}

TEST(WorkerProtocol, AHandlerFailureIsAnErrorReplyAndTheWorkerServesOn) {
    worker_child w(probe_image());
    auto manifest = bring_up(w);
    auto boom = get(w, manifest, "/v1/boom", "/v1/boom");
    EXPECT_FALSE(boom.value("ok", true)) << boom.dump();
    EXPECT_FALSE(boom.value("error", "").empty());
    auto ok = get(w, manifest, "/v1/items/{id}", "/v1/items/7", json::array({json::array({"id", "7"})}));
    EXPECT_EQ(ok.value("status", 0), 200) << ok.dump();
}

TEST(WorkerProtocol, APluginsCallGoesToTheHostForTheRequestItServes) {
    worker_child w(probe_image());
    auto manifest = bring_up(w);
    const std::int64_t handle_id = 77;
    w.send({{"t", msg::handle},
            {"id", handle_id},
            {"route", route_index(manifest, "GET", "/v1/relay")},
            {"method", "GET"},
            {"target", "/v1/relay"},
            {"path", "/v1/relay"},
            {"body", json::binary({})},
            {"request_id", "req-relay"}});
    auto call = w.next();
    ASSERT_EQ(call.value("t", ""), msg::call) << call.dump();
    EXPECT_EQ(call.value("for", std::int64_t{0}), handle_id);
    EXPECT_EQ(call.value("module", ""), "probe");
    EXPECT_EQ(call.value("target", ""), "/v1/whoami");
    EXPECT_EQ(call.value("request_id", ""), "req-relay");
    const std::string answer = R"({"caller":"probe","request_id":"req-relay"})";
    w.send({{"t", msg::reply},
            {"id", call.at("id")},
            {"ok", true},
            {"status", 200},
            {"headers", json::array({json::array({"content-type", "application/json"})})},
            {"body", json::binary(std::vector<std::uint8_t>(answer.begin(), answer.end()))}});
    auto r = w.next();
    ASSERT_EQ(r.value("id", std::int64_t{0}), handle_id) << r.dump();
    ASSERT_TRUE(r.value("ok", false)) << r.dump();
    EXPECT_EQ(json::parse(body_text(r)), (json{{"status", 200}, {"answer", json::parse(answer)}}));
}

// A handle request for a POST route with a JSON body.
json post(const json& manifest, std::int64_t id, const std::string& path, const json& body) {
    const std::string text = body.dump();
    return {{"t", msg::handle},
            {"id", id},
            {"route", route_index(manifest, "POST", path)},
            {"method", "POST"},
            {"target", path},
            {"path", path},
            {"headers", json::array({json::array({"content-type", "application/json"})})},
            {"body", json::binary(std::vector<std::uint8_t>(text.begin(), text.end()))},
            {"request_id", "req-" + std::to_string(id)}};
}

TEST(WorkerProtocol, APluginsTokenIsIssuedByTheHostForTheRequestItServes) {
    berth::test::temp_dir data;
    worker_child w(file_bytes(berth::test::shipped_plugin("users")));
    ASSERT_TRUE(w.ask({{"t", msg::load}, {"module", "users"}, {"data_dir", data.path().string()}, {"threads", 2}})
                    .value("ok", false));
    const std::string database = "sqlite3://db=" + (data.path() / "users.db").string();
    ASSERT_TRUE(w.ask({{"t", msg::create}, {"settings", "{}"}, {"database", database}}).value("ok", false));
    auto d = w.ask({{"t", msg::describe}});
    auto started = w.ask({{"t", msg::start}});
    ASSERT_TRUE(started.value("ok", false)) << started.dump();
    auto manifest = json::parse(d.at("manifest").get<std::string>());
    const json account = {{"email", "ada@example.org"}, {"password", "correct horse"}};
    w.send(post(manifest, 10, "/v1/users", {{"email", "ada@example.org"}, {"password", "correct horse"}, {"name", "Ada"}}));
    json registered;
    while ((registered = w.next()).value("id", 0) != 10 || registered.value("t", "") != msg::reply) {}
    ASSERT_EQ(registered.value("status", 0), 201) << registered.dump();

    w.send(post(manifest, 11, "/v1/sessions", account));
    json token_request;  // lease and log notices may come first
    while ((token_request = w.next()).value("t", "") != msg::token) {
        ASSERT_NE(token_request.value("t", ""), msg::reply) << token_request.dump();
    }
    EXPECT_EQ(token_request.value("for", 0), 11);
    EXPECT_EQ(token_request.value("scope", ""), "user");
    w.send({{"t", msg::reply}, {"id", token_request.at("id")}, {"ok", true}, {"token", "host-made-token"},
            {"expires_at", 4102444800}});
    json session;
    while ((session = w.next()).value("t", "") != msg::reply) {}
    ASSERT_EQ(session.value("id", 0), 11) << session.dump();
    ASSERT_EQ(session.value("status", 0), 200) << session.dump();
    auto answer = json::parse(body_text(session));
    EXPECT_EQ(answer.value("token", ""), "host-made-token");
    EXPECT_EQ(answer.value("expires_at", ""), "2100-01-01T00:00:00Z");
}

TEST(WorkerProtocol, AFieldOfTheWrongTypeIsAnErrorReplyNotACrash) {
    worker_child w(probe_image());
    auto manifest = bring_up(w);
    auto r = w.ask({{"t", msg::handle}, {"route", "zero"}, {"method", "GET"}});
    EXPECT_FALSE(r.value("ok", true)) << r.dump();
    EXPECT_NE(r.value("error", "").find("route"), std::string::npos) << r.dump();
    EXPECT_TRUE(w.ask({{"t", msg::ping}}).value("ok", false));
}

TEST(WorkerProtocol, BytesThatAreNotALibraryFailAtDlopen) {
    worker_child w(file_bytes(std::filesystem::path(BERTH_SOURCE_DIR) / "README.md"));
    auto r = w.load();
    EXPECT_FALSE(r.value("ok", true));
    EXPECT_EQ(r.value("step", ""), "dlopen") << r.dump();
}

TEST(WorkerProtocol, ALibraryWithoutADescriptorFailsAtDescriptor) {
    worker_child w(file_bytes(BERTH_FOREIGN_SO));
    auto r = w.load();
    EXPECT_FALSE(r.value("ok", true));
    EXPECT_EQ(r.value("step", ""), "descriptor") << r.dump();
    EXPECT_NE(r.value("error", "").find("berth_plugin"), std::string::npos) << r.dump();
}

}  // namespace
