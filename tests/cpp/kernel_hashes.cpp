// Every kernel of the table on fixed pseudo-random inputs, at every ISA level this CPU
// runs: one line per case, "level entry dtype case hash", the hash (FNV-1a) of the
// output's bytes. The inputs are the same on every architecture (mt19937 and integer
// arithmetic only; float inputs are small integers / 64), so an x86 run and an aarch64 run
// (under qemu-user) compare line for line. tests/cpp/compare_hashes.py checks that every
// level of every architecture gives the same bytes, except the kernels that use fused
// multiply-adds (conv2d, conv_transpose2d, aspp), whose FMA levels (x86 avx2 and up,
// aarch64 neon) agree with each other and whose other levels agree with each other.
#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/dispatch.hpp"
#include "core/kernels.hpp"

using namespace pk;

namespace {

std::mt19937 g_rng(2024);
const char* g_level = "";
const int kThreads = 2;
const int kSize[kNumDTypes] = {1, 2, 2, 2, 4, 8};
const char* kName[kNumDTypes] = {"uint8", "uint16", "int16", "float16", "float32", "float64"};
enum { U8, U16, I16, F16, F32, F64 };
// Laplacian bands: Band<T> of core/dtype.hpp (int16, int32, int32, float32, float32, float64).
const int kBandSize[kNumDTypes] = {2, 4, 4, 4, 4, 8};

// An array of n0 x n1 planes of h rows of w pixels of cn channels, rows padded by pad
// elements (strided rows), filled by fill().
struct Arr {
    std::vector<uint64_t> mem;
    Image im;
    int es = 1;
    Arr(int es_, int64_t n0, int64_t n1, int64_t h, int64_t w, int64_t cn, int64_t pad = 0) : es(es_) {
        im.n0 = n0, im.n1 = n1, im.h = h, im.w = w, im.cn = cn;
        im.sh = (w * cn + pad) * es;
        im.s1 = h * im.sh;
        im.s0 = n1 * im.s1;
        mem.assign((size_t)((n0 * im.s0 + 64) / 8 + 1), 0xababababababababull);
        im.data = (char*)mem.data();
    }
    char* at(int64_t p, int64_t y) { return im.plane(p) + y * im.sh; }
    int64_t row_bytes() const { return im.w * im.cn * es; }
};

// A full-mantissa double in [-156, 156]: IEEE operations on integers only, so the same
// bits on every architecture, and sums whose rounding depends on their order (small
// integers alone would sum exactly and hide a different order or a fused multiply-add).
double wide(uint32_t r) { return double(int32_t(r % 20001) - 10000) / 64.0 + double(g_rng()) / 4294967296.0; }

// Pseudo-random values of a dtype, the same on every architecture.
void fill_value(char* p, int d) {
    const uint32_t r = g_rng();
    switch (d) {
        case U8: *(uint8_t*)p = uint8_t(r); break;
        case U16: { uint16_t v = uint16_t(r); std::memcpy(p, &v, 2); break; }
        case I16: { int16_t v = int16_t(r); std::memcpy(p, &v, 2); break; }
        case F16: {  // finite normals, 2^-5 .. 2^5
            uint16_t v = uint16_t(((r >> 20) & 1) << 15 | (10 + (r >> 21) % 11) << 10 | (r & 0x3ff));
            std::memcpy(p, &v, 2);
            break;
        }
        case F32: { float v = float(wide(r)); std::memcpy(p, &v, 4); break; }
        case F64: { double v = wide(r); std::memcpy(p, &v, 8); break; }
    }
}

// Band values (int16 / int32 / float / double by size): some beyond the image range.
void fill_band(char* p, int es, bool integer) {
    const uint32_t r = g_rng();
    if (integer && es == 2) { int16_t v = int16_t(int32_t(r % 801) - 400); std::memcpy(p, &v, 2); }
    else if (integer) { int32_t v = int32_t(r % 140001) - 70000; std::memcpy(p, &v, 4); }
    else if (es == 4) { float v = float(wide(r)); std::memcpy(p, &v, 4); }
    else { double v = wide(r); std::memcpy(p, &v, 8); }
}

void fill(Arr& a, int d) {
    for (int64_t p = 0; p < a.im.planes(); ++p)
        for (int64_t y = 0; y < a.im.h; ++y)
            for (int64_t i = 0; i < a.im.w * a.im.cn; ++i) fill_value(a.at(p, y) + i * a.es, d);
}

uint64_t hash(Arr& a, uint64_t h = 1469598103934665603ull) {
    for (int64_t p = 0; p < a.im.planes(); ++p)
        for (int64_t y = 0; y < a.im.h; ++y) {
            const unsigned char* r = (const unsigned char*)a.at(p, y);
            for (int64_t i = 0; i < a.row_bytes(); ++i) h = (h ^ r[i]) * 1099511628211ull;
        }
    return h;
}

void emit(const char* entry, int d, const std::string& what, uint64_t h) {
    std::printf("%s %s %s %s %016" PRIx64 "\n", g_level, entry, kName[d], what.c_str(), h);
}

std::string fmt(const char* f, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, f);
    std::vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    return buf;
}

