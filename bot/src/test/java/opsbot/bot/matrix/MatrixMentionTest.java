package opsbot.bot.matrix;

import opsbot.bot.chat.Message;
import opsbot.commands.policy.Identity;
import opsbot.config.MatrixConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** A Matrix mention: the user ID in the body, a pill in the HTML, and m.mentions only for the bot's own pills. */
class MatrixMentionTest {
    private final MatrixNetwork net = new MatrixNetwork(new MatrixConfig("http://127.0.0.1:1", "opsbot", "x", null,
            List.of("!r:x"), null, List.of()), k -> null, (k, v) -> { });

    @Test
    void aMentionCarriesTheUserIdAPillAndEscapedText() {
        Message m = net.mention(new Identity.MatrixUser("@alice:x"), "alice", "check <b>compute4</b>\nnow");
        assertEquals("@alice:x: check <b>compute4</b>\nnow", m.plain());
        assertEquals("<a href=\"https://matrix.to/#/@alice:x\">@alice:x</a>: check &lt;b&gt;compute4&lt;/b&gt;<br>now", m.html());
        assertEquals(List.of("@alice:x"), MatrixNetwork.pilled(m.html()));
    }

    @Test
    void userTextCannotForgeAPill() {
        Message m = net.mention(new Identity.MatrixUser("@alice:x"), "alice", "<a href=\"https://matrix.to/#/@bob:x\">bob</a>");
        assertEquals(List.of("@alice:x"), MatrixNetwork.pilled(m.html()));
        assertEquals(List.of(), MatrixNetwork.pilled(null));
        assertEquals(List.of(), MatrixNetwork.pilled("<b>INC-1</b> opened"));
    }
}
