#include "accounts/account_writer.h"

#include <set>
#include <spdlog/spdlog.h>

#include "accounts/account_file_io.h"
#include "accounts/account_update.h"
#include "identity/linux_name.h"
#include "identity/saas_id.h"

namespace pactown {

namespace {

void checkNoDuplicates(const std::vector<NewAccount>& accounts)
{
    std::set<std::string, std::less<>> names;
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

// Formats the lines of every account once, so that a field that cannot be written is rejected
// before the lock is taken.
void checkFields(const std::vector<NewAccount>& accounts)
{
    for (const auto& account : accounts) {
        checkNewAccount(account);
        formatPasswdLine({account.name, "x", account.uid, account.gid, account.gecos, account.home.string(),
                          account.shell});
    }
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
    checkFields(accounts);
    checkNoDuplicates(accounts);

    AccountLock lock(root_, lockTimeout_);
    AccountUpdate update(root_, lock);
    for (const auto& account : accounts) {
        // Unlike AccountUpdate::add(), which completes a partial account, the writer only
        // creates: a name found in any file is another account's.
        if (update.hasName(account.name))
            throw AccountConflictError("account name " + quoteForMessage(account.name) +
                                       " already exists in the account files under '" + root_.string() + "'");
        update.add(account);
    }
    update.commit();
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

    AccountLock lock(root_, lockTimeout_);
    AccountUpdate update(root_, lock);
    size_t removed = 0;
    for (const auto& name : names)
        removed += update.remove(name) ? 1 : 0;
    update.commit();
    spdlog::debug("removed {} of {} accounts under '{}'", removed, names.size(), root_.string());
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
