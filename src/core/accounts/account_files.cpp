#include "accounts/account_files.h"

#include <pactown/errors.h>

#include <charconv>
#include <limits>

#include "identity/saas_id.h"

namespace pactown {

namespace {

std::vector<std::string_view> splitFields(std::string_view line, char separator)
{
    std::vector<std::string_view> fields;
    size_t start = 0;
    for (size_t end; (end = line.find(separator, start)) != std::string_view::npos; start = end + 1)
        fields.push_back(line.substr(start, end - start));
    fields.push_back(line.substr(start));
    return fields;
}

std::vector<std::string> splitList(std::string_view field)
{
    std::vector<std::string> items;
    if (field.empty())
        return items;
    for (std::string_view item : splitFields(field, ','))
        items.emplace_back(item);
    return items;
}

// Accepts decimal digits only, and not (uid_t)-1, which the kernel reserves as "no id".
std::optional<uint32_t> parseId(std::string_view text)
{
    uint32_t value = 0;
    if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    if (value == std::numeric_limits<uint32_t>::max())
        return std::nullopt;
    return value;
}

std::optional<std::vector<std::string_view>> entryFields(std::string_view line, size_t count)
{
    if (!entryName(line))
        return std::nullopt;
    auto fields = splitFields(line, ':');
    if (fields.size() != count)
        return std::nullopt;
    return fields;
}

void checkField(std::string_view field, bool isListItem)
{
    if (field.find_first_of(isListItem ? ":\n," : ":\n") != std::string_view::npos) {
        throw InvalidArgumentError("account file field " + quoteForMessage(field) + " contains " +
                                   (isListItem ? "':', ',' or a newline" : "':' or a newline"));
    }
}

std::string joinFields(std::initializer_list<std::string_view> fields)
{
    std::string line;
    bool first = true;
    for (std::string_view field : fields) {
        checkField(field, false);
        if (!first)
            line += ':';
        line += field;
        first = false;
    }
    return line;
}

std::string joinList(const std::vector<std::string>& items)
{
    std::string list;
    for (const auto& item : items) {
        checkField(item, true);
        if (&item != &items.front())
            list += ',';
        list += item;
    }
    return list;
}

} // namespace

std::optional<std::string_view> entryName(std::string_view line)
{
    if (line.empty() || line[0] == '#' || line[0] == '+' || line[0] == '-')
        return std::nullopt;
    if (line.find_first_not_of(" \t") == std::string_view::npos)
        return std::nullopt;
    return line.substr(0, line.find(':'));
}

std::optional<PasswdEntry> parsePasswdLine(std::string_view line)
{
    auto fields = entryFields(line, 7);
    if (!fields)
        return std::nullopt;
    auto uid = parseId((*fields)[2]);
    auto gid = parseId((*fields)[3]);
    if (!uid || !gid)
        return std::nullopt;

    const auto& f = *fields;
    return PasswdEntry{std::string(f[0]), std::string(f[1]), *uid, *gid,
                       std::string(f[4]), std::string(f[5]), std::string(f[6])};
}

std::optional<GroupEntry> parseGroupLine(std::string_view line)
{
    auto fields = entryFields(line, 4);
    if (!fields)
        return std::nullopt;
    auto gid = parseId((*fields)[2]);
    if (!gid)
        return std::nullopt;

    const auto& f = *fields;
    return GroupEntry{std::string(f[0]), std::string(f[1]), *gid, splitList(f[3])};
}

std::optional<ShadowEntry> parseShadowLine(std::string_view line)
{
    auto fields = entryFields(line, 9);
    if (!fields)
        return std::nullopt;

    const auto& f = *fields;
    return ShadowEntry{std::string(f[0]), std::string(f[1]), std::string(f[2]),
                       std::string(f[3]), std::string(f[4]), std::string(f[5]),
                       std::string(f[6]), std::string(f[7]), std::string(f[8])};
}

std::optional<GshadowEntry> parseGshadowLine(std::string_view line)
{
    auto fields = entryFields(line, 4);
    if (!fields)
        return std::nullopt;

    const auto& f = *fields;
    return GshadowEntry{std::string(f[0]), std::string(f[1]), splitList(f[2]), splitList(f[3])};
}

std::string formatPasswdLine(const PasswdEntry& e)
{
    return joinFields({e.name, e.password, std::to_string(e.uid), std::to_string(e.gid),
                       e.gecos, e.home, e.shell});
}

std::string formatGroupLine(const GroupEntry& e)
{
    std::string members = joinList(e.members);
    return joinFields({e.name, e.password, std::to_string(e.gid), members});
}

std::string formatShadowLine(const ShadowEntry& e)
{
    return joinFields({e.name, e.password, e.lastChangeDays, e.minDays, e.maxDays, e.warnDays,
                       e.inactiveDays, e.expireDays, e.reserved});
}

std::string formatGshadowLine(const GshadowEntry& e)
{
    std::string admins = joinList(e.admins);
    std::string members = joinList(e.members);
    return joinFields({e.name, e.password, admins, members});
}

AccountFile AccountFile::parse(std::string_view content)
{
    AccountFile file;
    if (content.empty())
        return file;

    file.finalNewline_ = content.back() == '\n';
    if (file.finalNewline_)
        content.remove_suffix(1);
    for (std::string_view line : splitFields(content, '\n'))
        file.lines_.emplace_back(line);
    return file;
}

std::string AccountFile::serialize() const
{
    // Sized once: the files are rewritten on every update and reach megabytes.
    size_t size = lines_.size();
    for (const auto& line : lines_)
        size += line.size();
    std::string content;
    content.reserve(size);
    for (const auto& line : lines_) {
        content += line;
        if (&line != &lines_.back() || finalNewline_)
            content += '\n';
    }
    return content;
}

void AccountFile::insertEntry(std::string line)
{
    changed_ = true;
    for (auto it = lines_.begin(); it != lines_.end(); ++it) {
        if (!it->empty() && ((*it)[0] == '+' || (*it)[0] == '-')) {
            lines_.insert(it, std::move(line));
            return;
        }
    }
    lines_.push_back(std::move(line));
    finalNewline_ = true;
}

size_t AccountFile::removeEntries(const std::set<std::string, std::less<>>& names)
{
    auto isNamed = [&](const std::string& line) {
        auto name = entryName(line);
        return name && names.contains(*name);
    };

    // The line that becomes the last one had a newline, so it keeps it.
    if (!lines_.empty() && isNamed(lines_.back()))
        finalNewline_ = true;

    size_t removed = std::erase_if(lines_, isNamed);
    if (removed > 0)
        changed_ = true;
    return removed;
}

} // namespace pactown