BorderSpec border(int b) {
    BorderSpec s;
    s.type = Border(b);
    s.value = 3.0;
    return s;
}

const int64_t kSizes[][2] = {{1, 1}, {2, 3}, {5, 4}, {8, 7}, {17, 40}, {33, 67}, {70, 133}};

void run_pyramid() {
    const KernelTable& k = kernels();
    for (int d = 0; d < kNumDTypes; ++d) {
        for (auto [h, w] : kSizes)
            for (int64_t cn = 1; cn <= 4; ++cn)
                for (int b = 0; b <= 4; ++b) {
                    const int64_t n1 = cn == 1 ? 2 : 1, pad = (h + w) % 3;
                    Arr src(kSize[d], 1, n1, h, w, cn, pad);
                    fill(src, d);
                    const std::string c = fmt("%" PRId64 "x%" PRId64 "x%" PRId64 "/b%d", h, w, cn, b);
                    if (k.pyr_down[d]) {
                        Arr dst(kSize[d], 1, n1, (h + 1) / 2, (w + 1) / 2, cn);
                        k.pyr_down[d](src.im, dst.im, border(b), kThreads);
                        emit("pyr_down", d, c, hash(dst));
                    }
                    if (k.pyr_up[d]) {
                        Arr dst(kSize[d], 1, n1, 2 * h, 2 * w, cn);
                        k.pyr_up[d](src.im, dst.im, border(b), kThreads);
                        emit("pyr_up", d, c, hash(dst));
                    }
                    if (k.gaussian_pyramid[d] && h > 4) {
                        std::vector<std::unique_ptr<Arr>> lv;
                        std::vector<Image> ims;
                        int64_t lh = h, lw = w;
                        for (int i = 0; i < 3; ++i) {
                            lh = (lh + 1) / 2, lw = (lw + 1) / 2;
                            lv.push_back(std::make_unique<Arr>(kSize[d], 1, n1, lh, lw, cn));
                            ims.push_back(lv.back()->im);
                        }
                        k.gaussian_pyramid[d](src.im, ims.data(), 3, border(b), kThreads);
                        uint64_t hh = 1469598103934665603ull;
                        for (auto& a : lv) hh = hash(*a, hh);
                        emit("gaussian_pyramid", d, c, hh);
                    }
                    if (k.laplacian_sub[d] && k.laplacian_add[d]) {
                        const bool integer = d == U8 || d == U16 || d == I16;
                        Arr coarse(kSize[d], 1, n1, (h + 1) / 2, (w + 1) / 2, cn), band(kBandSize[d], 1, n1, h, w, cn);
                        fill(coarse, d);
                        k.laplacian_sub[d](coarse.im, src.im, band.im, border(b), kThreads);
                        emit("laplacian_sub", d, c, hash(band));
                        for (int64_t p = 0; p < band.im.planes(); ++p)
                            for (int64_t y = 0; y < h; ++y)
                                for (int64_t i = 0; i < w * cn; ++i) fill_band(band.at(p, y) + i * band.es, band.es, integer);
                        Arr fine(kSize[d], 1, n1, h, w, cn);
                        k.laplacian_add[d](coarse.im, band.im, fine.im, border(b), kThreads);
                        emit("laplacian_add", d, c, hash(fine));
                    }
                }
    }
}

