#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace pactown::gateway {

// A response with a JSON body. The gateway closes every connection after one response.
struct HttpResponse {
    int status = 200;
    nlohmann::json body = nlohmann::json::object();
    std::vector<std::pair<std::string, std::string>> headers; // besides the ones always sent
};

// Returns the error body {"error": name, "message": message} with `status`.
HttpResponse makeErrorResponse(int status, const std::string& name, const std::string& message);

// Returns the reason phrase of `status`, such as "Not Found".
const char* reasonPhrase(int status);

// Serialises `response` as an HTTP/1.1 message with Content-Type, Content-Length,
// Cache-Control: no-store and Connection: close. Strings that are not valid UTF-8 are
// written with U+FFFD in their place, so serialising never throws for bad input.
std::string serializeResponse(const HttpResponse& response);

} // namespace pactown::gateway
