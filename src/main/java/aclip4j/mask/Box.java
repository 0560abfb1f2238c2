package aclip4j.mask;

/**
 * A crop box in source-image pixels, {@code (top, left, h, w)} as the golden format writes boxes (goldens/README.md):
 * rows {@code [top, top + h)}, columns {@code [left, left + w)}.
 */
public record Box(int top, int left, int h, int w) {
    public Box {
        if (top < 0 || left < 0 || h < 1 || w < 1) {
            throw new IllegalArgumentException("box (top, left, h, w) = " + describe(top, left, h, w)
                    + ", expected top, left >= 0 and h, w >= 1");
        }
    }

    /** One past the last row. */
    public int bottom() {
        return top + h;
    }

    /** One past the last column. */
    public int right() {
        return left + w;
    }

    public long area() {
        return (long) h * w;
    }

    /** True when every pixel of {@code other} lies in this box. */
    public boolean contains(Box other) {
        return other.top >= top && other.left >= left && other.bottom() <= bottom() && other.right() <= right();
    }

    /** True when the box lies inside an {@code imageH x imageW} image. */
    public boolean insideImage(int imageH, int imageW) {
        return bottom() <= imageH && right() <= imageW;
    }

    /** {@code {top, left, h, w}}. */
    public int[] toArray() {
        return new int[] {top, left, h, w};
    }

    @Override
    public String toString() {
        return describe(top, left, h, w);
    }

    static String describe(int top, int left, int h, int w) {
        return "(" + top + ", " + left + ", " + h + ", " + w + ")";
    }
}