void run_blur() {
    const KernelTable& k = kernels();
    // Integer weights summing to 2^(shift/2) (uint8: 16 fraction bits, uint16: 32), else doubles.
    const std::vector<double> u8y = {16, 64, 96, 64, 16}, u8x = {2, 20, 60, 92, 60, 20, 2};
    const std::vector<double> u16y = {4096, 16384, 24576, 16384, 4096}, u16x = {16384, 32768, 16384};
    const std::vector<double> fy = {0.0625, 0.25, 0.375, 0.25, 0.0625};
    const std::vector<double> fx = {0.01, 0.05, 0.12, 0.2, 0.24, 0.2, 0.12, 0.05, 0.01};
    for (int d = 0; d < kNumDTypes; ++d) {
        if (!k.gaussian_blur[d]) continue;
        const int shift = d == U8 ? 16 : d == U16 ? 32 : 0;
        const auto& ky = d == U8 ? u8y : d == U16 ? u16y : fy;
        const auto& kx = d == U8 ? u8x : d == U16 ? u16x : fx;
        for (auto [h, w] : kSizes)
            for (int64_t cn : {1, 3, 4})
                for (int b = 0; b <= 4; ++b) {
                    Arr src(kSize[d], 1, 1, h, w, cn, 1), dst(kSize[d], 1, 1, h, w, cn);
                    fill(src, d);
                    k.gaussian_blur[d](src.im, dst.im, ky.data(), (int)ky.size(), kx.data(), (int)kx.size(), shift,
                                       border(b), kThreads);
                    emit("gaussian_blur", d, fmt("%" PRId64 "x%" PRId64 "x%" PRId64 "/b%d", h, w, cn, b), hash(dst));
                }
    }
}

// Tap tables of an axis n -> m: 2 taps (linear, half-pixel centres) or 4 (cubic-like).
void axis_taps(int64_t n, int64_t m, int taps, std::vector<int32_t>& idx, std::vector<double>& wt) {
    idx.assign((size_t)(m * taps), 0);
    wt.assign((size_t)(m * taps), 0.0);
    for (int64_t o = 0; o < m; ++o) {
        const double c = (double(o) + 0.5) * double(n) / double(m) - 0.5;
        int64_t i0 = (int64_t)std::floor(c);
        const double f = c - double(i0);
        const double w2[2] = {1 - f, f};
        const double w4[4] = {-0.0625 * (1 - f), 0.5625 + 0.5 * (0.5 - f), 0.5625 - 0.5 * (0.5 - f), -0.0625 * f};
        for (int t = 0; t < taps; ++t) {
            int64_t i = i0 + t - (taps == 4 ? 1 : 0);
            i = i < 0 ? 0 : i >= n ? n - 1 : i;
            idx[(size_t)(o * taps + t)] = (int32_t)i;
            wt[(size_t)(o * taps + t)] = taps == 2 ? w2[t] : w4[t];
        }
    }
}

void run_resample() {
    const KernelTable& k = kernels();
    const int64_t cases[][5] = {{16, 20, 32, 40, 2}, {33, 47, 17, 23, 2}, {10, 12, 15, 18, 2}, {7, 9, 28, 36, 2},
                                {20, 30, 37, 41, 4}, {40, 64, 20, 32, 4}, {5, 70, 9, 140, 2}};
    for (int d = 0; d < kNumDTypes; ++d) {
        if (!k.resample[d]) continue;
        for (auto& c : cases)
            for (int64_t cn : {1, 2, 3, 4, 8}) {
                std::vector<int32_t> iy, ix;
                std::vector<double> wy, wx;
                axis_taps(c[0], c[2], (int)c[4], iy, wy);
                axis_taps(c[1], c[3], (int)c[4], ix, wx);
                Arr src(kSize[d], 1, 1, c[0], c[1], cn), dst(kSize[d], 1, 1, c[2], c[3], cn);
                fill(src, d);
                k.resample[d](src.im, dst.im, iy.data(), wy.data(), (int)c[4], ix.data(), wx.data(), (int)c[4], kThreads);
                emit("resample", d, fmt("%" PRId64 "x%" PRId64 "->%" PRId64 "x%" PRId64 "/t%" PRId64 "/c%" PRId64,
                                        c[0], c[1], c[2], c[3], c[4], cn), hash(dst));
            }
    }
}

// A feature map (n, c, h, w): NCHW planes, or channels-last pixels.
Arr feature(int d, int64_t n, int64_t c, int64_t h, int64_t w, bool last) {
    return last ? Arr(kSize[d], n, 1, h, w, c) : Arr(kSize[d], n, c, h, w, 1);
}

Arr weights(int d, int64_t count) {
    Arr a(kSize[d], 1, 1, 1, count, 1);
    for (int64_t i = 0; i < count; ++i) {  // small weights: sums stay well inside the float range
        const uint32_t r = g_rng();
        const double v = double(int32_t(r % 201) - 100) / 256.0 + double(g_rng()) / 1099511627776.0;
        if (d == F32) { float f = float(v); std::memcpy(a.at(0, 0) + 4 * i, &f, 4); }
        else std::memcpy(a.at(0, 0) + 8 * i, &v, 8);
    }
    return a;
}

