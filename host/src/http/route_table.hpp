// Path templates ("/v1/products/{id}/reprice") and matching a request against them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::host::http {

class route_table {
public:
    enum class outcome { found, method_not_allowed, not_found };
    struct match {
        outcome result = outcome::not_found;
        std::size_t id = 0;                                       // when found
        std::vector<std::pair<std::string, std::string>> params;  // when found
        std::vector<std::string> allowed;                         // when method_not_allowed
    };

    // Throws std::invalid_argument naming the problem for a malformed or duplicate template.
    void add(std::string method, std::string_view path_template, std::size_t id);

    // The most specific route for the segments (literal segments beat parameters, left first).
    match find(std::string_view method, const std::vector<std::string>& segments) const;

private:
    struct segment {
        std::string text;  // literal text or parameter name
        bool param = false;
    };
    struct entry {
        std::string method;
        std::vector<segment> segments;
        std::size_t id;
    };
    std::vector<entry> entries_;
};

}  // namespace berth::host::http
