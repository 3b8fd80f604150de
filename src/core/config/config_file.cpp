#include <pactown/config.h>

#include "config/config_rules.h"
#include "config/value_parsers.h"

#include <pactown/errors.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <system_error>
#include <vector>

#include <spdlog/spdlog.h>

namespace pactown {

namespace {

constexpr std::string_view sectionName = "Isolation";

// Sets one key from its value. An empty value resets the key to its default, except for the
// limits, where the parsers read it as "no limit" like systemd's CPUQuota= and MemoryMax=.
struct KeyParser {
    std::string_view key;
    void (*apply)(Config& config, const Config& defaults, std::string_view value);
};

constexpr std::array keyParsers = {
    KeyParser{"UsersBase", [](Config& config, const Config& defaults, std::string_view value) {
                  config.usersBase = value.empty() ? defaults.usersBase : parseAbsolutePath(value);
              }},
    KeyParser{"AccountRoot", [](Config& config, const Config& defaults, std::string_view value) {
                  config.accountRoot = value.empty() ? defaults.accountRoot : parseAbsolutePath(value);
              }},
    KeyParser{"StateDirectory", [](Config& config, const Config& defaults, std::string_view value) {
                  config.stateDirectory = value.empty() ? defaults.stateDirectory : parseAbsolutePath(value);
              }},
    KeyParser{"UIDMin", [](Config& config, const Config& defaults, std::string_view value) {
                  config.uidMin = value.empty() ? defaults.uidMin : parseUid(value);
              }},
    KeyParser{"UIDMax", [](Config& config, const Config& defaults, std::string_view value) {
                  config.uidMax = value.empty() ? defaults.uidMax : parseUid(value);
              }},
    KeyParser{"CPUQuota", [](Config& config, const Config&, std::string_view value) {
                  config.defaultLimits.cpuQuotaPercent = parseCpuQuota(value);
              }},
    KeyParser{"MemoryMax", [](Config& config, const Config&, std::string_view value) {
                  config.defaultLimits.memoryMaxBytes = parseSize(value);
              }},
    KeyParser{"TasksMax", [](Config& config, const Config&, std::string_view value) {
                  config.defaultLimits.tasksMax = parseLimitNumber(value);
              }},
    KeyParser{"PrivateNetwork", [](Config& config, const Config& defaults, std::string_view value) {
                  config.defaultLimits.privateNetwork =
                      value.empty() ? defaults.defaultLimits.privateNetwork : parseBoolean(value);
              }},
    KeyParser{"VirtualAccounts", [](Config& config, const Config& defaults, std::string_view value) {
                  config.virtualAccounts = value.empty() ? defaults.virtualAccounts : parseBoolean(value);
              }},
    KeyParser{"ParentSlice", [](Config& config, const Config& defaults, std::string_view value) {
                  config.parentSlice = value.empty() ? defaults.parentSlice : std::string(value);
              }},
};

// The file, line and text that gave a key its current value, so that a rule broken by the
// final values can name the line to fix.
struct SettingSource {
    std::filesystem::path file;
    unsigned line = 0;
    std::string value;
    size_t order = 0;
};

std::string location(const std::filesystem::path& file, unsigned line)
{
    return file.string() + ":" + std::to_string(line) + ": ";
}

// Lists <main>.d/*.conf in lexical order. Entries that are not regular files are skipped, so a
// symlink to /dev/null masks a drop-in as it does in systemd.
std::vector<std::filesystem::path> listDropIns(const std::filesystem::path& mainFile)
{
    std::filesystem::path directory = mainFile.string() + ".d";
    std::error_code error;
    if (!std::filesystem::is_directory(directory, error))
        return {};

    std::vector<std::filesystem::path> dropIns;
    for (std::filesystem::directory_iterator entry(directory, error), end; !error && entry != end;
         entry.increment(error)) {
        const std::filesystem::path& path = entry->path();
        if (path.extension() == ".conf" && std::filesystem::is_regular_file(path))
            dropIns.push_back(path);
    }
    if (error)
        throw ConfigError(directory.string() + ": failed to list drop-in files: " + error.message());

    std::sort(dropIns.begin(), dropIns.end(),
              [](const auto& left, const auto& right) { return left.filename() < right.filename(); });
    return dropIns;
}

class ConfigReader {
public:
    explicit ConfigReader(const Config& defaults)
        : config_(defaults)
        , defaults_(defaults)
    {
    }

