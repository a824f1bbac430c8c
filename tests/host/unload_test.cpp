// Unloading: every plugin we ship (and build for tests) can be loaded, called, and unloaded
// so that it really leaves the process; a plugin built without the hygiene flags cannot, and
// the host says so instead of pretending.
#include "deploy/library_file.hpp"
#include "pipeline/pipeline.hpp"
#include "plugin/generation.hpp"
#include "plugin/plugin_library.hpp"

#include "support/http_client.hpp"
#include "support/process_maps.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <dlfcn.h>


namespace berth::test {
namespace {

namespace hp = berth::host::plugin;

bool loaded_per_loader(const std::filesystem::path& p) {
    void* h = ::dlopen(p.c_str(), RTLD_NOLOAD | RTLD_LAZY);
    if (h) ::dlclose(h);
    return h != nullptr;
}

struct load_case {
    std::string name;
    std::filesystem::path file;
    std::string method, target;
    int status;
    std::string body = {};
};

// Loads, serves one request, shuts down and unloads; returns the host's report and the shadow path.
std::pair<hp::unload_report, std::filesystem::path> cycle(const load_case& c, const std::filesystem::path& dir) {
    auto image = berth::host::deploy::read_library(
        c.file, berth::host::deploy::make_policy({c.file.parent_path()}, 256ull << 20));
    if (auto* f = std::get_if<hp::load_failure>(&image)) throw std::runtime_error(f->step + ": " + f->message);
    auto opened = hp::plugin_library::open(std::get<hp::file_image>(image), dir / "shadow", c.name);
    if (auto* f = std::get_if<hp::load_failure>(&opened)) throw std::runtime_error(f->step + ": " + f->message);
    auto lib = std::get<std::shared_ptr<hp::plugin_library>>(std::move(opened));
    auto shadow = lib->shadow_path();
    EXPECT_TRUE(loaded_per_loader(shadow));
    EXPECT_TRUE(is_mapped(shadow));

    berth::host::module_config cfg;
    cfg.name = c.name;
    cfg.library = c.file;
    cfg.database = "sqlite3://db=" + (dir / (c.name + ".db")).string();
    auto started = hp::generation::start(lib, cfg, dir, 1);
    if (auto* f = std::get_if<hp::load_failure>(&started)) throw std::runtime_error(f->step + ": " + f->message);
    auto gen = std::get<std::shared_ptr<hp::generation>>(std::move(started));
    if (!c.target.empty()) {
        berth::host::http::request req{c.method, c.target, {{"Content-Type", "application/json"}}, c.body};
        EXPECT_EQ(berth::host::pipeline::serve(gen->endpoint(), req, {"req-1", {}}).status, c.status);
    }
    gen->shutdown();
    gen.reset();
    return {lib->unload(), shadow};
}

TEST(Unload, EveryShippedAndTestPluginLeavesTheProcess) {
    temp_dir dir;
    const std::vector<load_case> cases = {
        {"greeter", shipped_plugin("greeter"), "GET", "/v1/greetings/x", 200},
        {"probe", test_plugin("contract_probe"), "GET", "/v1/items/1", 200},
        // The shop: SOCI, SQLite and libsodium loaded with them, databases opened and migrated.
        {"users", shipped_plugin("users"), "POST", "/v1/sessions", 401, R"({"email":"a@b.c","password":"x"})"},
        {"categories", shipped_plugin("categories"), "GET", "/v1/categories", 200},
        {"products", shipped_plugin("products"), "GET", "/v1/products?limit=5", 200},
        {"payment", shipped_plugin("payment"), "GET", "/v1/payments/pay_x", 401},
        {"ledger", test_plugin("ledger_v2"), "GET", "/v1/entries", 200},
    };
    for (auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto [report, shadow] = cycle(c, dir.path());
        EXPECT_TRUE(report.unloaded) << report.detail;
        EXPECT_FALSE(loaded_per_loader(shadow));
        EXPECT_FALSE(is_mapped(shadow));
    }
}

TEST(Unload, TheSameFileCanBeLoadedAgainAfterUnload) {
    temp_dir dir;
    load_case c{"greeter", shipped_plugin("greeter"), "GET", "/v1/greetings/again", 200};
    for (int i = 0; i < 3; ++i) {
        auto [report, shadow] = cycle(c, dir.path());
        EXPECT_TRUE(report.unloaded) << report.detail;
    }
}

TEST(Unload, APluginWithUniqueSymbolsIsReportedRetainedNotHidden) {
    temp_dir dir;
    auto [report, shadow] = cycle({"unique", test_plugin("unique_symbols"), "", "", 0}, dir.path());
    EXPECT_FALSE(report.unloaded);
    EXPECT_NE(report.detail.find("still"), std::string::npos) << report.detail;
    EXPECT_TRUE(is_mapped(shadow));
}

TEST(Unload, RuntimeStopUnloadsEveryPlugin) {
    test_host host({{"greeter", shipped_plugin("greeter")}, {"probe", test_plugin("contract_probe")}});
    ASSERT_EQ(http_request(host.port("greeter"), "GET", "/v1/greetings/x").status, 200);
    ASSERT_EQ(http_request(host.port("probe"), "GET", "/v1/items/1").status, 200);
    // Stop deletes the shadow copies too: take their names while they are mapped.
    const auto shadows = host.data_dir() / "shadow";
    auto greeter = mapped_in(shadows, "greeter-"), probe = mapped_in(shadows, "probe-");
    ASSERT_EQ(greeter.size(), 1u);
    ASSERT_EQ(probe.size(), 1u);
    auto results = host.runtime().stop();
    ASSERT_EQ(results.size(), 2u);
    for (auto& r : results) EXPECT_TRUE(r.unloaded) << r.name << ": " << r.detail;
    EXPECT_FALSE(is_mapped(greeter[0]));
    EXPECT_FALSE(is_mapped(probe[0]));
}

}  // namespace
}  // namespace berth::test
