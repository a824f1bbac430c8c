#include "http/message.hpp"

namespace berth::host::http {

std::string join(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (auto& item : items) {
        if (!out.empty()) out += separator;
        out += item;
    }
    return out;
}

bool is_json_media_type(std::string_view ct) {
    auto media = ct.substr(0, ct.find(';'));
    while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
    return iequals(media, "application/json") ||
           (media.size() > 17 && iequals(media.substr(0, 12), "application/") &&
            iequals(media.substr(media.size() - 5), "+json"));
}

namespace {
std::string_view find(const header_list& headers, std::string_view name) {
    for (auto& [k, v] : headers)
        if (iequals(k, name)) return v;
    return {};
}
}  // namespace

std::string_view request::header(std::string_view name) const { return find(headers, name); }
std::string_view response::header(std::string_view name) const { return find(headers, name); }

response& response::set_header(std::string name, std::string value) {
    for (auto& [k, v] : headers) {
        if (iequals(k, name)) {
            v = std::move(value);
            return *this;
        }
    }
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
}

std::string_view reason(int status) {
    switch (status) {
        case 200: return "OK";
        case 201: return "Created";
        case 202: return "Accepted";
        case 204: return "No Content";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 402: return "Payment Required";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 409: return "Conflict";
        case 413: return "Content Too Large";
        case 415: return "Unsupported Media Type";
        case 422: return "Unprocessable Content";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        default: return status >= 500 ? "Server Error" : status >= 400 ? "Client Error" : "Status";
    }
}

std::string_view host_name(std::string_view host) {
    if (!host.empty() && host.front() == '[') {
        auto close = host.find(']');
        return close == std::string_view::npos ? std::string_view() : host.substr(0, close + 1);
    }
    return host.substr(0, host.find(':'));
}

}  // namespace berth::host::http
