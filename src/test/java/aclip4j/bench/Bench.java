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
 * {@code -wi 2 -i 3 -r 1s -f 1 -p shape=1024x1024x1024}) and prints GFLOP/s and the fraction of one core's
 * fp32 peak. Peak = FMA units x lanes x 2 flops x GHz, from {@code -Dbench.ghz} (default 4.3) and
 * {@code -Dbench.fmaUnits} (default 2), lanes from {@link Lanes#preferred()}: 2 x 16 x 2 x 4.3 = 275 GFLOP/s
 * on an AVX-512 core with two 512-bit FMA pipes.
 */
public final class Bench {
    private Bench() {}

    public static void main(String[] args) throws Exception {
        CommandLineOptions cli = new CommandLineOptions(args);
        OptionsBuilder opts = new OptionsBuilder();
        opts.parent(cli);
        if (cli.getIncludes().isEmpty()) {
            opts.include(MatmulBench.class.getSimpleName());
        }
        Collection<RunResult> results = new Runner(opts.build()).run();

        double ghz = Double.parseDouble(System.getProperty("bench.ghz", "4.3"));
        int fmaUnits = Integer.getInteger("bench.fmaUnits", 2);
        int lanes = Lanes.preferred().length();
        double peak = fmaUnits * lanes * 2 * ghz;
        System.out.printf("%nPeak of one core: %d FMA units x %d lanes x 2 flops x %.2f GHz = %.1f GFLOP/s%n",
                fmaUnits, lanes, ghz, peak);
        System.out.printf("%-16s %-16s %12s %10s %8s %10s %10s%n",
                "shape BTxCxOC", "method", "ms/op", "GFLOP/s", "% peak", "x scalar", "x naive");
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
            System.out.printf("%-16s %-16s %12.3f %10.1f %7.1f%% %10s %10s%n", shape, method, t, gflops,
                    100 * gflops / peak, ratio(scalar, t, method), ratio(naive, t, method));
        }
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
