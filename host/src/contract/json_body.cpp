#include "contract/json_body.hpp"

#include "contract/json_schema.hpp"

#include <cmath>

#include <optional>
#include <vector>

namespace berth::host::contract {

namespace {

using json = nlohmann::json;

// Builds the document through nlohmann's own DOM builder while keeping track of where it is.
class tracking_sax {
public:
    tracking_sax(json& out, std::size_t max_depth, std::size_t max_values, bool msgpack)
        : dom_(out, false), max_depth_(max_depth), max_values_(max_values), values_left_(max_values), msgpack_(msgpack) {}

    bool null() { return counted() && value(dom_.null()); }
    bool boolean(bool v) { return counted() && value(dom_.boolean(v)); }
    bool number_integer(json::number_integer_t v) { return counted() && value(dom_.number_integer(v)); }
    bool number_unsigned(json::number_unsigned_t v) { return counted() && value(dom_.number_unsigned(v)); }
    // JSON text cannot spell NaN or an infinity; MessagePack can, and the handler would read null.
    bool number_float(json::number_float_t v, const json::string_t& s) {
        if (!std::isfinite(v)) {
            error_ = body_error{pointer(), "not a finite number"};
            return false;
        }
        return counted() && value(dom_.number_float(v, s));
    }
    bool string(json::string_t& v) { return counted() && value(dom_.string(v)); }
    // MessagePack's bin and ext types have no JSON form: the document must be the same either way.
    bool binary(json::binary_t&) {
        error_ = body_error{pointer(), "binary and extension values have no JSON form"};
        return false;
    }
    bool start_object(std::size_t n) { return counted() && open(false) && dom_.start_object(n); }
    bool start_array(std::size_t n) { return counted() && open(true) && dom_.start_array(n); }
    bool key(json::string_t& k) {
        stack_.back().key = k;
        stack_.back().has_key = true;
        return dom_.key(k);
    }
    bool end_object() { return close(dom_.end_object()); }
    bool end_array() { return close(dom_.end_array()); }
    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) {
        if (ex.id == 406)
            error_ = body_error{pointer(), "the number is out of range"};
        else if (msgpack_)
            error_ = body_error{pointer(), "malformed MessagePack at byte " + std::to_string(position ? position - 1 : 0) +
                                               ": truncated, trailing bytes, or a map key that is not a string"};
        else
            error_ = body_error{pointer(), "malformed JSON at byte " + std::to_string(position ? position - 1 : 0) +
                                               ": expected a JSON value, object or array there"};
        return false;
    }

    std::optional<body_error> error_;

private:
    struct frame {
        bool array;
        std::size_t index = 0;
        bool has_key = false;
        std::string key;
    };

    std::string pointer() const {
        std::string p;
        for (auto& f : stack_) {
            if (f.array) p += "/" + std::to_string(f.index);
            else if (f.has_key) p += "/" + escape_pointer_token(f.key);
        }
        return p;
    }
    // The limit is reported at the container being filled: that is where the bulk is.
    bool counted() {
        if (values_left_ > 0) {
            --values_left_;
            return true;
        }
        std::string where = pointer();
        if (!stack_.empty() && (stack_.back().array || stack_.back().has_key)) where.resize(where.rfind('/'));
        error_ = body_error{where, "holds more values than a request body may (" + std::to_string(max_values_) + ")"};
        return false;
    }
    bool value(bool ok) {
        if (!stack_.empty() && stack_.back().array) ++stack_.back().index;
        return ok;
    }
    bool open(bool array) {
        if (stack_.size() >= max_depth_) {
            error_ = body_error{pointer(), "nested more than " + std::to_string(max_depth_) + " levels deep"};
            return false;
        }
        stack_.push_back(frame{array, 0, false, {}});
        return true;
    }
    bool close(bool ok) {
        stack_.pop_back();
        return value(ok);
    }

    nlohmann::detail::json_sax_dom_parser<json> dom_;
    std::size_t max_depth_;
    std::size_t max_values_;
    std::size_t values_left_;
    bool msgpack_;
    std::vector<frame> stack_;
};

}  // namespace

std::variant<json, body_error> parse_json_body(std::string_view text, std::size_t max_depth, std::size_t max_values) {
    if (text.empty()) return body_error{"", "the request body is empty; JSON is required"};
    json out;
    tracking_sax sax(out, max_depth, max_values, false);
    const bool ok = json::sax_parse(text, &sax, nlohmann::detail::input_format_t::json, true);
    if (sax.error_) return *sax.error_;
    if (!ok || out.is_discarded()) return body_error{"", "malformed JSON"};
    return out;
}

// The binary reader recurses once per level too; the SAX refuses the level past the limit
// before the reader descends into it.
std::variant<json, body_error> parse_msgpack_body(std::string_view bytes, std::size_t max_depth,
                                                  std::size_t max_values) {
    if (bytes.empty()) return body_error{"", "the request body is empty; a MessagePack document is required"};
    json out;
    tracking_sax sax(out, max_depth, max_values, true);
    bool ok = false;
    try {
        ok = json::sax_parse(bytes, &sax, nlohmann::detail::input_format_t::msgpack, true);
    } catch (const json::exception&) {
        ok = false;  // a string that is not UTF-8 is found only when the document is written out
    }
    if (sax.error_) return *sax.error_;
    if (!ok || out.is_discarded()) return body_error{"", "malformed MessagePack"};
    return out;
}

}  // namespace berth::host::contract
