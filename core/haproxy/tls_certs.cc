#include "core/haproxy/tls_certs.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "core/base/files.h"
#include "core/base/text.h"

namespace mlb {
namespace {

// OpenSSL objects, freed by their own functions.
template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;

// The oldest error on OpenSSL's queue, which is then emptied.
std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) {
    return "unknown OpenSSL error";
  }
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

BioPtr MemoryBio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// A passphrase callback that refuses: an encrypted key fails to load instead
// of prompting on the terminal (HAProxy cannot use one either).
int NoPassphrase(char*, int, int, void*) { return -1; }

KeyPtr ReadPrivateKey(const std::string& pem) {
  BioPtr bio = MemoryBio(pem);
  KeyPtr key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  ERR_clear_error();
  return key;
}

// A certificate or key file is a few kilobytes; a bundle with a chain a few
// tens. What is larger is not one (and /dev/zero would never end).
constexpr uint64_t kMaxCertificateBytes = 1 << 20;

// Whether HAProxy reads `name`, in a `crt` directory, as a certificate:
// not its companions (.key, .ocsp, .issuer, .sctl), which it reads with the
// certificate of the same name.
bool IsCertificateName(const std::string& name) {
  for (const char* companion : {".key", ".ocsp", ".issuer", ".sctl"}) {
    const size_t n = std::strlen(companion);
    if (name.size() >= n && name.compare(name.size() - n, n, companion) == 0) {
      return false;
    }
  }
  return name != "." && name != "..";
}

// `path` is a regular file (already read into `pem`). Sets *key_from_file
// when the key came from `path`.key.
Status CheckPem(const std::string& path, const std::string& pem,
                bool* key_from_file) {
  *key_from_file = false;
  const std::string context = "certificate " + path;
  X509Ptr cert;
  {
    BioPtr bio = MemoryBio(pem);
    cert.reset(PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr));
    ERR_clear_error();
  }
  if (cert == nullptr) {
    return Status::Error(context, "no PEM certificate in the file");
  }
  KeyPtr key = ReadPrivateKey(pem);
  if (key == nullptr) {
    // HAProxy's ssl-load-extra-files (default: all) looks for <crt>.key.
    const std::string key_path = path + ".key";
    std::string key_pem;
    int error = 0;
    const Status read =
        ReadRegularFile(key_path, &key_pem, kMaxCertificateBytes, &error);
    if (!read.ok()) {
      if (error == ENOENT) {
        return Status::Error(context,
                             "no private key in the file or in " + key_path);
      }
      return Status::Error(context,
                           "cannot read " + key_path + ": " + read.message());
    }
    key = ReadPrivateKey(key_pem);
    if (key == nullptr) {
      return Status::Error(context,
                           "no private key in the file or in " + key_path);
    }
    *key_from_file = true;
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return Status::Error(context,
                         "the private key does not match the certificate");
  }
  return Status::OK();
}

}  // namespace

EnvironmentCertificates ReadEnvironmentCertificates() {
  EnvironmentCertificates env;
  if (const char* main = std::getenv("HAPROXY_SSL_CERT"); main && *main) {
    env.main = main;
  }
  for (int i = 0; i <= 100; ++i) {
    const std::string name = "HAPROXY_SSL_CERT" + std::to_string(i);
    if (const char* text = std::getenv(name.c_str()); text && *text) {
      env.numbered[i] = text;
    }
  }
  return env;
}