void run_conv() {
    const KernelTable& k = kernels();
    // n, c_in, c_out, h, w, k, stride, pad, dilation, groups
    const int64_t conv[][10] = {{2, 8, 12, 13, 17, 3, 1, 1, 1, 1}, {1, 8, 12, 13, 17, 3, 2, 1, 1, 1},
                                {1, 8, 8, 15, 15, 3, 1, 2, 2, 1},  {2, 16, 24, 9, 11, 1, 1, 0, 1, 1},
                                {1, 8, 8, 14, 19, 3, 1, 1, 1, 8},  {1, 8, 12, 10, 10, 3, 1, 1, 1, 2},
                                {1, 4, 6, 12, 12, 5, 1, 2, 1, 1},  {1, 32, 64, 24, 24, 3, 1, 1, 1, 1}};
    for (int d = F32; d <= F64; ++d) {
        for (auto& c : conv)
            for (bool last : {false, true}) {
                if (!k.conv2d[d]) break;
                ConvSpec s;
                s.kh = s.kw = c[5], s.sh = s.sw = c[6], s.ph = s.pw = c[7], s.dh = s.dw = c[8], s.groups = c[9];
                const int64_t oh = (c[3] + 2 * c[7] - c[8] * (c[5] - 1) - 1) / c[6] + 1;
                const int64_t ow = (c[4] + 2 * c[7] - c[8] * (c[5] - 1) - 1) / c[6] + 1;
                Arr x = feature(d, c[0], c[1], c[3], c[4], last), out = feature(d, c[0], c[2], oh, ow, last);
                fill(x, d);
                Arr wt = weights(d, c[2] * (c[1] / c[9]) * c[5] * c[5]), bias = weights(d, c[2]);
                k.conv2d[d](x.im, wt.at(0, 0), bias.at(0, 0), out.im, s, kThreads);
                emit("conv2d", d, fmt("%" PRId64 "c%" PRId64 "k%" PRId64 "s%" PRId64 "d%" PRId64 "g%" PRId64 "%s", c[1],
                                      c[2], c[5], c[6], c[8], c[9], last ? "/last" : ""), hash(out));
            }
        // n, c_in, c_out, h, w, k, stride, pad, output_padding, groups
        const int64_t tconv[][10] = {{2, 6, 4, 9, 11, 4, 2, 1, 0, 1}, {1, 8, 8, 10, 13, 4, 2, 1, 0, 8},
                                     {1, 5, 7, 8, 8, 3, 1, 1, 0, 1},  {1, 4, 4, 7, 9, 3, 2, 0, 1, 2},
                                     {1, 16, 16, 12, 12, 16, 8, 4, 0, 16}};
        for (auto& c : tconv) {
            if (!k.conv_transpose2d[d]) break;
            ConvSpec s;
            s.kh = s.kw = c[5], s.sh = s.sw = c[6], s.ph = s.pw = c[7], s.groups = c[9];
            const int64_t oh = (c[3] - 1) * c[6] - 2 * c[7] + (c[5] - 1) + c[8] + 1;
            const int64_t ow = (c[4] - 1) * c[6] - 2 * c[7] + (c[5] - 1) + c[8] + 1;
            Arr x = feature(d, c[0], c[1], c[3], c[4], false), out = feature(d, c[0], c[2], oh, ow, false);
            fill(x, d);
            Arr wt = weights(d, c[1] * (c[2] / c[9]) * c[5] * c[5]), bias = weights(d, c[2]);
            k.conv_transpose2d[d](x.im, wt.at(0, 0), bias.at(0, 0), out.im, s, kThreads);
            emit("conv_transpose2d", d, fmt("%" PRId64 "c%" PRId64 "k%" PRId64 "s%" PRId64 "p%" PRId64 "g%" PRId64,
                                            c[1], c[2], c[5], c[6], c[7], c[9]), hash(out));
        }
        if (k.aspp[d])
            for (bool last : {false, true}) {
                const int64_t n = 2, cin = 8, cb = 4, cout = 6, h = 13, w = 11;
                const std::vector<int64_t> rates = {1, 2, 3};
                AsppSpec s;
                s.nrates = 3, s.rates = rates.data(), s.cb = cb;
                std::vector<Arr> ws, bs;
                std::vector<const void*> wp, bp;
                for (int j = 0; j < 4; ++j) {
                    ws.push_back(weights(d, cb * cin * (j ? 9 : 1)));
                    bs.push_back(weights(d, cb));
                }
                for (int j = 0; j < 4; ++j) wp.push_back(ws[(size_t)j].at(0, 0)), bp.push_back(bs[(size_t)j].at(0, 0));
                Arr pw = weights(d, cout * 4 * cb), pb = weights(d, n * cout);
                Arr x = feature(d, n, cin, h, w, last), out = feature(d, n, cout, h, w, last);
                fill(x, d);
                k.aspp[d](x.im, wp.data(), bp.data(), pw.at(0, 0), pb.at(0, 0), nullptr, out.im, s, kThreads);
                emit("aspp", d, last ? "last" : "nchw", hash(out));
            }
    }
}

