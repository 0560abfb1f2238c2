package aclip4j.cli;

import aclip4j.Backend;
import aclip4j.golden.Handlers;
import aclip4j.golden.Verifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code aclip4j goldens verify}: checks golden cases (goldens/README.md) against this implementation. */
@Command(name = "goldens", mixinStandardHelpOptions = true,
        description = "Work with golden cases (goldens/README.md).",
        subcommands = {GoldensCommand.Verify.class})
public final class GoldensCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Recompute every golden case under DIR from its inputs and compare with its outputs.",
                    "Prints one line per case and backend (PASS/FAIL, the worst element, its index, expected and"
                            + " actual), then 'N passed, M failed'. Exits 0 only when nothing failed."})
    static final class Verify implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "DIR", description = "a folder of cases (searched recursively) or one case file")
        Path dir;

        @Option(names = "--backend", defaultValue = "both", paramLabel = "simd|nd4j|both",
                description = "which implementation to check (default: ${DEFAULT-VALUE})")
        String backend;

        @Option(names = "--component", split = ",", paramLabel = "NAME",
                description = "only cases of these components (comma-separated)")
        List<String> components = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            List<Backend> backends = new ArrayList<>();
            switch (backend.trim().toLowerCase(Locale.ROOT)) {
                case "both": backends.add(Backend.SIMD); backends.add(Backend.ND4J); break;
                default: backends.add(Backend.parse(backend));
            }
            Set<String> filter = new LinkedHashSet<>();
            for (String c : components) {
                if (!c.isBlank()) {
                    filter.add(c.trim());
                }
            }
            Verifier.Summary s = new Verifier(Handlers.all(), System.out).verify(dir, backends, filter);
            return s.failed() == 0 ? 0 : 1;
        }
    }
}
