// The HTTP plumbing of marathon-sim: what the router hands an endpoint, the
// base class of every endpoint, and the connection under a request.
#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "tools/marathon_sim/context.h"
#include "tools/marathon_sim/state.h"

namespace mlb::tools::sim {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

// What the router learned about a request, handed to the endpoint.
struct RouteMatch {
  std::string path;  // Decoded; no repeated or trailing slashes.
  std::string rest;  // Part of the path after a prefix route ("" for exact).
  Poco::URI::QueryParameters query;
};

// Ends the connection under `request` at once: no response, or no final
// chunk of a response already under way.
void AbortConnection(HTTPServerRequest& request, HTTPServerResponse& response);

// Whether the client has closed its end (or reset it).
bool PeerClosed(HTTPServerRequest& request);

// Base class of every endpoint.  Checks the method, catches exceptions and
// logs one line per request when the response is sent.
class Endpoint : public Poco::Net::HTTPRequestHandler {
 public:
  Endpoint(SimContext& context, RouteMatch match)
      : context_(context), match_(std::move(match)) {}

  void handleRequest(HTTPServerRequest& request,
                     HTTPServerResponse& response) override;

 protected:
  // Methods the endpoint answers; others get 405.  Empty means any method.
  virtual std::vector<std::string> AllowedMethods() const { return {"GET"}; }
  virtual void Handle(HTTPServerRequest& request,
                      HTTPServerResponse& response) = 0;

  SimContext& context() const { return context_; }
  const RouteMatch& match() const { return match_; }

  // True if any `embed` query parameter equals one of the given values.
  bool Embeds(const std::vector<std::string>& values) const;

  // The first value of query parameter `key`, or "" if absent.
  std::string QueryValue(const std::string& key, bool* present = nullptr) const;

  // Loads the state; on failure answers 500 and returns false.
  bool LoadState(HTTPServerRequest& request, HTTPServerResponse& response,
                 State* state);

  // Reads the request body; on failure (too large) answers 413 and returns
  // false.
  static bool ReadBody(HTTPServerRequest& request, HTTPServerResponse& response,
                       std::string* body);

  static void Send(HTTPServerRequest& request, HTTPServerResponse& response,
                   HTTPResponse::HTTPStatus status, const std::string& type,
                   const std::string& body);

  static void SendJson(HTTPServerRequest& request, HTTPServerResponse& response,
                       HTTPResponse::HTTPStatus status,
                       const Poco::Dynamic::Var& body);
  // The same for a body already in JSON.
  static void SendJsonText(HTTPServerRequest& request,
                           HTTPServerResponse& response,
                           HTTPResponse::HTTPStatus status,
                           const std::string& json);

  static void SendMessage(HTTPServerRequest& request,
                          HTTPServerResponse& response,
                          HTTPResponse::HTTPStatus status,
                          const std::string& message);

  // SendJson() gzip-compressed ("Content-Encoding: gzip") when the request
  // accepts gzip and the simulator may (not --no-gzip), as Marathon does for
  // its REST answers; counted in the stats (apps* counters).
  void SendJsonMaybeGzip(HTTPServerRequest& request,
                         HTTPServerResponse& response,
                         HTTPResponse::HTTPStatus status,
                         const Poco::Dynamic::Var& body);
  // The same in parts, for an answer made once and kept: whether to
  // compress; `json` itself, or with `gzipped` (not null) that instead.
  bool WantsGzip(const HTTPServerRequest& request) const;
  void SendJsonOrGzipped(HTTPServerRequest& request,
                         HTTPServerResponse& response,
                         HTTPResponse::HTTPStatus status,
                         const std::string& json, const std::string* gzipped);
  static std::string Gzip(const std::string& text);

  // The per-request log line.  Send() calls it; /v2/events calls it before
  // its long-lived response starts.
  static void LogRequest(const HTTPServerRequest& request, int status);

 private:
  static std::string ExceptionText(const std::exception& e);

  SimContext& context_;
  RouteMatch match_;
};

}  // namespace mlb::tools::sim
