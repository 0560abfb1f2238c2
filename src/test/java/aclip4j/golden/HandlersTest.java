package aclip4j.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class HandlersTest {
    @Test
    void theServiceFileRegistersOneHandlerForEveryComponentTheGoldensHold() throws Exception {
        TreeSet<String> inGoldens = new TreeSet<>();
        for (JsonElement c : JsonParser.parseString(Files.readString(Path.of("goldens/MANIFEST.json")))
                .getAsJsonObject().getAsJsonArray("cases")) {
            inGoldens.add(c.getAsJsonObject().get("component").getAsString());
        }
        assertEquals(17, inGoldens.size());
        assertEquals(inGoldens, new TreeSet<>(Handlers.all().keySet()));
    }
}
