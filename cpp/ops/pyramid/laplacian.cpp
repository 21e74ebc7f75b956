// The Laplacian pyramid's band steps (band dtype Band<T>, core/dtype.hpp), on pyr_up's
// rows (up_rows.hpp); laplacian_pyramid and reconstruct_laplacian are these per level.
#include <vector>

#include "core/grain.hpp"
#include "core/kernels.hpp"
#include "core/parallel.hpp"
#include "ops/pyramid/up_rows.hpp"

namespace pk {
namespace PK_ISA_NS {
namespace {

// pyr_up's row as the dtype stores it (float16 computes in float32: round it).
template <class T>
inline void round_to_stored(typename Traits<T>::I* v, int64_t n, Scratch<half_t>& tmp) {
    if constexpr (std::is_same_v<T, half_t>) {
        half_t* h = tmp.get(n);
        float_to_half_row(v, h, n);
        half_to_float_row(h, v, n);
    } else {
        (void)v; (void)n; (void)tmp;
    }
}

// Separate functions with restrict pointers so the loops vectorise without alias checks.
template <class T>
void band_sub(const typename Traits<T>::I* __restrict g, const typename Traits<T>::I* __restrict up,
              Band<T>* __restrict d, int64_t n) {
    for (int64_t i = 0; i < n; ++i) d[i] = Band<T>(Band<T>(g[i]) - Band<T>(up[i]));
}

template <class T>
void band_add(const Band<T>* __restrict a, const typename Traits<T>::I* __restrict up,
              typename Traits<T>::I* __restrict o, int64_t n) {
    using I = typename Traits<T>::I;
    // Wide enough for any band value (user-edited ones too) plus the pyr_up value.
    using Wd = std::conditional_t<!std::is_integral_v<I>, Band<T>,
                                  std::conditional_t<sizeof(Band<T>) == 2, int32_t, int64_t>>;
    for (int64_t i = 0; i < n; ++i) o[i] = saturate_to<I>(Wd(a[i]) + Wd(up[i]));
}

// Calls row(p, y, up) for every row y of every plane p of a level dh x dw, up being the
// pyr_up row of coarse as the dtype stores it (float16 rounded to float16 first), on up to
// nthreads threads; make_row() gives each thread its row function (and its scratch).
template <class T, class MakeRow>
void for_each_up_row(const Image& coarse, int64_t dh, int64_t dw, const BorderSpec& border, int nthreads,
                     MakeRow make_row) {
    using I = typename Traits<T>::I;
    const int64_t n = dw * coarse.cn, npairs = (dh + 1) / 2;
    const std::vector<int64_t> colmap = up_colmap(coarse.w, border.type);
    auto work = [&](int64_t begin, int64_t end) {
        UpRows<T> up(coarse, dw, border, colmap.data());
        Scratch<I> upbuf;
        Scratch<half_t> hbuf;
        auto row = make_row();
        for (int64_t item = begin; item < end; ++item) {
            const int64_t p = item / npairs, j = item % npairs;
            const auto* h0 = up.row(p, j - 1);
            const auto* h1 = up.row(p, j);
            const auto* h2 = up.row(p, j + 1);
            for (int par = 0; par < 2 && 2 * j + par < dh; ++par) {
                I* out = upbuf.get(n);
                up_vertical<T>(h0, h1, h2, out, n, par);
                round_to_stored<T>(out, n, hbuf);
                row(p, 2 * j + par, (const I*)out);
            }
        }
    };
    parallel_for(coarse.planes() * npairs, nthreads, grain::min_items(grain::kPyramid, 2 * n), work);
}

// laplacian_sub: band = fine - pyr_up(coarse), in Band<T>, so laplacian_add inverts it exactly.
template <class T>
void laplacian_sub_impl(const Image& coarse, const Image& fine, const Image& band, const BorderSpec& border,
                        int nthreads) {
    using I = typename Traits<T>::I;
    const int64_t n = band.w * coarse.cn;
    for_each_up_row<T>(coarse, band.h, band.w, border, nthreads, [&] {
        return [&, gconv = Scratch<I>()](int64_t p, int64_t y, const I* up) mutable {
            const I* g = read_row((const T*)(fine.plane(p) + y * fine.sh), gconv.get(n), n);
            band_sub<T>(g, up, (Band<T>*)(band.plane(p) + y * band.sh), n);
        };
    });
}

// laplacian_add: fine = band + pyr_up(coarse), integers saturated to the dtype.
template <class T>
void laplacian_add_impl(const Image& coarse, const Image& band, const Image& fine, const BorderSpec& border,
                        int nthreads) {
    using I = typename Traits<T>::I;
    const int64_t n = fine.w * coarse.cn;
    for_each_up_row<T>(coarse, fine.h, fine.w, border, nthreads, [&] {
        return [&, sink = RowSink<T>(fine)](int64_t p, int64_t y, const I* up) mutable {
            T* frow = (T*)(fine.plane(p) + y * fine.sh);
            I* o = sink.row(frow, n);
            band_add<T>((const Band<T>*)(band.plane(p) + y * band.sh), up, o, n);
            sink.finish(frow, o, n);
        };
    });
}

}  // namespace

PK_REGISTER(laplacian_sub, laplacian_sub_impl, PK_ALL_DTYPES);
PK_REGISTER(laplacian_add, laplacian_add_impl, PK_ALL_DTYPES);

}  // namespace PK_ISA_NS
}  // namespace pk
