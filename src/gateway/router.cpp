#include "router.h"

#include "error_status.h"
#include "http_error.h"
#include "url.h"

#include <sdbus-c++/Error.h>
#include <spdlog/spdlog.h>

namespace pactown::gateway {

namespace {

constexpr std::string_view kUsersPath = "/runner/isolation/users";
constexpr std::string_view kUserPrefix = "/runner/isolation/user/";
constexpr std::string_view kStatsSuffix = "/stats";
constexpr const char* kInternalError = "com.pactown.Gateway.Error.Failed";

// Decodes {id} and rejects what D-Bus cannot carry in a string; pactownd checks the rest.
std::string decodeSaasUserId(std::string_view encoded)
{
    std::string id = percentDecode(encoded);
    if (id.find('\0') != std::string::npos)
        throw HttpError(400, kInvalidArgument, "saas user id has a NUL byte at byte " + std::to_string(id.find('\0')));
    if (!isValidUtf8(id))
        throw HttpError(400, kInvalidArgument, "saas user id is not valid UTF-8");
    return id;
}

bool parseDeleteHome(const std::string& query)
{
    const auto parameters = parseQuery(query);
    const auto found = parameters.find("delete_home");
    // The reference deletes the home unless delete_home=false is given.
    if (found == parameters.end())
        return true;
    if (found->second == "true" || found->second == "1")
        return true;
    if (found->second == "false" || found->second == "0")
        return false;
    throw InvalidRequestError("delete_home '" + found->second + "' is invalid; use true or false");
}

HttpResponse jsonResponse(nlohmann::json body)
{
    HttpResponse response;
    response.body = std::move(body);
    return response;
}

HttpResponse responseForDbusError(const sdbus::Error& error, const std::string& route)
{
    const int status = httpStatusForDbusError(error.getName());
    if (status == 503)
        spdlog::warn("pactownd is unreachable for {}: {}: {}", route, error.getName(), error.getMessage());
    else if (status >= 500)
        spdlog::error("pactownd failed {}: {}: {}", route, error.getName(), error.getMessage());
    return makeErrorResponse(status, error.getName(), error.getMessage());
}

const char* routeTemplate(std::string_view path, bool matched)
{
    if (!matched)
        return "(no route)";
    if (path == kUsersPath)
        return "/runner/isolation/users";
    return path.ends_with(kStatsSuffix) ? "/runner/isolation/user/{id}/stats" : "/runner/isolation/user/{id}";
}

} // namespace

Router::Router(IsolationBackend& backend, BearerToken token)
    : backend_(backend), token_(std::move(token))
{
}

Router::RouteMatch Router::matchRoute(std::string_view path)
{
    if (path == kUsersPath)
        return {Route::Users, {}};
    if (!path.starts_with(kUserPrefix))
        return {};

    std::string_view rest = path.substr(kUserPrefix.size());
    Route route = Route::User;
    if (rest.ends_with(kStatsSuffix)) {
        rest.remove_suffix(kStatsSuffix.size());
        route = Route::UserStats;
    }
    // {id} is exactly one non-empty segment; an encoded '/' (%2F) inside it is fine.
    if (rest.empty() || rest.find('/') != std::string_view::npos)
        return {};
    return {route, rest};
}

RoutedResponse Router::handle(const HttpRequest& request) const
{
    const RouteMatch match = matchRoute(request.path);
    RoutedResponse routed;
    routed.route = request.method + " " + routeTemplate(request.path, match.route != Route::None);

    try {
        routed.response = authorizeAndDispatch(request, match);
    } catch (const HttpError& error) {
        routed.response = makeErrorResponse(error.status(), error.name(), error.what());
    } catch (const sdbus::Error& error) {
        routed.response = responseForDbusError(error, routed.route);
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& error) {
        spdlog::error("request {} failed: {}", routed.route, error.what());
        routed.response = makeErrorResponse(500, kInternalError, error.what());
    }
    return routed;
}

HttpResponse Router::authorizeAndDispatch(const HttpRequest& request, const RouteMatch& match) const
{
    // The token is checked before the route, so that clients without it learn nothing.
    const std::string* authorization = request.header("authorization");
    if (authorization == nullptr || !token_.acceptsAuthorization(*authorization)) {
        HttpResponse response = makeErrorResponse(
            401, kUnauthorized,
            authorization == nullptr ? "Authorization header is missing; send 'Authorization: Bearer <token>'"
                                     : "bearer token is invalid");
        response.headers.emplace_back("WWW-Authenticate", "Bearer");
        return response;
    }

    if (match.route == Route::None)
        throw HttpError(404, kNotFound, "no route for this path");

    const bool deletable = match.route == Route::User;
    if (request.method != "GET" && !(deletable && request.method == "DELETE")) {
        HttpResponse response = makeErrorResponse(
            405, kMethodNotAllowed, "method '" + request.method + "' is not allowed on this route");
        response.headers.emplace_back("Allow", deletable ? "GET, DELETE" : "GET");
        return response;
    }

    const std::string id = match.route == Route::Users ? std::string{} : decodeSaasUserId(match.encodedId);
    return dispatch(request, match.route, id);
}

HttpResponse Router::dispatch(const HttpRequest& request, Route route, const std::string& id) const
{
    switch (route) {
    case Route::Users: {
        nlohmann::json users = nlohmann::json::array();
        for (const IsolatedUser& user : backend_.listUsers())
            users.push_back(user.toJson());
        const size_t count = users.size();
        return jsonResponse({{"users", std::move(users)}, {"count", count}});
    }
    case Route::User:
        if (request.method == "DELETE") {
            backend_.deleteUser(id, parseDeleteHome(request.query));
            return jsonResponse({{"success", true}, {"user_id", id}});
        }
        return jsonResponse(backend_.getOrCreateUser(id).toJson());
    case Route::UserStats:
        return jsonResponse(backend_.getUserStats(id).toJson());
    case Route::None:
        break;
    }
    throw HttpError(404, kNotFound, "no route for this path");
}

} // namespace pactown::gateway
