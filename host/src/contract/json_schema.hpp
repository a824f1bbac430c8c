// A compiled JSON Schema (draft-07, the subset shared with 2020-12) and the violations a
// document has against it. Backed by Valijson; nothing of Valijson leaks past this header.
// Bounded for any document: `pattern` and `format` run on RE2 and linear scanners instead of
// std::regex, size limits are checked before contents, and errors stop at a budget.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string>
#include <vector>

namespace berth::host::contract {

struct violation {
    std::string pointer;  // RFC 6901 JSON pointer into the checked document ("" is the root)
    std::string message;
};

class json_schema {
public:
    // Throws std::invalid_argument naming what is wrong when `schema` is not a usable schema.
    static std::shared_ptr<const json_schema> compile(const nlohmann::json& schema);
    ~json_schema();

    // Thread-safe. Empty when the document conforms. Only the deepest failures are kept:
    // "port has the wrong type" rather than also "admin failed" and "root failed"; at most 50.
    // Recurses on the document's depth (Valijson): callers bound the depth when parsing.
    std::vector<violation> validate(const nlohmann::json& document) const;

private:
    struct impl;
    explicit json_schema(std::unique_ptr<impl> p);
    std::unique_ptr<impl> impl_;
};

// "/a~1b/0" style escaping of one reference token.
std::string escape_pointer_token(const std::string& token);

}  // namespace berth::host::contract
