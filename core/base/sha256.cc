#include "core/base/sha256.h"

#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace mlb {
namespace {

// The constants of FIPS 180-4 §4.2.2 and §5.3.3 are the first 32 bits of
// the fractional parts of the cube roots of the first 64 primes and of the
// square roots of the first 8. They are computed here, exactly, with integer
// arithmetic rather than typed in: floor(root(p) * 2^32) is the largest x
// with x^3 <= p * 2^96 (or x^2 <= p * 2^64), and its low 32 bits are the
// fraction's.

constexpr uint32_t NthPrime(int n) {
  uint32_t candidate = 1;
  for (int found = 0; found <= n;) {
    ++candidate;
    bool prime = candidate >= 2;
    for (uint32_t d = 2; d * d <= candidate; ++d) {
      if (candidate % d == 0) {
        prime = false;
        break;
      }
    }
    if (prime) {
      ++found;
    }
  }
  return candidate;
}

// Largest x with x^power <= value * 2^(32 * power), low 32 bits.
constexpr uint32_t RootFraction(uint32_t value, int power) {
  __extension__ typedef unsigned __int128 u128;
  const u128 target = static_cast<u128>(value) << (32 * power);
  uint64_t low = 0;
  uint64_t high = uint64_t{1} << 36;  // root(311) * 2^32 < 2^36
  while (low < high) {
    const uint64_t mid = low + (high - low + 1) / 2;
    u128 p = 1;
    for (int i = 0; i < power; ++i) {
      p *= mid;
    }
    if (p <= target) {
      low = mid;
    } else {
      high = mid - 1;
    }
  }
  return static_cast<uint32_t>(low);
}

struct Constants {
  uint32_t k[64] = {};
  uint32_t h[8] = {};
};

constexpr Constants MakeConstants() {
  Constants c;
  for (int i = 0; i < 64; ++i) {
    c.k[i] = RootFraction(NthPrime(i), 3);
  }
  for (int i = 0; i < 8; ++i) {
    c.h[i] = RootFraction(NthPrime(i), 2);
  }
  return c;
}

constexpr Constants kConstants = MakeConstants();
static_assert(kConstants.k[0] == 0x428a2f98u && kConstants.k[63] == 0xc67178f2u,
              "round constants");
static_assert(kConstants.h[0] == 0x6a09e667u && kConstants.h[7] == 0x5be0cd19u,
              "initial hash value");

using BlockFunction = void (*)(uint32_t state[8], const uint8_t* block);

uint32_t Rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

uint32_t LoadBigEndian(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// FIPS 180-4 §6.2.2, as written there.
void PortableBlock(uint32_t state[8], const uint8_t* block) {
  uint32_t w[64];
  for (int t = 0; t < 16; ++t) {
    w[t] = LoadBigEndian(block + 4 * t);
  }
  for (int t = 16; t < 64; ++t) {
    const uint32_t s0 =
        Rotr(w[t - 15], 7) ^ Rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
    const uint32_t s1 =
        Rotr(w[t - 2], 17) ^ Rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
    w[t] = s1 + w[t - 7] + s0 + w[t - 16];
  }
  uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
  uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
  for (int t = 0; t < 64; ++t) {
    const uint32_t sum1 = Rotr(e, 6) ^ Rotr(e, 11) ^ Rotr(e, 25);
    const uint32_t choose = (e & f) ^ (~e & g);
    const uint32_t t1 = h + sum1 + choose + kConstants.k[t] + w[t];
    const uint32_t sum0 = Rotr(a, 2) ^ Rotr(a, 13) ^ Rotr(a, 22);
    const uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
    const uint32_t t2 = sum0 + majority;
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
  state[4] += e;
  state[5] += f;
  state[6] += g;
  state[7] += h;
}

#if defined(__x86_64__)
// The same block with the SHA extensions. SHA256RNDS2 does two rounds on
// the state split as ABEF and CDGH (A in the high lane), with the sum of
// message words and round constants in the low half of its third operand;
// SHA256MSG1/MSG2 compute the message schedule four words at a time:
//   W[t..t+3] = MSG2(MSG1(W[t-16..], W[t-12..]) + W[t-7..t-4], W[t-4..t-1])
__attribute__((target("sha,sse4.1"))) void ShaNiBlock(uint32_t state[8],
                                                      const uint8_t* block) {
  // Lanes are listed low to high.
  const __m128i abcd =
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(state));  // A B C D
  const __m128i efgh =
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(state + 4));  // E F G H
  const __m128i badc = _mm_shuffle_epi32(abcd, 0xB1);                // B A D C
  const __m128i hgfe = _mm_shuffle_epi32(efgh, 0x1B);                // H G F E
  __m128i abef = _mm_alignr_epi8(badc, hgfe, 8);                     // F E B A
  __m128i cdgh = _mm_blend_epi16(hgfe, badc, 0xF0);                  // H G D C
  const __m128i saved_abef = abef;
  const __m128i saved_cdgh = cdgh;

  // Each 32-bit word of the block is big-endian.
  const __m128i byte_swap =
      _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  __m128i w[4];
  for (int i = 0; i < 16; ++i) {
    __m128i words;
    if (i < 4) {
      words = _mm_shuffle_epi8(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16 * i)),
          byte_swap);
    } else {
      const __m128i w16 = w[i & 3];        // W[4i-16 .. 4i-13]
      const __m128i w12 = w[(i + 1) & 3];  // W[4i-12 .. 4i-9]
      const __m128i w8 = w[(i + 2) & 3];   // W[4i-8 .. 4i-5]
      const __m128i w4 = w[(i + 3) & 3];   // W[4i-4 .. 4i-1]
      words = _mm_sha256msg2_epu32(
          _mm_add_epi32(_mm_sha256msg1_epu32(w16, w12),
                        _mm_alignr_epi8(w4, w8, 4)),  // W[4i-7 .. 4i-4]
          w4);
    }
    w[i & 3] = words;
    __m128i wk = _mm_add_epi32(
        words, _mm_loadu_si128(
                   reinterpret_cast<const __m128i*>(kConstants.k + 4 * i)));
    cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);  // now the new ABEF
    wk = _mm_shuffle_epi32(wk, 0x0E);              // the upper two words
    abef = _mm_sha256rnds2_epu32(abef, cdgh, wk);  // the old ABEF is CDGH
  }
  abef = _mm_add_epi32(abef, saved_abef);
  cdgh = _mm_add_epi32(cdgh, saved_cdgh);

  const __m128i abef_in_order = _mm_shuffle_epi32(abef, 0x1B);  // A B E F
  const __m128i ghcd = _mm_shuffle_epi32(cdgh, 0xB1);           // G H C D
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state),
                   _mm_blend_epi16(abef_in_order, ghcd, 0xF0));  // A B C D
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state + 4),
                   _mm_alignr_epi8(ghcd, abef_in_order, 8));  // E F G H
}