// Windows of one axis, torch's pooling (the padding clipped away): start, count.
void windows(int64_t n, int64_t m, int64_t kk, int64_t s, int64_t p, int64_t dil, std::vector<int32_t>& st,
             std::vector<int32_t>& ct, std::vector<int64_t>& f) {
    st.clear(), ct.clear(), f.clear();
    for (int64_t o = 0; o < m; ++o) {
        int64_t first = -1, count = 0;
        for (int64_t j = 0; j < kk; ++j) {
            const int64_t i = o * s - p + j * dil;
            if (i < 0 || i >= n) continue;
            if (first < 0) first = i;
            ++count;
        }
        st.push_back((int32_t)first), ct.push_back((int32_t)count), f.push_back(count);
    }
}

void run_pool() {
    const KernelTable& k = kernels();
    // h, w, kernel, stride, pad, dilation (adaptive when stride is 0: output h / 3, w / 3 + 1)
    const int64_t cases[][6] = {{13, 17, 3, 2, 1, 1}, {12, 16, 2, 2, 0, 1}, {11, 40, 3, 1, 1, 2}, {13, 70, 0, 0, 0, 1},
                                {9, 9, 5, 3, 2, 1}};
    for (int d = 0; d < kNumDTypes; ++d) {
        if (!k.pool[d]) continue;
        const bool floating = d == F16 || d == F32 || d == F64;
        for (auto& c : cases)
            for (int64_t cn : {1, 8})
                for (bool avg : {false, true}) {
                    if (avg && !floating) continue;
                    std::vector<int32_t> sy, cy, sx, cx;
                    std::vector<int64_t> fy, fx;
                    PoolSpec s;
                    int64_t oh, ow;
                    if (c[3] == 0) {  // adaptive: floor(o n / m) .. ceil((o + 1) n / m)
                        oh = c[0] / 3, ow = c[1] / 3 + 1;
                        for (int64_t o = 0; o < oh; ++o) {
                            const int64_t a = o * c[0] / oh, b = ((o + 1) * c[0] + oh - 1) / oh;
                            sy.push_back((int32_t)a), cy.push_back((int32_t)(b - a)), fy.push_back(b - a);
                        }
                        for (int64_t o = 0; o < ow; ++o) {
                            const int64_t a = o * c[1] / ow, b = ((o + 1) * c[1] + ow - 1) / ow;
                            sx.push_back((int32_t)a), cx.push_back((int32_t)(b - a)), fx.push_back(b - a);
                        }
                    } else {
                        oh = (c[0] + 2 * c[4] - c[5] * (c[2] - 1) - 1) / c[3] + 1;
                        ow = (c[1] + 2 * c[4] - c[5] * (c[2] - 1) - 1) / c[3] + 1;
                        windows(c[0], oh, c[2], c[3], c[4], c[5], sy, cy, fy);
                        windows(c[1], ow, c[2], c[3], c[4], c[5], sx, cx, fx);
                        s.y.stride = s.x.stride = c[3];
                        s.y.taps = s.x.taps = c[2];
                    }
                    s.y.start = sy.data(), s.y.count = cy.data(), s.y.dil = c[5];
                    s.x.start = sx.data(), s.x.count = cx.data(), s.x.dil = c[5];
                    s.avg = avg, s.fy = fy.data(), s.fx = fx.data();
                    const int64_t n1 = cn == 1 ? 3 : 1;
                    Arr src(kSize[d], 2, n1, c[0], c[1], cn, 1), dst(kSize[d], 2, n1, oh, ow, cn);
                    Arr idx(8, 2, n1, oh, ow, cn);
                    fill(src, d);
                    k.pool[d](src.im, dst.im, avg ? nullptr : &idx.im, s, kThreads);
                    const std::string name = fmt("%" PRId64 "x%" PRId64 "k%" PRId64 "s%" PRId64 "/c%" PRId64 "%s", c[0],
                                                 c[1], c[2], c[3], cn, avg ? "/avg" : "/max");
                    emit("pool", d, name, avg ? hash(dst) : hash(idx, hash(dst)));
                }
    }
}