std::string ExpandEchoEscapes(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 1);
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i++];
    if (c != '\\' || i == text.size()) {
      out.push_back(c);
      continue;
    }
    const char e = text[i++];
    switch (e) {
      case 'a':
        out.push_back('\a');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'e':
      case 'E':
        out.push_back('\x1b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'v':
        out.push_back('\v');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case 'c':
        return out;  // no more output, not even the newline
      case '0': {    // \0 and up to three octal digits
        int value = 0;
        for (int n = 0;
             n < 3 && i < text.size() && text[i] >= '0' && text[i] <= '7';
             ++n) {
          value = value * 8 + (text[i++] - '0');
        }
        out.push_back(static_cast<char>(value & 0xFF));
        break;
      }
      case 'x':
      case 'u':
      case 'U': {
        const int max_digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        uint32_t value = 0;
        int digits = 0;
        while (digits < max_digits && i < text.size() &&
               HexValue(text[i]) >= 0) {
          value = value * 16 + static_cast<uint32_t>(HexValue(text[i++]));
          ++digits;
        }
        if (digits == 0) {  // bash keeps "\x" (etc.) as it is
          out.push_back('\\');
          out.push_back(e);
        } else if (e == 'x') {
          out.push_back(static_cast<char>(value));
        } else {
          AppendUtf8(value, &out);
        }
        break;
      }
      default:  // not an escape: both characters stay
        out.push_back('\\');
        out.push_back(e);
        break;
    }
  }
  out.push_back('\n');
  return out;
}

Status WritePrivateFile(const std::string& path, const std::string& text) {
  AtomicWriteOptions options;
  options.mode = 0600;
  return WriteFileAtomically(path, text, options);
}

Status GenerateSelfSignedCertificate(const std::string& path,
                                     const std::string& common_name, int days) {
  const std::string context =
      "cannot generate a self-signed certificate in " + path;
  KeyPtr key(EVP_RSA_gen(2048));
  X509Ptr cert(X509_new());
  BignumPtr serial(BN_new());
  if (key == nullptr || cert == nullptr || serial == nullptr) {
    return Status::Error(context, OpenSslError());
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  const bool built =
      X509_set_version(cert.get(), 2) == 1 &&  // v3
      BN_rand(serial.get(), 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) !=
          nullptr &&
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) != nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(cert.get()),
                      static_cast<long>(days) * 24 * 3600) != nullptr &&
      X509_set_pubkey(cert.get(), key.get()) == 1 &&
      X509_NAME_add_entry_by_txt(
          name, "CN", MBSTRING_UTF8,
          reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
          0) == 1 &&
      X509_set_issuer_name(cert.get(), name) == 1 &&
      X509_sign(cert.get(), key.get(), EVP_sha256()) > 0;
  if (!built) {
    return Status::Error(context, OpenSslError());
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0,
                               nullptr, nullptr) != 1) {
    return Status::Error(context, OpenSslError());
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return WritePrivateFile(path, std::string(data, static_cast<size_t>(size)));
}

Status PrepareFrontendCertificates(const FrontendCertificateOptions& options,
                                   const EnvironmentCertificates& env,
                                   FrontendCertificates* out) {
  *out = FrontendCertificates();
  const bool flag_given = !options.ssl_certs.empty();
  if (flag_given) {
    size_t start = 0;
    for (;;) {
      const size_t comma = options.ssl_certs.find(',', start);
      const std::string entry = options.ssl_certs.substr(start, comma - start);
      if (entry.empty()) {
        return Status::Error("--ssl-certs",
                             "empty entry in '" + options.ssl_certs + "'");
      }
      out->certs.push_back({entry, "--ssl-certs", false});
      if (comma == std::string::npos) {
        break;
      }
      start = comma + 1;
    }
  }
  if (env.main) {
    FrontendCertificate main{options.default_path, "HAPROXY_SSL_CERT",
                             !options.write};
    if (options.write) {
      MLB_RETURN_IF_ERROR(
          WritePrivateFile(main.path, ExpandEchoEscapes(*env.main))
              .WithContext("HAPROXY_SSL_CERT"));
      out->notes.push_back("wrote HAPROXY_SSL_CERT to " + main.path);
    }
    out->certs.push_back(main);
    const std::string dir = DirectoryOf(options.default_path);
    for (const auto& [i, text] : env.numbered) {
      const std::string name = "HAPROXY_SSL_CERT" + std::to_string(i);
      FrontendCertificate extra{
          (dir == "/" ? "" : dir) + "/cert" + std::to_string(i) + ".pem", name,
          !options.write};
      if (options.write) {
        MLB_RETURN_IF_ERROR(
            WritePrivateFile(extra.path, ExpandEchoEscapes(text))
                .WithContext(name));
        out->notes.push_back("wrote " + name + " to " + extra.path);
      }
      out->certs.push_back(extra);
    }
    return Status::OK();
  }
  if (flag_given) {
    return Status::OK();
  }
  FrontendCertificate fallback{options.default_path, "--default-ssl-cert",
                               false};
  struct stat st;
  if (stat(fallback.path.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return Status::Error(
          "--default-ssl-cert",
          "cannot look at " + fallback.path + ": " + std::strerror(errno));
    }
    if (options.write) {
      MLB_RETURN_IF_ERROR(GenerateSelfSignedCertificate(fallback.path, "*")
                              .WithContext("--default-ssl-cert"));
      out->notes.push_back(
          "generated a self-signed certificate (CN *, 2048-bit RSA, 3650 "
          "days) in " +
          fallback.path + ": neither --ssl-certs nor HAPROXY_SSL_CERT is set");
    } else {
      fallback.pending = true;
    }
  }
  out->certs.push_back(fallback);
  return Status::OK();
}

