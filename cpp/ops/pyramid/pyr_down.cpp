// pyr_down: the Gaussian pyramid's reduce step, 5-tap [1 4 6 4 1]/16 per axis, then every
// other sample; OpenCV's cv2.pyrDown for any dst size it accepts (the strategies:
// down_rows.hpp).
#include "core/grain.hpp"
#include "core/kernels.hpp"
#include "core/parallel.hpp"
#include "ops/pyramid/down_rows.hpp"

namespace pk {
namespace PK_ISA_NS {
namespace {

template <class T>
void pyr_down_impl(const Image& src, const Image& dst, const BorderSpec& border, int nthreads) {
    const int64_t H = src.h, dh = dst.h, dw = dst.w, cn = src.cn;
    auto work = [&](int64_t begin, int64_t end) {
        DownRows<T> down(src.w, cn, dw, border);
        RowSink<T> sink(dst);
        for (int64_t item = begin; item < end; ++item) {
            const int64_t p = item / dh, y = item % dh;
            const int64_t g = down.group();
            if (g > 1 && item + g <= end && y + g <= dh && 2 * y - 2 >= 0 && 2 * (y + g - 1) + 2 < H) {
                const T* rows[11];  // rows 2y-2 .. 2(y+g-1)+2, no border involved
                T* drows[4];
                for (int64_t k = 0; k < 2 * g + 3; ++k) rows[k] = (const T*)(src.plane(p) + (2 * y - 2 + k) * src.sh);
                for (int64_t q = 0; q < g; ++q) drows[q] = (T*)(dst.plane(p) + (y + q) * dst.sh);
                down.run_group(rows, drows, sink);
                item += g - 1;
                continue;
            }
            auto source_row = [&](int64_t yy, int k) -> const T* {
                const int64_t sy = down_source_row(yy, k, H, border.type);
                return sy < 0 ? nullptr : (const T*)(src.plane(p) + sy * src.sh);
            };
            const T* rows[5];
            for (int k = 0; k < 5; ++k) rows[k] = source_row(y, k);
            const T* next[2] = {};
            if (item + 1 < end && y + 1 < dh) next[0] = source_row(y + 1, 3), next[1] = source_row(y + 1, 4);
            down.run(rows, (T*)(dst.plane(p) + y * dst.sh), sink, next[0] && next[1] ? next : nullptr);
        }
    };
    const int64_t items = src.planes() * dh;
    parallel_for(items, nthreads, grain::min_items(grain::kPyramid, dw * cn), work);
}

}  // namespace

PK_REGISTER(pyr_down, pyr_down_impl, PK_ALL_DTYPES);

}  // namespace PK_ISA_NS
}  // namespace pk
