// Config: validated whole before anything starts; each error names where and why.
#include <berth/host/config.hpp>
#include <berth/version.h>

#include "config/config_keys.hpp"
#include "contract/json_schema.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <fstream>

namespace berth::host {
namespace {

const char* good = R"({
  "admin": {"address": "127.0.0.1", "port": 9000},
  "data_dir": "var",
  "limits": {"body_limit_bytes": 2048},
  "modules": {
    "greeter": {"library": "plugins/greeter.so", "port": 9001, "settings": {"salutation": "Hi"}},
    "other": {"library": "/abs/other.so", "port": 0, "limits": {"header_limit_bytes": 4096}}
  }
})";

TEST(Config, ResolvesPathsAndMergesLimits) {
    auto r = parse_config(good, "/etc/berth");
    ASSERT_TRUE(r.value) << (r.errors.empty() ? "" : r.errors[0].pointer + " " + r.errors[0].message);
    auto& c = *r.value;
    EXPECT_EQ(c.admin_port, 9000);
    EXPECT_EQ(c.data_dir, "/etc/berth/var");
    ASSERT_EQ(c.modules.size(), 2u);
    EXPECT_EQ(c.modules[0].library, "/etc/berth/plugins/greeter.so");
    EXPECT_EQ(c.modules[0].limits.body_limit_bytes, 2048u);
    EXPECT_EQ(c.modules[0].limits.header_limit_bytes, 8192u);
    EXPECT_EQ(c.modules[1].limits.header_limit_bytes, 4096u);
    EXPECT_EQ(c.modules[1].limits.body_limit_bytes, 2048u);
    EXPECT_EQ(c.modules[0].database, "sqlite3://db=/etc/berth/var/greeter.db");
    EXPECT_EQ(nlohmann::json::parse(c.modules[0].settings_json)["salutation"], "Hi");
}

TEST(Config, ReadsTheHardeningSettings) {
    auto doc = nlohmann::json::parse(good);
    doc.merge_patch({{"admin", {{"token_file", "secrets/admin.token"}, {"allowed_hosts", {"ops.internal"}}}},
                     {"deploy", {{"allowed_dirs", {"releases", "/srv/berth"}}, {"max_library_bytes", 1048576}}},
                     {"limits", {{"max_connections_per_peer", 16}, {"max_in_flight", 2}, {"max_queue", 8}}},
                     {"modules", {{"greeter", {{"plugin", "greeter"}, {"limits", {{"max_queue", 0}}}}}}}});
    auto r = parse_config(doc.dump(), "/etc/berth");
    ASSERT_TRUE(r.value) << (r.errors.empty() ? "" : r.errors[0].pointer + " " + r.errors[0].message);
    auto& c = *r.value;
    EXPECT_EQ(c.admin_token_file, "/etc/berth/secrets/admin.token");
    EXPECT_EQ(c.admin_allowed_hosts, std::vector<std::string>{"ops.internal"});
    EXPECT_EQ(c.deploy.allowed_dirs, (std::vector<std::filesystem::path>{"/etc/berth/releases", "/srv/berth"}));
    EXPECT_EQ(c.deploy.max_library_bytes, 1048576u);
    EXPECT_EQ(c.modules[0].plugin, "greeter");
    EXPECT_EQ(c.modules[0].limits.max_connections_per_peer, 16u);
    EXPECT_EQ(c.modules[0].limits.max_in_flight, 2u);
    EXPECT_EQ(c.modules[0].limits.max_queue, 0u);
    EXPECT_EQ(c.modules[1].limits.max_queue, 8u);
}

TEST(Config, LeavesTheHardeningDefaultsToTheRuntime) {
    auto r = parse_config(good, "/etc/berth");
    ASSERT_TRUE(r.value);
    // Empty means: the runtime works it out at start (the data dir's admin.token, the libraries'
    // directories, threads.workers), so a config built in code gets the same defaults.
    EXPECT_TRUE(r.value->admin_token_file.empty());
    EXPECT_TRUE(r.value->deploy.allowed_dirs.empty());
    EXPECT_EQ(r.value->modules[0].limits.max_in_flight, 0u);
    EXPECT_EQ(r.value->modules[0].limits.max_queue, 64u);
    EXPECT_EQ(r.value->modules[0].limits.max_connections_per_peer, 256u);
    EXPECT_EQ(r.value->deploy.max_library_bytes, 256ull << 20);
}

TEST(Config, ANumberOutOfRangeIsAnErrorNotAThrow) {
    auto r = parse_config(R"({"modules": {}, "shutdown_grace_ms": 1e400})", "/etc/berth");
    EXPECT_FALSE(r.value);
    ASSERT_FALSE(r.errors.empty());
}

