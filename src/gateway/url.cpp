#include "url.h"

#include "http_error.h"

namespace pactown::gateway {

namespace {

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace

std::string percentDecode(std::string_view encoded)
{
    std::string decoded;
    decoded.reserve(encoded.size());
    for (size_t i = 0; i < encoded.size(); ++i) {
        if (encoded[i] != '%') {
            decoded += encoded[i];
            continue;
        }
        const int high = i + 1 < encoded.size() ? hexValue(encoded[i + 1]) : -1;
        const int low = i + 2 < encoded.size() ? hexValue(encoded[i + 2]) : -1;
        if (high < 0 || low < 0)
            throw InvalidRequestError("percent escape at byte " + std::to_string(i) +
                                      " is not followed by two hex digits");
        decoded += static_cast<char>(high * 16 + low);
        i += 2;
    }
    return decoded;
}

std::map<std::string, std::string> parseQuery(std::string_view query)
{
    std::map<std::string, std::string> parameters;
    while (!query.empty()) {
        const size_t end = query.find('&');
        const std::string_view component = query.substr(0, end);
        query = end == std::string_view::npos ? std::string_view{} : query.substr(end + 1);
        if (component.empty())
            continue;

        const size_t equals = component.find('=');
        std::string name = percentDecode(component.substr(0, equals));
        std::string value = equals == std::string_view::npos ? std::string{}
                                                               : percentDecode(component.substr(equals + 1));
        if (!parameters.emplace(name, std::move(value)).second)
            throw InvalidRequestError("query parameter '" + name + "' is given more than once");
    }
    return parameters;
}

} // namespace pactown::gateway

namespace pactown::gateway {

namespace {

// Returns the length of the UTF-8 sequence that starts at text[0], or 0 when it is invalid.
size_t utf8SequenceLength(std::string_view text)
{
    const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
    const auto isContinuation = [&](size_t i) { return i < text.size() && (byte(i) & 0xC0) == 0x80; };

    const unsigned char lead = byte(0);
    if (lead < 0x80)
        return 1;
    if (lead >= 0xC2 && lead <= 0xDF)
        return isContinuation(1) ? 2 : 0;
    if (lead >= 0xE0 && lead <= 0xEF) {
        if (!isContinuation(1) || !isContinuation(2))
            return 0;
        // E0 followed by less than A0 is overlong; ED followed by A0 or more is a surrogate.
        if ((lead == 0xE0 && byte(1) < 0xA0) || (lead == 0xED && byte(1) >= 0xA0))
            return 0;
        return 3;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        if (!isContinuation(1) || !isContinuation(2) || !isContinuation(3))
            return 0;
        // F0 followed by less than 90 is overlong; F4 followed by 90 or more is above U+10FFFF.
        if ((lead == 0xF0 && byte(1) < 0x90) || (lead == 0xF4 && byte(1) >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

} // namespace

bool isValidUtf8(std::string_view text)
{
    while (!text.empty()) {
        const size_t length = utf8SequenceLength(text);
        if (length == 0)
            return false;
        text.remove_prefix(length);
    }
    return true;
}

} // namespace pactown::gateway
