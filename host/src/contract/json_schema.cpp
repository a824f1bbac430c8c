#include "contract/json_schema.hpp"

#include "contract/custom_constraints.hpp"
#include "contract/schema_rewrite.hpp"

#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <re2/re2.h>

#include <algorithm>
#include <set>
#include <utility>
#include <string_view>
#include <stdexcept>

namespace berth::host::contract {

struct json_schema::impl {
    std::shared_ptr<const std::vector<std::shared_ptr<const re2::RE2>>> patterns;  // outlive the constraints
    valijson::Schema schema;
};

json_schema::json_schema(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
json_schema::~json_schema() = default;

std::shared_ptr<const json_schema> json_schema::compile(const nlohmann::json& schema) {
    if (!schema.is_object() && !schema.is_boolean()) throw std::invalid_argument("a JSON Schema must be an object");
    auto rewritten = rewrite_schema(schema);  // throws invalid_argument naming the unusable part
    auto p = std::make_unique<impl>();
    p->patterns = std::make_shared<const std::vector<std::shared_ptr<const re2::RE2>>>(std::move(rewritten.patterns));
    try {
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
        register_all(parser, p->patterns);
        valijson::adapters::NlohmannJsonAdapter adapter(rewritten.schema);
        parser.populateSchema(adapter, p->schema);
    } catch (const std::exception& e) {
        throw std::invalid_argument(std::string("invalid JSON Schema: ") + e.what());
    }
    return std::shared_ptr<const json_schema>(new json_schema(std::move(p)));
}

std::string escape_pointer_token(const std::string& token) {
    return (nlohmann::json::json_pointer() / token).to_string().substr(1);  // nlohmann escapes ~ and /
}

namespace {

// Valijson describes a location as {"<root>", "[name]", "[0]", ...}.
std::string to_pointer(const std::vector<std::string>& context) {
    std::string pointer;
    for (const auto& part : context) {
        if (part.size() >= 2 && part.front() == '[' && part.back() == ']')
            pointer += "/" + escape_pointer_token(part.substr(1, part.size() - 2));
    }
    return pointer;
}

// A client's property name quoted in a message, cut at a UTF-8 boundary when long.
std::string quote_name(const std::string& name) {
    constexpr std::size_t max_bytes = 64;
    if (name.size() <= max_bytes) return "'" + name + "'";
    std::size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
    return "'" + name.substr(0, cut) + "...'";
}

// Rewrites Valijson's wording for the commonest cases into what a client can act on.
violation humanise(std::string pointer, std::string message) {
    static const std::string unknown = "Object contains a property that could not be validated using 'properties' or "
                                       "'additionalProperties' constraints: '";
    if (message.rfind(unknown, 0) == 0) {
        auto name = message.substr(unknown.size());
        if (name.size() >= 2) name.resize(name.size() - 2);  // trailing "'."
        return {pointer + "/" + escape_pointer_token(name), "unknown property " + quote_name(name)};
    }
    static const std::string missing = "Missing required property '";
    if (message.rfind(missing, 0) == 0) {
        auto name = message.substr(missing.size());
        if (!name.empty() && name.back() == '.') name.pop_back();
        if (!name.empty() && name.back() == '\'') name.pop_back();
        return {pointer, "missing required property '" + name + "'"};
    }
    // "Expected number less than or equal to 65535.000000" -> "must be at most 65535 (maximum)".
    struct rewrite {
        const char* prefix;
        const char* before;
        const char* after;
    };
    static const rewrite rewrites[] = {
        {"Expected number less than or equal to ", "must be at most ", " (maximum)"},
        {"Expected number greater than or equal to ", "must be at least ", " (minimum)"},
        {"Expected number less than ", "must be less than ", " (exclusiveMaximum)"},
        {"Expected number greater than ", "must be greater than ", " (exclusiveMinimum)"},
        {"String should be no fewer than ", "must have at least ", " characters (minLength)"},
        {"String should be no more than ", "must have at most ", " characters (maxLength)"},
        {"Array should contain no fewer than ", "must have at least ", " items (minItems)"},
        {"Array should contain no more than ", "must have at most ", " items (maxItems)"},
        {"Object should have no fewer than ", "must have at least ", " properties (minProperties)"},
        {"Object should have no more than ", "must have at most ", " properties (maxProperties)"},
    };
    for (auto& r : rewrites) {
        std::string_view prefix = r.prefix;
        if (message.rfind(prefix, 0) != 0) continue;
        std::string number = message.substr(prefix.size());
        number = number.substr(0, number.find(' '));
        if (!number.empty() && number.back() == '.') number.pop_back();
        if (number.find('.') != std::string::npos) {
            while (!number.empty() && number.back() == '0') number.pop_back();
            if (!number.empty() && number.back() == '.') number.pop_back();
        }
        return {std::move(pointer), r.before + number + r.after};
    }
    if (message == "Value type not permitted by 'type' constraint.") return {std::move(pointer), "has the wrong type (type)"};
    if (message == "Failed to match regex specified by 'pattern' constraint.")
        return {std::move(pointer), "does not match the required pattern (pattern)"};
    if (message == "Failed to match against any enum values.")
        return {std::move(pointer), "is not one of the allowed values (enum)"};
    return {std::move(pointer), std::move(message)};
}

constexpr std::size_t max_violations = 50;

bool is_summary(const violation& v) { return v.message.rfind("Failed to validate", 0) == 0; }

// Valijson repeats a nested failure at every enclosing level as "Failed to validate ...", and
// the size gate adds an if-then-else summary beside the failure it guards: keep the failures.
// n log n: a strict descendant of p sorts at or after p + "/" among the sorted pointers.
std::vector<violation> keep_deepest(std::vector<violation> all) {
    static const std::string conditional =
        "Failed to validate against a conditional schema set by if-then-else constraints.";
    std::vector<std::string> pointers;
    pointers.reserve(all.size());
    for (auto& v : all) pointers.push_back(v.pointer);
    std::sort(pointers.begin(), pointers.end());
    auto has_descendant = [&](const std::string& p) {
        const std::string prefix = p + "/";
        auto it = std::lower_bound(pointers.begin(), pointers.end(), prefix);
        return it != pointers.end() && it->compare(0, prefix.size(), prefix) == 0;
    };
    auto has_sibling = [&](const std::string& p) {
        auto [first, last] = std::equal_range(pointers.begin(), pointers.end(), p);
        return last - first > 1;
    };
    std::set<std::pair<std::string, std::string>> seen;
    std::vector<violation> kept;
    for (auto& v : all) {
        if (kept.size() == max_violations) break;
        if (is_summary(v) && (has_descendant(v.pointer) || (v.message == conditional && has_sibling(v.pointer))))
            continue;
        if (seen.emplace(v.pointer, v.message).second) kept.push_back(v);
    }
    if (kept.empty() && !all.empty()) kept.push_back(std::move(all.front()));
    return kept;
}

}  // namespace

std::vector<violation> json_schema::validate(const nlohmann::json& document) const {
    valijson::Validator validator(valijson::Validator::kStrongTypes);
    valijson::adapters::NlohmannJsonAdapter adapter(document);
    // First the verdict alone: it stops at the first failure, so a conforming document costs one pass.
    if (validator.validate(impl_->schema, adapter, nullptr)) return {};

    valijson::ValidationResults results;
    std::vector<valijson::ValidationResults::Error> spent;
    try {
        validator.validate(impl_->schema, adapter, &results);
    } catch (budget_exhausted& e) {
        spent = std::move(e.errors);  // `results` keeps what reached the top before the budget ran out
    }
    std::vector<violation> all;
    all.reserve(results.numErrors() + spent.size());
    for (auto& e : results) all.push_back(humanise(to_pointer(e.context), e.description));
    for (auto& e : spent) all.push_back(humanise(to_pointer(e.context), e.description));
    // Some failures are recorded nowhere (Valijson's propertyNames); the verdict still stands.
    if (all.empty()) return {{"", "does not match the schema"}};
    return keep_deepest(std::move(all));
}

}  // namespace berth::host::contract
