package aclip4j.data;

/**
 * Shapes drawn by {@link ScenesDataset}. Each is defined in its own frame: {@code (u, v)} scaled by the object's
 * radius, {@code v} pointing down, the shape inside the unit disc. Areas are kept comparable (0.35π..π) so the
 * shape, not its size, tells the classes apart.
 */
public enum SceneShape {
    CIRCLE, SQUARE, TRIANGLE, RING, CROSS, STAR, DIAMOND;

    private static final double[] STAR_U = new double[10];
    private static final double[] STAR_V = new double[10];

    static {
        for (int k = 0; k < 10; k++) {
            double r = k % 2 == 0 ? 1.0 : 0.45;
            double a = -Math.PI / 2 + k * Math.PI / 5; // first point straight up
            STAR_U[k] = r * Math.cos(a);
            STAR_V[k] = r * Math.sin(a);
        }
    }

    /** The caption word ("triangle"). */
    public String word() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Whether the point {@code (u, v)} of the shape's unit frame is inside the shape. */
    public boolean contains(double u, double v) {
        double au = Math.abs(u), av = Math.abs(v);
        return switch (this) {
            case CIRCLE -> u * u + v * v <= 1.0;
            case RING -> {
                double rr = u * u + v * v;
                yield rr <= 1.0 && rr >= 0.55 * 0.55;
            }
            case SQUARE -> au <= 0.7071 && av <= 0.7071; // corners on the unit circle
            case DIAMOND -> au + av <= 1.0;
            // Apex up at (0,-1), base at v = 0.5 from u = -sqrt(3)/2 to +sqrt(3)/2.
            case TRIANGLE -> v <= 0.5 && v >= -1.0 && au <= (v + 1.0) / 1.5 * 0.8660254037844386;
            case CROSS -> (au <= 0.3 && av <= 0.95) || (av <= 0.3 && au <= 0.95); // arm corners inside the disc
            case STAR -> inPolygon(STAR_U, STAR_V, u, v);
        };
    }

    // Even-odd ray casting.
    private static boolean inPolygon(double[] xs, double[] ys, double x, double y) {
        boolean in = false;
        for (int i = 0, j = xs.length - 1; i < xs.length; j = i++) {
            if ((ys[i] > y) != (ys[j] > y) && x < (xs[j] - xs[i]) * (y - ys[i]) / (ys[j] - ys[i]) + xs[i]) {
                in = !in;
            }
        }
        return in;
    }
}
