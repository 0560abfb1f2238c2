package aclip4j.data;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class TemplatesTest {
    @Test
    void fillsAndFixesArticles() {
        assertEquals("a photo of a sandal.", Templates.fill("a photo of a {}.", "Sandal"));
        assertEquals("a photo of an ankle boot.", Templates.fill("a photo of a {}.", "Ankle boot"));
        assertEquals("An apple.", Templates.fill("A {}.", "apple"));
        assertEquals("a banana at the top, an egg", Templates.article("a banana at the top, a egg"));
        assertEquals("area an unit", Templates.article("area a unit"));
        assertEquals("ra orange", Templates.article("ra orange"));
    }

    @Test
    void templateNeedsExactlyOneSlot() {
        assertThrows(IllegalArgumentException.class, () -> Templates.fill("no slot", "x"));
        assertThrows(IllegalArgumentException.class, () -> Templates.fill("{} and {}", "x"));
    }
}
