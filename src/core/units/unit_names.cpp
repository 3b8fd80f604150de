#include "units/unit_names.h"

#include <pactown/errors.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <sys/random.h>

#include <systemd/sd-bus.h>

namespace pactown {

namespace {

constexpr size_t randomHexDigits = 16;

bool isLinuxNameCharacter(char c, bool first)
{
    if ((c >= 'a' && c <= 'z') || c == '_')
        return true;
    return !first && ((c >= '0' && c <= '9') || c == '-');
}

bool isHexDigit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

std::string randomHex(size_t digits)
{
    uint8_t bytes[randomHexDigits / 2];
    size_t count = digits / 2;
    if (getrandom(bytes, count, 0) != static_cast<ssize_t>(count))
        throwSystemError("cannot read random bytes for a run unit name", errno);

    static constexpr char hex[] = "0123456789abcdef";
    std::string text;
    for (size_t i = 0; i < count; ++i) {
        text += hex[bytes[i] >> 4];
        text += hex[bytes[i] & 0xf];
    }
    return text;
}

} // namespace

void checkLinuxName(std::string_view linuxName)
{
    if (linuxName.empty() || linuxName.size() > 31)
        throw InvalidArgumentError("linux name '" + std::string(linuxName) +
                                   "' must have 1 to 31 characters");
    for (size_t i = 0; i < linuxName.size(); ++i) {
        if (!isLinuxNameCharacter(linuxName[i], i == 0))
            throw InvalidArgumentError("linux name '" + std::string(linuxName) +
                                       "' has an invalid character at byte " + std::to_string(i));
    }
}

std::string makeRunUnitName(std::string_view linuxName)
{
    checkLinuxName(linuxName);
    return std::string(runUnitPrefix) + std::string(linuxName) + "-" + randomHex(randomHexDigits) +
           std::string(runUnitSuffix);
}

std::string tenantSliceName(std::string_view linuxName)
{
    checkLinuxName(linuxName);
    std::string name = "pactown-";
    for (char c : linuxName) {
        if (c == '-')
            name += "\\x2d";
        else
            name += c;
    }
    return name + ".slice";
}

std::optional<std::string> linuxNameOfRunUnit(std::string_view unitName)
{
    if (!unitName.starts_with(runUnitPrefix) || !unitName.ends_with(runUnitSuffix))
        return std::nullopt;
    std::string_view middle = unitName.substr(runUnitPrefix.size());
    middle.remove_suffix(runUnitSuffix.size());

    // The random part has a fixed length, so a '-' inside the linux name is unambiguous.
    if (middle.size() < randomHexDigits + 2 || middle[middle.size() - randomHexDigits - 1] != '-')
        return std::nullopt;
    for (char c : middle.substr(middle.size() - randomHexDigits)) {
        if (!isHexDigit(c))
            return std::nullopt;
    }

    std::string linuxName(middle.substr(0, middle.size() - randomHexDigits - 1));
    try {
        checkLinuxName(linuxName);
    } catch (const InvalidArgumentError&) {
        return std::nullopt;
    }
    return linuxName;
}

bool isRunUnitName(std::string_view unitName)
{
    return linuxNameOfRunUnit(unitName).has_value();
}

std::string unitObjectPath(const std::string& unitName)
{
    char* encoded = nullptr;
    int r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", unitName.c_str(), &encoded);
    if (r < 0)
        throwSystemError("cannot encode the object path of unit '" + unitName + "'", -r);
    std::unique_ptr<char, decltype(&std::free)> owner(encoded, &std::free);
    return encoded;
}

} // namespace pactown
