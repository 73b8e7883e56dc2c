// Maps request paths of marathon-sim to endpoints.
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerRequest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tools/marathon_sim/context.h"
#include "tools/marathon_sim/endpoint.h"

namespace mlb::tools::sim {

// Maps request paths to endpoints.  Exact routes match the whole path; prefix
// routes match "<prefix>/..." and pass the remainder (with its leading slash)
// in RouteMatch::rest.  Requests outside /_sim first meet the faults,
// --auth and (but for the login) --service-account's token check.  Every
// request is counted under "<METHOD> <route name>".
class Router : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  using Factory =
      std::function<Poco::Net::HTTPRequestHandler*(SimContext&, RouteMatch)>;

  explicit Router(SimContext& context) : context_(context) {}

  void AddExact(std::string path, Factory factory);
  // `name` is the route's name in /_sim/stats, e.g. "/v2/apps/<id>".
  void AddPrefix(std::string prefix, std::string name, Factory factory);
  // Routes taken only by requests of one of `methods` (others go on to the
  // next matching route).
  void AddExact(std::string path, std::vector<std::string> methods,
                Factory factory);
  void AddPrefix(std::string prefix, std::string name,
                 std::vector<std::string> methods, Factory factory);

  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const HTTPServerRequest& request) override;

 private:
  struct Route {
    std::string path;
    std::string name;
    bool prefix;
    Factory factory;
    std::vector<std::string> methods;  // empty: any
  };

  SimContext& context_;
  std::vector<Route> routes_;
};

// A factory of endpoints of type T.
template <typename T>
Router::Factory Make() {
  return [](SimContext& context, RouteMatch match) {
    return new T(context, std::move(match));
  };
}

// The router of every route of marathon-sim: Marathon's API, then /_sim.
// The first matching route wins.
Poco::Net::HTTPRequestHandlerFactory::Ptr BuildRouter(SimContext& context);

}  // namespace mlb::tools::sim
