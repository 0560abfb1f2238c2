package aclip4j.kernel;

import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The lane width every Vector API kernel runs at, chosen once (llama3.java style).
 *
 * <p>The system property {@value #PROPERTY} overrides the CPU's preferred width: {@code 0} means plain scalar
 * loops (the specification every vector kernel is tested against), {@code 64}, {@code 128}, {@code 256} or
 * {@code 512} select that vector shape. Kernels take a {@code Lanes} so tests can run every width in one JVM.
 */
public final class Lanes {
    public static final String PROPERTY = "aclip4j.simd.bits";

    private static final Lanes PREFERRED = fromProperty();

    private final VectorSpecies<Float> species; // null: scalar loops only
    private final int bits;

    private Lanes(VectorSpecies<Float> species, int bits) {
        this.species = species;
        this.bits = bits;
    }

    /** {@code bits} = 0 for scalar, else 64, 128, 256 or 512. */
    public static Lanes of(int bits) {
        switch (bits) {
            case 0: return new Lanes(null, 0);
            case 64: return new Lanes(FloatVector.SPECIES_64, 64);
            case 128: return new Lanes(FloatVector.SPECIES_128, 128);
            case 256: return new Lanes(FloatVector.SPECIES_256, 256);
            case 512: return new Lanes(FloatVector.SPECIES_512, 512);
            default:
                throw new IllegalArgumentException(
                        "unsupported lane width " + bits + " bits, expected 0 (scalar), 64, 128, 256 or 512");
        }
    }

    /** The width from {@value #PROPERTY}, or the CPU's preferred one. */
    public static Lanes preferred() {
        return PREFERRED;
    }

    /** Every width the tests compare: scalar, 128, 256 and 512 bits. */
    public static List<Lanes> testWidths() {
        return List.of(of(0), of(128), of(256), of(512));
    }

    private static Lanes fromProperty() {
        String value = System.getProperty(PROPERTY);
        if (value == null || value.isBlank()) {
            return of(FloatVector.SPECIES_PREFERRED.vectorBitSize());
        }
        try {
            return of(Integer.parseInt(value.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + value + " is not a number of bits", e);
        }
    }

    /** True when kernels must take their scalar loops. */
    public boolean scalar() {
        return species == null;
    }

    /** The vector species; only valid when {@link #scalar()} is false. */
    public VectorSpecies<Float> species() {
        if (species == null) {
            throw new IllegalStateException("scalar Lanes has no vector species");
        }
        return species;
    }

    /** Floats per vector, 1 for scalar. */
    public int length() {
        return species == null ? 1 : species.length();
    }

    /** Largest multiple of the lane count not above n (n itself for scalar). */
    public int loopBound(int n) {
        return species == null ? 0 : species.loopBound(n);
    }

    public int bits() {
        return bits;
    }

    @Override
    public String toString() {
        return bits == 0 ? "scalar" : bits + "-bit";
    }
}
