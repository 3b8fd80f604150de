#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pactown::gateway {

// The head of one HTTP/1.x request, as received.
struct HttpRequest {
    std::string method;
    std::string target;  // the request-target in origin form, still percent-encoded
    std::string path;    // target up to '?', still percent-encoded
    std::string query;   // target after '?', without it; empty when absent
    int minorVersion = 1; // HTTP/1.<minorVersion>
    // Header fields in order of arrival, names lowercased, values without surrounding blanks.
    std::vector<std::pair<std::string, std::string>> headers;

    // Returns the value of the header field `lowercaseName`, or nullptr when it is absent.
    // Throws InvalidRequestError when the field appears more than once.
    const std::string* header(std::string_view lowercaseName) const;
};

// Maximum number of header fields in one request; more are rejected with status 431.
inline constexpr size_t kMaxHeaderFields = 100;

// Parses a request line and its header fields (RFC 9112). `head` runs up to and including
// the empty line that ends it. Lines must end with CRLF; obsolete line folding, blanks
// before a field's colon and control characters are rejected, because a lenient parser
// reads some smuggled requests differently from the proxies in front of it.
// Throws HttpError: 400 for malformed input, 431 for more than kMaxHeaderFields fields,
// 505 for an HTTP version other than 1.0 and 1.1.
HttpRequest parseRequestHead(std::string_view head);

// Returns the length of the request's body from Content-Length, 0 when absent.
// Throws HttpError: 400 for an invalid or conflicting Content-Length, 501 for
// Transfer-Encoding, which the gateway does not implement, and 413 above `maxBodyBytes`.
size_t requestBodyLength(const HttpRequest& request, size_t maxBodyBytes);

} // namespace pactown::gateway
