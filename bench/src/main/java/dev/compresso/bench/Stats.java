package dev.compresso.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** Median and spread of a sample of timings, and reading the process RSS. */
final class Stats {

    private Stats() {}

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** "median m (min a, max b, n=k)" with {@code fmt} for each value. */
    static String summary(List<Double> xs, String fmt) {
        return String.format(Locale.ROOT, "median " + fmt + " (min " + fmt + ", max " + fmt + ", n=%d)",
                median(xs), Collections.min(xs), Collections.max(xs), xs.size());
    }

    /** The resident set size of this process in MiB, from /proc/self/status (VmRSS). */
    static double rssMiB() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        throw new IllegalStateException("no VmRSS line in /proc/self/status (this benchmark needs Linux)");
    }
}
