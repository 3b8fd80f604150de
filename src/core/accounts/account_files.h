#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace pactown {

// One line of /etc/passwd: name:password:uid:gid:gecos:home:shell.
struct PasswdEntry {
    std::string name;
    std::string password;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string gecos;
    std::string home;
    std::string shell;

    bool operator==(const PasswdEntry&) const = default;
};

// One line of /etc/group: name:password:gid:member,member.
struct GroupEntry {
    std::string name;
    std::string password;
    gid_t gid = 0;
    std::vector<std::string> members;

    bool operator==(const GroupEntry&) const = default;
};

// One line of /etc/shadow. The aging fields stay text, because an empty field means "not
// set" and the values are only carried through.
struct ShadowEntry {
    std::string name;
    std::string password;
    std::string lastChangeDays;
    std::string minDays;
    std::string maxDays;
    std::string warnDays;
    std::string inactiveDays;
    std::string expireDays;
    std::string reserved;

    bool operator==(const ShadowEntry&) const = default;
};

// One line of /etc/gshadow: name:password:admin,admin:member,member.
struct GshadowEntry {
    std::string name;
    std::string password;
    std::vector<std::string> admins;
    std::vector<std::string> members;

    bool operator==(const GshadowEntry&) const = default;
};

// The parsers return nullopt for a line that is not a well-formed entry: a comment, a blank
// line, a NIS "+" or "-" line, a wrong number of fields or an invalid number.
std::optional<PasswdEntry> parsePasswdLine(std::string_view line);
std::optional<GroupEntry> parseGroupLine(std::string_view line);
std::optional<ShadowEntry> parseShadowLine(std::string_view line);
std::optional<GshadowEntry> parseGshadowLine(std::string_view line);

// The formatters return the line without its newline.
// Throws InvalidArgumentError if a field contains ':' or a newline, or a list item ','.
std::string formatPasswdLine(const PasswdEntry& entry);
std::string formatGroupLine(const GroupEntry& entry);
std::string formatShadowLine(const ShadowEntry& entry);
std::string formatGshadowLine(const GshadowEntry& entry);

// Returns the name field of an entry line: the text before the first ':'. Returns nullopt for
// comments, blank lines and NIS lines, which name no local account.
std::optional<std::string_view> entryName(std::string_view line);

// The lines of one account file, kept as text so that every line that is not changed is
// written back byte for byte, including comments, NIS lines and a last line without newline.
class AccountFile {
public:
    AccountFile() = default;
    static AccountFile parse(std::string_view content);

    std::string serialize() const;
    const std::vector<std::string>& lines() const { return lines_; }
    bool changed() const { return changed_; }
    // Records that the lines as they are now were saved.
    void markWritten() { changed_ = false; }

    // Inserts an entry line before the first NIS line, or at the end if there is none.
    // shadow-utils does the same, so that local entries take precedence over NIS.
    void insertEntry(std::string line);
    // Removes every entry line whose name is in `names` and returns how many it removed.
    size_t removeEntries(const std::set<std::string, std::less<>>& names);

private:
    std::vector<std::string> lines_;
    bool finalNewline_ = true;
    bool changed_ = false;
};

} // namespace pactown
