#include "http/problem.hpp"
#include "pipeline/stages.hpp"

namespace berth::host::pipeline {

verdict negotiate(exchange& ex) {
    auto format = http::preferred_format(ex.request.header("Accept"));
    if (!format)
        return http::problem(406, "this operation answers in application/json or " + std::string(http::msgpack_media_type) +
                                      "; the Accept header allows neither");
    ex.answer_in = *format;
    return std::nullopt;
}

}  // namespace berth::host::pipeline
