package opsbot.bot.matrix;

import com.fasterxml.jackson.databind.ObjectMapper;
import opsbot.bot.chat.Message;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Matrix refuses events over 64 KiB: the bot's messages are split or cut with a marker, never refused and lost. */
class EventSizeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The content as the client sends it, in bytes. */
    private static int contentBytes(String body, String html) throws Exception {
        return JSON.writeValueAsString(MatrixClient.message("m.notice", body, html)).getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void fourLinesOf64KilobytesBecomeSeveralMessagesEachUnderTheLimit() throws Exception {
        List<String> lines = Collections.nCopies(4, "\"é\"".repeat(65536 / 4));
        List<String> bodies = EventSize.bodies(lines);
        assertEquals(4, bodies.size(), "one line to a message: two do not fit together");
        for (String b : bodies) {
            assertTrue(contentBytes(b, null) < 61_000, contentBytes(b, null) + " bytes");
            assertTrue(b.endsWith("bytes are more than one Matrix message holds)"), "cut with a marker");
        }
    }

    @Test
    void shortLinesStayOneMessageAndManyAreGroupedInOrder() throws Exception {
        assertEquals(List.of("a\nb"), EventSize.bodies(List.of("a", "b")));
        List<String> many = Collections.nCopies(1000, "x".repeat(199));
        List<String> bodies = EventSize.bodies(many);
        assertEquals(4, bodies.size(), "200 kB in messages of under 60 kB");
        assertEquals(1000, bodies.stream().mapToInt(b -> b.split("\n").length).sum(), "no line lost");
        for (String b : bodies) assertTrue(contentBytes(b, null) < 61_000);
        assertEquals(List.of(""), EventSize.bodies(List.of()));
    }

    @Test
    void aPostTooLargeLosesItsHtmlThenIsCut() throws Exception {
        Message small = new Message("hi", "<b>hi</b>");
        assertSame(small, EventSize.fit(small));
        Message big = new Message("x".repeat(40_000), "<pre>" + "x".repeat(40_000) + "</pre>");
        Message fitted = EventSize.fit(big);
        assertNull(fitted.html());
        assertEquals(big.plain(), fitted.plain(), "the plain text fits alone");
        Message huge = new Message("\n\"".repeat(50_000), null); // escapes double its size in JSON
        fitted = EventSize.fit(huge);
        assertTrue(contentBytes(fitted.plain(), null) < 61_000, contentBytes(fitted.plain(), null) + " bytes");
        assertTrue(fitted.plain().endsWith("… (cut: 200000 bytes are more than one Matrix message holds)"), fitted.plain());
    }
}
