// names.t: a C++ program built -O2 whose two hot functions sit in
// namespaces and a class template (GCC names one of them with a clone
// suffix, .isra.0). argv[1]: seconds of CPU time, about 75% in run and
// 25% in mix.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace app {
template <typename T> struct Worker {
	T acc{};
	__attribute__((noinline)) T run(const std::vector<T> &v)
	{
		for (int r = 0; r < 600; r++)
			for (auto x : v)
				acc = acc * 31 + x;
		return acc;
	}
};

namespace detail {
__attribute__((noinline)) double mix(double a, int n)
{
	for (int i = 0; i < n; i++)
		a = a * 1.0000001 + 0.5;
	return a;
}
} // namespace detail
} // namespace app

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	std::vector<int> v(10000, 3);
	app::Worker<int> w;
	double d = 0;
	auto t0 = std::chrono::steady_clock::now();
	while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < secs) {
		w.run(v);
		d = app::detail::mix(d, 1000000);
	}
	printf("%d %f\n", w.acc, d);
	return 0;
}
