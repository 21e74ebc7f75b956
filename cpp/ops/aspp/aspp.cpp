// aspp: DeepLab's atrous spatial pyramid pooling head in eval mode, fused, its batch norms
// folded into the convolutions (python/pyramidkit/aspp.py):
//
//   branch 0 = relu(conv1x1(x, w0) + b0)
//   branch j = relu(conv3x3(x, wj, dilation rate_j, padding rate_j) + bj),  j = 1..R
//   out      = relu(sum over j of conv1x1(branch j, P_j) + pbias[n])
//
// where pbias[n] holds the projection's bias plus its image-pool branch for image n, a
// constant over the pixels (the pooled branch upsampled from 1x1 is a broadcast), which
// Python computes. Per tile of rows the branches go into a channels-last buffer
// [row][ox][branch][channel] that the projection then reads (the concatenation is never
// materialised beyond a tile), all with the implicit GEMM of conv2d (gemm.hpp): one
// zero-padded channels-last copy of the input serves every branch, and the 1x1 branch
// and the centre taps of every rate read the same input rows while they are in cache.
// Taps that read only padding are skipped per row and block: at rate 36 on a 33 x 33
// map each 3x3 branch is exactly its centre tap. Same FMA policy as conv2d.
#include <memory>

#include "ops/conv2d/gemm.hpp"

namespace pk {
namespace PK_ISA_NS {
namespace {

template <class T>
inline T relu(T v) { return v < T(0) ? T(0) : v; }  // NaN stays NaN, as torch's

// The packed weights of a head: its branches, then the projection over the buffer's
// channels (zero weights for the branches' padding channels). Packed per call, or once
// by aspp_pack and kept by the caller.
template <class T>
struct AsppWeights {
    std::vector<PackedWeights<T>> br;
    std::vector<Chunks<T>> chunks;
    std::vector<int64_t> off;  // branch j's channels in the buffer: [off[j], off[j] + cb)
    std::unique_ptr<PackedWeights<T>> proj;
    std::unique_ptr<Chunks<T>> pchunks;
    int64_t cin = 0, cout = 0;

