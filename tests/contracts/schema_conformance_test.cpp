// JSON Schema conformance of the validator exactly as the host uses it (contract::json_schema:
// the RE2 rewrite of pattern and format, the size gate, Valijson with the draft-07 parser) over
// Debian's json-schema-test-suite, required cases only (not optional/). A schema the host
// refuses to compile fails all its cases, as a plugin author would see it; so do the schemas
// with remote references (the suite's http://localhost:1234/..., the draft's meta-schema), which
// the host never fetches: they are counted as failures, and their count is printed apart. Prints the pass rate per draft and
// fails when it drops below the floor measured when this test was written (rounded down).
#include "contract/components.hpp"
#include "contract/json_schema.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <vector>

namespace {

namespace fs = std::filesystem;
using berth::host::contract::json_schema;

const fs::path suite_dir = BERTH_SCHEMA_SUITE_DIR;

struct tally {
    int cases = 0, passed = 0;
    int refused_schemas = 0, refused_cases = 0;  // schemas json_schema::compile would not take
    int remote_cases = 0, remote_failed = 0;     // cases whose schema names a remote reference
    std::map<std::string, int> failed_by_file;
    std::vector<std::string> failures;

    double rate() const { return cases ? 100.0 * passed / cases : 0; }
};

// `ref` resolved against `base` as the suite needs it: absolute, fragment-only or relative to
// the base's last "/". The fragment is dropped: only which document matters here.
std::string resolve_uri(const std::string& base, const std::string& ref) {
    std::string uri = ref.find("://") != std::string::npos ? ref
                      : ref.rfind('#', 0) == 0              ? base
                                                            : base.substr(0, base.rfind('/') + 1) + ref;
    return uri.substr(0, uri.find('#'));
}

// Every "$id" (the documents this one holds) and every "$ref" target, resolved.
void collect_uris(const nlohmann::json& node, const std::string& base, std::vector<std::string>& ids,
                  std::vector<std::string>& refs) {
    if (node.is_array())
        for (auto& x : node) collect_uris(x, base, ids, refs);
    if (!node.is_object()) return;
    std::string here = base;
    if (auto id = node.find("$id"); id != node.end() && id->is_string()) ids.push_back(here = resolve_uri(base, *id));
    if (auto ref = node.find("$ref"); ref != node.end() && ref->is_string()) refs.push_back(resolve_uri(here, *ref));
    for (auto& [k, v] : node.items())
        if (k != "enum" && k != "const") collect_uris(v, here, ids, refs);
}

// A schema with a reference to a document it does not hold (the suite's localhost:1234 server,
// the draft's meta-schema): the host never fetches one.
bool names_remote(const nlohmann::json& schema) {
    std::vector<std::string> ids{""}, refs;
    collect_uris(schema, "", ids, refs);
    for (auto& r : refs)
        if (std::find(ids.begin(), ids.end(), r) == ids.end()) return true;
    return false;
}

tally run_draft(const std::string& draft) {
    tally t;
    std::vector<fs::path> files;
    for (auto& e : fs::directory_iterator(suite_dir / draft))  // not recursive: optional/ stays out
        if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (auto& file : files) {
        std::ifstream in(file);
        const auto groups = nlohmann::json::parse(in);
        for (auto& group : groups) {
            const bool remote = names_remote(group["schema"]);
            std::shared_ptr<const json_schema> compiled;
            std::string refused;
            try {
                // Exactly as a manifest's schema: components inlined first (which refuses any
                // $ref but #/components/schemas/...), then compiled.
                compiled = json_schema::compile(
                    berth::host::contract::inline_components(group["schema"], berth::host::contract::all_components({})));
            } catch (const std::exception& e) {
                refused = e.what();
                ++t.refused_schemas;
            }
            for (auto& test : group["tests"]) {
                ++t.cases;
                bool ok = false;
                if (compiled) {
                    try {
                        ok = compiled->validate(test["data"]).empty() == test["valid"].get<bool>();
                    } catch (const std::exception&) {
                        ok = false;
                    }
                } else {
                    ++t.refused_cases;
                }
                if (remote) ++t.remote_cases;
                if (ok) {
                    ++t.passed;
                    continue;
                }
                if (remote) ++t.remote_failed;
                ++t.failed_by_file[file.stem().string()];
                t.failures.push_back(file.stem().string() + ": " + group["description"].get<std::string>() + " / " +
                                     test["description"].get<std::string>() + (refused.empty() ? "" : " (refused: " + refused + ")"));
            }
        }
    }
    return t;
}

void report(const std::string& draft, const tally& t) {
    std::cout << std::fixed << std::setprecision(1) << draft << ": " << t.passed << " of " << t.cases
              << " required cases pass (" << t.rate() << "%); " << t.refused_schemas << " schemas refused ("
              << t.refused_cases << " cases); remote references: " << t.remote_cases << " cases, " << t.remote_failed
              << " failed (counted as failures); of the schemas it compiles: " << t.passed << " of "
              << t.cases - t.refused_cases << " cases pass\n";
    for (auto& [file, n] : t.failed_by_file) std::cout << "  " << file << ": " << n << " failed\n";
    for (auto& f : t.failures) std::cout << "    " << f << "\n";
}

// Drafts the host's validator reads: draft-07, and draft-06, whose every keyword means the
// same in draft-07. The floors are the measured rates rounded down.
struct draft_floor {
    const char* draft;
    double floor_percent;
};
const draft_floor drafts[] = {{"draft7", 77.0}, {"draft6", 76.0}};

TEST(SchemaConformance, PassRatePerDraftStaysAtItsFloor) {
    ASSERT_TRUE(fs::is_directory(suite_dir)) << suite_dir << " is missing: scripts/install-deps installs json-schema-test-suite";
    for (auto& d : drafts) {
        SCOPED_TRACE(d.draft);
        const tally t = run_draft(d.draft);
        report(d.draft, t);
        RecordProperty(std::string(d.draft) + "_pass_rate", std::to_string(t.rate()));
        ASSERT_GT(t.cases, 300) << "the suite's " << d.draft << " has fewer cases than expected";
        EXPECT_GE(t.rate(), d.floor_percent);
        EXPECT_EQ(t.passed, t.cases - t.refused_cases) << "a case of a schema the host compiles failed";
    }
}

}  // namespace
