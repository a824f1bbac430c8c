// Contracts at the edge, as a client meets them: declared responses held to their schemas,
// bodies only where an operation takes one, JSON or MessagePack both ways, deprecated majors
// announced. And what a manifest must say for the host to load it.
#include "pipeline/route_contract.hpp"

#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

namespace berth::test {
namespace {

// The host log, kept for the test to read (installed before the host starts logging).
struct log_capture {
    std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(256);
    log_capture() { spdlog::default_logger()->sinks().push_back(sink); }
    ~log_capture() {
        auto& sinks = spdlog::default_logger()->sinks();
        sinks.erase(std::remove(sinks.begin(), sinks.end(), sink), sinks.end());
    }
    std::string text() const {
        std::string all;
        for (auto& line : sink->last_formatted()) all += line;
        return all;
    }
};

class Contracts : public ::testing::Test {
protected:
    log_capture log_;
    test_host host_{{{"items", test_plugin("declared")}, {"probe", test_plugin("contract_probe")}}};
    std::uint16_t items() { return host_.port("items"); }
    std::uint16_t probe() { return host_.port("probe"); }
};

std::string packed(const nlohmann::json& j) {
    auto bytes = nlohmann::json::to_msgpack(j);
    return std::string(bytes.begin(), bytes.end());
}

nlohmann::json unpacked(const std::string& body) {
    return nlohmann::json::from_msgpack(std::vector<std::uint8_t>(body.begin(), body.end()));
}

TEST_F(Contracts, AnAnswerThatMatchesItsDeclarationPassesUntouched) {
    auto r = http_request(items(), "GET", "/v1/items/1");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["name"], "lamp");
    EXPECT_EQ(http_request(items(), "GET", "/v1/items/missing").status, 404);  // declared too
}

TEST_F(Contracts, AnAnswerAgainstItsSchemaBecomesA500AndTheLogNamesRouteStatusAndPointer) {
    auto r = http_request(items(), "GET", "/v1/items/shapeless");
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
    EXPECT_EQ(r.body.find("seven"), std::string::npos) << "the broken answer must not leak: " << r.body;
    const auto log = log_.text();
    EXPECT_NE(log.find("GET /v1/items/{id} answered 200 against its declared responses"), std::string::npos) << log;
    EXPECT_NE(log.find("at '/id'"), std::string::npos) << log;
}

TEST_F(Contracts, AnUndeclaredStatusBecomesA500) {
    auto r = http_request(items(), "GET", "/v1/items/teapot");
    EXPECT_EQ(r.status, 500);
    EXPECT_NE(log_.text().find("status 418 is not declared (declared: 200, 404)"), std::string::npos) << log_.text();
}

TEST_F(Contracts, AHandlerThatFailsGetsTheHostsOwn500WithoutAContractComplaint) {
    auto r = http_request(items(), "GET", "/v1/items/boom");
    EXPECT_EQ(r.status, 500);
    EXPECT_NE(r.body.find("the module failed while handling the request"), std::string::npos) << r.body;
    EXPECT_EQ(log_.text().find("against its declared responses"), std::string::npos) << log_.text();
}

TEST_F(Contracts, AProblemTheHostMayAnswerOnTheRoutePassesUndeclared) {
    // The published document lists a 503 problem on every operation; a handler may give it too.
    auto r = http_request(items(), "GET", "/v1/items/busy");
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.json()["title"], "busy, try later");
}

TEST(ContractsOff, WithoutCheckResponsesAnAnswerAgainstItsSchemaPassesThrough) {
    test_host host({{"items", test_plugin("declared")}}, nlohmann::json{{"contracts", {{"check_responses", false}}}});
    auto r = http_request(host.port("items"), "GET", "/v1/items/shapeless");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.json()["id"], "seven");
}