    AsppWeights(const void* const* wv, const void* const* bv, const void* proj_w, int64_t c_in, int64_t c_out,
                const AsppSpec& a, int nthreads, bool pooled)
        : off((size_t)a.nrates + 2, 0), cin(c_in), cout(c_out) {
        const int64_t nbr = a.nrates + 1, cb = a.cb;
        br.reserve((size_t)nbr);
        chunks.reserve((size_t)nbr);
        for (int64_t j = 0; j < nbr; ++j) {
            const int64_t k = j == 0 ? 1 : 3;
            br.emplace_back((const T*)wv[j], (const T*)bv[j], 1, cb, cin, k, k, nthreads, pooled);
            chunks.emplace_back(br.back());
            off[(size_t)j + 1] = off[(size_t)j] + br.back().cpad;
        }
        const int64_t cw = off[(size_t)nbr];
        const T* pw = (const T*)proj_w;
        std::vector<T> pwide((size_t)(cout * cw), T(0));
        for (int64_t co = 0; co < cout; ++co)
            for (int64_t j = 0; j < nbr; ++j)
                std::copy_n(pw + co * nbr * cb + j * cb, cb, pwide.data() + co * cw + off[(size_t)j]);
        proj = std::make_unique<PackedWeights<T>>(pwide.data(), nullptr, 1, cout, cw, 1, 1, nthreads, pooled);
        pchunks = std::make_unique<Chunks<T>>(*proj);
    }
};

template <class T>
std::shared_ptr<void> aspp_pack_impl(const void* const* wv, const void* const* bv, const void* proj_w, int64_t cin,
                                     int64_t cout, const AsppSpec& a, int nthreads) {
    return std::make_shared<AsppWeights<T>>(wv, bv, proj_w, cin, cout, a, nthreads, false);
}

template <class T>
void aspp_impl(const Image& xim, const void* const* wv, const void* const* bv, const void* proj_w,
               const void* proj_b, const void* packed, const Image& oim, const AsppSpec& a, int nthreads) {
    const int64_t item = (int64_t)sizeof(T);
    const int64_t n = xim.n0, cin = xim.n1 * xim.cn, h = xim.h, w = xim.w, cout = oim.n1 * oim.cn;
    const int64_t xc = xim.cn > 1 ? 1 : xim.s1 / item, xp = xim.cn;
    const int64_t os0 = oim.s0 / item, osh = oim.sh / item, oc = oim.cn > 1 ? 1 : oim.s1 / item, op = oim.cn;
    const int64_t nbr = a.nrates + 1;

    std::unique_ptr<AsppWeights<T>> own;
    if (!packed) own = std::make_unique<AsppWeights<T>>(wv, bv, proj_w, cin, cout, a, nthreads, true);
    const AsppWeights<T>& aw = packed ? *(const AsppWeights<T>*)packed : *own;
    const auto& br = aw.br;
    const auto& chunks = aw.chunks;
    const auto& off = aw.off;
    const PackedWeights<T>& proj = *aw.proj;
    const Chunks<T>& pchunks = *aw.pchunks;
    std::vector<ConvSpec> specs((size_t)nbr);
    std::vector<RowBlocks> blocks;
    int64_t lpad = 0, rpad = 0;
    blocks.reserve((size_t)nbr);
    for (int64_t j = 0; j < nbr; ++j) {
        ConvSpec& s = specs[(size_t)j];
        if (j > 0) {
            s.kh = s.kw = 3;
            s.ph = s.pw = s.dh = s.dw = a.rates[j - 1];
        }
        blocks.emplace_back(br[(size_t)j], w, w, 1, s.pw, s.dw);
        lpad = std::max(lpad, blocks.back().lpad);
        rpad = std::max(rpad, blocks.back().rpad);
    }
    const int64_t cw = off[(size_t)nbr], ccat = odd_lines<T>(cw);  // the buffer's channels, pixel stride
    const ChannelsLast<T> xin((const T*)xim.data, n, cin, h, w, xim.s0 / item, xim.sh / item, xc, xp, lpad, rpad,
                              nthreads);

    // The projection starts from each image's bias.
    const ConvSpec ps;
    const RowBlocks pblocks(proj, w, w, 1, 0, 1);
    std::vector<T> pbias((size_t)(n * proj.cpad), T(0));
    for (int64_t i = 0; i < n; ++i) std::copy_n((const T*)proj_b + i * cout, cout, pbias.data() + i * proj.cpad);

    // The projection stores in the output's layout; its partial sums stay in the output
    // where it is channels-last with whole channel blocks, otherwise in a row buffer.
    const bool inplace = oc == 1 && proj.cpad == cout;
    const int64_t R = tile_rows((w * cin * 3 + w * ccat + w * proj.cpad) * item);
    auto work = [&](int64_t begin, int64_t end) {
        Scratch<T> catbuf, outbuf;
        T* cat = catbuf.get(R * w * ccat);
        T* obuf = inplace ? nullptr : outbuf.get(R * w * proj.cpad);
        TileScratch<T> sc;
        std::vector<int64_t> items((size_t)R), rows_of((size_t)R);
        std::vector<T*> crow((size_t)R), orow((size_t)R), prow((size_t)R);
        std::vector<const T*> brow((size_t)R);
        for (int64_t r = 0; r < R; ++r) rows_of[(size_t)r] = r;
        const TileOut<T> po = {orow.data(), op, oc, cout, cout, prow.data(), inplace ? op : proj.cpad};
        for (int64_t i0 = begin; i0 < end; i0 += R) {
            const int64_t rows = std::min(R, end - i0);
            for (int64_t r = 0; r < rows; ++r) items[(size_t)r] = i0 + r;
            // Each branch into its channels of the buffer, padding channels included (zeros,
            // read by the projection's zero weights).
            for (int64_t j = 0; j < nbr; ++j) {
                for (int64_t r = 0; r < rows; ++r) {
                    crow[(size_t)r] = cat + r * w * ccat + off[(size_t)j];
                    brow[(size_t)r] = br[(size_t)j].b.data();
                }
                const TileOut<T> bo = {crow.data(), ccat, 1, 0, br[(size_t)j].cpad, crow.data(), ccat};
                gemm_tile(br[(size_t)j], chunks[(size_t)j], blocks[(size_t)j], specs[(size_t)j], xin, h, h,
                          items.data(), rows, brow.data(), bo, sc);
            }
            for (int64_t i = 0; i < rows * w * ccat; ++i) cat[i] = relu(cat[i]);
            // The projection reads the buffer as `rows` one-row images.
            const ChannelsLast<T> catin = ChannelsLast<T>::view(cat, w * ccat, 0, ccat);
            for (int64_t r = 0; r < rows; ++r) {
                const int64_t it = i0 + r;
                brow[(size_t)r] = pbias.data() + (it / h) * proj.cpad;
                orow[(size_t)r] = (T*)oim.data + (it / h) * os0 + (it % h) * osh;
                prow[(size_t)r] = inplace ? orow[(size_t)r] : obuf + r * w * proj.cpad;
            }
            gemm_tile(proj, pchunks, pblocks, ps, catin, 1, 1, rows_of.data(), rows, brow.data(), po, sc);
            for (int64_t r = 0; r < rows; ++r) {
                T* o = orow[(size_t)r];
                if (oc == 1) {
                    for (int64_t ox = 0; ox < w; ++ox)
                        for (int64_t co = 0; co < cout; ++co) o[ox * op + co] = relu(o[ox * op + co]);
                } else {
                    for (int64_t co = 0; co < cout; ++co)
                        for (int64_t ox = 0; ox < w; ++ox) o[co * oc + ox] = relu(o[co * oc + ox]);
                }
            }
        }
    };
    const int64_t row_cost = std::max<int64_t>(1, w * a.cb * cin * (1 + 9 * a.nrates));
    parallel_for(n * h, nthreads, grain::min_items(grain::kConv, row_cost), work);
}

}  // namespace

PK_REGISTER(aspp, aspp_impl, float, double);
PK_REGISTER(aspp_pack, aspp_pack_impl, float, double);

}  // namespace PK_ISA_NS
}  // namespace pk