void run_unpool() {
    const KernelTable& k = kernels();
    for (int d = 0; d < kNumDTypes; ++d) {
        if (!k.max_unpool2d[d]) continue;
        for (auto [h, w] : {std::pair<int64_t, int64_t>{4, 5}, {9, 40}, {16, 33}})
            for (int mode = 0; mode < 2; ++mode) {  // 0: one index per 2x2 cell; 1: anywhere, repeats too
                const int64_t H = 2 * h, W = 2 * w;
                Arr src(kSize[d], 2, 3, h, w, 1), idx(8, 2, 3, h, w, 1), dst(kSize[d], 2, 3, H, W, 1);
                fill(src, d);
                for (int64_t p = 0; p < idx.im.planes(); ++p)
                    for (int64_t y = 0; y < h; ++y)
                        for (int64_t x = 0; x < w; ++x) {
                            const uint32_t r = g_rng();
                            int64_t v = mode == 0 ? (2 * y + (r & 1)) * W + 2 * x + ((r >> 1) & 1)
                                                  : int64_t(r % (uint32_t)(H * W + 3)) - 1;  // a few outside
                            std::memcpy(idx.at(p, y) + 8 * x, &v, 8);
                        }
                const int64_t bad = k.max_unpool2d[d](src.im, idx.im, dst.im, kThreads);
                emit("max_unpool2d", d, fmt("%" PRId64 "x%" PRId64 "/m%d/bad%" PRId64, h, w, mode, bad), hash(dst));
            }
    }
}

void run_downsample() {
    const KernelTable& k = kernels();
    // z, y, x, channels, fz, fy, fx, gaussian
    const int64_t cases[][8] = {{1, 17, 40, 1, 1, 2, 2, 1}, {5, 9, 11, 1, 2, 2, 2, 1}, {6, 8, 33, 3, 1, 2, 2, 1},
                                {4, 13, 70, 1, 2, 1, 2, 1}, {1, 17, 40, 3, 1, 2, 2, 0}, {5, 9, 11, 1, 2, 3, 3, 0},
                                {7, 10, 31, 2, 3, 2, 4, 0}, {1, 64, 130, 1, 1, 4, 4, 0}};
    for (int d = 0; d < kNumDTypes; ++d) {
        if (!k.downsample[d]) continue;
        for (auto& c : cases)
            for (int b = 0; b <= 4; ++b) {
                if (!c[7] && b) break;
                DownsampleSpec s;
                s.fz = c[4], s.fy = c[5], s.fx = c[6], s.gaussian = c[7] != 0;
                Arr src(kSize[d], 1, c[0], c[1], c[2], c[3]);
                Arr dst(kSize[d], 1, (c[0] + c[4] - 1) / c[4], (c[1] + c[5] - 1) / c[5], (c[2] + c[6] - 1) / c[6], c[3]);
                fill(src, d);
                k.downsample[d](src.im, dst.im, s, border(b), kThreads);
                emit("downsample", d, fmt("%" PRId64 "x%" PRId64 "x%" PRId64 "x%" PRId64 "/f%" PRId64 "%" PRId64 "%" PRId64
                                          "/%s/b%d", c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7] ? "gauss" : "mean", b),
                     hash(dst));
            }
    }
}

}  // namespace

int main(int argc, char** argv) {
    // Levels: those named on the command line, else every one this CPU runs.
    std::vector<std::string> levels(argv + 1, argv + argc);
    if (levels.empty()) levels = supported_isas();
    for (const std::string& level : levels) {
        if (!set_max_isa(level) || active_isa() != level) {
            std::fprintf(stderr, "kernel_hashes: level %s is not supported here\n", level.c_str());
            return 2;
        }
        g_level = level.c_str();
        g_rng.seed(2024);
        run_pyramid();
        run_blur();
        run_resample();
        run_conv();
        run_pool();
        run_unpool();
        run_downsample();
    }
    return 0;
}
