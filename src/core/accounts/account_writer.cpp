#include "accounts/account_writer.h"

#include <ctime>
#include <map>
#include <set>
#include <spdlog/spdlog.h>

#include "accounts/account_file_io.h"
#include "accounts/account_update.h"
#include "identity/linux_name.h"
#include "identity/saas_id.h"

namespace pactown {

namespace {

using NameSet = std::set<std::string, std::less<>>;

// The four files of one root, read under the lock.
struct AccountFiles {
    LoadedAccountFile passwd;
    LoadedAccountFile group;
    LoadedAccountFile shadow;
    LoadedAccountFile gshadow;
};

// New files get the modes of a Debian system: passwd and group 0644 root:root, shadow and
// gshadow 0640 root:shadow (root:root if the root has no group "shadow").
AccountFiles loadAccountFiles(const std::filesystem::path& etc)
{
    AccountFiles files;
    files.passwd = loadAccountFile(etc / "passwd", {0644, 0, 0});
    files.group = loadAccountFile(etc / "group", {0644, 0, 0});

    gid_t shadowGroup = 0;
    for (const auto& line : files.group.file.lines()) {
        auto entry = parseGroupLine(line);
        if (entry && entry->name == "shadow")
            shadowGroup = entry->gid;
    }
    files.shadow = loadAccountFile(etc / "shadow", {0640, 0, shadowGroup});
    files.gshadow = loadAccountFile(etc / "gshadow", {0640, 0, shadowGroup});
    return files;
}

NameSet namesIn(const AccountFile& file)
{
    NameSet names;
    for (const auto& line : file.lines()) {
        if (auto name = entryName(line))
            names.emplace(*name);
    }
    return names;
}

void checkNoDuplicates(const std::vector<NewAccount>& accounts)
{
    NameSet names;
    std::set<uid_t> uids;
    std::set<gid_t> gids;
    for (const auto& account : accounts) {
        if (!names.insert(account.name).second)
            throw InvalidArgumentError("account name " + quoteForMessage(account.name) + " is given twice");
        if (!uids.insert(account.uid).second)
            throw InvalidArgumentError("UID " + std::to_string(account.uid) + " is given twice");
        if (!gids.insert(account.gid).second)
            throw InvalidArgumentError("GID " + std::to_string(account.gid) + " is given twice");
    }
}

// The entry lines of one new account, formatted before the lock is taken so that invalid
// fields are rejected early.
struct AccountLines {
    std::string passwd;
    std::string group;
    std::string shadow;
    std::string gshadow;
};

AccountLines formatAccount(const NewAccount& account, long today)
{
    return {
        formatPasswdLine({account.name, "x", account.uid, account.gid, account.gecos, account.home.string(),
                          account.shell}),
        formatGroupLine({account.name, "x", account.gid, {}}),
        formatShadowLine({account.name, "!*", std::to_string(today), "", "", "", "", "", ""}),
        formatGshadowLine({account.name, "!*", {}, {}}),
    };
}

} // namespace

namespace {

void checkNamesFree(const std::vector<NewAccount>& accounts, const LoadedAccountFile& loaded)
{
    NameSet existing = namesIn(loaded.file);
    for (const auto& account : accounts) {
        if (existing.contains(account.name))
            throw AccountConflictError("account name " + quoteForMessage(account.name) + " already exists in '" +
                                       loaded.path.string() + "'");
    }
}

void checkIdsFree(const std::vector<NewAccount>& accounts, const AccountFiles& files)
{
    std::map<uid_t, std::string> uidOwners;
    for (const auto& line : files.passwd.file.lines()) {
        if (auto entry = parsePasswdLine(line))
            uidOwners.emplace(entry->uid, entry->name);
    }
    std::map<gid_t, std::string> gidOwners;
    for (const auto& line : files.group.file.lines()) {
        if (auto entry = parseGroupLine(line))
            gidOwners.emplace(entry->gid, entry->name);
    }

    for (const auto& account : accounts) {
        if (auto it = uidOwners.find(account.uid); it != uidOwners.end())
            throw AccountConflictError("UID " + std::to_string(account.uid) + " of account " +
                                       quoteForMessage(account.name) + " is already used by " +
                                       quoteForMessage(it->second) + " in '" + files.passwd.path.string() + "'");
        if (auto it = gidOwners.find(account.gid); it != gidOwners.end())
            throw AccountConflictError("GID " + std::to_string(account.gid) + " of account " +
                                       quoteForMessage(account.name) + " is already used by group " +
                                       quoteForMessage(it->second) + " in '" + files.group.path.string() + "'");
    }
}

long daysSinceEpoch()
{
    return static_cast<long>(std::time(nullptr) / (24 * 60 * 60));
}

} // namespace

AccountWriter::AccountWriter(std::filesystem::path root, std::chrono::milliseconds lockTimeout)
    : root_(std::move(root)), lockTimeout_(lockTimeout)
{
}

void AccountWriter::addAccounts(const std::vector<NewAccount>& accounts)
{
    if (accounts.empty())
        return;
    for (const auto& account : accounts)
        checkNewAccount(account);
    checkNoDuplicates(accounts);
    std::vector<AccountLines> lines;
    for (const auto& account : accounts)
        lines.push_back(formatAccount(account, daysSinceEpoch()));

    AccountLock lock(root_, lockTimeout_);
    AccountFiles files = loadAccountFiles(root_ / "etc");
    for (const auto* loaded : {&files.passwd, &files.group, &files.shadow, &files.gshadow})
        checkNamesFree(accounts, *loaded);
    checkIdsFree(accounts, files);

    for (auto& line : lines) {
        files.passwd.file.insertEntry(std::move(line.passwd));
        files.group.file.insertEntry(std::move(line.group));
        files.shadow.file.insertEntry(std::move(line.shadow));
        files.gshadow.file.insertEntry(std::move(line.gshadow));
    }
    writeChangedFiles({&files.gshadow, &files.group, &files.shadow, &files.passwd});
    spdlog::debug("added {} accounts under '{}'", accounts.size(), root_.string());
}

void AccountWriter::removeAccounts(const std::vector<std::string>& names)
{
    if (names.empty())
        return;
    for (const auto& name : names) {
        if (!isValidLinuxName(name))
            throw InvalidArgumentError("account name " + quoteForMessage(name) +
                                       " does not match ^[a-z_][a-z0-9_-]{0,30}$");
    }
    NameSet nameSet(names.begin(), names.end());

    AccountLock lock(root_, lockTimeout_);
    AccountFiles files = loadAccountFiles(root_ / "etc");
    size_t removedUsers = files.passwd.file.removeEntries(nameSet);
    files.shadow.file.removeEntries(nameSet);
    files.group.file.removeEntries(nameSet);
    files.gshadow.file.removeEntries(nameSet);

    writeChangedFiles({&files.passwd, &files.shadow, &files.group, &files.gshadow});
    spdlog::debug("removed {} of {} accounts under '{}'", removedUsers, names.size(), root_.string());
}

std::optional<PasswdEntry> AccountWriter::findUser(std::string_view name) const
{
    LoadedAccountFile loaded = loadAccountFile(root_ / "etc" / "passwd", {});
    for (const auto& line : loaded.file.lines()) {
        auto entry = parsePasswdLine(line);
        if (entry && entry->name == name)
            return entry;
    }
    return std::nullopt;
}

std::optional<GroupEntry> AccountWriter::findGroup(std::string_view name) const
{
    LoadedAccountFile loaded = loadAccountFile(root_ / "etc" / "group", {});
    for (const auto& line : loaded.file.lines()) {
        auto entry = parseGroupLine(line);
        if (entry && entry->name == name)
            return entry;
    }
    return std::nullopt;
}

} // namespace pactown