TEST(Config, TheKeysOldNamePluginsIsStillReadAndItsErrorsPointIntoTheFileAsWritten) {
    auto ok = parse_config(R"({"plugins": {"greeter": {"library": "g.so", "port": 9001}}})", "/etc/berth");
    ASSERT_TRUE(ok.value);
    ASSERT_EQ(ok.value->modules.size(), 1u);
    EXPECT_EQ(ok.value->modules[0].name, "greeter");

    auto bad = parse_config(R"({"plugins": {"greeter": {"library": "g.so", "port": "eighty"}}})", "/etc/berth");
    ASSERT_EQ(bad.errors.size(), 1u);
    EXPECT_EQ(bad.errors[0].pointer, "/plugins/greeter/port");
}

TEST(Config, ModulesUnderBothNamesAreRefused) {
    auto r = parse_config(R"({"plugins": {}, "modules": {}})", "/etc/berth");
    EXPECT_FALSE(r.value);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].pointer, "/plugins");
}

struct bad_config {
    std::string name;
    nlohmann::json patch;  // merged into the good config
    std::string pointer;
    std::string says;
};

TEST(Config, EachErrorNamesThePointerAndTheReason) {
    const std::vector<bad_config> cases = {
        {"unknown top-level key", {{"admn", 1}}, "/admn", "unknown property 'admn'"},
        {"unknown plugin key", {{"modules", {{"greeter", {{"librray", "x"}}}}}}, "/modules/greeter/librray", "unknown"},
        {"wrong type", {{"admin", {{"port", "9000"}}}}, "/admin/port", "type"},
        {"port out of range", {{"modules", {{"other", {{"port", 70000}}}}}}, "/modules/other/port", "at most 65535"},
        {"missing library", {{"modules", {{"greeter", {{"library", nullptr}}}}}}, "/modules/greeter", "library"},
        {"bad module name", {{"modules", {{"Bad Name", {{"library", "x.so"}, {"port", 1}}}}}}, "/modules/Bad Name",
         "must match"},
        {"port clash with admin", {{"modules", {{"other", {{"port", 9000}}}}}}, "/modules/other/port", "/admin/port"},
        {"port clash between plugins", {{"modules", {{"other", {{"port", 9001}}}}}}, "/modules/other/port",
         "/modules/greeter/port"},
        {"limits minimum", {{"limits", {{"max_connections", 0}}}}, "/limits/max_connections", "at least 1"},
    };
    for (auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto doc = nlohmann::json::parse(good);
        doc.merge_patch(c.patch);
        auto r = parse_config(doc.dump(), "/etc/berth");
        EXPECT_FALSE(r.value);
        ASSERT_FALSE(r.errors.empty());
        bool found = false;
        for (auto& e : r.errors) found |= e.pointer == c.pointer && e.message.find(c.says) != std::string::npos;
        EXPECT_TRUE(found) << "got: " << r.errors[0].pointer << ": " << r.errors[0].message;
    }
}

TEST(Config, NotJsonIsOneErrorAtTheRoot) {
    auto r = parse_config("{\"plugins\": ", ".");
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].pointer, "");
    EXPECT_NE(r.errors[0].message.find("not valid JSON"), std::string::npos);
}

TEST(Config, DifferentAddressesMayShareAPort) {
    auto doc = nlohmann::json::parse(good);
    doc["modules"]["other"]["port"] = 9001;
    doc["modules"]["other"]["address"] = "127.0.0.2";
    EXPECT_TRUE(parse_config(doc.dump(), ".").value);
    doc["modules"]["other"]["address"] = "0.0.0.0";
    EXPECT_FALSE(parse_config(doc.dump(), ".").value);
}

TEST(Config, TheShippedConfigIsValid) {
    auto r = load_config(std::filesystem::path(BERTH_SOURCE_DIR) / "config" / "berth.json");
    EXPECT_TRUE(r.value) << (r.errors.empty() ? "" : r.errors[0].pointer + ": " + r.errors[0].message);
}

nlohmann::json schema_file() {
    std::ifstream in(std::filesystem::path(BERTH_SOURCE_DIR) / "config" / "berth.schema.json");
    return nlohmann::json::parse(in);
}

// Every `default` in the schema, placed where it applies in a config document; a module's
// keys (the schema's additionalProperties) under "/modules/*", as documented_defaults() has them.
void collect_defaults(const nlohmann::json& schema, const nlohmann::json& node, const nlohmann::json::json_pointer& at,
                      nlohmann::json& out) {
    if (node.contains("default")) out[at] = node["default"];
    if (auto ref = node.find("$ref"); ref != node.end()) {
        const auto target = ref->get<std::string>();
        ASSERT_EQ(target.rfind("#/", 0), 0u) << target;
        return collect_defaults(schema, schema.at(nlohmann::json::json_pointer(target.substr(1))), at, out);
    }
    if (auto props = node.find("properties"); props != node.end())
        for (auto& [name, sub] : props->items()) collect_defaults(schema, sub, at / name, out);
    if (auto any = node.find("additionalProperties"); any != node.end() && any->is_object())
        collect_defaults(schema, *any, at / "*", out);
}

