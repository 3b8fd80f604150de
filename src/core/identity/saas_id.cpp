#include "identity/saas_id.h"

#include <pactown/errors.h>

#include <cstdint>
#include <optional>

namespace pactown {

namespace {

// One decoded UTF-8 character, or the reason why the bytes at that offset are not one.
struct Utf8Char {
    char32_t codePoint = 0;
    size_t length = 1;
    const char* error = nullptr;
};

Utf8Char decodeUtf8(std::string_view text, size_t offset)
{
    auto lead = static_cast<unsigned char>(text[offset]);
    if (lead < 0x80)
        return {lead, 1, nullptr};
    if (lead < 0xc0)
        return {0, 1, "an unexpected UTF-8 continuation byte"};

    size_t length = 0;
    if (lead >= 0xc0 && lead < 0xe0)
        length = 2;
    else if (lead >= 0xe0 && lead < 0xf0)
        length = 3;
    else if (lead >= 0xf0 && lead < 0xf8)
        length = 4;
    else
        return {0, 1, "an invalid UTF-8 lead byte"};
    if (offset + length > text.size())
        return {0, 1, "a truncated UTF-8 sequence"};

    char32_t codePoint = lead & (0x7f >> length);
    for (size_t i = 1; i < length; ++i) {
        auto next = static_cast<unsigned char>(text[offset + i]);
        if ((next & 0xc0) != 0x80)
            return {0, 1, "a truncated UTF-8 sequence"};
        codePoint = codePoint << 6 | (next & 0x3f);
    }

    static constexpr char32_t smallestForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (codePoint < smallestForLength[length])
        return {0, length, "an overlong UTF-8 sequence"};
    if (codePoint >= 0xd800 && codePoint <= 0xdfff)
        return {0, length, "a UTF-16 surrogate encoded in UTF-8"};
    if (codePoint > 0x10ffff)
        return {0, length, "a code point above U+10FFFF"};
    return {codePoint, length, nullptr};
}

bool isControl(char32_t codePoint)
{
    return codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f);
}

void appendEscapedByte(std::string& out, unsigned char byte)
{
    static constexpr char digits[] = "0123456789ABCDEF";
    out += "\\x";
    out += digits[byte >> 4];
    out += digits[byte & 0xf];
}

struct TextProblem {
    std::string what;
    size_t offset;
};

// Finds the first character that is invalid UTF-8, a control character or (with
// `rejectSlash`) a '/'.
std::optional<TextProblem> findTextProblem(std::string_view text, bool rejectSlash)
{
    for (size_t offset = 0; offset < text.size();) {
        Utf8Char c = decodeUtf8(text, offset);
        if (c.error != nullptr)
            return TextProblem{c.error, offset};
        if (isControl(c.codePoint))
            return TextProblem{"a control character", offset};
        if (rejectSlash && c.codePoint == '/')
            return TextProblem{"a '/'", offset};
        offset += c.length;
    }
    return std::nullopt;
}

} // namespace

void validateSaasUserId(std::string_view saasUserId)
{
    if (saasUserId.empty())
        throw InvalidArgumentError("saas user id is empty");
    if (saasUserId.size() > maxSaasUserIdBytes) {
        throw InvalidArgumentError("saas user id " + quoteForMessage(saasUserId) + " is " +
                                   std::to_string(saasUserId.size()) + " bytes long, the maximum is " +
                                   std::to_string(maxSaasUserIdBytes));
    }
    if (auto problem = findTextProblem(saasUserId, false)) {
        throw InvalidArgumentError("saas user id " + quoteForMessage(saasUserId) + " has " + problem->what +
                                   " at byte " + std::to_string(problem->offset));
    }
}

void validateServiceId(std::string_view serviceId)
{
    if (serviceId.empty())
        throw InvalidArgumentError("service id is empty");
    if (serviceId == "." || serviceId == "..")
        throw InvalidArgumentError("service id " + quoteForMessage(serviceId) + " is not a directory name");
    if (serviceId.size() > maxServiceIdBytes) {
        throw InvalidArgumentError("service id " + quoteForMessage(serviceId) + " is " +
                                   std::to_string(serviceId.size()) + " bytes long, the maximum is " +
                                   std::to_string(maxServiceIdBytes));
    }
    if (auto problem = findTextProblem(serviceId, true)) {
        throw InvalidArgumentError("service id " + quoteForMessage(serviceId) + " has " + problem->what +
                                   " at byte " + std::to_string(problem->offset));
    }
}

std::string quoteForMessage(std::string_view value, size_t maxBytes)
{
    std::string out = "'";
    size_t offset = 0;
    while (offset < value.size()) {
        Utf8Char c = decodeUtf8(value, offset);
        if (offset + c.length > maxBytes)
            break;

        if (c.error != nullptr || isControl(c.codePoint)) {
            for (size_t i = 0; i < c.length; ++i)
                appendEscapedByte(out, static_cast<unsigned char>(value[offset + i]));
        } else if (c.codePoint == '\\' || c.codePoint == '\'') {
            out += '\\';
            out += static_cast<char>(c.codePoint);
        } else {
            out.append(value.substr(offset, c.length));
        }
        offset += c.length;
    }
    out += '\'';
    if (offset < value.size())
        out += "...";
    return out;
}

} // namespace pactown
