#include "config/value_parsers.h"

#include <pactown/errors.h>

#include <array>
#include <climits>
#include <limits>
#include <string>

namespace pactown {

namespace {

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

bool isAllDigits(std::string_view text)
{
    if (text.empty())
        return false;
    for (char c : text)
        if (!isDigit(c))
            return false;
    return true;
}

// Parses a string of digits; the caller checks that there is at least one and nothing else.
uint64_t parseDigits(std::string_view digits)
{
    uint64_t value = 0;
    for (char c : digits) {
        if (__builtin_mul_overflow(value, 10u, &value) || __builtin_add_overflow(value, static_cast<uint64_t>(c - '0'), &value))
            throw InvalidArgumentError("number is too large");
    }
    return value;
}

bool isInfinity(std::string_view text)
{
    return text.empty() || text == "infinity";
}

// Returns the factor of a size suffix in powers of 1024, or 0 for an unknown one.
uint64_t suffixFactor(std::string_view suffix)
{
    static constexpr std::string_view suffixes = "KMGTPE";
    if (suffix.empty() || suffix == "B")
        return 1;
    if (suffix.size() != 1 || suffixes.find(suffix[0]) == std::string_view::npos)
        return 0;
    return uint64_t{1} << (10 * (suffixes.find(suffix[0]) + 1));
}

// Returns the fraction (the digits after the decimal point) times factor, rounded down.
// factor is a power of two, so the product is built one bit at a time by long division, and
// nothing exceeds 64 bits.
uint64_t scaleFraction(std::string_view fraction, uint64_t factor)
{
    // 18 digits keep the numerator and its double below 2^64, and resolve far less than a byte.
    fraction = fraction.substr(0, 18);
    uint64_t denominator = 1;
    for (size_t i = 0; i < fraction.size(); ++i)
        denominator *= 10;

    uint64_t remainder = parseDigits(fraction);
    uint64_t quotient = 0;
    for (uint64_t bit = 1; bit < factor; bit <<= 1) {
        remainder <<= 1;
        quotient <<= 1;
        if (remainder >= denominator) {
            remainder -= denominator;
            quotient |= 1;
        }
    }
    return quotient;
}

} // namespace

std::string_view trimWhitespace(std::string_view text)
{
    constexpr std::string_view whitespace = " \t\r\n";
    size_t begin = text.find_first_not_of(whitespace);
    if (begin == std::string_view::npos)
        return {};
    size_t end = text.find_last_not_of(whitespace);
    return text.substr(begin, end - begin + 1);
}

std::optional<uint64_t> parseSize(std::string_view text)
{
    text = trimWhitespace(text);
    if (isInfinity(text))
        return std::nullopt;

    size_t integerEnd = 0;
    while (integerEnd < text.size() && isDigit(text[integerEnd]))
        ++integerEnd;
    if (integerEnd == 0)
        throw InvalidArgumentError("expected a number of bytes with an optional suffix K, M, G, T, P or E, "
                                   "such as '512M', or 'infinity'");
    std::string_view integer = text.substr(0, integerEnd);
    std::string_view rest = text.substr(integerEnd);

    std::string_view fraction;
    if (!rest.empty() && rest[0] == '.') {
        size_t fractionEnd = 1;
        while (fractionEnd < rest.size() && isDigit(rest[fractionEnd]))
            ++fractionEnd;
        fraction = rest.substr(1, fractionEnd - 1);
        rest = rest.substr(fractionEnd);
        if (fraction.empty())
            throw InvalidArgumentError("expected digits after the decimal point");
    }

    uint64_t factor = suffixFactor(rest);
    if (factor == 0)
        throw InvalidArgumentError("unknown suffix '" + std::string(rest) +
                                   "'; use B, K, M, G, T, P or E (powers of 1024)");
    if (factor == 1 && !fraction.empty())
        throw InvalidArgumentError("fractions of a byte are invalid");

    uint64_t bytes = 0;
    if (__builtin_mul_overflow(parseDigits(integer), factor, &bytes) ||
        __builtin_add_overflow(bytes, scaleFraction(fraction, factor), &bytes))
        throw InvalidArgumentError("size is too large");
    if (bytes == 0)
        throw InvalidArgumentError("size must be greater than 0; use 'infinity' for no limit");
    return bytes;
}

std::optional<unsigned> parseCpuQuota(std::string_view text)
{
    text = trimWhitespace(text);
    if (isInfinity(text))
        return std::nullopt;

    if (text.back() != '%')
        throw InvalidArgumentError("expected a percentage of one CPU, such as '50%' or '200%', or 'infinity'");
    std::string_view number = text.substr(0, text.size() - 1);
    if (number.find('.') != std::string_view::npos)
        throw InvalidArgumentError("fractions of a percent are not supported");
    if (!isAllDigits(number))
        throw InvalidArgumentError("expected a whole number of percent, such as '50%'");

    uint64_t percent = parseDigits(number);
    if (percent > std::numeric_limits<unsigned>::max())
        throw InvalidArgumentError("quota is too large");
    if (percent == 0)
        throw InvalidArgumentError("quota must be greater than 0%; use 'infinity' for no quota");
    return static_cast<unsigned>(percent);
}

std::optional<uint64_t> parseLimitNumber(std::string_view text)
{
    text = trimWhitespace(text);
    if (isInfinity(text))
        return std::nullopt;

    if (!isAllDigits(text))
        throw InvalidArgumentError("expected a decimal number or 'infinity'");
    uint64_t value = parseDigits(text);
    if (value == 0)
        throw InvalidArgumentError("limit must be greater than 0; use 'infinity' for no limit");
    return value;
}

bool parseBoolean(std::string_view text)
{
    text = trimWhitespace(text);
    std::string lower(text);
    for (char& c : lower)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');

    for (std::string_view word : {"1", "yes", "y", "true", "t", "on"})
        if (lower == word)
            return true;
    for (std::string_view word : {"0", "no", "n", "false", "f", "off"})
        if (lower == word)
            return false;
    throw InvalidArgumentError("expected a boolean: yes, no, true, false, on, off, 1 or 0");
}

std::filesystem::path parseAbsolutePath(std::string_view text)
{
    text = trimWhitespace(text);
    if (text.find('\0') != std::string_view::npos)
        throw InvalidArgumentError("path contains a NUL byte");
    if (text.empty() || text.front() != '/')
        throw InvalidArgumentError("expected an absolute path");

    std::string normal = std::filesystem::path(text).lexically_normal().string();
    if (normal.size() > 1 && normal.back() == '/')
        normal.pop_back();
    return normal;
}

uid_t parseUid(std::string_view text)
{
    text = trimWhitespace(text);
    if (!isAllDigits(text))
        throw InvalidArgumentError("expected a decimal UID");

    uint64_t uid = parseDigits(text);
    if (uid >= std::numeric_limits<uint32_t>::max())
        throw InvalidArgumentError("UID is too large; UIDs are 32-bit and 4294967295 is (uid_t) -1");
    if (uid == 65535)
        throw InvalidArgumentError("UID 65535 is (uid_t) -1 of 16-bit programs");
    return static_cast<uid_t>(uid);
}

} // namespace pactown
