#include "logging.h"

#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <vector>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

namespace pactown {

namespace {

// The fields of the logEvent() call in progress on this thread, for the journal sink.
thread_local const LogFields* currentFields = nullptr;
bool loggingToJournal = false;

int syslogPriority(spdlog::level::level_enum level)
{
    switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return LOG_DEBUG;
    case spdlog::level::info: return LOG_INFO;
    case spdlog::level::warn: return LOG_WARNING;
    case spdlog::level::err: return LOG_ERR;
    default: return LOG_CRIT;
    }
}

// Writes each record with sd_journal_sendv(), adding the PACTOWN_* fields of logEvent().
class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
protected:
    void sink_it_(const spdlog::details::log_msg& record) override
    {
        std::vector<std::string> fields{
            "MESSAGE=" + std::string(record.payload.data(), record.payload.size()),
            "PRIORITY=" + std::to_string(syslogPriority(record.level)),
            "SYSLOG_IDENTIFIER=pactownd",
        };
        if (currentFields && !currentFields->saasUserId.empty())
            fields.push_back("PACTOWN_SAAS_USER_ID=" + currentFields->saasUserId);
        if (currentFields && !currentFields->unit.empty())
            fields.push_back("PACTOWN_UNIT=" + currentFields->unit);

        std::vector<iovec> vectors;
        for (auto& field : fields)
            vectors.push_back({field.data(), field.size()});
        // A journal that cannot take the line has nowhere to report that either.
        sd_journal_sendv(vectors.data(), static_cast<int>(vectors.size()));
    }

    void flush_() override {}
};

std::string describeForConsole(std::string_view message, const LogFields& fields)
{
    std::string text(message);
    if (!fields.saasUserId.empty())
        text += " saas_user_id='" + fields.saasUserId + "'";
    if (!fields.unit.empty())
        text += " unit='" + fields.unit + "'";
    return text;
}

} // namespace

spdlog::level::level_enum parseLogLevel(const std::string& name)
{
    const auto level = spdlog::level::from_str(name);
    // from_str() maps unknown names to "off", so "off" itself must be compared by name.
    if (level == spdlog::level::off && name != "off")
        throw std::invalid_argument("log level '" + name +
                                    "' is unknown; use trace, debug, info, warning, error, critical or off");
    return level;
}

void setupLogging(spdlog::level::level_enum level)
{
    loggingToJournal = std::getenv("INVOCATION_ID") != nullptr;
    std::shared_ptr<spdlog::logger> logger;
    if (loggingToJournal) {
        logger = std::make_shared<spdlog::logger>("pactownd", std::make_shared<JournalSink>());
        logger->set_pattern("%v");
    } else {
        logger = std::make_shared<spdlog::logger>("pactownd", std::make_shared<spdlog::sinks::stderr_sink_mt>());
        logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %l %v");
    }
    logger->set_level(level);
    spdlog::set_default_logger(logger);
}

void logEvent(spdlog::level::level_enum level, std::string_view message, const LogFields& fields)
{
    if (!loggingToJournal) {
        spdlog::log(level, describeForConsole(message, fields));
        return;
    }
    currentFields = &fields;
    spdlog::log(level, message);
    currentFields = nullptr;
}

} // namespace pactown