Status CheckCertificateFile(const std::string& path) {
  const std::string context = "certificate " + path;
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    // HAProxy loads every certificate of a `crt` directory, and refuses the
    // config if one is not, or if there is none.
    DIR* dir = opendir(path.c_str());
    if (dir == nullptr) {
      return Status::Error(context,
                           std::string("cannot read: ") + std::strerror(errno));
    }
    // It skips what is not a regular file.
    std::vector<std::string> files;
    while (const dirent* e = readdir(dir)) {
      struct stat entry;
      const std::string file =
          path + (path.back() == '/' ? "" : "/") + e->d_name;
      if (IsCertificateName(e->d_name) && stat(file.c_str(), &entry) == 0 &&
          S_ISREG(entry.st_mode)) {
        files.push_back(file);
      }
    }
    closedir(dir);
    if (files.empty()) {
      return Status::Error(context, "a directory without certificates");
    }
    std::sort(files.begin(), files.end());
    for (const std::string& file : files) {
      MLB_RETURN_IF_ERROR(CheckCertificateFile(file));
    }
    return Status::OK();
  }
  std::string pem;
  const Status read = ReadRegularFile(path, &pem, kMaxCertificateBytes);
  if (!read.ok()) {
    return Status::Error(context, "cannot read: " + read.message());
  }
  bool key_from_file = false;
  return CheckPem(path, pem, &key_from_file);
}

Status CertificateChecker::Check(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    checked_.erase(path);
    return CheckCertificateFile(path);
  }
  auto same_time = [](const timespec& a, const timespec& b) {
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
  };
  auto it = checked_.find(path);
  if (it != checked_.end() && it->second.device == st.st_dev &&
      it->second.inode == st.st_ino && it->second.size == st.st_size &&
      same_time(it->second.mtime, st.st_mtim) &&
      same_time(it->second.ctime, st.st_ctim)) {
    return it->second.status;
  }
  std::string pem;
  const Status read = ReadRegularFile(path, &pem, kMaxCertificateBytes);
  if (!read.ok()) {
    checked_.erase(path);
    return Status::Error("certificate " + path,
                         "cannot read: " + read.message());
  }
  bool key_from_file = false;
  Status status = CheckPem(path, pem, &key_from_file);
  if (key_from_file) {
    // The verdict also depends on <path>.key, which is not watched.
    checked_.erase(path);
  } else {
    checked_[path] = {st.st_dev,  st.st_ino,  st.st_size,
                      st.st_mtim, st.st_ctim, status};
  }
  return status;
}

}  // namespace mlb
