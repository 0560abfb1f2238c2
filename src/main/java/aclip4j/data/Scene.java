package aclip4j.data;

import java.util.List;

/**
 * One procedural scene of {@link ScenesDataset}: its objects (the first is the main object, the one the class label
 * names) and the seed of its background clutter.
 */
public record Scene(List<Obj> objects, long backgroundSeed) {
    public Scene {
        objects = List.copyOf(objects);
        if (objects.isEmpty()) {
            throw new IllegalArgumentException("a scene needs at least one object");
        }
    }

    /** The object the label is about. */
    public Obj main() {
        return objects.get(0);
    }

    /**
     * One object.
     *
     * @param shape  its shape
     * @param colour its colour name
     * @param rgb    the colour actually drawn (the nominal colour, slightly varied)
     * @param large  size word: large or small
     * @param cx     centre x in pixels
     * @param cy     centre y in pixels
     * @param radius radius in pixels (the shape lies inside this disc)
     * @param angle  rotation in radians
     * @param row    0 top, 1 middle, 2 bottom (from the centre, in thirds of the image)
     * @param col    0 left, 1 middle, 2 right
     */
    public record Obj(SceneShape shape, SceneColour colour, float[] rgb, boolean large, double cx, double cy,
                      double radius, double angle, int row, int col) {

        /** "red triangle": the class name. */
        public String className() {
            return colour.word() + " " + shape.word();
        }

        /** "small red triangle". */
        public String sizedName() {
            return (large ? "large " : "small ") + className();
        }

        /** "top left", "top", "center", "bottom right", … */
        public String where() {
            return WHERE[row][col];
        }

        /** "at the top left", "on the right", "in the center". */
        public String at() {
            return AT[row][col];
        }

        /** A second phrasing: "in the top left corner", "at the right", "in the middle". */
        public String atAlt() {
            return AT_ALT[row][col];
        }

        /** Whether pixel-space point {@code (x, y)} lies inside the object. */
        public boolean contains(double x, double y) {
            double dx = x - cx, dy = y - cy;
            double c = Math.cos(angle), s = Math.sin(angle);
            return shape.contains((dx * c + dy * s) / radius, (-dx * s + dy * c) / radius);
        }
    }

    private static final String[][] WHERE = {
            {"top left", "top", "top right"},
            {"left", "center", "right"},
            {"bottom left", "bottom", "bottom right"}};
    private static final String[][] AT = {
            {"at the top left", "at the top", "at the top right"},
            {"on the left", "in the center", "on the right"},
            {"at the bottom left", "at the bottom", "at the bottom right"}};
    private static final String[][] AT_ALT = {
            {"in the top left corner", "near the top", "in the top right corner"},
            {"at the left side", "in the middle", "at the right side"},
            {"in the bottom left corner", "near the bottom", "in the bottom right corner"}};
}
