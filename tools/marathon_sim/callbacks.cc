#include "tools/marathon_sim/callbacks.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cstddef>
#include <exception>
#include <istream>

#include "tools/tool_support.h"

namespace mlb::tools::sim {
namespace {

// Callback deliveries waiting for the delivery thread; more are dropped.
constexpr std::size_t kMaxQueuedDeliveries = 10000;

}  // namespace

bool ValidateCallbackUrl(const std::string& url, std::string* error) {
  Poco::URI uri;
  try {
    uri = Poco::URI(url);
  } catch (const Poco::Exception& e) {
    *error =
        "callback URL '" + url + "' is not a valid URL: " + e.displayText();
    return false;
  }
  if (uri.getScheme() != "http") {
    *error = "callback URL '" + url + "' refused: only http:// is supported";
    return false;
  }
  Poco::Net::IPAddress address;
  if (!Poco::Net::IPAddress::tryParse(uri.getHost(), address) ||
      address.family() != Poco::Net::AddressFamily::IPv4 ||
      !address.isLoopback()) {
    *error = "callback URL '" + url +
             "' refused: the host must be an IPv4 address in 127.0.0.0/8";
    return false;
  }
  return true;
}

void Callbacks::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Callbacks::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Callbacks::Add(const std::string& url) {
  std::lock_guard<std::mutex> lock(mu_);
  if (std::find(urls_.begin(), urls_.end(), url) != urls_.end()) {
    return false;
  }
  urls_.push_back(url);
  return true;
}

bool Callbacks::Remove(const std::string& url) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::find(urls_.begin(), urls_.end(), url);
  if (it == urls_.end()) return false;
  urls_.erase(it);
  return true;
}

std::vector<std::string> Callbacks::Urls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return urls_;
}

void Callbacks::Enqueue(const std::string& body) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& url : urls_) {
      if (queue_.size() >= kMaxQueuedDeliveries) {
        ++stats_.callback_dropped;
        continue;
      }
      queue_.emplace_back(url, body);
    }
  }
  cv_.notify_all();
}

void Callbacks::Run() {
  while (true) {
    std::pair<std::string, std::string> delivery;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      delivery = std::move(queue_.front());
      queue_.pop_front();
    }
    std::string error;
    if (Post(delivery.first, delivery.second, &error)) {
      ++stats_.callback_ok;
    } else {
      ++stats_.callback_failed;
      LogLine(std::string(kProgram) + ": callback delivery to " +
              delivery.first + " failed: " + error);
    }
  }
}

bool Callbacks::Post(const std::string& url, const std::string& body,
                     std::string* error) {
  try {
    const Poco::URI uri(url);
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(1, 0), Poco::Timespan(2, 0),
                       Poco::Timespan(2, 0));
    std::string target = uri.getPathAndQuery();
    if (target.empty()) target = "/";
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, target,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    request.setKeepAlive(false);
    request.set("User-Agent", std::string(kProgram) + "/" + kVersion);
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    std::string ignored;
    Poco::StreamCopier::copyToString(in, ignored);
    const int status = static_cast<int>(response.getStatus());
    if (status < 200 || status > 299) {
      *error = "HTTP " + std::to_string(status) + " " + response.getReason();
      return false;
    }
    return true;
  } catch (const Poco::Exception& e) {
    *error = e.displayText();
  } catch (const std::exception& e) {
    *error = e.what();
  }
  return false;
}

}  // namespace mlb::tools::sim
