#include "http_request.h"

#include "http_error.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace pactown::gateway {

namespace {

// RFC 9110 tchar: the characters of a method or a header field name.
bool isTokenChar(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return true;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool isToken(std::string_view text)
{
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return isTokenChar(c); });
}

// Field values may contain blanks, visible ASCII and obs-text (bytes 0x80 to 0xFF).
bool isFieldValueChar(unsigned char c)
{
    return c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f);
}

std::string_view trimBlanks(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}

std::string toLower(std::string_view text)
{
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
    return lower;
}

// Splits `head` at CRLF; a CR or LF anywhere else makes the request malformed.
std::vector<std::string_view> splitLines(std::string_view head)
{
    if (head.size() < 4 || head.substr(head.size() - 4) != "\r\n\r\n")
        throw InvalidRequestError("request head does not end with an empty line");
    head.remove_suffix(2);

    std::vector<std::string_view> lines;
    while (!head.empty()) {
        const size_t end = head.find("\r\n");
        const std::string_view line = head.substr(0, end);
        if (line.find_first_of("\r\n") != std::string_view::npos)
            throw InvalidRequestError("request line or header field has a bare CR or LF");
        lines.push_back(line);
        head.remove_prefix(end + 2);
    }
    return lines;
}

int parseVersion(std::string_view version)
{
    if (version == "HTTP/1.1")
        return 1;
    if (version == "HTTP/1.0")
        return 0;
    const bool wellFormed = version.size() == 8 && version.substr(0, 5) == "HTTP/" &&
                            std::isdigit(static_cast<unsigned char>(version[5])) && version[6] == '.' &&
                            std::isdigit(static_cast<unsigned char>(version[7]));
    if (wellFormed)
        throw HttpError(505, kVersionNotSupported,
                        "HTTP version '" + std::string(version) + "' is not supported; use HTTP/1.1");
    throw InvalidRequestError("request line has an invalid HTTP version");
}

void parseRequestLine(std::string_view line, HttpRequest& request)
{
    const size_t firstSpace = line.find(' ');
    const size_t secondSpace = firstSpace == std::string_view::npos ? firstSpace : line.find(' ', firstSpace + 1);
    if (secondSpace == std::string_view::npos || line.find(' ', secondSpace + 1) != std::string_view::npos)
        throw InvalidRequestError("request line is not 'METHOD TARGET VERSION' with single spaces");

    const std::string_view method = line.substr(0, firstSpace);
    const std::string_view target = line.substr(firstSpace + 1, secondSpace - firstSpace - 1);
    if (!isToken(method))
        throw InvalidRequestError("request method is not a token");
    const bool visible = std::all_of(target.begin(), target.end(),
                                     [](unsigned char c) { return c >= 0x21 && c <= 0x7e; });
    if (target.empty() || target.front() != '/' || !visible)
        throw InvalidRequestError("request target must be an absolute path of visible ASCII characters");

    request.minorVersion = parseVersion(line.substr(secondSpace + 1));
    request.method = method;
    request.target = target;
    const size_t question = target.find('?');
    request.path = target.substr(0, question);
    if (question != std::string_view::npos)
        request.query = target.substr(question + 1);
}

void parseHeaderField(std::string_view line, HttpRequest& request)
{
    if (line.front() == ' ' || line.front() == '\t')
        throw InvalidRequestError("obsolete line folding in header fields is not accepted");
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || !isToken(line.substr(0, colon)))
        throw InvalidRequestError("header field name is missing or is not a token");

    const std::string_view value = trimBlanks(line.substr(colon + 1));
    if (!std::all_of(value.begin(), value.end(), [](unsigned char c) { return isFieldValueChar(c); }))
        throw InvalidRequestError("header field '" + std::string(line.substr(0, colon)) +
                                  "' has a control character in its value");
    request.headers.emplace_back(toLower(line.substr(0, colon)), std::string(value));
}

} // namespace

const std::string* HttpRequest::header(std::string_view lowercaseName) const
{
    const std::string* found = nullptr;
    for (const auto& [name, value] : headers) {
        if (name != lowercaseName)
            continue;
        if (found != nullptr)
            throw InvalidRequestError("header field '" + name + "' is given more than once");
        found = &value;
    }
    return found;
}

HttpRequest parseRequestHead(std::string_view head)
{
    const std::vector<std::string_view> lines = splitLines(head);
    if (lines.empty() || lines.front().empty())
        throw InvalidRequestError("request line is missing");
    if (lines.size() - 1 > kMaxHeaderFields)
        throw HttpError(431, kHeadersTooLarge,
                        "request has more than " + std::to_string(kMaxHeaderFields) + " header fields");

    HttpRequest request;
    parseRequestLine(lines.front(), request);
    for (size_t i = 1; i < lines.size(); ++i)
        parseHeaderField(lines[i], request);

    // RFC 9112 section 3.2: an HTTP/1.1 request without exactly one Host field gets status 400.
    if (request.minorVersion == 1 && request.header("host") == nullptr)
        throw InvalidRequestError("HTTP/1.1 request has no Host header field");
    return request;
}

size_t requestBodyLength(const HttpRequest& request, size_t maxBodyBytes)
{
    if (request.header("transfer-encoding") != nullptr)
        throw HttpError(501, kNotImplemented, "Transfer-Encoding is not supported; send Content-Length");
    const std::string* field = request.header("content-length");
    if (field == nullptr)
        return 0;

    size_t length = 0;
    const char* end = field->data() + field->size();
    const auto [stop, error] = std::from_chars(field->data(), end, length);
    if (field->empty() || error != std::errc{} || stop != end)
        throw InvalidRequestError("Content-Length '" + *field + "' is not a decimal number");
    if (length > maxBodyBytes)
        throw HttpError(413, kPayloadTooLarge,
                        "request body of " + *field + " bytes exceeds the maximum of " +
                            std::to_string(maxBodyBytes) + " bytes");
    return length;
}

} // namespace pactown::gateway
