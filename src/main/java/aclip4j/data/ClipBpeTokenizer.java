package aclip4j.data;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * OpenAI CLIP's byte-level BPE tokenizer (SPEC §2), from OpenAI's merges file {@code bpe_simple_vocab_16e6.txt.gz}:
 * the copy shipped in the jar ({@link #bundled}, MIT licence next to it) or one the user names ({@link #load}). Vocabulary: the 256 byte characters, the same with
 * {@code </w>}, the first 48,894 merges, then {@code <|startoftext|>} 49406 and {@code <|endoftext|>} 49407;
 * pad 0; context 77.
 *
 * <p>Cleaning: CLIP runs {@code ftfy.fix_text}, HTML-unescapes twice, collapses whitespace and lower-cases. ftfy is
 * not available here; {@link #basicClean} applies the parts of it that matter for captions (HTML references, NFC,
 * straight quotes, Latin ligatures, character width) in ftfy's order and does not repair mojibake; the two HTML
 * passes are CPython's {@code html.unescape} ({@link HtmlUnescape}), every HTML5 name included.
 */
public final class ClipBpeTokenizer implements Tokenizer {
    public static final int SOT = 49406, EOT = 49407, PAD = 0, CONTEXT = 77;
    private static final int MERGES = 49152 - 256 - 2; // lines 1..48894 of the file

    private static final Pattern SPLIT = Pattern.compile(
            "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern SPACES = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);
    private final char[] byteEncoder = new char[256];
    private final Map<Character, Integer> byteDecoder = new HashMap<>();
    private final Map<String, Integer> encoder = new HashMap<>();
    private final String[] decoder;
    private final Map<String, Integer> ranks = new HashMap<>();
    private final Map<String, String[]> cache = new ConcurrentHashMap<>();
    private final int context;

    /** The merges file in the jar, unchanged from OpenAI's CLIP repository (its MIT licence beside it). */
    public static final String BUNDLED = "/aclip4j/data/bpe_simple_vocab_16e6.txt.gz";

    /** CLIP's tokenizer from the merges file in the jar. */
    public static ClipBpeTokenizer bundled(int context) {
        byte[] raw;
        try (java.io.InputStream in = ClipBpeTokenizer.class.getResourceAsStream(BUNDLED)) {
            if (in == null) {
                throw new IllegalStateException("CLIP merges file " + BUNDLED + " is missing from the class path");
            }
            raw = in.readAllBytes();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read " + BUNDLED + ": " + e.getMessage(), e);
        }
        return parse(IdxReader.gunzipIfGzip(raw, BUNDLED), BUNDLED, context);
    }

    /** Loads the merges file with context 77. */
    public static ClipBpeTokenizer load(Path mergesFile) {
        return load(mergesFile, CONTEXT);
    }

    /** Loads the merges file ({@code .gz} detected by its magic bytes) with the given context length. */
    public static ClipBpeTokenizer load(Path mergesFile, int context) {
        return parse(IdxReader.readAll(mergesFile), mergesFile.toString(), context);
    }

    private static ClipBpeTokenizer parse(byte[] bytes, String mergesFile, int context) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        String[] lines = text.split("\n", -1);
        if (lines.length < MERGES + 1) {
            throw new IllegalArgumentException(mergesFile + ": " + lines.length + " lines, a CLIP merges file has at"
                    + " least " + (MERGES + 1) + " (a version line, then merges)");
        }
        List<String[]> merges = new ArrayList<>(MERGES);
        for (int i = 1; i <= MERGES; i++) {
            String line = lines[i].strip();
            int space = line.indexOf(' ');
            String[] pair = space < 0 ? new String[]{line} : new String[]{line.substring(0, space),
                    line.substring(space + 1)};
            if (pair.length != 2 || pair[0].isEmpty() || pair[1].isEmpty() || pair[1].indexOf(' ') >= 0) {
                throw new IllegalArgumentException(mergesFile + " line " + (i + 1) + ": expected two symbols, got '"
                        + lines[i] + "'");
            }
            merges.add(pair);
        }
        return new ClipBpeTokenizer(merges, context);
    }

    private ClipBpeTokenizer(List<String[]> merges, int context) {
        if (context < 2) {
            throw new IllegalArgumentException("context " + context + " must hold at least SOT and EOT");
        }
        this.context = context;
        // bytes_to_unicode: printable Latin-1 bytes map to themselves, the rest to 256+n, in this order.
        List<Integer> bs = new ArrayList<>();
        for (int b = '!'; b <= '~'; b++) bs.add(b);
        for (int b = 0xA1; b <= 0xAC; b++) bs.add(b);
        for (int b = 0xAE; b <= 0xFF; b++) bs.add(b);
        List<Integer> cs = new ArrayList<>(bs);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            if (!bs.contains(b)) {
                bs.add(b);
                cs.add(256 + n++);
            }
        }
        List<String> vocab = new ArrayList<>(2 * 256 + merges.size() + 2);
        for (int k = 0; k < 256; k++) {
            char ch = (char) (int) cs.get(k);
            byteEncoder[bs.get(k)] = ch;
            byteDecoder.put(ch, bs.get(k));
            vocab.add(String.valueOf(ch));
        }
        for (int k = 0; k < 256; k++) {
            vocab.add(vocab.get(k) + "</w>");
        }
        for (int r = 0; r < merges.size(); r++) {
            String[] m = merges.get(r);
            vocab.add(m[0] + m[1]);
            ranks.put(m[0] + " " + m[1], r);
        }
        vocab.add("<|startoftext|>");
        vocab.add("<|endoftext|>");
        decoder = vocab.toArray(new String[0]);
        for (int id = 0; id < decoder.length; id++) {
            encoder.put(decoder[id], id); // later duplicates win, as in Python's dict(zip(vocab, range))
        }
        cache.put("<|startoftext|>", new String[]{"<|startoftext|>"});
        cache.put("<|endoftext|>", new String[]{"<|endoftext|>"});
    }

    @Override
    public int context() {
        return context;
    }

    @Override
    public int vocabSize() {
        return decoder.length;
    }

    @Override
    public int sot() {
        return SOT;
    }

    @Override
    public int eot() {
        return EOT;
    }

    @Override
    public int pad() {
        return PAD;
    }

    /** The BPE ids of {@code text} without SOT, EOT or padding. */
    public List<Integer> tokenIds(String text) {
        String clean = whitespaceClean(basicClean(text)).toLowerCase(Locale.ROOT);
        List<Integer> ids = new ArrayList<>();
        Matcher m = SPLIT.matcher(clean);
        while (m.find()) {
            byte[] utf8 = m.group().getBytes(StandardCharsets.UTF_8);
            StringBuilder sb = new StringBuilder(utf8.length);
            for (byte b : utf8) {
                sb.append(byteEncoder[b & 0xff]);
            }
            for (String piece : bpe(sb.toString())) {
                Integer id = encoder.get(piece);
                if (id == null) {
                    throw new IllegalStateException("BPE produced '" + piece + "', not in the vocabulary");
                }
                ids.add(id);
            }
        }
        return ids;
    }

    @Override
    public int[] encode(String text) {
        return Tokenizer.frame(tokenIds(text), SOT, EOT, PAD, context);
    }

    // CLIP's bpe(): merge the lowest-ranked adjacent pair everywhere, left to right, until no pair has a rank.
    private String[] bpe(String token) {
        String[] hit = cache.get(token);
        if (hit != null) {
            return hit;
        }
        List<String> word = new ArrayList<>();
        int[] cps = token.codePoints().toArray();
        for (int i = 0; i < cps.length; i++) {
            String s = new String(cps, i, 1);
            word.add(i == cps.length - 1 ? s + "</w>" : s);
        }
        while (word.size() > 1) {
            int best = Integer.MAX_VALUE;
            String first = null, second = null;
            for (int i = 0; i + 1 < word.size(); i++) {
                Integer r = ranks.get(word.get(i) + " " + word.get(i + 1));
                if (r != null && r < best) {
                    best = r;
                    first = word.get(i);
                    second = word.get(i + 1);
                }
            }
            if (first == null) {
                break;
            }
            List<String> merged = new ArrayList<>(word.size());
            for (int i = 0; i < word.size(); ) {
                if (i + 1 < word.size() && word.get(i).equals(first) && word.get(i + 1).equals(second)) {
                    merged.add(first + second);
                    i += 2;
                } else {
                    merged.add(word.get(i));
                    i++;
                }
            }
            word = merged;
        }
        String[] out = word.toArray(new String[0]);
        cache.put(token, out);
        return out;
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            if (id == EOT) {
                break;
            }
            if (id == SOT && i == 0) {
                continue;
            }
            if (id < 0 || id >= decoder.length) {
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + decoder.length
                        + ")");
            }
            sb.append(decoder[id]);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        String s = sb.toString();
        for (int i = 0; i < s.length(); i++) {
            Integer b = byteDecoder.get(s.charAt(i));
            bytes.write(b == null ? '?' : b);
        }
        return new String(bytes.toByteArray(), StandardCharsets.UTF_8).replace("</w>", " ").strip();
    }

    /**
     * CLIP's {@code basic_clean}: {@code ftfy.fix_text}, then {@code html.unescape} twice, then strip. Of ftfy this
     * applies, in ftfy's order and repeated until nothing changes, as ftfy does: HTML references that end in
     * {@code ;} (only when the text holds no {@code <}, ftfy's "auto"), Latin ligatures, character width (full-width
     * ASCII and the ideographic space to ASCII, half-width katakana and hangul to their full-width forms), curly
     * quotes to straight ones, and NFC. It does not repair mojibake.
     */
    static String basicClean(String text) {
        boolean unescape = text.indexOf('<') < 0;
        String s = text;
        while (true) {
            String before = s;
            if (unescape) {
                s = HtmlUnescape.ftfy(s);
            }
            s = Normalizer.normalize(fixWidthLigaturesQuotes(s), Normalizer.Form.NFC);
            if (s.equals(before)) {
                break;
            }
        }
        return HtmlUnescape.python(HtmlUnescape.python(s)).strip();
    }

    // ftfy's fix_latin_ligatures, fix_character_width and uncurl_quotes, one code point at a time.
    private static String fixWidthLigaturesQuotes(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            if (cp == 0x02BC || (cp >= 0x2018 && cp <= 0x201B)) {
                sb.append('\'');
            } else if (cp >= 0x201C && cp <= 0x201F) {
                sb.append('"');
            } else if (cp == 0x3000 || (cp >= 0xFF01 && cp <= 0xFFEF) || (cp >= 0xFB00 && cp <= 0xFB06)) {
                sb.append(Normalizer.normalize(new String(Character.toChars(cp)), Normalizer.Form.NFKC));
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.toString();
    }

    static String whitespaceClean(String text) {
        return SPACES.matcher(text).replaceAll(" ").strip();
    }

    /** CPython's {@code html.unescape} ({@link HtmlUnescape#python}). */
    static String htmlUnescape(String s) {
        return HtmlUnescape.python(s);
    }
}
