#include "identity/linux_name.h"

#include <pactown/errors.h>

#include "identity/saas_id.h"

namespace pactown {

namespace {

constexpr std::string_view namePrefix = "pactown_";
constexpr unsigned firstSuffixedAttempt = 16;
constexpr size_t suffixedHashDigits = 15;

void checkHashDigits(std::string_view hash)
{
    bool isHex = hash.find_first_not_of("0123456789abcdef") == std::string_view::npos;
    if (hash.size() < minNameHashDigits || !isHex) {
        throw InvalidArgumentError("name hash " + quoteForMessage(hash) + " is not at least " +
                                   std::to_string(minNameHashDigits) + " lowercase hex digits");
    }
}

} // namespace

std::string linuxNameCandidate(std::string_view saasUserId, unsigned attempt, const NameHasher& hasher)
{
    std::string hash = hasher(saasUserId);
    checkHashDigits(hash);

    std::string name(namePrefix);
    if (attempt < firstSuffixedAttempt) {
        name += hash.substr(0, 8 + attempt);
        return name;
    }

    std::string suffix = "-" + std::to_string(attempt - firstSuffixedAttempt + 1);
    name += hash.substr(0, suffixedHashDigits);
    name += suffix;
    if (name.size() > maxLinuxNameLength) {
        throw SystemError("no Linux name candidate is left for saas user id " + quoteForMessage(saasUserId) +
                          " after " + std::to_string(attempt) + " attempts");
    }
    return name;
}

bool isValidLinuxName(std::string_view name)
{
    if (name.empty() || name.size() > maxLinuxNameLength)
        return false;

    auto isLower = [](char c) { return c >= 'a' && c <= 'z'; };
    auto isDigit = [](char c) { return c >= '0' && c <= '9'; };
    if (!isLower(name[0]) && name[0] != '_')
        return false;
    for (char c : name.substr(1)) {
        if (!isLower(c) && !isDigit(c) && c != '_' && c != '-')
            return false;
    }
    return true;
}

} // namespace pactown
