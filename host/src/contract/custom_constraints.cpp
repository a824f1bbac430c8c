#include "contract/custom_constraints.hpp"

#include "contract/formats.hpp"
#include "contract/schema_rewrite.hpp"

#include <re2/re2.h>
#include <valijson/constraint_builder.hpp>
#include <valijson/constraints/concrete_constraints.hpp>

#include <algorithm>
#include <new>
#include <stdexcept>
#include <string>

namespace berth::host::contract {

namespace {

using valijson::ValidationResults;
using valijson::adapters::Adapter;
using valijson::constraints::Constraint;
using valijson::constraints::PolyConstraint;

// Copy-constructs into Valijson's storage; the only thing a PolyConstraint must add.
template <typename Self>
class poly : public PolyConstraint {
    Constraint* cloneInto(void* where) const override { return new (where) Self(static_cast<const Self&>(*this)); }
    size_t sizeOf() const override { return sizeof(Self); }
};

class pattern_constraint final : public poly<pattern_constraint> {
public:
    explicit pattern_constraint(std::shared_ptr<const re2::RE2> re) : re_(std::move(re)) {}
    bool validate(const Adapter& target, const std::vector<std::string>& context,
                  ValidationResults* results) const override {
        if (!target.isString()) return true;
        // Unanchored search, as JSON Schema means it; RE2 runs in time linear in the input.
        if (re2::RE2::PartialMatch(target.asString(), *re_)) return true;
        if (results) results->pushError(context, "Failed to match regex specified by 'pattern' constraint.");
        return false;
    }

private:
    std::shared_ptr<const re2::RE2> re_;
};

class format_constraint final : public poly<format_constraint> {
public:
    explicit format_constraint(format_kind kind) : kind_(kind) {}
    bool validate(const Adapter& target, const std::vector<std::string>& context,
                  ValidationResults* results) const override {
        if (!target.isString() || matches_format(kind_, target.asString())) return true;
        if (results) results->pushError(context, std::string("is not a valid ") + format_name(kind_) + " (format)");
        return false;
    }

private:
    format_kind kind_;
};

// maxLength in code points over the whole string. Valijson's counter stops at the first NUL
// ("a\u0000" + a megabyte passed maxLength 64) and decodes every byte of an oversize value.
class max_length_constraint final : public poly<max_length_constraint> {
public:
    explicit max_length_constraint(std::uint64_t max) : max_(max) {}
    bool validate(const Adapter& target, const std::vector<std::string>& context,
                  ValidationResults* results) const override {
        if (!target.isString()) return true;
        const std::string s = target.asString();
        if (s.size() <= max_ || !too_long(s)) return true;
        if (results)
            results->pushError(context, "String should be no more than " + std::to_string(max_) + " characters in length.");
        return false;
    }

private:
    // A code point is at most 4 bytes; between the bounds count lead bytes (the text is valid UTF-8).
    bool too_long(const std::string& s) const {
        if (s.size() / 4 >= max_ + 1) return true;
        std::uint64_t n = 0;
        for (unsigned char c : s) n += (c & 0xC0) != 0x80;
        return n > max_;
    }
    std::uint64_t max_;
};

class budget_constraint final : public poly<budget_constraint> {
public:
    bool validate(const Adapter&, const std::vector<std::string>&, ValidationResults* results) const override {
        if (results && results->numErrors() >= recorded_error_budget)
            throw budget_exhausted{{results->begin(), results->end()}};
        return true;
    }
};

class pattern_builder final : public valijson::ConstraintBuilder {
public:
    explicit pattern_builder(std::shared_ptr<const std::vector<std::shared_ptr<const re2::RE2>>> patterns)
        : patterns_(std::move(patterns)) {}
    Constraint* make(const Adapter& value) const override {
        std::int64_t i = -1;
        if (!value.getInteger(i) || i < 0 || static_cast<std::size_t>(i) >= patterns_->size())
            throw std::invalid_argument(std::string(pattern_keyword) + " is reserved");
        return new pattern_constraint((*patterns_)[static_cast<std::size_t>(i)]);
    }

private:
    std::shared_ptr<const std::vector<std::shared_ptr<const re2::RE2>>> patterns_;
};

class format_builder final : public valijson::ConstraintBuilder {
public:
    Constraint* make(const Adapter& value) const override {
        std::string name;
        auto kind = value.getString(name) ? known_format(name) : std::nullopt;
        if (!kind) throw std::invalid_argument(std::string(format_keyword) + " is reserved");
        return new format_constraint(*kind);
    }
};

class max_length_builder final : public valijson::ConstraintBuilder {
public:
    Constraint* make(const Adapter& value) const override {
        std::int64_t max = -1;
        if (!value.getInteger(max) || max < 0) throw std::invalid_argument("maxLength must be a non-negative integer");
        return new max_length_constraint(static_cast<std::uint64_t>(max));
    }
};

class budget_builder final : public valijson::ConstraintBuilder {
public:
    Constraint* make(const Adapter&) const override { return new budget_constraint(); }
};

}  // namespace

void register_all(valijson::SchemaParser& parser,
                  std::shared_ptr<const std::vector<std::shared_ptr<const re2::RE2>>> patterns) {
    // The parser owns each builder once handed over.
    parser.addConstraintBuilder(pattern_keyword, new pattern_builder(std::move(patterns)));
    parser.addConstraintBuilder(format_keyword, new format_builder());
    parser.addConstraintBuilder(max_length_keyword, new max_length_builder());
    parser.addConstraintBuilder(budget_keyword, new budget_builder());
}

}  // namespace berth::host::contract
