#pragma once

#include "bearer_token.h"
#include "http_request.h"
#include "http_response.h"
#include "isolation_backend.h"

#include <string>
#include <string_view>

namespace pactown::gateway {

// A response and the route that produced it, such as "GET /runner/isolation/user/{id}", for
// the request log. The route never contains the id, so the log does not collect saas ids.
struct RoutedResponse {
    HttpResponse response;
    std::string route;
};

// Serves the REST routes of the isolation API over an IsolationBackend:
//   GET    /runner/isolation/users
//   GET    /runner/isolation/user/{id}                  (get or create)
//   GET    /runner/isolation/user/{id}/stats
//   DELETE /runner/isolation/user/{id}?delete_home=true|false
// {id} is one path segment, percent-decoded, so "auth0%7C123" and "a%2Fb" reach pactownd as
// "auth0|123" and "a/b". Every request needs the bearer token.
class Router {
public:
    // Keeps a reference to `backend`, which must outlive the router.
    Router(IsolationBackend& backend, BearerToken token);

    // Returns the response to `request`; failures become JSON error responses, so it throws
    // only std::bad_alloc. Safe to call from several threads at once.
    RoutedResponse handle(const HttpRequest& request) const;

private:
    enum class Route { None, Users, User, UserStats };
    struct RouteMatch {
        Route route = Route::None;
        std::string_view encodedId;
    };

    static RouteMatch matchRoute(std::string_view path);
    HttpResponse authorizeAndDispatch(const HttpRequest& request, const RouteMatch& match) const;
    HttpResponse dispatch(const HttpRequest& request, Route route, const std::string& id) const;

    IsolationBackend& backend_;
    BearerToken token_;
};

} // namespace pactown::gateway
