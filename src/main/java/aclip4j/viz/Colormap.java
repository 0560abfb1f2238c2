package aclip4j.viz;

import java.util.Locale;

/**
 * Perceptually uniform colour maps for score heat maps: matplotlib's {@code viridis} and {@code inferno}, as ten
 * evenly spaced stops (the R {@code viridisLite} palettes) joined linearly — indistinguishable by eye from the
 * 256-entry tables at heat-map sizes.
 */
public enum Colormap {
    VIRIDIS(0x440154, 0x482878, 0x3E4A89, 0x31688E, 0x26828E, 0x1F9E89, 0x35B779, 0x6DCD59, 0xB4DE2C, 0xFDE725),
    INFERNO(0x000004, 0x1B0C42, 0x4B0C6B, 0x781C6D, 0xA52C60, 0xCF4446, 0xED6925, 0xFB9A06, 0xF7D03C, 0xFCFFA4);

    private final int[] stops;

    Colormap(int... stops) {
        this.stops = stops;
    }

    /** Parses {@code viridis} or {@code inferno}. */
    public static Colormap parse(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "viridis" -> VIRIDIS;
            case "inferno" -> INFERNO;
            default -> throw new IllegalArgumentException("colour map '" + name + "', expected viridis or inferno");
        };
    }

    /** The colour of {@code t} in [0, 1] (clamped; NaN is refused) as 0xRRGGBB. */
    public int rgb(double t) {
        if (Double.isNaN(t)) {
            throw new IllegalArgumentException("colour map value is NaN, expected a number in [0, 1]");
        }
        double x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
        int i = Math.min((int) x, stops.length - 2);
        double f = x - i;
        int a = stops[i];
        int b = stops[i + 1];
        int r = mix(a >> 16 & 0xFF, b >> 16 & 0xFF, f);
        int g = mix(a >> 8 & 0xFF, b >> 8 & 0xFF, f);
        int bl = mix(a & 0xFF, b & 0xFF, f);
        return r << 16 | g << 8 | bl;
    }

    private static int mix(int a, int b, double f) {
        return (int) Math.round(a + (b - a) * f);
    }
}
