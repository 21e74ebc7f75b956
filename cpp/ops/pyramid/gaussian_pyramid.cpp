#include <vector>

#include "core/grain.hpp"
#include "core/kernels.hpp"
#include "core/parallel.hpp"
#include "ops/pyramid/down_rows.hpp"

namespace pk {
namespace PK_ISA_NS {
namespace {

// gaussian_pyramid: // Levels 1..L of the Gaussian pyramid in one call. Each thread owns a band of rows of
// every level (the rows whose centre falls in its band of the level above) and writes
// only those; the few rows just outside that the next level needs (its halo) it computes
// again into private rows. Rows are produced in a pull order: after each row of level 1,
// every deeper level advances as far as its inputs allow, so a row is consumed while it
// is still in cache instead of level after level through memory. Borders whose rows
// depend on the far edge (wrap) simply make deeper levels wait; the result is the same.
template <class T>
void gaussian_pyramid_impl(const Image& src, const Image* lev, int L, const BorderSpec& border, int nthreads) {
    const Border b = border.type;
    const int64_t planes = src.planes(), cn = src.cn;
    std::vector<const Image*> img(L + 1);
    img[0] = &src;
    for (int l = 1; l <= L; ++l) img[l] = &lev[l - 1];
    // Bands: enough for every thread when there are fewer planes than threads, and each at
    // least 64 rows of level 0 so halos stay small.
    int64_t nb = 1;
    if (planes < nthreads) nb = std::min<int64_t>((nthreads + planes - 1) / planes, std::max<int64_t>(1, src.h / 64));
    const int64_t total = planes * src.h * src.w * cn;
    if (total < grain::kPyramidLevels) nthreads = 1;

    auto work = [&](int64_t begin, int64_t end) {
        for (int64_t item = begin; item < end; ++item) {
            const int64_t p = item / nb, band = item % nb;
            std::vector<int64_t> lo(L + 1), hi(L + 1);
            lo[0] = src.h * band / nb;
            hi[0] = src.h * (band + 1) / nb;
            for (int l = 1; l <= L; ++l) {
                lo[l] = std::min(img[l]->h, (lo[l - 1] + 1) / 2);
                hi[l] = band == nb - 1 ? img[l]->h : std::min(img[l]->h, (hi[l - 1] + 1) / 2);
            }
            // Rows each level needs: its band, plus what the needed rows below read.
            std::vector<std::vector<char>> need(L + 1), done(L + 1);
            for (int l = 1; l <= L; ++l) {
                need[l].assign((size_t)img[l]->h, 0);
                done[l].assign((size_t)img[l]->h, 0);
                for (int64_t y = lo[l]; y < hi[l]; ++y) need[l][y] = 1;
            }
            for (int l = L; l >= 2; --l)
                for (int64_t y = 0; y < img[l]->h; ++y)
                    if (need[l][y])
                        for (int k = 0; k < 5; ++k) {
                            int64_t r = down_source_row(y, k, img[l - 1]->h, b);
                            if (r >= 0) need[l - 1][r] = 1;
                        }
            // Halo rows live in private storage, band rows in the output.
            std::vector<std::vector<int64_t>> slot(L + 1), order(L + 1);
            std::vector<std::vector<T>> halo(L + 1);
            for (int l = 1; l <= L; ++l) {
                const int64_t rowlen = img[l]->w * cn;
                slot[l].assign((size_t)img[l]->h, -1);
                int64_t n = 0;
                for (int64_t y = 0; y < img[l]->h; ++y) {
                    if (!need[l][y]) continue;
                    order[l].push_back(y);
                    if (y < lo[l] || y >= hi[l]) slot[l][y] = n++;
                }
                halo[l].resize((size_t)(n * rowlen));
            }
            auto row = [&](int l, int64_t y) -> T* {
                if (l > 0 && slot[l][y] >= 0) return halo[l].data() + slot[l][y] * img[l]->w * cn;
                return (T*)(img[l]->plane(p) + y * img[l]->sh);
            };
            auto ready = [&](int l, int64_t y) {
                if (l == 1) return true;
                for (int k = 0; k < 5; ++k) {
                    int64_t r = down_source_row(y, k, img[l - 1]->h, b);
                    if (r >= 0 && !done[l - 1][r]) return false;
                }
                return true;
            };
            std::vector<DownRows<T>> down;
            std::vector<RowSink<T>> sink;
            for (int l = 1; l <= L; ++l) {
                down.emplace_back(img[l - 1]->w, cn, img[l]->w, border);
                sink.emplace_back(*img[l], false);
            }
            std::vector<size_t> next(L + 1, 0);
            auto compute = [&](int l) {
                const int64_t y = order[l][next[l]++];
                const T* rows[5];
                for (int k = 0; k < 5; ++k) {
                    int64_t r = down_source_row(y, k, img[l - 1]->h, b);
                    rows[k] = r < 0 ? nullptr : row(l - 1, r);
                }
                // Level 1 reads the source image (from memory, not from rows just made): the
                // next level-1 row's two new source rows are the prefetch hint, as in pyr_down.
                const T* ahead[2] = {};
                if (l == 1 && next[1] < order[1].size()) {
                    const int64_t y1 = order[1][next[1]], r3 = down_source_row(y1, 3, img[0]->h, b),
                                  r4 = down_source_row(y1, 4, img[0]->h, b);
                    if (r3 >= 0 && r4 >= 0) ahead[0] = row(0, r3), ahead[1] = row(0, r4);
                }
                down[l - 1].run(rows, row(l, y), sink[l - 1], ahead[0] ? ahead : nullptr);
                done[l][y] = 1;
            };
            for (bool progress = true; progress;) {
                progress = false;
                if (next[1] < order[1].size()) { compute(1); progress = true; }
                for (int l = 2; l <= L; ++l)
                    while (next[l] < order[l].size() && ready(l, order[l][next[l]])) { compute(l); progress = true; }
            }
        }
    };
    parallel_for(planes * nb, nthreads, 1, work);
}

}  // namespace

PK_REGISTER(gaussian_pyramid, gaussian_pyramid_impl, PK_ALL_DTYPES);

}  // namespace PK_ISA_NS
}  // namespace pk
