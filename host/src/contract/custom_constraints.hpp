// Valijson constraints for the private keywords schema_rewrite produces: RE2 patterns,
// formats, maxLength and the error budget. Registered on a SchemaParser by `register_all`.
#pragma once

#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>

#include <memory>
#include <vector>

namespace re2 {
class RE2;
}

namespace berth::host::contract {

// Errors Valijson may record (summaries included) before validation stops; a bound on work.
inline constexpr std::size_t recorded_error_budget = 200;

// Thrown out of Valijson when the budget is spent; carries what the innermost results held.
struct budget_exhausted {
    std::vector<valijson::ValidationResults::Error> errors;
};

void register_all(valijson::SchemaParser& parser, std::shared_ptr<const std::vector<std::shared_ptr<const re2::RE2>>> patterns);

}  // namespace berth::host::contract
