#pragma once

#include <stdexcept>
#include <string>

namespace pactown::gateway {

// Error names of failures that the gateway detects itself, before any D-Bus call. Failures
// that pactownd reports keep the D-Bus error name that it sent.
inline constexpr const char* kBadRequest = "com.pactown.Gateway.Error.BadRequest";
inline constexpr const char* kUnauthorized = "com.pactown.Gateway.Error.Unauthorized";
inline constexpr const char* kNotFound = "com.pactown.Gateway.Error.NotFound";
inline constexpr const char* kMethodNotAllowed = "com.pactown.Gateway.Error.MethodNotAllowed";
inline constexpr const char* kRequestTimeout = "com.pactown.Gateway.Error.RequestTimeout";
inline constexpr const char* kPayloadTooLarge = "com.pactown.Gateway.Error.PayloadTooLarge";
inline constexpr const char* kHeadersTooLarge = "com.pactown.Gateway.Error.HeadersTooLarge";
inline constexpr const char* kNotImplemented = "com.pactown.Gateway.Error.NotImplemented";
inline constexpr const char* kVersionNotSupported = "com.pactown.Gateway.Error.VersionNotSupported";
inline constexpr const char* kOverloaded = "com.pactown.Gateway.Error.Overloaded";
// The daemon's own name for bad input, used when the gateway rejects an id that cannot even
// be sent over D-Bus (a NUL byte or invalid UTF-8), so clients see one name for bad ids.
inline constexpr const char* kInvalidArgument = "com.pactown.Isolation1.Error.InvalidArgument";

// A failed request, sent to the client as `status` with the JSON body
// {"error": name, "message": what()}.
class HttpError : public std::runtime_error {
public:
    HttpError(int status, std::string name, const std::string& message)
        : std::runtime_error(message), status_(status), name_(std::move(name))
    {
    }

    int status() const noexcept { return status_; }
    const std::string& name() const noexcept { return name_; }

private:
    int status_;
    std::string name_;
};

// A malformed request: status 400.
class InvalidRequestError : public HttpError {
public:
    explicit InvalidRequestError(const std::string& message)
        : HttpError(400, kBadRequest, message)
    {
    }
};

} // namespace pactown::gateway