    void readFile(const std::filesystem::path& file);
    Config finish(const std::filesystem::path& mainFile) const;

private:
    void readLine(const std::filesystem::path& file, unsigned line, std::string_view text, bool& inSection);
    void assign(const std::filesystem::path& file, unsigned line, std::string_view key, std::string_view value);

    Config config_;
    const Config defaults_;
    std::map<std::string, SettingSource, std::less<>> sources_;
    size_t assignments_ = 0;
};

void ConfigReader::readFile(const std::filesystem::path& file)
{
    std::ifstream stream(file);
    if (!stream)
        throw ConfigError(file.string() + ": failed to open: " + std::strerror(errno));

    // As in systemd, each file starts outside of any section.
    bool inSection = false;
    unsigned lineNumber = 0;
    for (std::string text; std::getline(stream, text);)
        readLine(file, ++lineNumber, text, inSection);
    if (stream.bad())
        throw ConfigError(file.string() + ": failed to read: " + std::strerror(errno));
    spdlog::debug("Read configuration file '{}'", file.string());
}

void ConfigReader::readLine(const std::filesystem::path& file, unsigned line, std::string_view text,
                            bool& inSection)
{
    text = trimWhitespace(text);
    if (text.empty() || text.front() == '#' || text.front() == ';')
        return;

    if (text.front() == '[') {
        if (text.back() != ']')
            throw ConfigError(location(file, line) + "invalid section header '" + std::string(text) + "'");
        std::string_view name = text.substr(1, text.size() - 2);
        if (name != sectionName)
            throw ConfigError(location(file, line) + "unknown section '[" + std::string(name) +
                              "]'; expected '[Isolation]'");
        inSection = true;
        return;
    }

    size_t equals = text.find('=');
    if (equals == std::string_view::npos)
        throw ConfigError(location(file, line) + "expected 'Key=value', got '" + std::string(text) + "'");
    if (!inSection)
        throw ConfigError(location(file, line) + "assignment '" + std::string(text) +
                          "' outside of the [Isolation] section");
    assign(file, line, trimWhitespace(text.substr(0, equals)), trimWhitespace(text.substr(equals + 1)));
}

void ConfigReader::assign(const std::filesystem::path& file, unsigned line, std::string_view key,
                          std::string_view value)
{
    auto parser = std::find_if(keyParsers.begin(), keyParsers.end(),
                               [&](const KeyParser& candidate) { return candidate.key == key; });
    if (parser == keyParsers.end())
        throw ConfigError(location(file, line) + "unknown key '" + std::string(key) + "' in section [Isolation]");

    try {
        parser->apply(config_, defaults_, value);
    } catch (const InvalidArgumentError& error) {
        throw ConfigError(location(file, line) + "invalid value '" + std::string(value) + "' for key '" +
                          std::string(key) + "': " + error.what());
    }
    sources_.insert_or_assign(std::string(key), SettingSource{file, line, std::string(value), assignments_++});
}

Config ConfigReader::finish(const std::filesystem::path& mainFile) const
{
    auto violation = findConfigViolation(config_);
    if (!violation)
        return config_;

    // Blame the key set last among those that break the rule: that is the line most likely
    // to be new, and changing it is enough to fix the rule.
    const SettingSource* blamed = nullptr;
    std::string_view blamedKey = violation->keys.front();
    for (std::string_view key : violation->keys) {
        auto source = sources_.find(key);
        if (source != sources_.end() && (!blamed || source->second.order > blamed->order)) {
            blamed = &source->second;
            blamedKey = key;
        }
    }
    if (!blamed)
        throw ConfigError(mainFile.string() + ": invalid default value '" + formatConfigValue(config_, blamedKey) +
                          "' for key '" + std::string(blamedKey) + "': " + violation->reason);
    throw ConfigError(location(blamed->file, blamed->line) + "invalid value '" + blamed->value + "' for key '" +
                      std::string(blamedKey) + "': " + violation->reason);
}

} // namespace

Config loadConfig(const std::filesystem::path& path, Config defaults)
{
    ConfigReader reader(defaults);

    std::error_code error;
    auto status = std::filesystem::status(path, error);
    if (std::filesystem::exists(status)) {
        if (!std::filesystem::is_regular_file(status))
            throw ConfigError(path.string() + ": not a regular file");
        reader.readFile(path);
    } else if (error && error != std::errc::no_such_file_or_directory) {
        throw ConfigError(path.string() + ": failed to read its status: " + error.message());
    }

    for (const auto& dropIn : listDropIns(path))
        reader.readFile(dropIn);
    return reader.finish(path);
}

} // namespace pactown
