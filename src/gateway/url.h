#pragma once

#include <map>
#include <string>
#include <string_view>

namespace pactown::gateway {

// Decodes %XX escapes of a URI path segment or query component (RFC 3986). '+' stays '+',
// because in a path it is a literal character. Throws InvalidRequestError for a '%' that is
// not followed by two hex digits.
std::string percentDecode(std::string_view encoded);

// Splits a query string "a=1&b=2" into decoded names and values; a component without '='
// gets an empty value and empty components are ignored. Throws InvalidRequestError for a
// malformed escape or a name given twice.
std::map<std::string, std::string> parseQuery(std::string_view query);

} // namespace pactown::gateway

namespace pactown::gateway {

// Returns whether `text` is well-formed UTF-8: no overlong forms, surrogates or code points
// above U+10FFFF.
bool isValidUtf8(std::string_view text);

} // namespace pactown::gateway
