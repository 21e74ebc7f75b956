// The vector layer's own test: every operation of cpp/simd at one ISA level (this file is
// compiled once per level, PK_ISA_NS naming it) against its scalar definition, lane by
// lane, on random inputs. Exits non-zero on the first mismatch. .ci/simd runs it at every
// level the CPU supports.
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

#include "simd/simd.hpp"

using namespace pk;
using namespace pk::PK_ISA_NS;

namespace {

int g_failures = 0;
std::mt19937 g_rng(12345);

[[maybe_unused]] void check(bool ok, const char* what, int lane) {
    if (!ok && g_failures++ < 20) std::printf("FAIL %s lane %d\n", what, lane);
}

[[maybe_unused]] bool same_bits(float a, float b) { return std::memcmp(&a, &b, 4) == 0 || (std::isnan(a) && std::isnan(b)); }
[[maybe_unused]] bool same_bits(double a, double b) { return std::memcmp(&a, &b, 8) == 0 || (std::isnan(a) && std::isnan(b)); }

template <class T> [[maybe_unused]] T rnd();
template <> [[maybe_unused]] uint16_t rnd<uint16_t>() { return uint16_t(g_rng() % 2048); }
template <> [[maybe_unused]] uint8_t rnd<uint8_t>() { return uint8_t(g_rng()); }
template <> [[maybe_unused]] int16_t rnd<int16_t>() { return int16_t(g_rng()); }
template <> [[maybe_unused]] float rnd<float>() {
    const unsigned r = g_rng() % 16;
    if (r == 0) return NAN;
    if (r == 1) return -0.0f;
    return std::uniform_real_distribution<float>(-300.0f, 300.0f)(g_rng);
}
template <> [[maybe_unused]] double rnd<double>() {
    const unsigned r = g_rng() % 16;
    if (r == 0) return NAN;
    return std::uniform_real_distribution<double>(-300.0, 300.0)(g_rng);
}

template <class S>
void test_u16() {
    constexpr int N = S::N;
    alignas(64) uint16_t a[2 * N], b[2 * N], o[2 * N], o2[2 * N];
    alignas(64) uint8_t raw[4 * N], bytes[4 * N];
    for (int rep = 0; rep < 50; ++rep) {
        for (int i = 0; i < 2 * N; ++i) a[i] = rnd<uint16_t>(), b[i] = rnd<uint16_t>();
        for (int i = 0; i < 4 * N; ++i) raw[i] = rnd<uint8_t>();
        const typename S::V va = S::load(a), vb = S::load(b);
        S::store(o, S::add(va, vb));
        for (int i = 0; i < N; ++i) check(o[i] == uint16_t(a[i] + b[i]), "U16::add", i);
        S::store(o, S::mul(va, vb));
        for (int i = 0; i < N; ++i) check(o[i] == uint16_t(a[i] * b[i]), "U16::mul", i);
        S::store(o, S::template shl<3>(va));
        for (int i = 0; i < N; ++i) check(o[i] == uint16_t(a[i] << 3), "U16::shl", i);
        S::store(o, S::template shr<2>(va));
        for (int i = 0; i < N; ++i) check(o[i] == uint16_t(a[i] >> 2), "U16::shr", i);
        S::store(o, S::set1(77));
        for (int i = 0; i < N; ++i) check(o[i] == 77, "U16::set1", i);
        const typename S::V vr = S::load_raw(raw);
        S::store(o, S::template madd_u8<6, 4>(vr));
        for (int i = 0; i < N; ++i) check(o[i] == raw[2 * i] * 6 + raw[2 * i + 1] * 4, "U16::madd_u8", i);
        S::store(o, S::lo_u8(vr));
        for (int i = 0; i < N; ++i) check(o[i] == raw[2 * i], "U16::lo_u8", i);
        S::store(o, S::load_u8(raw));
        for (int i = 0; i < N; ++i) check(o[i] == raw[i], "U16::load_u8", i);
        typename S::V lo, hi;
        S::zip(va, vb, lo, hi);
        S::store(o, lo);
        S::store(o + N, hi);
        for (int i = 0; i < 2 * N; ++i) check(o[i] == (i % 2 ? b[i / 2] : a[i / 2]), "U16::zip", i);
        // store_u8x2 packs lanes <= 255 (saturating above)
        S::store_u8x2(bytes, S::lo_u8(va), S::lo_u8(vb));
        for (int i = 0; i < 2 * N; ++i) check(bytes[i] == (i < N ? a[i] & 0xff : b[i - N] & 0xff), "U16::store_u8x2", i);
        S::store(o, S::merge_hi(va, S::lo_u8(vb)));
        for (int i = 0; i < N; ++i) check(o[i] == ((a[i] & 0xff00) | (b[i] & 0xff)), "U16::merge_hi", i);
        if constexpr (simd::kHasByteShuffle) {
            alignas(64) uint8_t idx[2 * N];
            alignas(64) uint32_t didx[N / 2];
            for (int i = 0; i < 2 * N; ++i) idx[i] = uint8_t(g_rng() % 8 == 0 ? 0x80 : g_rng() % 16);
            for (int i = 0; i < N / 2; ++i) didx[i] = uint32_t(g_rng() % (N / 2));
            S::store_raw(bytes, S::shuffle_bytes(vr, idx));
            for (int i = 0; i < 2 * N; ++i)
                check(bytes[i] == (idx[i] & 0x80 ? 0 : raw[i / 16 * 16 + (idx[i] & 15)]), "U16::shuffle_bytes", i);
            S::store_raw(bytes, S::permute_dwords(vr, didx));
            for (int i = 0; i < 2 * N; ++i) check(bytes[i] == raw[4 * didx[i / 4] + i % 4], "U16::permute_dwords", i);
        }
        if constexpr (simd::kHasBytePermute) {
            alignas(64) uint8_t idx[2 * N];
            for (int i = 0; i < 2 * N; ++i) idx[i] = uint8_t(g_rng() % (2 * N));
            S::store_raw(bytes, S::permute_bytes(vr, idx));
            for (int i = 0; i < 2 * N; ++i) check(bytes[i] == raw[idx[i]], "U16::permute_bytes", i);
        }
        if constexpr (simd::kHasPermute2) {
            alignas(64) uint16_t idx[N];
            for (int i = 0; i < N; ++i) idx[i] = uint16_t(g_rng() % (2 * N));
            S::store(o2, S::gather_near(a, idx));
            for (int i = 0; i < N; ++i) check(o2[i] == a[idx[i]], "U16::gather_near", i);
        }
    }
}

template <class S, class C>
void test_float() {
    constexpr int N = S::N;
    alignas(64) C a[2 * N], b[2 * N], c[N], o[2 * N];
    alignas(64) int32_t ib[N], io[N];
    alignas(64) int64_t i64[N];
    for (int rep = 0; rep < 200; ++rep) {
        for (int i = 0; i < 2 * N; ++i) a[i] = rnd<C>(), b[i] = rnd<C>();
        for (int i = 0; i < N; ++i) c[i] = rnd<C>();
        const typename S::V va = S::load(a), vb = S::load(b), vc = S::load(c);
        S::store(o, S::add(va, vb));
        for (int i = 0; i < N; ++i) check(same_bits(o[i], C(a[i] + b[i])), "F::add", i);
        S::store(o, S::mul(va, vb));
        for (int i = 0; i < N; ++i) check(same_bits(o[i], C(a[i] * b[i])), "F::mul", i);
        S::store(o, S::div(va, vb));
        for (int i = 0; i < N; ++i) check(same_bits(o[i], C(a[i] / b[i])), "F::div", i);
        if constexpr (simd::kHasFma) {
            S::store(o, S::fma(va, vb, vc));
            for (int i = 0; i < N; ++i) check(same_bits(o[i], std::fma(a[i], b[i], c[i])), "F::fma", i);
        }
        S::store(o, S::take_max(va, vb));
        for (int i = 0; i < N; ++i) check(same_bits(o[i], (b[i] > a[i] || std::isnan(b[i])) ? b[i] : a[i]), "F::take_max", i);
        {
            typename S::V m = va;
            typename S::I idx = S::iset1(5);
            S::take_max(m, idx, vb, S::iadd(S::iota(2), S::iset1(1)));
            S::store(o, m);
            S::istore(io, idx);
            S::store_idx(i64, idx);
            for (int i = 0; i < N; ++i) {
                const bool take = b[i] > a[i] || std::isnan(b[i]);
                check(same_bits(o[i], take ? b[i] : a[i]), "F::take_max(idx) value", i);
                check(io[i] == (take ? 2 * i + 1 : 5), "F::take_max(idx) index", i);
                check(i64[i] == io[i], "F::store_idx", i);
            }
        }
        typename S::V e, od;
        S::unzip(va, S::load(a + N), e, od);
        S::store(o, e);
        S::store(o + N, od);
        for (int i = 0; i < N; ++i) check(same_bits(o[i], a[2 * i]) && same_bits(o[N + i], a[2 * i + 1]), "F::unzip", i);
        {
            typename S::V lo, hi;
            S::zip(va, vb, lo, hi);
            S::store(o, lo);
            S::store(o + N, hi);
            for (int i = 0; i < 2 * N; ++i) check(same_bits(o[i], i % 2 ? b[i / 2] : a[i / 2]), "F::zip", i);
            for (int n = 1; n <= N; ++n) {
                for (int i = 0; i < N; ++i) o[i] = c[i];
                S::store_first(o, va, n);
                for (int i = 0; i < N; ++i) check(same_bits(o[i], i < n ? a[i] : c[i]), "F::store_first", n * N + i);
            }
        }
        if constexpr (std::is_same_v<C, float>) {
            const typename S::V vn = S::load(a + N);
            S::store(o, S::prev1(vn, va));
            for (int i = 0; i < N; ++i) check(same_bits(o[i], i == 0 ? a[2 * N - 1] : a[i - 1]), "F32::prev1", i);
            S::store(o, S::next1(va, vn));
            for (int i = 0; i < N; ++i) check(same_bits(o[i], a[i + 1]), "F32::next1", i);
            alignas(64) uint8_t u8[N];
            alignas(64) int16_t s16[N];
            alignas(64) half_t h16[N];
            alignas(64) uint16_t u16[2 * N];
            for (int i = 0; i < N; ++i) u8[i] = rnd<uint8_t>(), s16[i] = rnd<int16_t>(), h16[i].bits = uint16_t(g_rng());
            for (int i = 0; i < 2 * N; ++i) u16[i] = uint16_t(g_rng());
            S::store(o, S::load(u8));
            for (int i = 0; i < N; ++i) check(o[i] == float(u8[i]), "F32::load(uint8)", i);
            S::store(o, S::load(s16));
            for (int i = 0; i < N; ++i) check(o[i] == float(s16[i]), "F32::load(int16)", i);
            S::store(o, S::load(h16));
            for (int i = 0; i < N; ++i) check(same_bits(o[i], half_to_float(h16[i].bits)), "F32::load(float16)", i);
            using U = simd::Dependent<simd::U16, S>;
            if constexpr (U::N == 2 * N) {
                typename S::V wl, wh;
                S::widen(U::load(u16), wl, wh);
                S::store(o, wl);
                S::store(o + N, wh);
                for (int i = 0; i < 2 * N; ++i) check(o[i] == float(u16[i]), "F32::widen", i);
            }
            if constexpr (simd::kHasRoundU8) {
                alignas(64) uint8_t r[N];
                S::store_u8(r, va);
                for (int i = 0; i < N; ++i) {
                    if (std::isnan(a[i])) continue;  // unspecified
                    const float v = std::nearbyint(std::min(std::max(a[i], 0.0f), 255.0f));
                    check(r[i] == uint8_t(v), "F32::store_u8", i);
                }
            }
            if constexpr (simd::kHasGather) {
                for (int i = 0; i < N; ++i) ib[i] = int32_t(g_rng() % (2 * N));
                S::store(o, S::gather(a, ib));
                for (int i = 0; i < N; ++i) check(same_bits(o[i], a[ib[i]]), "F32::gather", i);
            }
            if constexpr (simd::kHasPermute2) {
                for (int i = 0; i < N; ++i) ib[i] = int32_t(g_rng() % (2 * N));
                S::store(o, S::gather_near(a, ib));
                for (int i = 0; i < N; ++i) check(same_bits(o[i], a[ib[i]]), "F32::gather_near", i);
            }
        } else {
            alignas(64) uint16_t u16[N];
            for (int i = 0; i < N; ++i) u16[i] = uint16_t(g_rng());
            S::store(o, S::load(u16));
            for (int i = 0; i < N; ++i) check(o[i] == double(u16[i]), "F64::load(uint16)", i);
        }
    }
}

template <class Dummy = void>
int run() {
    if constexpr (simd::kSimd) {
        test_u16<simd::Dependent<simd::U16, Dummy>>();
        test_float<simd::Dependent<simd::F32, Dummy>, float>();
        test_float<simd::Dependent<simd::F64, Dummy>, double>();
        std::printf("simd %s (%d-bit): %s\n", PK_ISA_NAME, simd::kBits, g_failures ? "FAILED" : "ok");
    } else {
        std::printf("simd %s: no vector operations at this level\n", PK_ISA_NAME);
    }
    return g_failures ? 1 : 0;
}

}  // namespace

int main() { return run(); }
