package aclip4j.data;

import java.util.SplittableRandom;

/**
 * The online-view augmentation of SPEC §9 (paper Table 5), applied in this order, each with its own probability:
 * ColorJitter (p 0.8), grayscale (p 0.2), Gaussian blur (p 0.1), solarize (p 0.2). Works in place on
 * {@code [3,H,W]} images in [0,1]; normalisation is separate ({@link #normalize}).
 *
 * <p>Randomness: everything comes from the generator passed in. Each step draws its Bernoulli variable first and its
 * parameters only when it applies, so a run is a pure function of the generator's state.
 *
 * <p>Semantics follow torchvision's tensor transforms: after each jitter step values are clamped to [0,1];
 * brightness blends with black, contrast with the mean grey level of the image, saturation with the per-pixel grey
 * level, hue rotates H in HSV. Grey is ITU-R 601 luma {@code 0.299 R + 0.587 G + 0.114 B} everywhere (PIL's
 * weights; torchvision's tensor path uses 0.2989).
 */
public final class Augment {
    /** ImageNet statistics (SPEC §9). */
    public static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] STD = {0.229f, 0.224f, 0.225f};

    /**
     * Augmentation settings; a probability of 0 switches a step off.
     *
     * @param jitterP    probability of ColorJitter
     * @param brightness brightness factor drawn uniform in [max(0, 1-x), 1+x]
     * @param contrast   contrast factor, same rule
     * @param saturation saturation factor, same rule
     * @param hue        hue shift uniform in [-x, x] turns, x in [0, 0.5]
     * @param grayP      probability of grayscale
     * @param blurP      probability of Gaussian blur
     * @param sigmaMin   blur σ drawn uniform in [sigmaMin, sigmaMax] pixels
     * @param sigmaMax   see sigmaMin
     * @param solarizeP  probability of solarize
     * @param threshold  solarize threshold in [0,1]: values {@code >= threshold} become {@code 1 - v}
     */
    public record Config(double jitterP, double brightness, double contrast, double saturation, double hue,
                         double grayP, double blurP, double sigmaMin, double sigmaMax, double solarizeP,
                         double threshold) {
        public Config {
            for (double p : new double[]{jitterP, grayP, blurP, solarizeP}) {
                if (!(p >= 0 && p <= 1)) {
                    throw new IllegalArgumentException("augmentation probability " + p + " not in [0,1]");
                }
            }
            if (!(brightness >= 0 && contrast >= 0 && saturation >= 0)) {
                throw new IllegalArgumentException("jitter strengths must be >= 0: brightness " + brightness
                        + ", contrast " + contrast + ", saturation " + saturation);
            }
            if (!(hue >= 0 && hue <= 0.5)) {
                throw new IllegalArgumentException("hue " + hue + " not in [0, 0.5]");
            }
            if (!(sigmaMin > 0 && sigmaMax >= sigmaMin)) {
                throw new IllegalArgumentException("blur sigma range [" + sigmaMin + ", " + sigmaMax
                        + "] must be positive and ordered");
            }
            if (!(threshold >= 0 && threshold <= 1)) {
                throw new IllegalArgumentException("solarize threshold " + threshold + " not in [0,1]");
            }
        }

        /** Paper Table 5: ColorJitter(0.4, 0.4, 0.2, 0.1) p 0.8, grayscale 0.2, blur σ∈[0.1,2] p 0.1, solarize p 0.2. */
        public static Config paper() {
            return new Config(0.8, 0.4, 0.4, 0.2, 0.1, 0.2, 0.1, 0.1, 2.0, 0.2, 128.0 / 255.0);
        }

        /** Everything off (the EMA view, or an ablation). */
        public static Config none() {
            return paper().withJitterP(0).withGrayP(0).withBlurP(0).withSolarizeP(0);
        }

        public Config withJitterP(double p) {
            return new Config(p, brightness, contrast, saturation, hue, grayP, blurP, sigmaMin, sigmaMax,
                    solarizeP, threshold);
        }

        public Config withGrayP(double p) {
            return new Config(jitterP, brightness, contrast, saturation, hue, p, blurP, sigmaMin, sigmaMax,
                    solarizeP, threshold);
        }

        public Config withBlurP(double p) {
            return new Config(jitterP, brightness, contrast, saturation, hue, grayP, p, sigmaMin, sigmaMax,
                    solarizeP, threshold);
        }

        public Config withSolarizeP(double p) {
            return new Config(jitterP, brightness, contrast, saturation, hue, grayP, blurP, sigmaMin, sigmaMax,
                    p, threshold);
        }
    }

    private final Config cfg;

    public Augment(Config cfg) {
        this.cfg = cfg;
    }

    public Config config() {
        return cfg;
    }

    /** Augments {@code img [3,H,W]} in place (SPEC §9 order). */
    public void apply(float[] img, int H, int W, SplittableRandom rng) {
        checkImage(img, H, W);
        if (rng.nextDouble() < cfg.jitterP()) {
            colorJitter(img, H, W, rng);
        }
        if (rng.nextDouble() < cfg.grayP()) {
            grayscale(img, H, W);
        }
        if (rng.nextDouble() < cfg.blurP()) {
            gaussianBlur(img, H, W, rng.nextDouble(cfg.sigmaMin(), Math.nextUp(cfg.sigmaMax())));
        }
        if (rng.nextDouble() < cfg.solarizeP()) {
            solarize(img, H, W, (float) cfg.threshold());
        }
    }

    // torchvision ColorJitter.get_params: factors drawn first, then the four steps in a random order (randperm(4)).
    private void colorJitter(float[] img, int H, int W, SplittableRandom rng) {
        double b = factor(rng, cfg.brightness()), c = factor(rng, cfg.contrast()), s = factor(rng, cfg.saturation());
        double h = cfg.hue() == 0 ? 0 : rng.nextDouble(-cfg.hue(), Math.nextUp(cfg.hue()));
        int[] order = {0, 1, 2, 3};
        for (int i = 3; i > 0; i--) { // Fisher–Yates
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int step : order) {
            switch (step) {
                case 0 -> { if (cfg.brightness() > 0) adjustBrightness(img, H, W, (float) b); }
                case 1 -> { if (cfg.contrast() > 0) adjustContrast(img, H, W, (float) c); }
                case 2 -> { if (cfg.saturation() > 0) adjustSaturation(img, H, W, (float) s); }
                default -> { if (cfg.hue() > 0) adjustHue(img, H, W, (float) h); }
            }
        }
    }

    private static double factor(SplittableRandom rng, double x) {
        if (x == 0) {
            return 1;
        }
        double lo = Math.max(0, 1 - x), hi = 1 + x;
        return rng.nextDouble(lo, Math.nextUp(hi));
    }

    /** {@code clamp(f * v)}: blend with black. */
    public static void adjustBrightness(float[] img, int H, int W, float f) {
        checkImage(img, H, W);
        for (int i = 0; i < img.length; i++) {
            img[i] = clamp01(f * img[i]);
        }
    }

    /** {@code clamp(f * v + (1 - f) * m)} with {@code m} the mean grey level of the whole image. */
    public static void adjustContrast(float[] img, int H, int W, float f) {
        checkImage(img, H, W);
        int plane = H * W;
        double sum = 0;
        for (int p = 0; p < plane; p++) {
            sum += luma(img[p], img[plane + p], img[2 * plane + p]);
        }
        float mean = (float) (sum / plane);
        for (int i = 0; i < img.length; i++) {
            img[i] = clamp01(f * img[i] + (1 - f) * mean);
        }
    }

    /** {@code clamp(f * v + (1 - f) * grey(pixel))}. */
    public static void adjustSaturation(float[] img, int H, int W, float f) {
        checkImage(img, H, W);
        int plane = H * W;
        for (int p = 0; p < plane; p++) {
            float g = luma(img[p], img[plane + p], img[2 * plane + p]);
            for (int c = 0; c < 3; c++) {
                int q = c * plane + p;
                img[q] = clamp01(f * img[q] + (1 - f) * g);
            }
        }
    }

    /**
     * Rotates hue by {@code shift} turns ({@code [-0.5, 0.5]}): RGB to HSV, {@code h = (h + shift) mod 1}, back
     * (torchvision {@code adjust_hue}, whose {@code _rgb2hsv}/{@code _hsv2rgb} this follows).
     */
    public static void adjustHue(float[] img, int H, int W, float shift) {
        checkImage(img, H, W);
        if (!(shift >= -0.5f && shift <= 0.5f)) {
            throw new IllegalArgumentException("hue shift " + shift + " not in [-0.5, 0.5]");
        }
        int plane = H * W;
        for (int p = 0; p < plane; p++) {
            float r = img[p], g = img[plane + p], b = img[2 * plane + p];
            float maxc = Math.max(r, Math.max(g, b)), minc = Math.min(r, Math.min(g, b));
            float cr = maxc - minc;
            boolean eq = maxc == minc;
            float s = cr / (eq ? 1f : maxc);
            float div = eq ? 1f : cr;
            float rc = (maxc - r) / div, gc = (maxc - g) / div, bc = (maxc - b) / div;
            float h;
            if (maxc == r) {
                h = bc - gc;
            } else if (maxc == g) {
                h = 2f + rc - bc;
            } else {
                h = 4f + gc - rc;
            }
            h = (h / 6f + 1f) % 1f;
            h = (h + shift) % 1f;
            if (h < 0) {
                h += 1f; // Python's % is non-negative for a positive divisor
            }
            float v = maxc;
            float hi6 = (float) Math.floor(h * 6f);
            float f = h * 6f - hi6;
            int i = ((int) hi6) % 6;
            float pp = clamp01(v * (1f - s)), q = clamp01(v * (1f - s * f)), t = clamp01(v * (1f - s * (1f - f)));
            float nr, ng, nb;
            switch (i) {
                case 0 -> { nr = v; ng = t; nb = pp; }
                case 1 -> { nr = q; ng = v; nb = pp; }
                case 2 -> { nr = pp; ng = v; nb = t; }
                case 3 -> { nr = pp; ng = q; nb = v; }
                case 4 -> { nr = t; ng = pp; nb = v; }
                default -> { nr = v; ng = pp; nb = q; }
            }
            img[p] = nr;
            img[plane + p] = ng;
            img[2 * plane + p] = nb;
        }
    }

    /** Every channel becomes the pixel's luma {@code 0.299 R + 0.587 G + 0.114 B} (three equal channels). */
    public static void grayscale(float[] img, int H, int W) {
        checkImage(img, H, W);
        int plane = H * W;
        for (int p = 0; p < plane; p++) {
            float g = luma(img[p], img[plane + p], img[2 * plane + p]);
            img[p] = g;
            img[plane + p] = g;
            img[2 * plane + p] = g;
        }
    }

    /**
     * Separable Gaussian blur with σ in pixels: kernel {@code exp(-x²/2σ²)} for {@code |x| <= ceil(3σ)}, normalised
     * to sum 1, borders mirrored without repeating the edge pixel (torchvision's reflect padding). The paper's code
     * calls PIL's {@code GaussianBlur(radius=σ)}, which approximates the same kernel with box filters.
     */
    public static void gaussianBlur(float[] img, int H, int W, double sigma) {
        checkImage(img, H, W);
        if (!(sigma > 0) || Double.isInfinite(sigma)) {
            throw new IllegalArgumentException("blur sigma " + sigma + " must be positive and finite");
        }
        float[] k = gaussianKernel(sigma);
        int r = k.length / 2, plane = H * W;
        float[] tmp = new float[plane];
        for (int c = 0; c < 3; c++) {
            int o = c * plane;
            for (int y = 0; y < H; y++) { // rows
                for (int x = 0; x < W; x++) {
                    float acc = 0;
                    for (int j = -r; j <= r; j++) {
                        acc += k[j + r] * img[o + y * W + reflect(x + j, W)];
                    }
                    tmp[y * W + x] = acc;
                }
            }
            for (int y = 0; y < H; y++) { // columns
                for (int x = 0; x < W; x++) {
                    float acc = 0;
                    for (int j = -r; j <= r; j++) {
                        acc += k[j + r] * tmp[reflect(y + j, H) * W + x];
                    }
                    img[o + y * W + x] = acc;
                }
            }
        }
    }

    /** The normalised 1-D kernel of {@link #gaussianBlur}, length {@code 2*ceil(3σ)+1}. */
    public static float[] gaussianKernel(double sigma) {
        int r = Math.max(1, (int) Math.ceil(3 * sigma));
        double[] k = new double[2 * r + 1];
        double sum = 0;
        for (int j = -r; j <= r; j++) {
            k[j + r] = Math.exp(-(double) j * j / (2 * sigma * sigma));
            sum += k[j + r];
        }
        float[] out = new float[k.length];
        for (int j = 0; j < k.length; j++) {
            out[j] = (float) (k[j] / sum);
        }
        return out;
    }

    // Mirror index into [0, n): -1 -> 1, n -> n-2, periodic with period 2(n-1) for radii larger than the image.
    static int reflect(int i, int n) {
        if (n == 1) {
            return 0;
        }
        int period = 2 * (n - 1);
        int m = Math.floorMod(i, period);
        return m < n ? m : period - m;
    }

    /** Values {@code >= threshold} become {@code 1 - v} (PIL / torchvision solarize). */
    public static void solarize(float[] img, int H, int W, float threshold) {
        checkImage(img, H, W);
        for (int i = 0; i < img.length; i++) {
            if (img[i] >= threshold) {
                img[i] = 1f - img[i];
            }
        }
    }

    /** {@code (v - MEAN[c]) / STD[c]} in place (SPEC §9; the only transform of the EMA view). */
    public static void normalize(float[] img, int H, int W) {
        checkImage(img, H, W);
        int plane = H * W;
        for (int c = 0; c < 3; c++) {
            float m = MEAN[c], s = STD[c];
            for (int p = c * plane; p < (c + 1) * plane; p++) {
                img[p] = (img[p] - m) / s;
            }
        }
    }

    static float luma(float r, float g, float b) {
        return 0.299f * r + 0.587f * g + 0.114f * b;
    }

    private static float clamp01(float v) {
        return v < 0f ? 0f : (v > 1f ? 1f : v);
    }

    private static void checkImage(float[] img, int H, int W) {
        if (H <= 0 || W <= 0 || img.length != 3L * H * W) {
            throw new IllegalArgumentException("image of " + img.length + " floats is not [3," + H + "," + W + "]");
        }
    }
}
