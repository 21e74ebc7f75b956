// pyr_up: the Gaussian pyramid's expand step (the definition: up_rows.hpp), with two
// strategies of its own: uint8 one-channel rows vertical first (up_rows_u8), and float32
// rows of a large reused output streamed straight to dst (up_vertical_pair_stream).
#include <vector>

#include "core/grain.hpp"
#include "core/kernels.hpp"
#include "core/parallel.hpp"
#include "ops/pyramid/up_rows.hpp"

namespace pk {
namespace PK_ISA_NS {
namespace {

// uint8, one channel: vertical first, at source resolution, then both output rows'
// columns in registers. For source rows a, b, c (virtual rows j-1, j, j+1):
//   ve = a + 6b + c (output row 2j),  vo = 4 (b + c) (row 2j + 1),  each <= 2040,
// then per output row, from its v: column 2x = (v[x-1] + 6 v[x] + v[x+1] + 32) >> 6 and
// column 2x+1 = (4 (v[x] + v[x+1]) + 32) >> 6 = (v[x] + v[x+1] + 8) >> 4. The second is
// formed shifted into the high byte of the 16-bit lane holding the first, so a vector of
// lanes is already the interleaved output bytes: no packing, no zip. Exact integers, so
// the same bits as the horizontal-first order of the other types.
// ve, vo: W + 3 lanes from index -1 (virtual columns -1 .. W+1 through colmap).
template <class S = simd::U16>
inline void up_rows_u8(const uint8_t* __restrict a, const uint8_t* __restrict b, const uint8_t* __restrict c,
                       uint8_t* __restrict even, uint8_t* __restrict odd, int64_t W, int64_t dw,
                       const int64_t* colmap, uint8_t cval, uint16_t* __restrict ve, uint16_t* __restrict vo,
                       bool stream) {
    int64_t x = 0;
    if constexpr (simd::kSimd) {
        for (; x + S::N <= W; x += S::N) {
            const typename S::V va = S::load_u8(a + x), vb = S::load_u8(b + x), vc = S::load_u8(c + x);
            const typename S::V b2 = S::add(vb, vb);
            S::store(ve + x, S::add(S::add(va, vc), S::add(b2, S::add(b2, b2))));
            S::store(vo + x, S::template shl<2>(S::add(vb, vc)));
        }
    }
    for (; x < W; ++x) {
        ve[x] = uint16_t((a[x] + b[x] * 6) + c[x]);
        vo[x] = uint16_t((b[x] + c[x]) * 4);
    }
    for (int64_t v : {int64_t(-1), W, W + 1}) {
        const int64_t m = colmap[v + 1];
        ve[v] = m < 0 ? uint16_t(cval * 8) : ve[m];
        vo[v] = m < 0 ? uint16_t(cval * 8) : vo[m];
    }
    auto row = [&](const uint16_t* __restrict v, uint8_t* __restrict out) {
        auto one = [&](int64_t i) {
            out[2 * i] = Traits<uint8_t>::up(uint16_t((v[i - 1] + v[i] * 6) + v[i + 1]));
            if (2 * i + 1 < dw) out[2 * i + 1] = Traits<uint8_t>::up(uint16_t((v[i] + v[i + 1]) * 4));
        };
        int64_t i = 0;
        if constexpr (simd::kSimd) {
                // Streamed rows start their vector stores at a vector boundary (odd row starts
            // never reach one and store normally).
            constexpr int64_t kAlign = sizeof(typename S::V);
            bool nt = stream && (uintptr_t)out % 2 == 0;
            if (nt)
                for (; 2 * i < dw && (uintptr_t)(out + 2 * i) % kAlign; ++i) one(i);
            // lanes i .. i+N-1: reads v[i-1 .. i+N], writes columns 2i .. 2i+2N-1
            for (; i + S::N <= W + 1 && 2 * (i + S::N) <= dw; i += S::N) {
                const typename S::V l = S::load(v + i - 1), m = S::load(v + i), r = S::load(v + i + 1), m2 = S::add(m, m);
                const typename S::V e = S::template shr<6>(S::add(S::add(S::add(l, r), S::add(m2, S::add(m2, m2))), S::set1(32)));
                const typename S::V o = S::add(S::template shl<4>(S::add(m, r)), S::set1(128));
                if (nt) S::stream((uint16_t*)(out + 2 * i), S::merge_hi(o, e));
                else S::store((uint16_t*)(out + 2 * i), S::merge_hi(o, e));
            }
        }
        for (; 2 * i < dw; ++i) one(i);
    };
    row(ve, even);
    if (odd) row(vo, odd);
}

// float32 rows of a large output: both output rows of a source row pair computed in one
// pass over the three horizontal rows and stored straight to dst with non-temporal stores
// (no staging row, no second copy). Same operation order as the scalar loops.
template <class S = simd::F32>
inline void up_vertical_pair_stream(const float* __restrict h0, const float* __restrict h1,
                                    const float* __restrict h2, float* __restrict even, float* __restrict odd,
                                    int64_t n) {
    auto ev = [&](int64_t i) { return Traits<float>::up((h0[i] + h1[i] * 6) + h2[i]); };
    auto od = [&](int64_t i) { return Traits<float>::up((h1[i] + h2[i]) * 4); };
    int64_t i = 0;
    if constexpr (simd::kSimd) {
        constexpr int64_t kAlign = S::N * (int64_t)sizeof(float);
        // Both rows share an alignment when the row stride is a multiple of the vector size;
        // otherwise only the even row streams.
        for (; i < n && ((uintptr_t)(even + i) % kAlign); ++i) {
            even[i] = ev(i);
            if (odd) odd[i] = od(i);
        }
        const bool odd_aligned = odd && (uintptr_t)(odd + i) % kAlign == 0;
        const typename S::V six = S::set1(6.0f), four = S::set1(4.0f), scale = S::set1(1.0f / 64);
        for (; i + S::N <= n; i += S::N) {
            const typename S::V a = S::load(h0 + i), b = S::load(h1 + i), c = S::load(h2 + i);
            S::stream(even + i, S::mul(S::add(S::add(a, S::mul(b, six)), c), scale));
            if (odd) {
                const typename S::V o = S::mul(S::mul(S::add(b, c), four), scale);
                if (odd_aligned) S::stream(odd + i, o);
                else S::store(odd + i, o);
            }
        }
    }
    for (; i < n; ++i) {
        even[i] = ev(i);
        if (odd) odd[i] = od(i);
    }
}

template <class T>
void pyr_up_impl(const Image& src, const Image& dst, const BorderSpec& border, int nthreads) {
    using I = typename Traits<T>::I;
    using A = typename Traits<T>::A;
    const int64_t H = src.h, W = src.w, cn = src.cn, dh = dst.h, dw = dst.w;
    const int64_t rowlen = W * cn, drowlen = dw * cn;
    const Border b = border.type;
    const I cval = I(border.value);
    const std::vector<int64_t> colmap = up_colmap(W, b);
    const int64_t npairs = (dh + 1) / 2;
    constexpr bool kRowsU8 = std::is_same_v<T, uint8_t>;
    const std::vector<I> constrow(kRowsU8 && b == Border::constant ? (size_t)rowlen : 0, cval);
    const bool stream_u8 = kRowsU8 && stream_output<uint8_t>(dst, Writes::direct);

    auto work = [&](int64_t begin, int64_t end) {
        UpRows<T> up(src, dw, border, colmap.data());
        Scratch<uint16_t> vsum[2];  // up_rows_u8's vertical sums
        RowSink<T> sink(dst);
        for (int64_t item = begin; item < end; ++item) {
            const int64_t p = item / npairs, j = item % npairs;
            char* dplane = dst.plane(p);
            if constexpr (kRowsU8) {
                if (cn == 1) {
                    const I* r[3];
                    for (int k = 0; k < 3; ++k) {
                        const int64_t sy = up_index(j - 1 + k, H, b, true);
                        r[k] = sy < 0 ? constrow.data() : (const I*)(src.plane(p) + sy * src.sh);
                    }
                    // Straight to dst (streamed itself when large), never through the sink's
                    // staging rows.
                    uint8_t* even = (uint8_t*)(dplane + 2 * j * dst.sh);
                    uint8_t* odd = 2 * j + 1 < dh ? (uint8_t*)(dplane + (2 * j + 1) * dst.sh) : nullptr;
                    up_rows_u8(r[0], r[1], r[2], even, odd, W, dw, colmap.data(), cval, vsum[0].aligned(W + 2, 1),
                               vsum[1].aligned(W + 2, 1), stream_u8);
                    continue;
                }
            }
            const A* h0 = up.row(p, j - 1);
            const A* h1 = up.row(p, j);
            const A* h2 = up.row(p, j + 1);
            if constexpr (std::is_same_v<T, float>) {
                if (sink.streams()) {
                    float* even = (float*)(dplane + 2 * j * dst.sh);
                    float* odd = 2 * j + 1 < dh ? (float*)(dplane + (2 * j + 1) * dst.sh) : nullptr;
                    up_vertical_pair_stream(h0, h1, h2, even, odd, drowlen);
                    continue;
                }
            }
            for (int par = 0; par < 2 && 2 * j + par < dh; ++par) {
                T* drow = (T*)(dplane + (2 * j + par) * dst.sh);
                I* out = sink.row(drow, drowlen);
                up_vertical<T>(h0, h1, h2, out, drowlen, par);
                sink.finish(drow, out, drowlen);
            }
        }
        if (stream_u8) stream_fence();
    };
    parallel_for(src.planes() * npairs, nthreads, grain::min_items(grain::kPyramid, 2 * drowlen), work);
}

}  // namespace

PK_REGISTER(pyr_up, pyr_up_impl, PK_ALL_DTYPES);

}  // namespace PK_ISA_NS
}  // namespace pk
