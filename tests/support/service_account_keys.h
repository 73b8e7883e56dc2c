// Keys and secrets for the DC/OS service-account tests. Every key is made at
// run time (Poco::Crypto, in memory): no private key is in the repository.
// Header-only, Poco only (the simulator's tests link no part of
// marathon-lb).
#pragma once

#include <Poco/Crypto/ECKey.h>
#include <Poco/Crypto/EVPPKey.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/JSON/Object.h>

#include <sstream>
#include <string>

namespace mlb::testing {

struct RsaKeyPair {
  std::string private_pem;  // PKCS#1 "RSA PRIVATE KEY"
  std::string public_pem;
};

// A new 2048-bit RSA key pair.
inline RsaKeyPair MakeRsaKeyPair() {
  const Poco::Crypto::RSAKey key(Poco::Crypto::RSAKey::KL_2048,
                                 Poco::Crypto::RSAKey::EXP_LARGE);
  std::ostringstream public_pem, private_pem;
  key.save(&public_pem, &private_pem);
  return {private_pem.str(), public_pem.str()};
}

// One key pair per test process (made on first use: about 0.1 s).
inline const RsaKeyPair& TestRsaKeys() {
  static const RsaKeyPair keys = MakeRsaKeyPair();
  return keys;
}

// The private key of `keys`, encrypted with `passphrase` (PEM).
inline std::string EncryptedPrivateKey(const RsaKeyPair& keys,
                                       const std::string& passphrase) {
  std::istringstream in(keys.private_pem);
  const Poco::Crypto::RSAKey key(nullptr, &in);
  std::ostringstream out;
  key.save(nullptr, &out, passphrase);
  return out.str();
}

// The private key of `keys` as PKCS#8 ("PRIVATE KEY"), the form DC/OS's
// `dcos security org service-accounts keypair` writes.
inline std::string Pkcs8PrivateKey(const RsaKeyPair& keys) {
  std::istringstream in(keys.private_pem);
  const Poco::Crypto::EVPPKey key(nullptr, &in);
  std::ostringstream out;
  key.save(nullptr, &out);
  return out.str();
}

// A new EC (P-256) private key, PEM: not a key RS256 can use.
inline std::string MakeEcPrivateKey() {
  const Poco::Crypto::ECKey key("prime256v1");
  std::ostringstream public_pem, private_pem;
  key.save(&public_pem, &private_pem);
  return private_pem.str();
}

// The JSON of a DC/OS service-account secret.
inline std::string CredentialsJson(const std::string& uid,
                                   const std::string& private_pem,
                                   const std::string& login_endpoint) {
  Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
  object.set("uid", uid);
  object.set("private_key", private_pem);
  object.set("login_endpoint", login_endpoint);
  std::ostringstream out;
  object.stringify(out);
  return out.str();
}

// A line from the middle of a PEM text (base64, 64 characters): what a leak
// of the key would show.
inline std::string PemBodyLine(const std::string& pem) {
  std::istringstream in(pem);
  std::string line;
  for (int n = 0; std::getline(in, line); ++n) {
    if (n == 3) {
      return line;
    }
  }
  return pem;
}

}  // namespace mlb::testing
