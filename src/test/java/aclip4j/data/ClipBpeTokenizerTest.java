package aclip4j.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ClipBpeTokenizerTest {
    static ClipBpeTokenizer tok;

    @BeforeAll
    static void load() {
        tok = ClipBpeTokenizer.bundled(ClipBpeTokenizer.CONTEXT);
    }

    @Test
    void aMergesFileTheUserNamesGivesTheSameIdsAsTheBundledOne(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path plain = dir.resolve("merges.txt"); // gunzipped: load() takes plain files too
        try (java.io.InputStream in = new java.util.zip.GZIPInputStream(
                ClipBpeTokenizer.class.getResourceAsStream(ClipBpeTokenizer.BUNDLED))) {
            Files.write(plain, in.readAllBytes());
        }
        ClipBpeTokenizer fromFile = ClipBpeTokenizer.load(plain);
        for (String s : List.of("a photo of a cat.", "unbelievably antidisestablishmentarianism", "日本語 😀")) {
            assertArrayEquals(tok.encode(s), fromFile.encode(s), s);
        }
    }

    private static int[] body(String text) {
        int[] ids = tok.encode(text);
        int end = 0;
        while (ids[end] != ClipBpeTokenizer.EOT) {
            end++;
        }
        assertEquals(ClipBpeTokenizer.SOT, ids[0]);
        for (int i = end + 1; i < ids.length; i++) {
            assertEquals(0, ids[i], "padding after EOT");
        }
        return Arrays.copyOfRange(ids, 1, end);
    }

    @Test
    void knownClipIds() {
        int[] ids = tok.encode("a photo of a cat.");
        assertEquals(77, ids.length);
        int[] want = new int[77];
        System.arraycopy(new int[]{49406, 320, 1125, 539, 320, 2368, 269, 49407}, 0, want, 0, 8);
        assertArrayEquals(want, ids);
        assertArrayEquals(new int[]{3306, 1002}, body("hello world"));
        assertEquals(49408, tok.vocabSize());
    }

    /**
     * Ids from OpenAI's simple_tokenizer.py algorithm (the same merges file, html-unescape + whitespace cleaning, no
     * ftfy), run once outside this project: they pin long-word merges, digits, non-Latin scripts, emoji, punctuation
     * runs and the special-token pattern.
     */
    @Test
    void matchesTheReferenceAlgorithm() {
        assertArrayEquals(new int[]{320, 2442, 736, 14615, 536, 518, 1253, 268, 1823, 267, 537, 320, 1746, 2540, 256},
                body("A small RED triangle at the top-left, and a blue ring!"));
        assertArrayEquals(new int[]{585, 568, 273, 271, 273, 274, 281, 1097, 35689, 563, 15304, 261, 29106, 7054,
                4166}, body("it's 2023: naïve café &amp; résumé"));
        assertArrayEquals(new int[]{33781, 3120, 4262, 7726, 12658, 1585, 44351},
                body("unbelievably antidisestablishmentarianism"));
        assertArrayEquals(new int[]{39121, 44353, 34002, 252, 21575, 2429, 228, 47121, 32421, 486, 7334},
                body("日本語のテキスト 😀"));
        assertArrayEquals(new int[]{29163, 537, 1218, 3418}, body("  tabs\tand\nnewlines  "));
        assertArrayEquals(new int[]{2540, 568, 272, 273, 274, 275, 276}, body("ring's 12345"));
        int[] special = tok.encode("x<|endoftext|>y");
        assertArrayEquals(new int[]{49406, 343, 49407, 344, 49407}, Arrays.copyOf(special, 5));
    }

    @Test
    void cleaningFollowsClip() {
        assertArrayEquals(body("it's a cat"), body("It\u2019s   a CAT")); // curly quote, case, spaces
        assertArrayEquals(body("<b>"), body("&lt;b&gt;"));
        assertArrayEquals(body("&"), body("&amp;amp;")); // unescaped twice
        assertArrayEquals(body("a"), body("&#97;"));
        assertArrayEquals(body("a"), body("&#x61;"));
        assertArrayEquals(body("fish"), body("\ufb01sh")); // ligature
        assertArrayEquals(body("cafe\u0301"), body("caf\u00e9")); // NFC
        assertEquals("&unknown;", ClipBpeTokenizer.htmlUnescape("&unknown;"));
    }

    @Test
    void cleaningInFtfysOrderThenTwoHtmlPasses() {
        // ftfy decodes ';'-terminated references until nothing changes, then CLIP's two passes: any depth
        assertEquals("<", ClipBpeTokenizer.basicClean("&amp;amp;amp;amp;lt;"));
        // ... but not when the text already holds a '<' (ftfy's "auto"): then only CLIP's two passes
        assertEquals("< &lt;", ClipBpeTokenizer.basicClean("< &amp;amp;lt;"));
        // quotes are straightened after ftfy's decoding and before CLIP's: one level of escaping ends straight,
        // two levels end curly (CLIP's passes come after ftfy's quote fix)
        assertEquals("it's", ClipBpeTokenizer.basicClean("it&rsquo;s"));
        assertEquals("it's", ClipBpeTokenizer.basicClean("it&amp;rsquo;s"), "ftfy repeats until stable");
        assertEquals("< it\u2019s", ClipBpeTokenizer.basicClean("< it&rsquo;s"));
        // legacy names without ';' and Windows-1252 references, through CLIP's html.unescape
        assertEquals("\u00a9 2023 \u2013 \u20ac", ClipBpeTokenizer.basicClean("&copy 2023 &#150; &#128;"));
        // half-width katakana and hangul become full-width (NFKC per character, then NFC composes the voiced mark)
        assertEquals("\u30ab\u30bf\u30ab\u30ca \u30ac", ClipBpeTokenizer.basicClean("\uff76\uff80\uff76\uff85 \uff76\uff9e"));
        assertEquals("\u1100", ClipBpeTokenizer.basicClean("\uffa1")); // NFKC: the conjoining jamo, as ftfy maps it
        assertEquals("ABC x", ClipBpeTokenizer.basicClean("\uff21\uff22\uff23\u3000x"));
    }

    @Test
    void truncationKeepsEot() {
        String words = String.join(" ", java.util.Collections.nCopies(100, "a"));
        int[] ids = tok.encode(words);
        assertEquals(77, ids.length);
        assertEquals(ClipBpeTokenizer.SOT, ids[0]);
        assertEquals(ClipBpeTokenizer.EOT, ids[76]);
        for (int i = 1; i < 76; i++) {
            assertEquals(320, ids[i]);
        }
        // 75 body tokens fit exactly; 76 lose the last body token, never EOT.
        int[] fits = tok.encode(String.join(" ", java.util.Collections.nCopies(75, "a")));
        assertEquals(ClipBpeTokenizer.EOT, fits[76]);
        int[] over = tok.encode(String.join(" ", java.util.Collections.nCopies(75, "a")) + " cat");
        assertArrayEquals(fits, over);
        ClipBpeTokenizer short8 = ClipBpeTokenizer.bundled(8);
        assertArrayEquals(new int[]{49406, 320, 2442, 736, 14615, 536, 518, 49407},
                short8.encode("a small red triangle at the top left"));
        for (int[] row : List.of(ids, fits, over)) {
            assertEquals(ClipBpeTokenizer.EOT, Arrays.stream(row).max().orElseThrow(), "EOT is the largest id");
        }
    }

    @Test
    void decodeRoundTrips() {
        for (String s : List.of("a small red triangle at the top left and a blue ring", "hello world",
                "naïve café", "日本語 😀")) {
            assertEquals(s, tok.decode(tok.encode(s)));
        }
        // Punctuation is a word of its own ("."+"</w>"), so CLIP's decoder puts a space before it.
        assertEquals("a photo of a cat .", tok.decode(tok.encode("a photo of a cat.")));
        assertEquals("2 0 2 3", tok.decode(tok.encode("2023"))); // one token per digit
    }

    @Test
    void batchLayoutIsRowMajor() {
        int[] batch = tok.encodeBatch(List.of("a photo of a cat.", "hello world"));
        assertEquals(2 * 77, batch.length);
        assertArrayEquals(tok.encode("a photo of a cat."), Arrays.copyOfRange(batch, 0, 77));
        assertArrayEquals(tok.encode("hello world"), Arrays.copyOfRange(batch, 77, 154));
    }

    @Test
    void badFilesAreNamed(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path small = dir.resolve("tiny.txt");
        Files.writeString(small, "#version: 0.2\ni n\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClipBpeTokenizer.load(small));
        assertTrue(e.getMessage().contains("tiny.txt"), e.getMessage());
        Path missing = dir.resolve("missing.gz");
        e = assertThrows(IllegalArgumentException.class, () -> ClipBpeTokenizer.load(missing));
        assertTrue(e.getMessage().contains("missing.gz"), e.getMessage());
    }
}
