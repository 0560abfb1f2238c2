package aclip4j.data;

import java.util.List;

/**
 * Text to token ids for the text tower (SPEC §2): {@code SOT, tokens…, EOT}, padded with {@link #pad()} to
 * {@link #context()}; a text too long keeps its first {@code context-1} tokens and ends with EOT, so pooling at the
 * EOT position (the largest id, {@link #eot()}) always sees the end of the caption.
 */
public interface Tokenizer {
    /** Which tokenizer a run uses, {@code --tokenizer}. */
    enum Kind implements aclip4j.Choice {
        /** {@code clip}: OpenAI CLIP's byte-level BPE ({@link ClipBpeTokenizer}, SPEC §2). */
        CLIP,
        /** {@code words}: a vocabulary of the data set's own words ({@link WordTokenizer}). */
        WORDS;

        public static Kind parse(String word) {
            return aclip4j.Choice.parse(Kind.class, word, "--tokenizer");
        }
    }

    /** Context length (77 for CLIP). */
    int context();

    /** Number of ids, {@code eot() + 1}. */
    int vocabSize();

    int sot();

    /** The largest id: the text tower pools at its position. */
    int eot();

    int pad();

    /** One text: {@code [context]} ids. */
    int[] encode(String text);

    /** Texts as one row-major {@code [B, context]} array, the text tower's input layout. */
    default int[] encodeBatch(List<String> texts) {
        int ctx = context();
        int[] out = new int[texts.size() * ctx];
        for (int b = 0; b < texts.size(); b++) {
            System.arraycopy(encode(texts.get(b)), 0, out, b * ctx, ctx);
        }
        return out;
    }

    /** The text of ids (SOT skipped, stops at EOT), for logs and tests. */
    String decode(int[] ids);

    /** SOT, body, EOT, padding; a body longer than {@code context-2} is cut so EOT stays the last token (§2). */
    static int[] frame(List<Integer> body, int sot, int eot, int pad, int context) {
        int[] out = new int[context];
        java.util.Arrays.fill(out, pad);
        out[0] = sot;
        int n = Math.min(body.size(), context - 2);
        for (int i = 0; i < n; i++) {
            out[1 + i] = body.get(i);
        }
        out[1 + n] = eot;
        return out;
    }
}
