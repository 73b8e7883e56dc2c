// An HTTPS client for the end-to-end tests: one GET over TLS with a chosen
// SNI, reporting the certificate HAProxy presented and the echo backend that
// answered.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tests/support/integration_support.h"

namespace mlb::integration {

// What one HTTPS GET saw.
struct TlsReply {
  std::string error;    // set when there was no TLS session or no response
  std::string peer_cn;  // CN of the certificate the server presented
  int status = 0;       // HTTP status
  std::string backend;  // X-Backend: the echo backend that answered
  std::string Describe() const {
    return error.empty()
               ? "cn " + peer_cn + ", HTTP " + std::to_string(status) +
                     ", backend '" + backend + "'"
               : "error: " + error;
  }
};

// GET `path` over TLS to ip:port with SNI `sni` (none when empty) and Host
// `host`, on a new connection; no certificate verification; 2 s timeouts.
inline TlsReply HttpsGet(const std::string& ip, int port, const std::string& sni,
                  const std::string& host, const std::string& path = "/") {
  TlsReply out;
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval timeout{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    out.error = "connect: " + std::string(std::strerror(errno));
    close(fd);
    return out;
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  if (!sni.empty()) {
    SSL_set_tlsext_host_name(ssl, sni.c_str());
  }
  if (SSL_connect(ssl) != 1) {
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
    out.error = std::string("TLS handshake: ") + buf;
  } else {
    if (X509* peer = SSL_get1_peer_certificate(ssl)) {
      char cn[256] = {0};
      X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn,
                                sizeof(cn));
      out.peer_cn = cn;
      X509_free(peer);
    }
    const std::string request =
        "GET " + path + " HTTP/1.1\r\nHost: " + host +
        "\r\nConnection: close\r\n\r\n";
    std::string response;
    if (SSL_write(ssl, request.data(), static_cast<int>(request.size())) > 0) {
      char buf[4096];
      int n = 0;
      while ((n = SSL_read(ssl, buf, sizeof(buf))) > 0) {
        response.append(buf, static_cast<size_t>(n));
      }
    }
    const std::vector<std::string> lines =
        Lines(response.substr(0, response.find("\r\n\r\n")));
    if (lines.empty() || lines[0].rfind("HTTP/1.", 0) != 0) {
      out.error = "no HTTP response: '" + response + "'";
    } else {
      out.status = std::atoi(lines[0].c_str() + 9);
      for (const std::string& line : lines) {
        if (strncasecmp(line.c_str(), "X-Backend: ", 11) == 0) {
          out.backend = line.substr(11);
          if (!out.backend.empty() && out.backend.back() == '\r') {
            out.backend.pop_back();
          }
        }
      }
    }
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  close(fd);
  return out;
}

}  // namespace mlb::integration
