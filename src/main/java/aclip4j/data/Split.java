package aclip4j.data;

/** Which part of a data source: the training images or the held-out ones (evaluation, SPEC §11). */
public enum Split {
    TRAIN(0), TEST(1);

    /** Mixed into the seed of procedural data so the two splits draw from independent streams. */
    final int streamId;

    Split(int streamId) {
        this.streamId = streamId;
    }

    /** "train" or "test" (also accepts "val", "held-out", "heldout" for TEST). */
    public static Split parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "train" -> TRAIN;
            case "test", "val", "held-out", "heldout" -> TEST;
            default -> throw new IllegalArgumentException("unknown split '" + s + "', expected train or test");
        };
    }
}
