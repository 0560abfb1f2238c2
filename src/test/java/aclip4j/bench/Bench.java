package aclip4j.bench;

import aclip4j.kernel.Lanes;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the JMH benchmarks (default {@link MatmulBench}; any JMH command-line option passes through, e.g.
 * {@code -wi 2 -i 3 -r 1s -f 1 -p shape=1024x1024x1024}) and prints GFLOP/s against two peaks of one core:
 * <ul>
 *   <li>nominal: FMA units x lanes x 2 flops x GHz, from {@code -Dbench.ghz} (default 4.3) and
 *       {@code -Dbench.fmaUnits} (default 2), lanes from {@link Lanes#preferred()}: 2 x 16 x 2 x 4.3 =
 *       275 GFLOP/s on an AVX-512 core with two 512-bit FMA pipes;</li>
 *   <li>measured: {@link FmaPeak}, register-only FMAs, run by JMH with the same iteration settings right before
 *       and right after the other benchmarks (the clock of a shared host drifts; both values are printed, the
 *       ratio uses their mean). {@code -Dbench.measurePeak=false} skips it.</li>
 * </ul>
 */
public final class Bench {
    /** Clock and FMA units behind the nominal peak: {@code -Dbench.ghz} (4.3), {@code -Dbench.fmaUnits} (2). */
    static final double GHZ = Double.parseDouble(System.getProperty("bench.ghz", "4.3"));
    static final int FMA_UNITS = Integer.getInteger("bench.fmaUnits", 2);

    private Bench() {}

    /** FMA units x lanes x 2 flops x GHz, in GFLOP/s. */
    static double nominalPeak(int lanes) {
        return FMA_UNITS * lanes * 2 * GHZ;
    }

    public static void main(String[] args) throws Exception {
        CommandLineOptions cli = new CommandLineOptions(args);
        OptionsBuilder opts = new OptionsBuilder();
        opts.parent(cli);
        if (cli.getIncludes().isEmpty()) {
            opts.include(MatmulBench.class.getSimpleName());
        }
        boolean measurePeak = Boolean.parseBoolean(System.getProperty("bench.measurePeak", "true"));
        double peakBefore = measurePeak ? fmaPeak(cli) : Double.NaN;
        Collection<RunResult> results = new Runner(opts.build()).run();
        double peakAfter = measurePeak ? fmaPeak(cli) : Double.NaN;
        double measured = (peakBefore + peakAfter) / 2;

        int lanes = Lanes.preferred().length();
        double peak = nominalPeak(lanes);
        System.out.printf("%nPeak of one core: %d FMA units x %d lanes x 2 flops x %.2f GHz = %.1f GFLOP/s%n",
                FMA_UNITS, lanes, GHZ, peak);
        if (measurePeak) {
            System.out.printf("Measured peak (FmaPeak, register-only FMAs): %.1f GFLOP/s before, %.1f after, mean %.1f"
                    + " = %.1f%% of nominal (an effective %.2f GHz)%n", peakBefore, peakAfter, measured,
                    100 * measured / peak, measured / (FMA_UNITS * lanes * 2));
        }
        System.out.printf("%-16s %-16s %12s %10s %8s %10s %10s %10s%n",
                "shape BTxCxOC", "method", "ms/op", "GFLOP/s", "% peak", "% meas.", "x scalar", "x naive");
        Map<String, Double> ms = new HashMap<>();
        for (RunResult r : results) {
            ms.put(key(r), r.getPrimaryResult().getScore());
        }
        for (RunResult r : results) {
            String shape = r.getParams().getParam("shape");
            String method = method(r);
            double t = r.getPrimaryResult().getScore();
            String[] d = shape.split("x");
            double flops = (method.contains("Backward") ? 4.0 : 2.0)
                    * Double.parseDouble(d[0]) * Double.parseDouble(d[1]) * Double.parseDouble(d[2]);
            double gflops = flops / (t * 1e6);
            Double scalar = ms.get(shape + "/scalar");
            Double naive = ms.get(shape + "/naiveVector");
            String ofMeasured = measurePeak ? String.format("%.1f%%", 100 * gflops / measured) : "-";
            System.out.printf("%-16s %-16s %12.3f %10.1f %7.1f%% %10s %10s %10s%n", shape, method, t, gflops,
                    100 * gflops / peak, ofMeasured, ratio(scalar, t, method), ratio(naive, t, method));
        }
    }

    /** GFLOP/s of {@link FmaPeak} under the command line's warm-up, measurement and fork settings. */
    private static double fmaPeak(CommandLineOptions cli) throws Exception {
        OptionsBuilder o = new OptionsBuilder();
        o.include(FmaPeak.class.getName() + ".fma$");
        if (cli.getWarmupIterations().hasValue()) {
            o.warmupIterations(cli.getWarmupIterations().get());
        }
        if (cli.getWarmupTime().hasValue()) {
            o.warmupTime(cli.getWarmupTime().get());
        }
        if (cli.getMeasurementIterations().hasValue()) {
            o.measurementIterations(cli.getMeasurementIterations().get());
        }
        if (cli.getMeasurementTime().hasValue()) {
            o.measurementTime(cli.getMeasurementTime().get());
        }
        if (cli.getForkCount().hasValue()) {
            o.forks(cli.getForkCount().get());
        }
        if (cli.getJvm().hasValue()) {
            o.jvm(cli.getJvm().get());
        }
        RunResult r = new Runner(o.build()).runSingle();
        return FmaPeak.flops(FmaPeak.ITERS) / (r.getPrimaryResult().getScore() * 1e6);
    }

    private static String ratio(Double base, double t, String method) {
        return base == null || method.contains("Backward") ? "-" : String.format("%.1f", base / t);
    }

    private static String method(RunResult r) {
        String label = r.getParams().getBenchmark();
        return label.substring(label.lastIndexOf('.') + 1);
    }

    private static String key(RunResult r) {
        return r.getParams().getParam("shape") + "/" + method(r);
    }
}