TEST_F(Contracts, ARouteThatDeclaresNoBodyRefusesOne) {
    // The probe's POST /v1/tally counts the requests that reach it.
    for (auto [body, type] : {std::pair{"{\"amount_cents\":100}", "application/json"}, std::pair{"refund", "text/plain"}}) {
        SCOPED_TRACE(type);
        auto r = http_request(probe(), "POST", "/v1/tally", body, {{"Content-Type", type}});
        EXPECT_EQ(r.status, 400);
        EXPECT_NE(r.json()["detail"].get<std::string>().find("this operation takes no body"), std::string::npos) << r.body;
    }
    EXPECT_EQ(http_request(probe(), "GET", "/v1/tally").json()["tally"], 0);
    EXPECT_EQ(http_request(probe(), "POST", "/v1/tally").status, 200);
}

TEST_F(Contracts, ARawBodyRouteTakesOnlyItsMediaType) {
    EXPECT_EQ(http_request(probe(), "POST", "/v1/echo", "abc", {{"Content-Type", "application/octet-stream"}}).body, "abc");
    EXPECT_EQ(http_request(probe(), "POST", "/v1/echo", "abc", {{"Content-Type", "text/plain"}}).status, 415);
    // Untyped, it is taken as the route's own type (as an untyped body is taken as JSON).
    EXPECT_EQ(http_request(probe(), "POST", "/v1/echo", "abc").body, "abc");
}

TEST_F(Contracts, AnOptionalBodyMayBeLeftOutButOneSentIsChecked) {
    auto none = http_request(probe(), "POST", "/v1/notes");
    ASSERT_EQ(none.status, 200) << none.body;
    EXPECT_TRUE(none.json()["text"].is_null());
    EXPECT_EQ(http_request(probe(), "POST", "/v1/notes", R"({"text":"hi"})", {{"Content-Type", "application/json"}}).json()["text"],
              "hi");
    auto bad = http_request(probe(), "POST", "/v1/notes", R"({"txt":"hi"})", {{"Content-Type", "application/json"}});
    EXPECT_EQ(bad.status, 400) << bad.body;
    auto published = http_request(probe(), "GET", "/openapi.json").json()["paths"]["/v1/notes"]["post"]["requestBody"];
    EXPECT_EQ(published["required"], false) << published;
    EXPECT_EQ(published["content"]["application/json"]["schema"]["properties"]["text"]["type"], "string") << published;
}

TEST_F(Contracts, ARawJsonBodyIsStillBoundInDepth) {
    // POST /v1/parse takes application/json that the plugin parses itself.
    const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
    auto r = http_request(probe(), "POST", "/v1/parse", deep, {{"Content-Type", "application/json"}});
    ASSERT_EQ(r.status, 400);
    EXPECT_EQ(r.json()["errors"][0]["message"], "nested more than 64 levels deep");
    EXPECT_EQ(http_request(probe(), "POST", "/v1/parse", "[[1]]", {{"Content-Type", "application/json"}}).status, 200);
}

TEST_F(Contracts, AMessagePackBodyIsCheckedAndHandedToTheHandlerAsTheSameJson) {
    auto r = http_request(items(), "POST", "/v1/items", packed({{"name", "lamp"}}),
                          {{"Content-Type", "application/msgpack"}});
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()["name"], "lamp");
    EXPECT_EQ(r.json()["content_type"], "application/json");  // what the handler saw

    auto bad = http_request(items(), "POST", "/v1/items", packed({{"name", 5}}), {{"Content-Type", "application/msgpack"}});
    ASSERT_EQ(bad.status, 400);
    EXPECT_EQ(bad.json()["errors"][0]["pointer"], "/name");
}

