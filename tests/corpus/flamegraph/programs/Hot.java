public class Hot {
    static double inner(int n) { double s = 0; for (int i = 0; i < n; i++) s += Math.sqrt(i) * 1.0001; return s; }
    static double outer() { return inner(20000); }
    public static void main(String[] a) {
        long end = System.currentTimeMillis() + (long) (Double.parseDouble(a[0]) * 1000);
        double t = 0;
        while (System.currentTimeMillis() < end) t += outer();
        System.out.println(t > 0);
    }
}
