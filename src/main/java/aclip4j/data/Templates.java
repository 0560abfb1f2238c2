package aclip4j.data;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Fills zero-shot prompt templates and caption phrases ("a photo of a {}." with "orange star"). */
public final class Templates {
    private Templates() {
    }

    private static final Pattern ARTICLE = Pattern.compile("\\b([Aa]) ([aeiouAEIOU])");

    /**
     * Replaces the single {@code {}} of {@code template} with {@code name} (lower-cased: names like "T-shirt/top"
     * read as class names, the tokenizers lower-case anyway), then turns "a" into "an" before a vowel so
     * "a photo of a orange star" reads "an orange star".
     */
    public static String fill(String template, String name) {
        int at = template.indexOf("{}");
        if (at < 0 || template.indexOf("{}", at + 2) >= 0) {
            throw new IllegalArgumentException("template '" + template + "' must hold exactly one {}");
        }
        String s = template.substring(0, at) + name.toLowerCase(Locale.ROOT) + template.substring(at + 2);
        return article(s);
    }

    /** "a orange" to "an orange", "A apple" to "An apple". */
    public static String article(String s) {
        Matcher m = ARTICLE.matcher(s);
        return m.replaceAll(r -> r.group(1) + "n " + r.group(2));
    }
}