TEST_F(Contracts, MalformedOrBinaryMessagePackIs400WithWhere) {
    auto truncated = http_request(items(), "POST", "/v1/items", std::string("\x81\xa4name\xa4la", 9),
                                  {{"Content-Type", "application/msgpack"}});
    EXPECT_EQ(truncated.status, 400) << truncated.body;
    // bin 8 of 2 bytes: no JSON form.
    auto binary = http_request(items(), "POST", "/v1/items", std::string("\x81\xa4name\xc4\x02\x01\x02", 10),
                               {{"Content-Type", "application/msgpack"}});
    ASSERT_EQ(binary.status, 400) << binary.body;
    EXPECT_EQ(binary.json()["errors"][0]["pointer"], "/name");
    // 100,000 nested arrays: refused at the limit, not by overflowing the reader's stack.
    auto deep = http_request(items(), "POST", "/v1/items", std::string(100'000, '\x91') + "\x01",
                             {{"Content-Type", "application/msgpack"}});
    EXPECT_EQ(deep.status, 400);
    EXPECT_EQ(http_request(items(), "GET", "/healthz").status, 200);
}

TEST_F(Contracts, MessagePackNaNOrInfinityIsRefusedNotHandedOnAsNull) {
    // {"name": NaN as float64}: JSON has no way to say it, so the handler would have read null.
    const std::string nan = std::string("\x81\xa4name\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00", 15);
    auto r = http_request(items(), "POST", "/v1/items", nan, {{"Content-Type", "application/msgpack"}});
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json()["errors"][0]["message"], "not a finite number");
    EXPECT_EQ(r.json()["errors"][0]["pointer"], "/name");
}

TEST_F(Contracts, AnswersFollowAccept) {
    auto mp = http_request(items(), "GET", "/v2/items/1", "", {{"Accept", "application/msgpack"}});
    ASSERT_EQ(mp.status, 200);
    EXPECT_EQ(mp.header("Content-Type"), "application/msgpack");
    EXPECT_EQ(unpacked(mp.body)["name"], "lamp");
    EXPECT_EQ(mp.header("Vary"), "Accept");

    auto preferred = http_request(items(), "GET", "/v2/items/1", "",
                                  {{"Accept", "application/json;q=0.5, application/msgpack"}});
    EXPECT_EQ(preferred.header("Content-Type"), "application/msgpack");
    auto json = http_request(items(), "GET", "/v2/items/1", "", {{"Accept", "application/msgpack;q=0.2, */*"}});
    EXPECT_EQ(json.header("Content-Type"), "application/json");
}

TEST_F(Contracts, AnUnacceptableAcceptIs406BeforeTheHandlerRuns) {
    auto r = http_request(probe(), "POST", "/v1/tally", "", {{"Accept", "text/html"}});
    EXPECT_EQ(r.status, 406);
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
    EXPECT_EQ(http_request(probe(), "GET", "/v1/tally").json()["tally"], 0);
    EXPECT_EQ(http_request(probe(), "GET", "/v1/tally", "", {{"Accept", "application/json;q=0"}}).status, 406);
}

TEST_F(Contracts, ProblemsStayJsonWhenMessagePackIsAccepted) {
    auto r = http_request(items(), "GET", "/v1/items/missing", "", {{"Accept", "application/msgpack"}});
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
}

TEST_F(Contracts, ADeprecatedMajorAnnouncesItsSunsetAndTheOtherDoesNot) {
    auto v1 = http_request(items(), "GET", "/v1/items/1");
    EXPECT_EQ(v1.header("Deprecation"), "@1767225600");  // 2026-01-01T00:00:00Z
    EXPECT_EQ(v1.header("Sunset"), "Wed, 30 Jun 2027 00:00:00 GMT");
    EXPECT_EQ(v1.header("Link"), "<https://docs.example.test/items-v2>; rel=\"deprecation\"");
    EXPECT_EQ(http_request(items(), "GET", "/v1/items/missing").header("Sunset"), "Wed, 30 Jun 2027 00:00:00 GMT");
    auto v2 = http_request(items(), "GET", "/v2/items/1");
    EXPECT_EQ(v2.header("Deprecation"), "");
    EXPECT_EQ(v2.header("Sunset"), "");
}

// What a manifest must say: compile_routes is what every load and swap runs.
std::string refusal(const nlohmann::json& manifest) {
    auto r = host::pipeline::compile_routes(manifest);
    return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : "";
}

nlohmann::json route(std::string path, nlohmann::json extra = nlohmann::json::object()) {
    nlohmann::json r = {{"method", "GET"}, {"path", std::move(path)}};
    r.merge_patch(extra);
    return r;
}

