package aclip4j.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTML character references decoded as CLIP's text cleaning decodes them: {@link #python} is CPython 3's
 * {@code html.unescape} (every HTML5 named reference, the legacy names that also match without {@code ;} and as the
 * longest prefix of a longer name, numeric references with the Windows-1252 meaning of 128–159, U+FFFD for NUL,
 * surrogates and values past U+10FFFF, nothing for the other invalid code points); {@link #ftfy} is the pass
 * {@code ftfy.fix_text} makes first, which decodes only references that end in {@code ;}.
 */
public final class HtmlUnescape {
    private HtmlUnescape() {}

    private static final Pattern CHARREF = Pattern.compile("&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\\t\\n\\f <&#;]{1,32};?)");
    private static final Pattern FTFY_ENTITY = Pattern.compile("&#?[0-9A-Za-z]{1,24};");
    private static final Map<String, String> HTML5 = load();
    // CPython's html._invalid_charrefs: 0, CR and 128–159 (Windows-1252, C1 controls where it has no character)
    private static final int[] CP1252 = {0x20AC, 0x81, 0x201A, 0x192, 0x201E, 0x2026, 0x2020, 0x2021, 0x2C6, 0x2030,
            0x160, 0x2039, 0x152, 0x8D, 0x17D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
            0x2DC, 0x2122, 0x161, 0x203A, 0x153, 0x9D, 0x17E, 0x178};

    private static Map<String, String> load() {
        String res = "/aclip4j/data/html5-entities.tsv";
        Map<String, String> m = new HashMap<>();
        try (InputStream in = HtmlUnescape.class.getResourceAsStream(res)) {
            if (in == null) {
                throw new IllegalStateException("HTML entity table " + res + " is missing from the class path");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int tab = line.indexOf('\t');
                StringBuilder sb = new StringBuilder();
                for (String hex : line.substring(tab + 1).split(" ")) {
                    sb.appendCodePoint(Integer.parseInt(hex, 16));
                }
                m.put(line.substring(0, tab), sb.toString());
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + res + ": " + e.getMessage(), e);
        }
        return Map.copyOf(m);
    }

    /** CPython's {@code html.unescape(s)}. */
    public static String python(String s) {
        if (s.indexOf('&') < 0) {
            return s;
        }
        return CHARREF.matcher(s).replaceAll(m -> Matcher.quoteReplacement(replace(m.group(1))));
    }

    private static String replace(String s) {
        if (s.charAt(0) == '#') {
            boolean hex = s.charAt(1) == 'x' || s.charAt(1) == 'X';
            String digits = s.substring(hex ? 2 : 1);
            if (digits.endsWith(";")) {
                digits = digits.substring(0, digits.length() - 1);
            }
            String trimmed = digits.replaceFirst("^0+(?=.)", "");
            long num = trimmed.length() > 8 ? Long.MAX_VALUE : Long.parseLong(trimmed, hex ? 16 : 10);
            if (num == 0) {
                return "\uFFFD";
            }
            if (num == 0x0D) {
                return "\r";
            }
            if (num >= 0x80 && num <= 0x9F) {
                return new String(Character.toChars(CP1252[(int) num - 0x80]));
            }
            if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) {
                return "\uFFFD";
            }
            if (invalidCodePoint((int) num)) {
                return "";
            }
            return new String(Character.toChars((int) num));
        }
        String named = HTML5.get(s);
        if (named != null) {
            return named;
        }
        for (int x = s.length() - 1; x > 1; x--) { // the longest legacy name the reference starts with
            String prefix = HTML5.get(s.substring(0, x));
            if (prefix != null) {
                return prefix + s.substring(x);
            }
        }
        return "&" + s;
    }

    // CPython's html._invalid_codepoints (128–159 are handled above, as Windows-1252)
    private static boolean invalidCodePoint(int c) {
        return (c >= 0x1 && c <= 0x8) || c == 0xB || (c >= 0xE && c <= 0x1F) || (c >= 0x7F && c <= 0x9F)
                || (c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE;
    }

    // ftfy's HTML_ENTITIES: every standard name (with ';'), plus the upper-cased form of each lower-case name that is
    // not itself a reference, decoding to the upper-cased character ("&NTILDE;" -> "Ñ").
    private static final Map<String, String> FTFY = ftfyEntities();

    private static Map<String, String> ftfyEntities() {
        Map<String, String> m = new HashMap<>();
        for (Map.Entry<String, String> e : HTML5.entrySet()) {
            String name = e.getKey();
            if (!name.endsWith(";")) {
                continue;
            }
            m.put("&" + name, e.getValue());
            if (name.equals(name.toLowerCase(java.util.Locale.ROOT))) {
                String upper = "&" + name.toUpperCase(java.util.Locale.ROOT);
                if (python(upper).equals(upper)) {
                    m.put(upper, e.getValue().toUpperCase(java.util.Locale.ROOT));
                }
            }
        }
        return Map.copyOf(m);
    }

    /** ftfy's {@code unescape_html}: references of up to 24 letters or digits that end in {@code ;}, as Python's. */
    public static String ftfy(String s) {
        if (s.indexOf('&') < 0) {
            return s;
        }
        return FTFY_ENTITY.matcher(s).replaceAll(m -> Matcher.quoteReplacement(ftfyReplace(m.group())));
    }

    private static String ftfyReplace(String ref) {
        if (FTFY.containsKey(ref)) {
            return FTFY.get(ref);
        }
        if (ref.startsWith("&#")) {
            String u = python(ref);
            return u.contains(";") ? ref : u;
        }
        return ref;
    }
}
