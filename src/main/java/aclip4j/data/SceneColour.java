package aclip4j.data;

/** Object colours of {@link ScenesDataset}: saturated (or white) so they stand out from the low-contrast clutter. */
public enum SceneColour {
    RED(0.90f, 0.10f, 0.10f),
    GREEN(0.10f, 0.75f, 0.20f),
    BLUE(0.15f, 0.30f, 0.95f),
    YELLOW(0.95f, 0.90f, 0.10f),
    PURPLE(0.60f, 0.15f, 0.80f),
    ORANGE(1.00f, 0.55f, 0.05f),
    WHITE(0.97f, 0.97f, 0.97f);

    /** Nominal RGB in [0,1]; each object varies it slightly. */
    public final float r, g, b;

    SceneColour(float r, float g, float b) {
        this.r = r;
        this.g = g;
        this.b = b;
    }

    /** The caption word ("red"). */
    public String word() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
