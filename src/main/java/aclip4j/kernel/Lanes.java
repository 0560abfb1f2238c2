package aclip4j.kernel;

import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The lane width every Vector API kernel runs at, chosen once per JVM at class initialisation (llama3.java style),
 * and the two ways a kernel can run: its scalar specification ({@link #SCALAR}) or its vector code at that width.
 *
 * <p>The system property {@value #PROPERTY} overrides the CPU's preferred width: {@code 0} means plain scalar loops
 * (the specification every vector kernel is tested against), {@code 128}, {@code 256} or {@code 512} select that
 * vector shape. The width is a {@code static final} ({@link #SPECIES}), so C2 folds it into every kernel and each
 * kernel is written once for all widths. Every kernel gives the same bits at every width (docs/SPEC.md §13: sixteen
 * interleaved partial sums, one fixed tree, the tail in order), so the width changes the speed only. A JVM runs one
 * width; the tests sweep the widths in separate JVMs (one Surefire execution per width).
 *
 * <p>Kernels still take a {@code Lanes} argument so that a test can run the scalar specification and the vector
 * code side by side in one JVM and compare their bits.
 */
public final class Lanes {
    public static final String PROPERTY = "aclip4j.simd.bits";

    /** Partial sums of the canonical summation order (docs/SPEC.md §13). */
    public static final int PARTIALS = 16;

    /** The vector width of this JVM in bits: 0 (scalar loops only), 128, 256 or 512. */
    public static final int BITS = bitsFromProperty();

    /**
     * The species of every vector kernel. At {@code BITS == 0} a 128-bit placeholder that no kernel reaches (kernels
     * take their scalar loops), so that the constant is never null.
     */
    public static final VectorSpecies<Float> SPECIES = BITS == 0 ? FloatVector.SPECIES_128 : speciesOf(BITS);

    /** Floats per vector of {@link #SPECIES}: 4, 8 or 16. */
    public static final int LENGTH = SPECIES.length();

    /** Vector accumulators holding the 16 partial sums: 1 at 512 bits, 2 at 256, 4 at 128. */
    public static final int ACCUMULATORS = PARTIALS / LENGTH;

    /** The system property that overrides {@link #REGISTERS}: 16 or 32. */
    public static final String REGISTERS_PROPERTY = "aclip4j.simd.registers";

    /**
     * Vector registers the register-blocked kernels (matmul, attention) size their tiles for: 32 for the 512-bit
     * kernels of an AVX-512 machine and on AArch64, else 16 (AVX2, SSE, and narrower widths forced on AVX-512).
     * {@value #REGISTERS_PROPERTY}{@code =32} gives a 256-bit run on an AVX-512 machine the larger tiles (its 256-bit
     * instructions reach all 32 registers; faster alone, but see registersFromProperty). The tile decides which
     * output elements are computed together, never the order of any element's terms, so it changes no bits.
     */
    public static final int REGISTERS = registersFromProperty();

    /** The scalar specification. */
    public static final Lanes SCALAR = new Lanes(0);

    private static final Lanes CONFIGURED = BITS == 0 ? SCALAR : new Lanes(BITS);

    private final int bits;

    private Lanes(int bits) {
        this.bits = bits;
    }

    /**
     * {@code 0} for the scalar specification, or this JVM's width {@link #BITS}. Another width cannot run in this
     * JVM (the species is a class constant): start the JVM with {@code -D}{@value #PROPERTY}{@code =bits}.
     */
    public static Lanes of(int bits) {
        if (bits == 0) {
            return SCALAR;
        }
        if (bits == BITS) {
            return CONFIGURED;
        }
        throw new IllegalArgumentException("this JVM runs its vector kernels at " + describe(BITS) + "; for " + bits
                + " bits start it with -D" + PROPERTY + "=" + bits);
    }

    /** This JVM's width: {@value #PROPERTY}, or the CPU's preferred one. */
    public static Lanes preferred() {
        return CONFIGURED;
    }

    /** What a test compares in one JVM: the scalar specification and, unless it is the same, this JVM's width. */
    public static List<Lanes> testWidths() {
        return BITS == 0 ? List.of(SCALAR) : List.of(SCALAR, CONFIGURED);
    }

    private static int bitsFromProperty() {
        String value = System.getProperty(PROPERTY);
        if (value == null || value.isBlank()) {
            int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
            // 64-bit vectors (two floats) gain nothing; wider than 512 (SVE) would hold more than 16 partials
            return preferred < 128 ? 0 : Math.min(preferred, 512);
        }
        int bits;
        try {
            bits = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + value + " is not a number of bits"
                    + " (expected 0, 128, 256 or 512)");
        }
        if (bits != 0 && bits != 128 && bits != 256 && bits != 512) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + value
                    + " is not a supported lane width (expected 0 for scalar, 128, 256 or 512)");
        }
        return bits;
    }

    private static int registersFromProperty() {
        String value = System.getProperty(REGISTERS_PROPERTY);
        if (value == null || value.isBlank()) {
            // 32 only for the 512-bit kernels (and AArch64): at -Daclip4j.simd.bits=256 on AVX-512 the 32-register
            // 6 x 4 matmul tile made C2 give up intrinsifying MatmulGemm.kernel in some JVMs (a ViT-S/16 B 8 step
            // at 50 s instead of 4.4 s, BENCHMARKS.md), so narrower widths keep the AVX2 tiles unless asked
            boolean arm = System.getProperty("os.arch", "").equals("aarch64");
            return arm || (BITS >= 512 && FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512) ? 32 : 16;
        }
        String v = value.trim();
        if (!v.equals("16") && !v.equals("32")) {
            throw new IllegalArgumentException("-D" + REGISTERS_PROPERTY + "=" + value
                    + " is not a supported register count (expected 16 or 32)");
        }
        return Integer.parseInt(v);
    }

    private static VectorSpecies<Float> speciesOf(int bits) {
        return switch (bits) {
            case 128 -> FloatVector.SPECIES_128;
            case 256 -> FloatVector.SPECIES_256;
            default -> FloatVector.SPECIES_512;
        };
    }

    private static String describe(int bits) {
        return bits == 0 ? "scalar loops (0 bits)" : bits + " bits";
    }

    /** True when kernels must take their scalar loops. */
    public boolean scalar() {
        return bits == 0;
    }

    /** Floats per vector, 1 for scalar. */
    public int length() {
        return bits == 0 ? 1 : LENGTH;
    }

    /** Largest multiple of the lane count not above n (0 for scalar: everything is tail). */
    public int loopBound(int n) {
        return bits == 0 ? 0 : SPECIES.loopBound(n);
    }

    public int bits() {
        return bits;
    }

    @Override
    public String toString() {
        return bits == 0 ? "scalar" : bits + "-bit" + (bits < 512 && REGISTERS == 32 ? " (32 registers)" : "");
    }
}
