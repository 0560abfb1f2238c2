package aclip4j.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class WordTokenizerTest {
    @Test
    void idsFollowFrequencyThenAlphabet() {
        WordTokenizer t = WordTokenizer.build(List.of("a red ring.", "A blue RING"), 8, 1);
        // counts: a 2, ring 2, then '.', blue, red once each.
        assertEquals(List.of("a", "ring", ".", "blue", "red"), t.words());
        assertEquals(7, t.sot());
        assertEquals(8, t.eot());
        assertEquals(9, t.vocabSize());
        assertArrayEquals(new int[]{7, 2, 6, 1, 4, 8, 0, 0}, t.encode("A red cat."));
        assertEquals("a red <unk> .", t.decode(t.encode("A red cat.")));
        assertEquals(WordTokenizer.UNK, t.id("cat"));
        assertEquals(3, t.id("Ring"));
    }

    @Test
    void minCountDropsRareWords() {
        WordTokenizer t = WordTokenizer.build(List.of("a red ring.", "a blue ring"), 8, 2);
        assertEquals(List.of("a", "ring"), t.words());
        assertArrayEquals(new int[]{4, 2, 1, 3, 5, 0, 0, 0}, t.encode("a red ring"));
    }

    @Test
    void truncationKeepsEotAsLargestId() {
        WordTokenizer t = WordTokenizer.build(List.of("x y z"), 5, 1);
        int[] ids = t.encode("x y z x y z");
        assertArrayEquals(new int[]{t.sot(), t.id("x"), t.id("y"), t.id("z"), t.eot()}, ids);
        assertEquals(t.eot(), Arrays.stream(ids).max().orElseThrow());
        int[] shortOne = t.encode("");
        assertArrayEquals(new int[]{t.sot(), t.eot(), 0, 0, 0}, shortOne);
    }

    @Test
    void dataSetVocabularyCoversCaptionsAndPrompts() {
        ScenesDataset d = new ScenesDataset(1, Split.TRAIN, 300, 32, 32);
        WordTokenizer t = WordTokenizer.forDataset(d, 32);
        for (int i = 0; i < d.size(); i++) {
            for (String c : d.captions(i)) {
                int[] ids = t.encode(c);
                assertFalse(Arrays.stream(ids).anyMatch(v -> v == WordTokenizer.UNK), c);
                assertEquals(t.eot(), Arrays.stream(ids).max().orElseThrow());
                assertEquals(c.replace(",", " ,").replace(".", " ."), t.decode(ids));
            }
        }
        for (int c = 0; c < d.classNames().size(); c++) {
            for (String p : d.prompts(c)) {
                assertFalse(Arrays.stream(t.encode(p)).anyMatch(v -> v == WordTokenizer.UNK), p);
            }
        }
        WordTokenizer reloaded = WordTokenizer.of(t.words(), 32);
        assertArrayEquals(t.encode(d.captions(5).get(0)), reloaded.encode(d.captions(5).get(0)));
        assertTrue(t.vocabSize() < 100, "small vocabulary: " + t.vocabSize());
    }

    @Test
    void badVocabulariesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> WordTokenizer.of(List.of("a", "a"), 8));
        assertThrows(IllegalArgumentException.class, () -> WordTokenizer.of(List.of("two words"), 8));
        assertThrows(IllegalArgumentException.class, () -> WordTokenizer.of(List.of("a"), 1));
        assertThrows(IllegalArgumentException.class, () -> WordTokenizer.build(Collections.emptyList(), 8, 0));
        assertThrows(IllegalArgumentException.class, () -> WordTokenizer.build(List.of("a"), 8, 1).decode(new int[]{99}));
    }
}