TEST(Config, TheSchemaStatesEachDefaultTheHostUses) {
    const auto schema = schema_file();
    nlohmann::json stated = nlohmann::json::object();
    collect_defaults(schema, schema, nlohmann::json::json_pointer(), stated);
    const auto used = documented_defaults();
    ASSERT_GE(used.flatten().size(), 20u);  // the table is not empty: the comparison means something
    EXPECT_EQ(stated, used) << "schema -> C++ (a JSON Patch): " << nlohmann::json::diff(stated, used).dump();
}

TEST(Config, SpellingOutEveryDocumentedDefaultChangesNothing) {
    // The schema file's defaults, written into a config: the host must accept every one of them
    // (its embedded schema knows each key) and read them as what it uses when they are absent.
    const auto schema = schema_file();
    nlohmann::json spelled = nlohmann::json::object();
    collect_defaults(schema, schema, nlohmann::json::json_pointer(), spelled);
    ASSERT_TRUE(spelled["modules"].contains("*")) << spelled.dump();
    auto module = spelled["modules"]["*"];
    module.update({{"library", "m.so"}, {"port", 9100}});
    spelled["modules"] = {{"m", module}};
    const nlohmann::json bare = {{"modules", {{"m", {{"library", "m.so"}, {"port", 9100}}}}}};

    auto full = parse_config(spelled.dump(), "/etc/berth");
    ASSERT_TRUE(full.value) << full.errors[0].pointer + ": " + full.errors[0].message;
    auto plain = parse_config(bare.dump(), "/etc/berth");
    ASSERT_TRUE(plain.value) << plain.errors[0].pointer + ": " + plain.errors[0].message;
    EXPECT_EQ(as_document(*full.value), as_document(*plain.value));
}

// berthd itself: exit codes and messages, run as a real process.
int run(const std::string& args, std::string* output) {
    std::string cmd = std::string(BERTHD) + " " + args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    char buf[512];
    while (p && fgets(buf, sizeof buf, p)) *output += buf;
    int status = p ? pclose(p) : -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Berthd, CheckConfigExits2WithPointerAndReason) {
    berth::test::temp_dir dir;
    auto file = dir.path() / "bad.json";
    std::ofstream(file) << R"({"modules": {"greeter": {"library": "g.so", "port": "eighty"}}, "colour": 1})";
    std::string out;
    EXPECT_EQ(run("--check-config " + file.string(), &out), 2);
    EXPECT_NE(out.find("/modules/greeter/port"), std::string::npos) << out;
    EXPECT_NE(out.find("/colour: unknown property 'colour'"), std::string::npos) << out;
}

TEST(Berthd, StartingWithABadConfigExits2) {
    berth::test::temp_dir dir;
    auto file = dir.path() / "bad.json";
    std::ofstream(file) << R"({"modules": {}, "admin": {"port": -1}})";
    std::string out;
    EXPECT_EQ(run("--config " + file.string(), &out), 2);
    EXPECT_NE(out.find("/admin/port"), std::string::npos) << out;
}

TEST(Berthd, CheckConfigAcceptsTheShippedConfigOnceItsPluginsAreDeployed) {
    // As scripts/run lays it out: config/berth.json beside var/plugins/<name>.so.
    berth::test::temp_dir dir;
    std::filesystem::create_directories(dir.path() / "config");
    std::filesystem::create_directories(dir.path() / "var" / "plugins");
    const auto file = dir.path() / "config" / "berth.json";
    std::filesystem::copy_file(std::filesystem::path(BERTH_SOURCE_DIR) / "config" / "berth.json", file);
    for (auto name : {"users", "products", "categories", "payment"})
        std::filesystem::copy_file(berth::test::shipped_plugin(name), dir.path() / "var" / "plugins" / (name + std::string(".so")));
    std::string out;
    EXPECT_EQ(run("--check-config " + file.string(), &out), 0) << out;
    EXPECT_EQ(out, file.string() + ": valid (4 modules)\n");
}

// A config that passes the schema, naming `library` and `data_dir`.
std::filesystem::path write_config(const std::filesystem::path& dir, const std::filesystem::path& library,
                                   const std::filesystem::path& data_dir) {
    auto file = dir / "berth.json";
    std::ofstream(file) << nlohmann::json{{"data_dir", data_dir.string()},
                                          {"modules", {{"greeter", {{"library", library.string()}, {"port", 0}}}}}};
    return file;
}