TEST(ManifestRules, EveryRouteLivesUnderAMajor) {
    for (std::string path : {"/items", "/v0/items", "/v01/items", "/version/items", "/v1", "/vx/items"}) {
        SCOPED_TRACE(path);
        EXPECT_NE(refusal({{"routes", {route(path)}}}).find("must start with /v{major}/"), std::string::npos);
    }
    EXPECT_EQ(refusal({{"routes", {route("/v12/items")}}}), "");
}

TEST(ManifestRules, ReferencesMustNameADeclaredComponent) {
    auto unknown = refusal({{"routes", {route("/v1/a", {{"schema", {{"$ref", "#/components/schemas/Nope"}}}})}}});
    EXPECT_NE(unknown.find("names no component: \"Nope\""), std::string::npos) << unknown;
    auto outside = refusal({{"routes", {route("/v1/a", {{"schema", {{"$ref", "http://elsewhere/x.json"}}}})}}});
    EXPECT_NE(outside.find("must start with #/components/schemas/"), std::string::npos) << outside;
    auto loop = refusal({{"components", {{"A", {{"$ref", "#/components/schemas/A"}}}}},
                         {"routes", {route("/v1/a", {{"schema", {{"$ref", "#/components/schemas/A"}}}})}}});
    EXPECT_NE(loop.find("refers to itself"), std::string::npos) << loop;
    auto problem = refusal({{"components", {{"Problem", {{"type", "object"}}}}}, {"routes", {route("/v1/a")}}});
    EXPECT_NE(problem.find("\"Problem\" is the host's"), std::string::npos) << problem;
}

TEST(ManifestRules, ComponentsThatDoubleAtEveryReferenceAreRefusedNotExpanded) {
    // C0 refers to C1 twice, C1 to C2 twice, ...: 2^25 values once inlined, from a few KB
    // (within the 32 levels of references allowed).
    nlohmann::json components = nlohmann::json::object();
    for (int i = 0; i < 25; ++i) {
        auto next = nlohmann::json{{"$ref", "#/components/schemas/C" + std::to_string(i + 1)}};
        components["C" + std::to_string(i)] = {{"type", "object"}, {"properties", {{"a", next}, {"b", next}}}};
    }
    components["C25"] = {{"type", "string"}};
    auto why = refusal({{"components", components},
                        {"routes", {route("/v1/a", {{"schema", {{"$ref", "#/components/schemas/C0"}}}})}}});
    EXPECT_NE(why.find("grows past 100,000 values"), std::string::npos) << why;
}

TEST(ManifestRules, ARawMessagePackBodyIsRefusedSinceTheHostReadsIt) {
    auto why = refusal({{"routes", {route("/v1/a", {{"method", "POST"}, {"takes", "application/msgpack"}})}}});
    EXPECT_NE(why.find("declare a schema for a MessagePack body"), std::string::npos) << why;
}

TEST(ManifestRules, DeclaredResponsesAndDeprecationsAreChecked) {
    EXPECT_NE(refusal({{"routes", {route("/v1/a", {{"responses", {{"2000", {{"description", "x"}}}}}})}}}).find(
                  "is not an HTTP status"),
              std::string::npos);
    EXPECT_NE(refusal({{"routes", {route("/v1/a", {{"responses", {{"200", nlohmann::json::object()}}}})}}}).find(
                  "needs a description"),
              std::string::npos);
    EXPECT_NE(refusal({{"routes", {route("/v1/a")}}, {"majors", {{"2", {{"deprecated", true}}}}}}).find(
                  "no route is under /v2/"),
              std::string::npos);
    EXPECT_NE(refusal({{"routes", {route("/v1/a")}},
                       {"majors", {{"1", {{"deprecated", true}, {"since", "soon"}, {"sunset", "2027-01-01"}}}}}})
                  .find("majors/1/since must be a date"),
              std::string::npos);
}

}  // namespace
}  // namespace berth::test
