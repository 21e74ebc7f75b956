// max_unpool2d: the inverse of max pooling, torch's rule: every output plane is zero but at
// the indexed elements, dst[idx[i]] = src[i] in the order of i (the last of equal indices
// wins); indices outside the plane are counted and skipped (the binding raises).
#include <algorithm>
#include <atomic>
#include <cstring>

#include "core/kernels.hpp"
#include "core/parallel.hpp"
#include "core/store.hpp"
#include "ops/pool/unpool_cells.hpp"

namespace pk {
namespace PK_ISA_NS {
namespace {

// Planes up to this size are assembled in a per-thread buffer (zeroed and scattered in
// cache) and written out with non-temporal stores: each output line is written once, never
// read. Larger planes are zeroed and scattered in place.
constexpr int64_t kUnpoolBufferBytes = int64_t(2) << 20;

// The usual case, planar float32 indices from a 2x2 / stride 2 max_pool2d (output at least
// twice the input per axis): every index lies in its own 2x2 cell, so the cells do not
// collide, the order of writes does not matter, and both output rows of an input row can
// be made at once, each output line written once, with no zeroing pass: streamed straight
// into rows aligned to 64 bytes, else through two rows in cache (one block when the rows
// are back to back) and a streaming copy. Returns false (having written rows that the
// general path then overwrites) at the first index outside its cell.
template <class T>
bool unpool_cells_plane(const Image& src, const Image& idx, const Image& dst, int64_t p, Scratch<float>& rowbuf) {
    const int64_t H = src.h, W = src.w, W2 = dst.w, W2p = (W2 + 15) / 16 * 16;
    char* base = dst.plane(p);
    const bool direct = ((uintptr_t)base | (uintptr_t)dst.sh) % 64 == 0;
    const bool dense = dst.sh == W2 * (int64_t)sizeof(float);  // a row pair is one block
    float* buf = direct ? nullptr : rowbuf.aligned(2 * W2p, 0);
    for (int64_t y = 0; y < H; ++y) {
        const float* s = row_ptr<float>(src, p, y);
        const int64_t* k = row_ptr<int64_t>(idx, p, y);
        float* d0 = (float*)(base + 2 * y * dst.sh);
        float* d1 = (float*)(base + (2 * y + 1) * dst.sh);
        float* r0 = direct ? d0 : buf;
        float* r1 = direct ? d1 : dense ? buf + W2 : buf + W2p;
        int64_t x = 0;
#if defined(__AVX512F__) && !defined(PK_NO_SIMD)
        for (; x + kUnpoolCellLanes <= W; x += kUnpoolCellLanes) {
            const int64_t b = 2 * y * W2 + 2 * x;
            const bool ok = direct ? unpool_cells<true>(s + x, k + x, b, W2, r0 + 2 * x, r1 + 2 * x)
                                   : unpool_cells<false>(s + x, k + x, b, W2, r0 + 2 * x, r1 + 2 * x);
            if (!ok) return false;
        }
#endif
        for (; x < W; ++x) {
            const int64_t d = k[x] - (2 * y * W2 + 2 * x);
            if (d != 0 && d != 1 && d != W2 && d != W2 + 1) return false;
            r0[2 * x] = d == 0 ? s[x] : 0.0f;
            r0[2 * x + 1] = d == 1 ? s[x] : 0.0f;
            r1[2 * x] = d == W2 ? s[x] : 0.0f;
            r1[2 * x + 1] = d == W2 + 1 ? s[x] : 0.0f;
        }
        for (int64_t c = 2 * W; c < W2; ++c) r0[c] = r1[c] = 0.0f;
        if (dense && !direct) {
            stream_copy(d0, r0, 2 * W2 * (int64_t)sizeof(float));
        } else if (!direct) {
            stream_copy(d0, r0, W2 * (int64_t)sizeof(float));
            stream_copy(d1, r1, W2 * (int64_t)sizeof(float));
        }
    }
    for (int64_t y = 2 * H; y < dst.h; ++y) std::memset(base + y * dst.sh, 0, (size_t)(W2 * sizeof(float)));
    return true;
}

template <class T>
int64_t max_unpool2d_impl(const Image& src, const Image& idx, const Image& dst, int nthreads) {
    const int64_t limit = dst.h * dst.w, cn = src.cn, rowbytes = dst.w * cn * (int64_t)sizeof(T);
    const int64_t plane_bytes = dst.h * rowbytes;
    const bool buffered = plane_bytes <= kUnpoolBufferBytes;
    std::atomic<int64_t> bad{0};
    parallel_for(src.planes(), nthreads, 1, [&](int64_t begin, int64_t end) {
        int64_t nbad = 0;
        Scratch<T> buf;
        const bool cells = std::is_same_v<T, float> && cn == 1 && dst.h >= 2 * src.h && dst.w >= 2 * src.w;
        Scratch<float> rowbuf;
        for (int64_t p = begin; p < end; ++p) {
            if (cells && unpool_cells_plane<float>(src, idx, dst, p, rowbuf)) continue;
            char* base = dst.plane(p);
            T* tgt = buffered ? buf.get(limit * cn) : nullptr;
            const int64_t tsh = buffered ? rowbytes : dst.sh;  // row stride of the target
            char* tb = buffered ? (char*)tgt : base;
            for (int64_t y = 0; y < dst.h; ++y) std::memset(tb + y * tsh, 0, (size_t)rowbytes);
            const bool dense = tsh == rowbytes;  // rows back to back
            for (int64_t y = 0; y < src.h; ++y) {
                const T* s = row_ptr<T>(src, p, y);
                const int64_t* k = row_ptr<int64_t>(idx, p, y);
                if (dense && cn == 1) {
                    T* t = (T*)tb;
                    for (int64_t e = 0; e < src.w; ++e) {
                        const int64_t at = k[e];
                        if (at < 0 || at >= limit) {
                            ++nbad;
                            continue;
                        }
                        t[at] = s[e];
                    }
                    continue;
                }
                for (int64_t x = 0, e = 0; x < src.w; ++x)
                    for (int64_t c = 0; c < cn; ++c, ++e) {
                        const int64_t at = k[e];
                        if (at < 0 || at >= limit) {
                            ++nbad;
                            continue;
                        }
                        T* d = dense ? (T*)tb + at * cn + c : (T*)(tb + (at / dst.w) * tsh) + (at % dst.w) * cn + c;
                        *d = s[e];
                    }
            }
            if (buffered) {
                if (dst.sh == rowbytes) {
                    stream_copy(base, tgt, plane_bytes);
                } else {
                    for (int64_t y = 0; y < dst.h; ++y) stream_copy(base + y * dst.sh, (char*)tgt + y * rowbytes, rowbytes);
                }
            }
        }
        stream_fence();
        bad += nbad;
    });
    return bad.load();
}

}  // namespace

PK_REGISTER(max_unpool2d, max_unpool2d_impl, PK_ALL_DTYPES);

}  // namespace PK_ISA_NS
}  // namespace pk
