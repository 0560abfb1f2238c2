package aclip4j.data;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A word-level vocabulary built from the data's own captions and prompts, for small models (SPEC §2 allows "a smaller
 * vocabulary trained on the data"). Words are lower-cased runs of letters and digits; every other non-space character
 * is a token of its own. Ids: 0 pad, 1 unknown word, {@code 2..n+1} the words (most frequent first, ties
 * alphabetical), then SOT {@code n+2} and EOT {@code n+3}, the largest id, so pooling at the argmax finds it.
 */
public final class WordTokenizer implements Tokenizer {
    public static final int PAD = 0, UNK = 1;
    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+|[^\\s\\p{L}\\p{N}]",
            Pattern.UNICODE_CHARACTER_CLASS);

    private final List<String> words;
    private final Map<String, Integer> ids = new HashMap<>();
    private final int context;

    /** A tokenizer over exactly these words, in this order (ids 2, 3, …): reload a saved vocabulary. */
    public static WordTokenizer of(List<String> words, int context) {
        return new WordTokenizer(words, context);
    }

    /** Builds the vocabulary from texts, keeping words seen at least {@code minCount} times. */
    public static WordTokenizer build(Iterable<String> texts, int context, int minCount) {
        if (minCount < 1) {
            throw new IllegalArgumentException("minCount " + minCount + " must be >= 1");
        }
        Map<String, Integer> counts = new HashMap<>();
        for (String t : texts) {
            for (String w : split(t)) {
                counts.merge(w, 1, Integer::sum);
            }
        }
        List<String> words = new ArrayList<>();
        counts.forEach((w, c) -> {
            if (c >= minCount) {
                words.add(w);
            }
        });
        words.sort((a, b) -> {
            int byCount = Integer.compare(counts.get(b), counts.get(a));
            return byCount != 0 ? byCount : a.compareTo(b);
        });
        return new WordTokenizer(words, context);
    }

    /** Builds the vocabulary from every caption of a data set and every class prompt. */
    public static WordTokenizer forDataset(Dataset data, int context) {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) {
            texts.addAll(data.captions(i));
        }
        for (int c = 0; c < data.classNames().size(); c++) {
            texts.addAll(data.prompts(c));
        }
        return build(texts, context, 1);
    }

    private WordTokenizer(List<String> words, int context) {
        if (context < 2) {
            throw new IllegalArgumentException("context " + context + " must hold at least SOT and EOT");
        }
        this.words = List.copyOf(words);
        this.context = context;
        for (int i = 0; i < this.words.size(); i++) {
            String w = this.words.get(i);
            if (!split(w).equals(List.of(w))) {
                throw new IllegalArgumentException("vocabulary entry '" + w + "' at " + i + " is not one word");
            }
            if (ids.put(w, 2 + i) != null) {
                throw new IllegalArgumentException("vocabulary entry '" + w + "' appears twice");
            }
        }
    }

    /** Lower-cased words and punctuation marks of {@code text}. */
    public static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = WORD.matcher(text.toLowerCase(Locale.ROOT));
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    /** The words in id order (id of {@code words().get(k)} is {@code k + 2}); save this to reload the tokenizer. */
    public List<String> words() {
        return words;
    }

    @Override
    public int context() {
        return context;
    }

    @Override
    public int vocabSize() {
        return words.size() + 4;
    }

    @Override
    public int sot() {
        return words.size() + 2;
    }

    @Override
    public int eot() {
        return words.size() + 3;
    }

    @Override
    public int pad() {
        return PAD;
    }

    /** Id of one word, {@link #UNK} when unknown. */
    public int id(String word) {
        return ids.getOrDefault(word.toLowerCase(Locale.ROOT), UNK);
    }

    @Override
    public int[] encode(String text) {
        List<Integer> body = new ArrayList<>();
        for (String w : split(text)) {
            body.add(ids.getOrDefault(w, UNK));
        }
        return Tokenizer.frame(body, sot(), eot(), PAD, context);
    }

    @Override
    public String decode(int[] tokens) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < tokens.length; i++) {
            int t = tokens[i];
            if (t == eot()) {
                break;
            }
            if (t == sot() && i == 0 || t == PAD) {
                continue;
            }
            if (t < 0 || t > eot()) {
                throw new IllegalArgumentException("token id " + t + " outside the vocabulary [0, " + vocabSize()
                        + ")");
            }
            out.add(t == UNK ? "<unk>" : t == sot() ? "<sot>" : words.get(t - 2));
        }
        return String.join(" ", out);
    }
}
