package aclip4j.golden;

import aclip4j.tensor.Tensor;
import aclip4j.Backend;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code goldens verify}: recomputes every golden case under a folder with each requested backend and compares
 * its outputs with the expected ones under the case's tolerances. One line per case and backend, then
 * {@code N passed, M failed}.
 */
public final class Verifier {
    private final Map<String, ComponentHandler> handlers;
    private final PrintStream out;

    public Verifier(Map<String, ComponentHandler> handlers, PrintStream out) {
        this.handlers = handlers;
        this.out = out;
    }

    /** Counts of one verification run. */
    public record Summary(int passed, int failed) {}

    /** Every {@code .safetensors} file under {@code root} (or {@code root} itself), sorted by path. */
    public static List<Path> findCases(Path root) throws IOException {
        if (!Files.exists(root)) {
            throw new IOException(root + ": no such file or directory");
        }
        if (Files.isRegularFile(root)) {
            return List.of(root);
        }
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().endsWith(".safetensors"))
                    .sorted()
                    .toList();
        }
    }

    /**
     * Verifies the cases under {@code root}; {@code components} (empty = all) filters by component name.
     * A case that cannot be read counts as failed on every backend, with the reason.
     */
    public Summary verify(Path root, List<Backend> backends, Set<String> components) throws IOException {
        int passed = 0;
        int failed = 0;
        for (Path file : findCases(root)) {
            String label = root.equals(file) ? file.getFileName().toString() : root.relativize(file).toString();
            GoldenCase golden;
            try {
                golden = GoldenCase.read(file);
            } catch (IOException | RuntimeException e) {
                for (Backend b : backends) {
                    out.println("FAIL " + label + " [" + b.label() + "] unreadable: " + oneLine(e.getMessage()));
                    failed++;
                }
                continue;
            }
            if (!components.isEmpty() && !components.contains(golden.component())) {
                continue;
            }
            for (Backend b : backends) {
                String line = check(golden, b);
                out.println(line.substring(0, 4) + " " + label + " [" + b.label() + "] " + line.substring(5));
                if (line.startsWith("PASS")) {
                    passed++;
                } else {
                    failed++;
                }
            }
        }
        out.println(passed + " passed, " + failed + " failed");
        return new Summary(passed, failed);
    }

    /** "PASS|detail" or "FAIL|detail" for one case on one backend. */
    private String check(GoldenCase golden, Backend backend) {
        ComponentHandler h = handlers.get(golden.component());
        if (h == null) {
            return "FAIL|" + golden.component() + ": unsupported component";
        }
        Map<String, Tensor> actual;
        try {
            actual = h.compute(golden, backend);
        } catch (RuntimeException | Error e) {
            return "FAIL|" + golden.component() + ": " + e.getClass().getSimpleName() + ": " + oneLine(e.getMessage());
        }
        String worstName = null;
        Compare.Result worst = null;
        double worstRatio = Double.NEGATIVE_INFINITY;
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : golden.outputs().entrySet()) {
            String name = e.getKey();
            GoldenCase.Tolerance tol = golden.tolerance(name);
            Compare.Result r = Compare.compare(e.getValue(), actual.get(name), tol);
            // rank outputs by how close their worst element comes to its allowance
            double ratio = !r.passed() ? Double.POSITIVE_INFINITY
                    : r.worstIndex() < 0 ? -1 : r.absError() / (tol.atol() + tol.rtol() * Math.abs(r.expected()));
            if (!r.passed()) {
                failures.add(name);
            }
            if (worst == null || ratio > worstRatio) {
                worst = r;
                worstName = name;
                worstRatio = ratio;
            }
        }
        if (worst == null) {
            return "FAIL|" + golden.component() + ": case has no out.* tensors";
        }
        String detail = golden.component() + " " + worstName + " " + worst.describe();
        if (failures.isEmpty()) {
            return "PASS|" + detail;
        }
        return "FAIL|" + detail + (failures.size() > 1 ? " (failed: " + String.join(", ", failures) + ")" : "");
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replace('\n', ' ').replace('\r', ' ');
    }
}
