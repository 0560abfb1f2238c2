package aclip4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class HtmlUnescapeTest {
    /**
     * (input, CPython 3.11 html.unescape(input)), run once outside this project: every HTML5 name, legacy names
     * without ';' and as prefixes, Windows-1252 for 128–159, U+FFFD and dropped code points, leading zeros, huge
     * numbers, astral characters.
     */
    static final String[][] CPYTHON = {
                {"&amp;", "&"},
                {"&amp", "&"},
                {"&ampx", "&x"},
                {"&notin;", "\u2209"},
                {"&notit;", "\u00ACit;"},
                {"&not", "\u00AC"},
                {"&copy2023", "\u00A92023"},
                {"&lt;b&gt;", "<b>"},
                {"&#128;&#150;&#159;", "\u20AC\u2013\u0178"},
                {"&#x80;", "\u20AC"},
                {"&#0;", "\uFFFD"},
                {"&#13;", "\015"},
                {"&#1;x", "x"},
                {"&#x110000;", "\uFFFD"},
                {"&#xD800;", "\uFFFD"},
                {"&#65", "A"},
                {"&#x41", "A"},
                {"&#0000065;", "A"},
                {"&#99999999999;", "\uFFFD"},
                {"&Eacute;", "\u00C9"},
                {"&eacute", "\u00E9"},
                {"&NotANamedRef;", "&NotANamedRef;"},
                {"&;", "&;"},
                {"& amp;", "& amp;"},
                {"&amp;amp;", "&amp;"},
                {"&nbsp;&NewLine;", "\u00A0\012"},
                {"&acE;", "\u223E\u0333"},
                {"&fjlig;", "fj"},
                {"a&b", "a&b"},
                {"&#xFFFE;", ""},
                {"&#xFDD0;", ""},
                {"&#127;", ""},
                {"&AMP;", "&"},
                {"&AMP", "&"},
                {"&lang;&rang;", "\u27E8\u27E9"},
                {"&#x1F600;", "\uD83D\uDE00"},
                {"&zwj;&zwnj;", "\u200D\u200C"},
                {"&hellip;", "\u2026"},
                {"caf&eacute; &amp;co", "caf\u00E9 &co"}};

    @Test
    void decodesAsCPythonsHtmlUnescape() {
        for (String[] c : CPYTHON) {
            assertEquals(c[1], HtmlUnescape.python(c[0]), c[0]);
        }
    }

    @Test
    void ftfyDecodesOnlyReferencesEndingInASemicolonAndUpperCasedNames() {
        assertEquals("&amp x &", HtmlUnescape.ftfy("&amp x &amp;"));
        assertEquals("\u00d1 \u00f1", HtmlUnescape.ftfy("&NTILDE; &ntilde;"));
        assertEquals("&AMP", HtmlUnescape.ftfy("&AMP"));
        assertEquals("\u20ac &#;", HtmlUnescape.ftfy("&#128; &#;"));
        assertEquals("&amp;lt;", HtmlUnescape.ftfy("&amp;amp;lt;"), "one pass decodes one level");
    }
}
