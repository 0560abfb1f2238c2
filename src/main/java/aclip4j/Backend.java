package aclip4j;

import java.util.Locale;

/** The two implementations of every A-CLIP component (one interface, two twins). */
public enum Backend {
    /** Plain Java with the JDK Vector API: deterministic, the readable specification. */
    SIMD,
    /** ND4J ops (CPU backend by default, CUDA with the {@code cuda} Maven profile). */
    ND4J;

    /** Parses {@code simd} or {@code nd4j} (any case); anything else is refused with the accepted names. */
    public static Backend parse(String name) {
        switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "simd": return SIMD;
            case "nd4j": return ND4J;
            default: throw new IllegalArgumentException("unknown backend '" + name + "', expected simd or nd4j");
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
