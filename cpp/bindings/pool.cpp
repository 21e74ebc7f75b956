// Bindings of the pooling family: pool (max / avg / adaptive windows) and max_unpool2d
// (kernels: cpp/ops/pool/).
#include <tuple>

#include "bindings/array.hpp"

namespace pk::bind {
namespace {

using IntTable = py::array_t<int32_t, py::array::c_style | py::array::forcecast>;
using I64Table = py::array_t<int64_t, py::array::c_style | py::array::forcecast>;
// One axis of windows as Python passes it: (start, count, dilation, stride, taps).
using AxisArg = std::tuple<IntTable, IntTable, int64_t, int64_t, int64_t>;

// Every tap start + j*dil (j < count) must lie in [0, n_in).
PoolAxis pool_axis(const AxisArg& arg, int64_t n_out, int64_t n_in, const char* name) {
    const IntTable& start = std::get<0>(arg);
    const IntTable& count = std::get<1>(arg);
    const int64_t dil = std::get<2>(arg);
    if (start.ndim() != 1 || count.ndim() != 1 || start.shape(0) != n_out || count.shape(0) != n_out || dil < 1)
        throw py::value_error(std::string(name) + ": window tables do not match the output size");
    const int32_t* s = start.data();
    const int32_t* c = count.data();
    for (int64_t o = 0; o < n_out; ++o)
        if (s[o] < 0 || c[o] < 1 || s[o] + (int64_t)(c[o] - 1) * dil >= n_in)
            throw py::value_error(std::string(name) + ": a window reaches outside the input");
    PoolAxis a;
    a.start = s; a.count = c; a.dil = dil; a.stride = std::get<3>(arg); a.taps = std::get<4>(arg);
    return a;
}

void run_pool(const py::array& src, const py::array& dst, const py::object& idx, const AxisArg& y, const AxisArg& x,
              bool avg, const I64Table& fy, const I64Table& fx, int64_t divisor, int nthreads) {
    const auto [dt, s, d] = src_dst(src, dst);
    if (avg && (dt == DType::u8 || dt == DType::u16 || dt == DType::i16))
        throw py::type_error("src: average pooling needs a floating dtype");
    PoolSpec spec;
    spec.y = pool_axis(y, d.h, s.h, "rows");
    spec.x = pool_axis(x, d.w, s.w, "columns");
    spec.avg = avg;
    spec.divisor = divisor;
    if (avg && divisor <= 0 && (fy.ndim() != 1 || fx.ndim() != 1 || fy.shape(0) != d.h || fx.shape(0) != d.w))
        throw py::value_error("fy/fx: divisor tables do not match the output size");
    spec.fy = fy.data();
    spec.fx = fx.data();
    Image ix;
    const Image* ip = nullptr;
    if (!idx.is_none()) {
        const py::array ia = idx.cast<py::array>();
        check_int64(ia, "idx");
        ix = image_of(ia, "idx", true);
        if (ix.planes() != d.planes() || ix.h != d.h || ix.w != d.w || ix.cn != d.cn)
            throw py::value_error("idx: shape differs from dst");
        ip = &ix;
    }
    const auto fn = kernel(&KernelTable::pool, dt, "pool");
    py::gil_scoped_release release;
    fn(s, d, ip, spec, nthreads);
}

int64_t run_max_unpool2d(const py::array& src, const py::array& idx, const py::array& dst, int nthreads) {
    const DType dt = dtype_of(src, "src");
    check_dtype(dst, dt, "dst");
    check_int64(idx, "indices");
    const Image s = image_of(src, "src", false), k = image_of(idx, "indices", false), d = image_of(dst, "dst", true);
    if (s.planes() != d.planes() || s.cn != d.cn || k.planes() != s.planes() || k.h != s.h || k.w != s.w ||
        k.cn != s.cn || d.h < 1 || d.w < 1)
        throw py::value_error("src/indices/dst: shapes do not match");
    const auto fn = kernel(&KernelTable::max_unpool2d, dt, "max_unpool2d");
    py::gil_scoped_release release;
    return fn(s, k, d, nthreads);
}

}  // namespace

void bind_pool(py::module_& m) {
    m.def("pool", &run_pool, py::arg("src"), py::arg("dst"), py::arg("idx"), py::arg("y"), py::arg("x"),
          py::arg("avg"), py::arg("fy"), py::arg("fx"), py::arg("divisor"), py::arg("nthreads"));
    m.def("max_unpool2d", &run_max_unpool2d, py::arg("src"), py::arg("indices"), py::arg("dst"),
          py::arg("nthreads"));
}

}  // namespace pk::bind
