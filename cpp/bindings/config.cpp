// Bindings of the configuration: ISA levels, threads, the codes shared with Python, and
// the benchmark's copy-bandwidth yardstick.
#include "bindings/array.hpp"
#include "core/dispatch.hpp"
#include "core/parallel.hpp"

namespace pk::bind {

void bind_config(py::module_& m) {
    m.def("all_isas", &all_isas);
    m.def("compiled_isas", &compiled_isas);
    m.def("supported_isas", &supported_isas);
    m.def("active_isa", &active_isa);
    m.def("set_max_isa", [](const std::string& name) {
        if (!set_max_isa(name)) {
            std::string names;
            for (const auto& n : all_isas()) names += (names.empty() ? "" : ", ") + n;
            throw py::value_error("level: unknown ISA level '" + name + "'; accepted: " + names);
        }
    });
    m.def("hardware_threads", &hardware_threads);
    m.def("in_forked_child", &in_forked_child);
    m.def("parallel_copy", [](py::array dst, const py::array& src, int nthreads) {
        if (!(dst.flags() & py::array::c_style) || !(src.flags() & py::array::c_style) || !dst.writeable() ||
            dst.nbytes() != src.nbytes())
            throw py::value_error("parallel_copy: needs C-contiguous arrays of equal byte size, dst writeable");
        void* d = dst.mutable_data();
        const void* s = src.data();
        const int64_t n = src.nbytes();
        py::gil_scoped_release release;
        parallel_copy(d, s, n, nthreads);
    }, py::arg("dst"), py::arg("src"), py::arg("nthreads"));

    py::dict borders;
#define PK_BORDER_ITEM(name, code) borders[#name] = code;
    PK_BORDERS(PK_BORDER_ITEM)
#undef PK_BORDER_ITEM
    m.attr("BORDERS") = borders;
    m.attr("compiler") = PK_COMPILER;
#ifdef PK_HAVE_OPENMP
    m.attr("openmp") = true;
    m.attr("openmp_version") = int(_OPENMP);
#else
    m.attr("openmp") = false;
    m.attr("openmp_version") = 0;
#endif
}

}  // namespace pk::bind
