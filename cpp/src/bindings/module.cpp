// pybind11 bindings: NumPy array -> pk::Image, dtype switch, GIL release. No arithmetic:
// shapes, layouts and parameters are normalised and validated in python/pyramidkit.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "pyramidkit/dispatch.hpp"
#include "pyramidkit/kernels.hpp"
#include "pyramidkit/parallel.hpp"

namespace py = pybind11;

namespace {

pk::DType dtype_of(const py::array& a, const char* name) {
    const py::dtype dt = a.dtype();
    const char kind = dt.kind();
    const auto size = dt.itemsize();
    if (kind == 'u' && size == 1) return pk::DType::u8;
    if (kind == 'u' && size == 2) return pk::DType::u16;
    if (kind == 'i' && size == 2) return pk::DType::i16;
    if (kind == 'f' && size == 2) return pk::DType::f16;
    if (kind == 'f' && size == 4) return pk::DType::f32;
    if (kind == 'f' && size == 8) return pk::DType::f64;
    throw py::type_error(std::string(name) + ": unsupported dtype " + std::string(py::str(dt)));
}

// A 5-D (n0, n1, H, W, C) array whose pixels are contiguous within a row.
pk::Image image_of(const py::array& a, const char* name, bool writeable) {
    if (a.ndim() != 5) throw py::value_error(std::string(name) + ": expected a 5-D plane view");
    if (writeable && !a.writeable()) throw py::value_error(std::string(name) + ": array is read-only");
    const auto item = a.itemsize();
    if ((a.shape(4) > 1 && a.strides(4) != item) || (a.shape(3) > 1 && a.strides(3) != a.shape(4) * item))
        throw py::value_error(std::string(name) + ": pixels must be contiguous within a row");
    pk::Image im;
    im.data = static_cast<char*>(const_cast<void*>(a.data()));
    im.n0 = a.shape(0); im.n1 = a.shape(1); im.h = a.shape(2); im.w = a.shape(3); im.cn = a.shape(4);
    im.s0 = a.strides(0); im.s1 = a.strides(1); im.sh = a.strides(2);
    return im;
}


template <pk::PyrFn (pk::KernelTable::*Field)[pk::kNumDTypes]>
void run_pyr(const py::array& src, const py::array& dst, int border, double value, int nthreads) {
    const pk::DType dt = dtype_of(src, "src");
    if (dtype_of(dst, "dst") != dt) throw py::type_error("dst: dtype differs from src");
    const pk::Image s = image_of(src, "src", false), d = image_of(dst, "dst", true);
    if (s.planes() != d.planes() || s.cn != d.cn || s.h < 1 || s.w < 1 || d.h < 1 || d.w < 1)
        throw py::value_error("src/dst: plane counts, channels or sizes do not match");
    if (border < 0 || border > 4) throw py::value_error("border: unknown border code");
    const pk::BorderSpec b{static_cast<pk::Border>(border), value};
    const pk::PyrFn fn = (pk::kernels().*Field)[static_cast<int>(dt)];
    py::gil_scoped_release release;
    fn(s, d, b, nthreads);
}

}  // namespace

PYBIND11_MODULE(_core, m) {
    m.doc() = "pyramidkit native kernels (use the pyramidkit package, not this module)";
    pk::install_fork_handler();

    m.def("pyr_down", &run_pyr<&pk::KernelTable::pyr_down>, py::arg("src"), py::arg("dst"),
          py::arg("border"), py::arg("value"), py::arg("nthreads"));
    m.def("pyr_up", &run_pyr<&pk::KernelTable::pyr_up>, py::arg("src"), py::arg("dst"),
          py::arg("border"), py::arg("value"), py::arg("nthreads"));

    m.def("compiled_isas", &pk::compiled_isas);
    m.def("supported_isas", &pk::supported_isas);
    m.def("active_isa", &pk::active_isa);
    m.def("set_max_isa", [](const std::string& name) {
        if (!pk::set_max_isa(name))
            throw py::value_error("level: unknown ISA level '" + name + "'; accepted: baseline, avx2, avx512");
    });
    m.def("hardware_threads", &pk::hardware_threads);
    m.def("parallel_copy", [](py::array dst, const py::array& src, int nthreads) {
        if (!(dst.flags() & py::array::c_style) || !(src.flags() & py::array::c_style) || !dst.writeable() ||
            dst.nbytes() != src.nbytes())
            throw py::value_error("parallel_copy: needs C-contiguous arrays of equal byte size, dst writeable");
        void* d = dst.mutable_data();
        const void* s = src.data();
        const int64_t n = src.nbytes();
        py::gil_scoped_release release;
        pk::parallel_copy(d, s, n, nthreads);
    }, py::arg("dst"), py::arg("src"), py::arg("nthreads"));
    m.def("in_forked_child", &pk::in_forked_child);
#ifdef PK_HAVE_OPENMP
    m.attr("openmp") = true;
    m.attr("openmp_version") = int(_OPENMP);
#else
    m.attr("openmp") = false;
    m.attr("openmp_version") = 0;
#endif
}