bool HasShaNi() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
    return false;
  }
  const bool sha = (ebx & (1u << 29)) != 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
    return false;
  }
  const bool sse41 = (ecx & (1u << 19)) != 0;
  const bool ssse3 = (ecx & (1u << 9)) != 0;
  return sha && sse41 && ssse3;
}
#endif

BlockFunction ChooseBlockFunction() {
#if defined(__x86_64__)
  if (HasShaNi()) {
    return &ShaNiBlock;
  }
#endif
  return &PortableBlock;
}

// Padding (§5.1.1) and the blocks, one call per string.
Sha256Digest Hash(std::string_view data, BlockFunction block) {
  uint32_t state[8];
  std::memcpy(state, kConstants.h, sizeof(state));
  const uint8_t* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t left = data.size();
  for (; left >= 64; left -= 64, p += 64) {
    block(state, p);
  }
  // The tail, 0x80, zeros and the length in bits: one block or two.
  uint8_t tail[128] = {};
  std::memcpy(tail, p, left);
  tail[left] = 0x80;
  const size_t tail_size = left < 56 ? 64 : 128;
  const uint64_t bits = static_cast<uint64_t>(data.size()) * 8;
  for (int i = 0; i < 8; ++i) {
    tail[tail_size - 1 - i] = static_cast<uint8_t>(bits >> (8 * i));
  }
  block(state, tail);
  if (tail_size == 128) {
    block(state, tail + 64);
  }
  Sha256Digest digest;
  for (int i = 0; i < 8; ++i) {
    digest[4 * i] = static_cast<uint8_t>(state[i] >> 24);
    digest[4 * i + 1] = static_cast<uint8_t>(state[i] >> 16);
    digest[4 * i + 2] = static_cast<uint8_t>(state[i] >> 8);
    digest[4 * i + 3] = static_cast<uint8_t>(state[i]);
  }
  return digest;
}

}  // namespace

Sha256Digest Sha256(std::string_view data) {
  static const BlockFunction block = ChooseBlockFunction();
  return Hash(data, block);
}

Sha256Digest Sha256Portable(std::string_view data) {
  return Hash(data, &PortableBlock);
}

}  // namespace mlb
