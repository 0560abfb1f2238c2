package aclip4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import aclip4j.data.Tokenizer;
import aclip4j.mask.AttentionScore;
import aclip4j.mask.Boxes;
import aclip4j.mask.TokenSelector;
import aclip4j.train.Ssl;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every option value has one spelling: parsed, written and read back through it, and refused otherwise. */
class ChoiceTest {
    private static final Gson GSON = new GsonBuilder().registerTypeAdapterFactory(Choice.GSON).create();

    @Test
    void strategiesAreSpelledAsThePaperNamesThemWhileTheConstantsSayWhatTheyKeep() {
        assertEquals(TokenSelector.Strategy.DROP_LOW, TokenSelector.Strategy.parse("low"));
        assertEquals(TokenSelector.Strategy.DROP_HIGH, TokenSelector.Strategy.parse(" HIGH "));
        assertEquals("low", TokenSelector.Strategy.DROP_LOW.id());
        assertEquals("\"low\"", GSON.toJson(TokenSelector.Strategy.DROP_LOW));
        assertEquals(TokenSelector.Strategy.MIXED, GSON.fromJson("\"mixed\"", TokenSelector.Strategy.class));
    }

    @Test
    void everyConstantReadsBackFromItsSpelling() {
        List<Class<? extends Enum<?>>> types = List.of(TokenSelector.Strategy.class, AttentionScore.Layers.class,
                Boxes.Enclosing.class, Ssl.class, Tokenizer.Kind.class);
        int n = 0;
        for (Class<? extends Enum<?>> t : types) {
            for (Enum<?> e : t.getEnumConstants()) {
                String json = GSON.toJson(e);
                assertEquals('"' + ((Choice) e).id() + '"', json);
                assertEquals(e, GSON.fromJson(json, t));
                n++;
            }
        }
        assertEquals(4 + 2 + 2 + 3 + 2, n);
    }

    @Test
    void aWordThatIsNoneOfThemIsRefusedWithTheSpellings() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Choice.parse(Ssl.class, "byol", "--ssl"));
        assertEquals("--ssl is 'byol', expected simclr, simsiam or none", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TokenSelector.Strategy.parse("drop_low"));
        assertEquals("strategy is 'drop_low', expected low, high, mixed or random", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GSON.fromJson("\"sideways\"", Boxes.Enclosing.class));
    }
}
