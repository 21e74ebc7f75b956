// Binding of resample, the kernel of resize and interpolate (cpp/ops/resample/).
#include "bindings/array.hpp"

namespace pk::bind {
namespace {

using IndexTable = py::array_t<int32_t, py::array::c_style | py::array::forcecast>;
using WeightTable = py::array_t<double, py::array::c_style | py::array::forcecast>;

// One axis's tap table: (out, k) int32 indices in [0, in) and (out, k) float64 weights.
int check_taps(const IndexTable& idx, const WeightTable& w, int64_t out, int64_t in, const char* name) {
    if (idx.ndim() != 2 || w.ndim() != 2 || idx.shape(0) != out || w.shape(0) != out || idx.shape(1) != w.shape(1) ||
        idx.shape(1) < 1 || idx.shape(1) > 4096)
        throw py::value_error(std::string(name) + ": tap tables must be (output size, taps), 1 to 4096 taps");
    const int32_t* p = idx.data();
    for (int64_t i = 0; i < idx.size(); ++i)
        if (p[i] < 0 || p[i] >= in) throw py::value_error(std::string(name) + ": tap index out of range");
    return (int)idx.shape(1);
}

void run_resample(const py::array& src, const py::array& dst, const IndexTable& iy, const WeightTable& wy,
                  const IndexTable& ix, const WeightTable& wx, int nthreads, bool fresh, int64_t whole_bytes) {
    auto [dt, s, d] = src_dst(src, dst, fresh);
    d.whole_bytes = whole_bytes;
    const int ky = check_taps(iy, wy, d.h, s.h, "rows"), kx = check_taps(ix, wx, d.w, s.w, "columns");
    const auto fn = kernel(&KernelTable::resample, dt, "resample");
    py::gil_scoped_release release;
    fn(s, d, iy.data(), wy.data(), ky, ix.data(), wx.data(), kx, nthreads);
}

}  // namespace

void bind_resample(py::module_& m) {
    m.def("resample", &run_resample, py::arg("src"), py::arg("dst"), py::arg("iy"), py::arg("wy"), py::arg("ix"),
          py::arg("wx"), py::arg("nthreads"), py::arg("fresh") = false, py::arg("whole_bytes") = 0);
}

}  // namespace pk::bind
