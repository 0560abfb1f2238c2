package aclip4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code aclip4j} command line: one subcommand per job. */
@Command(name = "aclip4j",
        mixinStandardHelpOptions = true,
        version = "aclip4j 0.1.0",
        description = "Attentive Mask CLIP (A-CLIP) on the JVM: Vector API and ND4J twins, golden cases, training.",
        subcommands = {DemoCommand.class, TrainCommand.class, EvalCommand.class, ExperimentCommand.class, BenchCommand.class, MasksCommand.class, PlotCommand.class, GoldensCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            System.err.println("aclip4j: the JDK module jdk.incubator.vector is not loaded: run through ./aclip4j, or add"
                    + " --add-modules jdk.incubator.vector to the java command (JDK 17 or newer)");
            System.exit(2);
        }
        aclip4j.Nd4jMemory.capOffHeap();
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (tests call this). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOverwrittenOptionsAllowed(true); // an option given twice: the last one wins
        cl.setParameterExceptionHandler((ex, given) -> {
            // a mistyped option or value: one line naming it and where the help is, not the whole usage text
            CommandLine sub = ex.getCommandLine();
            String name = sub.getCommandSpec().qualifiedName();
            sub.getErr().println("aclip4j: " + ex.getMessage().replace('\n', ' ').strip() + " (see '" + name
                    + " --help')");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            // bad input is the user's problem, not a stack trace's: one line naming it
            String message = ex.getMessage() == null ? ex.toString() : ex.getMessage();
            if (ex instanceof java.nio.file.NoSuchFileException) {
                message = "no such file: " + message;
            } else if (ex instanceof java.nio.file.AccessDeniedException) {
                message = "permission denied: " + message;
            }
            line.getErr().println("aclip4j: " + message);
            if (Boolean.getBoolean("aclip4j.debug")) {
                ex.printStackTrace(line.getErr());
            }
            return 2;
        });
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            // the Java heap, not the machine: say how to give it more, in one line
            long max = Runtime.getRuntime().maxMemory();
            System.err.println("aclip4j: out of Java heap (" + e.getMessage() + ", limit " + (max >> 20) + " MB): give the"
                    + " JVM more, e.g. ACLIP4J_JAVA_OPTS=-Xmx16g, or split the batch with --accum (README, Memory)");
            return 2;
        } catch (ExceptionInInitializerError e) {
            // a -D setting that a class reads as it loads (-Daclip4j.threads, -Daclip4j.spin.micros, ...) is bad:
            // its own one-line message, as for any other bad input
            if (!(e.getCause() instanceof IllegalArgumentException)) {
                throw e;
            }
            System.err.println("aclip4j: " + e.getCause().getMessage());
            return 2;
        }
    }
}
