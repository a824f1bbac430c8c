#include "contract/json_schema.hpp"

#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <algorithm>
#include <string_view>
#include <stdexcept>

namespace berth::host::contract {

struct json_schema::impl {
    valijson::Schema schema;
};

json_schema::json_schema(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
json_schema::~json_schema() = default;

std::shared_ptr<const json_schema> json_schema::compile(const nlohmann::json& schema) {
    if (!schema.is_object() && !schema.is_boolean()) throw std::invalid_argument("a JSON Schema must be an object");
    auto p = std::make_unique<impl>();
    try {
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
        valijson::adapters::NlohmannJsonAdapter adapter(schema);
        parser.populateSchema(adapter, p->schema);
    } catch (const std::exception& e) {
        throw std::invalid_argument(std::string("invalid JSON Schema: ") + e.what());
    }
    return std::shared_ptr<const json_schema>(new json_schema(std::move(p)));
}

std::string escape_pointer_token(const std::string& token) {
    std::string out;
    out.reserve(token.size());
    for (char c : token) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out += c;
    }
    return out;
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

bool is_strict_ancestor(const std::string& a, const std::string& b) {
    return b.size() > a.size() && b.compare(0, a.size(), a) == 0 && b[a.size()] == '/';
}

// Rewrites Valijson's wording for the commonest cases into what a client can act on.
violation humanise(std::string pointer, std::string message) {
    static const std::string unknown = "Object contains a property that could not be validated using 'properties' or "
                                       "'additionalProperties' constraints: '";
    if (message.rfind(unknown, 0) == 0) {
        auto name = message.substr(unknown.size());
        if (name.size() >= 2) name.resize(name.size() - 2);  // trailing "'."
        return {pointer + "/" + escape_pointer_token(name), "unknown property '" + name + "'"};
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

}  // namespace

std::vector<violation> json_schema::validate(const nlohmann::json& document) const {
    valijson::Validator validator(valijson::Validator::kStrongTypes);
    valijson::ValidationResults results;
    valijson::adapters::NlohmannJsonAdapter adapter(document);
    if (validator.validate(impl_->schema, adapter, &results)) return {};

    std::vector<violation> all;
    valijson::ValidationResults::Error error;
    while (results.popError(error)) all.push_back(humanise(to_pointer(error.context), error.description));

    std::vector<violation> kept;
    for (auto& v : all) {
        bool ancestor = std::any_of(all.begin(), all.end(), [&](const violation& o) {
            return is_strict_ancestor(v.pointer, o.pointer);
        });
        // Valijson repeats a nested failure at every enclosing level as "Failed to validate ...".
        bool summary = v.message.rfind("Failed to validate", 0) == 0;
        bool duplicate = std::any_of(kept.begin(), kept.end(), [&](const violation& o) {
            return o.pointer == v.pointer && o.message == v.message;
        });
        if (!(ancestor && summary) && !duplicate) kept.push_back(v);  // copy: `all` is still read
    }
    if (kept.empty() && !all.empty()) kept.push_back(all.front());
    return kept;
}

}  // namespace berth::host::contract