TEST(Berthd, CheckConfigReportsALibraryThatIsNotThere) {
    berth::test::temp_dir dir;
    auto file = write_config(dir.path(), dir.path() / "nowhere.so", dir.path() / "var");
    std::string out;
    EXPECT_EQ(run("--check-config " + file.string(), &out), 2) << out;
    EXPECT_NE(out.find("/modules/greeter/library: cannot read " + (dir.path() / "nowhere.so").string() +
                       ": No such file or directory"),
              std::string::npos)
        << out;
    EXPECT_EQ(out.find(": valid"), std::string::npos) << out;
}

TEST(Berthd, CheckConfigReportsALibraryThatCannotBeReadAsAFile) {
    berth::test::temp_dir dir;
    auto file = write_config(dir.path(), dir.path(), dir.path() / "var");  // a directory
    std::string out;
    EXPECT_EQ(run("--check-config " + file.string(), &out), 2) << out;
    EXPECT_NE(out.find("/modules/greeter/library: " + dir.path().string() + " is not a regular file"),
              std::string::npos)
        << out;
}

TEST(Berthd, CheckConfigReportsADataDirThatCannotBeCreated) {
    berth::test::temp_dir dir;
    std::ofstream(dir.path() / "blocker") << "a file where a directory would have to be\n";
    auto file = write_config(dir.path(), berth::test::shipped_plugin("greeter"), dir.path() / "blocker" / "var");
    std::string out;
    EXPECT_EQ(run("--check-config " + file.string(), &out), 2) << out;
    EXPECT_NE(out.find("/data_dir: cannot create " + (dir.path() / "blocker" / "var").string() + ": " +
                       (dir.path() / "blocker").string() + " is not a directory"),
              std::string::npos)
        << out;
    EXPECT_EQ(out.find(": valid"), std::string::npos) << out;
}

TEST(Berthd, CheckConfigAcceptsADataDirItCouldCreateAndDoesNotCreateIt) {
    berth::test::temp_dir dir;
    const auto data_dir = dir.path() / "not" / "yet";
    auto file = write_config(dir.path(), berth::test::shipped_plugin("greeter"), data_dir);
    std::string out;
    EXPECT_EQ(run("--check-config " + file.string(), &out), 0) << out;
    EXPECT_EQ(out, file.string() + ": valid (1 module)\n");
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "not"));
}

TEST(Berthd, VersionAndHelp) {
    std::string out;
    EXPECT_EQ(run("--version", &out), 0);
    EXPECT_NE(out.find("berthd " BERTH_VERSION " "), std::string::npos) << out;
    out.clear();
    EXPECT_EQ(run("--help", &out), 0);
    EXPECT_NE(out.find("--check-config"), std::string::npos) << out;
}

TEST(JsonSchema, RejectsAnUnusableSchema) {
    EXPECT_THROW(contract::json_schema::compile(nlohmann::json::array()), std::invalid_argument);
    EXPECT_THROW(contract::json_schema::compile({{"type", 5}}), std::invalid_argument);
}


// A library berthd would refuse at start (writable by group and others) is not "valid".
TEST(Berthd, CheckConfigRefusesALibraryTheLoaderWouldRefuse) {
    berth::test::temp_dir dir;
    const auto library = dir.path() / "greeter.so";
    std::filesystem::copy_file(berth::test::shipped_plugin("greeter"), library);
    ASSERT_EQ(::chmod(library.c_str(), 0666), 0);
    const auto file = dir.path() / "berth.json";
    std::ofstream(file) << nlohmann::json{{"data_dir", (dir.path() / "var").string()},
                                          {"modules", {{"greeter", {{"library", library.string()}, {"port", 0}}}}}};
    std::string out;
    EXPECT_EQ(run("--check-config '" + file.string() + "'", &out), 2) << out;
    EXPECT_EQ(out.find(": valid"), std::string::npos) << out;
}

// A config still written with "plugins": the file check points into the file as written, as
// the schema errors of the same file do.
TEST(Berthd, CheckConfigPointsAtTheOldKeyAsTheFileWroteIt) {
    berth::test::temp_dir dir;
    const auto file = dir.path() / "berth.json";
    std::ofstream(file) << nlohmann::json{
        {"data_dir", (dir.path() / "var").string()},
        {"plugins", {{"greeter", {{"library", (dir.path() / "nowhere.so").string()}, {"port", 0}}}}}};
    std::string out;
    EXPECT_EQ(run("--check-config '" + file.string() + "'", &out), 2) << out;
    EXPECT_NE(out.find("/plugins/greeter/library: cannot read"), std::string::npos) << out;
}

}  // namespace
}  // namespace berth::host
